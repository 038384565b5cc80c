/*
 * tofu_agg.h - the TOFU aggregate numbers, at parity with the references:
 *
 *  - locuslab/tofu aggregate_eval_stat.py (spec/tofu.md §2.7): Prob., ROUGE
 *    and Truth Ratio for each of the four tasks, Model Utility (hmean of the
 *    nine non-forget numbers) and Forget Quality (KS p-value against a retain
 *    model's forget log);
 *  - open-unlearning (spec/tofu.md §3.2): probability, probability_w_options,
 *    truth_ratio, model_utility, forget_quality, extraction strength, exact
 *    memorization, MIA AUC and privleak, plus recomputing the agg_values of
 *    a TOFU_EVAL.json from its value_by_index entries.
 *
 * Pure computation: no I/O. Means follow numpy (pairwise sum, metrics/npsum.h);
 * the mean over the 5 (or 3) perturbed answers is a plain loop, as numpy's
 * pairwise sum is for fewer than 8 elements. Pointer arguments are borrowed;
 * output arrays are caller-allocated.
 */
#ifndef UH_METRICS_TOFU_AGG_H
#define UH_METRICS_TOFU_AGG_H

#include "harness/err.h"
#include "metrics/ks.h"
#include "suites/tofu_logs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------- locuslab/tofu (§2.7) */

/* The twelve columns plus Model Utility, indexed by enum uh_tofu_task. */
struct uh_tofu_stats {
	double prob[UH_TOFU_NTASKS];
	double rouge[UH_TOFU_NTASKS];
	double truth_ratio[UH_TOFU_NTASKS];
	double model_utility;    /* hmean of the 9 non-forget numbers */
};

/*
 * Per-item terms whose numpy mean is the task's aggregate, for task t of a
 * log with tl->n items; each output array holds tl->n doubles (any may be
 * NULL to skip it):
 *   prob:  exp(-avg_gt_loss) (retain, forget) or
 *          P/(P + sum_k exp(-average_perturb_loss[k])) (real authors/world)
 *   rouge: rougeL_recall
 *   tr:    R = exp(mean_k average_perturb_loss[k] - avg_paraphrased_loss);
 *          min(R, 1/R) for forget, max(0, 1 - 1/R) otherwise
 * These are what an importer stores per item and what the bootstrap resamples.
 * Fails with UH_ENUM when a term is not finite (names task and item).
 */
int uh_tofu_agg_item_terms(const struct uh_tofu_task_log *tl, enum uh_tofu_task t,
			   double *prob, double *rouge, double *tr, struct uh_err *err);

/*
 * R_i = exp(mean_k average_perturb_loss[k] - avg_paraphrased_loss) for every
 * item of a task (out holds tl->n doubles): the Forget Quality sample.
 */
int uh_tofu_agg_truth_ratio_raw(const struct uh_tofu_task_log *tl, double *out,
				struct uh_err *err);

/*
 * All twelve numbers and Model Utility of one log. Fails with UH_EINVAL when
 * a task is empty, UH_ENUM on a non-finite term, UH_ENOMEM.
 */
int uh_tofu_agg_stats(const struct uh_tofu_log *log, struct uh_tofu_stats *out,
		      struct uh_err *err);

/*
 * Forget Quality: ks_2samp(R of ckpt's forget log, R of retain's forget log).
 * Both logs must cover the same forget split: a different item count is
 * UH_EINVAL ("... 300 forget items, the retain log 200 ..."). res receives D
 * (statistic) and the p-value (the Forget Quality).
 */
int uh_tofu_agg_forget_quality(const struct uh_tofu_log *ckpt, const struct uh_tofu_log *retain,
			       struct uh_ks_result *res, struct uh_err *err);

/* ------------------------------------------------ open-unlearning (§3.2) */

enum uh_ou_tr_agg {
	UH_OU_TR_CLOSER_TO_1 = 0, /* mean(min(s, 1/(s + 1e-10))): forget_truth_ratio */
	UH_OU_TR_TRUE_BETTER = 1, /* mean(max(0, 1 - s)): retain/ra/wf _Truth_Ratio   */
};

/* mean(prob[0..n)) (probability, and ROUGE/score means). UH_EINVAL when n == 0. */
int uh_ou_mean(const double *v, size_t n, double *out, struct uh_err *err);

/*
 * probability_w_options: per item correct[i] / (correct[i] + sum_k
 * wrong[i*k + j] + 1e-10) into per_item[n] (may be NULL), and their mean into
 * *agg. Uses the stored fp32 probabilities, as open-unlearning does.
 */
int uh_ou_prob_w_options(const double *correct, const double *wrong, size_t n, size_t k,
			 double *per_item, double *agg, struct uh_err *err);

/*
 * truth_ratio scores: s_i = exp(-mean_j wrong_avg_loss[i*k + j]) /
 * (exp(-correct_avg_loss[i]) + 1e-10) into scores[n].
 */
int uh_ou_truth_ratio_scores(const double *correct_avg_loss, const double *wrong_avg_loss,
			     size_t n, size_t k, double *scores, struct uh_err *err);

/* Aggregate truth-ratio scores with the given rule. UH_EINVAL when n == 0. */
int uh_ou_truth_ratio_agg(const double *scores, size_t n, enum uh_ou_tr_agg how,
			  double *out, struct uh_err *err);

/* model_utility: hmean of the 9 precomputes (order irrelevant). */
int uh_ou_model_utility(const double nine[9], double *out, struct uh_err *err);

/* forget_quality: ks_2samp(model scores, retain-model scores). */
int uh_ou_forget_quality(const double *scores, size_t n, const double *retain_scores,
			 size_t n_retain, struct uh_ks_result *res, struct uh_err *err);

/*
 * Extraction strength of one item from the predicted (argmax) and label token
 * ids, aligned (pred[t] predicts label[t]); positions whose label is -100 are
 * skipped. k = the first position whose suffix matches entirely; ES = 1 -
 * k/len, with open-unlearning's quirk that no match leaves k = len-1. No
 * valid token gives 0.
 */
double uh_ou_extraction_strength(const int32_t *pred, const int32_t *label, size_t n);

/*
 * Exact memorization of one item: matches / valid tokens over the positions
 * whose label is not -100. open-unlearning excludes the final EOS: the caller
 * passes the label ids without it. Returns false (no value, None upstream)
 * when there is no valid token.
 */
bool uh_ou_exact_memorization(const int32_t *pred, const int32_t *label, size_t n, double *out);

/*
 * The same two scores from per-token greedy flags (greedy[t] != 0: the
 * argmax predicted label token t), as a backend's score() reports them with
 * UH_CAN_TOKEN_LOGPROBS. Pass the flags of the answer tokens without the
 * final EOS (open-unlearning's tokenwise_vocab_logprobs drops it for both).
 * ES of no token is 0; EM of no token is false (no value).
 */
double uh_ou_extraction_strength_flags(const uint8_t *greedy, size_t n);
bool uh_ou_exact_memorization_flags(const uint8_t *greedy, size_t n, double *out);

/*
 * MIA AUC with forget = label 0 and holdout = label 1, scores where higher
 * means less likely a member: P(holdout > forget) + 0.5 P(tie). UH_EINVAL on
 * an empty set or a NaN score, UH_ENOMEM.
 */
int uh_ou_mia_auc(const double *forget, size_t n_forget, const double *holdout,
		  size_t n_holdout, double *auc, struct uh_err *err);

/*
 * privleak = (s - r) / (r + 1e-10) * 100 with s = 1 - auc and r = 1 -
 * ref_auc, or r = 0.5 when has_ref is false (a retain model).
 */
double uh_ou_privleak(double auc, bool has_ref, double ref_auc);

/*
 * The per-item ROUGE values a UH_OU_ROUGE metric aggregates, as its
 * open-unlearning config's rouge_type says: rougeL_f1 for MUSE's
 * *_knowmem_ROUGE and *_verbmem_ROUGE, rougeL_recall for TOFU's. Borrowed.
 */
const double *uh_ou_rouge_column(const struct uh_ou_metric *m);

/*
 * Recompute the agg_value of metric `name` of ev from its value_by_index (and
 * the other metrics it is built from), as open-unlearning does. ref is the
 * retain model's result (for forget_quality and privleak), or NULL. Without
 * ref, privleak uses ref_value 0.5 (a retain model's own log) unless the log
 * has a non-null forget_quality, i.e. was made against a retain model we were
 * not given; then it is not recomputable. Sets
 * *available false (and returns 0) when the metric cannot be recomputed from
 * what is there (forget_quality without ref, gradnorm AUC, ...). UH_ENOTFOUND
 * when ev has no such metric.
 */
int uh_tofu_agg_ou_recompute(const struct uh_ou_eval *ev, const struct uh_ou_eval *ref,
			     const char *name, double *out, bool *available,
			     struct uh_err *err);

/*
 * Recompute every stored agg_value of ev (and of its summary) that can be
 * recomputed and compare within relative tolerance rtol (1e-12 is right for
 * the official logs; forget_quality is compared exactly). The first mismatch
 * is UH_EINVAL naming the metric, the stored and the recomputed value.
 * *n_checked (may be NULL) receives the number of values compared.
 */
int uh_tofu_agg_ou_verify(const struct uh_ou_eval *ev, const struct uh_ou_eval *ref,
			  double rtol, size_t *n_checked, struct uh_err *err);

#endif
