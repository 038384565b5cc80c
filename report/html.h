/*
 * html.h - the leaderboard as ONE self-contained HTML page: inline CSS, an
 * inline SVG plot per TOFU split (Forget Quality, log scale, against Model
 * Utility, with the retain and full reference points marked), sortable
 * tables (a small inline script), and a section per run with its per-item
 * rows for the first runs of each group. A browser lays out a table of
 * ten thousand rows in tens of seconds, so each group's table can be cut to
 * its best max_rows runs (references always kept, a note says how many were
 * left out); the plot always shows every run. No network: a Content-Security-
 * Policy allows nothing remote and only the page's own script (a per-page
 * nonce), so the page works from file:// and an injected handler could not
 * run even if escaping failed. Every string from the store is escaped.
 */
#ifndef UH_REPORT_HTML_H
#define UH_REPORT_HTML_H

#include "harness/err.h"
#include "report/board.h"
#include "results/store.h"

#include <stddef.h>
#include <stdio.h>

struct uh_html_opts {
	const char *db_path;     /* shown in the header; may be NULL */
	size_t item_runs;        /* per-item sections for the first this many runs of each group */
	size_t item_rows;        /* at most this many item rows per run section (0: none) */
	size_t text_max;         /* texts longer than this many bytes are cut (0: 400) */
	size_t max_rows;         /* table rows per group beyond the reference rows (0: all) */
};

/*
 * Write the page for b to f (borrowed; not closed). Item rows are read from
 * st as they are written. UH_EIO when writing fails, UH_EDB, UH_ENOMEM.
 */
int uh_html_write(FILE *f, struct uh_store *st, const struct uh_board *b,
		  const struct uh_html_opts *o, struct uh_err *err);

/*
 * Write s to f with & < > " ' as entities and control characters other
 * than tab/newline as U+FFFD, cut (at a UTF-8 boundary, with an ellipsis)
 * after max bytes when max > 0. NULL writes nothing.
 */
void uh_html_escape(FILE *f, const char *s, size_t max);

#endif
