/*
 * ks.c - two-sample Kolmogorov-Smirnov test with scipy 1.10's ks_2samp
 * semantics (spec/algorithms.md §3).
 *
 * Reference: scipy 1.10.1 `stats._stats_py.ks_2samp`,
 * `_attempt_exact_2kssamp`, `_compute_prob_outside_square`,
 * `_stats_pythran._compute_outer_prob_inside_method` and
 * `_ksstats._kolmogn` (behind `kstwo.sf`). Every floating-point step below
 * keeps the reference's operand order and types, because the p-values must
 * match scipy bit for bit; the file is built with -ffp-contract=off so that
 * no multiply-add is fused.
 */
#include "metrics/ks.h"
#include "metrics/npsum.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* scipy's ks_2samp(method='auto') is exact iff max(n1, n2) <= MAX_AUTO_N. */
#define MAX_AUTO_N 10000

/* ================================================================ sorting */

/*
 * LSD radix sort on the IEEE bit patterns: at n = 400 it is several times
 * faster than qsort, and the sort is a visible share of a test that costs a
 * few microseconds. Keys map doubles to unsigned integers in numeric order
 * (negative: flip all bits; positive: flip the sign bit). -0.0 sorts before
 * +0.0, which is harmless: the ECDF walk compares values, not keys.
 */
static uint64_t key_of(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	return (u >> 63) ? ~u : (u | UINT64_C(0x8000000000000000));
}

static double value_of(uint64_t k)
{
	uint64_t u = (k >> 63) ? (k & ~UINT64_C(0x8000000000000000)) : ~k;
	double v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

/* Sort src[0..n) into dst[0..n); a and b are n keys of scratch each. */
static void radix_sort(const double *src, size_t n, double *dst, uint64_t *a, uint64_t *b)
{
	size_t count[8][256];

	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++) {
		uint64_t k = key_of(src[i]);

		a[i] = k;
		for (int d = 0; d < 8; d++)
			count[d][(k >> (8 * d)) & 0xff]++;
	}
	for (int d = 0; d < 8; d++) {
		size_t *c = count[d], sum = 0;

		/* A digit shared by every key leaves the order unchanged. */
		if (c[(a[0] >> (8 * d)) & 0xff] == n)
			continue;
		for (int v = 0; v < 256; v++) {
			size_t t = c[v];

			c[v] = sum;
			sum += t;
		}
		for (size_t i = 0; i < n; i++)
			b[c[(a[i] >> (8 * d)) & 0xff]++] = a[i];
		uint64_t *s = a;
		a = b;
		b = s;
	}
	for (size_t i = 0; i < n; i++)
		dst[i] = value_of(a[i]);
}

/* ================================================================ statistic */

/*
 * D = max over pooled values v of |F1(v) - F2(v)| with right-continuous
 * ECDFs, as scipy: cdf = searchsorted(side='right') / n, an int/int
 * division rounded once. Equal pooled values give equal differences, so
 * walking the distinct values of the merged samples visits the same set of
 * differences as scipy's n1 + n2 evaluations.
 */
static double ks_statistic(const double *x, size_t n1, const double *y, size_t n2)
{
	double dn1 = (double)n1, dn2 = (double)n2;
	double lo = 0.0, hi = 0.0, minS;
	size_t i = 0, j = 0;

	/* The last pooled value has diff 1.0 - 1.0 = +0.0, so starting the
	 * running min and max at +0.0 changes nothing. */
	while (i < n1 || j < n2) {
		double v = (j >= n2 || (i < n1 && x[i] <= y[j])) ? x[i] : y[j];

		while (i < n1 && x[i] <= v)
			i++;
		while (j < n2 && y[j] <= v)
			j++;
		double diff = (double)i / dn1 - (double)j / dn2;
		if (diff > hi)
			hi = diff;
		if (diff < lo)
			lo = diff;
	}
	/* np.clip(-min, 0, 1): max(a, 0) keeps a only when a > 0, so -0.0
	 * becomes +0.0. */
	minS = -lo;
	minS = minS > 0.0 ? minS : 0.0;
	minS = minS < 1.0 ? minS : 1.0;
	return minS > hi ? minS : hi;
}

/* ================================================================ exact p-values */

/*
 * n1 == n2 == n: 2 * sum_k (-1)^(k+1) C(2n, n-kh) / C(2n, n) in scipy's
 * Horner form. Integer factors are exact in double (n <= 10000).
 */
static double prob_outside_square(int64_t n, int64_t h)
{
	double P = 0.0;

	for (int64_t k = n / h; k >= 0; k--) {
		double p1 = 1.0;

		for (int64_t j = 0; j < h; j++)
			p1 = (double)(n - k * h - j) * p1 / (double)(n + k * h + j + 1);
		P = p1 * (1.0 - P);
	}
	return 2 * P;
}

/*
 * Viehmann's recursion for 1 - P(inside), n1 != n2 (scipy's pythran
 * `_compute_outer_prob_inside_method`). A holds a sliding window of one
 * lattice column; entries past the window are 1. Row i reads A at
 * jj + (minj - lastminj) >= jj and writes A[jj], so updating in place is
 * safe. Returns 1.0 early when the band closes, as scipy does.
 */
static int outer_prob_inside(int64_t m, int64_t n, int64_t g, int64_t h,
			     double *out, struct uh_err *err)
{
	if (m < n) {
		int64_t t = m;
		m = n;
		n = t;
	}
	int64_t mg = m / g, ng = n / g;
	int64_t minj = 0, maxj, curlen, lenA;
	double *A;

	/* int(np.ceil(h / mg)) etc. use true division; with h <= lcm <= 1e8
	 * the double quotient never rounds across an integer, but follow the
	 * reference anyway. */
	maxj = (int64_t)ceil((double)h / (double)mg);
	if (maxj > n + 1)
		maxj = n + 1;
	curlen = maxj - minj;
	lenA = 2 * maxj + 2 < n + 1 ? 2 * maxj + 2 : n + 1;

	/* The window never exceeds n + 1 entries (0 <= minj, maxj <= n + 1);
	 * scipy's array has lenA entries, and its slice assignment below is
	 * clamped at lenA, which this buffer reproduces by clamping too. */
	A = malloc((size_t)(n + 2) * sizeof(*A));
	if (!A)
		return uh_err_set(err, UH_ENOMEM, "ks_2samp: out of memory for %lld doubles",
				  (long long)(n + 2));
	for (int64_t k = 0; k < n + 2; k++)
		A[k] = 1.0;
	for (int64_t k = minj; k < maxj; k++)
		A[k] = 0.0;

	for (int64_t i = 1; i <= m; i++) {
		int64_t lastminj = minj, lastlen = curlen;
		double di = (double)i;

		minj = (int64_t)floor((double)(ng * i - h) / (double)mg) + 1;
		if (minj < 0)
			minj = 0;
		if (minj > n)
			minj = n;
		maxj = (int64_t)ceil((double)(ng * i + h) / (double)mg);
		if (maxj > n + 1)
			maxj = n + 1;
		if (maxj <= minj) {
			free(A);
			*out = 1.0;
			return 0;
		}
		double val = minj == 0 ? 0.0 : 1.0;
		int64_t shift = minj - lastminj, len = maxj - minj;
		for (int64_t jj = 0; jj < len; jj++) {
			int64_t j = jj + minj;

			val = (A[jj + shift] * di + val * (double)j) / (double)(i + j);
			A[jj] = val;
		}
		curlen = len;
		if (lastlen > curlen) {
			int64_t end = curlen + (lastlen - curlen);

			if (end > lenA)
				end = lenA;
			for (int64_t k = curlen; k < end; k++)
				A[k] = 1.0;
		}
	}
	*out = A[maxj - minj - 1];
	free(A);
	return 0;
}

/* ================================================================ kstwo.sf */

/*
 * Durbin's matrix method as Marsaglia, Tsang and Wang (scipy's
 * `_kolmogn_DMTW`): returns the CDF Pr(D_n <= d), already clipped to [0,1].
 * It is returned as long double because scipy promotes p to numpy
 * longdouble the first time it rescales by 2^128 in the final loop, and the
 * caller's 1 - cdf is then formed in long double before the store to a
 * float64 result rounds it.
 */
static int kolmogn_dmtw(long n, double d, long double *cdf, struct uh_err *err)
{
	const double ep128 = ldexp(1.0, 128);
	double nd, h, fac, *H, *P, *T, *v, *w;
	long k, m, expnt = 0, hexpnt = 0, nn;

	if (d >= 1.0) {
		*cdf = 1.0L;
		return 0;
	}
	nd = (double)n * d;
	if (nd <= 0.5) {
		*cdf = 0.0L;
		return 0;
	}
	k = (long)ceil(nd);
	h = (double)k - nd;
	m = 2 * k - 1;

	/* One block: H, P (the running power), T (product scratch), v, w. */
	H = calloc((size_t)(3 * m * m + 2 * m), sizeof(double));
	if (!H)
		return uh_err_set(err, UH_ENOMEM, "ks_2samp: out of memory for a %ldx%ld Durbin matrix", m, m);
	P = H + m * m;
	T = P + m * m;
	v = T + m * m;
	w = v + m;

	/* v[j-1] = (1 - h^j) / j!, w[j-1] = 1/(j-1)!. numpy forms h**j with its
	 * own vector pow; glibc pow may differ in the last bit, which the
	 * caller's 1 - cdf absorbs (spec §3.3). */
	fac = 1.0;
	for (long j = 1; j <= m; j++) {
		v[j - 1] = 1.0 - pow(h, (double)j);
		w[j - 1] = fac;
		fac /= (double)j; /* may underflow: harmless, as in scipy */
		v[j - 1] *= fac;
	}
	double base = 2 * h - 1.0;
	if (0 > base)
		base = 0;
	double tt = pow(base, (double)m) - 2 * pow(h, (double)m);
	v[m - 1] = (1.0 + tt) * fac;

	for (long i = 1; i < m; i++)
		for (long r = i - 1; r < m; r++)
			H[r * m + i] = w[r - (i - 1)];
	for (long r = 0; r < m; r++)
		H[r * m] = v[r];
	for (long c = 0; c < m; c++)
		H[(m - 1) * m + c] = v[m - 1 - c];
	for (long r = 0; r < m; r++)
		P[r * m + r] = 1.0;

	/* Square-and-multiply; each entry of a product is a sum over the inner
	 * index in ascending order, as the reference BLAS dgemm forms it. */
	for (nn = n; nn > 0; nn /= 2) {
		if (nn % 2) {
			memset(T, 0, (size_t)(m * m) * sizeof(double));
			for (long r = 0; r < m; r++)
				for (long l = 0; l < m; l++) {
					double a = P[r * m + l];
					for (long c = 0; c < m; c++)
						T[r * m + c] += a * H[l * m + c];
				}
			memcpy(P, T, (size_t)(m * m) * sizeof(double));
			expnt += hexpnt;
		}
		if (nn == 1)
			break; /* scipy squares once more, but never uses it */
		memset(T, 0, (size_t)(m * m) * sizeof(double));
		for (long r = 0; r < m; r++)
			for (long l = 0; l < m; l++) {
				double a = H[r * m + l];
				for (long c = 0; c < m; c++)
					T[r * m + c] += a * H[l * m + c];
			}
		memcpy(H, T, (size_t)(m * m) * sizeof(double));
		hexpnt *= 2;
		if (fabs(H[(k - 1) * m + (k - 1)]) > ep128) {
			for (long q = 0; q < m * m; q++)
				H[q] /= ep128;
			hexpnt += 128;
		}
	}

	double p = P[(k - 1) * m + (k - 1)];
	long double pl = 0.0L;
	int promoted = 0;
	free(H);
	for (long i = 1; i <= n; i++) {
		if (!promoted) {
			p = (double)i * p / (double)n;
			if (fabs(p) < 1.0 / ep128) {
				pl = (long double)p * (long double)ep128;
				promoted = 1;
				expnt -= 128;
			}
		} else {
			pl = (long double)i * pl / (long double)n;
			if (fabsl(pl) < 1.0L / (long double)ep128) {
				pl *= (long double)ep128;
				expnt -= 128;
			}
		}
	}
	if (!promoted)
		pl = expnt != 0 ? (long double)ldexp(p, (int)expnt) : (long double)p;
	else if (expnt != 0)
		pl = ldexpl(pl, (int)expnt);
	*cdf = pl < 0.0L ? 0.0L : (pl > 1.0L ? 1.0L : pl);
	return 0;
}

static double clip01(double p)
{
	return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

/* log(n! / n^n) by Stirling's series (scipy `_log_nfactorial_div_n_pow_n`). */
static double log_nfact_div_npown(long n)
{
	static const double c[8] = {
		-2.955065359477124183e-2, 6.4102564102564102564e-3,
		-1.9175269175269175269e-3, 8.4175084175084175084e-4,
		-5.952380952380952381e-4, 7.9365079365079365079e-4,
		-2.7777777777777777778e-3, 8.3333333333333333333e-2,
	};
	double rn = 1.0 / (double)n, x = rn / (double)n, y = 0.0;

	for (int i = 0; i < 8; i++) /* np.polyval: Horner from y = 0 */
		y = y * x + c[i];
	return log((double)n) / 2 - (double)n + log(2 * M_PI) / 2 + rn * y;
}

/*
 * Pelz-Good approximation of the CDF (scipy `_kolmogn_PelzGood`), for
 * n > 140 outside Durbin's range. scipy evaluates exp and pow with numpy's
 * vector math (SVML on AVX-512 machines), so agreement is to a few ulps,
 * not bit for bit.
 */
static double kolmogn_pelzgood(long n, double x)
{
	const double pi2 = pow(M_PI, 2), pi4 = pow(M_PI, 4), pi6 = pow(M_PI, 6);
	const double sqrt2pi = sqrt(2 * M_PI), sqrt3 = sqrt(3.0);
	double z, zsq, z3, z4, z6, qlog, q, K[4] = { 0, 0, 0, 0 };
	long maxk;

	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	z = sqrt((double)n) * x;
	zsq = pow(z, 2);
	z3 = pow(z, 3);
	z4 = pow(z, 4);
	z6 = pow(z, 6);
	qlog = -pi2 / 8 / zsq;
	if (qlog < -708)
		return 0.0;
	q = exp(qlog);

	double k1a = -zsq, k1b = pi2 / 4;
	double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * zsq) * pi2 / 4;
	double k2c = pi4 * (1 - 2 * zsq) / 16;
	double k3d = pi6 * (5 - 30 * zsq) / 64, k3c = pi4 * (-60 * zsq + 212 * z4) / 16;
	double k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * pow(z, 8);

	maxk = (long)ceil(16 * z / M_PI);
	for (long k = maxk; k > 0; k--) {
		double mm = (double)(2 * k - 1);
		double m2 = mm * mm, m4 = m2 * m2, m6 = m4 * m2; /* exact integers */
		double qp = pow(q, (double)(8 * k));
		double c[4] = { 1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
				k3a + k3b * m2 + k3c * m4 + k3d * m6 };
		for (int i = 0; i < 4; i++)
			K[i] = K[i] * qp + c[i];
	}
	double div[4] = { z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10) };
	for (int i = 0; i < 4; i++) {
		K[i] *= q;
		K[i] *= sqrt2pi;
		K[i] /= div[i];
	}

	/* np.sum over k = maxk..1, numpy's pairwise order (uh_npsum). The
	 * Pelz-Good range has z < sqrt(2.2), so maxk = ceil(16z/pi) <= 8. */
	double q2 = exp(-pi2 / 2 / zsq), t2[8], t3[8], s2, s3;
	if (maxk > 8)
		return NAN; /* the caller reports: outside the ported range */
	for (long i = 0; i < maxk; i++) {
		long k = maxk - i;
		double ksq = (double)(k * k), kspi = M_PI * (double)k;
		double qp = pow(q2, ksq);
		t2[i] = ksq * qp;
		t3[i] = (sqrt3 * z + kspi) * (sqrt3 * z - kspi) * ksq * qp;
	}
	s2 = uh_npsum(t2, (size_t)maxk);
	s3 = uh_npsum(t3, (size_t)maxk);
	s2 *= pi2 * sqrt2pi / (-36 * z3);
	K[2] += s2;
	s3 *= pi2 * sqrt2pi / (216 * z6);
	K[3] += s3;
	for (int i = 0; i < 4; i++)
		K[i] /= pow((double)n * 1.0, (double)i / 2.0);
	return 0 + K[0] + K[1] + K[2] + K[3];
}

/*
 * kstwo.sf(x, n) (scipy `_kolmogn(n, x, cdf=False)` behind rv_continuous's
 * support check). Branches that need cephes `smirnov` or Pomeranz's
 * recursion are not ported: they fail with UH_ENUM instead of returning a
 * wrong number.
 */
static int kstwo_sf(double x, long n, double *sf, struct uh_err *err)
{
	double t, nxsq;

	/* rv_continuous.sf: x <= a = 0.5/n -> 1; x >= b = 1 -> 0 */
	if (x <= 0.5 / (double)n) {
		*sf = 1.0;
		return 0;
	}
	if (!(x < 1.0)) {
		*sf = 0.0;
		return 0;
	}
	t = (double)n * x;
	if (t <= 1.0) { /* Ruben-Gambino: 1/2n <= x <= 1/n */
		double prob;

		if (t <= 0.5) {
			*sf = 1.0;
			return 0;
		}
		if (n <= 140) {
			/* np.prod(arange(1, n+1) * (1.0/n) * (2t-1)): elementwise
			 * products first, then a sequential product. */
			double rn = 1.0 / (double)n, f = 2 * t - 1;
			prob = 1.0;
			for (long i = 1; i <= n; i++)
				prob *= (double)i * rn * f;
		} else {
			prob = exp(log_nfact_div_npown(n) + (double)n * log(2 * t - 1));
		}
		*sf = clip01(1.0 - prob);
		return 0;
	}
	if (t >= (double)(n - 1)) { /* Ruben-Gambino */
		*sf = clip01(2 * pow(1.0 - x, (double)n));
		return 0;
	}
	if (x >= 0.5)
		goto unported;
	nxsq = t * x;
	if (n <= 140) {
		if (nxsq <= 0.754693) {
			long double cdf;
			int rc = kolmogn_dmtw(n, x, &cdf, err);
			if (rc)
				return rc;
			long double s = 1.0L - cdf;
			*sf = (double)(s < 0.0L ? 0.0L : (s > 1.0L ? 1.0L : s));
			return 0;
		}
		goto unported;
	}
	if (nxsq >= 370.0) {
		*sf = 0.0;
		return 0;
	}
	if (nxsq >= 2.2)
		goto unported;
	if (n <= 100000 && (double)n * pow(x, 1.5) <= 1.4) {
		long double cdf;
		int rc = kolmogn_dmtw(n, x, &cdf, err);
		if (rc)
			return rc;
		long double s = 1.0L - cdf;
		*sf = (double)(s < 0.0L ? 0.0L : (s > 1.0L ? 1.0L : s));
		return 0;
	}
	double cdf = kolmogn_pelzgood(n, x);
	if (isnan(cdf))
		goto unported;
	*sf = clip01(1.0 - cdf);
	return 0;

unported:
	return uh_err_set(err, UH_ENUM,
			  "ks_2samp: kstwo.sf(%.17g, n=%ld) needs scipy's smirnov or Pomeranz "
			  "branch, which uh does not implement",
			  x, n);
}

/* ================================================================ driver */

static size_t gcd_size(size_t a, size_t b)
{
	while (b) {
		size_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* scipy's asymptotic p-value: kstwo.sf(d, round(n1*n2/(n1+n2))). */
static int asymp_pvalue(size_t n1, size_t n2, double d, double *p, struct uh_err *err)
{
	double a = (double)n1, b = (double)n2;
	double m = a > b ? a : b, n = a > b ? b : a;
	double en = m * n / (m + n), nr = rint(en);
	int rc;

	/* kstwo's argcheck wants n >= 1; only n1 = n2 = 1 rounds to 0, and
	 * that case never leaves the exact path. */
	if (!(nr >= 1))
		return uh_err_set(err, UH_ENUM, "ks_2samp: kstwo.sf needs n >= 1, got %.17g", nr);
	rc = kstwo_sf(d, (long)nr, p, err);

	if (rc)
		return rc;
	*p = clip01(*p);
	return 0;
}

static int check_sample(const double *v, size_t n, const char *name, struct uh_err *err)
{
	if (n == 0)
		return uh_err_set(err, UH_EINVAL, "ks_2samp: sample %s is empty", name);
	if (!v)
		return uh_err_set(err, UH_EINVAL, "ks_2samp: sample %s is NULL", name);
	for (size_t i = 0; i < n; i++)
		if (isnan(v[i]))
			return uh_err_set(err, UH_EINVAL,
					  "ks_2samp: sample %s holds NaN at index %zu", name, i);
	return 0;
}

int uh_ks_2samp(const double *x, size_t nx, const double *y, size_t ny,
		struct uh_ks_result *res, struct uh_err *err)
{
	double *xs, *ys, d, prob = 1.0;
	uint64_t *keys;
	size_t nmax = nx > ny ? nx : ny;
	int rc;

	uh_err_clear(err);
	if ((rc = check_sample(x, nx, "x", err)) || (rc = check_sample(y, ny, "y", err)))
		return rc;
	if (nmax > SIZE_MAX / 4 / sizeof(double))
		return uh_err_set(err, UH_EINVAL, "ks_2samp: samples too large (%zu, %zu)", nx, ny);
	xs = malloc((nx + ny) * sizeof(double));
	keys = malloc(2 * nmax * sizeof(uint64_t));
	if (!xs || !keys) {
		free(xs);
		free(keys);
		return uh_err_set(err, UH_ENOMEM, "ks_2samp: out of memory for %zu + %zu values", nx, ny);
	}
	ys = xs + nx;
	radix_sort(x, nx, xs, keys, keys + nmax);
	radix_sort(y, ny, ys, keys, keys + nmax);
	free(keys);
	d = ks_statistic(xs, nx, ys, ny);
	free(xs);

	res->path = UH_KS_EXACT;
	if (nmax > MAX_AUTO_N) {
		res->path = UH_KS_ASYMP;
		rc = asymp_pvalue(nx, ny, d, &prob, err);
		if (rc)
			return rc;
		res->statistic = d;
		res->pvalue = prob;
		return 0;
	}

	/* _attempt_exact_2kssamp: round D to the lattice, h / lcm. */
	int64_t n1 = (int64_t)nx, n2 = (int64_t)ny, g = (int64_t)gcd_size(nx, ny);
	int64_t lcm = (n1 / g) * n2;
	int64_t h = (int64_t)rint(d * (double)lcm);

	d = (double)h * 1.0 / (double)lcm;
	if (h == 0) {
		prob = 1.0;
	} else if (n1 == n2) {
		/* Only the Horner sum is involved; it cannot raise invalid or
		 * overflow, but can land just above 1 (spec §3.3). */
		prob = prob_outside_square(n1, h);
	} else {
		rc = outer_prob_inside(n1, n2, g, h, &prob, err);
		if (rc)
			return rc;
	}
	if (!(0 <= prob && prob <= 1)) {
		res->path = UH_KS_EXACT_FALLBACK;
		rc = asymp_pvalue(nx, ny, d, &prob, err);
		if (rc)
			return rc;
	}
	res->statistic = d;
	res->pvalue = prob;
	return 0;
}
