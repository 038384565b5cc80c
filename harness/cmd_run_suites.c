/*
 * cmd_run_suites.c - `uh-run --suite muse|hp`: evaluate one model on MUSE or
 * on the Harry Potter copyright suite (cmd_run.c hands over when --suite
 * names one of them).
 *
 * The flow, top to bottom: options; the data (--data, or the synthetic set
 * for --seed, cached); the model: a backend, or the embedded default (an
 * n-gram model trained here on forget + retain text, and a reference
 * trained on retain text only, evaluated first as its own run); the run;
 * the table.
 */
#include "harness/backends/ngram.h"
#include "harness/backends/registry.h"
#include "harness/cmds.h"
#include "harness/err.h"
#include "harness/jsonl.h"
#include "harness/progress.h"
#include "harness/run.h"
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
#include <sys/stat.h>

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
	"  --no-cache            accepted for symmetry with tofu (these suites do not\n"
	"                        use the request cache)\n"
	"  --quiet               no progress on stderr\n";

#define MAX_OPTS 64

struct opts {
	const char *suite, *split, *profile, *data, *backend, *model, *reference, *db, *tag;
	const char *template_name, *ppl_file;
	char *opt_keys[MAX_OPTS];
	const char *opt_vals[MAX_OPTS];
	size_t n_opts;
	uint64_t seed;
	size_t batch;
	int size, prompt_words;
	bool quiet;
};

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static int parse_args(int argc, char **argv, struct opts *o, bool *help)
{
	static const char *const names[] = {
		"--suite", "--split", "--profile", "--data", "--backend", "--model", "--reference",
		"--db", "--tag", "--template", "--ppl-file", "--opt", "--seed", "--batch", "--size",
		"--prompt-words",
	};
	const char **dst[] = {
		&o->suite, &o->split, &o->profile, &o->data, &o->backend, &o->model, &o->reference,
		&o->db, &o->tag, &o->template_name, &o->ppl_file,
	};

	memset(o, 0, sizeof(*o));
	o->batch = UH_RUN_DEFAULT_BATCH;
	o->size = 100;
	o->prompt_words = UH_HP_DEFAULT_PROMPT_WORDS;
	o->template_name = "opt";
	*help = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		bool missing = false;
		size_t k;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*help = true;
			return 0;
		}
		if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			o->quiet = true;
			continue;
		}
		if (!strcmp(a, "--no-cache"))
			continue;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if ((v = opt_value(argc, argv, &i, names[k], &missing)) || missing)
				break;
		if (missing) {
			fprintf(stderr, "uh run: option '%s' needs a value\n", names[k]);
			return 2;
		}
		if (!v) {
			fprintf(stderr, "uh run: %s '%s'\n", a[0] == '-' ? "unknown option" : "unexpected argument", a);
			return 2;
		}
		if (k < sizeof(dst) / sizeof(dst[0])) {
			*dst[k] = v;
		} else if (!strcmp(names[k], "--opt")) {
			const char *eq = strchr(v, '=');

			if (!eq || eq == v) {
				fprintf(stderr, "uh run: --opt wants KEY=VALUE, got '%s'\n", v);
				return 2;
			}
			if (o->n_opts == MAX_OPTS) {
				fprintf(stderr, "uh run: too many --opt (at most %d)\n", MAX_OPTS);
				return 2;
			}
			if (!(o->opt_keys[o->n_opts] = strndup(v, (size_t)(eq - v)))) {
				fprintf(stderr, "uh run: out of memory\n");
				return 3;
			}
			o->opt_vals[o->n_opts++] = eq + 1;
		} else {
			uint64_t x = 0;
			bool ok;
			const char *want;

			if (!strcmp(names[k], "--seed")) {
				ok = parse_u64(v, UINT64_MAX >> 1, &x);
				o->seed = x;
				want = "a non-negative integer";
			} else if (!strcmp(names[k], "--batch")) {
				ok = parse_u64(v, UH_RUN_MAX_BATCH, &x) && x > 0;
				o->batch = (size_t)x;
				want = "an integer 1..65536";
			} else if (!strcmp(names[k], "--size")) {
				ok = parse_u64(v, UH_SYNTH_MUSE_HP_MAX, &x) && x >= UH_SYNTH_MUSE_HP_MIN;
				o->size = (int)x;
				want = "an integer 10..2000";
			} else {
				ok = parse_u64(v, 100000, &x) && x > 0;
				o->prompt_words = (int)x;
				want = "a positive integer";
			}
			if (!ok) {
				fprintf(stderr, "uh run: %s wants %s, got '%s'\n", names[k], want, v);
				return 2;
			}
		}
	}
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

static char *command_line(int argc, char **argv)
{
	size_t n = 1;
	char *s, *p;

	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 3;
	if (!(s = p = malloc(n)))
		return NULL;
	for (int i = 0; i < argc; i++) {
		bool q = strpbrk(argv[i], " \t\n") != NULL;

		p += sprintf(p, "%s%s%s%s", i ? " " : "", q ? "'" : "", argv[i], q ? "'" : "");
	}
	return s;
}

static bool is_dir(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool is_file(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The cached synthetic set: reused while its marker and every file are there. */
static int synth_data(const struct opts *o, const char *db, char *dir, size_t len, struct uh_err *err)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	bool muse = !strcmp(o->suite, "muse");
	const char *const *files = muse ? uh_synth_muse_files() : uh_synth_hp_files();
	char marker[256], path[4400], buf[256];
	bool ok = true;
	FILE *f;
	int rc;

	if (xdg && *xdg)
		snprintf(dir, len, "%s/uh/%s-synth-s%llu-n%d", xdg, o->suite, (unsigned long long)o->seed, o->size);
	else if (home && *home)
		snprintf(dir, len, "%s/.cache/uh/%s-synth-s%llu-n%d", home, o->suite,
			 (unsigned long long)o->seed, o->size);
	else
		snprintf(dir, len, "%s.cache/%s-synth-s%llu-n%d", db, o->suite, (unsigned long long)o->seed, o->size);
	snprintf(marker, sizeof(marker), "uh synth %s\nseed %llu\nn %d\n", o->suite,
		 (unsigned long long)o->seed, o->size);
	snprintf(path, sizeof(path), "%s/%s", dir, UH_SYNTH_MARKER);
	if ((f = fopen(path, "rb"))) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);

		fclose(f);
		buf[n] = '\0';
		ok = !strcmp(buf, marker);
		for (size_t i = 0; ok && files[i]; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
			ok = is_file(path);
		}
		if (ok)
			return 0;
	}
	if (!o->quiet)
		fprintf(stderr, "uh run: writing the synthetic %s set (seed %llu, %d %s) to %s\n",
			muse ? "MUSE" : "HP", (unsigned long long)o->seed, o->size, muse ? "stories" : "passages", dir);
	rc = muse ? uh_synth_muse(dir, o->seed, o->size, UH_SYNTH_FORCE, err)
		  : uh_synth_hp(dir, o->seed, o->size, UH_SYNTH_FORCE, err);
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
	if (!is_file(path))
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

	if (!parse_u64(arg, INT64_MAX, &id) || id == 0)
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
	struct uh_backend model_b = { 0 }, ref_b = { 0 };
	struct uh_muse_suite ms = { 0 };
	struct uh_hp_suite hs = { 0 };
	const struct uh_hp_template *tpl = NULL;
	struct uh_run_suite_result mres = { 0 }, rres = { 0 };
	struct docs dm = { 0 }, dr = { 0 };
	struct uh_tofu_files fm = { 0 }, fr = { 0 };
	enum uh_muse_profile mp = UH_MUSE_PROFILE_MUSE;
	char data[4096], model_name[160], ref_name[160], refdesc[256], *cmdline = NULL, title[512], what[128];
	bool help, muse, embedded;
	const char *db;
	int rc;

	uh_err_clear(&err);
	rc = parse_args(argc, argv, &o, &help);
	if (help) {
		fputs(usage_text, stdout);
		rc = 0;
		goto done;
	}
	if (rc) {
		fputs("(uh-run --help for usage)\n", stderr);
		goto done;
	}
	muse = !strcmp(o.suite, "muse");
	embedded = !o.backend;
	db = uh_store_default_path(o.db);
	if (!(cmdline = command_line(argc, argv))) {
		rc = uh_err_set(&err, UH_ENOMEM, "out of memory");
		goto fail;
	}
	if (muse && (rc = uh_muse_profile_parse(o.profile, &mp, &err)))
		goto fail;
	if (!muse && (rc = uh_hp_template_get(o.template_name, &tpl, &err)))
		goto fail;

	/* 1. the data */
	if (o.data) {
		if (!is_dir(o.data)) {
			rc = uh_err_set(&err, UH_EINVAL, "--data '%s' is not a folder", o.data);
			goto fail;
		}
		snprintf(data, sizeof(data), "%s", o.data);
	} else if ((rc = synth_data(&o, db, data, sizeof(data), &err))) {
		goto fail;
	}
	rc = muse ? uh_muse_suite_load(&ms, data, o.split, mp, &err)
		  : uh_hp_suite_load(&hs, data, o.prompt_words, o.ppl_file, &err);
	if (rc)
		goto fail;
	if ((rc = uh_store_open(&st, db, &err)))
		goto fail;

	{
		struct uh_run_suite_opts ro = {
			.tag = o.tag, .has_seed = true, .seed = (int64_t)o.seed, .batch = o.batch,
			.quiet = o.quiet, .command_line = cmdline,
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
			if (muse && !is_file(rawp)) {
				/* the upstream layout has no raw/: the evaluation texts stand in for the corpora */
				if (!o.quiet)
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
					"the saga, its train prompts and the retain text", o.quiet, &model_b, &err)) ||
			    (rc = train(&dr, muse ? "retain stories and their questions" : "the retain text",
					o.quiet, &ref_b, &err)))
				goto fail;
			snprintf(model_name, sizeof(model_name), "%s", o.model ? o.model : muse ? "ngram:forget+retain" :
				 "ngram:hp+retain");
			snprintf(ref_name, sizeof(ref_name), "ngram:retain");
			/* 3a. the reference, its own run */
			snprintf(rtag, sizeof(rtag), "%s%sreference", o.tag ? o.tag : "", o.tag ? " " : "");
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
				rc = muse ? uh_run_muse(st, &ref_b, &ms, &rr, &rres, &err)
					  : uh_run_hp(st, &ref_b, &hs, tpl, &rr, &rres, &err);
				if (rc)
					goto fail;
			}
			if (muse && rres.has_auc && !o.reference) {
				ro.has_ref_auc = true;
				ro.ref_auc = rres.auc;
				snprintf(refdesc, sizeof(refdesc), "run:%lld (%s)", (long long)rres.run_id, ref_name);
				ro.ref_desc = refdesc;
			}
		} else {
			struct uh_backend_config cfg = {
				.model = o.model, .keys = (const char *const *)o.opt_keys, .values = o.opt_vals,
				.n = o.n_opts,
			};

			if ((rc = uh_backend_open(&model_b, o.backend, &cfg, &err)))
				goto fail;
			snprintf(model_name, sizeof(model_name), "%s", o.model ? o.model : uh_backend_model_id(&model_b));
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
		rc = muse ? uh_run_muse(st, &model_b, &ms, &ro, &mres, &err)
			  : uh_run_hp(st, &model_b, &hs, tpl, &ro, &mres, &err);
		if (rc)
			goto fail;
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
	uh_backend_close(&model_b);
	uh_backend_close(&ref_b);
	uh_store_close(st);
	uh_muse_suite_release(&ms);
	uh_hp_suite_release(&hs);
	docs_release(&dm);
	docs_release(&dr);
	uh_tofu_files_release(&fm);
	uh_tofu_files_release(&fr);
	free(cmdline);
done:
	for (size_t i = 0; i < o.n_opts; i++)
		free(o.opt_keys[i]);
	return rc;
}
