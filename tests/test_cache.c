/*
 * The request cache: keys that never collide, values that come back bit for
 * bit and are refused when damaged, the caching backend (only misses reach
 * the inner backend, answers in order, failures keep their code, read-only
 * mode), two processes sharing one database, and `uh run` end to end with
 * the counting plugin: a run killed mid-way leaves no run, its rerun asks
 * only for what was not answered and gets the metrics of an uncached run
 * bit for bit; a repeat asks nothing; other model ids, --no-cache and
 * damaged entries ask again.
 */
#include "harness/backends/cache.h"
#include "harness/backends/registry.h"
#include "results/cache.h"
#include "results/store.h"
#include "suites/synth_tofu.h"
#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------- fixture */

static char *dir;
static char db[4200];

static void setup(void)
{
	dir = uh_test_tmpdir();
	snprintf(db, sizeof(db), "%s/uh.db", dir);
}

static void teardown(void)
{
	uh_test_rm_rf(dir);
	free(dir);
}

TestSuite(cache, .init = setup, .fini = teardown);

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *h;
	char *msg = NULL;

	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 10000);
	cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql, msg ? msg : "");
	sqlite3_close(h);
}

static int warnings;
static char last_warning[2048];

static void count_warning(void *ctx, const char *msg)
{
	warnings++;
	snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

/* ---------------------------------------------------------------- keys */

Test(cache, keys_separate_every_field)
{
	char id1[65], id2[65], id3[65];
	struct uh_cache_key k[12];
	const char *st_ab[] = { "a", "b" }, *st_a_b[] = { "ab" }, *st_ba[] = { "b", "a" };
	struct uh_score_req s1 = { "ab", "c", 0 }, s2 = { "a", "bc", 0 }, s3 = { "ab", "c", UH_SCORE_EOS };
	struct uh_gen_req g1 = { "p", 10, st_ab, 2 }, g2 = { "p", 10, st_a_b, 1 }, g3 = { "p", 11, st_ab, 2 };
	struct uh_gen_req g4 = { "p", 10, st_ba, 2 }, g5 = { "p", 10, NULL, 0 };

	uh_cache_identity("counting", "m1", NULL, id1);
	uh_cache_identity("counting", "m2", NULL, id2);
	uh_cache_identity("countingm", "1", NULL, id3);
	cr_expect_str_neq(id1, id2);
	cr_expect_str_neq(id1, id3);
	uh_cache_key_score(id1, &s1, &k[0]);
	uh_cache_key_score(id1, &s2, &k[1]);
	uh_cache_key_score(id1, &s3, &k[2]);
	uh_cache_key_score(id2, &s1, &k[3]);
	uh_cache_key_gen(id1, &g1, &k[4]);
	uh_cache_key_gen(id1, &g2, &k[5]);
	uh_cache_key_gen(id1, &g3, &k[6]);
	uh_cache_key_gen(id1, &g4, &k[7]);
	uh_cache_key_gen(id1, &g5, &k[8]);
	uh_cache_key_tokenize(id1, "ab", &k[9]);
	uh_cache_key_tokenize(id2, "ab", &k[10]);
	uh_cache_key_score(id1, &s1, &k[11]);
	for (int i = 0; i < 11; i++) {
		cr_expect_eq(strlen(k[i].hex), 64);
		for (int j = i + 1; j < 11; j++)
			cr_expect_str_neq(k[i].hex, k[j].hex, "keys %d and %d collide", i, j);
	}
	cr_expect_str_eq(k[0].hex, k[11].hex, "the same request must give the same key");
}

/* ---------------------------------------------------------------- values */

static void put_samples(struct uh_cache *c, const char *id, struct uh_cache_key *ks,
			struct uh_cache_key *kg)
{
	static double tl[3] = { -0.0, -4.9406564584124654e-324, -1.2345678901234567 };
	static uint8_t tg[3] = { 1, 0, 1 };
	struct uh_score_req sq[2] = { { "ctx", "abc", 0 }, { "ctx", "", 0 } };
	struct uh_score_res sr[2] = {
		{ .logprob = -1.2345678901234567 - 4.9406564584124654e-324, .n_tokens = 3, .is_greedy = 0,
		  .token_logprobs = tl, .token_greedy = tg },
		{ .logprob = 0, .n_tokens = 0, .is_greedy = 1 },
	};
	struct uh_gen_req gq = { "prompt", 20, NULL, 0 };
	struct uh_gen_res gr = { .text = (char *)"caf\xc3\xa9 \xe2\x82\xac", .n_tokens = 4,
				 .finish_reason = UH_FINISH_STOP };
	struct uh_err e;

	sr[0].logprob = tl[0] + tl[1] + tl[2];
	uh_cache_key_score(id, &sq[0], &ks[0]);
	uh_cache_key_score(id, &sq[1], &ks[1]);
	uh_cache_key_gen(id, &gq, kg);
	cr_assert_eq(uh_cache_put_score(c, ks, sr, 2, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_cache_put_gen(c, kg, &gr, 1, &e), 0, "%s", e.msg);
}

Test(cache, values_round_trip_bit_for_bit)
{
	struct uh_cache *c;
	struct uh_cache_key ks[3], kg, kt;
	struct uh_score_res r[3];
	struct uh_gen_res g;
	unsigned char hit[3];
	struct uh_err e;
	char id[65];
	int64_t nt;
	double want;

	cr_assert_eq(uh_cache_open(&c, db, 0, &e), 0, "%s", e.msg);
	uh_cache_identity("t", "m", NULL, id);
	put_samples(c, id, ks, &kg);
	uh_cache_key_tokenize(id, "never stored", &ks[2]);
	cr_assert_eq(uh_cache_get_score(c, ks, 3, 1, r, hit, &e), 0, "%s", e.msg);
	cr_expect(hit[0] && hit[1] && !hit[2]);
	want = -0.0 + -4.9406564584124654e-324 + -1.2345678901234567;
	cr_expect_eq(memcmp(&r[0].logprob, &want, 8), 0);
	cr_expect_eq(r[0].n_tokens, 3);
	cr_assert_not_null(r[0].token_logprobs);
	cr_expect(signbit(r[0].token_logprobs[0]) && r[0].token_logprobs[0] == 0, "-0.0 kept");
	cr_expect_eq(r[0].token_logprobs[1], -4.9406564584124654e-324, "subnormal kept");
	cr_expect_eq(r[0].token_logprobs[2], -1.2345678901234567);
	cr_expect(r[0].token_greedy[0] == 1 && r[0].token_greedy[1] == 0 && r[0].token_greedy[2] == 1);
	cr_expect(r[1].n_tokens == 0 && r[1].logprob == 0 && r[1].is_greedy == 1 && !r[1].token_logprobs);
	uh_cache_free_score(r, 3);
	cr_assert_eq(uh_cache_get_gen(c, &kg, 1, &g, hit, &e), 0, "%s", e.msg);
	cr_expect(hit[0]);
	cr_expect_str_eq(g.text, "caf\xc3\xa9 \xe2\x82\xac");
	cr_expect(g.n_tokens == 4 && g.finish_reason == UH_FINISH_STOP);
	uh_cache_free_gen(&g, 1);
	/* the same key read as another kind is not an answer */
	cr_assert_eq(uh_cache_get_gen(c, ks, 1, &g, hit, &e), 0, "%s", e.msg);
	cr_expect(!hit[0] && !g.text);
	uh_cache_key_tokenize(id, "abc", &kt);
	cr_assert_eq(uh_cache_put_tokenize(c, &kt, 17, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_cache_get_tokenize(c, &kt, &nt, hit, &e), 0, "%s", e.msg);
	cr_expect(hit[0] && nt == 17);
	cr_expect_eq(uh_cache_stats(c)->stored, 4);
	uh_cache_close(c);
}

/* A flipped byte, a truncated value, a value under another key: misses with a warning. */
Test(cache, damaged_values_are_misses_with_a_warning)
{
	struct uh_cache *c;
	struct uh_cache_key ks[2], kg;
	struct uh_score_res r[2];
	struct uh_gen_res g;
	unsigned char hit[2];
	struct uh_err e;
	char id[65], sql[512];

	cr_assert_eq(uh_cache_open(&c, db, 0, &e), 0, "%s", e.msg);
	uh_cache_set_warn(c, count_warning, NULL);
	uh_cache_identity("t", "m", NULL, id);
	put_samples(c, id, ks, &kg);
	/* flip one byte in the logprob of the first score answer */
	snprintf(sql, sizeof(sql), "UPDATE request_cache SET value = substr(value, 1, 12) || "
		 "X'01' || substr(value, 14) WHERE key = '%s'", ks[0].hex);
	sql_exec(db, sql);
	/* move the generate answer under the second score key */
	snprintf(sql, sizeof(sql), "UPDATE request_cache SET value = (SELECT value FROM request_cache "
		 "WHERE key = '%s') WHERE key = '%s'", kg.hex, ks[1].hex);
	sql_exec(db, sql);
	warnings = 0;
	cr_assert_eq(uh_cache_get_score(c, ks, 2, 0, r, hit, &e), 0, "%s", e.msg);
	cr_expect(!hit[0] && !hit[1]);
	cr_expect(r[0].logprob == 0 && !r[0].token_logprobs);
	cr_expect_eq(warnings, 2);
	cr_expect(strstr(last_warning, "request cache: ignoring the entry") != NULL, "%s", last_warning);
	cr_expect_eq(uh_cache_stats(c)->corrupt, 2);
	/* truncate the generate answer */
	snprintf(sql, sizeof(sql), "UPDATE request_cache SET value = substr(value, 1, length(value) - 1) "
		 "WHERE key = '%s'", kg.hex);
	sql_exec(db, sql);
	cr_assert_eq(uh_cache_get_gen(c, &kg, 1, &g, hit, &e), 0, "%s", e.msg);
	cr_expect(!hit[0] && !g.text);
	cr_expect(strstr(last_warning, "wrong length") || strstr(last_warning, "checksum"), "%s",
		  last_warning);
	/* a text value where a blob belongs */
	snprintf(sql, sizeof(sql), "UPDATE request_cache SET value = 'garbage' WHERE key = '%s'", kg.hex);
	sql_exec(db, sql);
	cr_assert_eq(uh_cache_get_gen(c, &kg, 1, &g, hit, &e), 0, "%s", e.msg);
	cr_expect(!hit[0]);
	cr_expect_eq(warnings, 4);
	uh_cache_close(c);
}

Test(cache, memory_database_is_refused)
{
	struct uh_cache *c = NULL;
	struct uh_err e;

	cr_expect_eq(uh_cache_open(&c, ":memory:", 0, &e), UH_EINVAL);
	cr_expect_null(c);
	cr_expect(strstr(e.msg, "needs a database file") != NULL, "%s", e.msg);
}

/* ---------------------------------------------------------------- caching backend */

/* An in-process backend that records what it is asked. */
struct tb {
	int score_calls, gen_calls, tok_calls;
	size_t score_reqs;
	char last[64][64];      /* continuations of the last score call */
	size_t n_last;
	int fail;               /* 1: fail the call; 2: answer n_tokens 0 for request 0 */
	const char *id;
};

static int tb_open(const struct uh_backend_config *cfg, void **state, char *errbuf, size_t errlen)
{
	return -1;
}

static void tb_close(void *state)
{
}

static const char *tb_model_id(void *state)
{
	return ((struct tb *)state)->id;
}

static int tb_score(void *state, const struct uh_score_req *reqs, size_t n, struct uh_score_res *res,
		    char *errbuf, size_t errlen)
{
	struct tb *t = state;

	t->score_calls++;
	t->score_reqs += n;
	if (t->fail == 1) {
		snprintf(errbuf, errlen, "server went away");
		return -1;
	}
	t->n_last = n < 64 ? n : 64;
	for (size_t i = 0; i < n; i++) {
		int64_t k = (int64_t)strlen(reqs[i].continuation);

		if (i < 64)
			snprintf(t->last[i], sizeof(t->last[i]), "%s", reqs[i].continuation);
		res[i].n_tokens = k;
		res[i].logprob = k ? -0.1 * (double)k - 1e-17 * (double)strlen(reqs[i].context) : 0;
		res[i].is_greedy = k % 2 == 0;
	}
	if (t->fail == 2 && n)
		res[0].n_tokens = 0;
	return 0;
}

static void tb_free_score(void *state, struct uh_score_res *res, size_t n)
{
}

static int tb_generate(void *state, const struct uh_gen_req *reqs, size_t n, struct uh_gen_res *res,
		       char *errbuf, size_t errlen)
{
	struct tb *t = state;

	t->gen_calls++;
	for (size_t i = 0; i < n; i++) {
		res[i].text = strdup(reqs[i].prompt);
		res[i].n_tokens = 1;
		res[i].finish_reason = UH_FINISH_EOS;
	}
	return 0;
}

static void tb_free_gen(void *state, struct uh_gen_res *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(res[i].text);
}

static int tb_tokenize(void *state, const char *text, int64_t *n, char *errbuf, size_t errlen)
{
	((struct tb *)state)->tok_calls++;
	*n = (int64_t)strlen(text);
	return 0;
}

static const struct uh_backend_api tb_api = {
	.abi_version = UH_BACKEND_ABI_VERSION, .size = sizeof(struct uh_backend_api), .name = "tb",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE,
	.open = tb_open, .close = tb_close, .model_id = tb_model_id,
	.score = tb_score, .free_score = tb_free_score, .generate = tb_generate, .free_gen = tb_free_gen,
	.tokenize = tb_tokenize,
};

static const char *const words[] = { "a", "bb", "ccc", "dddd", "eeeee", "ffffff", "ggggggg" };

Test(cache, backend_sends_only_misses_and_keeps_order)
{
	struct tb t = { .id = "tb-1" };
	struct uh_backend inner, cb, direct;
	struct uh_cache *c;
	struct uh_score_req q[7];
	struct uh_score_res r[7], d[7];
	struct uh_gen_req gq[2] = { { "x", 5, NULL, 0 }, { "y", 5, NULL, 0 } };
	struct uh_gen_res gr[2];
	struct tb td = { .id = "tb-1" };
	struct uh_err e;
	int64_t n;

	cr_assert_eq(uh_cache_open(&c, db, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_wrap(&inner, &tb_api, &t, "tb", 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_wrap(&direct, &tb_api, &td, "tb", 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_cache_backend_wrap(&cb, &inner, c, NULL, &e), 0, "%s", e.msg);
	cr_expect_str_eq(cb.name, "tb");
	cr_expect_str_eq(uh_backend_model_id(&cb), "tb-1");
	cr_expect(uh_backend_has(&cb, UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE));
	cr_expect(!uh_backend_has(&cb, UH_CAN_TOKEN_IDS));
	for (int i = 0; i < 7; i++)
		q[i] = (struct uh_score_req){ "context", words[i], 0 };

	/* requests 0, 2, 4 first */
	struct uh_score_req first[3] = { q[0], q[2], q[4] };
	cr_assert_eq(uh_backend_score(&cb, first, 3, r, &e), 0, "%s", e.msg);
	uh_backend_free_score(&cb, r, 3);
	cr_expect(t.score_calls == 1 && t.score_reqs == 3);

	/* all seven: only 1, 3, 5, 6 reach the backend, in order; answers as the backend's */
	cr_assert_eq(uh_backend_score(&cb, q, 7, r, &e), 0, "%s", e.msg);
	cr_expect(t.score_calls == 2 && t.score_reqs == 7);
	cr_expect(t.n_last == 4 && !strcmp(t.last[0], "bb") && !strcmp(t.last[1], "dddd") &&
		  !strcmp(t.last[2], "ffffff") && !strcmp(t.last[3], "ggggggg"));
	cr_assert_eq(uh_backend_score(&direct, q, 7, d, &e), 0, "%s", e.msg);
	for (int i = 0; i < 7; i++) {
		cr_expect_eq(memcmp(&r[i].logprob, &d[i].logprob, 8), 0, "request %d", i);
		cr_expect(r[i].n_tokens == d[i].n_tokens && r[i].is_greedy == d[i].is_greedy);
	}
	uh_backend_free_score(&cb, r, 7);
	uh_backend_free_score(&direct, d, 7);

	/* all cached: nothing sent */
	cr_assert_eq(uh_backend_score(&cb, q, 7, r, &e), 0, "%s", e.msg);
	uh_backend_free_score(&cb, r, 7);
	cr_expect_eq(t.score_calls, 2);
	cr_expect_eq(uh_cache_stats(c)->hits, 3 + 7);
	cr_expect_eq(uh_cache_stats(c)->misses, 3 + 4);

	/* generate and tokenize */
	cr_assert_eq(uh_backend_generate(&cb, gq, 2, gr, &e), 0, "%s", e.msg);
	uh_backend_free_gen(&cb, gr, 2);
	cr_assert_eq(uh_backend_generate(&cb, gq, 2, gr, &e), 0, "%s", e.msg);
	cr_expect(!strcmp(gr[0].text, "x") && !strcmp(gr[1].text, "y") && gr[1].finish_reason == UH_FINISH_EOS);
	uh_backend_free_gen(&cb, gr, 2);
	cr_expect_eq(t.gen_calls, 1);
	cr_assert_eq(uh_backend_tokenize(&cb, "hello", &n, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_tokenize(&cb, "hello", &n, &e), 0, "%s", e.msg);
	cr_expect(n == 5 && t.tok_calls == 1);

	/* another model id shares nothing */
	t.id = "tb-2";
	uh_backend_close(&cb);
	cr_assert_eq(uh_cache_backend_wrap(&cb, &inner, c, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_score(&cb, q, 7, r, &e), 0, "%s", e.msg);
	uh_backend_free_score(&cb, r, 7);
	cr_expect(t.score_calls == 3 && t.score_reqs == 14);

	uh_backend_close(&cb);
	uh_backend_close(&inner);
	uh_backend_close(&direct);
	uh_cache_close(c);
}

Test(cache, backend_without_model_id_files_answers_by_configuration)
{
	struct tb t = { .id = NULL };
	struct uh_backend inner, cb;
	struct uh_cache *c;
	struct uh_score_req q = { "c", "x", 0 };
	struct uh_score_res r;
	const char *k[] = { "path" }, *v1[] = { "/models/a" }, *v2[] = { "/models/b" };
	struct uh_backend_config c1 = { .keys = k, .values = v1, .n = 1 }, c2 = { .keys = k, .values = v2, .n = 1 };
	struct uh_err e;

	cr_assert_eq(uh_cache_open(&c, db, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_wrap(&inner, &tb_api, &t, "tb", 0, &e), 0, "%s", e.msg);
	for (int round = 0; round < 3; round++) {
		cr_assert_eq(uh_cache_backend_wrap(&cb, &inner, c, round == 1 ? &c2 : &c1, &e), 0, "%s", e.msg);
		cr_assert_eq(uh_backend_score(&cb, &q, 1, &r, &e), 0, "%s", e.msg);
		uh_backend_free_score(&cb, &r, 1);
		uh_backend_close(&cb);
	}
	cr_expect_eq(t.score_calls, 2, "a, then b (another configuration), then a again from the cache");
	uh_backend_close(&inner);
	uh_cache_close(c);
}

/* The same model id asked to load another --model is another identity; options alone are not. */
Test(cache, requested_model_joins_the_identity)
{
	struct tb t = { .id = "tb-1" };
	struct uh_backend inner, cb;
	struct uh_cache *c;
	struct uh_score_req q = { "c", "x", 0 };
	struct uh_score_res r;
	const char *k[] = { "log" }, *v1[] = { "a.log" }, *v2[] = { "b.log" };
	struct uh_backend_config cfgs[4] = {
		{ .model = "m-a", .keys = k, .values = v1, .n = 1 },
		{ .model = "m-a", .keys = k, .values = v2, .n = 1 },
		{ .model = "m-b", .keys = k, .values = v1, .n = 1 },
		{ .model = NULL },
	};
	struct uh_err e;

	cr_assert_eq(uh_cache_open(&c, db, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_wrap(&inner, &tb_api, &t, "tb", 0, &e), 0, "%s", e.msg);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(uh_cache_backend_wrap(&cb, &inner, c, &cfgs[i], &e), 0, "%s", e.msg);
		cr_assert_eq(uh_backend_score(&cb, &q, 1, &r, &e), 0, "%s", e.msg);
		uh_backend_free_score(&cb, &r, 1);
		uh_backend_close(&cb);
	}
	cr_expect_eq(t.score_calls, 3, "m-a, (m-a with other options: cached), m-b, no model");
	uh_backend_close(&inner);
	uh_cache_close(c);
}

Test(cache, backend_failures_keep_their_message_and_code)
{
	struct tb t = { .id = "tb-1" };
	struct uh_backend inner, cb;
	struct uh_cache *c;
	struct uh_score_req q[3] = { { "c", "a", 0 }, { "c", "bb", 0 }, { "c", "ccc", 0 } };
	struct uh_score_res r[3];
	struct uh_err e;

	cr_assert_eq(uh_cache_open(&c, db, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_wrap(&inner, &tb_api, &t, "tb", 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_cache_backend_wrap(&cb, &inner, c, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_score(&cb, q, 1, r, &e), 0, "%s", e.msg);
	uh_backend_free_score(&cb, r, 1);

	t.fail = 1;
	cr_expect_eq(uh_backend_score(&cb, q, 3, r, &e), UH_EIO);
	cr_expect(strstr(e.msg, "backend 'tb' failed in score: server went away (request numbers count "
			 "only the 2 of these 3 requests that were not in the request cache)") != NULL,
		  "%s", e.msg);
	cr_expect_eq(uh_cache_backend_inner_code(&cb), UH_EIO);

	t.fail = 2;
	cr_expect_eq(uh_backend_score(&cb, q, 3, r, &e), UH_EIO);
	cr_expect(strstr(e.msg, "score request 0: n_tokens is 0") != NULL, "%s", e.msg);
	cr_expect_eq(uh_cache_backend_inner_code(&cb), UH_EINVAL);
	cr_expect_eq(uh_cache_stats(c)->stored, 1, "nothing from a failed batch is stored");

	t.fail = 0;
	cr_assert_eq(uh_backend_score(&cb, q, 3, r, &e), 0, "%s", e.msg);
	uh_backend_free_score(&cb, r, 3);
	cr_expect_eq(uh_cache_backend_inner_code(&cb), 0);
	uh_backend_close(&cb);
	uh_backend_close(&inner);
	uh_cache_close(c);
}

Test(cache, read_only_looks_up_but_never_writes)
{
	struct tb t = { .id = "tb-1" };
	struct uh_backend inner, cb;
	struct uh_cache *c, *ro;
	struct uh_score_req q[2] = { { "c", "a", 0 }, { "c", "bb", 0 } };
	struct uh_score_res r[2];
	struct uh_err e;
	int64_t n;

	cr_assert_eq(uh_cache_open(&c, db, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_wrap(&inner, &tb_api, &t, "tb", 0, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_cache_backend_wrap(&cb, &inner, c, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_score(&cb, q, 1, r, &e), 0, "%s", e.msg);
	uh_backend_free_score(&cb, r, 1);
	uh_backend_close(&cb);

	cr_assert_eq(uh_cache_open(&ro, db, UH_CACHE_READONLY, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_cache_backend_wrap(&cb, &inner, ro, NULL, &e), 0, "%s", e.msg);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(uh_backend_score(&cb, q, 2, r, &e), 0, "%s", e.msg);
		uh_backend_free_score(&cb, r, 2);
	}
	cr_expect_eq(t.score_reqs, 1 + 1 + 1, "the hit is used, the miss is asked each time");
	cr_expect_eq(uh_cache_stats(ro)->stored, 0);
	cr_assert_eq(uh_cache_count(c, &n, &e), 0, "%s", e.msg);
	cr_expect_eq(n, 1);
	uh_backend_close(&cb);
	uh_backend_close(&inner);
	uh_cache_close(ro);
	uh_cache_close(c);
}

/* ---------------------------------------------------------------- two processes */

/* One writer: 40 cache batches of 25 answers and 8 runs, a run held open a while. */
static int writer(int who)
{
	struct uh_cache *c;
	struct uh_store *st;
	struct uh_err e;
	char id[65], model[32];

	if (uh_store_open(&st, db, &e) || uh_cache_open(&c, db, 0, &e)) {
		fprintf(stderr, "writer %d: %s\n", who, e.msg);
		return 1;
	}
	uh_cache_identity("w", who ? "one" : "zero", NULL, id);
	snprintf(model, sizeof(model), "writer-%d", who);
	for (int it = 0; it < 40; it++) {
		struct uh_cache_key k[25];
		struct uh_score_res r[25];
		char ctx[32];

		for (int j = 0; j < 25; j++) {
			struct uh_score_req q = { ctx, "x", 0 };

			snprintf(ctx, sizeof(ctx), "%d-%d", it, j);
			uh_cache_key_score(id, &q, &k[j]);
			r[j] = (struct uh_score_res){ .logprob = -1.0 * j, .n_tokens = 1 };
		}
		if (uh_cache_put_score(c, k, r, 25, &e)) {
			fprintf(stderr, "writer %d cache: %s\n", who, e.msg);
			return 1;
		}
		if (it % 5 == 0) {
			struct uh_store_run_info info = { .suite = "tofu", .source = "run", .model = model };
			struct uh_store_metric m = { .name = "x", .value = it, .n = 1 };
			struct uh_store_run *run;

			if (uh_store_run_begin(st, &info, &run, &e) || uh_store_run_add_metric(run, &m, &e)) {
				fprintf(stderr, "writer %d run: %s\n", who, e.msg);
				return 1;
			}
			usleep(30000); /* the other process must wait for this transaction */
			if (uh_store_run_commit(run, &e)) {
				fprintf(stderr, "writer %d commit: %s\n", who, e.msg);
				return 1;
			}
		}
	}
	uh_cache_close(c);
	uh_store_close(st);
	return 0;
}

Test(cache, two_processes_write_one_database)
{
	pid_t pid[2];
	struct uh_store *st;
	struct uh_err e;

	/* create the file first, as a user's earlier run would have */
	cr_assert_eq(uh_store_open(&st, db, &e), 0, "%s", e.msg);
	uh_store_close(st);
	for (int w = 0; w < 2; w++) {
		pid[w] = fork();
		cr_assert_geq(pid[w], 0);
		if (pid[w] == 0)
			_exit(writer(w));
	}
	for (int w = 0; w < 2; w++) {
		int status = 0;

		cr_assert_eq(waitpid(pid[w], &status, 0), pid[w]);
		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed (status %d)", w,
			  status);
	}
	cr_expect_eq(uh_test_count(db, "SELECT count(*) FROM request_cache"), 2 * 40 * 25);
	cr_expect_eq(uh_test_count(db, "SELECT count(*) FROM runs WHERE status = 'complete'"), 2 * 8);
}

/* ---------------------------------------------------------------- uh run end to end */

static char data[4200], plugin[4200], out_path[4200], err_path[4200];

/* `uh run` of forget05 through the counting plugin into dbfile, logging to log. */
static int counting_run(const char *dbfile, const char *log, const char *extra1, const char *extra2)
{
	char logopt[4300];
	const char *args[32];
	int n = 0;

	snprintf(logopt, sizeof(logopt), "log=%s", log);
	args[n++] = "run";
	args[n++] = "--suite";
	args[n++] = "tofu";
	args[n++] = "--split";
	args[n++] = "forget05";
	args[n++] = "--data";
	args[n++] = data;
	args[n++] = "--backend";
	args[n++] = plugin;
	args[n++] = "--opt";
	args[n++] = logopt;
	args[n++] = "--db";
	args[n++] = dbfile;
	args[n++] = "--batch";
	args[n++] = "16";
	args[n++] = "--quiet";
	if (extra1)
		args[n++] = extra1;
	if (extra2)
		args[n++] = extra2;
	args[n] = NULL;
	return uh_test_run_uh(out_path, err_path, args);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The log's lines, sorted (the buffer is kept in *buf). */
static char **log_lines(const char *path, char **buf, size_t *n)
{
	size_t len;
	char **l;

	*n = 0;
	*buf = NULL;
	if (access(path, F_OK))
		return NULL;
	*buf = uh_test_slurp(path, &len);
	l = uh_test_lines(*buf, len, n);
	qsort(l, *n, sizeof(*l), cmp_str);
	return l;
}

static bool in_sorted(char **l, size_t n, const char *s)
{
	return l && bsearch(&s, l, n, sizeof(*l), cmp_str) != NULL;
}

/* Every metric, item value and generation of run ida in a and idb in b, compared bit for bit. */
static void expect_same_run(const char *a, int ida, const char *b, int idb)
{
	static const char *const sqls[] = {
		"SELECT name, value, ci_lo, ci_hi, n FROM metrics WHERE run_id = ?1 ORDER BY name",
		"SELECT task, idx, generation, values_json, 0 FROM items WHERE run_id = ?1 ORDER BY task, idx",
	};
	sqlite3 *ha, *hb;
	size_t rows = 0;

	cr_assert_eq(sqlite3_open(a, &ha), SQLITE_OK);
	cr_assert_eq(sqlite3_open(b, &hb), SQLITE_OK);
	for (int q = 0; q < 2; q++) {
		sqlite3_stmt *sa, *sb;
		int ra, rb;

		cr_assert_eq(sqlite3_prepare_v2(ha, sqls[q], -1, &sa, NULL), SQLITE_OK);
		cr_assert_eq(sqlite3_prepare_v2(hb, sqls[q], -1, &sb, NULL), SQLITE_OK);
		sqlite3_bind_int(sa, 1, ida);
		sqlite3_bind_int(sb, 1, idb);
		while ((ra = sqlite3_step(sa)) == SQLITE_ROW) {
			rb = sqlite3_step(sb);
			cr_assert_eq(rb, SQLITE_ROW, "%s: fewer rows in %s", sqls[q], b);
			for (int c = 0; c < 5; c++) {
				int ta = sqlite3_column_type(sa, c);

				cr_assert_eq(ta, sqlite3_column_type(sb, c));
				if (ta == SQLITE_FLOAT) {
					double x = sqlite3_column_double(sa, c), y = sqlite3_column_double(sb, c);

					cr_expect_eq(memcmp(&x, &y, 8), 0, "%s = %.17g vs %.17g",
						     sqlite3_column_text(sa, 0), x, y);
				} else if (ta != SQLITE_NULL) {
					cr_expect_str_eq((const char *)sqlite3_column_text(sa, c),
							 (const char *)sqlite3_column_text(sb, c));
				}
			}
			rows++;
		}
		cr_expect_eq(sqlite3_step(sb), SQLITE_DONE, "%s: more rows in %s", sqls[q], b);
		sqlite3_finalize(sa);
		sqlite3_finalize(sb);
	}
	cr_expect_gt(rows, 100);
	sqlite3_close(ha);
	sqlite3_close(hb);
}

static void e2e_setup(void)
{
	struct uh_err e;

	setup();
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(out_path, sizeof(out_path), "%s/stdout", dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", dir);
	snprintf(plugin, sizeof(plugin), "%s", uh_test_build("plugins/plugin_counting.so"));
	cr_assert_eq(access(plugin, R_OK), 0, "build the test plugins first (make test): %s", plugin);
	cr_assert_eq(uh_synth_tofu(data, 3, 100, 0, &e), 0, "%s", e.msg);
}

TestSuite(cache_run, .init = e2e_setup, .fini = teardown);

Test(cache_run, killed_run_resumes_without_asking_twice)
{
	char log1[4300], log2[4300], log3[4300], lognc[4300], fresh[4300], *b1, *b2, *bn, *b3, *out, *err;
	char **l1, **l2, **ln, **l3;
	size_t n1, n2, nn, n3, i;
	int status;

	snprintf(log1, sizeof(log1), "%s/log1", dir);
	snprintf(log2, sizeof(log2), "%s/log2", dir);
	snprintf(log3, sizeof(log3), "%s/log3", dir);
	snprintf(lognc, sizeof(lognc), "%s/lognc", dir);
	snprintf(fresh, sizeof(fresh), "%s/fresh.db", dir);

	/* 1. killed after 3 batches: no run, but the answers so far are kept */
	status = counting_run(db, log1, "--opt", "die_after=3");
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);
	cr_expect_eq(uh_test_count(db, "SELECT count(*) FROM runs"), 0);
	cr_expect_eq(uh_test_count(db, "SELECT count(*) FROM items"), 0);
	l1 = log_lines(log1, &b1, &n1);
	cr_assert_gt(n1, 48, "three batches of 16 plus the token counts");
	cr_expect_eq(uh_test_count(db, "SELECT count(*) FROM request_cache"), (long long)n1);

	/* 2. the same command again: it finishes, asking only what was not answered */
	status = counting_run(db, log2, NULL, NULL);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d: %s", status,
		  (err = uh_test_slurp(err_path, NULL)));
	out = uh_test_slurp(out_path, NULL);
	l2 = log_lines(log2, &b2, &n2);
	{
		char want[64];

		snprintf(want, sizeof(want), "cache: %zu hits, %zu misses", n1, n2);
		cr_expect(strstr(out, want) != NULL, "want '%s' in %s", want, out);
	}
	free(out);
	cr_expect_eq(uh_test_count(db, "SELECT count(*) FROM runs WHERE status = 'complete'"), 1);
	for (i = 0; i < n2; i++)
		cr_expect(!in_sorted(l1, n1, l2[i]), "asked twice: %s", l2[i]);

	/* 3. a fresh run without the cache asks exactly the union, and gets the same numbers */
	status = counting_run(fresh, lognc, "--no-cache", NULL);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	out = uh_test_slurp(out_path, NULL);
	cr_expect(strstr(out, "cache: off") != NULL, "%s", out);
	free(out);
	cr_expect_eq(uh_test_count(fresh, "SELECT count(*) FROM request_cache"), 0);
	ln = log_lines(lognc, &bn, &nn);
	cr_expect_eq(nn, n1 + n2);
	for (i = 0; i < nn; i++)
		cr_expect(in_sorted(l1, n1, ln[i]) || in_sorted(l2, n2, ln[i]), "never asked: %s", ln[i]);
	expect_same_run(db, 1, fresh, 1);

	/* 4. the same command once more: all hits, nothing sent */
	status = counting_run(db, log3, NULL, NULL);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	out = uh_test_slurp(out_path, NULL);
	{
		char want[64];

		snprintf(want, sizeof(want), "cache: %zu hits, 0 misses", nn);
		cr_expect(strstr(out, want) != NULL, "want '%s' in %s", want, out);
	}
	free(out);
	l3 = log_lines(log3, &b3, &n3);
	cr_expect_eq(n3, 0, "a fully cached run sends nothing");
	cr_expect_eq(uh_test_count(db, "SELECT count(*) FROM run_provenance WHERE run_id = 2 AND "
			       "key = 'request_cache' AND value LIKE '% hits, 0 misses'"), 1);
	free(l1);
	free(l2);
	free(ln);
	free(l3);
	free(b1);
	free(b2);
	free(bn);
	free(b3);
}

Test(cache_run, damage_other_models_and_no_cache_ask_again)
{
	char log1[4300], log2[4300], log3[4300], log4[4300], *b, *err;
	size_t n1, n;
	int status;

	snprintf(log1, sizeof(log1), "%s/log1", dir);
	snprintf(log2, sizeof(log2), "%s/log2", dir);
	snprintf(log3, sizeof(log3), "%s/log3", dir);
	snprintf(log4, sizeof(log4), "%s/log4", dir);
	status = counting_run(db, log1, NULL, NULL);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	free(log_lines(log1, &b, &n1));
	free(b);
	cr_assert_gt(n1, 1000);

	/* damage 7 entries: exactly those are asked again, with a warning each; same numbers */
	sql_exec(db, "UPDATE request_cache SET value = substr(value, 1, 14) || X'5A' || substr(value, 16) "
		     "WHERE key IN (SELECT key FROM request_cache ORDER BY key LIMIT 7)");
	status = counting_run(db, log2, NULL, NULL);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	free(log_lines(log2, &b, &n));
	free(b);
	cr_expect_eq(n, 7);
	err = uh_test_slurp(err_path, NULL);
	for (const char *p = err; (p = strstr(p, "uh run: warning: request cache: ignoring the entry")); p++)
		n--;
	cr_expect_eq(n, 0, "one warning per damaged entry: %s", err);
	free(err);
	expect_same_run(db, 1, db, 2);

	/* another model id: nothing shared */
	status = counting_run(db, log3, "--opt", "id=counting-v2");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	free(log_lines(log3, &b, &n));
	free(b);
	cr_expect_eq(n, n1);
	cr_expect_eq(uh_test_count(db, "SELECT count(*) FROM request_cache"), 2 * (long long)n1);

	/* --no-cache: everything is sent, nothing stored */
	status = counting_run(db, log4, "--no-cache", NULL);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	free(log_lines(log4, &b, &n));
	free(b);
	cr_expect_eq(n, n1);
	cr_expect_eq(uh_test_count(db, "SELECT count(*) FROM request_cache"), 2 * (long long)n1);
	cr_expect_eq(uh_test_count(db, "SELECT count(*) FROM run_provenance WHERE key = 'request_cache'"), 3);
	expect_same_run(db, 1, db, 4);

	/* --cache-read-only: hits are used, misses asked and not stored */
	status = counting_run(db, log4, "--cache-read-only", "--opt=id=counting-v3");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d: %s", status,
		  (err = uh_test_slurp(err_path, NULL)));
	free(log_lines(log4, &b, &n));
	free(b);
	cr_expect_eq(n, 2 * n1, "the --no-cache log and this one");
	cr_expect_eq(uh_test_count(db, "SELECT count(*) FROM request_cache"), 2 * (long long)n1);
	err = uh_test_slurp(out_path, NULL);
	cr_expect(strstr(err, "(read-only: none stored)") != NULL, "%s", err);
	free(err);
}
