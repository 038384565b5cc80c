/*
 * null.c - the backend that does no work (see null.h). Its cost per request
 * is a word count and two small allocations, so a run against it measures
 * the runner, not a model.
 */
#include "harness/backends/null.h"
#include "harness/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 4096

static const char *const filler[] = {
	"the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog",
};
#define N_FILLER (sizeof(filler) / sizeof(filler[0]))
#define FILLER_WORD_MAX 5 /* longest filler word */

struct null_state {
	long words; /* filler words generate() produces before its EOS */
};

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Whitespace-separated words; a non-empty string of spaces counts as one. */
static int64_t count_words(const char *s)
{
	int64_t n = 0;
	int in_word = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (is_space(*p)) {
			in_word = 0;
		} else if (!in_word) {
			in_word = 1;
			n++;
		}
	}
	return n == 0 && *s ? 1 : n;
}

static int be_open(const struct uh_backend_config *cfg, void **state, char *errbuf, size_t errlen)
{
	struct null_state *st = calloc(1, sizeof(*st));

	if (!st) {
		snprintf(errbuf, errlen, "out of memory");
		return UH_ENOMEM;
	}
	for (size_t i = 0; cfg && i < cfg->n; i++) {
		const char *k = cfg->keys[i], *v = cfg->values[i];
		char *end;

		if (strcmp(k, "words") != 0) {
			snprintf(errbuf, errlen, "null: unknown option '%s' (known: words)", k);
			free(st);
			return UH_EINVAL;
		}
		errno = 0;
		st->words = strtol(v, &end, 10);
		if (errno || end == v || *end || st->words < 0 || st->words > MAX_WORDS) {
			snprintf(errbuf, errlen, "null: option words must be an integer 0..%d, got '%s'",
				 MAX_WORDS, v);
			free(st);
			return UH_EINVAL;
		}
	}
	*state = st;
	return 0;
}

static void be_close(void *state)
{
	free(state);
}

static const char *be_model_id(void *state)
{
	(void)state;
	return "null";
}

static void be_free_score(void *state, struct uh_score_res *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(res[i].token_logprobs);
		free(res[i].token_greedy);
		res[i].token_logprobs = NULL;
		res[i].token_greedy = NULL;
	}
}

static int be_score(void *state, const struct uh_score_req *reqs, size_t n,
		    struct uh_score_res *res, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int64_t k = count_words(reqs[i].continuation) + (reqs[i].flags & UH_SCORE_EOS ? 1 : 0);

		res[i].n_tokens = k;
		res[i].logprob = -(double)k;
		res[i].is_greedy = 1;
		if (k == 0)
			continue;
		res[i].token_logprobs = malloc((size_t)k * sizeof(double));
		res[i].token_greedy = malloc((size_t)k);
		if (!res[i].token_logprobs || !res[i].token_greedy) {
			be_free_score(state, res, n);
			snprintf(errbuf, errlen, "out of memory");
			return UH_ENOMEM;
		}
		for (int64_t t = 0; t < k; t++)
			res[i].token_logprobs[t] = -1.0;
		memset(res[i].token_greedy, 1, (size_t)k);
	}
	return 0;
}

static void be_free_gen(void *state, struct uh_gen_res *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(res[i].text);
		res[i].text = NULL;
	}
}

/* Earliest position of a non-empty stop string in text, or -1. */
static long find_stop(const struct uh_gen_req *q, const char *text)
{
	long best = -1;

	for (size_t k = 0; k < q->n_stop; k++) {
		const char *hit = q->stop[k][0] ? strstr(text, q->stop[k]) : NULL;

		if (hit && (best < 0 || hit - text < best))
			best = (long)(hit - text);
	}
	return best;
}

static int gen_one(const struct null_state *st, const struct uh_gen_req *q, struct uh_gen_res *r)
{
	long max = q->max_new_tokens, k = 0;
	size_t len = 0;
	char *text = malloc((size_t)(st->words < max ? st->words : max) * (FILLER_WORD_MAX + 1) + 1);

	if (!text)
		return UH_ENOMEM;
	text[0] = '\0';
	r->text = text;
	while (k < st->words && k < max) {
		const char *w = filler[(size_t)k % N_FILLER];
		long at;

		len += (size_t)sprintf(text + len, "%s%s", k ? " " : "", w);
		k++;
		if ((at = find_stop(q, text)) >= 0) {
			text[at] = '\0';
			r->n_tokens = k;
			r->finish_reason = UH_FINISH_STOP;
			return 0;
		}
	}
	if (k < max) {
		r->n_tokens = k + 1; /* the EOS */
		r->finish_reason = UH_FINISH_EOS;
	} else {
		r->n_tokens = k;
		r->finish_reason = UH_FINISH_LENGTH;
	}
	return 0;
}

static int be_generate(void *state, const struct uh_gen_req *reqs, size_t n,
		       struct uh_gen_res *res, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (gen_one(state, &reqs[i], &res[i]) < 0) {
			be_free_gen(state, res, n);
			snprintf(errbuf, errlen, "out of memory");
			return UH_ENOMEM;
		}
	}
	return 0;
}

static int be_tokenize(void *state, const char *text, int64_t *n_tokens, char *errbuf,
		       size_t errlen)
{
	*n_tokens = count_words(text);
	return 0;
}

/*
 * Token ids. A word "t<k>" (1 <= k < 2^31) is id k; any other word is a
 * 31-bit FNV-1a hash of it (never 0); a non-empty all-space text is one
 * token, like count_words. Id k decodes to " t<k>" and the EOS (0) to "",
 * so decode(ids) encodes back to ids and scores as len(ids) words.
 */
#define NULL_EOS 0

static int32_t word_id(const char *w, size_t n)
{
	uint32_t h = 2166136261u;
	long v = 0;
	size_t i;

	if (n >= 2 && n <= 11 && w[0] == 't' && w[1] >= '1' && w[1] <= '9') {
		for (i = 1; i < n && w[i] >= '0' && w[i] <= '9'; i++)
			v = v * 10 + (w[i] - '0');
		if (i == n && v <= INT32_MAX)
			return (int32_t)v;
	}
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)w[i]) * 16777619u;
	h &= 0x7fffffffu;
	return h ? (int32_t)h : 1;
}

static int be_encode(void *state, const char *text, int32_t **ids, size_t *n, char *errbuf,
		     size_t errlen)
{
	int64_t k = count_words(text), i = 0;
	const char *p = text;

	*ids = NULL;
	*n = 0;
	if (k == 0)
		return 0;
	if (!(*ids = malloc((size_t)k * sizeof(**ids)))) {
		snprintf(errbuf, errlen, "out of memory");
		return UH_ENOMEM;
	}
	while (*p) {
		size_t len;

		while (*p && is_space((unsigned char)*p))
			p++;
		for (len = 0; p[len] && !is_space((unsigned char)p[len]); len++)
			;
		if (len)
			(*ids)[i++] = word_id(p, len);
		p += len;
	}
	if (i == 0) /* spaces only: one token */
		(*ids)[i++] = word_id(" ", 1);
	*n = (size_t)i;
	return 0;
}

static int be_decode(void *state, const int32_t *ids, size_t n, char **text, char *errbuf,
		     size_t errlen)
{
	char *s = malloc(13 * n + 1), *p = s;

	*text = NULL;
	if (!s) {
		snprintf(errbuf, errlen, "out of memory");
		return UH_ENOMEM;
	}
	*p = '\0';
	for (size_t i = 0; i < n; i++) {
		if (ids[i] < 0) {
			snprintf(errbuf, errlen, "null: token id %ld at position %zu is negative", (long)ids[i], i);
			free(s);
			return UH_EINVAL;
		}
		if (ids[i] != NULL_EOS) {
			char t[12];
			size_t k = sizeof(t);

			for (uint32_t v = (uint32_t)ids[i]; v; v /= 10)
				t[--k] = (char)('0' + v % 10);
			*p++ = ' ';
			*p++ = 't';
			memcpy(p, t + k, sizeof(t) - k);
			p += sizeof(t) - k;
			*p = '\0';
		}
	}
	*text = s;
	return 0;
}

static void be_free_buf(void *state, void *p)
{
	free(p);
}

static int32_t be_eos_id(void *state)
{
	return NULL_EOS;
}

static const struct uh_backend_api null_api = {
	.abi_version = UH_BACKEND_ABI_VERSION,
	.size = sizeof(struct uh_backend_api),
	.name = "null",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE | UH_CAN_TOKEN_LOGPROBS |
		UH_CAN_TOKEN_IDS,
	.open = be_open,
	.close = be_close,
	.model_id = be_model_id,
	.score = be_score,
	.free_score = be_free_score,
	.generate = be_generate,
	.free_gen = be_free_gen,
	.tokenize = be_tokenize,
	.encode = be_encode,
	.decode = be_decode,
	.free_buf = be_free_buf,
	.eos_id = be_eos_id,
};

const struct uh_backend_api *uh_null_backend(void)
{
	return &null_api;
}
