/*
 * plugin_ok.c - a minimal uh backend plugin: a uniform model over the 256
 * byte values plus end-of-text, so every token has p = 1/257.
 *
 *   cc -shared -fPIC -I/path/to/uh -o myplugin.so myplugin.c
 *   uh-run --backend ./myplugin.so ...
 */
#include "harness/backend.h"

#include <string.h>

#define LOG_257 5.5490760848952201 /* ln 257 */

static int my_open(const struct uh_backend_config *cfg, void **state, char *errbuf, size_t errlen)
{
	*state = NULL; /* a real backend loads cfg->model here; on failure: write errbuf, return -1 */
	return 0;
}

static void my_close(void *state)
{
}

static int my_score(void *state, const struct uh_score_req *reqs, size_t n,
		    struct uh_score_res *res, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		res[i].n_tokens = (int64_t)strlen(reqs[i].continuation) + (reqs[i].flags & UH_SCORE_EOS ? 1 : 0);
		res[i].logprob = -(double)res[i].n_tokens * LOG_257;
		res[i].is_greedy = 0; /* all tokens tie: none is the argmax */
	}
	return 0;
}

static void my_free_score(void *state, struct uh_score_res *res, size_t n)
{
	/* nothing was allocated; a backend that fills token_logprobs frees it here */
}

static int my_tokenize(void *state, const char *text, int64_t *n_tokens, char *errbuf, size_t errlen)
{
	*n_tokens = (int64_t)strlen(text);
	return 0;
}

static const struct uh_backend_api my_api = {
	.abi_version = UH_BACKEND_ABI_VERSION,
	.size = sizeof(struct uh_backend_api),
	.name = "bytes",
	.caps = UH_CAN_SCORE | UH_CAN_TOKENIZE,
	.open = my_open,
	.close = my_close,
	.score = my_score,
	.free_score = my_free_score,
	.tokenize = my_tokenize,
};

const struct uh_backend_api *uh_backend_init(uint32_t host_abi_version)
{
	return &my_api;
}
