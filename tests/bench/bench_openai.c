/*
 * bench_openai.c - the openai backend's throughput and its own CPU cost per
 * request, at 1, 8 and 32 connections.
 *
 * The server is `uh serve --backend null` as a child process (started on a
 * free port, ready when GET /health answers), so this process's getrusage
 * is the client alone: libcurl, request building, JSON parsing and the
 * checks of every answer. When uh serve cannot be started, the in-process
 * fake server of the tests stands in and the CPU figure includes it.
 *
 * Each scored request is one HTTP request (batch=1), string prompts
 * (tokenize=no: the null backend has no token ids), as a load generator
 * like wrk would send them; a second line per setting shows batch=16, and
 * a last one TOFU-sized prompts (about 230 tokens each) in batches of 16.
 *
 *   UH_BUILD=build build/rel/bench/bench_openai [seconds per setting, default 2]
 *
 * UH_BENCH_ONLY=32:1 runs one setting (connections:batch);
 * UH_BENCH_SERVE_THREADS sets uh serve's --threads (default 2).
 */
#include "harness/backends/registry.h"
#include "tests/fake_server.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_ITEMS 256  /* distinct requests per score() call */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec * 1e-6;
}

/* A port nobody listens on right now. */
static int free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return s * n;
}

/* Wait up to 10 s for GET url to answer 200. */
static int wait_health(const char *url)
{
	CURL *c = curl_easy_init();
	int ok = 0;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 500L);
	for (int i = 0; i < 200 && !ok; i++) {
		long status = 0;

		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200)
			ok = 1;
		else
			usleep(50 * 1000);
	}
	curl_easy_cleanup(c);
	return ok;
}

static pid_t start_serve(const char *uh, int port, const char *threads)
{
	char p[16];
	pid_t pid;

	snprintf(p, sizeof(p), "%d", port);
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl(uh, uh, "serve", "--backend", "null", "--port", p, "--threads", threads, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* long: TOFU-sized prompts (about 200 words of context, 30 of answer) instead of short ones */
static void run(const char *url, int conc, int batch, double secs, int long_prompts)
{
	char kv_url[128], kv_conc[32], kv_batch[32];
	const char *keys[] = { "url", "concurrency", "batch", "tokenize", "model" };
	const char *vals[] = { kv_url, kv_conc, kv_batch, "no", "null" };
	struct uh_backend_config cfg = { .keys = keys, .values = vals, .n = 5 };
	static char ctx[N_ITEMS][2048];
	static const char *const answer_short = " a short answer of seven words here";
	static const char *const answer_long =
		" the author was born in a small town by the sea and wrote many novels about the people"
		" who lived there and the stories they told each other at night by the fire in winter";
	struct uh_score_req q[N_ITEMS];
	struct uh_score_res *res = calloc(N_ITEMS, sizeof(*res));
	struct uh_backend b;
	struct uh_err err;
	double t0, c0, t, c;
	long items = 0;

	snprintf(kv_url, sizeof(kv_url), "%s", url);
	snprintf(kv_conc, sizeof(kv_conc), "%d", conc);
	snprintf(kv_batch, sizeof(kv_batch), "%d", batch);
	for (int i = 0; i < N_ITEMS; i++) {
		size_t k = (size_t)snprintf(ctx[i], sizeof(ctx[i]), "Question: what did author %d write about ?", i);

		for (int w = 0; long_prompts && w < 190; w++)
			k += (size_t)snprintf(ctx[i] + k, sizeof(ctx[i]) - k, " word%d", w % 50);
		snprintf(ctx[i] + k, sizeof(ctx[i]) - k, "\nAnswer:");
		q[i] = (struct uh_score_req){ ctx[i], long_prompts ? answer_long : answer_short, 0 };
	}
	if (uh_backend_open(&b, "openai", &cfg, &err) < 0) {
		fprintf(stderr, "bench_openai: %s\n", err.msg);
		exit(1);
	}
	/* warm the connections */
	if (uh_backend_score(&b, q, (size_t)conc, res, &err) < 0) {
		fprintf(stderr, "bench_openai: %s\n", err.msg);
		exit(1);
	}
	uh_backend_free_score(&b, res, (size_t)conc);
	t0 = now();
	c0 = cpu_s();
	do {
		if (uh_backend_score(&b, q, N_ITEMS, res, &err) < 0) {
			fprintf(stderr, "bench_openai: %s\n", err.msg);
			exit(1);
		}
		uh_backend_free_score(&b, res, N_ITEMS);
		items += N_ITEMS;
	} while (now() - t0 < secs);
	t = now() - t0;
	c = cpu_s() - c0;
	{
		long reqs = items / batch;

		printf("  %2d connections, batch %2d%s: %8.0f HTTP requests/s, %8.0f scored items/s, %6.1f us CPU per HTTP request, %6.2f us per item\n",
		       conc, batch, long_prompts ? ", long prompts" : "", reqs / t, items / t, c * 1e6 / reqs,
		       c * 1e6 / items);
	}
	uh_backend_close(&b);
	free(res);
}

int main(int argc, char **argv)
{
	const char *build = getenv("UH_BUILD") ? getenv("UH_BUILD") : "build";
	const char *threads = getenv("UH_BENCH_SERVE_THREADS") ? getenv("UH_BENCH_SERVE_THREADS") : "2";
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	char uh[512], url[128], health[128];
	struct fake_server *fs = NULL;
	pid_t pid = -1;
	int port = free_port();
	static const int concs[] = { 1, 8, 32 };

	if (!(secs > 0))
		secs = 2.0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(uh, sizeof(uh), "%s/uh", build);
	snprintf(health, sizeof(health), "http://127.0.0.1:%d/health", port);
	if (port > 0 && access(uh, X_OK) == 0) {
		pid = start_serve(uh, port, threads);
		if (pid > 0 && !wait_health(health)) {
			kill(pid, SIGTERM);
			waitpid(pid, NULL, 0);
			pid = -1;
		}
	}
	if (pid > 0) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", port);
		printf("bench_openai: against `%s serve --backend null --threads %s` on port %d (client CPU only)\n",
		       uh, threads, port);
	} else {
		fs = fs_start();
		if (!fs) {
			fprintf(stderr, "bench_openai: cannot start a server\n");
			return 1;
		}
		snprintf(url, sizeof(url), "%s", fs->url);
		printf("bench_openai: `uh serve` unavailable; against the in-process fake server (CPU includes the server)\n");
	}
	if (getenv("UH_BENCH_ONLY")) {  /* "CONNECTIONS:BATCH", e.g. 32:1 */
		int c = 0, bt = 0;

		if (sscanf(getenv("UH_BENCH_ONLY"), "%d:%d", &c, &bt) == 2 && c > 0 && bt > 0)
			run(url, c, bt, secs, 0);
	} else {
		for (size_t i = 0; i < sizeof(concs) / sizeof(concs[0]); i++) {
			run(url, concs[i], 1, secs, 0);
			run(url, concs[i], 16, secs, 0);
		}
		run(url, 8, 16, secs, 1);
	}
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	fs_stop(fs);
	return 0;
}
