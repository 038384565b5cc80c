/*
 * run_suites.c - MUSE and Harry Potter runs: capabilities -> requests ->
 * answers -> per-item values -> aggregates -> one store transaction.
 */
#include "harness/run_suites.h"

#include "harness/run.h"
#include "harness/version.h"
#include "metrics/bootstrap.h"
#include "metrics/npsum.h"
#include "suites/registry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void uh_run_suite_result_release(struct uh_run_suite_result *r)
{
	uh_seval_release(&r->ev);
	memset(r, 0, sizeof(*r));
}

/*
 * A run begins: res cleared, the time it began in started (the runs row is
 * written at the end) and the request cache's counters so far, so that the
 * run's own hits and misses can be told at the end.
 */
static void run_begin(const struct uh_run_suite_opts *o, struct uh_run_suite_result *res, char *started,
		      size_t len)
{
	time_t now = time(NULL);
	struct tm tmv;

	memset(res, 0, sizeof(*res));
	if (gmtime_r(&now, &tmv))
		strftime(started, len, "%Y-%m-%dT%H:%M:%SZ", &tmv);
	else
		snprintf(started, len, "unknown");
	if (o->cache) {
		res->has_cache = true;
		res->cache_hits = o->cache->hits;
		res->cache_misses = o->cache->misses;
	}
}

/*
 * A mean the official code takes as Python's sum(vals)/len(vals) (MUSE's
 * logger, SOUL/FLAT's copyright eval), times scale, with the bootstrap
 * interval of the plain mean scaled the same way.
 */
static int add_py_mean(struct uh_seval *e, const char *name, const char *label, const double *v,
		       size_t n, double scale, struct uh_err *err)
{
	struct uh_ci ci;
	int rc;

	if (n == 0)
		return uh_err_set(err, UH_EINVAL, "metric '%s': no items", name);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return uh_err_set(err, UH_ENUM, "metric '%s': item %zu is not a finite number", name, i);
	if (n >= 2) {
		if ((rc = uh_bootstrap_mean_ci(v, n, UH_TOFU_CI_LEVEL, UH_TOFU_CI_B, UH_TOFU_CI_SEED, &ci, err)))
			return uh_err_prefix(err, "metric '%s': bootstrap: ", name);
		ci.lo *= scale;
		ci.hi *= scale;
	}
	return uh_seval_add(e, name, label, uh_seqsum(v, n) / (double)n * scale, 1, (int64_t)n,
			    n >= 2 ? &ci : NULL, err);
}

/* Store the run: the runs row, provenance (files, settings, the caller's pairs), items, metrics. */
static int store(struct uh_store *st, struct uh_backend *b, const char *suite, const char *split,
		 const char *profile, const char *tmpl, const char *model, const char *started,
		 const char *generation, const struct uh_run_suite_opts *o, size_t batch,
		 size_t n_batches, struct uh_run_suite_result *res, struct uh_err *err)
{
	char counts[96], secs[32], bt[32], cache[64];
	const char *keys[40], *values[40];
	size_t n = 0;
	struct uh_store_run_info info = {
		.suite = suite, .split = split, .profile = profile, .model = model, .backend = b->name,
		.template_name = tmpl, .tag = o->tag, .uh_version = UH_VERSION, .source = "run",
		.has_seed = o->has_seed, .seed = o->seed,
	};

	snprintf(counts, sizeof(counts), "%zu requests, %zu unique, %zu batches", res->n_requests,
		 res->n_unique, n_batches);
	snprintf(secs, sizeof(secs), "%.3f", res->seconds);
	snprintf(bt, sizeof(bt), "%zu", batch);
	/* every request of the run has been answered by now, tokenize included */
	if (o->cache) {
		res->cache_hits = o->cache->hits - res->cache_hits;
		res->cache_misses = o->cache->misses - res->cache_misses;
		snprintf(cache, sizeof(cache), "%llu hits, %llu misses", (unsigned long long)res->cache_hits,
			 (unsigned long long)res->cache_misses);
	}
#define PAIR(k, v) do { keys[n] = (k); values[n] = (v); n++; } while (0)
	PAIR("backend.name", b->name);
	PAIR("backend.model_id", uh_backend_model_id(b));
	PAIR("generation", generation);
	PAIR("batch", bt);
	PAIR("requests", counts);
	PAIR("started", started);
	PAIR("backend_seconds", secs);
	if (o->ref_desc)
		PAIR("reference", o->ref_desc);
	if (o->command_line)
		PAIR("command", o->command_line);
	if (o->cache)
		PAIR("request_cache", cache);
	for (size_t i = 0; i < o->n_prov && n < sizeof(keys) / sizeof(keys[0]); i++)
		PAIR(o->prov_keys[i], o->prov_values[i]);
#undef PAIR
	return uh_seval_store(st, &info, &res->ev, keys, values, n, &res->run_id, err);
}

static int check_caps(struct uh_backend *b, const char *suite, const char *profile, struct uh_err *err)
{
	return uh_suite_check_caps(suite, profile, b->api->caps, b->name, err);
}

/* ================================================================ MUSE */

/*
 * The official reference: gt tokenized with BOS and cut to 128 ids, i.e.
 * its first 127 tokens, decoded. A backend whose decode loses text (the
 * n-gram model decodes pieces it never saw as "") would drop words from the
 * reference, so when decode(encode(gt)) != gt the cut is made on gt itself:
 * the longest prefix (at a UTF-8 boundary) of at most `keep` tokens.
 */
static int gt_first_tokens(struct uh_backend *b, const char *gt, size_t keep, char **out,
			   struct uh_err *err)
{
	int32_t *ids = NULL;
	char *full = NULL;
	size_t n = 0, lo, hi;
	int rc = uh_backend_encode(b, gt, &ids, &n, err);

	if (rc)
		return uh_err_prefix(err, "backend '%s' encode: ", b->name);
	rc = uh_backend_decode(b, ids, n, &full, err);
	if (!rc && (!strcmp(full, gt) || !uh_backend_has(b, UH_CAN_TOKENIZE))) {
		free(full);
		rc = uh_backend_decode(b, ids, n < keep ? n : keep, out, err);
		free(ids);
		return rc ? uh_err_prefix(err, "backend '%s' decode: ", b->name) : 0;
	}
	free(full);
	free(ids);
	if (rc)
		return uh_err_prefix(err, "backend '%s' decode: ", b->name);
	/* binary search on the prefix length: token counts grow with the prefix */
	lo = 0;
	hi = strlen(gt);
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		char *pre;
		int64_t nt;

		while (mid > lo && ((unsigned char)gt[mid] & 0xc0) == 0x80)
			mid--;
		if (mid == lo)
			break;
		if (!(pre = strndup(gt, mid)))
			return uh_err_set(err, UH_ENOMEM, "out of memory");
		rc = uh_backend_tokenize(b, pre, &nt, err);
		free(pre);
		if (rc)
			return uh_err_prefix(err, "backend '%s' tokenize: ", b->name);
		if ((size_t)nt <= keep)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (!(*out = strndup(gt, lo)))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	return 0;
}

static int item_rouge(struct uh_seval *e, enum uh_muse_profile p, const char *task, size_t i,
		      const char *question, const char *reference, const char *generation, bool knowmem,
		      double *f1, struct uh_err *err)
{
	struct uh_muse_rouge r;
	char vals[256] = "{}";
	char *out = uh_muse_output(p, knowmem, generation);
	int rc;

	if (!out)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	rc = uh_muse_rouge(p, reference, out, &r, err);
	if (!rc) {
		uh_seval_json_num(vals, sizeof(vals), "rougeL_f1", r.f1);
		uh_seval_json_num(vals, sizeof(vals), "rougeL_recall", r.recall);
		uh_seval_json_num(vals, sizeof(vals), "rouge1_recall", r.rouge1_recall);
		*f1 = r.f1;
		rc = uh_seval_add_item(e, task, (int64_t)i, question, reference, out, vals, err);
	}
	free(out);
	return rc;
}

int uh_run_muse(struct uh_store *st, struct uh_backend *b, const struct uh_muse_suite *s,
		const struct uh_run_suite_opts *o, struct uh_run_suite_result *res, struct uh_err *err)
{
	enum uh_muse_profile p = s->profile;
	bool ou = p == UH_MUSE_PROFILE_OU;
	const char *model = o->model ? o->model : uh_backend_model_id(b);
	struct uh_muse_requests rq = { 0 };
	struct uh_run_answers ans = { 0 };
	size_t nv = s->verbmem.n, nf = s->forget_qa.n, nr = s->retain_qa.n;
	size_t npf = s->pl_forget.n, npr = s->pl_retain.n, nph = s->pl_holdout.n;
	double *vm = NULL, *kf = NULL, *kr = NULL, *mk = NULL;
	char started[32];
	int rc;

	run_begin(o, res, started, sizeof(started));
	/* 0. the backend must be able to answer every metric, before any request */
	if ((rc = check_caps(b, "muse", uh_muse_profile_name(p), err)))
		return rc;
	/* 1. requests, 2. answers */
	if ((rc = uh_muse_requests_build(s, &rq, err)))
		return rc;
	rc = uh_run_requests_shown(b, rq.score, rq.n_score, rq.gen, rq.n_gen, o->batch,
				   o->label ? o->label : "muse", o->quiet, &ans, &res->seconds, err);
	if (rc)
		goto out;
	res->n_requests = rq.n_score + rq.n_gen;
	res->n_unique = ans.n_unique_score + ans.n_unique_gen;

	vm = malloc((nv + 1) * sizeof(double));
	kf = malloc((nf + 1) * sizeof(double));
	kr = malloc((nr + 1) * sizeof(double));
	mk = malloc((npf + npr + nph + 1) * sizeof(double));
	if (!vm || !kf || !kr || !mk) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto out;
	}

	/* 3. per-item values: VerbMem */
	for (size_t i = 0; i < nv && !rc; i++) {
		char *ref = NULL;

		if (ou) {
			/* open-unlearning: the full gt, stripped */
			ref = uh_muse_output(UH_MUSE_PROFILE_OU, false, s->verbmem.p[i].b);
			if (!ref)
				rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		} else {
			rc = gt_first_tokens(b, s->verbmem.p[i].b, UH_MUSE_VERBMEM_MAX_NEW - 1, &ref, err);
		}
		if (!rc)
			rc = item_rouge(&res->ev, p, "verbmem_forget", i, s->verbmem.p[i].a, ref,
					ans.gen[i]->text, false, &vm[i], err);
		free(ref);
	}
	/* KnowMem on D_f and D_r */
	for (size_t j = 0; j < nf + nr && !rc; j++) {
		bool f = j < nf;
		size_t i = f ? j : j - nf;
		const struct uh_muse_pair *qa = f ? &s->forget_qa.p[i] : &s->retain_qa.p[i];

		rc = item_rouge(&res->ev, p, f ? "knowmem_forget" : "knowmem_retain", i, qa->a, qa->b,
				ans.gen[nv + j]->text, true, f ? &kf[i] : &kr[i], err);
	}
	/* PrivLeak: Min-K of every text */
	for (size_t j = 0; j < npf + npr + nph && !rc; j++) {
		const struct uh_score_res *r = ans.score[j];
		const char *task = j < npf ? "privleak_forget" : j < npf + npr ? "privleak_retain" : "privleak_holdout";
		size_t i = j < npf ? j : j < npf + npr ? j - npf : j - npf - npr;
		char vals[128] = "{}";

		if (!r->token_logprobs) {
			rc = uh_err_set(err, UH_EINVAL, "backend '%s' returned no token log-probs for %s text %zu",
					b->name, task, i);
			break;
		}
		rc = uh_muse_mink(p, r->token_logprobs, (size_t)r->n_tokens, &mk[j], err);
		if (rc) {
			uh_err_prefix(err, "%s text %zu: ", task, i);
			break;
		}
		uh_seval_json_num(vals, sizeof(vals), "mink", mk[j]);
		uh_seval_json_num(vals, sizeof(vals), "n_tokens", (double)r->n_tokens);
		rc = uh_seval_add_item(&res->ev, task, (int64_t)i, NULL, NULL, NULL, vals, err);
	}
	if (rc)
		goto out;

	/* 4. aggregates */
	if (ou) {
		rc = uh_seval_add_mean(&res->ev, "forget_verbmem_ROUGE", "VerbMem D_f (ROUGE-L F1)", vm, nv, 1, err);
		if (!rc)
			rc = uh_seval_add_mean(&res->ev, "forget_knowmem_ROUGE", "KnowMem D_f (ROUGE-L F1)", kf, nf, 1, err);
		if (!rc)
			rc = uh_seval_add_mean(&res->ev, "retain_knowmem_ROUGE", "KnowMem D_r (ROUGE-L F1)", kr, nr, 1, err);
	} else {
		/* eval.py: out['verbmem_f'] = agg['mean_rougeL'] * 100, and likewise */
		rc = add_py_mean(&res->ev, "verbmem_f", "VerbMem D_f (x100)", vm, nv, 100, err);
		if (!rc)
			rc = add_py_mean(&res->ev, "knowmem_f", "KnowMem D_f (x100)", kf, nf, 100, err);
		if (!rc)
			rc = add_py_mean(&res->ev, "knowmem_r", "KnowMem D_r (x100)", kr, nr, 100, err);
	}
	if (!rc)
		rc = uh_muse_auc(p, mk, npf, mk + npf + npr, nph, &res->auc, err);
	if (!rc) {
		const char *aname = ou ? "mia_min_k" : "auc_forget_holdout";
		double pl = NAN;
		char note[512];

		res->has_auc = true;
		rc = uh_seval_add(&res->ev, aname, ou ? "MIA min-k AUC (forget 0, holdout 1)" :
				  "AUC forget_holdout_Min-40%", res->auc, 1, (int64_t)(npf + nph), NULL, err);
		/*
		 * The retrained model itself: the official privleak of its own AUC
		 * is 0; open-unlearning has no retain logs for a retain model and
		 * uses ref_value 0.5, as its published retain logs do (and as the
		 * TOFU runner does for its reference).
		 */
		bool self = o->ref_self && !ou;
		bool has_ref = o->has_ref_auc || self;
		double ref = self ? res->auc : o->ref_auc;

		if (!rc && (ou || has_ref)) {
			rc = uh_muse_privleak(p, res->auc, has_ref, ref, &pl, err);
			if (!rc)
				rc = uh_seval_add(&res->ev, "privleak", "PrivLeak (%)", pl, 1, (int64_t)(npf + nph),
						  NULL, err);
			if (!rc) {
				if (self)
					snprintf(note, sizeof(note), "privleak against this run's own AUC: it is the "
						 "reference (retrained) model");
				else if (o->has_ref_auc)
					snprintf(note, sizeof(note), "privleak against the reference AUC %.17g (%s)",
						 o->ref_auc, o->ref_desc ? o->ref_desc : "given");
				else
					snprintf(note, sizeof(note), "privleak against ref_value 0.5 (no reference AUC), "
						 "as open-unlearning does without retain logs");
				rc = uh_seval_note(&res->ev, note, err);
			}
		} else if (!rc) {
			rc = uh_seval_note(&res->ev, "privleak not computed: no retrained-model AUC (give "
					   "--reference RUN, or use split news/books for the published constants)", err);
		}
	}
	if (!rc && ou)
		rc = uh_seval_note(&res->ev, "open-unlearning cuts privleak texts at 2048 tokens and KnowMem "
				   "prompts at 512; uh sends them whole", err);
	for (size_t i = 0; i < s->n_files && !rc; i++)
		rc = uh_tofu_files_add(&res->ev.files, NULL, s->files[i], err);
	for (size_t i = 0; i < o->n_extra_files && !rc; i++)
		rc = uh_tofu_files_add(&res->ev.files, NULL, o->extra_files[i], err);
	if (rc)
		goto out;

	/* 5. one transaction */
	rc = store(st, b, "muse", s->split, uh_muse_profile_name(p), "muse-icl", model, started,
		   ou ? "greedy; verbmem 128 new tokens, full gt stripped; knowmem 32 new tokens, stop "
			"strings, stripped; ROUGE stemmed; min-k drops the last token"
		      : "greedy; verbmem 128 new tokens against the first 127 gt tokens; knowmem 32 new "
			"tokens cut at the stop strings afterwards; ROUGE unstemmed",
		   o, ans.batch, ans.n_batches, res, err);
out:
	free(vm);
	free(kf);
	free(kr);
	free(mk);
	uh_run_answers_release(&ans);
	uh_muse_requests_release(&rq);
	if (rc)
		uh_run_suite_result_release(res);
	return rc;
}

/* ================================================================ Harry Potter */

/* FLAT decodes outputs[:, length+1:]: the first generated token is dropped. */
static int drop_first_token(struct uh_backend *b, const char *text, char **out, struct uh_err *err)
{
	int32_t *ids = NULL;
	size_t n = 0;
	int rc = uh_backend_encode(b, text, &ids, &n, err);

	if (rc)
		return uh_err_prefix(err, "backend '%s' encode: ", b->name);
	rc = uh_backend_decode(b, n ? ids + 1 : ids, n ? n - 1 : 0, out, err);
	free(ids);
	if (rc)
		return uh_err_prefix(err, "backend '%s' decode: ", b->name);
	return 0;
}

int uh_run_hp(struct uh_store *st, struct uh_backend *b, const struct uh_hp_suite *s,
	      const struct uh_hp_template *t, const struct uh_run_suite_opts *o,
	      struct uh_run_suite_result *res, struct uh_err *err)
{
	const char *model = o->model ? o->model : uh_backend_model_id(b);
	size_t ntr = s->train.n, nte = s->test.n, ng = ntr + nte, nd = s->has_ppl ? s->ppl.n : 0;
	struct uh_gen_req *gen = NULL;
	struct uh_score_req *sc = NULL;
	char **prompts = NULL, **refs = NULL, split[32], started[32];
	double *bleu = NULL, *rl = NULL, *ll = NULL;
	size_t *words = NULL, *bytes = NULL;
	struct uh_run_answers ans = { 0 };
	int rc;

	run_begin(o, res, started, sizeof(started));
	if ((rc = check_caps(b, "hp", "flat", err)))
		return rc;
	gen = calloc(ng + 1, sizeof(*gen));
	sc = calloc(nd + 1, sizeof(*sc));
	prompts = calloc(ng + 1, sizeof(*prompts));
	refs = calloc(ng + 1, sizeof(*refs));
	bleu = malloc((ng + 1) * sizeof(double));
	rl = malloc((ng + 1) * sizeof(double));
	ll = malloc((nd + 1) * sizeof(double));
	words = malloc((nd + 1) * sizeof(size_t));
	bytes = malloc((nd + 1) * sizeof(size_t));
	if (!gen || !sc || !prompts || !refs || !bleu || !rl || !ll || !words || !bytes) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto out;
	}
	/* 1. requests: one generation per row, one score per held-out document */
	for (size_t i = 0; i < ng && !rc; i++) {
		const struct uh_hp_row *r = i < ntr ? &s->train.r[i] : &s->test.r[i - ntr];
		int64_t nt;

		prompts[i] = uh_hp_prompt(t, r->prompt);
		refs[i] = uh_hp_reference(t, r->response);
		if (!prompts[i] || !refs[i]) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			break;
		}
		/* max_length=600 counts BOS and the prompt */
		if ((rc = uh_backend_tokenize(b, prompts[i], &nt, err))) {
			uh_err_prefix(err, "backend '%s' tokenize: ", b->name);
			break;
		}
		gen[i].prompt = prompts[i];
		gen[i].max_new_tokens = nt + 1 < UH_HP_MAX_LENGTH ? (int32_t)(UH_HP_MAX_LENGTH - 1 - nt) : 1;
	}
	for (size_t i = 0; i < nd; i++) {
		sc[i].context = "";
		sc[i].continuation = s->ppl.d[i];
	}
	if (rc)
		goto out;
	/* 2. answers */
	rc = uh_run_requests_shown(b, sc, nd, gen, ng, o->batch, o->label ? o->label : "hp",
				   o->quiet, &ans, &res->seconds, err);
	if (rc)
		goto out;
	res->n_requests = ng + nd;
	res->n_unique = ans.n_unique_score + ans.n_unique_gen;

	/* 3. per-item values */
	for (size_t i = 0; i < ng && !rc; i++) {
		const struct uh_hp_row *r = i < ntr ? &s->train.r[i] : &s->test.r[i - ntr];
		char *text = NULL, vals[128] = "{}";

		if ((rc = drop_first_token(b, ans.gen[i]->text, &text, err)))
			break;
		rc = uh_hp_item_scores(refs[i], text, &bleu[i], &rl[i], err);
		if (!rc) {
			uh_seval_json_num(vals, sizeof(vals), "bleu", bleu[i]);
			uh_seval_json_num(vals, sizeof(vals), "rougeL_recall", rl[i]);
			rc = uh_seval_add_item(&res->ev, i < ntr ? "train" : "test", (int64_t)(i < ntr ? i : i - ntr),
					       r->prompt, refs[i], text, vals, err);
		}
		free(text);
	}
	for (size_t i = 0; i < nd && !rc; i++) {
		char vals[128] = "{}";

		ll[i] = ans.score[i]->logprob;
		words[i] = uh_hp_words(s->ppl.d[i]);
		bytes[i] = strlen(s->ppl.d[i]);
		uh_seval_json_num(vals, sizeof(vals), "loglik", ll[i]);
		uh_seval_json_num(vals, sizeof(vals), "words", (double)words[i]);
		uh_seval_json_num(vals, sizeof(vals), "bytes", (double)bytes[i]);
		rc = uh_seval_add_item(&res->ev, "ppl", (int64_t)i, NULL, NULL, NULL, vals, err);
	}
	if (rc)
		goto out;
	/* 4. aggregates: evaluate.py's sum(bleus)/len(bleus), per file */
	if ((rc = add_py_mean(&res->ev, "train/bleu", "BLEU, train instructions", bleu, ntr, 1, err)) ||
	    (rc = add_py_mean(&res->ev, "train/rougeL", "ROUGE-L recall, train instructions", rl, ntr, 1, err)) ||
	    (rc = add_py_mean(&res->ev, "test/bleu", "BLEU, test instructions", bleu + ntr, nte, 1, err)) ||
	    (rc = add_py_mean(&res->ev, "test/rougeL", "ROUGE-L recall, test instructions", rl + ntr, nte, 1, err)))
		goto out;
	if (nd) {
		double wp, bp, bpb;

		uh_hp_perplexity(ll, words, bytes, nd, &wp, &bp, &bpb);
		if ((rc = uh_seval_add(&res->ev, "word_perplexity", "word perplexity (held-out)", wp, 1,
				       (int64_t)nd, NULL, err)) ||
		    (rc = uh_seval_add(&res->ev, "byte_perplexity", "byte perplexity (held-out)", bp, 1,
				       (int64_t)nd, NULL, err)) ||
		    (rc = uh_seval_add(&res->ev, "bits_per_byte", "bits per byte (held-out)", bpb, 1,
				       (int64_t)nd, NULL, err)))
			goto out;
	} else if ((rc = uh_seval_note(&res->ev, "perplexity not computed: no held-out text "
				       "(heldout.txt in the data folder, or --ppl-file)", err))) {
		goto out;
	}
	if ((rc = uh_seval_note(&res->ev, "familiarity (WHP) not computed: it needs a proprietary LLM judge", err)))
		goto out;
	for (size_t i = 0; i < s->n_files && !rc; i++)
		rc = uh_tofu_files_add(&res->ev.files, NULL, s->files[i], err);
	for (size_t i = 0; i < o->n_extra_files && !rc; i++)
		rc = uh_tofu_files_add(&res->ev.files, NULL, o->extra_files[i], err);
	if (rc)
		goto out;
	snprintf(split, sizeof(split), "k%d", s->k);
	rc = store(st, b, "hp", split, "flat", t->name, model, started,
		   "greedy, 600 tokens in total (BOS + prompt + new, per item, no batch padding), the "
		   "first generated token dropped",
		   o, ans.batch, ans.n_batches, res, err);
out:
	for (size_t i = 0; i < ng; i++) {
		if (prompts)
			free(prompts[i]);
		if (refs)
			free(refs[i]);
	}
	free(prompts);
	free(refs);
	free(gen);
	free(sc);
	free(bleu);
	free(rl);
	free(ll);
	free(words);
	free(bytes);
	uh_run_answers_release(&ans);
	if (rc)
		uh_run_suite_result_release(res);
	return rc;
}
