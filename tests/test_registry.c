/* harness/backends/registry.c, null.c and the fault-injecting plugins in tests/plugins/. */
#include "harness/backends/registry.h"
#include "harness/backends/null.h"
#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_257 5.5490760848952201

/* ------------------------------------------------------------ helpers */

static char *plugin(const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "plugins/%s.so", name);
	return strdup(uh_test_build(rel));
}

/* Open a plugin that must fail; returns the code, the message in err. */
static int open_fail(const char *name, struct uh_err *err, char **path)
{
	struct uh_backend b;
	int rc;

	*path = plugin(name);
	uh_err_clear(err);
	rc = uh_backend_open(&b, *path, NULL, err);
	cr_assert_lt(rc, 0, "%s opened", name);
	cr_assert_eq(rc, err->code);
	cr_assert_null(b.api, "a failed open leaves b zeroed");
	cr_assert_null(b.name);
	uh_backend_close(&b);
	return rc;
}

static void assert_has(const char *msg, const char *part)
{
	cr_assert_not_null(strstr(msg, part), "message '%s' lacks '%s'", msg, part);
}

static void open_ok(struct uh_backend *b, const char *name)
{
	struct uh_err err;
	char *path = plugin(name);

	uh_err_clear(&err);
	cr_assert_eq(uh_backend_open(b, path, NULL, &err), 0, "%s: %s", name, err.msg);
	free(path);
}

static int plugin_counter(const struct uh_backend *b, const char *sym)
{
	int *p = dlsym(b->dl, sym);

	cr_assert_not_null(p, "no %s", sym);
	return *p;
}

/* ------------------------------------------------------------ names */

Test(registry, builtin_names)
{
	const char *const *n = uh_backend_builtin_names();

	cr_assert_str_eq(n[0], "ngram");
	cr_assert_str_eq(n[1], "null");
	cr_assert_str_eq(n[2], "openai");
	cr_assert_str_eq(n[3], "tgi");
	cr_assert_null(n[4]);
}

Test(registry, unknown_name_lists_valid_ones)
{
	struct uh_backend b;
	struct uh_err err;

	cr_assert_eq(uh_backend_open(&b, "foo", NULL, &err), UH_EINVAL);
	cr_assert_str_eq(err.msg, "unknown backend 'foo' (valid: ngram, null, openai, tgi, or a path to a .so plugin)");
	uh_backend_close(&b);
}

Test(registry, missing_plugin_names_path)
{
	struct uh_backend b;
	struct uh_err err;

	cr_assert_eq(uh_backend_open(&b, "./no/such/plugin.so", NULL, &err), UH_ENOTFOUND);
	assert_has(err.msg, "plugin './no/such/plugin.so' not found");
	cr_assert_eq(uh_backend_open(&b, "nosuch.so", NULL, &err), UH_ENOTFOUND);
	assert_has(err.msg, "'nosuch.so'");
}

Test(registry, close_zeroed_is_safe)
{
	struct uh_backend b;

	memset(&b, 0, sizeof(b));
	uh_backend_close(&b);
	uh_backend_close(NULL);
}

/* ------------------------------------------------------------ the example plugin */

Test(registry, ok_plugin_scores)
{
	struct uh_backend b;
	struct uh_err err;
	struct uh_score_req q[3] = {
		{ "ctx", "abc", 0 }, { "ctx", "abc", UH_SCORE_EOS }, { "ctx", "", 0 },
	};
	struct uh_score_res r[3];
	struct uh_gen_req g = { "p", 4, NULL, 0 };
	struct uh_gen_res gr;
	int64_t k;

	open_ok(&b, "plugin_ok");
	cr_assert_not_null(b.dl);
	cr_assert(uh_backend_has(&b, UH_CAN_SCORE | UH_CAN_TOKENIZE));
	cr_assert_not(uh_backend_has(&b, UH_CAN_GENERATE));
	cr_assert_str_eq(uh_backend_model_id(&b), b.name, "no model_id: the name");

	cr_assert_eq(uh_backend_score(&b, q, 3, r, &err), 0, "%s", err.msg);
	cr_assert_eq(r[0].n_tokens, 3);
	cr_assert_float_eq(r[0].logprob, -3 * LOG_257, 1e-12);
	cr_assert_eq(r[1].n_tokens, 4);
	cr_assert_float_eq(r[1].logprob, -4 * LOG_257, 1e-12);
	cr_assert_eq(r[2].n_tokens, 0);
	cr_assert_eq(r[2].logprob, 0.0);
	uh_backend_free_score(&b, r, 3);

	cr_assert_eq(uh_backend_tokenize(&b, "hello", &k, &err), 0);
	cr_assert_eq(k, 5);

	cr_assert_eq(uh_backend_generate(&b, &g, 1, &gr, &err), UH_EINVAL);
	assert_has(err.msg, "cannot generate");
	uh_backend_close(&b);
	cr_assert_null(b.name);
}

Test(registry, plugin_in_current_folder)
{
	struct uh_backend b;
	struct uh_err err;
	char *dir = strdup(uh_test_build("plugins"));

	cr_assert_eq(chdir(dir), 0);
	cr_assert_eq(uh_backend_open(&b, "plugin_ok.so", NULL, &err), 0, "%s", err.msg);
	cr_assert_str_eq(b.name, "plugin_ok.so");
	uh_backend_close(&b);
	free(dir);
}

Test(registry, probe_can_be_skipped)
{
	struct uh_backend b;

	setenv("UH_PLUGIN_PROBE_TIMEOUT", "0", 1);
	open_ok(&b, "plugin_ok");
	uh_backend_close(&b);
}

Test(registry, bad_probe_timeout)
{
	struct uh_err err;
	char *path;

	setenv("UH_PLUGIN_PROBE_TIMEOUT", "soon", 1);
	cr_assert_eq(open_fail("plugin_ok", &err, &path), UH_EINVAL);
	assert_has(err.msg, "UH_PLUGIN_PROBE_TIMEOUT");
	free(path);
}

/* ------------------------------------------------------------ load-time faults */

Test(registry, wrong_abi_version)
{
	struct uh_err err;
	char *path;
	char want[512];

	cr_assert_eq(open_fail("plugin_badver", &err, &path), UH_EINVAL);
	snprintf(want, sizeof(want), "plugin '%s' was built for backend ABI 2, uh speaks 1", path);
	cr_assert_str_eq(err.msg, want);
	free(path);
}

Test(registry, table_too_small)
{
	struct uh_err err;
	char *path;
	char want[64];

	cr_assert_eq(open_fail("plugin_small", &err, &path), UH_EINVAL);
	assert_has(err.msg, "table of 32 bytes");
	/* version 1 ends at tokenize; the optional token-id members after it are
	 * read only when a table is big enough to hold them */
	snprintf(want, sizeof(want), "needs at least %zu",
		 offsetof(struct uh_backend_api, tokenize) + sizeof(((struct uh_backend_api *)0)->tokenize));
	assert_has(err.msg, want);
	free(path);
}

Test(registry, missing_symbol)
{
	struct uh_err err;
	char *path;
	char want[512];

	cr_assert_eq(open_fail("plugin_nosym", &err, &path), UH_ENOTFOUND);
	snprintf(want, sizeof(want), "missing symbol 'uh_backend_init' in '%s'", path);
	cr_assert_str_eq(err.msg, want);
	free(path);
}

Test(registry, init_returns_null)
{
	struct uh_err err;
	char *path;

	cr_assert_eq(open_fail("plugin_nulltable", &err, &path), UH_EINVAL);
	assert_has(err.msg, "returned NULL");
	free(path);
}

Test(registry, missing_member)
{
	struct uh_err err;
	char *path;

	cr_assert_eq(open_fail("plugin_nomember", &err, &path), UH_EINVAL);
	assert_has(err.msg, "sets UH_CAN_GENERATE but has no 'generate' callback");
	free(path);
}

Test(registry, crash_in_open_is_reported)
{
	struct uh_err err;
	char *path;
	char want[512];

	cr_assert_eq(open_fail("plugin_crash_open", &err, &path), UH_EIO);
	snprintf(want, sizeof(want), "plugin '%s' crashed in open (signal 11, Segmentation fault)", path);
	cr_assert_str_eq(err.msg, want);
	free(path);
}

Test(registry, exit_in_open_is_reported)
{
	struct uh_err err;
	char *path;

	cr_assert_eq(open_fail("plugin_exit_open", &err, &path), UH_EIO);
	assert_has(err.msg, "exited with status 3 in open");
	free(path);
}

Test(registry, hang_in_open_times_out)
{
	struct uh_err err;
	char *path;

	setenv("UH_PLUGIN_PROBE_TIMEOUT", "0.3", 1);
	cr_assert_eq(open_fail("plugin_hang_open", &err, &path), UH_EIO);
	assert_has(err.msg, "did not finish open within 0.3 s");
	free(path);
}

Test(registry, open_error_message)
{
	struct uh_backend b;
	struct uh_err err;
	struct uh_backend_config cfg = { "m7", NULL, NULL, 0 };
	char *path = plugin("plugin_fail_open");
	char want[512];

	snprintf(want, sizeof(want), "backend '%s' failed in open: cannot read model 'm7'", path);
	cr_assert_eq(uh_backend_open(&b, path, &cfg, &err), UH_EIO);
	cr_assert_str_eq(err.msg, want);
	setenv("UH_PLUGIN_PROBE_TIMEOUT", "0", 1); /* the same without the probe */
	cr_assert_eq(uh_backend_open(&b, path, &cfg, &err), UH_EIO);
	cr_assert_str_eq(err.msg, want);
	free(path);
}

/* ------------------------------------------------------------ result faults */

static const struct uh_score_req score_reqs[2] = {
	{ "c", "ab", 0 }, { "c", "xyz", UH_SCORE_EOS },
};

Test(registry, good_fault_plugin_baseline)
{
	struct uh_backend b;
	struct uh_err err;
	struct uh_score_res r[2];
	struct uh_gen_req g[2] = { { "p", 2, NULL, 0 }, { "p", 5, NULL, 0 } };
	struct uh_gen_res gr[2];

	open_ok(&b, "plugin_good");
	cr_assert_eq(uh_backend_score(&b, score_reqs, 2, r, &err), 0, "%s", err.msg);
	cr_assert_eq(r[1].n_tokens, 4);
	uh_backend_free_score(&b, r, 2);
	cr_assert_eq(plugin_counter(&b, "fault_free_score_calls"), 1);
	cr_assert_eq(uh_backend_generate(&b, g, 2, gr, &err), 0, "%s", err.msg);
	cr_assert_str_eq(gr[0].text, "xx");
	cr_assert_eq(gr[0].finish_reason, UH_FINISH_LENGTH);
	cr_assert_eq(gr[1].n_tokens, 4);
	cr_assert_eq(gr[1].finish_reason, UH_FINISH_EOS);
	uh_backend_free_gen(&b, gr, 2);
	cr_assert_eq(plugin_counter(&b, "fault_free_gen_calls"), 1);
	uh_backend_close(&b);
}

static void score_fault(const char *name, const char *field)
{
	struct uh_backend b;
	struct uh_err err;
	struct uh_score_res r[2];
	char want[512];

	open_ok(&b, name);
	cr_assert_eq(uh_backend_score(&b, score_reqs, 2, r, &err), UH_EINVAL, "%s: %s", name, err.msg);
	snprintf(want, sizeof(want), "backend '%s' score request 1: %s", b.name, field);
	assert_has(err.msg, want);
	cr_assert_eq(plugin_counter(&b, "fault_free_score_calls"), 1, "%s: free_score once", name);
	cr_assert_null(r[0].token_logprobs, "results zeroed after the free");
	uh_backend_close(&b);
}

Test(registry, wrong_count) { score_fault("plugin_wrongcount", "n_tokens is 0 for a continuation of 3 bytes plus EOS"); }
Test(registry, nan_logprob) { score_fault("plugin_nan", "logprob is nan"); }
Test(registry, positive_logprob) { score_fault("plugin_positive", "logprob is 0.5"); }
Test(registry, greedy_not_bool) { score_fault("plugin_greedy", "is_greedy is 2"); }
Test(registry, token_sum_mismatch) { score_fault("plugin_sum", "token_logprobs sum to"); }
Test(registry, token_nan) { score_fault("plugin_toknan", "token_logprobs[0] is nan"); }

static void gen_fault(const char *name, const char *field)
{
	struct uh_backend b;
	struct uh_err err;
	struct uh_gen_req g[2] = { { "p", 2, NULL, 0 }, { "p", 5, NULL, 0 } };
	struct uh_gen_res gr[2];
	char want[512];

	open_ok(&b, name);
	cr_assert_eq(uh_backend_generate(&b, g, 2, gr, &err), UH_EINVAL, "%s: %s", name, err.msg);
	snprintf(want, sizeof(want), "backend '%s' generate request 1: %s", b.name, field);
	assert_has(err.msg, want);
	cr_assert_eq(plugin_counter(&b, "fault_free_gen_calls"), 1, "%s: free_gen once", name);
	cr_assert_null(gr[0].text);
	uh_backend_close(&b);
}

Test(registry, null_text) { gen_fault("plugin_nulltext", "text is NULL"); }
Test(registry, bad_utf8) { gen_fault("plugin_badutf8", "text is not valid UTF-8 (byte 0)"); }
Test(registry, unknown_finish) { gen_fault("plugin_finish", "finish_reason is 7"); }
Test(registry, too_many_tokens) { gen_fault("plugin_overlen", "n_tokens is 6 (max_new_tokens 5)"); }

Test(registry, fails_on_third_batch)
{
	struct uh_backend b;
	struct uh_err err;
	struct uh_score_res r[2];
	char want[512];

	open_ok(&b, "plugin_fail_mid");
	for (int call = 1; call <= 4; call++) {
		int rc = uh_backend_score(&b, score_reqs, 2, r, &err);

		if (call == 3) {
			cr_assert_eq(rc, UH_EIO);
			snprintf(want, sizeof(want), "backend '%s' failed in score: simulated failure on call 3",
				 b.name);
			cr_assert_str_eq(err.msg, want);
		} else {
			cr_assert_eq(rc, 0, "call %d: %s", call, err.msg);
			uh_backend_free_score(&b, r, 2);
		}
	}
	cr_assert_eq(plugin_counter(&b, "fault_free_score_calls"), 3, "no free after a failed call");
	uh_backend_close(&b);
}

/* ------------------------------------------------------------ built-ins */

Test(registry, null_backend)
{
	struct uh_backend b;
	struct uh_err err;
	struct uh_score_req q[4] = {
		{ "c", "hello world", 0 }, { "c", "hello  world\n", UH_SCORE_EOS },
		{ "c", "", 0 }, { "c", "   ", 0 },
	};
	struct uh_score_res r[4];
	struct uh_gen_req g = { "p", 10, NULL, 0 };
	struct uh_gen_res gr;
	int64_t k;

	cr_assert_eq(uh_backend_open(&b, "null", NULL, &err), 0, "%s", err.msg);
	cr_assert_null(b.dl);
	cr_assert_str_eq(uh_backend_model_id(&b), "null");
	cr_assert(uh_backend_has(&b, UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE |
				     UH_CAN_TOKEN_LOGPROBS));
	cr_assert_eq(uh_backend_score(&b, q, 4, r, &err), 0, "%s", err.msg);
	cr_assert_eq(r[0].n_tokens, 2);
	cr_assert_eq(r[0].logprob, -2.0);
	cr_assert_eq(r[0].is_greedy, 1);
	cr_assert_eq(r[1].n_tokens, 3);
	cr_assert_eq(r[1].token_logprobs[2], -1.0);
	cr_assert_eq(r[1].token_greedy[2], 1);
	cr_assert_eq(r[2].n_tokens, 0);
	cr_assert_eq(r[3].n_tokens, 1);
	uh_backend_free_score(&b, r, 4);

	cr_assert_eq(uh_backend_generate(&b, &g, 1, &gr, &err), 0, "%s", err.msg);
	cr_assert_str_eq(gr.text, "");
	cr_assert_eq(gr.finish_reason, UH_FINISH_EOS);
	cr_assert_eq(gr.n_tokens, 1);
	uh_backend_free_gen(&b, &gr, 1);

	cr_assert_eq(uh_backend_tokenize(&b, "a b  c", &k, &err), 0);
	cr_assert_eq(k, 3);
	uh_backend_close(&b);
}

Test(registry, null_backend_words)
{
	static const char *const keys[] = { "words" }, *const vals[] = { "5" };
	static const char *const stop[] = { "", "fox", "brown" };
	struct uh_backend_config cfg = { NULL, keys, vals, 1 };
	struct uh_backend b;
	struct uh_err err;
	struct uh_gen_req g[4] = {
		{ "p", 3, NULL, 0 }, { "p", 10, NULL, 0 }, { "p", 10, stop, 3 }, { "p", 0, NULL, 0 },
	};
	struct uh_gen_res gr[4];

	cr_assert_eq(uh_backend_open(&b, "null", &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_backend_generate(&b, g, 4, gr, &err), 0, "%s", err.msg);
	cr_assert_str_eq(gr[0].text, "the quick brown");
	cr_assert_eq(gr[0].finish_reason, UH_FINISH_LENGTH);
	cr_assert_eq(gr[0].n_tokens, 3);
	cr_assert_str_eq(gr[1].text, "the quick brown fox jumps");
	cr_assert_eq(gr[1].finish_reason, UH_FINISH_EOS);
	cr_assert_eq(gr[1].n_tokens, 6);
	cr_assert_str_eq(gr[2].text, "the quick ");
	cr_assert_eq(gr[2].finish_reason, UH_FINISH_STOP);
	cr_assert_eq(gr[2].n_tokens, 3);
	cr_assert_str_eq(gr[3].text, "");
	cr_assert_eq(gr[3].finish_reason, UH_FINISH_LENGTH);
	uh_backend_free_gen(&b, gr, 4);
	uh_backend_close(&b);
}

Test(registry, null_backend_bad_option)
{
	static const char *const keys[] = { "wrds" }, *const vals[] = { "5" };
	struct uh_backend_config cfg = { NULL, keys, vals, 1 };
	struct uh_backend b;
	struct uh_err err;

	cr_assert_eq(uh_backend_open(&b, "null", &cfg, &err), UH_EINVAL);
	cr_assert_str_eq(err.msg, "backend 'null' failed in open: unknown option 'wrds' (known: words)");
}

Test(registry, ngram_builtin)
{
	char *dir = uh_test_tmpdir();
	char path[4200];
	const char *keys[] = { "train" }, *vals[] = { path };
	struct uh_backend_config cfg = { NULL, keys, vals, 1 };
	struct uh_backend b;
	struct uh_err err;
	struct uh_score_req q = { "the cat", " sat on the mat", UH_SCORE_EOS };
	struct uh_score_res r;
	FILE *f;

	snprintf(path, sizeof(path), "%s/train.txt", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("the cat sat on the mat\n\nthe dog sat on the log\n", f);
	fclose(f);

	cr_assert_eq(uh_backend_open(&b, "ngram", &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(strncmp(uh_backend_model_id(&b), "ngram-o4-", 9), 0);
	cr_assert_eq(uh_backend_score(&b, &q, 1, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_tokens, 5);
	cr_assert_lt(r.logprob, 0);
	uh_backend_free_score(&b, &r, 1);
	uh_backend_close(&b);

	/* without train: ngram's own code (UH_EINVAL) and message, no doubled name */
	cr_assert_eq(uh_backend_open(&b, "ngram", NULL, &err), UH_EINVAL);
	assert_has(err.msg, "backend 'ngram' failed in open: no training corpus");
	cr_assert_null(strstr(err.msg, "ngram: "));
	remove(path);
	rmdir(dir);
	free(dir);
}

Test(registry, wrap_checks_table)
{
	struct uh_backend_api bad = *uh_null_backend();
	struct uh_backend b;
	struct uh_err err;
	void *state = NULL;
	char eb[64];

	bad.abi_version = 9;
	cr_assert_eq(uh_backend_wrap(&b, &bad, NULL, "mine", 0, &err), UH_EINVAL);
	cr_assert_str_eq(err.msg, "backend 'mine' was built for backend ABI 9, uh speaks 1");

	cr_assert_eq(uh_null_backend()->open(NULL, &state, eb, sizeof(eb)), 0);
	cr_assert_eq(uh_backend_wrap(&b, uh_null_backend(), state, "mine", 0, &err), 0);
	cr_assert_str_eq(b.name, "mine");
	cr_assert_str_eq(uh_backend_model_id(&b), "null");
	uh_backend_close(&b); /* does not close the state */
	uh_null_backend()->close(state);
}

/* ------------------------------------------------------------ checks, through a wrapped table */

/* What the in-test backend returns for request 0; set by each test (tests run in their own process). */
static struct {
	const char *text;
	int64_t n_tokens;
	double logprob;
	int32_t is_greedy;
	double tok[2];
	uint8_t greedy[2];
} t_ret;
static int t_frees;

static int t_open(const struct uh_backend_config *cfg, void **state, char *eb, size_t el)
{
	return 0;
}

static void t_close(void *state)
{
}

static int t_score(void *state, const struct uh_score_req *reqs, size_t n,
		   struct uh_score_res *res, char *eb, size_t el)
{
	res[0].n_tokens = t_ret.n_tokens;
	res[0].logprob = t_ret.logprob;
	res[0].is_greedy = t_ret.is_greedy;
	res[0].token_logprobs = t_ret.tok;
	res[0].token_greedy = t_ret.greedy;
	return 0;
}

static int t_generate(void *state, const struct uh_gen_req *reqs, size_t n,
		      struct uh_gen_res *res, char *eb, size_t el)
{
	res[0].text = strdup(t_ret.text);
	res[0].n_tokens = 1;
	res[0].finish_reason = UH_FINISH_EOS;
	return 0;
}

static void t_free_score(void *state, struct uh_score_res *res, size_t n)
{
	t_frees++;
}

static void t_free_gen(void *state, struct uh_gen_res *res, size_t n)
{
	t_frees++;
	free(res[0].text);
}

static const struct uh_backend_api t_api = {
	.abi_version = UH_BACKEND_ABI_VERSION,
	.size = sizeof(struct uh_backend_api),
	.name = "t",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKEN_LOGPROBS,
	.open = t_open,
	.close = t_close,
	.score = t_score,
	.free_score = t_free_score,
	.generate = t_generate,
	.free_gen = t_free_gen,
};

static int t_gen_text(const char *text, struct uh_err *err)
{
	struct uh_backend b;
	struct uh_gen_req g = { "p", 4, NULL, 0 };
	struct uh_gen_res r;
	int rc;

	cr_assert_eq(uh_backend_wrap(&b, &t_api, NULL, "t", 0, err), 0);
	t_ret.text = text;
	rc = uh_backend_generate(&b, &g, 1, &r, err);
	if (rc == 0)
		uh_backend_free_gen(&b, &r, 1);
	uh_backend_close(&b);
	return rc;
}

Test(registry, utf8_check)
{
	static const char *const good[] = {
		"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf",
	};
	static const char *const bad[] = {
		"\x80", "\xc0\xaf", "\xc3", "\xe2\x82", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80", "ok\xff", "\xf0\x9f\x98",
	};
	struct uh_err err;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(t_gen_text(good[i], &err), 0, "good[%zu]: %s", i, err.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(t_gen_text(bad[i], &err), UH_EINVAL, "bad[%zu] accepted", i);
		assert_has(err.msg, "not valid UTF-8");
	}
	cr_assert_eq(t_frees, (int)(sizeof(good) / sizeof(good[0]) + sizeof(bad) / sizeof(bad[0])));
}

static int t_score_one(const char *cont, struct uh_err *err)
{
	struct uh_backend b;
	struct uh_score_req q = { "c", cont, 0 };
	struct uh_score_res r;
	int rc;

	cr_assert_eq(uh_backend_wrap(&b, &t_api, NULL, "t", 0, err), 0);
	t_frees = 0;
	rc = uh_backend_score(&b, &q, 1, &r, err);
	if (rc == 0)
		uh_backend_free_score(&b, &r, 1);
	cr_assert_eq(t_frees, 1);
	uh_backend_close(&b);
	return rc;
}

Test(registry, score_checks)
{
	struct uh_err err;

	/* consistent: two tokens, sum -3, second not greedy */
	t_ret.n_tokens = 2;
	t_ret.tok[0] = -1;
	t_ret.tok[1] = -2;
	t_ret.logprob = -3;
	t_ret.greedy[0] = 1;
	cr_assert_eq(t_score_one("ab", &err), 0, "%s", err.msg);

	t_ret.logprob = -3 * (1 + 1e-12); /* within 1e-9 relative */
	cr_assert_eq(t_score_one("ab", &err), 0, "%s", err.msg);
	t_ret.logprob = -3 * (1 + 1e-8);
	cr_assert_eq(t_score_one("ab", &err), UH_EINVAL);
	assert_has(err.msg, "token_logprobs sum to -3 but logprob is");
	t_ret.logprob = -3;

	t_ret.is_greedy = 1; /* but token 1 is not */
	cr_assert_eq(t_score_one("ab", &err), UH_EINVAL);
	assert_has(err.msg, "is_greedy is 1 but token_greedy says 0");
	t_ret.is_greedy = 0;

	t_ret.greedy[1] = 3;
	cr_assert_eq(t_score_one("ab", &err), UH_EINVAL);
	assert_has(err.msg, "token_greedy[1] is 3");
	t_ret.greedy[1] = 0;

	t_ret.tok[1] = -INFINITY;
	t_ret.logprob = -INFINITY;
	cr_assert_eq(t_score_one("ab", &err), UH_EINVAL);
	assert_has(err.msg, "score request 0: logprob is -inf");
	t_ret.tok[1] = -2;
	t_ret.logprob = -3;

	t_ret.n_tokens = 2000; /* "ab" cannot be 2000 tokens */
	cr_assert_eq(t_score_one("ab", &err), UH_EINVAL);
	assert_has(err.msg, "n_tokens is 2000 for a continuation of 2 bytes");
	t_ret.n_tokens = -1;
	cr_assert_eq(t_score_one("", &err), UH_EINVAL);
	assert_has(err.msg, "n_tokens is -1");

	t_ret.n_tokens = 0; /* no tokens but a log-probability */
	cr_assert_eq(t_score_one("", &err), UH_EINVAL);
	assert_has(err.msg, "logprob is -3 for 0 tokens");
}

Test(registry, null_requests_rejected)
{
	struct uh_backend b;
	struct uh_err err;
	struct uh_score_req q = { NULL, "x", 0 };
	struct uh_score_res r;
	struct uh_gen_req g = { "p", -1, NULL, 0 };
	struct uh_gen_res gr;

	cr_assert_eq(uh_backend_wrap(&b, &t_api, NULL, "t", 0, &err), 0);
	cr_assert_eq(uh_backend_score(&b, &q, 1, &r, &err), UH_EINVAL);
	assert_has(err.msg, "score request 0 has a NULL context");
	cr_assert_eq(uh_backend_generate(&b, &g, 1, &gr, &err), UH_EINVAL);
	assert_has(err.msg, "max_new_tokens is -1");
	cr_assert_eq(t_frees, 0, "the backend was not called");
	uh_backend_close(&b);
}

/* A tokenize() count no text can have is refused, not summed into usage or a metric. */
static int64_t t_tok_count;

static int t_tokenize(void *state, const char *text, int64_t *n_tokens, char *eb, size_t el)
{
	*n_tokens = t_tok_count;
	return 0;
}

Test(registry, tokenize_count_is_checked)
{
	struct uh_backend_api api = t_api;
	struct uh_backend b;
	struct uh_err err;
	int64_t k;

	api.caps |= UH_CAN_TOKENIZE;
	api.tokenize = t_tokenize;
	uh_err_clear(&err);
	cr_assert_eq(uh_backend_wrap(&b, &api, NULL, "t", 0, &err), 0, "%s", err.msg);
	t_tok_count = 3;
	cr_assert_eq(uh_backend_tokenize(&b, "a b c", &k, &err), 0, "%s", err.msg);
	cr_assert_eq(k, 3);
	t_tok_count = INT64_MAX;
	cr_assert_eq(uh_backend_tokenize(&b, "a b c", &k, &err), UH_EINVAL);
	assert_has(err.msg, "n_tokens is 9223372036854775807 for a text of 5 bytes");
	t_tok_count = -1;
	cr_assert_eq(uh_backend_tokenize(&b, "a b c", &k, &err), UH_EINVAL);
	uh_backend_close(&b);
}
