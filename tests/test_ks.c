/*
 * metrics/ks.c against scipy 1.10.1 ks_2samp: the 205 shared vectors
 * (../shared/vectors/ks_vectors.jsonl) bit for bit, the rows made by
 * tests/data/ks_extra_gen.py (sizes to 250000, every kstwo branch) and
 * tests/data/ks_random_gen.py (infinities, signed zeros, subnormals, ties),
 * the exact recursions against plain transcriptions, and the error cases.
 */
#include "metrics/ks.h"
#include "tests/testutil.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* A JSON array of numbers as a malloc'd double array (never NULL). */
static double *read_array(const cJSON *arr, size_t *n)
{
	const cJSON *v;
	size_t k = 0;
	double *a;

	cr_assert(cJSON_IsArray(arr));
	*n = (size_t)cJSON_GetArraySize(arr);
	a = malloc((*n ? *n : 1) * sizeof(double));
	cr_assert_not_null(a);
	cJSON_ArrayForEach(v, arr) {
		cr_assert(cJSON_IsNumber(v));
		a[k++] = v->valuedouble;
	}
	return a;
}

static enum uh_ks_path path_of(const char *s)
{
	if (strcmp(s, "exact") == 0)
		return UH_KS_EXACT;
	if (strcmp(s, "exact_failed_fallback_asymp") == 0)
		return UH_KS_EXACT_FALLBACK;
	cr_assert(strcmp(s, "asymp") == 0, "unknown path '%s'", s);
	return UH_KS_ASYMP;
}

Test(ks, shared_vectors_bit_for_bit)
{
	size_t len, n, exact = 0, fallback = 0;
	char *buf = uh_test_slurp(uh_test_shared("vectors/ks_vectors.jsonl"), &len);
	char **lines = uh_test_lines(buf, len, &n);

	cr_assert_eq(n, 205, "expected 205 vectors, found %zu", n);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_Parse(lines[i]);
		size_t nx, ny;
		struct uh_ks_result r;
		struct uh_err err;

		cr_assert_not_null(o, "line %zu: bad json", i + 1);
		double *x = read_array(cJSON_GetObjectItem(o, "x"), &nx);
		double *y = read_array(cJSON_GetObjectItem(o, "y"), &ny);
		double ws = cJSON_GetObjectItem(o, "statistic")->valuedouble;
		double wp = cJSON_GetObjectItem(o, "pvalue")->valuedouble;
		enum uh_ks_path wpath = path_of(cJSON_GetObjectItem(o, "path")->valuestring);
		const char *tag = cJSON_GetObjectItem(o, "tag")->valuestring;

		int rc = uh_ks_2samp(x, nx, y, ny, &r, &err);
		cr_assert_eq(rc, 0, "line %zu (%s): %s", i + 1, tag, err.msg);
		cr_expect(same_bits(r.statistic, ws), "line %zu (%s, %zu vs %zu): D %.17g, scipy %.17g",
			  i + 1, tag, nx, ny, r.statistic, ws);
		cr_expect(same_bits(r.pvalue, wp), "line %zu (%s, %zu vs %zu): p %.17g, scipy %.17g",
			  i + 1, tag, nx, ny, r.pvalue, wp);
		cr_expect_eq(r.path, wpath, "line %zu (%s): path %d, scipy %d", i + 1, tag, r.path, wpath);
		exact += wpath == UH_KS_EXACT;
		fallback += wpath == UH_KS_EXACT_FALLBACK;
		free(x);
		free(y);
		cJSON_Delete(o);
	}
	cr_expect_eq(exact, 177);
	cr_expect_eq(fallback, 28);
	free(lines);
	free(buf);
}

/*
 * Extra rows (tests/data/ks_extra.jsonl) describe their samples by a
 * formula both sides evaluate exactly: v_i = ((i*a + b) mod p) / p + s for
 * i in [0, n), which keeps samples of 20000 values out of the repository.
 */
static double *gen_sample(const cJSON *spec, size_t *n)
{
	size_t cnt = (size_t)cJSON_GetArrayItem(spec, 0)->valuedouble;
	long long a = (long long)cJSON_GetArrayItem(spec, 1)->valuedouble;
	long long b = (long long)cJSON_GetArrayItem(spec, 2)->valuedouble;
	long long p = (long long)cJSON_GetArrayItem(spec, 3)->valuedouble;
	double s = cJSON_GetArrayItem(spec, 4)->valuedouble;
	double *v = malloc(cnt * sizeof(double));

	cr_assert_not_null(v);
	for (size_t i = 0; i < cnt; i++)
		v[i] = (double)(((long long)i * a + b) % p) / (double)p + s;
	*n = cnt;
	return v;
}

Test(ks, extra_rows)
{
	size_t len, n, bits = 0, unported = 0;
	char *buf = uh_test_slurp("tests/data/ks_extra.jsonl", &len);
	char **lines = uh_test_lines(buf, len, &n);

	cr_assert_gt(n, 50);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_Parse(lines[i]);
		size_t nx, ny;
		struct uh_ks_result r;
		struct uh_err err;

		cr_assert_not_null(o, "line %zu: bad json", i + 1);
		double *x = gen_sample(cJSON_GetObjectItem(o, "x"), &nx);
		double *y = gen_sample(cJSON_GetObjectItem(o, "y"), &ny);
		double ws = cJSON_GetObjectItem(o, "statistic")->valuedouble;
		double wp = cJSON_GetObjectItem(o, "pvalue")->valuedouble;
		enum uh_ks_path wpath = path_of(cJSON_GetObjectItem(o, "path")->valuestring);
		const char *branch = cJSON_GetObjectItem(o, "branch")->valuestring;

		int rc = uh_ks_2samp(x, nx, y, ny, &r, &err);
		if (strcmp(branch, "smirnov") == 0) {
			/* not ported: must fail loudly, not guess */
			cr_expect_eq(rc, UH_ENUM, "line %zu (%s): rc %d", i + 1, branch, rc);
			cr_expect(strstr(err.msg, "does not implement") != NULL, "line %zu: %s", i + 1, err.msg);
			unported++;
		} else {
			cr_assert_eq(rc, 0, "line %zu (%s): %s", i + 1, branch, err.msg);
			cr_expect(same_bits(r.statistic, ws), "line %zu: D %.17g, scipy %.17g",
				  i + 1, r.statistic, ws);
			cr_expect_eq(r.path, wpath, "line %zu: path %d, scipy %d", i + 1, r.path, wpath);
			if (wpath == UH_KS_ASYMP && strcmp(branch, "exact") != 0) {
				/* scipy's numpy exp/pow (SVML on AVX-512) vs glibc */
				cr_expect(fabs(r.pvalue - wp) <= 1e-13 * fabs(wp) + 1e-300,
					  "line %zu (%s, %zu vs %zu, D %.17g): p %.17g, scipy %.17g",
					  i + 1, branch, nx, ny, ws, r.pvalue, wp);
			} else {
				cr_expect(same_bits(r.pvalue, wp),
					  "line %zu (%s, %zu vs %zu, D %.17g): p %.17g, scipy %.17g",
					  i + 1, branch, nx, ny, ws, r.pvalue, wp);
			}
			bits += same_bits(r.pvalue, wp);
		}
		free(x);
		free(y);
		cJSON_Delete(o);
	}
	cr_log_info("ks extra rows: %zu, p bit-identical %zu, unported branch %zu", n, bits, unported);
	free(lines);
	free(buf);
}

/* A JSON array of repr strings ("inf", "-0.0", ...) as doubles. */
static double *read_repr_array(const cJSON *arr, size_t *n)
{
	const cJSON *v;
	size_t k = 0;
	double *a;

	cr_assert(cJSON_IsArray(arr));
	*n = (size_t)cJSON_GetArraySize(arr);
	a = malloc((*n ? *n : 1) * sizeof(double));
	cr_assert_not_null(a);
	cJSON_ArrayForEach(v, arr) {
		cr_assert(cJSON_IsString(v));
		a[k++] = strtod(v->valuestring, NULL);
	}
	return a;
}

Test(ks, random_adversarial_rows)
{
	size_t len, n;
	char *buf = uh_test_slurp("tests/data/ks_random.jsonl", &len);
	char **lines = uh_test_lines(buf, len, &n);

	cr_assert_eq(n, 250, "expected 250 rows, found %zu", n);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_Parse(lines[i]);
		size_t nx, ny;
		struct uh_ks_result r;
		struct uh_err err;

		cr_assert_not_null(o, "line %zu: bad json", i + 1);
		double *x = read_repr_array(cJSON_GetObjectItem(o, "x"), &nx);
		double *y = read_repr_array(cJSON_GetObjectItem(o, "y"), &ny);
		double ws = strtod(cJSON_GetObjectItem(o, "statistic")->valuestring, NULL);
		double wp = strtod(cJSON_GetObjectItem(o, "pvalue")->valuestring, NULL);
		int fallback = cJSON_IsTrue(cJSON_GetObjectItem(o, "fallback"));

		cr_assert_eq(uh_ks_2samp(x, nx, y, ny, &r, &err), 0, "line %zu: %s", i + 1, err.msg);
		cr_expect(same_bits(r.statistic, ws), "line %zu (%zu vs %zu): D %.17g, scipy %.17g",
			  i + 1, nx, ny, r.statistic, ws);
		cr_expect(same_bits(r.pvalue, wp), "line %zu (%zu vs %zu): p %.17g, scipy %.17g",
			  i + 1, nx, ny, r.pvalue, wp);
		cr_expect_eq(r.path == UH_KS_EXACT_FALLBACK, fallback, "line %zu: path %d", i + 1, r.path);
		free(x);
		free(y);
		cJSON_Delete(o);
	}
	free(lines);
	free(buf);
}

Test(ks, rejects_empty_samples)
{
	double x[2] = { 1.0, 2.0 };
	struct uh_ks_result r;
	struct uh_err err;

	cr_expect_eq(uh_ks_2samp(x, 2, x, 0, &r, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "sample y is empty") != NULL, "%s", err.msg);
	cr_expect_eq(uh_ks_2samp(NULL, 0, x, 2, &r, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "sample x is empty") != NULL, "%s", err.msg);
	cr_expect_eq(err.code, UH_EINVAL);
}

Test(ks, rejects_nan)
{
	double x[3] = { 1.0, 2.0, NAN }, y[3] = { 1.0, 2.0, 3.0 };
	struct uh_ks_result r;
	struct uh_err err;

	cr_expect_eq(uh_ks_2samp(x, 3, y, 3, &r, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "sample x holds NaN at index 2") != NULL, "%s", err.msg);
	cr_expect_eq(uh_ks_2samp(y, 3, x, 3, &r, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "sample y holds NaN at index 2") != NULL, "%s", err.msg);
}

Test(ks, infinities_are_data)
{
	/* ks_2samp([-inf, 0, inf], [1, 2, 3]) = (2/3, 0.6) in scipy 1.10 */
	double x[3] = { -INFINITY, 0.0, INFINITY }, y[3] = { 1.0, 2.0, 3.0 };
	double z[2] = { INFINITY, INFINITY };
	struct uh_ks_result r;
	struct uh_err err;

	cr_assert_eq(uh_ks_2samp(x, 3, y, 3, &r, &err), 0, "%s", err.msg);
	cr_expect(same_bits(r.statistic, 2.0 / 3.0), "D %.17g", r.statistic);
	cr_expect(same_bits(r.pvalue, 0.6), "p %.17g", r.pvalue);
	cr_expect_eq(r.path, UH_KS_EXACT);
	/* ks_2samp([inf, inf], [-inf, 0, inf]) = (2/3, 0.6) */
	cr_assert_eq(uh_ks_2samp(z, 2, x, 3, &r, &err), 0, "%s", err.msg);
	cr_expect(same_bits(r.statistic, 2.0 / 3.0), "D %.17g", r.statistic);
	cr_expect(same_bits(r.pvalue, 0.6), "p %.17g", r.pvalue);
}

Test(ks, disjoint_equal_500_no_underflow)
{
	/* spec §3.4: p = 2/C(1000, 500) = 7.399507995628047e-300 */
	double *x = malloc(500 * sizeof(double)), *y = malloc(500 * sizeof(double));
	struct uh_ks_result r;
	struct uh_err err;

	for (int i = 0; i < 500; i++) {
		x[i] = i;
		y[i] = 1000 + i;
	}
	cr_assert_eq(uh_ks_2samp(x, 500, y, 500, &r, &err), 0, "%s", err.msg);
	cr_expect(same_bits(r.statistic, 1.0));
	cr_expect(same_bits(r.pvalue, 7.399507995628047e-300), "p %.17g", r.pvalue);
	free(x);
	free(y);
}

/*
 * Straight transcriptions of scipy 1.10's two exact routines (spec §3.2),
 * row by row with the in-place window and numpy's clamped slice, to check
 * the interleaved versions in metrics/ks.c on every h of many size pairs.
 */
static double ref_outside_square(long long n, long long h)
{
	double P = 0.0;

	for (long long k = n / h; k >= 0; k--) {
		double p1 = 1.0;

		for (long long j = 0; j < h; j++)
			p1 = (double)(n - k * h - j) * p1 / (double)(n + k * h + j + 1);
		P = p1 * (1.0 - P);
	}
	return 2 * P;
}

static double ref_outer_inside(long long m, long long n, long long g, long long h)
{
	if (m < n) {
		long long t = m;
		m = n;
		n = t;
	}
	long long mg = m / g, ng = n / g, minj = 0, maxj, curlen, lenA;
	double *A, res;

	maxj = (long long)ceil((double)h / (double)mg);
	maxj = maxj < n + 1 ? maxj : n + 1;
	curlen = maxj - minj;
	lenA = 2 * maxj + 2 < n + 1 ? 2 * maxj + 2 : n + 1;
	A = malloc((size_t)lenA * sizeof(double));
	cr_assert_not_null(A);
	for (long long k = 0; k < lenA; k++)
		A[k] = k < maxj ? 0.0 : 1.0;
	for (long long i = 1; i <= m; i++) {
		long long lastminj = minj, lastlen = curlen;

		minj = (long long)floor((double)(ng * i - h) / (double)mg) + 1;
		minj = minj < 0 ? 0 : minj;
		minj = minj < n ? minj : n;
		maxj = (long long)ceil((double)(ng * i + h) / (double)mg);
		maxj = maxj < n + 1 ? maxj : n + 1;
		if (maxj <= minj) {
			free(A);
			return 1.0;
		}
		double val = minj == 0 ? 0.0 : 1.0;
		for (long long jj = 0; jj < maxj - minj; jj++) {
			long long j = jj + minj;

			cr_assert_lt(jj + minj - lastminj, lenA, "read past scipy's window");
			cr_assert_lt(jj, lenA, "write past scipy's window");
			val = (A[jj + minj - lastminj] * (double)i + val * (double)j) / (double)(i + j);
			A[jj] = val;
		}
		curlen = maxj - minj;
		if (lastlen > curlen) {
			long long end = maxj - minj + (lastlen - curlen);

			for (long long k = maxj - minj; k < (end < lenA ? end : lenA); k++)
				A[k] = 1.0;
		}
	}
	res = A[maxj - minj - 1];
	free(A);
	return res;
}

static long long gcd_ll(long long a, long long b)
{
	while (b) {
		long long t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static void check_exact(long long n1, long long n2, long long h)
{
	long long g = gcd_ll(n1, n2);
	double want = n1 == n2 ? ref_outside_square(n1, h) : ref_outer_inside(n1, n2, g, h);
	double got;
	struct uh_err err;

	cr_assert_eq(uh_ks_exact_prob((size_t)n1, (size_t)n2, h, &got, &err), 0, "%s", err.msg);
	cr_assert(same_bits(got, want), "n1=%lld n2=%lld h=%lld: %.17g, transcription %.17g",
		  n1, n2, h, got, want);
}

Test(ks, exact_prob_small_sizes_every_h)
{
	for (long long n1 = 1; n1 <= 26; n1++)
		for (long long n2 = 1; n2 <= 26; n2++) {
			long long lcm = n1 / gcd_ll(n1, n2) * n2;

			for (long long h = 1; h <= lcm; h++)
				check_exact(n1, n2, h);
		}
}

Test(ks, exact_prob_random_sizes)
{
	/* fixed LCG so failures reproduce */
	unsigned long long s = 12345;

	for (int t = 0; t < 300; t++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		long long n1 = 1 + (long long)((s >> 33) % 700);
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		long long n2 = t % 5 == 0 ? n1 : 1 + (long long)((s >> 33) % 700);
		long long lcm = n1 / gcd_ll(n1, n2) * n2;
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		/* mostly the p-value range that matters, sometimes anywhere */
		long long h = t % 3 ? 1 + (long long)((s >> 33) % (unsigned long long)(lcm / 4 + 1))
				    : 1 + (long long)((s >> 33) % (unsigned long long)lcm);

		check_exact(n1, n2, h);
	}
}

Test(ks, exact_prob_rejects_bad_arguments)
{
	double p;
	struct uh_err err;

	cr_expect_eq(uh_ks_exact_prob(0, 5, 1, &p, &err), UH_EINVAL);
	cr_expect_eq(uh_ks_exact_prob(10001, 5, 1, &p, &err), UH_EINVAL);
	cr_expect_eq(uh_ks_exact_prob(4, 6, 0, &p, &err), UH_EINVAL);
	cr_expect_eq(uh_ks_exact_prob(4, 6, 13, &p, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "h = 13 not in [1, 12]") != NULL, "%s", err.msg);
}
