/* metrics/mink.c against numpy 1.24 (tests/data/mink_vectors.jsonl). */
#include "metrics/mink.h"
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

Test(mink, matches_numpy_bit_for_bit)
{
	size_t len, n, zero_k = 0;
	char *buf = uh_test_slurp("tests/data/mink_vectors.jsonl", &len);
	char **lines = uh_test_lines(buf, len, &n);

	cr_assert_eq(n, 46);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_Parse(lines[i]);
		const cJSON *lp = cJSON_GetObjectItem(o, "logprobs"), *v;
		const cJSON *ratios = cJSON_GetObjectItem(o, "ratios");
		const cJSON *orig = cJSON_GetObjectItem(o, "original");
		const cJSON *ou = cJSON_GetObjectItem(o, "open_unlearning");
		size_t m = (size_t)cJSON_GetArraySize(lp), k = 0;
		double *a = malloc(m * sizeof(*a));

		cJSON_ArrayForEach(v, lp) a[k++] = v->valuedouble;
		for (int r = 0; r < cJSON_GetArraySize(ratios); r++) {
			double ratio = cJSON_GetArrayItem(ratios, r)->valuedouble, got;
			const cJSON *w = cJSON_GetArrayItem(orig, r);
			struct uh_err err;
			int rc = uh_mink_score(a, m, ratio, UH_MINK_ORIGINAL, &got, &err);

			if (cJSON_IsNull(w)) {
				cr_expect_eq(rc, UH_EINVAL, "line %zu ratio %g: k = 0 must fail", i + 1, ratio);
				zero_k++;
			} else {
				cr_assert_eq(rc, 0, "line %zu: %s", i + 1, err.msg);
				cr_expect(same_bits(got, w->valuedouble), "line %zu n=%zu ratio %g: %.17g want %.17g",
					  i + 1, m, ratio, got, w->valuedouble);
			}
			rc = uh_mink_score(a, m, ratio, UH_MINK_OPEN_UNLEARNING, &got, &err);
			cr_assert_eq(rc, 0, "line %zu: %s", i + 1, err.msg);
			w = cJSON_GetArrayItem(ou, r);
			cr_expect(same_bits(got, w->valuedouble), "line %zu n=%zu ratio %g (ou): %.17g want %.17g",
				  i + 1, m, ratio, got, w->valuedouble);
		}
		free(a);
		cJSON_Delete(o);
	}
	cr_expect_gt(zero_k, 10);
	free(lines);
	free(buf);
}

Test(mink, k_and_errors)
{
	const double lp[] = { -1.0, NAN };
	double out;
	struct uh_err err;

	cr_expect_eq(uh_mink_k(10, 0.4, UH_MINK_ORIGINAL), 4);
	cr_expect_eq(uh_mink_k(2, 0.4, UH_MINK_ORIGINAL), 0);
	cr_expect_eq(uh_mink_k(2, 0.4, UH_MINK_OPEN_UNLEARNING), 1);
	/* 0.3 * 10 is 3.0000000000000004 in doubles; 0.7 * 10 is 7.000000000000001 */
	cr_expect_eq(uh_mink_k(10, 0.3, UH_MINK_ORIGINAL), 3);
	cr_expect_eq(uh_mink_k(100, 0.29, UH_MINK_ORIGINAL), 28); /* 28.999999999999996 */
	cr_expect_eq(uh_mink_score(lp, 2, 0.5, UH_MINK_ORIGINAL, &out, &err), UH_EINVAL);
	cr_expect_eq(uh_mink_score(lp, 0, 0.5, UH_MINK_OPEN_UNLEARNING, &out, &err), UH_EINVAL);
	cr_expect_eq(uh_mink_score(lp, 1, 1.5, UH_MINK_ORIGINAL, &out, &err), UH_EINVAL);
	cr_expect_eq(uh_mink_score(lp, 1, 0.4, UH_MINK_ORIGINAL, &out, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "k = 0") != NULL, "%s", err.msg);
}

Test(mink, privleak)
{
	double out;
	struct uh_err err;

	/* MUSE News default key: AUC_RETRAIN 0.47719999999999996 */
	cr_assert_eq(uh_mink_privleak(0.001, 0.47719999999999996, UH_MINK_ORIGINAL, &out, &err), 0);
	cr_expect(out == (0.001 - 0.47719999999999996) / 0.47719999999999996 * 100);
	cr_assert_eq(uh_mink_privleak(0.3, 0.5, UH_MINK_OPEN_UNLEARNING, &out, &err), 0);
	cr_expect(out == ((1 - 0.3) - (1 - 0.5)) / ((1 - 0.5) + 1e-10) * 100);
	cr_expect_eq(uh_mink_privleak(0.3, 0.0, UH_MINK_ORIGINAL, &out, &err), UH_EINVAL);
	cr_expect_eq(uh_mink_privleak(NAN, 0.5, UH_MINK_ORIGINAL, &out, &err), UH_EINVAL);
}
