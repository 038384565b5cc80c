/*
 * bench_run.c - the runner end to end and its own cost per request.
 *
 *  1. `uh-run --suite tofu --split forget05` (the embedded default) as a
 *     child process: wall time and peak RSS (wait4's ru_maxrss), first with
 *     an empty cache (the synthetic set is written) and then warm.
 *  2. The runner's overhead per request against the built-in `null`
 *     backend, which does no work: the dispatch layer alone (dedupe,
 *     batches, the registry's checks of every answer) on many distinct
 *     requests, and a whole TOFU run (requests, per-item values with ROUGE,
 *     aggregates, bootstrap intervals, one store transaction) per request.
 *
 *   UH_BUILD=build build/rel/bench/bench_run
 */
#include "harness/backends/registry.h"
#include "harness/run.h"
#include "results/store.h"
#include "suites/synth_tofu.h"
#include "suites/tofu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const struct uh_err *e)
{
	fprintf(stderr, "bench_run: %s: %s\n", what, e ? e->msg : "failed");
	exit(1);
}

/* ---------------------------------------------------------------- 1. end to end */

static void end_to_end(const char *build, const char *tmp, const char *what)
{
	char exe[4200], db[4200], cache[4200];
	struct rusage ru;
	double t0, t1;
	int status;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/uh-run", build);
	snprintf(db, sizeof(db), "%s/bench.db", tmp);
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	fflush(stdout); /* the child must not repeat our buffered lines */
	t0 = now();
	pid = fork();
	if (pid < 0)
		die("fork", NULL);
	if (pid == 0) {
		setenv("XDG_CACHE_HOME", cache, 1);
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execl(exe, exe, "--suite", "tofu", "--split", "forget05", "--db", db, "--quiet", (char *)NULL);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		die("wait4", NULL);
	t1 = now();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_run: %s exited with status %d\n", exe, status);
		exit(1);
	}
	printf("uh-run --suite tofu --split forget05 (%s): %.3f s wall, %.1f MiB peak RSS\n", what,
	       t1 - t0, (double)ru.ru_maxrss / 1024.0);
}

/* ---------------------------------------------------------------- 2. overhead */

/* The dispatch layer on n distinct score requests and n/8 generations. */
static void dispatch(struct uh_backend *b, size_t n)
{
	struct uh_score_req *sq = calloc(n, sizeof(*sq));
	struct uh_gen_req *gq = calloc(n / 8, sizeof(*gq));
	char **text = calloc(n, sizeof(*text));
	struct uh_run_answers ans;
	struct uh_err e;
	double t0, dt;

	for (size_t i = 0; i < n; i++) {
		char buf[96];

		snprintf(buf, sizeof(buf), " answer number %zu is a short sentence about an author.", i);
		text[i] = strdup(buf);
		sq[i].context = "[INST] What is the full name of the author? [/INST]";
		sq[i].continuation = text[i];
		sq[i].flags = UH_SCORE_EOS;
	}
	for (size_t i = 0; i < n / 8; i++) {
		gq[i].prompt = text[i];
		gq[i].max_new_tokens = 200;
	}
	t0 = now();
	if (uh_run_requests(b, sq, n, gq, n / 8, UH_RUN_DEFAULT_BATCH, NULL, &ans, &e))
		die("uh_run_requests", &e);
	uh_run_answers_release(&ans);
	dt = now() - t0;
	printf("dispatch (dedupe + batches of %d + checks), null backend: %zu requests in %.3f s: "
	       "%.0f requests/s, %.3f us/request\n", UH_RUN_DEFAULT_BATCH, n + n / 8, dt,
	       (double)(n + n / 8) / dt, 1e6 * dt / (double)(n + n / 8));
	for (size_t i = 0; i < n; i++)
		free(text[i]);
	free(text);
	free(sq);
	free(gq);
}

/* A whole TOFU run of the null backend on the synthetic forget05 set. */
static void tofu_run(struct uh_backend *b, const char *tmp)
{
	char data[4200], db[4200];
	struct uh_tofu_suite s;
	struct uh_tofu_template t;
	struct uh_store *st;
	struct uh_run_tofu_opts o = { .quiet = true, .model = "null" };
	struct uh_run_tofu_result res;
	struct uh_err e;
	double t0, dt, best = 1e9;
	size_t nreq = 0;

	snprintf(data, sizeof(data), "%s/data", tmp);
	snprintf(db, sizeof(db), "%s/null.db", tmp);
	if (uh_synth_tofu(data, 0, UH_SYNTH_TOFU_DEFAULT_AUTHORS, 0, &e) ||
	    uh_tofu_suite_load(&s, data, "forget05", UH_TOFU_PROFILE_TOFU, &e) ||
	    uh_tofu_template_parse("llama2", &t, &e) || uh_store_open(&st, db, &e))
		die("setup", &e);
	for (int rep = 0; rep < 5; rep++) {
		t0 = now();
		if (uh_run_tofu(st, b, &s, &t, &o, &res, &e))
			die("uh_run_tofu", &e);
		dt = now() - t0;
		nreq = res.n_requests;
		best = dt < best ? dt : best;
		uh_run_tofu_result_release(&res);
	}
	printf("whole TOFU run (requests, values, ROUGE, aggregates, bootstrap, store), null backend: "
	       "%zu requests in %.3f s (best of 5): %.0f requests/s, %.1f us/request\n", nreq, best,
	       (double)nreq / best, 1e6 * best / (double)nreq);
	uh_store_close(st);
	uh_tofu_template_release(&t);
	uh_tofu_suite_release(&s);
}

int main(void)
{
	const char *build = getenv("UH_BUILD");
	char tmp[] = "/tmp/uh-bench-run-XXXXXX", cmd[128];
	struct uh_backend b;
	struct uh_err e;

	if (!build || !*build)
		build = "build";
	if (!mkdtemp(tmp))
		die("mkdtemp", NULL);
	end_to_end(build, tmp, "cold: synthesises the data");
	end_to_end(build, tmp, "warm: cached data");
	end_to_end(build, tmp, "warm: cached data");

	if (uh_backend_open(&b, "null", NULL, &e))
		die("open null backend", &e);
	dispatch(&b, 200000);
	tofu_run(&b, tmp);
	uh_backend_close(&b);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_run: could not remove %s\n", tmp);
	return 0;
}
