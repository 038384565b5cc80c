/*
 * plugin_counting.c - a deterministic test backend that writes every
 * request it answers to a log, for the request-cache tests.
 *
 * Options (--opt): log=FILE appends one line per request answered by
 * score/generate/tokenize ("score\t<context>\t<continuation>\t<flags>",
 * "generate\t<prompt>\t<max_new_tokens>\t<stops...>", "tokenize\t<text>",
 * with \\, \t and \n escaped), written and flushed before the call returns;
 * die_after=N kills the process (SIGKILL, no cleanup) when score/generate is
 * called for the (N+1)-th time, i.e. after N batches were answered;
 * id=NAME sets the model id (default "counting-v1"), so runs with other
 * options share cache entries. open() logs nothing: the registry runs it
 * twice (once in a probe child).
 *
 * Answers: per byte of the continuation (plus EOS) a log-probability from
 * the byte, flags greedy for bytes divisible by 3; generation picks words by
 * a hash of the prompt.
 */
#include "harness/backend.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct counting {
	char *log;
	long die_after;    /* < 0: never */
	long calls;        /* score + generate calls so far */
	char id[128];
};

static int c_open(const struct uh_backend_config *cfg, void **state, char *errbuf, size_t errlen)
{
	struct counting *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	c->die_after = -1;
	snprintf(c->id, sizeof(c->id), "counting-v1");
	for (size_t i = 0; cfg && i < cfg->n; i++) {
		const char *k = cfg->keys[i], *v = cfg->values[i];

		if (!strcmp(k, "log")) {
			free(c->log);
			c->log = strdup(v);
		} else if (!strcmp(k, "die_after")) {
			char *end;

			errno = 0;
			c->die_after = strtol(v, &end, 10);
			if (errno || *end || c->die_after < 0) {
				snprintf(errbuf, errlen, "die_after wants a count, got '%s'", v);
				free(c->log);
				free(c);
				return -1;
			}
		} else if (!strcmp(k, "id")) {
			snprintf(c->id, sizeof(c->id), "%s", v);
		} else {
			snprintf(errbuf, errlen, "unknown option '%s' (valid: log, die_after, id)", k);
			free(c->log);
			free(c);
			return -1;
		}
	}
	*state = c;
	return 0;
}

static void c_close(void *state)
{
	struct counting *c = state;

	free(c->log);
	free(c);
}

static const char *c_model_id(void *state)
{
	return ((struct counting *)state)->id;
}

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\t')
			fputs("\\t", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static FILE *log_open(struct counting *c)
{
	return c->log ? fopen(c->log, "a") : NULL;
}

/* Die before answering the (die_after+1)-th batch. */
static void maybe_die(struct counting *c)
{
	if (c->die_after >= 0 && c->calls >= c->die_after)
		raise(SIGKILL);
	c->calls++;
}

static double byte_logprob(unsigned char b)
{
	return -0.03125 * (double)(1 + b % 29) - 1.0 / (double)(3 + b);
}

static int c_score(void *state, const struct uh_score_req *reqs, size_t n, struct uh_score_res *res,
		   char *errbuf, size_t errlen)
{
	struct counting *c = state;
	FILE *f;

	maybe_die(c);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *s = (const unsigned char *)reqs[i].continuation;
		int64_t len = (int64_t)strlen(reqs[i].continuation);
		int64_t k = len + (reqs[i].flags & UH_SCORE_EOS ? 1 : 0);
		double sum = 0;
		int all = 1;

		res[i].n_tokens = k;
		res[i].token_logprobs = malloc((size_t)k * sizeof(double) + 1);
		res[i].token_greedy = malloc((size_t)k + 1);
		if (!res[i].token_logprobs || !res[i].token_greedy) {
			for (size_t j = 0; j <= i; j++) {
				free(res[j].token_logprobs);
				free(res[j].token_greedy);
			}
			snprintf(errbuf, errlen, "out of memory");
			return -1;
		}
		for (int64_t t = 0; t < k; t++) {
			unsigned char b = t < len ? s[t] : 0;

			res[i].token_logprobs[t] = byte_logprob(b);
			res[i].token_greedy[t] = b % 3 == 0;
			sum += res[i].token_logprobs[t];
			all &= res[i].token_greedy[t];
		}
		res[i].logprob = sum;
		res[i].is_greedy = all;
	}
	if ((f = log_open(c))) {
		for (size_t i = 0; i < n; i++) {
			fputs("score\t", f);
			put_escaped(f, reqs[i].context);
			fputc('\t', f);
			put_escaped(f, reqs[i].continuation);
			fprintf(f, "\t%u\n", (unsigned)reqs[i].flags);
		}
		fclose(f);
	}
	return 0;
}

static void c_free_score(void *state, struct uh_score_res *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(res[i].token_logprobs);
		free(res[i].token_greedy);
	}
}

static const char *const words[] = { "alpha", "born", "city", "novel", "award", "father", "mother",
				     "writer", "genre", "the", "of", "in" };

static int c_generate(void *state, const struct uh_gen_req *reqs, size_t n, struct uh_gen_res *res,
		      char *errbuf, size_t errlen)
{
	struct counting *c = state;
	FILE *f;

	maybe_die(c);
	for (size_t i = 0; i < n; i++) {
		uint64_t h = 1469598103934665603ull;
		int32_t k = reqs[i].max_new_tokens < 6 ? reqs[i].max_new_tokens : 6;
		size_t len = 0;

		for (const unsigned char *p = (const unsigned char *)reqs[i].prompt; *p; p++)
			h = (h ^ *p) * 1099511628211ull;
		res[i].text = malloc((size_t)k * 8 + 1);
		if (!res[i].text) {
			for (size_t j = 0; j < i; j++)
				free(res[j].text);
			snprintf(errbuf, errlen, "out of memory");
			return -1;
		}
		for (int32_t t = 0; t < k; t++) {
			const char *w = words[(h >> (5 * t)) % (sizeof(words) / sizeof(words[0]))];

			len += (size_t)sprintf(res[i].text + len, "%s%s", t ? " " : "", w);
		}
		res[i].text[len] = '\0';
		res[i].n_tokens = k;
		res[i].finish_reason = k < reqs[i].max_new_tokens ? UH_FINISH_EOS : UH_FINISH_LENGTH;
	}
	if ((f = log_open(c))) {
		for (size_t i = 0; i < n; i++) {
			fputs("generate\t", f);
			put_escaped(f, reqs[i].prompt);
			fprintf(f, "\t%d", (int)reqs[i].max_new_tokens);
			for (size_t s = 0; s < reqs[i].n_stop; s++) {
				fputc('\t', f);
				put_escaped(f, reqs[i].stop[s]);
			}
			fputc('\n', f);
		}
		fclose(f);
	}
	return 0;
}

static void c_free_gen(void *state, struct uh_gen_res *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(res[i].text);
}

static int c_tokenize(void *state, const char *text, int64_t *n_tokens, char *errbuf, size_t errlen)
{
	struct counting *c = state;
	FILE *f;

	*n_tokens = (int64_t)strlen(text) / 4 + 1;
	if ((f = log_open(c))) {
		fputs("tokenize\t", f);
		put_escaped(f, text);
		fputc('\n', f);
		fclose(f);
	}
	return 0;
}

static const struct uh_backend_api counting_api = {
	.abi_version = UH_BACKEND_ABI_VERSION,
	.size = sizeof(struct uh_backend_api),
	.name = "counting",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE | UH_CAN_TOKEN_LOGPROBS,
	.open = c_open,
	.close = c_close,
	.model_id = c_model_id,
	.score = c_score,
	.free_score = c_free_score,
	.generate = c_generate,
	.free_gen = c_free_gen,
	.tokenize = c_tokenize,
};

const struct uh_backend_api *uh_backend_init(uint32_t host_abi_version)
{
	return host_abi_version == UH_BACKEND_ABI_VERSION ? &counting_api : NULL;
}
