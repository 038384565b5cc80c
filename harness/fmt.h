/*
 * fmt.h - number formatting for what people read.
 */
#ifndef UH_HARNESS_FMT_H
#define UH_HARNESS_FMT_H

#include <stddef.h>

/*
 * The shortest "%.{p}g" text (p = 1..17) that reads back as exactly v, as
 * Python's repr does: 0.933 rather than 0.93299999999999994. Writes into
 * buf (size n, at least 32 bytes) and returns buf.
 */
char *uh_fmt_double(char *buf, size_t n, double v);

#endif
