/*
 * harness/serve.c over loopback: an n-gram model trained on a small corpus,
 * served in-process on an ephemeral port, talked to with libcurl.
 */
#include "harness/backends/ngram.h"
#include "harness/backends/null.h"
#include "harness/backends/registry.h"
#include "harness/serve.h"
#include "tests/testutil.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const corpus[] = {
	"the cat sat on the mat. the dog sat on the log.",
	"the cat ate the fish and the dog ate the bone.",
	"a cat is not a dog, and a dog is not a cat.",
	"the mat was red and the log was brown.",
	"Answer: the cat sat on the mat.",
};

static struct uh_backend b;
static struct uh_server *srv;
static int port;

/* ------------------------------------------------------------ fixture */

static void start(const struct uh_backend_api *api, size_t max_body)
{
	struct uh_serve_opts o;
	struct uh_err err;

	uh_err_clear(&err);
	if (api == uh_ngram_backend()) {
		struct uh_ngram *m = NULL;

		cr_assert_eq(uh_ngram_train(corpus, sizeof(corpus) / sizeof(corpus[0]), NULL, &m, &err), 0,
			     "%s", err.msg);
		cr_assert_eq(uh_backend_wrap(&b, api, m, "ngram", 1, &err), 0, "%s", err.msg);
	} else {
		cr_assert_eq(uh_backend_open(&b, "null", NULL, &err), 0, "%s", err.msg);
	}
	uh_serve_opts_init(&o);
	o.model = "tiny";
	o.port = 0;
	o.threads = 2;
	o.max_body = max_body;
	cr_assert_eq(uh_serve_new(&b, &o, &srv, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_serve_start(srv, &err), 0, "%s", err.msg);
	port = uh_serve_port(srv);
	cr_assert_gt(port, 0);
}

static void setup_ngram(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	start(uh_ngram_backend(), 1u << 20);
}

static void setup_null(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	start(uh_null_backend(), 0);
}

static void teardown(void)
{
	uh_serve_free(srv);
	srv = NULL;
	uh_backend_close(&b);
	curl_global_cleanup();
}

/* ------------------------------------------------------------ HTTP */

struct buf {
	char *s;
	size_t n;
};

static size_t on_data(char *p, size_t sz, size_t nm, void *ud)
{
	struct buf *x = ud;
	char *s = realloc(x->s, x->n + sz * nm + 1);

	cr_assert_not_null(s);
	memcpy(s + x->n, p, sz * nm);
	x->n += sz * nm;
	s[x->n] = '\0';
	x->s = s;
	return sz * nm;
}

/* method GET (body NULL) or POST; returns the body (caller frees), *status the code. */
static char *http(const char *path, const char *body, size_t len, long *status)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	struct buf out = { calloc(1, 1), 0 };
	char url[256];
	CURLcode rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	rc = curl_easy_perform(c);
	cr_assert_eq(rc, CURLE_OK, "%s: %s", path, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return out.s;
}

/* POST a JSON body, expect status, return the parsed answer (caller deletes). */
static cJSON *post(const char *path, const char *body, long want)
{
	long st = 0;
	char *s = http(path, body, strlen(body), &st);
	cJSON *j = cJSON_Parse(s);

	cr_assert_eq(st, want, "%s %s: status %ld, want %ld: %s", path, body, st, want, s);
	cr_assert_not_null(j, "%s: not JSON: %s", path, s);
	free(s);
	return j;
}

static cJSON *get(const char *path, long want)
{
	long st = 0;
	char *s = http(path, NULL, 0, &st);
	cJSON *j = cJSON_Parse(s);

	cr_assert_eq(st, want, "%s: status %ld: %s", path, st, s);
	free(s);
	return j;
}

static cJSON *item(const cJSON *o, const char *k)
{
	cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);

	cr_assert_not_null(j, "no '%s'", k);
	return j;
}

/* The error message of an error answer; checks the OpenAI shape. */
static void expect_error(const char *path, const char *body, long want, const char *part)
{
	cJSON *j = post(path, body, want);
	cJSON *e = item(j, "error");
	const char *msg = cJSON_GetStringValue(item(e, "message"));

	cr_assert_not_null(msg);
	cr_expect_eq(item(e, "code")->valuedouble, (double)want);
	cr_assert(cJSON_IsString(item(e, "type")));
	if (part)
		cr_expect_not_null(strstr(msg, part), "message '%s' lacks '%s'", msg, part);
	cJSON_Delete(j);
}

/* ------------------------------------------------------------ in-process reference */

static void encode(const char *text, int32_t **ids, size_t *n)
{
	struct uh_err err;

	uh_err_clear(&err);
	cr_assert_eq(uh_backend_encode(&b, text, ids, n, &err), 0, "%s", err.msg);
}

static struct uh_score_res score(const char *ctx, const char *cont)
{
	struct uh_score_req q = { ctx, cont, 0 };
	struct uh_score_res r;
	struct uh_err err;

	uh_err_clear(&err);
	cr_assert_eq(uh_backend_score(&b, &q, 1, &r, &err), 0, "%s", err.msg);
	return r;
}

static char *ids_json(const int32_t *ids, size_t n)
{
	char *s = malloc(16 * n + 4), *p = s;

	*p++ = '[';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%d", i ? "," : "", (int)ids[i]);
	strcpy(p, "]");
	return s;
}

/* Python's sum(token_logprobs[from:to]), and whether every token there is greedy by value. */
static double sum_lp(const cJSON *lp, int from, int to, int *greedy)
{
	const cJSON *tl = item(lp, "token_logprobs"), *tops = item(lp, "top_logprobs");
	double s = 0;

	*greedy = 1;
	for (int i = from; i < to; i++) {
		const cJSON *x = cJSON_GetArrayItem(tl, i), *top = cJSON_GetArrayItem(tops, i), *v;
		double mx = -INFINITY;

		cr_assert(cJSON_IsNumber(x), "token_logprobs[%d] is not a number", i);
		s += x->valuedouble;
		cJSON_ArrayForEach(v, top) mx = fmax(mx, v->valuedouble);
		*greedy &= x->valuedouble == mx;
	}
	return s;
}

/* ------------------------------------------------------------ small endpoints */

TestSuite(serve, .init = setup_ngram, .fini = teardown, .timeout = 60);

Test(serve, health_models_tokenizer)
{
	long st;
	char *s = http("/health", NULL, 0, &st);
	cJSON *j;
	int32_t *ids;
	size_t n;

	cr_expect_eq(st, 200);
	cr_expect_str_empty(s);
	free(s);

	j = get("/v1/models", 200);
	cr_expect_str_eq(cJSON_GetStringValue(item(j, "object")), "list");
	cr_expect_str_eq(cJSON_GetStringValue(item(cJSON_GetArrayItem(item(j, "data"), 0), "id")), "tiny");
	cr_expect_str_eq(cJSON_GetStringValue(item(cJSON_GetArrayItem(item(j, "data"), 0), "object")),
			 "model");
	cJSON_Delete(j);

	j = get("/tokenizer_info", 200);
	cr_expect_eq(item(j, "eos_token_id")->valuedouble, UH_NGRAM_EOS);
	cJSON_Delete(j);

	j = post("/tokenize", "{\"prompt\": \"the cat sat zebra\", \"add_special_tokens\": false}", 200);
	encode("the cat sat zebra", &ids, &n);
	cr_expect_eq(item(j, "count")->valuedouble, 4.0);
	cr_assert_eq(cJSON_GetArraySize(item(j, "tokens")), (int)n);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(cJSON_GetArrayItem(item(j, "tokens"), (int)i)->valuedouble, ids[i]);
	cr_expect_eq(ids[3], UH_NGRAM_UNK, "an unseen word is <unk>");
	cr_expect_gt(item(j, "max_model_len")->valuedouble, 0);
	cJSON_Delete(j);

	s = ids_json(ids, 3);
	{
		char body[256];

		snprintf(body, sizeof(body), "{\"tokens\": %s}", s);
		j = post("/detokenize", body, 200);
		cr_expect_str_eq(cJSON_GetStringValue(item(j, "prompt")), "the cat sat");
		cJSON_Delete(j);
	}
	free(s);
	free(ids);
}

/* ------------------------------------------------------------ scoring */

/* echo + logprobs on a string prompt: the continuation's sum is the in-process score, bit for bit. */
Test(serve, echo_logprobs_string)
{
	const char *ctx = "the cat", *cont = " sat on the mat.";
	struct uh_score_res r = score(ctx, cont);
	int32_t *cids, *aids;
	size_t nc, na;
	char body[512];
	cJSON *j, *c, *lp;
	int greedy;
	double s;

	encode(ctx, &cids, &nc);
	encode("the cat sat on the mat.", &aids, &na);
	snprintf(body, sizeof(body),
		 "{\"model\":\"tiny\",\"prompt\":\"the cat sat on the mat.\",\"max_tokens\":0,\"echo\":true,"
		 "\"logprobs\":5,\"temperature\":0,\"seed\":1234,\"unknown_field\":[1,2]}");
	j = post("/v1/completions", body, 200);
	cr_expect_str_eq(cJSON_GetStringValue(item(j, "object")), "text_completion");
	cr_expect_str_eq(cJSON_GetStringValue(item(j, "model")), "tiny");
	c = cJSON_GetArrayItem(item(j, "choices"), 0);
	cr_expect_eq(item(c, "index")->valuedouble, 0);
	cr_expect_str_eq(cJSON_GetStringValue(item(c, "text")), "the cat sat on the mat.");
	cr_expect_str_eq(cJSON_GetStringValue(item(c, "finish_reason")), "length");
	lp = item(c, "logprobs");
	cr_assert_eq(cJSON_GetArraySize(item(lp, "token_logprobs")), (int)na);
	cr_assert_eq(cJSON_GetArraySize(item(lp, "tokens")), (int)na);
	cr_assert_eq(cJSON_GetArraySize(item(lp, "top_logprobs")), (int)na);
	cr_expect(cJSON_IsNull(cJSON_GetArrayItem(item(lp, "token_logprobs"), 0)));
	cr_expect(cJSON_IsNull(cJSON_GetArrayItem(item(lp, "top_logprobs"), 0)));
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(item(lp, "tokens"), 1)), " cat");
	cr_expect_eq(cJSON_GetArrayItem(item(lp, "text_offset"), 1)->valuedouble, 3);
	for (size_t i = 1; i < na; i++)
		cr_expect_leq(cJSON_GetArraySize(cJSON_GetArrayItem(item(lp, "top_logprobs"), (int)i)), 6);

	s = sum_lp(lp, (int)nc, (int)na, &greedy);
	cr_expect_eq(s, r.logprob, "served %.17g, in-process %.17g", s, r.logprob);
	cr_expect_eq(greedy, r.is_greedy);
	for (size_t i = nc; i < na; i++) {
		int g;
		double one = sum_lp(lp, (int)i, (int)i + 1, &g);

		cr_expect_eq(one, r.token_logprobs[i - nc], "token %zu: %.17g vs %.17g", i, one,
			     r.token_logprobs[i - nc]);
		cr_expect_eq(g, r.token_greedy[i - nc], "token %zu greedy", i);
	}
	cr_expect_eq(item(item(j, "usage"), "prompt_tokens")->valuedouble, (double)na);
	cr_expect_eq(item(item(j, "usage"), "completion_tokens")->valuedouble, 0);
	cJSON_Delete(j);
	uh_backend_free_score(&b, &r, 1);
	free(cids);
	free(aids);
}

/* lm-eval's body: token ids, max_tokens 1, echo, logprobs 1; [ctxlen:-1] is the score. */
Test(serve, echo_logprobs_token_ids_batch)
{
	const char *ctx[2] = { "the dog", "a cat is" }, *cont[2] = { " ate the bone.", " not a zebra" };
	char body[2048], *js[2];
	cJSON *j;

	for (int k = 0; k < 2; k++) {
		char whole[128];
		int32_t *ids;
		size_t n;

		snprintf(whole, sizeof(whole), "%s%s", ctx[k], cont[k]);
		encode(whole, &ids, &n);
		js[k] = ids_json(ids, n);
		free(ids);
	}
	snprintf(body, sizeof(body),
		 "{\"prompt\":[%s,%s],\"max_tokens\":1,\"echo\":true,\"logprobs\":1,\"temperature\":0,\"seed\":1234}",
		 js[0], js[1]);
	j = post("/v1/completions", body, 200);
	cr_assert_eq(cJSON_GetArraySize(item(j, "choices")), 2);
	for (int k = 0; k < 2; k++) {
		cJSON *c = cJSON_GetArrayItem(item(j, "choices"), k), *lp = item(c, "logprobs");
		struct uh_score_res r = score(ctx[k], cont[k]);
		int32_t *ids, *cids;
		size_t n, nc;
		int greedy;
		double s;
		int len = cJSON_GetArraySize(item(lp, "token_logprobs"));

		encode(ctx[k], &cids, &nc);
		free(cids);
		{
			char whole[128];

			snprintf(whole, sizeof(whole), "%s%s", ctx[k], cont[k]);
			encode(whole, &ids, &n);
			/* the text is decoded from the ids: <unk> ("zebra") decodes to "" */
			cr_expect_eq(strncmp(cJSON_GetStringValue(item(c, "text")), whole,
					     strlen(whole) - (k ? strlen(" zebra") : 0)), 0,
				     "'%s' starts with the prompt", cJSON_GetStringValue(item(c, "text")));
		}
		cr_expect_eq(item(c, "index")->valuedouble, k);
		cr_assert_eq(len, (int)n + 1, "prompt ids + 1 generated token, got %d for %zu ids", len, n);
		s = sum_lp(lp, (int)nc, len - 1, &greedy);
		cr_expect_eq(s, r.logprob, "prompt %d: served %.17g, in-process %.17g", k, s, r.logprob);
		cr_expect_eq(greedy, r.is_greedy);
		uh_backend_free_score(&b, &r, 1);
		free(ids);
		free(js[k]);
	}
	cJSON_Delete(j);
}

/* lm-eval's empty context: the EOS prefix token stands for the start of the text. */
Test(serve, eos_prefix_is_the_start_of_the_text)
{
	const char *cont = "the cat ate the fish.";
	struct uh_score_res r = score("", cont);
	int32_t *ids, *all;
	size_t n;
	char body[1024], *js;
	cJSON *j, *lp;
	int greedy;
	double s;

	encode(cont, &ids, &n);
	all = malloc((n + 1) * sizeof(*all));
	all[0] = UH_NGRAM_EOS;
	memcpy(all + 1, ids, n * sizeof(*ids));
	js = ids_json(all, n + 1);
	snprintf(body, sizeof(body), "{\"prompt\":%s,\"max_tokens\":0,\"echo\":true,\"logprobs\":1}", js);
	j = post("/v1/completions", body, 200);
	lp = item(cJSON_GetArrayItem(item(j, "choices"), 0), "logprobs");
	cr_assert_eq(cJSON_GetArraySize(item(lp, "token_logprobs")), (int)n + 1);
	s = sum_lp(lp, 1, (int)n + 1, &greedy);
	cr_expect_eq(s, r.logprob, "served %.17g, in-process score(\"\", cont) %.17g", s, r.logprob);
	cr_expect_eq(greedy, r.is_greedy);
	cJSON_Delete(j);
	uh_backend_free_score(&b, &r, 1);
	free(js);
	free(all);
	free(ids);
}

/* ------------------------------------------------------------ generation */

Test(serve, generate_and_stop)
{
	struct uh_gen_req q = { "the cat", 6, NULL, 0 };
	struct uh_gen_res g;
	struct uh_err err;
	char body[512], stop[64];
	const char *sp;
	cJSON *j, *c;

	uh_err_clear(&err);
	cr_assert_eq(uh_backend_generate(&b, &q, 1, &g, &err), 0, "%s", err.msg);
	cr_assert_gt(strlen(g.text), 4);

	j = post("/v1/completions", "{\"prompt\":\"the cat\",\"max_tokens\":6,\"temperature\":0}", 200);
	c = cJSON_GetArrayItem(item(j, "choices"), 0);
	cr_expect_str_eq(cJSON_GetStringValue(item(c, "text")), g.text);
	cr_expect(cJSON_IsNull(item(c, "logprobs")));
	cr_expect_str_eq(cJSON_GetStringValue(item(c, "finish_reason")),
			 g.finish_reason == UH_FINISH_LENGTH ? "length" : "stop");
	cr_expect_eq(item(item(j, "usage"), "completion_tokens")->valuedouble, (double)g.n_tokens);
	cJSON_Delete(j);

	/* stop on the generation's second word */
	sp = strchr(g.text + 1, ' ');
	cr_assert_not_null(sp);
	snprintf(stop, sizeof(stop), "%.*s", (int)strcspn(sp + 1, " .") + 1, sp);
	snprintf(body, sizeof(body),
		 "{\"prompt\":[\"the cat\",\"the dog\"],\"max_tokens\":6,\"stop\":[\"%s\"],\"echo\":true}", stop);
	j = post("/v1/completions", body, 200);
	c = cJSON_GetArrayItem(item(j, "choices"), 0);
	{
		char want[128];

		snprintf(want, sizeof(want), "the cat%.*s", (int)(sp - g.text), g.text);
		cr_expect_str_eq(cJSON_GetStringValue(item(c, "text")), want, "stop '%s'", stop);
	}
	cr_expect_str_eq(cJSON_GetStringValue(item(c, "finish_reason")), "stop");
	/* vLLM: the stop string that matched (null would say the model's EOS) */
	cr_expect(cJSON_IsString(item(c, "stop_reason")), "stop_reason must name the stop string");
	if (cJSON_IsString(item(c, "stop_reason")))
		cr_expect_str_eq(cJSON_GetStringValue(item(c, "stop_reason")), stop);
	cr_expect_eq(cJSON_GetArraySize(item(j, "choices")), 2);
	cr_expect_eq(item(cJSON_GetArrayItem(item(j, "choices"), 1), "index")->valuedouble, 1);
	cJSON_Delete(j);

	/* a string stop works too, and generation with logprobs covers the generated tokens */
	j = post("/v1/completions", "{\"prompt\":\"the cat\",\"max_tokens\":3,\"logprobs\":2}", 200);
	c = cJSON_GetArrayItem(item(j, "choices"), 0);
	{
		cJSON *lp = item(c, "logprobs");
		int n = cJSON_GetArraySize(item(lp, "tokens")), greedy;

		cr_expect_gt(n, 0);
		sum_lp(lp, 0, n, &greedy);
		cr_expect(greedy, "greedy generation is greedy by the served top_logprobs");
		cr_expect_eq(cJSON_GetArrayItem(item(lp, "text_offset"), 0)->valuedouble, 7,
			     "offsets continue after the prompt");
	}
	cJSON_Delete(j);
	uh_backend_free_gen(&b, &g, 1);
}

/* ------------------------------------------------------------ errors */

Test(serve, errors)
{
	long st;
	char *s, *big;
	size_t n = (1u << 20) + 100;

	expect_error("/v1/completions", "{\"prompt\": \"the cat\",", 400, "JSON");
	expect_error("/v1/completions", "[1,2]", 400, "object");
	expect_error("/v1/completions", "{\"prompt\":\"x\"} trailing", 400, "JSON");
	expect_error("/v1/completions", "{}", 400, "prompt");
	expect_error("/v1/completions", "{\"prompt\": 3}", 400, "prompt");
	expect_error("/v1/completions", "{\"prompt\": []}", 400, "empty");
	expect_error("/v1/completions", "{\"prompt\": [\"a\", [1]]}", 400, "'prompt'[1]");
	expect_error("/v1/completions", "{\"prompt\": [1, -2]}", 400, "token id");
	expect_error("/v1/completions", "{\"prompt\": [1.5]}", 400, "token id");
	expect_error("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": \"5\"}", 400, "max_tokens");
	expect_error("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 0}", 400, "echo");
	expect_error("/v1/completions", "{\"prompt\": \"x\", \"echo\": 1}", 400, "echo");
	expect_error("/v1/completions", "{\"prompt\": \"x\", \"logprobs\": 21}", 400, "logprobs");
	expect_error("/v1/completions", "{\"prompt\": \"x\", \"stop\": [1]}", 400, "stop");
	expect_error("/v1/completions", "{\"prompt\": \"x\", \"temperature\": 0.7}", 400, "temperature");
	expect_error("/v1/completions", "{\"prompt\": \"x\", \"stream\": true}", 400, "stream");
	expect_error("/v1/completions", "{\"prompt\": \"x\", \"model\": \"gpt-4\"}", 404, "gpt-4");
	expect_error("/v1/completions", "{\"prompt\": [[5, 999999]], \"echo\": true, \"max_tokens\": 0, \"logprobs\": 1}",
		     400, "vocabulary");
	expect_error("/v1/completions", "{\"prompt\": [[5, 1]], \"echo\": true, \"max_tokens\": 0, \"logprobs\": 1}",
		     400, "beginning-of-text");
	expect_error("/tokenize", "{\"prompt\": 5}", 400, "prompt");
	/* a NUL would cut the prompt short unseen: refused, an escaped backslash is not one */
	expect_error("/v1/completions", "{\"prompt\": \"the cat\\u0000 sat\", \"max_tokens\": 2}", 400, "u0000");
	expect_error("/tokenize", "{\"prompt\": \"the\\u0000cat\"}", 400, "u0000");
	cJSON_Delete(post("/tokenize", "{\"prompt\": \"the \\\\u0000 cat\"}", 200));
	expect_error("/v1/nothing", "{}", 404, "no such endpoint");

	s = http("/v1/completions", NULL, 0, &st);
	cr_expect_eq(st, 405, "GET on a POST endpoint: %s", s);
	free(s);
	s = http("/v1/completions", "", 0, &st);
	cr_expect_eq(st, 400, "empty body: %s", s);
	free(s);

	big = malloc(n);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	s = http("/v1/completions", big, n, &st);
	cr_expect_eq(st, 413, "oversized body: %s", s);
	free(s);
	free(big);

	/* the server still answers after all that */
	s = http("/health", NULL, 0, &st);
	cr_expect_eq(st, 200);
	free(s);
}

/* Bytes that are not UTF-8 in a prompt come back as valid JSON (U+FFFD). */
Test(serve, invalid_utf8_answers_valid_json)
{
	struct uh_serve_reply r;
	const char body[] = "{\"prompt\": \"the \\u00e9 cat\", \"max_tokens\": 1, \"echo\": true, \"logprobs\": 3}";
	cJSON *j;

	cr_assert_eq(uh_serve_handle(srv, "POST", "/v1/completions", body, strlen(body), &r), 0);
	cr_expect_eq(r.status, 200, "%s", r.body);
	j = cJSON_Parse(r.body);
	cr_expect_not_null(j);
	cJSON_Delete(j);
	uh_serve_reply_release(&r);

	cr_assert_eq(uh_serve_handle(srv, "POST", "/v1/completions", "{\"prompt\": \"\xff\xfe\"}", 18, &r), 0);
	j = cJSON_Parse(r.body);
	cr_expect_not_null(j, "%s", r.body);
	cJSON_Delete(j);
	uh_serve_reply_release(&r);
}

/* ------------------------------------------------------------ the generic path (null backend) */

TestSuite(serve_null, .init = setup_null, .fini = teardown, .timeout = 60);

Test(serve_null, token_ids_through_the_abi)
{
	cJSON *j, *lp, *x;
	int i = 0;

	j = post("/tokenize", "{\"prompt\": \"t5 t6 t7\"}", 200);
	cr_expect_eq(item(j, "count")->valuedouble, 3);
	cJSON_ArrayForEach(x, item(j, "tokens")) cr_expect_eq(x->valuedouble, 5 + i++);
	cJSON_Delete(j);

	j = post("/v1/completions", "{\"prompt\": [[5, 6, 7, 0]], \"max_tokens\": 0, \"echo\": true, \"logprobs\": 3}",
		 200);
	lp = item(cJSON_GetArrayItem(item(j, "choices"), 0), "logprobs");
	cr_assert_eq(cJSON_GetArraySize(item(lp, "token_logprobs")), 4);
	cr_expect(cJSON_IsNull(cJSON_GetArrayItem(item(lp, "token_logprobs"), 0)));
	for (i = 1; i < 4; i++) {
		const cJSON *top = cJSON_GetArrayItem(item(lp, "top_logprobs"), i);

		cr_expect_eq(cJSON_GetArrayItem(item(lp, "token_logprobs"), i)->valuedouble, -1.0);
		cr_expect_eq(cJSON_GetArraySize(top), 1, "greedy: the actual token only");
	}
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(item(lp, "tokens"), 1)), " t6");
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(item(lp, "tokens"), 3)), "");
	cJSON_Delete(j);

	expect_error("/v1/completions", "{\"prompt\": [5, 0, 6], \"max_tokens\": 0, \"echo\": true, \"logprobs\": 1}",
		     400, "end-of-text");

	/* a leading EOS: the next id is scored from the start of the text */
	j = post("/v1/completions", "{\"prompt\": [0, 5, 6, 0], \"max_tokens\": 0, \"echo\": true, \"logprobs\": 1}",
		 200);
	lp = item(cJSON_GetArrayItem(item(j, "choices"), 0), "logprobs");
	cr_assert_eq(cJSON_GetArraySize(item(lp, "token_logprobs")), 4);
	cr_expect(cJSON_IsNull(cJSON_GetArrayItem(item(lp, "token_logprobs"), 0)));
	for (i = 1; i < 4; i++)
		cr_expect_eq(cJSON_GetArrayItem(item(lp, "token_logprobs"), i)->valuedouble, -1.0);
	cJSON_Delete(j);
}

/* A backend that says every other token is not greedy, and one without token ids. */
static struct uh_backend_api alt_api;

static int alt_score(void *state, const struct uh_score_req *reqs, size_t n,
		     struct uh_score_res *res, char *errbuf, size_t errlen)
{
	int rc = uh_null_backend()->score(state, reqs, n, res, errbuf, errlen);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		for (int64_t t = 1; t < res[i].n_tokens; t += 2)
			res[i].token_greedy[t] = 0;
		res[i].is_greedy = res[i].n_tokens < 2;
	}
	return rc;
}

static void restart_with(uint32_t caps, int nongreedy)
{
	struct uh_serve_opts o;
	struct uh_err err;
	void *state = b.state;

	uh_serve_free(srv);
	b.owns_state = 0;
	uh_backend_close(&b);
	alt_api = *uh_null_backend();
	alt_api.caps = caps;
	if (nongreedy)
		alt_api.score = alt_score;
	uh_err_clear(&err);
	cr_assert_eq(uh_backend_wrap(&b, &alt_api, state, "alt", 1, &err), 0, "%s", err.msg);
	uh_serve_opts_init(&o);
	o.port = 0;
	cr_assert_eq(uh_serve_new(&b, &o, &srv, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_serve_start(srv, &err), 0, "%s", err.msg);
	port = uh_serve_port(srv);
}

Test(serve_null, not_greedy_without_a_distribution)
{
	cJSON *j, *lp;

	restart_with(uh_null_backend()->caps, 1);
	j = post("/v1/completions", "{\"prompt\": [[5, 6, 7]], \"max_tokens\": 0, \"echo\": true, \"logprobs\": 1}",
		 200);
	lp = item(cJSON_GetArrayItem(item(j, "choices"), 0), "logprobs");
	for (int i = 1; i < 3; i++) {
		const cJSON *top = cJSON_GetArrayItem(item(lp, "top_logprobs"), i), *v;
		double mx = -INFINITY, tl = cJSON_GetArrayItem(item(lp, "token_logprobs"), i)->valuedouble;

		cJSON_ArrayForEach(v, top) mx = fmax(mx, v->valuedouble);
		cr_expect_eq(tl == mx, i % 2 == 0, "position %d: greedy by value must be %d", i, i % 2 == 0);
		cr_expect_eq(cJSON_GetObjectItemCaseSensitive(top, UH_SERVE_ARGMAX_KEY) != NULL, i % 2 == 1);
	}
	cJSON_Delete(j);
}

Test(serve_null, capabilities_named)
{
	cJSON *j;

	restart_with(UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE | UH_CAN_TOKEN_LOGPROBS, 0);
	expect_error("/v1/completions", "{\"prompt\": [1, 2], \"max_tokens\": 1}", 400, "UH_CAN_TOKEN_IDS");
	expect_error("/v1/completions", "{\"prompt\": \"a b\", \"max_tokens\": 0, \"echo\": true, \"logprobs\": 1}",
		     400, "UH_CAN_TOKEN_IDS");
	j = post("/tokenize", "{\"prompt\": \"a b c\"}", 200);
	cr_expect_eq(item(j, "count")->valuedouble, 3);
	cr_expect(cJSON_IsNull(item(j, "tokens")));
	cJSON_Delete(j);
	j = get("/tokenizer_info", 404);
	cJSON_Delete(j);
	j = post("/v1/completions", "{\"prompt\": \"a b\", \"max_tokens\": 0, \"echo\": true}", 200);
	cr_expect_str_eq(cJSON_GetStringValue(item(cJSON_GetArrayItem(item(j, "choices"), 0), "text")), "a b");
	cJSON_Delete(j);
}

/* ------------------------------------------------------------ the command */

/* `uh serve --backend null --port 0` as a child: prints its port, answers, stops on SIGTERM with status 0. */
Test(serve_cmd, child_stops_cleanly_on_sigterm, .timeout = 60)
{
	const char *uh = uh_test_build("uh");
	int fds[2], status = 0;
	char line[32] = "";
	FILE *f;
	pid_t pid;
	long st;
	char *s;

	if (access(uh, X_OK) != 0)
		cr_skip_test("%s is not built", uh);
	curl_global_init(CURL_GLOBAL_ALL);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		if (null >= 0)
			dup2(null, 2);
		close(fds[0]);
		close(fds[1]);
		execl(uh, uh, "serve", "--backend", "null", "--port", "0", "--model", "m", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	cr_assert(fgets(line, sizeof(line), f) != NULL, "uh serve printed no port");
	port = atoi(line);
	cr_assert_gt(port, 0, "port line '%s'", line);
	s = http("/health", NULL, 0, &st);
	cr_expect_eq(st, 200);
	free(s);
	s = http("/v1/completions", "{\"model\":\"m\",\"prompt\":[[5,6]],\"max_tokens\":0,\"echo\":true,\"logprobs\":1}",
		 strlen("{\"model\":\"m\",\"prompt\":[[5,6]],\"max_tokens\":0,\"echo\":true,\"logprobs\":1}"), &st);
	cr_expect_eq(st, 200, "%s", s);
	free(s);
	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	fclose(f);
	curl_global_cleanup();
}
