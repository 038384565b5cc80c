/*
 * tofu_store.c - the TOFU table of one evaluation: from per-item values to
 * aggregates, intervals, Forget Quality, one stored run and the printed
 * table. Shared by `uh import` and the runner.
 */
#include "harness/tofu_store.h"
#include "harness/fmt.h"

#include "harness/sha256.h"
#include "harness/version.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ================================================================ small helpers */

/* A growable string for per-item JSON. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t nc = (b->cap ? b->cap : 256);
			char *ns;

			while (nc < b->len + (size_t)n + 1)
				nc *= 2;
			ns = realloc(b->s, nc);
			if (!ns) {
				b->oom = true;
				return;
			}
			b->s = ns;
			b->cap = nc;
		}
	}
}

/* The comma before a member or element, unless it is the first of its object or list. */
static const char *sep(const struct sbuf *b)
{
	char last = b->len ? b->s[b->len - 1] : '{';

	return last == '{' || last == '[' ? "" : ",";
}

/*
 * ,"key": with key escaped as a JSON string: keys include metric names read
 * from a log, which may hold quotes, backslashes or control characters.
 */
static void sb_key(struct sbuf *b, const char *key)
{
	const unsigned char *k = (const unsigned char *)key;

	while (*k >= 0x20 && *k != '"' && *k != '\\')
		k++;
	if (!*k) {  /* nothing to escape: the usual case */
		sb_printf(b, "%s\"%s\":", sep(b), key);
		return;
	}
	sb_printf(b, "%s\"", sep(b));
	for (const unsigned char *c = (const unsigned char *)key; *c; c++) {
		if (*c == '"' || *c == '\\')
			sb_printf(b, "\\%c", *c);
		else if (*c < 0x20)
			sb_printf(b, "\\u%04x", *c);
		else
			sb_printf(b, "%c", *c);
	}
	sb_printf(b, "\":");
}

/* "key":number (17 digits, so it reads back bit for bit); null when not finite. */
static void sb_num(struct sbuf *b, const char *key, double v)
{
	sb_key(b, key);
	if (isfinite(v))
		sb_printf(b, "%.17g", v);
	else
		sb_printf(b, "null");
}

static void sb_nums(struct sbuf *b, const char *key, const double *v, size_t n)
{
	sb_key(b, key);
	sb_printf(b, "[");
	for (size_t i = 0; i < n; i++) {
		if (isfinite(v[i]))
			sb_printf(b, "%s%.17g", sep(b), v[i]);
		else
			sb_printf(b, "%snull", sep(b));
	}
	sb_printf(b, "]");
}

/* "key":{ : open a nested object. */
static void sb_open(struct sbuf *b, const char *key)
{
	sb_key(b, key);
	sb_printf(b, "{");
}

static void sb_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
	sb_printf(b, "{");
}

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (p) {
		memcpy(p, dir, a);
		p[a] = '/';
		memcpy(p + a + 1, name, b + 1);
	}
	return p;
}


static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

/* ================================================================ files */

int uh_tofu_files_add(struct uh_tofu_files *f, const char *dir, const char *name,
		      struct uh_err *err)
{
	char *p = dir ? join(dir, name) : xstrdup(name);

	if (!p)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	if (f->n == UH_TOFU_MAX_FILES) {
		free(p);
		return uh_err_set(err, UH_EINTERNAL, "too many files");
	}
	f->path[f->n] = p;
	if (uh_sha256_file(p, f->hex[f->n], err)) {
		free(p);
		return err->code;
	}
	f->n++;
	return 0;
}

void uh_tofu_files_release(struct uh_tofu_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->path[i]);
	memset(f, 0, sizeof(*f));
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

int uh_tofu_files_add_log(struct uh_tofu_files *f, const char *p, bool ou, struct uh_err *err)
{
	int rc = 0;

	if (!is_dir(p)) {
		/* an open-unlearning X_EVAL.json is read with its sibling X_SUMMARY.json */
		static const char eval_sfx[] = "_EVAL.json", summ_sfx[] = "_SUMMARY.json";
		size_t n = strlen(p), sl = strlen(eval_sfx);
		char *summ;

		rc = uh_tofu_files_add(f, NULL, p, err);
		if (rc || !ou || n < sl || strcmp(p + n - sl, eval_sfx))
			return rc;
		if (!(summ = malloc(n - sl + sizeof(summ_sfx))))
			return uh_err_set(err, UH_ENOMEM, "out of memory");
		memcpy(summ, p, n - sl);
		memcpy(summ + n - sl, summ_sfx, sizeof(summ_sfx));
		if (is_file(summ))
			rc = uh_tofu_files_add(f, NULL, summ, err);
		free(summ);
		return rc;
	}
	if (!ou) {
		bool all = true;

		for (int t = 0; t < UH_TOFU_NTASKS; t++) {
			char *x = join(p, uh_tofu_task_file((enum uh_tofu_task)t));

			if (!x)
				return uh_err_set(err, UH_ENOMEM, "out of memory");
			all = all && is_file(x);
			free(x);
		}
		if (!all)
			return uh_tofu_files_add(f, p, "eval_log_aggregated.json", err);
		for (int t = 0; t < UH_TOFU_NTASKS && !rc; t++)
			rc = uh_tofu_files_add(f, p, uh_tofu_task_file((enum uh_tofu_task)t), err);
		return rc;
	}
	rc = uh_tofu_files_add(f, p, "TOFU_EVAL.json", err);
	if (!rc) {
		char *summ = join(p, "TOFU_SUMMARY.json");

		if (!summ)
			return uh_err_set(err, UH_ENOMEM, "out of memory");
		if (is_file(summ))
			rc = uh_tofu_files_add(f, p, "TOFU_SUMMARY.json", err);
		free(summ);
	}
	return rc;
}

/* ================================================================ the evaluation */

void uh_tofu_eval_release(struct uh_tofu_eval *e)
{
	for (int k = 0; k < 3; k++)
		for (int t = 0; t < UH_TOFU_NTASKS; t++)
			free(e->term[k][t]);
	free(e->fq);
	for (size_t i = 0; i < e->n_extra; i++)
		free(e->extra[i].name);
	free(e->extra);
	for (size_t i = 0; i < e->n_item_values; i++) {
		free(e->item_values[i].name);
		free(e->item_values[i].v);
	}
	free(e->note);
	uh_tofu_files_release(&e->files);
	memset(e, 0, sizeof(*e));
}

static int alloc_terms(struct uh_tofu_eval *e, int t, size_t n, struct uh_err *err)
{
	e->n[t] = n;
	for (int k = 0; k < 3; k++)
		if (!(e->term[k][t] = malloc((n ? n : 1) * sizeof(double))))
			return uh_err_set(err, UH_ENOMEM, "out of memory");
	return 0;
}

/* Mean of the per-item terms (numpy's pairwise mean, as every aggregate). */
static int term_means(struct uh_tofu_eval *e, int t, struct uh_err *err)
{
	int rc;

	if ((rc = uh_ou_mean(e->term[UH_TOFU_T_PROB][t], e->n[t], &e->stats.prob[t], err)) ||
	    (rc = uh_ou_mean(e->term[UH_TOFU_T_ROUGE][t], e->n[t], &e->stats.rouge[t], err)) ||
	    (rc = uh_ou_mean(e->term[UH_TOFU_T_TR][t], e->n[t], &e->stats.truth_ratio[t], err)))
		return rc;
	return 0;
}

/*
 * open-unlearning's formulas (spec/tofu.md §3.2) on locuslab/tofu-style
 * per-item losses: prob = exp(-avg_loss) (normalised against the
 * perturbed options with +1e-10 for real authors/world), truth-ratio score
 * s = exp(-mean_k Lpert_k) / (exp(-Lpara) + 1e-10).
 */
static int ou_task_from_log(struct uh_tofu_eval *e, const struct uh_tofu_task_log *tl, int t,
			    struct uh_err *err)
{
	size_t n = tl->n, k = tl->n_perturb;
	double *correct = malloc(n * sizeof(double)), *para = malloc(n * sizeof(double));
	double *wrong = malloc(n * k * sizeof(double)), *wloss = malloc(n * k * sizeof(double));
	double *score = malloc(n * sizeof(double));
	int rc = 0;

	if (!correct || !para || !wrong || !wloss || !score) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct uh_tofu_item *it = &tl->items[i];

		correct[i] = exp(-it->avg_gt_loss);
		para[i] = it->avg_paraphrased_loss;
		for (size_t j = 0; j < k; j++) {
			wloss[i * k + j] = it->average_perturb_loss[j];
			wrong[i * k + j] = exp(-it->average_perturb_loss[j]);
		}
		e->term[UH_TOFU_T_ROUGE][t][i] = it->rougeL_recall;
	}
	if (t == UH_TOFU_REAL_AUTHORS || t == UH_TOFU_REAL_WORLD) {
		double agg;

		rc = uh_ou_prob_w_options(correct, wrong, n, k, e->term[UH_TOFU_T_PROB][t], &agg, err);
	} else {
		memcpy(e->term[UH_TOFU_T_PROB][t], correct, n * sizeof(double));
	}
	if (!rc)
		rc = uh_ou_truth_ratio_scores(para, wloss, n, k, score, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		double s = score[i];

		if (!isfinite(s)) {
			rc = uh_err_set(err, UH_ENUM, "task '%s' item %zu: truth ratio is not finite",
					uh_tofu_task_name((enum uh_tofu_task)t), i);
			goto out;
		}
		e->term[UH_TOFU_T_TR][t][i] = t == UH_TOFU_FORGET ? fmin(s, 1 / (s + 1e-10)) : fmax(0, 1 - s);
	}
	if (t == UH_TOFU_FORGET) {
		e->fq = score;
		e->n_fq = n;
		score = NULL;
	}
	rc = term_means(e, t, err);
out:
	free(correct);
	free(para);
	free(wrong);
	free(wloss);
	free(score);
	return rc;
}

int uh_tofu_eval_from_log(struct uh_tofu_eval *e, const struct uh_tofu_log *log, bool ou_profile,
			  const char *label, struct uh_err *err)
{
	int rc;

	memset(e, 0, sizeof(*e));
	e->label = label;
	e->log = log;
	e->profile = ou_profile ? "open-unlearning" : "tofu";
	if (!ou_profile) {
		rc = uh_tofu_agg_stats(log, &e->stats, err);
		if (rc)
			return rc;
	}
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		const struct uh_tofu_task_log *tl = &log->task[t];

		if (tl->n == 0)
			return uh_err_set(err, UH_EINVAL, "task '%s' has no items",
					  uh_tofu_task_name((enum uh_tofu_task)t));
		if ((rc = alloc_terms(e, t, tl->n, err)))
			return rc;
		rc = ou_profile ? ou_task_from_log(e, tl, t, err)
				: uh_tofu_agg_item_terms(tl, (enum uh_tofu_task)t, e->term[UH_TOFU_T_PROB][t],
							 e->term[UH_TOFU_T_ROUGE][t], e->term[UH_TOFU_T_TR][t], err);
		if (rc)
			return rc;
	}
	if (ou_profile) {
		/* model_utility: hmean of the nine, open-unlearning's order (irrelevant to the value) */
		double nine[9];
		int j = 0;

		for (int t = 0; t < UH_TOFU_FORGET; t++) {
			nine[j++] = e->stats.prob[t];
			nine[j++] = e->stats.rouge[t];
			nine[j++] = e->stats.truth_ratio[t];
		}
		rc = uh_ou_model_utility(nine, &e->stats.model_utility, err);
		if (rc)
			return rc;
		e->fq_desc = "forget_truth_ratio score";
		return 0;
	}
	e->n_fq = log->task[UH_TOFU_FORGET].n;
	e->fq = malloc(e->n_fq * sizeof(double));
	if (!e->fq)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	rc = uh_tofu_agg_truth_ratio_raw(&log->task[UH_TOFU_FORGET], e->fq, err);
	if (rc)
		return rc;
	e->fq_desc = "R = exp(mean_k Lpert_k - Lpara)";
	return 0;
}

/* ---------------------------------------------------------------- open-unlearning results */

/* The open-unlearning metric names behind the table, by task. */
static const char *const ou_task_prefix[UH_TOFU_NTASKS] = { "retain", "ra", "wf", "forget" };
static const char *const ou_prob_name[UH_TOFU_NTASKS] = {
	"retain_Q_A_Prob", "ra_Q_A_Prob_normalised", "wf_Q_A_Prob_normalised", "forget_Q_A_Prob",
};
static const char *const ou_rouge_name[UH_TOFU_NTASKS] = {
	"retain_Q_A_ROUGE", "ra_Q_A_ROUGE", "wf_Q_A_ROUGE", "forget_Q_A_ROUGE",
};
static const char *const ou_tr_name[UH_TOFU_NTASKS] = {
	"retain_Truth_Ratio", "ra_Truth_Ratio", "wf_Truth_Ratio", "forget_truth_ratio",
};

/* The metric name, which must hold per-item values of the given kind. */
static int ou_need(const struct uh_tofu_eval *e, const char *name, enum uh_ou_kind kind,
		   const struct uh_ou_metric **out, struct uh_err *err)
{
	const struct uh_ou_metric *m = uh_ou_eval_find(e->ou, name);

	*out = m;
	if (!m)
		return uh_err_set(err, UH_EINVAL,
				  "ou log '%s': no metric '%s' (is this a TOFU evaluation?)", e->label, name);
	if (m->kind != kind)
		return uh_err_set(err, UH_EINVAL, "ou log '%s': metric '%s' has no per-item %s values",
				  e->label, name,
				  kind == UH_OU_SCORE ? "score" : kind == UH_OU_PROB ? "prob" : "rouge");
	if (m->n == 0)
		return uh_err_set(err, UH_EINVAL, "ou log '%s': metric '%s' has no items", e->label, name);
	return 0;
}

static int ou_recompute(const struct uh_tofu_eval *e, const char *name, double *out, struct uh_err *err)
{
	bool avail = false;
	int rc = uh_tofu_agg_ou_recompute(e->ou, NULL, name, out, &avail, err);

	if (rc)
		return uh_err_prefix(err, "ou log '%s': ", e->label);
	if (!avail)
		return uh_err_set(err, UH_EINVAL, "ou log '%s': cannot recompute '%s' from its per-item values",
				  e->label, name);
	return 0;
}

int uh_tofu_eval_from_ou(struct uh_tofu_eval *e, const struct uh_ou_eval *ou, const char *label,
			 struct uh_err *err)
{
	int rc;

	memset(e, 0, sizeof(*e));
	e->label = label;
	e->ou = ou;
	e->profile = "open-unlearning";
	e->fq_desc = "forget_truth_ratio score";
	/* A TOFU evaluation first (MUSE_EVAL.json reads too), then its stored
	 * aggregates must be what their per-item values give. */
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		const struct uh_ou_metric *m;

		if ((rc = ou_need(e, ou_prob_name[t], UH_OU_PROB, &m, err)) ||
		    (rc = ou_need(e, ou_rouge_name[t], UH_OU_ROUGE, &m, err)) ||
		    (rc = ou_need(e, ou_tr_name[t], UH_OU_SCORE, &m, err)))
			return rc;
	}
	rc = uh_tofu_agg_ou_verify(ou, NULL, 1e-12, NULL, err);
	if (rc)
		return uh_err_prefix(err, "ou log '%s': ", label);
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		const struct uh_ou_metric *mp, *mr, *mt;
		size_t n;

		if ((rc = ou_need(e, ou_prob_name[t], UH_OU_PROB, &mp, err)) ||
		    (rc = ou_need(e, ou_rouge_name[t], UH_OU_ROUGE, &mr, err)) ||
		    (rc = ou_need(e, ou_tr_name[t], UH_OU_SCORE, &mt, err)))
			return rc;
		n = mr->n;
		if (mp->n != n || mt->n != n)
			return uh_err_set(err, UH_EINVAL,
					  "ou log '%s': task '%s' has %zu items in '%s' but %zu in '%s' and %zu in '%s'",
					  label, ou_task_prefix[t], n, mr->name, mp->n, mp->name, mt->n, mt->name);
		if ((rc = alloc_terms(e, t, n, err)))
			return rc;
		for (size_t i = 0; i < n; i++) {
			double sc = mt->score[i];

			e->term[UH_TOFU_T_PROB][t][i] = mp->prob[i];
			e->term[UH_TOFU_T_ROUGE][t][i] = mr->rougeL_recall[i];
			/* open-unlearning's per-item truth ratio terms (spec/tofu.md §6.6) */
			if (t == UH_TOFU_FORGET)
				e->term[UH_TOFU_T_TR][t][i] = fmin(sc, 1 / (sc + 1e-10));
			else
				e->term[UH_TOFU_T_TR][t][i] = fmax(0, 1 - sc);
		}
		if ((rc = ou_recompute(e, ou_prob_name[t], &e->stats.prob[t], err)) ||
		    (rc = ou_recompute(e, ou_rouge_name[t], &e->stats.rouge[t], err)) ||
		    (rc = ou_recompute(e, ou_tr_name[t], &e->stats.truth_ratio[t], err)))
			return rc;
		if (t == UH_TOFU_FORGET) {
			e->n_fq = n;
			e->fq = malloc(n * sizeof(double));
			if (!e->fq)
				return uh_err_set(err, UH_ENOMEM, "out of memory");
			memcpy(e->fq, mt->score, n * sizeof(double));
		}
	}
	return ou_recompute(e, "model_utility", &e->stats.model_utility, err);
}

/* ---------------------------------------------------------------- intervals, extras */

int uh_tofu_eval_bootstrap(struct uh_tofu_eval *e, struct uh_err *err)
{
	/* aggregate_eval_stat.py's task order for Model Utility */
	static const int mu_tasks[3] = { UH_TOFU_REAL_AUTHORS, UH_TOFU_REAL_WORLD, UH_TOFU_RETAIN };
	struct uh_bootstrap_task bt[3];
	int rc;

	for (int k = 0; k < 3; k++)
		for (int t = 0; t < UH_TOFU_NTASKS; t++) {
			rc = uh_bootstrap_mean_ci(e->term[k][t], e->n[t], UH_TOFU_CI_LEVEL, UH_TOFU_CI_B,
						  UH_TOFU_CI_SEED, &e->ci[k][t], err);
			if (rc)
				return uh_err_prefix(err, "'%s': bootstrap: ", e->label);
		}
	for (int i = 0; i < 3; i++) {
		int t = mu_tasks[i];

		bt[i].prob = e->term[UH_TOFU_T_PROB][t];
		bt[i].rouge = e->term[UH_TOFU_T_ROUGE][t];
		bt[i].tr = e->term[UH_TOFU_T_TR][t];
		bt[i].n = e->n[t];
	}
	rc = uh_bootstrap_mu_ci(bt, UH_TOFU_CI_LEVEL, UH_TOFU_CI_B, UH_TOFU_CI_SEED, &e->mu_ci, err);
	if (rc)
		return uh_err_prefix(err, "'%s': bootstrap: ", e->label);
	e->has_ci = true;
	return 0;
}

int uh_tofu_eval_add_metric(struct uh_tofu_eval *e, const char *name, double value, int64_t n,
			    const struct uh_ci *ci, struct uh_err *err)
{
	struct uh_tofu_extra_metric *x = realloc(e->extra, (e->n_extra + 1) * sizeof(*x));

	if (!x)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	e->extra = x;
	x = &e->extra[e->n_extra];
	memset(x, 0, sizeof(*x));
	if (!(x->name = xstrdup(name)))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	x->value = value;
	x->n = n;
	if (ci) {
		x->has_ci = true;
		x->ci = *ci;
	}
	e->n_extra++;
	return 0;
}

int uh_tofu_eval_add_item_values(struct uh_tofu_eval *e, const char *name, int task,
				 const double *v, struct uh_err *err)
{
	struct uh_tofu_item_values *iv;
	size_t n;

	if (task < 0 || task >= UH_TOFU_NTASKS || e->n_item_values == UH_TOFU_MAX_ITEM_VALUES)
		return uh_err_set(err, UH_EINTERNAL, "per-item values '%s': bad task or too many", name);
	n = e->n[task];
	iv = &e->item_values[e->n_item_values];
	iv->task = task;
	iv->name = xstrdup(name);
	iv->v = malloc((n ? n : 1) * sizeof(double));
	if (!iv->name || !iv->v) {
		free(iv->name);
		free(iv->v);
		memset(iv, 0, sizeof(*iv));
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	if (n)
		memcpy(iv->v, v, n * sizeof(double));
	e->n_item_values++;
	return 0;
}

/* ================================================================ Forget Quality */

int uh_tofu_fq_compute(struct uh_tofu_fq *fq, const struct uh_tofu_eval *e, const double *ref,
		       size_t n_ref, const char *desc, const char *model, struct uh_err *err)
{
	int rc;

	memset(fq, 0, sizeof(*fq));
	snprintf(fq->desc, sizeof(fq->desc), "%s", desc);
	if (n_ref != e->n_fq)
		return uh_err_set(err, UH_EINVAL,
				  "the reference '%s' has %zu forget items but '%s' has %zu: both must be "
				  "evaluated on the same forget split (forget10 vs retain90, forget05 vs "
				  "retain95, forget01 vs retain99)",
				  desc, n_ref, e->label, e->n_fq);
	rc = uh_ks_2samp(e->fq, e->n_fq, ref, n_ref, &fq->ks, err);
	if (rc)
		return uh_err_prefix(err, "forget quality: ");
	if (model && !(fq->model = xstrdup(model)))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	fq->n_ref = n_ref;
	fq->has = true;
	return 0;
}

void uh_tofu_fq_release(struct uh_tofu_fq *fq)
{
	free(fq->model);
	memset(fq, 0, sizeof(*fq));
}

/* ---------------------------------------------------------------- a reference run */

/* Read the forget items' KS sample of a run already in the store. */
int uh_tofu_reference_run(struct uh_store *st, int64_t id, double **fq, size_t *n,
			  char **model, struct uh_err *err)
{
	struct uh_store_run_row row;
	struct uh_store_item_row *items = NULL;
	size_t cnt = 0;
	int rc;

	*fq = NULL;
	*n = 0;
	*model = NULL;
	rc = uh_store_run_get(st, id, &row, err);
	if (rc)
		return uh_err_prefix(err, "reference: ");
	if (strcmp(row.suite, "tofu")) {
		rc = uh_err_set(err, UH_EINVAL, "reference run %lld is a '%s' run, not a TOFU one",
				(long long)id, row.suite);
		uh_store_run_row_release(&row);
		return rc;
	}
	if (row.model && !(*model = xstrdup(row.model))) {
		uh_store_run_row_release(&row);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	uh_store_run_row_release(&row);
	rc = uh_store_items_get(st, id, "forget", &items, &cnt, err);
	if (rc)
		return rc;
	if (cnt == 0) {
		rc = uh_err_set(err, UH_EINVAL, "reference run %lld has no forget items", (long long)id);
		goto out;
	}
	*fq = malloc(cnt * sizeof(double));
	if (!*fq) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cnt; i++) {
		cJSON *o = items[i].values_json ? cJSON_Parse(items[i].values_json) : NULL;
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "fq_sample");

		if (items[i].idx != (int64_t)i || !cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
			rc = uh_err_set(err, UH_EINVAL,
					"reference run %lld: forget item %lld has no numeric 'fq_sample' value",
					(long long)id, (long long)items[i].idx);
			cJSON_Delete(o);
			goto out;
		}
		(*fq)[i] = v->valuedouble;
		cJSON_Delete(o);
	}
	*n = cnt;
out:
	uh_store_item_rows_free(items, cnt);
	if (rc) {
		free(*fq);
		*fq = NULL;
		free(*model);
		*model = NULL;
	}
	return rc;
}

/* ================================================================ storing */

static const char *const task_label[UH_TOFU_NTASKS] = { "Retain", "Real Authors", "Real World", "Forget" };
static const char *const task_key[UH_TOFU_NTASKS] = { "retain", "real_authors", "real_world", "forget" };

/* The per-item values JSON of item i of task t. */
static void item_json(struct sbuf *b, const struct uh_tofu_eval *e, int t, size_t i)
{
	sb_reset(b);
	sb_num(b, "agg_prob", e->term[UH_TOFU_T_PROB][t][i]);
	sb_num(b, "agg_rouge", e->term[UH_TOFU_T_ROUGE][t][i]);
	sb_num(b, "agg_truth_ratio", e->term[UH_TOFU_T_TR][t][i]);
	if (t == UH_TOFU_FORGET)
		sb_num(b, "fq_sample", e->fq[i]);
	for (size_t j = 0; j < e->n_item_values; j++)
		if (e->item_values[j].task == t)
			sb_num(b, e->item_values[j].name, e->item_values[j].v[i]);
	if (e->log) {
		const struct uh_tofu_task_log *tl = &e->log->task[t];
		const struct uh_tofu_item *it = &tl->items[i];
		double ntp[UH_TOFU_MAX_PERTURB];

		sb_num(b, "avg_gt_loss", it->avg_gt_loss);
		sb_num(b, "gt_loss", it->gt_loss);
		sb_num(b, "num_token_gt", (double)it->num_token_gt);
		sb_num(b, "rouge1_recall", it->rouge1_recall);
		sb_num(b, "rougeL_recall", it->rougeL_recall);
		sb_num(b, "avg_paraphrased_loss", it->avg_paraphrased_loss);
		sb_num(b, "paraphrased_loss", it->paraphrased_loss);
		sb_num(b, "num_token_paraphrased", (double)it->num_token_paraphrased);
		sb_nums(b, "average_perturb_loss", it->average_perturb_loss, tl->n_perturb);
		sb_nums(b, "perturb_loss", it->perturb_loss, tl->n_perturb);
		for (size_t k = 0; k < tl->n_perturb; k++)
			ntp[k] = (double)it->num_token_perturb[k];
		sb_nums(b, "num_token_perturb", ntp, tl->n_perturb);
		if (tl->has_truth_ratio)
			sb_num(b, "truth_ratio", it->truth_ratio);
		if (tl->has_normalized_gt_loss)
			sb_num(b, "normalized_gt_loss", it->normalized_gt_loss);
	} else if (e->ou) {
		/* Every per-item metric of this task, under its open-unlearning name. */
		size_t plen = strlen(ou_task_prefix[t]);

		for (size_t j = 0; j < e->ou->n_metrics; j++) {
			const struct uh_ou_metric *m = &e->ou->metrics[j];
			bool mine = (!strncmp(m->name, ou_task_prefix[t], plen) && m->name[plen] == '_') ||
				    (t == UH_TOFU_FORGET && (!strcmp(m->name, "exact_memorization") ||
							     !strcmp(m->name, "extraction_strength")));

			if (!mine || m->n != e->n[t])
				continue;
			switch (m->kind) {
			case UH_OU_SCORE:
				sb_num(b, m->name, m->score[i]);
				break;
			case UH_OU_PROB:
				sb_open(b, m->name);
				sb_num(b, "prob", m->prob[i]);
				if (m->avg_loss)
					sb_num(b, "avg_loss", m->avg_loss[i]);
				sb_printf(b, "}");
				break;
			case UH_OU_PROB_LIST:
				sb_open(b, m->name);
				sb_nums(b, "prob", m->prob + i * m->k, m->k);
				if (m->avg_loss)
					sb_nums(b, "avg_loss", m->avg_loss + i * m->k, m->k);
				sb_printf(b, "}");
				break;
			case UH_OU_ROUGE:
				sb_open(b, m->name);
				sb_num(b, "rouge1_recall", m->rouge1_recall[i]);
				sb_num(b, "rougeL_f1", m->rougeL_f1[i]);
				sb_num(b, "rougeL_recall", m->rougeL_recall[i]);
				sb_printf(b, "}");
				break;
			default:
				break;
			}
		}
	}
	sb_printf(b, "}");
}

/* The texts of item i of task t (borrowed). */
static void item_texts(const struct uh_tofu_eval *e, int t, size_t i, const char **q,
		       const char **ref, const char **gen)
{
	*q = *ref = *gen = NULL;
	if (e->log) {
		const struct uh_tofu_item *it = &e->log->task[t].items[i];

		*q = it->prompt;
		*ref = it->ground_truth;
		*gen = it->generation;
	} else if (e->ou) {
		const struct uh_ou_metric *m = uh_ou_eval_find(e->ou, ou_rouge_name[t]);

		if (m && i < m->n) {
			*q = m->input ? m->input[i] : NULL;
			*ref = m->ground_truth ? m->ground_truth[i] : NULL;
			*gen = m->generation ? m->generation[i] : NULL;
		}
	}
}

static int add_metric(struct uh_store_run *run, const char *name, double v, int64_t n,
		      const struct uh_ci *ci, struct uh_err *err)
{
	struct uh_store_metric m = { .name = name, .value = v, .n = n };

	if (ci) {
		m.has_ci = 1;
		m.ci_lo = ci->lo;
		m.ci_hi = ci->hi;
	}
	return uh_store_run_add_metric(run, &m, err);
}

static int store_provenance(struct uh_store_run *run, const char *prefix, const struct uh_tofu_files *f,
			    struct uh_err *err)
{
	char key[300];
	int rc = 0;

	for (size_t i = 0; i < f->n && !rc; i++) {
		const char *base = strrchr(f->path[i], '/');

		base = base ? base + 1 : f->path[i];
		snprintf(key, sizeof(key), "%ssha256:%s", prefix, base);
		rc = uh_store_run_add_provenance(run, key, f->hex[i], err);
		if (!rc) {
			char *real = realpath(f->path[i], NULL);

			snprintf(key, sizeof(key), "%spath:%s", prefix, base);
			rc = uh_store_run_add_provenance(run, key, real ? real : f->path[i], err);
			free(real);
		}
	}
	return rc;
}

int uh_tofu_store_run(struct uh_store *st, const struct uh_store_run_info *info,
		      const struct uh_tofu_eval *e, const struct uh_tofu_fq *fq,
		      const char *const *keys, const char *const *values, size_t n_pairs,
		      int64_t *id, struct uh_err *err)
{
	static const char *const row_key[3] = { "prob", "rouge", "truth_ratio" };
	struct uh_store_run *run;
	struct sbuf b = { 0 };
	char buf[128];
	int rc;

	rc = uh_store_run_begin(st, info, &run, err);
	if (rc)
		return rc;
	*id = uh_store_run_id(run);

	/* provenance */
	rc = store_provenance(run, "", &e->files, err);
	for (size_t i = 0; i < n_pairs && !rc; i++)
		rc = uh_store_run_add_provenance(run, keys[i], values[i], err);
	if (!rc) {
		snprintf(buf, sizeof(buf), "%zu", e->n[UH_TOFU_FORGET]);
		rc = uh_store_run_add_provenance(run, "forget_items", buf, err);
	}
	if (!rc && e->fq_desc)
		rc = uh_store_run_add_provenance(run, "fq_sample", e->fq_desc, err);
	if (!rc && e->has_ci) {
		snprintf(buf, sizeof(buf), "percentile, level %g, B %d, seed %lu, gsl mt19937",
			 UH_TOFU_CI_LEVEL, UH_TOFU_CI_B, UH_TOFU_CI_SEED);
		rc = uh_store_run_add_provenance(run, "bootstrap", buf, err);
	}
	if (!rc && fq && fq->has) {
		rc = uh_store_run_add_provenance(run, "reference", fq->desc, err);
		if (!rc && fq->model)
			rc = uh_store_run_add_provenance(run, "reference.model", fq->model, err);
		if (!rc && fq->files)
			rc = store_provenance(run, "reference.", fq->files, err);
		if (!rc)
			rc = uh_store_run_add_provenance(run, "reference.ks_path",
							 fq->ks.path == UH_KS_EXACT ? "exact" :
							 fq->ks.path == UH_KS_ASYMP ? "asymptotic" :
							 "exact-fallback", err);
	}

	/* items */
	for (int t = 0; t < UH_TOFU_NTASKS && !rc; t++) {
		for (size_t i = 0; i < e->n[t] && !rc; i++) {
			struct uh_store_item it = { .task = task_key[t], .idx = (int64_t)i };

			item_texts(e, t, i, &it.question, &it.reference, &it.generation);
			item_json(&b, e, t, i);
			if (b.oom) {
				rc = uh_err_set(err, UH_ENOMEM, "out of memory");
				break;
			}
			it.values_json = b.s;
			rc = uh_store_run_add_item(run, &it, err);
		}
	}

	/* metrics: the table under stable names, then the extra ones */
	for (int r = 0; r < 3 && !rc; r++) {
		const double *row = r == 0 ? e->stats.prob : r == 1 ? e->stats.rouge : e->stats.truth_ratio;

		for (int t = 0; t < UH_TOFU_NTASKS && !rc; t++) {
			snprintf(buf, sizeof(buf), "%s/%s", row_key[r], task_key[t]);
			rc = add_metric(run, buf, row[t], (int64_t)e->n[t],
					e->has_ci ? &e->ci[r][t] : NULL, err);
		}
	}
	if (!rc)
		rc = add_metric(run, "model_utility", e->stats.model_utility, 9,
				e->has_ci ? &e->mu_ci : NULL, err);
	if (!rc && fq && fq->has) {
		rc = add_metric(run, "forget_quality", fq->ks.pvalue, (int64_t)e->n_fq, NULL, err);
		if (!rc)
			rc = add_metric(run, "ks_statistic", fq->ks.statistic, (int64_t)e->n_fq, NULL, err);
	}
	for (size_t j = 0; j < e->n_extra && !rc; j++)
		rc = add_metric(run, e->extra[j].name, e->extra[j].value, e->extra[j].n,
				e->extra[j].has_ci ? &e->extra[j].ci : NULL, err);
	free(b.s);
	if (rc) {
		uh_store_run_abort(run);
		return rc;
	}
	return uh_store_run_commit(run, err);
}

/* ================================================================ printing */

void uh_tofu_print_table(FILE *f, const struct uh_tofu_eval *e, const struct uh_tofu_fq *fq,
			 const char *model, const char *split)
{
	static const char *const rows[3] = { "Prob.", "ROUGE", "Truth Ratio" };
	char num[32]; /* every number printed shortest round-trip: exact, and 0.933 not 0.93299999999999994 */

	fprintf(f, "%s (profile %s, split %s, %zu forget items)\n\n", model, e->profile,
		split ? split : "unknown", e->n[UH_TOFU_FORGET]);
	fprintf(f, "%-13s", "");
	for (int t = 0; t < UH_TOFU_NTASKS; t++)
		fprintf(f, t + 1 < UH_TOFU_NTASKS ? "  %-24s" : "  %s", task_label[t]);
	fprintf(f, "\n");
	for (int r = 0; r < 3; r++) {
		const double *row = r == 0 ? e->stats.prob : r == 1 ? e->stats.rouge : e->stats.truth_ratio;

		fprintf(f, "%-13s", rows[r]);
		for (int t = 0; t < UH_TOFU_NTASKS; t++)
			fprintf(f, t + 1 < UH_TOFU_NTASKS ? "  %-24s" : "  %s",
				uh_fmt_double(num, sizeof(num), row[t]));
		fprintf(f, "\n");
	}
	if (e->has_ci) {
		fprintf(f, "\n%g%% CI (percentile bootstrap, %d resamples)\n", 100 * UH_TOFU_CI_LEVEL,
			UH_TOFU_CI_B);
		for (int r = 0; r < 3; r++) {
			fprintf(f, "%-13s", rows[r]);
			for (int t = 0; t < UH_TOFU_NTASKS; t++) {
				char cell[64];

				snprintf(cell, sizeof(cell), "[%.6g, %.6g]", e->ci[r][t].lo, e->ci[r][t].hi);
				fprintf(f, t + 1 < UH_TOFU_NTASKS ? "  %-24s" : "  %s", cell);
			}
			fprintf(f, "\n");
		}
	}
	fprintf(f, "\n%-16s%s", "Model Utility", uh_fmt_double(num, sizeof(num), e->stats.model_utility));
	if (e->has_ci)
		fprintf(f, "   (%g%% CI [%.6g, %.6g])", 100 * UH_TOFU_CI_LEVEL, e->mu_ci.lo, e->mu_ci.hi);
	fprintf(f, "\n");
	if (fq && fq->has) {
		fprintf(f, "%-16s%s\n", "Forget Quality", uh_fmt_double(num, sizeof(num), fq->ks.pvalue));
		fprintf(f, "%-16s%s\n", "KS statistic", uh_fmt_double(num, sizeof(num), fq->ks.statistic));
		fprintf(f, "%-16s%s (%zu forget items)\n", "reference", fq->desc, fq->n_ref);
	}
	for (size_t j = 0; j < e->n_extra; j++) {
		if (!strncmp(e->extra[j].name, "ou/", 3))
			continue; /* an imported log's own numbers: stored, not printed */
		fprintf(f, "%-22s%s", e->extra[j].name, uh_fmt_double(num, sizeof(num), e->extra[j].value));
		if (e->extra[j].has_ci)
			fprintf(f, "   (%g%% CI [%.6g, %.6g])", 100 * UH_TOFU_CI_LEVEL, e->extra[j].ci.lo,
				e->extra[j].ci.hi);
		fprintf(f, "\n");
	}
	if (e->note)
		fprintf(f, "%s\n", e->note);
}
