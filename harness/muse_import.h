/*
 * muse_import.h - `uh import ou-logs` for open-unlearning's MUSE results
 * (MUSE_EVAL.json, MUSE_SUMMARY.json): every stored summary is recomputed
 * from the per-item values (metrics/tofu_agg.h, 1e-12 relative; privleak
 * against the retain model's logs when given) before anything is stored,
 * then the run is stored as suite 'muse', profile 'open-unlearning', with
 * every per-item value.
 */
#ifndef UH_HARNESS_MUSE_IMPORT_H
#define UH_HARNESS_MUSE_IMPORT_H

#include "harness/err.h"
#include "harness/suite_store.h"
#include "suites/tofu_logs.h"

#include <stdbool.h>

/* Whether path is an open-unlearning MUSE result (a folder holding MUSE_EVAL.json, or that file). */
bool uh_muse_import_is_muse(const char *path);

/*
 * Build the evaluation of a MUSE_EVAL.json (ev, borrowed) against the
 * retain model's result ref (borrowed, may be NULL): check that it is a
 * MUSE evaluation (its three ROUGE metrics, each missing one named),
 * verify every stored value, and fill e (zeroed first; release with
 * uh_seval_release) with the recomputed metrics, 95% intervals on the
 * mean-type ones, and the per-item values. *n_checked receives the number
 * of stored values verified. label names the log in messages.
 */
int uh_muse_import_eval(const struct uh_ou_eval *ev, const struct uh_ou_eval *ref, const char *label,
			struct uh_seval *e, size_t *n_checked, struct uh_err *err);

/*
 * The whole import: read path (and reference, a retain model's MUSE logs,
 * or NULL), evaluate, store one run in the database db (NULL: the default)
 * with tag and model (NULL: the folder's name), print the table. Returns an
 * exit status; messages go to stderr prefixed "uh import: ".
 */
int uh_muse_import_cmd(const char *path, const char *reference, const char *db, const char *tag,
		       const char *model);

#endif
