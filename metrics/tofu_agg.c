/*
 * tofu_agg.c - TOFU aggregates at parity with locuslab/tofu's
 * aggregate_eval_stat.py and open-unlearning's metrics (spec/tofu.md §2.7,
 * §3.2).
 *
 * Parity notes, true for the whole file:
 *  - every mean over items is numpy's np.mean: pairwise sum, then / n
 *    (uh_npmean);
 *  - a sum or mean over the 3 or 5 perturbed answers is numpy's reduction
 *    over fewer than 8 elements, i.e. a left-to-right loop;
 *  - exp is glibc's, numpy's vectorised exp may differ by an ulp or two, so
 *    the numbers that go through exp agree to ~1e-15, not bit for bit;
 *  - built with -ffp-contract=off so no multiply-add is fused.
 */
#include "metrics/tofu_agg.h"

#include "metrics/auc.h"
#include "metrics/npsum.h"
#include "metrics/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ locuslab/tofu */

/* Left-to-right mean of a short row, as numpy reduces fewer than 8 values. */
static double row_mean(const double *v, size_t k)
{
	double s = 0.0;

	for (size_t j = 0; j < k; j++)
		s += v[j];
	return s / (double)k;
}

/*
 * R = exp(mean_k Lpert_k - Lpara): `np.exp(avg_perturbed - avg_paraphrase)`
 * in aggregate_eval_stat.py, the inverse of the logged truth_ratio.
 */
static double item_R(const struct uh_tofu_item *it, size_t k)
{
	return exp(row_mean(it->average_perturb_loss, k) - it->avg_paraphrased_loss);
}

static int check_task(const struct uh_tofu_task_log *tl, enum uh_tofu_task t, struct uh_err *err)
{
	if ((unsigned)t >= UH_TOFU_NTASKS)
		return uh_err_set(err, UH_EINVAL, "tofu aggregate: unknown task %d", (int)t);
	if (!tl || tl->n == 0 || !tl->items)
		return uh_err_set(err, UH_EINVAL, "tofu aggregate: task '%s' has no items",
				  uh_tofu_task_name(t));
	if (tl->n_perturb == 0 || tl->n_perturb > UH_TOFU_MAX_PERTURB)
		return uh_err_set(err, UH_EINVAL, "tofu aggregate: task '%s' has %zu perturbed answers",
				  uh_tofu_task_name(t), tl->n_perturb);
	return 0;
}

static int not_finite(struct uh_err *err, enum uh_tofu_task t, size_t i, const char *what)
{
	return uh_err_set(err, UH_ENUM, "tofu aggregate: task '%s' item %zu: %s is not finite",
			  uh_tofu_task_name(t), i, what);
}

int uh_tofu_agg_item_terms(const struct uh_tofu_task_log *tl, enum uh_tofu_task t,
			   double *prob, double *rouge, double *tr, struct uh_err *err)
{
	const bool normalised = t == UH_TOFU_REAL_AUTHORS || t == UH_TOFU_REAL_WORLD;
	int rc = check_task(tl, t, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < tl->n; i++) {
		const struct uh_tofu_item *it = &tl->items[i];
		const size_t k = tl->n_perturb;

		if (prob) {
			double p = exp(-1.0 * it->avg_gt_loss);

			/*
			 * RA/WF: np.concatenate([P_true, P_pert...]).sum(-1), a
			 * left-to-right sum that starts with P_true.
			 */
			if (normalised) {
				double all = p;

				for (size_t j = 0; j < k; j++)
					all += exp(-1.0 * it->average_perturb_loss[j]);
				p = p / all;
			}
			if (!isfinite(p))
				return not_finite(err, t, i, "the probability term");
			prob[i] = p;
		}
		if (rouge)
			rouge[i] = it->rougeL_recall;
		if (tr) {
			double R = item_R(it, k), v;

			/* 'forget' in the file name: min(R, 1/R); otherwise max(0, 1 - 1/R). */
			if (t == UH_TOFU_FORGET)
				v = fmin(R, 1.0 / R);
			else
				v = fmax(0.0, 1.0 - 1.0 / R);
			if (!isfinite(R) || !isfinite(v))
				return not_finite(err, t, i, "the truth ratio");
			tr[i] = v;
		}
	}
	return 0;
}

int uh_tofu_agg_truth_ratio_raw(const struct uh_tofu_task_log *tl, double *out,
				struct uh_err *err)
{
	int rc = check_task(tl, UH_TOFU_FORGET, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < tl->n; i++) {
		out[i] = item_R(&tl->items[i], tl->n_perturb);
		if (!isfinite(out[i]))
			return uh_err_set(err, UH_ENUM, "tofu aggregate: item %zu: truth ratio is not finite",
					  i);
	}
	return 0;
}

int uh_tofu_agg_stats(const struct uh_tofu_log *log, struct uh_tofu_stats *out,
		      struct uh_err *err)
{
	/*
	 * aggregate_eval_stat.py collects the nine candidates in the order of
	 * its eval_task_dict (Real Authors, Real World, Retain) x metrics
	 * (ROUGE, Prob., Truth Ratio); hmean's pairwise sum depends on it.
	 */
	static const enum uh_tofu_task mu_tasks[3] = {
		UH_TOFU_REAL_AUTHORS, UH_TOFU_REAL_WORLD, UH_TOFU_RETAIN,
	};
	double *buf = NULL;
	double nine[9];
	size_t maxn = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		rc = check_task(&log->task[t], (enum uh_tofu_task)t, err);
		if (rc)
			return rc;
		if (log->task[t].n > maxn)
			maxn = log->task[t].n;
	}
	buf = malloc(3 * maxn * sizeof(double));
	if (!buf)
		return uh_err_set(err, UH_ENOMEM, "tofu aggregate: out of memory");
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		const struct uh_tofu_task_log *tl = &log->task[t];
		double *p = buf, *r = buf + maxn, *tr = buf + 2 * maxn;

		rc = uh_tofu_agg_item_terms(tl, (enum uh_tofu_task)t, p, r, tr, err);
		if (rc)
			goto out;
		out->prob[t] = uh_npmean(p, tl->n);
		out->rouge[t] = uh_npmean(r, tl->n);
		out->truth_ratio[t] = uh_npmean(tr, tl->n);
	}
	for (int j = 0; j < 3; j++) {
		nine[3 * j + 0] = out->rouge[mu_tasks[j]];
		nine[3 * j + 1] = out->prob[mu_tasks[j]];
		nine[3 * j + 2] = out->truth_ratio[mu_tasks[j]];
	}
	rc = uh_hmean(nine, 9, &out->model_utility, err);
	if (rc)
		uh_err_prefix(err, "tofu model utility: ");
out:
	free(buf);
	return rc;
}

int uh_tofu_agg_forget_quality(const struct uh_tofu_log *ckpt, const struct uh_tofu_log *retain,
			       struct uh_ks_result *res, struct uh_err *err)
{
	const struct uh_tofu_task_log *a = &ckpt->task[UH_TOFU_FORGET];
	const struct uh_tofu_task_log *b = &retain->task[UH_TOFU_FORGET];
	double *x = NULL, *y = NULL;
	int rc;

	/*
	 * ks_2samp would happily compare different splits; the number would be
	 * meaningless (forget05 must face retain95, forget10 retain90).
	 */
	if (a->n != b->n)
		return uh_err_set(err, UH_EINVAL,
				  "forget quality: the checkpoint log has %zu forget items, the retain log %zu; "
				  "both must be evaluated on the same forget split "
				  "(forget01/retain99, forget05/retain95, forget10/retain90)",
				  a->n, b->n);
	x = malloc((a->n ? a->n : 1) * sizeof(double));
	y = malloc((b->n ? b->n : 1) * sizeof(double));
	if (!x || !y) {
		rc = uh_err_set(err, UH_ENOMEM, "forget quality: out of memory");
		goto out;
	}
	rc = uh_tofu_agg_truth_ratio_raw(a, x, err);
	if (rc) {
		uh_err_prefix(err, "forget quality: checkpoint log: ");
		goto out;
	}
	rc = uh_tofu_agg_truth_ratio_raw(b, y, err);
	if (rc) {
		uh_err_prefix(err, "forget quality: retain log: ");
		goto out;
	}
	rc = uh_ks_2samp(x, a->n, y, b->n, res, err);
out:
	free(x);
	free(y);
	return rc;
}

/* ================================================================ open-unlearning */

int uh_ou_mean(const double *v, size_t n, double *out, struct uh_err *err)
{
	if (n == 0)
		return uh_err_set(err, UH_EINVAL, "mean of no values");
	*out = uh_npmean(v, n);
	return 0;
}

int uh_ou_prob_w_options(const double *correct, const double *wrong, size_t n, size_t k,
			 double *per_item, double *agg, struct uh_err *err)
{
	double *p = per_item;
	int rc = 0;

	if (n == 0 || k == 0)
		return uh_err_set(err, UH_EINVAL, "probability_w_options: no items");
	if (!p) {
		p = malloc(n * sizeof(double));
		if (!p)
			return uh_err_set(err, UH_ENOMEM, "probability_w_options: out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		/* np.sum(all_wrong, axis=1), then correct / (correct + wrong + 1e-10). */
		double w = 0.0;

		for (size_t j = 0; j < k; j++)
			w += wrong[i * k + j];
		p[i] = correct[i] / (correct[i] + w + 1e-10);
	}
	if (agg)
		*agg = uh_npmean(p, n);
	if (p != per_item)
		free(p);
	return rc;
}

int uh_ou_truth_ratio_scores(const double *correct_avg_loss, const double *wrong_avg_loss,
			     size_t n, size_t k, double *scores, struct uh_err *err)
{
	if (n == 0 || k == 0)
		return uh_err_set(err, UH_EINVAL, "truth_ratio: no items");
	for (size_t i = 0; i < n; i++) {
		/* aggregate_to_1D: np.mean over the k perturbed losses. */
		double wrong = row_mean(&wrong_avg_loss[i * k], k);
		double cp = exp(-correct_avg_loss[i]);
		double wp = exp(-wrong);

		scores[i] = wp / (cp + 1e-10);
		if (!isfinite(scores[i]))
			return uh_err_set(err, UH_ENUM, "truth_ratio: item %zu: score is not finite", i);
	}
	return 0;
}

int uh_ou_truth_ratio_agg(const double *scores, size_t n, enum uh_ou_tr_agg how,
			  double *out, struct uh_err *err)
{
	double *v;

	if (n == 0)
		return uh_err_set(err, UH_EINVAL, "truth_ratio: no items");
	v = malloc(n * sizeof(double));
	if (!v)
		return uh_err_set(err, UH_ENOMEM, "truth_ratio: out of memory");
	for (size_t i = 0; i < n; i++) {
		double s = scores[i];

		if (how == UH_OU_TR_CLOSER_TO_1)
			v[i] = fmin(s, 1.0 / (s + 1e-10));
		else
			v[i] = fmax(0.0, 1.0 - s);
	}
	*out = uh_npmean(v, n);
	free(v);
	return 0;
}

int uh_ou_model_utility(const double nine[9], double *out, struct uh_err *err)
{
	int rc = uh_hmean(nine, 9, out, err);

	if (rc)
		uh_err_prefix(err, "model_utility: ");
	return rc;
}

int uh_ou_forget_quality(const double *scores, size_t n, const double *retain_scores,
			 size_t n_retain, struct uh_ks_result *res, struct uh_err *err)
{
	int rc = uh_ks_2samp(scores, n, retain_scores, n_retain, res, err);

	if (rc)
		uh_err_prefix(err, "forget_quality: ");
	return rc;
}

double uh_ou_extraction_strength(const int32_t *pred, const int32_t *label, size_t n)
{
	size_t len = 0, k;

	for (size_t t = 0; t < n; t++)
		len += label[t] != -100;
	if (len == 0)
		return 0.0;
	/*
	 * Smallest k whose suffix (over valid positions) matches entirely.
	 * Scan from the end: the suffix matches for every k past the last
	 * mismatch, so k = (index of the last mismatch) + 1.
	 */
	k = 0;
	for (size_t t = 0, v = 0; t < n; t++) {
		if (label[t] == -100)
			continue;
		if (pred[t] != label[t])
			k = v + 1;
		v++;
	}
	/*
	 * open-unlearning's `for k in range(len): ... break` leaves k = len-1
	 * when no suffix matches (only the last token can fail to match, the
	 * empty suffix is never tried).
	 */
	if (k >= len)
		k = len - 1;
	return 1.0 - (double)k / (double)len;
}

bool uh_ou_exact_memorization(const int32_t *pred, const int32_t *label, size_t n, double *out)
{
	size_t len = 0, hit = 0;

	for (size_t t = 0; t < n; t++) {
		if (label[t] == -100)
			continue;
		len++;
		hit += pred[t] == label[t];
	}
	if (len == 0)
		return false;
	*out = (double)hit / (double)len;
	return true;
}

double uh_ou_extraction_strength_flags(const uint8_t *greedy, size_t n)
{
	size_t k = 0;

	if (n == 0)
		return 0.0;
	/* k = one past the last mismatch; no match at all leaves k = n-1 (the quirk above) */
	for (size_t t = 0; t < n; t++)
		if (!greedy[t])
			k = t + 1;
	if (k >= n)
		k = n - 1;
	return 1.0 - (double)k / (double)n;
}

bool uh_ou_exact_memorization_flags(const uint8_t *greedy, size_t n, double *out)
{
	size_t hit = 0;

	if (n == 0)
		return false;
	for (size_t t = 0; t < n; t++)
		hit += greedy[t] != 0;
	*out = (double)hit / (double)n;
	return true;
}

int uh_ou_mia_auc(const double *forget, size_t n_forget, const double *holdout,
		  size_t n_holdout, double *auc, struct uh_err *err)
{
	int rc = uh_auc_two_sample(forget, n_forget, holdout, n_holdout, auc, err);

	if (rc)
		uh_err_prefix(err, "mia auc: ");
	return rc;
}

double uh_ou_privleak(double auc, bool has_ref, double ref_auc)
{
	double s = 1.0 - auc;
	double r = has_ref ? 1.0 - ref_auc : 0.5;

	return (s - r) / (r + 1e-10) * 100.0;
}

/* ---------------------------------------------------- recomputing a TOFU_EVAL.json */

/* The precomputes behind the truth-ratio and normalised-probability metrics. */
struct tr_def {
	const char *name, *correct, *wrong;
	enum uh_ou_tr_agg how;
};

static const struct tr_def tr_defs[] = {
	{ "forget_truth_ratio", "forget_Q_A_PARA_Prob", "forget_Q_A_PERT_Prob", UH_OU_TR_CLOSER_TO_1 },
	{ "retain_Truth_Ratio", "retain_Q_A_PARA_Prob", "retain_Q_A_PERT_Prob", UH_OU_TR_TRUE_BETTER },
	{ "ra_Truth_Ratio", "ra_Q_A_Prob", "ra_Q_A_PERT_Prob", UH_OU_TR_TRUE_BETTER },
	{ "wf_Truth_Ratio", "wf_Q_A_Prob", "wf_Q_A_PERT_Prob", UH_OU_TR_TRUE_BETTER },
};

static const struct tr_def norm_defs[] = {
	{ "ra_Q_A_Prob_normalised", "ra_Q_A_Prob", "ra_Q_A_PERT_Prob", 0 },
	{ "wf_Q_A_Prob_normalised", "wf_Q_A_Prob", "wf_Q_A_PERT_Prob", 0 },
};

/* configs/eval/tofu_metrics/model_utility.yaml, in its order. */
static const char *const mu_parts[9] = {
	"retain_Q_A_Prob", "retain_Q_A_ROUGE", "retain_Truth_Ratio",
	"ra_Q_A_Prob_normalised", "ra_Q_A_ROUGE", "ra_Truth_Ratio",
	"wf_Q_A_Prob_normalised", "wf_Q_A_ROUGE", "wf_Truth_Ratio",
};

static const struct tr_def *find_def(const struct tr_def *defs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

/* The correct/wrong pair of a definition, when both are there and agree. */
static int def_inputs(const struct uh_ou_eval *ev, const struct tr_def *d,
		      const struct uh_ou_metric **c, const struct uh_ou_metric **w,
		      struct uh_err *err)
{
	*c = uh_ou_eval_find(ev, d->correct);
	*w = uh_ou_eval_find(ev, d->wrong);
	if (!*c || !*w || (*c)->kind != UH_OU_PROB || (*w)->kind != UH_OU_PROB_LIST) {
		*c = *w = NULL;
		return 0;
	}
	if ((*c)->n != (*w)->n)
		return uh_err_set(err, UH_EINVAL, "ou metric '%s': '%s' has %zu items but '%s' %zu",
				  d->name, d->correct, (*c)->n, d->wrong, (*w)->n);
	return 0;
}

/* Scores of a truth-ratio metric, recomputed from its precomputes, or NULL. */
static int tr_scores(const struct uh_ou_eval *ev, const char *name, double **scores,
		     size_t *n, struct uh_err *err)
{
	const struct tr_def *d = find_def(tr_defs, sizeof(tr_defs) / sizeof(tr_defs[0]), name);
	const struct uh_ou_metric *c, *w;
	int rc;

	*scores = NULL;
	*n = 0;
	if (!d)
		return 0;
	rc = def_inputs(ev, d, &c, &w, err);
	if (rc || !c)
		return rc;
	if (!c->avg_loss)
		return 0;
	*scores = malloc(c->n * sizeof(double));
	if (!*scores)
		return uh_err_set(err, UH_ENOMEM, "ou metric '%s': out of memory", name);
	rc = uh_ou_truth_ratio_scores(c->avg_loss, w->avg_loss, c->n, w->k, *scores, err);
	if (rc) {
		free(*scores);
		*scores = NULL;
		return uh_err_prefix(err, "ou metric '%s': ", name);
	}
	*n = c->n;
	return 0;
}

const double *uh_ou_rouge_column(const struct uh_ou_metric *m)
{
	/*
	 * The rouge_type of the metric's config: configs/eval/muse_metrics/
	 * {forget,retain}_knowmem_ROUGE.yaml and forget_verbmem_ROUGE.yaml say
	 * rougeL_f1, every TOFU ROUGE config (configs/eval/tofu_metrics) rougeL_recall.
	 */
	if (strstr(m->name, "knowmem_ROUGE") || strstr(m->name, "verbmem_ROUGE"))
		return m->rougeL_f1;
	return m->rougeL_recall;
}

/* Whether the result was computed with a retain model's logs at hand. */
static bool had_reference(const struct uh_ou_eval *ev)
{
	const struct uh_ou_metric *fq = uh_ou_eval_find(ev, "forget_quality");

	return fq && fq->has_agg;
}

int uh_tofu_agg_ou_recompute(const struct uh_ou_eval *ev, const struct uh_ou_eval *ref,
			     const char *name, double *out, bool *available,
			     struct uh_err *err)
{
	const struct uh_ou_metric *m = uh_ou_eval_find(ev, name);
	const struct tr_def *d;
	double *scores = NULL;
	size_t n;
	int rc = 0;

	*available = false;
	*out = NAN;
	if (!m)
		return uh_err_set(err, UH_ENOTFOUND, "ou log has no metric '%s'", name);

	switch (m->kind) {
	case UH_OU_SCORE:
		d = find_def(tr_defs, sizeof(tr_defs) / sizeof(tr_defs[0]), name);
		if (d) {
			/* Truth ratios: from the PARA/PERT (or Prob/PERT) precomputes. */
			rc = tr_scores(ev, name, &scores, &n, err);
			if (rc)
				return rc;
			if (!scores) {
				/* No precomputes logged: aggregate the stored scores. */
				rc = uh_ou_truth_ratio_agg(m->score, m->n, d->how, out, err);
				break;
			}
			if (n != m->n) {
				free(scores);
				return uh_err_set(err, UH_EINVAL,
						  "ou metric '%s': %zu items but its precomputes have %zu",
						  name, m->n, n);
			}
			rc = uh_ou_truth_ratio_agg(scores, n, d->how, out, err);
			free(scores);
		} else if (strstr(name, "truth_ratio") || strstr(name, "Truth_Ratio")) {
			return 0;  /* an unknown truth ratio: its rule is not known */
		} else {
			/* extraction_strength, exact_memorization, prob_mean: np.mean. */
			rc = uh_ou_mean(m->score, m->n, out, err);
		}
		break;
	case UH_OU_PROB:
		d = find_def(norm_defs, sizeof(norm_defs) / sizeof(norm_defs[0]), name);
		if (d) {
			const struct uh_ou_metric *c, *w;

			rc = def_inputs(ev, d, &c, &w, err);
			if (rc || !c)
				return rc;
			rc = uh_ou_prob_w_options(c->prob, w->prob, c->n, w->k, NULL, out, err);
		} else {
			rc = uh_ou_mean(m->prob, m->n, out, err);
		}
		break;
	case UH_OU_PROB_LIST:
		/* np.mean over the whole (n, k) array: one pairwise sum, row-major. */
		rc = uh_ou_mean(m->prob, m->n * m->k, out, err);
		break;
	case UH_OU_ROUGE:
		rc = uh_ou_mean(uh_ou_rouge_column(m), m->n, out, err);
		break;
	case UH_OU_MIA:
		rc = uh_ou_mia_auc(m->forget_score, m->n_forget, m->holdout_score, m->n_holdout,
				   out, err);
		break;
	case UH_OU_AGG_ONLY:
		if (strcmp(name, "model_utility") == 0) {
			double nine[9];
			bool ok;

			for (int j = 0; j < 9; j++) {
				if (!uh_ou_eval_find(ev, mu_parts[j]))
					return 0;
				rc = uh_tofu_agg_ou_recompute(ev, ref, mu_parts[j], &nine[j], &ok, err);
				if (rc || !ok)
					return rc;
			}
			rc = uh_ou_model_utility(nine, out, err);
		} else if (strcmp(name, "forget_quality") == 0) {
			const struct uh_ou_metric *a = uh_ou_eval_find(ev, "forget_truth_ratio");
			const struct uh_ou_metric *b = ref ? uh_ou_eval_find(ref, "forget_truth_ratio") : NULL;
			struct uh_ks_result ks;

			if (!a || !b || a->kind != UH_OU_SCORE || b->kind != UH_OU_SCORE)
				return 0;
			if (a->n != b->n)
				return uh_err_set(err, UH_EINVAL,
						  "forget_quality: the model has %zu forget items, the retain model %zu; "
						  "both must be evaluated on the same forget split", a->n, b->n);
			rc = uh_ou_forget_quality(a->score, a->n, b->score, b->n, &ks, err);
			if (rc == 0)
				*out = ks.pvalue;
		} else if (strcmp(name, "privleak") == 0) {
			bool ok, ref_ok = false;
			double auc, ref_auc = NAN;

			if (!uh_ou_eval_find(ev, "mia_min_k"))
				return 0;
			rc = uh_tofu_agg_ou_recompute(ev, NULL, "mia_min_k", &auc, &ok, err);
			if (rc || !ok)
				return rc;
			if (ref && uh_ou_eval_find(ref, "mia_min_k")) {
				rc = uh_tofu_agg_ou_recompute(ref, NULL, "mia_min_k", &ref_auc, &ref_ok, err);
				if (rc)
					return rc;
			}
			/* Computed against a retain model we were not given: unknowable. */
			if (!ref_ok && had_reference(ev))
				return 0;
			*out = uh_ou_privleak(auc, ref_ok, ref_auc);
		} else {
			return 0;
		}
		break;
	}
	if (rc)
		return rc;
	*available = true;
	return 0;
}

/*
 * A MUSE log keeps no trace of the retain model its privleak was computed
 * against (a TOFU log has forget_quality); without ref, privleak is
 * recomputed against ref_value 0.5, open-unlearning's default.
 */
static const char *privleak_hint(const char *name, const struct uh_ou_eval *ref)
{
	if (strcmp(name, "privleak") || ref)
		return "";
	return " (with ref_value 0.5: if it was computed against a retain model's min-k AUC, "
	       "give that model's logs as the reference)";
}

static bool close_enough(double stored, double got, double rtol)
{
	if (stored == got)
		return true;
	return fabs(stored - got) <= rtol * fmax(fabs(stored), fabs(got));
}

int uh_tofu_agg_ou_verify(const struct uh_ou_eval *ev, const struct uh_ou_eval *ref,
			  double rtol, size_t *n_checked, struct uh_err *err)
{
	size_t checked = 0;
	int rc;

	if (n_checked)
		*n_checked = 0;
	/*
	 * Metrics with per-item values first, then the ones built from them
	 * (model_utility, forget_quality, privleak): a bad item is then
	 * reported by the metric it is in, not by its consumers.
	 */
	for (size_t i = 0; i < 2 * ev->n_metrics; i++) {
		const struct uh_ou_metric *m = &ev->metrics[i % ev->n_metrics];
		bool ok;
		double got;
		/* The KS p-value depends on ranks only: it must be bit-identical. */
		double tol = strcmp(m->name, "forget_quality") == 0 ? 0.0 : rtol;

		if (!m->has_agg || (i < ev->n_metrics) != (m->kind != UH_OU_AGG_ONLY))
			continue;
		rc = uh_tofu_agg_ou_recompute(ev, ref, m->name, &got, &ok, err);
		if (rc)
			return rc;
		if (!ok)
			continue;
		if (!close_enough(m->agg_value, got, tol))
			return uh_err_set(err, UH_EINVAL,
					  "ou metric '%s': stored agg_value %.17g but value_by_index gives %.17g%s",
					  m->name, m->agg_value, got, privleak_hint(m->name, ref));
		checked++;
	}
	for (size_t i = 0; ev->has_summary && i < ev->n_summary; i++) {
		const struct uh_ou_summary_entry *s = &ev->summary[i];
		double tol = strcmp(s->name, "forget_quality") == 0 ? 0.0 : rtol;
		bool ok;
		double got;

		if (!uh_ou_eval_find(ev, s->name))
			return uh_err_set(err, UH_EINVAL,
					  "ou summary metric '%s' is not in the eval file", s->name);
		rc = uh_tofu_agg_ou_recompute(ev, ref, s->name, &got, &ok, err);
		if (rc)
			return rc;
		if (!ok)
			continue;
		if (!close_enough(s->value, got, tol))
			return uh_err_set(err, UH_EINVAL,
					  "ou summary metric '%s': stored %.17g but value_by_index gives %.17g%s",
					  s->name, s->value, got, privleak_hint(s->name, ref));
		checked++;
	}
	if (n_checked)
		*n_checked = checked;
	return 0;
}
