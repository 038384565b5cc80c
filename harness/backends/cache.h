/*
 * cache.h - the caching backend: any open backend behind the request cache
 * (results/cache.h), presented through the same ABI table, so the runner
 * uses it like any backend.
 *
 * For each batch it looks every request up, sends only the misses to the
 * inner backend (through the registry's checking wrappers), stores those
 * answers in one short transaction as soon as the batch returns (before the
 * run goes on: a run killed later resumes from there), and returns cached
 * and fresh answers in request order. tokenize() is cached the same way;
 * encode/decode/eos_id and model_id pass straight through.
 *
 * Answers are filed under the inner backend's name, model id and the model
 * it was asked to load (cfg->model, --model); a backend without a model id
 * gets its whole configuration (model and options) in the identity, so two
 * differently configured instances never share answers.
 */
#ifndef UH_HARNESS_BACKENDS_CACHE_H
#define UH_HARNESS_BACKENDS_CACHE_H

#include "harness/backends/registry.h"
#include "harness/err.h"
#include "results/cache.h"

/*
 * Wrap inner (borrowed: it must outlive out, and is not closed with it)
 * behind cache c (borrowed likewise) into out, a backend with inner's name,
 * capabilities and model id. cfg is what inner was opened with (may be
 * NULL). Close out with uh_backend_close. Returns 0 or a negative code.
 */
int uh_cache_backend_wrap(struct uh_backend *out, struct uh_backend *inner, struct uh_cache *c,
			  const struct uh_backend_config *cfg, struct uh_err *err);

/*
 * The inner backend's own error code from the last failed call through out
 * (the registry reports every failure of a wrapped backend as UH_EIO; this
 * keeps, e.g., UH_EINVAL for a backend that returned impossible values).
 * 0 when the last call did not fail in the inner backend.
 */
int uh_cache_backend_inner_code(const struct uh_backend *out);

#endif
