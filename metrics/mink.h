/*
 * mink.h - Min-K% Prob (Shi et al. 2023) and the PrivLeak score built on it:
 * spec/algorithms.md §5.1, spec/muse_hp.md A2.3, spec/tofu.md (privleak).
 * Arrays are borrowed; nothing is kept.
 */
#ifndef UH_METRICS_MINK_H
#define UH_METRICS_MINK_H

#include "harness/err.h"

#include <stddef.h>

enum uh_mink_variant {
	/* swj0419/detect-pretrain-code and MUSE: k = int(n*ratio), k == 0 an error */
	UH_MINK_ORIGINAL = 0,
	/* open-unlearning: k = max(1, int(n*ratio)) */
	UH_MINK_OPEN_UNLEARNING,
};

/*
 * Number of log-probs averaged for n log-probs at ratio: int(n*ratio) (double
 * product, truncated), raised to 1 for UH_MINK_OPEN_UNLEARNING.
 */
size_t uh_mink_k(size_t n, double ratio, enum uh_mink_variant variant);

/*
 * -np.mean(np.sort(logprobs)[:k]) with k = uh_mink_k(n, ratio, variant): the
 * k smallest log-probs summed pairwise in ascending order. Fails with
 * UH_EINVAL when k == 0 (the reference yields NaN there), n == 0, ratio is
 * not in [0, 1], or a log-prob is NaN; with UH_ENOMEM.
 */
int uh_mink_score(const double *logprobs, size_t n, double ratio,
		  enum uh_mink_variant variant, double *out, struct uh_err *err);

/*
 * PrivLeak from the unlearned model's AUC and the reference AUC.
 * UH_MINK_ORIGINAL (MUSE): (auc - ref) / ref * 100, ref > 0 required.
 * UH_MINK_OPEN_UNLEARNING: s = 1 - auc, r = 1 - ref, (s - r) / (r + 1e-10) * 100.
 * Fails with UH_EINVAL for non-finite inputs or a zero MUSE reference.
 */
int uh_mink_privleak(double auc, double ref_auc, enum uh_mink_variant variant,
		     double *out, struct uh_err *err);

#endif
