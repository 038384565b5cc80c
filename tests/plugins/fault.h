/*
 * fault.h - a byte-level test backend (like plugin_ok.c, with per-token
 * arrays and generation) whose misbehaviour each plugin_*.c picks by
 * defining FAULT_* macros before including this file. Result faults hit
 * request 1 of a batch, so tests can check the index in the message.
 *
 * The plugins export counters the tests read through dlsym: how often
 * free_score / free_gen ran (the host must call them exactly once).
 *
 * Note: the Makefile rebuilds a plugin when its .c changes, not this file;
 * after editing it, remove build/plugins.
 */
#ifndef UH_TESTS_PLUGINS_FAULT_H
#define UH_TESTS_PLUGINS_FAULT_H

#include "harness/backend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* score faults (FAULT_SCORE) */
#define SF_COUNT 1   /* n_tokens 0 for a non-empty continuation */
#define SF_NAN 2     /* logprob NaN */
#define SF_POS 3     /* logprob +0.5 */
#define SF_GREEDY 4  /* is_greedy 2 */
#define SF_SUM 5     /* token_logprobs do not sum to logprob */
#define SF_TOKNAN 6  /* token_logprobs[0] NaN */
/* generate faults (FAULT_GEN) */
#define GF_NULLTEXT 1
#define GF_UTF8 2    /* a lone continuation byte */
#define GF_FINISH 3  /* finish_reason 7 */
#define GF_OVERLEN 4 /* n_tokens max_new_tokens + 1 */

#ifndef FAULT_ABI_VERSION
#define FAULT_ABI_VERSION UH_BACKEND_ABI_VERSION
#endif
#ifndef FAULT_TABLE_SIZE
#define FAULT_TABLE_SIZE sizeof(struct uh_backend_api)
#endif
#ifndef FAULT_INIT_SYMBOL
#define FAULT_INIT_SYMBOL uh_backend_init
#endif

#define LOG_257 5.5490760848952201

int fault_free_score_calls, fault_free_gen_calls;
static int score_calls;

static int f_open(const struct uh_backend_config *cfg, void **state, char *errbuf, size_t errlen)
{
#ifdef FAULT_CRASH_OPEN
	static int *volatile nowhere;
	*nowhere = 1; /* SIGSEGV */
#endif
#ifdef FAULT_EXIT_OPEN
	_exit(3);
#endif
#ifdef FAULT_HANG_OPEN
	for (;;)
		pause();
#endif
#ifdef FAULT_FAIL_OPEN
	snprintf(errbuf, errlen, "cannot read model '%s'", cfg && cfg->model ? cfg->model : "(none)");
	return -1;
#endif
	*state = NULL;
	return 0;
}

static void f_close(void *state)
{
}

static void f_free_score(void *state, struct uh_score_res *res, size_t n)
{
	fault_free_score_calls++;
	for (size_t i = 0; i < n; i++) {
		free(res[i].token_logprobs);
		free(res[i].token_greedy);
	}
}

static int f_score(void *state, const struct uh_score_req *reqs, size_t n,
		   struct uh_score_res *res, char *errbuf, size_t errlen)
{
	score_calls++;
#ifdef FAULT_FAIL_CALL
	if (score_calls == FAULT_FAIL_CALL) {
		snprintf(errbuf, errlen, "simulated failure on call %d", score_calls);
		return -1;
	}
#endif
	for (size_t i = 0; i < n; i++) {
		int64_t k = (int64_t)strlen(reqs[i].continuation) + (reqs[i].flags & UH_SCORE_EOS ? 1 : 0);

		res[i].n_tokens = k;
		res[i].logprob = -(double)k * LOG_257;
		res[i].is_greedy = 0;
		res[i].token_logprobs = malloc((size_t)k * sizeof(double) + 1);
		res[i].token_greedy = calloc((size_t)k + 1, 1);
		for (int64_t t = 0; t < k; t++)
			res[i].token_logprobs[t] = -LOG_257;
#ifdef FAULT_SCORE
		if (i == 1) {
			switch (FAULT_SCORE) {
			case SF_COUNT: res[i].n_tokens = 0; break;
			case SF_NAN: res[i].logprob = NAN; break;
			case SF_POS: res[i].logprob = 0.5; break;
			case SF_GREEDY: res[i].is_greedy = 2; break;
			case SF_SUM: res[i].token_logprobs[0] = -1.0; break;
			case SF_TOKNAN: res[i].token_logprobs[0] = NAN; break;
			}
		}
#endif
	}
	return 0;
}

static void f_free_gen(void *state, struct uh_gen_res *res, size_t n)
{
	fault_free_gen_calls++;
	for (size_t i = 0; i < n; i++)
		free(res[i].text);
}

static int f_generate(void *state, const struct uh_gen_req *reqs, size_t n,
		      struct uh_gen_res *res, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int32_t k = reqs[i].max_new_tokens < 3 ? reqs[i].max_new_tokens : 3;

		res[i].text = calloc(4, 1);
		memset(res[i].text, 'x', (size_t)k);
		res[i].n_tokens = k;
		res[i].finish_reason = UH_FINISH_LENGTH;
		if (k < reqs[i].max_new_tokens) {
			res[i].n_tokens = k + 1;
			res[i].finish_reason = UH_FINISH_EOS;
		}
#ifdef FAULT_GEN
		if (i == 1) {
			switch (FAULT_GEN) {
			case GF_NULLTEXT: free(res[i].text); res[i].text = NULL; break;
			case GF_UTF8: res[i].text[0] = (char)0x80; break;
			case GF_FINISH: res[i].finish_reason = 7; break;
			case GF_OVERLEN: res[i].n_tokens = reqs[i].max_new_tokens + 1; break;
			}
		}
#endif
	}
	return 0;
}

static int f_tokenize(void *state, const char *text, int64_t *n_tokens, char *errbuf, size_t errlen)
{
	*n_tokens = (int64_t)strlen(text);
	return 0;
}

static const struct uh_backend_api fault_api = {
	.abi_version = FAULT_ABI_VERSION,
	.size = FAULT_TABLE_SIZE,
	.name = "fault",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE | UH_CAN_TOKEN_LOGPROBS,
	.open = f_open,
	.close = f_close,
	.score = f_score,
	.free_score = f_free_score,
#ifndef FAULT_NO_GENERATE
	.generate = f_generate,
#endif
	.free_gen = f_free_gen,
	.tokenize = f_tokenize,
};

const struct uh_backend_api *FAULT_INIT_SYMBOL(uint32_t host_abi_version);
const struct uh_backend_api *FAULT_INIT_SYMBOL(uint32_t host_abi_version)
{
	(void)f_generate; /* unused under FAULT_NO_GENERATE */
#ifdef FAULT_INIT_NULL
	return NULL;
#else
	return &fault_api;
#endif
}

#endif
