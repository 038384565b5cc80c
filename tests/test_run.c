/*
 * `uh run` / `uh-run` in-process: the embedded default on a small synthetic
 * set, the real TOFU data (an n-gram that saw the forget set must get a
 * Forget Quality far below one that did not), determinism, open-unlearning
 * extras, a backend failing mid-run leaving no run behind, and usage errors.
 */
#include "harness/backends/registry.h"
#include "harness/cmds.h"
#include "harness/run.h"
#include "results/store.h"
#include "suites/synth_tofu.h"
#include "suites/tofu.h"
#include "tests/testutil.h"

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
static int real_stderr = -1;

static void setup(void)
{
	dir = uh_test_scratch(db, out_path, err_path);
	if (real_stderr < 0)
		real_stderr = dup(2);
}

static void teardown(void)
{
	uh_test_rm_rf(dir);
	free(dir);
}

TestSuite(run, .init = setup, .fini = teardown);

/* Run `uh run ARGS... --db <db> --quiet`, stdout and stderr to files. */
static int run_args(const char *const *args)
{
	return uh_test_call(uh_cmd_run, "run", args, (const char *const[]){ "--db", db, "--quiet", NULL },
			    out_path, err_path);
}

#define RUN(...) run_args((const char *const[]){ __VA_ARGS__, NULL })

static char *slurp_out(void)
{
	return uh_test_slurp(out_path, NULL);
}

static char *slurp_err(void)
{
	return uh_test_slurp(err_path, NULL);
}

/* A metric of run id; NAN when absent. */
static double metric(long long id, const char *name)
{
	return uh_test_metric(db, id, name);
}

static long long count(const char *sql)
{
	return uh_test_count(db, sql);
}

/* The metrics of a run as one string "name=value;..." (caller frees). */
static char *metrics_text(long long id)
{
	struct uh_store *st;
	struct uh_store_metric_row *m;
	struct uh_err e;
	size_t n, len = 0;
	char *s = malloc(1 << 16);

	cr_assert_eq(uh_store_open(&st, db, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_store_metrics_get(st, id, &m, &n, &e), 0, "%s", e.msg);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, (1 << 16) - len, "%s=%.17g[%.17g,%.17g];", m[i].name,
					m[i].value, m[i].has_ci ? m[i].ci_lo : 0, m[i].has_ci ? m[i].ci_hi : 0);
	uh_store_metric_rows_free(m, n);
	uh_store_close(st);
	return s;
}

static void expect_table_in_range(long long id)
{
	static const char *const rows[] = { "prob", "rouge", "truth_ratio" };
	static const char *const tasks[] = { "retain", "real_authors", "real_world", "forget" };
	char name[64];

	for (int r = 0; r < 3; r++)
		for (int t = 0; t < 4; t++) {
			double v;

			snprintf(name, sizeof(name), "%s/%s", rows[r], tasks[t]);
			v = metric(id, name);
			cr_expect(v >= 0 && v <= 1, "run %lld %s = %g", id, name, v);
		}
	cr_expect(metric(id, "model_utility") >= 0 && metric(id, "model_utility") <= 1);
}

/* ---------------------------------------------------------------- the embedded default */

Test(run, embedded_default_on_a_small_synthetic_set)
{
	char *out;
	double fq_full, fq_retain;

	cr_assert_eq(RUN("--suite", "tofu", "--split", "forget05", "--authors", "100"), 0, "%s",
		     slurp_err());
	out = slurp_out();
	cr_expect_eq(count("SELECT count(*) FROM runs"), 2);
	cr_expect_eq(count("SELECT count(*) FROM runs WHERE id = 1 AND tag = 'reference' AND model = 'ngram:retain95'"), 1);
	cr_expect_eq(count("SELECT count(*) FROM runs WHERE id = 2 AND model = 'ngram:full' AND status = 'complete'"), 1);
	/* 100 authors: forget05 is 5 authors, 100 items; retain_perturbed 300 of 400 */
	cr_expect_eq(count("SELECT count(*) FROM items WHERE run_id = 2 AND task = 'forget'"), 100);
	cr_expect_eq(count("SELECT count(*) FROM items WHERE run_id = 2 AND task = 'retain'"), 300);
	cr_expect_eq(count("SELECT count(*) FROM items WHERE run_id = 2 AND generation IS NULL"), 0);
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id = 2 AND key LIKE 'sha256:%'"), 5);
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id = 2 AND key = 'reference' AND value = 'run:1'"), 1);
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id = 2 AND key = 'command'"), 1);
	expect_table_in_range(1);
	expect_table_in_range(2);
	fq_full = metric(2, "forget_quality");
	cr_expect(strstr(out, "Forget Quality") && strstr(out, "KS statistic") && strstr(out, "Model Utility"),
		  "%s", out);
	cr_expect(strstr(out, "reference run 1") && strstr(out, "model run 2") && strstr(out, db), "%s", out);
	cr_expect(strstr(out, "95% CI") != NULL, "%s", out);
	free(out);

	/* a model that never saw the forget set, against the same reference */
	cr_assert_eq(RUN("--split", "forget05", "--authors", "100", "--train-split", "retain90",
			 "--reference", "1"), 0, "%s", slurp_err());
	cr_expect_eq(count("SELECT count(*) FROM runs"), 3);
	fq_retain = metric(3, "forget_quality");
	dprintf(real_stderr, "synthetic (100 authors) forget05: FQ full %.3g, retain90 %.3g (reference retain95)\n",
		fq_full, fq_retain);
	cr_expect_lt(fq_full, 1e-2, "full-trained FQ %g", fq_full);
	cr_expect_gt(fq_retain, 0.1, "retain-trained FQ %g", fq_retain);
	cr_expect_gt(fq_retain, 100 * fq_full);
}

Test(run, same_command_twice_gives_identical_metrics)
{
	char *a1, *a2, *b1, *b2;

	cr_assert_eq(RUN("--split", "forget01", "--authors", "100", "--seed", "7"), 0, "%s", slurp_err());
	cr_assert_eq(RUN("--split", "forget01", "--authors", "100", "--seed", "7"), 0, "%s", slurp_err());
	a1 = metrics_text(1), a2 = metrics_text(3);
	b1 = metrics_text(2), b2 = metrics_text(4);
	cr_expect_str_eq(a1, a2);
	cr_expect_str_eq(b1, b2);
	cr_expect(strstr(b1, "forget_quality=") != NULL, "%s", b1);
	free(a1);
	free(a2);
	free(b1);
	free(b2);
	cr_expect_eq(count("SELECT count(*) FROM runs WHERE seed = 7"), 4);
}

/* The real TOFU questions (shared/data/tofu): FQ of the full-trained model vs retain95. */
Test(run, real_data_forget_quality, .timeout = 300)
{
	char data[4200];
	double fq_full, fq_r90;

	snprintf(data, sizeof(data), "%s", uh_test_shared("data/tofu"));
	cr_assert_eq(RUN("--split", "forget05", "--data", data), 0, "%s", slurp_err());
	cr_expect_eq(count("SELECT count(*) FROM runs WHERE model = 'ngram:retain95'"), 1);
	cr_expect_eq(count("SELECT count(*) FROM items WHERE run_id = 2 AND task = 'forget'"), 200);
	fq_full = metric(2, "forget_quality");
	cr_assert_eq(RUN("--split", "forget05", "--data", data, "--train-split", "retain90",
			 "--reference", "1"), 0, "%s", slurp_err());
	fq_r90 = metric(3, "forget_quality");
	dprintf(real_stderr, "real TOFU forget05: FQ full %.17g, retain90 %.17g (reference retain95)\n",
		fq_full, fq_r90);
	cr_expect_lt(fq_full, 1e-3, "full-trained FQ %g", fq_full);
	cr_expect_gt(fq_r90, 0.05, "retain90-trained FQ %g", fq_r90);
	expect_table_in_range(2);

	/* against the official logs of llama2-7b retain95 (200 forget items too), hashed */
	cr_assert_eq(RUN("--split", "forget05", "--data", data, "--reference-logs",
			 uh_test_shared("data/tofu-logs/tofu-llama2-7b_retain95_wd0.01")), 0, "%s", slurp_err());
	cr_expect(metric(4, "forget_quality") >= 0 && metric(4, "forget_quality") <= 1);
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id = 4 AND "
			   "key = 'reference.sha256:eval_log_forget.json'"), 1);
	cr_expect_eq(count("SELECT count(*) FROM runs"), 4, "no reference run is trained when one is given");
}

/* ---------------------------------------------------------------- open-unlearning */

Test(run, open_unlearning_extras_and_privleak)
{
	char data[4200], path[4300], *out;
	struct uh_err e;
	FILE *f;

	snprintf(data, sizeof(data), "%s/data", dir);
	cr_assert_eq(uh_synth_tofu(data, 5, 100, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(RUN("--split", "forget05", "--profile", "open-unlearning", "--template", "phi",
			 "--data", data), 0, "%s", slurp_err());
	out = slurp_out();
	cr_expect(strstr(out, "privleak skipped: no holdout05.json") != NULL, "%s", out);
	cr_expect(strstr(out, "extraction_strength") && strstr(out, "exact_memorization"), "%s", out);
	cr_expect(metric(2, "extraction_strength") > 0.5);
	cr_expect(isnan(metric(2, "privleak")));
	cr_expect_eq(count("SELECT count(*) FROM items WHERE run_id = 2 AND task = 'retain'"), 400);
	free(out);

	/* a holdout set: answers the model never saw */
	snprintf(path, sizeof(path), "%s/holdout05.json", data);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 100; i++)
		fprintf(f, "{\"question\":\"What is held-out fact %d?\",\"answer\":\"Held-out answer number %d is "
			   "about a quiet harbour town.\"}\n", i, i);
	fclose(f);
	cr_assert_eq(RUN("--split", "forget05", "--profile", "open-unlearning", "--template", "phi",
			 "--data", data), 0, "%s", slurp_err());
	cr_expect(metric(3, "mia_min_k") >= 0 && metric(3, "mia_min_k") <= 1);
	cr_expect(!isnan(metric(4, "privleak")), "privleak of the model run");
	/* the model saw the forget answers: they score as members (low min-k), so the
	 * holdout ranks above them more often than for the reference: a higher AUC,
	 * and a negative privleak, as open-unlearning reports for its full models */
	cr_expect(metric(4, "mia_min_k") > metric(3, "mia_min_k"), "%g vs %g", metric(4, "mia_min_k"),
		  metric(3, "mia_min_k"));
	cr_expect_lt(metric(4, "privleak"), 0);
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id = 4 AND key = 'sha256:holdout05.json'"), 1);
}

/* ---------------------------------------------------------------- failures */

/* An in-process backend whose score() fails on its 3rd call. */
static int calls;

static int fi_open(const struct uh_backend_config *cfg, void **state, char *eb, size_t el)
{
	*state = &calls;
	return 0;
}

static void fi_close(void *state)
{
}

static int fi_score(void *state, const struct uh_score_req *reqs, size_t n, struct uh_score_res *res,
		    char *eb, size_t el)
{
	if (++calls == 3) {
		snprintf(eb, el, "simulated failure on call %d", calls);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		res[i].n_tokens = 1;
		res[i].logprob = -1;
	}
	return 0;
}

static void fi_free_score(void *state, struct uh_score_res *res, size_t n)
{
}

static int fi_generate(void *state, const struct uh_gen_req *reqs, size_t n, struct uh_gen_res *res,
		       char *eb, size_t el)
{
	for (size_t i = 0; i < n; i++)
		res[i].text = strdup("x");
	return 0;
}

static void fi_free_gen(void *state, struct uh_gen_res *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(res[i].text);
}

static int fi_tokenize(void *state, const char *text, int64_t *n, char *eb, size_t el)
{
	*n = 1;
	return 0;
}

static const struct uh_backend_api fi_api = {
	.abi_version = UH_BACKEND_ABI_VERSION, .size = sizeof(struct uh_backend_api), .name = "faulty",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE, .open = fi_open, .close = fi_close,
	.score = fi_score, .free_score = fi_free_score, .generate = fi_generate, .free_gen = fi_free_gen,
	.tokenize = fi_tokenize,
};

/* The same without tokenize(): it cannot count the prompt's tokens. */
static const struct uh_backend_api nt_api = {
	.abi_version = UH_BACKEND_ABI_VERSION, .size = sizeof(struct uh_backend_api), .name = "notok",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE, .open = fi_open, .close = fi_close,
	.score = fi_score, .free_score = fi_free_score, .generate = fi_generate, .free_gen = fi_free_gen,
};

/*
 * The original profile generates to a total length of 200 tokens: a backend
 * that cannot count the prompt's tokens must be refused before any request,
 * not silently given 200 new tokens; open-unlearning's max_new_tokens needs no count.
 */
Test(run, total_length_needs_tokenize_before_any_request)
{
	struct uh_store *st;
	struct uh_backend b;
	struct uh_tofu_suite s;
	struct uh_tofu_template t;
	struct uh_run_tofu_opts o = { .batch = 4096, .quiet = true };
	struct uh_run_tofu_result res;
	struct uh_err e;
	char data[4200];

	snprintf(data, sizeof(data), "%s/data", dir);
	cr_assert_eq(uh_synth_tofu(data, 1, 100, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_tofu_suite_load(&s, data, "forget01", UH_TOFU_PROFILE_TOFU, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_tofu_template_parse("llama2", &t, &e), 0);
	cr_assert_eq(uh_store_open(&st, db, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_wrap(&b, &nt_api, &calls, "notok", 0, &e), 0, "%s", e.msg);
	calls = 0;
	cr_expect_eq(uh_run_tofu(st, &b, &s, &t, &o, &res, &e), UH_EINVAL);
	cr_expect(strstr(e.msg, "metric 'rouge' needs TOKENIZE") && strstr(e.msg, "'notok'"), "%s", e.msg);
	cr_expect_eq(calls, 0, "no request before the check");
	uh_tofu_suite_release(&s);

	cr_assert_eq(uh_tofu_suite_load(&s, data, "forget01", UH_TOFU_PROFILE_OU, &e), 0, "%s", e.msg);
	cr_expect_eq(uh_run_tofu(st, &b, &s, &t, &o, &res, &e), 0, "%s", e.msg);
	uh_run_tofu_result_release(&res);
	uh_backend_close(&b);
	uh_store_close(st);
	uh_tofu_template_release(&t);
	uh_tofu_suite_release(&s);
}

Test(run, failing_backend_leaves_no_run)
{
	struct uh_store *st;
	struct uh_backend b;
	struct uh_tofu_suite s;
	struct uh_tofu_template t;
	struct uh_run_tofu_opts o = { .batch = 16, .quiet = true };
	struct uh_run_tofu_result res;
	struct uh_err e;
	char data[4200];

	snprintf(data, sizeof(data), "%s/data", dir);
	cr_assert_eq(uh_synth_tofu(data, 1, 100, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_tofu_suite_load(&s, data, "forget05", UH_TOFU_PROFILE_TOFU, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_tofu_template_parse("llama2", &t, &e), 0);
	cr_assert_eq(uh_store_open(&st, db, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_wrap(&b, &fi_api, &calls, "faulty", 0, &e), 0, "%s", e.msg);
	calls = 0;
	cr_expect_lt(uh_run_tofu(st, &b, &s, &t, &o, &res, &e), 0);
	cr_expect(strstr(e.msg, "backend 'faulty'") && strstr(e.msg, "score requests 33-48") &&
		  strstr(e.msg, "simulated failure on call 3"), "%s", e.msg);
	cr_expect_eq(res.run_id, 0);
	uh_backend_close(&b);
	uh_store_close(st);
	uh_tofu_template_release(&t);
	uh_tofu_suite_release(&s);
	cr_expect_eq(count("SELECT count(*) FROM runs"), 0);
	cr_expect_eq(count("SELECT count(*) FROM items"), 0);
}

/*
 * A backend that counts one token per byte and records the budget of every
 * generation, for the original profile's total length of 200 tokens.
 */
static int32_t budget_seen[4096];
static size_t prompt_len_seen[4096], n_seen;

static int tk_score(void *state, const struct uh_score_req *reqs, size_t n, struct uh_score_res *res,
		    char *eb, size_t el)
{
	for (size_t i = 0; i < n; i++) {
		res[i].n_tokens = 2;
		res[i].logprob = -1;
	}
	return 0;
}

static int tk_generate(void *state, const struct uh_gen_req *reqs, size_t n, struct uh_gen_res *res,
		       char *eb, size_t el)
{
	for (size_t i = 0; i < n; i++) {
		if (n_seen < sizeof(budget_seen) / sizeof(budget_seen[0])) {
			budget_seen[n_seen] = reqs[i].max_new_tokens;
			prompt_len_seen[n_seen++] = strlen(reqs[i].prompt);
		}
		res[i].text = strdup("x");
	}
	return 0;
}

static int tk_tokenize(void *state, const char *text, int64_t *n, char *eb, size_t el)
{
	*n = (int64_t)strlen(text);
	return 0;
}

static const struct uh_backend_api tk_api = {
	.abi_version = UH_BACKEND_ABI_VERSION, .size = sizeof(struct uh_backend_api), .name = "bytes",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE, .open = fi_open, .close = fi_close,
	.score = tk_score, .free_score = fi_free_score, .generate = tk_generate, .free_gen = fi_free_gen,
	.tokenize = tk_tokenize,
};

/* max_length=200 counts Llama's BOS; phi-1.5's tokenizer adds none (spec/tofu.md §2.4). */
static void expect_budgets(const char *tmpl, int32_t special)
{
	struct uh_store *st;
	struct uh_backend b;
	struct uh_tofu_suite s;
	struct uh_tofu_template t;
	struct uh_run_tofu_opts o = { .batch = 64, .quiet = true };
	struct uh_run_tofu_result res;
	struct uh_err e;
	char data[4200];

	snprintf(data, sizeof(data), "%s/data", dir);
	cr_assert_eq(uh_synth_tofu(data, 1, 100, UH_SYNTH_FORCE, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_tofu_suite_load(&s, data, "forget01", UH_TOFU_PROFILE_TOFU, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_tofu_template_parse(tmpl, &t, &e), 0);
	cr_assert_eq(uh_store_open(&st, db, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_wrap(&b, &tk_api, &calls, "bytes", 0, &e), 0, "%s", e.msg);
	n_seen = 0;
	cr_assert_eq(uh_run_tofu(st, &b, &s, &t, &o, &res, &e), 0, "%s", e.msg);
	cr_assert_gt(n_seen, 0);
	for (size_t i = 0; i < n_seen; i++) {
		int64_t want = 200 - (int64_t)prompt_len_seen[i] - special;

		cr_assert_eq(budget_seen[i], want < 1 ? 1 : want, "%s: prompt of %zu tokens: budget %d",
			     tmpl, prompt_len_seen[i], (int)budget_seen[i]);
	}
	uh_run_tofu_result_release(&res);
	uh_backend_close(&b);
	uh_store_close(st);
	uh_tofu_template_release(&t);
	uh_tofu_suite_release(&s);
}

Test(run, total_length_200_counts_the_bos_of_llama_not_of_phi)
{
	expect_budgets("llama2", 1);
	expect_budgets("phi", 0);
}

/* The registry's plugin that fails on its 3rd score batch, and one with wrong counts. */
Test(run, failing_and_lying_plugins_leave_no_run)
{
	char plug[4200], *err;
	const char *mid = uh_test_build("plugins/plugin_fail_mid.so");

	cr_assert_eq(access(mid, R_OK), 0, "build the test plugins first (make test): %s", mid);
	snprintf(plug, sizeof(plug), "%s", mid);
	cr_expect_neq(RUN("--split", "forget01", "--authors", "100", "--backend", plug), 0);
	err = slurp_err();
	cr_expect(strstr(err, "plugin_fail_mid.so") && strstr(err, "score requests"), "%s", err);
	free(err);
	cr_expect_eq(count("SELECT count(*) FROM runs"), 0);

	snprintf(plug, sizeof(plug), "%s", uh_test_build("plugins/plugin_wrongcount.so"));
	cr_expect_neq(RUN("--split", "forget01", "--authors", "100", "--backend", plug), 0);
	err = slurp_err();
	cr_expect(strstr(err, "plugin_wrongcount.so") && strstr(err, "n_tokens"), "%s", err);
	free(err);
	cr_expect_eq(count("SELECT count(*) FROM runs"), 0);
}

Test(run, builtin_backend_without_reference)
{
	char *out;

	cr_assert_eq(RUN("--split", "forget01", "--authors", "100", "--backend", "null", "--batch", "7"), 0,
		     "%s", slurp_err());
	out = slurp_out();
	cr_expect(strstr(out, "Forget Quality  not computed: no reference") != NULL, "%s", out);
	cr_expect_eq(count("SELECT count(*) FROM runs WHERE backend = 'null'"), 1);
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE key = 'batch' AND value = '7'"), 1);
	free(out);
}

/* ---------------------------------------------------------------- usage */

static void expect_usage_error(const char *const *args, const char *want1, const char *want2)
{
	char *err;

	cr_expect_eq(run_args(args), 2, "%s", args[1]);
	err = slurp_err();
	cr_expect(strstr(err, want1) && (!want2 || strstr(err, want2)), "%s", err);
	free(err);
}

#define USAGE(w1, w2, ...) expect_usage_error((const char *const[]){ __VA_ARGS__, NULL }, w1, w2)

Test(run, usage_errors_list_the_valid_choices)
{
	char empty[4200], logs[4200];

	USAGE("unknown suite 'wiki' (valid: tofu, muse, hp)", NULL, "--suite", "wiki");
	USAGE("unknown split 'forget07'", "forget01, forget05, forget10", "--split", "forget07",
	      "--authors", "100");
	USAGE("unknown profile 'x'", "tofu, open-unlearning", "--profile", "x");
	USAGE("unknown template 'x'", "llama2, phi, plain", "--template", "x");
	USAGE("unknown backend 'x'", "ngram, null", "--backend", "x", "--authors", "100");
	USAGE("--batch wants", NULL, "--batch", "0");
	USAGE("unknown option '--frobnicate'", NULL, "--frobnicate");
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	cr_assert_eq(mkdir(empty, 0700), 0);
	USAGE("retain_perturbed.json", "forget05_perturbed.json", "--data", empty);
	/* the official logs have 300 forget items, forget05 here 100 */
	snprintf(logs, sizeof(logs), "%s",
		 uh_test_shared("data/tofu-logs/tofu-llama2-7b_retain90_wd0.01"));
	USAGE("300 forget items", "has 100", "--authors", "100", "--reference-logs", logs);
	cr_expect_eq(count("SELECT count(*) FROM runs"), 0);
}

Test(run, help_teaches)
{
	char *out;

	cr_expect_eq(RUN("--help"), 0);
	out = slurp_out();
	cr_expect(strstr(out, "usage: uh-run --suite tofu --split SPLIT") && strstr(out, "examples:") &&
		  strstr(out, "--data ../shared/data/tofu") && strstr(out, "--backend ./my_model.so") &&
		  strstr(out, "default forget05") && strstr(out, "--reference-logs"), "%s", out);
	free(out);
}
