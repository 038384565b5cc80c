/*
 * diff.h - paired comparison of two runs' per-item values: the mean
 * difference, a paired percentile-bootstrap interval for it and a paired
 * sign-flip permutation test. Pure functions of the arrays (borrowed);
 * results are a function of (values, B, seed).
 */
#ifndef UH_REPORT_DIFF_H
#define UH_REPORT_DIFF_H

#include "harness/err.h"
#include "metrics/bootstrap.h"

#include <stddef.h>

/* Most resamples or permutations accepted (a typo should not hang uh). */
#define UH_DIFF_MAX_B 10000000u

/*
 * Two-sided paired permutation test of "mean(d) = 0": each of B
 * permutations flips the sign of each d[i] with probability 1/2 (GSL
 * mt19937 seeded with seed, one bit per item); p = (1 + #{|sum s*d| >=
 * |sum d|}) / (1 + B), counting ties within 1e-12 of sum |d| as extreme, so
 * identical runs give p = 1. n >= 1, 1 <= B <= UH_DIFF_MAX_B, finite d.
 */
int uh_diff_sign_flip(const double *d, size_t n, size_t B, unsigned long seed, double *p,
		      struct uh_err *err);

struct uh_diff_stats {
	size_t n;
	double mean_a, mean_b;
	double mean_diff;        /* mean(b - a) */
	struct uh_ci ci;         /* 95% paired percentile bootstrap of mean_diff */
	double p;                /* sign-flip permutation p-value */
};

/*
 * The paired statistics of b[i] - a[i], i < n: means, the bootstrap interval
 * (uh_bootstrap_mean_ci on the differences, B resamples) and the
 * permutation p-value (B permutations), both seeded with seed.
 */
int uh_diff_paired(const double *a, const double *b, size_t n, size_t B, unsigned long seed,
		   struct uh_diff_stats *out, struct uh_err *err);

#endif
