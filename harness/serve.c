/*
 * serve.c - the OpenAI-compatible server (see serve.h).
 *
 * Top to bottom: replies and errors, reading the request JSON, scoring
 * token sequences (the ngram path with its real distribution, the generic
 * path through the ABI), /v1/completions, the small endpoints, the router,
 * and the libmicrohttpd glue.
 *
 * Field names, shapes and defaults follow vLLM's CompletionRequest and its
 * response (spec/algorithms.md §6.2) so that lm-eval and uh's own OpenAI
 * client read us as they read vLLM; what we cannot do (sampling, streaming)
 * is a 400 with a message, never a silent approximation.
 */
#include "harness/serve.h"
#include "harness/backends/ngram.h"
#include "harness/backends/null.h"
#include "harness/sha256.h"

#include <arpa/inet.h>
#include <errno.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define DEFAULT_MAX_MODEL_LEN 131072
#define MAX_STOP 16
#define MAX_PROMPTS 4096

struct uh_server {
	struct uh_backend *b;
	const struct uh_ngram *ngram; /* the backend's model when it is the built-in ngram */
	int serialise;                /* lock around backend calls (plugins) */
	pthread_mutex_t lock;
	char *model;
	char *host;
	int port;
	unsigned threads;
	size_t max_body;
	int64_t max_model_len;
	struct MHD_Daemon *d;
	unsigned long long seq;       /* completion ids */
	pthread_mutex_t seq_lock;     /* also guards the counters and the log below */

	/* GET /stats: /v1/completions requests taken (answered or failed) and refused */
	unsigned long long taken, answered, prompts, refused;
	unsigned long long stop_after; /* 0: no limit */
	FILE *log;                    /* --log-requests, or NULL */
};

void uh_serve_opts_init(struct uh_serve_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = 8000;
	o->threads = 1;
	o->max_body = UH_SERVE_MAX_BODY;
	o->max_model_len = DEFAULT_MAX_MODEL_LEN;
}

/* ---------------------------------------------------------------- errors */

/* A request's failure: HTTP status and a message for the client. */
struct rerr {
	int status;
	char msg[UH_ERR_MSG_MAX];
};

static int fail(struct rerr *e, int status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

static int fail(struct rerr *e, int status, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* A library error: out of memory is a 500 like any backend failure. */
static int fail_err(struct rerr *e, int status, const struct uh_err *err)
{
	return fail(e, err->code == UH_ENOMEM ? 500 : status, "%s", err->msg);
}

static const char *error_type(int status)
{
	switch (status) {
	case 400: return "BadRequestError";
	case 404: return "NotFoundError";
	case 405: return "MethodNotAllowed";
	case 413: return "RequestEntityTooLarge";
	case 503: return "ServiceUnavailableError";
	default: return "InternalServerError";
	}
}

/* Move a printed JSON document into r (NULL json: out of memory). */
static int reply_json(struct uh_serve_reply *r, int status, cJSON *json)
{
	char *s = json ? cJSON_PrintUnformatted(json) : NULL;

	cJSON_Delete(json);
	if (!s) {
		r->status = 500;
		r->body = NULL;
		r->len = 0;
		return UH_ENOMEM;
	}
	r->status = status;
	r->body = s;
	r->len = strlen(s);
	return 0;
}

/*
 * Length of the valid UTF-8 sequence at s (1 for ASCII), 0 when the byte
 * at s does not start one (RFC 3629: no overlongs, no surrogates). s is
 * NUL-terminated, and NUL is never a continuation byte, so reading stops in
 * time.
 */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t more;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		more = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		more = 2;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		more = 3;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k <= more; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return more + 1;
}

/* s as valid UTF-8 (invalid bytes become U+FFFD), a new string; NULL when out of memory. */
static char *utf8_clean(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0, k;
	char *out = malloc(3 * strlen(str) + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; s[i]; i += k ? k : 1) {
		k = utf8_seq(s + i);
		if (k) {
			memcpy(out + o, s + i, k);
			o += k;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		}
	}
	out[o] = '\0';
	return out;
}

/* A JSON string from any bytes (valid UTF-8 in the output); NULL when out of memory. */
static cJSON *json_text(const char *s)
{
	char *c = utf8_clean(s);
	cJSON *j = c ? cJSON_CreateString(c) : NULL;

	free(c);
	return j;
}

static int reply_error(struct uh_serve_reply *r, const struct rerr *e)
{
	cJSON *root = cJSON_CreateObject(), *o = cJSON_CreateObject(), *msg = json_text(e->msg);

	if (!root || !o || !msg || !cJSON_AddItemToObject(o, "message", msg)) {
		cJSON_Delete(msg);
		cJSON_Delete(o);
		cJSON_Delete(root);
		return reply_json(r, e->status, NULL);
	}
	cJSON_AddItemToObject(root, "error", o);
	if (!cJSON_AddStringToObject(o, "type", error_type(e->status)) ||
	    !cJSON_AddNullToObject(o, "param") || !cJSON_AddNumberToObject(o, "code", e->status)) {
		cJSON_Delete(root);
		return reply_json(r, e->status, NULL);
	}
	return reply_json(r, e->status, root);
}

void uh_serve_reply_release(struct uh_serve_reply *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* ---------------------------------------------------------------- backend calls */

static void be_lock(struct uh_server *s)
{
	if (s->serialise)
		pthread_mutex_lock(&s->lock);
}

static void be_unlock(struct uh_server *s)
{
	if (s->serialise)
		pthread_mutex_unlock(&s->lock);
}

static int need_ids(struct uh_server *s, const char *what, struct rerr *e)
{
	if (uh_backend_has(s->b, UH_CAN_TOKEN_IDS))
		return 0;
	return fail(e, 400, "%s needs token ids, and backend '%s' has none (no UH_CAN_TOKEN_IDS)", what,
		    s->b->name);
}

static int encode(struct uh_server *s, const char *text, int32_t **ids, size_t *n, struct rerr *e)
{
	struct uh_err err;
	int rc;

	uh_err_clear(&err);
	be_lock(s);
	rc = uh_backend_encode(s->b, text, ids, n, &err);
	be_unlock(s);
	return rc < 0 ? fail_err(e, 500, &err) : 0;
}

/* Decoding ids a client sent: a failure is the client's (an id out of the vocabulary). */
static int decode(struct uh_server *s, const int32_t *ids, size_t n, char **text, struct rerr *e)
{
	struct uh_err err;
	int rc;

	uh_err_clear(&err);
	be_lock(s);
	rc = uh_backend_decode(s->b, ids, n, text, &err);
	be_unlock(s);
	return rc < 0 ? fail_err(e, 400, &err) : 0;
}

/* ---------------------------------------------------------------- reading the request */

static int is_int(const cJSON *j, double lo, double hi)
{
	double v;

	if (!cJSON_IsNumber(j))
		return 0;
	v = j->valuedouble;
	return v >= lo && v <= hi && v == floor(v);
}

/* An optional field: NULL when absent or null. */
static const cJSON *field(const cJSON *root, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, name);

	return j && !cJSON_IsNull(j) ? j : NULL;
}

static int get_bool(const cJSON *root, const char *name, int dflt, int *out, struct rerr *e)
{
	const cJSON *j = field(root, name);

	*out = dflt;
	if (!j)
		return 0;
	if (!cJSON_IsBool(j))
		return fail(e, 400, "'%s' must be a boolean", name);
	*out = cJSON_IsTrue(j);
	return 0;
}

static int get_int(const cJSON *root, const char *name, long dflt, long lo, long hi, long *out,
		   struct rerr *e)
{
	const cJSON *j = field(root, name);

	*out = dflt;
	if (!j)
		return 0;
	if (!is_int(j, (double)lo, (double)hi))
		return fail(e, 400, "'%s' must be an integer in [%ld, %ld]", name, lo, hi);
	*out = (long)j->valuedouble;
	return 0;
}

/*
 * Offset of a \u0000 escape in s[0..n), or n. cJSON decodes it into a NUL
 * that silently cuts the string short: a prompt "a\u0000b" would be
 * answered as the prompt "a". Backslash pairs are skipped ("\\u0000" is an
 * escaped backslash and text).
 */
static size_t nul_escape(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && n - i >= 6 && !memcmp(s + i + 2, "0000", 4))
			return i;
		i++;
	}
	return n;
}

/* Parse a body into a JSON object, or a 400 naming the problem. */
static cJSON *parse_body(const char *body, size_t len, struct rerr *e)
{
	const char *end = NULL;
	cJSON *root;
	size_t nul;

	if (len == 0) {
		fail(e, 400, "empty request body: send a JSON object");
		return NULL;
	}
	if ((nul = nul_escape(body, len)) < len) {
		fail(e, 400, "request body has a \\u0000 escape at byte %zu: NUL characters are not served", nul);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!root) {
		fail(e, 400, "request body is not valid JSON");
		return NULL;
	}
	for (const char *p = end; p && p < body + len; p++)
		if (!(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
			cJSON_Delete(root);
			fail(e, 400, "request body is not valid JSON (extra data at byte %zu)",
			     (size_t)(p - body));
			return NULL;
		}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		fail(e, 400, "request body must be a JSON object");
		return NULL;
	}
	return root;
}

/* 'model' must be absent, null or the served name (vLLM: 404). */
static int check_model(struct uh_server *s, const cJSON *root, struct rerr *e)
{
	const cJSON *j = field(root, "model");

	if (!j)
		return 0;
	if (!cJSON_IsString(j))
		return fail(e, 400, "'model' must be a string");
	if (strcmp(j->valuestring, s->model) != 0)
		return fail(e, 404, "The model `%.200s` does not exist (this server serves `%.200s`)",
			    j->valuestring, s->model);
	return 0;
}

/* ---------------------------------------------------------------- one prompt */

struct prompt {
	char *text;           /* the prompt text (given, or decoded from ids) */
	int32_t *ids;         /* prompt ids, then the generated ids (seq) */
	size_t n_ids;         /* prompt ids */
	size_t n_seq;         /* prompt + generated ids */
	int has_ids;          /* ids are known */

	char *gen;            /* generated text */
	int64_t gen_tokens;   /* the backend's count */
	int finish;           /* enum uh_finish_reason */

	/* scores of seq positions 1..n_seq-1 (index i-1) */
	double *lp;
	uint8_t *greedy;
	int32_t *top_ids;     /* ngram: k per position */
	double *top_lps;
};

static void prompt_release(struct prompt *p)
{
	free(p->text);
	free(p->ids);
	free(p->gen);
	free(p->lp);
	free(p->greedy);
	free(p->top_ids);
	free(p->top_lps);
	memset(p, 0, sizeof(*p));
}

/* A JSON list of token ids, as int32 >= 0. */
static int read_ids(const cJSON *arr, int32_t **ids, size_t *n, const char *where, struct rerr *e)
{
	size_t k = (size_t)cJSON_GetArraySize(arr), i = 0;
	const cJSON *x;

	*ids = NULL;
	*n = 0;
	if (k == 0)
		return fail(e, 400, "%s is an empty list of token ids", where);
	if (!(*ids = malloc(k * sizeof(**ids))))
		return fail(e, 500, "out of memory");
	cJSON_ArrayForEach(x, arr) {
		if (!is_int(x, 0, INT32_MAX)) {
			free(*ids);
			*ids = NULL;
			return fail(e, 400, "%s[%zu] must be a token id (an integer in [0, %d])", where, i,
				    INT32_MAX);
		}
		(*ids)[i++] = (int32_t)x->valuedouble;
	}
	*n = k;
	return 0;
}

/*
 * 'prompt': str | [str] | [int] | [[int]]. Fills ps[0..*np) (text or
 * ids); the ids of string prompts are found later, when needed.
 */
static int read_prompts(struct uh_server *s, const cJSON *root, struct prompt **ps, size_t *np,
			struct rerr *e)
{
	const cJSON *j = field(root, "prompt"), *x;
	size_t k, i = 0;
	struct prompt *p;

	*ps = NULL;
	*np = 0;
	if (!j)
		return fail(e, 400, "'prompt' is required");
	if (cJSON_IsString(j)) {
		if (!(p = calloc(1, sizeof(*p))) || !(p->text = strdup(j->valuestring))) {
			free(p);
			return fail(e, 500, "out of memory");
		}
		*ps = p;
		*np = 1;
		return 0;
	}
	if (!cJSON_IsArray(j))
		return fail(e, 400, "'prompt' must be a string, a list of strings, a list of token ids or a list of lists of token ids");
	k = (size_t)cJSON_GetArraySize(j);
	if (k == 0)
		return fail(e, 400, "'prompt' is an empty list");
	if (cJSON_IsNumber(j->child)) { /* one prompt of ids */
		if (!(p = calloc(1, sizeof(*p))))
			return fail(e, 500, "out of memory");
		*ps = p;
		*np = 1;
		p->has_ids = 1;
		return read_ids(j, &p->ids, &p->n_ids, "'prompt'", e);
	}
	if (k > MAX_PROMPTS)
		return fail(e, 400, "'prompt' has %zu prompts, at most %d are served in one request", k,
			    MAX_PROMPTS);
	if (!(p = calloc(k, sizeof(*p))))
		return fail(e, 500, "out of memory");
	*ps = p;
	*np = k;
	cJSON_ArrayForEach(x, j) {
		char where[64];

		snprintf(where, sizeof(where), "'prompt'[%zu]", i);
		if (cJSON_IsString(x) && cJSON_IsString(j->child)) {
			if (!(p[i].text = strdup(x->valuestring)))
				return fail(e, 500, "out of memory");
		} else if (cJSON_IsArray(x) && cJSON_IsArray(j->child)) {
			p[i].has_ids = 1;
			if (read_ids(x, &p[i].ids, &p[i].n_ids, where, e) < 0)
				return -1;
		} else {
			return fail(e, 400, "%s must be a %s like the first prompt", where,
				    cJSON_IsString(j->child) ? "string" : "list of token ids");
		}
		i++;
	}
	(void)s;
	return 0;
}

/* The completion request's fields. */
struct creq {
	long max_tokens;
	int echo;
	long logprobs; /* -1: none */
	const char *stop[MAX_STOP];
	size_t n_stop;
};

static int read_creq(const cJSON *root, struct creq *q, struct rerr *e)
{
	const cJSON *j;
	long n;
	int stream;

	memset(q, 0, sizeof(*q));
	if (get_bool(root, "echo", 0, &q->echo, e) < 0 ||
	    get_int(root, "max_tokens", 16, 0, UH_SERVE_MAX_TOKENS, &q->max_tokens, e) < 0 ||
	    get_int(root, "logprobs", -1, 0, UH_SERVE_MAX_LOGPROBS, &q->logprobs, e) < 0 ||
	    get_int(root, "n", 1, 1, 1, &n, e) < 0 ||
	    get_int(root, "best_of", 1, 1, 1, &n, e) < 0 ||
	    get_bool(root, "stream", 0, &stream, e) < 0)
		return -1;
	if (stream)
		return fail(e, 400, "'stream' is not supported: send a non-streaming request");
	if (q->max_tokens == 0 && !q->echo)
		return fail(e, 400, "'max_tokens' is 0: that is only allowed with 'echo': true");
	if ((j = field(root, "seed")) && !is_int(j, -9.3e18, 9.3e18))
		return fail(e, 400, "'seed' must be an integer");
	if ((j = field(root, "temperature"))) {
		if (!cJSON_IsNumber(j))
			return fail(e, 400, "'temperature' must be a number");
		if (j->valuedouble != 0)
			return fail(e, 400, "'temperature' is %g: uh serve decodes greedily, send 'temperature': 0",
				    j->valuedouble);
	}
	if ((j = field(root, "stop"))) {
		const cJSON *x;

		if (cJSON_IsString(j)) {
			q->stop[q->n_stop++] = j->valuestring;
		} else if (cJSON_IsArray(j)) {
			if (cJSON_GetArraySize(j) > MAX_STOP)
				return fail(e, 400, "'stop' has more than %d strings", MAX_STOP);
			cJSON_ArrayForEach(x, j) {
				if (!cJSON_IsString(x))
					return fail(e, 400, "'stop' must be a string or a list of strings");
				q->stop[q->n_stop++] = x->valuestring;
			}
		} else {
			return fail(e, 400, "'stop' must be a string or a list of strings");
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- scoring sequences */

/* Allocate the score arrays of p for k alternatives. */
static int alloc_scores(struct prompt *p, size_t k, struct rerr *e)
{
	size_t m = p->n_seq > 1 ? p->n_seq - 1 : 0;

	if (!m)
		return 0;
	p->lp = malloc(m * sizeof(*p->lp));
	p->greedy = malloc(m);
	if (k) {
		p->top_ids = malloc(m * k * sizeof(*p->top_ids));
		p->top_lps = malloc(m * k * sizeof(*p->top_lps));
	}
	if (!p->lp || !p->greedy || (k && (!p->top_ids || !p->top_lps)))
		return fail(e, 500, "out of memory");
	return 0;
}

/* The built-in ngram: exact ids, and the real top-k of its distribution. */
static int score_ngram(struct uh_server *s, struct prompt *ps, size_t np, size_t k, struct rerr *e)
{
	for (size_t i = 0; i < np; i++) {
		struct prompt *p = &ps[i];
		struct uh_err err;

		uh_err_clear(&err);
		if (alloc_scores(p, k, e) < 0)
			return -1;
		if (uh_ngram_score_ids(s->ngram, p->ids, p->n_seq, k, p->lp, p->greedy, p->top_ids,
				       p->top_lps, &err) < 0) {
			if (err.code == UH_EINVAL)
				return fail(e, 400, "prompt %zu: %s", i, err.msg);
			return fail_err(e, 500, &err);
		}
	}
	return 0;
}

/*
 * Any other backend: one score() batch of (context "", decode(ids)), a
 * trailing EOS as UH_SCORE_EOS. The backend must score exactly those ids:
 * decode(ids) must encode back to them, and it must count as many tokens.
 * The first id has no context to be scored in (null, as in vLLM), except
 * a leading EOS: lm-eval's prefix token for an empty context, i.e. the
 * start of the text, so the ids after it are scored as score("", ...)
 * scores them, the first one included.
 */
static int score_generic(struct uh_server *s, struct prompt *ps, size_t np, struct rerr *e)
{
	struct uh_score_req *reqs = calloc(np ? np : 1, sizeof(*reqs));
	struct uh_score_res *res = calloc(np ? np : 1, sizeof(*res));
	char **texts = calloc(np ? np : 1, sizeof(*texts));
	struct uh_err err;
	int32_t eos;
	int rc = -1, scored = 0;

	uh_err_clear(&err);
	if (!reqs || !res || !texts) {
		fail(e, 500, "out of memory");
		goto out;
	}
	if (!uh_backend_has(s->b, UH_CAN_SCORE | UH_CAN_TOKEN_LOGPROBS)) {
		fail(e, 400, "logprobs need per-token log-probabilities, and backend '%s' has none (no %s)",
		     s->b->name, uh_backend_has(s->b, UH_CAN_SCORE) ? "UH_CAN_TOKEN_LOGPROBS" : "UH_CAN_SCORE");
		goto out;
	}
	if (uh_backend_eos_id(s->b, &eos, &err) < 0) {
		fail_err(e, 500, &err);
		goto out;
	}
	for (size_t i = 0; i < np; i++) {
		struct prompt *p = &ps[i];
		int32_t *back = NULL;
		size_t nb = 0, n = p->n_seq, lead = n > 1 && p->ids[0] == eos;
		int ok;

		if (n > lead && p->ids[n - 1] == eos) {
			n--;
			reqs[i].flags = UH_SCORE_EOS;
		}
		for (size_t t = lead; t < n; t++)
			if (p->ids[t] == eos) {
				fail(e, 400, "prompt %zu: the end-of-text id %ld may only come first or last (position %zu)",
				     i, (long)eos, t);
				goto out;
			}
		n -= lead;
		if (decode(s, p->ids + lead, n, &texts[i], e) < 0 ||
		    encode(s, texts[i], &back, &nb, e) < 0)
			goto out;
		ok = nb == n && (n == 0 || memcmp(back, p->ids + lead, n * sizeof(*back)) == 0);
		free(back);
		if (!ok) {
			fail(e, 400,
			     "prompt %zu: its token ids do not survive decoding and re-encoding by backend '%s', so they cannot be scored exactly (send ids from /tokenize)",
			     i, s->b->name);
			goto out;
		}
		reqs[i].context = "";
		reqs[i].continuation = texts[i];
	}
	be_lock(s);
	rc = uh_backend_score(s->b, reqs, np, res, &err);
	be_unlock(s);
	if (rc < 0) {
		fail_err(e, 500, &err);
		goto out;
	}
	scored = 1;
	rc = -1;
	for (size_t i = 0; i < np; i++) {
		struct prompt *p = &ps[i];
		size_t lead = p->n_seq > 1 && p->ids[0] == eos;

		if ((size_t)res[i].n_tokens != p->n_seq - lead) {
			fail(e, 500, "backend '%s' scored %lld tokens for prompt %zu of %zu ids", s->b->name,
			     (long long)res[i].n_tokens, i, p->n_seq - lead);
			goto out;
		}
		if (alloc_scores(p, 0, e) < 0)
			goto out;
		/* seq position t >= 1 is the backend's token t - lead */
		for (size_t t = 1; t < p->n_seq; t++) {
			p->lp[t - 1] = res[i].token_logprobs[t - lead];
			p->greedy[t - 1] = res[i].token_greedy[t - lead];
		}
	}
	rc = 0;
out:
	if (scored)
		uh_backend_free_score(s->b, res, np);
	for (size_t i = 0; texts && i < np; i++)
		free(texts[i]);
	free(texts);
	free(reqs);
	free(res);
	return rc;
}

/* ---------------------------------------------------------------- /v1/completions */

/* ---- a JSON writer for the completion answer: its arrays are the hot path */

struct sb {
	char *s;
	size_t n, cap;
	int oom;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *x;

		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(x = realloc(b->s, cap))) {
			b->oom = 1;
			return;
		}
		b->s = x;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void sb_lit(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_int(struct sb *b, long long v)
{
	char t[24];
	size_t i = sizeof(t);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do
		t[--i] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		t[--i] = '-';
	sb_put(b, t + i, sizeof(t) - i);
}

/*
 * A number that reads back as exactly v: the shortest of 15, 16 or 17
 * digits that strtod maps back to v (cJSON's printer accepts a value within
 * DBL_EPSILON, which can lose the last bit; scores must survive bit for bit).
 */
static void sb_num(struct sb *b, double v)
{
	char t[40];
	int n = 0;

	if (!isfinite(v)) {
		sb_lit(b, "null");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		sb_int(b, (long long)v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(t, sizeof(t), "%.*g", prec, v);
		if (strtod(t, NULL) == v)
			break;
	}
	sb_put(b, t, (size_t)n);
}

/* The string's bytes as JSON string content (no quotes), invalid UTF-8 as U+FFFD; returns code points. */
static size_t sb_esc(struct sb *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t cps = 0, run = 0, i = 0;

	for (; s[i]; cps++) {
		size_t k = utf8_seq(s + i);
		unsigned c = s[i];

		if (k && c >= 0x20 && c != '"' && c != '\\') {
			i += k;
			run += k;
			continue;
		}
		sb_put(b, (const char *)s + i - run, run);
		run = 0;
		if (!k) {
			sb_lit(b, "\\ufffd");
		} else if (c == '"' || c == '\\') {
			char t[2] = { '\\', (char)c };

			sb_put(b, t, 2);
		} else {
			char t[8];

			sb_put(b, t, (size_t)snprintf(t, sizeof(t), "\\u%04x", c));
		}
		i++;
	}
	sb_put(b, (const char *)s + i - run, run);
	return cps;
}

static size_t sb_str(struct sb *b, const char *s)
{
	size_t n;

	sb_put(b, "\"", 1);
	n = sb_esc(b, s);
	sb_put(b, "\"", 1);
	return n;
}

/* Code points of s as sb_esc writes it (Python's len of the decoded token). */
static size_t cp_count(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = 0, k;

	for (size_t i = 0; s[i]; i += k ? k : 1, n++)
		k = utf8_seq(s + i);
	return n;
}

/* ---- the logprobs object */

/* The token strings of seq[from..n_seq): borrowed from ngram, else decoded one by one. */
static int token_strs(struct uh_server *s, const struct prompt *p, size_t from, char ***out,
		      struct rerr *e)
{
	size_t n = p->n_seq - from;
	char **t = calloc(n ? n : 1, sizeof(*t));

	*out = t;
	if (!t)
		return fail(e, 500, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int32_t id = p->ids[from + i];

		if (s->ngram)
			t[i] = (char *)uh_ngram_token_text(s->ngram, id);
		else if (decode(s, &id, 1, &t[i], e) < 0)
			return -1;
	}
	return 0;
}

static void token_strs_free(struct uh_server *s, char **t, size_t n)
{
	if (!s->ngram)
		for (size_t i = 0; t && i < n; i++)
			free(t[i]);
	free(t);
}

/* top_logprobs[i] for seq position i >= 1: the actual token first, then the top k. */
static void write_top(struct uh_server *s, struct sb *b, const struct prompt *p, size_t i,
		      size_t k, const char *tok)
{
	const char *keys[UH_SERVE_MAX_LOGPROBS + 2];
	size_t nk = 0;
	double v = fmax(p->lp[i - 1], -9999.0); /* vLLM's clamp */
	double best = v;                        /* the largest value written */

	sb_put(b, "{", 1);
	sb_str(b, tok);
	sb_put(b, ":", 1);
	sb_num(b, v);
	keys[nk++] = tok;
	for (size_t j = 0; p->top_ids && j < k; j++) {
		int32_t id = p->top_ids[(i - 1) * k + j];
		const char *alt;
		size_t x;

		if (id < 0)
			break;
		alt = uh_ngram_token_text(s->ngram, id);
		for (x = 0; x < nk && strcmp(keys[x], alt) != 0; x++)
			;
		if (x < nk)
			continue; /* distinct ids with one string collapse, as in vLLM */
		keys[nk++] = alt;
		sb_put(b, ",", 1);
		sb_str(b, alt);
		sb_put(b, ":", 1);
		sb_num(b, fmax(p->top_lps[(i - 1) * k + j], -9999.0));
		best = fmax(best, fmax(p->top_lps[(i - 1) * k + j], -9999.0));
	}
	if (p->top_ids && k > 0 && !p->greedy[i - 1] && !(best > v)) {
		/*
		 * The model's greedy choice is another token, but no value above
		 * says so: its key collapsed into the actual token's (the specials
		 * all read ""), it ties with the actual token and wins on the lower
		 * id, or the actual token is <unk>, which greedy decoding never
		 * picks. A value above the actual one tells a client comparing
		 * values what the model decided.
		 */
		double top = fmax(p->top_lps[(i - 1) * k], -9999.0);
		double ub = top > v ? top : nextafter(v, 0.0);

		sb_lit(b, ",\"" UH_SERVE_ARGMAX_KEY "\":");
		sb_num(b, ub);
	}
	if (!p->top_ids && k > 0 && !p->greedy[i - 1]) {
		/* no distribution: an upper bound of the argmax's log-probability, log(1 - p) */
		double ub = log1p(-exp(p->lp[i - 1]));

		if (!(ub > v))
			ub = nextafter(v, 0.0);
		sb_lit(b, ",\"" UH_SERVE_ARGMAX_KEY "\":");
		sb_num(b, ub);
	}
	sb_put(b, "}", 1);
}

/* The logprobs object of one choice: seq positions [from, n_seq), offsets from offset0. */
static int write_logprobs(struct uh_server *s, struct sb *b, const struct prompt *p, size_t from,
			  size_t k, size_t offset0, struct rerr *e)
{
	size_t n = p->n_seq - from, off = offset0;
	char **t;

	if (token_strs(s, p, from, &t, e) < 0) {
		token_strs_free(s, t, n);
		return -1;
	}
	sb_lit(b, "{\"text_offset\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_put(b, ",", 1);
		sb_int(b, (long long)off);
		off += cp_count(t[i]);
	}
	sb_lit(b, "],\"token_logprobs\":[");
	for (size_t i = 0; i < n; i++) {
		size_t q = from + i;

		if (i)
			sb_put(b, ",", 1);
		if (q == 0)
			sb_lit(b, "null"); /* nothing before the first token to score it in */
		else
			sb_num(b, fmax(p->lp[q - 1], -9999.0));
	}
	sb_lit(b, "],\"tokens\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_put(b, ",", 1);
		sb_str(b, t[i]);
	}
	sb_lit(b, "],\"top_logprobs\":[");
	for (size_t i = 0; i < n; i++) {
		size_t q = from + i;

		if (i)
			sb_put(b, ",", 1);
		if (q == 0)
			sb_lit(b, "null");
		else
			write_top(s, b, p, q, k, t[i]);
	}
	sb_lit(b, "]}");
	token_strs_free(s, t, n);
	return 0;
}


/* Generate for every prompt in one backend call. */
static int run_generate(struct uh_server *s, struct prompt *ps, size_t np, const struct creq *q,
			struct rerr *e)
{
	struct uh_gen_req *reqs = calloc(np, sizeof(*reqs));
	struct uh_gen_res *res = calloc(np, sizeof(*res));
	struct uh_err err;
	int rc = -1;

	uh_err_clear(&err);
	if (!reqs || !res) {
		fail(e, 500, "out of memory");
		goto out;
	}
	if (!uh_backend_has(s->b, UH_CAN_GENERATE)) {
		fail(e, 400, "backend '%s' cannot generate (no UH_CAN_GENERATE): send 'max_tokens': 0 with 'echo': true to score",
		     s->b->name);
		goto out;
	}
	for (size_t i = 0; i < np; i++) {
		reqs[i].prompt = ps[i].text;
		reqs[i].max_new_tokens = (int32_t)q->max_tokens;
		reqs[i].stop = q->stop;
		reqs[i].n_stop = q->n_stop;
	}
	be_lock(s);
	rc = uh_backend_generate(s->b, reqs, np, res, &err);
	be_unlock(s);
	if (rc < 0) {
		fail_err(e, 500, &err);
		goto out;
	}
	/* the backend owns its texts: copy them, then give them back */
	for (size_t i = 0; i < np; i++) {
		ps[i].gen = strdup(res[i].text);
		ps[i].gen_tokens = res[i].n_tokens;
		ps[i].finish = res[i].finish_reason;
		if (!ps[i].gen)
			rc = fail(e, 500, "out of memory");
	}
	uh_backend_free_gen(s->b, res, np);
out:
	free(reqs);
	free(res);
	return rc;
}

/* seq = prompt ids + the ids of the generated text (+ EOS when it ended there). */
static int append_gen_ids(struct uh_server *s, struct prompt *p, int32_t eos, struct rerr *e)
{
	int32_t *g = NULL, *all;
	size_t ng = 0, extra;

	if (p->gen && *p->gen && encode(s, p->gen, &g, &ng, e) < 0)
		return -1;
	extra = ng + (p->finish == UH_FINISH_EOS);
	all = realloc(p->ids, (p->n_ids + extra + 1) * sizeof(*all));
	if (!all) {
		free(g);
		return fail(e, 500, "out of memory");
	}
	p->ids = all;
	if (ng)
		memcpy(all + p->n_ids, g, ng * sizeof(*g));
	if (p->finish == UH_FINISH_EOS)
		all[p->n_ids + ng] = eos;
	p->n_seq = p->n_ids + extra;
	free(g);
	return 0;
}

static int64_t prompt_tokens(struct uh_server *s, struct prompt *p)
{
	struct uh_err err;
	int64_t n = 0;

	if (p->has_ids)
		return (int64_t)p->n_ids;
	if (uh_backend_has(s->b, UH_CAN_TOKENIZE)) {
		be_lock(s);
		if (uh_backend_tokenize(s->b, p->text, &n, &err) < 0)
			n = 0;
		be_unlock(s);
	}
	return n;
}

static char *completion_body(struct uh_server *s, struct prompt *ps, size_t np,
			     const struct creq *q, size_t *len, struct rerr *e)
{
	struct sb b = { 0 };
	unsigned long long id;
	long long now = (long long)time(NULL);
	int64_t ptok = 0, ctok = 0;
	char idbuf[64];

	pthread_mutex_lock(&s->seq_lock);
	id = ++s->seq;
	pthread_mutex_unlock(&s->seq_lock);
	snprintf(idbuf, sizeof(idbuf), "cmpl-uh-%llx-%llx", now, id);
	sb_lit(&b, "{\"id\":");
	sb_str(&b, idbuf);
	sb_lit(&b, ",\"object\":\"text_completion\",\"created\":");
	sb_int(&b, now);
	sb_lit(&b, ",\"model\":");
	sb_str(&b, s->model);
	sb_lit(&b, ",\"choices\":[");
	for (size_t i = 0; i < np; i++) {
		struct prompt *p = &ps[i];

		sb_lit(&b, i ? ",{\"index\":" : "{\"index\":");
		sb_int(&b, (long long)i);
		sb_lit(&b, ",\"text\":\"");
		if (q->echo)
			sb_esc(&b, p->text);
		sb_esc(&b, p->gen ? p->gen : "");
		sb_lit(&b, "\",\"logprobs\":");
		if (q->logprobs < 0)
			sb_lit(&b, "null");
		else if (write_logprobs(s, &b, p, q->echo ? 0 : p->n_ids, (size_t)q->logprobs,
					q->echo ? 0 : cp_count(p->text), e) < 0)
			goto fail;
		sb_lit(&b, ",\"finish_reason\":");
		sb_lit(&b, p->finish == UH_FINISH_LENGTH ? "\"length\"" : "\"stop\"");
		/*
		 * vLLM: the matched stop string, null for the EOS, which is how
		 * clients (uh's openai backend among them) tell the two apart. The
		 * ABI does not say which stop string matched: the first one sent.
		 */
		sb_lit(&b, ",\"stop_reason\":");
		if (p->finish == UH_FINISH_STOP && q->n_stop)
			sb_str(&b, q->stop[0]);
		else
			sb_lit(&b, "null");
		sb_lit(&b, "}");
		ptok += prompt_tokens(s, p);
		ctok += p->gen_tokens;
	}
	sb_lit(&b, "],\"usage\":{\"prompt_tokens\":");
	sb_int(&b, (long long)ptok);
	sb_lit(&b, ",\"completion_tokens\":");
	sb_int(&b, (long long)ctok);
	sb_lit(&b, ",\"total_tokens\":");
	sb_int(&b, (long long)(ptok + ctok));
	sb_lit(&b, "}}");
	if (b.oom) {
		fail(e, 500, "out of memory");
		goto fail;
	}
	*len = b.n;
	return b.s;
fail:
	free(b.s);
	return NULL;
}


/* ---- the request counters and the request log */

/* Count one /v1/completions request, or refuse it (503) past stop_after. */
static int take_request(struct uh_server *s, struct rerr *e)
{
	int ok;

	pthread_mutex_lock(&s->seq_lock);
	ok = !s->stop_after || s->taken < s->stop_after;
	if (ok)
		s->taken++;
	else
		s->refused++;
	pthread_mutex_unlock(&s->seq_lock);
	if (ok)
		return 0;
	return fail(e, 503, "this server answers no more completions (it stopped after %llu requests: uh serve --stop-after)",
		    s->stop_after);
}

/*
 * The request log's line for one prompt: the hex SHA-256 of what decides
 * its answer (echo, max_tokens, logprobs, the stop strings, then the ids or
 * the text, as the client sent them), so a prompt asked again in the same
 * way gives the same line.
 */
static void prompt_digest(const struct creq *q, const struct prompt *p, char hex[65])
{
	struct uh_sha256 h;
	unsigned char d[32];
	char tmp[128];
	int n;

	uh_sha256_init(&h);
	n = snprintf(tmp, sizeof(tmp), "echo=%d max_tokens=%ld logprobs=%ld stop=%zu\n", q->echo,
		     q->max_tokens, q->logprobs, q->n_stop);
	uh_sha256_update(&h, tmp, (size_t)n);
	for (size_t k = 0; k < q->n_stop; k++) /* with the NUL, so the list reads one way only */
		uh_sha256_update(&h, q->stop[k], strlen(q->stop[k]) + 1);
	if (p->has_ids) {
		uh_sha256_update(&h, "ids:", 4);
		for (size_t i = 0; i < p->n_ids; i++) {
			n = snprintf(tmp, sizeof(tmp), "%ld,", (long)p->ids[i]);
			uh_sha256_update(&h, tmp, (size_t)n);
		}
	} else {
		uh_sha256_update(&h, "text:", 5);
		uh_sha256_update(&h, p->text, strlen(p->text));
	}
	uh_sha256_final(&h, d);
	uh_sha256_hex(d, hex);
}

/* A request was answered: count it and log its prompts (before the answer is sent). */
static void note_answered(struct uh_server *s, const char (*dig)[65], size_t np)
{
	pthread_mutex_lock(&s->seq_lock);
	s->answered++;
	s->prompts += np;
	if (s->log && dig) {
		for (size_t i = 0; i < np; i++)
			fprintf(s->log, "%s\n", dig[i]);
		fflush(s->log);
	}
	pthread_mutex_unlock(&s->seq_lock);
}

static int do_completions(struct uh_server *s, const cJSON *root, struct uh_serve_reply *r,
			  struct rerr *e)
{
	struct prompt *ps = NULL;
	size_t np = 0;
	struct creq q;
	struct uh_err err;
	int32_t eos = -1;
	int rc = -1, want_lp;
	char (*dig)[65] = NULL;

	uh_err_clear(&err);
	if (take_request(s, e) < 0 || check_model(s, root, e) < 0 || read_creq(root, &q, e) < 0 ||
	    read_prompts(s, root, &ps, &np, e) < 0)
		goto out;
	want_lp = q.logprobs >= 0;
	if (s->log) { /* the prompts as sent: text prompts get their ids below */
		if (!(dig = malloc(np * sizeof(*dig)))) {
			fail(e, 500, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < np; i++)
			prompt_digest(&q, &ps[i], dig[i]);
	}

	/* the prompt's text and, when logprobs are asked for, its ids */
	for (size_t i = 0; i < np; i++) {
		struct prompt *p = &ps[i];

		if (p->has_ids) {
			if (need_ids(s, "a prompt of token ids", e) < 0 ||
			    decode(s, p->ids, p->n_ids, &p->text, e) < 0)
				goto out;
		} else if (want_lp) {
			if (need_ids(s, "'logprobs'", e) < 0 ||
			    encode(s, p->text, &p->ids, &p->n_ids, e) < 0)
				goto out;
			p->has_ids = 1;
		}
		p->n_seq = p->n_ids;
		p->finish = UH_FINISH_LENGTH;
	}
	if (q.max_tokens > 0 && run_generate(s, ps, np, &q, e) < 0)
		goto out;
	if (want_lp) {
		if (uh_backend_eos_id(s->b, &eos, &err) < 0) {
			fail_err(e, 500, &err);
			goto out;
		}
		for (size_t i = 0; i < np; i++)
			if (append_gen_ids(s, &ps[i], eos, e) < 0)
				goto out;
		if ((s->ngram ? score_ngram(s, ps, np, (size_t)q.logprobs, e)
			      : score_generic(s, ps, np, e)) < 0)
			goto out;
	}
	if (!(r->body = completion_body(s, ps, np, &q, &r->len, e)))
		goto out;
	r->status = 200;
	note_answered(s, (const char (*)[65])dig, np);
	rc = 0;
out:
	for (size_t i = 0; i < np; i++)
		prompt_release(&ps[i]);
	free(ps);
	free(dig);
	return rc;
}

/* ---------------------------------------------------------------- small endpoints */

static int do_tokenize(struct uh_server *s, const cJSON *root, struct uh_serve_reply *r,
		       struct rerr *e)
{
	const cJSON *j = field(root, "prompt");
	cJSON *out, *toks;
	int32_t *ids = NULL;
	size_t n = 0;
	int64_t count = 0;
	int special;

	if (check_model(s, root, e) < 0 || get_bool(root, "add_special_tokens", 1, &special, e) < 0)
		return -1;
	if (!j || !cJSON_IsString(j))
		return fail(e, 400, "'prompt' must be a string (the chat form with 'messages' is not served)");
	if (uh_backend_has(s->b, UH_CAN_TOKEN_IDS)) {
		if (encode(s, j->valuestring, &ids, &n, e) < 0)
			return -1;
		count = (int64_t)n;
	} else if (uh_backend_has(s->b, UH_CAN_TOKENIZE)) {
		struct uh_err err;
		int rc;

		uh_err_clear(&err);
		be_lock(s);
		rc = uh_backend_tokenize(s->b, j->valuestring, &count, &err);
		be_unlock(s);
		if (rc < 0)
			return fail_err(e, 500, &err);
	} else {
		return fail(e, 400, "backend '%s' cannot tokenize (no UH_CAN_TOKENIZE or UH_CAN_TOKEN_IDS)",
			    s->b->name);
	}
	out = cJSON_CreateObject();
	if (!out || !cJSON_AddNumberToObject(out, "count", (double)count) ||
	    !cJSON_AddNumberToObject(out, "max_model_len", (double)s->max_model_len))
		goto nomem;
	if (ids || uh_backend_has(s->b, UH_CAN_TOKEN_IDS)) {
		if (!(toks = cJSON_AddArrayToObject(out, "tokens")))
			goto nomem;
		for (size_t i = 0; i < n; i++)
			if (!cJSON_AddItemToArray(toks, cJSON_CreateNumber(ids[i])))
				goto nomem;
	} else if (!cJSON_AddNullToObject(out, "tokens")) {
		goto nomem;
	}
	if (!cJSON_AddNullToObject(out, "token_strs"))
		goto nomem;
	free(ids);
	return reply_json(r, 200, out);
nomem:
	free(ids);
	cJSON_Delete(out);
	return fail(e, 500, "out of memory");
}

static int do_detokenize(struct uh_server *s, const cJSON *root, struct uh_serve_reply *r,
			 struct rerr *e)
{
	const cJSON *j = field(root, "tokens");
	int32_t *ids = NULL;
	size_t n = 0;
	char *text = NULL;
	cJSON *out, *t;

	if (check_model(s, root, e) < 0 || need_ids(s, "/detokenize", e) < 0)
		return -1;
	if (!j || !cJSON_IsArray(j))
		return fail(e, 400, "'tokens' must be a list of token ids");
	if (cJSON_GetArraySize(j) > 0 && read_ids(j, &ids, &n, "'tokens'", e) < 0)
		return -1;
	if (decode(s, ids, n, &text, e) < 0) {
		free(ids);
		return -1;
	}
	free(ids);
	out = cJSON_CreateObject();
	t = json_text(text);
	free(text);
	if (!out || !t || !cJSON_AddItemToObject(out, "prompt", t)) {
		cJSON_Delete(t);
		cJSON_Delete(out);
		return fail(e, 500, "out of memory");
	}
	return reply_json(r, 200, out);
}

static int do_tokenizer_info(struct uh_server *s, struct uh_serve_reply *r, struct rerr *e)
{
	struct uh_err err;
	int32_t eos;
	cJSON *out;

	uh_err_clear(&err);
	if (!uh_backend_has(s->b, UH_CAN_TOKEN_IDS))
		return fail(e, 404, "backend '%s' has no token ids (no UH_CAN_TOKEN_IDS), so no tokenizer to describe",
			    s->b->name);
	if (uh_backend_eos_id(s->b, &eos, &err) < 0)
		return fail_err(e, 500, &err);
	out = cJSON_CreateObject();
	if (!out || !cJSON_AddNumberToObject(out, "eos_token_id", eos) ||
	    !cJSON_AddStringToObject(out, "eos_token", "<|endoftext|>") ||
	    !cJSON_AddNumberToObject(out, "model_max_length", (double)s->max_model_len) ||
	    !cJSON_AddStringToObject(out, "tokenizer_class", s->b->name)) {
		cJSON_Delete(out);
		return fail(e, 500, "out of memory");
	}
	return reply_json(r, 200, out);
}

/* GET /stats: what the server has done with /v1/completions so far. */
static int do_stats(struct uh_server *s, struct uh_serve_reply *r, struct rerr *e)
{
	unsigned long long answered, prompts, refused, failed;
	cJSON *out = cJSON_CreateObject();

	pthread_mutex_lock(&s->seq_lock);
	answered = s->answered;
	prompts = s->prompts;
	refused = s->refused;
	failed = s->taken - s->answered;
	pthread_mutex_unlock(&s->seq_lock);
	if (!out || !cJSON_AddNumberToObject(out, "completions_answered", (double)answered) ||
	    !cJSON_AddNumberToObject(out, "prompts_answered", (double)prompts) ||
	    !cJSON_AddNumberToObject(out, "completions_failed", (double)failed) ||
	    !cJSON_AddNumberToObject(out, "completions_refused", (double)refused)) {
		cJSON_Delete(out);
		return fail(e, 500, "out of memory");
	}
	return reply_json(r, 200, out);
}

static int do_models(struct uh_server *s, struct uh_serve_reply *r, struct rerr *e)
{
	cJSON *out = cJSON_CreateObject(), *data, *m;

	if (!out || !cJSON_AddStringToObject(out, "object", "list") ||
	    !(data = cJSON_AddArrayToObject(out, "data")) || !(m = cJSON_CreateObject()) ||
	    (cJSON_AddItemToArray(data, m), 0) || !cJSON_AddStringToObject(m, "id", s->model) ||
	    !cJSON_AddStringToObject(m, "object", "model") ||
	    !cJSON_AddNumberToObject(m, "created", (double)time(NULL)) ||
	    !cJSON_AddStringToObject(m, "owned_by", "uh") ||
	    !cJSON_AddStringToObject(m, "root", uh_backend_model_id(s->b)) ||
	    !cJSON_AddNumberToObject(m, "max_model_len", (double)s->max_model_len)) {
		cJSON_Delete(out);
		return fail(e, 500, "out of memory");
	}
	return reply_json(r, 200, out);
}

/* ---------------------------------------------------------------- the router */

int uh_serve_handle(struct uh_server *s, const char *method, const char *path, const char *body,
		    size_t len, struct uh_serve_reply *r)
{
	struct rerr e = { 500, "internal error" };
	size_t plen = strcspn(path, "?");
	int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
#define IS(p) (plen == strlen(p) && strncmp(path, p, plen) == 0)
	if (IS("/health")) {
		if (!get)
			goto not_allowed;
		r->status = 200;
		return 0;
	} else if (IS("/v1/models")) {
		if (!get)
			goto not_allowed;
		rc = do_models(s, r, &e);
	} else if (IS("/stats")) {
		if (!get)
			goto not_allowed;
		rc = do_stats(s, r, &e);
	} else if (IS("/tokenizer_info")) {
		if (!get)
			goto not_allowed;
		rc = do_tokenizer_info(s, r, &e);
	} else if (IS("/v1/completions") || IS("/tokenize") || IS("/detokenize")) {
		cJSON *root;

		if (!post)
			goto not_allowed;
		if (!(root = parse_body(body, len, &e)))
			goto error;
		if (IS("/v1/completions"))
			rc = do_completions(s, root, r, &e);
		else if (IS("/tokenize"))
			rc = do_tokenize(s, root, r, &e);
		else
			rc = do_detokenize(s, root, r, &e);
		cJSON_Delete(root);
	} else {
		fail(&e, 404, "no such endpoint: %s %.*s (served: POST /v1/completions, POST /tokenize, POST /detokenize, GET /tokenizer_info, GET /v1/models, GET /stats, GET /health)",
		     method, (int)(plen > 200 ? 200 : plen), path);
		goto error;
	}
#undef IS
	if (rc == 0)
		return 0;
	if (rc == UH_ENOMEM) /* reply_json could not print: e was not filled */
		fail(&e, 500, "out of memory");
	goto error;
not_allowed:
	fail(&e, 405, "method %s is not allowed on %.*s", method, (int)(plen > 200 ? 200 : plen), path);
error:
	uh_serve_reply_release(r);
	return reply_error(r, &e);
}

/* ---------------------------------------------------------------- HTTP (libmicrohttpd) */

struct conn {
	char *buf;
	size_t len, cap;
	int too_big;
	int answered; /* a 413 was queued before the body came */
};

static int conn_add(struct conn *c, const char *data, size_t n, size_t max)
{
	if (c->too_big || c->len + n > max) {
		c->too_big = 1;
		return 0;
	}
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *b;

		while (cap < c->len + n + 1)
			cap *= 2;
		if (!(b = realloc(c->buf, cap)))
			return -1;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return 0;
}

static enum MHD_Result send_reply(struct MHD_Connection *con, struct uh_serve_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->body) {
		resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
		if (resp)
			r->body = NULL; /* libmicrohttpd frees it */
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!resp) {
		uh_serve_reply_release(r);
		return MHD_NO;
	}
	if (r->len || r->status != 200)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(con, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	uh_serve_reply_release(r);
	return ret;
}

static enum MHD_Result send_too_big(struct uh_server *s, struct MHD_Connection *con)
{
	struct uh_serve_reply r;
	struct rerr e;

	fail(&e, 413, "request body is larger than %zu bytes", s->max_body);
	memset(&r, 0, sizeof(r));
	if (reply_error(&r, &e) < 0)
		return MHD_NO;
	return send_reply(con, &r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct uh_server *s = cls;
	struct conn *c = *con_cls;
	struct uh_serve_reply r;

	(void)version;
	if (!c) {
		const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);

		if (!(c = calloc(1, sizeof(*c))))
			return MHD_NO;
		*con_cls = c;
		/* a declared length over the cap: answer now instead of reading it all */
		if (cl && strtoull(cl, NULL, 10) > s->max_body) {
			c->answered = 1;
			return send_too_big(s, con);
		}
		return MHD_YES;
	}
	if (c->answered) { /* drop whatever libmicrohttpd still hands us */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (conn_add(c, upload, *upload_size, s->max_body) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (c->too_big)
		return send_too_big(s, con);
	uh_serve_handle(s, method, url, c->buf ? c->buf : "", c->len, &r);
	return send_reply(con, &r);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (c) {
		free(c->buf);
		free(c);
		*con_cls = NULL;
	}
}

/* ---------------------------------------------------------------- lifecycle */

int uh_serve_new(struct uh_backend *b, const struct uh_serve_opts *o, struct uh_server **out,
		 struct uh_err *err)
{
	struct uh_serve_opts d;
	struct uh_server *s;
	const char *model;

	*out = NULL;
	if (!o) {
		uh_serve_opts_init(&d);
		o = &d;
	}
	if (!b || !b->api)
		return uh_err_set(err, UH_EINTERNAL, "uh_serve_new: the backend is not open");
	if (o->port < 0 || o->port > 65535)
		return uh_err_set(err, UH_EINVAL, "port must be in [0, 65535], got %d", o->port);
	if (o->threads > 1024)
		return uh_err_set(err, UH_EINVAL, "threads must be in [1, 1024], got %u", o->threads);
	if (o->max_model_len < 0)
		return uh_err_set(err, UH_EINVAL, "max_model_len must be positive");
	if (o->stop_after < 0)
		return uh_err_set(err, UH_EINVAL, "stop_after must be >= 0, got %lld", o->stop_after);
	s = calloc(1, sizeof(*s));
	if (!s)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	model = o->model && *o->model ? o->model : uh_backend_model_id(b);
	s->b = b;
	s->model = strdup(model ? model : "uh");
	s->host = strdup(o->host && *o->host ? o->host : "127.0.0.1");
	s->port = o->port;
	s->threads = o->threads ? o->threads : 1;
	s->max_body = o->max_body ? o->max_body : UH_SERVE_MAX_BODY;
	s->max_model_len = o->max_model_len ? o->max_model_len : DEFAULT_MAX_MODEL_LEN;
	if (b->api == uh_ngram_backend() && b->state)
		s->ngram = b->state;
	s->serialise = b->api != uh_ngram_backend() && b->api != uh_null_backend();
	s->stop_after = (unsigned long long)o->stop_after;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->seq_lock, NULL);
	*out = s;
	if (!s->model || !s->host) {
		uh_serve_free(s);
		*out = NULL;
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	if (o->log_requests && !(s->log = fopen(o->log_requests, "a"))) {
		int rc = uh_err_set(err, UH_EIO, "cannot open the request log '%s' for appending: %s",
				    o->log_requests, strerror(errno));

		uh_serve_free(s);
		*out = NULL;
		return rc;
	}
	return 0;
}

int uh_serve_start(struct uh_server *s, struct uh_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	const union MHD_DaemonInfo *info;

	memset(&ss, 0, sizeof(ss));
	if (strchr(s->host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)s->port);
		if (inet_pton(AF_INET6, s->host, &a->sin6_addr) != 1)
			return uh_err_set(err, UH_EINVAL, "host '%s' is not a numeric IPv6 address", s->host);
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)s->port);
		if (inet_pton(AF_INET, s->host, &a->sin_addr) != 1)
			return uh_err_set(err, UH_EINVAL,
					  "host '%s' is not a numeric IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)",
					  s->host);
	}
	if (s->threads > 1)
		s->d = MHD_start_daemon(flags, (uint16_t)s->port, NULL, NULL, on_request, s,
					MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
					MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->threads,
					MHD_OPTION_CONNECTION_TIMEOUT, 120u,
					MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	else
		s->d = MHD_start_daemon(flags, (uint16_t)s->port, NULL, NULL, on_request, s,
					MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
					MHD_OPTION_CONNECTION_TIMEOUT, 120u,
					MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	if (!s->d)
		return uh_err_set(err, UH_EIO,
				  "cannot listen on %s port %d (in use, or not an address of this machine)",
				  s->host, s->port);
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_LISTEN_FD);
	sl = sizeof(ss);
	if (info && getsockname(info->listen_fd, (struct sockaddr *)&ss, &sl) == 0)
		s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

int uh_serve_port(const struct uh_server *s)
{
	return s && s->d ? s->port : 0;
}

const char *uh_serve_model(const struct uh_server *s)
{
	return s->model;
}

void uh_serve_free(struct uh_server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->seq_lock);
	if (s->log)
		fclose(s->log);
	free(s->model);
	free(s->host);
	free(s);
}
