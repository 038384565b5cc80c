/*
 * rouge.h - ROUGE-1/2/L/Lsum exactly as rouge_score 0.1.2 with the nltk 3.8
 * Porter stemmer: spec/algorithms.md §1.
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
	char **tok;     /* n NUL-terminated tokens, owned */
	size_t n;
};

/*
 * Tokenize UTF-8 text like rouge_score's tokenize(text, stemmer). Fills toks
 * (caller releases with uh_rouge_tokens_release). Fails with UH_ENOMEM.
 * Invalid UTF-8 bytes are separators.
 */
int uh_rouge_tokenize(const char *text, bool use_stemmer, struct uh_rouge_tokens *toks,
		      struct uh_err *err);
void uh_rouge_tokens_release(struct uh_rouge_tokens *toks);

/*
 * RougeScorer(['rouge1','rouge2','rougeL','rougeLsum'], use_stemmer).score(
 * target, prediction). target is the reference. Fails only with UH_ENOMEM.
 */
int uh_rouge_score(const char *target, const char *prediction, bool use_stemmer,
		   struct uh_rouge_scores *out, struct uh_err *err);

#endif
