/* results/store.c and results/schema.c: schema, migrations, one-transaction runs. */
#include "results/schema.h"
#include "results/store.h"
#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dbpath(char **dir)
{
	char *p;

	*dir = uh_test_tmpdir();
	p = malloc(strlen(*dir) + 16);
	cr_assert_not_null(p);
	sprintf(p, "%s/t.db", *dir);
	return p;
}

static void cleanup(char *dir, char *path)
{
	char buf[4200];
	const char *sfx[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "%s%s", path, sfx[i]);
		unlink(buf);
	}
	rmdir(dir);
	free(dir);
	free(path);
}

/* One integer from a constant query, through SQLite directly. */
static long long count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static const struct uh_store_run_info info = {
	.suite = "tofu", .split = "forget10", .profile = "tofu", .model = "llama2-7b",
	.tag = "t1", .source = "test", .has_seed = 1, .seed = 42,
};

Test(store, default_path)
{
	unsetenv("UH_DB");
	cr_expect_str_eq(uh_store_default_path(NULL), "uh.db");
	cr_expect_str_eq(uh_store_default_path(""), "uh.db");
	setenv("UH_DB", "/tmp/x.db", 1);
	cr_expect_str_eq(uh_store_default_path(NULL), "/tmp/x.db");
	cr_expect_str_eq(uh_store_default_path("a.db"), "a.db");
	unsetenv("UH_DB");
}

Test(store, create_and_migrate_twice)
{
	char *dir, *path = dbpath(&dir);
	struct uh_store *st;
	struct uh_err err;

	cr_assert_eq(uh_store_open(&st, path, &err), 0, "%s", err.msg);
	cr_expect_eq(uh_store_schema_version(st), uh_schema_latest());
	cr_expect_str_eq(uh_store_path(st), path);
	uh_store_close(st);
	/* Opening again applies nothing and keeps one row per migration. */
	cr_assert_eq(uh_store_open(&st, path, &err), 0, "%s", err.msg);
	cr_expect_eq(uh_store_schema_version(st), uh_schema_latest());
	uh_store_close(st);
	cr_expect_eq(count(path, "SELECT count(*) FROM schema_version"), uh_schema_latest());
	cr_expect_eq(count(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
				 " ('runs', 'run_provenance', 'items', 'metrics', 'request_cache')"), 5);
	cr_expect_eq(count(path, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
	cleanup(dir, path);
}

Test(store, round_trip)
{
	char *dir, *path = dbpath(&dir);
	struct uh_store *st;
	struct uh_store_run *run;
	struct uh_err err;
	struct uh_store_run_row row;
	struct uh_store_item_row *items;
	struct uh_store_metric_row *ms;
	struct uh_store_run_row *rows;
	size_t n;
	int64_t id;
	char *v;

	cr_assert_eq(uh_store_open(&st, path, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
	id = uh_store_run_id(run);
	cr_assert_gt(id, 0);
	cr_assert_eq(uh_store_run_add_provenance(run, "sha256:eval_log.json", "ab12", &err), 0, "%s", err.msg);
	for (int i = 0; i < 3; i++) {
		char json[64];
		struct uh_store_item it = { .task = "forget", .idx = 2 - i, .question = "q?",
					    .reference = "gt", .generation = i ? "gen" : NULL,
					    .values_json = json };

		snprintf(json, sizeof(json), "{\"tr\": %d.5}", 2 - i);
		cr_assert_eq(uh_store_run_add_item(run, &it, &err), 0, "%s", err.msg);
	}
	{
		struct uh_store_metric m1 = { .name = "forget_quality", .value = 1.834066410994743e-21, .n = 300 };
		struct uh_store_metric m2 = { .name = "prob/forget", .value = 0.99, .has_ci = 1,
					      .ci_lo = 0.98, .ci_hi = 0.995, .n = -1 };

		cr_assert_eq(uh_store_run_add_metric(run, &m1, &err), 0, "%s", err.msg);
		cr_assert_eq(uh_store_run_add_metric(run, &m2, &err), 0, "%s", err.msg);
	}
	/* Nothing is visible to another connection before the commit. */
	cr_expect_eq(count(path, "SELECT count(*) FROM runs"), 0);
	cr_assert_eq(uh_store_run_commit(run, &err), 0, "%s", err.msg);
	cr_expect_eq(count(path, "SELECT count(*) FROM runs"), 1);

	cr_assert_eq(uh_store_run_get(st, id, &row, &err), 0, "%s", err.msg);
	cr_expect_str_eq(row.suite, "tofu");
	cr_expect_str_eq(row.split, "forget10");
	cr_expect_str_eq(row.status, "complete");
	cr_expect_str_eq(row.model, "llama2-7b");
	cr_expect_str_eq(row.source, "test");
	cr_expect_not_null(row.finished);
	cr_expect_null(row.backend);
	cr_expect(row.has_seed && row.seed == 42);
	uh_store_run_row_release(&row);

	cr_assert_eq(uh_store_items_get(st, id, "forget", &items, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(items[i].idx, (int64_t)i);
	cr_expect_str_eq(items[0].values_json, "{\"tr\": 0.5}");
	cr_expect_null(items[2].generation);
	cr_expect_str_eq(items[0].generation, "gen");
	uh_store_item_rows_free(items, n);

	cr_assert_eq(uh_store_metrics_get(st, id, &ms, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(ms[0].name, "forget_quality");
	cr_expect(ms[0].value == 1.834066410994743e-21, "%.17g", ms[0].value);
	cr_expect(!ms[0].has_ci && ms[0].n == 300);
	cr_expect(ms[1].has_ci && ms[1].ci_lo == 0.98 && ms[1].ci_hi == 0.995 && ms[1].n == -1);
	uh_store_metric_rows_free(ms, n);

	cr_assert_eq(uh_store_provenance_get(st, id, "sha256:eval_log.json", &v, &err), 0, "%s", err.msg);
	cr_expect_str_eq(v, "ab12");
	free(v);
	cr_expect_eq(uh_store_provenance_get(st, id, "nope", &v, &err), UH_ENOTFOUND);

	cr_expect_eq(uh_store_run_get(st, id + 1, &row, &err), UH_ENOTFOUND);
	cr_expect(strstr(err.msg, "no run") != NULL, "%s", err.msg);

	{
		struct uh_store_run_filter f = { .suite = "tofu", .split = "forget10" };
		struct uh_store_run_filter g = { .model = "other" };

		cr_assert_eq(uh_store_runs_list(st, &f, &rows, &n, &err), 0, "%s", err.msg);
		cr_expect_eq(n, 1);
		cr_expect_eq(rows[0].id, id);
		uh_store_run_rows_free(rows, n);
		cr_assert_eq(uh_store_runs_list(st, &g, &rows, &n, &err), 0, "%s", err.msg);
		cr_expect_eq(n, 0);
		uh_store_run_rows_free(rows, n);
	}
	uh_store_close(st);
	cleanup(dir, path);
}

Test(store, list_newest_first_and_limit)
{
	char *dir, *path = dbpath(&dir);
	struct uh_store *st;
	struct uh_store_run *run;
	struct uh_store_run_row *rows;
	struct uh_err err;
	struct uh_store_run_filter f = { .suite = "tofu", .limit = 2 };
	int64_t ids[3];
	size_t n;

	cr_assert_eq(uh_store_open(&st, path, &err), 0, "%s", err.msg);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
		ids[i] = uh_store_run_id(run);
		cr_assert_eq(uh_store_run_commit(run, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(uh_store_runs_list(st, &f, &rows, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 2);
	cr_expect_eq(rows[0].id, ids[2]);
	cr_expect_eq(rows[1].id, ids[1]);
	uh_store_run_rows_free(rows, n);
	cr_assert_eq(uh_store_runs_list(st, NULL, &rows, &n, &err), 0, "%s", err.msg);
	cr_expect_eq(n, 3);
	uh_store_run_rows_free(rows, n);
	uh_store_close(st);
	cleanup(dir, path);
}

Test(store, failure_mid_run_rolls_back)
{
	char *dir, *path = dbpath(&dir);
	struct uh_store *st;
	struct uh_store_run *run;
	struct uh_err err;
	struct uh_store_item it = { .task = "forget", .idx = 0, .values_json = "{\"a\": 1}" };
	struct uh_store_metric nan_m = { .name = "bad", .value = NAN };

	cr_assert_eq(uh_store_open(&st, path, &err), 0, "%s", err.msg);

	/* A duplicate item key fails inside SQLite: the error carries its message. */
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_add_provenance(run, "k", "v", &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_add_item(run, &it, &err), 0, "%s", err.msg);
	cr_expect_eq(uh_store_run_add_item(run, &it, &err), UH_EDB);
	cr_expect(strstr(err.msg, "UNIQUE constraint failed") != NULL, "%s", err.msg);
	cr_expect(strstr(err.msg, "item 0 of task 'forget'") != NULL, "%s", err.msg);
	/* Later adds are refused, and commit rolls everything back. */
	cr_expect_eq(uh_store_run_add_provenance(run, "k2", "v", &err), UH_EDB);
	cr_expect_eq(uh_store_run_commit(run, &err), UH_EDB);
	cr_expect(strstr(err.msg, "UNIQUE") != NULL, "%s", err.msg);

	/* Invalid JSON, NaN metric, abort: all leave nothing behind. */
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
	it.values_json = "{not json";
	it.idx = 7;
	cr_expect_eq(uh_store_run_add_item(run, &it, &err), UH_EDB);
	cr_expect(strstr(err.msg, "item 7 of task 'forget'") != NULL, "%s", err.msg);
	uh_store_run_abort(run);
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
	cr_expect_eq(uh_store_run_add_metric(run, &nan_m, &err), UH_ENUM);
	cr_expect(strstr(err.msg, "'bad'") != NULL, "%s", err.msg);
	cr_expect_eq(uh_store_run_commit(run, &err), UH_ENUM);
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_add_provenance(run, "k", "v", &err), 0, "%s", err.msg);
	uh_store_close(st);  /* closing with a run open rolls it back */

	cr_expect_eq(count(path, "SELECT count(*) FROM runs"), 0);
	cr_expect_eq(count(path, "SELECT count(*) FROM items"), 0);
	cr_expect_eq(count(path, "SELECT count(*) FROM metrics"), 0);
	cr_expect_eq(count(path, "SELECT count(*) FROM run_provenance"), 0);
	cleanup(dir, path);
}

Test(store, one_run_at_a_time_and_required_fields)
{
	char *dir, *path = dbpath(&dir);
	struct uh_store *st;
	struct uh_store_run *run, *run2;
	struct uh_store_run_info bad = { .suite = "tofu" };
	struct uh_err err;

	cr_assert_eq(uh_store_open(&st, path, &err), 0, "%s", err.msg);
	cr_expect_eq(uh_store_run_begin(st, &bad, &run, &err), UH_EINVAL);
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
	cr_expect_eq(uh_store_run_begin(st, &info, &run2, &err), UH_EINTERNAL);
	cr_expect_null(run2);
	uh_store_run_abort(run);
	uh_store_close(st);
	cleanup(dir, path);
}

Test(store, newer_schema_is_rejected)
{
	char *dir, *path = dbpath(&dir);
	struct uh_store *st;
	struct uh_err err;
	sqlite3 *db;
	char sql[128];

	cr_assert_eq(uh_store_open(&st, path, &err), 0, "%s", err.msg);
	uh_store_close(st);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%d, 'future')", uh_schema_latest() + 1);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);

	cr_expect_eq(uh_store_open(&st, path, &err), UH_EDB);
	cr_expect_null(st);
	snprintf(sql, sizeof(sql), "schema version %d, newer than this uh", uh_schema_latest() + 1);
	cr_expect(strstr(err.msg, sql) != NULL, "%s", err.msg);
	cr_expect(strstr(err.msg, path) != NULL, "%s", err.msg);
	cleanup(dir, path);
}

Test(store, not_a_database)
{
	char *dir, *path = dbpath(&dir);
	struct uh_store *st;
	struct uh_err err;
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs("this is not an sqlite file, not at all, no. 0123456789abcdef0123456789\n", f);
	fclose(f);
	cr_expect_eq(uh_store_open(&st, path, &err), UH_EDB);
	cr_expect(strstr(err.msg, "not a database") != NULL, "%s", err.msg);
	cleanup(dir, path);
}

Test(store, run_lookup_uses_an_index)
{
	char *dir, *path = dbpath(&dir);
	struct uh_store *st;
	struct uh_err err;
	char *plan;
	const struct uh_store_run_filter fs[] = {
		{ .suite = "tofu", .split = "forget10" },
		{ .suite = "tofu" },
		{ .model = "m" },
		{ .suite = "tofu", .model = "m" },
	};

	cr_assert_eq(uh_store_open(&st, path, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		cr_assert_eq(uh_store_runs_list_plan(st, &fs[i], &plan, &err), 0, "%s", err.msg);
		cr_expect(strstr(plan, "USING INDEX runs_by_") != NULL, "filter %zu: %s", i, plan);
		cr_expect(strstr(plan, "SCAN runs\n") == NULL, "filter %zu: %s", i, plan);
		free(plan);
	}
	/* Newest first with no filter walks the created index, no temp sort. */
	cr_assert_eq(uh_store_runs_list_plan(st, NULL, &plan, &err), 0, "%s", err.msg);
	cr_expect(strstr(plan, "runs_by_created") != NULL, "%s", plan);
	free(plan);
	uh_store_close(st);
	cleanup(dir, path);
}

Test(store, readers_do_not_create_a_database)
{
	char *dir = uh_test_tmpdir();
	char path[4200];
	struct uh_store *st = NULL;
	struct uh_err err;

	snprintf(path, sizeof(path), "%s/typo.db", dir);
	cr_assert_eq(uh_store_open_existing(&st, path, &err), UH_ENOTFOUND);
	cr_assert_null(st);
	cr_assert(strstr(err.msg, "no database at") && strstr(err.msg, "typo.db"), "%s", err.msg);
	cr_assert_neq(access(path, F_OK), 0, "a reader created %s", path);
	/* once a writer made it, readers open it */
	cr_assert_eq(uh_store_open(&st, path, &err), 0, "%s", err.msg);
	uh_store_close(st);
	cr_assert_eq(uh_store_open_existing(&st, path, &err), 0, "%s", err.msg);
	uh_store_close(st);
	unlink(path);
	rmdir(dir);
	free(dir);
}
