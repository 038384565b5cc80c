/*
 * bootstrap.c - percentile bootstrap for the TOFU aggregates.
 *
 * Items are resampled with replacement (gsl_rng_uniform_int on a seeded
 * mt19937), the statistic is recomputed exactly as the point estimate is
 * (numpy pairwise means, scipy hmean), and the interval is read off the
 * sorted replicates with numpy.percentile's default linear interpolation.
 */
#include "metrics/bootstrap.h"

#include "metrics/npsum.h"
#include "metrics/stats.h"
#include "metrics/tofu_agg.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int check_args(size_t n, double level, size_t B, struct uh_err *err)
{
	if (n == 0)
		return uh_err_set(err, UH_EINVAL, "bootstrap: no items to resample");
	/* gsl_rng_uniform_int draws below the generator's range, 2^32 - 1 for mt19937. */
	if (n > UINT32_MAX)
		return uh_err_set(err, UH_EINVAL, "bootstrap: %zu items, more than the RNG can index", n);
	if (!(level > 0.0 && level < 1.0))
		return uh_err_set(err, UH_EINVAL, "bootstrap: level must be in (0, 1), got %g", level);
	if (B < 2 || B > UH_BOOTSTRAP_MAX_B)
		return uh_err_set(err, UH_EINVAL, "bootstrap: resamples must be in [2, %u], got %zu",
				  UH_BOOTSTRAP_MAX_B, B);
	return 0;
}

static int check_finite(const double *v, size_t n, const char *what, struct uh_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return uh_err_set(err, UH_EINVAL, "bootstrap: %s item %zu is not finite", what, i);
	return 0;
}

static gsl_rng *rng_new(unsigned long seed, struct uh_err *err)
{
	gsl_rng *r;

	/* GSL aborts on errors by default; uh reports them instead. */
	gsl_set_error_handler_off();
	r = gsl_rng_alloc(gsl_rng_mt19937);
	if (!r) {
		uh_err_set(err, UH_ENOMEM, "bootstrap: cannot allocate the RNG");
		return NULL;
	}
	gsl_rng_set(r, seed);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* numpy.percentile(s, q*100) for sorted s[0..B), method 'linear'. */
static double percentile(const double *s, size_t B, double q)
{
	double pos = q * (double)(B - 1);
	size_t i = (size_t)floor(pos);
	double frac = pos - (double)i;

	if (i + 1 >= B)
		return s[B - 1];
	return s[i] + (s[i + 1] - s[i]) * frac;
}

static void interval(double *stats, size_t B, double level, struct uh_ci *ci)
{
	qsort(stats, B, sizeof(double), cmp_double);
	ci->lo = percentile(stats, B, (1.0 - level) / 2.0);
	ci->hi = percentile(stats, B, (1.0 + level) / 2.0);
}

int uh_bootstrap_mean_ci(const double *v, size_t n, double level, size_t B,
			 unsigned long seed, struct uh_ci *ci, struct uh_err *err)
{
	double *stats = NULL, *res = NULL;
	gsl_rng *r = NULL;
	int rc;

	rc = check_args(n, level, B, err);
	if (rc)
		return rc;
	rc = check_finite(v, n, "value", err);
	if (rc)
		return rc;
	stats = malloc(B * sizeof(double));
	res = malloc(n * sizeof(double));
	if (!stats || !res) {
		rc = uh_err_set(err, UH_ENOMEM, "bootstrap: out of memory");
		goto out;
	}
	r = rng_new(seed, err);
	if (!r) {
		rc = UH_ENOMEM;
		goto out;
	}
	for (size_t b = 0; b < B; b++) {
		for (size_t i = 0; i < n; i++)
			res[i] = v[gsl_rng_uniform_int(r, (unsigned long)n)];
		stats[b] = uh_npmean(res, n);
	}
	interval(stats, B, level, ci);
out:
	gsl_rng_free(r);
	free(res);
	free(stats);
	return rc;
}

int uh_bootstrap_mu_ci(const struct uh_bootstrap_task tasks[3], double level, size_t B,
		       unsigned long seed, struct uh_ci *ci, struct uh_err *err)
{
	double *stats = NULL, *buf = NULL;
	gsl_rng *r = NULL;
	size_t maxn = 0;
	int rc = 0;

	for (int t = 0; t < 3; t++) {
		rc = check_args(tasks[t].n, level, B, err);
		if (rc)
			return uh_err_prefix(err, "model utility task %d: ", t);
		if (!tasks[t].prob || !tasks[t].rouge || !tasks[t].tr)
			return uh_err_set(err, UH_EINVAL, "bootstrap: model utility task %d lacks values", t);
		if ((rc = check_finite(tasks[t].prob, tasks[t].n, "prob", err)) ||
		    (rc = check_finite(tasks[t].rouge, tasks[t].n, "rouge", err)) ||
		    (rc = check_finite(tasks[t].tr, tasks[t].n, "truth ratio", err)))
			return rc;
		if (tasks[t].n > maxn)
			maxn = tasks[t].n;
	}
	stats = malloc(B * sizeof(double));
	buf = malloc(3 * maxn * sizeof(double));
	if (!stats || !buf) {
		rc = uh_err_set(err, UH_ENOMEM, "bootstrap: out of memory");
		goto out;
	}
	r = rng_new(seed, err);
	if (!r) {
		rc = UH_ENOMEM;
		goto out;
	}
	for (size_t b = 0; b < B; b++) {
		double nine[9];

		for (int t = 0; t < 3; t++) {
			const struct uh_bootstrap_task *tk = &tasks[t];
			double *p = buf, *ro = buf + maxn, *tr = buf + 2 * maxn;

			for (size_t i = 0; i < tk->n; i++) {
				size_t j = gsl_rng_uniform_int(r, (unsigned long)tk->n);

				p[i] = tk->prob[j];
				ro[i] = tk->rouge[j];
				tr[i] = tk->tr[j];
			}
			nine[3 * t + 0] = uh_npmean(ro, tk->n);
			nine[3 * t + 1] = uh_npmean(p, tk->n);
			nine[3 * t + 2] = uh_npmean(tr, tk->n);
		}
		rc = uh_hmean(nine, 9, &stats[b], err);
		if (rc) {
			uh_err_prefix(err, "bootstrap: model utility: ");
			goto out;
		}
	}
	interval(stats, B, level, ci);
out:
	gsl_rng_free(r);
	free(buf);
	free(stats);
	return rc;
}

int uh_bootstrap_tofu_mu_ci(const struct uh_tofu_log *log, double level, size_t B,
			    unsigned long seed, struct uh_ci *ci, struct uh_err *err)
{
	static const enum uh_tofu_task order[3] = {
		UH_TOFU_REAL_AUTHORS, UH_TOFU_REAL_WORLD, UH_TOFU_RETAIN,
	};
	struct uh_bootstrap_task tasks[3];
	double *terms[3] = { NULL, NULL, NULL };
	int rc = 0;

	for (int j = 0; j < 3; j++) {
		const struct uh_tofu_task_log *tl = &log->task[order[j]];
		size_t n = tl->n;

		if (n == 0) {
			rc = uh_err_set(err, UH_EINVAL, "bootstrap: task '%s' has no items",
					uh_tofu_task_name(order[j]));
			goto out;
		}
		terms[j] = malloc(3 * n * sizeof(double));
		if (!terms[j]) {
			rc = uh_err_set(err, UH_ENOMEM, "bootstrap: out of memory");
			goto out;
		}
		rc = uh_tofu_agg_item_terms(tl, order[j], terms[j], terms[j] + n, terms[j] + 2 * n,
					    err);
		if (rc)
			goto out;
		tasks[j].prob = terms[j];
		tasks[j].rouge = terms[j] + n;
		tasks[j].tr = terms[j] + 2 * n;
		tasks[j].n = n;
	}
	rc = uh_bootstrap_mu_ci(tasks, level, B, seed, ci, err);
out:
	for (int j = 0; j < 3; j++)
		free(terms[j]);
	return rc;
}
