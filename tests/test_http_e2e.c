/*
 * uh serve and the openai backend over real loopback HTTP, against the
 * in-process ngram backend, bit for bit:
 *
 *   - backend level: every TOFU score request (llama2, phi and plain
 *     templates, whose prompts end in "Answer: " or "\n") and a few made to
 *     hit ties, unseen words and whitespace-only contexts, scored through
 *     an in-process server and the openai client, give the same logprob
 *     sums, token counts, greedy flags and per-token arrays as the model
 *     itself; generations give the same text, token count and finish;
 *   - end to end: `uh run --backend openai` against a `uh serve` child
 *     stores the same metrics and item values as `uh run --backend ngram`
 *     (both profiles, llama2 and phi);
 *   - resume: a run whose server stops answering is SIGKILLed, leaves no
 *     run, and its rerun finishes with the same numbers without asking the
 *     server for any prompt it had answered (the server's request log).
 */
#include "harness/backends/ngram.h"
#include "harness/backends/registry.h"
#include "harness/serve.h"
#include "suites/synth_tofu.h"
#include "suites/tofu.h"
#include "tests/testutil.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ORDER "16"    /* uh_ngram_opts_memorise, as the runner's embedded model */
#define DISCOUNT "0.5"
#define STOP_AFTER 20 /* completion requests the first server answers in the kill test */
#define STOP_AFTER_S "20"

static const char *const templates[] = { "llama2", "phi", "plain" };

static char *dir;
static char data[4200], train[4200];
static pid_t server_pid = -1, client_pid = -1;
static int server_port;

/* ---------------------------------------------------------------- fixture */

/* A synthetic TOFU set and the training file: full + background rows rendered with every template. */
static void setup(void)
{
	struct uh_err e;
	FILE *f;

	uh_err_clear(&e);
	dir = uh_test_tmpdir();
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(train, sizeof(train), "%s/train.jsonl", dir);
	cr_assert_eq(uh_synth_tofu(data, 3, 100, 0, &e), 0, "%s", e.msg);
	f = fopen(train, "w");
	cr_assert_not_null(f);
	for (size_t t = 0; t < sizeof(templates) / sizeof(templates[0]); t++) {
		static const char *const files[] = { "full", "real_authors", "world_facts" };
		struct uh_tofu_template tpl;

		cr_assert_eq(uh_tofu_template_parse(templates[t], &tpl, &e), 0, "%s", e.msg);
		for (size_t k = 0; k < 3; k++) {
			struct uh_tofu_rows rows;
			char path[4300];

			snprintf(path, sizeof(path), "%s/%s.json", data, files[k]);
			cr_assert_eq(uh_tofu_read_qa(path, &rows, &e), 0, "%s", e.msg);
			for (size_t i = 0; i < rows.n; i++) {
				char *doc = uh_tofu_render_document(&tpl, rows.rows[i].question,
								    rows.rows[i].answer);
				cJSON *o = cJSON_CreateObject();
				char *line;

				cr_assert(doc && o && cJSON_AddStringToObject(o, "text", doc));
				line = cJSON_PrintUnformatted(o);
				cr_assert_not_null(line);
				fprintf(f, "%s\n", line);
				free(line);
				cJSON_Delete(o);
				free(doc);
			}
			uh_tofu_rows_release(&rows);
		}
		uh_tofu_template_release(&tpl);
	}
	cr_assert_eq(fclose(f), 0);
	curl_global_init(CURL_GLOBAL_ALL);
}

/* Stop whatever child is still running, whichever way the test ended. */
static void stop_children(void)
{
	if (client_pid > 0) {
		kill(client_pid, SIGKILL);
		waitpid(client_pid, NULL, 0);
		client_pid = -1;
	}
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
}

static void teardown(void)
{
	char cmd[8500];

	stop_children();
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
	free(dir);
}

TestSuite(http_e2e, .init = setup, .fini = teardown, .timeout = 240);

/* ---------------------------------------------------------------- comparing answers */

static void expect_same_score(const struct uh_score_req *q, const struct uh_score_res *a,
			      const struct uh_score_res *b, size_t i)
{
	cr_assert_eq(a->n_tokens, b->n_tokens, "request %zu (%.60s | %.40s): %lld vs %lld tokens", i,
		     q->context, q->continuation, (long long)a->n_tokens, (long long)b->n_tokens);
	cr_expect_eq(memcmp(&a->logprob, &b->logprob, sizeof(double)), 0,
		     "request %zu (%.60s | %.40s): logprob %.17g vs %.17g", i, q->context, q->continuation,
		     a->logprob, b->logprob);
	cr_expect_eq(a->is_greedy, b->is_greedy, "request %zu (%.60s | %.40s): greedy %d vs %d", i,
		     q->context, q->continuation, a->is_greedy, b->is_greedy);
	for (int64_t k = 0; k < a->n_tokens; k++) {
		cr_expect_eq(memcmp(&a->token_logprobs[k], &b->token_logprobs[k], sizeof(double)), 0,
			     "request %zu token %lld: %.17g vs %.17g", i, (long long)k, a->token_logprobs[k],
			     b->token_logprobs[k]);
		cr_expect_eq(a->token_greedy[k], b->token_greedy[k], "request %zu token %lld (%.60s | %.40s): greedy %d vs %d",
			     i, (long long)k, q->context, q->continuation, a->token_greedy[k], b->token_greedy[k]);
	}
}

/* Score reqs through both backends and compare every field. */
static void expect_same_scores(struct uh_backend *http, struct uh_backend *local,
			       const struct uh_score_req *reqs, size_t n)
{
	struct uh_score_res *a = calloc(n, sizeof(*a)), *b = calloc(n, sizeof(*b));
	struct uh_err e;

	uh_err_clear(&e);
	cr_assert(a && b);
	cr_assert_eq(uh_backend_score(http, reqs, n, a, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_score(local, reqs, n, b, &e), 0, "%s", e.msg);
	for (size_t i = 0; i < n; i++)
		expect_same_score(&reqs[i], &a[i], &b[i], i);
	uh_backend_free_score(http, a, n);
	uh_backend_free_score(local, b, n);
	free(a);
	free(b);
}

static void expect_same_gens(struct uh_backend *http, struct uh_backend *local,
			     const struct uh_gen_req *reqs, size_t n)
{
	struct uh_gen_res *a = calloc(n, sizeof(*a)), *b = calloc(n, sizeof(*b));
	struct uh_err e;

	uh_err_clear(&e);
	cr_assert(a && b);
	cr_assert_eq(uh_backend_generate(http, reqs, n, a, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_generate(local, reqs, n, b, &e), 0, "%s", e.msg);
	for (size_t i = 0; i < n; i++) {
		cr_expect_str_eq(a[i].text, b[i].text, "generation %zu (%.60s)", i, reqs[i].prompt);
		cr_expect_eq(a[i].n_tokens, b[i].n_tokens, "generation %zu", i);
		cr_expect_eq(a[i].finish_reason, b[i].finish_reason, "generation %zu", i);
	}
	uh_backend_free_gen(http, a, n);
	uh_backend_free_gen(local, b, n);
	free(a);
	free(b);
}

/* The openai backend on a server at port. */
static void open_openai(struct uh_backend *b, int port)
{
	char url[64];
	const char *keys[] = { "url", "tokenize", "batch" };
	const char *vals[] = { url, "yes", "16" };
	struct uh_backend_config cfg = { .keys = keys, .values = vals, .n = 3 };
	struct uh_err e;

	uh_err_clear(&e);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", port);
	cr_assert_eq(uh_backend_open(b, "openai", &cfg, &e), 0, "%s", e.msg);
}

/* ---------------------------------------------------------------- backend level */

Test(http_e2e, openai_over_serve_scores_like_the_model_itself)
{
	struct uh_ngram_opts no;
	struct uh_ngram *m = NULL;
	struct uh_backend local, http;
	struct uh_serve_opts so;
	struct uh_server *srv = NULL;
	struct uh_err e;

	uh_err_clear(&e);
	uh_ngram_opts_memorise(&no);
	cr_assert_eq(uh_ngram_train_file(train, &no, &m, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_backend_wrap(&local, uh_ngram_backend(), m, "ngram", 1, &e), 0, "%s", e.msg);
	uh_serve_opts_init(&so);
	so.port = 0;
	so.threads = 4;
	cr_assert_eq(uh_serve_new(&local, &so, &srv, &e), 0, "%s", e.msg);
	cr_assert_eq(uh_serve_start(srv, &e), 0, "%s", e.msg);
	open_openai(&http, uh_serve_port(srv));

	/* every request of forget05 under each template (the tofu profile: the phi tag is scored) */
	for (size_t t = 0; t < sizeof(templates) / sizeof(templates[0]); t++) {
		struct uh_tofu_template tpl;
		struct uh_tofu_suite suite;
		struct uh_tofu_requests rq;

		cr_assert_eq(uh_tofu_template_parse(templates[t], &tpl, &e), 0, "%s", e.msg);
		cr_assert_eq(uh_tofu_suite_load(&suite, data, "forget05", UH_TOFU_PROFILE_TOFU, &e), 0,
			     "%s", e.msg);
		cr_assert_eq(uh_tofu_requests_build(&suite, &tpl, &rq, &e), 0, "%s", e.msg);
		expect_same_scores(&http, &local, rq.score, rq.n_score);
		expect_same_gens(&http, &local, rq.gen, rq.n_gen < 64 ? rq.n_gen : 64);
		uh_tofu_requests_release(&rq);
		uh_tofu_suite_release(&suite);
		uh_tofu_template_release(&tpl);
	}

	/* the edges: whitespace-only and empty contexts, contexts ending in
	 * several kinds of whitespace, unseen words, EOS, empty continuations */
	{
		static const struct uh_score_req edge[] = {
			{ "Question: Who wrote it?\nAnswer: ", "The author", UH_SCORE_EOS },
			{ "Question: Who wrote it?\nAnswer: ", "", 0 },
			{ "Question: Who wrote it?\nAnswer: ", "", UH_SCORE_EOS },
			{ "Question: Who wrote it?\n", "Answer: The author", 0 },
			{ "Question: Who wrote it?\n\n \t", "Answer: qwzx zzyq.", UH_SCORE_EOS },
			{ "   ", "The author's full name", 0 },
			{ "", "The author's full name", UH_SCORE_EOS },
			{ "", " The", 0 },
			{ "[INST] What is it? [/INST]", " qwzx", UH_SCORE_EOS },
			{ "[INST] What is it? [/INST] ", "qwzx. The author", 0 },
			{ "The author's full name is", " qwzx. The author is. The", UH_SCORE_EOS },
		};

		expect_same_scores(&http, &local, edge, sizeof(edge) / sizeof(edge[0]));
	}
	uh_backend_close(&http);
	uh_serve_free(srv);
	uh_backend_close(&local);
}

/* ---------------------------------------------------------------- child processes */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* GET http://127.0.0.1:port{path}: the body (caller frees) and *status, NULL when unreachable. */
static char *http_get(int port, const char *path, long *status)
{
	CURL *c = curl_easy_init();
	char url[128], *body = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&body, &len);
	CURLcode rc;

	cr_assert(c && mem);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	fclose(mem);
	if (rc != CURLE_OK) {
		free(body);
		return NULL;
	}
	return body;
}

/*
 * `uh serve` on the training file (port 0: a free one) with extra options
 * (NULL-terminated); waits until it answers /health. Sets server_pid and
 * server_port.
 */
static void start_server(int port, const char *log, const char *stop_after)
{
	char out[4300], errf[4300], portarg[16], *text;
	const char *args[24];
	int n = 0;
	long status = 0;

	snprintf(out, sizeof(out), "%s/serve.out", dir);
	snprintf(errf, sizeof(errf), "%s/serve.err", dir);
	snprintf(portarg, sizeof(portarg), "%d", port);
	args[n++] = "serve";
	args[n++] = "--backend";
	args[n++] = "ngram";
	args[n++] = "--opt";
	args[n++] = "train=";
	args[n++] = "--opt";
	args[n++] = "order=" ORDER;
	args[n++] = "--opt";
	args[n++] = "discount=" DISCOUNT;
	args[n++] = "--port";
	args[n++] = portarg;
	args[n++] = "--threads";
	args[n++] = "4";
	args[n++] = "--log-requests";
	args[n++] = log;
	if (stop_after) {
		args[n++] = "--stop-after";
		args[n++] = stop_after;
	}
	args[n] = NULL;
	{
		static char trainopt[4300];

		snprintf(trainopt, sizeof(trainopt), "train=%s", train);
		args[4] = trainopt;
	}
	server_pid = uh_test_spawn_uh(out, errf, args);
	/* the bound port is the first line on stdout, once the model is trained */
	for (int i = 0;; i++) {
		int st;

		cr_assert_lt(i, 3000, "uh serve printed no port in 30 s: %s", uh_test_slurp(errf, NULL));
		cr_assert_eq(waitpid(server_pid, &st, WNOHANG), 0, "uh serve exited: %s",
			     uh_test_slurp(errf, NULL));
		if (access(out, R_OK) == 0) {
			text = uh_test_slurp(out, NULL);
			if (strchr(text, '\n'))
				break;
			free(text);
		}
		sleep_ms(10);
	}
	server_port = atoi(text);
	free(text);
	cr_assert_gt(server_port, 0);
	if (port)
		cr_assert_eq(server_port, port);
	for (int i = 0;; i++) {
		char *body = http_get(server_port, "/health", &status);

		free(body);
		if (body && status == 200)
			break;
		cr_assert_lt(i, 500, "uh serve does not answer /health");
		sleep_ms(10);
	}
}

static void stop_server(void)
{
	int st = 0;

	cr_assert_gt(server_pid, 0);
	kill(server_pid, SIGTERM);
	cr_assert_eq(waitpid(server_pid, &st, 0), server_pid);
	server_pid = -1;
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "uh serve ended with status %d", st);
}

/* The args of `uh run` of forget05 into db: over HTTP (port > 0) or in-process; extra NULL-terminated. */
static int run_args(const char **args, int port, const char *db, const char *tpl, const char *profile)
{
	static char url[64], trainopt[4300];
	int n = 0;

	args[n++] = "run";
	args[n++] = "--suite";
	args[n++] = "tofu";
	args[n++] = "--split";
	args[n++] = "forget05";
	args[n++] = "--data";
	args[n++] = data;
	args[n++] = "--template";
	args[n++] = tpl;
	args[n++] = "--profile";
	args[n++] = profile;
	args[n++] = "--db";
	args[n++] = db;
	args[n++] = "--batch";
	args[n++] = "16";
	args[n++] = "--quiet";
	if (port) {
		snprintf(url, sizeof(url), "url=http://127.0.0.1:%d/v1", port);
		args[n++] = "--backend";
		args[n++] = "openai";
		args[n++] = "--opt";
		args[n++] = url;
	} else {
		snprintf(trainopt, sizeof(trainopt), "train=%s", train);
		args[n++] = "--backend";
		args[n++] = "ngram";
		args[n++] = "--opt";
		args[n++] = trainopt;
		args[n++] = "--opt";
		args[n++] = "order=" ORDER;
		args[n++] = "--opt";
		args[n++] = "discount=" DISCOUNT;
	}
	return n;
}

/* Run to the end; the wait status (stderr shown on failure). */
static void run_ok(const char *const *args)
{
	char out[4300], errf[4300];
	int st = 0;

	snprintf(out, sizeof(out), "%s/run.out", dir);
	snprintf(errf, sizeof(errf), "%s/run.err", dir);
	client_pid = uh_test_spawn_uh(out, errf, args);
	cr_assert_eq(waitpid(client_pid, &st, 0), client_pid);
	client_pid = -1;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "uh run failed (status %d): %s", st,
		  uh_test_slurp(errf, NULL));
}

/* ---------------------------------------------------------------- the database */

static long long sql_count(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	long long v = -1;

	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* Every metric (value, interval, n) and every item (generation, values) of run 1 in a and b, bit for bit. */
static void expect_same_run(const char *a, const char *b, const char *what)
{
	static const char *const sqls[] = {
		"SELECT name, value, ci_lo, ci_hi, n FROM metrics WHERE run_id = 1 ORDER BY name",
		"SELECT task, idx, generation, values_json, 0 FROM items WHERE run_id = 1 ORDER BY task, idx",
	};
	sqlite3 *ha, *hb;
	size_t rows[2] = { 0, 0 };

	cr_assert_eq(sqlite3_open(a, &ha), SQLITE_OK);
	cr_assert_eq(sqlite3_open(b, &hb), SQLITE_OK);
	for (int q = 0; q < 2; q++) {
		sqlite3_stmt *sa, *sb;

		cr_assert_eq(sqlite3_prepare_v2(ha, sqls[q], -1, &sa, NULL), SQLITE_OK);
		cr_assert_eq(sqlite3_prepare_v2(hb, sqls[q], -1, &sb, NULL), SQLITE_OK);
		while (sqlite3_step(sa) == SQLITE_ROW) {
			cr_assert_eq(sqlite3_step(sb), SQLITE_ROW, "%s: %s has fewer rows", what, b);
			for (int c = 0; c < 5; c++) {
				int ta = sqlite3_column_type(sa, c);

				cr_assert_eq(ta, sqlite3_column_type(sb, c), "%s: %s column %d", what,
					     sqlite3_column_text(sa, 0), c);
				if (ta == SQLITE_FLOAT) {
					double x = sqlite3_column_double(sa, c), y = sqlite3_column_double(sb, c);

					cr_expect_eq(memcmp(&x, &y, sizeof(x)), 0, "%s: %s = %.17g vs %.17g", what,
						     sqlite3_column_text(sa, 0), x, y);
				} else if (ta != SQLITE_NULL) {
					cr_expect_str_eq((const char *)sqlite3_column_text(sa, c),
							 (const char *)sqlite3_column_text(sb, c), "%s: %s column %d",
							 what, sqlite3_column_text(sa, 0), c);
				}
			}
			rows[q]++;
		}
		cr_expect_eq(sqlite3_step(sb), SQLITE_DONE, "%s: %s has more rows", what, b);
		sqlite3_finalize(sa);
		sqlite3_finalize(sb);
	}
	cr_expect_gt(rows[0], 10, "%s: metrics", what);
	cr_expect_gt(rows[1], 500, "%s: items", what);
	sqlite3_close(ha);
	sqlite3_close(hb);
}

/* ---------------------------------------------------------------- the request log */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lines [from, to) of the log (to past the end: all of them), sorted; *buf keeps the text. */
static char **log_lines(const char *path, size_t from, size_t to, char **buf, size_t *n)
{
	size_t len, all;
	char **l;

	*buf = uh_test_slurp(path, &len);
	l = uh_test_lines(*buf, len, &all);
	if (to > all)
		to = all;
	cr_assert_leq(from, to);
	memmove(l, l + from, (to - from) * sizeof(*l));
	*n = to - from;
	qsort(l, *n, sizeof(*l), cmp_str);
	return l;
}

static size_t count_lines(const char *path)
{
	size_t n = 0, len;
	char *b = uh_test_slurp(path, &len);

	for (size_t i = 0; i < len; i++)
		n += b[i] == '\n';
	free(b);
	return n;
}

/* ---------------------------------------------------------------- end to end */

Test(http_e2e, uh_run_over_http_equals_in_process_and_resumes_after_sigkill)
{
	static const char *const tpls[] = { "llama2", "phi" };
	static const char *const profiles[] = { "tofu", "open-unlearning" };
	char log1[4300], log2[4300], cdb[4300], adb[4300], stderr_path[4300], *b1, *b2, *ba;
	const char *args[48];
	char **l1, **l2, **la;
	size_t n1, n2, na, after_c;
	int n, port, st = 0;

	snprintf(log1, sizeof(log1), "%s/requests1.log", dir);
	snprintf(log2, sizeof(log2), "%s/requests2.log", dir);
	snprintf(cdb, sizeof(cdb), "%s/C.db", dir);
	snprintf(stderr_path, sizeof(stderr_path), "%s/killed.err", dir);

	/*
	 * 1. The server answers STOP_AFTER completion requests, then 503s. The
	 * client sends one request per runner batch (concurrency 1, batch 16,
	 * as --batch) and stores each batch's answers before sending the next,
	 * so when the server refuses one, every answered prompt is stored. The
	 * client retries the refused one until it is killed.
	 */
	start_server(0, log1, STOP_AFTER_S);
	port = server_port;
	n = run_args(args, port, cdb, "llama2", "tofu");
	args[n++] = "--opt";
	args[n++] = "concurrency=1";
	args[n++] = "--opt";
	args[n++] = "retries=100";
	args[n] = NULL;
	{
		char out[4300];

		snprintf(out, sizeof(out), "%s/killed.out", dir);
		client_pid = uh_test_spawn_uh(out, stderr_path, args);
	}
	for (int i = 0;; i++) {
		long status = 0;
		char *stats = http_get(port, "/stats", &status);
		cJSON *j = stats ? cJSON_Parse(stats) : NULL;
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "completions_refused");
		int refused = cJSON_IsNumber(r) && r->valuedouble >= 1;

		cJSON_Delete(j);
		free(stats);
		if (refused)
			break;
		cr_assert_eq(waitpid(client_pid, &st, WNOHANG), 0, "the run ended before the server stopped: %s",
			     uh_test_slurp(stderr_path, NULL));
		cr_assert_lt(i, 3000, "the server refused nothing in 30 s");
		sleep_ms(10);
	}
	kill(client_pid, SIGKILL);
	cr_assert_eq(waitpid(client_pid, &st, 0), client_pid);
	client_pid = -1;
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %d", st);
	stop_server();
	cr_expect_eq(sql_count(cdb, "SELECT count(*) FROM runs"), 0, "a killed run stores no run");
	cr_expect_eq(sql_count(cdb, "SELECT count(*) FROM items"), 0);
	n1 = count_lines(log1);
	cr_assert_gt(n1, (STOP_AFTER - 1) * 16 / 2, "the first server answered %zu prompts", n1);
	cr_expect_gt(sql_count(cdb, "SELECT count(*) FROM request_cache"), (STOP_AFTER - 1) * 8,
		     "the answers so far are kept");

	/* 2. a server with no limit on the same port (same model id), the same command: it finishes */
	start_server(port, log2, NULL);
	run_ok(args);
	cr_expect_eq(sql_count(cdb, "SELECT count(*) FROM runs WHERE status = 'complete'"), 1);
	after_c = count_lines(log2);
	{
		char path[4300], *out, *c;
		unsigned long hits = 0, misses = 0;

		snprintf(path, sizeof(path), "%s/run.out", dir);
		out = uh_test_slurp(path, NULL);
		c = strstr(out, "cache: ");
		cr_assert(c && sscanf(c, "cache: %lu hits, %lu misses", &hits, &misses) == 2, "%s", out);
		cr_expect_geq(hits, (STOP_AFTER - 1) * 8, "the resumed run used the answers kept: %s", c);
		cr_expect_gt(misses, 0);
		cr_log_info("killed after %zu prompts answered; resumed with %lu hits, %lu misses, %zu prompts sent",
			    n1, hits, misses, after_c);
		free(out);
	}

	/* 3. over HTTP and in-process without the cache, both profiles and both templates */
	for (size_t t = 0; t < sizeof(tpls) / sizeof(tpls[0]); t++) {
		for (size_t p = 0; p < sizeof(profiles) / sizeof(profiles[0]); p++) {
			char bdb[4300], what[64];

			snprintf(adb, sizeof(adb), "%s/A-%s-%s.db", dir, tpls[t], profiles[p]);
			snprintf(bdb, sizeof(bdb), "%s/B-%s-%s.db", dir, tpls[t], profiles[p]);
			snprintf(what, sizeof(what), "%s/%s", tpls[t], profiles[p]);
			n = run_args(args, port, adb, tpls[t], profiles[p]);
			args[n++] = "--no-cache";
			args[n] = NULL;
			run_ok(args);
			n = run_args(args, 0, bdb, tpls[t], profiles[p]);
			args[n++] = "--no-cache";
			args[n] = NULL;
			run_ok(args);
			expect_same_run(adb, bdb, what);
			if (t == 0 && p == 0) {
				/* the killed-and-resumed run got the numbers of an uninterrupted one */
				expect_same_run(adb, cdb, "resumed llama2/tofu");
				/* no prompt asked twice, and together exactly what an uncached run asks */
				l1 = log_lines(log1, 0, SIZE_MAX, &b1, &n1);
				l2 = log_lines(log2, 0, after_c, &b2, &n2);
				la = log_lines(log2, after_c, SIZE_MAX, &ba, &na);
				for (size_t i = 0; i < n2; i++)
					cr_expect(!bsearch(&l2[i], l1, n1, sizeof(*l1), cmp_str),
						  "prompt %s asked again after the restart", l2[i]);
				cr_expect_eq(n1 + n2, na, "%zu + %zu prompts, an uncached run asks %zu", n1, n2, na);
				for (size_t i = 0; i < na; i++)
					cr_expect(bsearch(&la[i], l1, n1, sizeof(*l1), cmp_str) ||
						  bsearch(&la[i], l2, n2, sizeof(*l2), cmp_str),
						  "prompt %s never asked by the resumed run", la[i]);
				free(l1);
				free(l2);
				free(la);
				free(b1);
				free(b2);
				free(ba);
			}
		}
	}
	stop_server();
}
