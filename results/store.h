/*
 * store.h - the results store: one SQLite file (WAL) holding runs, their
 * provenance, per-item rows, metrics and the request cache (DESIGN.md §5).
 *
 * Writing a run is one transaction: uh_store_run_begin() opens it,
 * uh_store_run_add_*() write into it directly (nothing is buffered in
 * memory), uh_store_run_commit() makes the run visible, and any failure
 * (or uh_store_run_abort()) rolls everything back, so a run is either
 * complete or absent. Only prepared statements with bound values are used.
 *
 * Ownership: const char * arguments are borrowed for the duration of the
 * call. Rows returned by lookups belong to the caller and are released with
 * the matching _release/_free function. The store knows nothing of what the
 * metrics mean.
 */
#ifndef UH_RESULTS_STORE_H
#define UH_RESULTS_STORE_H

#include "harness/err.h"

#include <stddef.h>
#include <stdint.h>

struct uh_store;      /* an open database (opaque) */
struct uh_store_run;  /* a run being written, inside its transaction (opaque) */

/*
 * The database path to use: opt (e.g. the --db value) when non-NULL and
 * non-empty, else $UH_DB when set and non-empty, else "uh.db". Returns opt,
 * the environment string or a literal: borrowed, do not free.
 */
const char *uh_store_default_path(const char *opt);

/*
 * Open (creating if needed) the database at path and migrate it to the
 * current schema: WAL journal, a busy timeout, foreign keys on. A database
 * written by a newer uh fails with UH_EDB naming both schema versions.
 * On success *out is the caller's, closed with uh_store_close().
 */
int uh_store_open(struct uh_store **out, const char *path, struct uh_err *err);

/*
 * The same for readers (report, gate, list, diff): a missing file is
 * UH_ENOTFOUND naming the path instead of a new empty database.
 */
int uh_store_open_existing(struct uh_store **out, const char *path, struct uh_err *err);

/* Close st (NULL is fine). A run still open is rolled back. */
void uh_store_close(struct uh_store *st);

/* The schema version of the open database (== the binary's after open). */
int uh_store_schema_version(const struct uh_store *st);

/* The path st was opened with (borrowed, valid until uh_store_close). */
const char *uh_store_path(const struct uh_store *st);

/* ------------------------------------------------------------- writing a run */

/* What a run is. Any field may be NULL except suite and source. */
struct uh_store_run_info {
	const char *suite;       /* 'tofu', 'muse', 'hp' */
	const char *split;       /* 'forget10', ... */
	const char *profile;     /* 'tofu', 'open-unlearning', ... */
	const char *model;
	const char *backend;     /* backend fingerprint */
	const char *template_name;
	const char *tag;
	const char *uh_version;  /* NULL: this binary's UH_VERSION */
	const char *source;      /* 'run', 'import:tofu-logs', ... */
	int has_seed;
	int64_t seed;
};

/*
 * Start writing a run: opens an IMMEDIATE transaction and inserts the runs
 * row (status 'running', created now). One run at a time per store. On
 * success *out belongs to the caller until uh_store_run_commit() or
 * uh_store_run_abort(), one of which must be called.
 */
int uh_store_run_begin(struct uh_store *st, const struct uh_store_run_info *info,
		       struct uh_store_run **out, struct uh_err *err);

/* The id the run will have once committed. */
int64_t uh_store_run_id(const struct uh_store_run *run);

/* Record one provenance pair (data digests, paths, reference run, ...). */
int uh_store_run_add_provenance(struct uh_store_run *run, const char *key, const char *value,
				struct uh_err *err);

/* One per-item row. values_json must be valid JSON (or NULL). */
struct uh_store_item {
	const char *task;        /* 'forget', 'retain', 'real_authors', ... */
	int64_t idx;             /* 0-based index within the task */
	const char *question;
	const char *reference;   /* reference answer / ground truth */
	const char *generation;
	const char *values_json; /* per-item values, e.g. {"truth_ratio": 0.5} */
};

int uh_store_run_add_item(struct uh_store_run *run, const struct uh_store_item *item,
			  struct uh_err *err);

/* One metric. value must not be NaN; ci_lo/ci_hi are stored only with has_ci. */
struct uh_store_metric {
	const char *name;
	double value;
	int has_ci;
	double ci_lo, ci_hi;
	int64_t n;               /* sample count behind the value; < 0: unknown */
};

int uh_store_run_add_metric(struct uh_store_run *run, const struct uh_store_metric *m,
			    struct uh_err *err);

/*
 * Mark the run complete (finished now) and commit; frees run in every case.
 * After any failed add, or when the commit fails, everything is rolled back
 * and the first error is returned.
 */
int uh_store_run_commit(struct uh_store_run *run, struct uh_err *err);

/* Roll the run back and free it (NULL is fine). */
void uh_store_run_abort(struct uh_store_run *run);

/* ------------------------------------------------------------- reading */

/* A runs row. Strings are owned by the row (NULL where the column is NULL). */
struct uh_store_run_row {
	int64_t id;
	char *created, *finished, *status;
	char *suite, *split, *profile, *model, *backend, *template_name, *tag;
	char *uh_version, *source;
	int has_seed;
	int64_t seed;
};

/* Free the strings of row (not row itself). */
void uh_store_run_row_release(struct uh_store_run_row *row);

/* Look up run id into *row; UH_ENOTFOUND when there is none. */
int uh_store_run_get(struct uh_store *st, int64_t id, struct uh_store_run_row *row,
		     struct uh_err *err);

/* Filter for uh_store_runs_list: NULL fields match anything. */
struct uh_store_run_filter {
	const char *suite;
	const char *split;       /* used only together with suite */
	const char *model;
	size_t limit;            /* 0: no limit */
};

/*
 * Runs matching f (NULL: all), newest first. *rows is a malloc'd array of
 * *n rows (NULL when none), freed with uh_store_run_rows_free().
 */
int uh_store_runs_list(struct uh_store *st, const struct uh_store_run_filter *f,
		       struct uh_store_run_row **rows, size_t *n, struct uh_err *err);

void uh_store_run_rows_free(struct uh_store_run_row *rows, size_t n);

/*
 * SQLite's EXPLAIN QUERY PLAN for the query uh_store_runs_list(f) runs, one
 * detail per line, in *plan (caller frees). For tests and `--explain`.
 */
int uh_store_runs_list_plan(struct uh_store *st, const struct uh_store_run_filter *f,
			    char **plan, struct uh_err *err);

/* An items row read back. Strings owned by the row. */
struct uh_store_item_row {
	char *task;
	int64_t idx;
	char *question, *reference, *generation, *values_json;
};

/*
 * The items of run_id for task, in idx order, in *rows (*n of them; NULL
 * when none); free with uh_store_item_rows_free().
 */
int uh_store_items_get(struct uh_store *st, int64_t run_id, const char *task,
		       struct uh_store_item_row **rows, size_t *n, struct uh_err *err);

void uh_store_item_rows_free(struct uh_store_item_row *rows, size_t n);

/* A metrics row read back. name owned by the row. */
struct uh_store_metric_row {
	char *name;
	double value;
	int has_ci;
	double ci_lo, ci_hi;
	int64_t n;               /* -1 when NULL */
};

/* The metrics of run_id, ordered by name; free with uh_store_metric_rows_free(). */
int uh_store_metrics_get(struct uh_store *st, int64_t run_id, struct uh_store_metric_row **rows,
			 size_t *n, struct uh_err *err);

void uh_store_metric_rows_free(struct uh_store_metric_row *rows, size_t n);

/* The provenance value of key for run_id in *value (caller frees); UH_ENOTFOUND if absent. */
int uh_store_provenance_get(struct uh_store *st, int64_t run_id, const char *key, char **value,
			    struct uh_err *err);

/* ------------------------------------------------------------- report queries */

/*
 * Which runs a report, a gate or `uh list` reads. NULL fields match
 * anything; tag matches a run whose space-separated tag words include it;
 * source_prefix matches the start of the source ('import:', 'run').
 */
struct uh_store_run_query {
	const char *suite;
	const char *split;
	const char *model;
	const char *tag;
	const char *source_prefix;
	size_t limit;            /* 0: no limit */
};

/*
 * Runs matching q (NULL: all), newest first (created, then id); rows as
 * uh_store_runs_list, freed with uh_store_run_rows_free().
 */
int uh_store_runs_query(struct uh_store *st, const struct uh_store_run_query *q,
			struct uh_store_run_row **rows, size_t *n, struct uh_err *err);

/*
 * Called once per metric row by uh_store_metrics_each: row and its name are
 * borrowed for the call. A non-zero return stops the walk and is returned.
 */
typedef int (*uh_store_metric_fn)(void *ctx, int64_t run_id, const struct uh_store_metric_row *row);

/*
 * Every metric of every run matching q (one query, a join on the metrics
 * primary key), by run (newest first) then name.
 */
int uh_store_metrics_each(struct uh_store *st, const struct uh_store_run_query *q,
			  uh_store_metric_fn fn, void *ctx, struct uh_err *err);

/* As uh_store_metrics_each for the item rows of one run (row borrowed for the call). */
typedef int (*uh_store_item_fn)(void *ctx, const struct uh_store_item_row *row);

/*
 * The items of run_id, of task (NULL: every task), ordered by task then
 * idx, streamed to fn without holding them in memory.
 */
int uh_store_items_each(struct uh_store *st, int64_t run_id, const char *task,
			uh_store_item_fn fn, void *ctx, struct uh_err *err);

/* The number of items of run_id in *n. */
int uh_store_items_count(struct uh_store *st, int64_t run_id, int64_t *n, struct uh_err *err);

/*
 * EXPLAIN QUERY PLAN of the queries above for q (runs, metrics join, items
 * of one run), each introduced by a line "-- name", in *plan (caller frees).
 */
int uh_store_report_plan(struct uh_store *st, const struct uh_store_run_query *q, char **plan,
			 struct uh_err *err);

#endif
