/*
 * muse_import.c - open-unlearning MUSE results into the store: read, verify
 * every stored number against its per-item values, store, print.
 */
#include "harness/muse_import.h"

#include "harness/cmds.h"
#include "harness/version.h"
#include "metrics/tofu_agg.h"
#include "results/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool uh_muse_import_is_muse(const char *path)
{
	char p[4200];
	struct stat sb;
	size_t n = strlen(path);

	snprintf(p, sizeof(p), "%s/MUSE_EVAL.json", path);
	if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
		return true;
	return n >= 14 && !strcmp(path + n - 14, "MUSE_EVAL.json");
}

/* The three metrics that make a result a MUSE evaluation. */
static const char *const muse_rouge[] = { "forget_verbmem_ROUGE", "forget_knowmem_ROUGE", "retain_knowmem_ROUGE" };

static int add_rouge_items(struct uh_seval *e, const struct uh_ou_metric *m, struct uh_err *err)
{
	const char *task = !strcmp(m->name, "forget_verbmem_ROUGE") ? "verbmem_forget" :
			   !strcmp(m->name, "forget_knowmem_ROUGE") ? "knowmem_forget" :
			   !strcmp(m->name, "retain_knowmem_ROUGE") ? "knowmem_retain" : m->name;
	int rc = 0;

	for (size_t i = 0; i < m->n && !rc; i++) {
		char vals[256] = "{}";

		uh_seval_json_num(vals, sizeof(vals), "rougeL_f1", m->rougeL_f1[i]);
		uh_seval_json_num(vals, sizeof(vals), "rougeL_recall", m->rougeL_recall[i]);
		uh_seval_json_num(vals, sizeof(vals), "rouge1_recall", m->rouge1_recall[i]);
		rc = uh_seval_add_item(e, task, (int64_t)i, m->input[i], m->ground_truth[i], m->generation[i],
				       vals, err);
	}
	return rc;
}

static int add_score_items(struct uh_seval *e, const char *task, const char *key, const double *v,
			   size_t n, struct uh_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		char vals[128] = "{}";

		uh_seval_json_num(vals, sizeof(vals), key, v[i]);
		rc = uh_seval_add_item(e, task, (int64_t)i, NULL, NULL, NULL, vals, err);
	}
	return rc;
}

int uh_muse_import_eval(const struct uh_ou_eval *ev, const struct uh_ou_eval *ref, const char *label,
			struct uh_seval *e, size_t *n_checked, struct uh_err *err)
{
	char missing[256] = "";
	int rc = 0;

	memset(e, 0, sizeof(*e));
	*n_checked = 0;
	for (size_t i = 0; i < 3; i++) {
		const struct uh_ou_metric *m = uh_ou_eval_find(ev, muse_rouge[i]);

		if (!m || m->kind != UH_OU_ROUGE)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s'%s'",
				 missing[0] ? ", " : "", muse_rouge[i]);
	}
	if (missing[0])
		return uh_err_set(err, UH_EINVAL, "ou log '%s': no ROUGE metric %s (is this a MUSE evaluation?)",
				  label, missing);
	if (ref && !uh_ou_eval_find(ref, "mia_min_k"))
		return uh_err_set(err, UH_EINVAL, "the reference given for '%s' has no mia_min_k: privleak "
				  "needs the retain model's min-k AUC", label);
	if ((rc = uh_tofu_agg_ou_verify(ev, ref, 1e-12, n_checked, err)))
		return uh_err_prefix(err, "ou log '%s': ", label);

	/* every metric, recomputed from its per-item values; means with intervals */
	for (size_t j = 0; j < ev->n_metrics && !rc; j++) {
		const struct uh_ou_metric *m = &ev->metrics[j];
		double v;
		bool ok;

		rc = uh_tofu_agg_ou_recompute(ev, ref, m->name, &v, &ok, err);
		if (rc)
			break;
		if (!ok) {
			if (!m->has_agg)
				continue;
			v = m->agg_value;  /* as stored: not recomputable (noted below) */
			{
				char line[300];

				snprintf(line, sizeof(line), "%s: as stored (not recomputable from the log)", m->name);
				if ((rc = uh_seval_note(e, line, err)))
					break;
			}
		}
		if (m->kind == UH_OU_ROUGE) {
			rc = uh_seval_add_mean(e, m->name, NULL, uh_ou_rouge_column(m), m->n, 1, err);
			if (!rc)
				rc = add_rouge_items(e, m, err);
		} else if (m->kind == UH_OU_SCORE) {
			rc = uh_seval_add_mean(e, m->name, NULL, m->score, m->n, 1, err);
			if (!rc)
				rc = add_score_items(e, m->name, "score", m->score, m->n, err);
		} else if (m->kind == UH_OU_MIA) {
			char task[160];

			rc = uh_seval_add(e, m->name, NULL, v, 1, (int64_t)(m->n_forget + m->n_holdout), NULL, err);
			snprintf(task, sizeof(task), "%s_forget", m->name);
			if (!rc)
				rc = add_score_items(e, task, "score", m->forget_score, m->n_forget, err);
			snprintf(task, sizeof(task), "%s_holdout", m->name);
			if (!rc)
				rc = add_score_items(e, task, "score", m->holdout_score, m->n_holdout, err);
		} else {
			rc = uh_seval_add(e, m->name, NULL, v, 1, -1, NULL, err);
		}
		/* a mean-type value must be the one verified, bit for bit */
		if (!rc && (m->kind == UH_OU_ROUGE || m->kind == UH_OU_SCORE) &&
		    uh_seval_find(e, m->name)->value != v)
			rc = uh_err_set(err, UH_EINTERNAL, "'%s': mean %.17g differs from the recomputed %.17g",
					m->name, uh_seval_find(e, m->name)->value, v);
	}
	if (!rc && !ref && uh_ou_eval_find(ev, "privleak"))
		rc = uh_seval_note(e, "privleak recomputed against ref_value 0.5 (no reference logs given)", err);
	if (rc)
		uh_seval_release(e);
	return rc;
}

/* The files the reader reads: MUSE_EVAL.json and its sibling MUSE_SUMMARY.json when present. */
static int add_files(struct uh_tofu_files *f, const char *path, struct uh_err *err)
{
	char eval[4200], summ[4300];
	struct stat sb;
	int rc;

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		snprintf(eval, sizeof(eval), "%s/MUSE_EVAL.json", path);
	else
		snprintf(eval, sizeof(eval), "%s", path);
	if ((rc = uh_tofu_files_add(f, NULL, eval, err)))
		return rc;
	snprintf(summ, sizeof(summ), "%.*sMUSE_SUMMARY.json", (int)(strlen(eval) - strlen("MUSE_EVAL.json")), eval);
	if (stat(summ, &sb) == 0 && S_ISREG(sb.st_mode))
		rc = uh_tofu_files_add(f, NULL, summ, err);
	return rc;
}

static char *dir_name(const char *path)
{
	char buf[4200], *s, *r;
	size_t n;

	snprintf(buf, sizeof(buf), "%s", path);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	if (n >= 14 && !strcmp(buf + n - 14, "MUSE_EVAL.json")) {
		if ((s = strrchr(buf, '/')))
			*s = '\0';
		else
			snprintf(buf, sizeof(buf), ".");
	}
	if (!strcmp(buf, ".") && (r = realpath(".", NULL))) {
		snprintf(buf, sizeof(buf), "%s", r);
		free(r);
	}
	s = strrchr(buf, '/');
	return strdup(s && s[1] ? s + 1 : buf);
}

int uh_muse_import_cmd(const char *path, const char *reference, const char *db, const char *tag,
		       const char *model)
{
	struct uh_ou_eval ev = { 0 }, ref = { 0 };
	struct uh_seval e = { 0 };
	struct uh_store *st = NULL;
	struct uh_err err;
	bool have_ev = false, have_ref = false;
	char *name = NULL, title[512], *real = NULL;
	const char *split = NULL;
	int64_t id = 0;
	size_t checked = 0;
	int rc;

	uh_err_clear(&err);
	if ((rc = uh_ou_eval_read(path, &ev, &err)))
		goto fail;
	have_ev = true;
	if (reference) {
		if (!uh_muse_import_is_muse(reference)) {
			rc = uh_err_set(&err, UH_EINVAL, "reference '%s' is not an open-unlearning MUSE result "
					"(a folder with MUSE_EVAL.json, or that file)", reference);
			goto fail;
		}
		if ((rc = uh_ou_eval_read(reference, &ref, &err)))
			goto fail;
		have_ref = true;
		if (!uh_ou_eval_find(&ref, "mia_min_k")) {
			rc = uh_err_set(&err, UH_EINVAL, "reference '%s' has no mia_min_k: privleak needs the "
					"retain model's min-k AUC", reference);
			goto fail;
		}
	}
	if ((rc = uh_muse_import_eval(&ev, have_ref ? &ref : NULL, path, &e, &checked, &err)))
		goto fail;
	if ((rc = add_files(&e.files, path, &err)))
		goto fail;
	if (!(name = model ? strdup(model) : dir_name(path))) {
		rc = uh_err_set(&err, UH_ENOMEM, "out of memory");
		goto fail;
	}
	/* open-unlearning names its MUSE folders muse_<model>_<News|Books>_... */
	split = strstr(path, "_News") ? "news" : strstr(path, "_Books") ? "books" : NULL;
	if ((rc = uh_store_open(&st, uh_store_default_path(db), &err)))
		goto fail;
	real = realpath(path, NULL);
	{
		char nck[32];
		const char *keys[3] = { "import.path", "import.format", "import.verified" };
		const char *vals[3] = { real ? real : path, "open-unlearning MUSE", nck };
		struct uh_store_run_info info = {
			.suite = "muse", .split = split, .profile = "open-unlearning", .model = name, .tag = tag,
			.uh_version = UH_VERSION, .source = "import:ou-logs",
		};

		snprintf(nck, sizeof(nck), "%zu stored values to 1e-12", checked);
		/* the reference log's files are hashed too */
		if (have_ref && (rc = add_files(&e.files, reference, &err)))
			goto fail;
		if ((rc = uh_seval_store(st, &info, &e, keys, vals, 3, &id, &err)))
			goto fail;
	}
	snprintf(title, sizeof(title), "MUSE %s (open-unlearning log): %s, %zu stored values verified",
		 split ? split : "", name, checked);
	uh_seval_print(stdout, &e, title);
	printf("\nrun %lld stored in %s\n", (long long)id, uh_store_path(st));
	fflush(stdout);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "uh import: %s\n", err.msg[0] ? err.msg : uh_strerror(rc));
out:
	free(real);
	free(name);
	uh_store_close(st);
	uh_seval_release(&e);
	if (have_ev)
		uh_ou_eval_release(&ev);
	if (have_ref)
		uh_ou_eval_release(&ref);
	return uh_exit_status(rc);
}
