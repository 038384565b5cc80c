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

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* SSE2 (every x86-64) for the statistic's passes; UH_KS_NO_SSE2 builds the
 * portable scalar code instead, which computes the same. */
#if defined(__SSE2__) && defined(__x86_64__) && !defined(UH_KS_NO_SSE2)
#include <emmintrin.h>
#define FAST_SSE2 1
#else
#define FAST_SSE2 0
#endif

/* scipy's ks_2samp(method='auto') is exact iff max(n1, n2) <= MAX_AUTO_N. */
#define MAX_AUTO_N 10000

/* ================================================================ statistic */

/*
 * scipy sorts both samples and evaluates, at every pooled value v,
 *
 *     diff(v) = searchsorted(x, v, 'right') / n1 - searchsorted(y, v, 'right') / n2
 *
 * (int/int divisions, each rounded once), then D = max(max diff,
 * clip(-min diff, 0, 1)). Only the extremes of diff matter, which allows
 * skipping most of the sorting: the values are spread into n1 + n2 buckets
 * by a non-decreasing map of the value, so buckets are ordered and equal
 * values share a bucket. Inside a bucket holding only x values diff rises
 * at each distinct value, so its only candidate is its last value (for the
 * max); a y-only bucket likewise only offers its last value for the min.
 * Only buckets holding both samples are sorted and walked value by value.
 * Every diff that is evaluated is formed exactly as scipy forms it.
 */

static void insertion_sort(double *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		double v = a[i];
		size_t j = i;

		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}

static void sift_down(double *a, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;

		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (!(a[c] > a[root]))
			return;
		double t = a[c];
		a[c] = a[root];
		a[root] = t;
		root = c;
	}
}

/* Introsort: quicksort, heapsort past the depth budget, insertion at 16. */
static void sort_doubles(double *a, size_t n, int depth)
{
	while (n > 16) {
		if (depth-- == 0) {
			for (size_t i = n / 2; i-- > 0;)
				sift_down(a, i, n);
			for (size_t i = n; i-- > 1;) {
				double t = a[0];
				a[0] = a[i];
				a[i] = t;
				sift_down(a, 0, i);
			}
			return;
		}
		double x = a[0], y = a[n / 2], z = a[n - 1];
		double p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		size_t i = 0, j = n - 1;

		/* Hoare partition; the median of three keeps both scans in
		 * bounds, and stopping on equal keys splits runs of ties. */
		for (;;) {
			while (a[i] < p)
				i++;
			while (a[j] > p)
				j--;
			if (i >= j)
				break;
			double t = a[i];
			a[i++] = a[j];
			a[j--] = t;
		}
		sort_doubles(a, j + 1, depth);
		a += j + 1;
		n -= j + 1;
	}
	insertion_sort(a, n);
}

/*
 * Running extremes of diff. Evaluating diff takes two divisions, so the walk
 * first compares the exact rational diff, as the integer key
 * i*n2 - j*n1 = diff * n1 * n2. Each rounded diff is within 3 * 2^-53 of
 * its rational, and distinct rationals differ by at least 1/(n1*n2), so for
 * n1*n2 < 2^50 a rounded diff can only be a new extreme when its key at
 * least equals the extreme key. Equal keys can round differently
 * (i/n1 - j/n2 = i'/n1 - j'/n2), so those are compared as doubles, as
 * scipy's argmax sees them. Key 0 is diff +0.0 exactly (the final pooled
 * value), the starting point. Larger samples compare every diff.
 */
struct walk {
	double dn1, dn2, lo, hi;
	int64_t n1, n2, kmin, kmax;
	int keys; /* n1*n2 < 2^50: the key shortcut is sound */
	size_t i, j; /* #x <= v, #y <= v */
};

static inline void walk_eval(struct walk *w)
{
	if (!w->keys) {
		double diff = (double)w->i / w->dn1 - (double)w->j / w->dn2;

		w->hi = diff > w->hi ? diff : w->hi;
		w->lo = diff < w->lo ? diff : w->lo;
		return;
	}

	int64_t key = (int64_t)w->i * w->n2 - (int64_t)w->j * w->n1;

	if (key >= w->kmax) {
		double diff = (double)w->i / w->dn1 - (double)w->j / w->dn2;

		if (key > w->kmax || diff > w->hi)
			w->hi = diff;
		w->kmax = key;
	} else if (key <= w->kmin) {
		double diff = (double)w->i / w->dn1 - (double)w->j / w->dn2;

		if (key < w->kmin || diff < w->lo)
			w->lo = diff;
		w->kmin = key;
	}
}

/* Walk the distinct values of sorted x[0..nx) and y[0..ny), all of which
 * lie above every value counted so far. */
static void walk_merge(struct walk *w, const double *x, size_t nx, const double *y, size_t ny)
{
	size_t a = 0, b = 0, i0 = w->i, j0 = w->j;

	while (a < nx || b < ny) {
		double v = (b >= ny || (a < nx && x[a] <= y[b])) ? x[a] : y[b];

		while (a < nx && x[a] <= v)
			a++;
		while (b < ny && y[b] <= v)
			b++;
		w->i = i0 + a;
		w->j = j0 + b;
		walk_eval(w);
	}
}

/*
 * Buckets: 0 holds -inf, nb-1 holds +inf, and finite v goes to
 * 1 + floor((v/2 - min/2) * scale), clamped: non-decreasing in v, with the
 * halving keeping v - min finite for any finite pair. The fast variant is
 * for samples without infinities.
 */
static uint32_t bucket_fast(double v, double half_min, double scale, double top)
{
	double t = (v * 0.5 - half_min) * scale;

	return 1 + (uint32_t)(t < top ? t : top);
}

static uint32_t bucket_any(double v, double half_min, double scale, double top, uint32_t nb)
{
	if (isinf(v))
		return v < 0 ? 0 : nb - 1;
	return bucket_fast(v, half_min, scale, top);
}

/*
 * min and max of a[0..n) into *mn, *mx, in several lanes (the order does
 * not matter without NaN). Returns nonzero when a[] holds a NaN, which the
 * comparisons skip: one pass both validates and measures the sample.
 */
static int min_max(const double *a, size_t n, double *mn, double *mx)
{
	size_t k = 0;
	int nan = 0;
#if FAST_SSE2
	/* minpd(v, lo) is v < lo ? v : lo, as below */
	__m128d lo0 = _mm_set1_pd(*mn), lo1 = lo0, hi0 = _mm_set1_pd(*mx), hi1 = hi0;
	__m128d un = _mm_setzero_pd();

	for (; k + 4 <= n; k += 4) {
		__m128d v0 = _mm_loadu_pd(a + k), v1 = _mm_loadu_pd(a + k + 2);

		lo0 = _mm_min_pd(v0, lo0);
		lo1 = _mm_min_pd(v1, lo1);
		hi0 = _mm_max_pd(v0, hi0);
		hi1 = _mm_max_pd(v1, hi1);
		un = _mm_or_pd(un, _mm_cmpunord_pd(v0, v1));
	}
	lo0 = _mm_min_pd(lo0, lo1);
	hi0 = _mm_max_pd(hi0, hi1);
	lo0 = _mm_min_pd(lo0, _mm_unpackhi_pd(lo0, lo0));
	hi0 = _mm_max_pd(hi0, _mm_unpackhi_pd(hi0, hi0));
	*mn = _mm_cvtsd_f64(lo0);
	*mx = _mm_cvtsd_f64(hi0);
	nan = _mm_movemask_pd(un) != 0;
#endif
	for (; k < n; k++) {
		*mn = a[k] < *mn ? a[k] : *mn;
		*mx = a[k] > *mx ? a[k] : *mx;
		nan |= a[k] != a[k];
	}
	return nan;
}

static void min_max_finite(const double *a, size_t n, double *mn, double *mx)
{
	for (size_t k = 0; k < n; k++) {
		if (isinf(a[k]))
			continue;
		*mn = a[k] < *mn ? a[k] : *mn;
		*mx = a[k] > *mx ? a[k] : *mx;
	}
}

/* The error for a sample that min_max found to hold a NaN. */
static int nan_error(const double *v, size_t n, const char *name, struct uh_err *err)
{
	size_t i = 0;

	while (i < n && !isnan(v[i]))
		i++;
	return uh_err_set(err, UH_EINVAL, "ks_2samp: sample %s holds NaN at index %zu", name, i);
}

/*
 * ---------------------------------------------------------------- fast path
 *
 * For samples of at most FAST_N values each the same buckets are processed
 * in passes that mostly avoid data-dependent branches:
 *
 *  1. bucket numbers (two at a time) and per-bucket counts, packed as
 *     cx + (cy << 16) in one 32-bit word;
 *  2. the extremes kmax, kmin of the key i*n2 - j*n1 over all bucket ends
 *     (each bucket end is a pooled value: the values of later buckets are
 *     strictly larger);
 *  3. a second scan over the bucket ends: an end whose key is an extreme
 *     is evaluated as scipy evaluates it, and a bucket holding both
 *     samples whose inner points can reach an extreme (its key bounds,
 *     all x first or all y first) becomes a candidate;
 *  4. only the values of candidate buckets are gathered, sorted and walked
 *     value by value.
 *
 * Every point whose key equals the final extreme is evaluated (end points
 * at the end-key extremes in pass 3, inner points of candidates in pass
 * 4), and no point with a smaller key can round to a larger diff (see
 * struct walk), so the extremes are those of the full walk. Extremes of
 * key 0 need no evaluation: such a diff is exactly +0.0, the start value.
 *
 * Counts and keys fit in 32 bits: i, j <= 32767 and |key| <= n1*n2 < 2^30.
 * With SSE2 the passes over buckets run four buckets to a vector: a prefix
 * sum of the packed counts gives (i, j) per lane and pmaddwd (i*n2 +
 * j*(-n1), exact in 32 bits) the key.
 */
#define FAST_N 32767
#define FAST_TAG UINT32_C(0x80000000)
#define FAST_STACK 32768 /* bytes of stack before ks_statistic_fast allocates */

struct cand {
	uint32_t b;              /* the bucket */
	uint32_t i0, j0, cx, cy; /* counts before the bucket, its sizes */
	uint32_t px, py;         /* gather cursors into the value buffer */
};

struct fast {
	struct walk w;
	uint32_t *cnt;    /* per bucket cx + (cy << 16), or FAST_TAG | candidate */
	struct cand *cand;
	uint32_t ncand, nvals;
	int32_t n1, n2, kmax, kmin; /* kmax >= 1 and kmin <= -1: see pass 3 */
};

/* Pass 3 for bucket b, holding the packed counts c, after i0 x and j0 y. */
static void fast_bucket(struct fast *f, uint32_t b, uint32_t c, uint32_t i0, uint32_t j0)
{
	uint32_t cx = c & 0xffff, cy = c >> 16, i = i0 + cx, j = j0 + cy;
	int32_t key = (int32_t)i * f->n2 - (int32_t)j * f->n1;

	if (key == f->kmax || key == f->kmin) {
		f->w.i = i;
		f->w.j = j;
		walk_eval(&f->w);
	}
	if (cx && cy) {
		int32_t ub = (int32_t)i * f->n2 - (int32_t)j0 * f->n1;
		int32_t lb = (int32_t)i0 * f->n2 - (int32_t)j * f->n1;

		if (ub >= f->kmax || lb <= f->kmin) {
			struct cand *k = &f->cand[f->ncand];

			k->b = b;
			k->i0 = i0;
			k->j0 = j0;
			k->cx = cx;
			k->cy = cy;
			k->px = f->nvals;
			k->py = f->nvals + cx;
			f->nvals += cx + cy;
			f->cnt[b] = FAST_TAG | f->ncand++;
		}
	}
}

#if FAST_SSE2
/* Inclusive prefix sums of the four lanes of c, plus *carry, which
 * becomes the last lane of the result. */
static inline __m128i prefix4(__m128i c, __m128i *carry)
{
	__m128i p = _mm_add_epi32(c, _mm_slli_si128(c, 4));

	p = _mm_add_epi32(p, _mm_slli_si128(p, 8));
	p = _mm_add_epi32(p, *carry);
	*carry = _mm_shuffle_epi32(p, 0xff);
	return p;
}

static inline __m128i max4(__m128i a, __m128i b)
{
	__m128i m = _mm_cmpgt_epi32(a, b);

	return _mm_or_si128(_mm_and_si128(m, a), _mm_andnot_si128(m, b));
}

static inline __m128i min4(__m128i a, __m128i b)
{
	__m128i m = _mm_cmplt_epi32(a, b);

	return _mm_or_si128(_mm_and_si128(m, a), _mm_andnot_si128(m, b));
}

static inline int32_t hmax4(__m128i a)
{
	a = max4(a, _mm_shuffle_epi32(a, 0x4e));
	a = max4(a, _mm_shuffle_epi32(a, 0xb1));
	return _mm_cvtsi128_si32(a);
}

static inline int32_t hmin4(__m128i a)
{
	a = min4(a, _mm_shuffle_epi32(a, 0x4e));
	a = min4(a, _mm_shuffle_epi32(a, 0xb1));
	return _mm_cvtsi128_si32(a);
}
#endif

/* Pass 2: the extreme keys over all bucket ends (nbp a multiple of 4). */
static void fast_key_range(struct fast *f, uint32_t nbp)
{
#if FAST_SSE2
	const __m128i coef = _mm_set1_epi32((int32_t)((uint32_t)f->n2 | ((uint32_t)-f->n1 << 16)));
	__m128i carry = _mm_setzero_si128(), mx = carry, mn = carry;

	for (uint32_t b = 0; b < nbp; b += 4) {
		__m128i p = prefix4(_mm_load_si128((const __m128i *)(f->cnt + b)), &carry);
		__m128i k = _mm_madd_epi16(p, coef);

		mx = max4(mx, k);
		mn = min4(mn, k);
	}
	f->kmax = hmax4(mx);
	f->kmin = hmin4(mn);
#else
	int32_t key = 0, mx = 0, mn = 0;

	for (uint32_t b = 0; b < nbp; b++) {
		uint32_t c = f->cnt[b];

		key += (int32_t)(c & 0xffff) * f->n2 - (int32_t)(c >> 16) * f->n1;
		mx = key > mx ? key : mx;
		mn = key < mn ? key : mn;
	}
	f->kmax = mx;
	f->kmin = mn;
#endif
	f->kmax = f->kmax > 0 ? f->kmax : 1;
	f->kmin = f->kmin < 0 ? f->kmin : -1;
}

/* Pass 3: evaluate the extreme ends, collect the candidates. */
static void fast_scan(struct fast *f, uint32_t nbp)
{
#if FAST_SSE2
	const __m128i coef = _mm_set1_epi32((int32_t)((uint32_t)f->n2 | ((uint32_t)-f->n1 << 16)));
	const __m128i ymask = _mm_set1_epi32((int32_t)0xffff0000), xmask = _mm_set1_epi32(0xffff);
	const __m128i above = _mm_set1_epi32(f->kmax - 1), below = _mm_set1_epi32(f->kmin + 1);
	__m128i carry = _mm_setzero_si128();

	/* ub: the bucket's x all counted, none of its y; lb the reverse. For
	 * a one-sample bucket one of them is its end, the other the previous
	 * end, so an extreme end always flags its group. */
	for (uint32_t b = 0; b < nbp; b += 4) {
		__m128i c = _mm_load_si128((const __m128i *)(f->cnt + b));
		uint32_t before = (uint32_t)_mm_cvtsi128_si32(carry);
		__m128i p = prefix4(c, &carry);
		__m128i ub = _mm_madd_epi16(_mm_sub_epi32(p, _mm_and_si128(c, ymask)), coef);
		__m128i lb = _mm_madd_epi16(_mm_sub_epi32(p, _mm_and_si128(c, xmask)), coef);
		__m128i hit = _mm_or_si128(_mm_cmpgt_epi32(ub, above), _mm_cmplt_epi32(lb, below));

		if (_mm_movemask_epi8(hit)) {
			uint32_t i = before & 0xffff, j = before >> 16;

			for (uint32_t q = b; q < b + 4; q++) {
				uint32_t cq = f->cnt[q];

				fast_bucket(f, q, cq, i, j);
				i += cq & 0xffff;
				j += cq >> 16;
			}
		}
	}
#else
	uint32_t i = 0, j = 0;

	for (uint32_t b = 0; b < nbp; b++) {
		uint32_t c = f->cnt[b];

		fast_bucket(f, b, c, i, j);
		i += c & 0xffff;
		j += c >> 16;
	}
#endif
}

/* Bucket numbers of a[0..n) (no infinities) into idx, counted into cnt by
 * inc. */
static void fast_count(const double *a, size_t n, double half, double scale, double top,
		       uint32_t *idx, uint32_t *cnt, uint32_t inc)
{
	size_t k = 0;
#if FAST_SSE2
	const __m128d h = _mm_set1_pd(half), s = _mm_set1_pd(scale), t = _mm_set1_pd(top);
	const __m128d hf = _mm_set1_pd(0.5);
	const __m128i one = _mm_set1_epi32(1);

	/* as bucket_fast: minpd(u, top) is u < top ? u : top, and the
	 * truncation is exact below 2^31 */
	for (; k + 2 <= n; k += 2) {
		__m128d u = _mm_mul_pd(_mm_sub_pd(_mm_mul_pd(_mm_loadu_pd(a + k), hf), h), s);
		__m128i b = _mm_add_epi32(_mm_cvttpd_epi32(_mm_min_pd(u, t)), one);
		uint64_t q = (uint64_t)_mm_cvtsi128_si64(b);

		_mm_storel_epi64((__m128i *)(void *)(idx + k), b);
		cnt[(uint32_t)q] += inc;
		cnt[q >> 32] += inc;
	}
#endif
	for (; k < n; k++) {
		idx[k] = bucket_fast(a[k], half, scale, top);
		cnt[idx[k]] += inc;
	}
}

/* Put element k (x[k] for k < n1, else y[k - n1]) of a candidate bucket
 * into its place in s. */
static inline void gather_one(struct fast *f, const double *x, size_t n1, const double *y,
			      const uint32_t *idx, size_t k, double *s)
{
	uint32_t t = f->cnt[idx[k]];

	if (t & FAST_TAG) {
		struct cand *c = &f->cand[t & ~FAST_TAG];

		if (k < n1)
			s[c->px++] = x[k];
		else
			s[c->py++] = y[k - n1];
	}
}

/* Pass 4's gathering: the values of the candidate buckets into s, each
 * bucket's x values then its y values, in their input order. */
static void fast_gather(struct fast *f, const double *x, size_t n1, const double *y, size_t n2,
			const uint32_t *idx, double *s)
{
	size_t n = n1 + n2, k = 0;
#if FAST_SSE2
	if (f->ncand <= 4) {
		/* few candidates (the usual case): compare four bucket numbers
		 * at a time with each candidate's */
		__m128i c0, c1, c2, c3;
		uint32_t b[4];

		for (uint32_t q = 0; q < 4; q++)
			b[q] = f->cand[q < f->ncand ? q : 0].b;
		c0 = _mm_set1_epi32((int32_t)b[0]);
		c1 = _mm_set1_epi32((int32_t)b[1]);
		c2 = _mm_set1_epi32((int32_t)b[2]);
		c3 = _mm_set1_epi32((int32_t)b[3]);
		for (; k + 4 <= n; k += 4) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(idx + k));
			__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi32(v, c0), _mm_cmpeq_epi32(v, c1)),
						 _mm_or_si128(_mm_cmpeq_epi32(v, c2), _mm_cmpeq_epi32(v, c3)));

			if (_mm_movemask_epi8(m))
				for (size_t q = k; q < k + 4; q++)
					gather_one(f, x, n1, y, idx, q, s);
		}
	}
#endif
	for (; k < n; k++)
		gather_one(f, x, n1, y, idx, k, s);
}

static void sort_small(double *a, size_t n)
{
	if (n <= 16)
		insertion_sort(a, n);
	else
		sort_doubles(a, n, 64);
}

static int ks_statistic_fast(const double *x, size_t n1, const double *y, size_t n2, double *d,
			     struct uh_err *err)
{
	_Alignas(16) unsigned char stack[FAST_STACK];
	struct fast f = { { (double)n1, (double)n2, 0.0, 0.0, (int64_t)n1, (int64_t)n2, 0, 0, 1, 0, 0 },
			  NULL, NULL, 0, 0, (int32_t)n1, (int32_t)n2, 0, 0 };
	size_t n = n1 + n2, nmin = n1 < n2 ? n1 : n2;
	uint32_t nb = (uint32_t)n + 2, nbp = (nb + 3) & ~UINT32_C(3), *idx;
	double mn = INFINITY, mx = -INFINITY, half, scale, top, range, minS, *s;
	size_t bytes = nbp * sizeof(uint32_t) + ((n + 3) & ~(size_t)3) * sizeof(uint32_t) +
		       nmin * sizeof(struct cand);
	void *heap = NULL, *heap2 = NULL;
	int any_inf;

	if (min_max(x, n1, &mn, &mx))
		return nan_error(x, n1, "x", err);
	if (min_max(y, n2, &mn, &mx))
		return nan_error(y, n2, "y", err);
	any_inf = isinf(mn) || isinf(mx);
	if (any_inf) {
		mn = INFINITY;
		mx = -INFINITY;
		min_max_finite(x, n1, &mn, &mx);
		min_max_finite(y, n2, &mn, &mx);
	}
	half = mn * 0.5;
	range = mx * 0.5 - half;
	scale = range > 0 ? (double)n / range : 0.0;
	if (!isfinite(scale) || !(scale > 0))
		scale = 0.0;
	top = (double)(n - 1);

	/* cnt (16-byte aligned), idx, candidates; the gathered values after
	 * them if they fit */
	if (bytes <= sizeof(stack)) {
		f.cnt = (uint32_t *)(void *)stack;
	} else {
		heap = malloc(bytes);
		if (!heap)
			return uh_err_set(err, UH_ENOMEM, "ks_2samp: out of memory for %zu values", n);
		f.cnt = heap;
	}
	idx = f.cnt + nbp;
	f.cand = (struct cand *)(void *)(idx + ((n + 3) & ~(size_t)3));
	memset(f.cnt, 0, nbp * sizeof(uint32_t));

	if (any_inf) {
		for (size_t k = 0; k < n1; k++)
			idx[k] = bucket_any(x[k], half, scale, top, nb);
		for (size_t k = 0; k < n2; k++)
			idx[n1 + k] = bucket_any(y[k], half, scale, top, nb);
		for (size_t k = 0; k < n1; k++)
			f.cnt[idx[k]] += 1;
		for (size_t k = 0; k < n2; k++)
			f.cnt[idx[n1 + k]] += 0x10000;
	} else {
		fast_count(x, n1, half, scale, top, idx, f.cnt, 1);
		fast_count(y, n2, half, scale, top, idx + n1, f.cnt, 0x10000);
	}

	fast_key_range(&f, nbp);
	fast_scan(&f, nbp);

	if (f.ncand) {
		size_t used = bytes <= sizeof(stack) ? (bytes + 15) & ~(size_t)15 : 0;

		if (used + f.nvals * sizeof(double) <= sizeof(stack)) {
			s = (double *)(void *)(stack + used);
		} else {
			heap2 = malloc(f.nvals * sizeof(double));
			if (!heap2) {
				free(heap);
				return uh_err_set(err, UH_ENOMEM, "ks_2samp: out of memory for %zu values", n);
			}
			s = heap2;
		}
		fast_gather(&f, x, n1, y, n2, idx, s);
		for (uint32_t c = 0; c < f.ncand; c++) {
			const struct cand *k = &f.cand[c];
			double *xs = s + (k->px - k->cx), *ys = s + (k->py - k->cy);

			sort_small(xs, k->cx);
			sort_small(ys, k->cy);
			f.w.i = k->i0;
			f.w.j = k->j0;
			walk_merge(&f.w, xs, k->cx, ys, k->cy);
		}
		free(heap2);
	}
	free(heap);

	minS = -f.w.lo;
	minS = minS > 0.0 ? minS : 0.0;
	minS = minS < 1.0 ? minS : 1.0;
	*d = minS > f.w.hi ? minS : f.w.hi;
	return 0;
}

/* The general statistic: any sizes. */
static int ks_statistic_general(const double *x, size_t n1, const double *y, size_t n2, double *d,
				struct uh_err *err)
{
	struct walk w = { (double)n1, (double)n2, 0.0, 0.0, (int64_t)n1, (int64_t)n2, 0, 0,
			  (uint64_t)n1 < (UINT64_C(1) << 50) / n2, 0, 0 };
	size_t n = n1 + n2, nbf = n, start = 0;
	uint32_t nb = (uint32_t)(nbf + 2), *idx, *A, *B;
	double mn = INFINITY, mx = -INFINITY, half, scale, top, range, minS, *s;
	int any_inf;

	/* NaN is refused here (scipy 1.10 gives garbage, 1.12 NaN) */
	if (min_max(x, n1, &mn, &mx))
		return nan_error(x, n1, "x", err);
	if (min_max(y, n2, &mn, &mx))
		return nan_error(y, n2, "y", err);
	any_inf = isinf(mn) || isinf(mx);
	if (any_inf) {
		mn = INFINITY;
		mx = -INFINITY;
		min_max_finite(x, n1, &mn, &mx);
		min_max_finite(y, n2, &mn, &mx);
	}
	half = mn * 0.5;
	range = mx * 0.5 - half;
	scale = range > 0 ? (double)nbf / range : 0.0;
	if (!isfinite(scale) || !(scale > 0))
		scale = 0.0; /* no finite values, all equal, or a subnormal range */
	top = (double)(nbf - 1);

	/* one block: s (n doubles), then A and B (nb counts each, zeroed),
	 * then idx (n bucket numbers) */
	s = malloc(n * sizeof(*s) + (2 * (size_t)nb + n) * sizeof(uint32_t));
	if (!s)
		return uh_err_set(err, UH_ENOMEM, "ks_2samp: out of memory for %zu values", n);
	A = (uint32_t *)(s + n);
	idx = A + 2 * (size_t)nb;
	memset(A, 0, 2 * (size_t)nb * sizeof(*A));
	B = A + nb;
	if (any_inf) {
		for (size_t k = 0; k < n1; k++)
			idx[k] = bucket_any(x[k], half, scale, top, nb);
		for (size_t k = 0; k < n2; k++)
			idx[n1 + k] = bucket_any(y[k], half, scale, top, nb);
	} else {
		for (size_t k = 0; k < n1; k++)
			idx[k] = bucket_fast(x[k], half, scale, top);
		for (size_t k = 0; k < n2; k++)
			idx[n1 + k] = bucket_fast(y[k], half, scale, top);
	}
	for (size_t k = 0; k < n1; k++)
		A[idx[k]]++;
	for (size_t k = 0; k < n2; k++)
		B[idx[n1 + k]]++;
	/* counts -> starts: bucket b is s[A[b] ..) x part, s[B[b] ..) y part */
	for (uint32_t b = 0, pos = 0; b < nb; b++) {
		uint32_t cx = A[b], cy = B[b];

		A[b] = pos;
		B[b] = pos + cx;
		pos += cx + cy;
	}
	for (size_t k = 0; k < n1; k++)
		s[A[idx[k]]++] = x[k];
	for (size_t k = 0; k < n2; k++)
		s[B[idx[n1 + k]]++] = y[k];
	/* now A[b] ends the x part (starts the y part), B[b] ends bucket b */
	for (uint32_t b = 0; b < nb; b++) {
		size_t kx = A[b] - start, ky = B[b] - A[b];

		if (kx && ky) {
			if (kx == 1 && ky == 1) {
				/* the common mixed bucket, branch-free: the lower
				 * value first (both at once when they tie) */
				double u = s[start], v = s[start + 1];
				size_t i = w.i, j = w.j;

				w.i = i + (u <= v);
				w.j = j + (v <= u);
				walk_eval(&w);
				w.i = i + 1;
				w.j = j + 1;
			} else {
				sort_doubles(s + start, kx, 64);
				sort_doubles(s + A[b], ky, 64);
				walk_merge(&w, s + start, kx, s + A[b], ky);
				start = B[b];
				continue;
			}
		} else {
			/* one sample only, or empty (re-evaluating is harmless) */
			w.i += kx;
			w.j += ky;
		}
		walk_eval(&w);
		start = B[b];
	}
	free(s);

	/* np.clip(-min, 0, 1): max(a, 0) keeps a only when a > 0, so -0.0
	 * becomes +0.0. */
	minS = -w.lo;
	minS = minS > 0.0 ? minS : 0.0;
	minS = minS < 1.0 ? minS : 1.0;
	*d = minS > w.hi ? minS : w.hi;
	return 0;
}

static int ks_statistic(const double *x, size_t n1, const double *y, size_t n2, double *d,
			struct uh_err *err)
{
	if (n1 <= FAST_N && n2 <= FAST_N)
		return ks_statistic_fast(x, n1, y, n2, d, err);
	return ks_statistic_general(x, n1, y, n2, d, err);
}

/* ================================================================ exact p-values */

/*
 * n1 == n2 == n: 2 * sum_k (-1)^(k+1) C(2n, n-kh) / C(2n, n) in scipy's
 * Horner form:
 *
 *     P = 0; for k = n//h down to 0: p1 = prod_j (n-kh-j)/(n+kh+j+1)
 *                                     (left to right); P = p1 * (1 - P)
 *
 * The products p1 for different k are independent chains of
 * multiply-divide, so they run up to 2 * SQ_V at a time, two to a vector
 * (each lane with exactly scipy's operations), and are then folded into P
 * in scipy's order. With enough chains in flight the loop runs at the
 * divider's throughput instead of its latency; the lanes are split evenly
 * over the blocks so that few divisions are wasted on unused lanes.
 * Integer operands are exact in double (n <= 10000).
 */
#define SQ_V 8

typedef double v2d __attribute__((vector_size(16)));

/* out[r] = prod_{j<h} (num[r] - j) * p / (den[r] + j) for r < 2 * nv. */
static void horner_block(const double *num, const double *den, int64_t h, int nv, double *out)
{
	const v2d one = { 1.0, 1.0 };
	v2d p0 = one, p1 = one, p2 = one, p3 = one, p4 = one, p5 = one, p6 = one, p7 = one;
#define LANES(a, k) ((v2d){ (a)[2 * (k)], (a)[2 * (k) + 1] })
	const v2d a0 = LANES(num, 0), a1 = LANES(num, 1), a2 = LANES(num, 2), a3 = LANES(num, 3);
	const v2d a4 = LANES(num, 4), a5 = LANES(num, 5), a6 = LANES(num, 6), a7 = LANES(num, 7);
	const v2d d0 = LANES(den, 0), d1 = LANES(den, 1), d2 = LANES(den, 2), d3 = LANES(den, 3);
	const v2d d4 = LANES(den, 4), d5 = LANES(den, 5), d6 = LANES(den, 6), d7 = LANES(den, 7);
#undef LANES

	for (int64_t j = 0; j < h; j++) {
		const v2d dj = { (double)j, (double)j };

		p0 = (a0 - dj) * p0 / (d0 + dj);
		if (nv > 1)
			p1 = (a1 - dj) * p1 / (d1 + dj);
		if (nv > 2)
			p2 = (a2 - dj) * p2 / (d2 + dj);
		if (nv > 3)
			p3 = (a3 - dj) * p3 / (d3 + dj);
		if (nv > 4)
			p4 = (a4 - dj) * p4 / (d4 + dj);
		if (nv > 5)
			p5 = (a5 - dj) * p5 / (d5 + dj);
		if (nv > 6)
			p6 = (a6 - dj) * p6 / (d6 + dj);
		if (nv > 7)
			p7 = (a7 - dj) * p7 / (d7 + dj);
	}
	memcpy(out, &p0, sizeof(p0));
	memcpy(out + 2, &p1, sizeof(p1));
	memcpy(out + 4, &p2, sizeof(p2));
	memcpy(out + 6, &p3, sizeof(p3));
	memcpy(out + 8, &p4, sizeof(p4));
	memcpy(out + 10, &p5, sizeof(p5));
	memcpy(out + 12, &p6, sizeof(p6));
	memcpy(out + 14, &p7, sizeof(p7));
}

static double prob_outside_square(int64_t n, int64_t h)
{
	int64_t kb = n / h, nblk = (kb + 2 * SQ_V) / (2 * SQ_V);
	double P = 0.0;

	/* blocks of lanes k = kb, kb-1, ...; unused lanes compute 0 * p:
	 * no traps, no subnormals */
	for (int64_t blk = nblk; blk > 0; blk--) {
		int cnt = (int)((kb + blk) / blk); /* ceil((kb + 1) / blk) */
		double num[2 * SQ_V], den[2 * SQ_V], out[2 * SQ_V];

		for (int r = 0; r < 2 * SQ_V; r++) {
			int64_t k = kb - r;

			num[r] = r < cnt ? (double)(n - k * h) : 0.0;
			den[r] = r < cnt ? (double)(n + k * h + 1) : 1.0;
		}
		horner_block(num, den, h, (cnt + 1) / 2, out);
		for (int r = 0; r < cnt; r++)
			P = out[r] * (1.0 - P);
		kb -= cnt;
	}
	return 2 * P;
}

/*
 * Viehmann's recursion for 1 - P(inside), n1 != n2 (scipy's pythran
 * `_compute_outer_prob_inside_method`), m >= n after the swap.
 *
 * scipy walks the lattice row by row (i = 1..m) over a band of columns
 * [minj_i, maxj_i), in place in a sliding window A:
 *
 *     V(i, j) = (V(i-1, j) * i + V(i, j-1) * j) / (i + j)
 *
 * with V(i, minj_i - 1) = (minj_i == 0 ? 0 : 1), and V(i-1, j) = 1 for
 * j >= maxj_{i-1}: the window entries past the previous band are always 1
 * (initial ones, or reset by the slice assignment, which never reaches
 * scipy's clamp at lenA because both bands ever only move right). The
 * answer is V(m, maxj_m - 1), or 1.0 as soon as a band is empty.
 *
 * Each V is one dependent chain of multiply, add and a divide, so the
 * row-by-row loop runs at the divider's latency. Here blocks of R rows move
 * as a wavefront instead: at time T, lane r (row i0 + r) computes column
 * T - r, which needs lane r-1's value from time T-1 and its own. Within a
 * step every lane divides by the same i + j = i0 + T and the lanes are
 * independent, so they go two to a vector (GNU vector extensions: SSE2 on
 * x86-64); lanes outside their band take their constants by a blend. Every
 * value is still formed by exactly scipy's operations on exactly scipy's
 * operands, so the result is bit-identical. This buys the divider's
 * throughput instead of its latency; the divisions themselves stay.
 * `prev` holds, by absolute column, the last row of the previous block.
 */
#define WAVE_R 8

typedef long long v2i __attribute__((vector_size(16)));

struct band {
	int64_t lo, hi; /* [minj, maxj) */
};

/* Lane-wise m ? a : b, by bits (m is all ones or all zeros per lane). */
static inline v2d select2(v2i m, v2d a, v2d b)
{
	return (v2d)((m & (v2i)a) | (~m & (v2i)b));
}

/*
 * Rows i0 .. i0+WAVE_R-1 as one wavefront, two lanes to a vector. At each
 * step every lane computes its next value; a lane not yet at its band keeps
 * its initial value (0 or 1), a lane past its band yields 1 (what the row
 * below reads there), as in scipy's window.
 */
static void wave_block(int64_t i0, const struct band *bd, double *prev)
{
	int64_t ts = bd[0].lo, te = 0, tlo = 0, thi = INT64_MAX;
	v2d W0, W1, W2, W3, I0, I1, I2, I3, L0, L1, L2, L3, H0, H1, H2, H3, N0, N1, N2, N3;
	const v2d one = { 1.0, 1.0 }, two = { 2.0, 2.0 };
	double ini[WAVE_R], lo[WAVE_R], hi[WAVE_R];

	for (int r = 0; r < WAVE_R; r++) {
		ini[r] = bd[r].lo == 0 ? 0.0 : 1.0;
		lo[r] = (double)bd[r].lo;
		hi[r] = (double)bd[r].hi;
		if (bd[r].hi - 1 + r > te)
			te = bd[r].hi - 1 + r;
		/* [tlo, thi): every lane inside its band */
		if (bd[r].lo + r > tlo)
			tlo = bd[r].lo + r;
		if (bd[r].hi + r < thi)
			thi = bd[r].hi + r;
	}
	if (thi < tlo)
		thi = tlo;
#define LANES(a, k) ((v2d){ (a)[2 * (k)], (a)[2 * (k) + 1] })
	W0 = N0 = LANES(ini, 0);
	W1 = N1 = LANES(ini, 1);
	W2 = N2 = LANES(ini, 2);
	W3 = N3 = LANES(ini, 3);
	L0 = LANES(lo, 0), L1 = LANES(lo, 1), L2 = LANES(lo, 2), L3 = LANES(lo, 3);
	H0 = LANES(hi, 0), H1 = LANES(hi, 1), H2 = LANES(hi, 2), H3 = LANES(hi, 3);
#undef LANES
	I0 = (v2d){ (double)i0, (double)(i0 + 1) };
	I1 = I0 + two;
	I2 = I1 + two;
	I3 = I2 + two;

	/* J0 = columns of lanes 0 and 1 = (T, T-1); S = i + j = i0 + T. The
	 * masked step also settles lanes outside their bands. */
	v2d J0 = { (double)ts, (double)(ts - 1) };
	v2d S = { (double)(i0 + ts), (double)(i0 + ts) };
#define WAVE_STEP(MASKED)                                                            \
	do {                                                                         \
		v2d J1 = J0 - two, J2 = J1 - two, J3 = J2 - two;                     \
		v2d P0 = { prev[T], W0[0] }, P1 = { W0[1], W1[0] };                  \
		v2d P2 = { W1[1], W2[0] }, P3 = { W2[1], W3[0] };                    \
		W0 = (P0 * I0 + W0 * J0) / S;                                        \
		W1 = (P1 * I1 + W1 * J1) / S;                                        \
		W2 = (P2 * I2 + W2 * J2) / S;                                        \
		W3 = (P3 * I3 + W3 * J3) / S;                                        \
		if (MASKED) {                                                        \
			W0 = select2(J0 < L0, N0, select2(J0 >= H0, one, W0));       \
			W1 = select2(J1 < L1, N1, select2(J1 >= H1, one, W1));       \
			W2 = select2(J2 < L2, N2, select2(J2 >= H2, one, W2));       \
			W3 = select2(J3 < L3, N3, select2(J3 >= H3, one, W3));       \
		}                                                                    \
		prev[T - (WAVE_R - 1)] = W3[1];                                      \
		J0 += one;                                                           \
		S += one;                                                            \
	} while (0)

	int64_t T = ts;
	for (; T < tlo && T <= te; T++)
		WAVE_STEP(1);
	for (; T < thi; T++)
		WAVE_STEP(0);
	for (; T <= te; T++)
		WAVE_STEP(1);
#undef WAVE_STEP
}

/* The same recursion row by row, for the last m mod WAVE_R rows. */
static void rows_scalar(int64_t i0, int nr, const struct band *bd, double *prev)
{
	for (int r = 0; r < nr; r++) {
		int64_t i = i0 + r;
		double val = bd[r].lo == 0 ? 0.0 : 1.0;

		/* prev[j] still holds row i-1 (1 past its band); overwrite in
		 * place, as each column is read just before it is written. */
		for (int64_t j = bd[r].lo; j < bd[r].hi; j++) {
			val = (prev[j] * (double)i + val * (double)j) / (double)(i + j);
			prev[j] = val;
		}
	}
}

static int outer_prob_inside(int64_t m, int64_t n, int64_t g, int64_t h,
			     double *out, struct uh_err *err)
{
	if (m < n) {
		int64_t t = m;
		m = n;
		n = t;
	}
	int64_t mg = m / g, ng = n / g;
	struct band *bd;
	double *buf, *prev;

	bd = malloc((size_t)(m + 1) * sizeof(*bd));
	/* prev covers columns -WAVE_R .. n + 1 + WAVE_R: lane 0 reads up to
	 * WAVE_R - 1 columns past the band, the last lane writes up to
	 * WAVE_R - 1 columns before it. */
	buf = malloc((size_t)(n + 2 + 2 * WAVE_R) * sizeof(*buf));
	if (!bd || !buf) {
		free(bd);
		free(buf);
		return uh_err_set(err, UH_ENOMEM, "ks_2samp: out of memory for the %lld x %lld lattice",
				  (long long)m, (long long)n);
	}
	prev = buf + WAVE_R;

	/* int(np.ceil(h / mg)) etc. are true divisions; with h <= lcm <= 1e8
	 * the double quotient never rounds across an integer, but follow the
	 * reference anyway. */
	bd[0].lo = 0;
	bd[0].hi = (int64_t)ceil((double)h / (double)mg);
	if (bd[0].hi > n + 1)
		bd[0].hi = n + 1;
	for (int64_t i = 1; i <= m; i++) {
		int64_t lo = (int64_t)floor((double)(ng * i - h) / (double)mg) + 1;
		int64_t hi = (int64_t)ceil((double)(ng * i + h) / (double)mg);

		lo = lo < 0 ? 0 : (lo > n ? n : lo);
		hi = hi > n + 1 ? n + 1 : hi;
		if (hi <= lo) {
			/* scipy returns 1.0 at the first empty band, whatever
			 * the rows before it held */
			free(bd);
			free(buf);
			*out = 1.0;
			return 0;
		}
		bd[i].lo = lo;
		bd[i].hi = hi;
	}

	for (int64_t c = -WAVE_R; c < n + 2 + WAVE_R; c++)
		prev[c] = c < bd[0].hi ? 0.0 : 1.0;
	int64_t i0 = 1;
	for (; i0 + WAVE_R - 1 <= m; i0 += WAVE_R)
		wave_block(i0, bd + i0, prev);
	rows_scalar(i0, (int)(m - i0 + 1), bd + i0, prev);
	*out = prev[bd[m].hi - 1];
	free(bd);
	free(buf);
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

/* Row i's column range [j1, j2] in Pomeranz's recursion (scipy
 * `_pomeranz_compute_j1j2`). */
static void pomeranz_j1j2(long i, long n, long ll, long ceilf, long roundf, long *j1, long *j2)
{
	long a, b;

	if (i == 0) {
		a = -ll - ceilf - 1;
		b = ll + ceilf - 1;
	} else {
		long half = (i + 1) / 2;

		if ((i + 1) % 2 == 0) { /* i odd */
			if (half == n + 1) {
				a = n - ll - ceilf - 1;
				b = n + ll + ceilf - 1;
			} else {
				a = half - 1 - ll - roundf - 1;
				b = half + ll - 1 + ceilf - 1;
			}
		} else {
			a = half - 1 - ll - 1;
			b = half + ll + roundf - 1;
		}
	}
	*j1 = a + 2 > 0 ? a + 2 : 0;
	*j2 = b < n ? b : n;
}

/*
 * out[0..len) = entries [start, start+len) of np.convolve(a[0..na),
 * v[0..nv)). numpy swaps so that the first operand is the longer (v
 * strictly longer), then sums each entry over the first operand's index in
 * ascending order, from 0.0 (netlib ddot and numpy's small kernels both add
 * left to right).
 */
static void np_convolve_part(const double *a, long na, const double *v, long nv, long start,
			     long len, double *out)
{
	if (nv > na) {
		const double *t = a;
		long tn = na;
		a = v;
		na = nv;
		v = t;
		nv = tn;
	}
	for (long k = start; k < start + len; k++) {
		long lo = k - (nv - 1) > 0 ? k - (nv - 1) : 0, hi = k < na - 1 ? k : na - 1;
		double sum = 0.0;

		for (long i = lo; i <= hi; i++)
			sum += a[i] * v[k - i];
		out[k - start] = sum;
	}
}

/*
 * Pomeranz's recursion for the CDF (scipy `_kolmogn_Pomeranz`), for
 * n <= 140 and 0.754693 < n x^2 <= 4. Long double for the same reason as
 * in kolmogn_dmtw: scipy's rescaling by 2^-128 promotes to longdouble.
 */
static int kolmogn_pomeranz(long n, double x, long double *cdf, struct uh_err *err)
{
	const double ep128 = ldexp(1.0, 128), em128 = ldexp(1.0, -128);
	double t = (double)n * x, f, g, *gp, *tgp, *ogp, *V0, *V1, *tmp, gon, tgon, ogon;
	long ll = (long)floor(t), ceilf, roundf, npwrs, expnt = 0, v0s = 0, v1s = 0, j1, j2;

	f = 1.0 * (t - (double)ll);
	g = (1.0 - f) < f ? 1.0 - f : f;
	ceilf = f > 0 ? 1 : 0;
	roundf = f > 0.5 ? 1 : 0;
	npwrs = 2 * (ll + 1);
	gp = malloc((size_t)(6 * npwrs) * sizeof(double));
	if (!gp)
		return uh_err_set(err, UH_ENOMEM, "ks_2samp: out of memory for Pomeranz's recursion");
	tgp = gp + npwrs;
	ogp = tgp + npwrs;
	V0 = ogp + npwrs;
	V1 = V0 + npwrs;
	tmp = V1 + npwrs;

	gp[0] = tgp[0] = ogp[0] = 1.0;
	gon = g / (double)n;
	tgon = 2 * g / (double)n;
	ogon = (1 - 2 * g) / (double)n;
	for (long m = 1; m < npwrs; m++) {
		gp[m] = gp[m - 1] * gon / (double)m;
		tgp[m] = tgp[m - 1] * tgon / (double)m;
		ogp[m] = ogp[m - 1] * ogon / (double)m;
	}
	for (long k = 0; k < npwrs; k++)
		V0[k] = V1[k] = 0.0;
	V1[0] = 1;

	pomeranz_j1j2(0, n, ll, ceilf, roundf, &j1, &j2);
	for (long i = 1; i < 2 * n + 2; i++) {
		long k1 = j1, s;
		double *sw = V0;
		const double *pw;

		V0 = V1;
		V1 = sw;
		s = v0s;
		v0s = v1s;
		v1s = s;
		for (long k = 0; k < npwrs; k++)
			V1[k] = 0.0;
		pomeranz_j1j2(i, n, ll, ceilf, roundf, &j1, &j2);
		pw = (i == 1 || i == 2 * n + 1) ? gp : (i % 2 ? tgp : ogp);
		long ln2 = j2 - k1 + 1;
		if (ln2 > 0) {
			/* numpy slices clamp at the array end */
			long off = k1 - v0s, na = off + ln2 <= npwrs ? ln2 : npwrs - off;
			long nv = ln2 <= npwrs ? ln2 : npwrs;
			long cstart = j1 - k1, clen = j2 - j1 + 1;

			if (off < 0 || na <= 0 || clen > npwrs || cstart < 0 ||
			    cstart + clen > na + nv - 1) {
				free(gp);
				return uh_err_set(err, UH_EINTERNAL,
						  "ks_2samp: Pomeranz window out of range (n=%ld, x=%.17g)", n, x);
			}
			np_convolve_part(V0 + off, na, pw, nv, cstart, clen, tmp);
			memcpy(V1, tmp, (size_t)clen * sizeof(double));
			double mx = V1[0];
			for (long k = 1; k < npwrs; k++)
				mx = V1[k] > mx ? V1[k] : mx;
			if (0 < mx && mx < em128) {
				for (long k = 0; k < npwrs; k++)
					V1[k] *= ep128;
				expnt -= 128;
			}
			v1s = v0s + j1 - k1;
		}
	}
	if (n - v1s < 0 || n - v1s >= npwrs) {
		free(gp);
		return uh_err_set(err, UH_EINTERNAL, "ks_2samp: Pomeranz result out of range (n=%ld, x=%.17g)",
				  n, x);
	}

	double ans = V1[n - v1s];
	long double al = 0.0L;
	int promoted = 0;
	free(gp);
	for (long m = 1; m <= n; m++) {
		if (!promoted) {
			if (fabs(ans) > ep128) {
				al = (long double)ans * (long double)em128;
				promoted = 1;
				expnt += 128;
				al *= (long double)m;
			} else {
				ans *= (double)m;
			}
		} else {
			if (fabsl(al) > (long double)ep128) {
				al *= (long double)em128;
				expnt += 128;
			}
			al *= (long double)m;
		}
	}
	if (!promoted)
		al = expnt != 0 ? (long double)ldexp(ans, (int)expnt) : (long double)ans;
	else if (expnt != 0)
		al = ldexpl(al, (int)expnt);
	*cdf = al < 0.0L ? 0.0L : (al > 1.0L ? 1.0L : al);
	return 0;
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
 * support check). The branches that need cephes `smirnov` (double-double
 * arithmetic) are not ported: they fail with UH_ENUM instead of returning a
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
			long double cdf = 0.0L;
			int rc = kolmogn_dmtw(n, x, &cdf, err);
			if (rc)
				return rc;
			long double s = 1.0L - cdf;
			*sf = (double)(s < 0.0L ? 0.0L : (s > 1.0L ? 1.0L : s));
			return 0;
		}
		if (nxsq <= 4) {
			long double cdf = 0.0L;
			int rc = kolmogn_pomeranz(n, x, &cdf, err);
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
		long double cdf = 0.0L;
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
			  "ks_2samp: kstwo.sf(%.17g, n=%ld) needs scipy's cephes smirnov "
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
	return 0;
}

int uh_ks_exact_prob(size_t n1, size_t n2, long long h, double *prob, struct uh_err *err)
{
	uh_err_clear(err);
	if (n1 < 1 || n2 < 1 || n1 > MAX_AUTO_N || n2 > MAX_AUTO_N)
		return uh_err_set(err, UH_EINVAL, "ks exact probability: sizes %zu and %zu not in [1, %d]",
				  n1, n2, MAX_AUTO_N);

	int64_t a = (int64_t)n1, b = (int64_t)n2, g = (int64_t)gcd_size(n1, n2);
	int64_t lcm = (a / g) * b;

	if (h < 1 || h > lcm)
		return uh_err_set(err, UH_EINVAL, "ks exact probability: h = %lld not in [1, %lld]",
				  h, (long long)lcm);
	if (a == b) {
		*prob = prob_outside_square(a, h);
		return 0;
	}
	return outer_prob_inside(a, b, g, h, prob, err);
}

int uh_ks_2samp(const double *x, size_t nx, const double *y, size_t ny,
		struct uh_ks_result *res, struct uh_err *err)
{
	double d = 0.0, prob = 1.0;
	size_t nmax = nx > ny ? nx : ny;
	int rc;

	uh_err_clear(err);
	if ((rc = check_sample(x, nx, "x", err)) || (rc = check_sample(y, ny, "y", err)))
		return rc;
	/* the statistic's bucket indices are 32-bit */
	if (nx > UINT32_MAX - 2 || ny > UINT32_MAX - 2 - nx)
		return uh_err_set(err, UH_EINVAL, "ks_2samp: samples too large (%zu, %zu)", nx, ny);
	if ((rc = ks_statistic(x, nx, y, ny, &d, err)))
		return rc;

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
	int64_t g = (int64_t)gcd_size(nx, ny);
	int64_t lcm = ((int64_t)nx / g) * (int64_t)ny;
	int64_t h = (int64_t)rint(d * (double)lcm);

	d = (double)h * 1.0 / (double)lcm;
	if (h == 0)
		prob = 1.0;
	else if ((rc = uh_ks_exact_prob(nx, ny, h, &prob, err)))
		return rc;
	/* n1 == n2 uses only the Horner sum: it cannot raise invalid or
	 * overflow, but lands just above 1 for small h (spec §3.3) */
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
