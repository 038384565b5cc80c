/*
 * md.h - the leaderboard as GitHub-flavoured Markdown: a heading and a
 * table per (suite, split) group. Cells are escaped so that data cannot
 * break the table or render as markup: | and Markdown punctuation are
 * backslash-escaped, & < > become entities, CR/LF become spaces.
 */
#ifndef UH_REPORT_MD_H
#define UH_REPORT_MD_H

#include "harness/err.h"
#include "report/board.h"

#include <stdio.h>

/* Write b to f (borrowed; not closed). UH_EIO when writing fails. */
int uh_md_write(FILE *f, const struct uh_board *b, struct uh_err *err);

/* Write one table cell's text s (NULL: nothing), escaped as above. */
void uh_md_cell(FILE *f, const char *s);

#endif
