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
 * Compare samples x[0..nx) and y[0..ny) (borrowed, not modified) and fill
 * *res. +-inf are ordinary values. Fails with UH_EINVAL when a sample is
 * empty or holds a NaN (scipy >= 1.12 returns NaN there; 1.10 gives
 * garbage) or nx + ny >= 2^32, UH_ENOMEM on allocation failure.
 *
 * The exact path (max(nx, ny) <= 10000, including its fallback) matches
 * scipy bit for bit. On the asymptotic path it fails with UH_ENUM where
 * scipy's kstwo.sf would need its cephes `smirnov` branch, which is not
 * ported (n*D^2 >= 2.2 below n*D^2 = 370, i.e. p below ~0.03, or D >= 0.5,
 * with n = round(nx*ny/(nx+ny))). The ported asymptotic branches use glibc
 * exp/pow where numpy may use its own vector math (SVML on AVX-512 CPUs),
 * so there agreement is to within a few ulps: Durbin's matrix (n*D^2 below
 * ~0.75) differs in the last bits for ~0.3% of random (n, D) on such a CPU;
 * every test row matches bit for bit.
 */
int uh_ks_2samp(const double *x, size_t nx, const double *y, size_t ny,
		struct uh_ks_result *res, struct uh_err *err);

/*
 * scipy's exact two-sided probability for sample sizes n1, n2 (each in
 * [1, 10000]) and lattice statistic h = round(D * lcm(n1, n2)) in
 * [1, lcm]: `_compute_prob_outside_square(n1, h)` when n1 == n2, else
 * `_compute_outer_prob_inside_method(n1, n2, gcd, h)`, bit for bit. This
 * is the raw value before ks_2samp's range check (for n1 == n2 and small h
 * it can exceed 1 by an ulp or so). Fails with UH_EINVAL on out-of-range
 * arguments, UH_ENOMEM.
 */
int uh_ks_exact_prob(size_t n1, size_t n2, long long h, double *prob, struct uh_err *err);

#endif
