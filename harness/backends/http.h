/*
 * http.h - the HTTP machinery the openai and tgi backends share: libcurl's
 * multi interface driving up to `concurrency` keep-alive connections over
 * one or more endpoints, with per-request timeouts, bounded retries and a
 * hard cap on response size.
 *
 * A client owns a curl multi handle (its connection cache is what keeps
 * connections alive between calls) and a pool of easy handles. One call of
 * uh_http_run sends a set of independent requests and returns when every one
 * has a 2xx answer or when one has failed for good.
 *
 * Retries: 429, 5xx, timeouts and transport errors (refused, reset, closed
 * mid-body) are retried up to `retries` times with exponential backoff and
 * full jitter (a delay drawn uniformly from [0, min(cap, base * 2^k))), or
 * after the server's Retry-After (in seconds, at most 60). Other 4xx
 * answers and an oversized response are never retried.
 *
 * Endpoints: each request goes to the endpoint with the fewest requests in
 * flight, ties broken round-robin; a retry prefers another endpoint.
 *
 * Secrets: the API key lives only in the request header list. It is never
 * put in a message; messages that quote a server's answer have any copy of
 * the key replaced by "***" (in the whole answer before an excerpt is cut,
 * so that a long key cut in two shows no part).
 *
 * A client is not thread-safe: one uh_http_run at a time.
 *
 * Below the client: the option parsing both backends accept, the ABI
 * functions they share (open, close, model_id, score, generate, free_gen,
 * tokenize over a struct uh_http_proto of what differs), and batches of
 * requests built one by one and sent together.
 */
#ifndef UH_HARNESS_BACKENDS_HTTP_H
#define UH_HARNESS_BACKENDS_HTTP_H

#include "harness/backend.h"
#include "harness/err.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Default hard cap on one response body. */
#define UH_HTTP_MAX_RESPONSE (64u << 20)

struct uh_http;
struct uh_http_buf;

struct uh_http_opts {
	const char *const *urls;  /* endpoint bases, e.g. "http://gpu:8000/v1"; borrowed */
	size_t n_urls;            /* >= 1 */
	int concurrency;          /* requests in flight at once, >= 1 */
	double timeout_s;         /* whole-request timeout per attempt, > 0 */
	int retries;              /* extra attempts after the first, >= 0 */
	double backoff_base_s;    /* first backoff ceiling (0.25 s if 0) */
	double backoff_cap_s;     /* largest backoff ceiling (8 s if 0) */
	const char *api_key;      /* sent as "Authorization: Bearer ..."; NULL: none; copied */
	size_t max_response;      /* bytes; 0 means UH_HTTP_MAX_RESPONSE */
};

/* One request. The caller fills the inputs; uh_http_run fills the outputs. */
struct uh_http_req {
	/* in */
	const char *path;    /* appended to the endpoint: "/completions" */
	int at_root;         /* 1: append to the server root (the URL minus a final "/v1") */
	const char *body;    /* JSON body for a POST; NULL for a GET; borrowed */
	size_t body_len;
	int pin;             /* >= 0: send to this endpoint only; -1: balance */

	/* out */
	long status;         /* final HTTP status (0: none) */
	char *resp;          /* the body, NUL-terminated; owned by the caller (free) */
	size_t resp_len;
	int endpoint;        /* index of the endpoint that answered */
	int attempts;        /* attempts made */
};

/*
 * Create a client. Validates the options (URLs must be http:// or https://).
 * Returns 0 or a negative UH_E* code; *h is the caller's (uh_http_free).
 */
int uh_http_new(struct uh_http **h, const struct uh_http_opts *o, struct uh_err *err);

/* Release the client, its connections and its copy of the key. NULL is fine. */
void uh_http_free(struct uh_http *h);

/*
 * Send reqs[0..n) concurrently. Returns 0 when every request got a 2xx
 * answer (resp set). Otherwise returns UH_EIO (transport, timeout, 5xx/429
 * after the last retry), UH_EINVAL (another 4xx) or UH_ENOMEM, with a
 * message naming the request index, its URL, the attempts and the cause;
 * *failed (if not NULL) gets the index. On failure every resp is freed.
 * With allow_4xx set, a 4xx other than 429 counts as an answer (status
 * and body are returned, nothing is retried): used by probes.
 */
int uh_http_run(struct uh_http *h, struct uh_http_req *reqs, size_t n, int allow_4xx,
		size_t *failed, struct uh_err *err);

/* Free the outputs of reqs[0..n) (safe to call twice). */
void uh_http_reqs_release(struct uh_http_req *reqs, size_t n);

/* Number of endpoints, and endpoint i's base URL (borrowed, valid until uh_http_free). */
size_t uh_http_n_endpoints(const struct uh_http *h);
const char *uh_http_endpoint(const struct uh_http *h, size_t i);

/*
 * Scrub a message in place: every copy of the client's API key becomes
 * "***" (a key shorter than that: as many '*'; the message never grows).
 * For messages that quote a server. h may be NULL.
 */
void uh_http_scrub(const struct uh_http *h, char *msg);

/*
 * Parse a response body as JSON (cJSON). On failure returns NULL and
 * describes the fault in why[] ("truncated", "a non-finite number 'NaN' at
 * byte 40", ...). The tree is the caller's (cJSON_Delete).
 */
struct cJSON;
struct cJSON *uh_http_json_parse(const char *s, size_t len, char *why, size_t cap);

/* ---- options shared by the HTTP backends (parsed by uh_http_backend_open) ---- */

struct uh_http_conf {
	char **urls;            /* split on ',', trailing '/' kept as given */
	size_t n_urls;
	char *model;            /* "model" key, else cfg->model; may be NULL */
	int concurrency;        /* 8 */
	int batch;              /* 16 */
	int retries;            /* 5 */
	double timeout_s;       /* 120 */
	double backoff_s;       /* 0.25 */
	double backoff_cap_s;   /* 8 */
	size_t max_response;    /* UH_HTTP_MAX_RESPONSE */
	char *api_key_env;      /* "OPENAI_API_KEY" unless given */
	int api_key_env_given;
	char *tokenize;         /* "auto" */
	long eos_id;            /* -1: not given */
	char *eos_token;        /* NULL: not given */
};


/* ---- what the HTTP backends share around the client ---- */

/*
 * What differs between the HTTP backends, for the shared ABI functions
 * below. Every function gets the backend's state.
 */
struct uh_http_proto {
	const char *name;      /* "openai": messages' and the model id's prefix */
	const char *known;     /* the option keys open() accepts, space-separated */
	size_t size;           /* sizeof the backend's state */
	/* open(): the backend's part once the client exists; may take (and NULL) c's members */
	int (*setup)(void *state, struct uh_http_conf *c, struct uh_err *err);
	/* close(): free what setup made, however far it got (the rest is freed after) */
	void (*release)(void *state);
	/* score() under the lock: 0 or a negative UH_E* code with err set */
	int (*score)(void *state, const struct uh_score_req *reqs, size_t n, struct uh_score_res *res,
		     struct uh_err *err);
	const char *gen_path;  /* generate(): one POST per prompt to this path ... */
	int gen_at_root;       /* ... under the server root (1) or the endpoint (0) */
	/* Write r's request body into b (b->failed on failure). */
	void (*gen_body)(struct uh_http_buf *b, const void *state, const struct uh_gen_req *r);
	/* Fill res from the parsed answer j: 0, -1 with why[] for a bad answer, or UH_ENOMEM. */
	int (*gen_read)(const struct cJSON *j, const struct uh_gen_req *r, struct uh_gen_res *res,
			char *why, size_t cap);
	/* tokenize(): the body of a POST {root}/tokenize for text ... */
	void (*tok_body)(struct uh_http_buf *b, const void *state, const char *text);
	/* ... and its answer q read: 0 and *n_tokens set, or -1 with why[] */
	int (*tok_count)(const struct uh_http_req *q, const char *text, int64_t *n_tokens, char *why,
			 size_t cap);
};

/*
 * The first member of an HTTP backend's state, so that the functions below
 * can take the ABI's `void *state`: the backend's protocol, the client, the
 * id model_id() returns and the lock that keeps one call at a time on the
 * client.
 */
struct uh_http_backend {
	const struct uh_http_proto *proto;
	struct uh_http *http;
	char *model_id;       /* "<name>:<model>@<host>" */
	pthread_mutex_t lock;
};

/*
 * The ABI's open for proto (borrowed, static): parse cfg against
 * proto->known, allocate a zeroed state of proto->size bytes, set up the
 * lock, the API key named by api_key_env and the client, then call
 * proto->setup. On failure everything is closed and errbuf holds the
 * message (any copy of the key scrubbed). *state is the caller's (close).
 */
int uh_http_backend_open(const struct uh_http_proto *proto, const struct uh_backend_config *cfg,
			 void **state, char *errbuf, size_t errlen);

/* For proto->setup: set b->model_id to "<proto name>:<model>@<host of url>". Returns 0 or UH_ENOMEM. */
int uh_http_backend_name(struct uh_http_backend *b, const char *model, const char *url,
			 struct uh_err *err);

/*
 * The ABI functions (see harness/backend.h) for a state that starts with a
 * struct uh_http_backend; each takes the lock.
 *
 * score: proto->score. generate: one request per prompt (none for
 * max_new_tokens 0: empty text, UH_FINISH_LENGTH), all in flight at once;
 * a bad answer is reported as "generate request I (URL PATH): why"; on
 * failure every result is freed; res[i].text is the caller's (free_gen).
 * tokenize: one POST {root}/tokenize; a bad answer is reported as
 * "tokenize (URL/tokenize): why".
 */
void uh_http_backend_close(void *state);
const char *uh_http_backend_model_id(void *state);
int uh_http_backend_score(void *state, const struct uh_score_req *reqs, size_t n,
			  struct uh_score_res *res, char *errbuf, size_t errlen);
int uh_http_backend_generate(void *state, const struct uh_gen_req *reqs, size_t n,
			     struct uh_gen_res *res, char *errbuf, size_t errlen);
void uh_http_backend_free_gen(void *state, struct uh_gen_res *res, size_t n);
int uh_http_backend_tokenize(void *state, const char *text, int64_t *n_tokens, char *errbuf,
			     size_t errlen);

/* ---- a set of POST requests built one by one and sent together ---- */

struct uh_http_batch {
	struct uh_http_req *q;
	struct uh_http_buf *body;  /* body[k] is q[k]'s; body[n] is the next one to fill */
	size_t *of;                /* the caller's index for q[k] (the item it answers) */
	size_t n, cap;
};

/* Room for cap requests (zeroed). Returns 0 or UH_ENOMEM; release either way. */
int uh_http_batch_init(struct uh_http_batch *b, size_t cap, struct uh_err *err);

/*
 * Queue body[n] as the next request to path, tagged of. Returns 0, or -1
 * (nothing queued) when that body failed to build: the caller words the error.
 */
int uh_http_batch_add(struct uh_http_batch *b, const char *path, int at_root, size_t of);

/* Send the queued requests (uh_http_run); a failure's message gets the prefix "<what>: ". */
int uh_http_batch_run(struct uh_http *h, struct uh_http_batch *b, const char *what, struct uh_err *err);

/* Free the requests, their answers and bodies. Safe on a zeroed batch. */
void uh_http_batch_release(struct uh_http_batch *b);

/* What a JSON value is, for messages: "missing", "null", "a number", ... Static. */
const char *uh_http_json_kind(const struct cJSON *x);

/* x is an integral JSON number in [lo, hi]: 0 and *out set, else -1. */
int uh_http_json_int(const struct cJSON *x, double lo, double hi, long long *out);

/* o's member k when o is an object, else NULL. Borrowed. */
const struct cJSON *uh_http_json_get(const struct cJSON *o, const char *k);

/* ---- a flat JSON reader for the hot path (no allocation per value) ---- */

enum { UH_JT_NULL, UH_JT_FALSE, UH_JT_TRUE, UH_JT_NUM, UH_JT_STR, UH_JT_ARR, UH_JT_OBJ };

/* One value: its bytes [start, end) (a string's without the quotes). */
struct uh_http_jtok {
	uint32_t start, end;
	uint32_t next;   /* the token after this value's subtree (the next sibling) */
	uint32_t n;      /* arrays: elements; objects: members */
	uint8_t type;    /* UH_JT_* */
};

/*
 * A parsed text: tokens in document order, a container followed by its
 * children (an object's as key, value, key, value...). s is borrowed.
 */
struct uh_http_jdoc {
	const char *s;
	struct uh_http_jtok *t;
	size_t n, cap;
};

/*
 * Parse s[0..len) (s[len] must be '\0') strictly as RFC 8259 JSON, nesting
 * at most 128 deep. Returns 0, or -1 with why[] as uh_http_json_parse
 * words it (truncated, a non-finite number, invalid at byte N). The token
 * array is reused by the next parse; release it with uh_http_jdoc_release.
 */
int uh_http_jdoc_parse(struct uh_http_jdoc *d, const char *s, size_t len, char *why, size_t cap);
void uh_http_jdoc_release(struct uh_http_jdoc *d);

/* The value of member key of object token i, or -1 (also when i is not an object). */
long uh_http_jdoc_get(const struct uh_http_jdoc *d, long i, const char *key);

/* Token i's number: 0 and *v set, or -1 when i is not a number. */
int uh_http_jdoc_num(const struct uh_http_jdoc *d, long i, double *v);

/* Token i is an integral number in [lo, hi]: 0 and *out set, else -1. */
int uh_http_jdoc_int(const struct uh_http_jdoc *d, long i, double lo, double hi, long long *out);

/* What token i is, for messages ("missing" for i < 0). Static. */
const char *uh_http_jdoc_kind(const struct uh_http_jdoc *d, long i);

/* ---- small JSON writing helpers (a growable buffer with a hard cap) ---- */

struct uh_http_buf {
	char *p;
	size_t len, cap;
	size_t max;      /* hard cap on len; 0: 256 MiB */
	int failed;      /* an append failed (out of memory or over max) */
};

/* Append bytes / a C string / a formatted string / a JSON string literal (quoted, escaped). */
void uh_http_buf_add(struct uh_http_buf *b, const char *s, size_t n);
void uh_http_buf_puts(struct uh_http_buf *b, const char *s);
void uh_http_buf_addf(struct uh_http_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
void uh_http_buf_add_json_str(struct uh_http_buf *b, const char *s);
/* Append `,"stop":[...]` for r's stop strings; nothing when it has none. */
void uh_http_buf_add_stop(struct uh_http_buf *b, const struct uh_gen_req *r);
void uh_http_buf_release(struct uh_http_buf *b);

#endif
