/*
 * run.h - the runner: a suite's requests through a backend into one stored
 * run (DESIGN.md §1).
 *
 * Two layers:
 *  - uh_run_requests: any list of score/generate requests -> dedupe identical
 *    requests -> the backend in batches (through the registry's checking
 *    wrappers) -> one answer per original request. Suite-agnostic.
 *  - uh_run_tofu: the TOFU suite end to end: requests, answers, per-item
 *    values, the TOFU table (harness/tofu_store.h, the same code `uh import`
 *    uses), Forget Quality against a reference sample, and ONE store
 *    transaction with run, items, metrics and provenance. Nothing is written
 *    before every answer is in: a backend that fails mid-run leaves the
 *    store as it was.
 *
 * Ownership: const arguments are borrowed for the call; results belong to
 * the caller and are released with the matching _release.
 */
#ifndef UH_HARNESS_RUN_H
#define UH_HARNESS_RUN_H

#include "harness/backends/registry.h"
#include "harness/err.h"
#include "harness/progress.h"
#include "harness/tofu_store.h"
#include "results/cache.h"
#include "results/store.h"
#include "suites/tofu.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UH_RUN_DEFAULT_BATCH 64
#define UH_RUN_MAX_BATCH 65536

/* The answers to a request list, one per original request (deduped inside). */
struct uh_run_answers {
	const struct uh_score_res **score;  /* n_score pointers into the unique results */
	const struct uh_gen_res **gen;      /* n_gen pointers */
	size_t n_score, n_gen;
	size_t n_unique_score, n_unique_gen;
	size_t n_batches;
	/* internals: the unique results, freed batch by batch as they were filled */
	struct uh_backend *backend;
	size_t batch;
	struct uh_score_res *uscore;
	struct uh_gen_res *ugen;
	size_t done_score, done_gen;        /* unique results filled so far */
};

/*
 * Answer score[0..n_score) and gen[0..n_gen): identical requests (same
 * context, continuation and flags; same prompt, max_new_tokens and stop
 * strings) are sent once, in batches of at most batch. A failing batch is
 * an error naming the backend, the kind of request, the batch's range and
 * its first request; everything already answered is released. Progress
 * counts unique requests: pg->total is set to their number (pg may be NULL). out belongs to the caller until
 * uh_run_answers_release.
 */
int uh_run_requests(struct uh_backend *b, const struct uh_score_req *score, size_t n_score,
		    const struct uh_gen_req *gen, size_t n_gen, size_t batch,
		    struct uh_progress *pg, struct uh_run_answers *out, struct uh_err *err);
void uh_run_answers_release(struct uh_run_answers *a);

/*
 * uh_run_requests as a suite runs it: with a progress line on stderr named
 * label (none when quiet), and *seconds the time the requests took. out
 * belongs to the caller as above.
 */
int uh_run_requests_shown(struct uh_backend *b, const struct uh_score_req *score, size_t n_score,
			  const struct uh_gen_req *gen, size_t n_gen, size_t batch, const char *label,
			  bool quiet, struct uh_run_answers *out, double *seconds, struct uh_err *err);

/* ---------------------------------------------------------------- TOFU */

struct uh_run_tofu_opts {
	const char *model;           /* stored model name; NULL: the backend's model id */
	const char *tag;
	bool has_seed;
	int64_t seed;
	size_t batch;                /* 0: UH_RUN_DEFAULT_BATCH */
	bool quiet;
	const char *label;           /* progress label; NULL: "tofu" */
	const char *command_line;    /* provenance; may be NULL */
	/* Forget Quality: the reference's KS sample (NULL: none) */
	const double *ref_sample;
	size_t n_ref;
	bool ref_sample_is_ou;       /* open-unlearning's score s (else R = 1/s) */
	const char *ref_desc;        /* "run:3" or a path */
	const char *ref_model;
	const struct uh_tofu_files *ref_files;  /* a reference log's files, for provenance, or NULL */
	bool has_ref_mia;            /* the reference's min-k AUC, for privleak */
	double ref_mia_auc;
	/* more provenance pairs and more files to hash (training data) */
	const char *const *prov_keys;
	const char *const *prov_values;
	size_t n_prov;
	const char *const *extra_files;
	size_t n_extra_files;
	/* the counters of the request cache b answers through (harness/backends/cache.h), or NULL */
	const struct uh_cache_stats *cache;
};

struct uh_run_tofu_result {
	int64_t run_id;
	struct uh_tofu_log log;      /* the per-item values */
	struct uh_tofu_eval ev;      /* the table (borrows log) */
	struct uh_tofu_fq fq;        /* fq.has when a reference was given */
	bool has_mia;                /* open-unlearning with a holdout set */
	double mia_auc;
	size_t n_requests, n_unique; /* score + generate, before and after dedupe */
	double seconds;              /* requests through the backend */
	bool has_cache;              /* o->cache was given: */
	uint64_t cache_hits, cache_misses; /* this run's lookups (tokenize included) */
};

/*
 * Evaluate backend b on suite s (its profile decides the requests and the
 * formulas) with template t; store one run in st; fill res. The model name
 * defaults to the backend's model id. Returns 0 or a negative code; on
 * failure nothing is stored and res is released.
 */
int uh_run_tofu(struct uh_store *st, struct uh_backend *b, const struct uh_tofu_suite *s,
		const struct uh_tofu_template *t, const struct uh_run_tofu_opts *o,
		struct uh_run_tofu_result *res, struct uh_err *err);
void uh_run_tofu_result_release(struct uh_run_tofu_result *res);

#endif
