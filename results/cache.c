/*
 * cache.c - the request cache (see cache.h).
 *
 * Read top to bottom: keys (length-prefixed fields into SHA-256), the value
 * record (encode, check, decode), the database (own connection, prepared
 * statements, bounded retries on SQLITE_BUSY), then get and put.
 *
 * Why a binary record and not JSON: a log-probability must come back bit
 * for bit, NaN-free and without a float-to-text round trip, and per-token
 * arrays are thousands of doubles; 8 little-endian bytes per double is both
 * exact and cheap. Every value carries its length and a checksum that also
 * covers its key, so a flipped byte, a truncated blob or a value copied
 * under another key is caught before anything is decoded into numbers.
 */
#include "results/cache.h"
#include "results/schema.h"
#include "harness/sha256.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Page cache of the cache's connection (KiB): lookups of random keys touch many pages. */
#define CACHE_SIZE_KIB 16384
/* How long one attempt waits for another process's lock (as the store). */
#define BUSY_TIMEOUT_MS 10000
/* Attempts at a transaction that keeps answering SQLITE_BUSY, and the first pause. */
#define BUSY_ATTEMPTS 5
#define BUSY_BACKOFF_MS 20

#define KEY_TAG "uh-cache-key/1"
#define IDENT_TAG "uh-cache-identity/1"
#define SUM_TAG "uh-cache-value/1"

#define MAGIC "UHC1"
#define HEAD_LEN 12        /* magic, kind, 3 zero bytes, payload length (u32) */
#define SUM_LEN 8          /* the first 8 bytes of a SHA-256 */
#define MAX_PAYLOAD 0x7fffff00u

enum kind { K_SCORE = 'S', K_GEN = 'G', K_TOKENIZE = 'T' };

struct uh_cache {
	sqlite3 *db;
	char *path;
	unsigned flags;
	sqlite3_stmt *sel, *ins;
	struct uh_cache_stats stats;
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

/* ================================================================ keys */

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void feed_u64(struct uh_sha256 *s, uint64_t v)
{
	unsigned char b[8];

	put_u64(b, v);
	uh_sha256_update(s, b, 8);
}

/* A field: its length (8 bytes) then its bytes, so ("ab","c") and ("a","bc") differ. */
static void feed_str(struct uh_sha256 *s, const char *str)
{
	size_t n = str ? strlen(str) : 0;

	feed_u64(s, n);
	uh_sha256_update(s, str ? str : "", n);
}

static void finish_hex(struct uh_sha256 *s, char hex[65])
{
	unsigned char d[32];

	uh_sha256_final(s, d);
	uh_sha256_hex(d, hex);
}

void uh_cache_identity(const char *backend, const char *model_id, const char *extra,
		       char hex[65])
{
	struct uh_sha256 s;

	uh_sha256_init(&s);
	feed_str(&s, IDENT_TAG);
	feed_str(&s, backend);
	feed_str(&s, model_id);
	feed_str(&s, extra);
	finish_hex(&s, hex);
}

static void key_start(struct uh_sha256 *s, const char *identity, const char *kind)
{
	uh_sha256_init(s);
	feed_str(s, KEY_TAG);
	feed_str(s, identity);
	feed_str(s, kind);
}

void uh_cache_key_score(const char *identity, const struct uh_score_req *q, struct uh_cache_key *k)
{
	struct uh_sha256 s;

	key_start(&s, identity, "score");
	feed_str(&s, q->context);
	feed_str(&s, q->continuation);
	feed_u64(&s, q->flags);
	finish_hex(&s, k->hex);
}

void uh_cache_key_gen(const char *identity, const struct uh_gen_req *q, struct uh_cache_key *k)
{
	struct uh_sha256 s;

	key_start(&s, identity, "generate");
	feed_str(&s, q->prompt);
	feed_u64(&s, (uint64_t)(int64_t)q->max_new_tokens);
	feed_u64(&s, q->n_stop);
	for (size_t i = 0; i < q->n_stop; i++)
		feed_str(&s, q->stop[i]);
	finish_hex(&s, k->hex);
}

void uh_cache_key_tokenize(const char *identity, const char *text, struct uh_cache_key *k)
{
	struct uh_sha256 s;

	key_start(&s, identity, "tokenize");
	feed_str(&s, text);
	finish_hex(&s, k->hex);
}

/* ================================================================ values */

/* A value being built: header, payload, checksum. */
struct buf {
	unsigned char *p;
	size_t len, cap;
	int oom;
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *np;

		while (cap < b->len + n)
			cap *= 2;
		if (!(np = realloc(b->p, cap))) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void buf_u64(struct buf *b, uint64_t v)
{
	unsigned char x[8];

	put_u64(x, v);
	buf_add(b, x, 8);
}

static void buf_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4];

	put_u32(x, v);
	buf_add(b, x, 4);
}

static uint64_t dbl_bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	return u;
}

static double bits_dbl(uint64_t u)
{
	double d;

	memcpy(&d, &u, 8);
	return d;
}

/*
 * The checksum of a record: 64-bit FNV-1a over the key, the header and the
 * payload. It guards against damage, not against an adversary (the key is
 * SHA-256 for that); FNV-1a's step is a bijection of the state for a given
 * byte, so any single changed byte always changes the sum, and it costs a
 * fraction of a SHA-256.
 */
static void checksum(const char *key, const unsigned char *rec, size_t len, unsigned char out[SUM_LEN])
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = SUM_TAG; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	for (size_t i = 0; i < 64; i++)
		h = (h ^ (unsigned char)key[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ rec[i]) * 0x100000001b3ull;
	put_u64(out, h);
}

static void rec_begin(struct buf *b, enum kind k)
{
	unsigned char head[HEAD_LEN] = { 0 };

	memcpy(head, MAGIC, 4);
	head[4] = (unsigned char)k;
	buf_add(b, head, HEAD_LEN);
}

/* Patch the payload length in and append the checksum. */
static int rec_end(struct buf *b, const char *key)
{
	unsigned char sum[SUM_LEN];

	if (b->oom)
		return UH_ENOMEM;
	if (b->len - HEAD_LEN > MAX_PAYLOAD)
		return UH_EINVAL;
	put_u32(b->p + 8, (uint32_t)(b->len - HEAD_LEN));
	checksum(key, b->p, b->len, sum);
	buf_add(b, sum, SUM_LEN);
	return b->oom ? UH_ENOMEM : 0;
}

static int encode_score(const struct uh_score_res *r, const char *key, struct buf *b)
{
	int has = r->n_tokens > 0 && r->token_logprobs && r->token_greedy;

	rec_begin(b, K_SCORE);
	buf_u64(b, dbl_bits(r->logprob));
	buf_u64(b, (uint64_t)r->n_tokens);
	buf_u32(b, (uint32_t)r->is_greedy);
	buf_add(b, &(unsigned char){ (unsigned char)has }, 1);
	if (has && r->n_tokens <= (int64_t)(MAX_PAYLOAD / 9)) {
		for (int64_t t = 0; t < r->n_tokens; t++)
			buf_u64(b, dbl_bits(r->token_logprobs[t]));
		buf_add(b, r->token_greedy, (size_t)r->n_tokens);
	}
	return rec_end(b, key);
}

static int encode_gen(const struct uh_gen_res *r, const char *key, struct buf *b)
{
	size_t n = r->text ? strlen(r->text) : 0;

	rec_begin(b, K_GEN);
	buf_u64(b, (uint64_t)r->n_tokens);
	buf_u32(b, (uint32_t)r->finish_reason);
	buf_u64(b, n);
	buf_add(b, r->text ? r->text : "", n);
	return rec_end(b, key);
}

static int encode_tokenize(int64_t n_tokens, const char *key, struct buf *b)
{
	rec_begin(b, K_TOKENIZE);
	buf_u64(b, (uint64_t)n_tokens);
	return rec_end(b, key);
}

/*
 * The payload of a stored record of kind k, after every structural check:
 * magic, kind, exact length, checksum. NULL (and *why) when it fails.
 */
static const unsigned char *rec_open(const char *key, const unsigned char *v, size_t len, enum kind k,
				     size_t *plen, const char **why)
{
	unsigned char sum[SUM_LEN];
	uint32_t n;

	if (!v || len < HEAD_LEN + SUM_LEN) {
		*why = "too short";
		return NULL;
	}
	if (memcmp(v, MAGIC, 4) || v[5] || v[6] || v[7]) {
		*why = "bad header";
		return NULL;
	}
	if (v[4] != (unsigned char)k) {
		*why = "a different kind of request";
		return NULL;
	}
	n = get_u32(v + 8);
	if ((size_t)n != len - HEAD_LEN - SUM_LEN) {
		*why = "wrong length";
		return NULL;
	}
	checksum(key, v, HEAD_LEN + n, sum);
	if (memcmp(sum, v + HEAD_LEN + n, SUM_LEN)) {
		*why = "checksum mismatch";
		return NULL;
	}
	*plen = n;
	return v + HEAD_LEN;
}

/* 1: decoded; 0: unusable (why says so); negative: out of memory. */
static int decode_score(const unsigned char *p, size_t n, int need_tokens, struct uh_score_res *r,
			const char **why)
{
	int64_t k;
	uint32_t g;
	unsigned char has;

	memset(r, 0, sizeof(*r));
	if (n < 21) {
		*why = "short score record";
		return 0;
	}
	r->logprob = bits_dbl(get_u64(p));
	k = (int64_t)get_u64(p + 8);
	g = get_u32(p + 16);
	has = p[20];
	if (!isfinite(r->logprob) || r->logprob > 0 || k < 0 || g > 1 || has > 1) {
		*why = "impossible score values";
		return 0;
	}
	if ((has && (k == 0 || (uint64_t)k > (n - 21) / 9 || (size_t)k * 9 != n - 21)) ||
	    (!has && n != 21)) {
		*why = "score record length does not match its token count";
		return 0;
	}
	if (need_tokens && k > 0 && !has) {
		*why = NULL; /* stored without per-token values: a plain miss */
		return 0;
	}
	r->n_tokens = k;
	r->is_greedy = (int32_t)g;
	if (!has)
		return 1;
	r->token_logprobs = malloc((size_t)k * sizeof(double));
	r->token_greedy = malloc((size_t)k);
	if (!r->token_logprobs || !r->token_greedy) {
		free(r->token_logprobs);
		free(r->token_greedy);
		memset(r, 0, sizeof(*r));
		return UH_ENOMEM;
	}
	for (int64_t t = 0; t < k; t++) {
		double x = bits_dbl(get_u64(p + 21 + 8 * t));

		if (!isfinite(x) || x > 0 || p[21 + 8 * k + t] > 1) {
			free(r->token_logprobs);
			free(r->token_greedy);
			memset(r, 0, sizeof(*r));
			*why = "impossible per-token values";
			return 0;
		}
		r->token_logprobs[t] = x;
	}
	memcpy(r->token_greedy, p + 21 + 8 * k, (size_t)k);
	return 1;
}

static int decode_gen(const unsigned char *p, size_t n, struct uh_gen_res *r, const char **why)
{
	int64_t k;
	uint32_t f;
	uint64_t tl;

	memset(r, 0, sizeof(*r));
	if (n < 20) {
		*why = "short generate record";
		return 0;
	}
	k = (int64_t)get_u64(p);
	f = get_u32(p + 8);
	tl = get_u64(p + 12);
	if (k < 0 || f > UH_FINISH_EOS || tl != n - 20 || memchr(p + 20, '\0', (size_t)tl)) {
		*why = "impossible generate values";
		return 0;
	}
	if (!(r->text = malloc((size_t)tl + 1)))
		return UH_ENOMEM;
	memcpy(r->text, p + 20, (size_t)tl);
	r->text[tl] = '\0';
	r->n_tokens = k;
	r->finish_reason = (int32_t)f;
	return 1;
}

void uh_cache_free_score(struct uh_score_res *res, size_t n)
{
	for (size_t i = 0; res && i < n; i++) {
		free(res[i].token_logprobs);
		free(res[i].token_greedy);
		memset(&res[i], 0, sizeof(res[i]));
	}
}

void uh_cache_free_gen(struct uh_gen_res *res, size_t n)
{
	for (size_t i = 0; res && i < n; i++) {
		free(res[i].text);
		memset(&res[i], 0, sizeof(res[i]));
	}
}

/* ================================================================ the database */

static int db_err(struct uh_cache *c, struct uh_err *err, const char *what)
{
	return uh_err_set(err, UH_EDB, "request cache in '%s': %s: %s", c->path, what,
			  sqlite3_errmsg(c->db));
}

static void warn_msg(struct uh_cache *c, const char *msg)
{
	if (c->warn)
		c->warn(c->warn_ctx, msg);
}

/* Run one parameterless statement; the sqlite code. */
static int exec_sql(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int is_busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int uh_cache_open(struct uh_cache **out, const char *path, unsigned flags, struct uh_err *err)
{
	struct uh_cache *c;
	int ro = flags & UH_CACHE_READONLY;
	int rc;

	*out = NULL;
	if (!path || !*path || !strcmp(path, ":memory:"))
		return uh_err_set(err, UH_EINVAL, "the request cache needs a database file, not '%s'",
				  path ? path : "");
	if (!(c = calloc(1, sizeof(*c))) || !(c->path = strdup(path))) {
		free(c);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	c->flags = flags;
	rc = sqlite3_open_v2(path, &c->db, ro ? SQLITE_OPEN_READONLY
					      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		if (c->db)
			uh_err_set(err, UH_EDB, "request cache: cannot open database '%s': %s", path,
				   sqlite3_errmsg(c->db));
		else
			uh_err_set(err, UH_ENOMEM, "request cache: cannot open database '%s': out of memory", path);
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 1);
	if (sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS) != SQLITE_OK) {
		db_err(c, err, "setting busy timeout");
		goto fail;
	}
	{
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%d", CACHE_SIZE_KIB);
		if (exec_sql(c->db, pragma) != SQLITE_OK) {
			db_err(c, err, "setting the page cache size");
			goto fail;
		}
	}
	if (!ro) {
		if (exec_sql(c->db, "PRAGMA journal_mode = WAL") != SQLITE_OK ||
		    exec_sql(c->db, "PRAGMA synchronous = NORMAL") != SQLITE_OK) {
			db_err(c, err, "setting WAL journal mode");
			goto fail;
		}
		if (uh_schema_migrate(c->db, path, NULL, err))
			goto fail;
	}
	if (sqlite3_prepare_v2(c->db, "SELECT value FROM request_cache WHERE key = ?1", -1, &c->sel,
			       NULL) != SQLITE_OK ||
	    (!ro && sqlite3_prepare_v2(c->db,
				       "INSERT OR REPLACE INTO request_cache (key, value, created) "
				       "VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
				       -1, &c->ins, NULL) != SQLITE_OK)) {
		db_err(c, err, "preparing statements");
		goto fail;
	}
	*out = c;
	return 0;

fail:
	rc = err ? err->code : UH_EDB;
	uh_cache_close(c);
	return rc;
}

void uh_cache_close(struct uh_cache *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->sel);
	sqlite3_finalize(c->ins);
	sqlite3_close(c->db);
	free(c->path);
	free(c);
}

void uh_cache_set_warn(struct uh_cache *c, void (*fn)(void *ctx, const char *msg), void *ctx)
{
	c->warn = fn;
	c->warn_ctx = ctx;
}

const struct uh_cache_stats *uh_cache_stats(const struct uh_cache *c)
{
	return &c->stats;
}

int uh_cache_count(struct uh_cache *c, int64_t *n, struct uh_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM request_cache", -1, &s, NULL) != SQLITE_OK)
		return db_err(c, err, "counting entries");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : db_err(c, err, "counting entries");
}

/* ================================================================ get */

/*
 * Decode one stored value for keys[i] into the caller's result; 1 hit,
 * 0 miss, negative: out of memory.
 */
typedef int (*decode_fn)(void *res, size_t i, const char *key, const unsigned char *v, size_t len,
			 int need_tokens, const char **why);

static int dec_score_v(void *res, size_t i, const char *key, const unsigned char *v, size_t len,
		       int need_tokens, const char **why)
{
	size_t n;
	const unsigned char *p = rec_open(key, v, len, K_SCORE, &n, why);

	return p ? decode_score(p, n, need_tokens, (struct uh_score_res *)res + i, why) : 0;
}

static int dec_gen_v(void *res, size_t i, const char *key, const unsigned char *v, size_t len,
		     int need_tokens, const char **why)
{
	size_t n;
	const unsigned char *p = rec_open(key, v, len, K_GEN, &n, why);

	return p ? decode_gen(p, n, (struct uh_gen_res *)res + i, why) : 0;
}

static int dec_tok_v(void *res, size_t i, const char *key, const unsigned char *v, size_t len,
		     int need_tokens, const char **why)
{
	size_t n;
	const unsigned char *p = rec_open(key, v, len, K_TOKENIZE, &n, why);
	int64_t k;

	if (!p)
		return 0;
	if (n != 8 || (k = (int64_t)get_u64(p)) < 0) {
		*why = "impossible token count";
		return 0;
	}
	((int64_t *)res)[i] = k;
	return 1;
}

/*
 * One read transaction over n keys. On SQLITE_BUSY the transaction is
 * dropped, the decoded hits released, and the whole lookup retried; a
 * database that still fails gives n misses and a warning. Returns 0 or
 * UH_ENOMEM.
 */
static int get_many(struct uh_cache *c, const struct uh_cache_key *keys, size_t n, int need_tokens,
		    decode_fn dec, void *res, void (*release)(void *res, size_t n), unsigned char *hit,
		    struct uh_err *err)
{
	long pause = BUSY_BACKOFF_MS;
	int rc = SQLITE_OK;

	for (int attempt = 1;; attempt++) {
		size_t i, hits = 0, corrupt = 0;
		int oom = 0;

		memset(hit, 0, n);
		rc = exec_sql(c->db, "BEGIN");
		for (i = 0; rc == SQLITE_OK && i < n; i++) {
			const char *why = NULL;
			int got = 0;

			sqlite3_reset(c->sel);
			if ((rc = sqlite3_bind_text(c->sel, 1, keys[i].hex, 64, SQLITE_STATIC)) != SQLITE_OK)
				break;
			rc = sqlite3_step(c->sel);
			if (rc == SQLITE_ROW) {
				const unsigned char *v = sqlite3_column_blob(c->sel, 0);
				size_t len = (size_t)sqlite3_column_bytes(c->sel, 0);

				got = dec(res, i, keys[i].hex, v, len, need_tokens, &why);
				if (got < 0) {
					oom = 1;
					break;
				}
				if (!got && why) {
					char msg[256];

					corrupt++;
					snprintf(msg, sizeof(msg), "request cache: ignoring the entry %s (%s); "
						 "asking the backend again", keys[i].hex, why);
					warn_msg(c, msg);
				}
				rc = SQLITE_OK;
			} else if (rc == SQLITE_DONE) {
				rc = SQLITE_OK;
			}
			hit[i] = (unsigned char)(got == 1);
			hits += got == 1;
		}
		sqlite3_reset(c->sel);
		if (rc == SQLITE_OK && !oom)
			rc = exec_sql(c->db, "COMMIT");
		else
			exec_sql(c->db, "ROLLBACK");
		if (rc == SQLITE_OK && !oom) {
			c->stats.hits += hits;
			c->stats.misses += n - hits;
			c->stats.corrupt += corrupt;
			return 0;
		}
		release(res, n);
		memset(hit, 0, n);
		if (oom)
			return uh_err_set(err, UH_ENOMEM, "out of memory reading the request cache");
		if (!is_busy(rc) || attempt == BUSY_ATTEMPTS) {
			struct uh_err e;
			char msg[UH_ERR_MSG_MAX + 64];

			/* the cache only saves work: a lookup that fails is n misses */
			db_err(c, &e, "looking up answers");
			snprintf(msg, sizeof(msg), "%s; asking the backend", e.msg);
			warn_msg(c, msg);
			c->stats.misses += n;
			return 0;
		}
		pause_ms(pause);
		pause *= 2;
	}
}

static void rel_score(void *res, size_t n) { uh_cache_free_score(res, n); }
static void rel_gen(void *res, size_t n) { uh_cache_free_gen(res, n); }
static void rel_none(void *res, size_t n) { (void)res; (void)n; }

int uh_cache_get_score(struct uh_cache *c, const struct uh_cache_key *keys, size_t n,
		       int need_tokens, struct uh_score_res *res, unsigned char *hit,
		       struct uh_err *err)
{
	memset(res, 0, n * sizeof(*res));
	return n ? get_many(c, keys, n, need_tokens, dec_score_v, res, rel_score, hit, err) : 0;
}

int uh_cache_get_gen(struct uh_cache *c, const struct uh_cache_key *keys, size_t n,
		     struct uh_gen_res *res, unsigned char *hit, struct uh_err *err)
{
	memset(res, 0, n * sizeof(*res));
	return n ? get_many(c, keys, n, 0, dec_gen_v, res, rel_gen, hit, err) : 0;
}

int uh_cache_get_tokenize(struct uh_cache *c, const struct uh_cache_key *key, int64_t *n_tokens,
			  unsigned char *hit, struct uh_err *err)
{
	*n_tokens = 0;
	return get_many(c, key, 1, 0, dec_tok_v, n_tokens, rel_none, hit, err);
}

/* ================================================================ put */

typedef int (*encode_fn)(const void *res, size_t i, const char *key, struct buf *b);

static int enc_score_v(const void *res, size_t i, const char *key, struct buf *b)
{
	return encode_score((const struct uh_score_res *)res + i, key, b);
}

static int enc_gen_v(const void *res, size_t i, const char *key, struct buf *b)
{
	return encode_gen((const struct uh_gen_res *)res + i, key, b);
}

static int enc_tok_v(const void *res, size_t i, const char *key, struct buf *b)
{
	return encode_tokenize(((const int64_t *)res)[i], key, b);
}

/*
 * One write transaction for n answers: BEGIN IMMEDIATE takes the write lock
 * up front (waiting on the busy timeout), so the transaction cannot fail
 * half-way on another writer; a transaction still refused is retried with
 * a doubling pause, at most BUSY_ATTEMPTS times.
 */
static int put_many(struct uh_cache *c, const struct uh_cache_key *keys, size_t n, encode_fn enc,
		    const void *res, struct uh_err *err)
{
	struct buf b = { 0 };
	long pause = BUSY_BACKOFF_MS;
	int rc = SQLITE_OK, code = 0;

	if (c->flags & UH_CACHE_READONLY || n == 0)
		return 0;
	for (int attempt = 1;; attempt++) {
		rc = exec_sql(c->db, "BEGIN IMMEDIATE");
		for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
			b.len = 0;
			if ((code = enc(res, i, keys[i].hex, &b)) < 0)
				break;
			sqlite3_reset(c->ins);
			if ((rc = sqlite3_bind_text(c->ins, 1, keys[i].hex, 64, SQLITE_STATIC)) == SQLITE_OK &&
			    (rc = sqlite3_bind_blob(c->ins, 2, b.p, (int)b.len, SQLITE_STATIC)) == SQLITE_OK)
				rc = sqlite3_step(c->ins);
			if (rc == SQLITE_DONE)
				rc = SQLITE_OK;
		}
		sqlite3_reset(c->ins);
		sqlite3_clear_bindings(c->ins);
		if (rc == SQLITE_OK && code == 0)
			rc = exec_sql(c->db, "COMMIT");
		if (rc == SQLITE_OK && code == 0)
			break;
		if (!sqlite3_get_autocommit(c->db))
			exec_sql(c->db, "ROLLBACK");
		if (code < 0 || !is_busy(rc) || attempt == BUSY_ATTEMPTS)
			break;
		pause_ms(pause);
		pause *= 2;
	}
	free(b.p);
	if (rc == SQLITE_OK && code == 0) {
		c->stats.stored += n;
		return 0;
	}
	c->stats.store_failed += n;
	{
		struct uh_err e;
		char msg[UH_ERR_MSG_MAX + 80];

		if (code == UH_ENOMEM)
			uh_err_set(&e, UH_ENOMEM, "out of memory writing the request cache");
		else if (code < 0)
			uh_err_set(&e, code, "request cache: an answer is too large to store");
		else
			db_err(c, &e, "storing answers");
		snprintf(msg, sizeof(msg), "%s; the run goes on, but these answers will be asked "
			 "again next time", e.msg);
		warn_msg(c, msg);
		if (err)
			*err = e;
		return e.code;
	}
}

int uh_cache_put_score(struct uh_cache *c, const struct uh_cache_key *keys,
		       const struct uh_score_res *res, size_t n, struct uh_err *err)
{
	return put_many(c, keys, n, enc_score_v, res, err);
}

int uh_cache_put_gen(struct uh_cache *c, const struct uh_cache_key *keys,
		     const struct uh_gen_res *res, size_t n, struct uh_err *err)
{
	return put_many(c, keys, n, enc_gen_v, res, err);
}

int uh_cache_put_tokenize(struct uh_cache *c, const struct uh_cache_key *key, int64_t n_tokens,
			  struct uh_err *err)
{
	return put_many(c, key, 1, enc_tok_v, &n_tokens, err);
}
