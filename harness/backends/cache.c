/*
 * cache.c - the caching backend (see cache.h).
 *
 * Each instance carries its own copy of the ABI table, because its
 * capability bits are the inner backend's. Results handed to the host are
 * always this layer's own allocations (decoded from the cache, or copied
 * from the inner backend's answers, which are released at once through the
 * registry), so free_score / free_gen never need to know where an answer
 * came from.
 */
#include "harness/backends/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cb_state {
	struct uh_backend_api api;  /* this instance's table (caps of the inner backend) */
	struct uh_backend *inner;
	struct uh_cache *cache;
	char identity[65];
	int inner_code;             /* the inner backend's code from the last failed call */
};

/* Size of the table up to and including the token-id members. */
#define IDS_TABLE_SIZE \
	(offsetof(struct uh_backend_api, eos_id) + sizeof(((struct uh_backend_api *)0)->eos_id))

/* ================================================================ errors */

/*
 * The inner failure into errbuf, without the "backend 'x' failed in score: "
 * the registry puts back around it, and saying which requests an index in
 * it counts when some of the batch came from the cache.
 */
static int inner_failed(struct cb_state *s, const char *fn, const struct uh_err *e, size_t m,
			size_t n, char *errbuf, size_t errlen)
{
	char pre[512];
	const char *msg = e->msg;
	size_t k;

	snprintf(pre, sizeof(pre), "backend '%s' failed in %s: ", s->inner->name, fn);
	k = strlen(pre);
	if (!strncmp(msg, pre, k)) {
		msg += k;
	} else {
		snprintf(pre, sizeof(pre), "backend '%s' ", s->inner->name);
		k = strlen(pre);
		if (!strncmp(msg, pre, k))
			msg += k;
	}
	if (m < n)
		snprintf(errbuf, errlen, "%s (request numbers count only the %zu of these %zu requests "
			 "that were not in the request cache)", msg, m, n);
	else
		snprintf(errbuf, errlen, "%s", msg);
	s->inner_code = e->code < 0 ? e->code : UH_EIO;
	return s->inner_code;
}

static int no_memory(struct cb_state *s, char *errbuf, size_t errlen)
{
	snprintf(errbuf, errlen, "out of memory");
	s->inner_code = UH_ENOMEM;
	return UH_ENOMEM;
}

/* ================================================================ score */

/* Deep copy of a validated answer; the arrays only when the backend promises them. */
static int copy_score(const struct uh_score_res *from, struct uh_score_res *to, int tokens)
{
	*to = *from;
	to->token_logprobs = NULL;
	to->token_greedy = NULL;
	if (!tokens || from->n_tokens <= 0 || !from->token_logprobs || !from->token_greedy)
		return 0;
	to->token_logprobs = malloc((size_t)from->n_tokens * sizeof(double));
	to->token_greedy = malloc((size_t)from->n_tokens);
	if (!to->token_logprobs || !to->token_greedy)
		return UH_ENOMEM;
	memcpy(to->token_logprobs, from->token_logprobs, (size_t)from->n_tokens * sizeof(double));
	memcpy(to->token_greedy, from->token_greedy, (size_t)from->n_tokens);
	return 0;
}

static int cb_score(void *state, const struct uh_score_req *reqs, size_t n,
		    struct uh_score_res *res, char *errbuf, size_t errlen)
{
	struct cb_state *s = state;
	int tokens = uh_backend_has(s->inner, UH_CAN_TOKEN_LOGPROBS);
	struct uh_cache_key *keys = malloc((n + 1) * sizeof(*keys));
	struct uh_cache_key *mkeys = malloc((n + 1) * sizeof(*mkeys));
	struct uh_score_req *mreqs = malloc((n + 1) * sizeof(*mreqs));
	struct uh_score_res *mres = calloc(n + 1, sizeof(*mres));
	size_t *where = malloc((n + 1) * sizeof(*where));
	unsigned char *hit = malloc(n + 1);
	struct uh_err e;
	size_t m = 0;
	int rc = 0;

	s->inner_code = 0;
	uh_err_clear(&e);
	if (!keys || !mkeys || !mreqs || !mres || !where || !hit) {
		rc = no_memory(s, errbuf, errlen);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		uh_cache_key_score(s->identity, &reqs[i], &keys[i]);
	if (uh_cache_get_score(s->cache, keys, n, tokens, res, hit, &e)) {
		rc = no_memory(s, errbuf, errlen);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!hit[i]) {
			mreqs[m] = reqs[i];
			mkeys[m] = keys[i];
			where[m++] = i;
		}
	if (m == 0)
		goto out;
	if ((rc = uh_backend_score(s->inner, mreqs, m, mres, &e))) {
		rc = inner_failed(s, "score", &e, m, n, errbuf, errlen);
		uh_cache_free_score(res, n);
		goto out;
	}
	for (size_t j = 0; j < m && !rc; j++)
		rc = copy_score(&mres[j], &res[where[j]], tokens);
	uh_backend_free_score(s->inner, mres, m);
	if (rc) {
		uh_cache_free_score(res, n);
		rc = no_memory(s, errbuf, errlen);
		goto out;
	}
	/* stored now, before the run goes on; a failure is the cache's warning, not the run's */
	for (size_t j = 0; j < m; j++)
		mres[j] = res[where[j]];
	uh_cache_put_score(s->cache, mkeys, mres, m, NULL);
out:
	free(keys);
	free(mkeys);
	free(mreqs);
	free(mres);
	free(where);
	free(hit);
	return rc;
}

static void cb_free_score(void *state, struct uh_score_res *res, size_t n)
{
	uh_cache_free_score(res, n);
}

/* ================================================================ generate */

static int cb_generate(void *state, const struct uh_gen_req *reqs, size_t n,
		       struct uh_gen_res *res, char *errbuf, size_t errlen)
{
	struct cb_state *s = state;
	struct uh_cache_key *keys = malloc((n + 1) * sizeof(*keys));
	struct uh_cache_key *mkeys = malloc((n + 1) * sizeof(*mkeys));
	struct uh_gen_req *mreqs = malloc((n + 1) * sizeof(*mreqs));
	struct uh_gen_res *mres = calloc(n + 1, sizeof(*mres));
	size_t *where = malloc((n + 1) * sizeof(*where));
	unsigned char *hit = malloc(n + 1);
	struct uh_err e;
	size_t m = 0;
	int rc = 0;

	s->inner_code = 0;
	uh_err_clear(&e);
	if (!keys || !mkeys || !mreqs || !mres || !where || !hit) {
		rc = no_memory(s, errbuf, errlen);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		uh_cache_key_gen(s->identity, &reqs[i], &keys[i]);
	if (uh_cache_get_gen(s->cache, keys, n, res, hit, &e)) {
		rc = no_memory(s, errbuf, errlen);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!hit[i]) {
			mreqs[m] = reqs[i];
			mkeys[m] = keys[i];
			where[m++] = i;
		}
	if (m == 0)
		goto out;
	if ((rc = uh_backend_generate(s->inner, mreqs, m, mres, &e))) {
		rc = inner_failed(s, "generate", &e, m, n, errbuf, errlen);
		uh_cache_free_gen(res, n);
		goto out;
	}
	for (size_t j = 0; j < m && !rc; j++) {
		struct uh_gen_res *r = &res[where[j]];

		*r = mres[j];
		if (!(r->text = strdup(mres[j].text)))
			rc = UH_ENOMEM;
	}
	uh_backend_free_gen(s->inner, mres, m);
	if (rc) {
		uh_cache_free_gen(res, n);
		rc = no_memory(s, errbuf, errlen);
		goto out;
	}
	for (size_t j = 0; j < m; j++)
		mres[j] = res[where[j]];
	uh_cache_put_gen(s->cache, mkeys, mres, m, NULL);
out:
	free(keys);
	free(mkeys);
	free(mreqs);
	free(mres);
	free(where);
	free(hit);
	return rc;
}

static void cb_free_gen(void *state, struct uh_gen_res *res, size_t n)
{
	uh_cache_free_gen(res, n);
}

/* ================================================================ the rest */

static int cb_tokenize(void *state, const char *text, int64_t *n_tokens, char *errbuf, size_t errlen)
{
	struct cb_state *s = state;
	struct uh_cache_key key;
	unsigned char hit = 0;
	struct uh_err e;

	s->inner_code = 0;
	uh_err_clear(&e);
	uh_cache_key_tokenize(s->identity, text, &key);
	if (uh_cache_get_tokenize(s->cache, &key, n_tokens, &hit, &e))
		return no_memory(s, errbuf, errlen);
	if (hit)
		return 0;
	if (uh_backend_tokenize(s->inner, text, n_tokens, &e))
		return inner_failed(s, "tokenize", &e, 1, 1, errbuf, errlen);
	uh_cache_put_tokenize(s->cache, &key, *n_tokens, NULL);
	return 0;
}

static const char *cb_model_id(void *state)
{
	struct cb_state *s = state;

	return uh_backend_model_id(s->inner);
}

static int cb_encode(void *state, const char *text, int32_t **ids, size_t *n, char *errbuf,
		     size_t errlen)
{
	struct cb_state *s = state;

	return s->inner->api->encode(s->inner->state, text, ids, n, errbuf, errlen);
}

static int cb_decode(void *state, const int32_t *ids, size_t n, char **text, char *errbuf,
		     size_t errlen)
{
	struct cb_state *s = state;

	return s->inner->api->decode(s->inner->state, ids, n, text, errbuf, errlen);
}

static void cb_free_buf(void *state, void *p)
{
	struct cb_state *s = state;

	s->inner->api->free_buf(s->inner->state, p);
}

static int32_t cb_eos_id(void *state)
{
	struct cb_state *s = state;

	return s->inner->api->eos_id(s->inner->state);
}

static int cb_open(const struct uh_backend_config *cfg, void **state, char *errbuf, size_t errlen)
{
	snprintf(errbuf, errlen, "the caching backend wraps an open backend (uh_cache_backend_wrap)");
	return UH_EINVAL;
}

/* Frees this layer only: the inner backend and the cache are the caller's. */
static void cb_close(void *state)
{
	free(state);
}

/* ================================================================ wrapping */

/* "<len>:<text>" for each part, so no two configurations read alike. */
static int config_text(const struct uh_backend_config *cfg, char **out)
{
	size_t cap = 64, len = 0;
	char *t = malloc(cap);

	*out = NULL;
	if (!t)
		return UH_ENOMEM;
	t[0] = '\0';
	for (size_t i = 0; cfg && i < 2 * cfg->n + 1; i++) {
		const char *part = i == 0 ? cfg->model : i % 2 ? cfg->keys[i / 2] : cfg->values[i / 2 - 1];
		size_t pl = part ? strlen(part) : 0;
		char *nt;

		if (len + pl + 32 > cap) {
			while (len + pl + 32 > cap)
				cap *= 2;
			if (!(nt = realloc(t, cap))) {
				free(t);
				return UH_ENOMEM;
			}
			t = nt;
		}
		len += (size_t)snprintf(t + len, cap - len, "%s%zu:%s", part ? "" : "-", pl, part ? part : "");
	}
	*out = t;
	return 0;
}

int uh_cache_backend_wrap(struct uh_backend *out, struct uh_backend *inner, struct uh_cache *c,
			  const struct uh_backend_config *cfg, struct uh_err *err)
{
	const struct uh_backend_api *in;
	struct cb_state *s;
	const char *id;
	char *extra = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!inner || !inner->api || !c)
		return uh_err_set(err, UH_EINTERNAL, "uh_cache_backend_wrap: no backend or no cache");
	in = inner->api;
	if (!(s = calloc(1, sizeof(*s))))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	s->inner = inner;
	s->cache = c;

	/*
	 * Who the answers belong to: the backend and its model id, and the
	 * model it was asked to load (--model) in case its id does not say;
	 * without a model id, its whole configuration.
	 */
	id = in->model_id ? in->model_id(inner->state) : NULL;
	if (!id || !*id) {
		if (config_text(cfg, &extra)) {
			free(s);
			return uh_err_set(err, UH_ENOMEM, "out of memory");
		}
		id = "";
	}
	uh_cache_identity(in->name && *in->name ? in->name : inner->name, id,
			  extra ? extra : cfg ? cfg->model : NULL, s->identity);
	free(extra);

	s->api.abi_version = UH_BACKEND_ABI_VERSION;
	s->api.size = sizeof(s->api);
	s->api.name = in->name;
	s->api.caps = in->caps & (UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE | UH_CAN_TOKEN_LOGPROBS);
	s->api.open = cb_open;
	s->api.close = cb_close;
	s->api.model_id = cb_model_id;
	s->api.score = cb_score;
	s->api.free_score = cb_free_score;
	s->api.generate = cb_generate;
	s->api.free_gen = cb_free_gen;
	s->api.tokenize = cb_tokenize;
	/* token ids pass through when the inner table really has them */
	if ((in->caps & UH_CAN_TOKEN_IDS) && in->size >= IDS_TABLE_SIZE && in->encode && in->decode &&
	    in->free_buf && in->eos_id) {
		s->api.caps |= UH_CAN_TOKEN_IDS;
		s->api.encode = cb_encode;
		s->api.decode = cb_decode;
		s->api.free_buf = cb_free_buf;
		s->api.eos_id = cb_eos_id;
	}
	rc = uh_backend_wrap(out, &s->api, s, inner->name, 1, err);
	if (rc)
		free(s);
	return rc;
}

int uh_cache_backend_inner_code(const struct uh_backend *out)
{
	const struct cb_state *s = out && out->api && out->api->close == cb_close ? out->state : NULL;

	return s ? s->inner_code : 0;
}
