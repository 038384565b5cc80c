/*
 * cli.h - the small pieces every command line of the uh tool parses with:
 * valued options ("--name VALUE" or "--name=VALUE"), unsigned integers,
 * whether a path is a folder or a file, and printing a name from the data
 * to a terminal. Used by harness/cmd_*.c, harness/run_cli.c and
 * report/select.c.
 *
 * Ownership: arguments are borrowed; returned strings point into argv.
 */
#ifndef UH_HARNESS_CLI_H
#define UH_HARNESS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * When argv[*i] is "--name VALUE" or "--name=VALUE" (a one-dash name takes
 * only the first form), return VALUE and advance *i past it. NULL
 * otherwise, with *missing set when the option is there but its value is
 * not (*missing is left alone when it is: callers clear it once and may
 * then try several names).
 */
const char *uh_cli_opt_value(int argc, char **argv, int *i, const char *name, bool *missing);

/*
 * uh_cli_opt_value for whichever of names[0..n) argv[*i] is; *k is its
 * index (n when none). NULL when argv[*i] is none of them or, with
 * *missing set (it is cleared first), when its value is not there.
 */
const char *uh_cli_opt_among(int argc, char **argv, int *i, const char *const *names, size_t n,
			     size_t *k, bool *missing);

/* A decimal integer 0..max and nothing else (no sign, no spaces) into *out. */
bool uh_cli_parse_u64(const char *s, uint64_t max, uint64_t *out);

/*
 * Print s (a name from the data: model, tag, task, metric) to f, left-aligned
 * in width bytes as %-*s would, with control bytes shown as '?' so that no
 * escape sequence reaches a terminal.
 */
void uh_cli_put_name(FILE *f, const char *s, int width);

/* Whether path is an existing folder / regular file (links followed). */
bool uh_cli_is_dir(const char *path);
bool uh_cli_is_file(const char *path);

#endif
