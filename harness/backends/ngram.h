/*
 * ngram.h - the embedded backend: an interpolated modified Kneser-Ney
 * n-gram language model (Chen & Goodman 1998), trained in-process.
 *
 * It lets `uh-run` evaluate a real model on a fresh machine with nothing to
 * download: a model trained on a suite's "full" set is the model under test,
 * one trained on the retain set is the reference.
 *
 * Tokens. A piece is a run of whitespace followed by one word (ASCII letters
 * and any byte >= 0x80, so UTF-8 stays whole), one number (a run of digits) or
 * one other character; trailing whitespace is a piece of its own. The text is
 * the concatenation of its pieces, so tokenization is reversible and the
 * tokens of a continuation are exactly the tokens of the continuation string
 * (context and continuation are tokenized separately, as lm-eval splits by
 * token count), with one exception, token healing: whitespace at the end of
 * a context or prompt ("Answer: ", "...\n") is tokenized with what follows
 * it, as it was in training (lm-eval's _encode_pair moves it the same way),
 * so it counts among the continuation's tokens, and a generation that
 * starts with it has it removed. Three special ids: UH_NGRAM_UNK (pieces unseen in training),
 * UH_NGRAM_BOS (put before every document and every context, never predicted)
 * and UH_NGRAM_EOS (appended to every training document; generation stops on
 * it). The vocabulary V the model predicts over is every id except BOS.
 *
 * Probabilities. p(w | h) uses the last order-1 tokens of h, interpolates
 * every order down to the unigram with modified KN discounts (three per
 * order, from counts of counts), and the unigram with the uniform
 * distribution over V, so every token, <unk> included, has p > 0 and
 * p(. | h) sums to 1 over V. Lower orders use continuation counts except for
 * n-grams that start with BOS (they have no left context: raw counts, as in
 * KenLM). Greedy = argmax over V without UNK and BOS, lowest id on ties.
 *
 * Ownership: const char * arguments are borrowed. A trained model is
 * immutable: scoring and generation allocate their own scratch, so several
 * threads may use one model at once.
 */
#ifndef UH_HARNESS_BACKENDS_NGRAM_H
#define UH_HARNESS_BACKENDS_NGRAM_H

#include "harness/backend.h"
#include "harness/err.h"

#include <stddef.h>
#include <stdint.h>

#define UH_NGRAM_DEFAULT_ORDER 4
#define UH_NGRAM_MAX_ORDER 32

/* Special token ids. */
#define UH_NGRAM_UNK 0
#define UH_NGRAM_BOS 1
#define UH_NGRAM_EOS 2

struct uh_ngram; /* opaque trained model */

struct uh_ngram_opts {
	int order;       /* 1..UH_NGRAM_MAX_ORDER */
	double discount; /* (0, 1]: scales every modified-KN discount; below 1 the
			  * model trusts its longest contexts more, i.e. memorises */
};

/* Fill o with the defaults (order UH_NGRAM_DEFAULT_ORDER, discount 1). */
void uh_ngram_opts_init(struct uh_ngram_opts *o);

/*
 * Fill o with the settings for a model under test that must know its
 * training text (order 16, discount 0.5). At order 4 the first answer token
 * after "[INST] q [/INST]" cannot depend on the question (" [/INST]" alone is
 * 4 tokens) and singletons keep only ~10% of their mass; with these settings
 * greedy decoding reproduces about 90% of TOFU answers verbatim while unseen
 * text still gets finite losses.
 */
void uh_ngram_opts_memorise(struct uh_ngram_opts *o);

/*
 * Train on n documents (o NULL: defaults). Empty documents are skipped; at
 * least one must be non-empty. On success *out is a new model the caller
 * releases with uh_ngram_free; returns 0 or UH_EINVAL / UH_ENOMEM.
 */
int uh_ngram_train(const char *const *docs, size_t n, const struct uh_ngram_opts *o,
		   struct uh_ngram **out, struct uh_err *err);

/*
 * Train on a file. A name ending in ".jsonl" is JSON Lines, one object per
 * non-blank line with a string field "text" (one document each). Any other
 * file is plain text: documents are separated by one or more blank lines
 * (empty or whitespace only); a document's lines keep their newlines, minus
 * the last one. Same documents, same model id, whichever way they came in.
 * Returns 0, or UH_ENOTFOUND/UH_EIO/UH_EINVAL/UH_ENOMEM with a message.
 */
int uh_ngram_train_file(const char *path, const struct uh_ngram_opts *o,
			struct uh_ngram **out, struct uh_err *err);

/* Release a model. NULL is fine. */
void uh_ngram_free(struct uh_ngram *m);

/*
 * "ngram-o<order>-<16 hex digits>": the digest (64-bit FNV-1a, not
 * cryptographic) covers the tokenizer version and every document, so
 * different training sets give different ids. Borrowed, lives with m.
 */
const char *uh_ngram_id(const struct uh_ngram *m);

int uh_ngram_order(const struct uh_ngram *m);

/* Number of token ids, specials included (ids are 0..size-1). */
size_t uh_ngram_vocab_size(const struct uh_ngram *m);

/* Text of a token id; "" for the specials and out-of-range ids. Borrowed. */
const char *uh_ngram_token_text(const struct uh_ngram *m, int32_t id);

/*
 * Token ids of text, without specials (unseen pieces become UH_NGRAM_UNK).
 * *ids is malloc'd (caller frees; NULL when *n is 0). Returns 0 or UH_ENOMEM.
 */
int uh_ngram_tokenize(const struct uh_ngram *m, const char *text, int32_t **ids, size_t *n,
		      struct uh_err *err);

/*
 * Natural-log probability of every id after BOS + tokens(context):
 * out[0..uh_ngram_vocab_size(m)) (out[UH_NGRAM_BOS] is -INFINITY).
 * Returns 0 or UH_ENOMEM.
 */
int uh_ngram_next_logprobs(const struct uh_ngram *m, const char *context, double *out,
			   struct uh_err *err);

/*
 * log P(continuation | BOS + context): fills res like the backend's score
 * (token_logprobs and token_greedy are malloc'd when n_tokens > 0; release with
 * uh_ngram_score_release). Returns 0 or UH_ENOMEM.
 */
int uh_ngram_score(const struct uh_ngram *m, const char *context, const char *continuation,
		   struct uh_score_res *res, struct uh_err *err);
void uh_ngram_score_release(struct uh_score_res *res);

/*
 * Greedy generation after BOS + tokens(req->prompt). Stops at EOS, after
 * req->max_new_tokens tokens, or when a (non-empty) stop string appears; the
 * text is cut before the earliest stop string. n_tokens counts the tokens the
 * model produced, the EOS and the token that completed a stop string
 * included. res->text is malloc'd; release with uh_ngram_gen_release.
 * Returns 0, or UH_EINVAL (negative max_new_tokens) / UH_ENOMEM.
 */
int uh_ngram_generate(const struct uh_ngram *m, const struct uh_gen_req *req,
		      struct uh_gen_res *res, struct uh_err *err);
void uh_ngram_gen_release(struct uh_gen_res *res);

/*
 * Score token ids as a prompt (uh serve's echo + logprobs): for i = 1..n-1,
 * lp[i-1] = log p(ids[i] | BOS + ids[0..i)) and greedy[i-1] = whether ids[i]
 * is the greedy token there; ids[0] is context only, and a leading
 * UH_NGRAM_EOS (lm-eval's prefix token for an empty context) stands for the
 * start of a document, so ids[1..] score exactly as score("", ...) scores
 * them. With k > 0 also the k
 * most likely ids at each position, best first, UNK and BOS excluded as in
 * the greedy choice: top_ids/top_lps[(i-1)*k + j] (-1 / -INFINITY when V has
 * fewer). Every value is the double score() computes for that token, so an
 * actual token that is greedy equals top_lps[(i-1)*k]. Arrays are the
 * caller's: n-1 entries, (n-1)*k for the top lists. Returns 0, UH_EINVAL (an
 * id outside 0..V-1, or BOS) or UH_ENOMEM.
 */
int uh_ngram_score_ids(const struct uh_ngram *m, const int32_t *ids, size_t n, size_t k,
		       double *lp, uint8_t *greedy, int32_t *top_ids, double *top_lps,
		       struct uh_err *err);

/*
 * The backend table (name "ngram", SCORE|GENERATE|TOKENIZE|TOKEN_LOGPROBS|
 * TOKEN_IDS: encode = uh_ngram_tokenize, decode = the concatenation of the
 * pieces (specials decode to ""), eos_id = UH_NGRAM_EOS).
 * open() reads the config keys "train" (a file, as uh_ngram_train_file;
 * required), "order" (default 4) and "discount" (default 1); other keys are
 * errors, cfg->model is ignored. The state is the struct uh_ngram itself: a host that trained a
 * model with uh_ngram_train may pass it as state to the callbacks, and
 * close() is uh_ngram_free. Static, never NULL.
 */
const struct uh_backend_api *uh_ngram_backend(void);

#endif
