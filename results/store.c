#include "results/store.h"
#include "results/schema.h"
#include "harness/version.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

/* How long a writer waits for another process's lock before giving up. */
#define BUSY_TIMEOUT_MS 10000

struct uh_store {
	sqlite3 *db;
	char *path;
	int version;
	struct uh_store_run *active;   /* the run being written, if any */
};

struct uh_store_run {
	struct uh_store *st;
	int64_t id;
	int failed;                    /* an add failed: commit must roll back */
	struct uh_err first;           /* that failure */
	sqlite3_stmt *ins_prov, *ins_item, *ins_metric;
};

/* ------------------------------------------------------------- helpers */

static int db_err(struct uh_store *st, struct uh_err *err, const char *what)
{
	return uh_err_set(err, UH_EDB, "database '%s': %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static char *xstrdup(const char *s)
{
	size_t n;
	char *d;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* Prepare sql on st; on failure *out is NULL and err says why. */
static int prepare(struct uh_store *st, const char *sql, sqlite3_stmt **out, struct uh_err *err)
{
	*out = NULL;
	if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK) {
		sqlite3_finalize(*out);
		*out = NULL;
		return db_err(st, err, "preparing statement");
	}
	return 0;
}

/* Run a statement without parameters or results (BEGIN, COMMIT, PRAGMA ...). */
static int exec1(struct uh_store *st, const char *sql, struct uh_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (prepare(st, sql, &s, err))
		return UH_EDB;
	do
		rc = sqlite3_step(s);
	while (rc == SQLITE_ROW);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_err(st, err, sql);
	return 0;
}

/* Bind a possibly-NULL string. */
static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (!v)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

/* Copy a possibly-NULL text column; *ok cleared on allocation failure. */
static char *col_text(sqlite3_stmt *s, int i, int *ok)
{
	const unsigned char *t;
	char *d;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	t = sqlite3_column_text(s, i);
	if (!t) {
		*ok = 0;  /* NULL for a non-NULL column: out of memory */
		return NULL;
	}
	d = xstrdup((const char *)t);
	if (!d)
		*ok = 0;
	return d;
}

/* ------------------------------------------------------------- open/close */

const char *uh_store_default_path(const char *opt)
{
	const char *env;

	if (opt && *opt)
		return opt;
	env = getenv("UH_DB");
	if (env && *env)
		return env;
	return "uh.db";
}

static int store_open(struct uh_store **out, const char *path, bool create, struct uh_err *err);

int uh_store_open(struct uh_store **out, const char *path, struct uh_err *err)
{
	return store_open(out, path, true, err);
}

int uh_store_open_existing(struct uh_store **out, const char *path, struct uh_err *err)
{
	struct stat sb;

	*out = NULL;
	if (path && *path && strcmp(path, ":memory:") && stat(path, &sb) != 0)
		return uh_err_set(err, UH_ENOTFOUND, "no database at '%s' (uh-run and uh import write "
				  "one; --db or UH_DB choose which)", path);
	return store_open(out, path, false, err);
}

static int store_open(struct uh_store **out, const char *path, bool create, struct uh_err *err)
{
	struct uh_store *st;
	sqlite3_stmt *s = NULL;
	int rc;

	*out = NULL;
	if (!path || !*path)
		return uh_err_set(err, UH_EINVAL, "database path is empty");
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = xstrdup(path))) {
		free(st);
		return uh_err_set(err, UH_ENOMEM, "out of memory opening database '%s'", path);
	}
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), NULL);
	if (rc != SQLITE_OK) {
		if (st->db)
			uh_err_set(err, UH_EDB, "cannot open database '%s': %s", path, sqlite3_errmsg(st->db));
		else
			uh_err_set(err, UH_ENOMEM, "cannot open database '%s': out of memory", path);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS) != SQLITE_OK) {
		db_err(st, err, "setting busy timeout");
		goto fail;
	}
	/* journal_mode answers with the mode in effect; a memory db stays 'memory'. */
	if (prepare(st, "PRAGMA journal_mode = WAL", &s, err))
		goto fail;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		db_err(st, err, "setting WAL journal mode");
		goto fail;
	}
	{
		const char *mode = (const char *)sqlite3_column_text(s, 0);

		if (!mode || (strcmp(mode, "wal") && strcmp(mode, "memory"))) {
			uh_err_set(err, UH_EDB, "database '%s': cannot use WAL journal mode (got '%s')",
				   path, mode ? mode : "?");
			goto fail;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	if (exec1(st, "PRAGMA foreign_keys = ON", err) ||
	    exec1(st, "PRAGMA synchronous = NORMAL", err))
		goto fail;
	if (uh_schema_migrate(st->db, path, &st->version, err))
		goto fail;
	*out = st;
	return 0;

fail:
	sqlite3_finalize(s);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
	return err ? err->code : UH_EDB;
}

void uh_store_close(struct uh_store *st)
{
	if (!st)
		return;
	if (st->active)
		uh_store_run_abort(st->active);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int uh_store_schema_version(const struct uh_store *st)
{
	return st->version;
}

const char *uh_store_path(const struct uh_store *st)
{
	return st->path;
}

/* ------------------------------------------------------------- writing a run */

static void run_free(struct uh_store_run *run)
{
	sqlite3_finalize(run->ins_prov);
	sqlite3_finalize(run->ins_item);
	sqlite3_finalize(run->ins_metric);
	run->st->active = NULL;
	free(run);
}

static void rollback(struct uh_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		exec1(st, "ROLLBACK", NULL);
}

int uh_store_run_begin(struct uh_store *st, const struct uh_store_run_info *info,
		       struct uh_store_run **out, struct uh_err *err)
{
	struct uh_store_run *run;
	sqlite3_stmt *s = NULL;

	*out = NULL;
	if (!info || !info->suite || !*info->suite || !info->source || !*info->source)
		return uh_err_set(err, UH_EINVAL, "a run needs a suite and a source");
	if (st->active)
		return uh_err_set(err, UH_EINTERNAL, "database '%s': a run is already being written",
				  st->path);
	run = calloc(1, sizeof(*run));
	if (!run)
		return uh_err_set(err, UH_ENOMEM, "out of memory starting a run");
	run->st = st;
	st->active = run;
	if (exec1(st, "BEGIN IMMEDIATE", err)) {
		run_free(run);
		return UH_EDB;
	}
	if (prepare(st,
		    "INSERT INTO runs (created, status, suite, split, profile, model, backend, template,"
		    " tag, uh_version, seed, source) VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),"
		    " 'running', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &s, err))
		goto fail;
	if (bind_text(s, 1, info->suite) || bind_text(s, 2, info->split) ||
	    bind_text(s, 3, info->profile) || bind_text(s, 4, info->model) ||
	    bind_text(s, 5, info->backend) || bind_text(s, 6, info->template_name) ||
	    bind_text(s, 7, info->tag) ||
	    bind_text(s, 8, info->uh_version ? info->uh_version : UH_VERSION) ||
	    (info->has_seed ? sqlite3_bind_int64(s, 9, info->seed) : sqlite3_bind_null(s, 9)) ||
	    bind_text(s, 10, info->source)) {
		db_err(st, err, "binding run");
		goto fail;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		db_err(st, err, "inserting run");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	run->id = sqlite3_last_insert_rowid(st->db);
	if (prepare(st, "INSERT INTO run_provenance (run_id, key, value) VALUES (?1, ?2, ?3)",
		    &run->ins_prov, err) ||
	    prepare(st, "INSERT INTO items (run_id, task, idx, question, reference, generation,"
			" values_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &run->ins_item, err) ||
	    prepare(st, "INSERT INTO metrics (run_id, name, value, ci_lo, ci_hi, n)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &run->ins_metric, err))
		goto fail;
	*out = run;
	return 0;

fail:
	sqlite3_finalize(s);
	rollback(st);
	run_free(run);
	return err ? err->code : UH_EDB;
}

int64_t uh_store_run_id(const struct uh_store_run *run)
{
	return run->id;
}

/* Step a bound insert, reset it, and record a failure on the run. */
static int step_insert(struct uh_store_run *run, sqlite3_stmt *s, int bind_rc, const char *what,
		       struct uh_err *err)
{
	struct uh_store *st = run->st;
	int rc = 0;

	if (bind_rc != SQLITE_OK)
		rc = db_err(st, err, what);
	else if (sqlite3_step(s) != SQLITE_DONE)
		rc = db_err(st, err, what);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc && !run->failed) {
		run->failed = 1;
		uh_err_set(&run->first, rc, "%s", err ? err->msg : "database error");
	}
	return rc;
}

static int run_refuse(struct uh_store_run *run, struct uh_err *err)
{
	if (err)
		*err = run->first;
	return run->first.code;
}

/* A failure found before touching SQLite still fails the whole run. */
static int run_fail(struct uh_store_run *run, struct uh_err *err, int code, const char *msg)
{
	uh_err_set(err, code, "%s", msg);
	if (!run->failed) {
		run->failed = 1;
		uh_err_set(&run->first, code, "%s", msg);
	}
	return code;
}

int uh_store_run_add_provenance(struct uh_store_run *run, const char *key, const char *value,
				struct uh_err *err)
{
	sqlite3_stmt *s = run->ins_prov;
	char what[160];
	int b;

	if (run->failed)
		return run_refuse(run, err);
	if (!key || !value)
		return run_fail(run, err, UH_EINVAL, "provenance needs a key and a value");
	snprintf(what, sizeof(what), "inserting provenance '%.100s'", key);
	b = sqlite3_bind_int64(s, 1, run->id);
	if (!b) b = bind_text(s, 2, key);
	if (!b) b = bind_text(s, 3, value);
	return step_insert(run, s, b, what, err);
}

int uh_store_run_add_item(struct uh_store_run *run, const struct uh_store_item *item,
			  struct uh_err *err)
{
	sqlite3_stmt *s = run->ins_item;
	char what[160];
	int b;

	if (run->failed)
		return run_refuse(run, err);
	if (!item || !item->task)
		return run_fail(run, err, UH_EINVAL, "an item needs a task");
	snprintf(what, sizeof(what), "inserting item %lld of task '%.100s'", (long long)item->idx,
		 item->task);
	b = sqlite3_bind_int64(s, 1, run->id);
	if (!b) b = bind_text(s, 2, item->task);
	if (!b) b = sqlite3_bind_int64(s, 3, item->idx);
	if (!b) b = bind_text(s, 4, item->question);
	if (!b) b = bind_text(s, 5, item->reference);
	if (!b) b = bind_text(s, 6, item->generation);
	if (!b) b = bind_text(s, 7, item->values_json);
	return step_insert(run, s, b, what, err);
}

int uh_store_run_add_metric(struct uh_store_run *run, const struct uh_store_metric *m,
			    struct uh_err *err)
{
	sqlite3_stmt *s = run->ins_metric;
	char what[160];
	int b;

	if (run->failed)
		return run_refuse(run, err);
	if (!m || !m->name)
		return run_fail(run, err, UH_EINVAL, "a metric needs a name");
	/* SQLite would store NaN as NULL, silently: refuse it instead. */
	if (isnan(m->value) || (m->has_ci && (isnan(m->ci_lo) || isnan(m->ci_hi)))) {
		char msg[UH_ERR_MSG_MAX];

		snprintf(msg, sizeof(msg), "metric '%s' is NaN", m->name);
		return run_fail(run, err, UH_ENUM, msg);
	}
	snprintf(what, sizeof(what), "inserting metric '%.100s'", m->name);
	b = sqlite3_bind_int64(s, 1, run->id);
	if (!b) b = bind_text(s, 2, m->name);
	if (!b) b = sqlite3_bind_double(s, 3, m->value);
	if (!b) b = m->has_ci ? sqlite3_bind_double(s, 4, m->ci_lo) : sqlite3_bind_null(s, 4);
	if (!b) b = m->has_ci ? sqlite3_bind_double(s, 5, m->ci_hi) : sqlite3_bind_null(s, 5);
	if (!b) b = m->n >= 0 ? sqlite3_bind_int64(s, 6, m->n) : sqlite3_bind_null(s, 6);
	return step_insert(run, s, b, what, err);
}

int uh_store_run_commit(struct uh_store_run *run, struct uh_err *err)
{
	struct uh_store *st = run->st;
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (run->failed) {
		rc = run_refuse(run, err);
		goto out;
	}
	if (prepare(st, "UPDATE runs SET status = 'complete',"
			" finished = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1", &s, err)) {
		rc = UH_EDB;
		goto out;
	}
	if (sqlite3_bind_int64(s, 1, run->id) != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
		rc = db_err(st, err, "finishing run");
		goto out;
	}
	rc = exec1(st, "COMMIT", err);
out:
	sqlite3_finalize(s);
	if (rc)
		rollback(st);
	run_free(run);
	return rc;
}

void uh_store_run_abort(struct uh_store_run *run)
{
	if (!run)
		return;
	rollback(run->st);
	run_free(run);
}

/* ------------------------------------------------------------- reading runs */

#define RUN_COLS "id, created, finished, status, suite, split, profile, model, backend," \
		 " template, tag, uh_version, seed, source"

void uh_store_run_row_release(struct uh_store_run_row *r)
{
	if (!r)
		return;
	free(r->created);
	free(r->finished);
	free(r->status);
	free(r->suite);
	free(r->split);
	free(r->profile);
	free(r->model);
	free(r->backend);
	free(r->template_name);
	free(r->tag);
	free(r->uh_version);
	free(r->source);
	memset(r, 0, sizeof(*r));
}

/* Fill r from a RUN_COLS row; 0 or UH_ENOMEM. */
static int read_run_row(sqlite3_stmt *s, struct uh_store_run_row *r)
{
	int ok = 1;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->created = col_text(s, 1, &ok);
	r->finished = col_text(s, 2, &ok);
	r->status = col_text(s, 3, &ok);
	r->suite = col_text(s, 4, &ok);
	r->split = col_text(s, 5, &ok);
	r->profile = col_text(s, 6, &ok);
	r->model = col_text(s, 7, &ok);
	r->backend = col_text(s, 8, &ok);
	r->template_name = col_text(s, 9, &ok);
	r->tag = col_text(s, 10, &ok);
	r->uh_version = col_text(s, 11, &ok);
	r->has_seed = sqlite3_column_type(s, 12) != SQLITE_NULL;
	r->seed = r->has_seed ? sqlite3_column_int64(s, 12) : 0;
	r->source = col_text(s, 13, &ok);
	if (!ok) {
		uh_store_run_row_release(r);
		return UH_ENOMEM;
	}
	return 0;
}

int uh_store_run_get(struct uh_store *st, int64_t id, struct uh_store_run_row *row,
		     struct uh_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(row, 0, sizeof(*row));
	if (prepare(st, "SELECT " RUN_COLS " FROM runs WHERE id = ?1", &s, err))
		return UH_EDB;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		rc = db_err(st, err, "binding run id");
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = read_run_row(s, row);
		if (rc)
			uh_err_set(err, rc, "out of memory reading run %lld", (long long)id);
	} else if (rc == SQLITE_DONE) {
		rc = uh_err_set(err, UH_ENOTFOUND, "database '%s' has no run %lld", st->path,
				(long long)id);
	} else {
		rc = db_err(st, err, "looking up run");
	}
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * The list query for a filter. The SQL is chosen from constant fragments
 * (only which placeholders appear depends on f), so every value is bound.
 * Placeholders: ?1 suite, ?2 split, ?3 model, ?4 limit (-1: none).
 */
static void list_sql(const struct uh_store_run_filter *f, char *buf, size_t size)
{
	int where = 0;

	snprintf(buf, size, "SELECT " RUN_COLS " FROM runs");
	if (f && f->suite) {
		strncat(buf, " WHERE suite = ?1", size - strlen(buf) - 1);
		where = 1;
		if (f->split)
			strncat(buf, " AND split = ?2", size - strlen(buf) - 1);
	}
	if (f && f->model) {
		strncat(buf, where ? " AND model = ?3" : " WHERE model = ?3", size - strlen(buf) - 1);
		where = 1;
	}
	strncat(buf, " ORDER BY created DESC, id DESC LIMIT ?4", size - strlen(buf) - 1);
}

static int prepare_list(struct uh_store *st, const struct uh_store_run_filter *f,
			const char *prefix, sqlite3_stmt **s, struct uh_err *err)
{
	char sql[512];
	size_t pl = strlen(prefix);
	int b = SQLITE_OK;

	memcpy(sql, prefix, pl + 1);
	list_sql(f, sql + pl, sizeof(sql) - pl);
	if (prepare(st, sql, s, err))
		return UH_EDB;
	if (f && f->suite) {
		b = bind_text(*s, 1, f->suite);
		if (!b && f->split)
			b = bind_text(*s, 2, f->split);
	}
	if (!b && f && f->model)
		b = bind_text(*s, 3, f->model);
	if (!b)
		b = sqlite3_bind_int64(*s, 4, f && f->limit ? (sqlite3_int64)f->limit : -1);
	if (b != SQLITE_OK) {
		db_err(st, err, "binding run filter");
		sqlite3_finalize(*s);
		*s = NULL;
		return UH_EDB;
	}
	return 0;
}

void uh_store_run_rows_free(struct uh_store_run_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uh_store_run_row_release(&rows[i]);
	free(rows);
}

/*
 * Every row of s, a prepared SELECT of runs columns (read_run_row), into
 * *rows / *n; s is finalized. what names the action in messages ("listing").
 */
static int read_run_rows(struct uh_store *st, sqlite3_stmt *s, const char *what,
			 struct uh_store_run_row **rows, size_t *n, struct uh_err *err)
{
	struct uh_store_run_row *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct uh_store_run_row *nv = realloc(v, nc * sizeof(*nv));

			if (!nv)
				goto nomem;
			v = nv;
			cap = nc;
		}
		if (read_run_row(s, &v[cnt]))
			goto nomem;
		cnt++;
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(st, err, what);
		sqlite3_finalize(s);
		uh_store_run_rows_free(v, cnt);
		return rc;
	}
	sqlite3_finalize(s);
	*rows = v;
	*n = cnt;
	return 0;

nomem:
	sqlite3_finalize(s);
	uh_store_run_rows_free(v, cnt);
	return uh_err_set(err, UH_ENOMEM, "out of memory %s", what);
}

int uh_store_runs_list(struct uh_store *st, const struct uh_store_run_filter *f,
		       struct uh_store_run_row **rows, size_t *n, struct uh_err *err)
{
	sqlite3_stmt *s;

	*rows = NULL;
	*n = 0;
	if (prepare_list(st, f, "", &s, err))
		return UH_EDB;
	return read_run_rows(st, s, "listing runs", rows, n, err);
}

int uh_store_runs_list_plan(struct uh_store *st, const struct uh_store_run_filter *f,
			    char **plan, struct uh_err *err)
{
	sqlite3_stmt *s;
	char *out = NULL;
	size_t len = 0;
	int rc;

	*plan = NULL;
	if (prepare_list(st, f, "EXPLAIN QUERY PLAN ", &s, err))
		return UH_EDB;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 3);
		size_t dl = d ? strlen(d) : 0;
		char *no = realloc(out, len + dl + 2);

		if (!no) {
			free(out);
			sqlite3_finalize(s);
			return uh_err_set(err, UH_ENOMEM, "out of memory explaining query");
		}
		out = no;
		if (dl)
			memcpy(out + len, d, dl);
		len += dl;
		out[len++] = '\n';
		out[len] = '\0';
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(st, err, "explaining run query");
		free(out);
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);
	*plan = out ? out : xstrdup("");
	return *plan ? 0 : uh_err_set(err, UH_ENOMEM, "out of memory explaining query");
}

/* ------------------------------------------------------------- items, metrics, provenance */

void uh_store_item_rows_free(struct uh_store_item_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].task);
		free(rows[i].question);
		free(rows[i].reference);
		free(rows[i].generation);
		free(rows[i].values_json);
	}
	free(rows);
}

int uh_store_items_get(struct uh_store *st, int64_t run_id, const char *task,
		       struct uh_store_item_row **rows, size_t *n, struct uh_err *err)
{
	struct uh_store_item_row *v = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *s;
	int rc;

	*rows = NULL;
	*n = 0;
	if (prepare(st, "SELECT task, idx, question, reference, generation, values_json FROM items"
			" WHERE run_id = ?1 AND task = ?2 ORDER BY idx", &s, err))
		return UH_EDB;
	if (sqlite3_bind_int64(s, 1, run_id) != SQLITE_OK || bind_text(s, 2, task) != SQLITE_OK) {
		rc = db_err(st, err, "binding item query");
		sqlite3_finalize(s);
		return rc;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int ok = 1;

		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct uh_store_item_row *nv = realloc(v, nc * sizeof(*nv));

			if (!nv)
				goto nomem;
			v = nv;
			cap = nc;
		}
		v[cnt].task = col_text(s, 0, &ok);
		v[cnt].idx = sqlite3_column_int64(s, 1);
		v[cnt].question = col_text(s, 2, &ok);
		v[cnt].reference = col_text(s, 3, &ok);
		v[cnt].generation = col_text(s, 4, &ok);
		v[cnt].values_json = col_text(s, 5, &ok);
		cnt++;
		if (!ok)
			goto nomem;
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(st, err, "reading items");
		sqlite3_finalize(s);
		uh_store_item_rows_free(v, cnt);
		return rc;
	}
	sqlite3_finalize(s);
	*rows = v;
	*n = cnt;
	return 0;

nomem:
	sqlite3_finalize(s);
	uh_store_item_rows_free(v, cnt);
	return uh_err_set(err, UH_ENOMEM, "out of memory reading items");
}

void uh_store_metric_rows_free(struct uh_store_metric_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].name);
	free(rows);
}

int uh_store_metrics_get(struct uh_store *st, int64_t run_id, struct uh_store_metric_row **rows,
			 size_t *n, struct uh_err *err)
{
	struct uh_store_metric_row *v = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *s;
	int rc;

	*rows = NULL;
	*n = 0;
	if (prepare(st, "SELECT name, value, ci_lo, ci_hi, n FROM metrics WHERE run_id = ?1"
			" ORDER BY name", &s, err))
		return UH_EDB;
	if (sqlite3_bind_int64(s, 1, run_id) != SQLITE_OK) {
		rc = db_err(st, err, "binding metric query");
		sqlite3_finalize(s);
		return rc;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int ok = 1;

		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 32;
			struct uh_store_metric_row *nv = realloc(v, nc * sizeof(*nv));

			if (!nv)
				goto nomem;
			v = nv;
			cap = nc;
		}
		v[cnt].name = col_text(s, 0, &ok);
		v[cnt].value = sqlite3_column_type(s, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 1);
		v[cnt].has_ci = sqlite3_column_type(s, 2) != SQLITE_NULL &&
				sqlite3_column_type(s, 3) != SQLITE_NULL;
		v[cnt].ci_lo = v[cnt].has_ci ? sqlite3_column_double(s, 2) : 0;
		v[cnt].ci_hi = v[cnt].has_ci ? sqlite3_column_double(s, 3) : 0;
		v[cnt].n = sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 4);
		cnt++;
		if (!ok)
			goto nomem;
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(st, err, "reading metrics");
		sqlite3_finalize(s);
		uh_store_metric_rows_free(v, cnt);
		return rc;
	}
	sqlite3_finalize(s);
	*rows = v;
	*n = cnt;
	return 0;

nomem:
	sqlite3_finalize(s);
	uh_store_metric_rows_free(v, cnt);
	return uh_err_set(err, UH_ENOMEM, "out of memory reading metrics");
}

int uh_store_provenance_get(struct uh_store *st, int64_t run_id, const char *key, char **value,
			    struct uh_err *err)
{
	sqlite3_stmt *s;
	int rc, ok = 1;

	*value = NULL;
	if (prepare(st, "SELECT value FROM run_provenance WHERE run_id = ?1 AND key = ?2", &s, err))
		return UH_EDB;
	if (sqlite3_bind_int64(s, 1, run_id) != SQLITE_OK || bind_text(s, 2, key) != SQLITE_OK) {
		rc = db_err(st, err, "binding provenance query");
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*value = col_text(s, 0, &ok);
		rc = ok && *value ? 0 : uh_err_set(err, UH_ENOMEM, "out of memory reading provenance");
	} else if (rc == SQLITE_DONE) {
		rc = uh_err_set(err, UH_ENOTFOUND, "run %lld has no provenance '%s'", (long long)run_id, key);
	} else {
		rc = db_err(st, err, "reading provenance");
	}
out:
	sqlite3_finalize(s);
	return rc;
}

/* ------------------------------------------------------------- report queries */

/*
 * The WHERE clause and LIMIT for a run query, from constant fragments (only
 * which placeholders appear depends on q), so every value is bound.
 * Placeholders: ?1 suite, ?2 split, ?3 model, ?4 tag, ?5 source prefix,
 * ?6 limit (-1: none).
 */
static void query_where(const struct uh_store_run_query *q, char *buf, size_t size)
{
	static const char *const frag[5] = {
		"suite = ?1", "split = ?2", "model = ?3",
		"instr(' ' || tag || ' ', ' ' || ?4 || ' ') > 0",
		"substr(source, 1, length(?5)) = ?5",
	};
	const char *v[5] = { 0 };
	int where = 0;

	if (q) {
		v[0] = q->suite;
		v[1] = q->split;
		v[2] = q->model;
		v[3] = q->tag;
		v[4] = q->source_prefix;
	}
	buf[0] = '\0';
	for (int i = 0; i < 5; i++) {
		if (!v[i])
			continue;
		strncat(buf, where ? " AND " : " WHERE ", size - strlen(buf) - 1);
		strncat(buf, frag[i], size - strlen(buf) - 1);
		where = 1;
	}
	strncat(buf, " ORDER BY created DESC, id DESC LIMIT ?6", size - strlen(buf) - 1);
}

static int bind_query(struct uh_store *st, sqlite3_stmt *s, const struct uh_store_run_query *q,
		      struct uh_err *err)
{
	int b = SQLITE_OK;

	if (q) {
		if (!b && q->suite) b = bind_text(s, 1, q->suite);
		if (!b && q->split) b = bind_text(s, 2, q->split);
		if (!b && q->model) b = bind_text(s, 3, q->model);
		if (!b && q->tag) b = bind_text(s, 4, q->tag);
		if (!b && q->source_prefix) b = bind_text(s, 5, q->source_prefix);
	}
	if (!b)
		b = sqlite3_bind_int64(s, 6, q && q->limit ? (sqlite3_int64)q->limit : -1);
	if (b != SQLITE_OK)
		return db_err(st, err, "binding run query");
	return 0;
}

enum query_kind { Q_RUNS, Q_METRICS };

static int prepare_query(struct uh_store *st, enum query_kind kind, const struct uh_store_run_query *q,
			 const char *prefix, sqlite3_stmt **s, struct uh_err *err)
{
	char where[512], sql[1024];

	query_where(q, where, sizeof(where));
	if (kind == Q_RUNS)
		snprintf(sql, sizeof(sql), "%sSELECT " RUN_COLS " FROM runs%s", prefix, where);
	else
		snprintf(sql, sizeof(sql),
			 "%sSELECT m.run_id, m.name, m.value, m.ci_lo, m.ci_hi, m.n"
			 " FROM (SELECT id, created FROM runs%s) AS r"
			 " JOIN metrics AS m ON m.run_id = r.id"
			 " ORDER BY r.created DESC, r.id DESC, m.name", prefix, where);
	if (prepare(st, sql, s, err))
		return UH_EDB;
	if (bind_query(st, *s, q, err)) {
		sqlite3_finalize(*s);
		*s = NULL;
		return UH_EDB;
	}
	return 0;
}

int uh_store_runs_query(struct uh_store *st, const struct uh_store_run_query *q,
			struct uh_store_run_row **rows, size_t *n, struct uh_err *err)
{
	sqlite3_stmt *s;

	*rows = NULL;
	*n = 0;
	if (prepare_query(st, Q_RUNS, q, "", &s, err))
		return UH_EDB;
	return read_run_rows(st, s, "querying runs", rows, n, err);
}

int uh_store_metrics_each(struct uh_store *st, const struct uh_store_run_query *q,
			  uh_store_metric_fn fn, void *ctx, struct uh_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (prepare_query(st, Q_METRICS, q, "", &s, err))
		return UH_EDB;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct uh_store_metric_row m;
		int64_t id = sqlite3_column_int64(s, 0);

		m.name = (char *)sqlite3_column_text(s, 1);
		if (!m.name) {
			sqlite3_finalize(s);
			return uh_err_set(err, UH_ENOMEM, "out of memory reading metrics");
		}
		m.value = sqlite3_column_type(s, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 2);
		m.has_ci = sqlite3_column_type(s, 3) != SQLITE_NULL && sqlite3_column_type(s, 4) != SQLITE_NULL;
		m.ci_lo = m.has_ci ? sqlite3_column_double(s, 3) : 0;
		m.ci_hi = m.has_ci ? sqlite3_column_double(s, 4) : 0;
		m.n = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 5);
		rc = fn(ctx, id, &m);
		if (rc) {
			sqlite3_finalize(s);
			return rc;
		}
	}
	if (rc != SQLITE_DONE)
		rc = db_err(st, err, "reading metrics");
	else
		rc = 0;
	sqlite3_finalize(s);
	return rc;
}

static const char items_all_sql[] =
	"SELECT task, idx, question, reference, generation, values_json FROM items"
	" WHERE run_id = ?1 ORDER BY task, idx";
static const char items_task_sql[] =
	"SELECT task, idx, question, reference, generation, values_json FROM items"
	" WHERE run_id = ?1 AND task = ?2 ORDER BY idx";

int uh_store_items_each(struct uh_store *st, int64_t run_id, const char *task,
			uh_store_item_fn fn, void *ctx, struct uh_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (prepare(st, task ? items_task_sql : items_all_sql, &s, err))
		return UH_EDB;
	if (sqlite3_bind_int64(s, 1, run_id) != SQLITE_OK ||
	    (task && bind_text(s, 2, task) != SQLITE_OK)) {
		rc = db_err(st, err, "binding item query");
		sqlite3_finalize(s);
		return rc;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct uh_store_item_row r;
		const char *t = (const char *)sqlite3_column_text(s, 0);

		if (!t) {
			sqlite3_finalize(s);
			return uh_err_set(err, UH_ENOMEM, "out of memory reading items");
		}
		/* Borrowed column texts: valid until the next step, i.e. for the call. */
		r.task = (char *)t;
		r.idx = sqlite3_column_int64(s, 1);
		r.question = (char *)sqlite3_column_text(s, 2);
		r.reference = (char *)sqlite3_column_text(s, 3);
		r.generation = (char *)sqlite3_column_text(s, 4);
		r.values_json = (char *)sqlite3_column_text(s, 5);
		rc = fn(ctx, &r);
		if (rc) {
			sqlite3_finalize(s);
			return rc;
		}
	}
	if (rc != SQLITE_DONE)
		rc = db_err(st, err, "reading items");
	else
		rc = 0;
	sqlite3_finalize(s);
	return rc;
}

int uh_store_items_count(struct uh_store *st, int64_t run_id, int64_t *n, struct uh_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if (prepare(st, "SELECT count(*) FROM items WHERE run_id = ?1", &s, err))
		return UH_EDB;
	if (sqlite3_bind_int64(s, 1, run_id) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		rc = db_err(st, err, "counting items");
	} else {
		*n = sqlite3_column_int64(s, 0);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Append the plan of a prepared EXPLAIN QUERY PLAN statement to *out. */
static int append_plan(struct uh_store *st, sqlite3_stmt *s, const char *name, char **out,
		       size_t *len, struct uh_err *err)
{
	int rc;

	for (int first = 1;; first = 0) {
		const char *d;
		size_t dl;
		char *no;
		char head[128];

		if (first) {
			snprintf(head, sizeof(head), "-- %s", name);
			d = head;
		} else {
			rc = sqlite3_step(s);
			if (rc == SQLITE_DONE)
				break;
			if (rc != SQLITE_ROW)
				return db_err(st, err, "explaining query");
			d = (const char *)sqlite3_column_text(s, 3);
		}
		dl = d ? strlen(d) : 0;
		no = realloc(*out, *len + dl + 2);
		if (!no)
			return uh_err_set(err, UH_ENOMEM, "out of memory explaining query");
		*out = no;
		if (dl)
			memcpy(*out + *len, d, dl);
		*len += dl;
		(*out)[(*len)++] = '\n';
		(*out)[*len] = '\0';
	}
	return 0;
}

int uh_store_report_plan(struct uh_store *st, const struct uh_store_run_query *q, char **plan,
			 struct uh_err *err)
{
	sqlite3_stmt *s = NULL;
	char *out = NULL;
	size_t len = 0;
	int rc;

	*plan = NULL;
	rc = prepare_query(st, Q_RUNS, q, "EXPLAIN QUERY PLAN ", &s, err);
	if (!rc)
		rc = append_plan(st, s, "runs", &out, &len, err);
	sqlite3_finalize(s);
	s = NULL;
	if (!rc)
		rc = prepare_query(st, Q_METRICS, q, "EXPLAIN QUERY PLAN ", &s, err);
	if (!rc)
		rc = append_plan(st, s, "metrics", &out, &len, err);
	sqlite3_finalize(s);
	s = NULL;
	for (int k = 0; k < 2 && !rc; k++) {
		char sql[256];

		snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", k ? items_task_sql : items_all_sql);
		rc = prepare(st, sql, &s, err);
		if (!rc && (sqlite3_bind_int64(s, 1, 1) != SQLITE_OK ||
			    (k && bind_text(s, 2, "forget") != SQLITE_OK)))
			rc = db_err(st, err, "binding item query");
		if (!rc)
			rc = append_plan(st, s, k ? "items of a task" : "items", &out, &len, err);
		sqlite3_finalize(s);
		s = NULL;
	}
	if (rc) {
		free(out);
		return rc;
	}
	*plan = out;
	return 0;
}
