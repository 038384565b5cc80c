/*
 * bench_cache.c - what the request cache costs per request.
 *
 * On a fresh database in a temporary folder, with TOFU-sized requests
 * (a 300-byte context, a 60-byte continuation, 16 per-token values):
 * the key (SHA-256 over every field), storing answers in batches of 64 and
 * one by one (one transaction each, as an uncached tokenize() is stored),
 * looking up hits and misses in batches of 64, and the caching backend in
 * front of the `null` backend against `null` alone.
 *
 *   build/rel/bench/bench_cache [N]      (default N = 20000)
 */
#include "harness/backends/cache.h"
#include "harness/backends/registry.h"
#include "results/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define TOKENS 16

/*
 * CPU seconds of this process (user + system): the harness's own cost,
 * steadier than wall time on a shared machine; wall time is printed beside.
 */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}


static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const struct uh_err *e)
{
	fprintf(stderr, "bench_cache: %s: %s\n", what, e ? e->msg : "failed");
	exit(1);
}

/* Start a measurement. */
static void start(double *cpu, double *w)
{
	*cpu = now();
	*w = wall();
}

/* Report a measurement started with start(). */
static void report(const char *what, double cpu0, double w0, size_t n)
{
	double cpu = now() - cpu0, w = wall() - w0;

	printf("%-44s %8.2f us/request CPU, %8.2f wall  (%zu)\n", what, cpu / (double)n * 1e6,
	       w / (double)n * 1e6, n);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 20000;
	char tmpl[] = "/tmp/uh-bench-cache-XXXXXX", db[256], rm[300], (*ctx)[320];
	const char *tmp = mkdtemp(tmpl);
	struct uh_score_req *q;
	struct uh_score_res *r, got[BATCH];
	struct uh_cache_key *k;
	unsigned char hit[BATCH];
	double tl[TOKENS], t0, w0;
	uint8_t tg[TOKENS];
	struct uh_cache *c;
	struct uh_err e;
	char id[65];
	size_t hits = 0;

	if (!tmp || n < BATCH)
		die("setup", NULL);
	snprintf(db, sizeof(db), "%s/bench.db", tmp);
	ctx = malloc(n * sizeof(*ctx));
	q = malloc(n * sizeof(*q));
	r = calloc(n, sizeof(*r));
	k = malloc(n * sizeof(*k));
	if (!ctx || !q || !r || !k)
		die("out of memory", NULL);
	for (int t = 0; t < TOKENS; t++) {
		tl[t] = -0.1 * (t + 1);
		tg[t] = t % 2;
	}
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(ctx[i], sizeof(ctx[i]), "[INST] Question %zu about an author: ", i);

		memset(ctx[i] + w, 'x', 300 - (size_t)w);
		ctx[i][300] = '\0';
		q[i] = (struct uh_score_req){ ctx[i], "The author was born in a small coastal town in 1961.", 1 };
		r[i] = (struct uh_score_res){ .logprob = -13.6, .n_tokens = TOKENS, .token_logprobs = tl,
					      .token_greedy = tg };
	}
	if (uh_cache_open(&c, db, 0, &e))
		die("open", &e);
	printf("request cache, %zu score requests (300 + 52 bytes, %d per-token values)\n", n, TOKENS);

	uh_cache_identity("bench", "model-1", NULL, id);
	start(&t0, &w0);
	for (size_t i = 0; i < n; i++)
		uh_cache_key_score(id, &q[i], &k[i]);
	report("key (sha256 of the fields)", t0, w0, n);

	start(&t0, &w0);
	for (size_t off = 0; off + BATCH <= n; off += BATCH)
		if (uh_cache_put_score(c, k + off, r + off, BATCH, &e))
			die("put", &e);
	report("store, batches of 64 (one transaction each)", t0, w0, n / BATCH * BATCH);

	start(&t0, &w0);
	for (size_t off = 0; off + BATCH <= n; off += BATCH) {
		if (uh_cache_get_score(c, k + off, BATCH, 1, got, hit, &e))
			die("get", &e);
		for (int j = 0; j < BATCH; j++)
			hits += hit[j];
		uh_cache_free_score(got, BATCH);
	}
	report("look up hits, batches of 64", t0, w0, n / BATCH * BATCH);
	if (hits != n / BATCH * BATCH)
		die("lookups missed", NULL);

	uh_cache_identity("bench", "model-2", NULL, id);
	for (size_t i = 0; i < n; i++)
		uh_cache_key_score(id, &q[i], &k[i]);
	start(&t0, &w0);
	for (size_t off = 0; off + BATCH <= n; off += BATCH) {
		if (uh_cache_get_score(c, k + off, BATCH, 1, got, hit, &e))
			die("get", &e);
	}
	report("look up misses, batches of 64", t0, w0, n / BATCH * BATCH);

	start(&t0, &w0);
	for (size_t i = 0; i < n / 10; i++)
		if (uh_cache_put_score(c, k + i, r + i, 1, &e))
			die("put", &e);
	report("store one by one (a transaction each)", t0, w0, n / 10);

	/* the caching backend in front of null, against null alone */
	{
		struct uh_backend null_b, cb;
		struct uh_score_res out[BATCH];

		if (uh_backend_open(&null_b, "null", NULL, &e))
			die("null backend", &e);
		start(&t0, &w0);
		for (size_t off = 0; off + BATCH <= n; off += BATCH) {
			if (uh_backend_score(&null_b, q + off, BATCH, out, &e))
				die("null score", &e);
			uh_backend_free_score(&null_b, out, BATCH);
		}
		report("null backend alone", t0, w0, n / BATCH * BATCH);
		if (uh_cache_backend_wrap(&cb, &null_b, c, NULL, &e))
			die("wrap", &e);
		for (int pass = 0; pass < 2; pass++) {
			start(&t0, &w0);
			for (size_t off = 0; off + BATCH <= n; off += BATCH) {
				if (uh_backend_score(&cb, q + off, BATCH, out, &e))
					die("cached score", &e);
				uh_backend_free_score(&cb, out, BATCH);
			}
			report(pass ? "null behind the cache, warm (all hits)"
				    : "null behind the cache, cold (all stored)", t0, w0, n / BATCH * BATCH);
		}
		uh_backend_close(&cb);
		uh_backend_close(&null_b);
	}
	uh_cache_close(c);
	snprintf(rm, sizeof(rm), "rm -rf '%s'", tmp);
	if (system(rm) != 0)
		fprintf(stderr, "bench_cache: could not remove %s\n", tmp);
	free(ctx);
	free(q);
	free(r);
	free(k);
	return 0;
}
