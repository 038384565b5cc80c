#include "report/diff.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int uh_diff_sign_flip(const double *d, size_t n, size_t B, unsigned long seed, double *p,
		      struct uh_err *err)
{
	double obs = 0, abs_sum = 0, tol;
	size_t extreme = 0;
	gsl_rng *rng;

	*p = NAN;
	if (!n)
		return uh_err_set(err, UH_EINVAL, "permutation test: no pairs");
	if (B < 1 || B > UH_DIFF_MAX_B)
		return uh_err_set(err, UH_EINVAL, "permutation test: %zu permutations (1 to %u)", B,
				  UH_DIFF_MAX_B);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(d[i]))
			return uh_err_set(err, UH_EINVAL, "permutation test: difference %zu is not finite", i);
		obs += d[i];
		abs_sum += fabs(d[i]);
	}
	obs = fabs(obs);
	/* sums in another order round differently: a tie must not look smaller */
	tol = 1e-12 * abs_sum;
	gsl_set_error_handler_off();
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng)
		return uh_err_set(err, UH_ENOMEM, "out of memory for the random generator");
	gsl_rng_set(rng, seed);
	for (size_t b = 0; b < B; b++) {
		double s = 0;
		unsigned long bits = 0;
		int left = 0;

		for (size_t i = 0; i < n; i++) {
			if (!left) {
				bits = gsl_rng_get(rng);  /* mt19937: 32 random bits */
				left = 32;
			}
			s += (bits & 1) ? -d[i] : d[i];
			bits >>= 1;
			left--;
		}
		if (fabs(s) >= obs - tol)
			extreme++;
	}
	gsl_rng_free(rng);
	*p = (double)(1 + extreme) / (double)(1 + B);
	return 0;
}

int uh_diff_paired(const double *a, const double *b, size_t n, size_t B, unsigned long seed,
		   struct uh_diff_stats *out, struct uh_err *err)
{
	double *d, sa = 0, sb = 0, sd = 0;
	int rc;

	out->n = n;
	out->mean_a = out->mean_b = out->mean_diff = out->p = NAN;
	out->ci.lo = out->ci.hi = NAN;
	if (!n)
		return uh_err_set(err, UH_EINVAL, "no pairs to compare");
	d = malloc(n * sizeof(*d));
	if (!d)
		return uh_err_set(err, UH_ENOMEM, "out of memory comparing runs");
	for (size_t i = 0; i < n; i++) {
		d[i] = b[i] - a[i];
		sa += a[i];
		sb += b[i];
		sd += d[i];
	}
	out->mean_a = sa / (double)n;
	out->mean_b = sb / (double)n;
	out->mean_diff = sd / (double)n;
	rc = uh_diff_sign_flip(d, n, B, seed, &out->p, err);
	if (!rc) {
		if (B < 2) {
			out->ci.lo = out->ci.hi = out->mean_diff;
		} else {
			rc = uh_bootstrap_mean_ci(d, n, 0.95, B, seed, &out->ci, err);
		}
	}
	free(d);
	return rc;
}
