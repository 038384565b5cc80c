/*
 * stats.h - small statistics with the reference libraries' semantics.
 */
#ifndef UH_METRICS_STATS_H
#define UH_METRICS_STATS_H

#include "harness/err.h"

#include <stddef.h>

/*
 * scipy.stats.hmean of a[0..n): 1.0 / np.mean(1.0 / a), computed in numpy's
 * order (pairwise sum, then / n). Any zero gives 0.0; a negative or
 * non-finite value, or n == 0, fails with UH_EINVAL naming the offending
 * index (scipy itself returns NaN for NaN and accepts inf).
 */
int uh_hmean(const double *a, size_t n, double *out, struct uh_err *err);

#endif
