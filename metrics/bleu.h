/*
 * bleu.h - BLEU exactly as sacrebleu 2.x (13a tokenizer, corpus_bleu and
 * sentence_bleu) and as nltk 3.8 sentence_bleu with SmoothingFunction
 * method0..method7: spec/algorithms.md §4.
 *
 * Strings are UTF-8 and borrowed. Nothing here keeps a pointer to its
 * arguments; everything returned through char ** belongs to the caller.
 */
#ifndef UH_METRICS_BLEU_H
#define UH_METRICS_BLEU_H

#include "harness/err.h"

#include <stdbool.h>
#include <stddef.h>

#define UH_BLEU_MAX_ORDER 4

/* sacrebleu's smooth_method. */
enum uh_bleu_smooth {
	UH_BLEU_SMOOTH_EXP = 0,  /* 'exp' (the default) */
	UH_BLEU_SMOOTH_FLOOR,    /* 'floor', value default 0.1 */
	UH_BLEU_SMOOTH_ADD_K,    /* 'add-k', value default 1 */
	UH_BLEU_SMOOTH_NONE,     /* 'none' */
};

/* sacrebleu BLEU(...) options. Fill with uh_bleu_opts_corpus/_sentence. */
struct uh_bleu_opts {
	enum uh_bleu_smooth smooth;
	double smooth_value;   /* floor value or k; NaN means sacrebleu's default */
	bool lowercase;        /* lowercase=True; folds ASCII letters only */
	bool effective_order;  /* use_effective_order */
};

/* corpus_bleu defaults: exp smoothing, no lowercase, no effective order. */
void uh_bleu_opts_corpus(struct uh_bleu_opts *opts);

/* sentence_bleu defaults: as corpus, but effective order on. */
void uh_bleu_opts_sentence(struct uh_bleu_opts *opts);

/*
 * sacrebleu's BLEUScore. counts/totals are the raw n-gram statistics
 * summed over the corpus (before add-k, which sacrebleu also adds to the
 * counts it returns); score is on the 0..100 scale.
 */
struct uh_bleu_result {
	double score;
	long counts[UH_BLEU_MAX_ORDER];  /* clipped n-gram matches, n = 1..4 */
	long totals[UH_BLEU_MAX_ORDER];  /* hypothesis n-grams, n = 1..4 */
	double precisions[UH_BLEU_MAX_ORDER]; /* smoothed, 0..100 */
	long sys_len, ref_len;
	double bp;
};

/*
 * sacrebleu's 13a tokenizer (Tokenizer13a()(line)): no rstrip, no
 * lowercasing. *out gets a malloc'd NUL-terminated string (caller frees).
 * Invalid UTF-8 bytes pass through as single characters. Fails with
 * UH_ENOMEM.
 */
int uh_bleu_tok13a(const char *line, char **out, struct uh_err *err);

/*
 * sacrebleu.corpus_bleu(hyps, refs, ...): n_seg hypotheses hyps[i] and
 * n_streams reference streams, refs[s][i] being stream s's reference for
 * segment i. A NULL reference is dropped, like None in sacrebleu; a segment
 * left without any reference fails with UH_EINVAL. opts NULL means
 * uh_bleu_opts_corpus. Fails with UH_EINVAL or UH_ENOMEM.
 */
int uh_bleu_corpus(const char *const *hyps, size_t n_seg,
		   const char *const *const *refs, size_t n_streams,
		   const struct uh_bleu_opts *opts, struct uh_bleu_result *out,
		   struct uh_err *err);

/*
 * sacrebleu.sentence_bleu(hyp, refs[0..n_refs)): one segment with n_refs
 * references. opts NULL means uh_bleu_opts_sentence. Errors as above.
 */
int uh_bleu_sentence(const char *hyp, const char *const *refs, size_t n_refs,
		     const struct uh_bleu_opts *opts, struct uh_bleu_result *out,
		     struct uh_err *err);

/* nltk SmoothingFunction().methodN, epsilon 0.1, alpha 5, k 5. */
enum uh_bleu_nltk_method {
	UH_BLEU_NLTK_METHOD0 = 0, UH_BLEU_NLTK_METHOD1, UH_BLEU_NLTK_METHOD2,
	UH_BLEU_NLTK_METHOD3, UH_BLEU_NLTK_METHOD4, UH_BLEU_NLTK_METHOD5,
	UH_BLEU_NLTK_METHOD6, UH_BLEU_NLTK_METHOD7,
};

/*
 * nltk 3.8 sentence_bleu([r.split() for r in refs], hyp.split(),
 * smoothing_function=method) with the default weights (0.25,)*4 and no
 * auto_reweigh; split() is Python's whitespace split. *out is on the 0..1
 * scale. method6 fails with UH_EINVAL where nltk raises AssertionError (a
 * zero trigram precision). Also fails with UH_EINVAL for n_refs == 0 or an
 * unknown method, UH_ENOMEM, and UH_ENUM if exact rational arithmetic
 * (method5/7) would overflow.
 */
int uh_bleu_nltk_sentence(const char *hyp, const char *const *refs, size_t n_refs,
			  enum uh_bleu_nltk_method method, double *out,
			  struct uh_err *err);

#endif
