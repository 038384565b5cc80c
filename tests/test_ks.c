/*
 * metrics/ks.c against scipy 1.10.1 ks_2samp: the 205 shared vectors
 * (../shared/vectors/ks_vectors.jsonl) bit for bit, the extra rows made by
 * tests/data/ks_extra_gen.py, and the error cases.
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
		if (strcmp(branch, "smirnov") == 0 || strcmp(branch, "pomeranz") == 0) {
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
