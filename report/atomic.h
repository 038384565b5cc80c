/*
 * atomic.h - write a file atomically: write into a temporary file beside
 * it, then fsync and rename over the target, so readers see the old file or
 * the whole new one, never a partial one. Used for `uh report -o` and
 * `uh gate --junit`.
 */
#ifndef UH_REPORT_ATOMIC_H
#define UH_REPORT_ATOMIC_H

#include "harness/err.h"

#include <stdio.h>

struct uh_atomic {
	FILE *f;        /* write here between open and commit/abort */
	char *tmp;      /* the temporary file's path (owned) */
	char *path;     /* the target (owned) */
};

/* Create path's temporary sibling (mode 0644) and open it as a->f. UH_EIO, UH_ENOMEM. */
int uh_atomic_open(struct uh_atomic *a, const char *path, struct uh_err *err);

/* Flush, fsync, close and rename into place; on failure the temporary file is removed. */
int uh_atomic_commit(struct uh_atomic *a, struct uh_err *err);

/* Close and remove the temporary file (a zeroed a is fine). */
void uh_atomic_abort(struct uh_atomic *a);

#endif
