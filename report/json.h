/*
 * json.h - the leaderboard as one JSON document (cJSON):
 *   {"runs": N, "groups": [{"suite", "split", "columns": [...],
 *     "runs": [{"id", "created", ..., "reference": bool,
 *               "metrics": {"name": {"value", "ci_lo", "ci_hi", "n"}}}]}]}
 * Every metric of a run is included (not only the table's columns);
 * non-finite numbers are null; a byte of a string that is not UTF-8 is
 * U+FFFD. Written run by run (cJSON prints each run and
 * escapes every string), so memory does not grow with the number of runs.
 */
#ifndef UH_REPORT_JSON_H
#define UH_REPORT_JSON_H

#include "harness/err.h"
#include "report/board.h"

#include <stdio.h>

/* Write b to f (borrowed; not closed). UH_ENOMEM, UH_EIO. */
int uh_json_write(FILE *f, const struct uh_board *b, struct uh_err *err);

#endif
