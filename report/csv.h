/*
 * csv.h - the leaderboard as one RFC 4180 CSV table: a header row, CRLF
 * line ends, fields holding a comma, quote, CR or LF quoted with quotes
 * doubled. One row per run (all groups), the run's columns then every
 * metric of any group (and its interval bounds where any run stores one).
 * Text cells that a spreadsheet would run as a formula (starting with
 * = + - @, tab or CR) get a leading single quote; numbers are left alone.
 */
#ifndef UH_REPORT_CSV_H
#define UH_REPORT_CSV_H

#include "harness/err.h"
#include "report/board.h"

#include <stdio.h>

/* Write b to f (borrowed; not closed). UH_EIO when writing fails, UH_ENOMEM. */
int uh_csv_write(FILE *f, const struct uh_board *b, struct uh_err *err);

/* Write one text field s (NULL: empty), guarded and quoted as above. */
void uh_csv_field(FILE *f, const char *s);

#endif
