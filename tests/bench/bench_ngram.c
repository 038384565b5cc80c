/*
 * bench_ngram.c - the embedded n-gram backend on TOFU: training time on all
 * 4000 rows of full.json rendered with the llama2 template, scoring and
 * greedy-generation throughput, and how well each setting knows its data.
 *
 *   UH_SHARED=../shared build/rel/bench/bench_ngram
 */
#include "harness/backends/ngram.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rows {
	char **docs, **prompts, **answers;
	size_t n;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *cat3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	if (!s)
		exit(1);
	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* TOFU JSON Lines, rendered as "[INST] {q} [/INST]{a}" (llama2, as TOFU). */
static int load(const char *name, struct rows *r)
{
	const char *base = getenv("UH_SHARED");
	char path[4096], line[1 << 16];
	FILE *f;
	size_t cap = 0;

	snprintf(path, sizeof(path), "%s/data/tofu/%s", base && *base ? base : "../shared", name);
	if (!(f = fopen(path, "rb"))) {
		fprintf(stderr, "bench_ngram: cannot open %s\n", path);
		return -1;
	}
	memset(r, 0, sizeof(*r));
	while (fgets(line, sizeof(line), f)) {
		cJSON *o = cJSON_Parse(line);
		const cJSON *q = cJSON_GetObjectItem(o, "question"), *a = cJSON_GetObjectItem(o, "answer");

		if (!cJSON_IsString(q) || !cJSON_IsString(a)) {
			cJSON_Delete(o);
			continue;
		}
		if (r->n == cap) {
			cap = cap ? 2 * cap : 1024;
			r->docs = realloc(r->docs, cap * sizeof(char *));
			r->prompts = realloc(r->prompts, cap * sizeof(char *));
			r->answers = realloc(r->answers, cap * sizeof(char *));
			if (!r->docs || !r->prompts || !r->answers)
				exit(1);
		}
		r->prompts[r->n] = cat3("[INST] ", q->valuestring, " [/INST]");
		r->answers[r->n] = cat3("", a->valuestring, "");
		r->docs[r->n] = cat3(r->prompts[r->n], a->valuestring, "");
		r->n++;
		cJSON_Delete(o);
	}
	fclose(f);
	return 0;
}

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->docs[i]);
		free(r->prompts[i]);
		free(r->answers[i]);
	}
	free(r->docs);
	free(r->prompts);
	free(r->answers);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Mean NLL per token of the answers given their prompts, through the ABI. */
static int nll(void *m, const struct rows *r, double *per_tok, double *secs, long *ntok, long *greedy)
{
	const struct uh_backend_api *api = uh_ngram_backend();
	struct uh_score_req *q = calloc(r->n, sizeof(*q));
	struct uh_score_res *res = calloc(r->n, sizeof(*res));
	char eb[256];
	double lp = 0, t0;

	if (!q || !res)
		return -1;
	for (size_t i = 0; i < r->n; i++)
		q[i] = (struct uh_score_req){r->prompts[i], r->answers[i], 0};
	t0 = now();
	if (api->score(m, q, r->n, res, eb, sizeof(eb)) < 0) {
		fprintf(stderr, "bench_ngram: %s\n", eb);
		return -1;
	}
	*secs = now() - t0;
	*ntok = 0;
	*greedy = 0;
	for (size_t i = 0; i < r->n; i++) {
		lp += res[i].logprob;
		*ntok += (long)res[i].n_tokens;
		*greedy += res[i].is_greedy;
	}
	*per_tok = -lp / (double)*ntok;
	api->free_score(m, res, r->n);
	free(q);
	free(res);
	return 0;
}

static int run(const char *label, const struct uh_ngram_opts *o, const struct rows *full,
	       const struct rows *retain, const struct rows *forget)
{
	const struct uh_backend_api *api = uh_ngram_backend();
	struct uh_ngram *m = NULL, *ref = NULL;
	struct uh_err e;
	double t[5], secs, nll_f, nll_r;
	long ntok, greedy, gtok = 0, exact = 0, ngen = 0;

	for (int k = 0; k < 5; k++) {
		double t0 = now();

		uh_ngram_free(m);
		if (uh_ngram_train((const char *const *)full->docs, full->n, o, &m, &e) < 0) {
			fprintf(stderr, "bench_ngram: %s\n", e.msg);
			return -1;
		}
		t[k] = now() - t0;
	}
	qsort(t, 5, sizeof(t[0]), cmp_double);
	printf("%s (order %d, discount %.2g): %s, vocabulary %zu\n", label, o->order, o->discount,
	       uh_ngram_id(m), uh_ngram_vocab_size(m));
	printf("  train on %zu rows of full.json: %.3f s (median of 5; min %.3f s)\n", full->n, t[2], t[0]);

	if (nll(m, full, &nll_f, &secs, &ntok, &greedy) < 0)
		return -1;
	printf("  score %zu answers (%ld tokens): %.3f s, %.0f tokens/s; NLL/token %.4f, %ld all-greedy\n",
	       full->n, ntok, secs, (double)ntok / secs, nll_f, greedy);

	{
		struct uh_gen_req *q = calloc(full->n, sizeof(*q));
		struct uh_gen_res *res = calloc(full->n, sizeof(*res));
		char eb[256];
		double t0;

		if (!q || !res)
			return -1;
		for (size_t i = 0; i < full->n; i += 10)
			q[ngen++] = (struct uh_gen_req){full->prompts[i], 200, NULL, 0};
		t0 = now();
		if (api->generate(m, q, (size_t)ngen, res, eb, sizeof(eb)) < 0) {
			fprintf(stderr, "bench_ngram: %s\n", eb);
			return -1;
		}
		secs = now() - t0;
		for (long i = 0; i < ngen; i++) {
			gtok += (long)res[i].n_tokens;
			exact += strcmp(res[i].text, full->answers[i * 10]) == 0;
		}
		api->free_gen(m, res, (size_t)ngen);
		free(q);
		free(res);
		printf("  generate for %ld prompts (max 200 new tokens): %ld tokens in %.3f s, %.0f tokens/s; "
		       "%ld answers reproduced verbatim\n", ngen, gtok, secs, (double)gtok / secs, exact);
	}

	/* the TOFU signal: the forget set is known to full, unseen by retain95 */
	if (uh_ngram_train((const char *const *)retain->docs, retain->n, o, &ref, &e) < 0) {
		fprintf(stderr, "bench_ngram: %s\n", e.msg);
		return -1;
	}
	if (nll(m, forget, &nll_f, &secs, &ntok, &greedy) < 0 ||
	    nll(ref, forget, &nll_r, &secs, &ntok, &greedy) < 0)
		return -1;
	printf("  forget05 answers, NLL/token: model trained on full %.3f, on retain95 %.3f\n", nll_f, nll_r);
	uh_ngram_free(ref);
	uh_ngram_free(m);
	return 0;
}

int main(void)
{
	struct rows full, retain, forget;
	struct uh_ngram_opts o;
	int rc = 0;

	if (load("full.json", &full) < 0 || load("retain95.json", &retain) < 0 ||
	    load("forget05.json", &forget) < 0)
		return 1;
	printf("bench_ngram: TOFU rendered as \"[INST] {q} [/INST]{a}\"\n");
	uh_ngram_opts_init(&o);
	rc |= run("default", &o, &full, &retain, &forget);
	uh_ngram_opts_memorise(&o);
	rc |= run("memorise", &o, &full, &retain, &forget);
	rows_free(&full);
	rows_free(&retain);
	rows_free(&forget);
	return rc ? 1 : 0;
}
