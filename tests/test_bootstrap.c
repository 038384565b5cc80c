/* metrics/bootstrap.c: determinism, coverage of the point estimate, width, errors. */
#include "metrics/bootstrap.h"
#include "metrics/npsum.h"
#include "metrics/tofu_agg.h"
#include "suites/tofu_logs.h"
#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LLAMA_FULL "data/tofu-logs/tofu-llama2-7b_full_wd0.01"

/* A fixed, spread-out sample in [0, 1): fractional parts of i * golden ratio. */
static double *sample(size_t n)
{
	double *v = malloc(n * sizeof(double));

	cr_assert_not_null(v);
	for (size_t i = 0; i < n; i++) {
		double x = (double)(i + 1) * 0.6180339887498949;
		v[i] = x - floor(x);
	}
	return v;
}

Test(bootstrap, deterministic_for_a_seed)
{
	double *v = sample(200);
	struct uh_ci a, b, c;
	struct uh_err err = { 0 };

	cr_assert_eq(uh_bootstrap_mean_ci(v, 200, 0.95, 1000, 42, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_bootstrap_mean_ci(v, 200, 0.95, 1000, 42, &b, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_bootstrap_mean_ci(v, 200, 0.95, 1000, 43, &c, &err), 0, "%s", err.msg);
	cr_expect(memcmp(&a, &b, sizeof(a)) == 0, "same seed: [%.17g, %.17g] vs [%.17g, %.17g]",
		  a.lo, a.hi, b.lo, b.hi);
	cr_expect(a.lo != c.lo || a.hi != c.hi, "another seed gave the same interval");
	free(v);
}

Test(bootstrap, contains_the_point_estimate)
{
	double *v = sample(300);
	double m = uh_npmean(v, 300);
	struct uh_ci ci;
	struct uh_err err = { 0 };

	cr_assert_eq(uh_bootstrap_mean_ci(v, 300, 0.95, 2000, 7, &ci, &err), 0, "%s", err.msg);
	cr_expect(ci.lo < m && m < ci.hi, "mean %.6f not in [%.6f, %.6f]", m, ci.lo, ci.hi);
	/* Uniform on [0,1): sd 0.289, so the 95% half-width is about 1.96*0.289/sqrt(300) = 0.033. */
	cr_expect(ci.hi - ci.lo > 0.04 && ci.hi - ci.lo < 0.09, "width %.4f", ci.hi - ci.lo);
	free(v);
}

Test(bootstrap, width_shrinks_with_more_items)
{
	double *small = sample(50), *large = sample(5000);
	struct uh_ci a, b;
	struct uh_err err = { 0 };

	cr_assert_eq(uh_bootstrap_mean_ci(small, 50, 0.9, 1000, 1, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_bootstrap_mean_ci(large, 5000, 0.9, 1000, 1, &b, &err), 0, "%s", err.msg);
	cr_expect(b.hi - b.lo < 0.5 * (a.hi - a.lo), "widths %.4f (n=50) and %.4f (n=5000)",
		  a.hi - a.lo, b.hi - b.lo);
	free(small);
	free(large);
}

Test(bootstrap, model_utility_of_the_llama2_log)
{
	struct uh_tofu_log log;
	struct uh_tofu_stats st;
	struct uh_ci ci, again, wide;
	struct uh_err err = { 0 };

	cr_assert_eq(uh_tofu_log_read(uh_test_shared(LLAMA_FULL), &log, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_tofu_agg_stats(&log, &st, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_bootstrap_tofu_mu_ci(&log, 0.95, 500, 2024, &ci, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_bootstrap_tofu_mu_ci(&log, 0.95, 500, 2024, &again, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_bootstrap_tofu_mu_ci(&log, 0.99, 500, 2024, &wide, &err), 0, "%s", err.msg);
	cr_expect(ci.lo < st.model_utility && st.model_utility < ci.hi, "MU %.6f not in [%.6f, %.6f]",
		  st.model_utility, ci.lo, ci.hi);
	cr_expect(memcmp(&ci, &again, sizeof(ci)) == 0);
	cr_expect(wide.lo <= ci.lo && wide.hi >= ci.hi);
	cr_expect(ci.hi - ci.lo < 0.1, "width %.4f", ci.hi - ci.lo);
	uh_tofu_log_release(&log);
}

Test(bootstrap, errors)
{
	double v[3] = { 1, 2, 3 };
	double bad[2] = { 1, NAN };
	struct uh_ci ci;
	struct uh_err err = { 0 };
	struct uh_bootstrap_task tasks[3] = {
		{ v, v, v, 3 }, { v, v, v, 0 }, { v, v, v, 3 },
	};

	cr_expect_eq(uh_bootstrap_mean_ci(v, 0, 0.95, 100, 1, &ci, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "no items"), "%s", err.msg);
	cr_expect_eq(uh_bootstrap_mean_ci(v, 3, 1.0, 100, 1, &ci, &err), UH_EINVAL);
	cr_expect_eq(uh_bootstrap_mean_ci(v, 3, 0.95, 1, 1, &ci, &err), UH_EINVAL);
	cr_expect_eq(uh_bootstrap_mean_ci(bad, 2, 0.95, 100, 1, &ci, &err), UH_EINVAL);
	cr_expect_eq(uh_bootstrap_mu_ci(tasks, 0.95, 100, 1, &ci, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "task 1") && strstr(err.msg, "no items"), "%s", err.msg);
}
