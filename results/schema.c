#include "results/schema.h"

#include <string.h>

/*
 * The migrations, in order: migrations[i] turns version i into version i+1.
 * Append only; never edit a migration that has shipped. Each is a constant
 * script of DDL (no values), run statement by statement.
 */
static const char *const migrations[] = {
	/* 1: runs, provenance, per-item rows, metrics, request cache */
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  created TEXT NOT NULL,"           /* ISO 8601 UTC, ms */
	"  finished TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),"
	"  suite TEXT NOT NULL,"
	"  split TEXT,"
	"  profile TEXT,"
	"  model TEXT,"
	"  backend TEXT,"
	"  template TEXT,"
	"  tag TEXT,"
	"  uh_version TEXT NOT NULL,"
	"  seed INTEGER,"
	"  source TEXT NOT NULL"             /* 'run', 'import:tofu-logs', ... */
	");"
	"CREATE INDEX runs_by_suite ON runs (suite, split, created);"
	"CREATE INDEX runs_by_model ON runs (model, created);"
	"CREATE INDEX runs_by_created ON runs (created);"
	"CREATE TABLE run_provenance ("
	"  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (run_id, key)"
	") WITHOUT ROWID;"
	"CREATE TABLE items ("
	"  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
	"  task TEXT NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  question TEXT,"
	"  reference TEXT,"
	"  generation TEXT,"
	"  values_json TEXT CHECK (values_json IS NULL OR json_valid(values_json)),"
	"  PRIMARY KEY (run_id, task, idx)"
	") WITHOUT ROWID;"
	"CREATE TABLE metrics ("
	"  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value REAL,"
	"  ci_lo REAL,"
	"  ci_hi REAL,"
	"  n INTEGER,"
	"  PRIMARY KEY (run_id, name)"
	") WITHOUT ROWID;"
	"CREATE TABLE request_cache ("
	"  key TEXT PRIMARY KEY,"
	"  value BLOB NOT NULL,"
	"  created TEXT NOT NULL"
	") WITHOUT ROWID;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int uh_schema_latest(void)
{
	return N_MIGRATIONS;
}

/* Run a constant script (no parameters, no result rows wanted). */
static int exec_script(sqlite3 *db, const char *sql, struct uh_err *err)
{
	while (sql && *sql) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);

		if (rc != SQLITE_OK)
			return uh_err_set(err, UH_EDB, "%s", sqlite3_errmsg(db));
		if (st) {
			do
				rc = sqlite3_step(st);
			while (rc == SQLITE_ROW);
			if (rc != SQLITE_DONE) {
				uh_err_set(err, UH_EDB, "%s", sqlite3_errmsg(db));
				sqlite3_finalize(st);
				return UH_EDB;
			}
			sqlite3_finalize(st);
		}
		sql = tail;
	}
	return 0;
}

static int read_version(sqlite3 *db, int *version, struct uh_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_version", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return uh_err_set(err, UH_EDB, "reading schema version: %s", sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		uh_err_set(err, UH_EDB, "reading schema version: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return UH_EDB;
	}
	*version = (int)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int record_version(sqlite3 *db, int version, struct uh_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db,
		"INSERT INTO schema_version (version, applied) "
		"VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return uh_err_set(err, UH_EDB, "%s", sqlite3_errmsg(db));
	if (sqlite3_bind_int(st, 1, version) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		uh_err_set(err, UH_EDB, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return UH_EDB;
	}
	sqlite3_finalize(st);
	return 0;
}

int uh_schema_migrate(sqlite3 *db, const char *path, int *version, struct uh_err *err)
{
	int v = 0, rc;

	/*
	 * IMMEDIATE takes the write lock first, so two processes opening a fresh
	 * file at once cannot both apply migration 1; the loser waits on the
	 * busy timeout and then sees the current version.
	 */
	if (exec_script(db, "BEGIN IMMEDIATE", err))
		return uh_err_prefix(err, "database '%s': cannot start migration: ", path);
	rc = exec_script(db,
		"CREATE TABLE IF NOT EXISTS schema_version ("
		"  version INTEGER PRIMARY KEY,"
		"  applied TEXT NOT NULL)", err);
	if (!rc)
		rc = read_version(db, &v, err);
	if (rc) {
		uh_err_prefix(err, "database '%s': ", path);
		goto rollback;
	}
	if (v > N_MIGRATIONS) {
		rc = uh_err_set(err, UH_EDB,
				"database '%s' has schema version %d, newer than this uh "
				"(which knows up to %d): use a newer uh or another --db",
				path, v, N_MIGRATIONS);
		goto rollback;
	}
	for (; v < N_MIGRATIONS; v++) {
		rc = exec_script(db, migrations[v], err);
		if (!rc)
			rc = record_version(db, v + 1, err);
		if (rc) {
			uh_err_prefix(err, "database '%s': migration %d: ", path, v + 1);
			goto rollback;
		}
	}
	if (exec_script(db, "COMMIT", err)) {
		rc = uh_err_prefix(err, "database '%s': committing migrations: ", path);
		goto rollback;
	}
	if (version)
		*version = v;
	return 0;

rollback:
	/* The transaction may already be gone (e.g. after a failed COMMIT). */
	if (!sqlite3_get_autocommit(db))
		exec_script(db, "ROLLBACK", NULL);
	return rc;
}
