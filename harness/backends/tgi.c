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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KNOWN_KEYS \
	"url model concurrency timeout retries api_key_env eos_token backoff backoff_cap max_response"
#define CLAMP (-9999.0)

struct tgi_state {
	struct uh_http_backend b;  /* first: the shared functions take the state */
	char *eos_token;           /* NULL: UH_SCORE_EOS is refused */
};

static const struct uh_http_proto tgi_proto;

/* One token of a /tokenize answer. */
struct tok {
	long long id, start, stop;
};

/* ------------------------------------------------------------ open / close */

static void tgi_release(void *state)
{
	free(((struct tgi_state *)state)->eos_token);
}

/* The served model's name from GET /info (model_id). Caller frees *name. */
static int info_model(struct tgi_state *st, char **name, struct uh_err *err)
{
	struct uh_http_req q = { .path = "/info", .at_root = 1, .pin = -1 };
	char why[256];
	cJSON *j;
	const cJSON *id;
	int rc = uh_http_run(st->b.http, &q, 1, 0, NULL, err);

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

/* The model from --opt model, else GET /info; the EOS text from --opt eos_token. */
static int tgi_setup(void *state, struct uh_http_conf *c, struct uh_err *err)
{
	struct tgi_state *st = state;
	char *model = NULL;
	int rc = 0;

	st->eos_token = c->eos_token;
	c->eos_token = NULL;
	if (c->model) {
		model = c->model;
		c->model = NULL;
	} else {
		rc = info_model(st, &model, err);
	}
	if (rc == 0)
		rc = uh_http_backend_name(&st->b, model, c->urls[0], err);
	free(model);
	return rc;
}

static int tgi_open(const struct uh_backend_config *cfg, void **state, char *errbuf, size_t errlen)
{
	return uh_http_backend_open(&tgi_proto, cfg, state, errbuf, errlen);
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

static void tokenize_body(struct uh_http_buf *b, const void *state, const char *text)
{
	(void)state;
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
			uh_http_endpoint(st->b.http, (size_t)at->endpoint), at == tq ? "/tokenize" : "/generate",
			why);
	uh_http_scrub(st->b.http, err->msg);
out:
	free(toks);
	return rc;
}

static int score_locked(void *state, const struct uh_score_req *reqs, size_t n,
			struct uh_score_res *res, struct uh_err *err)
{
	struct tgi_state *st = state;
	struct uh_http_batch q = { 0 };
	size_t *lens = malloc((n ? n : 1) * sizeof(*lens));
	struct uh_http_jdoc doc = { 0 };
	int rc = uh_http_batch_init(&q, 2 * n, err);

	if (rc == 0 && !lens)
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct uh_http_buf text = { 0 };
		int eos = (reqs[i].flags & UH_SCORE_EOS) != 0, failed;

		if (eos && !st->eos_token) {
			rc = uh_err_set(err, UH_EINVAL,
					"score request %zu wants the EOS scored: give the end-of-text token's text with --opt eos_token=... (e.g. </s>)",
					i);
			break;
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
			tokenize_body(&q.body[q.n], st, text.p);
			score_body(&q.body[q.n + 1], text.p);
		}
		lens[q.n / 2] = text.len;
		failed = text.failed;
		uh_http_buf_release(&text);
		/* two requests per item: /tokenize at 2k, /generate at 2k + 1 */
		if (failed || uh_http_batch_add(&q, "/tokenize", 1, i) < 0 ||
		    uh_http_batch_add(&q, "/generate", 1, i) < 0)
			rc = uh_err_set(err, UH_ENOMEM, "out of memory building score request %zu", i);
	}
	if (rc == 0)
		rc = uh_http_batch_run(st->b.http, &q, "score", err);
	for (size_t k = 0; k < q.n / 2 && rc == 0; k++)
		rc = read_score(st, &doc, &q.q[2 * k], &q.q[2 * k + 1], q.of[2 * k], &reqs[q.of[2 * k]], lens[k],
				&res[q.of[2 * k]], err);
	uh_http_batch_release(&q);
	free(lens);
	uh_http_jdoc_release(&doc);
	return rc;
}

/* ------------------------------------------------------------ generate */

static void gen_body(struct uh_http_buf *b, const void *state, const struct uh_gen_req *r)
{
	(void)state;
	uh_http_buf_puts(b, "{\"inputs\":");
	uh_http_buf_add_json_str(b, r->prompt);
	uh_http_buf_addf(b, ",\"parameters\":{\"max_new_tokens\":%d,\"do_sample\":false,\"details\":true",
			 (int)r->max_new_tokens);
	uh_http_buf_add_stop(b, r);
	uh_http_buf_puts(b, "}}");
}

static int read_gen(const cJSON *j, const struct uh_gen_req *r, struct uh_gen_res *res, char *why,
		    size_t cap)
{
	const cJSON *text = uh_http_json_get(j, "generated_text");
	const cJSON *d = uh_http_json_get(j, "details");
	const cJSON *fr = uh_http_json_get(d, "finish_reason");
	const cJSON *gt = uh_http_json_get(d, "generated_tokens");
	long long k;

	if (!cJSON_IsString(text)) {
		snprintf(why, cap, "generated_text is %s", uh_http_json_kind(text));
		return -1;
	}
	if (uh_http_json_int(gt, 0, r->max_new_tokens, &k) < 0) {
		snprintf(why, cap, "details.generated_tokens is %s%s (max_new_tokens %d)",
			 uh_http_json_kind(gt), cJSON_IsNumber(gt) ? " out of range" : "", (int)r->max_new_tokens);
		return -1;
	}
	if (!(res->text = strdup(text->valuestring)))
		return UH_ENOMEM;
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
		snprintf(why, cap, "details.finish_reason is %s%s%s (want length, eos_token or stop_sequence)",
			 uh_http_json_kind(fr), cJSON_IsString(fr) ? " " : "", cJSON_IsString(fr) ? fr->valuestring : "");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ tokenize */

/* Tokens with a byte span in a /tokenize answer (special tokens have none). */
static int count_toks(const struct uh_http_req *q, const char *text, int64_t *n_tokens, char *why,
		      size_t cap)
{
	struct uh_http_jdoc doc = { 0 };
	struct tok *toks = NULL;
	size_t n = 0;
	int rc;

	rc = parse_toks(&doc, q->resp, q->resp_len, strlen(text), &toks, &n, why, cap);
	if (rc == 0) {
		int64_t k = 0;

		for (size_t t = 0; t < n; t++)
			k += toks[t].stop > toks[t].start;
		*n_tokens = k;
	}
	free(toks);
	uh_http_jdoc_release(&doc);
	return rc;
}

static const struct uh_http_proto tgi_proto = {
	.name = "tgi",
	.known = KNOWN_KEYS,
	.size = sizeof(struct tgi_state),
	.setup = tgi_setup,
	.release = tgi_release,
	.score = score_locked,
	.gen_path = "/generate",
	.gen_at_root = 1,
	.gen_body = gen_body,
	.gen_read = read_gen,
	.tok_body = tokenize_body,
	.tok_count = count_toks,
};

static const struct uh_backend_api tgi_api = {
	.abi_version = UH_BACKEND_ABI_VERSION,
	.size = sizeof(struct uh_backend_api),
	.name = "tgi",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE,
	.open = tgi_open,
	.close = uh_http_backend_close,
	.model_id = uh_http_backend_model_id,
	.score = uh_http_backend_score,
	.free_score = tgi_free_score,
	.generate = uh_http_backend_generate,
	.free_gen = uh_http_backend_free_gen,
	.tokenize = uh_http_backend_tokenize,
};

const struct uh_backend_api *uh_tgi_backend(void)
{
	return &tgi_api;
}
