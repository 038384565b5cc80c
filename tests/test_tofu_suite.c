/*
 * The TOFU suite (suites/tofu.h): templates exactly as spec/tofu.md §2.2 and
 * §3.1 for both profiles, split discovery, loading with validation (missing
 * files named, bad rows located), the 300-row cut, request building and
 * dedupe-ready duplicates, per-item values from hand-made answers, and the
 * flag-based extraction strength / exact memorization.
 */
#include "metrics/tofu_agg.h"
#include "suites/synth_tofu.h"
#include "suites/tofu.h"
#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- templates */

static void expect_render(const char *spec, enum uh_tofu_profile p, const char *ctx,
			  const char *prefix, const char *prompt)
{
	struct uh_tofu_template t;
	struct uh_err e;
	char *c, *x, *g;

	cr_assert_eq(uh_tofu_template_parse(spec, &t, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_tofu_render(&t, p, "Who wrote X?", &c, &x, &g, &e), 0, "%s", e.msg);
	cr_expect_str_eq(c, ctx, "%s/%s context", spec, uh_tofu_profile_name(p));
	cr_expect_str_eq(x, prefix, "%s/%s prefix", spec, uh_tofu_profile_name(p));
	cr_expect_str_eq(g, prompt, "%s/%s prompt", spec, uh_tofu_profile_name(p));
	free(c);
	free(x);
	free(g);
	uh_tofu_template_release(&t);
}

static void expect_document(const char *spec, const char *doc)
{
	struct uh_tofu_template t;
	struct uh_err e;
	char *d;

	cr_assert_eq(uh_tofu_template_parse(spec, &t, &e), 0, "%s", e.msg);
	d = uh_tofu_render_document(&t, "Who wrote X?", "Jane Roe.");
	cr_expect_str_eq(d, doc);
	free(d);
	uh_tofu_template_release(&t);
}

Test(tofu_suite, templates_render_as_the_spec_says)
{
	/* llama2: "[INST] {q} [/INST]{a}", identical in both profiles (§2.2, §3.1) */
	expect_render("llama2", UH_TOFU_PROFILE_TOFU, "[INST] Who wrote X? [/INST]", "",
		      "[INST] Who wrote X? [/INST]");
	expect_render("llama2", UH_TOFU_PROFILE_OU, "[INST] Who wrote X? [/INST]", "",
		      "[INST] Who wrote X? [/INST]");
	expect_document("llama2", "[INST] Who wrote X? [/INST]Jane Roe.");
	/* phi, original code: "Answer: " inside the loss, left out of the generation prompt */
	expect_render("phi", UH_TOFU_PROFILE_TOFU, "Question: Who wrote X?\n", "Answer: ",
		      "Question: Who wrote X?\n");
	/* phi, open-unlearning: "Answer: " part of the prompt for both */
	expect_render("phi", UH_TOFU_PROFILE_OU, "Question: Who wrote X?\nAnswer: ", "",
		      "Question: Who wrote X?\nAnswer: ");
	expect_document("phi", "Question: Who wrote X?\nAnswer: Jane Roe.");
	/* plain: the same text with "Answer: " always in the prompt */
	expect_render("plain", UH_TOFU_PROFILE_TOFU, "Question: Who wrote X?\nAnswer: ", "",
		      "Question: Who wrote X?\nAnswer: ");
	expect_render("plain", UH_TOFU_PROFILE_OU, "Question: Who wrote X?\nAnswer: ", "",
		      "Question: Who wrote X?\nAnswer: ");
	expect_document("plain", "Question: Who wrote X?\nAnswer: Jane Roe.");
	/* custom: escapes unescaped, the answer at the end */
	expect_render("Q: {question}\\nA: {answer}", UH_TOFU_PROFILE_TOFU, "Q: Who wrote X?\nA: ", "",
		      "Q: Who wrote X?\nA: ");
	expect_document("<s>{question}|{answer}", "<s>Who wrote X?|Jane Roe.");
}

Test(tofu_suite, bad_templates_say_what_is_valid)
{
	struct uh_tofu_template t;
	struct uh_err e;

	cr_expect_eq(uh_tofu_template_parse("mistral", &t, &e), UH_EINVAL);
	cr_expect(strstr(e.msg, "unknown template 'mistral'") && strstr(e.msg, "llama2, phi, plain"), "%s",
		  e.msg);
	cr_expect_eq(uh_tofu_template_parse("{answer} {question}", &t, &e), UH_EINVAL);
	cr_expect(strstr(e.msg, "end with {answer}") != NULL, "%s", e.msg);
	cr_expect_eq(uh_tofu_template_parse("Q: {question} A: {answer} thanks", &t, &e), UH_EINVAL);
	cr_expect_eq(uh_tofu_template_parse("{question}{question}{answer}", &t, &e), UH_EINVAL);
	cr_expect_eq(uh_tofu_profile_parse("muse", &(enum uh_tofu_profile){ 0 }, &e), UH_EINVAL);
	cr_expect(strstr(e.msg, "tofu, open-unlearning") != NULL, "%s", e.msg);
}

/* ---------------------------------------------------------------- splits and files */

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

Test(tofu_suite, splits_and_retain_names)
{
	char *dir = uh_test_tmpdir(), path[4200], buf[16], **s;
	struct uh_err e;

	snprintf(path, sizeof(path), "%s/forget20_perturbed.json", dir);
	write_text(path, "{}\n");
	snprintf(path, sizeof(path), "%s/forgetXY_perturbed.json", dir);
	write_text(path, "{}\n");
	s = uh_tofu_splits(dir);
	cr_assert_not_null(s);
	cr_expect_str_eq(s[0], "forget01");
	cr_expect_str_eq(s[1], "forget05");
	cr_expect_str_eq(s[2], "forget10");
	cr_expect_str_eq(s[3], "forget20");
	cr_expect_null(s[4]);
	uh_tofu_splits_free(s);
	cr_expect_eq(uh_tofu_retain_split("forget05", buf, sizeof(buf), &e), 0);
	cr_expect_str_eq(buf, "retain95");
	cr_expect_eq(uh_tofu_retain_split("forget01", buf, sizeof(buf), &e), 0);
	cr_expect_str_eq(buf, "retain99");
	cr_expect_eq(uh_tofu_retain_split("retain90", buf, sizeof(buf), &e), UH_EINVAL);
	free(dir);
}

Test(tofu_suite, missing_files_are_each_named)
{
	char *dir = uh_test_tmpdir(), path[4200];
	struct uh_tofu_suite s;
	struct uh_err e;

	snprintf(path, sizeof(path), "%s/real_authors_perturbed.json", dir);
	write_text(path, "{\"question\":\"q\",\"answer\":\"a\",\"perturbed_answer\":[\"b\",\"c\",\"d\"]}\n");
	cr_expect_eq(uh_tofu_suite_load(&s, dir, "forget05", UH_TOFU_PROFILE_TOFU, &e), UH_EINVAL);
	cr_expect(strstr(e.msg, "retain_perturbed.json") && strstr(e.msg, "world_facts_perturbed.json") &&
		  strstr(e.msg, "forget05_perturbed.json") && !strstr(e.msg, "real_authors"), "%s", e.msg);
	cr_expect(strstr(e.msg, dir) != NULL, "%s", e.msg);
	free(dir);
}

Test(tofu_suite, bad_rows_name_file_line_and_field)
{
	char *dir = uh_test_tmpdir();
	struct uh_tofu_suite s;
	struct uh_err e;
	char path[4200];

	cr_assert_eq(uh_synth_tofu(dir, 1, 100, 0, &e), 0, "%s", e.msg);
	snprintf(path, sizeof(path), "%s/forget05_perturbed.json", dir);
	write_text(path,
		   "{\"question\":\"q\",\"answer\":\"a\",\"paraphrased_answer\":\"p\",\"perturbed_answer\":[\"1\",\"2\",\"3\",\"4\",\"5\"]}\n"
		   "{\"question\":\"q\",\"answer\":\"a\",\"paraphrased_answer\":\"p\",\"perturbed_answer\":[\"1\",\"2\",\"3\",\"4\"]}\n");
	cr_expect_eq(uh_tofu_suite_load(&s, dir, "forget05", UH_TOFU_PROFILE_TOFU, &e), UH_EINVAL);
	cr_expect(strstr(e.msg, "forget05_perturbed.json") && strstr(e.msg, "line 2") &&
		  strstr(e.msg, "'perturbed_answer' must be a list of 5 strings, got 4"), "%s", e.msg);
	write_text(path, "{\"question\":\"q\",\"answer\":7}\n");
	cr_expect_eq(uh_tofu_suite_load(&s, dir, "forget05", UH_TOFU_PROFILE_TOFU, &e), UH_EINVAL);
	cr_expect(strstr(e.msg, "line 1") && strstr(e.msg, "'answer'"), "%s", e.msg);
	write_text(path, "");
	cr_expect_eq(uh_tofu_suite_load(&s, dir, "forget05", UH_TOFU_PROFILE_TOFU, &e), UH_EINVAL);
	cr_expect(strstr(e.msg, "no rows") != NULL, "%s", e.msg);
	free(dir);
}

/* The real dataset: 300-row cut in the tofu profile, every row in open-unlearning. */
Test(tofu_suite, real_data_row_counts_per_profile)
{
	const char *data = uh_test_shared("data/tofu");
	char *d = strdup(data);
	struct uh_tofu_suite s;
	struct uh_err e;

	cr_assert_eq(uh_tofu_suite_load(&s, d, "forget10", UH_TOFU_PROFILE_TOFU, &e), 0, "%s", e.msg);
	cr_expect_eq(s.task[UH_TOFU_RETAIN].n, 300);
	cr_expect_eq(s.task[UH_TOFU_REAL_AUTHORS].n, 100);
	cr_expect_eq(s.task[UH_TOFU_REAL_WORLD].n, 117);
	cr_expect_eq(s.task[UH_TOFU_FORGET].n, 300);
	cr_expect_eq(s.n_file_rows[UH_TOFU_FORGET], 400);
	cr_expect_str_eq(s.task[UH_TOFU_FORGET].rows[0].answer, "The author's full name is Hsiao Yun-Hwa.");
	cr_expect_eq(s.task[UH_TOFU_REAL_AUTHORS].rows[0].n_perturbed, 3);
	cr_expect_null(s.task[UH_TOFU_REAL_AUTHORS].rows[0].paraphrased_answer);
	cr_expect_eq(s.n_files, 4);
	uh_tofu_suite_release(&s);
	cr_assert_eq(uh_tofu_suite_load(&s, d, "forget10", UH_TOFU_PROFILE_OU, &e), 0, "%s", e.msg);
	cr_expect_eq(s.task[UH_TOFU_RETAIN].n, 400);
	cr_expect_eq(s.task[UH_TOFU_FORGET].n, 400);
	cr_expect_not(s.has_holdout);
	uh_tofu_suite_release(&s);
	free(d);
}

/* ---------------------------------------------------------------- requests and values */

static void load_synth(struct uh_tofu_suite *s, char **dir, enum uh_tofu_profile p)
{
	struct uh_err e;

	*dir = uh_test_tmpdir();
	cr_assert_eq(uh_synth_tofu(*dir, 3, 100, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_tofu_suite_load(s, *dir, "forget05", p, &e), 0, "%s", e.msg);
}

Test(tofu_suite, requests_per_item)
{
	struct uh_tofu_suite s;
	struct uh_tofu_template t;
	struct uh_tofu_requests rq;
	struct uh_err e;
	char *dir;
	size_t want = 0, items = 0;

	load_synth(&s, &dir, UH_TOFU_PROFILE_TOFU);
	cr_assert_eq(uh_tofu_template_parse("phi", &t, &e), 0);
	cr_assert_eq(uh_tofu_requests_build(&s, &t, &rq, &e), 0, "%s", e.msg);
	for (int k = 0; k < UH_TOFU_NTASKS; k++) {
		want += s.task[k].n * (2 + uh_tofu_task_n_perturb((enum uh_tofu_task)k));
		items += s.task[k].n;
	}
	cr_expect_eq(rq.n_score, want);
	cr_expect_eq(rq.n_gen, items);
	cr_expect(rq.gen_total_length);
	{
		const struct uh_tofu_item_reqs *f = &rq.item[UH_TOFU_FORGET][0];
		const struct uh_tofu_row *r = &s.task[UH_TOFU_FORGET].rows[0];
		const struct uh_tofu_item_reqs *ra = &rq.item[UH_TOFU_REAL_AUTHORS][0];
		char want_cont[4096];

		snprintf(want_cont, sizeof(want_cont), "Answer: %s", r->answer);
		cr_expect_str_eq(rq.score[f->gt].continuation, want_cont);
		cr_expect_eq(rq.score[f->gt].flags, UH_SCORE_EOS);
		snprintf(want_cont, sizeof(want_cont), "Answer: %s", r->paraphrased_answer);
		cr_expect_str_eq(rq.score[f->base].continuation, want_cont);
		snprintf(want_cont, sizeof(want_cont), "Answer: %s", r->perturbed[4]);
		cr_expect_str_eq(rq.score[f->pert[4]].continuation, want_cont);
		cr_expect_eq(rq.gen[f->gen].max_new_tokens, UH_TOFU_GEN_LENGTH);
		cr_expect_eq(rq.gen[f->gen].n_stop, 0);
		/* real authors: the base answer is the answer itself (a duplicate to dedupe) */
		cr_expect_str_eq(rq.score[ra->base].continuation, rq.score[ra->gt].continuation);
		cr_expect_str_eq(rq.score[ra->base].context, rq.score[ra->gt].context);
	}
	uh_tofu_requests_release(&rq);
	uh_tofu_template_release(&t);
	uh_tofu_suite_release(&s);
	free(dir);
}

/* Hand-made answers: every token of every continuation has log-prob -lp. */
Test(tofu_suite, answers_become_log_values)
{
	struct uh_tofu_suite s;
	struct uh_tofu_template t;
	struct uh_tofu_requests rq;
	struct uh_tofu_log log;
	struct uh_tofu_extras ex;
	struct uh_err e;
	struct uh_score_res *sr;
	struct uh_gen_res *gr;
	const struct uh_score_res **sp;
	const struct uh_gen_res **gp;
	uint8_t greedy[3] = { 0, 1, 1 };
	double tl[3] = { -1, -2, -3 };
	char *dir;

	load_synth(&s, &dir, UH_TOFU_PROFILE_OU);
	cr_assert_eq(uh_tofu_template_parse("llama2", &t, &e), 0);
	cr_assert_eq(uh_tofu_requests_build(&s, &t, &rq, &e), 0, "%s", e.msg);
	cr_expect_not(rq.gen_total_length);
	sr = calloc(rq.n_score, sizeof(*sr));
	sp = calloc(rq.n_score, sizeof(*sp));
	gr = calloc(rq.n_gen, sizeof(*gr));
	gp = calloc(rq.n_gen, sizeof(*gp));
	for (size_t i = 0; i < rq.n_score; i++) {
		/* perturbed answers: 2 tokens at -1 each; everything else 3 tokens, -6 */
		bool pert = false;

		for (int k = 0; k < UH_TOFU_NTASKS && !pert; k++)
			for (size_t j = 0; j < s.task[k].n && !pert; j++)
				for (size_t p = 0; p < s.task[k].rows[j].n_perturbed; p++)
					pert = pert || rq.item[k][j].pert[p] == i;
		sr[i].n_tokens = pert ? 2 : 3;
		sr[i].logprob = pert ? -2 : -6;
		sr[i].token_logprobs = tl;
		sr[i].token_greedy = greedy;
		sp[i] = &sr[i];
	}
	for (size_t i = 0; i < rq.n_gen; i++) {
		gr[i].text = (char *)"  The answer.  ";
		gp[i] = &gr[i];
	}
	cr_assert_eq(uh_tofu_answers_to_log(&s, &rq, sp, gp, &log, &ex, &e), 0, "%s", e.msg);
	{
		const struct uh_tofu_item *it = &log.task[UH_TOFU_FORGET].items[0];

		cr_expect_eq(it->gt_loss, 6.0);
		cr_expect_eq(it->avg_gt_loss, 2.0);
		cr_expect_eq(it->num_token_gt, 3);
		cr_expect_eq(it->average_perturb_loss[0], 1.0);
		cr_expect_eq(it->num_token_perturb[4], 2);
		/* truth_ratio as logged: exp(L_para - mean L_pert) = e */
		cr_expect_float_eq(it->truth_ratio, exp(1.0), 1e-15);
		cr_expect_str_eq(it->generation, "The answer.");  /* open-unlearning strips */
		cr_expect_str_eq(it->prompt, rq.gen[rq.item[UH_TOFU_FORGET][0].gen].prompt);
		cr_expect(it->rougeL_recall >= 0 && it->rougeL_recall <= 1);
		cr_expect(isnan(it->normalized_gt_loss));
		cr_expect(!isnan(log.task[UH_TOFU_REAL_AUTHORS].items[0].normalized_gt_loss));
		/* ES / EM over the tokens before EOS: flags {0, 1} */
		cr_expect_eq(ex.es[0], 0.5);
		cr_expect_eq(ex.em[0], 0.5);
		/* min-k, k = max(1, int(2 * 0.4)) = 1 of {-1, -2}: 2 */
		cr_expect_eq(ex.mink_forget[0], 2.0);
		cr_expect(ex.has_flags && ex.has_logprobs);
	}
	uh_tofu_log_release(&log);
	uh_tofu_extras_release(&ex);
	/* a backend that scored no token at all is reported, not averaged */
	sr[0].n_tokens = 0;
	sr[0].logprob = 0;
	cr_expect_eq(uh_tofu_answers_to_log(&s, &rq, sp, gp, &log, NULL, &e), UH_EINVAL);
	cr_expect(strstr(e.msg, "task 'retain' item 0") && strstr(e.msg, "no token"), "%s", e.msg);
	free(sr);
	free(sp);
	free(gr);
	free(gp);
	uh_tofu_requests_release(&rq);
	uh_tofu_template_release(&t);
	uh_tofu_suite_release(&s);
	free(dir);
}

/* The flag-based scores agree with the id-based ones on every 6-bit pattern. */
Test(tofu_suite, flag_scores_match_id_scores)
{
	for (unsigned bits = 0; bits < 64; bits++) {
		for (size_t n = 0; n <= 6; n++) {
			uint8_t g[6];
			int32_t pred[6], label[6];
			double a, b;
			bool ha, hb;

			for (size_t t = 0; t < n; t++) {
				g[t] = (bits >> t) & 1;
				label[t] = (int32_t)t + 10;
				pred[t] = g[t] ? label[t] : 99;
			}
			cr_expect_eq(uh_ou_extraction_strength_flags(g, n),
				     uh_ou_extraction_strength(pred, label, n), "bits %u n %zu", bits, n);
			ha = uh_ou_exact_memorization_flags(g, n, &a);
			hb = uh_ou_exact_memorization(pred, label, n, &b);
			cr_expect_eq(ha, hb);
			if (ha && hb)
				cr_expect_eq(a, b);
		}
	}
}
