/*
 * auc.c - scikit-learn 1.2 roc_auc_score for binary labels, following its
 * floating-point path step by step (sklearn/metrics/_ranking.py:
 * _binary_clf_curve, roc_curve(drop_intermediate=True), auc/np.trapz) so
 * that the result is bit-identical, not just the same Mann-Whitney value.
 */
#include "metrics/auc.h"

#include "metrics/npsum.h"

#include <math.h>
#include <stdlib.h>

struct scored {
	double s;
	int y;
};

/* Descending by score; order inside ties does not matter (groups collapse). */
static int scored_desc(const void *pa, const void *pb)
{
	double a = ((const struct scored *)pa)->s, b = ((const struct scored *)pb)->s;

	return a > b ? -1 : a < b ? 1 : 0;
}

int uh_auc_roc(const double *scores, const int *labels, size_t n, double *out,
	       struct uh_err *err)
{
	struct scored *v = NULL;
	long *tps = NULL, *fps = NULL;
	double *fpr = NULL, *tpr = NULL, *terms = NULL;
	size_t npos = 0, m = 0, k = 0;
	int rc = 0;

	*out = NAN;
	if (n == 0)
		return uh_err_set(err, UH_EINVAL, "roc auc: no samples");
	for (size_t i = 0; i < n; i++) {
		if (labels[i] != 0 && labels[i] != 1)
			return uh_err_set(err, UH_EINVAL, "roc auc: label %zu is %d, must be 0 or 1",
					  i + 1, labels[i]);
		if (!isfinite(scores[i]))
			return uh_err_set(err, UH_EINVAL, "roc auc: score %zu is not finite", i + 1);
		npos += labels[i] == 1;
	}
	if (npos == 0 || npos == n)
		return uh_err_set(err, UH_EINVAL,
				  "roc auc: only one class present in the labels; roc auc is not defined");

	v = malloc(n * sizeof(*v));
	/* n + 1 points at most: the prepended (0, 0) plus one per distinct score. */
	tps = malloc((n + 1) * sizeof(*tps));
	fps = malloc((n + 1) * sizeof(*fps));
	fpr = malloc((n + 1) * sizeof(*fpr));
	tpr = malloc((n + 1) * sizeof(*tpr));
	terms = malloc(n * sizeof(*terms));
	if (!v || !tps || !fps || !fpr || !tpr || !terms) {
		rc = uh_err_set(err, UH_ENOMEM, "roc auc: out of memory");
		goto out_free;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = (struct scored){ scores[i], labels[i] };
	qsort(v, n, sizeof(*v), scored_desc);

	/*
	 * _binary_clf_curve: one point at the end of each run of equal scores;
	 * tps is the running count of positives (cumsum of y, exact in
	 * doubles, so longs here), fps = 1 + index - tps.
	 */
	{
		long cum = 0;

		for (size_t i = 0; i < n; i++) {
			cum += v[i].y;
			if (i == n - 1 || v[i].s != v[i + 1].s) {
				tps[m] = cum;
				fps[m] = (long)i + 1 - cum;
				m++;
			}
		}
	}

	/*
	 * drop_intermediate: keep the first and last points and every point
	 * where the second difference of fps or tps is non-zero (a corner of
	 * the curve); collinear points do not change the trapezoid area much
	 * but they do change its rounding, so this must match sklearn.
	 */
	if (m > 2) {
		size_t w = 1;

		for (size_t j = 1; j + 1 < m; j++) {
			long d2f = (fps[j + 1] - fps[j]) - (fps[j] - fps[j - 1]);
			long d2t = (tps[j + 1] - tps[j]) - (tps[j] - tps[j - 1]);

			if (d2f != 0 || d2t != 0) {
				tps[w] = tps[j];
				fps[w] = fps[j];
				w++;
			}
		}
		/*
		 * Filtering in place is safe: iteration j writes slot w <= j, and a
		 * slot below j is only ever rewritten with its own value, so the
		 * reads of j - 1, j, j + 1 see the unfiltered curve.
		 */
		tps[w] = tps[m - 1];
		fps[w] = fps[m - 1];
		m = w + 1;
	}

	/* np.r_[0, ...], then fpr = fps / fps[-1], tpr = tps / tps[-1]. */
	fpr[0] = 0.0;
	tpr[0] = 0.0;
	for (size_t j = 0; j < m; j++) {
		fpr[j + 1] = (double)fps[j] / (double)fps[m - 1];
		tpr[j + 1] = (double)tps[j] / (double)tps[m - 1];
	}

	/* np.trapz(tpr, fpr) = (d * (y[1:] + y[:-1]) / 2.0).sum(), numpy's pairwise sum. */
	for (k = 0; k < m; k++)
		terms[k] = (fpr[k + 1] - fpr[k]) * (tpr[k + 1] + tpr[k]) / 2.0;
	*out = uh_npsum(terms, m);

out_free:
	free(v);
	free(tps);
	free(fps);
	free(fpr);
	free(tpr);
	free(terms);
	return rc;
}

int uh_auc_two_sample(const double *neg, size_t n_neg, const double *pos,
		      size_t n_pos, double *out, struct uh_err *err)
{
	double *s;
	int *y, rc;
	size_t n = n_neg + n_pos;

	*out = NAN;
	if (n_neg == 0 || n_pos == 0)
		return uh_err_set(err, UH_EINVAL,
				  "roc auc: only one class present (%zu negative, %zu positive samples)",
				  n_neg, n_pos);
	s = malloc(n * sizeof(*s));
	y = malloc(n * sizeof(*y));
	if (!s || !y) {
		free(s);
		free(y);
		return uh_err_set(err, UH_ENOMEM, "roc auc: out of memory");
	}
	for (size_t i = 0; i < n_neg; i++)
		s[i] = neg[i], y[i] = 0;
	for (size_t i = 0; i < n_pos; i++)
		s[n_neg + i] = pos[i], y[n_neg + i] = 1;
	rc = uh_auc_roc(s, y, n, out, err);
	free(s);
	free(y);
	return rc;
}
