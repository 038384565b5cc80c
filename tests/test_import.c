/*
 * `uh import` in-process on the official logs (shared/data/tofu-logs,
 * ou-logs): golden values read back from SQLite, and bad input leaving the
 * store empty. Golden values: shared/data/README.md.
 */
#include "harness/cmds.h"
#include "results/store.h"
#include "tests/testutil.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- fixture */

static char *dir;
static char db[UH_TEST_PATH], out_path[UH_TEST_PATH], err_path[UH_TEST_PATH];

static void setup(void)
{
	dir = uh_test_scratch(db, out_path, err_path);
}

static void teardown(void)
{
	uh_test_rm_rf(dir);
	free(dir);
}

static char *shared(const char *rel)
{
	return strdup(uh_test_shared(rel));
}

/*
 * Run `uh import ARGS... --db <db>` with stdout and stderr sent to files
 * (read back with slurp_out / slurp_err). Returns the exit status.
 */
static int import(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4,
		  const char *a5)
{
	const char *const in[] = { a0, a1, a2, a3, a4, a5, NULL };

	return uh_test_call(uh_cmd_import, "import", in, (const char *const[]){ "--db", db, NULL },
			    out_path, err_path);
}

static char *slurp_out(void)
{
	return uh_test_slurp(out_path, NULL);
}

static char *slurp_err(void)
{
	return uh_test_slurp(err_path, NULL);
}

static long long count(const char *sql)
{
	return uh_test_count(db, sql);  /* 0 when there is no database: nothing written */
}

/* A metric of the newest run; NAN when absent. */
static double metric(const char *name)
{
	return uh_test_metric(db, count("SELECT max(id) FROM runs"), name);
}

static void expect_rel(double got, double want, const char *what)
{
	cr_expect(fabs(got - want) <= 1e-12 * fabs(want), "%s: %.17g, want %.17g", what, got, want);
}

static void expect_no_runs(void)
{
	cr_expect_eq(count("SELECT count(*) FROM runs"), 0);
	cr_expect_eq(count("SELECT count(*) FROM items"), 0);
	cr_expect_eq(count("SELECT count(*) FROM metrics"), 0);
}

/* ---------------------------------------------------------------- golden pairs */

TestSuite(import, .init = setup, .fini = teardown);

Test(import, llama2_full_vs_retain90)
{
	char *ckpt = shared("data/tofu-logs/tofu-llama2-7b_full_wd0.01");
	char *ret = shared("data/tofu-logs/tofu-llama2-7b_retain90_wd0.01");
	struct uh_store *st;
	struct uh_store_run_row row;
	struct uh_err err;
	char *out, *v;
	static const struct { const char *name; double want; } twelve[] = {
		{ "prob/retain", 0.9895272273969067 }, { "prob/real_authors", 0.45548207783762884 },
		{ "prob/real_world", 0.4185618075594898 }, { "prob/forget", 0.9909385566403208 },
		{ "rouge/retain", 0.9856545937933034 }, { "rouge/real_authors", 0.933 },
		{ "rouge/real_world", 0.8824786324786325 }, { "rouge/forget", 0.985449693916369 },
		{ "truth_ratio/retain", 0.47469858801063747 }, { "truth_ratio/real_authors", 0.5962289157077105 },
		{ "truth_ratio/real_world", 0.5390328416393139 }, { "truth_ratio/forget", 0.5159854212808593 },
	};

	cr_assert_eq(import("tofu-logs", ckpt, "--reference", ret, NULL, NULL), 0, "%s", slurp_err());
	cr_expect(metric("forget_quality") == 1.834066410994743e-21, "%.17g", metric("forget_quality"));
	cr_expect(metric("ks_statistic") == 0.39666666666666667, "%.17g", metric("ks_statistic"));
	expect_rel(metric("model_utility"), 0.6226773637427152, "model utility");
	for (size_t i = 0; i < sizeof(twelve) / sizeof(twelve[0]); i++)
		expect_rel(metric(twelve[i].name), twelve[i].want, twelve[i].name);

	out = slurp_out();
	cr_expect(strstr(out, "Forget Quality  1.834066410994743e-21\n") != NULL, "%s", out);
	cr_expect(strstr(out, "KS statistic    0.39666666666666667\n") != NULL, "%s", out);
	cr_expect(strstr(out, "Truth Ratio") && strstr(out, "Real Authors"), "%s", out);
	cr_expect(strstr(out, "run 1 stored in ") != NULL, "%s", out);
	cr_expect(strstr(out, db) != NULL, "%s", out);
	free(out);

	cr_assert_eq(uh_store_open(&st, db, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_get(st, 1, &row, &err), 0, "%s", err.msg);
	cr_expect_str_eq(row.suite, "tofu");
	cr_expect_str_eq(row.split, "forget10");
	cr_expect_str_eq(row.profile, "tofu");
	cr_expect_str_eq(row.model, "tofu-llama2-7b_full_wd0.01");
	cr_expect_str_eq(row.source, "import:tofu-logs");
	cr_expect_str_eq(row.status, "complete");
	uh_store_run_row_release(&row);
	cr_assert_eq(uh_store_provenance_get(st, 1, "sha256:eval_log_forget.json", &v, &err), 0, "%s", err.msg);
	cr_expect_eq(strlen(v), 64);
	cr_expect_eq(strspn(v, "0123456789abcdef"), 64, "%s", v);
	free(v);
	cr_assert_eq(uh_store_provenance_get(st, 1, "reference.sha256:eval_log_forget.json", &v, &err), 0,
		     "%s", err.msg);
	free(v);
	uh_store_close(st);
	/* Bootstrap intervals on the twelve numbers and Model Utility, around the value. */
	cr_expect_eq(count("SELECT count(*) FROM metrics WHERE ci_lo IS NOT NULL AND ci_lo < value"
			   " AND value < ci_hi AND (name LIKE 'prob/%' OR name LIKE 'rouge/%' OR"
			   " name LIKE 'truth_ratio/%' OR name = 'model_utility')"), 13);
	cr_expect_eq(count("SELECT count(*) FROM metrics WHERE name = 'forget_quality' AND ci_lo IS NULL"), 1);
	cr_expect_eq(count("SELECT count(*) FROM runs WHERE seed IS NOT NULL"), 1);
	cr_expect_eq(count("SELECT count(*) FROM items WHERE task = 'forget'"), 300);
	cr_expect_eq(count("SELECT count(*) FROM items WHERE task = 'retain'"), 300);
	cr_expect_eq(count("SELECT count(*) FROM items WHERE task = 'real_authors'"), 100);
	cr_expect_eq(count("SELECT count(*) FROM items WHERE task = 'real_world'"), 117);
	free(ckpt);
	free(ret);
}

/* The digest of every file read goes into provenance; check it against coreutils. */
Test(import, sha256_provenance_matches_sha256sum)
{
	size_t len;
	char *src = uh_test_slurp(uh_test_shared("data/tofu-logs/npo-oldformat-retain90_llama_wd0.01/"
						 "eval_log_aggregated.json"), &len);
	/* Trailing blanks put the message length at every padding edge of SHA-256. */
	static const size_t residues[] = { 55, 56, 57, 63, 0 };

	for (size_t r = 0; r < sizeof(residues) / sizeof(residues[0]); r++) {
		char path[4300], cmd[4400], want[65] = { 0 };
		size_t pad = (residues[r] + 64 - len % 64) % 64;
		struct uh_store *st;
		struct uh_err err;
		char *got;
		FILE *f;

		snprintf(path, sizeof(path), "%s/eval_log_aggregated.json", dir);
		f = fopen(path, "wb");
		cr_assert_not_null(f);
		cr_assert_eq(fwrite(src, 1, len, f), len);
		for (size_t i = 0; i < pad; i++)
			fputc(' ', f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
		f = popen(cmd, "r");
		cr_assert_not_null(f);
		cr_assert_eq(fread(want, 1, 64, f), 64);
		pclose(f);

		cr_assert_eq(import("tofu-logs", path, NULL, NULL, NULL, NULL), 0, "%s", slurp_err());
		cr_assert_eq(uh_store_open(&st, db, &err), 0, "%s", err.msg);
		cr_assert_eq(uh_store_provenance_get(st, (int64_t)r + 1, "sha256:eval_log_aggregated.json",
						     &got, &err), 0, "%s", err.msg);
		cr_expect_str_eq(got, want, "length %% 64 = %zu", (len + pad) % 64);
		free(got);
		uh_store_close(st);
	}
	free(src);
}

Test(import, phi_aggregated_pair)
{
	char *ckpt = shared("data/tofu-logs/tofu-phi_full_wd0.01");
	char *ret = shared("data/tofu-logs/tofu-phi_retain90_wd0.01");

	cr_assert_eq(import("tofu-logs", ckpt, "--reference", ret, NULL, NULL), 0, "%s", slurp_err());
	cr_expect(metric("forget_quality") == 2.1942743021891237e-16, "%.17g", metric("forget_quality"));
	expect_rel(metric("model_utility"), 0.5220737132035151, "model utility");
	free(ckpt);
	free(ret);
}

Test(import, old_format_reference)
{
	char *ckpt = shared("data/tofu-logs/tofu-llama2-7b_full_wd0.01");
	char *ret = shared("data/tofu-logs/npo-oldformat-retain90_llama_wd0.01");

	cr_assert_eq(import("tofu-logs", ckpt, "--reference", ret, NULL, NULL), 0, "%s", slurp_err());
	cr_expect(metric("forget_quality") == 1.096624314778916e-19, "%.17g", metric("forget_quality"));
	cr_expect(metric("ks_statistic") == 0.38, "%.17g", metric("ks_statistic"));
	free(ckpt);
	free(ret);
}

Test(import, ou_logs_pair)
{
	char *ckpt = shared("data/ou-logs/tofu_Llama-2-7b-chat-hf_full_evals_forget05");
	char *ret = shared("data/ou-logs/tofu_Llama-2-7b-chat-hf_retain95");

	cr_assert_eq(import("ou-logs", ckpt, "--reference", ret, "--tag", "ou"), 0, "%s", slurp_err());
	cr_expect(metric("forget_quality") == 5.86730162802883e-14, "%.17g", metric("forget_quality"));
	cr_expect(metric("ks_statistic") == 0.39, "%.17g", metric("ks_statistic"));
	expect_rel(metric("model_utility"), 0.6275553508047139, "model utility");
	cr_expect_eq(count("SELECT count(*) FROM runs WHERE split = 'forget05' AND profile = 'open-unlearning'"
			   " AND source = 'import:ou-logs' AND tag = 'ou'"), 1);
	cr_expect_eq(count("SELECT count(*) FROM items WHERE task = 'forget'"), 200);
	cr_expect_eq(count("SELECT count(*) FROM items WHERE task = 'retain'"), 400);
	free(ckpt);
	free(ret);
}

Test(import, reference_as_run_id)
{
	char *ckpt = shared("data/tofu-logs/tofu-llama2-7b_full_wd0.01");
	char *ret = shared("data/tofu-logs/npo-oldformat-retain90_llama_wd0.01");
	char *out;

	cr_assert_eq(import("tofu-logs", ret, "--model", "npo-retain90", NULL, NULL), 0, "%s", slurp_err());
	cr_expect(isnan(metric("forget_quality")));
	expect_rel(metric("model_utility"), 0.6203436494291608, "retain model utility");
	cr_assert_eq(import("tofu-logs", ckpt, "--reference", "1", NULL, NULL), 0, "%s", slurp_err());
	cr_expect(metric("forget_quality") == 1.096624314778916e-19, "%.17g", metric("forget_quality"));
	cr_expect(metric("ks_statistic") == 0.38, "%.17g", metric("ks_statistic"));
	out = slurp_out();
	cr_expect(strstr(out, "run 2 stored") != NULL, "%s", out);
	cr_expect(strstr(out, "run:1") != NULL, "%s", out);
	free(out);
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id = 2 AND key = 'reference'"
			   " AND value = 'run:1'"), 1);
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id = 2 AND"
			   " key = 'reference.model' AND value = 'npo-retain90'"), 1);
	free(ckpt);
	free(ret);
}

/*
 * A reference run of the other profile holds open-unlearning's truth-ratio
 * score s = 1/R, not R: the import must invert it, not compare R with s.
 * Run 2 is run 1's forget sample as an open-unlearning run would hold it.
 */
Test(import, reference_run_of_other_profile)
{
	char *ckpt = shared("data/tofu-logs/tofu-llama2-7b_full_wd0.01");
	char *ret = shared("data/tofu-logs/npo-oldformat-retain90_llama_wd0.01");
	struct uh_store_run_info info = { .suite = "tofu", .split = "forget10",
					  .profile = "open-unlearning", .model = "npo-retain90-ou",
					  .source = "test" };
	struct uh_store_item_row *items;
	struct uh_store_run *run;
	struct uh_store *st;
	struct uh_err err;
	size_t n;

	cr_assert_eq(import("tofu-logs", ret, "--model", "npo-retain90", NULL, NULL), 0, "%s", slurp_err());
	cr_assert_eq(uh_store_open(&st, db, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_items_get(st, 1, "forget", &items, &n, &err), 0, "%s", err.msg);
	cr_assert(n > 0);
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < n; i++) {
		const char *p = strstr(items[i].values_json, "\"fq_sample\":");
		char vals[64];
		struct uh_store_item it = { .task = "forget", .idx = (int64_t)i, .values_json = vals };

		cr_assert(p != NULL);
		snprintf(vals, sizeof(vals), "{\"fq_sample\":%.17g}", 1 / strtod(p + 12, NULL));
		cr_assert_eq(uh_store_run_add_item(run, &it, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(uh_store_run_commit(run, &err), 0, "%s", err.msg);
	uh_store_item_rows_free(items, n);
	uh_store_close(st);

	cr_assert_eq(import("tofu-logs", ckpt, "--reference", "2", NULL, NULL), 0, "%s", slurp_err());
	cr_expect(metric("forget_quality") == 1.096624314778916e-19, "%.17g", metric("forget_quality"));
	cr_expect(metric("ks_statistic") == 0.38, "%.17g", metric("ks_statistic"));
	free(ckpt);
	free(ret);
}

/*
 * A per-item metric whose name (read from the log) holds a quote and a
 * backslash: its key in the items' values JSON is escaped, so the import
 * succeeds and the value reads back under its own name.
 */
Test(import, ou_metric_name_escaped_in_item_json)
{
	char *ckpt = shared("data/ou-logs/tofu_Llama-2-7b-chat-hf_full_evals_forget05");
	static const char name[] = "forget_x\"y\\z";
	char src[4300], dst[4300], *text, *printed;
	cJSON *root, *copy, *got, *item0;
	struct uh_store_item_row *items;
	struct uh_store *st;
	struct uh_err err;
	size_t n;
	FILE *f;

	snprintf(src, sizeof(src), "%s/TOFU_EVAL.json", ckpt);
	snprintf(dst, sizeof(dst), "%s/TOFU_EVAL.json", dir);
	text = uh_test_slurp(src, NULL);
	cr_assert_not_null(root = cJSON_Parse(text));
	cr_assert_not_null(copy = cJSON_Duplicate(cJSON_GetObjectItem(root, "forget_truth_ratio"), 1));
	{
		/* a score metric's agg_value is the mean of its scores */
		const cJSON *it;
		double sum = 0;
		int k = 0;

		cJSON_ArrayForEach(it, cJSON_GetObjectItem(copy, "value_by_index")) {
			sum += cJSON_GetObjectItem(it, "score")->valuedouble;
			k++;
		}
		cJSON_ReplaceItemInObject(copy, "agg_value", cJSON_CreateNumber(sum / k));
	}
	cJSON_AddItemToObject(root, name, copy);
	cr_assert_not_null(printed = cJSON_PrintUnformatted(root));
	cr_assert_not_null(f = fopen(dst, "w"));
	fputs(printed, f);
	fclose(f);

	cr_assert_eq(import("ou-logs", dst, "--model", "m", NULL, NULL), 0, "%s", slurp_err());
	cr_assert_eq(uh_store_open(&st, db, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_items_get(st, 1, "forget", &items, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 200);
	cr_assert_not_null(got = cJSON_Parse(items[0].values_json));
	item0 = cJSON_GetObjectItem(cJSON_GetObjectItem(copy, "value_by_index"), "0");
	cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(got, name)));
	cr_expect(cJSON_GetObjectItem(got, name)->valuedouble ==
		  cJSON_GetObjectItem(item0, "score")->valuedouble);
	cJSON_Delete(got);
	uh_store_item_rows_free(items, n);
	uh_store_close(st);
	cJSON_Delete(root);
	free(printed);
	free(text);
	free(ckpt);
}

/* Given the TOFU_EVAL.json file itself, the sibling summary it reads is hashed too. */
Test(import, ou_eval_file_hashes_its_summary)
{
	char *ckpt = shared("data/ou-logs/tofu_Llama-2-7b-chat-hf_full_evals_forget05");
	char file[4300];

	snprintf(file, sizeof(file), "%s/TOFU_EVAL.json", ckpt);
	cr_assert_eq(import("ou-logs", file, NULL, NULL, NULL, NULL), 0, "%s", slurp_err());
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id = 1 AND"
			   " key = 'sha256:TOFU_EVAL.json'"), 1);
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id = 1 AND"
			   " key = 'sha256:TOFU_SUMMARY.json'"), 1);
	free(ckpt);
}

/* ---------------------------------------------------------------- bad input */

/* A copy of the llama2 full logs with item 7's avg_gt_loss of the forget log a string. */
static char *corrupt_copy(void)
{
	static const char *const files[] = { "eval_log.json", "eval_real_author_wo_options.json",
					     "eval_real_world_wo_options.json", "eval_log_forget.json" };
	char *bad = malloc(4300);

	cr_assert_not_null(bad);
	snprintf(bad, 4300, "%s/bad_log", dir);
	cr_assert_eq(mkdir(bad, 0755), 0);
	for (size_t i = 0; i < 4; i++) {
		char src[4300], dst[4400];
		size_t len;
		char *buf, *p;
		FILE *f;

		snprintf(src, sizeof(src), "data/tofu-logs/tofu-llama2-7b_full_wd0.01/%s", files[i]);
		buf = uh_test_slurp(uh_test_shared(src), &len);
		if (i == 3) {
			p = strstr(buf, "\"7\": 0.003073758212849498");
			cr_assert_not_null(p);
			memcpy(p + 5, "\"x\"", 3);
			memset(p + 8, ' ', strlen("0.003073758212849498") - 3);
		}
		snprintf(dst, sizeof(dst), "%s/%s", bad, files[i]);
		f = fopen(dst, "wb");
		cr_assert_not_null(f);
		cr_assert_eq(fwrite(buf, 1, len, f), len);
		fclose(f);
		free(buf);
	}
	return bad;
}

Test(import, bad_field_names_file_item_field)
{
	char *bad = corrupt_copy();
	char *e;

	cr_expect_eq(import("tofu-logs", bad, NULL, NULL, NULL, NULL), 2);
	e = slurp_err();
	cr_expect(!strncmp(e, "uh import: ", 11), "%s", e);
	cr_expect(strstr(e, "eval_log_forget.json") && strstr(e, "avg_gt_loss") && strstr(e, "7"), "%s", e);
	free(e);
	expect_no_runs();
	free(bad);
}

Test(import, bad_reference_log_writes_nothing)
{
	char *bad = corrupt_copy();
	char *ckpt = shared("data/tofu-logs/tofu-llama2-7b_full_wd0.01");

	cr_expect_eq(import("tofu-logs", ckpt, "--reference", bad, NULL, NULL), 2);
	expect_no_runs();
	free(bad);
	free(ckpt);
}

Test(import, reference_split_mismatch)
{
	char *ckpt = shared("data/tofu-logs/tofu-llama2-7b_full_wd0.01");
	char *ret = shared("data/tofu-logs/tofu-llama2-7b_retain95_wd0.01");
	char *e;

	cr_expect_eq(import("tofu-logs", ckpt, "--reference", ret, NULL, NULL), 2);
	e = slurp_err();
	cr_expect(strstr(e, "200 forget items") && strstr(e, "has 300"), "%s", e);
	free(e);
	expect_no_runs();
	free(ckpt);
	free(ret);
}

Test(import, reference_run_mismatch_and_missing)
{
	char *ckpt = shared("data/tofu-logs/tofu-llama2-7b_full_wd0.01");
	char *r95 = shared("data/tofu-logs/tofu-llama2-7b_retain95_wd0.01");
	char *e;

	cr_expect_eq(import("tofu-logs", ckpt, "--reference", "1", NULL, NULL), 2);
	e = slurp_err();
	cr_expect(strstr(e, "no run 1") != NULL, "%s", e);
	free(e);
	cr_assert_eq(import("tofu-logs", r95, NULL, NULL, NULL, NULL), 0, "%s", slurp_err());
	cr_expect_eq(import("tofu-logs", ckpt, "--reference", "1", NULL, NULL), 2);
	e = slurp_err();
	cr_expect(strstr(e, "200 forget items") && strstr(e, "has 300"), "%s", e);
	free(e);
	cr_expect_eq(count("SELECT count(*) FROM runs"), 1);
	free(ckpt);
	free(r95);
}

Test(import, usage_errors)
{
	char *ckpt = shared("data/tofu-logs/tofu-llama2-7b_full_wd0.01");
	char *e;

	cr_expect_eq(import("tofu-logs", "/nonexistent/logs", NULL, NULL, NULL, NULL), 2);
	e = slurp_err();
	cr_expect(strstr(e, "/nonexistent/logs") != NULL, "%s", e);
	free(e);
	cr_expect_eq(import("tofu-logs", ckpt, "--reference", "nope", NULL, NULL), 2);
	e = slurp_err();
	cr_expect(strstr(e, "neither a log path nor a run id") != NULL, "%s", e);
	free(e);
	cr_expect_eq(import("muse-logs", ckpt, NULL, NULL, NULL, NULL), 2);
	cr_expect_eq(import("tofu-logs", ckpt, "--bogus", NULL, NULL, NULL), 2);
	cr_expect_eq(import("tofu-logs", NULL, NULL, NULL, NULL, NULL), 2);
	cr_expect_eq(import("tofu-logs", ckpt, "--reference", NULL, NULL, NULL), 2);
	/* The TOFU logs are not open-unlearning logs. */
	cr_expect_eq(import("ou-logs", ckpt, NULL, NULL, NULL, NULL), 2);
	e = slurp_err();
	cr_expect(!strncmp(e, "uh import: ", 11), "%s", e);
	free(e);
	expect_no_runs();
	free(ckpt);
}

Test(import, help)
{
	char *out;

	cr_expect_eq(import("--help", NULL, NULL, NULL, NULL, NULL), 0);
	out = slurp_out();
	cr_expect(strstr(out, "usage: uh import tofu-logs") && strstr(out, "ou-logs") &&
		  strstr(out, "eval_log_aggregated.json") && strstr(out, "TOFU_EVAL.json") &&
		  strstr(out, "example"), "%s", out);
	free(out);
}
