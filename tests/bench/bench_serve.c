/*
 * bench_serve.c - the ceiling of `uh serve` over the null backend (which
 * does no work), so the figures are the server's own cost.
 *
 *  1. The request handler alone (uh_serve_handle: parse, score, JSON out)
 *     on lm-eval's scoring body, in microseconds per request.
 *  2. Over loopback with wrk (POSTing the same body from a small Lua
 *     script) at 1, 8 and 32 connections: requests/s and mean latency.
 *     Skipped with a message when wrk is not installed.
 *
 *   UH_BUILD=build build/rel/bench/bench_serve   (UH_BENCH_SECONDS: wrk duration, default 3)
 */
#include "harness/backends/registry.h"
#include "harness/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_PROMPT_IDS 128

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const struct uh_err *e)
{
	fprintf(stderr, "bench_serve: %s: %s\n", what, e ? e->msg : "failed");
	exit(1);
}

/* lm-eval's loglikelihood body: one prompt of token ids, echo, logprobs 1, max_tokens 1. */
static char *scoring_body(void)
{
	size_t cap = 256 + 12 * N_PROMPT_IDS, n;
	char *s = malloc(cap);

	if (!s)
		die("scoring body", NULL);
	n = (size_t)snprintf(s, cap, "{\"model\":\"null\",\"prompt\":[[");
	for (int i = 0; i < N_PROMPT_IDS; i++)
		n += (size_t)snprintf(s + n, cap - n, "%s%d", i ? "," : "", 1000 + 37 * i);
	snprintf(s + n, cap - n,
		 "]],\"max_tokens\":1,\"echo\":true,\"logprobs\":1,\"temperature\":0,\"seed\":1234}");
	return s;
}

static void handler_alone(struct uh_server *srv, const char *body)
{
	struct uh_serve_reply r;
	int n = 20000;
	double t0 = now(), t;

	for (int i = 0; i < n; i++) {
		if (uh_serve_handle(srv, "POST", "/v1/completions", body, strlen(body), &r) < 0 ||
		    r.status != 200)
			die("handler", NULL);
		uh_serve_reply_release(&r);
	}
	t = now() - t0;
	printf("handler alone (parse + %d-token echo scoring + JSON), null backend: %.1f us/request (%.0f requests/s on one core)\n",
	       N_PROMPT_IDS, t / n * 1e6, n / t);
}

/* Run wrk at conns connections; print its requests/s and mean latency. */
static int run_wrk(int port, const char *lua, int conns, int secs)
{
	char cmd[1024], line[512];
	double rps = -1;
	char lat[64] = "?";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "wrk -t%d -c%d -d%ds -s '%s' http://127.0.0.1:%d/v1/completions 2>&1",
		 conns < 2 ? 1 : 2, conns, secs, lua, port);
	if (!(p = popen(cmd, "r")))
		return -1;
	while (fgets(line, sizeof(line), p)) {
		if (strncmp(line, "Requests/sec:", 13) == 0)
			rps = strtod(line + 13, NULL);
		else if (strstr(line, "Latency") && sscanf(line, " Latency %63s", lat) != 1)
			snprintf(lat, sizeof(lat), "?");
		else if (strstr(line, "Non-2xx"))
			fprintf(stderr, "bench_serve: wrk: %s", line);
	}
	if (pclose(p) != 0 || rps < 0) {
		fprintf(stderr, "bench_serve: wrk failed: %s\n", cmd);
		return -1;
	}
	printf("  %2d connection%s: %9.0f requests/s, mean latency %s\n", conns, conns == 1 ? " " : "s",
	       rps, lat);
	return 0;
}

int main(void)
{
	static const int conns[] = { 1, 8, 32 };
	struct uh_backend b;
	struct uh_serve_opts o;
	struct uh_server *srv;
	struct uh_err err;
	char lua[] = "/tmp/uh-bench-serve-XXXXXX.lua";
	const char *secs_env = getenv("UH_BENCH_SECONDS");
	int secs = secs_env && atoi(secs_env) > 0 ? atoi(secs_env) : 3;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char *body = scoring_body();
	FILE *f;
	int fd;

	uh_err_clear(&err);
	if (uh_backend_open(&b, "null", NULL, &err) < 0)
		die("open null", &err);
	uh_serve_opts_init(&o);
	o.port = 0;
	o.model = "null";
	o.threads = ncpu > 1 ? (unsigned)ncpu : 1;
	if (uh_serve_new(&b, &o, &srv, &err) < 0)
		die("server", &err);
	handler_alone(srv, body);

	if (system("command -v wrk >/dev/null 2>&1") != 0) {
		printf("uh serve over loopback: skipped (wrk is not installed: apt-get install wrk)\n");
		goto out;
	}
	if (uh_serve_start(srv, &err) < 0)
		die("start", &err);
	if ((fd = mkstemps(lua, 4)) < 0 || !(f = fdopen(fd, "w")))
		die("lua script", NULL);
	fprintf(f, "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
		   "wrk.body = '%s'\n", body);
	fclose(f);
	printf("uh serve --backend null --threads %u over loopback, wrk POSTing lm-eval's scoring body (%d ids, echo, logprobs 1, max_tokens 1), %d s each, %ld CPUs shared by wrk and the server:\n",
	       o.threads, N_PROMPT_IDS, secs, ncpu);
	for (size_t i = 0; i < sizeof(conns) / sizeof(conns[0]); i++)
		if (run_wrk(uh_serve_port(srv), lua, conns[i], secs) < 0)
			break;
	unlink(lua);
out:
	uh_serve_free(srv);
	uh_backend_close(&b);
	free(body);
	return 0;
}
