/* metrics/auc.c against sklearn 1.2.1 roc_auc_score (tests/data/auc_vectors.jsonl). */
#include "metrics/auc.h"
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

Test(auc, matches_sklearn_bit_for_bit)
{
	size_t len, n;
	char *buf = uh_test_slurp("tests/data/auc_vectors.jsonl", &len);
	char **lines = uh_test_lines(buf, len, &n);

	cr_assert_eq(n, 315);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_Parse(lines[i]);
		const cJSON *ys, *ss, *v;
		size_t m, k = 0;
		double *s, want, got;
		int *y;
		struct uh_err err;

		cr_assert_not_null(o);
		ys = cJSON_GetObjectItem(o, "y");
		ss = cJSON_GetObjectItem(o, "s");
		m = (size_t)cJSON_GetArraySize(ys);
		cr_assert_eq(m, (size_t)cJSON_GetArraySize(ss));
		s = malloc(m * sizeof(*s));
		y = malloc(m * sizeof(*y));
		cJSON_ArrayForEach(v, ys) y[k++] = v->valueint;
		k = 0;
		cJSON_ArrayForEach(v, ss) s[k++] = v->valuedouble;
		want = cJSON_GetObjectItem(o, "auc")->valuedouble;
		cr_assert_eq(uh_auc_roc(s, y, m, &got, &err), 0, "line %zu: %s", i + 1, err.msg);
		cr_expect(same_bits(got, want), "line %zu (%s, n=%zu): %.17g, sklearn %.17g", i + 1,
			  cJSON_GetObjectItem(o, "kind")->valuestring, m, got, want);
		free(s);
		free(y);
		cJSON_Delete(o);
	}
	free(lines);
	free(buf);
}

Test(auc, two_sample_is_labelled_concatenation)
{
	const double neg[] = { 0.1, 0.4, 0.35, 0.8 }, pos[] = { 0.8, 0.9, 0.2 };
	const double all[] = { 0.1, 0.4, 0.35, 0.8, 0.8, 0.9, 0.2 };
	const int y[] = { 0, 0, 0, 0, 1, 1, 1 };
	double a, b;
	struct uh_err err;

	cr_assert_eq(uh_auc_two_sample(neg, 4, pos, 3, &a, &err), 0);
	cr_assert_eq(uh_auc_roc(all, y, 7, &b, &err), 0);
	cr_assert(same_bits(a, b));
	/* Mann-Whitney: pairs (pos > neg) + half the ties, over 12 pairs = 8.5 / 12 */
	cr_assert_float_eq(a, 8.5 / 12, 1e-15);
}

Test(auc, errors)
{
	const double s[] = { 0.1, 0.2, 0.3 };
	const int one[] = { 1, 1, 1 }, bad[] = { 0, 2, 1 }, ok[] = { 0, 1, 1 };
	const double nan_s[] = { 0.1, NAN, 0.3 }, inf_s[] = { 0.1, INFINITY, 0.3 };
	double out;
	struct uh_err err;

	cr_expect_eq(uh_auc_roc(s, one, 3, &out, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "one class") != NULL, "%s", err.msg);
	cr_expect_eq(uh_auc_roc(s, bad, 3, &out, &err), UH_EINVAL);
	cr_expect_eq(uh_auc_roc(nan_s, ok, 3, &out, &err), UH_EINVAL);
	cr_expect_eq(uh_auc_roc(inf_s, ok, 3, &out, &err), UH_EINVAL);
	cr_expect_eq(uh_auc_roc(s, ok, 0, &out, &err), UH_EINVAL);
	cr_expect_eq(uh_auc_two_sample(s, 3, s, 0, &out, &err), UH_EINVAL);
}
