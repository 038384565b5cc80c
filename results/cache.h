/*
 * cache.h - the request cache: every answer a backend gave, kept in the
 * request_cache table of the results database (DESIGN.md §1, §5), so a run
 * never pays twice for a request and a killed run resumes by being rerun.
 *
 * Keys are the SHA-256 (hex) of a backend identity (uh_cache_identity: the
 * backend's name and model id), the kind of request and every field of the
 * request, each length-prefixed so no two different requests share a key.
 * Values are a small binary record: a header (magic, kind, payload length),
 * the payload (doubles as their 8 IEEE bytes, so log-probabilities come back
 * bit for bit; per-token arrays; text) and a checksum over key and payload.
 * A value that fails any check (a flipped byte, a truncated blob, a record
 * stored under another key) is a miss with a warning, never numbers.
 *
 * The cache has its own connection to the database file, so its short write
 * transactions (BEGIN IMMEDIATE, one per batch, retried on SQLITE_BUSY with
 * a bounded backoff) never mix with a run being written; several uh
 * processes may share one file.
 *
 * Ownership: const arguments are borrowed for the call. Results filled by
 * the _get calls are the caller's, released with uh_cache_free_score /
 * uh_cache_free_gen.
 */
#ifndef UH_RESULTS_CACHE_H
#define UH_RESULTS_CACHE_H

#include "harness/backend.h"
#include "harness/err.h"

#include <stddef.h>
#include <stdint.h>

struct uh_cache;  /* an open cache (opaque) */

/* Open flags. */
#define UH_CACHE_READONLY (1u << 0)  /* look up, never write */

/* Counters since uh_cache_open (summed over every backend using the cache). */
struct uh_cache_stats {
	uint64_t hits;          /* requests answered from the cache */
	uint64_t misses;        /* requests not found (or found unusable) */
	uint64_t corrupt;       /* of the misses: values that failed a check */
	uint64_t stored;        /* answers written */
	uint64_t store_failed;  /* answers that could not be written (warned) */
};

/* A cache key: 64 hex digits and a NUL. */
struct uh_cache_key {
	char hex[65];
};

/*
 * Open the cache in the database file at path (migrated to the current
 * schema if needed, as uh_store_open does). ":memory:" or "" is refused
 * (UH_EINVAL): an in-memory cache would be a private, empty database. On
 * success *out is the caller's, closed with uh_cache_close.
 */
int uh_cache_open(struct uh_cache **out, const char *path, unsigned flags, struct uh_err *err);

/* Close c (NULL is fine). */
void uh_cache_close(struct uh_cache *c);

/*
 * Where warnings go (a corrupt value, an answer that could not be stored):
 * fn(ctx, message) with a lower-case message without final period, borrowed
 * for the call. NULL (the default): warnings are only counted.
 */
void uh_cache_set_warn(struct uh_cache *c, void (*fn)(void *ctx, const char *msg), void *ctx);

/* The counters (borrowed, live until uh_cache_close). */
const struct uh_cache_stats *uh_cache_stats(const struct uh_cache *c);

/*
 * The identity a backend's answers are filed under: the SHA-256 (hex) of
 * the length-prefixed backend name, model id and extra (NULL counts as
 * empty; extra is for whatever else decides the answers, e.g. the options
 * of a backend that reports no model id).
 */
void uh_cache_identity(const char *backend, const char *model_id, const char *extra,
		       char hex[65]);

/* The key of one request for identity (from uh_cache_identity). */
void uh_cache_key_score(const char *identity, const struct uh_score_req *q, struct uh_cache_key *k);
void uh_cache_key_gen(const char *identity, const struct uh_gen_req *q, struct uh_cache_key *k);
void uh_cache_key_tokenize(const char *identity, const char *text, struct uh_cache_key *k);

/*
 * Look up n answers. hit[i] is set to 1 and res[i] filled where keys[i] has
 * a sound value, else hit[i] = 0 and res[i] zeroed (counted as a miss).
 * With need_tokens, a score value without per-token arrays (for a
 * non-empty answer) is a miss. Release the hits with uh_cache_free_score /
 * uh_cache_free_gen (safe on the misses). A lookup the database refuses
 * (still busy after the retries, an i/o error) is a miss for every key, with
 * a warning: the cache only saves work. Fails only when out of memory
 * (UH_ENOMEM), with nothing filled.
 */
int uh_cache_get_score(struct uh_cache *c, const struct uh_cache_key *keys, size_t n,
		       int need_tokens, struct uh_score_res *res, unsigned char *hit,
		       struct uh_err *err);
int uh_cache_get_gen(struct uh_cache *c, const struct uh_cache_key *keys, size_t n,
		     struct uh_gen_res *res, unsigned char *hit, struct uh_err *err);
int uh_cache_get_tokenize(struct uh_cache *c, const struct uh_cache_key *key, int64_t *n_tokens,
			  unsigned char *hit, struct uh_err *err);

/* Release what uh_cache_get_* filled (malloc'd arrays and text), zeroing res. */
void uh_cache_free_score(struct uh_score_res *res, size_t n);
void uh_cache_free_gen(struct uh_gen_res *res, size_t n);

/*
 * Store n answers under keys, in one write transaction, committed before
 * return. Read-only: a no-op. Returns 0 or a negative code (the database
 * stayed busy past the retries, the disk is full ...); counted in
 * stats.stored / stats.store_failed either way.
 */
int uh_cache_put_score(struct uh_cache *c, const struct uh_cache_key *keys,
		       const struct uh_score_res *res, size_t n, struct uh_err *err);
int uh_cache_put_gen(struct uh_cache *c, const struct uh_cache_key *keys,
		     const struct uh_gen_res *res, size_t n, struct uh_err *err);
int uh_cache_put_tokenize(struct uh_cache *c, const struct uh_cache_key *key, int64_t n_tokens,
			  struct uh_err *err);

/* The number of entries in the cache. */
int uh_cache_count(struct uh_cache *c, int64_t *n, struct uh_err *err);

#endif
