/*
 * harness/backends/openai.c and http.c over real loopback HTTP against the
 * fault-injecting fake server in tests/fake_server.h, and end to end
 * against `uh serve` (harness/serve.c) over the n-gram model.
 */
#include "harness/backends/http.h"
#include "harness/backends/ngram.h"
#include "harness/backends/openai.h"
#include "harness/backends/registry.h"
#include "harness/serve.h"
#include "tests/fake_server.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_OPTS 16

/* ------------------------------------------------------------ helpers */

struct opts {
	const char *k[MAX_OPTS];
	const char *v[MAX_OPTS];
	char kv[MAX_OPTS][256];
	size_t n;
};

/* Add "key=value" pairs (NULL-terminated). */
static void opts_add(struct opts *o, const char *first, ...)
{
	va_list ap;
	const char *s = first;

	va_start(ap, first);
	for (; s; s = va_arg(ap, const char *)) {
		char *eq;

		cr_assert_lt(o->n, MAX_OPTS);
		snprintf(o->kv[o->n], sizeof(o->kv[o->n]), "%s", s);
		eq = strchr(o->kv[o->n], '=');
		cr_assert_not_null(eq, "%s", s);
		*eq = '\0';
		o->k[o->n] = o->kv[o->n];
		o->v[o->n] = eq + 1;
		o->n++;
	}
	va_end(ap);
}

/* Open the openai backend on fs with fast retries; extra "k=v" pairs after. */
static int open_with(struct uh_backend *b, struct opts *o, struct uh_err *err)
{
	struct uh_backend_config cfg = { .model = NULL, .keys = o->k, .values = o->v, .n = o->n };

	uh_err_clear(err);
	return uh_backend_open(b, "openai", &cfg, err);
}

static void open_ok(struct uh_backend *b, struct fake_server *fs, const char *extra, ...)
{
	struct opts o = { 0 };
	struct uh_err err;
	char url[128];
	va_list ap;
	const char *s;

	snprintf(url, sizeof(url), "url=%s", fs->url);
	opts_add(&o, url, "model=fake", "backoff=0.01", "backoff_cap=0.05", NULL);
	va_start(ap, extra);
	for (s = extra; s; s = va_arg(ap, const char *))
		opts_add(&o, s, NULL);
	va_end(ap);
	cr_assert_eq(open_with(b, &o, &err), 0, "open: %s", err.msg);
}

/* The toy model's expected score of cont after ctx (token mode: words). */
static double expect(const char *ctx, const char *cont, int eos, int64_t *n, int *greedy,
		     double *per, uint8_t *g)
{
	int a[256], c[256];
	size_t na = fs_words(ctx, a, NULL, NULL, NULL, 256), nc = fs_words(cont, c, NULL, NULL, NULL, 256);
	double sum = 0;
	int all = 1;

	if (na == 0) {
		a[0] = FS_EOS;
		na = 1;
	}
	if (eos)
		c[nc++] = FS_EOS;
	for (size_t t = 0; t < nc; t++) {
		double lp = fs_lp(c[t], (int)(na + t));
		int gr = c[t] == FS_EOS ? 1 : fs_greedy(c[t]);

		sum += lp;
		all &= gr;
		if (per)
			per[t] = lp;
		if (g)
			g[t] = (uint8_t)gr;
	}
	*n = (int64_t)nc;
	*greedy = all;
	return sum;
}

static const struct uh_score_req REQS[] = {
	{ "Question: who wrote the book ?\nAnswer:", " The author is Jane Doe", 0 },
	{ "Question: where was she born ?\nAnswer:", " In a small town", 0 },
	{ "Question: who wrote the book ?\nAnswer:", " Someone else entirely wrote it", 0 },
	{ "Tell me", " more words here please now", 0 },
};
#define N_REQS (sizeof(REQS) / sizeof(REQS[0]))

static void check_results(const struct uh_score_req *q, const struct uh_score_res *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double per[256];
		uint8_t g[256];
		int64_t k;
		int greedy;
		double want = expect(q[i].context, q[i].continuation, q[i].flags & UH_SCORE_EOS, &k,
				     &greedy, per, g);

		cr_assert_eq(r[i].n_tokens, k, "request %zu: n_tokens %lld want %lld", i,
			     (long long)r[i].n_tokens, (long long)k);
		cr_assert_eq(r[i].logprob, want, "request %zu: logprob %.17g want %.17g", i, r[i].logprob, want);
		cr_assert_eq(r[i].is_greedy, greedy, "request %zu", i);
		cr_assert_not_null(r[i].token_logprobs);
		for (int64_t t = 0; t < k; t++) {
			cr_assert_eq(r[i].token_logprobs[t], per[t]);
			cr_assert_eq(r[i].token_greedy[t], g[t], "request %zu token %lld", i, (long long)t);
		}
	}
}

/* Score n requests on b: they succeed and match the toy model; the results are freed. */
static void score_ok(struct uh_backend *b, const struct uh_score_req *q, size_t n)
{
	struct uh_score_res res[64];
	struct uh_err err;

	cr_assert_leq(n, 64);
	cr_assert_eq(uh_backend_score(b, q, n, res, &err), 0, "%s", err.msg);
	check_results(q, res, n);
	uh_backend_free_score(b, res, n);
}

/* fs answers the next n scoring requests (POST /v1/completions) with HTTP status. */
static void fail_scoring(struct fake_server *fs, int n, int status)
{
	fs->fail_path = "/v1/completions";
	fs->fail_n = n;
	fs->fail_status = status;
}

/* n short requests "c0" .. "c<n-1>", each continued by " x y"; ctx holds the contexts. */
static void small_reqs(struct uh_score_req *q, char (*ctx)[32], int n)
{
	for (int i = 0; i < n; i++) {
		snprintf(ctx[i], sizeof(ctx[i]), "c%d", i);
		q[i] = (struct uh_score_req){ ctx[i], " x y", 0 };
	}
}

static void assert_has(const char *hay, const char *needle)
{
	cr_assert(strstr(hay, needle) != NULL, "'%s' not in '%s'", needle, hay);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ parsing */

Test(openai, scores_token_ids_in_one_batched_request)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;

	cr_assert_not_null(fs);
	open_ok(&b, fs, "concurrency=1", NULL);
	score_ok(&b, REQS, N_REQS);

	/* 4 prompts, batch 16, one connection: one scoring request; 7 distinct strings tokenized (+1 probe) */
	cr_assert_eq(fs_get(fs, &fs->n_completions), 1);
	cr_assert_eq(fs_get(fs, &fs->n_tokenize), 1 + 7);
	assert_has(fs->last_body, "\"max_tokens\":0,\"echo\":true,\"logprobs\":1,\"temperature\":0");
	assert_has(fs->last_body, "\"prompt\":[[");
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, tokenizations_are_cached_across_calls)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	struct uh_score_req more[] = { { REQS[0].context, " a new answer", 0 } };
	struct uh_err err;

	open_ok(&b, fs, NULL);
	cr_assert_eq(uh_backend_score(&b, REQS, N_REQS, res, &err), 0, "%s", err.msg);
	uh_backend_free_score(&b, res, N_REQS);
	cr_assert_eq(fs_get(fs, &fs->n_tokenize), 1 + 7);
	score_ok(&b, REQS, N_REQS);
	cr_assert_eq(fs_get(fs, &fs->n_tokenize), 1 + 7, "all from the cache");
	score_ok(&b, more, 1);
	cr_assert_eq(fs_get(fs, &fs->n_tokenize), 1 + 7 + 1, "only the new answer");
	uh_backend_close(&b);
	fs_stop(fs);
}

/*
 * lm-eval's _encode_pair: the continuation's ids are those of the whole
 * text after the context's count, not the ids of the continuation alone
 * (they differ where the tokenizer merges across the seam; for the fake
 * server's words, a continuation that starts without a space).
 */
Test(openai, continuation_ids_come_from_the_whole_text)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_req q = { "Tell me", "more words", 0 };
	struct uh_score_res res;
	struct uh_err err;
	char want[128];
	int tell = fs_id("Tell", 4), me = fs_id("me", 2), words = fs_id("words", 5);

	open_ok(&b, fs, "concurrency=1", NULL);
	cr_assert_eq(uh_backend_score(&b, &q, 1, &res, &err), 0, "%s", err.msg);
	/* whole "Tell memore words" = [Tell, memore, words], ctx = [Tell, me]: cont = [words] */
	snprintf(want, sizeof(want), "\"prompt\":[[%d,%d,%d]]", tell, me, words);
	assert_has(fs->last_body, want);
	cr_assert_eq(res.n_tokens, 1);
	cr_assert_eq(res.logprob, fs_lp(words, 2));
	uh_backend_free_score(&b, &res, 1);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, choices_are_matched_by_index)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;

	fs->shuffle = 1;
	open_ok(&b, fs, "concurrency=1", NULL);
	score_ok(&b, REQS, N_REQS);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, eos_and_empty_context)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_req q[] = {
		{ "Question: a b\nAnswer:", " c d e", UH_SCORE_EOS },
		{ "", "first words of a text", 0 },
		{ "context only", "", 0 },
	};
	struct uh_score_res res[3];
	struct uh_err err;

	fs->no_eos_id = 1;  /* the eos id comes from tokenizing eos_token "</s>" */
	open_ok(&b, fs, NULL);
	cr_assert_eq(uh_backend_score(&b, q, 3, res, &err), 0, "%s", err.msg);
	check_results(q, res, 2);
	cr_assert_eq(res[0].token_logprobs[res[0].n_tokens - 1], -0.5);
	cr_assert_eq(res[2].n_tokens, 0);
	cr_assert_eq(res[2].logprob, 0);
	uh_backend_free_score(&b, res, 3);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, string_prompts_split_by_text_offset)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	struct uh_err err;

	open_ok(&b, fs, "tokenize=no", "concurrency=1", NULL);
	score_ok(&b, REQS, N_REQS);
	assert_has(fs->last_body, "\"prompt\":[\"Question: who wrote");
	cr_assert_eq(fs_get(fs, &fs->n_tokenize), 0);

	/* EOS needs token ids */
	{
		struct uh_score_req e = { "a", " b", UH_SCORE_EOS };

		cr_assert_lt(uh_backend_score(&b, &e, 1, res, &err), 0);
		assert_has(err.msg, "needs the server's /tokenize");
	}
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, tokenize_auto_falls_back_and_yes_insists)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_err err;
	struct opts o = { 0 };
	char url[128];

	fs->no_tokenize = 1;
	open_ok(&b, fs, NULL);
	score_ok(&b, REQS, N_REQS);
	assert_has(fs->last_body, "\"prompt\":[\"");
	uh_backend_close(&b);

	snprintf(url, sizeof(url), "url=%s", fs->url);
	opts_add(&o, url, "model=fake", "tokenize=yes", NULL);
	cr_assert_eq(open_with(&b, &o, &err), UH_EINVAL);
	assert_has(err.msg, "tokenize=yes but POST");
	assert_has(err.msg, "/tokenize does not work (HTTP 404");
	fs_stop(fs);
}

Test(openai, batches_of_batch_prompts)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_req q[40];
	char ctx[40][64];

	for (int i = 0; i < 40; i++) {
		snprintf(ctx[i], sizeof(ctx[i]), "context number %d", i);
		q[i] = (struct uh_score_req){ ctx[i], " and its answer", 0 };
	}
	open_ok(&b, fs, "batch=16", "concurrency=2", NULL);
	score_ok(&b, q, 40);
	cr_assert_eq(fs_get(fs, &fs->n_completions), 3);  /* 16 + 16 + 8 */
	uh_backend_close(&b);

	/* 8 connections: 40 prompts are spread as 8 requests of 5, not 3 of 16 */
	open_ok(&b, fs, "batch=16", "concurrency=8", NULL);
	score_ok(&b, q, 40);
	cr_assert_eq(fs_get(fs, &fs->n_completions), 3 + 8);
	uh_backend_close(&b);
	fs_stop(fs);
}

/* ------------------------------------------------------------ concurrency and balancing */

Test(openai, requests_overlap)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_req q[8];
	char ctx[8][32];
	double t0;

	small_reqs(q, ctx, 8);
	open_ok(&b, fs, "batch=1", "concurrency=4", NULL);
	fs->delay_ms = 150;
	t0 = now_s();
	score_ok(&b, q, 8);
	cr_assert_eq(fs_get(fs, &fs->n_completions), 8);
	cr_assert_geq(fs_get(fs, &fs->max_inflight), 2, "max in flight %d", fs->max_inflight);
	cr_assert_lt(now_s() - t0, 8 * 0.15 * 0.85, "no overlap: %g s", now_s() - t0);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, balances_two_urls)
{
	struct fake_server *a = fs_start(), *z = fs_start();
	struct uh_backend b;
	struct uh_score_req q[12];
	char ctx[12][32], urls[300];
	struct opts o = { 0 };
	struct uh_err err;

	small_reqs(q, ctx, 12);
	snprintf(urls, sizeof(urls), "url=%s,%s", a->url, z->url);
	opts_add(&o, urls, "model=fake", "batch=1", "concurrency=4", NULL);
	cr_assert_eq(open_with(&b, &o, &err), 0, "%s", err.msg);
	a->delay_ms = z->delay_ms = 30;  /* requests overlap: the least busy endpoint wins */
	score_ok(&b, q, 12);
	cr_assert_geq(fs_get(a, &a->n_completions), 4, "a got %d", a->n_completions);
	cr_assert_geq(fs_get(z, &z->n_completions), 4, "b got %d", z->n_completions);
	cr_assert_eq(a->n_completions + z->n_completions, 12);
	cr_assert_geq(fs_get(z, &z->n_tokenize), 4, "tokenize requests are balanced too");
	assert_has(uh_backend_model_id(&b), "openai:fake@127.0.0.1:");
	uh_backend_close(&b);
	fs_stop(a);
	fs_stop(z);
}

/* ------------------------------------------------------------ retries */

Test(openai, retry_goes_to_the_other_endpoint)
{
	struct fake_server *a = fs_start(), *z = fs_start();
	struct uh_backend b;
	struct uh_score_req q[6];
	char ctx[6][32], urls[300];
	struct opts o = { 0 };
	struct uh_err err;

	small_reqs(q, ctx, 6);
	snprintf(urls, sizeof(urls), "url=%s,%s", a->url, z->url);
	opts_add(&o, urls, "model=fake", "batch=1", "concurrency=2", "retries=1", "backoff=0.01", NULL);
	cr_assert_eq(open_with(&b, &o, &err), 0, "%s", err.msg);
	fail_scoring(a, 1000, 503);  /* a is down for scoring */
	score_ok(&b, q, 6);
	cr_assert_eq(fs_get(z, &z->n_completions), 6);
	uh_backend_close(&b);
	fs_stop(a);
	fs_stop(z);
}

Test(openai, retries_500_then_succeeds)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;

	open_ok(&b, fs, "concurrency=1", NULL);
	fail_scoring(fs, 2, 500);
	score_ok(&b, REQS, N_REQS);
	cr_assert_eq(fs_get(fs, &fs->n_completions), 3);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, retries_429_after_retry_after)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	struct uh_err err;
	double t0;

	/* a long backoff: Retry-After: 0 must win over it */
	open_ok(&b, fs, "concurrency=1", "backoff=5", "backoff_cap=5", NULL);
	fail_scoring(fs, 1, 429);
	fs->retry_after = "0";
	t0 = now_s();
	cr_assert_eq(uh_backend_score(&b, REQS, N_REQS, res, &err), 0, "%s", err.msg);
	cr_assert_lt(now_s() - t0, 2.0);
	check_results(REQS, res, N_REQS);
	uh_backend_free_score(&b, res, N_REQS);
	cr_assert_eq(fs_get(fs, &fs->n_completions), 2);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, bounded_retries_then_clear_error)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	char msg[1024];

	open_ok(&b, fs, "concurrency=1", "retries=2", NULL);
	fail_scoring(fs, 1000, 503);
	cr_assert_eq(fs_raw_score(&b, REQS, N_REQS, res, msg, sizeof(msg)), UH_EIO);
	assert_has(msg, "HTTP 503");
	assert_has(msg, "after 3 attempts");
	assert_has(msg, "/v1/completions");
	cr_assert_eq(fs_get(fs, &fs->n_completions), 3);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, status_400_is_not_retried)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	char msg[1024];

	open_ok(&b, fs, "concurrency=1", NULL);
	fail_scoring(fs, 1000, 400);
	cr_assert_eq(fs_raw_score(&b, REQS, N_REQS, res, msg, sizeof(msg)), UH_EINVAL);
	assert_has(msg, "HTTP 400");
	assert_has(msg, "after 1 attempt)");
	cr_assert_eq(fs_get(fs, &fs->n_completions), 1);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, slow_answer_times_out_then_fails)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	char msg[1024];

	open_ok(&b, fs, "concurrency=1", "timeout=0.2", "retries=1", NULL);
	fs->delay_ms = 700;
	cr_assert_eq(fs_raw_score(&b, REQS, N_REQS, res, msg, sizeof(msg)), UH_EIO);
	assert_has(msg, "timed out after 0.2 s");
	assert_has(msg, "after 2 attempts");
	cr_assert_eq(fs_get(fs, &fs->n_completions), 2);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, connection_closed_mid_body)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	char msg[1024];

	open_ok(&b, fs, "retries=1", NULL);
	fs->close_n = 1;  /* once: retried */
	score_ok(&b, REQS, N_REQS);
	fs->close_n = 1000;  /* always: an error */
	cr_assert_eq(fs_raw_score(&b, REQS, N_REQS, res, msg, sizeof(msg)), UH_EIO);
	assert_has(msg, "after 2 attempts");
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, connection_refused)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	char msg[1024];

	open_ok(&b, fs, "retries=1", NULL);
	fs_stop(fs);  /* nobody listens there any more */
	cr_assert_eq(fs_raw_score(&b, REQS, N_REQS, res, msg, sizeof(msg)), UH_EIO);
	assert_has(msg, "tokenize: request ");
	assert_has(msg, "/tokenize: Couldn't connect to server");
	assert_has(msg, "after 2 attempts");
	uh_backend_close(&b);
}

Test(openai, oversized_answer_is_an_error)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	char msg[1024];

	open_ok(&b, fs, "max_response=100000", NULL);
	fs->huge = 300000;
	cr_assert_eq(fs_raw_score(&b, REQS, N_REQS, res, msg, sizeof(msg)), UH_EIO);
	assert_has(msg, "larger than the 100000-byte cap");
	assert_has(msg, "after 1 attempt)");
	uh_backend_close(&b);
	fs_stop(fs);
}

/* ------------------------------------------------------------ bad answers */

static void bad_answer(void (*set)(struct fake_server *), const char *want1, const char *want2)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	struct uh_err err;
	char msg[1024];

	open_ok(&b, fs, "concurrency=1", NULL);  /* all four prompts in one request */
	set(fs);
	cr_assert_eq(fs_raw_score(&b, REQS, N_REQS, res, msg, sizeof(msg)), UH_EINVAL, "%s", msg);
	assert_has(msg, want1);
	assert_has(msg, want2);
	assert_has(msg, fs->url);
	for (size_t i = 0; i < N_REQS; i++)
		cr_assert_null(res[i].token_logprobs, "results are freed on failure");
	/* through the registry: an error, never a number */
	cr_assert_lt(uh_backend_score(&b, REQS, N_REQS, res, &err), 0);
	uh_backend_close(&b);
	fs_stop(fs);
}

static void set_nan(struct fake_server *fs)
{
	fs->poison_choice = 1;
	fs->poison_pos = 9;
	fs->poison_text = "NaN";
}

static void set_clamp(struct fake_server *fs)
{
	fs->poison_choice = 2;
	fs->poison_pos = 11;
	fs->poison_text = "-9999.0";
}

static void set_null(struct fake_server *fs)
{
	fs->poison_choice = 0;
	fs->poison_pos = 8;
	fs->poison_text = "null";
}

static void set_positive(struct fake_server *fs)
{
	fs->poison_choice = 3;
	fs->poison_pos = 4;
	fs->poison_text = "0.5";
}

static void set_truncated(struct fake_server *fs)
{
	fs->truncate = 1;
}

static void set_extra(struct fake_server *fs)
{
	fs->extra_len = 1;
}

static void set_nologprobs(struct fake_server *fs)
{
	fs->drop_logprobs = 1;
}

Test(openai, nan_token)
{
	bad_answer(set_nan, "non-finite number ('NaN", "score http request 0");
}

Test(openai, clamp_value)
{
	bad_answer(set_clamp, "score request 2 (http request 0, choice 2", "token_logprobs[11] is -9999 (vLLM's clamp");
}

Test(openai, null_in_scored_position)
{
	bad_answer(set_null, "score request 0 (http request 0, choice 0", "token_logprobs[8] is null in a scored position");
}

Test(openai, positive_logprob)
{
	bad_answer(set_positive, "score request 3", "token_logprobs[4] is 0.5");
}

Test(openai, truncated_json)
{
	bad_answer(set_truncated, "truncated", "score http request 0");
}

Test(openai, wrong_length)
{
	bad_answer(set_extra, "token_logprobs has 13 entries for a prompt of 12 tokens", "score request 0");
}

Test(openai, missing_logprobs)
{
	bad_answer(set_nologprobs, "logprobs is missing", "score request 0");
}

Test(openai, null_context_logprob_is_fine)
{
	/* position 0 is always null and never scored: covered by every good answer; a null
	 * in the last context position is fine too */
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_req q = { "a b c", " d e", 0 };
	struct uh_score_res res;
	struct uh_err err;

	open_ok(&b, fs, NULL);
	fs->poison_choice = 0;
	fs->poison_pos = 2;
	fs->poison_text = "null";
	cr_assert_eq(uh_backend_score(&b, &q, 1, &res, &err), 0, "%s", err.msg);
	check_results(&q, &res, 1);
	uh_backend_free_score(&b, &res, 1);
	uh_backend_close(&b);
	fs_stop(fs);
}

/* ------------------------------------------------------------ the key */

Test(openai, api_key_sent_and_never_shown)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	char msg[1024];
	struct uh_err err;
	struct opts o = { 0 };
	char url[128];

	setenv("UH_TEST_SECRET", "sk-test-0123456789abcdef", 1);
	open_ok(&b, fs, "api_key_env=UH_TEST_SECRET", NULL);
	cr_assert_str_eq(fs->auth, "Bearer sk-test-0123456789abcdef");
	cr_assert_null(strstr(uh_backend_model_id(&b), "sk-test"));

	/* a server that quotes the header back in its error */
	fs->echo_auth = 1;
	fail_scoring(fs, 1000, 401);
	cr_assert_eq(fs_raw_score(&b, REQS, N_REQS, res, msg, sizeof(msg)), UH_EINVAL);
	assert_has(msg, "HTTP 401");
	assert_has(msg, "Bearer ***");
	cr_assert_null(strstr(msg, "sk-test"), "%s", msg);
	cr_assert_lt(uh_backend_score(&b, REQS, N_REQS, res, &err), 0);
	cr_assert_null(strstr(err.msg, "sk-test"), "%s", err.msg);
	fs->fail_status = 500;
	fs->fail_path = "/tokenize";
	{
		/* strings not tokenized (and cached) yet */
		struct uh_score_req q = { "fresh context", " fresh answer", 0 };

		cr_assert_eq(fs_raw_score(&b, &q, 1, res, msg, sizeof(msg)), UH_EIO);
	}
	cr_assert_null(strstr(msg, "sk-test"), "%s", msg);
	uh_backend_close(&b);

	/* no key in the default variable: no header */
	fs->fail_n = 0;
	unsetenv("OPENAI_API_KEY");
	open_ok(&b, fs, NULL);
	cr_assert_str_eq(fs->auth, "");
	uh_backend_close(&b);

	/* a named variable that is not set is an error */
	snprintf(url, sizeof(url), "url=%s", fs->url);
	opts_add(&o, url, "api_key_env=UH_TEST_NO_SUCH_VAR", NULL);
	cr_assert_eq(open_with(&b, &o, &err), UH_EINVAL);
	assert_has(err.msg, "environment variable 'UH_TEST_NO_SUCH_VAR' (named by api_key_env) is not set");
	fs_stop(fs);
}

Test(openai, long_key_cut_by_the_excerpt_is_not_shown)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	char key[241], msg[1024];

	/* a key longer than the 200-byte excerpt of a server's answer (a JWT, say) */
	memcpy(key, "sk-", 3);
	for (size_t i = 3; i < sizeof(key) - 1; i++)
		key[i] = (char)('a' + i % 26);
	key[sizeof(key) - 1] = '\0';
	setenv("UH_TEST_LONG_SECRET", key, 1);
	open_ok(&b, fs, "api_key_env=UH_TEST_LONG_SECRET", NULL);
	fs->echo_auth = 1;
	fail_scoring(fs, 1000, 401);
	cr_assert_eq(fs_raw_score(&b, REQS, N_REQS, res, msg, sizeof(msg)), UH_EINVAL);
	assert_has(msg, "HTTP 401");
	assert_has(msg, "Bearer ***");
	key[24] = '\0'; /* no part of it either */
	cr_assert_null(strstr(msg, key), "%s", msg);
	uh_backend_close(&b);
	unsetenv("UH_TEST_LONG_SECRET");
	fs_stop(fs);
}

/* Scrub msg with a client whose key is key. */
static void scrub_with(const char *key, char *msg)
{
	const char *url = "http://127.0.0.1:9/v1";
	struct uh_http_opts o = { .urls = &url, .n_urls = 1, .concurrency = 1, .timeout_s = 1,
				  .api_key = key };
	struct uh_http *h;
	struct uh_err err;

	uh_err_clear(&err);
	cr_assert_eq(uh_http_new(&h, &o, &err), 0, "%s", err.msg);
	uh_http_scrub(h, msg);
	uh_http_free(h);
}

Test(http, scrub_short_keys_in_place, .timeout = 10)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "%s", "HTTP 401: key sk-123 is wrong: sk-123");
	scrub_with("sk-123", msg);
	cr_assert_str_eq(msg, "HTTP 401: key *** is wrong: ***");
	/* shorter than "***": as many stars, never a longer text, never a garbled one */
	snprintf(msg, sizeof(msg), "%s", "HTTP 401: bad key x (x)");
	scrub_with("x", msg);
	cr_assert_str_eq(msg, "HTTP 401: bad key * (*)");
	snprintf(msg, sizeof(msg), "%s", "ab|ab|ab");
	scrub_with("ab", msg);
	cr_assert_str_eq(msg, "**|**|**");
	/* a key that its own replacement contains: no endless loop */
	snprintf(msg, sizeof(msg), "%s", "a * and ** here");
	scrub_with("*", msg);
	cr_assert_str_eq(msg, "a * and ** here");
}

Test(openai, credentials_in_url_are_refused)
{
	struct opts o = { 0 };
	struct uh_backend b;
	struct uh_err err;

	opts_add(&o, "url=http://user:hunter2@127.0.0.1:1/v1", "model=m", NULL);
	cr_assert_eq(open_with(&b, &o, &err), UH_EINVAL);
	cr_assert_null(strstr(err.msg, "hunter2"), "%s", err.msg);
}

/* ------------------------------------------------------------ options, model, generate, tokenize */

Test(openai, bad_options)
{
	struct opts o = { 0 };
	struct uh_backend b;
	struct uh_err err;

	opts_add(&o, "url=http://127.0.0.1:1/v1", "colour=blue", NULL);
	cr_assert_eq(open_with(&b, &o, &err), UH_EINVAL);
	assert_has(err.msg, "unknown option 'colour' (known: url model");
	o.n = 0;
	opts_add(&o, "url=http://127.0.0.1:1/v1", "concurrency=0", NULL);
	cr_assert_eq(open_with(&b, &o, &err), UH_EINVAL);
	assert_has(err.msg, "concurrency must be an integer 1..4096, got '0'");
	o.n = 0;
	opts_add(&o, "model=m", NULL);
	cr_assert_eq(open_with(&b, &o, &err), UH_EINVAL);
	assert_has(err.msg, "no url given");
	o.n = 0;
	opts_add(&o, "url=ftp://x/v1", NULL);
	cr_assert_eq(open_with(&b, &o, &err), UH_EINVAL);
	assert_has(err.msg, "must start with http://");
}

Test(openai, model_from_v1_models)
{
	struct fake_server *fs = fs_start();
	struct opts o = { 0 };
	struct uh_backend b;
	struct uh_err err;
	char url[128], want[128];

	snprintf(url, sizeof(url), "url=%s/", fs->url);
	opts_add(&o, url, NULL);
	cr_assert_eq(open_with(&b, &o, &err), 0, "%s", err.msg);
	snprintf(want, sizeof(want), "openai:fake-model@127.0.0.1:%d", fs->port);
	cr_assert_str_eq(uh_backend_model_id(&b), want);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, generate_and_tokenize)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	const char *stop[] = { "w1" };
	struct uh_gen_req q[] = {
		{ "Question: x\nAnswer:", 2, NULL, 0 },
		{ "Question: y\nAnswer:", 10, NULL, 0 },
		{ "Question: z\nAnswer:", 10, stop, 1 },
		{ "Question: z\nAnswer:", 0, NULL, 0 },
	};
	struct uh_gen_res r[4];
	struct uh_err err;
	int64_t n;

	open_ok(&b, fs, NULL);
	cr_assert_eq(uh_backend_generate(&b, q, 4, r, &err), 0, "%s", err.msg);
	cr_assert_str_eq(r[0].text, "w0 w1");
	cr_assert_eq(r[0].finish_reason, UH_FINISH_LENGTH);
	cr_assert_eq(r[0].n_tokens, 2);
	cr_assert_str_eq(r[1].text, "w0 w1 w2");
	cr_assert_eq(r[1].finish_reason, UH_FINISH_EOS);
	cr_assert_eq(r[1].n_tokens, 4);
	cr_assert_str_eq(r[2].text, "w0 ");
	cr_assert_eq(r[2].finish_reason, UH_FINISH_STOP);
	cr_assert_str_eq(r[3].text, "");
	cr_assert_eq(r[3].finish_reason, UH_FINISH_LENGTH);
	uh_backend_free_gen(&b, r, 4);
	cr_assert_eq(fs_get(fs, &fs->n_completions), 3);
	cr_assert_eq(uh_backend_generate(&b, &q[2], 1, r, &err), 0, "%s", err.msg);
	uh_backend_free_gen(&b, r, 1);
	assert_has(fs->last_body, "\"max_tokens\":10,\"temperature\":0,\"seed\":1234,\"stop\":[\"w1\"]");

	cr_assert_eq(uh_backend_tokenize(&b, "one two three", &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 3);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(openai, generate_rejects_bad_answers)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_gen_req q = { "p", 5, NULL, 0 };
	struct uh_gen_res r;
	char msg[1024];

	open_ok(&b, fs, "retries=0", NULL);
	fs->truncate = 1;
	memset(&r, 0, sizeof(r));
	cr_assert_eq(b.api->generate(b.state, &q, 1, &r, msg, sizeof(msg)), UH_EINVAL);
	assert_has(msg, "generate request 0");
	assert_has(msg, "truncated");
	cr_assert_null(r.text);
	uh_backend_close(&b);
	fs_stop(fs);
}

/* ------------------------------------------------------------ the http layer alone */

Test(openai, generated_nul_is_an_error_not_a_cut_text)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_gen_req g = { "say it", 8, NULL, 0 };
	struct uh_gen_res res;
	struct uh_err err;

	open_ok(&b, fs, NULL);
	fs->gen_raw = "w0\\u0000 w1";
	uh_err_clear(&err);
	cr_assert_eq(uh_backend_generate(&b, &g, 1, &res, &err), UH_EIO, "%s", err.msg);
	assert_has(err.msg, "u0000");
	/* an escaped backslash before "u0000" is text */
	fs->gen_raw = "w0\\\\u0000 w1";
	cr_assert_eq(uh_backend_generate(&b, &g, 1, &res, &err), 0, "%s", err.msg);
	cr_assert_str_eq(res.text, "w0\\u0000 w1");
	uh_backend_free_gen(&b, &res, 1);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(http, json_string_escaping)
{
	struct uh_http_buf b = { 0 };

	uh_http_buf_add_json_str(&b, "a\"b\\c\nd\te\x01\xc3\xa9");
	cr_assert_str_eq(b.p, "\"a\\\"b\\\\c\\nd\\te\\u0001\xc3\xa9\"");
	uh_http_buf_release(&b);
	b.max = 8;
	uh_http_buf_puts(&b, "0123456789");
	cr_assert(b.failed, "the cap holds");
	uh_http_buf_release(&b);
}

/* ------------------------------------------------------------ against uh serve */

static const char *const corpus[] = {
	"the cat sat on the mat. the dog sat on the log.",
	"the cat ate the fish and the dog ate the bone.",
	"a cat is not a dog, and a dog is not a cat.",
	"the mat was red and the log was brown.",
	"Question: where did the cat sit?\nAnswer: the cat sat on the mat.",
};

/*
 * The same model scored directly and through `uh serve` + the openai
 * backend (token ids, eos from /tokenizer_info, greedy from top_logprobs)
 * gives the same numbers.
 */
Test(openai_serve, matches_the_backend_it_serves)
{
	struct uh_backend direct, remote;
	struct uh_ngram *m = NULL;
	struct uh_serve_opts so;
	struct uh_server *srv = NULL;
	struct uh_err err;
	struct opts o = { 0 };
	char url[128];
	struct uh_score_req q[] = {
		{ "Question: where did the cat sit?\nAnswer:", " the cat sat on the mat.", UH_SCORE_EOS },
		{ "Question: where did the cat sit?\nAnswer:", " the dog sat on the log.", UH_SCORE_EOS },
		{ "the cat", " ate the fish", 0 },
		{ "a dog is", " not a cat", 0 },
	};
	struct uh_score_res want[4], got[4];
	struct uh_gen_req g = { "Question: where did the cat sit?\nAnswer:", 12, NULL, 0 };
	struct uh_gen_res gw, gg;

	uh_err_clear(&err);
	cr_assert_eq(uh_ngram_train(corpus, sizeof(corpus) / sizeof(corpus[0]), NULL, &m, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_backend_wrap(&direct, uh_ngram_backend(), m, "ngram", 1, &err), 0, "%s", err.msg);
	uh_serve_opts_init(&so);
	so.model = "tiny";
	so.threads = 2;
	cr_assert_eq(uh_serve_new(&direct, &so, &srv, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_serve_start(srv, &err), 0, "%s", err.msg);

	snprintf(url, sizeof(url), "url=http://127.0.0.1:%d/v1", uh_serve_port(srv));
	opts_add(&o, url, "batch=3", "tokenize=yes", NULL);
	cr_assert_eq(open_with(&remote, &o, &err), 0, "%s", err.msg);
	cr_assert(strstr(uh_backend_model_id(&remote), "openai:tiny@127.0.0.1:") != NULL);

	cr_assert_eq(uh_backend_score(&direct, q, 4, want, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_backend_score(&remote, q, 4, got, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(got[i].n_tokens, want[i].n_tokens, "request %zu: %lld tokens, want %lld", i,
			     (long long)got[i].n_tokens, (long long)want[i].n_tokens);
		cr_assert_float_eq(got[i].logprob, want[i].logprob, 1e-12, "request %zu: %.17g want %.17g", i,
				   got[i].logprob, want[i].logprob);
		cr_assert_eq(got[i].is_greedy, want[i].is_greedy, "request %zu", i);
		for (int64_t t = 0; t < want[i].n_tokens; t++)
			cr_assert_eq(got[i].token_greedy[t], want[i].token_greedy[t], "request %zu token %lld", i,
				     (long long)t);
	}
	uh_backend_free_score(&direct, want, 4);
	uh_backend_free_score(&remote, got, 4);

	cr_assert_eq(uh_backend_generate(&direct, &g, 1, &gw, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_backend_generate(&remote, &g, 1, &gg, &err), 0, "%s", err.msg);
	cr_assert_str_eq(gg.text, gw.text);
	cr_assert_eq(gg.finish_reason, gw.finish_reason);
	cr_assert_eq(gg.n_tokens, gw.n_tokens);
	{
		/* a stop string met: STOP through the server too, not the model's EOS */
		const char *sp = strchr(gw.text + 1, ' ');
		char stop[64];
		const char *stops[] = { stop };
		struct uh_gen_req gs = { g.prompt, 12, stops, 1 };
		struct uh_gen_res sw, sg;

		cr_assert_not_null(sp, "%s", gw.text);
		snprintf(stop, sizeof(stop), "%.*s", (int)strcspn(sp + 1, " .") + 1, sp);
		cr_assert_eq(uh_backend_generate(&direct, &gs, 1, &sw, &err), 0, "%s", err.msg);
		cr_assert_eq(uh_backend_generate(&remote, &gs, 1, &sg, &err), 0, "%s", err.msg);
		cr_assert_eq(sw.finish_reason, UH_FINISH_STOP, "stop '%s' in '%s'", stop, gw.text);
		cr_assert_str_eq(sg.text, sw.text);
		cr_assert_eq(sg.finish_reason, sw.finish_reason);
		uh_backend_free_gen(&direct, &sw, 1);
		uh_backend_free_gen(&remote, &sg, 1);
	}
	uh_backend_free_gen(&direct, &gw, 1);
	uh_backend_free_gen(&remote, &gg, 1);

	uh_backend_close(&remote);
	uh_serve_free(srv);
	uh_backend_close(&direct);
}

/* ------------------------------------------------------------ the flat JSON reader */

static int jparse(struct uh_http_jdoc *d, const char *s, char *why)
{
	return uh_http_jdoc_parse(d, s, strlen(s), why, 256);
}

Test(http, jdoc_reads_what_it_must)
{
	struct uh_http_jdoc d = { 0 };
	char why[256];
	const char *s = " {\"a\": [1, -0, 2.5e-3, -1E+2, 123456789012345678901, null, true, false],"
			" \"b\\\"q\": {\"x\": \"y\\u00e9\\n\"}, \"c\": {}, \"d\": [] } ";
	long a, b, x, e;
	double v;
	long long k;

	cr_assert_eq(jparse(&d, s, why), 0, "%s", why);
	cr_assert_eq(d.t[0].type, UH_JT_OBJ);
	cr_assert_eq(d.t[0].n, 4);
	a = uh_http_jdoc_get(&d, 0, "a");
	cr_assert_eq(d.t[a].type, UH_JT_ARR);
	cr_assert_eq(d.t[a].n, 8);
	e = a + 1;
	cr_assert_eq(uh_http_jdoc_num(&d, e, &v), 0);
	cr_assert_eq(v, 1);
	e = (long)d.t[e].next;
	cr_assert_eq(uh_http_jdoc_num(&d, e, &v), 0);
	cr_assert(v == 0 && signbit(v), "-0 keeps its sign");
	e = (long)d.t[e].next;
	cr_assert_eq(uh_http_jdoc_num(&d, e, &v), 0);
	cr_assert_eq(v, 2.5e-3);
	e = (long)d.t[e].next;
	cr_assert_eq(uh_http_jdoc_num(&d, e, &v), 0);
	cr_assert_eq(v, -100);
	e = (long)d.t[e].next;
	cr_assert_eq(uh_http_jdoc_num(&d, e, &v), 0);
	cr_assert_eq(v, 123456789012345678901.0);
	cr_assert_eq(uh_http_jdoc_int(&d, e, 0, 1e15, &k), -1, "out of range");
	e = (long)d.t[e].next;
	cr_assert_str_eq(uh_http_jdoc_kind(&d, e), "null");
	cr_assert_eq(uh_http_jdoc_num(&d, e, &v), -1);
	b = uh_http_jdoc_get(&d, 0, "b\\\"q");  /* keys compare raw */
	x = uh_http_jdoc_get(&d, b, "x");
	cr_assert_eq(d.t[x].type, UH_JT_STR);
	cr_assert_eq(d.t[x].end - d.t[x].start, strlen("y\\u00e9\\n"));
	cr_assert_eq(uh_http_jdoc_get(&d, 0, "zz"), -1);
	cr_assert_eq(uh_http_jdoc_get(&d, a, "a"), -1, "not an object");
	cr_assert_eq(d.t[uh_http_jdoc_get(&d, 0, "c")].n, 0);
	cr_assert_eq(d.t[uh_http_jdoc_get(&d, 0, "d")].n, 0);
	cr_assert_eq(d.t[0].next, d.n);
	uh_http_jdoc_release(&d);
}

Test(http, jdoc_rejects_what_it_must)
{
	static const char *const bad[] = {
		"", " ", "01", "1.", ".5", "-", "+1", "1e", "1e+", "tru", "nul", "[1,]", "[,1]", "{\"a\"1}",
		"{\"a\":1,}", "{a:1}", "\"\x01\"", "\"\\x\"", "\"\\u12g4\"", "[1] 2", "[1 2]", "{\"a\":}",
		"'a'", "[NaN]", "[-Infinity]", "Infinity", "[1, 2", "{\"a\": \"b", "[\"\\", "[1e",
	};
	static const char *const want[] = {
		"empty", "truncated", "at byte 1", "truncated", "at byte 0", "truncated", "at byte 0", "truncated",
		"truncated", "truncated", "truncated", "at byte 3", "at byte 1", "at byte 4", "at byte 7",
		"at byte 1", "at byte 1", "at byte 2", "at byte 2", "at byte 4", "at byte 3", "at byte 5",
		"at byte 0", "non-finite", "non-finite", "non-finite", "truncated", "truncated", "truncated",
		"truncated",
	};
	struct uh_http_jdoc d = { 0 };
	char why[256], deep[600];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(jparse(&d, bad[i], why), -1, "'%s' parsed", bad[i]);
		cr_assert(strstr(why, want[i]) != NULL, "'%s': '%s' lacks '%s'", bad[i], why, want[i]);
	}
	memset(deep, '[', 300);
	deep[300] = '\0';
	cr_assert_eq(jparse(&d, deep, why), -1);
	assert_has(why, "deeper than 128");
	uh_http_jdoc_release(&d);
}
