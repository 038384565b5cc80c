/*
 * tofu_logs.h - readers for the official TOFU evaluation logs and for
 * open-unlearning's result files (spec/tofu.md §2.6, §3.4).
 *
 * Two families of input, both untrusted:
 *
 *  - locuslab/tofu logs: a directory with the four task files
 *    (eval_log.json, eval_real_author_wo_options.json,
 *    eval_real_world_wo_options.json, eval_log_forget.json) or one
 *    eval_log_aggregated.json ({"<task>.json": log}). Each task log maps a
 *    key (avg_gt_loss, ...) to the per-item values, either as a dict keyed
 *    "0".."N-1" (new format) or as a plain list (old format, no truth_ratio).
 *
 *  - open-unlearning: <BENCH>_EVAL.json ({metric: {agg_value,
 *    value_by_index}}) and the optional <BENCH>_SUMMARY.json ({metric:
 *    agg_value}). TOFU_EVAL.json is the main case; MUSE_EVAL.json has the
 *    same shape and reads the same way.
 *
 * Ownership rule for the whole API: everything a reader fills belongs to the
 * struct it fills and is released by that struct's _release function; the
 * strings inside are NUL-terminated UTF-8 copies of the JSON strings.
 *
 * Every failure on bad input is UH_EINVAL with a message that names the file,
 * the item index and the field, e.g.
 *   tofu log 'x/eval_log_forget.json' item 17: field 'perturb_loss' must be
 *   a list of 5 numbers, got 4
 * Other codes: UH_EIO (cannot read), UH_ENOTFOUND (no log files at the path),
 * UH_ENOMEM.
 */
#ifndef UH_SUITES_TOFU_LOGS_H
#define UH_SUITES_TOFU_LOGS_H

#include "harness/err.h"

#include <stdbool.h>
#include <stddef.h>

/* Largest accepted input file: the biggest official log is 1.6 MB. */
#define UH_TOFU_LOG_MAX_BYTES ((size_t)256 << 20)

/* ------------------------------------------------------------------ TOFU logs */

/* The four evaluation tasks, in the order of the official eval_task list. */
enum uh_tofu_task {
	UH_TOFU_RETAIN = 0,      /* eval_log.json (retain_perturbed)          */
	UH_TOFU_REAL_AUTHORS = 1, /* eval_real_author_wo_options.json          */
	UH_TOFU_REAL_WORLD = 2,  /* eval_real_world_wo_options.json           */
	UH_TOFU_FORGET = 3,      /* eval_log_forget.json (forgetXX_perturbed) */
	UH_TOFU_NTASKS = 4,
};

/* Perturbed answers per item: 5 for retain/forget, 3 for real authors/world. */
#define UH_TOFU_MAX_PERTURB 5

enum uh_tofu_format {
	UH_TOFU_FORMAT_DICT = 0, /* new: values keyed "0".."N-1" */
	UH_TOFU_FORMAT_LIST = 1, /* old: plain lists */
};

/* One evaluated item (one question) of one task. */
struct uh_tofu_item {
	double avg_gt_loss;            /* per-token NLL of the answer */
	double gt_loss;                /* summed NLL */
	long num_token_gt;
	double rouge1_recall, rougeL_recall;
	double avg_paraphrased_loss;   /* base answer (paraphrase, or answer for RA/WF) */
	double paraphrased_loss;
	long num_token_paraphrased;
	double average_perturb_loss[UH_TOFU_MAX_PERTURB]; /* first n_perturb used */
	double perturb_loss[UH_TOFU_MAX_PERTURB];
	long num_token_perturb[UH_TOFU_MAX_PERTURB];
	double truth_ratio;            /* as logged; NaN when the log has none */
	double normalized_gt_loss;     /* RA/WF only; NaN when absent */
	char *prompt;                  /* generated_text[0], owned */
	char *generation;              /* generated_text[1], owned */
	char *ground_truth;            /* generated_text[2], owned */
};

struct uh_tofu_task_log {
	size_t n;                      /* items, index 0..n-1 */
	size_t n_perturb;              /* 5 or 3 */
	bool has_truth_ratio;          /* the new format logs truth_ratio */
	bool has_normalized_gt_loss;
	struct uh_tofu_item *items;    /* n items, owned */
};

struct uh_tofu_log {
	enum uh_tofu_format format;
	bool aggregated;               /* read from eval_log_aggregated.json */
	struct uh_tofu_task_log task[UH_TOFU_NTASKS];
};

/* File name of a task inside a log directory ("eval_log_forget.json"). Static. */
const char *uh_tofu_task_file(enum uh_tofu_task t);

/* Short name of a task: "retain", "real_authors", "real_world", "forget". Static. */
const char *uh_tofu_task_name(enum uh_tofu_task t);

/* Perturbed answers a task must have: 5 (retain, forget) or 3 (RA, WF). */
size_t uh_tofu_task_n_perturb(enum uh_tofu_task t);

/*
 * Read a TOFU log from path: a directory holding the four task files or
 * eval_log_aggregated.json (the four files win when both exist), or the path
 * of an eval_log_aggregated.json file itself. Fills *log (zeroed first; on
 * failure it is left released). Release with uh_tofu_log_release.
 */
int uh_tofu_log_read(const char *path, struct uh_tofu_log *log, struct uh_err *err);

/*
 * Parse one task log from json[0..len) (need not be NUL-terminated). name is
 * the file name used in messages. *fmt receives the format found. Fills *out
 * (release with uh_tofu_task_log_release). The entry point for fuzzing.
 */
int uh_tofu_task_log_parse(const char *json, size_t len, const char *name,
			   enum uh_tofu_task t, struct uh_tofu_task_log *out,
			   enum uh_tofu_format *fmt, struct uh_err *err);

void uh_tofu_task_log_release(struct uh_tofu_task_log *tl);
void uh_tofu_log_release(struct uh_tofu_log *log);

/* ------------------------------------------------------- open-unlearning logs */

/* Shape of one metric entry in <BENCH>_EVAL.json, decided by its values. */
enum uh_ou_kind {
	UH_OU_AGG_ONLY = 0,  /* {"agg_value": x|null}: forget_quality, model_utility, privleak */
	UH_OU_SCORE = 1,     /* value_by_index {i: {"score": s}}: truth ratios, ES, EM */
	UH_OU_PROB = 2,      /* {i: {"prob": p[, "avg_loss": l]}} (normalised ones lack avg_loss) */
	UH_OU_PROB_LIST = 3, /* {i: {"prob": [k], "avg_loss": [k]}}: the PERT precomputes */
	UH_OU_ROUGE = 4,     /* {i: {rouge1_recall, rougeL_f1, rougeL_recall, input, ground_truth, generation}} */
	UH_OU_MIA = 5,       /* {"forget": {agg_value, value_by_index: {i: {score}}}, "holdout": ..., "auc", "agg_value"} */
};

struct uh_ou_metric {
	char *name;              /* owned */
	enum uh_ou_kind kind;
	bool has_agg;            /* false when agg_value is null */
	double agg_value;        /* NaN when !has_agg */
	size_t n;                /* items of value_by_index ("0".."n-1"); 0 for AGG_ONLY, MIA */
	size_t k;                /* list width for PROB_LIST (5 or 3), else 0 */
	/* SCORE: score[n]. PROB: prob[n], avg_loss[n] (NULL when absent).
	 * PROB_LIST: prob[n*k], avg_loss[n*k], row-major. All owned. */
	double *score;
	double *prob;
	double *avg_loss;
	/* ROUGE: per-item columns and texts, owned. */
	double *rouge1_recall, *rougeL_f1, *rougeL_recall;
	char **input, **ground_truth, **generation;
	/* MIA: per-item scores of the two sets and the stored numbers. */
	size_t n_forget, n_holdout;
	double *forget_score, *holdout_score;  /* owned */
	double forget_agg, holdout_agg, auc;   /* NaN when absent */
};

struct uh_ou_summary_entry {
	char *name;              /* owned */
	double value;
};

struct uh_ou_eval {
	size_t n_metrics;
	struct uh_ou_metric *metrics;          /* owned, in file order */
	bool has_summary;
	size_t n_summary;
	struct uh_ou_summary_entry *summary;   /* owned */
};

/*
 * Read an open-unlearning result: path is a directory holding TOFU_EVAL.json
 * (or MUSE_EVAL.json) and optionally the matching *_SUMMARY.json, or the path
 * of an *_EVAL.json file (its sibling *_SUMMARY.json is read when present).
 * Fills *ev (release with uh_ou_eval_release). The agg_values are stored as
 * read; uh_tofu_agg_ou_verify (metrics/tofu_agg.h) recomputes and checks
 * them, and an importer must call it.
 */
int uh_ou_eval_read(const char *path, struct uh_ou_eval *ev, struct uh_err *err);

/* Parse an *_EVAL.json document from json[0..len); name is used in messages. */
int uh_ou_eval_parse(const char *json, size_t len, const char *name,
		     struct uh_ou_eval *ev, struct uh_err *err);

/* Parse an *_SUMMARY.json document into ev->summary (sets has_summary). */
int uh_ou_summary_parse(const char *json, size_t len, const char *name,
			struct uh_ou_eval *ev, struct uh_err *err);

/* The metric called name, or NULL. Borrowed, valid until uh_ou_eval_release. */
const struct uh_ou_metric *uh_ou_eval_find(const struct uh_ou_eval *ev, const char *name);

void uh_ou_eval_release(struct uh_ou_eval *ev);

#endif
