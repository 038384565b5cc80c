/*
 * registry.h - finding, loading and calling backends, built-in or plugin.
 *
 * The runner never calls a struct uh_backend_api member directly: it goes
 * through these wrappers, which check what a backend returns (counts, finite
 * log-probabilities, flags) so a misbehaving plugin is reported, never turned
 * into numbers.
 */
#ifndef UH_HARNESS_BACKENDS_REGISTRY_H
#define UH_HARNESS_BACKENDS_REGISTRY_H

#include "harness/backend.h"
#include "harness/err.h"

#include <stddef.h>

/* An open backend instance. Fields are read-only for callers. */
struct uh_backend {
	const struct uh_backend_api *api;
	void *state;          /* the backend's, from open() (or given to uh_backend_wrap) */
	void *dl;             /* dlopen handle for plugins, else NULL */
	char *name;           /* "ngram", or the plugin path; owned */
	unsigned owns_state;  /* close() the state in uh_backend_close */
};

/*
 * Names of the built-in backends, NULL-terminated (static). A name
 * containing '/' or ending in ".so" is a plugin path.
 */
const char *const *uh_backend_builtin_names(void);

/*
 * Open a backend by built-in name or plugin path. For a plugin: dlopen,
 * find UH_BACKEND_INIT_SYMBOL, check the ABI version and table size (the
 * message gives both versions or sizes), check the mandatory members, and run
 * open() once in a forked child first so a plugin that crashes there is
 * reported (with the signal) instead of taking uh down. Unknown names list
 * the valid ones. Returns 0 or a negative UH_E* code.
 */
int uh_backend_open(struct uh_backend *b, const char *name_or_path,
		    const struct uh_backend_config *cfg, struct uh_err *err);

/*
 * Wrap an already-open in-process backend state (e.g. an ngram model the
 * runner trained itself). The state is not closed by uh_backend_close unless
 * owns_state is set. name is copied.
 */
int uh_backend_wrap(struct uh_backend *b, const struct uh_backend_api *api, void *state,
		    const char *name, unsigned owns_state, struct uh_err *err);

/* Close the backend and release everything. Safe on a zeroed struct. */
void uh_backend_close(struct uh_backend *b);

/* The backend's model identity (model_id()), or its name when it has none. Borrowed. */
const char *uh_backend_model_id(const struct uh_backend *b);

/*
 * Score n requests. res[0..n) is zeroed first. On success every result has
 * n_tokens >= 0 (>= 1 for a non-empty continuation), a finite logprob <= 0,
 * is_greedy 0 or 1, and token_logprobs (when present) finite and <= 0;
 * anything else is UH_EINVAL naming the request index and the field, and
 * the results are freed. Free successful results with uh_backend_free_score.
 * Fails with UH_EINVAL when the backend lacks UH_CAN_SCORE.
 */
int uh_backend_score(struct uh_backend *b, const struct uh_score_req *reqs, size_t n,
		     struct uh_score_res *res, struct uh_err *err);
void uh_backend_free_score(struct uh_backend *b, struct uh_score_res *res, size_t n);

/*
 * Generate for n requests, with the same checking (text non-NULL and valid
 * UTF-8, n_tokens in [0, max_new_tokens], finish_reason known).
 */
int uh_backend_generate(struct uh_backend *b, const struct uh_gen_req *reqs, size_t n,
			struct uh_gen_res *res, struct uh_err *err);
void uh_backend_free_gen(struct uh_backend *b, struct uh_gen_res *res, size_t n);

/*
 * Token count of text (UH_CAN_TOKENIZE required, else UH_EINVAL). A count
 * below 0 or above strlen(text) + 8 (one per byte and a few specials) is
 * UH_EINVAL.
 */
int uh_backend_tokenize(struct uh_backend *b, const char *text, int64_t *n_tokens,
			struct uh_err *err);

/* Whether the backend has every capability bit in caps. */
int uh_backend_has(const struct uh_backend *b, uint32_t caps);

/*
 * Token ids (UH_CAN_TOKEN_IDS, and a table large enough to hold encode,
 * decode, free_buf and eos_id, else UH_EINVAL naming what is missing).
 *
 * uh_backend_encode: the ids of text without special tokens. *ids is
 * malloc'd and the caller's (free(); NULL when *n is 0). Fails with UH_EINVAL
 * when the backend returns a negative id or more ids than strlen(text) + 8.
 *
 * uh_backend_decode: the text of ids[0..n), malloc'd and the caller's. It is
 * what the backend returned, NUL-terminated; it need not be valid UTF-8 (one
 * id of a byte-level tokenizer may be part of a character).
 *
 * uh_backend_eos_id: the end-of-text id (>= 0, else UH_EINVAL).
 */
int uh_backend_encode(struct uh_backend *b, const char *text, int32_t **ids, size_t *n,
		      struct uh_err *err);
int uh_backend_decode(struct uh_backend *b, const int32_t *ids, size_t n, char **text,
		      struct uh_err *err);
int uh_backend_eos_id(struct uh_backend *b, int32_t *id, struct uh_err *err);

#endif
