/*
 * rouge.h - ROUGE-1/2/L/Lsum exactly as rouge_score 0.1.2 with the nltk 3.8
 * Porter stemmer: spec/algorithms.md §1.
 *
 * Texts are NUL-terminated UTF-8; invalid bytes are separators. Scores are
 * bit-identical to the Python package (same integer ratios, same fmeasure
 * evaluation order). Nothing here keeps state between calls: the functions
 * are safe to call from several threads at once.
 */
#ifndef UH_METRICS_ROUGE_H
#define UH_METRICS_ROUGE_H

#include "harness/err.h"

#include <stdbool.h>
#include <stddef.h>

struct uh_rouge_prf {
	double precision, recall, fmeasure;
};

struct uh_rouge_scores {
	struct uh_rouge_prf rouge1, rouge2, rougeL, rougeLsum;
};

/* Token list produced by the rouge_score tokenizer. */
struct uh_rouge_tokens {
	char **tok;     /* n NUL-terminated tokens, owned; one block, see release */
	size_t n;
};

/*
 * Tokenize UTF-8 text like rouge_score's tokenize(text, stemmer). Fills toks
 * (caller releases with uh_rouge_tokens_release). Fails with UH_ENOMEM.
 * Invalid UTF-8 bytes are separators.
 */
int uh_rouge_tokenize(const char *text, bool use_stemmer, struct uh_rouge_tokens *toks,
		      struct uh_err *err);

/* Free what uh_rouge_tokenize allocated (the pointers and the strings are
 * one block) and reset toks to empty. toks may be NULL. */
void uh_rouge_tokens_release(struct uh_rouge_tokens *toks);

/*
 * RougeScorer(['rouge1','rouge2','rougeL','rougeLsum'], use_stemmer).score(
 * target, prediction). target is the reference. Fails only with UH_ENOMEM.
 */
int uh_rouge_score(const char *target, const char *prediction, bool use_stemmer,
		   struct uh_rouge_scores *out, struct uh_err *err);

/* Bits for the types argument below: which of RougeScorer's types to compute. */
enum {
	UH_ROUGE_1 = 1u << 0,
	UH_ROUGE_2 = 1u << 1,
	UH_ROUGE_L = 1u << 2,
	UH_ROUGE_LSUM = 1u << 3,
	UH_ROUGE_ALL = 0xfu,
};

/*
 * uh_rouge_score computing only the types in the bit set `types` (TOFU and
 * open-unlearning ask for UH_ROUGE_1 | UH_ROUGE_L). The other members of
 * *out are set to zero. Fails only with UH_ENOMEM.
 */
int uh_rouge_score_types(const char *target, const char *prediction, bool use_stemmer,
			 unsigned types, struct uh_rouge_scores *out, struct uh_err *err);

/*
 * RougeScorer.score_multi(targets, prediction): for each requested type the
 * score of the target with the largest fmeasure (the first on ties, as
 * np.argmax). targets[0..ntargets) are borrowed. Fails with UH_EINVAL when
 * ntargets is 0 (the package raises) and with UH_ENOMEM.
 */
int uh_rouge_score_multi(const char *const *targets, size_t ntargets, const char *prediction,
			 bool use_stemmer, unsigned types, struct uh_rouge_scores *out,
			 struct uh_err *err);

#endif
