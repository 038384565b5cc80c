/*
 * run.c - the runner: requests -> dedupe -> backend in batches -> per-item
 * values -> aggregates -> one store transaction.
 *
 * Read top to bottom: deduplication (a hash table over the request
 * fields), sending the unique requests in batches, then the TOFU run built
 * on it. The store is touched once, at the very end, in one transaction:
 * a failure anywhere before leaves no trace in the database.
 */
#include "harness/run.h"

#include "harness/version.h"
#include "metrics/bootstrap.h"
#include "metrics/tofu_agg.h"
#include "suites/registry.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ================================================================ deduplication */

static uint64_t fnv_str(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	h ^= 0xff; /* a separator no UTF-8 text holds, so ("ab","c") != ("a","bc") */
	return h * 0x100000001b3ull;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_BASIS 0xcbf29ce484222325ull

static uint64_t score_hash(const struct uh_score_req *q)
{
	return fnv_u64(fnv_str(fnv_str(FNV_BASIS, q->context), q->continuation), q->flags);
}

static bool score_eq(const struct uh_score_req *a, const struct uh_score_req *b)
{
	return a->flags == b->flags && !strcmp(a->context, b->context) &&
	       !strcmp(a->continuation, b->continuation);
}

static uint64_t gen_hash(const struct uh_gen_req *q)
{
	uint64_t h = fnv_u64(fnv_str(FNV_BASIS, q->prompt), (uint64_t)(int64_t)q->max_new_tokens);

	h = fnv_u64(h, q->n_stop);
	for (size_t i = 0; i < q->n_stop; i++)
		h = fnv_str(h, q->stop[i] ? q->stop[i] : "");
	return h;
}

static bool gen_eq(const struct uh_gen_req *a, const struct uh_gen_req *b)
{
	if (a->max_new_tokens != b->max_new_tokens || a->n_stop != b->n_stop ||
	    strcmp(a->prompt, b->prompt))
		return false;
	for (size_t i = 0; i < a->n_stop; i++)
		if (strcmp(a->stop[i] ? a->stop[i] : "", b->stop[i] ? b->stop[i] : ""))
			return false;
	return true;
}

/*
 * Map each of n requests to the index of its first identical request among
 * the unique ones: uidx[i] in [0, *n_unique), first[u] = the original index
 * of unique request u. Open addressing over a power-of-two table.
 */
static int dedupe(const void *reqs, size_t n, size_t size, uint64_t (*hash)(const void *),
		  bool (*eq)(const void *, const void *), size_t *uidx, size_t *first,
		  size_t *n_unique, struct uh_err *err)
{
	size_t cap = 16, nu = 0;
	size_t *slot;

	while (cap < 2 * n)
		cap *= 2;
	slot = malloc(cap * sizeof(*slot));
	if (!slot)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	for (size_t i = 0; i < cap; i++)
		slot[i] = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		const void *q = (const char *)reqs + i * size;
		size_t k = (size_t)hash(q) & (cap - 1);

		for (;;) {
			if (slot[k] == SIZE_MAX) {
				slot[k] = nu;
				first[nu] = i;
				uidx[i] = nu++;
				break;
			}
			if (eq((const char *)reqs + first[slot[k]] * size, q)) {
				uidx[i] = slot[k];
				break;
			}
			k = (k + 1) & (cap - 1);
		}
	}
	free(slot);
	*n_unique = nu;
	return 0;
}

/* Adapters: dedupe() sees requests as bytes. */
static uint64_t score_hash_v(const void *q) { return score_hash(q); }
static bool score_eq_v(const void *a, const void *b) { return score_eq(a, b); }
static uint64_t gen_hash_v(const void *q) { return gen_hash(q); }
static bool gen_eq_v(const void *a, const void *b) { return gen_eq(a, b); }

/* ================================================================ batches */

void uh_run_answers_release(struct uh_run_answers *a)
{
	for (size_t off = 0; off < a->done_score; off += a->batch) {
		size_t m = a->done_score - off < a->batch ? a->done_score - off : a->batch;

		uh_backend_free_score(a->backend, a->uscore + off, m);
	}
	for (size_t off = 0; off < a->done_gen; off += a->batch) {
		size_t m = a->done_gen - off < a->batch ? a->done_gen - off : a->batch;

		uh_backend_free_gen(a->backend, a->ugen + off, m);
	}
	free(a->uscore);
	free(a->ugen);
	free(a->score);
	free(a->gen);
	memset(a, 0, sizeof(*a));
}

/* "'abc…'" for messages: the start of a request text, on one line. */
static void excerpt(char *buf, size_t len, const char *s)
{
	size_t n = 0;

	for (; *s && n + 4 < len && n < 60; s++)
		buf[n++] = *s == '\n' ? ' ' : *s;
	if (*s && n + 4 < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

int uh_run_requests(struct uh_backend *b, const struct uh_score_req *score, size_t n_score,
		    const struct uh_gen_req *gen, size_t n_gen, size_t batch,
		    struct uh_progress *pg, struct uh_run_answers *out, struct uh_err *err)
{
	size_t *uidx_s = NULL, *first_s = NULL, *uidx_g = NULL, *first_g = NULL;
	struct uh_score_req *us = NULL;
	struct uh_gen_req *ug = NULL;
	size_t nus = 0, nug = 0;
	char ex[80];
	int rc;

	memset(out, 0, sizeof(*out));
	out->backend = b;
	out->batch = batch = batch ? batch : UH_RUN_DEFAULT_BATCH;
	out->n_score = n_score;
	out->n_gen = n_gen;
	uidx_s = malloc((n_score + 1) * sizeof(size_t));
	first_s = malloc((n_score + 1) * sizeof(size_t));
	uidx_g = malloc((n_gen + 1) * sizeof(size_t));
	first_g = malloc((n_gen + 1) * sizeof(size_t));
	out->score = malloc((n_score + 1) * sizeof(*out->score));
	out->gen = malloc((n_gen + 1) * sizeof(*out->gen));
	if (!uidx_s || !first_s || !uidx_g || !first_g || !out->score || !out->gen) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = dedupe(score, n_score, sizeof(*score), score_hash_v, score_eq_v, uidx_s, first_s,
			 &nus, err)) ||
	    (rc = dedupe(gen, n_gen, sizeof(*gen), gen_hash_v, gen_eq_v, uidx_g, first_g, &nug, err)))
		goto fail;
	us = malloc((nus + 1) * sizeof(*us));
	ug = malloc((nug + 1) * sizeof(*ug));
	out->uscore = calloc(nus + 1, sizeof(*out->uscore));
	out->ugen = calloc(nug + 1, sizeof(*out->ugen));
	if (!us || !ug || !out->uscore || !out->ugen) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t u = 0; u < nus; u++)
		us[u] = score[first_s[u]];
	for (size_t u = 0; u < nug; u++)
		ug[u] = gen[first_g[u]];
	out->n_unique_score = nus;
	out->n_unique_gen = nug;
	if (pg)
		pg->total = nus + nug;

	for (size_t off = 0; off < nus; off += batch) {
		size_t m = nus - off < batch ? nus - off : batch;

		rc = uh_backend_score(b, us + off, m, out->uscore + off, err);
		if (rc) {
			excerpt(ex, sizeof(ex), us[off].continuation);
			uh_err_prefix(err, "backend '%s' failed on score requests %zu-%zu of %zu (the first "
				      "continuation '%s'): ", b->name, off + 1, off + m, nus, ex);
			goto fail;
		}
		out->done_score += m;
		out->n_batches++;
		uh_progress_add(pg, m);
	}
	for (size_t off = 0; off < nug; off += batch) {
		size_t m = nug - off < batch ? nug - off : batch;

		rc = uh_backend_generate(b, ug + off, m, out->ugen + off, err);
		if (rc) {
			excerpt(ex, sizeof(ex), ug[off].prompt);
			uh_err_prefix(err, "backend '%s' failed on generate requests %zu-%zu of %zu (the first "
				      "prompt '%s'): ", b->name, off + 1, off + m, nug, ex);
			goto fail;
		}
		out->done_gen += m;
		out->n_batches++;
		uh_progress_add(pg, m);
	}
	for (size_t i = 0; i < n_score; i++)
		out->score[i] = &out->uscore[uidx_s[i]];
	for (size_t i = 0; i < n_gen; i++)
		out->gen[i] = &out->ugen[uidx_g[i]];
	rc = 0;
	goto out;
fail:
	uh_run_answers_release(out);
out:
	free(uidx_s);
	free(first_s);
	free(uidx_g);
	free(first_g);
	free(us);
	free(ug);
	return rc;
}

int uh_run_requests_shown(struct uh_backend *b, const struct uh_score_req *score, size_t n_score,
			  const struct uh_gen_req *gen, size_t n_gen, size_t batch, const char *label,
			  bool quiet, struct uh_run_answers *out, double *seconds, struct uh_err *err)
{
	struct uh_progress pg;
	double t0 = uh_progress_now();
	int rc;

	uh_progress_start(&pg, stderr, label, 0, quiet);
	rc = uh_run_requests(b, score, n_score, gen, n_gen, batch, &pg, out, err);
	if (rc) {
		uh_progress_abort(&pg);
		return rc;
	}
	uh_progress_end(&pg);
	*seconds = uh_progress_now() - t0;
	return 0;
}

/* ================================================================ a TOFU run */

void uh_run_tofu_result_release(struct uh_run_tofu_result *res)
{
	uh_tofu_eval_release(&res->ev);
	uh_tofu_log_release(&res->log);
	uh_tofu_fq_release(&res->fq);
	memset(res, 0, sizeof(*res));
}

/*
 * The special tokens the model's tokenizer puts before a prompt
 * (add_special_tokens=True): Llama's BOS, but none for phi-1.5, whose
 * tokenizer adds no BOS (spec/tofu.md §2.4). Other templates are taken to
 * have a BOS, as the HP runner does for OPT and Llama.
 */
static int32_t prompt_special_tokens(const struct uh_tofu_template *t)
{
	return strcmp(t->name, "phi") ? 1 : 0;
}

/*
 * The original code generates to a total length of 200 tokens (§2.4):
 * max_length counts the whole input_ids, BOS included, so the new tokens
 * are 200 minus the prompt's tokens and its BOS, when the backend can count
 * them (tokenize() counts no special token).
 */
static int total_length_budget(struct uh_backend *b, const struct uh_tofu_template *t,
			       struct uh_tofu_requests *rq, struct uh_err *err)
{
	int64_t special = prompt_special_tokens(t);

	if (!rq->gen_total_length || !uh_backend_has(b, UH_CAN_TOKENIZE))
		return 0;
	for (size_t i = 0; i < rq->n_gen; i++) {
		int64_t n;
		int rc = uh_backend_tokenize(b, rq->gen[i].prompt, &n, err);

		if (rc)
			return uh_err_prefix(err, "backend '%s' tokenize: ", b->name);
		n += special;
		rq->gen[i].max_new_tokens = n < UH_TOFU_GEN_LENGTH ? (int32_t)(UH_TOFU_GEN_LENGTH - n) : 1;
	}
	return 0;
}

/* Mean of the finite values (exact memorization has none for empty answers). */
static size_t finite_only(const double *v, size_t n, double *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			out[k++] = v[i];
	return k;
}

static int add_mean_metric(struct uh_tofu_eval *e, const char *name, const double *v, size_t n,
			   struct uh_err *err)
{
	double *f = malloc((n ? n : 1) * sizeof(double)), mean;
	struct uh_ci ci;
	size_t k;
	int rc;

	if (!f)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	k = finite_only(v, n, f);
	if (k == 0) {
		free(f);
		return 0;
	}
	rc = uh_ou_mean(f, k, &mean, err);
	if (!rc && k >= 2)
		rc = uh_bootstrap_mean_ci(f, k, UH_TOFU_CI_LEVEL, UH_TOFU_CI_B, UH_TOFU_CI_SEED, &ci, err);
	if (!rc)
		rc = uh_tofu_eval_add_metric(e, name, mean, (int64_t)k, k >= 2 ? &ci : NULL, err);
	free(f);
	return rc;
}

static int set_note(struct uh_tofu_eval *e, const char *msg, struct uh_err *err)
{
	free(e->note);
	if (!(e->note = malloc(strlen(msg) + 1)))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	strcpy(e->note, msg);
	return 0;
}

/* open-unlearning's extraction strength, exact memorization and privleak (§3.2). */
static int ou_extras(const struct uh_tofu_suite *s, const struct uh_tofu_extras *ex,
		     const struct uh_run_tofu_opts *o, struct uh_run_tofu_result *res,
		     struct uh_err *err)
{
	struct uh_tofu_eval *e = &res->ev;
	char note[512];
	int rc = 0;

	note[0] = '\0';
	if (ex->has_flags) {
		if ((rc = add_mean_metric(e, "extraction_strength", ex->es, ex->n_forget, err)) ||
		    (rc = add_mean_metric(e, "exact_memorization", ex->em, ex->n_forget, err)) ||
		    (rc = uh_tofu_eval_add_item_values(e, "extraction_strength", UH_TOFU_FORGET, ex->es, err)) ||
		    (rc = uh_tofu_eval_add_item_values(e, "exact_memorization", UH_TOFU_FORGET, ex->em, err)))
			return rc;
	} else {
		snprintf(note, sizeof(note), "extraction strength and exact memorization skipped: the "
			 "backend gives no per-token greedy flags (UH_CAN_TOKEN_LOGPROBS)\n");
	}
	if (!s->has_holdout) {
		size_t used = strlen(note);

		snprintf(note + used, sizeof(note) - used,
			 "privleak skipped: no holdout%s.json in '%s' (open-unlearning's MIA compares "
			 "the forget answers with that held-out set)", s->split + 6, s->dir);
	} else if (!ex->has_logprobs) {
		size_t used = strlen(note);

		snprintf(note + used, sizeof(note) - used,
			 "privleak skipped: the backend gives no per-token log-probabilities "
			 "(UH_CAN_TOKEN_LOGPROBS), which min-k needs");
	} else {
		double pl;

		rc = uh_ou_mia_auc(ex->mink_forget, ex->n_forget, ex->mink_holdout, ex->n_holdout,
				   &res->mia_auc, err);
		if (rc)
			return uh_err_prefix(err, "privleak: ");
		res->has_mia = true;
		pl = uh_ou_privleak(res->mia_auc, o->has_ref_mia, o->ref_mia_auc);
		if ((rc = uh_tofu_eval_add_metric(e, "mia_min_k", res->mia_auc,
						  (int64_t)(ex->n_forget + ex->n_holdout), NULL, err)) ||
		    (rc = uh_tofu_eval_add_metric(e, "privleak", pl, (int64_t)ex->n_forget, NULL, err)) ||
		    (rc = uh_tofu_eval_add_item_values(e, "mia_min_k", UH_TOFU_FORGET, ex->mink_forget, err)))
			return rc;
		if (!o->has_ref_mia) {
			size_t used = strlen(note);

			snprintf(note + used, sizeof(note) - used,
				 "privleak against ref_value 0.5 (no reference min-k AUC), as open-unlearning "
				 "does for a retain model");
		}
	}
	while (*note && note[strlen(note) - 1] == '\n')
		note[strlen(note) - 1] = '\0';
	return *note ? set_note(e, note, err) : 0;
}

/* The reference's KS sample in this profile's convention (R or s = 1/R). */
static int reference_fq(const struct uh_tofu_suite *s, const struct uh_run_tofu_opts *o,
			struct uh_run_tofu_result *res, struct uh_err *err)
{
	bool mine_ou = s->profile == UH_TOFU_PROFILE_OU;
	double *v = malloc((o->n_ref ? o->n_ref : 1) * sizeof(double));
	int rc;

	if (!v)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	for (size_t i = 0; i < o->n_ref; i++)
		v[i] = mine_ou == o->ref_sample_is_ou ? o->ref_sample[i] : 1 / o->ref_sample[i];
	rc = uh_tofu_fq_compute(&res->fq, &res->ev, v, o->n_ref, o->ref_desc ? o->ref_desc : "reference",
				o->ref_model, err);
	res->fq.files = o->ref_files;
	free(v);
	return rc;
}

int uh_run_tofu(struct uh_store *st, struct uh_backend *b, const struct uh_tofu_suite *s,
		const struct uh_tofu_template *t, const struct uh_run_tofu_opts *o,
		struct uh_run_tofu_result *res, struct uh_err *err)
{
	struct uh_tofu_requests rq;
	struct uh_run_answers ans = { 0 };
	struct uh_tofu_extras ex = { 0 };
	bool ou = s->profile == UH_TOFU_PROFILE_OU;
	const char *model = o->model ? o->model : uh_backend_model_id(b);
	int rc;

	char started[32];
	time_t now = time(NULL);
	struct tm tmv;

	memset(res, 0, sizeof(*res));
	/* the runs row is written at the end, in the transaction: keep when work began */
	if (gmtime_r(&now, &tmv))
		strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tmv);
	else
		snprintf(started, sizeof(started), "unknown");
	/* 0. the backend must be able to answer the suite, before any request */
	if ((rc = uh_suite_check_caps("tofu", uh_tofu_profile_name(s->profile), b->api->caps, b->name, err)))
		return rc;
	/* 1. requests */
	rc = uh_tofu_requests_build(s, t, &rq, err);
	if (rc)
		return rc;
	if (o->cache) {
		res->has_cache = true;
		res->cache_hits = o->cache->hits;
		res->cache_misses = o->cache->misses;
	}
	if ((rc = total_length_budget(b, t, &rq, err)))
		goto out;

	/* 2. answers: unique requests through the backend, in batches */
	rc = uh_run_requests_shown(b, rq.score, rq.n_score, rq.gen, rq.n_gen, o->batch,
				   o->label ? o->label : "tofu", o->quiet, &ans, &res->seconds, err);
	if (rc)
		goto out;
	res->n_requests = rq.n_score + rq.n_gen;
	res->n_unique = ans.n_unique_score + ans.n_unique_gen;
	if (o->cache) {
		res->cache_hits = o->cache->hits - res->cache_hits;
		res->cache_misses = o->cache->misses - res->cache_misses;
	}

	/* 3. per-item values, then the table */
	rc = uh_tofu_answers_to_log(s, &rq, ans.score, ans.gen, &res->log, ou ? &ex : NULL, err);
	if (!rc)
		rc = uh_tofu_eval_from_log(&res->ev, &res->log, ou, model, err);
	if (rc) {
		uh_err_prefix(err, "model '%s': ", model);
		goto out;
	}
	if ((rc = uh_tofu_eval_bootstrap(&res->ev, err)))
		goto out;
	if (ou && (rc = ou_extras(s, &ex, o, res, err)))
		goto out;
	for (size_t i = 0; i < s->n_files && !rc; i++)
		rc = uh_tofu_files_add(&res->ev.files, NULL, s->files[i], err);
	for (size_t i = 0; i < o->n_extra_files && !rc; i++)
		rc = uh_tofu_files_add(&res->ev.files, NULL, o->extra_files[i], err);
	if (rc)
		goto out;

	/* 4. Forget Quality */
	if (o->ref_sample && (rc = reference_fq(s, o, res, err)))
		goto out;

	/* 5. one transaction */
	{
		char batch[32], counts[96], secs[32], cache[64];
		const char *keys[32], *values[32];
		size_t n = 0;
		struct uh_store_run_info info = {
			.suite = "tofu", .split = s->split, .profile = uh_tofu_profile_name(s->profile),
			.model = model, .backend = b->name, .template_name = t->name, .tag = o->tag,
			.uh_version = UH_VERSION, .source = "run", .has_seed = o->has_seed, .seed = o->seed,
		};

		snprintf(batch, sizeof(batch), "%zu", ans.batch);
		snprintf(counts, sizeof(counts), "%zu requests, %zu unique, %zu batches",
			 res->n_requests, res->n_unique, ans.n_batches);
#define PAIR(k, v) do { keys[n] = (k); values[n] = (v); n++; } while (0)
		PAIR("backend.name", b->name);
		PAIR("backend.model_id", uh_backend_model_id(b));
		PAIR("template.name", t->name);
		PAIR("template.question_start", t->question_start);
		PAIR("template.question_end", t->question_end);
		PAIR("template.answer_tag", t->answer_tag);
		PAIR("data.dir", s->dir);
		PAIR("generation", ou ? "greedy, max_new_tokens 200, cut at EOS, stripped"
				      : prompt_special_tokens(t)
				      ? "greedy, total length 200 (BOS + prompt + new tokens), no stop strings"
				      : "greedy, total length 200 (prompt + new tokens, no BOS), no stop strings");
		PAIR("rows", ou ? "all rows" : "first 300 rows of each task");
		PAIR("batch", batch);
		PAIR("requests", counts);
		snprintf(secs, sizeof(secs), "%.3f", res->seconds);
		PAIR("started", started);
		PAIR("backend_seconds", secs);
		if (o->command_line)
			PAIR("command", o->command_line);
		if (o->cache) {
			snprintf(cache, sizeof(cache), "%llu hits, %llu misses",
				 (unsigned long long)res->cache_hits, (unsigned long long)res->cache_misses);
			PAIR("request_cache", cache);
		}
		for (size_t i = 0; i < o->n_prov && n < sizeof(keys) / sizeof(keys[0]); i++)
			PAIR(o->prov_keys[i], o->prov_values[i]);
#undef PAIR
		rc = uh_tofu_store_run(st, &info, &res->ev, &res->fq, keys, values, n, &res->run_id, err);
	}
out:
	uh_tofu_extras_release(&ex);
	uh_run_answers_release(&ans);
	uh_tofu_requests_release(&rq);
	if (rc)
		uh_run_tofu_result_release(res);
	return rc;
}
