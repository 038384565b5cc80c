/*
 * MUSE: the readers on the real MUSE-News files (both retain names),
 * missing and bad files named, the KnowMem prompt against open-unlearning's
 * logged inputs, the open-unlearning MUSE_EVAL summaries recomputed to
 * 1e-12, the import, the profiles' small functions, the embedded run on a
 * small synthetic set, and the capability check.
 */
#include "harness/backends/ngram.h"
#include "harness/backends/registry.h"
#include "harness/cmds.h"
#include "harness/muse_import.h"
#include "harness/run_suites.h"
#include "metrics/tofu_agg.h"
#include "results/store.h"
#include "suites/muse.h"
#include "suites/registry.h"
#include "suites/synth_muse_hp.h"
#include "suites/tofu_logs.h"
#include "tests/testutil.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
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

TestSuite(muse, .init = setup, .fini = teardown);

static char *news(void)
{
	return strdup(uh_test_shared("data/muse-news"));
}

static char *ou_log(const char *which)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "data/ou-logs/muse_Llama-2-7b-hf_News_%s", which);
	return strdup(uh_test_shared(rel));
}

/* Run a command in-process with stdout/stderr to files. */
#define CALL(fn, ...) uh_test_call(fn, NULL, (const char *const[]){ __VA_ARGS__, NULL }, NULL, \
				   out_path, err_path)

static long long count(const char *sql)
{
	return uh_test_count(db, sql);
}

static double metric(long long id, const char *name)
{
	return uh_test_metric(db, id, name);
}

static void expect_rel(double got, double want, const char *what)
{
	cr_expect(fabs(got - want) <= 1e-12 * fabs(want), "%s: %.17g, want %.17g", what, got, want);
}

/* ---------------------------------------------------------------- readers */

Test(muse, reads_the_real_news_files_with_the_old_retain_names)
{
	struct uh_muse_suite s;
	struct uh_err err = { 0 };
	char *d = news();

	cr_assert_eq(uh_muse_suite_load(&s, d, "news", UH_MUSE_PROFILE_MUSE, &err), 0, "%s", err.msg);
	cr_expect_eq(s.verbmem.n, 100);
	cr_expect_eq(s.forget_qa.n, 100);
	cr_expect_eq(s.retain_qa.n, 100);
	cr_expect_eq(s.forget_icl.n, 10);
	cr_expect_eq(s.retain_icl.n, 10);
	cr_expect_eq(s.pl_forget.n, 100);
	cr_expect_eq(s.pl_retain.n, 100);
	cr_expect_eq(s.pl_holdout.n, 100);
	cr_expect_eq(s.n_files, 8);
	cr_expect(strstr(s.files[3], "knowmem/retain2_qa.json"), "%s", s.files[3]);
	cr_expect(strstr(s.files[6], "privleak/retain2.json"), "%s", s.files[6]);
	cr_expect_str_eq(s.forget_qa.p[0].b, "1472");
	cr_expect(!strncmp(s.verbmem.p[0].a, "now, everyone should just take a deep breath.", 45));
	uh_muse_suite_release(&s);
	free(d);
}

Test(muse, reads_the_new_retain_names)
{
	static const char *const links[][2] = {
		{ "verbmem/forget.json", "verbmem/forget.json" },
		{ "knowmem/forget_qa.json", "knowmem/forget_qa.json" },
		{ "knowmem/forget_qa_icl.json", "knowmem/forget_qa_icl.json" },
		{ "knowmem/retain2_qa.json", "knowmem/retain_qa.json" },
		{ "knowmem/retain2_qa_icl.json", "knowmem/retain_qa_icl.json" },
		{ "privleak/forget.json", "privleak/forget.json" },
		{ "privleak/retain2.json", "privleak/retain.json" },
		{ "privleak/holdout.json", "privleak/holdout.json" },
	};
	struct uh_muse_suite s;
	struct uh_err err = { 0 };
	char *d = realpath(uh_test_shared("data/muse-news"), NULL), p[4400], q[4400];

	cr_assert_not_null(d);
	snprintf(p, sizeof(p), "%s/verbmem", dir);
	cr_assert_eq(mkdir(p, 0777), 0);
	snprintf(p, sizeof(p), "%s/knowmem", dir);
	cr_assert_eq(mkdir(p, 0777), 0);
	snprintf(p, sizeof(p), "%s/privleak", dir);
	cr_assert_eq(mkdir(p, 0777), 0);
	for (size_t i = 0; i < 8; i++) {
		snprintf(p, sizeof(p), "%s/%s", d, links[i][0]);
		snprintf(q, sizeof(q), "%s/%s", dir, links[i][1]);
		cr_assert_eq(symlink(p, q), 0, "%s", q);
	}
	cr_assert_eq(uh_muse_suite_load(&s, dir, "news", UH_MUSE_PROFILE_OU, &err), 0, "%s", err.msg);
	cr_expect_eq(s.retain_qa.n, 100);
	cr_expect(strstr(s.files[3], "knowmem/retain_qa.json"), "%s", s.files[3]);
	cr_expect(strstr(s.files[6], "privleak/retain.json"), "%s", s.files[6]);
	uh_muse_suite_release(&s);
	free(d);
}

Test(muse, missing_files_are_named_with_both_accepted_names)
{
	struct uh_muse_suite s;
	struct uh_err err = { 0 };

	cr_assert_eq(uh_muse_suite_load(&s, dir, "news", UH_MUSE_PROFILE_MUSE, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "verbmem/forget.json"), "%s", err.msg);
	cr_expect(strstr(err.msg, "knowmem/forget_qa_icl.json"), "%s", err.msg);
	cr_expect(strstr(err.msg, "knowmem/retain_qa.json (or knowmem/retain2_qa.json)"), "%s", err.msg);
	cr_expect(strstr(err.msg, "privleak/retain.json (or privleak/retain2.json)"), "%s", err.msg);
	cr_expect(strstr(err.msg, "privleak/holdout.json"), "%s", err.msg);
}

static void expect_bad_pairs(const char *json, const char *const *words)
{
	struct uh_muse_pairs p;
	struct uh_err err = { 0 };

	cr_assert_eq(uh_muse_parse_pairs(json, strlen(json), "x/verbmem/forget.json", "prompt", "gt", &p, &err),
		     UH_EINVAL, "%s", json);
	for (const char *const *w = words; *w; w++)
		cr_expect(strstr(err.msg, *w), "'%s' not in: %s", *w, err.msg);
}

#define BAD_PAIRS(json, ...) expect_bad_pairs(json, (const char *const[]){ __VA_ARGS__, NULL })

Test(muse, bad_files_name_the_file_the_item_and_the_field)
{
	struct uh_muse_texts t;
	struct uh_err err = { 0 };
	const char *bad_text = "[\"a\", \"b\", 3]";

	BAD_PAIRS("", "x/verbmem/forget.json", "empty file");
	BAD_PAIRS("{\"prompt\": \"a\"}", "must be a JSON list, got object");
	BAD_PAIRS("[]", "the list is empty");
	BAD_PAIRS("[{\"prompt\": \"a\", \"gt\": \"b\"", "not valid JSON");
	BAD_PAIRS("[{\"prompt\": \"a\", \"gt\": \"b\"}, {\"prompt\": \"c\", \"gt\": 4}]", "item 1",
		  "field 'gt' must be a string, got number");
	BAD_PAIRS("[{\"prompt\": \"a\", \"gt\": \"b\"}, {\"prompt\": \"c\"}]", "item 1", "field 'gt' is missing");
	BAD_PAIRS("[\"a\"]", "item 0", "must be an object with 'prompt' and 'gt', got string");
	cr_expect_eq(uh_muse_parse_texts(bad_text, strlen(bad_text), "p/holdout.json", &t, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "'p/holdout.json' item 2: must be a string (a text), got number"), "%s",
		  err.msg);
	cr_expect_eq(uh_muse_parse_texts("[\"\"]", 4, "p/holdout.json", &t, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "item 0: the text is empty"), "%s", err.msg);
}

/* ---------------------------------------------------------------- prompts */

Test(muse, icl_prompts_match_open_unlearning_inputs)
{
	struct uh_muse_suite s;
	struct uh_ou_eval ev;
	struct uh_err err = { 0 };
	char *d = news(), *t = ou_log("target");
	const struct uh_ou_metric *mf, *mr;
	size_t same_f = 0, same_r = 0;
	char *p;

	cr_assert_eq(uh_muse_suite_load(&s, d, "news", UH_MUSE_PROFILE_MUSE, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_ou_eval_read(t, &ev, &err), 0, "%s", err.msg);
	mf = uh_ou_eval_find(&ev, "forget_knowmem_ROUGE");
	mr = uh_ou_eval_find(&ev, "retain_knowmem_ROUGE");
	cr_assert(mf && mr && mf->n == 100 && mr->n == 100);
	for (size_t i = 0; i < 100; i++) {
		p = uh_muse_icl_prompt(&s.forget_icl, s.forget_qa.p[i].a);
		same_f += !strcmp(p, mf->input[i]);
		if (i == 15) {
			/* open-unlearning logs the decoded tokens: the tokenizer's clean-up ate a space */
			cr_expect(strstr(p, "as a 'safer starting point'"));
			cr_expect(strstr(mf->input[i], "as a'safer starting point'"));
		}
		free(p);
		p = uh_muse_icl_prompt(&s.retain_icl, s.retain_qa.p[i].a);
		same_r += !strcmp(p, mr->input[i]);
		free(p);
	}
	cr_expect_eq(same_f, 99);
	cr_expect_eq(same_r, 100);
	p = uh_muse_icl_prompt(&s.forget_icl, "Q?");
	cr_expect(!strncmp(p, "Question: How much total prize money", 36));
	cr_expect(strstr(p, "\nAnswer: \xc2\xa3" "55,000\n\nQuestion: What disciplinary"));
	cr_expect_str_eq(p + strlen(p) - 23, "\n\nQuestion: Q?\nAnswer: ");
	free(p);
	uh_ou_eval_release(&ev);
	uh_muse_suite_release(&s);
	free(d);
	free(t);
}

Test(muse, answers_cut_at_the_stop_strings_and_profiles_differ)
{
	char *o;

	cr_expect_eq(uh_muse_answer_cut("Paris\n\nQuestion: next"), 5);
	cr_expect_eq(uh_muse_answer_cut(" Paris\nQuestion: x"), 6);
	cr_expect_eq(uh_muse_answer_cut("A Question: B"), 2);
	cr_expect_eq(uh_muse_answer_cut("no stop"), 7);
	o = uh_muse_output(UH_MUSE_PROFILE_MUSE, true, " Paris \n\nQuestion");
	cr_expect_str_eq(o, " Paris ");  /* the official code does not strip */
	free(o);
	o = uh_muse_output(UH_MUSE_PROFILE_OU, true, " Paris \n\nQuestion");
	cr_expect_str_eq(o, "Paris");
	free(o);
	o = uh_muse_output(UH_MUSE_PROFILE_MUSE, false, "a\n\nQuestion: b");
	cr_expect_str_eq(o, "a\n\nQuestion: b");  /* VerbMem is not cut */
	free(o);
}

Test(muse, mink_auc_and_privleak_per_profile)
{
	double lp[5] = { -1, -2, -3, -4, -5 }, f[3] = { 1, 2, 3 }, h[3] = { 2.5, 4, 5 }, m, a1, a2, pl;
	struct uh_err err = { 0 };

	/* muse: int(5 * 0.4) = 2 smallest of all 5; open-unlearning: the last dropped, max(1, int(4*0.4)) = 1 */
	cr_assert_eq(uh_muse_mink(UH_MUSE_PROFILE_MUSE, lp, 5, &m, &err), 0);
	cr_expect_eq(m, 4.5);
	cr_assert_eq(uh_muse_mink(UH_MUSE_PROFILE_OU, lp, 5, &m, &err), 0);
	cr_expect_eq(m, 4);
	cr_expect_eq(uh_muse_mink(UH_MUSE_PROFILE_MUSE, lp, 2, &m, &err), UH_EINVAL); /* k = 0 */
	cr_assert_eq(uh_muse_auc(UH_MUSE_PROFILE_MUSE, f, 3, h, 3, &a1, &err), 0);
	cr_assert_eq(uh_muse_auc(UH_MUSE_PROFILE_OU, f, 3, h, 3, &a2, &err), 0);
	cr_expect_eq(a1 + a2, 1.0, "%g %g", a1, a2);
	cr_assert_eq(uh_muse_privleak(UH_MUSE_PROFILE_MUSE, 0.0, true, UH_MUSE_AUC_RETRAIN_NEWS, &pl, &err), 0);
	cr_expect_eq(pl, -100);
	cr_expect_eq(uh_muse_privleak(UH_MUSE_PROFILE_MUSE, 0.3, false, 0, &pl, &err), UH_EINVAL);
	cr_assert_eq(uh_muse_privleak(UH_MUSE_PROFILE_OU, 0.5, false, 0, &pl, &err), 0);
	cr_expect_eq(pl, 0);
	cr_expect(uh_muse_auc_retrain("books", &a1) && a1 == 0.5392999999999999);
	cr_expect(!uh_muse_auc_retrain("wiki", &a1));
}

/* ---------------------------------------------------------------- open-unlearning logs */

static void check_summary(const struct uh_ou_eval *ev, const struct uh_ou_eval *ref)
{
	struct uh_err err = { 0 };
	size_t n = 0;

	cr_assert(ev->has_summary);
	for (size_t i = 0; i < ev->n_summary; i++) {
		double got;
		bool ok;

		cr_assert_eq(uh_tofu_agg_ou_recompute(ev, ref, ev->summary[i].name, &got, &ok, &err), 0, "%s",
			     err.msg);
		if (!ok)
			continue;
		expect_rel(got, ev->summary[i].value, ev->summary[i].name);
		n++;
	}
	/* everything but the gradnorm / reference attacks, whose inputs are per-item scores too */
	cr_expect_geq(n, 10, "%zu", n);
}

Test(muse, ou_summaries_recomputed_to_1e_12)
{
	struct uh_ou_eval t, r;
	struct uh_err err = { 0 };
	char *tp = ou_log("target"), *rp = ou_log("retrain");
	double v;
	bool ok;
	size_t n;

	cr_assert_eq(uh_ou_eval_read(tp, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_ou_eval_read(rp, &r, &err), 0, "%s", err.msg);
	check_summary(&t, &r);
	check_summary(&r, NULL);
	cr_assert_eq(uh_tofu_agg_ou_recompute(&t, &r, "privleak", &v, &ok, &err), 0);
	cr_expect(ok);
	expect_rel(v, -99.81108310247458, "target privleak");
	cr_assert_eq(uh_tofu_agg_ou_recompute(&r, NULL, "forget_verbmem_ROUGE", &v, &ok, &err), 0);
	expect_rel(v, 0.20162741575204354, "retrain forget_verbmem_ROUGE");
	/* KnowMem aggregates rougeL_f1 (its config's rouge_type), not the recall (0.748) */
	cr_assert_eq(uh_tofu_agg_ou_recompute(&t, &r, "forget_knowmem_ROUGE", &v, &ok, &err), 0);
	expect_rel(v, 0.6443370108563606, "target forget_knowmem_ROUGE");
	cr_assert_eq(uh_tofu_agg_ou_recompute(&r, NULL, "privleak", &v, &ok, &err), 0);
	expect_rel(v, -4.7199999990560135, "retrain privleak (ref_value 0.5)");
	cr_expect_eq(uh_tofu_agg_ou_verify(&t, &r, 1e-12, &n, &err), 0, "%s", err.msg);
	cr_expect_geq(n, 20);
	cr_expect_eq(uh_tofu_agg_ou_verify(&r, NULL, 1e-12, &n, &err), 0, "%s", err.msg);
	/* the target's privleak was made against the retrain AUC: without it, no match */
	cr_expect_eq(uh_tofu_agg_ou_verify(&t, NULL, 1e-12, &n, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "privleak") && strstr(err.msg, "give that model's logs"), "%s", err.msg);
	uh_ou_eval_release(&t);
	uh_ou_eval_release(&r);
	free(tp);
	free(rp);
}

Test(muse, import_eval_stores_every_recomputed_value)
{
	struct uh_ou_eval t, r;
	struct uh_seval e;
	struct uh_err err = { 0 };
	char *tp = ou_log("target"), *rp = ou_log("retrain");
	size_t n, items = 0;

	cr_assert_eq(uh_ou_eval_read(tp, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_ou_eval_read(rp, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_muse_import_eval(&t, &r, tp, &e, &n, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < t.n_summary; i++) {
		const struct uh_seval_metric *m = uh_seval_find(&e, t.summary[i].name);

		cr_assert(m, "%s", t.summary[i].name);
		expect_rel(m->value, t.summary[i].value, t.summary[i].name);
	}
	cr_expect(uh_seval_find(&e, "forget_verbmem_ROUGE")->has_ci);
	for (size_t i = 0; i < e.n_items; i++)
		items += !strcmp(e.it[i].task, "knowmem_forget");
	cr_expect_eq(items, 100);
	uh_seval_release(&e);
	/* a TOFU log is not a MUSE evaluation */
	uh_ou_eval_release(&r);
	cr_assert_eq(uh_ou_eval_read(uh_test_shared("data/ou-logs/tofu_Llama-2-7b-chat-hf_retain95"), &r, &err), 0);
	cr_expect_eq(uh_muse_import_eval(&r, NULL, "tofu", &e, &n, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "'forget_verbmem_ROUGE', 'forget_knowmem_ROUGE', 'retain_knowmem_ROUGE'"),
		  "%s", err.msg);
	uh_ou_eval_release(&t);
	uh_ou_eval_release(&r);
	free(tp);
	free(rp);
}

/* A reference without mia_min_k: the message names the reference, not the evaluated log. */
Test(muse, import_reference_without_mia_min_k_named)
{
	char *tp = ou_log("target"), *rp = ou_log("retrain"), *text, *printed, *e;
	char src[4300], ref[4300];
	cJSON *root;
	FILE *f;

	snprintf(src, sizeof(src), "%s/MUSE_EVAL.json", rp);
	snprintf(ref, sizeof(ref), "%s/MUSE_EVAL.json", dir);
	text = uh_test_slurp(src, NULL);
	cr_assert_not_null(root = cJSON_Parse(text));
	cJSON_DeleteItemFromObject(root, "mia_min_k");
	cr_assert_not_null(printed = cJSON_PrintUnformatted(root));
	cr_assert_not_null(f = fopen(ref, "w"));
	fputs(printed, f);
	fclose(f);
	cr_expect_eq(CALL(uh_cmd_import, "import", "ou-logs", tp, "--reference", ref, "--db", db), 2);
	e = uh_test_slurp(err_path, NULL);
	cr_expect(strstr(e, "mia_min_k") && strstr(e, ref), "%s", e);
	free(e);
	cr_expect_leq(count("SELECT count(*) FROM runs"), 0);
	cJSON_Delete(root);
	free(printed);
	free(text);
	free(tp);
	free(rp);
}

Test(muse, import_command)
{
	char *tp = ou_log("target"), *rp = ou_log("retrain"), *e;

	cr_expect_eq(CALL(uh_cmd_import, "import", "ou-logs", tp, "--db", db), 2);
	e = uh_test_slurp(err_path, NULL);
	cr_expect(strstr(e, "give that model's logs as the reference"), "%s", e);
	free(e);
	cr_expect_leq(count("SELECT count(*) FROM runs"), 0);  /* nothing written */
	cr_assert_eq(CALL(uh_cmd_import, "import", "ou-logs", tp, "--reference", rp, "--db", db), 0);
	cr_assert_eq(CALL(uh_cmd_import, "import", "ou-logs", rp, "--db", db), 0);
	cr_expect_eq(count("SELECT count(*) FROM runs WHERE suite = 'muse' AND split = 'news' AND "
			   "profile = 'open-unlearning' AND source = 'import:ou-logs'"), 2);
	expect_rel(metric(1, "privleak"), -99.81108310247458, "stored privleak");
	expect_rel(metric(2, "forget_verbmem_ROUGE"), 0.20162741575204354, "stored verbmem");
	cr_expect_eq(count("SELECT count(*) FROM items WHERE run_id = 1 AND task = 'verbmem_forget'"), 100);
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id = 1 AND key LIKE 'sha256:%'"), 4);
	free(tp);
	free(rp);
}

/* ---------------------------------------------------------------- runs */

Test(muse, embedded_run_on_a_small_synthetic_set)
{
	char *o;

	cr_assert_eq(CALL(uh_cmd_run, "run", "--suite", "muse", "--split", "news", "--size", "20", "--db", db,
			  "--quiet"), 0, "%s", uh_test_slurp(err_path, NULL));
	o = uh_test_slurp(out_path, NULL);
	cr_expect(strstr(o, "VerbMem D_f (x100)") && strstr(o, "PrivLeak (%)"), "%s", o);
	free(o);
	cr_expect_eq(count("SELECT count(*) FROM runs WHERE suite = 'muse' AND profile = 'muse'"), 2);
	/* run 1 is the reference (retain only), run 2 the model that read the forget stories */
	cr_expect_gt(metric(2, "verbmem_f"), metric(1, "verbmem_f") + 10);
	cr_expect_gt(metric(2, "knowmem_f"), metric(1, "knowmem_f") + 50);
	cr_expect_lt(metric(2, "privleak"), -50);
	cr_expect_eq(metric(1, "privleak"), 0);
	cr_expect_eq(count("SELECT count(*) FROM items WHERE run_id = 2 AND task = 'privleak_holdout'"), 20);
	{
		/* the reference of a VerbMem item: the gt cut after 127 tokens, no word lost */
		struct uh_muse_pairs vp;
		struct uh_err err = { 0 };
		char path[4400], *buf;
		size_t len;
		sqlite3 *h;
		sqlite3_stmt *st;

		snprintf(path, sizeof(path), "%s/cache/uh/muse-synth-s0-n20/verbmem/forget.json", dir);
		buf = uh_test_slurp(path, &len);
		cr_assert_eq(uh_muse_parse_pairs(buf, len, path, "prompt", "gt", &vp, &err), 0, "%s", err.msg);
		cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
		cr_assert_eq(sqlite3_prepare_v2(h, "SELECT reference FROM items WHERE run_id = 1 AND "
						"task = 'verbmem_forget' AND idx = 0", -1, &st, NULL), SQLITE_OK);
		cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
		{
			const char *ref = (const char *)sqlite3_column_text(st, 0);

			cr_expect(strlen(ref) > 200 && strlen(ref) < strlen(vp.p[0].b), "%s", ref);
			cr_expect(!strncmp(ref, vp.p[0].b, strlen(ref)), "%s", ref);
		}
		sqlite3_finalize(st);
		sqlite3_close(h);
		uh_muse_pairs_release(&vp);
		free(buf);
	}
	cr_expect_eq(count("SELECT count(*) FROM items WHERE run_id = 2 AND task = 'knowmem_retain'"), 20);

	/* the open-unlearning profile, against the first reference run */
	cr_assert_eq(CALL(uh_cmd_run, "run", "--suite", "muse", "--profile", "open-unlearning", "--size", "20",
			  "--db", db, "--quiet"), 0);
	cr_expect_gt(metric(4, "forget_verbmem_ROUGE"), metric(3, "forget_verbmem_ROUGE"));
	/* AUC on MinK (1 - the official one), privleak on 1 - AUC: under-unlearning is negative too */
	cr_expect_gt(metric(4, "mia_min_k"), 0.9);
	cr_expect_lt(metric(4, "privleak"), -50);
	/* the retrained model has no retain logs: open-unlearning's ref_value 0.5, not its own AUC */
	cr_expect_eq(metric(3, "privleak"), uh_ou_privleak(metric(3, "mia_min_k"), false, 0),
		     "reference privleak %.17g", metric(3, "privleak"));
	cr_expect_neq(metric(3, "privleak"), 0);
	cr_expect_eq(metric(4, "privleak"), uh_ou_privleak(metric(4, "mia_min_k"), true, metric(3, "mia_min_k")));
	cr_expect_eq(CALL(uh_cmd_run, "run", "--suite", "muse", "--reference", "1", "--profile",
			  "open-unlearning", "--size", "20", "--db", db, "--quiet"), 2);
	o = uh_test_slurp(err_path, NULL);
	cr_expect(strstr(o, "not a MUSE run of profile open-unlearning"), "%s", o);
	free(o);
}

Test(muse, a_second_identical_run_is_all_cache_hits)
{
	char *o;
	unsigned long long hits = 0, misses = 1;

	cr_assert_eq(CALL(uh_cmd_run, "run", "--suite", "muse", "--size", "20", "--db", db, "--quiet"), 0,
		     "%s", uh_test_slurp(err_path, NULL));
	o = uh_test_slurp(out_path, NULL);
	cr_expect(strstr(o, "cache: 0 hits, "), "%s", o);
	free(o);
	cr_assert_eq(CALL(uh_cmd_run, "run", "--suite", "muse", "--size", "20", "--db", db, "--quiet"), 0,
		     "%s", uh_test_slurp(err_path, NULL));
	o = uh_test_slurp(out_path, NULL);
	cr_assert_not_null(strstr(o, "cache: "), "%s", o);
	cr_expect_eq(sscanf(strstr(o, "cache: "), "cache: %llu hits, %llu misses", &hits, &misses), 2, "%s", o);
	cr_expect_gt(hits, 0);
	cr_expect_eq(misses, 0, "%s", o);
	free(o);
	/* runs 3 (reference) and 4 (model) asked nothing of the models, and stored what 1 and 2 did */
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id IN (3, 4) AND "
			   "key = 'request_cache' AND value LIKE '% hits, 0 misses' AND value NOT LIKE '0 hits%'"), 2);
	cr_expect_geq(count("SELECT count(*) FROM metrics WHERE run_id = 4"), 5);
	cr_expect_eq(count("SELECT count(*) FROM metrics a JOIN metrics b ON a.name = b.name AND "
			   "b.run_id = a.run_id + 2 WHERE a.run_id IN (1, 2) AND (a.value IS NOT b.value OR "
			   "a.ci_lo IS NOT b.ci_lo OR a.ci_hi IS NOT b.ci_hi OR a.n IS NOT b.n)"), 0);
	cr_expect_eq(count("SELECT count(*) FROM metrics WHERE run_id IN (1, 2)"),
		     count("SELECT count(*) FROM metrics WHERE run_id IN (3, 4)"));
	cr_expect_eq(count("SELECT count(*) FROM items a JOIN items b ON a.task = b.task AND a.idx = b.idx AND "
			   "b.run_id = a.run_id + 2 WHERE a.run_id IN (1, 2) AND (a.generation IS NOT b.generation "
			   "OR a.values_json IS NOT b.values_json)"), 0);

	/* --no-cache: no cache, same numbers */
	cr_assert_eq(CALL(uh_cmd_run, "run", "--suite", "muse", "--size", "20", "--db", db, "--quiet",
			  "--no-cache"), 0);
	o = uh_test_slurp(out_path, NULL);
	cr_expect(strstr(o, "cache: off"), "%s", o);
	free(o);
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE run_id IN (5, 6) AND key = 'request_cache'"), 0);
	cr_expect_eq(count("SELECT count(*) FROM metrics a JOIN metrics b ON a.name = b.name AND "
			   "b.run_id = a.run_id + 4 WHERE a.run_id IN (1, 2) AND a.value IS NOT b.value"), 0);
}

Test(muse, real_news_data_with_a_backend_and_the_published_auc)
{
	/* the null backend answers everything: the numbers are meaningless, the plumbing is not */
	cr_assert_eq(CALL(uh_cmd_run, "run", "--suite", "muse", "--data", uh_test_shared("data/muse-news"),
			  "--backend", "null", "--db", db, "--quiet"), 0, "%s", uh_test_slurp(err_path, NULL));
	cr_expect_eq(count("SELECT count(*) FROM run_provenance WHERE key = 'reference' AND value LIKE "
			   "'published AUC_RETRAIN[news]%'"), 1);
	cr_expect(isfinite(metric(1, "privleak")));
}

/* A backend table like ngram's, minus some capabilities. */
static struct uh_backend_api limited;

Test(muse, capability_check_before_any_request)
{
	struct uh_muse_suite s;
	struct uh_err err = { 0 };
	struct uh_store *st;
	struct uh_backend b = { 0 };
	struct uh_ngram *m;
	struct uh_run_suite_result res;
	struct uh_run_suite_opts o = { .quiet = true };
	const char *docs[] = { "a tiny model" };
	char sd[4400];

	snprintf(sd, sizeof(sd), "%s/data", dir);
	cr_assert_eq(uh_synth_muse(sd, 1, 10, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_muse_suite_load(&s, sd, "news", UH_MUSE_PROFILE_MUSE, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_ngram_train(docs, 1, NULL, &m, &err), 0);
	limited = *uh_ngram_backend();
	limited.caps &= ~UH_CAN_TOKEN_LOGPROBS;
	cr_assert_eq(uh_backend_wrap(&b, &limited, m, "limited", 1, &err), 0);
	cr_assert_eq(uh_store_open(&st, db, &err), 0);
	cr_expect_eq(uh_run_muse(st, &b, &s, &o, &res, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "suite 'muse' metric 'privleak' needs TOKEN_LOGPROBS"), "%s", err.msg);
	cr_expect(strstr(err.msg, "backend 'limited'"), "%s", err.msg);
	limited.caps = UH_CAN_SCORE | UH_CAN_TOKEN_LOGPROBS | UH_CAN_GENERATE;
	cr_expect_eq(uh_run_muse(st, &b, &s, &o, &res, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "metric 'verbmem' needs TOKEN_IDS"), "%s", err.msg);
	s.profile = UH_MUSE_PROFILE_OU;  /* open-unlearning scores the full gt: no token ids needed */
	cr_expect_eq(uh_run_muse(st, &b, &s, &o, &res, &err), 0, "%s", err.msg);
	uh_run_suite_result_release(&res);
	limited.caps = UH_CAN_SCORE;
	cr_expect_eq(uh_suite_check_caps("tofu", "tofu", limited.caps, "x", &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "suite 'tofu' metric 'rouge' needs GENERATE"), "%s", err.msg);
	cr_expect_eq(uh_suite_check_caps("hp", NULL, UH_CAN_GENERATE | UH_CAN_SCORE, "x", &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "TOKENIZE|TOKEN_IDS"), "%s", err.msg);
	uh_store_close(st);
	uh_backend_close(&b);
	uh_muse_suite_release(&s);
	cr_expect_eq(count("SELECT count(*) FROM runs"), 1);
}

Test(muse, synthetic_set_is_deterministic_and_readable)
{
	struct uh_err err = { 0 };
	struct uh_muse_suite s;
	char a[4400], b[4400], cmd[9000];

	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	cr_assert_eq(uh_synth_muse(a, 7, 12, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_synth_muse(b, 7, 12, 0, &err), 0, "%s", err.msg);
	snprintf(cmd, sizeof(cmd), "diff -r '%s' '%s' >/dev/null", a, b);
	cr_expect_eq(system(cmd), 0);
	cr_assert_eq(uh_muse_suite_load(&s, a, "news", UH_MUSE_PROFILE_MUSE, &err), 0, "%s", err.msg);
	cr_expect_eq(s.verbmem.n, 12);
	cr_expect_eq(s.forget_icl.n, 10);
	cr_expect(strstr(s.files[3], "knowmem/retain_qa.json"));
	uh_muse_suite_release(&s);
	cr_expect_eq(uh_synth_muse(a, 7, 5, 0, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "from 10 to 2000"), "%s", err.msg);
}
