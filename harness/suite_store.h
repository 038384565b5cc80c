/*
 * suite_store.h - one evaluation of a suite other than TOFU (MUSE, Harry
 * Potter), however obtained (a run here, an imported open-unlearning log):
 * its metrics (with bootstrap intervals where they are means), its items
 * (texts and per-item values) and the files it read; stored as one run in
 * one transaction and printed as a table.
 *
 * Ownership: everything a struct uh_seval holds is its own and released by
 * uh_seval_release; const char * arguments are borrowed (copied when kept).
 */
#ifndef UH_HARNESS_SUITE_STORE_H
#define UH_HARNESS_SUITE_STORE_H

#include "harness/err.h"
#include "harness/tofu_store.h"
#include "results/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct uh_seval_metric {
	char *name;
	double value;
	int64_t n;                   /* samples behind it; < 0 unknown */
	bool has_ci;
	double lo, hi;
	char *label;                 /* the table's wording, or NULL */
	double scale;                /* printed as value * scale (1 or 100) */
};

struct uh_seval_item {
	char *task;                  /* "verbmem_forget", "knowmem_retain", "train", ... */
	int64_t idx;
	char *question, *reference, *generation;   /* any may be NULL */
	char *values_json;           /* an object of per-item values */
};

struct uh_seval {
	struct uh_seval_metric *m;
	size_t n_metrics;
	struct uh_seval_item *it;
	size_t n_items, cap_items;
	char *notes;                 /* lines printed under the table, or NULL */
	struct uh_tofu_files files;  /* data files read (sha256 in provenance) */
};

void uh_seval_release(struct uh_seval *e);

/* Add a metric (name and label copied; label may be NULL; scale 0 means 1). */
int uh_seval_add(struct uh_seval *e, const char *name, const char *label, double value,
		 double scale, int64_t n, const struct uh_ci *ci, struct uh_err *err);

/*
 * Add the numpy mean of v[0..n) with its 95% percentile-bootstrap interval
 * (the TOFU settings: 1000 resamples, fixed seed). UH_EINVAL when n == 0
 * or a value is not finite (the message names the metric).
 */
int uh_seval_add_mean(struct uh_seval *e, const char *name, const char *label, const double *v,
		      size_t n, double scale, struct uh_err *err);

/* The metric called name, or NULL. Borrowed. */
const struct uh_seval_metric *uh_seval_find(const struct uh_seval *e, const char *name);

/*
 * Add an item. values is a JSON object text (copied) or NULL; the texts are
 * copied. Use uh_seval_json_* to build values.
 */
int uh_seval_add_item(struct uh_seval *e, const char *task, int64_t idx, const char *question,
		      const char *reference, const char *generation, const char *values,
		      struct uh_err *err);

/* Append a line to the notes. */
int uh_seval_note(struct uh_seval *e, const char *line, struct uh_err *err);

/*
 * A small builder for the per-item values object: uh_seval_json_num appends
 * "name": value to buf (NaN and infinities as null), keeping buf an object
 * ("{}" when empty). buf has len bytes; returns false when it is too small.
 */
bool uh_seval_json_num(char *buf, size_t len, const char *name, double value);

/*
 * Store e as one run: the runs row from info, provenance (the sha256 and
 * path of every file in e->files, then keys[i] = values[i]), every item and
 * every metric, in one transaction. *id gets the run id. On failure nothing
 * is stored.
 */
int uh_seval_store(struct uh_store *st, const struct uh_store_run_info *info,
		   const struct uh_seval *e, const char *const *keys, const char *const *values,
		   size_t n_pairs, int64_t *id, struct uh_err *err);

/* Print the metrics of e (title first, then one line per metric, then the notes). */
void uh_seval_print(FILE *f, const struct uh_seval *e, const char *title);

#endif
