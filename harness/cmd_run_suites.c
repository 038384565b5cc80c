/*
 * cmd_run_suites.c - `uh-run --suite muse|hp`: evaluate one model on MUSE or
 * on the Harry Potter copyright suite (cmd_run.c hands over when --suite
 * names one of them).
 *
 * The flow, top to bottom: options; the data (--data, or the synthetic set
 * for --seed, cached); the model: a backend, or the embedded default (an
 * n-gram model trained here on forget + retain text, and a reference
 * trained on retain text only, evaluated first as its own run), each
 * behind the request cache unless --no-cache; the run; the table. What the
 * TOFU command line shares with this one is in harness/run_cli.h.
 */
#include "harness/backends/ngram.h"
#include "harness/backends/registry.h"
#include "harness/cli.h"
#include "harness/cmds.h"
#include "harness/err.h"
#include "harness/jsonl.h"
#include "harness/progress.h"
#include "harness/run.h"
#include "harness/run_cli.h"
#include "harness/run_suites.h"
#include "results/store.h"
#include "suites/hp.h"
#include "suites/muse.h"
#include "suites/synth_muse_hp.h"
#include "suites/synth_tofu.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: uh-run --suite muse --split news|books [options]\n"
	"       uh-run --suite hp [options]\n"
	"\n"
	"MUSE (spec/muse_hp.md part A): VerbMem on D_f (greedy continuation, ROUGE-L F1),\n"
	"KnowMem on D_f and D_r (10-shot prompts, greedy answers, ROUGE-L F1) and\n"
	"PrivLeak (Min-40%% AUC of forget against holdout texts, relative to the\n"
	"retrained model's AUC), with 95%% bootstrap intervals on the means.\n"
	"\n"
	"Harry Potter (part B, as SOUL and FLAT score it): each passage's first k\n"
	"words as the prompt, a greedy continuation to 600 tokens in total, per-item\n"
	"sacrebleu BLEU and stemmed ROUGE-L recall against the rest of the passage,\n"
	"their means for the train and the held-out (test) instructions; utility as\n"
	"perplexity over a held-out plain-text file. The WHP familiarity score is NOT\n"
	"computed: it needs a proprietary LLM judge (GPT-4 with a rubric).\n"
	"\n"
	"With no --backend the embedded default runs: an n-gram LM trained here on\n"
	"forget + retain text (the model under test) and one trained on retain text\n"
	"only (the reference, stored as its own run first), on --data or on a\n"
	"synthetic set made for --seed and cached. Nothing to download.\n"
	"\n"
	"options:\n"
	"  --suite muse|hp\n"
	"  --split S             muse: news (default) or books (picks the published\n"
	"                        retrained AUC); hp: not used\n"
	"  --profile P           muse: muse (default, swj0419/muse_bench eval.py) or\n"
	"                        open-unlearning (its port); hp: flat\n"
	"  --data DIR            the data folder (MUSE: verbmem/, knowmem/, privleak/;\n"
	"                        HP: hp_{train,test}_qa_{k}.jsonl [, heldout.txt])\n"
	"  --prompt-words K      hp: words of each passage in the prompt (default 200)\n"
	"  --template T          hp: opt (default, '### Question: ...') or llama\n"
	"  --ppl-file FILE       hp: held-out text for perplexity (default\n"
	"                        DIR/heldout.txt when present)\n"
	"  --backend NAME|PATH   a built-in backend or a plugin .so (default: embedded)\n"
	"  --model NAME          model name passed to the backend and stored\n"
	"  --opt KEY=VALUE       backend option, repeatable\n"
	"  --reference RUN_ID    muse: PrivLeak against the AUC of a stored MUSE run\n"
	"                        of the retrained model (same profile); default: the\n"
	"                        embedded reference, else the published constants\n"
	"  --size N              synthetic stories / passages (default 100)\n"
	"  --db FILE             results database (default $UH_DB, else uh.db)\n"
	"  --seed S              seed of the synthetic data (default 0)\n"
	"  --batch N             requests per backend call (default 64)\n"
	"  --tag T               free-form tag stored with the run\n"
	UH_RUN_CLI_HELP_FLAGS;

struct opts {
	struct uh_run_cli c;  /* --backend, --model, --opt, --db, --tag, --seed, --batch, flags */
	const char *suite, *split, *profile, *data, *reference;
	const char *template_name, *ppl_file;
	int size, prompt_words;
};

/* --size and --prompt-words */
static int set_number(void *ctx, const char *name, const char *v)
{
	struct opts *o = ctx;
	uint64_t x = 0;
	bool ok;
	const char *want;

	if (!strcmp(name, "--size")) {
		ok = uh_cli_parse_u64(v, UH_SYNTH_MUSE_HP_MAX, &x) && x >= UH_SYNTH_MUSE_HP_MIN;
		o->size = (int)x;
		want = "an integer 10..2000";
	} else {
		ok = uh_cli_parse_u64(v, 100000, &x) && x > 0;
		o->prompt_words = (int)x;
		want = "a positive integer";
	}
	if (!ok) {
		fprintf(stderr, "uh run: %s wants %s, got '%s'\n", name, want, v);
		return 2;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	const struct uh_run_cli_opt names[] = {
		{ "--suite", &o->suite }, { "--split", &o->split }, { "--profile", &o->profile },
		{ "--data", &o->data }, { "--reference", &o->reference }, { "--template", &o->template_name },
		{ "--ppl-file", &o->ppl_file }, { "--size", NULL }, { "--prompt-words", NULL },
	};
	int rc;

	memset(o, 0, sizeof(*o));
	uh_run_cli_init(&o->c);
	o->size = 100;
	o->prompt_words = UH_HP_DEFAULT_PROMPT_WORDS;
	o->template_name = "opt";
	rc = uh_run_cli_parse(&o->c, argc, argv, names, sizeof(names) / sizeof(names[0]), set_number, o);
	if (rc || o->c.help)
		return rc;
	if (!o->suite || (strcmp(o->suite, "muse") && strcmp(o->suite, "hp"))) {
		fprintf(stderr, "uh run: this command runs --suite muse or hp, got '%s'\n", o->suite ? o->suite : "");
		return 2;
	}
	if (!strcmp(o->suite, "muse")) {
		if (!o->split)
			o->split = "news";
		if (!o->profile)
			o->profile = "muse";
	} else {
		if (!o->profile)
			o->profile = "flat";
		if (strcmp(o->profile, "flat")) {
			fprintf(stderr, "uh run: unknown profile '%s' for suite hp (valid: flat)\n", o->profile);
			return 2;
		}
		if (o->reference) {
			fprintf(stderr, "uh run: --reference is for --suite muse (PrivLeak)\n");
			return 2;
		}
	}
	return 0;
}

/* The cached synthetic set: reused while its marker and every file are there. */
static int synth_data(const struct opts *o, const char *db, char *dir, size_t len, struct uh_err *err)
{
	bool muse = !strcmp(o->suite, "muse");
	char name[128], marker[256];
	int rc;

	snprintf(name, sizeof(name), "%s-synth-s%llu-n%d", o->suite, (unsigned long long)o->c.seed, o->size);
	uh_run_cli_synth_dir(db, name, dir, len);
	snprintf(marker, sizeof(marker), "uh synth %s\nseed %llu\nn %d\n", o->suite,
		 (unsigned long long)o->c.seed, o->size);
	if (uh_run_cli_synth_cached(dir, marker, muse ? uh_synth_muse_files() : uh_synth_hp_files()))
		return 0;
	if (!o->c.quiet)
		fprintf(stderr, "uh run: writing the synthetic %s set (seed %llu, %d %s) to %s\n",
			muse ? "MUSE" : "HP", (unsigned long long)o->c.seed, o->size, muse ? "stories" : "passages", dir);
	rc = muse ? uh_synth_muse(dir, o->c.seed, o->size, UH_SYNTH_FORCE, err)
		  : uh_synth_hp(dir, o->c.seed, o->size, UH_SYNTH_FORCE, err);
	if (rc)
		uh_err_prefix(err, "synthetic data: ");
	return rc;
}

/* ================================================================ embedded training */

struct docs {
	char **d;
	size_t n, cap;
};

static void docs_release(struct docs *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->d[i]);
	free(d->d);
	memset(d, 0, sizeof(*d));
}

static int docs_add(struct docs *d, char *s, struct uh_err *err)
{
	if (!s)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 1024;
		char **p = realloc(d->d, cap * sizeof(*p));

		if (!p) {
			free(s);
			return uh_err_set(err, UH_ENOMEM, "out of memory");
		}
		d->d = p;
		d->cap = cap;
	}
	d->d[d->n++] = s;
	return 0;
}

static int slurp(const char *path, char **buf, size_t *len, struct uh_err *err)
{
	FILE *f = fopen(path, "rb");
	long n;

	*buf = NULL;
	if (!f)
		return uh_err_set(err, UH_EINVAL, "cannot train the embedded model: cannot open '%s': %s", path,
				  strerror(errno));
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(*buf = malloc((size_t)n + 1))) {
		fclose(f);
		return uh_err_set(err, UH_EIO, "cannot read '%s'", path);
	}
	*len = fread(*buf, 1, (size_t)n, f);
	(*buf)[*len] = '\0';
	fclose(f);
	return 0;
}

/* MUSE raw/<name>.json texts, and raw/<name>_qa.json rendered as the KnowMem prompt renders them. */
static int muse_docs(const char *data, const char *name, struct docs *d, struct uh_tofu_files *fl,
		     struct uh_err *err)
{
	char path[4300], *buf;
	size_t len = 0;
	struct uh_muse_texts t;
	struct uh_muse_pairs qa;
	int rc;

	snprintf(path, sizeof(path), "%s/raw/%s.json", data, name);
	if ((rc = slurp(path, &buf, &len, err)))
		return rc;
	rc = uh_muse_parse_texts(buf, len, path, &t, err);
	free(buf);
	if (rc)
		return rc;
	for (size_t i = 0; i < t.n && !rc; i++) {
		rc = docs_add(d, t.t[i], err);
		t.t[i] = NULL;
	}
	uh_muse_texts_release(&t);
	if (!rc)
		rc = uh_tofu_files_add(fl, NULL, path, err);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/raw/%s_qa.json", data, name);
	if (!uh_cli_is_file(path))
		return 0;
	if ((rc = slurp(path, &buf, &len, err)))
		return rc;
	rc = uh_muse_parse_pairs(buf, len, path, "question", "answer", &qa, err);
	free(buf);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < qa.n; i++) {
		size_t n = strlen(qa.p[i].a) + strlen(qa.p[i].b) + 32;
		char *s = malloc(n);

		if (s)
			snprintf(s, n, "Question: %s\nAnswer: %s", qa.p[i].a, qa.p[i].b);
		rc = docs_add(d, s, err);
	}
	uh_muse_pairs_release(&qa);
	if (!rc)
		rc = uh_tofu_files_add(fl, NULL, path, err);
	return rc;
}

/* Documents from the evaluation files: the forget side or the retain side. */
static int muse_eval_docs(const struct uh_muse_suite *s, bool forget, struct docs *d, struct uh_err *err)
{
	const struct uh_muse_texts *t = forget ? &s->pl_forget : &s->pl_retain;
	const struct uh_muse_pairs *qa = forget ? &s->forget_qa : &s->retain_qa;
	int rc = 0;

	for (size_t i = 0; forget && i < s->verbmem.n && !rc; i++) {
		size_t n = strlen(s->verbmem.p[i].a) + strlen(s->verbmem.p[i].b) + 2;
		char *x = malloc(n);

		if (x)
			snprintf(x, n, "%s %s", s->verbmem.p[i].a, s->verbmem.p[i].b);
		rc = docs_add(d, x, err);
	}
	for (size_t i = 0; i < t->n && !rc; i++)
		rc = docs_add(d, strdup(t->t[i]), err);
	for (size_t i = 0; i < qa->n && !rc; i++) {
		size_t n = strlen(qa->p[i].a) + strlen(qa->p[i].b) + 32;
		char *x = malloc(n);

		if (x)
			snprintf(x, n, "Question: %s\nAnswer: %s", qa->p[i].a, qa->p[i].b);
		rc = docs_add(d, x, err);
	}
	return rc;
}

/* JSON Lines {"text": ...} documents (hp.jsonl, retain.jsonl). */
static int ngram_text_docs(const char *path, struct docs *d, struct uh_tofu_files *fl, struct uh_err *err)
{
	struct uh_jsonl r;
	int rc = uh_jsonl_open(&r, path, err);

	if (rc)
		return uh_err_prefix(err, "cannot train the embedded model: ");
	for (;;) {
		const cJSON *obj;
		const char *t;

		if ((rc = uh_jsonl_next(&r, &obj, err)) || !obj)
			break;
		if ((rc = uh_jsonl_get_string(&r, "text", &t, err)) || (rc = docs_add(d, strdup(t), err)))
			break;
	}
	uh_jsonl_release(&r);
	if (!rc)
		rc = uh_tofu_files_add(fl, NULL, path, err);
	return rc;
}

/* HP {prompt, response} rows rendered with the template, as the original model was fine-tuned. */
static int hp_docs(const char *path, const struct uh_hp_template *t, struct docs *d,
		   struct uh_tofu_files *fl, struct uh_err *err)
{
	struct uh_hp_rows r;
	char *buf;
	size_t len = 0;
	int rc = slurp(path, &buf, &len, err);

	if (rc)
		return rc;
	rc = uh_hp_parse_rows(buf, len, path, &r, err);
	free(buf);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < r.n; i++) {
		char *p = uh_hp_prompt(t, r.r[i].prompt), *q = uh_hp_reference(t, r.r[i].response), *s = NULL;

		if (p && q && (s = malloc(strlen(p) + strlen(q) + 1)))
			strcat(strcpy(s, p), q);
		free(p);
		free(q);
		rc = docs_add(d, s, err);
	}
	uh_hp_rows_release(&r);
	if (!rc)
		rc = uh_tofu_files_add(fl, NULL, path, err);
	return rc;
}

static int train(struct docs *d, const char *what, bool quiet, struct uh_backend *b, struct uh_err *err)
{
	struct uh_ngram_opts no;
	struct uh_ngram *m = NULL;
	double t0 = uh_progress_now();
	int rc;

	uh_ngram_opts_memorise(&no);
	if ((rc = uh_ngram_train((const char *const *)d->d, d->n, &no, &m, err)))
		return rc;
	if (!quiet)
		fprintf(stderr, "uh run: trained the n-gram model on %s (%zu documents), %s, in %.2fs\n", what,
			d->n, uh_ngram_id(m), uh_progress_now() - t0);
	if ((rc = uh_backend_wrap(b, uh_ngram_backend(), m, "ngram", 1, err)))
		uh_ngram_free(m);
	return rc;
}

/* ================================================================ the command */

static int reference_auc(struct uh_store *st, const char *arg, const char *profile, double *auc,
			 struct uh_err *err)
{
	uint64_t id;
	struct uh_store_run_row row;
	struct uh_store_metric_row *m = NULL;
	size_t nm = 0;
	bool ou = !strcmp(profile, "open-unlearning"), found = false;
	int rc;

	if (!uh_cli_parse_u64(arg, INT64_MAX, &id) || id == 0)
		return uh_err_set(err, UH_EINVAL, "--reference wants a run id (a positive integer), got '%s'", arg);
	if ((rc = uh_store_run_get(st, (int64_t)id, &row, err)))
		return rc;
	if (!row.suite || strcmp(row.suite, "muse") || !row.profile || strcmp(row.profile, profile)) {
		rc = uh_err_set(err, UH_EINVAL, "--reference %s is a %s run (profile %s), not a MUSE run of "
				"profile %s", arg, row.suite ? row.suite : "?", row.profile ? row.profile : "?", profile);
		uh_store_run_row_release(&row);
		return rc;
	}
	uh_store_run_row_release(&row);
	if ((rc = uh_store_metrics_get(st, (int64_t)id, &m, &nm, err)))
		return rc;
	for (size_t i = 0; i < nm; i++)
		if (!strcmp(m[i].name, ou ? "mia_min_k" : "auc_forget_holdout")) {
			*auc = m[i].value;
			found = true;
		}
	uh_store_metric_rows_free(m, nm);
	if (!found)
		return uh_err_set(err, UH_EINVAL, "--reference %s has no %s metric", arg,
				  ou ? "mia_min_k" : "auc_forget_holdout");
	return 0;
}

int uh_cmd_run_suite(int argc, char **argv)
{
	struct opts o;
	struct uh_err err;
	struct uh_store *st = NULL;
	struct uh_backend model_b = { 0 }, ref_b = { 0 }, model_cb = { 0 }, ref_cb = { 0 };
	struct uh_backend *model_use = &model_b, *ref_use = &ref_b;
	struct uh_cache *cache = NULL;
	struct uh_muse_suite ms = { 0 };
	struct uh_hp_suite hs = { 0 };
	const struct uh_hp_template *tpl = NULL;
	struct uh_run_suite_result mres = { 0 }, rres = { 0 };
	struct docs dm = { 0 }, dr = { 0 };
	struct uh_tofu_files fm = { 0 }, fr = { 0 };
	enum uh_muse_profile mp = UH_MUSE_PROFILE_MUSE;
	char data[4096], model_name[160], ref_name[160], refdesc[256], *cmdline = NULL, title[512], what[128];
	bool muse, embedded;
	const char *db;
	int rc;

	uh_err_clear(&err);
	rc = parse_args(argc, argv, &o);
	if (o.c.help) {
		fputs(usage_text, stdout);
		rc = 0;
		goto done;
	}
	if (rc) {
		fputs("(uh-run --help for usage)\n", stderr);
		goto done;
	}
	muse = !strcmp(o.suite, "muse");
	embedded = !o.c.backend;
	db = uh_store_default_path(o.c.db);
	if (!(cmdline = uh_run_cli_command_line(argc, argv))) {
		rc = uh_err_set(&err, UH_ENOMEM, "out of memory");
		goto fail;
	}
	if (muse && (rc = uh_muse_profile_parse(o.profile, &mp, &err)))
		goto fail;
	if (!muse && (rc = uh_hp_template_get(o.template_name, &tpl, &err)))
		goto fail;

	/* 1. the data */
	if (o.data) {
		if ((rc = uh_run_cli_data_dir(o.data, data, sizeof(data), &err)))
			goto fail;
	} else if ((rc = synth_data(&o, db, data, sizeof(data), &err))) {
		goto fail;
	}
	rc = muse ? uh_muse_suite_load(&ms, data, o.split, mp, &err)
		  : uh_hp_suite_load(&hs, data, o.prompt_words, o.ppl_file, &err);
	if (rc)
		goto fail;
	if ((rc = uh_store_open(&st, db, &err)) || (rc = uh_run_cli_cache_open(&o.c, db, &cache, &err)))
		goto fail;

	{
		struct uh_run_suite_opts ro = {
			.tag = o.c.tag, .has_seed = true, .seed = (int64_t)o.c.seed, .batch = o.c.batch,
			.quiet = o.c.quiet, .command_line = cmdline, .cache = cache ? uh_cache_stats(cache) : NULL,
		};
		const char *keys[3], *vals[3], *files[UH_TOFU_MAX_FILES];
		char rtag[256];

		/* PrivLeak's reference AUC given on the command line, else the published one */
		if (muse && o.reference) {
			if ((rc = reference_auc(st, o.reference, o.profile, &ro.ref_auc, &err)))
				goto fail;
			ro.has_ref_auc = true;
			snprintf(refdesc, sizeof(refdesc), "run:%s", o.reference);
			ro.ref_desc = refdesc;
		} else if (muse && !embedded && mp == UH_MUSE_PROFILE_MUSE && uh_muse_auc_retrain(o.split, &ro.ref_auc)) {
			ro.has_ref_auc = true;
			snprintf(refdesc, sizeof(refdesc), "published AUC_RETRAIN[%s]['forget_holdout_Min-40%%']", o.split);
			ro.ref_desc = refdesc;
		}
		/* 2. the models */
		if (embedded) {
			char rawp[4300];

			snprintf(rawp, sizeof(rawp), "%s/raw/forget.json", data);
			if (muse && !uh_cli_is_file(rawp)) {
				/* the upstream layout has no raw/: the evaluation texts stand in for the corpora */
				if (!o.c.quiet)
					fprintf(stderr, "uh run: no raw/ in '%s': the embedded models train on the "
						"evaluation files themselves (forget side: verbmem, privleak forget, forget "
						"QA; both: privleak retain, retain QA)\n", data);
				if ((rc = muse_eval_docs(&ms, true, &dm, &err)) || (rc = muse_eval_docs(&ms, false, &dm, &err)) ||
				    (rc = muse_eval_docs(&ms, false, &dr, &err)))
					goto fail;
			} else if (muse) {
				if ((rc = muse_docs(data, "forget", &dm, &fm, &err)) ||
				    (rc = muse_docs(data, "retain1", &dm, &fm, &err)) ||
				    (rc = muse_docs(data, "retain2", &dm, &fm, &err)) ||
				    (rc = muse_docs(data, "retain1", &dr, &fr, &err)) ||
				    (rc = muse_docs(data, "retain2", &dr, &fr, &err)))
					goto fail;
			} else {
				char p1[4300], p2[4300], p3[4300];

				snprintf(p1, sizeof(p1), "%s/hp.jsonl", data);
				snprintf(p2, sizeof(p2), "%s/hp_train_qa_%d.jsonl", data, o.prompt_words);
				snprintf(p3, sizeof(p3), "%s/retain.jsonl", data);
				if ((rc = ngram_text_docs(p1, &dm, &fm, &err)) ||
				    (rc = hp_docs(p2, tpl, &dm, &fm, &err)) ||
				    (rc = ngram_text_docs(p3, &dm, &fm, &err)) ||
				    (rc = ngram_text_docs(p3, &dr, &fr, &err)))
					goto fail;
			}
			if ((rc = train(&dm, muse ? "forget + retain stories and their questions" :
					"the saga, its train prompts and the retain text", o.c.quiet, &model_b, &err)) ||
			    (rc = train(&dr, muse ? "retain stories and their questions" : "the retain text",
					o.c.quiet, &ref_b, &err)) ||
			    (rc = uh_run_cli_through_cache(cache, &model_b, &model_cb, NULL, &model_use, &err)) ||
			    (rc = uh_run_cli_through_cache(cache, &ref_b, &ref_cb, NULL, &ref_use, &err)))
				goto fail;
			snprintf(model_name, sizeof(model_name), "%s", o.c.model ? o.c.model : muse ? "ngram:forget+retain" :
				 "ngram:hp+retain");
			snprintf(ref_name, sizeof(ref_name), "ngram:retain");
			/* 3a. the reference, its own run */
			snprintf(rtag, sizeof(rtag), "%s%sreference", o.c.tag ? o.c.tag : "", o.c.tag ? " " : "");
			{
				struct uh_run_suite_opts rr = ro;

				for (size_t i = 0; i < fr.n; i++)
					files[i] = fr.path[i];
				keys[0] = "role", vals[0] = "reference";
				keys[1] = "data.kind", vals[1] = o.data ? "user" : muse ? "synthetic (uh synth muse)" :
					"synthetic (uh synth hp)";
				rr.prov_keys = keys;
				rr.prov_values = vals;
				rr.n_prov = 2;
				rr.extra_files = files;
				rr.n_extra_files = fr.n;
				rr.model = ref_name;
				rr.tag = rtag;
				rr.label = "reference";
				rr.has_ref_auc = false;
				rr.ref_self = true;
				rr.ref_desc = NULL;
				rc = muse ? uh_run_muse(st, ref_use, &ms, &rr, &rres, &err)
					  : uh_run_hp(st, ref_use, &hs, tpl, &rr, &rres, &err);
				if (rc) {
					rc = uh_run_cli_failure_code(ref_use, rc, &err);
					goto fail;
				}
			}
			if (muse && rres.has_auc && !o.reference) {
				ro.has_ref_auc = true;
				ro.ref_auc = rres.auc;
				snprintf(refdesc, sizeof(refdesc), "run:%lld (%s)", (long long)rres.run_id, ref_name);
				ro.ref_desc = refdesc;
			}
		} else {
			if ((rc = uh_run_cli_open_backend(&o.c, cache, &model_b, &model_cb, &model_use, &err)))
				goto fail;
			snprintf(model_name, sizeof(model_name), "%s", o.c.model ? o.c.model : uh_backend_model_id(&model_b));
		}
		/* 3b. the model under test */
		for (size_t i = 0; i < fm.n; i++)
			files[i] = fm.path[i];
		keys[0] = "role", vals[0] = "model";
		keys[1] = "data.kind", vals[1] = o.data ? "user" : muse ? "synthetic (uh synth muse)" :
			"synthetic (uh synth hp)";
		ro.prov_keys = keys;
		ro.prov_values = vals;
		ro.n_prov = 2;
		ro.extra_files = files;
		ro.n_extra_files = fm.n;
		ro.model = model_name;
		ro.label = "model";
		rc = muse ? uh_run_muse(st, model_use, &ms, &ro, &mres, &err)
			  : uh_run_hp(st, model_use, &hs, tpl, &ro, &mres, &err);
		if (rc) {
			rc = uh_run_cli_failure_code(model_use, rc, &err);
			goto fail;
		}
	}

	/* 4. the tables */
	if (muse)
		snprintf(what, sizeof(what), "%s", o.split);
	else
		snprintf(what, sizeof(what), "k=%d (prompt words), template %s", o.prompt_words, tpl->name);
	if (rres.run_id) {
		snprintf(title, sizeof(title), "%s %s, profile %s: reference %s (run %lld)", muse ? "MUSE" : "HP",
			 what, o.profile, ref_name, (long long)rres.run_id);
		uh_seval_print(stdout, &rres.ev, title);
		printf("\n");
	}
	snprintf(title, sizeof(title), "%s %s, profile %s: %s (run %lld)", muse ? "MUSE" : "HP",
		 what, o.profile, model_name, (long long)mres.run_id);
	uh_seval_print(stdout, &mres.ev, title);
	printf("\nmodel run %lld (%s, %zu requests, %zu unique, %.2fs)\n", (long long)mres.run_id, model_name,
	       mres.n_requests, mres.n_unique, mres.seconds);
	uh_run_cli_print_cache(stdout, cache, o.c.cache_read_only);
	printf("stored in %s\n", uh_store_path(st));
	fflush(stdout);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "uh run: %s\n", err.msg[0] ? err.msg : uh_strerror(rc));
out:
	rc = uh_exit_status(rc);
	uh_run_suite_result_release(&mres);
	uh_run_suite_result_release(&rres);
	uh_backend_close(&model_cb);
	uh_backend_close(&ref_cb);
	uh_backend_close(&model_b);
	uh_backend_close(&ref_b);
	uh_cache_close(cache);
	uh_store_close(st);
	uh_muse_suite_release(&ms);
	uh_hp_suite_release(&hs);
	docs_release(&dm);
	docs_release(&dr);
	uh_tofu_files_release(&fm);
	uh_tofu_files_release(&fr);
	free(cmdline);
done:
	uh_run_cli_release(&o.c);
	return rc;
}
