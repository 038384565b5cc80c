/*
 * cmd_import.c - `uh import tofu-logs|ou-logs PATH [--reference PATH|RUN]`:
 * bring official per-sample TOFU / open-unlearning eval logs into the
 * results store and print the TOFU table.
 *
 * The flow, top to bottom: parse options; read the logs (suites/tofu_logs.h);
 * make them a TOFU table (harness/tofu_store.h: the twelve numbers, Model
 * Utility, per-item terms, intervals); read the reference (logs, or the
 * forget items of a run already in the store) and compute Forget Quality;
 * hash every file read; store run, provenance, items and metrics in one
 * transaction (the same code the runner stores a run with); print.
 * Everything that can fail on bad input fails before the transaction opens,
 * and the transaction rolls back on any later failure, so a failed import
 * leaves no run behind.
 */
#include "harness/cli.h"
#include "harness/cmds.h"
#include "harness/err.h"
#include "harness/muse_import.h"
#include "harness/tofu_store.h"
#include "harness/version.h"
#include "metrics/ks.h"
#include "metrics/tofu_agg.h"
#include "results/store.h"
#include "suites/tofu_logs.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: uh import tofu-logs PATH [--reference PATH|RUN] [--db FILE] [--tag T] [--model NAME]\n"
	"       uh import ou-logs PATH [--reference PATH|RUN] [--db FILE] [--tag T] [--model NAME]\n"
	"\n"
	"Import official per-sample evaluation logs into the results store, recompute the\n"
	"TOFU aggregates from the per-sample values and print the TOFU table, with\n"
	"95% percentile-bootstrap intervals (1000 resamples, fixed seed). Run, items,\n"
	"metrics and the sha256 of every file read are stored in one transaction.\n"
	"\n"
	"formats:\n"
	"  tofu-logs  locuslab/tofu eval logs (profile 'tofu'): a directory holding\n"
	"             eval_log.json, eval_real_author_wo_options.json,\n"
	"             eval_real_world_wo_options.json and eval_log_forget.json, or one\n"
	"             eval_log_aggregated.json (the directory or the file itself).\n"
	"             Both the new format (values keyed \"0\"..\"N-1\") and the old one\n"
	"             (plain lists, no truth_ratio) are read.\n"
	"  ou-logs    open-unlearning results (profile 'open-unlearning'): a directory\n"
	"             holding TOFU_EVAL.json (and TOFU_SUMMARY.json), or the EVAL file.\n"
	"             The stored agg_values are recomputed and checked. A MUSE result\n"
	"             (MUSE_EVAL.json) is stored as suite 'muse'; its --reference is\n"
	"             the retain model's MUSE logs (privleak uses their min-k AUC)\n"
	"\n"
	"options:\n"
	"  --reference PATH|RUN  the retain model of the same forget split, as logs of\n"
	"                        the same format or as the id of a run already in the\n"
	"                        store; adds Forget Quality (KS test of the forget truth\n"
	"                        ratios) and the KS statistic\n"
	"  --db FILE             results database (default $UH_DB, else uh.db)\n"
	"  --tag T               free-form tag stored with the run\n"
	"  --model NAME          model name (default: the log directory's name)\n"
	"\n"
	"example:\n"
	"  uh import tofu-logs data/tofu-logs/tofu-llama2-7b_full_wd0.01 \\\n"
	"      --reference data/tofu-logs/tofu-llama2-7b_retain90_wd0.01 --db uh.db\n";

/* ================================================================ small helpers */

/* The name of the log: the directory's name, or the file's directory's. Caller frees. */
static char *log_name(const char *path)
{
	size_t n = strlen(path);
	char *p = malloc(n + 1);
	char *slash;

	if (!p)
		return NULL;
	memcpy(p, path, n + 1);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	if (!uh_cli_is_dir(p)) {
		slash = strrchr(p, '/');
		if (slash && slash != p)
			*slash = '\0';
		else if (!slash)
			strcpy(p, ".");
	}
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	slash = strrchr(p, '/');
	if (slash && slash[1])
		memmove(p, slash + 1, strlen(slash + 1) + 1);
	if (!strcmp(p, ".") || !strcmp(p, "..")) {
		char *real = realpath(p, NULL);

		if (real) {
			char *s = strrchr(real, '/');

			free(p);
			p = malloc(strlen(s && s[1] ? s + 1 : real) + 1);
			if (p)
				strcpy(p, s && s[1] ? s + 1 : real);
			free(real);
		}
	}
	return p;
}

/* The TOFU split that a forget item count means. */
static const char *split_for(size_t n_forget)
{
	switch (n_forget) {
	case 40: return "forget01";
	case 200: return "forget05";
	case 300: /* the original code's first 300 rows (ds_size300) */
	case 400: return "forget10";
	default: return NULL;
	}
}

/* ================================================================ the data of one import */

enum kind { KIND_TOFU, KIND_OU };

/* One log as read, and its TOFU table. */
struct side {
	enum kind kind;
	const char *path;
	struct uh_tofu_log tofu;
	struct uh_ou_eval ou;
	bool loaded;
	struct uh_tofu_eval ev;
};

static void side_release(struct side *s)
{
	uh_tofu_eval_release(&s->ev);
	if (s->loaded) {
		if (s->kind == KIND_TOFU)
			uh_tofu_log_release(&s->tofu);
		else
			uh_ou_eval_release(&s->ou);
	}
	memset(s, 0, sizeof(*s));
}

/* Read the logs and make their TOFU table (with intervals when bootstrap). */
static int load_side(struct side *s, bool bootstrap, struct uh_err *err)
{
	int rc;

	if (s->kind == KIND_TOFU) {
		rc = uh_tofu_log_read(s->path, &s->tofu, err);
		if (rc)
			return rc;
		s->loaded = true;
		rc = uh_tofu_eval_from_log(&s->ev, &s->tofu, false, s->path, err);
		if (rc)
			return uh_err_prefix(err, "tofu log '%s': ", s->path);
	} else {
		rc = uh_ou_eval_read(s->path, &s->ou, err);
		if (rc)
			return rc;
		s->loaded = true;
		rc = uh_tofu_eval_from_ou(&s->ev, &s->ou, s->path, err);
		if (rc)
			return rc;
	}
	if (bootstrap && (rc = uh_tofu_eval_bootstrap(&s->ev, err)))
		return rc;
	return uh_tofu_files_add_log(&s->ev.files, s->path, s->kind == KIND_OU, err);
}

/*
 * open-unlearning's own metrics beyond the table (privleak, extraction
 * strength, the MIAs, ...), recomputed where possible (privleak against the
 * reference log's AUC), stored as "ou/<name>".
 */
static int add_ou_metrics(struct side *s, const struct uh_ou_eval *ref_ou, struct uh_err *err)
{
	char buf[300];
	int rc = 0;

	for (size_t j = 0; j < s->ou.n_metrics && !rc; j++) {
		const struct uh_ou_metric *m = &s->ou.metrics[j];
		double v;
		bool avail = false;

		/* forget_quality is ours, computed against the reference */
		if (!strcmp(m->name, "forget_quality"))
			continue;
		rc = uh_tofu_agg_ou_recompute(&s->ou, ref_ou, m->name, &v, &avail, err);
		if (rc)
			break;
		if (!avail) {
			if (!m->has_agg)
				continue;
			v = m->agg_value;  /* as stored: not recomputable here */
		}
		snprintf(buf, sizeof(buf), "ou/%s", m->name);
		rc = uh_tofu_eval_add_metric(&s->ev, buf, v, m->n ? (int64_t)m->n : -1, NULL, err);
	}
	return rc;
}

/* ================================================================ the command */

struct opts {
	enum kind kind;
	const char *path, *reference, *db, *tag, *model;
};

static int parse_args(int argc, char **argv, struct opts *o, bool *help)
{
	static const char *const names[] = { "--reference", "--db", "--tag", "--model" };
	bool have_kind = false;

	memset(o, 0, sizeof(*o));
	*help = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		bool missing = false;
		size_t k;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*help = true;
			return 0;
		}
		v = uh_cli_opt_among(argc, argv, &i, names, sizeof(names) / sizeof(names[0]), &k, &missing);
		if (missing) {
			fprintf(stderr, "uh import: option '%s' needs a value\n", names[k]);
			return 2;
		}
		if (v) {
			const char **dst[] = { &o->reference, &o->db, &o->tag, &o->model };

			*dst[k] = v;
			continue;
		}
		if (a[0] == '-' && a[1]) {
			fprintf(stderr, "uh import: unknown option '%s'\n", a);
			return 2;
		}
		if (!have_kind) {
			have_kind = true;
			if (!strcmp(a, "tofu-logs"))
				o->kind = KIND_TOFU;
			else if (!strcmp(a, "ou-logs"))
				o->kind = KIND_OU;
			else {
				fprintf(stderr, "uh import: unknown format '%s' (tofu-logs or ou-logs)\n", a);
				return 2;
			}
			continue;
		}
		if (o->path) {
			fprintf(stderr, "uh import: unexpected argument '%s'\n", a);
			return 2;
		}
		o->path = a;
	}
	if (!have_kind || !o->path) {
		fprintf(stderr, "uh import: %s\n", !have_kind ? "which format? (tofu-logs or ou-logs)"
							     : "missing PATH of the logs");
		return 2;
	}
	if (o->model && !*o->model) {
		fprintf(stderr, "uh import: --model is empty\n");
		return 2;
	}
	return 0;
}

/* A reference that is not an existing path but a positive integer is a run id. */
static bool parse_run_id(const char *s, int64_t *id)
{
	uint64_t v;

	if (!uh_cli_parse_u64(s, INT64_MAX, &v) || v == 0)
		return false;
	*id = (int64_t)v;
	return true;
}

/*
 * A reference run's KS sample in this import's convention: R for the
 * locuslab/tofu profile, open-unlearning's truth-ratio score s = 1/R for
 * ou-logs (as the runner converts it, harness/run.c). A run of the other
 * profile has its sample inverted, not compared as is.
 */
static int reference_convention(struct uh_store *st, int64_t id, bool mine_ou, double *sample,
				size_t n, struct uh_err *err)
{
	struct uh_store_run_row row;
	bool ref_ou;
	int rc = uh_store_run_get(st, id, &row, err);

	if (rc)
		return uh_err_prefix(err, "reference: ");
	ref_ou = row.profile && !strcmp(row.profile, "open-unlearning");
	uh_store_run_row_release(&row);
	if (ref_ou != mine_ou)
		for (size_t i = 0; i < n; i++)
			sample[i] = 1 / sample[i];
	return 0;
}

int uh_cmd_import(int argc, char **argv)
{
	struct opts o;
	struct side s = { 0 }, ref = { 0 };
	struct uh_tofu_fq fq = { 0 };
	struct uh_store *st = NULL;
	struct uh_err err;
	bool help;
	int64_t ref_id = 0, run_id = 0;
	char *model = NULL, *ref_model = NULL;
	double *ref_sample = NULL;
	size_t n_ref = 0;
	const char *split, *profile, *refdesc = NULL;
	char refbuf[64];
	int rc;

	uh_err_clear(&err);
	rc = parse_args(argc, argv, &o, &help);
	if (help) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (rc) {
		fputs("(uh import --help for usage)\n", stderr);
		return rc;
	}
	profile = o.kind == KIND_TOFU ? "tofu" : "open-unlearning";
	/* open-unlearning's MUSE results are not a TOFU table (harness/muse_import.c) */
	if (o.kind == KIND_OU && uh_muse_import_is_muse(o.path))
		return uh_muse_import_cmd(o.path, o.reference, o.db, o.tag, o.model);

	/* 1. the logs */
	s.kind = o.kind;
	s.path = o.path;
	rc = load_side(&s, true, &err);
	if (rc)
		goto fail;

	/* 2. the reference: logs of the same format, or a run in the store */
	if (o.reference) {
		if (!uh_cli_is_dir(o.reference) && !uh_cli_is_file(o.reference)) {
			if (!parse_run_id(o.reference, &ref_id)) {
				rc = uh_err_set(&err, UH_EINVAL,
						"reference '%s' is neither a log path nor a run id", o.reference);
				goto fail;
			}
		} else {
			ref.kind = o.kind;
			ref.path = o.reference;
			rc = load_side(&ref, false, &err);
			if (rc)
				goto fail;
			refdesc = o.reference;
		}
	}

	/* 3. the store (a reference run is read from it) */
	rc = uh_store_open(&st, uh_store_default_path(o.db), &err);
	if (rc)
		goto fail;
	if (o.reference) {
		if (ref_id) {
			rc = uh_tofu_reference_run(st, ref_id, &ref_sample, &n_ref, &ref_model, &err);
			if (rc)
				goto fail;
			rc = reference_convention(st, ref_id, s.kind == KIND_OU, ref_sample, n_ref, &err);
			if (rc)
				goto fail;
			snprintf(refbuf, sizeof(refbuf), "run:%lld", (long long)ref_id);
			refdesc = refbuf;
		}
		rc = uh_tofu_fq_compute(&fq, &s.ev, ref_id ? ref_sample : ref.ev.fq,
					ref_id ? n_ref : ref.ev.n_fq, refdesc, ref_model, &err);
		if (rc)
			goto fail;
		if (!ref_id) {
			fq.files = &ref.ev.files;
			fq.ou = ref.kind == KIND_OU ? &ref.ou : NULL;
		}
	}
	if (s.kind == KIND_OU && (rc = add_ou_metrics(&s, fq.ou, &err)))
		goto fail;

	/* 4. one transaction */
	model = o.model ? strdup(o.model) : log_name(o.path);
	if (!model) {
		rc = uh_err_set(&err, UH_ENOMEM, "out of memory");
		goto fail;
	}
	split = split_for(s.ev.n[UH_TOFU_FORGET]);
	{
		char source[32], *real = realpath(s.path, NULL);
		const char *fmt = s.kind == KIND_OU ? "open-unlearning" :
				  s.tofu.aggregated ? (s.tofu.format == UH_TOFU_FORMAT_LIST ?
						       "tofu-aggregated-list" : "tofu-aggregated-dict") :
				  s.tofu.format == UH_TOFU_FORMAT_LIST ? "tofu-list" : "tofu-dict";
		const char *keys[] = { "import.path", "import.format" };
		const char *values[] = { real ? real : s.path, fmt };
		struct uh_store_run_info info = {
			.suite = "tofu", .split = split, .profile = profile, .model = model,
			.tag = o.tag, .uh_version = UH_VERSION, .source = source,
			.has_seed = 1, .seed = (int64_t)UH_TOFU_CI_SEED,
		};

		snprintf(source, sizeof(source), "import:%s", o.kind == KIND_TOFU ? "tofu-logs" : "ou-logs");
		rc = uh_tofu_store_run(st, &info, &s.ev, &fq, keys, values, 2, &run_id, &err);
		free(real);
		if (rc)
			goto fail;
	}

	/* 5. the table */
	uh_tofu_print_table(stdout, &s.ev, &fq, model, split);
	printf("\nrun %lld stored in %s\n", (long long)run_id, uh_store_path(st));
	fflush(stdout);
	rc = 0;
	goto out;

fail:
	fprintf(stderr, "uh import: %s\n", err.msg[0] ? err.msg : uh_strerror(rc));
out:
	free(model);
	free(ref_model);
	free(ref_sample);
	uh_tofu_fq_release(&fq);
	uh_store_close(st);
	side_release(&s);
	side_release(&ref);
	return uh_exit_status(rc);
}
