/*
 * fake_server.h - a fault-injecting HTTP server on loopback for the tests
 * and the benchmark of the openai and tgi backends (header-only: the
 * Makefile links only tests/testutil.c into tests).
 *
 * It speaks enough of vLLM (POST /v1/completions with echo+logprobs or
 * generation, POST /tokenize, GET /tokenizer_info, GET /v1/models) and of
 * TGI (POST /generate with decoder_input_details, POST /tokenize with
 * "inputs", GET /info) over a deterministic toy model:
 *
 *   tokens   whitespace-separated words; id = 10 + fnv1a(word) % 990
 *   logprob  of the token at position p > 0: fs_lp(id, p); position 0: null
 *   greedy   the token is the argmax unless id % 3 == 0 (then top_logprobs
 *            holds an "alt" entry above it)
 *   eos      id 2 ("</s>"), with logprob -0.5 after any prefix
 *
 * and injects faults set in struct fake_server (failing statuses with
 * Retry-After, delays, a connection closed mid-body, truncated JSON, a
 * literal such as NaN, null or -9999.0 in a given position, a missing
 * logprobs object, arrays one too long, huge bodies). It counts requests,
 * records the largest number handled at once, and the last Authorization
 * header it saw. fs_raw_score calls a backend's own score() for the tests
 * that check its codes and messages.
 */
#ifndef UH_TESTS_FAKE_SERVER_H
#define UH_TESTS_FAKE_SERVER_H

#include "harness/backends/registry.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define FS_FN static __attribute__((unused))
#define FS_EOS 2
#define FS_MAX_IDS 4096

struct fake_server {
	struct MHD_Daemon *d;
	int port;
	char url[64];        /* "http://127.0.0.1:PORT/v1" */
	char root[64];       /* "http://127.0.0.1:PORT" */
	pthread_mutex_t mu;

	/* counters */
	int n_req;           /* every request */
	int n_completions;   /* POST /v1/completions */
	int n_tokenize;
	int n_generate;
	int inflight, max_inflight;
	char auth[256];      /* last Authorization header */
	char last_body[8192];/* last completions/generate body (cut) */

	/* faults, read under mu */
	const char *fail_path;   /* requests to this path fail ... */
	int fail_n;              /* ... this many times ... */
	int fail_status;         /* ... with this status ... */
	const char *retry_after; /* ... and this Retry-After (NULL: none) */
	int delay_ms;            /* sleep before answering completions/generate */
	int close_n;             /* close the first N completions/generate mid-body */
	int truncate;            /* cut completions/generate bodies in half */
	int poison_choice, poison_pos;   /* put poison_text at token_logprobs[pos] (or prefill) */
	const char *poison_text;
	int drop_logprobs;       /* choices without "logprobs" */
	int extra_len;           /* one more token_logprobs entry than the prompt */
	int no_tokenize;         /* 404 for /tokenize and /tokenizer_info */
	int no_eos_id;           /* tokenizer_info without eos_token_id */
	int huge;                /* answer completions with a body this many bytes long */
	int tgi_bad_id;          /* TGI prefill ids differ from /tokenize */
	int tgi_no_bos;          /* TGI /tokenize leaves the BOS out (the prefill keeps it) */
	int shuffle;             /* list choices in reverse index order */
	int echo_auth;           /* failing answers quote the Authorization header */
	const char *gen_raw;     /* vLLM generation text as JSON string content, escapes kept (NULL: "w0 w1 w2") */
};

/* ------------------------------------------------------------ the toy model */

FS_FN int fs_id(const char *w, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)w[i]) * 1099511628211ULL;
	return 10 + (int)(h % 990);
}

FS_FN double fs_lp(int id, int pos)
{
	if (id == FS_EOS)
		return -0.5;
	return -0.25 * (1 + (id + pos) % 7);
}

FS_FN int fs_greedy(int id)
{
	return id % 3 != 0;
}

/* Words of s: ids, byte offsets of each word, and the offset where its preceding gap starts. */
FS_FN size_t fs_words(const char *s, int *ids, size_t *start, size_t *stop, size_t *gap, size_t max)
{
	size_t n = 0, i = 0, len = strlen(s);

	while (i < len && n < max) {
		size_t g = i, a;

		while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		a = i;
		if (!strncmp(s + i, "</s>", 4))
			i += 4;  /* the special token is a word of its own */
		else
			while (i < len && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' &&
			       strncmp(s + i, "</s>", 4))
				i++;
		if (ids)
			ids[n] = fs_id(s + a, i - a);
		if (start)
			start[n] = a;
		if (stop)
			stop[n] = i;
		if (gap)
			gap[n] = n == 0 ? 0 : g;
		n++;
	}
	return n;
}

/* ------------------------------------------------------------ a small string builder */

struct fs_sb {
	char *p;
	size_t len, cap;
};

FS_FN void fs_add(struct fs_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
FS_FN void fs_add(struct fs_sb *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->len + (size_t)k + 1 > b->cap) {
		b->cap = (b->len + (size_t)k + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)k + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)k;
}

/* ------------------------------------------------------------ handlers */

struct fs_reply {
	int status;
	char *body;          /* malloc'd */
	size_t len;
	int close_mid_body;
	const char *retry_after;
};

FS_FN void fs_json(struct fs_reply *r, int status, struct fs_sb *b)
{
	r->status = status;
	r->body = b->p ? b->p : strdup("");
	r->len = b->p ? b->len : 0;
}

FS_FN void fs_error(struct fs_reply *r, int status, const char *msg)
{
	struct fs_sb b = { 0 };

	fs_add(&b, "{\"error\":{\"message\":\"%s\",\"type\":\"BadRequestError\",\"code\":%d}}", msg, status);
	fs_json(r, status, &b);
}

/* Literal for token_logprobs[pos] of choice c. */
FS_FN void fs_lp_text(struct fake_server *fs, struct fs_sb *b, int c, int pos, int id, int first_null)
{
	if (fs->poison_text && fs->poison_choice == c && fs->poison_pos == pos)
		fs_add(b, "%s", fs->poison_text);
	else if (pos == 0 && first_null)
		fs_add(b, "null");
	else
		fs_add(b, "%.17g", fs_lp(id, pos));
}

/* One echoed choice over ids (with word offsets for text_offset). */
FS_FN void fs_choice(struct fake_server *fs, struct fs_sb *b, int c, const int *ids, size_t n,
		      const size_t *off)
{
	size_t L = n + (fs->extra_len ? 1 : 0);

	fs_add(b, "{\"index\":%d,\"text\":\"echo\",", c);
	if (!fs->drop_logprobs) {
		fs_add(b, "\"logprobs\":{\"text_offset\":[");
		for (size_t p = 0; p < L; p++)
			fs_add(b, "%s%zu", p ? "," : "", off ? off[p < n ? p : n - 1] : p);
		fs_add(b, "],\"token_logprobs\":[");
		for (size_t p = 0; p < L; p++) {
			fs_add(b, "%s", p ? "," : "");
			fs_lp_text(fs, b, c, (int)p, ids[p < n ? p : n - 1], 1);
		}
		fs_add(b, "],\"tokens\":[");
		for (size_t p = 0; p < L; p++)
			fs_add(b, "%s\"t%d\"", p ? "," : "", ids[p < n ? p : n - 1]);
		fs_add(b, "],\"top_logprobs\":[");
		for (size_t p = 0; p < L; p++) {
			int id = ids[p < n ? p : n - 1];
			double lp = fs_lp(id, (int)p);

			if (p == 0) {
				fs_add(b, "null");
				continue;
			}
			fs_add(b, ",{\"t%d\":%.17g,\"alt\":%.17g}", id, lp,
			       fs_greedy(id) ? lp - 0.5 : lp + 0.125);
		}
		fs_add(b, "]},");
	}
	fs_add(b, "\"finish_reason\":\"length\",\"stop_reason\":null}");
}

FS_FN void fs_completions(struct fake_server *fs, cJSON *req, struct fs_reply *r)
{
	const cJSON *prompt = cJSON_GetObjectItem(req, "prompt");
	const cJSON *echo = cJSON_GetObjectItem(req, "echo");
	const cJSON *mt = cJSON_GetObjectItem(req, "max_tokens");
	struct fs_sb b = { 0 };
	int n_prompts, total = 0;

	if (!cJSON_IsTrue(echo)) {
		/* generation: up to 3 words "w0 w1 w2", cut at a stop string */
		const cJSON *stop = cJSON_GetObjectItem(req, "stop"), *s;
		int max = cJSON_IsNumber(mt) ? mt->valueint : 16, k = max < 3 ? max : 3;
		char text[64] = "";
		const char *stop_hit = NULL;

		for (int i = 0; i < k; i++) {
			size_t l = strlen(text);
			snprintf(text + l, sizeof(text) - l, "%sw%d", i ? " " : "", i);
		}
		cJSON_ArrayForEach(s, stop) {
			char *h = cJSON_IsString(s) ? strstr(text, s->valuestring) : NULL;

			if (h) {
				*h = '\0';
				stop_hit = s->valuestring;
			}
		}
		fs_add(&b, "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"model\":\"fake\",\"choices\":[{\"index\":0,\"text\":\"%s\",\"logprobs\":null,",
		       fs->gen_raw ? fs->gen_raw : text);
		if (stop_hit)
			fs_add(&b, "\"finish_reason\":\"stop\",\"stop_reason\":\"%s\"}]", stop_hit);
		else if (k < max)
			fs_add(&b, "\"finish_reason\":\"stop\",\"stop_reason\":null}]");
		else
			fs_add(&b, "\"finish_reason\":\"length\",\"stop_reason\":null}]");
		fs_add(&b, ",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":%d,\"total_tokens\":%d}}",
		       k < max ? k + 1 : k, 3 + k);
		fs_json(r, 200, &b);
		return;
	}
	if (!cJSON_IsArray(prompt) && !cJSON_IsString(prompt)) {
		fs_error(r, 400, "bad prompt");
		return;
	}
	/* a list of id lists, a list of strings, one id list or one string */
	n_prompts = cJSON_IsString(prompt) ? 1 :
		    cJSON_IsNumber(cJSON_GetArrayItem(prompt, 0)) ? 1 : cJSON_GetArraySize(prompt);
	fs_add(&b, "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"fake\",\"choices\":[");
	for (int k = 0; k < n_prompts; k++) {
		int c = fs->shuffle ? n_prompts - 1 - k : k;
		const cJSON *p = cJSON_IsString(prompt) || cJSON_IsNumber(cJSON_GetArrayItem(prompt, 0)) ?
					 prompt : cJSON_GetArrayItem(prompt, c);
		int ids[FS_MAX_IDS];
		size_t off[FS_MAX_IDS], n = 0;

		if (cJSON_IsString(p)) {
			n = fs_words(p->valuestring, ids, NULL, NULL, off, FS_MAX_IDS);
			fs_add(&b, "%s", k ? "," : "");
			fs_choice(fs, &b, c, ids, n, off);
		} else {
			const cJSON *x;

			cJSON_ArrayForEach(x, p) if (n < FS_MAX_IDS) ids[n++] = x->valueint;
			fs_add(&b, "%s", k ? "," : "");
			fs_choice(fs, &b, c, ids, n, NULL);
		}
		total += (int)n;
	}
	fs_add(&b, "],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":0,\"total_tokens\":%d}}", total, total);
	fs_json(r, 200, &b);
}

FS_FN void fs_vllm_tokenize(cJSON *req, struct fs_reply *r)
{
	const cJSON *p = cJSON_GetObjectItem(req, "prompt");
	struct fs_sb b = { 0 };
	int ids[FS_MAX_IDS];
	size_t n;

	if (!cJSON_IsString(p)) {
		fs_error(r, 400, "prompt must be a string");
		return;
	}
	n = fs_words(p->valuestring, ids, NULL, NULL, NULL, FS_MAX_IDS);
	if (!strcmp(p->valuestring, "</s>"))
		ids[0] = FS_EOS;
	fs_add(&b, "{\"count\":%zu,\"max_model_len\":4096,\"tokens\":[", n);
	for (size_t i = 0; i < n; i++)
		fs_add(&b, "%s%d", i ? "," : "", ids[i]);
	fs_add(&b, "],\"token_strs\":null}");
	fs_json(r, 200, &b);
}

FS_FN void fs_tgi_tokenize(struct fake_server *fs, cJSON *req, struct fs_reply *r)
{
	const char *s = cJSON_GetObjectItem(req, "inputs")->valuestring;
	struct fs_sb b = { 0 };
	int ids[FS_MAX_IDS];
	size_t a[FS_MAX_IDS], z[FS_MAX_IDS], n = fs_words(s, ids, a, z, NULL, FS_MAX_IDS);

	fs_add(&b, "[");
	if (!fs->tgi_no_bos)
		fs_add(&b, "{\"id\":1,\"text\":\"<s>\",\"start\":0,\"stop\":0}");
	for (size_t i = 0; i < n; i++)
		fs_add(&b, "%s{\"id\":%d,\"text\":\"w\",\"start\":%zu,\"stop\":%zu}",
		       i || !fs->tgi_no_bos ? "," : "", z[i] - a[i] == 4 && !strncmp(s + a[i], "</s>", 4) ? FS_EOS : ids[i], a[i], z[i]);
	fs_add(&b, "]");
	fs_json(r, 200, &b);
}

FS_FN void fs_tgi_generate(struct fake_server *fs, cJSON *req, struct fs_reply *r)
{
	const char *s = cJSON_GetObjectItem(req, "inputs")->valuestring;
	const cJSON *par = cJSON_GetObjectItem(req, "parameters");
	const cJSON *mt = cJSON_GetObjectItem(par, "max_new_tokens");
	struct fs_sb b = { 0 };

	if (cJSON_IsTrue(cJSON_GetObjectItem(par, "decoder_input_details"))) {
		int ids[FS_MAX_IDS];
		size_t a[FS_MAX_IDS], z[FS_MAX_IDS], n = fs_words(s, ids, a, z, NULL, FS_MAX_IDS);

		fs_add(&b, "{\"generated_text\":\"x\",\"details\":{\"finish_reason\":\"length\",\"generated_tokens\":1,\"seed\":null,\"prefill\":[{\"id\":1,\"text\":\"<s>\",\"logprob\":");
		fs_add(&b, "%s", fs->poison_text && fs->poison_pos == 0 ? fs->poison_text : "null");
		fs_add(&b, "}");
		for (size_t i = 0; i < n; i++) {
			int id = z[i] - a[i] == 4 && !strncmp(s + a[i], "</s>", 4) ? FS_EOS : ids[i];

			fs_add(&b, ",{\"id\":%d,\"text\":\"w\",\"logprob\":", fs->tgi_bad_id && i == 0 ? id + 1 : id);
			fs_lp_text(fs, &b, 0, (int)i + 1, id, 0);
			fs_add(&b, "}");
		}
		fs_add(&b, "],\"tokens\":[{\"id\":5,\"text\":\"x\",\"logprob\":-0.1,\"special\":false}]}}");
	} else {
		int max = cJSON_IsNumber(mt) ? mt->valueint : 20;
		const cJSON *stop = cJSON_GetObjectItem(par, "stop");
		const char *fr = max <= 2 ? "length" : "eos_token";
		char text[64];
		int k = max <= 2 ? max : 2;

		snprintf(text, sizeof(text), "%s", k == 1 ? "alpha" : "alpha beta");
		if (cJSON_GetArraySize(stop) > 0 && strstr(text, cJSON_GetArrayItem(stop, 0)->valuestring))
			fr = "stop_sequence";  /* TGI keeps the stop sequence in the text */
		fs_add(&b, "{\"generated_text\":\"%s\",\"details\":{\"finish_reason\":\"%s\",\"generated_tokens\":%d,\"seed\":null,\"prefill\":[],\"tokens\":[]}}",
		       text, fr, k);
	}
	fs_json(r, 200, &b);
}

/* Route a request; the faults are applied by the caller. */
FS_FN void fs_route(struct fake_server *fs, const char *method, const char *url, const char *body,
		     size_t len, struct fs_reply *r)
{
	cJSON *req = len ? cJSON_ParseWithLength(body, len) : NULL;
	struct fs_sb b = { 0 };

	if (!strcmp(method, "GET")) {
		if (!strcmp(url, "/v1/models")) {
			fs_add(&b, "{\"object\":\"list\",\"data\":[{\"id\":\"fake-model\",\"object\":\"model\"}]}");
			fs_json(r, 200, &b);
		} else if (!strcmp(url, "/tokenizer_info") && !fs->no_tokenize) {
			fs_add(&b, "{\"tokenizer_class\":\"Fake\",\"eos_token\":\"</s>\"%s}",
			       fs->no_eos_id ? "" : ",\"eos_token_id\":2");
			fs_json(r, 200, &b);
		} else if (!strcmp(url, "/info")) {
			fs_add(&b, "{\"model_id\":\"fake/tgi-model\",\"max_input_tokens\":4096}");
			fs_json(r, 200, &b);
		} else if (!strcmp(url, "/health")) {
			fs_json(r, 200, &b);
		} else {
			fs_error(r, 404, "not found");
		}
	} else if (!req) {
		fs_error(r, 400, "body is not JSON");
	} else if (!strcmp(url, "/v1/completions")) {
		fs_completions(fs, req, r);
	} else if (!strcmp(url, "/tokenize") && fs->no_tokenize) {
		fs_error(r, 404, "not found");
	} else if (!strcmp(url, "/tokenize") && cJSON_GetObjectItem(req, "inputs")) {
		fs_tgi_tokenize(fs, req, r);
	} else if (!strcmp(url, "/tokenize")) {
		fs_vllm_tokenize(req, r);
	} else if (!strcmp(url, "/generate") && cJSON_IsString(cJSON_GetObjectItem(req, "inputs"))) {
		fs_tgi_generate(fs, req, r);
	} else {
		fs_error(r, 404, "not found");
	}
	cJSON_Delete(req);
}

/* ------------------------------------------------------------ libmicrohttpd glue */

struct fs_conn {
	struct fs_sb body;
	int counted;
};

struct fs_partial {
	char *body;
	size_t len;
};

FS_FN ssize_t fs_partial_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct fs_partial *p = cls;

	if (pos >= p->len)
		return MHD_CONTENT_READER_END_WITH_ERROR;  /* close the connection mid-body */
	if (max > p->len - pos)
		max = (size_t)(p->len - pos);
	memcpy(buf, p->body + pos, max);
	return (ssize_t)max;
}

FS_FN void fs_partial_free(void *cls)
{
	struct fs_partial *p = cls;

	free(p->body);
	free(p);
}

FS_FN void fs_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

FS_FN enum MHD_Result fs_access(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct fake_server *fs = cls;
	struct fs_conn *cc = *con_cls;
	struct fs_reply r = { 0 };
	struct MHD_Response *resp;
	const char *auth;
	int heavy, fail = 0, delay, close_it = 0, trunc = 0, huge = 0;
	enum MHD_Result ok;

	(void)version;
	if (!cc) {
		cc = calloc(1, sizeof(*cc));
		*con_cls = cc;
		return cc ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		fs_add(&cc->body, "%.*s", (int)*upload_size, upload);
		*upload_size = 0;
		return MHD_YES;
	}
	heavy = !strcmp(url, "/v1/completions") || !strcmp(url, "/generate");
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");

	pthread_mutex_lock(&fs->mu);
	fs->n_req++;
	fs->n_completions += !strcmp(url, "/v1/completions");
	fs->n_generate += !strcmp(url, "/generate");
	fs->n_tokenize += !strcmp(url, "/tokenize");
	if (++fs->inflight > fs->max_inflight)
		fs->max_inflight = fs->inflight;
	snprintf(fs->auth, sizeof(fs->auth), "%s", auth ? auth : "");
	if (heavy && cc->body.p)
		snprintf(fs->last_body, sizeof(fs->last_body), "%s", cc->body.p);
	if (fs->fail_path && !strcmp(fs->fail_path, url) && fs->fail_n > 0) {
		fs->fail_n--;
		fail = fs->fail_status;
	}
	delay = heavy ? fs->delay_ms : 0;
	if (heavy && fs->close_n > 0) {
		fs->close_n--;
		close_it = 1;
	}
	trunc = heavy && fs->truncate;
	huge = heavy ? fs->huge : 0;
	pthread_mutex_unlock(&fs->mu);

	if (delay)
		fs_sleep_ms(delay);
	if (fail) {
		char msg[300];

		pthread_mutex_lock(&fs->mu);
		snprintf(msg, sizeof(msg), "%s%s", fail == 429 ? "rate limited" : "server error",
			 fs->echo_auth && auth ? auth : "");
		fs_error(&r, fail, msg);
		r.retry_after = fs->retry_after;
		pthread_mutex_unlock(&fs->mu);
	} else if (huge) {
		r.status = 200;
		r.body = malloc((size_t)huge);
		memset(r.body, ' ', (size_t)huge);
		r.len = (size_t)huge;
	} else {
		pthread_mutex_lock(&fs->mu);  /* the fault fields are read while routing */
		fs_route(fs, method, url, cc->body.p, cc->body.len, &r);
		pthread_mutex_unlock(&fs->mu);
		if (trunc)
			r.len /= 2;
	}
	if (close_it) {
		struct fs_partial *p = malloc(sizeof(*p));

		p->body = r.body;
		p->len = r.len / 2;
		resp = MHD_create_response_from_callback(r.len, 1024, fs_partial_read, p, fs_partial_free);
	} else {
		resp = MHD_create_response_from_buffer(r.len, r.body, MHD_RESPMEM_MUST_FREE);
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (r.retry_after)
		MHD_add_response_header(resp, "Retry-After", r.retry_after);
	ok = MHD_queue_response(c, (unsigned)r.status, resp);
	MHD_destroy_response(resp);
	pthread_mutex_lock(&fs->mu);
	fs->inflight--;
	pthread_mutex_unlock(&fs->mu);
	return ok;
}

FS_FN void fs_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct fs_conn *cc = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (cc) {
		free(cc->body.p);
		free(cc);
		*con_cls = NULL;
	}
}

/* Start a server on 127.0.0.1 and an ephemeral port. Returns NULL on failure. */
FS_FN struct fake_server *fs_start(void)
{
	struct fake_server *fs = calloc(1, sizeof(*fs));
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	if (!fs)
		return NULL;
	pthread_mutex_init(&fs->mu, NULL);
	fs->poison_choice = -1;
	fs->poison_pos = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fs->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
				 NULL, fs_access, fs, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				 MHD_OPTION_NOTIFY_COMPLETED, fs_completed, fs,
				 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!fs->d) {
		free(fs);
		return NULL;
	}
	info = MHD_get_daemon_info(fs->d, MHD_DAEMON_INFO_BIND_PORT);
	fs->port = info ? info->port : 0;
	snprintf(fs->url, sizeof(fs->url), "http://127.0.0.1:%d/v1", fs->port);
	snprintf(fs->root, sizeof(fs->root), "http://127.0.0.1:%d", fs->port);
	return fs;
}

FS_FN void fs_stop(struct fake_server *fs)
{
	if (!fs)
		return;
	MHD_stop_daemon(fs->d);
	pthread_mutex_destroy(&fs->mu);
	free(fs);
}

/* Read a counter under the lock. */
FS_FN int fs_get(struct fake_server *fs, const int *field)
{
	int v;

	pthread_mutex_lock(&fs->mu);
	v = *field;
	pthread_mutex_unlock(&fs->mu);
	return v;
}

/*
 * Score through b's raw table, to see the backend's own code and message
 * (msg[cap]); results are zeroed first and freed on success.
 */
FS_FN int fs_raw_score(struct uh_backend *b, const struct uh_score_req *q, size_t n,
		       struct uh_score_res *res, char *msg, size_t cap)
{
	int rc;

	memset(res, 0, n * sizeof(*res));
	msg[0] = '\0';
	rc = b->api->score(b->state, q, n, res, msg, cap);
	if (rc == 0)
		b->api->free_score(b->state, res, n);
	return rc;
}

#endif
