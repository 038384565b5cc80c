/*
 * Harry Potter copyright suite: the rows and text readers (bad input named),
 * templates, per-item BLEU / ROUGE-L recall, perplexity, the synthetic set,
 * the embedded run and the capability check.
 */
#include "harness/backends/ngram.h"
#include "harness/backends/registry.h"
#include "harness/cmds.h"
#include "harness/run_suites.h"
#include "results/store.h"
#include "suites/hp.h"
#include "suites/synth_muse_hp.h"
#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

TestSuite(hp, .init = setup, .fini = teardown);

#define RUN(...) uh_test_call(uh_cmd_run, "run", (const char *const[]){ __VA_ARGS__, NULL }, NULL, \
			      out_path, err_path)

static double metric(long long id, const char *name)
{
	return uh_test_metric(db, id, name);
}

static long long count(const char *sql)
{
	return uh_test_count(db, sql);
}

Test(hp, rows_and_bad_rows)
{
	const char *ok = "{\"prompt\": \"Go on: a b\", \"response\": \"c d\"}\n\n{\"prompt\": \"x\", \"response\": \"y\"}\n";
	const char *bad = "{\"prompt\": \"a\", \"response\": \"b\"}\n{\"prompt\": \"a\", \"response\": 3}\n";
	const char *miss = "{\"prompt\": \"a\"}\n";
	struct uh_hp_rows r;
	struct uh_err err = { 0 };

	cr_assert_eq(uh_hp_parse_rows(ok, strlen(ok), "f.jsonl", &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.n, 2);
	cr_expect_str_eq(r.r[0].prompt, "Go on: a b");
	cr_expect_str_eq(r.r[1].response, "y");
	uh_hp_rows_release(&r);
	cr_expect_eq(uh_hp_parse_rows(bad, strlen(bad), "d/hp_test_qa_200.jsonl", &r, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "'d/hp_test_qa_200.jsonl' line 2") && strstr(err.msg, "'response'"), "%s",
		  err.msg);
	cr_expect_eq(uh_hp_parse_rows(miss, strlen(miss), "m.jsonl", &r, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "line 1") && strstr(err.msg, "'response'"), "%s", err.msg);
	cr_expect_eq(uh_hp_parse_rows("", 0, "e.jsonl", &r, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "'e.jsonl' has no rows"), "%s", err.msg);
	cr_expect_eq(uh_hp_parse_rows("[1]\n", 4, "l.jsonl", &r, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "l.jsonl"), "%s", err.msg);
}

Test(hp, documents_split_at_blank_lines)
{
	const char *t = "\n\nfirst doc\nline two\n   \nsecond\n\n\n third \n";
	struct uh_hp_docs d;
	struct uh_err err = { 0 };

	cr_assert_eq(uh_hp_parse_docs(t, strlen(t), "t.txt", &d, &err), 0, "%s", err.msg);
	cr_assert_eq(d.n, 3);
	cr_expect_str_eq(d.d[0], "first doc\nline two");
	cr_expect_str_eq(d.d[1], "second");
	cr_expect_str_eq(d.d[2], " third ");
	uh_hp_docs_release(&d);
	cr_expect_eq(uh_hp_parse_docs(" \n\n", 3, "w.txt", &d, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "'w.txt' has no documents"), "%s", err.msg);
	cr_expect_eq(uh_hp_parse_docs("a\0b", 3, "n.txt", &d, &err), UH_EINVAL);
	/* lm-eval's re.split(r"\s+", doc) */
	cr_expect_eq(uh_hp_words("a b  c"), 3);
	cr_expect_eq(uh_hp_words(" a"), 2);
	cr_expect_eq(uh_hp_words("a\n"), 2);
}

Test(hp, templates_references_and_scores)
{
	const struct uh_hp_template *t;
	struct uh_err err = { 0 };
	double bleu, rl, wp, bp, bpb, ll[2] = { -10, -20 };
	size_t words[2] = { 5, 10 }, bytes[2] = { 20, 40 };
	char *p, *r;

	cr_assert_eq(uh_hp_template_get("opt", &t, &err), 0);
	p = uh_hp_prompt(t, "Go on: a b");
	r = uh_hp_reference(t, "c d");
	cr_expect_str_eq(p, "### Question: Go on: a b\n");
	cr_expect_str_eq(r, "### Answer: c d");
	free(p);
	free(r);
	cr_assert_eq(uh_hp_template_get("llama", &t, &err), 0);
	p = uh_hp_prompt(t, "x");
	cr_expect_str_eq(p, "[INST] x [\\INST]");  /* sic, as dataset/harrypotter.py */
	free(p);
	cr_expect_eq(uh_hp_template_get("gpt", &t, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "valid: opt, llama"), "%s", err.msg);

	cr_assert_eq(uh_hp_item_scores("the cat sat on the mat today", "the cat sat on the mat today", &bleu, &rl,
				       &err), 0);
	cr_expect(fabs(bleu - 100) < 1e-9, "%.17g", bleu);
	cr_expect_eq(rl, 1);
	/* recall with the stemmer: "running" ~ "runs" -> "run" */
	cr_assert_eq(uh_hp_item_scores("dogs running fast", "dog runs", &bleu, &rl, &err), 0);
	cr_expect(fabs(rl - 2.0 / 3) < 1e-15, "%.17g", rl);
	cr_expect_eq(bleu, 0);  /* no 4-gram: sacrebleu 2.x exits early only on all-zero matches */
	uh_hp_perplexity(ll, words, bytes, 2, &wp, &bp, &bpb);
	cr_expect(fabs(wp - exp(2.0)) < 1e-12);
	cr_expect(fabs(bp - exp(0.5)) < 1e-12);
	cr_expect(fabs(bpb - 0.5 / log(2.0)) < 1e-12);
}

Test(hp, synthetic_set_loads_and_names_missing_k)
{
	struct uh_hp_suite s;
	struct uh_err err = { 0 };
	char d[4400];

	snprintf(d, sizeof(d), "%s/hp", dir);
	cr_assert_eq(uh_synth_hp(d, 3, 10, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_hp_suite_load(&s, d, 200, NULL, &err), 0, "%s", err.msg);
	cr_expect_eq(s.train.n, 60);
	cr_expect_eq(s.test.n, 60);
	cr_expect(s.has_ppl && s.ppl.n == 2);
	/* "<instruction>: " + 200 words; the response is the rest */
	cr_expect(strstr(s.train.r[0].prompt, ": ") != NULL);
	cr_expect_eq(uh_hp_words(strstr(s.train.r[0].prompt, ": ") + 2), 200);
	cr_expect_neq(strcmp(s.train.r[0].prompt, s.test.r[0].prompt), 0);
	uh_hp_suite_release(&s);
	cr_expect_eq(uh_hp_suite_load(&s, d, 77, NULL, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "hp_train_qa_77.jsonl and") && strstr(err.msg, "hp_test_qa_77.jsonl"), "%s",
		  err.msg);
	cr_expect(strstr(err.msg, "--prompt-words") && strstr(err.msg, "200"), "%s", err.msg);
	cr_expect_eq(uh_hp_suite_load(&s, d, 200, "/nonexistent.txt", &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "/nonexistent.txt"), "%s", err.msg);
}

Test(hp, embedded_run_on_a_small_synthetic_set)
{
	char *o;

	cr_assert_eq(RUN("--suite", "hp", "--size", "10", "--db", db, "--quiet"), 0, "%s",
		     uh_test_slurp(err_path, NULL));
	o = uh_test_slurp(out_path, NULL);
	cr_expect(strstr(o, "BLEU, train instructions") && strstr(o, "familiarity (WHP) not computed"), "%s", o);
	free(o);
	cr_expect_eq(count("SELECT count(*) FROM runs WHERE suite = 'hp' AND split = 'k200'"), 2);
	cr_expect_gt(metric(2, "train/bleu"), metric(1, "train/bleu") + 5);
	cr_expect_gt(metric(2, "test/rougeL"), metric(1, "test/rougeL"));
	cr_expect(metric(2, "word_perplexity") > 1 && isfinite(metric(2, "word_perplexity")));
	cr_expect_eq(count("SELECT count(*) FROM items WHERE run_id = 2 AND task = 'test'"), 60);
	cr_expect_eq(count("SELECT count(*) FROM metrics WHERE run_id = 2 AND name = 'test/bleu' AND ci_lo IS NOT NULL"), 1);
	cr_expect_eq(RUN("--suite", "hp", "--size", "10", "--prompt-words", "77", "--db", db, "--quiet"), 2);
	cr_expect_eq(RUN("--suite", "hp", "--reference", "1", "--db", db, "--quiet"), 2);
	cr_expect_eq(count("SELECT count(*) FROM runs"), 2);
}

static struct uh_backend_api limited;

Test(hp, capability_check_before_any_request)
{
	struct uh_hp_suite s;
	struct uh_err err = { 0 };
	struct uh_store *st;
	struct uh_backend b = { 0 };
	struct uh_ngram *m;
	struct uh_run_suite_result res;
	struct uh_run_suite_opts o = { .quiet = true };
	const struct uh_hp_template *t;
	const char *docs[] = { "a tiny model" };
	char d[4400];

	snprintf(d, sizeof(d), "%s/hp", dir);
	cr_assert_eq(uh_synth_hp(d, 3, 10, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_hp_suite_load(&s, d, 50, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_hp_template_get("opt", &t, &err), 0);
	cr_assert_eq(uh_ngram_train(docs, 1, NULL, &m, &err), 0);
	limited = *uh_ngram_backend();
	limited.caps &= ~UH_CAN_TOKENIZE;
	cr_assert_eq(uh_backend_wrap(&b, &limited, m, "limited", 1, &err), 0);
	cr_assert_eq(uh_store_open(&st, db, &err), 0);
	cr_expect_eq(uh_run_hp(st, &b, &s, t, &o, &res, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "suite 'hp' metric 'bleu/rougeL' needs TOKENIZE"), "%s", err.msg);
	limited.caps = uh_ngram_backend()->caps & ~UH_CAN_SCORE;
	cr_expect_eq(uh_run_hp(st, &b, &s, t, &o, &res, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "metric 'perplexity' needs SCORE"), "%s", err.msg);
	uh_store_close(st);
	uh_backend_close(&b);
	uh_hp_suite_release(&s);
	cr_expect_eq(count("SELECT count(*) FROM runs"), 0);
}
