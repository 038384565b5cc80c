/*
 * board.h - the leaderboard model every report format renders: the runs
 * matching a query, each with its metrics, grouped by (suite, split), each
 * group with its metric columns in display order. Imported official runs
 * (source 'import:...') are ordinary rows flagged as references.
 *
 * Ownership: a struct uh_board owns everything it points to and is released
 * with uh_board_release(); the renderers (report/html.h, csv.h, md.h,
 * json.h) only borrow it.
 */
#ifndef UH_REPORT_BOARD_H
#define UH_REPORT_BOARD_H

#include "harness/err.h"
#include "results/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Table columns beyond this many per group are left out (CSV and JSON keep every metric). */
#define UH_BOARD_MAX_COLS 48

struct uh_board_run {
	struct uh_store_run_row row;
	struct uh_store_metric_row *m;   /* ordered by name */
	size_t n_m, cap_m;
};

struct uh_board_group {
	const char *suite, *split;       /* borrowed from the group's first run; split may be NULL */
	size_t *runs;                    /* indices into board.runs, in display order */
	size_t n_runs;
	const char **cols;               /* metric names (borrowed from the runs' metric rows) */
	size_t n_cols;                   /* how many tables show: at most UH_BOARD_MAX_COLS */
	size_t n_cols_all;               /* every metric name of the group's runs (CSV) */
	bool cols_capped;                /* n_cols < n_cols_all */
};

struct uh_board {
	struct uh_board_run *runs;       /* newest first */
	size_t n_runs;
	struct uh_board_group *groups;   /* by suite, then split */
	size_t n_groups;
};

/*
 * Read the runs matching q and their metrics (two queries) into b, group
 * them and order each group: TOFU groups by Forget Quality, then Model
 * Utility (descending, runs without them last), others newest first.
 * b is zeroed first; released with uh_board_release() also on failure.
 */
int uh_board_load(struct uh_board *b, struct uh_store *st, const struct uh_store_run_query *q,
		  struct uh_err *err);

void uh_board_release(struct uh_board *b);

/* The metric name of r, or NULL (borrowed from r). */
const struct uh_store_metric_row *uh_board_metric(const struct uh_board_run *r, const char *name);

/* A column heading for a metric name ("Forget Quality", "Prob. forget"); static or name itself. */
const char *uh_board_label(const char *name);

/* True for a reference row: an imported official run. */
bool uh_board_is_reference(const struct uh_board_run *r);

/*
 * The kind of reference point a run is on the TOFU plot: 'r' a retain
 * model (model name containing "retain", or tagged 'reference'), 'f' a full
 * model (name containing "full"), 0 neither.
 */
char uh_board_ref_kind(const struct uh_board_run *r);

#endif
