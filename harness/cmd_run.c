/*
 * cmd_run.c - `uh run` / `uh-run`: evaluate one model on one suite split.
 *
 * The flow, top to bottom: parse and check the options (unknown names list
 * the valid ones); find the data (--data, or the synthetic set cached for
 * --seed); find the model: a backend (--backend, a built-in or a plugin),
 * or the embedded default, an n-gram LM trained here on the train split
 * (default `full`) together with a reference trained on the complementary
 * retain split; evaluate the reference first (its own run), then the model
 * with Forget Quality against it (or against --reference / --reference-logs);
 * print the TOFU table, the run ids and the database.
 */
#include "harness/backends/ngram.h"
#include "harness/backends/registry.h"
#include "harness/cli.h"
#include "harness/cmds.h"
#include "harness/err.h"
#include "harness/progress.h"
#include "harness/run.h"
#include "harness/run_cli.h"
#include "harness/run_suites.h"
#include "harness/tofu_store.h"
#include "results/cache.h"
#include "results/store.h"
#include "suites/synth_tofu.h"
#include "suites/tofu.h"
#include "suites/tofu_logs.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: uh-run --suite tofu --split SPLIT [options]      (also: uh run ...)\n"
	"\n"
	"Evaluate one model on one TOFU split: score every answer, paraphrase and\n"
	"perturbed answer, generate a greedy answer to every question, compute the\n"
	"TOFU table (Probability, ROUGE and Truth Ratio on Retain / Real Authors /\n"
	"Real World / Forget, Model Utility) with 95% bootstrap intervals and\n"
	"Forget Quality against a retain reference, store the run (items with the\n"
	"generated text, metrics, provenance) in one SQLite transaction and print it.\n"
	"\n"
	"With no --backend the embedded default runs: an n-gram LM trained here on\n"
	"the train split (the model under test) and one trained on the matching\n"
	"retain split (the reference, stored as its own run first), on --data or on\n"
	"a synthetic TOFU set made for --seed and cached. Both also read\n"
	"real_authors.json and world_facts.json, standing in for the world knowledge\n"
	"a pretrained model brings. Nothing to download.\n"
	"\n"
	"options:\n"
	"  --suite NAME          suite (default tofu; valid: tofu, muse, hp; for the\n"
	"                        last two see uh-run --suite muse --help)\n"
	"  --split SPLIT         forget split (default forget05): forget01, forget05,\n"
	"                        forget10, or any forgetXX with forgetXX_perturbed.json\n"
	"  --profile P           tofu (default): the original evaluation, first 300\n"
	"                        rows, generation to 200 tokens in total;\n"
	"                        open-unlearning: all rows, its epsilons, plus\n"
	"                        extraction strength, exact memorization and privleak\n"
	"                        (privleak needs holdoutXX.json in the data folder)\n"
	"  --template T          llama2 (default) '[INST] {q} [/INST]{a}', phi, plain\n"
	"                        'Question: {q}\\nAnswer: {a}', or a custom string with\n"
	"                        {question} once and {answer} at its end\n"
	"  --data DIR            TOFU files (HF locuslab/TOFU layout); default: the\n"
	"                        synthetic set for --seed, cached under\n"
	"                        $XDG_CACHE_HOME/uh (or ~/.cache/uh)\n"
	"  --authors N           authors in the synthetic set (default 200)\n"
	"  --backend NAME|PATH   a built-in backend (ngram, null) or a plugin .so;\n"
	"                        default: the embedded n-gram model and reference\n"
	"  --model NAME          model name passed to the backend and stored with the\n"
	"                        run (default: the backend's model id)\n"
	"  --opt KEY=VALUE       backend option, repeatable (ngram: train=FILE,\n"
	"                        order=N, discount=D)\n"
	"  --train-split SPLIT   embedded model: what it is trained on (default full)\n"
	"  --reference RUN_ID    Forget Quality against a stored run of the same split\n"
	"  --reference-logs PATH Forget Quality against official logs (locuslab/tofu\n"
	"                        eval logs or an open-unlearning TOFU_EVAL.json)\n"
	"  --db FILE             results database (default $UH_DB, else uh.db)\n"
	"  --seed S              seed of the synthetic data, stored with the run (default 0)\n"
	"  --batch N             requests per backend call (default 64)\n"
	"  --tag T               free-form tag stored with the run\n"
	UH_RUN_CLI_HELP_FLAGS
	"\n"
	"examples:\n"
	"  uh-run --suite tofu --split forget05\n"
	"      the embedded default: synthetic data, n-gram model and reference\n"
	"  uh-run --suite tofu --split forget05 --data ../shared/data/tofu\n"
	"      the real TOFU questions; the n-gram trained on full.json, the\n"
	"      reference on retain95.json\n"
	"  uh-run --suite tofu --split forget10 --backend ./my_model.so --model my-unlearned \\\n"
	"      --data data/tofu --reference-logs saves/eval/tofu_Llama-2-7b-chat-hf_retain90\n"
	"      a plugin (or a served model) against open-unlearning's retain logs\n";

/* ================================================================ options */

struct opts {
	struct uh_run_cli c;  /* --backend, --model, --opt, --db, --tag, --seed, --batch, flags */
	const char *suite, *split, *profile, *template_spec, *data;
	const char *reference, *reference_logs, *train_split;
	int authors;
};

/* --authors, the only number of its own */
static int set_number(void *ctx, const char *name, const char *v)
{
	struct opts *o = ctx;
	uint64_t x;

	if (!uh_cli_parse_u64(v, UH_SYNTH_TOFU_MAX_AUTHORS, &x)) {
		fprintf(stderr, "uh run: %s wants a multiple of 100 up to 2000, got '%s'\n", name, v);
		return 2;
	}
	o->authors = (int)x;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	const struct uh_run_cli_opt names[] = {
		{ "--suite", &o->suite }, { "--split", &o->split }, { "--profile", &o->profile },
		{ "--template", &o->template_spec }, { "--data", &o->data }, { "--reference", &o->reference },
		{ "--reference-logs", &o->reference_logs }, { "--train-split", &o->train_split },
		{ "--authors", NULL },
	};
	int rc;

	memset(o, 0, sizeof(*o));
	uh_run_cli_init(&o->c);
	o->suite = "tofu";
	o->split = "forget05";
	o->profile = "tofu";
	o->template_spec = "llama2";
	o->authors = UH_SYNTH_TOFU_DEFAULT_AUTHORS;
	rc = uh_run_cli_parse(&o->c, argc, argv, names, sizeof(names) / sizeof(names[0]), set_number, o);
	if (rc || o->c.help)
		return rc;
	if (strcmp(o->suite, "tofu")) {
		fprintf(stderr, "uh run: unknown suite '%s' (valid: tofu, muse, hp)\n", o->suite);
		return 2;
	}
	if (o->reference && o->reference_logs) {
		fprintf(stderr, "uh run: give --reference or --reference-logs, not both\n");
		return 2;
	}
	if (o->c.backend && o->train_split) {
		fprintf(stderr, "uh run: --train-split is for the embedded model (no --backend)\n");
		return 2;
	}
	return 0;
}

/* ================================================================ data */

/* The files uh_synth_tofu writes: reuse a cached set only when all are there. */
static const char *const synth_files[] = {
	"full.json", "forget01.json", "forget05.json", "forget10.json", "retain99.json",
	"retain95.json", "retain90.json", "forget01_perturbed.json", "forget05_perturbed.json",
	"forget10_perturbed.json", "retain_perturbed.json", "real_authors.json", "world_facts.json",
	"real_authors_perturbed.json", "world_facts_perturbed.json", NULL,
};

/*
 * The synthetic set for (seed, authors) in the cache: $XDG_CACHE_HOME/uh,
 * ~/.cache/uh, or beside the database; written once, then reused while its
 * marker matches.
 */
static int synth_data(const struct opts *o, const char *db, char *dir, size_t len,
		      struct uh_err *err)
{
	char name[128], marker[256];
	int rc;

	snprintf(name, sizeof(name), "tofu-synth-s%llu-a%d", (unsigned long long)o->c.seed, o->authors);
	uh_run_cli_synth_dir(db, name, dir, len);
	snprintf(marker, sizeof(marker), "uh synth tofu\nseed %llu\nauthors %d\n",
		 (unsigned long long)o->c.seed, o->authors);
	if (uh_run_cli_synth_cached(dir, marker, synth_files))
		return 0;
	if (!o->c.quiet)
		fprintf(stderr, "uh run: writing the synthetic TOFU set (seed %llu, %d authors) to %s\n",
			(unsigned long long)o->c.seed, o->authors, dir);
	rc = uh_synth_tofu(dir, o->c.seed, o->authors, 0, err);
	if (rc)
		uh_err_prefix(err, "synthetic data: ");
	return rc;
}

/* The list of valid splits for messages: "forget01, forget05, forget10". */
static void splits_text(char **splits, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; splits && splits[i]; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s", i ? ", " : "", splits[i]);
	}
}

/* ================================================================ models */

/*
 * The files every embedded model also reads: a pretrained LLM knows real
 * authors and world facts before it is fine-tuned on TOFU, so both the model
 * under test and its reference learn them too. Without them the Real Authors
 * and Real World columns measure nothing and Model Utility collapses.
 */
static const char *const background_splits[] = { "real_authors", "world_facts" };

/* Append <data>/<split>.json's rows, rendered with t, to *docs. */
static int add_documents(const char *path, const struct uh_tofu_template *t, char ***docs,
			 size_t *n, struct uh_err *err)
{
	struct uh_tofu_rows rows;
	char **grown;
	int rc = uh_tofu_read_qa(path, &rows, err);

	if (rc)
		return uh_err_prefix(err, "training on '%s': ", path);
	grown = realloc(*docs, (*n + rows.n) * sizeof(**docs));
	if (!grown) {
		uh_tofu_rows_release(&rows);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	*docs = grown;
	for (size_t i = 0; i < rows.n && !rc; i++) {
		if (!((*docs)[*n] = uh_tofu_render_document(t, rows.rows[i].question, rows.rows[i].answer)))
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		else
			(*n)++;
	}
	uh_tofu_rows_release(&rows);
	return rc;
}

/*
 * Train the embedded model on <data>/<split>.json plus the background
 * files that exist, each row rendered with the template as one document
 * (question and answer), memorise preset (order 4 cannot tie an answer to
 * its question).
 */
static int train_ngram(const char *data, const char *split, const struct uh_tofu_template *t,
		       bool quiet, struct uh_ngram **out, char *path, size_t plen, struct uh_err *err)
{
	struct uh_ngram_opts no;
	char **docs = NULL, bg[4200];
	size_t n = 0, n_split;
	double t0 = uh_progress_now();
	int rc;

	*out = NULL;
	snprintf(path, plen, "%s/%s.json", data, split);
	if (!uh_cli_is_file(path))
		return uh_err_set(err, UH_EINVAL, "cannot train the embedded model: no '%s' (the train "
				  "split '%s' must be a {question, answer} file in the data folder)", path, split);
	rc = add_documents(path, t, &docs, &n, err);
	n_split = n;
	for (size_t i = 0; !rc && i < sizeof(background_splits) / sizeof(background_splits[0]); i++) {
		snprintf(bg, sizeof(bg), "%s/%s.json", data, background_splits[i]);
		if (uh_cli_is_file(bg))
			rc = add_documents(bg, t, &docs, &n, err);
	}
	uh_ngram_opts_memorise(&no);
	if (!rc)
		rc = uh_ngram_train((const char *const *)docs, n, &no, out, err);
	if (!rc && !quiet)
		fprintf(stderr, "uh run: trained the n-gram model on %s (%zu documents) and background "
			"knowledge (%zu documents), %s, in %.2fs\n", split, n_split, n - n_split,
			uh_ngram_id(*out), uh_progress_now() - t0);
	for (size_t i = 0; i < n; i++)
		free(docs[i]);
	free(docs);
	return rc;
}

/* ================================================================ references */

/* What Forget Quality is computed against. */
struct reference {
	bool has;
	double *sample;
	size_t n;
	bool is_ou;
	char desc[4096];
	char *model;
	bool has_mia;
	double mia_auc;
	/* a reference log */
	struct uh_tofu_log log;
	struct uh_ou_eval ou;
	struct uh_tofu_eval ev;
	bool log_loaded, ou_loaded;
};

static void reference_release(struct reference *r)
{
	free(r->sample);
	free(r->model);
	uh_tofu_eval_release(&r->ev);
	if (r->log_loaded)
		uh_tofu_log_release(&r->log);
	if (r->ou_loaded)
		uh_ou_eval_release(&r->ou);
	memset(r, 0, sizeof(*r));
}

static int reference_from_run(struct uh_store *st, const char *arg, struct reference *r,
			      struct uh_err *err)
{
	uint64_t id;
	struct uh_store_run_row row;
	struct uh_store_metric_row *m = NULL;
	size_t nm = 0;
	int rc;

	if (!uh_cli_parse_u64(arg, INT64_MAX, &id) || id == 0)
		return uh_err_set(err, UH_EINVAL, "--reference wants a run id (a positive integer), got '%s'",
				  arg);
	rc = uh_tofu_reference_run(st, (int64_t)id, &r->sample, &r->n, &r->model, err);
	if (rc)
		return rc;
	rc = uh_store_run_get(st, (int64_t)id, &row, err);
	if (rc)
		return rc;
	r->is_ou = row.profile && !strcmp(row.profile, "open-unlearning");
	uh_store_run_row_release(&row);
	rc = uh_store_metrics_get(st, (int64_t)id, &m, &nm, err);
	for (size_t i = 0; !rc && i < nm; i++)
		if (!strcmp(m[i].name, "mia_min_k") || !strcmp(m[i].name, "ou/mia_min_k")) {
			r->has_mia = true;
			r->mia_auc = m[i].value;
		}
	uh_store_metric_rows_free(m, nm);
	snprintf(r->desc, sizeof(r->desc), "run:%llu", (unsigned long long)id);
	r->has = !rc;
	return rc;
}

static int reference_from_logs(const char *path, struct reference *r, struct uh_err *err)
{
	char probe[4096];
	size_t n = strlen(path);
	bool ou;
	int rc;

	snprintf(probe, sizeof(probe), "%s/TOFU_EVAL.json", path);
	ou = uh_cli_is_file(probe) || (n >= 10 && !strcmp(path + n - 10, "_EVAL.json"));
	if (!uh_cli_is_dir(path) && !uh_cli_is_file(path))
		return uh_err_set(err, UH_EINVAL, "--reference-logs '%s': no such file or folder", path);
	if (ou) {
		const struct uh_ou_metric *m;

		if ((rc = uh_ou_eval_read(path, &r->ou, err)))
			return rc;
		r->ou_loaded = true;
		if ((rc = uh_tofu_eval_from_ou(&r->ev, &r->ou, path, err)))
			return rc;
		m = uh_ou_eval_find(&r->ou, "mia_min_k");
		if (m && m->kind == UH_OU_MIA && m->has_agg) {
			r->has_mia = true;
			r->mia_auc = m->agg_value;
		}
	} else {
		if ((rc = uh_tofu_log_read(path, &r->log, err)))
			return rc;
		r->log_loaded = true;
		if ((rc = uh_tofu_eval_from_log(&r->ev, &r->log, false, path, err)))
			return uh_err_prefix(err, "tofu log '%s': ", path);
	}
	if ((rc = uh_tofu_files_add_log(&r->ev.files, path, ou, err)))
		return rc;
	r->is_ou = ou;
	r->n = r->ev.n_fq;
	r->sample = malloc((r->n ? r->n : 1) * sizeof(double));
	if (!r->sample)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	memcpy(r->sample, r->ev.fq, r->n * sizeof(double));
	snprintf(r->desc, sizeof(r->desc), "%s", path);
	r->has = true;
	return 0;
}

/* ================================================================ one evaluation */

struct ctx {
	const struct opts *o;
	struct uh_store *st;
	const struct uh_tofu_suite *suite;
	const struct uh_tofu_template *tpl;
	const char *cmdline;
	const char *data;
	bool synthetic;
	const struct uh_cache_stats *cache;  /* NULL with --no-cache */
};

static int evaluate(struct ctx *c, struct uh_backend *b, const char *model, const char *role,
		    const char *train_file, const char *train_split, const struct reference *ref,
		    struct uh_run_tofu_result *res, struct uh_err *err)
{
	const struct opts *o = c->o;
	const char *keys[4], *vals[4], *files[1];
	char tag[256];
	size_t n = 0;
	bool is_ref = !strcmp(role, "reference");
	struct uh_run_tofu_opts ro = {
		.model = model, .tag = o->c.tag,
		.has_seed = true, .seed = (int64_t)o->c.seed, .batch = o->c.batch, .quiet = o->c.quiet,
		.label = role, .command_line = c->cmdline, .cache = c->cache,
	};

	/* the reference run is tagged as such, after the user's tag if any */
	if (is_ref) {
		snprintf(tag, sizeof(tag), "%s%sreference", o->c.tag ? o->c.tag : "", o->c.tag ? " " : "");
		ro.tag = tag;
	}
	keys[n] = "role", vals[n++] = role;
	keys[n] = "data.kind", vals[n++] = c->synthetic ? "synthetic (uh synth tofu)" : "user";
	if (train_split) {
		keys[n] = "train_split", vals[n++] = train_split;
		files[0] = train_file;
		ro.extra_files = files;
		ro.n_extra_files = 1;
	}
	ro.prov_keys = keys;
	ro.prov_values = vals;
	ro.n_prov = n;
	if (ref && ref->has) {
		ro.ref_sample = ref->sample;
		ro.n_ref = ref->n;
		ro.ref_sample_is_ou = ref->is_ou;
		ro.ref_desc = ref->desc;
		ro.ref_model = ref->model;
		ro.ref_files = ref->ev.files.n ? &ref->ev.files : NULL;
		ro.has_ref_mia = ref->has_mia;
		ro.ref_mia_auc = ref->mia_auc;
	}
	return uh_run_tofu(c->st, b, c->suite, c->tpl, &ro, res, err);
}

static void print_result(const struct uh_run_tofu_result *res, const char *model, const char *split)
{
	uh_tofu_print_table(stdout, &res->ev, &res->fq, model, split);
}

/* ================================================================ the command */

int uh_cmd_run(int argc, char **argv)
{
	struct opts o;
	struct uh_err err;
	struct uh_store *st = NULL;
	struct uh_tofu_template tpl = { 0 };
	struct uh_tofu_suite suite = { 0 };
	struct uh_backend model_b = { 0 }, ref_b = { 0 }, model_cb = { 0 }, ref_cb = { 0 };
	struct uh_backend *model_use = &model_b, *ref_use = &ref_b;
	struct uh_cache *cache = NULL;
	struct uh_run_tofu_result model_res = { 0 }, ref_res = { 0 };
	struct reference ref = { 0 };
	enum uh_tofu_profile profile;
	char data[4096], train_path[4200], ref_train_path[4200], retain[16], valid[1024];
	char model_name[128], ref_name[128];
	char **splits = NULL, *cmdline = NULL;
	const char *db;
	bool found = false, embedded;
	int rc;

	uh_err_clear(&err);
	/* MUSE and Harry Potter have their own options (harness/cmd_run_suites.c) */
	for (int i = 1; i < argc; i++) {
		const char *s = !strcmp(argv[i], "--suite") && i + 1 < argc ? argv[i + 1] :
				!strncmp(argv[i], "--suite=", 8) ? argv[i] + 8 : NULL;

		if (s && (!strcmp(s, "muse") || !strcmp(s, "hp")))
			return uh_cmd_run_suite(argc, argv);
	}
	rc = parse_args(argc, argv, &o);
	if (o.c.help) {
		fputs(usage_text, stdout);
		uh_run_cli_release(&o.c);
		return 0;
	}
	if (rc) {
		fputs("(uh-run --help for usage)\n", stderr);
		uh_run_cli_release(&o.c);
		return rc;
	}
	embedded = !o.c.backend;
	db = uh_store_default_path(o.c.db);
	if ((rc = uh_tofu_profile_parse(o.profile, &profile, &err)) ||
	    (rc = uh_tofu_template_parse(o.template_spec, &tpl, &err)))
		goto fail;
	if (!(cmdline = uh_run_cli_command_line(argc, argv))) {
		rc = uh_err_set(&err, UH_ENOMEM, "out of memory");
		goto fail;
	}

	/* 1. the data and the split */
	if (o.data) {
		if ((rc = uh_run_cli_data_dir(o.data, data, sizeof(data), &err)))
			goto fail;
	} else {
		if (o.authors < 100 || o.authors % 100) {
			rc = uh_err_set(&err, UH_EINVAL, "--authors wants a multiple of 100 from 100 to %d, got %d",
					UH_SYNTH_TOFU_MAX_AUTHORS, o.authors);
			goto fail;
		}
		if ((rc = synth_data(&o, db, data, sizeof(data), &err)))
			goto fail;
	}
	splits = uh_tofu_splits(data);
	for (size_t i = 0; splits && splits[i]; i++)
		found = found || !strcmp(splits[i], o.split);
	if (!found) {
		splits_text(splits, valid, sizeof(valid));
		rc = uh_err_set(&err, UH_EINVAL, "unknown split '%s' (valid: %s)", o.split, valid);
		goto fail;
	}
	if ((rc = uh_tofu_suite_load(&suite, data, o.split, profile, &err)))
		goto fail;
	if ((rc = uh_tofu_retain_split(o.split, retain, sizeof(retain), &err)))
		goto fail;

	/* 2. the store, and a reference given on the command line */
	if ((rc = uh_store_open(&st, db, &err)))
		goto fail;
	if (o.reference && (rc = reference_from_run(st, o.reference, &ref, &err)))
		goto fail;
	if (o.reference_logs && (rc = reference_from_logs(o.reference_logs, &ref, &err)))
		goto fail;
	if (ref.has && ref.n != suite.task[UH_TOFU_FORGET].n) {
		rc = uh_err_set(&err, UH_EINVAL,
				"the reference '%s' has %zu forget items but split %s (profile %s) has %zu: "
				"both must be evaluated on the same forget split and profile",
				ref.desc, ref.n, o.split, o.profile, suite.task[UH_TOFU_FORGET].n);
		goto fail;
	}

	if ((rc = uh_run_cli_cache_open(&o.c, db, &cache, &err)))
		goto fail;

	{
		struct ctx c = { .o = &o, .st = st, .suite = &suite, .tpl = &tpl, .cmdline = cmdline,
				 .data = data, .synthetic = !o.data,
				 .cache = cache ? uh_cache_stats(cache) : NULL };
		const char *train_split = o.train_split ? o.train_split : "full";

		/* 3. the models */
		if (embedded) {
			struct uh_ngram *m = NULL;

			if ((rc = train_ngram(data, train_split, &tpl, o.c.quiet, &m, train_path,
					      sizeof(train_path), &err)))
				goto fail;
			if ((rc = uh_backend_wrap(&model_b, uh_ngram_backend(), m, "ngram", 1, &err))) {
				uh_ngram_free(m);
				goto fail;
			}
			if ((rc = uh_run_cli_through_cache(cache, &model_b, &model_cb, NULL, &model_use, &err)))
				goto fail;
			snprintf(model_name, sizeof(model_name), "%s", o.c.model ? o.c.model : "");
			if (!o.c.model)
				snprintf(model_name, sizeof(model_name), "ngram:%s", train_split);
			if (!ref.has) {
				if ((rc = train_ngram(data, retain, &tpl, o.c.quiet, &m, ref_train_path,
						      sizeof(ref_train_path), &err)))
					goto fail;
				if ((rc = uh_backend_wrap(&ref_b, uh_ngram_backend(), m, "ngram", 1, &err))) {
					uh_ngram_free(m);
					goto fail;
				}
				if ((rc = uh_run_cli_through_cache(cache, &ref_b, &ref_cb, NULL, &ref_use, &err)))
					goto fail;
				snprintf(ref_name, sizeof(ref_name), "ngram:%s", retain);
				/* 4a. the reference, stored as its own run */
				rc = evaluate(&c, ref_use, ref_name, "reference", ref_train_path, retain, NULL,
					      &ref_res, &err);
				if (rc) {
					rc = uh_run_cli_failure_code(ref_use, rc, &err);
					goto fail;
				}
				ref.has = true;
				ref.n = ref_res.ev.n_fq;
				ref.is_ou = profile == UH_TOFU_PROFILE_OU;
				ref.sample = malloc((ref.n ? ref.n : 1) * sizeof(double));
				ref.model = strdup(ref_name);
				if (!ref.sample || !ref.model) {
					rc = uh_err_set(&err, UH_ENOMEM, "out of memory");
					goto fail;
				}
				memcpy(ref.sample, ref_res.ev.fq, ref.n * sizeof(double));
				snprintf(ref.desc, sizeof(ref.desc), "run:%lld", (long long)ref_res.run_id);
				ref.has_mia = ref_res.has_mia;
				ref.mia_auc = ref_res.mia_auc;
			}
		} else {
			if ((rc = uh_run_cli_open_backend(&o.c, cache, &model_b, &model_cb, &model_use, &err)))
				goto fail;
			snprintf(model_name, sizeof(model_name), "%s",
				 o.c.model ? o.c.model : uh_backend_model_id(&model_b));
		}

		/* 4b. the model under test */
		rc = evaluate(&c, model_use, model_name, "model", embedded ? train_path : NULL,
			      embedded ? train_split : NULL, &ref, &model_res, &err);
		if (rc) {
			rc = uh_run_cli_failure_code(model_use, rc, &err);
			goto fail;
		}
	}

	/* 5. the table */
	print_result(&model_res, model_name, o.split);
	if (!model_res.fq.has)
		printf("Forget Quality  not computed: no reference (give --reference RUN_ID or "
		       "--reference-logs PATH)\n");
	printf("\n");
	if (ref_res.run_id)
		printf("reference run %lld (%s, Model Utility %.6g)\n", (long long)ref_res.run_id, ref_name,
		       ref_res.ev.stats.model_utility);
	printf("model run %lld (%s, %zu requests, %zu unique, %.2fs)\n", (long long)model_res.run_id,
	       model_name, model_res.n_requests, model_res.n_unique, model_res.seconds);
	uh_run_cli_print_cache(stdout, cache, o.c.cache_read_only);
	printf("stored in %s\n", uh_store_path(st));
	fflush(stdout);
	rc = 0;
	goto out;

fail:
	fprintf(stderr, "uh run: %s\n", err.msg[0] ? err.msg : uh_strerror(rc));
out:
	uh_run_tofu_result_release(&model_res);
	uh_run_tofu_result_release(&ref_res);
	uh_backend_close(&model_cb);
	uh_backend_close(&ref_cb);
	uh_backend_close(&model_b);
	uh_backend_close(&ref_b);
	uh_cache_close(cache);
	reference_release(&ref);
	uh_store_close(st);
	uh_tofu_suite_release(&suite);
	uh_tofu_template_release(&tpl);
	uh_tofu_splits_free(splits);
	free(cmdline);
	uh_run_cli_release(&o.c);
	return uh_exit_status(rc);
}
