/*
 * select.h - choosing a run from the command line: `42`, `latest`,
 * `tag:T` (the newest run whose tag words include T) or `model:M` (the
 * newest run of model M), and the counts the options of `uh gate`,
 * `uh diff`, `uh report` and `uh list` take (their values: harness/cli.h).
 */
#ifndef UH_REPORT_SELECT_H
#define UH_REPORT_SELECT_H

#include "harness/err.h"
#include "results/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Resolve spec to a run id in *id. A malformed spec is UH_EINVAL; a spec
 * that matches no run is UH_ENOTFOUND (the message names the spec and the
 * database). spec is borrowed.
 */
int uh_select_run(struct uh_store *st, const char *spec, int64_t *id, struct uh_err *err);

/*
 * Parse a positive decimal count (a --limit, --top, ... value) into *out;
 * false when s is not one or exceeds max.
 */
bool uh_select_parse_count(const char *s, size_t max, size_t *out);

#endif
