/* metrics/npsum.c against numpy 1.24 (tests/data/npsum_vectors.jsonl). */
#include "metrics/npsum.h"
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

Test(npsum, matches_numpy_bit_for_bit)
{
	size_t len, n;
	char *buf = uh_test_slurp("tests/data/npsum_vectors.jsonl", &len);
	char **lines = uh_test_lines(buf, len, &n);
	size_t checked = 0;

	cr_assert_gt(n, 40);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_Parse(lines[i]);
		cJSON *x = cJSON_GetObjectItem(o, "x");
		size_t m = (size_t)cJSON_GetArraySize(x);
		double *a = malloc((m ? m : 1) * sizeof(double));
		size_t k = 0;
		const cJSON *v;

		cr_assert_not_null(o);
		cJSON_ArrayForEach(v, x) a[k++] = v->valuedouble;
		double want = cJSON_GetObjectItem(o, "sum")->valuedouble;
		double got = uh_npsum(a, m);
		cr_expect(same_bits(got, want), "line %zu (n=%zu): sum %.17g, numpy %.17g", i + 1, m, got, want);
		if (m) {
			double wm = cJSON_GetObjectItem(o, "mean")->valuedouble;
			cr_expect(same_bits(uh_npmean(a, m), wm), "line %zu: mean", i + 1);
		}
		checked++;
		free(a);
		cJSON_Delete(o);
	}
	cr_assert_eq(checked, n);
	free(lines);
	free(buf);
}

Test(npsum, empty_mean_is_nan)
{
	cr_assert(isnan(uh_npmean(NULL, 0)));
	cr_assert_eq(uh_npsum(NULL, 0), 0.0);
}
