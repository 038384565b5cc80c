/*
 * serve.h - `uh serve`: an OpenAI-compatible completions server (vLLM's
 * field names and shapes, spec/algorithms.md §6.2) over any open backend,
 * on libmicrohttpd.
 *
 * Endpoints: POST /v1/completions (string, [string], [int] or [[int]]
 * prompts; echo, logprobs <= 20, max_tokens, stop; greedy only), POST
 * /tokenize, POST /detokenize, GET /tokenizer_info, GET /v1/models, GET
 * /stats, GET /health. Errors use the OpenAI shape
 * {"error":{"message","type","code"}}.
 *
 * GET /stats counts /v1/completions requests: {"completions_answered",
 * "prompts_answered", "completions_failed" (4xx/5xx), "completions_refused"
 * (past stop_after)}. With log_requests, every answered request appends one
 * line per prompt to that file before the answer goes out: the hex SHA-256
 * of the prompt as sent (ids or text) and of the fields that decide its
 * answer (echo, max_tokens, logprobs, stop), so a client that asks the same
 * thing twice shows up as a repeated line. stop_after N answers the first N
 * completion requests and refuses every later one with 503, as a server
 * that went down would: it lets tests kill a client at a known point.
 *
 * Scoring. The echoed prompt's token_logprobs come from the backend's own
 * scores: position i > 0 is log p(id_i | id_0..i-1) and position 0 is null
 * (nothing is added in front of a prompt, so the ids echoed are the ids
 * sent). A leading EOS id is lm-eval's prefix token for an empty context:
 * the ids after it are scored from the start of the text, exactly as the
 * backend's score("", continuation) scores them. Prompts of ids are decoded
 * to text for generation. For the built-in ngram backend top_logprobs hold the real top-k
 * of its next-token distribution (plus the actual token); when the model's
 * greedy choice is another token but no value there is above the actual
 * one (a tie the lower id wins, a key that collapsed into the actual
 * token's, or an actual <unk>), one more entry keyed UH_SERVE_ARGMAX_KEY
 * holds a value above it, so `token_logprob == max(values)` is exactly the
 * model's own greedy flag. Other backends
 * have no distribution in the ABI: the dict holds the actual token, and when
 * the backend says it is not the greedy choice, one more entry keyed
 * UH_SERVE_ARGMAX_KEY whose value, log(1 - p), is an upper bound of the
 * argmax's log-probability, so `token_logprob == max(values)` still tells a
 * client whether the token is greedy.
 *
 * Generation: finish_reason "length", or "stop" with stop_reason null for
 * the model's EOS and a string for a stop-string match (vLLM's way of telling
 * them apart; the backend ABI does not say which string matched, so it is
 * the first stop string of the request).
 *
 * Ownership: const char * arguments are borrowed. The server borrows the
 * backend, which must outlive it. With several threads, backend calls are
 * serialised by a lock unless the backend is a built-in (ngram and null are
 * safe to call from several threads).
 */
#ifndef UH_HARNESS_SERVE_H
#define UH_HARNESS_SERVE_H

#include "harness/backends/registry.h"
#include "harness/err.h"

#include <stddef.h>
#include <stdint.h>

#define UH_SERVE_MAX_BODY (16u << 20) /* default request-body cap: larger is 413 */
#define UH_SERVE_MAX_LOGPROBS 20      /* like vLLM's --max-logprobs default */
#define UH_SERVE_MAX_TOKENS 65536     /* most max_tokens a request may ask */
#define UH_SERVE_ARGMAX_KEY "<argmax unknown>"

struct uh_serve_opts {
	const char *model;      /* served model name; NULL: the backend's model id */
	const char *host;       /* numeric IPv4 or IPv6 address; NULL: 127.0.0.1 */
	int port;               /* 0: an ephemeral port (see uh_serve_port) */
	unsigned threads;       /* worker threads; 0 or 1: one */
	size_t max_body;        /* bytes; 0: UH_SERVE_MAX_BODY */
	int64_t max_model_len;  /* reported by /tokenize and /v1/models; 0: 131072 */
	const char *log_requests; /* file to append prompt digests to (see above); NULL: none */
	long long stop_after;   /* > 0: answer that many completion requests, then 503; 0: no limit */
};

/* Fill o with the defaults above. */
void uh_serve_opts_init(struct uh_serve_opts *o);

struct uh_server; /* opaque */

/*
 * A server over b (borrowed), not yet listening. o NULL: defaults. *out is
 * the caller's, released with uh_serve_free. Returns 0 or UH_EINVAL/UH_ENOMEM,
 * or UH_EIO when the request log cannot be opened.
 */
int uh_serve_new(struct uh_backend *b, const struct uh_serve_opts *o, struct uh_server **out,
		 struct uh_err *err);

/*
 * Bind and start answering on background threads. Returns 0, or UH_EINVAL
 * (bad host) / UH_EIO (the port is taken, or libmicrohttpd failed).
 */
int uh_serve_start(struct uh_server *s, struct uh_err *err);

/* The port the server listens on (the bound one for port 0), or 0 before start. */
int uh_serve_port(const struct uh_server *s);

/* The served model name. Borrowed, lives with s. */
const char *uh_serve_model(const struct uh_server *s);

/* Stop listening (waits for requests in flight) and free s. NULL is fine. */
void uh_serve_free(struct uh_server *s);

/* One HTTP answer: status and a malloc'd body (NULL for an empty one). */
struct uh_serve_reply {
	int status;
	char *body;
	size_t len;
};

/*
 * Answer one request without a socket: what the server does with a method,
 * a path (a query string is ignored) and a body of len bytes (any bytes).
 * Used by the HTTP layer and by the fuzz target. Always fills r; returns 0,
 * or UH_ENOMEM when even the error reply could not be built (r->status is
 * 500 and r->body NULL). Release r with uh_serve_reply_release.
 */
int uh_serve_handle(struct uh_server *s, const char *method, const char *path, const char *body,
		    size_t len, struct uh_serve_reply *r);
void uh_serve_reply_release(struct uh_serve_reply *r);

#endif
