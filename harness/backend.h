/*
 * backend.h - the uh backend ABI: the one header a plugin author needs
 * (installed as <uh/backend.h>).
 *
 * A backend is a table of function pointers, versioned and append-only
 * (SQLite's extension table and Redis's module API are the models). Built-in
 * backends fill the same table as .so plugins. A plugin exports one symbol:
 *
 *     const struct uh_backend_api *uh_backend_init(uint32_t host_abi_version);
 *
 * It returns a pointer to a static table whose first members are abi_version
 * and size (sizeof the table as the plugin was compiled). The host checks
 * both before touching any member; members added later sit at the end, so an
 * older plugin's smaller table is read only up to its size.
 *
 * Ownership, in one sentence: whoever allocates frees — the host owns every
 * request it passes in (borrowed by the backend for the duration of the call),
 * the backend owns every result it fills and releases it in its free_*
 * callback, which the host calls exactly once per successful score/generate.
 *
 * Errors: callbacks return 0 on success or a negative value on failure and
 * write a message (lower case, no final period) into the caller's errbuf.
 */
#ifndef UH_HARNESS_BACKEND_H
#define UH_HARNESS_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#define UH_BACKEND_ABI_VERSION 1u
#define UH_BACKEND_INIT_SYMBOL "uh_backend_init"

/* Capability bits. */
#define UH_CAN_SCORE      (1u << 0)  /* score(): log-probabilities of a continuation */
#define UH_CAN_GENERATE   (1u << 1)  /* generate(): greedy continuation */
#define UH_CAN_TOKENIZE   (1u << 2)  /* tokenize(): token counts */
#define UH_CAN_TOKEN_LOGPROBS (1u << 3) /* score() fills token_logprobs and token_greedy */
#define UH_CAN_TOKEN_IDS  (1u << 4)  /* encode()/decode(): text <-> token ids, and
				      * eos_id is meaningful (uh serve needs it to
				      * accept token-id prompts) */

/* Score-request flags. */
#define UH_SCORE_EOS (1u << 0) /* also score the end-of-text token after the
				* continuation (TOFU's answer loss includes EOS);
				* n_tokens and token_logprobs include it */

/* One scoring request: log P(continuation | context). Borrowed. */
struct uh_score_req {
	const char *context;
	const char *continuation;
	uint32_t flags;            /* UH_SCORE_* */
};

/* Filled by the backend; released by its free_score. */
struct uh_score_res {
	double logprob;            /* sum of the continuation's token log-probabilities */
	int64_t n_tokens;          /* continuation tokens scored */
	int32_t is_greedy;         /* 1 if every continuation token is the argmax */
	double *token_logprobs;    /* n_tokens values, or NULL without UH_CAN_TOKEN_LOGPROBS */
	uint8_t *token_greedy;     /* n_tokens flags (1: the token is the argmax), or NULL
				    * without UH_CAN_TOKEN_LOGPROBS; exact memorization and
				    * extraction strength need them */
};

/* One generation request. Borrowed. */
struct uh_gen_req {
	const char *prompt;
	int32_t max_new_tokens;
	const char *const *stop;   /* n_stop stop strings: generation ends before the first */
	size_t n_stop;
};

enum uh_finish_reason {
	UH_FINISH_LENGTH = 0,      /* max_new_tokens reached */
	UH_FINISH_STOP = 1,        /* a stop string matched (it is not part of text) */
	UH_FINISH_EOS = 2,         /* the model ended the text */
};

/* Filled by the backend; released by its free_gen. */
struct uh_gen_res {
	char *text;                /* generated text, NUL-terminated UTF-8 */
	int64_t n_tokens;          /* tokens generated */
	int32_t finish_reason;     /* enum uh_finish_reason */
};

/* Options for open(): key=value pairs from the command line (--opt k=v). */
struct uh_backend_config {
	const char *model;         /* model name or path; may be NULL */
	const char *const *keys;
	const char *const *values;
	size_t n;
};

struct uh_backend_api {
	/* ---- version 1 ---- */
	uint32_t abi_version;      /* UH_BACKEND_ABI_VERSION the backend was built against */
	uint32_t size;             /* sizeof(struct uh_backend_api) as the backend was built */
	const char *name;          /* short name, e.g. "ngram" */
	uint32_t caps;             /* UH_CAN_* bits */

	int (*open)(const struct uh_backend_config *cfg, void **state, char *errbuf, size_t errlen);
	void (*close)(void *state);

	/* A stable identity of the loaded model (name + digest), for provenance and the cache. */
	const char *(*model_id)(void *state);

	/* Score n requests; res[0..n) is zeroed by the host. */
	int (*score)(void *state, const struct uh_score_req *reqs, size_t n,
		     struct uh_score_res *res, char *errbuf, size_t errlen);
	void (*free_score)(void *state, struct uh_score_res *res, size_t n);

	/* Generate for n requests; res[0..n) is zeroed by the host. */
	int (*generate)(void *state, const struct uh_gen_req *reqs, size_t n,
			struct uh_gen_res *res, char *errbuf, size_t errlen);
	void (*free_gen)(void *state, struct uh_gen_res *res, size_t n);

	/* Optional (UH_CAN_TOKENIZE): number of tokens in text, without special tokens. */
	int (*tokenize)(void *state, const char *text, int64_t *n_tokens, char *errbuf, size_t errlen);

	/*
	 * Optional (UH_CAN_TOKEN_IDS). encode: the token ids of text, without
	 * special tokens; *ids is allocated by the backend and released with
	 * free_buf. decode: the text of ids[0..n) (the concatenation of their
	 * pieces; eos_id decodes to ""), allocated by the backend, released with
	 * free_buf. eos_id: the end-of-text id (what UH_SCORE_EOS scores).
	 * Backends with token ids must make score(context, decode(ids)) score
	 * exactly those ids.
	 */
	int (*encode)(void *state, const char *text, int32_t **ids, size_t *n,
		      char *errbuf, size_t errlen);
	int (*decode)(void *state, const int32_t *ids, size_t n, char **text,
		      char *errbuf, size_t errlen);
	void (*free_buf)(void *state, void *p);
	int32_t (*eos_id)(void *state);
};

/* The symbol a plugin exports, and its type as the host looks it up. */
const struct uh_backend_api *uh_backend_init(uint32_t host_abi_version);
typedef const struct uh_backend_api *(*uh_backend_init_fn)(uint32_t host_abi_version);

#endif
