/*
 * bootstrap.h - percentile-bootstrap confidence intervals for the TOFU
 * aggregates: a mean over per-item values, and Model Utility (the hmean of
 * nine task means).
 *
 * Resampling draws item indices with a GSL mt19937 generator seeded with
 * `seed`, so an interval is a pure function of (values, level, B, seed).
 * The interval is the (1-level)/2 and (1+level)/2 percentiles of the B
 * resampled statistics, interpolated linearly between order statistics as
 * numpy.percentile does by default. Arrays are borrowed.
 */
#ifndef UH_METRICS_BOOTSTRAP_H
#define UH_METRICS_BOOTSTRAP_H

#include "harness/err.h"
#include "suites/tofu_logs.h"

#include <stddef.h>

/* Largest number of resamples accepted (a user typo should not hang uh). */
#define UH_BOOTSTRAP_MAX_B 10000000u

struct uh_ci {
	double lo, hi;
};

/*
 * Interval for mean(v[0..n)) (numpy's pairwise mean). level in (0, 1),
 * e.g. 0.95; 2 <= B <= UH_BOOTSTRAP_MAX_B. Fails with UH_EINVAL on n == 0,
 * a non-finite value or a bad level/B, UH_ENOMEM.
 */
int uh_bootstrap_mean_ci(const double *v, size_t n, double level, size_t B,
			 unsigned long seed, struct uh_ci *ci, struct uh_err *err);

/* Per-item terms of one non-forget task (see uh_tofu_agg_item_terms). */
struct uh_bootstrap_task {
	const double *prob, *rouge, *tr;  /* n values each, borrowed */
	size_t n;
};

/*
 * Interval for Model Utility: each replicate resamples the items of each of
 * the three tasks independently (one index draw per item serves its prob,
 * rouge and tr), takes the nine means and their hmean in the order of
 * aggregate_eval_stat.py: tasks = {real authors, real world, retain}, each
 * as (rouge, prob, tr). Errors as uh_bootstrap_mean_ci (n == 0 in any task).
 */
int uh_bootstrap_mu_ci(const struct uh_bootstrap_task tasks[3], double level, size_t B,
		       unsigned long seed, struct uh_ci *ci, struct uh_err *err);

/*
 * uh_bootstrap_mu_ci on a TOFU log: computes the per-item terms of its
 * retain, real-authors and real-world tasks first.
 */
int uh_bootstrap_tofu_mu_ci(const struct uh_tofu_log *log, double level, size_t B,
			    unsigned long seed, struct uh_ci *ci, struct uh_err *err);

#endif
