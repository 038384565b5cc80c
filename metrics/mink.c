/*
 * mink.c - Min-K% Prob: swj0419/detect-pretrain-code src/run.py
 * (-np.mean(np.sort(all_prob)[:k_length])) and open-unlearning's
 * max(1, int(n*k)) variant, plus the two PrivLeak formulas.
 */
#include "metrics/mink.h"

#include "metrics/npsum.h"

#include <math.h>
#include <stdlib.h>

size_t uh_mink_k(size_t n, double ratio, enum uh_mink_variant variant)
{
	/* Python int(len * ratio): the double product, truncated toward zero. */
	double prod = (double)n * ratio;
	size_t k;

	/* Slicing past the end takes everything, so cap at n (and keep the cast defined). */
	if (!(prod > 0.0))
		k = 0;
	else if (prod >= (double)n)
		k = n;
	else
		k = (size_t)prod;

	if (variant == UH_MINK_OPEN_UNLEARNING && k < 1)
		k = 1;
	return k;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : a > b ? 1 : 0;
}

int uh_mink_score(const double *logprobs, size_t n, double ratio,
		  enum uh_mink_variant variant, double *out, struct uh_err *err)
{
	double *v;
	size_t k;

	*out = NAN;
	if (variant != UH_MINK_ORIGINAL && variant != UH_MINK_OPEN_UNLEARNING)
		return uh_err_set(err, UH_EINVAL, "min-k: unknown variant %d", (int)variant);
	if (!(ratio >= 0.0 && ratio <= 1.0))
		return uh_err_set(err, UH_EINVAL, "min-k: ratio %g is not in [0, 1]", ratio);
	if (n == 0)
		return uh_err_set(err, UH_EINVAL, "min-k: no token log-probs");
	for (size_t i = 0; i < n; i++)
		if (isnan(logprobs[i]))
			return uh_err_set(err, UH_EINVAL, "min-k: log-prob %zu is nan", i + 1);
	k = uh_mink_k(n, ratio, variant);
	if (k == 0)
		/* The reference takes the mean of nothing (NaN) and roc_curve then fails. */
		return uh_err_set(err, UH_EINVAL,
				  "min-k: %zu log-probs at ratio %g leave k = 0 tokens to average",
				  n, ratio);
	v = malloc(n * sizeof(*v));
	if (!v)
		return uh_err_set(err, UH_ENOMEM, "min-k: out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = logprobs[i];
	/* The pairwise sum must see the k smallest in ascending order, as np.sort leaves them. */
	qsort(v, n, sizeof(*v), cmp_double);
	*out = -uh_npmean(v, k);
	free(v);
	return 0;
}

int uh_mink_privleak(double auc, double ref_auc, enum uh_mink_variant variant,
		     double *out, struct uh_err *err)
{
	*out = NAN;
	if (!isfinite(auc) || !isfinite(ref_auc))
		return uh_err_set(err, UH_EINVAL, "privleak: auc %g or reference auc %g is not finite",
				  auc, ref_auc);
	if (variant == UH_MINK_ORIGINAL) {
		/* MUSE eval.py: (auc - AUC_RETRAIN) / AUC_RETRAIN * 100 */
		if (ref_auc == 0.0)
			return uh_err_set(err, UH_EINVAL, "privleak: reference auc is 0");
		*out = (auc - ref_auc) / ref_auc * 100;
		return 0;
	}
	if (variant == UH_MINK_OPEN_UNLEARNING) {
		/* open-unlearning privleak: score = 1 - auc; ref = 1 - ref; (score - ref) / (ref + 1e-10) * 100 */
		double s = 1 - auc, r = 1 - ref_auc;

		*out = (s - r) / (r + 1e-10) * 100;
		return 0;
	}
	return uh_err_set(err, UH_EINVAL, "privleak: unknown variant %d", (int)variant);
}
