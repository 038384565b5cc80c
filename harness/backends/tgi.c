/*
 * tgi.c - the text-generation-inference backend (see tgi.h).
 *
 * TGI's /generate takes one input string, so score() sends two requests per
 * item at once - POST /tokenize for the offsets and POST /generate for the
 * prefill logprobs - and lets the shared HTTP machinery keep `concurrency`
 * of them in flight. Every field is checked before a number is used.
 */
#include "harness/backends/tgi.h"
#include "harness/backends/http.h"
#include "harness/err.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KNOWN_KEYS \
	"url model concurrency timeout retries api_key_env eos_token backoff backoff_cap max_response"
#define CLAMP (-9999.0)

struct tgi_state {
	struct uh_http *http;
	char *model_id;
	char *eos_token;     /* NULL: UH_SCORE_EOS is refused */
	pthread_mutex_t lock;
};

/* One token of a /tokenize answer. */
struct tok {
	long long id, start, stop;
};

static int fail(char *errbuf, size_t errlen, const struct uh_err *e)
{
	snprintf(errbuf, errlen, "%s", e->msg);
	return e->code;
}

/* ------------------------------------------------------------ open / close */

static void tgi_close(void *state)
{
	struct tgi_state *st = state;

	if (!st)
		return;
	uh_http_free(st->http);
	free(st->model_id);
	free(st->eos_token);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* The served model's name from GET /info (model_id). Caller frees *name. */
static int info_model(struct tgi_state *st, char **name, struct uh_err *err)
{
	struct uh_http_req q = { .path = "/info", .at_root = 1, .pin = -1 };
	char why[256];
	cJSON *j;
	const cJSON *id;
	int rc = uh_http_run(st->http, &q, 1, 0, NULL, err);

	*name = NULL;
	if (rc < 0)
		return uh_err_prefix(err, "no model given and GET /info failed: ");
	j = uh_http_json_parse(q.resp, q.resp_len, why, sizeof(why));
	id = uh_http_json_get(j, "model_id");
	if (!cJSON_IsString(id) || !*id->valuestring)
		rc = uh_err_set(err, UH_EINVAL, "no model given and GET /info has no model_id%s%s (give --opt model=NAME)",
				j ? "" : ": ", j ? "" : why);
	else if (!(*name = strdup(id->valuestring)))
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
	cJSON_Delete(j);
	uh_http_reqs_release(&q, 1);
	return rc;
}

static int tgi_open(const struct uh_backend_config *cfg, void **state, char *errbuf, size_t errlen)
{
	struct uh_http_conf c;
	struct uh_http_opts o;
	struct tgi_state *st = NULL;
	struct uh_err e;
	const char *key;
	char host[256], *model = NULL;
	size_t n;
	int rc;

	*state = NULL;
	uh_err_clear(&e);
	rc = uh_http_conf_parse(&c, cfg, "tgi", KNOWN_KEYS, &e);
	if (rc < 0)
		return fail(errbuf, errlen, &e);
	rc = uh_http_conf_key(&c, &key, &e);
	if (rc < 0)
		goto out;
	st = calloc(1, sizeof(*st));
	if (!st) {
		rc = uh_err_set(&e, UH_ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_init(&st->lock, NULL);
	st->eos_token = c.eos_token;
	c.eos_token = NULL;
	o = (struct uh_http_opts){
		.urls = (const char *const *)c.urls, .n_urls = c.n_urls,
		.concurrency = c.concurrency, .timeout_s = c.timeout_s, .retries = c.retries,
		.backoff_base_s = c.backoff_s, .backoff_cap_s = c.backoff_cap_s,
		.api_key = key, .max_response = c.max_response,
	};
	rc = uh_http_new(&st->http, &o, &e);
	if (rc < 0)
		goto out;
	if (c.model) {
		model = c.model;
		c.model = NULL;
	} else if ((rc = info_model(st, &model, &e)) < 0) {
		goto out;
	}
	uh_http_url_host(c.urls[0], host, sizeof(host));
	n = strlen("tgi:@") + strlen(model) + strlen(host) + 1;
	if (!(st->model_id = malloc(n))) {
		rc = uh_err_set(&e, UH_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(st->model_id, n, "tgi:%s@%s", model, host);
	*state = st;
	st = NULL;
out:
	free(model);
	uh_http_conf_release(&c);
	if (rc < 0 && st)
		uh_http_scrub(st->http, e.msg);
	tgi_close(st);
	return rc < 0 ? fail(errbuf, errlen, &e) : 0;
}

static const char *tgi_model_id(void *state)
{
	return ((struct tgi_state *)state)->model_id;
}

/* ------------------------------------------------------------ /tokenize */

/* Parse [{"id","text","start","stop"}...]. *toks is the caller's. */
static int parse_toks(struct uh_http_jdoc *d, const char *body, size_t len, size_t text_len,
		      struct tok **toks, size_t *n, char *why, size_t cap)
{
	long x;

	*toks = NULL;
	*n = 0;
	if (uh_http_jdoc_parse(d, body, len, why, cap) < 0)
		return -1;
	if (d->t[0].type != UH_JT_ARR) {
		snprintf(why, cap, "the answer is %s, not an array of tokens", uh_http_jdoc_kind(d, 0));
		return -1;
	}
	*n = d->t[0].n;
	*toks = malloc((*n ? *n : 1) * sizeof(**toks));
	if (!*toks) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	x = 1;
	for (size_t k = 0; k < *n; k++, x = (long)d->t[x].next) {
		struct tok *t = &(*toks)[k];

		if (uh_http_jdoc_int(d, uh_http_jdoc_get(d, x, "id"), 0, INT32_MAX, &t->id) < 0 ||
		    uh_http_jdoc_int(d, uh_http_jdoc_get(d, x, "start"), 0, (double)text_len, &t->start) < 0 ||
		    uh_http_jdoc_int(d, uh_http_jdoc_get(d, x, "stop"), 0, (double)text_len, &t->stop) < 0 ||
		    t->stop < t->start) {
			snprintf(why, cap, "token %zu lacks an id or byte offsets within the %zu-byte input", k,
				 text_len);
			free(*toks);
			*toks = NULL;
			*n = 0;
			return -1;
		}
	}
	return 0;
}

static void tokenize_body(struct uh_http_buf *b, const char *text)
{
	uh_http_buf_puts(b, "{\"inputs\":");
	uh_http_buf_add_json_str(b, text);
	uh_http_buf_puts(b, "}");
}

/* ------------------------------------------------------------ score */

static void tgi_free_score(void *state, struct uh_score_res *res, size_t n)
{
	(void)state;
	(void)res;
	(void)n;  /* no per-token arrays */
}

static void score_body(struct uh_http_buf *b, const char *text)
{
	uh_http_buf_puts(b, "{\"inputs\":");
	uh_http_buf_add_json_str(b, text);
	uh_http_buf_puts(b, ",\"parameters\":{\"max_new_tokens\":1,\"do_sample\":false,\"details\":true,"
			"\"decoder_input_details\":true}}");
}

/* Check a /tokenize + /generate pair and fill r. */
static int read_score(const struct tgi_state *st, struct uh_http_jdoc *d, const struct uh_http_req *tq,
		      const struct uh_http_req *gq, size_t i, const struct uh_score_req *q,
		      size_t text_len, struct uh_score_res *r, struct uh_err *err)
{
	size_t ctx_bytes = strlen(q->context), n_tok = 0, n_ctx = 0, L, lead;
	const struct uh_http_req *at = tq;
	struct tok *toks = NULL;
	char why[384];
	long pre, p;
	double sum = 0;
	int rc = 0;

	if (parse_toks(d, tq->resp, tq->resp_len, text_len, &toks, &n_tok, why, sizeof(why)) < 0)
		goto bad;
	/* the context: every token before the first real token at or after its end */
	while (n_ctx < n_tok && (toks[n_ctx].start < (long long)ctx_bytes ||
				 toks[n_ctx].stop == toks[n_ctx].start))
		n_ctx++;
	if ((q->flags & UH_SCORE_EOS) &&
	    (n_tok == 0 || toks[n_tok - 1].start != (long long)(text_len - strlen(st->eos_token)))) {
		snprintf(why, sizeof(why), "eos_token '%s' is not one token at the end of the input",
			 st->eos_token);
		goto bad;
	}
	at = gq;
	if (uh_http_jdoc_parse(d, gq->resp, gq->resp_len, why, sizeof(why)) < 0)
		goto bad;
	pre = uh_http_jdoc_get(d, uh_http_jdoc_get(d, 0, "details"), "prefill");
	if (pre < 0 || d->t[pre].type != UH_JT_ARR) {
		snprintf(why, sizeof(why), "details.prefill is %s (the server must support decoder_input_details)",
			 uh_http_jdoc_kind(d, pre));
		goto bad;
	}
	L = d->t[pre].n;
	if (L < n_tok || L > n_tok + 1) {
		snprintf(why, sizeof(why), "details.prefill has %zu tokens but /tokenize gave %zu", L, n_tok);
		goto bad;
	}
	/* a prefill one longer starts with a BOS that /tokenize left out: context too */
	lead = L - n_tok;
	p = pre + 1;
	for (size_t t = 0; t < L; t++, p = (long)d->t[p].next) {
		long idt = uh_http_jdoc_get(d, p, "id");
		long long id = -1;
		double v;

		if (t >= lead && (uh_http_jdoc_int(d, idt, 0, INT32_MAX, &id) < 0 || id != toks[t - lead].id)) {
			snprintf(why, sizeof(why), "details.prefill[%zu] has id %lld but /tokenize gave %lld", t, id,
				 toks[t - lead].id);
			goto bad;
		}
		if (t < lead + n_ctx)
			continue;
		if (uh_http_jdoc_num(d, uh_http_jdoc_get(d, p, "logprob"), &v) < 0) {
			snprintf(why, sizeof(why), "details.prefill[%zu].logprob is %s in a scored position", t,
				 uh_http_jdoc_kind(d, uh_http_jdoc_get(d, p, "logprob")));
			goto bad;
		}
		if (!isfinite(v) || v <= CLAMP || v > 0) {
			snprintf(why, sizeof(why), "details.prefill[%zu].logprob is %g (must be finite, > -9999 and <= 0)",
				 t, v);
			goto bad;
		}
		sum += v;  /* left to right */
	}
	r->logprob = sum;
	r->n_tokens = (int64_t)(L - lead - n_ctx);
	r->is_greedy = 0;  /* unknowable: see tgi.h */
	goto out;
bad:
	rc = uh_err_set(err, UH_EINVAL, "score request %zu (%s%s): %s", i,
			uh_http_endpoint(st->http, (size_t)at->endpoint), at == tq ? "/tokenize" : "/generate",
			why);
	uh_http_scrub(st->http, err->msg);
out:
	free(toks);
	return rc;
}

static int score_locked(struct tgi_state *st, const struct uh_score_req *reqs, size_t n,
			struct uh_score_res *res, struct uh_err *err)
{
	size_t cap = n ? n : 1;
	struct uh_http_req *q = calloc(2 * cap, sizeof(*q));
	struct uh_http_buf *bodies = calloc(2 * cap, sizeof(*bodies));
	size_t *of = malloc(cap * sizeof(*of)), *lens = malloc(cap * sizeof(*lens));
	struct uh_http_jdoc doc = { 0 };
	size_t m = 0;
	int rc = 0;

	if (!q || !bodies || !of || !lens) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct uh_http_buf text = { 0 };
		int eos = (reqs[i].flags & UH_SCORE_EOS) != 0;

		if (eos && !st->eos_token) {
			rc = uh_err_set(err, UH_EINVAL,
					"score request %zu wants the EOS scored: give the end-of-text token's text with --opt eos_token=... (e.g. </s>)",
					i);
			goto out;
		}
		if (!reqs[i].continuation[0] && !eos) {
			res[i].n_tokens = 0;  /* nothing to score */
			continue;
		}
		uh_http_buf_add(&text, reqs[i].context, strlen(reqs[i].context));
		uh_http_buf_add(&text, reqs[i].continuation, strlen(reqs[i].continuation));
		if (eos)
			uh_http_buf_add(&text, st->eos_token, strlen(st->eos_token));
		if (!text.failed) {
			tokenize_body(&bodies[2 * m], text.p);
			score_body(&bodies[2 * m + 1], text.p);
		}
		lens[m] = text.len;
		if (text.failed || bodies[2 * m].failed || bodies[2 * m + 1].failed) {
			uh_http_buf_release(&text);
			rc = uh_err_set(err, UH_ENOMEM, "out of memory building score request %zu", i);
			goto out;
		}
		uh_http_buf_release(&text);
		q[2 * m] = (struct uh_http_req){ .path = "/tokenize", .at_root = 1, .pin = -1,
						 .body = bodies[2 * m].p, .body_len = bodies[2 * m].len };
		q[2 * m + 1] = (struct uh_http_req){ .path = "/generate", .at_root = 1, .pin = -1,
						     .body = bodies[2 * m + 1].p,
						     .body_len = bodies[2 * m + 1].len };
		of[m++] = i;
	}
	rc = uh_http_run(st->http, q, 2 * m, 0, NULL, err);
	if (rc < 0) {
		uh_err_prefix(err, "score: ");
		goto out;
	}
	for (size_t k = 0; k < m && rc == 0; k++)
		rc = read_score(st, &doc, &q[2 * k], &q[2 * k + 1], of[k], &reqs[of[k]], lens[k], &res[of[k]],
				err);
out:
	if (q)
		uh_http_reqs_release(q, 2 * m);
	for (size_t k = 0; bodies && k < 2 * n; k++)
		uh_http_buf_release(&bodies[k]);
	free(q);
	free(bodies);
	free(of);
	free(lens);
	uh_http_jdoc_release(&doc);
	return rc;
}

static int tgi_score(void *state, const struct uh_score_req *reqs, size_t n,
		     struct uh_score_res *res, char *errbuf, size_t errlen)
{
	struct tgi_state *st = state;
	struct uh_err e;
	int rc;

	uh_err_clear(&e);
	pthread_mutex_lock(&st->lock);
	rc = score_locked(st, reqs, n, res, &e);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? fail(errbuf, errlen, &e) : 0;
}

/* ------------------------------------------------------------ generate */

static void tgi_free_gen(void *state, struct uh_gen_res *res, size_t n)
{
	(void)state;
	for (size_t i = 0; i < n; i++) {
		free(res[i].text);
		res[i].text = NULL;
	}
}

static void gen_body(struct uh_http_buf *b, const struct uh_gen_req *r)
{
	uh_http_buf_puts(b, "{\"inputs\":");
	uh_http_buf_add_json_str(b, r->prompt);
	uh_http_buf_addf(b, ",\"parameters\":{\"max_new_tokens\":%d,\"do_sample\":false,\"details\":true",
			 (int)r->max_new_tokens);
	if (r->n_stop) {
		uh_http_buf_puts(b, ",\"stop\":[");
		for (size_t k = 0; k < r->n_stop; k++) {
			if (k)
				uh_http_buf_puts(b, ",");
			uh_http_buf_add_json_str(b, r->stop[k]);
		}
		uh_http_buf_puts(b, "]");
	}
	uh_http_buf_puts(b, "}}");
}

static int read_gen(const struct tgi_state *st, const struct uh_http_req *q, size_t i,
		    const struct uh_gen_req *r, struct uh_gen_res *res, struct uh_err *err)
{
	char why[384];
	cJSON *j = uh_http_json_parse(q->resp, q->resp_len, why, sizeof(why));
	const cJSON *text = uh_http_json_get(j, "generated_text");
	const cJSON *d = uh_http_json_get(j, "details");
	const cJSON *fr = uh_http_json_get(d, "finish_reason");
	const cJSON *gt = uh_http_json_get(d, "generated_tokens");
	long long k;
	int rc = 0;

	if (!j)
		goto bad;
	if (!cJSON_IsString(text)) {
		snprintf(why, sizeof(why), "generated_text is %s", uh_http_json_kind(text));
		goto bad;
	}
	if (uh_http_json_int(gt, 0, r->max_new_tokens, &k) < 0) {
		snprintf(why, sizeof(why), "details.generated_tokens is %s%s (max_new_tokens %d)",
			 uh_http_json_kind(gt), cJSON_IsNumber(gt) ? " out of range" : "", (int)r->max_new_tokens);
		goto bad;
	}
	if (!(res->text = strdup(text->valuestring))) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto out;
	}
	res->n_tokens = k;
	if (cJSON_IsString(fr) && !strcmp(fr->valuestring, "length")) {
		res->finish_reason = UH_FINISH_LENGTH;
	} else if (cJSON_IsString(fr) && !strcmp(fr->valuestring, "eos_token")) {
		res->finish_reason = UH_FINISH_EOS;
	} else if (cJSON_IsString(fr) && !strcmp(fr->valuestring, "stop_sequence")) {
		char *cut = NULL;

		/* TGI keeps the stop sequence in the text; the ABI does not */
		for (size_t s = 0; s < r->n_stop; s++) {
			char *hit = r->stop[s][0] ? strstr(res->text, r->stop[s]) : NULL;

			if (hit && (!cut || hit < cut))
				cut = hit;
		}
		if (cut)
			*cut = '\0';
		res->finish_reason = UH_FINISH_STOP;
	} else {
		snprintf(why, sizeof(why), "details.finish_reason is %s%s%s (want length, eos_token or stop_sequence)",
			 uh_http_json_kind(fr), cJSON_IsString(fr) ? " " : "", cJSON_IsString(fr) ? fr->valuestring : "");
		goto bad;
	}
	goto out;
bad:
	rc = uh_err_set(err, UH_EINVAL, "generate request %zu (%s/generate): %s", i,
			uh_http_endpoint(st->http, (size_t)q->endpoint), why);
	uh_http_scrub(st->http, err->msg);
out:
	cJSON_Delete(j);
	return rc;
}

static int gen_locked(struct tgi_state *st, const struct uh_gen_req *reqs, size_t n,
		      struct uh_gen_res *res, struct uh_err *err)
{
	struct uh_http_req *q = calloc(n ? n : 1, sizeof(*q));
	struct uh_http_buf *bodies = calloc(n ? n : 1, sizeof(*bodies));
	size_t *of = malloc((n ? n : 1) * sizeof(*of));
	size_t nq = 0;
	int rc = 0;

	if (!q || !bodies || !of) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].max_new_tokens == 0) {
			if (!(res[i].text = strdup(""))) {
				rc = uh_err_set(err, UH_ENOMEM, "out of memory");
				goto out;
			}
			res[i].finish_reason = UH_FINISH_LENGTH;
			continue;
		}
		gen_body(&bodies[nq], &reqs[i]);
		if (bodies[nq].failed) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory building generate request %zu", i);
			goto out;
		}
		q[nq] = (struct uh_http_req){ .path = "/generate", .at_root = 1, .pin = -1,
					      .body = bodies[nq].p, .body_len = bodies[nq].len };
		of[nq++] = i;
	}
	rc = uh_http_run(st->http, q, nq, 0, NULL, err);
	if (rc < 0) {
		uh_err_prefix(err, "generate: ");
		goto out;
	}
	for (size_t k = 0; k < nq && rc == 0; k++)
		rc = read_gen(st, &q[k], of[k], &reqs[of[k]], &res[of[k]], err);
out:
	if (rc < 0)
		tgi_free_gen(st, res, n);
	if (q)
		uh_http_reqs_release(q, nq);
	for (size_t k = 0; bodies && k < n; k++)
		uh_http_buf_release(&bodies[k]);
	free(q);
	free(bodies);
	free(of);
	return rc;
}

static int tgi_generate(void *state, const struct uh_gen_req *reqs, size_t n,
			struct uh_gen_res *res, char *errbuf, size_t errlen)
{
	struct tgi_state *st = state;
	struct uh_err e;
	int rc;

	uh_err_clear(&e);
	pthread_mutex_lock(&st->lock);
	rc = gen_locked(st, reqs, n, res, &e);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? fail(errbuf, errlen, &e) : 0;
}

/* ------------------------------------------------------------ tokenize */

static int tgi_tokenize(void *state, const char *text, int64_t *n_tokens, char *errbuf,
			size_t errlen)
{
	struct tgi_state *st = state;
	struct uh_http_buf b = { 0 };
	struct uh_http_req q = { .path = "/tokenize", .at_root = 1, .pin = -1 };
	struct uh_err e;
	struct tok *toks = NULL;
	struct uh_http_jdoc doc = { 0 };
	size_t n = 0;
	char why[256];
	int rc;

	uh_err_clear(&e);
	tokenize_body(&b, text);
	if (b.failed) {
		uh_http_buf_release(&b);
		snprintf(errbuf, errlen, "out of memory");
		return UH_ENOMEM;
	}
	q.body = b.p;
	q.body_len = b.len;
	pthread_mutex_lock(&st->lock);
	rc = uh_http_run(st->http, &q, 1, 0, NULL, &e);
	pthread_mutex_unlock(&st->lock);
	uh_http_buf_release(&b);
	if (rc < 0) {
		uh_err_prefix(&e, "tokenize: ");
		return fail(errbuf, errlen, &e);
	}
	if (parse_toks(&doc, q.resp, q.resp_len, strlen(text), &toks, &n, why, sizeof(why)) < 0) {
		rc = uh_err_set(&e, UH_EINVAL, "tokenize (%s/tokenize): %s",
				uh_http_endpoint(st->http, (size_t)q.endpoint), why);
		uh_http_scrub(st->http, e.msg);
	} else {
		int64_t k = 0;

		for (size_t t = 0; t < n; t++)
			k += toks[t].stop > toks[t].start;  /* special tokens have no span */
		*n_tokens = k;
	}
	free(toks);
	uh_http_jdoc_release(&doc);
	uh_http_reqs_release(&q, 1);
	return rc < 0 ? fail(errbuf, errlen, &e) : 0;
}

static const struct uh_backend_api tgi_api = {
	.abi_version = UH_BACKEND_ABI_VERSION,
	.size = sizeof(struct uh_backend_api),
	.name = "tgi",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE,
	.open = tgi_open,
	.close = tgi_close,
	.model_id = tgi_model_id,
	.score = tgi_score,
	.free_score = tgi_free_score,
	.generate = tgi_generate,
	.free_gen = tgi_free_gen,
	.tokenize = tgi_tokenize,
};

const struct uh_backend_api *uh_tgi_backend(void)
{
	return &tgi_api;
}
