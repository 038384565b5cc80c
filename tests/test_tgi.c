/*
 * harness/backends/tgi.c over real loopback HTTP against the fake server in
 * tests/fake_server.h (its TGI side: /generate with decoder_input_details,
 * /tokenize with byte offsets and a BOS, /info).
 */
#include "harness/backends/registry.h"
#include "harness/backends/tgi.h"
#include "tests/fake_server.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

static int open_tgi(struct uh_backend *b, struct fake_server *fs, const char *k2, const char *v2,
		    struct uh_err *err)
{
	const char *keys[] = { "url", "backoff", "backoff_cap", k2 };
	const char *vals[] = { fs->root, "0.01", "0.02", v2 };
	struct uh_backend_config cfg = { .keys = keys, .values = vals, .n = k2 ? 4 : 3 };

	uh_err_clear(err);
	return uh_backend_open(b, "tgi", &cfg, err);
}

static void assert_has(const char *hay, const char *needle)
{
	cr_assert(strstr(hay, needle) != NULL, "'%s' not in '%s'", needle, hay);
}

/* Expected sum: prefill position of word i is i + 1 (after the BOS). */
static double expect(const char *ctx, const char *cont, int eos, int64_t *n)
{
	int a[256], c[256];
	size_t na = fs_words(ctx, a, NULL, NULL, NULL, 256), nc = fs_words(cont, c, NULL, NULL, NULL, 256);
	double sum = 0;

	if (eos)
		c[nc++] = FS_EOS;
	for (size_t t = 0; t < nc; t++)
		sum += fs_lp(c[t], (int)(1 + na + t));
	*n = (int64_t)nc;
	return sum;
}

static const struct uh_score_req REQS[] = {
	{ "Question: who wrote the book ?\nAnswer:", " The author is Jane Doe", 0 },
	{ "Question: where was she born ?\nAnswer:", " In a small town", 0 },
	{ "", "A text with no context", 0 },
};
#define N_REQS (sizeof(REQS) / sizeof(REQS[0]))

/* ------------------------------------------------------------ tests */

Test(tgi, scores_from_prefill)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	struct uh_err err;
	char want[128];

	cr_assert_eq(open_tgi(&b, fs, NULL, NULL, &err), 0, "%s", err.msg);
	snprintf(want, sizeof(want), "tgi:fake/tgi-model@127.0.0.1:%d", fs->port);
	cr_assert_str_eq(uh_backend_model_id(&b), want);
	cr_assert(!uh_backend_has(&b, UH_CAN_TOKEN_LOGPROBS), "no greedy flags are advertised");
	cr_assert_eq(uh_backend_score(&b, REQS, N_REQS, res, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < N_REQS; i++) {
		int64_t n;
		double s = expect(REQS[i].context, REQS[i].continuation, 0, &n);

		cr_assert_eq(res[i].n_tokens, n, "request %zu", i);
		cr_assert_eq(res[i].logprob, s, "request %zu: %.17g want %.17g", i, res[i].logprob, s);
		cr_assert_eq(res[i].is_greedy, 0);
		cr_assert_null(res[i].token_logprobs);
		cr_assert_null(res[i].token_greedy);
	}
	uh_backend_free_score(&b, res, N_REQS);
	cr_assert_eq(fs_get(fs, &fs->n_generate), 3);
	cr_assert_eq(fs_get(fs, &fs->n_tokenize), 3);
	assert_has(fs->last_body, "\"max_new_tokens\":1,\"do_sample\":false,\"details\":true,\"decoder_input_details\":true");
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(tgi, tokenize_without_bos)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	struct uh_err err;

	fs->tgi_no_bos = 1;
	cr_assert_eq(open_tgi(&b, fs, NULL, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_backend_score(&b, REQS, 2, res, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < 2; i++) {
		int64_t n;
		double s = expect(REQS[i].context, REQS[i].continuation, 0, &n);

		cr_assert_eq(res[i].n_tokens, n, "request %zu", i);
		cr_assert_eq(res[i].logprob, s, "request %zu", i);
	}
	uh_backend_free_score(&b, res, 2);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(tgi, eos_needs_eos_token)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_req q = { "Question: a b\nAnswer:", " c d", UH_SCORE_EOS };
	struct uh_score_res res;
	struct uh_err err;
	int64_t n;
	double s = expect(q.context, q.continuation, 1, &n);

	cr_assert_eq(open_tgi(&b, fs, "model", "m", &err), 0, "%s", err.msg);
	cr_assert_lt(uh_backend_score(&b, &q, 1, &res, &err), 0);
	assert_has(err.msg, "--opt eos_token=");
	uh_backend_close(&b);

	cr_assert_eq(open_tgi(&b, fs, "eos_token", "</s>", &err), 0, "%s", err.msg);
	cr_assert_eq(uh_backend_score(&b, &q, 1, &res, &err), 0, "%s", err.msg);
	cr_assert_eq(res.n_tokens, n);
	cr_assert_eq(res.logprob, s);
	uh_backend_free_score(&b, &res, 1);
	uh_backend_close(&b);
	fs_stop(fs);
}

static void bad(const char *text, int pos, int bad_id, int truncate, const char *want)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	struct uh_err err;
	char msg[1024];

	cr_assert_eq(open_tgi(&b, fs, "retries", "0", &err), 0, "%s", err.msg);
	fs->poison_text = text;
	fs->poison_choice = 0;
	fs->poison_pos = pos;
	fs->tgi_bad_id = bad_id;
	fs->truncate = truncate;
	cr_assert_eq(fs_raw_score(&b, REQS, N_REQS, res, msg, sizeof(msg)), UH_EINVAL, "%s", msg);
	assert_has(msg, want);
	assert_has(msg, fs->root);
	cr_assert_lt(uh_backend_score(&b, REQS, N_REQS, res, &err), 0);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(tgi, null_in_scored_position)
{
	bad("null", 9, 0, 0, "score request 0 (http://127.0.0.1");
	bad("null", 9, 0, 0, "/generate): details.prefill[9].logprob is null in a scored position");
}

Test(tgi, nan_and_clamp)
{
	bad("NaN", 9, 0, 0, "non-finite number ('NaN");
	bad("-9999.0", 10, 0, 0, "details.prefill[10].logprob is -9999");
}

Test(tgi, prefill_must_match_tokenize)
{
	bad(NULL, -1, 1, 0, "details.prefill[1] has id");
}

Test(tgi, truncated)
{
	bad(NULL, -1, 0, 1, "truncated");
}

Test(tgi, retries_then_succeeds)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_score_res res[N_REQS];
	struct uh_err err;

	cr_assert_eq(open_tgi(&b, fs, NULL, NULL, &err), 0, "%s", err.msg);
	fs->fail_path = "/generate";
	fs->fail_n = 2;
	fs->fail_status = 503;
	cr_assert_eq(uh_backend_score(&b, REQS, N_REQS, res, &err), 0, "%s", err.msg);
	uh_backend_free_score(&b, res, N_REQS);
	cr_assert_eq(fs_get(fs, &fs->n_generate), 5);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(tgi, generate_cuts_stop_sequence)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	const char *stop[] = { "beta" };
	struct uh_gen_req q[] = {
		{ "p", 10, stop, 1 },
		{ "p", 1, NULL, 0 },
		{ "p", 10, NULL, 0 },
		{ "p", 0, NULL, 0 },
	};
	struct uh_gen_res r[4];
	struct uh_err err;
	int64_t n;

	cr_assert_eq(open_tgi(&b, fs, NULL, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_backend_generate(&b, q, 4, r, &err), 0, "%s", err.msg);
	cr_assert_str_eq(r[0].text, "alpha ");
	cr_assert_eq(r[0].finish_reason, UH_FINISH_STOP);
	cr_assert_str_eq(r[1].text, "alpha");
	cr_assert_eq(r[1].finish_reason, UH_FINISH_LENGTH);
	cr_assert_eq(r[1].n_tokens, 1);
	cr_assert_str_eq(r[2].text, "alpha beta");
	cr_assert_eq(r[2].finish_reason, UH_FINISH_EOS);
	cr_assert_str_eq(r[3].text, "");
	uh_backend_free_gen(&b, r, 4);

	/* the BOS has no byte span and is not counted */
	cr_assert_eq(uh_backend_tokenize(&b, "one two three", &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 3);
	uh_backend_close(&b);
	fs_stop(fs);
}

Test(tgi, unknown_option)
{
	struct fake_server *fs = fs_start();
	struct uh_backend b;
	struct uh_err err;

	cr_assert_eq(open_tgi(&b, fs, "batch", "4", &err), UH_EINVAL);
	assert_has(err.msg, "backend 'tgi' failed in open: unknown option 'batch'");
	fs_stop(fs);
}
