/*
 * registry.h - what uh's suites are: their splits, profiles and the backend
 * capabilities each metric needs (for `uh list suites` and for the runner's
 * up-front check: a suite never starts on a backend that cannot answer it).
 * All data is static.
 */
#ifndef UH_SUITES_REGISTRY_H
#define UH_SUITES_REGISTRY_H

#include "harness/err.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One metric group of a suite and the UH_CAN_* bits it needs. */
struct uh_suite_metric {
	const char *name;          /* "verbmem", "privleak", ... */
	const char *profiles;      /* the profiles that compute it ("muse open-unlearning") */
	uint32_t caps;             /* UH_CAN_* bits it needs */
	const char *why;           /* what the capability is used for */
};

struct uh_suite_desc {
	const char *name;          /* "tofu", "muse", "hp" */
	const char *title;
	const char *const *splits; /* NULL-terminated; TOFU also takes any forgetXX with files */
	const char *const *profiles;
	const char *default_profile;
	const struct uh_suite_metric *metrics;
	size_t n_metrics;
	const char *note;          /* what is not computed, or NULL */
};

/* The suites, NULL-terminated. */
const struct uh_suite_desc *const *uh_suites(void);

/* The suite called name, or NULL. */
const struct uh_suite_desc *uh_suite_find(const char *name);

/* "SCORE|TOKEN_LOGPROBS" for caps, in buf. Returns buf. */
const char *uh_caps_text(uint32_t caps, char *buf, size_t len);

/*
 * Check, before any request, that a backend with capability bits `caps`
 * can run every metric of suite under profile. UH_EINVAL names the suite,
 * the metric, the missing capability and what it is for, e.g.
 *   suite 'muse' metric 'privleak' needs TOKEN_LOGPROBS (per-token
 *   log-probs for Min-K%), which backend 'null' lacks
 */
int uh_suite_check_caps(const char *suite, const char *profile, uint32_t caps,
			const char *backend, struct uh_err *err);

/* Print the suites with their splits, profiles and capabilities (for `uh list suites`). */
void uh_suites_print(FILE *f);

#endif
