/*
 * metrics/tofu_agg.c against the golden values of ../shared/data/README.md:
 * the official TOFU logs (aggregate_eval_stat.py, numpy 1.24, scipy 1.10.1)
 * and the open-unlearning reference logs.
 */
#include "metrics/tofu_agg.h"
#include "suites/tofu_logs.h"
#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RTOL 1e-12

static void expect_rel(double got, double want, const char *what)
{
	double d = fabs(got - want);

	cr_expect(d <= RTOL * fabs(want), "%s: got %.17g, want %.17g (rel %.3g)", what, got, want,
		  want != 0 ? d / fabs(want) : d);
}

static void expect_bits(double got, double want, const char *what)
{
	cr_expect(memcmp(&got, &want, sizeof(got)) == 0, "%s: got %.17g, want %.17g (bit-exact)",
		  what, got, want);
}

static void load(const char *rel, struct uh_tofu_log *log)
{
	struct uh_err err = { 0 };
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s", uh_test_shared(rel));
	rc = uh_tofu_log_read(path, log, &err);
	cr_assert_eq(rc, 0, "reading %s: %s", path, err.msg);
}

static void load_ou(const char *rel, struct uh_ou_eval *ev)
{
	struct uh_err err = { 0 };
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s", uh_test_shared(rel));
	rc = uh_ou_eval_read(path, ev, &err);
	cr_assert_eq(rc, 0, "reading %s: %s", path, err.msg);
}

static double model_utility(const char *rel)
{
	struct uh_tofu_log log;
	struct uh_tofu_stats st;
	struct uh_err err = { 0 };
	int rc;

	load(rel, &log);
	rc = uh_tofu_agg_stats(&log, &st, &err);
	uh_tofu_log_release(&log);
	cr_assert_eq(rc, 0, "%s: %s", rel, err.msg);
	return st.model_utility;
}

static void forget_quality(const char *ckpt, const char *retain, struct uh_ks_result *ks)
{
	struct uh_tofu_log a, b;
	struct uh_err err = { 0 };
	int rc;

	load(ckpt, &a);
	load(retain, &b);
	rc = uh_tofu_agg_forget_quality(&a, &b, ks, &err);
	uh_tofu_log_release(&a);
	uh_tofu_log_release(&b);
	cr_assert_eq(rc, 0, "%s: %s", ckpt, err.msg);
}

#define LLAMA_FULL "data/tofu-logs/tofu-llama2-7b_full_wd0.01"
#define LLAMA_R90 "data/tofu-logs/tofu-llama2-7b_retain90_wd0.01"
#define PHI_FULL "data/tofu-logs/tofu-phi_full_wd0.01"
#define PHI_R90 "data/tofu-logs/tofu-phi_retain90_wd0.01"
#define NPO_R90 "data/tofu-logs/npo-oldformat-retain90_llama_wd0.01"
#define OU_F05 "data/ou-logs/tofu_Llama-2-7b-chat-hf_full_evals_forget05"
#define OU_R95 "data/ou-logs/tofu_Llama-2-7b-chat-hf_retain95"

/* ================================================================ locuslab/tofu */

Test(tofu_agg, twelve_numbers_llama2_full)
{
	static const double prob[4] = { 0.9895272273969067, 0.45548207783762884,
					0.4185618075594898, 0.9909385566403208 };
	static const double rouge[4] = { 0.9856545937933034, 0.933, 0.8824786324786325,
					 0.985449693916369 };
	static const double tr[4] = { 0.47469858801063747, 0.5962289157077105,
				      0.5390328416393139, 0.5159854212808593 };
	struct uh_tofu_log log;
	struct uh_tofu_stats st;
	struct uh_err err = { 0 };
	char what[64];

	load(LLAMA_FULL, &log);
	cr_assert_eq(uh_tofu_agg_stats(&log, &st, &err), 0, "%s", err.msg);
	uh_tofu_log_release(&log);
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		snprintf(what, sizeof(what), "Prob. %s", uh_tofu_task_name(t));
		expect_rel(st.prob[t], prob[t], what);
		snprintf(what, sizeof(what), "ROUGE %s", uh_tofu_task_name(t));
		expect_rel(st.rouge[t], rouge[t], what);
		snprintf(what, sizeof(what), "Truth Ratio %s", uh_tofu_task_name(t));
		expect_rel(st.truth_ratio[t], tr[t], what);
	}
	expect_rel(st.model_utility, 0.6226773637427152, "Model Utility");
}

Test(tofu_agg, model_utility_of_every_log)
{
	expect_rel(model_utility(LLAMA_FULL), 0.6226773637427152, "llama2 full");
	expect_rel(model_utility(PHI_FULL), 0.5220737132035151, "phi full");
	expect_rel(model_utility(LLAMA_R90), 0.613744995233942, "llama2 retain90");
	expect_rel(model_utility("data/tofu-logs/tofu-llama2-7b_retain95_wd0.01"),
		   0.6005765316813113, "llama2 retain95");
	expect_rel(model_utility("data/tofu-logs/tofu-llama2-7b_retain99_wd0.01"),
		   0.6207444755970777, "llama2 retain99");
	expect_rel(model_utility(PHI_R90), 0.5319909117798324, "phi retain90");
	expect_rel(model_utility(NPO_R90), 0.6203436494291608, "npo old-format retain90");
}

Test(tofu_agg, forget_quality_is_bit_exact)
{
	struct uh_ks_result ks;

	forget_quality(LLAMA_FULL, LLAMA_R90, &ks);
	expect_bits(ks.pvalue, 1.834066410994743e-21, "llama2 FQ");
	expect_rel(ks.statistic, 0.39666666666666667, "llama2 KS D");

	forget_quality(PHI_FULL, PHI_R90, &ks);
	expect_bits(ks.pvalue, 2.1942743021891237e-16, "phi FQ");

	forget_quality(LLAMA_FULL, NPO_R90, &ks);
	expect_bits(ks.pvalue, 1.096624314778916e-19, "llama2 vs old-format retain90 FQ");
	expect_rel(ks.statistic, 0.38, "llama2 vs old-format KS D");
}

Test(tofu_agg, forget_quality_needs_the_same_split)
{
	struct uh_tofu_log a, b;
	struct uh_ks_result ks;
	struct uh_err err = { 0 };
	int rc;

	load(LLAMA_FULL, &a);
	load("data/tofu-logs/tofu-llama2-7b_retain95_wd0.01", &b);
	rc = uh_tofu_agg_forget_quality(&a, &b, &ks, &err);
	uh_tofu_log_release(&a);
	uh_tofu_log_release(&b);
	cr_assert_eq(rc, UH_EINVAL);
	cr_expect(strstr(err.msg, "300 forget items") && strstr(err.msg, "200") &&
		  strstr(err.msg, "same forget split"), "message: %s", err.msg);
}

Test(tofu_agg, item_terms_average_to_the_aggregates)
{
	struct uh_tofu_log log;
	struct uh_tofu_stats st;
	struct uh_err err = { 0 };

	load(LLAMA_FULL, &log);
	cr_assert_eq(uh_tofu_agg_stats(&log, &st, &err), 0, "%s", err.msg);
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		const struct uh_tofu_task_log *tl = &log.task[t];
		double *p = malloc(tl->n * sizeof(double)), *tr = malloc(tl->n * sizeof(double));
		double sp = 0, str = 0;

		cr_assert_eq(uh_tofu_agg_item_terms(tl, t, p, NULL, tr, &err), 0, "%s", err.msg);
		for (size_t i = 0; i < tl->n; i++) {
			sp += p[i];
			str += tr[i];
		}
		cr_expect(fabs(sp / tl->n - st.prob[t]) < 1e-12);
		cr_expect(fabs(str / tl->n - st.truth_ratio[t]) < 1e-12);
		free(p);
		free(tr);
	}
	uh_tofu_log_release(&log);
}

/* ================================================================ open-unlearning */

Test(tofu_agg, ou_forget05_against_retain95)
{
	struct uh_ou_eval ev, ref;
	struct uh_err err = { 0 };
	const struct uh_ou_metric *a, *b;
	struct uh_ks_result ks;
	double mu;
	bool ok;

	load_ou(OU_F05, &ev);
	load_ou(OU_R95, &ref);
	a = uh_ou_eval_find(&ev, "forget_truth_ratio");
	b = uh_ou_eval_find(&ref, "forget_truth_ratio");
	cr_assert(a && b && a->n == 200 && b->n == 200);
	cr_assert_eq(uh_ou_forget_quality(a->score, a->n, b->score, b->n, &ks, &err), 0, "%s", err.msg);
	expect_bits(ks.pvalue, 5.86730162802883e-14, "OU forget05 FQ");
	expect_rel(ks.statistic, 0.39, "OU forget05 KS D");

	cr_assert_eq(uh_tofu_agg_ou_recompute(&ev, &ref, "model_utility", &mu, &ok, &err), 0, "%s",
		     err.msg);
	cr_assert(ok);
	expect_rel(mu, 0.6275553508047139, "OU model_utility");

	cr_assert_eq(uh_tofu_agg_ou_recompute(&ev, &ref, "forget_quality", &mu, &ok, &err), 0, "%s",
		     err.msg);
	cr_assert(ok);
	expect_bits(mu, 5.86730162802883e-14, "OU forget_quality via recompute");
	uh_ou_eval_release(&ev);
	uh_ou_eval_release(&ref);
}

/* Every stored agg_value and SUMMARY value, recomputed from value_by_index. */
Test(tofu_agg, ou_summaries_recomputed)
{
	struct uh_ou_eval ev, ref;
	struct uh_err err = { 0 };
	size_t checked;

	load_ou(OU_F05, &ev);
	load_ou(OU_R95, &ref);
	cr_assert(ev.has_summary && ev.n_summary == 13, "forget05 summary: %zu", ev.n_summary);
	cr_assert(ref.has_summary && ref.n_summary == 11);

	cr_expect_eq(uh_tofu_agg_ou_verify(&ev, &ref, RTOL, &checked, &err), 0, "%s", err.msg);
	/* 31 metrics (forget_quality included) and all 13 summary values. */
	cr_expect_eq(checked, 31 + 13, "checked %zu", checked);

	/* The retain model: privleak against ref_value 0.5, no forget_quality. */
	cr_expect_eq(uh_tofu_agg_ou_verify(&ref, NULL, RTOL, &checked, &err), 0, "%s", err.msg);
	cr_expect_eq(checked, 29 + 11, "checked %zu", checked);

	/* Summary entries one by one, for the record. */
	for (size_t i = 0; i < ev.n_summary; i++) {
		double got;
		bool ok;

		cr_assert_eq(uh_tofu_agg_ou_recompute(&ev, &ref, ev.summary[i].name, &got, &ok, &err), 0,
			     "%s", err.msg);
		cr_expect(ok, "%s not recomputable", ev.summary[i].name);
		expect_rel(got, ev.summary[i].value, ev.summary[i].name);
	}
	uh_ou_eval_release(&ev);
	uh_ou_eval_release(&ref);
}

Test(tofu_agg, ou_verify_catches_a_changed_value)
{
	struct uh_ou_eval ev;
	struct uh_err err = { 0 };

	load_ou(OU_R95, &ev);
	for (size_t i = 0; i < ev.n_metrics; i++)
		if (strcmp(ev.metrics[i].name, "ra_Q_A_ROUGE") == 0)
			ev.metrics[i].rougeL_recall[3] = 0.5 * ev.metrics[i].rougeL_recall[3] + 0.01;
	cr_assert_eq(uh_tofu_agg_ou_verify(&ev, NULL, RTOL, NULL, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "ra_Q_A_ROUGE"), "message: %s", err.msg);
	uh_ou_eval_release(&ev);
}

Test(tofu_agg, ou_truth_ratio_and_options)
{
	struct uh_err err = { 0 };
	const double correct_loss[2] = { 1.0, 2.0 };
	const double wrong_loss[6] = { 2.0, 2.0, 2.0, 1.0, 1.0, 1.0 };
	const double correct[2] = { 0.5, 0.1 };
	const double wrong[6] = { 0.1, 0.1, 0.3, 0.2, 0.2, 0.2 };
	double s[2], agg, p[2];

	cr_assert_eq(uh_ou_truth_ratio_scores(correct_loss, wrong_loss, 2, 3, s, &err), 0);
	expect_rel(s[0], exp(-2.0) / (exp(-1.0) + 1e-10), "score 0");
	expect_rel(s[1], exp(-1.0) / (exp(-2.0) + 1e-10), "score 1");
	cr_assert_eq(uh_ou_truth_ratio_agg(s, 2, UH_OU_TR_TRUE_BETTER, &agg, &err), 0);
	expect_rel(agg, (1.0 - s[0] + 0.0) / 2, "true_better");
	cr_assert_eq(uh_ou_truth_ratio_agg(s, 2, UH_OU_TR_CLOSER_TO_1, &agg, &err), 0);
	expect_rel(agg, (s[0] + 1.0 / (s[1] + 1e-10)) / 2, "closer_to_1");
	cr_assert_eq(uh_ou_prob_w_options(correct, wrong, 2, 3, p, &agg, &err), 0);
	expect_rel(p[0], 0.5 / (0.5 + 0.5 + 1e-10), "options 0");
	expect_rel(p[1], 0.1 / (0.1 + 0.6000000000000001 + 1e-10), "options 1");
	cr_expect_eq(uh_ou_truth_ratio_agg(s, 0, UH_OU_TR_TRUE_BETTER, &agg, &err), UH_EINVAL);
}

Test(tofu_agg, ou_memorization_and_privleak)
{
	const int32_t label[6] = { -100, 5, 6, 7, 8, 9 };
	const int32_t all[6] = { 0, 5, 6, 7, 8, 9 };
	const int32_t tail[6] = { 0, 1, 1, 7, 8, 9 };     /* suffix from the 3rd valid token */
	const int32_t last_wrong[6] = { 0, 5, 6, 7, 8, 1 };
	const int32_t none[2] = { -100, -100 };
	double em;

	cr_expect_eq(uh_ou_extraction_strength(all, label, 6), 1.0);
	expect_rel(uh_ou_extraction_strength(tail, label, 6), 1.0 - 2.0 / 5, "ES tail");
	/* No suffix matches: open-unlearning stops at k = len-1, ES = 1/len. */
	expect_rel(uh_ou_extraction_strength(last_wrong, label, 6), 1.0 / 5, "ES quirk");
	cr_expect_eq(uh_ou_extraction_strength(none, none, 2), 0.0);

	cr_assert(uh_ou_exact_memorization(tail, label, 6, &em));
	expect_rel(em, 3.0 / 5, "EM");
	cr_expect(!uh_ou_exact_memorization(none, none, 2, &em));

	/* The stored values of the two reference logs. */
	expect_rel(uh_ou_privleak(0.35129999999999995, false, 0), 29.739999994052006, "retain privleak");
	expect_rel(uh_ou_privleak(1.0, true, 0.35129999999999995), -99.99999998458455, "full privleak");
}
