/*
 * `uh diff` and its paired tests: the sign-flip permutation test against
 * its exact distribution, identical runs (p = 1, zero difference), the
 * official llama2 full vs retain90 logs (forget truth ratios differ with a
 * tiny p-value, retain ones do not), and runs with nothing in common.
 */
#include "report/diff.h"
#include "tests/report_fixture.h"

#include <math.h>

TestSuite(diff, .init = fx_setup, .fini = fx_teardown);

/* ---------------------------------------------------------------- the statistics */

Test(diff, sign_flip_matches_exact_distribution)
{
	/* d = {1, 2, 3}: of the 8 sign patterns, 2 reach |sum| >= 6, so p = 1/4 */
	const double d[] = { 1, 2, 3 };
	double p;
	struct uh_err err;

	cr_assert_eq(uh_diff_sign_flip(d, 3, 200000, 7, &p, &err), 0, "%s", err.msg);
	cr_expect(fabs(p - 0.25) < 0.005, "p = %g, want about 0.25", p);
	/* d = {1, -1, 2, -2}: sum 0, every pattern is as extreme: p = 1 */
	{
		const double e[] = { 1, -1, 2, -2 };

		cr_assert_eq(uh_diff_sign_flip(e, 4, 1000, 7, &p, &err), 0);
		cr_expect_eq(p, 1.0);
	}
}

Test(diff, sign_flip_is_seeded_and_bounded)
{
	double d[40], p1, p2, p3;
	struct uh_err err;

	for (int i = 0; i < 40; i++)
		d[i] = 0.1 + 0.01 * (i % 7) - (i % 5 == 0 ? 0.3 : 0);
	cr_assert_eq(uh_diff_sign_flip(d, 40, 5000, 42, &p1, &err), 0);
	cr_assert_eq(uh_diff_sign_flip(d, 40, 5000, 42, &p2, &err), 0);
	cr_assert_eq(uh_diff_sign_flip(d, 40, 5000, 43, &p3, &err), 0);
	cr_expect_eq(p1, p2, "same seed, same p");
	cr_expect(p1 >= 1.0 / 5001 && p1 <= 1);
	cr_expect(fabs(p1 - p3) < 0.05, "seeds disagree: %g %g", p1, p3);
	/* all positive and many: the smallest p the permutations allow */
	for (int i = 0; i < 40; i++)
		d[i] = 1 + i;
	cr_assert_eq(uh_diff_sign_flip(d, 40, 10000, 1, &p1, &err), 0);
	cr_expect_eq(p1, 1.0 / 10001);
	/* errors */
	cr_expect_eq(uh_diff_sign_flip(d, 0, 10, 1, &p1, &err), UH_EINVAL);
	cr_expect_eq(uh_diff_sign_flip(d, 3, 0, 1, &p1, &err), UH_EINVAL);
	d[1] = NAN;
	cr_expect_eq(uh_diff_sign_flip(d, 3, 10, 1, &p1, &err), UH_EINVAL);
}

Test(diff, paired_stats)
{
	const double a[] = { 1, 2, 3, 4 }, b[] = { 2, 3, 4, 5 };
	struct uh_diff_stats s;
	struct uh_err err;

	cr_assert_eq(uh_diff_paired(a, b, 4, 1000, 1, &s, &err), 0);
	cr_expect_eq(s.mean_a, 2.5);
	cr_expect_eq(s.mean_b, 3.5);
	cr_expect_eq(s.mean_diff, 1);
	cr_expect_eq(s.ci.lo, 1);     /* every difference is 1 */
	cr_expect_eq(s.ci.hi, 1);
	cr_expect(fabs(s.p - 2.0 / 16) < 0.04, "p = %g, exact 1/8", s.p);
	cr_assert_eq(uh_diff_paired(a, a, 4, 1000, 1, &s, &err), 0);
	cr_expect_eq(s.mean_diff, 0);
	cr_expect_eq(s.p, 1);
}

/* ---------------------------------------------------------------- the command */

static int diff(const char *const *args)
{
	return fx_run(uh_cmd_diff, "diff", args);
}

/* The p-value on the line of task in diff's output (NaN when missing). */
static double p_of(const char *out, const char *task)
{
	char key[64];
	const char *l;
	const char *end;

	snprintf(key, sizeof(key), "\n  %-14s ", task);
	l = strstr(out, key);
	if (!l)
		return NAN;
	end = strchr(l + 1, '\n');
	while (end > l && end[-1] != ' ')
		end--;
	return strtod(end, NULL);
}

Test(diff, llama2_full_vs_retain90, .timeout = 120)
{
	char *out;

	fx_import("tofu-llama2-7b_full_wd0.01", NULL);       /* run 1 */
	fx_import("tofu-llama2-7b_retain90_wd0.01", NULL);   /* run 2 */

	cr_assert_eq(diff((const char *[]){ "1", "2", "--task", "forget", "--metric", "truth_ratio",
					     "--top", "3", NULL }), 0, "%s", fx_stderr());
	out = fx_stdout();
	cr_expect_not_null(strstr(out, "300 paired items"), "%s", out);
	cr_expect(p_of(out, "forget") < 1e-3, "forget p = %g\n%s", p_of(out, "forget"), out);
	cr_expect_eq(fx_count(out, "    Q: "), 3);
	cr_expect_eq(fx_count(out, "    A: "), 3);
	cr_expect_eq(fx_count(out, "    B: "), 3);
	free(out);

	/* all tasks: forget moves, retain does not (the retain model kept it) */
	cr_assert_eq(diff((const char *[]){ "1", "2", "--top", "0", "--permutations", "2000", NULL }), 0);
	out = fx_stdout();
	cr_expect_not_null(strstr(out, "per-item 'truth_ratio'"), "%s", out);
	cr_expect(p_of(out, "forget") < 1e-3, "%s", out);
	cr_expect(p_of(out, "retain") > 0.05, "%s", out);
	cr_expect(!isnan(p_of(out, "(all)")), "%s", out);
	free(out);

	/* the same seed gives the same output */
	{
		char *again;

		cr_assert_eq(diff((const char *[]){ "1", "2", "--seed", "9", "--permutations", "500", NULL }), 0);
		out = fx_stdout();
		cr_assert_eq(diff((const char *[]){ "1", "2", "--seed", "9", "--permutations", "500", NULL }), 0);
		again = fx_stdout();
		cr_expect_str_eq(out, again);
		free(out);
		free(again);
	}
}

Test(diff, identical_runs, .timeout = 120)
{
	char *out;

	fx_import("tofu-llama2-7b_retain90_wd0.01", NULL);
	cr_assert_eq(diff((const char *[]){ "1", "latest", "--metric", "agg_truth_ratio", "--top", "2",
					     NULL }), 0);
	out = fx_stdout();
	for (size_t k = 0; k < 4; k++) {
		static const char *const tasks[] = { "forget", "retain", "real_authors", "real_world" };

		cr_expect_eq(p_of(out, tasks[k]), 1.0, "%s: %s", tasks[k], out);
	}
	cr_expect_eq(fx_count(out, "            0  [0, 0]  1\n"), 5, "%s", out);
	cr_expect_not_null(strstr(out, "(+0)"), "%s", out);
	free(out);
}

Test(diff, errors)
{
	char *err;

	fx_hostile_run(4);   /* run 1: task 'forget', idx 0..3 */
	{
		/* a run with other items: nothing in common */
		struct uh_store *st;
		struct uh_store_run *run;
		struct uh_err e;
		struct uh_store_run_info info = { .suite = "tofu", .source = "run" };
		struct uh_store_item it = { .task = "custom", .idx = 0, .values_json = "{\"v\": 1}" };

		cr_assert_eq(uh_store_open(&st, fx_db, &e), 0);
		cr_assert_eq(uh_store_run_begin(st, &info, &run, &e), 0);
		cr_assert_eq(uh_store_run_add_item(run, &it, &e), 0);
		cr_assert_eq(uh_store_run_commit(run, &e), 0);
		uh_store_close(st);
	}
	cr_expect_eq(diff((const char *[]){ "1", "2", NULL }), 2);
	err = fx_stderr();
	cr_expect_not_null(strstr(err, "have no items in common"), "%s", err);
	free(err);
	cr_expect_eq(diff((const char *[]){ "1", "1", "--task", "retain", NULL }), 2);
	cr_expect_eq(diff((const char *[]){ "1", "1", "--metric", "nope", NULL }), 2);
	err = fx_stderr();
	cr_expect_not_null(strstr(err, "per-item values: truth_ratio"), "%s", err);
	free(err);
	cr_expect_eq(diff((const char *[]){ "1", "3", NULL }), 2);
	cr_expect_eq(diff((const char *[]){ "1", NULL }), 2);
	cr_expect_eq(diff((const char *[]){ "1", "1", "--permutations", "0", NULL }), 2);
	cr_expect_eq(diff((const char *[]){ "1", "1", "--top", "x", NULL }), 2);
	/* hostile texts are printed on one line each */
	cr_expect_eq(diff((const char *[]){ "1", "1", "--top", "1", NULL }), 0);
	{
		char *out = fx_stdout();

		cr_expect_not_null(strstr(out, "Q: Q & \"quoted\" <b>bold</b> line two | pipe\n"), "%s", out);
		free(out);
	}
}

/* Task and value names are data too: no escape byte reaches the terminal. */
Test(diff, control_bytes_in_names)
{
	for (int r = 0; r < 2; r++) {
		struct uh_store *st;
		struct uh_store_run *run;
		struct uh_err e;
		struct uh_store_run_info info = { .suite = "tofu", .split = "forget10", .source = "run" };

		cr_assert_eq(uh_store_open(&st, fx_db, &e), 0);
		cr_assert_eq(uh_store_run_begin(st, &info, &run, &e), 0);
		for (int i = 0; i < 3; i++) {
			char values[64];
			struct uh_store_item it = { .task = "t\x1b[2J", .idx = i, .values_json = values };

			snprintf(values, sizeof(values), "{\"v\\u001b[1m\": %d}", r * i);
			cr_assert_eq(uh_store_run_add_item(run, &it, &e), 0, "%s", e.msg);
		}
		cr_assert_eq(uh_store_run_commit(run, &e), 0);
		uh_store_close(st);
	}
	cr_assert_eq(diff((const char *[]){ "1", "2", "--permutations", "10", NULL }), 0, "%s", fx_stderr());
	{
		char *out = fx_stdout();

		cr_expect_null(strchr(out, '\x1b'), "an escape byte reached the terminal");
		cr_expect_not_null(strstr(out, "per-item 'v?[1m'"), "%s", out);
		cr_expect_not_null(strstr(out, "  t?[2J               3 "), "%s", out);
		cr_expect_not_null(strstr(out, "  t?[2J #2: 0 -> 2 (+2)"), "%s", out);
		free(out);
	}
}
