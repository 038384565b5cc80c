/*
 * auc.h - ROC AUC exactly as scikit-learn 1.2 roc_auc_score (binary):
 * roc_curve(drop_intermediate=True) and trapezoidal auc, with numpy's
 * pairwise sum: spec/algorithms.md §5.2. Arrays are borrowed.
 */
#ifndef UH_METRICS_AUC_H
#define UH_METRICS_AUC_H

#include "harness/err.h"

#include <stddef.h>

/*
 * roc_auc_score(labels, scores) for n samples; labels[i] must be 0 or 1
 * (1 is the positive class). Fails with UH_EINVAL when only one class is
 * present, a label is not 0/1, a score is not finite, or n == 0; with
 * UH_ENOMEM. Equals auc(*roc_curve(labels, scores)[:2]).
 */
int uh_auc_roc(const double *scores, const int *labels, size_t n, double *out,
	       struct uh_err *err);

/*
 * The two-sample form the MIA references use:
 * roc_auc_score([0]*n_neg + [1]*n_pos, neg + pos). For MUSE PrivLeak pass
 * neg = -MinK(forget), pos = -MinK(holdout); for open-unlearning pass the
 * MinK scores themselves. Errors as uh_auc_roc (either side empty is a
 * single class).
 */
int uh_auc_two_sample(const double *neg, size_t n_neg, const double *pos,
		      size_t n_pos, double *out, struct uh_err *err);

#endif
