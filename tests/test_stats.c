/* metrics/stats.c against scipy 1.10.1 (tests/data/hmean_vectors.jsonl). */
#include "metrics/stats.h"
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

Test(hmean, matches_scipy_bit_for_bit)
{
	size_t len, n, nine = 0;
	char *buf = uh_test_slurp("tests/data/hmean_vectors.jsonl", &len);
	char **lines = uh_test_lines(buf, len, &n);

	cr_assert_eq(n, 29);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_Parse(lines[i]);
		const cJSON *arr = cJSON_GetObjectItem(o, "a"), *v;
		size_t m = (size_t)cJSON_GetArraySize(arr), k = 0;
		double *a = malloc(m * sizeof(*a)), got, want;
		struct uh_err err;

		cJSON_ArrayForEach(v, arr) a[k++] = v->valuedouble;
		want = cJSON_GetObjectItem(o, "hmean")->valuedouble;
		cr_assert_eq(uh_hmean(a, m, &got, &err), 0, "line %zu: %s", i + 1, err.msg);
		cr_expect(same_bits(got, want), "line %zu (n=%zu): %.17g, scipy %.17g", i + 1, m, got, want);
		nine += m == 9;
		free(a);
		cJSON_Delete(o);
	}
	cr_expect_geq(nine, 4);
	free(lines);
	free(buf);
}

Test(hmean, zero_gives_zero_and_errors)
{
	const double z[] = { 0.9, 0.0, 0.5 }, neg[] = { 0.9, -0.1 }, nan_a[] = { 1.0, NAN };
	double out;
	struct uh_err err;

	cr_assert_eq(uh_hmean(z, 3, &out, &err), 0);
	cr_expect(out == 0.0 && !signbit(out));
	cr_expect_eq(uh_hmean(neg, 2, &out, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "value 2") != NULL, "%s", err.msg);
	cr_expect_eq(uh_hmean(nan_a, 2, &out, &err), UH_EINVAL);
	cr_expect_eq(uh_hmean(z, 0, &out, &err), UH_EINVAL);
}
