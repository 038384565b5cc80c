/*
 * stats.c - scipy.stats semantics for the aggregates TOFU uses.
 */
#include "metrics/stats.h"

#include "metrics/npsum.h"

#include <math.h>
#include <stdlib.h>

/*
 * scipy 1.10.1 hmean: 1.0 / np.average(1.0 / a), i.e. 1.0 / (np.sum(1/a) /
 * n) with numpy's pairwise sum. A zero gives 1/0 = inf, so the mean is inf
 * and the result 0.0, which is the "any zero gives 0" rule.
 */
int uh_hmean(const double *a, size_t n, double *out, struct uh_err *err)
{
	double *inv;

	*out = NAN;
	if (n == 0)
		return uh_err_set(err, UH_EINVAL, "hmean: no values");
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(a[i]))
			return uh_err_set(err, UH_EINVAL, "hmean: value %zu is not finite", i + 1);
		if (a[i] < 0.0)
			return uh_err_set(err, UH_EINVAL,
					  "hmean: value %zu is negative (%g); the harmonic mean needs values >= 0",
					  i + 1, a[i]);
	}
	inv = malloc(n * sizeof(*inv));
	if (!inv)
		return uh_err_set(err, UH_ENOMEM, "hmean: out of memory");
	for (size_t i = 0; i < n; i++)
		inv[i] = 1.0 / a[i];
	*out = 1.0 / uh_npmean(inv, n);
	free(inv);
	return 0;
}
