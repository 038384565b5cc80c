/*
 * ks.h - two-sample Kolmogorov-Smirnov test, two-sided, with the semantics
 * of scipy 1.10 `ks_2samp(x, y)` (method 'auto'): spec/algorithms.md §3.
 */
#ifndef UH_METRICS_KS_H
#define UH_METRICS_KS_H

#include "harness/err.h"

#include <stddef.h>

enum uh_ks_path {
	UH_KS_EXACT = 0,            /* exact p-value (max(nx, ny) <= 10000) */
	UH_KS_EXACT_FALLBACK = 1,   /* exact value left [0,1]: scipy's kstwo.sf fallback */
	UH_KS_ASYMP = 2,            /* asymptotic (max(nx, ny) > 10000) */
};

struct uh_ks_result {
	double statistic;   /* D; on the exact path the rounded rational h/lcm */
	double pvalue;      /* two-sided p-value */
	enum uh_ks_path path;
};

/*
 * Compare samples x[0..nx) and y[0..ny) (borrowed, not modified). Fails with
 * UH_EINVAL when a sample is empty or holds a NaN (scipy >= 1.12 returns NaN
 * there; 1.10 gives garbage), UH_ENOMEM on allocation failure. +-inf are
 * ordinary values. On the asymptotic path (max(nx, ny) > 10000) it fails
 * with UH_ENUM where scipy's kstwo.sf would need its cephes smirnov or
 * Pomeranz branch, which are not ported (typically p < ~0.03, or
 * round(nx*ny/(nx+ny)) <= 140 with a large D); there the Pelz-Good branch
 * agrees with scipy to a few ulps, not bit for bit.
 */
int uh_ks_2samp(const double *x, size_t nx, const double *y, size_t ny,
		struct uh_ks_result *res, struct uh_err *err);

#endif
