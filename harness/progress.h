/*
 * progress.h - progress of a run on stderr.
 *
 * On a terminal: one line redrawn in place, a bar with the count, items/s
 * and the ETA. Elsewhere (CI logs, pipes): a plain line at most every few
 * seconds and one at the end, so logs stay readable. Quiet: nothing.
 * Library code that reports progress takes a struct uh_progress * that may
 * be NULL.
 */
#ifndef UH_HARNESS_PROGRESS_H
#define UH_HARNESS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct uh_progress {
	FILE *f;
	bool tty, quiet;
	char label[64];
	size_t total, done;
	double t0, last;      /* monotonic seconds: start, last line drawn */
	bool open_line;       /* a terminal line is drawn and not ended yet */
};

/*
 * Start reporting total items of work under label on f (the terminal test
 * is isatty(fileno(f))). quiet: report nothing.
 */
void uh_progress_start(struct uh_progress *p, FILE *f, const char *label, size_t total,
		       bool quiet);

/* n more items done; redraws when due. p may be NULL. */
void uh_progress_add(struct uh_progress *p, size_t n);

/* The final line (ends the terminal line). p may be NULL. */
void uh_progress_end(struct uh_progress *p);

/*
 * The work failed: end a terminal line left open (the bar stays, showing how
 * far it got) so that the error printed next starts on a line of its own.
 * No summary line. p may be NULL.
 */
void uh_progress_abort(struct uh_progress *p);

/* Monotonic seconds, for timings. */
double uh_progress_now(void);

#endif
