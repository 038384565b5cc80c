/*
 * tofu_store.h - one TOFU evaluation, however it was obtained, made into the
 * TOFU table, stored as a run and printed. `uh import` (official logs) and
 * the runner (`uh-run --suite tofu`, a model evaluated here) both go through
 * it, so an imported log and a run give the same numbers the same way.
 *
 * The flow: fill a struct uh_tofu_eval from per-item values
 * (uh_tofu_eval_from_log for locuslab/tofu-style values under either
 * profile, uh_tofu_eval_from_ou for an open-unlearning result file), add the
 * bootstrap intervals, optionally compute Forget Quality against a reference
 * (uh_tofu_fq_compute), then uh_tofu_store_run (one transaction) and
 * uh_tofu_print_table.
 *
 * Ownership: everything a uh_tofu_eval holds is released by
 * uh_tofu_eval_release, except the log / ou result it borrows, which must
 * outlive it. const char * arguments are borrowed.
 */
#ifndef UH_HARNESS_TOFU_STORE_H
#define UH_HARNESS_TOFU_STORE_H

#include "harness/err.h"
#include "metrics/bootstrap.h"
#include "metrics/ks.h"
#include "metrics/tofu_agg.h"
#include "results/store.h"
#include "suites/tofu_logs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Bootstrap intervals: percentile, fixed seed, so that storing the same
 * per-item values twice gives the same intervals.
 */
#define UH_TOFU_CI_LEVEL 0.95
#define UH_TOFU_CI_B 1000
#define UH_TOFU_CI_SEED 20240101ul

#define UH_TOFU_MAX_FILES 32
#define UH_TOFU_MAX_ITEM_VALUES 8

/* Files read, with their sha256 (for provenance). */
struct uh_tofu_files {
	size_t n;
	char *path[UH_TOFU_MAX_FILES];     /* owned */
	char hex[UH_TOFU_MAX_FILES][65];
};

/* Hash dir/name (dir NULL: name is the path) and append it. UH_EIO, UH_ENOMEM. */
int uh_tofu_files_add(struct uh_tofu_files *f, const char *dir, const char *name,
		      struct uh_err *err);
void uh_tofu_files_release(struct uh_tofu_files *f);

/*
 * Hash the files a log reader reads at path, choosing them as the readers
 * do: a file is itself (and, for an open-unlearning X_EVAL.json, its sibling
 * X_SUMMARY.json when present); a locuslab/tofu log folder gives its four
 * task files when all exist, else eval_log_aggregated.json; an
 * open-unlearning folder (ou) gives TOFU_EVAL.json and TOFU_SUMMARY.json
 * when present.
 */
int uh_tofu_files_add_log(struct uh_tofu_files *f, const char *path, bool ou, struct uh_err *err);

/* The rows of the table: per-item terms term[UH_TOFU_T_*][task]. */
enum { UH_TOFU_T_PROB = 0, UH_TOFU_T_ROUGE = 1, UH_TOFU_T_TR = 2 };

/* A metric beyond the table (privleak, extraction strength, ...). */
struct uh_tofu_extra_metric {
	char *name;                  /* owned */
	double value;
	int64_t n;                   /* samples behind it, < 0 unknown */
	bool has_ci;
	struct uh_ci ci;
};

/* A per-item value beyond the log's (stored in the item's values JSON). */
struct uh_tofu_item_values {
	char *name;                  /* owned */
	int task;                    /* enum uh_tofu_task */
	double *v;                   /* n[task] values, owned; NaN = none (stored as null) */
};

struct uh_tofu_eval {
	const char *label;           /* where the values came from, for messages (borrowed) */
	const char *profile;         /* "tofu" or "open-unlearning" (static) */
	const struct uh_tofu_log *log;   /* per-item values and texts, or NULL (borrowed) */
	const struct uh_ou_eval *ou;     /* ... or an open-unlearning result (borrowed) */

	struct uh_tofu_stats stats;  /* the twelve numbers + Model Utility */
	size_t n[UH_TOFU_NTASKS];
	double *term[3][UH_TOFU_NTASKS];    /* per-item prob, rouge, truth-ratio terms, owned */
	struct uh_ci ci[3][UH_TOFU_NTASKS];
	struct uh_ci mu_ci;
	bool has_ci;

	double *fq;                  /* the forget items' KS sample, owned */
	size_t n_fq;
	const char *fq_desc;         /* what fq holds (static) */

	struct uh_tofu_extra_metric *extra;  /* owned */
	size_t n_extra;
	struct uh_tofu_item_values item_values[UH_TOFU_MAX_ITEM_VALUES];
	size_t n_item_values;
	char *note;                  /* a line printed under the table (owned), or NULL */

	struct uh_tofu_files files;  /* data files read */
};

/*
 * Compute the table from a locuslab/tofu-style log (every task non-empty).
 * ou_profile false: aggregate_eval_stat.py (spec/tofu.md §2.7), the KS
 * sample is R; true: open-unlearning's formulas and epsilons (§3.2) applied
 * to the same per-item losses (fp64 probabilities), the KS sample is
 * open-unlearning's truth-ratio score. e is zeroed first; log and label are
 * borrowed. Messages do not name the log: the caller prefixes them.
 */
int uh_tofu_eval_from_log(struct uh_tofu_eval *e, const struct uh_tofu_log *log, bool ou_profile,
			  const char *label, struct uh_err *err);

/*
 * Compute the table from an open-unlearning result file, checking first that
 * its stored agg_values are what its per-item values give (1e-12). e is
 * zeroed first; ou is borrowed.
 */
int uh_tofu_eval_from_ou(struct uh_tofu_eval *e, const struct uh_ou_eval *ou, const char *label,
			 struct uh_err *err);

/* The 95% percentile-bootstrap intervals of the twelve numbers and of MU. */
int uh_tofu_eval_bootstrap(struct uh_tofu_eval *e, struct uh_err *err);

/* Add a metric beyond the table (name copied; ci may be NULL). */
int uh_tofu_eval_add_metric(struct uh_tofu_eval *e, const char *name, double value, int64_t n,
			    const struct uh_ci *ci, struct uh_err *err);

/* Add a per-item value for every item of task (v holds e->n[task]; copied). */
int uh_tofu_eval_add_item_values(struct uh_tofu_eval *e, const char *name, int task,
				 const double *v, struct uh_err *err);

void uh_tofu_eval_release(struct uh_tofu_eval *e);

/* ---------------------------------------------------------------- Forget Quality */

struct uh_tofu_fq {
	bool has;
	struct uh_ks_result ks;
	size_t n_ref;
	char desc[256];              /* the reference: a path or "run:N" */
	char *model;                 /* the reference model, or NULL (owned) */
	const struct uh_tofu_files *files;   /* a reference log's files, or NULL (borrowed) */
	const struct uh_ou_eval *ou;         /* an open-unlearning reference, or NULL (borrowed) */
};

/*
 * Forget Quality of e against a reference's KS sample ref[0..n_ref): the
 * KS test, after checking both have the same number of forget items (the
 * message names both counts and both sides). desc names the reference
 * (copied into fq->desc); model may be NULL (copied). fq is zeroed first.
 */
int uh_tofu_fq_compute(struct uh_tofu_fq *fq, const struct uh_tofu_eval *e, const double *ref,
		       size_t n_ref, const char *desc, const char *model, struct uh_err *err);

void uh_tofu_fq_release(struct uh_tofu_fq *fq);

/*
 * The forget items' KS sample ("fq_sample") of a TOFU run in the store, in
 * *sample (n of them, caller frees), and its model name in *model (caller
 * frees; NULL when the run has none). UH_ENOTFOUND, UH_EINVAL.
 */
int uh_tofu_reference_run(struct uh_store *st, int64_t id, double **sample, size_t *n,
			  char **model, struct uh_err *err);

/* ---------------------------------------------------------------- storing, printing */

/*
 * Store e as one run in one transaction: the runs row from info, provenance
 * (the sha256 and path of every file in e->files and fq->files, the
 * reference, the bootstrap settings, then the extra pairs keys[i] =
 * values[i]), one item per evaluated question with its texts and per-item
 * values, the twelve numbers and MU with their intervals, forget_quality and
 * ks_statistic when fq->has, and e's extra metrics. *id receives the run id.
 * On any failure nothing is stored.
 */
int uh_tofu_store_run(struct uh_store *st, const struct uh_store_run_info *info,
		      const struct uh_tofu_eval *e, const struct uh_tofu_fq *fq,
		      const char *const *keys, const char *const *values, size_t n_pairs,
		      int64_t *id, struct uh_err *err);

/* Print the TOFU table of e (and Forget Quality when fq && fq->has) to f. */
void uh_tofu_print_table(FILE *f, const struct uh_tofu_eval *e, const struct uh_tofu_fq *fq,
			 const char *model, const char *split);

#endif
