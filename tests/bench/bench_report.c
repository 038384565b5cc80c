/*
 * bench_report.c - `uh report` at scale: a store of 10,000 runs and
 * 1,000,000 items (100 per run, TOFU-like texts and per-item values, the
 * 15 TOFU metrics with intervals, one imported full and retain reference
 * per split), written in one transaction with prepared statements, then
 * `uh report` in each format, `uh list runs`, `uh gate` and `uh diff` timed
 * as child processes (wall time, peak RSS via wait4, output size). The HTML
 * page shows the best 500 runs of each split in its tables by default (all
 * in its plots): a browser needs tens of seconds to lay out 10,000 rows.
 *
 *   UH_BUILD=build build/rel/bench/bench_report [RUNS [ITEMS_PER_RUN]]
 * BENCH_KEEP=1 keeps the database and the reports (the folder is printed).
 */
#include "results/store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_report: %s: %s\n", what, msg ? msg : "failed");
	exit(1);
}

static void ok(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		die(what, sqlite3_errmsg(db));
}

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die(sql, msg);
}

/* xorshift: deterministic values without GSL */
static uint64_t rng_state = 88172645463325252ull;

static double unif(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

/* ---------------------------------------------------------------- the store */

static const char *const metric_names[] = { "forget_quality", "ks_statistic", "model_utility",
	"prob/forget", "prob/real_authors", "prob/real_world", "prob/retain",
	"rouge/forget", "rouge/real_authors", "rouge/real_world", "rouge/retain",
	"truth_ratio/forget", "truth_ratio/real_authors", "truth_ratio/real_world",
	"truth_ratio/retain" };
#define N_METRICS (sizeof(metric_names) / sizeof(metric_names[0]))

static void build_db(const char *path, int runs, int per_run)
{
	static const char *const splits[] = { "forget01", "forget05", "forget10" };
	static const char *const tasks[] = { "forget", "retain", "real_authors", "real_world" };
	struct uh_store *st;
	struct uh_err err;
	sqlite3 *db;
	sqlite3_stmt *ins_run, *ins_item, *ins_metric;
	double t0 = now();

	/* the schema, as uh creates it */
	if (uh_store_open(&st, path, &err))
		die("open", err.msg);
	uh_store_close(st);
	ok(NULL, sqlite3_open(path, &db), "sqlite3_open");
	exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; BEGIN");
	ok(db, sqlite3_prepare_v2(db, "INSERT INTO runs (created, finished, status, suite, split,"
				  " profile, model, backend, template, tag, uh_version, seed, source) VALUES"
				  " (?1, ?1, 'complete', 'tofu', ?2, 'tofu', ?3, ?4, 'llama2', ?5, 'bench', 1, ?6)",
				  -1, &ins_run, NULL), "prepare runs");
	ok(db, sqlite3_prepare_v2(db, "INSERT INTO items (run_id, task, idx, question, reference,"
				  " generation, values_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
				  -1, &ins_item, NULL), "prepare items");
	ok(db, sqlite3_prepare_v2(db, "INSERT INTO metrics (run_id, name, value, ci_lo, ci_hi, n)"
				  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &ins_metric, NULL), "prepare metrics");
	for (int r = 0; r < runs; r++) {
		char created[40], model[80], tag[40];
		const char *split = splits[r % 3];
		bool ref = r < 6;   /* an imported full and retain model per split */
		sqlite3_int64 id;

		snprintf(created, sizeof(created), "2026-%02d-%02dT%02d:%02d:%02d.000Z", 1 + r / 100000 % 12,
			 1 + r / 3600 % 28, r / 60 % 24, r % 60, r / 7 % 60);
		if (ref)
			snprintf(model, sizeof(model), "tofu-llama2-7b_%s_%s", r < 3 ? "full" : "retain90", split);
		else
			snprintf(model, sizeof(model), "unlearned-%05d-lr%de-5 <b>&\"", r, 1 + r % 9);
		snprintf(tag, sizeof(tag), "sweep-%d%s", r % 17, r % 5 ? "" : " candidate");
		sqlite3_reset(ins_run);
		ok(db, sqlite3_bind_text(ins_run, 1, created, -1, SQLITE_TRANSIENT), "bind");
		ok(db, sqlite3_bind_text(ins_run, 2, split, -1, SQLITE_STATIC), "bind");
		ok(db, sqlite3_bind_text(ins_run, 3, model, -1, SQLITE_TRANSIENT), "bind");
		ok(db, sqlite3_bind_text(ins_run, 4, ref ? NULL : "openai:http://gpu:8000/v1", -1, SQLITE_STATIC), "bind");
		ok(db, sqlite3_bind_text(ins_run, 5, tag, -1, SQLITE_TRANSIENT), "bind");
		ok(db, sqlite3_bind_text(ins_run, 6, ref ? "import:tofu-logs" : "run", -1, SQLITE_STATIC), "bind");
		ok(db, sqlite3_step(ins_run), "insert run");
		id = sqlite3_last_insert_rowid(db);

		for (int i = 0; i < per_run; i++) {
			char q[160], gen[200], values[160];
			const char *task = tasks[i % 4];

			snprintf(q, sizeof(q), "[INST] What is the full name of the author born in city %d on"
				 " %02d/%02d/19%02d? [/INST]", i, 1 + i % 28, 1 + i % 12, i % 100);
			snprintf(gen, sizeof(gen), "The author's full name is Author %d %s, who writes <em>"
				 "fiction</em> & \"essays\".", i, r % 2 ? "Smith" : "Jones");
			snprintf(values, sizeof(values), "{\"truth_ratio\":%.17g,\"rouge\":%.17g,"
				 "\"prob\":%.17g}", unif(), unif(), unif());
			sqlite3_reset(ins_item);
			ok(db, sqlite3_bind_int64(ins_item, 1, id), "bind");
			ok(db, sqlite3_bind_text(ins_item, 2, task, -1, SQLITE_STATIC), "bind");
			ok(db, sqlite3_bind_int64(ins_item, 3, i / 4), "bind");
			ok(db, sqlite3_bind_text(ins_item, 4, q, -1, SQLITE_TRANSIENT), "bind");
			ok(db, sqlite3_bind_text(ins_item, 5, "The author's full name is Author.", -1, SQLITE_STATIC), "bind");
			ok(db, sqlite3_bind_text(ins_item, 6, gen, -1, SQLITE_TRANSIENT), "bind");
			ok(db, sqlite3_bind_text(ins_item, 7, values, -1, SQLITE_TRANSIENT), "bind");
			ok(db, sqlite3_step(ins_item), "insert item");
		}
		for (size_t k = 0; k < N_METRICS; k++) {
			double v = k == 0 ? (ref && r >= 3 ? 1 : pow(10, -20 * unif())) : unif();
			bool ci = k >= 2;

			sqlite3_reset(ins_metric);
			ok(db, sqlite3_bind_int64(ins_metric, 1, id), "bind");
			ok(db, sqlite3_bind_text(ins_metric, 2, metric_names[k], -1, SQLITE_STATIC), "bind");
			ok(db, sqlite3_bind_double(ins_metric, 3, v), "bind");
			ok(db, ci ? sqlite3_bind_double(ins_metric, 4, v * 0.95) : sqlite3_bind_null(ins_metric, 4), "bind");
			ok(db, ci ? sqlite3_bind_double(ins_metric, 5, v * 1.05) : sqlite3_bind_null(ins_metric, 5), "bind");
			ok(db, sqlite3_bind_int64(ins_metric, 6, 100), "bind");
			ok(db, sqlite3_step(ins_metric), "insert metric");
		}
	}
	sqlite3_finalize(ins_run);
	sqlite3_finalize(ins_item);
	sqlite3_finalize(ins_metric);
	exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
	{
		struct stat sb;

		printf("store: %d runs, %lld items, %zu metrics each, written in %.2f s (one transaction),"
		       " %.0f MB\n", runs, (long long)runs * per_run, N_METRICS, now() - t0,
		       stat(path, &sb) ? 0.0 : (double)sb.st_size / 1e6);
	}
}

/* ---------------------------------------------------------------- timing uh */

/* Run uh with args, stdout to out (or /dev/null); print wall, peak RSS and the size of file. */
static void time_uh(const char *uh, const char *const *args, const char *out, const char *file,
		    const char *label)
{
	char *argv[32];
	int argc = 0, status;
	struct rusage ru;
	double t0;
	pid_t pid;

	argv[argc++] = (char *)uh;
	for (size_t i = 0; args[i]; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	fflush(stdout);
	t0 = now();
	pid = fork();
	if (pid < 0)
		die("fork", NULL);
	if (!pid) {
		if (!freopen(out ? out : "/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execv(uh, argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		die("wait4", NULL);
	{
		double wall = now() - t0;
		struct stat sb;

		printf("  %-34s %7.2f s  peak RSS %6.1f MB", label, wall, (double)ru.ru_maxrss / 1024.0);
		if (file && !stat(file, &sb))
			printf("  output %8.2f MB", (double)sb.st_size / 1e6);
		printf("  exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
}

int main(int argc, char **argv)
{
	const char *build = getenv("UH_BUILD");
	const char *tmpdir = getenv("TMPDIR");
	char dir[4096], db[4200], uh[4200], html[4200], csv[4200], md[4200], json[4200], list[4200];
	int runs = argc > 1 ? atoi(argv[1]) : 10000, per_run = argc > 2 ? atoi(argv[2]) : 100;

	if (runs < 6 || per_run < 0)
		die("usage", "bench_report [RUNS >= 6 [ITEMS_PER_RUN]]");
	snprintf(uh, sizeof(uh), "%s/uh", build && *build ? build : "build");
	snprintf(dir, sizeof(dir), "%s/uh-bench-report-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp", dir);
	snprintf(db, sizeof(db), "%s/bench.db", dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(csv, sizeof(csv), "%s/report.csv", dir);
	snprintf(md, sizeof(md), "%s/report.md", dir);
	snprintf(json, sizeof(json), "%s/report.json", dir);
	snprintf(list, sizeof(list), "%s/list.txt", dir);

	printf("bench_report: uh report over a large store\n");
	build_db(db, runs, per_run);
	time_uh(uh, (const char *[]){ "report", "--db", db, "--format", "html", "-o", html, NULL }, NULL,
		html, "report --format html");
	time_uh(uh, (const char *[]){ "report", "--db", db, "--format", "html", "-o", html,
				      "--rows", "0", NULL }, NULL, html, "report html --rows 0 (every row)");
	time_uh(uh, (const char *[]){ "report", "--db", db, "--format", "csv", "-o", csv, NULL }, NULL,
		csv, "report --format csv");
	time_uh(uh, (const char *[]){ "report", "--db", db, "--format", "md", "-o", md, NULL }, NULL,
		md, "report --format md");
	time_uh(uh, (const char *[]){ "report", "--db", db, "--format", "json", "-o", json, NULL }, NULL,
		json, "report --format json");
	time_uh(uh, (const char *[]){ "report", "--db", db, "--split", "forget05", "--format", "html",
				      "-o", html, NULL }, NULL, html, "report --split forget05 (html)");
	time_uh(uh, (const char *[]){ "list", "runs", "--limit", "0", "--db", db, NULL }, list, list,
		"list runs --limit 0");
	time_uh(uh, (const char *[]){ "gate", "--run", "tag:candidate", "--rule", "forget_quality >= 0.05",
				      "--rule", "model_utility >= 0.9 * baseline", "--baseline", "1", "--db",
				      db, NULL }, NULL, NULL, "gate --run tag:candidate");
	time_uh(uh, (const char *[]){ "diff", "7", "8", "--db", db, NULL }, NULL, NULL,
		"diff 7 8 (100 items, 10000 perms)");
	if (getenv("BENCH_KEEP")) {
		printf("kept %s\n", dir);
	} else {
		char cmd[8500];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "bench_report: could not remove %s\n", dir);
	}
	return 0;
}
