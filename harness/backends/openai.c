/*
 * openai.c - the OpenAI-compatible completions backend (see openai.h).
 *
 * score() runs in two rounds of concurrent HTTP requests: first one
 * POST /tokenize per distinct string (contexts repeat: several answers share
 * one question), then one POST /completions per `batch` prompts. Responses
 * are checked field by field before any number is used; the exact protocol
 * is spec/algorithms.md §6.2 (vLLM) and §6.1 (lm-eval's parsing).
 */
#include "harness/backends/openai.h"
#include "harness/backends/http.h"
#include "harness/err.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KNOWN_KEYS \
	"url model concurrency batch timeout retries api_key_env tokenize eos_id backoff backoff_cap max_response"
#define GEN_SEED 1234
#define CLAMP (-9999.0) /* vLLM's floor for -inf (max(logprob, -9999.0)) */
#define CACHE_BYTES ((size_t)32 << 20) /* tokenizations kept across calls */
#define CACHE_BUCKETS 65536

struct tok_cache;
static const struct uh_http_proto openai_proto;

struct oa_state {
	struct uh_http_backend b;  /* first: the shared functions take the state */
	char *model;
	int batch;
	int concurrency;
	int tok_mode;       /* 1: token-id prompts through /tokenize */
	int32_t eos;        /* -1: unknown */
	struct tok_cache *cache;
};

/* Token ids of one string. */
struct ids {
	int32_t *v;
	size_t n;
};

/* ------------------------------------------------------------ JSON reading */

/* The "tokens" id list of a /tokenize answer. */
static int parse_tokens(const char *body, size_t len, struct ids *out, char *why, size_t cap)
{
	cJSON *j = uh_http_json_parse(body, len, why, cap);
	const cJSON *t, *x;
	size_t k = 0;
	int rc = -1;

	out->v = NULL;
	out->n = 0;
	if (!j)
		return -1;
	t = uh_http_json_get(j, "tokens");
	if (!cJSON_IsArray(t)) {
		snprintf(why, cap, "field 'tokens' is %s, not an array of ids", uh_http_json_kind(t));
		goto out;
	}
	out->n = (size_t)cJSON_GetArraySize(t);
	out->v = malloc((out->n ? out->n : 1) * sizeof(*out->v));
	if (!out->v) {
		snprintf(why, cap, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(x, t) {
		long long id;

		if (uh_http_json_int(x, 0, INT32_MAX, &id) < 0) {
			snprintf(why, cap, "tokens[%zu] is %s, not a token id", k, uh_http_json_kind(x));
			goto out;
		}
		out->v[k++] = (int32_t)id;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(out->v);
		out->v = NULL;
		out->n = 0;
	}
	cJSON_Delete(j);
	return rc;
}

/* ------------------------------------------------------------ tokenization cache */

/*
 * Strings tokenized by earlier calls: a question is scored against many
 * answers (TOFU: the answer, a paraphrase, five perturbed ones), usually in
 * different calls. Bounded by CACHE_BYTES; the oldest entries go first.
 */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct tc_entry {
	struct tc_entry *chain;           /* same bucket */
	struct tc_entry *newer;           /* insertion order */
	uint64_t h;
	size_t n;
	int32_t *ids;
	char *key;
	size_t bytes;
};

struct tok_cache {
	struct tc_entry *bucket[CACHE_BUCKETS];
	struct tc_entry *oldest, *newest;
	size_t bytes;
};

static void tc_free_entry(struct tc_entry *e)
{
	free(e->ids);
	free(e->key);
	free(e);
}

static void tc_free(struct tok_cache *c)
{
	if (!c)
		return;
	for (struct tc_entry *e = c->oldest, *next; e; e = next) {
		next = e->newer;
		tc_free_entry(e);
	}
	free(c);
}

static const struct tc_entry *tc_get(const struct tok_cache *c, const char *key, uint64_t h)
{
	for (const struct tc_entry *e = c ? c->bucket[h % CACHE_BUCKETS] : NULL; e; e = e->chain)
		if (e->h == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void tc_evict_oldest(struct tok_cache *c)
{
	struct tc_entry *e = c->oldest, **pp = &c->bucket[e->h % CACHE_BUCKETS];

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	c->oldest = e->newer;
	if (!c->oldest)
		c->newest = NULL;
	c->bytes -= e->bytes;
	tc_free_entry(e);
}

/* Remember key's ids (copied). Out of memory only means a later miss. */
static void tc_put(struct tok_cache *c, const char *key, uint64_t h, const int32_t *ids, size_t n)
{
	struct tc_entry *e;
	size_t len = strlen(key);

	if (!c || tc_get(c, key, h) || len + n * sizeof(*ids) > CACHE_BYTES / 16)
		return;
	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->key = malloc(len + 1);
	e->ids = malloc((n ? n : 1) * sizeof(*ids));
	if (!e->key || !e->ids) {
		tc_free_entry(e);
		return;
	}
	memcpy(e->key, key, len + 1);
	if (n)
		memcpy(e->ids, ids, n * sizeof(*ids));
	e->n = n;
	e->h = h;
	e->bytes = sizeof(*e) + len + 1 + n * sizeof(*ids);
	while (c->oldest && c->bytes + e->bytes > CACHE_BYTES)
		tc_evict_oldest(c);
	e->chain = c->bucket[h % CACHE_BUCKETS];
	c->bucket[h % CACHE_BUCKETS] = e;
	if (c->newest)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->bytes += e->bytes;
}

/* ------------------------------------------------------------ open / close */

static void oa_release(void *state)
{
	struct oa_state *st = state;

	tc_free(st->cache);
	free(st->model);
}

static void tokenize_body(struct uh_http_buf *b, const void *state, const char *text)
{
	const char *model = ((const struct oa_state *)state)->model;

	uh_http_buf_puts(b, "{");
	if (model) {
		uh_http_buf_puts(b, "\"model\":");
		uh_http_buf_add_json_str(b, model);
		uh_http_buf_puts(b, ",");
	}
	uh_http_buf_puts(b, "\"prompt\":");
	uh_http_buf_add_json_str(b, text);
	uh_http_buf_puts(b, ",\"add_special_tokens\":false}");
}

/* The model's name from GET {url}/models (data[0].id). */
static int discover_model(struct oa_state *st, struct uh_err *err)
{
	struct uh_http_req q = { .path = "/models", .pin = -1 };
	char why[256];
	cJSON *j;
	const cJSON *id;
	int rc;

	rc = uh_http_run(st->b.http, &q, 1, 0, NULL, err);
	if (rc < 0)
		return uh_err_prefix(err, "no model given and GET /models failed: ");
	j = uh_http_json_parse(q.resp, q.resp_len, why, sizeof(why));
	id = j ? uh_http_json_get(cJSON_GetArrayItem(uh_http_json_get(j, "data"), 0), "id") : NULL;
	if (!j || !cJSON_IsString(id) || !*id->valuestring)
		rc = uh_err_set(err, UH_EINVAL, "no model given and GET %s/models has no data[0].id%s%s (give --opt model=NAME)",
				uh_http_endpoint(st->b.http, (size_t)q.endpoint), j ? "" : ": ", j ? "" : why);
	else if (!(st->model = strdup(id->valuestring)))
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
	cJSON_Delete(j);
	uh_http_reqs_release(&q, 1);
	return rc;
}

/*
 * lm-eval's probe: GET {root}/tokenizer_info and POST {root}/tokenize
 * {"prompt":"test"}. Token mode needs /tokenize; the eos id comes from
 * tokenizer_info's eos_token_id, else from tokenizing its eos_token.
 */
static int probe_tokenizer(struct oa_state *st, int required, struct uh_err *err)
{
	struct uh_http_buf b = { 0 };
	struct uh_http_req q[2] = {
		{ .path = "/tokenizer_info", .at_root = 1, .pin = -1 },
		{ .path = "/tokenize", .at_root = 1, .pin = -1 },
	};
	char why[256] = "";
	struct ids ids;
	cJSON *info = NULL;
	const cJSON *eid, *etok;
	int rc;

	tokenize_body(&b, st, "test");
	if (b.failed) {
		uh_http_buf_release(&b);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	q[1].body = b.p;
	q[1].body_len = b.len;
	rc = uh_http_run(st->b.http, q, 2, 1, NULL, err);
	uh_http_buf_release(&b);
	if (rc < 0)
		return uh_err_prefix(err, "probing the server's tokenizer: ");

	if (q[1].status != 200 || parse_tokens(q[1].resp, q[1].resp_len, &ids, why, sizeof(why)) < 0) {
		if (required) {
			rc = uh_err_set(err, UH_EINVAL,
					"tokenize=yes but POST %s/tokenize does not work (HTTP %ld%s%s)",
					uh_http_endpoint(st->b.http, (size_t)q[1].endpoint), q[1].status,
					why[0] ? ": " : "", why);
			uh_http_scrub(st->b.http, err->msg);
		}
		goto out;
	}
	free(ids.v);
	st->tok_mode = 1;
	if (st->eos >= 0 || q[0].status != 200)
		goto out;
	info = uh_http_json_parse(q[0].resp, q[0].resp_len, why, sizeof(why));
	eid = uh_http_json_get(info, "eos_token_id");
	etok = uh_http_json_get(info, "eos_token");
	if (cJSON_IsObject(etok))
		etok = uh_http_json_get(etok, "content");  /* an AddedToken dict */
	if (cJSON_IsNumber(eid)) {
		long long x;

		if (uh_http_json_int(eid, 0, INT32_MAX, &x) == 0)
			st->eos = (int32_t)x;
	} else if (cJSON_IsString(etok) && *etok->valuestring) {
		struct uh_http_req t = { .path = "/tokenize", .at_root = 1, .pin = -1 };

		tokenize_body(&b, st, etok->valuestring);
		if (b.failed) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			goto out;
		}
		t.body = b.p;
		t.body_len = b.len;
		rc = uh_http_run(st->b.http, &t, 1, 0, NULL, err);
		uh_http_buf_release(&b);
		if (rc < 0) {
			uh_err_prefix(err, "tokenizing the eos token: ");
			goto out;
		}
		if (parse_tokens(t.resp, t.resp_len, &ids, why, sizeof(why)) == 0 && ids.n == 1)
			st->eos = ids.v[0];
		free(ids.v);
		uh_http_reqs_release(&t, 1);
	}
out:
	cJSON_Delete(info);
	uh_http_reqs_release(q, 2);
	return rc;
}

/* The model from --opt model, else GET /models; then the tokenizer probe unless tokenize=no. */
static int oa_setup(void *state, struct uh_http_conf *c, struct uh_err *err)
{
	struct oa_state *st = state;
	int rc = 0;

	st->cache = calloc(1, sizeof(*st->cache));  /* NULL only means no cache */
	st->batch = c->batch;
	st->concurrency = c->concurrency;
	st->eos = (int32_t)c->eos_id;
	if (c->model) {
		st->model = c->model;
		c->model = NULL;
	} else {
		rc = discover_model(st, err);
	}
	if (rc == 0 && strcmp(c->tokenize, "no") != 0)
		rc = probe_tokenizer(st, !strcmp(c->tokenize, "yes"), err);
	if (rc == 0)
		rc = uh_http_backend_name(&st->b, st->model, c->urls[0], err);
	return rc;
}

static int oa_open(const struct uh_backend_config *cfg, void **state, char *errbuf, size_t errlen)
{
	return uh_http_backend_open(&openai_proto, cfg, state, errbuf, errlen);
}

/* ------------------------------------------------------------ tokenizing many strings */

/* A set of distinct strings, by content (open addressing, FNV-1a). */
struct strset {
	const char **s;    /* distinct strings, borrowed */
	size_t n;
	size_t *slot;      /* cap slots holding index+1, 0: empty */
	size_t cap;
};

static int strset_init(struct strset *set, size_t max)
{
	set->cap = 16;
	while (set->cap < 2 * max)
		set->cap *= 2;
	set->n = 0;
	set->s = malloc((max ? max : 1) * sizeof(*set->s));
	set->slot = calloc(set->cap, sizeof(*set->slot));
	return set->s && set->slot ? 0 : -1;
}

static void strset_release(struct strset *set)
{
	free(set->s);
	free(set->slot);
}

/* Index of s in the set, adding it when new (room for max strings is reserved). */
static size_t strset_add(struct strset *set, const char *s)
{
	size_t i = (size_t)fnv1a(s) & (set->cap - 1);

	while (set->slot[i]) {
		size_t k = set->slot[i] - 1;

		if (strcmp(set->s[k], s) == 0)
			return k;
		i = (i + 1) & (set->cap - 1);
	}
	set->s[set->n] = s;
	set->slot[i] = ++set->n;
	return set->n - 1;
}

/*
 * Token ids of every string in set (empty strings need no request): from
 * the cache, else one POST /tokenize per string, all in flight at once.
 */
static int tokenize_all(struct oa_state *st, const struct strset *set, struct ids *out,
			struct uh_err *err)
{
	struct uh_http_batch q = { 0 };
	char why[256];
	int rc = uh_http_batch_init(&q, set->n, err);

	for (size_t i = 0; i < set->n && rc == 0; i++) {
		const struct tc_entry *hit;

		out[i].v = NULL;
		out[i].n = 0;
		if (!set->s[i][0])
			continue;
		if ((hit = tc_get(st->cache, set->s[i], fnv1a(set->s[i]))) != NULL) {
			out[i].v = malloc((hit->n ? hit->n : 1) * sizeof(*out[i].v));
			if (!out[i].v) {
				rc = uh_err_set(err, UH_ENOMEM, "out of memory");
				break;
			}
			if (hit->n)
				memcpy(out[i].v, hit->ids, hit->n * sizeof(*out[i].v));
			out[i].n = hit->n;
			continue;
		}
		tokenize_body(&q.body[q.n], st, set->s[i]);
		if (uh_http_batch_add(&q, "/tokenize", 1, i) < 0)
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = uh_http_batch_run(st->b.http, &q, "tokenize", err);
	for (size_t k = 0; k < q.n && rc == 0; k++) {
		const char *str = set->s[q.of[k]];
		struct ids *o = &out[q.of[k]];

		if (parse_tokens(q.q[k].resp, q.q[k].resp_len, o, why, sizeof(why)) < 0)
			rc = uh_err_set(err, UH_EINVAL, "tokenize request %zu at %s/tokenize: %s", k,
					uh_http_endpoint(st->b.http, (size_t)q.q[k].endpoint), why);
		else
			tc_put(st->cache, str, fnv1a(str), o->v, o->n);
	}
	if (rc < 0)
		for (size_t i = 0; i < set->n; i++) {
			free(out[i].v);
			out[i].v = NULL;
		}
	uh_http_batch_release(&q);
	return rc;
}

/* ------------------------------------------------------------ score */

/* One prompt of a scoring request. */
struct item {
	size_t req;          /* index into reqs */
	const int32_t *ctx;  /* token mode: ids */
	size_t n_ctx;
	const int32_t *cont;
	size_t n_cont;
	int eos;             /* append st->eos */
	size_t ctx_chars;    /* string mode: context length in code points */
};

static void oa_free_score(void *state, struct uh_score_res *res, size_t n)
{
	(void)state;
	for (size_t i = 0; i < n; i++) {
		free(res[i].token_logprobs);
		free(res[i].token_greedy);
		res[i].token_logprobs = NULL;
		res[i].token_greedy = NULL;
	}
}

/*
 * lm-eval's _encode_pair: the whitespace at the end of a context moves to
 * the front of the continuation before either is tokenized ("Answer: " +
 * "Paris" is scored as "Answer:" + " Paris", the way tokenizers that glue
 * spaces to the next word saw it in training). The in-process ngram backend
 * heals contexts the same way, with the same six ASCII whitespace bytes
 * (Python's rstrip() also strips \x1c-\x1f and Unicode spaces; prompts
 * end in ' ' or '\n'). Returns the length of s's trailing whitespace.
 */
static size_t trailing_space(const char *s)
{
	size_t n = strlen(s), k = 0;

	while (k < n && strchr(" \t\n\r\v\f", s[n - 1 - k]))
		k++;
	return k;
}

/*
 * The two strings to tokenize for r, as lm-eval's _encode_pair: the context
 * without its trailing whitespace, and the whole text context + continuation
 * (whose tokens after the context's count are the continuation's). Borrowed,
 * or copies in *own (freed by the caller).
 */
static int split_pair(const struct uh_score_req *r, const char **ctx, const char **whole, char *own[2])
{
	size_t ws = trailing_space(r->context), a = strlen(r->context), c = strlen(r->continuation);

	own[0] = own[1] = NULL;
	*ctx = r->context;
	*whole = r->context;
	if (ws) {
		if (!(own[0] = malloc(a - ws + 1)))
			return -1;
		memcpy(own[0], r->context, a - ws);
		own[0][a - ws] = '\0';
		*ctx = own[0];
	}
	if (c) {
		if (!(own[1] = malloc(a + c + 1))) {
			free(own[0]);
			own[0] = NULL;
			return -1;
		}
		memcpy(own[1], r->context, a);
		memcpy(own[1] + a, r->continuation, c + 1);
		*whole = own[1];
	}
	return 0;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void add_ids(struct uh_http_buf *b, const int32_t *v, size_t n, int *first)
{
	for (size_t k = 0; k < n; k++) {
		char tmp[16];
		int w = snprintf(tmp + 1, sizeof(tmp) - 1, "%d", (int)v[k]);

		tmp[0] = ',';
		uh_http_buf_add(b, *first ? tmp + 1 : tmp, (size_t)w + (*first ? 0 : 1));
		*first = 0;
	}
}

static void score_body(struct uh_http_buf *b, const struct oa_state *st,
		       const struct uh_score_req *reqs, const struct item *it, size_t m)
{
	uh_http_buf_puts(b, "{\"model\":");
	uh_http_buf_add_json_str(b, st->model);
	uh_http_buf_puts(b, ",\"prompt\":[");
	for (size_t j = 0; j < m; j++) {
		if (j)
			uh_http_buf_puts(b, ",");
		if (st->tok_mode) {
			int first = 1;

			uh_http_buf_puts(b, "[");
			add_ids(b, it[j].ctx, it[j].n_ctx, &first);
			add_ids(b, it[j].cont, it[j].n_cont, &first);
			if (it[j].eos)
				add_ids(b, &st->eos, 1, &first);
			uh_http_buf_puts(b, "]");
		} else {
			const struct uh_score_req *q = &reqs[it[j].req];
			size_t a = strlen(q->context), c = strlen(q->continuation);
			char *s = malloc(a + c + 1);

			if (!s) {
				b->failed = 1;
				return;
			}
			memcpy(s, q->context, a);
			memcpy(s + a, q->continuation, c + 1);
			uh_http_buf_add_json_str(b, s);
			free(s);
		}
	}
	uh_http_buf_puts(b, "],\"max_tokens\":0,\"echo\":true,\"logprobs\":1,\"temperature\":0}");
}

/*
 * Read one choice (token ch of d) into r: in token mode the arrays must
 * cover exactly the ids sent; in string mode the split comes from
 * text_offset.
 */
static int read_choice(const struct uh_http_jdoc *d, long ch, const struct item *it,
		       const struct oa_state *st, struct uh_score_res *r, char *why, size_t cap)
{
	const struct uh_http_jtok *t = d->t;
	long lp = uh_http_jdoc_get(d, ch, "logprobs");
	long tl = uh_http_jdoc_get(d, lp, "token_logprobs");
	long tt = uh_http_jdoc_get(d, lp, "top_logprobs");
	long x, top;
	size_t n_tl, first, L;
	double sum = 0;
	int all = 1;

	if (lp < 0 || t[lp].type != UH_JT_OBJ) {
		snprintf(why, cap, "logprobs is %s (the server must support echo with logprobs)",
			 uh_http_jdoc_kind(d, lp));
		return -1;
	}
	if (tl < 0 || t[tl].type != UH_JT_ARR || tt < 0 || t[tt].type != UH_JT_ARR) {
		int bad_tl = tl < 0 || t[tl].type != UH_JT_ARR;

		snprintf(why, cap, "logprobs.%s is %s, not an array", bad_tl ? "token_logprobs" : "top_logprobs",
			 uh_http_jdoc_kind(d, bad_tl ? tl : tt));
		return -1;
	}
	n_tl = t[tl].n;
	if (t[tt].n != n_tl) {
		snprintf(why, cap, "top_logprobs has %u entries but token_logprobs has %zu", (unsigned)t[tt].n, n_tl);
		return -1;
	}
	x = tl + 1;
	top = tt + 1;
	if (st->tok_mode) {
		L = it->n_ctx + it->n_cont + (size_t)it->eos;
		if (n_tl != L) {
			snprintf(why, cap, "token_logprobs has %zu entries for a prompt of %zu tokens", n_tl, L);
			return -1;
		}
		first = it->n_ctx;
	} else {
		long off = uh_http_jdoc_get(d, lp, "text_offset"), o = off + 1;

		if (off < 0 || t[off].type != UH_JT_ARR || t[off].n != n_tl) {
			snprintf(why, cap, "logprobs.text_offset is %s with %u entries for %zu tokens",
				 uh_http_jdoc_kind(d, off), off >= 0 && t[off].type == UH_JT_ARR ? (unsigned)t[off].n : 0u,
				 n_tl);
			return -1;
		}
		for (first = 0; first < n_tl; first++, o = (long)t[o].next) {
			long long v;

			if (uh_http_jdoc_int(d, o, 0, 1e15, &v) < 0) {
				snprintf(why, cap, "text_offset[%zu] is %s, not an offset", first, uh_http_jdoc_kind(d, o));
				return -1;
			}
			if ((size_t)v >= it->ctx_chars)
				break;
		}
		L = n_tl;
	}
	r->n_tokens = (int64_t)(L - first);
	r->is_greedy = 1;
	if (r->n_tokens == 0)
		return 0;
	r->token_logprobs = malloc((L - first) * sizeof(double));
	r->token_greedy = malloc(L - first);
	if (!r->token_logprobs || !r->token_greedy) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	for (size_t k = 0; k < first; k++) {
		x = (long)t[x].next;
		top = (long)t[top].next;
	}
	for (size_t k = first; k < L; k++, x = (long)t[x].next, top = (long)t[top].next) {
		double v, best = -INFINITY;
		long y;

		if (uh_http_jdoc_num(d, x, &v) < 0) {
			snprintf(why, cap, "token_logprobs[%zu] is %s in a scored position", k, uh_http_jdoc_kind(d, x));
			return -1;
		}
		if (!isfinite(v) || v <= CLAMP || v > 0) {
			snprintf(why, cap, "token_logprobs[%zu] is %g%s", k, v,
				 v <= CLAMP ? " (vLLM's clamp of -inf)" : " (must be finite and <= 0)");
			return -1;
		}
		if (t[top].type != UH_JT_OBJ) {
			snprintf(why, cap, "top_logprobs[%zu] is %s in a scored position", k, uh_http_jdoc_kind(d, top));
			return -1;
		}
		if (t[top].n == 0) {
			snprintf(why, cap, "top_logprobs[%zu] is empty", k);
			return -1;
		}
		y = top + 1;  /* key, value, key, value... */
		for (uint32_t m = 0; m < t[top].n; m++, y = (long)t[y + 1].next) {
			double w;

			if (uh_http_jdoc_num(d, y + 1, &w) < 0 || !isfinite(w)) {
				snprintf(why, cap, "top_logprobs[%zu] holds %s", k, uh_http_jdoc_kind(d, y + 1));
				return -1;
			}
			if (w > best)
				best = w;
		}
		sum += v;  /* left to right, as Python's sum() */
		r->token_logprobs[k - first] = v;
		r->token_greedy[k - first] = v == best;
		all &= v == best;
	}
	r->logprob = sum;
	r->is_greedy = all;
	return 0;
}

/* Check one /completions answer and fill the results of its m items. */
static int read_score(const struct oa_state *st, struct uh_http_jdoc *d, const struct uh_http_req *q,
		      size_t qi, const struct item *it, size_t m, struct uh_score_res *res,
		      struct uh_err *err)
{
	char why[384];
	const char *ep = uh_http_endpoint(st->b.http, (size_t)q->endpoint);
	long *by_index = NULL, choices, ch;
	int rc = 0;

	if (uh_http_jdoc_parse(d, q->resp, q->resp_len, why, sizeof(why)) < 0)
		goto bad;
	choices = uh_http_jdoc_get(d, 0, "choices");
	if (choices < 0 || d->t[choices].type != UH_JT_ARR || d->t[choices].n != m) {
		snprintf(why, sizeof(why), "choices is %s with %u entries for %zu prompts",
			 uh_http_jdoc_kind(d, choices),
			 choices >= 0 && d->t[choices].type == UH_JT_ARR ? (unsigned)d->t[choices].n : 0u, m);
		goto bad;
	}
	by_index = malloc(m * sizeof(*by_index));
	if (!by_index) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < m; k++)
		by_index[k] = -1;
	ch = choices + 1;
	for (size_t k = 0; k < m; k++, ch = (long)d->t[ch].next) {
		long ixt = uh_http_jdoc_get(d, ch, "index");
		long long ix;

		if (uh_http_jdoc_int(d, ixt, 0, (double)m - 1, &ix) < 0 || by_index[ix] >= 0) {
			snprintf(why, sizeof(why), "a choice has index %s (want each of 0..%zu once)",
				 ixt >= 0 && d->t[ixt].type == UH_JT_NUM ? "out of range or repeated" : "missing",
				 m - 1);
			goto bad;
		}
		by_index[ix] = ch;
	}
	for (size_t k = 0; k < m; k++) {
		if (read_choice(d, by_index[k], &it[k], st, &res[it[k].req], why, sizeof(why)) < 0) {
			rc = uh_err_set(err, UH_EINVAL,
					"score request %zu (http request %zu, choice %zu, %s/completions): %s",
					it[k].req, qi, k, ep, why);
			goto out;
		}
	}
	goto out;
bad:
	rc = uh_err_set(err, UH_EINVAL, "score http request %zu (requests %zu..%zu, %s/completions): %s",
			qi, it[0].req, it[m - 1].req, ep, why);
out:
	if (rc < 0)
		uh_http_scrub(st->b.http, err->msg);
	free(by_index);
	return rc;
}

static int score_locked(void *state, const struct uh_score_req *reqs, size_t n,
			struct uh_score_res *res, struct uh_err *err)
{
	struct oa_state *st = state;
	struct strset set = { 0 };
	struct ids *tok = NULL;
	struct item *it = NULL;
	struct uh_http_batch q = { 0 };
	struct uh_http_jdoc doc = { 0 };
	char **healed = NULL; /* token mode: the healed context and the whole text of each request */
	size_t n_it = 0, bsz;
	int rc = 0;

	it = calloc(n ? n : 1, sizeof(*it));
	if (!it)
		return uh_err_set(err, UH_ENOMEM, "out of memory");

	if (st->tok_mode) {
		size_t *ci = malloc((2 * n + 1) * sizeof(*ci));

		healed = calloc(2 * n + 1, sizeof(*healed));
		if (!ci || !healed || strset_init(&set, 2 * n) < 0) {
			free(ci);
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			const char *c, *a;

			if ((reqs[i].flags & UH_SCORE_EOS) && st->eos < 0) {
				free(ci);
				rc = uh_err_set(err, UH_EINVAL,
						"score request %zu wants the EOS scored but the server's eos id is unknown (start vLLM with --enable-tokenizer-info-endpoint or give --opt eos_id=N)",
						i);
				goto out;
			}
			if (split_pair(&reqs[i], &c, &a, &healed[2 * i]) < 0) {
				free(ci);
				rc = uh_err_set(err, UH_ENOMEM, "out of memory");
				goto out;
			}
			ci[2 * i] = strset_add(&set, c);
			ci[2 * i + 1] = strset_add(&set, a);
		}
		tok = calloc(set.n ? set.n : 1, sizeof(*tok));
		if (!tok) {
			free(ci);
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			goto out;
		}
		rc = tokenize_all(st, &set, tok, err);
		if (rc < 0) {
			free(ci);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			struct item *x = &it[n_it];
			const struct ids *c = &tok[ci[2 * i]], *w = &tok[ci[2 * i + 1]];

			/* lm-eval: cont = whole[len(ctx):], so the ids at the seam are the whole text's */
			x->req = i;
			x->ctx = c->v;
			x->n_ctx = c->n;
			x->cont = w->n > c->n ? w->v + c->n : NULL;
			x->n_cont = w->n > c->n ? w->n - c->n : 0;
			x->eos = (reqs[i].flags & UH_SCORE_EOS) != 0;
			if (x->n_cont + (size_t)x->eos == 0) {
				res[i].is_greedy = 1;  /* nothing to score */
				continue;
			}
			if (x->n_ctx == 0) {
				/* lm-eval's prefix token: the first scored token needs a context */
				if (st->eos < 0) {
					free(ci);
					rc = uh_err_set(err, UH_EINVAL,
							"score request %zu has an empty context and the eos id to prefix it with is unknown (give --opt eos_id=N)",
							i);
					goto out;
				}
				x->ctx = &st->eos;
				x->n_ctx = 1;
			}
			n_it++;
		}
		free(ci);
	} else {
		for (size_t i = 0; i < n; i++) {
			size_t ws;

			if (reqs[i].flags & UH_SCORE_EOS) {
				rc = uh_err_set(err, UH_EINVAL,
						"score request %zu wants the EOS scored, which needs the server's /tokenize (tokenize=no or the probe failed)",
						i);
				goto out;
			}
			/* the context's trailing whitespace counts with the continuation, as in token mode */
			ws = trailing_space(reqs[i].context);
			if (!reqs[i].continuation[0] && !ws) {
				res[i].is_greedy = 1;
				continue;
			}
			it[n_it].req = i;
			it[n_it++].ctx_chars = utf8_chars(reqs[i].context) - ws;
		}
	}

	/*
	 * `batch` prompts per request, fewer when that would leave connections
	 * idle: a call with few prompts is spread over all of them
	 */
	bsz = (n_it + (size_t)st->concurrency - 1) / (size_t)st->concurrency;
	if (bsz > (size_t)st->batch)
		bsz = (size_t)st->batch;
	if (bsz == 0)
		bsz = 1;
	rc = uh_http_batch_init(&q, (n_it + bsz - 1) / bsz, err);
	for (size_t k = 0; k < q.cap && rc == 0; k++) {
		size_t a = k * bsz;
		size_t m = n_it - a < bsz ? n_it - a : bsz;

		score_body(&q.body[k], st, reqs, &it[a], m);
		if (uh_http_batch_add(&q, "/completions", 0, a) < 0)
			rc = uh_err_set(err, UH_ENOMEM, "out of memory building score request %zu", k);
	}
	if (rc == 0)
		rc = uh_http_batch_run(st->b.http, &q, "score", err);
	for (size_t k = 0; k < q.n && rc == 0; k++) {
		size_t a = q.of[k];
		size_t m = n_it - a < bsz ? n_it - a : bsz;

		rc = read_score(st, &doc, &q.q[k], k, &it[a], m, res, err);
	}
out:
	if (rc < 0)
		oa_free_score(st, res, n);
	uh_http_batch_release(&q);
	for (size_t i = 0; tok && i < set.n; i++)
		free(tok[i].v);
	uh_http_jdoc_release(&doc);
	strset_release(&set);
	for (size_t i = 0; healed && i < 2 * n; i++)
		free(healed[i]);
	free(healed);
	free(tok);
	free(it);
	return rc;
}


/* ------------------------------------------------------------ generate */

static void gen_body(struct uh_http_buf *b, const void *state, const struct uh_gen_req *r)
{
	const struct oa_state *st = state;

	uh_http_buf_puts(b, "{\"model\":");
	uh_http_buf_add_json_str(b, st->model);
	uh_http_buf_puts(b, ",\"prompt\":");
	uh_http_buf_add_json_str(b, r->prompt);
	uh_http_buf_addf(b, ",\"max_tokens\":%d,\"temperature\":0,\"seed\":%d", (int)r->max_new_tokens,
			 GEN_SEED);
	uh_http_buf_add_stop(b, r);
	uh_http_buf_puts(b, "}");
}

static int read_gen(const cJSON *j, const struct uh_gen_req *r, struct uh_gen_res *res, char *why,
		    size_t cap)
{
	const cJSON *ch = cJSON_GetArrayItem(uh_http_json_get(j, "choices"), 0);
	const cJSON *text = uh_http_json_get(ch, "text"), *fr = uh_http_json_get(ch, "finish_reason");
	const cJSON *sr = uh_http_json_get(ch, "stop_reason");
	const cJSON *ct = uh_http_json_get(uh_http_json_get(j, "usage"), "completion_tokens");
	long long k;

	if (!cJSON_IsString(text)) {
		snprintf(why, cap, "choices[0].text is %s", uh_http_json_kind(ch ? text : NULL));
		return -1;
	}
	if (uh_http_json_int(ct, 0, r->max_new_tokens, &k) < 0) {
		snprintf(why, cap, "usage.completion_tokens is %s%s (max_tokens %d)", uh_http_json_kind(ct),
			 cJSON_IsNumber(ct) ? " out of range" : "", (int)r->max_new_tokens);
		return -1;
	}
	if (cJSON_IsString(fr) && !strcmp(fr->valuestring, "length")) {
		res->finish_reason = UH_FINISH_LENGTH;
	} else if (cJSON_IsString(fr) && !strcmp(fr->valuestring, "stop")) {
		/* vLLM: stop_reason is the matched stop string, null for the EOS */
		res->finish_reason = cJSON_IsString(sr) ? UH_FINISH_STOP : UH_FINISH_EOS;
	} else {
		snprintf(why, cap, "finish_reason is %s%s%s (want length or stop)", uh_http_json_kind(fr),
			 cJSON_IsString(fr) ? " " : "", cJSON_IsString(fr) ? fr->valuestring : "");
		return -1;
	}
	if (!(res->text = strdup(text->valuestring)))
		return UH_ENOMEM;
	res->n_tokens = k;
	return 0;
}

/* ------------------------------------------------------------ tokenize */

/* vLLM answers a count; servers that do not, a token list. */
static int count_tokens(const struct uh_http_req *q, const char *text, int64_t *n_tokens, char *why,
			size_t cap)
{
	cJSON *j = uh_http_json_parse(q->resp, q->resp_len, why, cap);
	const cJSON *count = uh_http_json_get(j, "count");
	struct ids ids;
	long long k;
	int rc = 0;

	(void)text;
	if (j && uh_http_json_int(count, 0, 1e15, &k) == 0) {
		*n_tokens = k;
	} else if (j && parse_tokens(q->resp, q->resp_len, &ids, why, cap) == 0) {
		*n_tokens = (int64_t)ids.n;
		free(ids.v);
	} else {
		if (j)
			snprintf(why, cap, "no 'count' and no 'tokens' in the answer");
		rc = -1;
	}
	cJSON_Delete(j);
	return rc;
}

static const struct uh_http_proto openai_proto = {
	.name = "openai",
	.known = KNOWN_KEYS,
	.size = sizeof(struct oa_state),
	.setup = oa_setup,
	.release = oa_release,
	.score = score_locked,
	.gen_path = "/completions",
	.gen_at_root = 0,
	.gen_body = gen_body,
	.gen_read = read_gen,
	.tok_body = tokenize_body,
	.tok_count = count_tokens,
};

static const struct uh_backend_api openai_api = {
	.abi_version = UH_BACKEND_ABI_VERSION,
	.size = sizeof(struct uh_backend_api),
	.name = "openai",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE | UH_CAN_TOKEN_LOGPROBS,
	.open = oa_open,
	.close = uh_http_backend_close,
	.model_id = uh_http_backend_model_id,
	.score = uh_http_backend_score,
	.free_score = oa_free_score,
	.generate = uh_http_backend_generate,
	.free_gen = uh_http_backend_free_gen,
	.tokenize = uh_http_backend_tokenize,
};

const struct uh_backend_api *uh_openai_backend(void)
{
	return &openai_api;
}
