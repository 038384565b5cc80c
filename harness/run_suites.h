/*
 * run_suites.h - the runner for the MUSE and Harry Potter suites, built like
 * uh_run_tofu (harness/run.h): check the backend's capabilities before any
 * request, build the requests, send them through uh_run_requests (dedupe,
 * batches), turn the answers into per-item values and aggregates
 * (harness/suite_store.h) and store one run in one transaction. Nothing is
 * written unless every answer is in.
 *
 * Ownership: const arguments are borrowed; results belong to the caller
 * and are released with the matching _release.
 */
#ifndef UH_HARNESS_RUN_SUITES_H
#define UH_HARNESS_RUN_SUITES_H

#include "harness/backends/registry.h"
#include "harness/err.h"
#include "harness/suite_store.h"
#include "results/cache.h"
#include "results/store.h"
#include "suites/hp.h"
#include "suites/muse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uh_run_suite_opts {
	const char *model;           /* stored model name; NULL: the backend's model id */
	const char *tag;
	bool has_seed;
	int64_t seed;
	size_t batch;                /* 0: UH_RUN_DEFAULT_BATCH */
	bool quiet;
	const char *label;           /* progress label */
	const char *command_line;
	/* MUSE privleak: the retrained model's AUC (profile's orientation) */
	bool has_ref_auc;
	double ref_auc;
	const char *ref_desc;        /* "run:3", "published AUC_RETRAIN[news]", ... */
	bool ref_self;               /* the run IS the retrained model: privleak against its
				      * own AUC (0 by definition); open-unlearning uses
				      * ref_value 0.5 for a retain model instead */
	const char *const *prov_keys;
	const char *const *prov_values;
	size_t n_prov;
	const char *const *extra_files;   /* more files to hash (training data) */
	size_t n_extra_files;
	/* the counters of the request cache b answers through (harness/backends/cache.h), or NULL */
	const struct uh_cache_stats *cache;
};

struct uh_run_suite_result {
	int64_t run_id;
	struct uh_seval ev;
	bool has_auc;
	double auc;                  /* MUSE: the privleak AUC in the profile's orientation */
	size_t n_requests, n_unique;
	double seconds;
	bool has_cache;              /* o->cache was given: */
	uint64_t cache_hits, cache_misses; /* this run's lookups (tokenize included) */
};

void uh_run_suite_result_release(struct uh_run_suite_result *r);

/* Evaluate b on a MUSE suite and store the run (suite "muse", split s->split). */
int uh_run_muse(struct uh_store *st, struct uh_backend *b, const struct uh_muse_suite *s,
		const struct uh_run_suite_opts *o, struct uh_run_suite_result *res, struct uh_err *err);

/* Evaluate b on the HP suite with template t and store the run (suite "hp", split "k<k>"). */
int uh_run_hp(struct uh_store *st, struct uh_backend *b, const struct uh_hp_suite *s,
	      const struct uh_hp_template *t, const struct uh_run_suite_opts *o,
	      struct uh_run_suite_result *res, struct uh_err *err);

/*
 * `uh-run --suite muse|hp ...`: the command line of these two suites
 * (harness/cmd_run.c hands over to it when --suite is muse or hp).
 * Returns an exit status.
 */
int uh_cmd_run_suite(int argc, char **argv);

#endif
