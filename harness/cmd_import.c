/*
 * cmd_import.c - `uh import tofu-logs|ou-logs PATH [--reference PATH|RUN]`:
 * bring official per-sample TOFU / open-unlearning eval logs into the
 * results store and print the TOFU table.
 *
 * The flow, top to bottom: parse options; read the logs (suites/tofu_logs.h);
 * compute the twelve numbers, Model Utility and the per-item terms
 * (metrics/tofu_agg.h); read the reference (logs, or the forget items of a
 * run already in the store) and compute Forget Quality; hash every file read;
 * write run, provenance, items and metrics in one transaction; print.
 * Everything that can fail on bad input fails before the transaction opens,
 * and the transaction rolls back on any later failure, so a failed import
 * leaves no run behind.
 */
#include "harness/cmds.h"
#include "harness/err.h"
#include "harness/version.h"
#include "metrics/bootstrap.h"
#include "metrics/ks.h"
#include "metrics/tofu_agg.h"
#include "results/store.h"
#include "suites/tofu_logs.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	"             The stored agg_values are recomputed and checked.\n"
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

/* ================================================================ sha256 (FIPS 180-4) */

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t fill;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(struct sha256 *s, const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
	s->fill = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;

	s->len += n;
	while (n) {
		size_t take = 64 - s->fill < n ? 64 - s->fill : n;

		memcpy(s->buf + s->fill, p, take);
		s->fill += take;
		p += take;
		n -= take;
		if (s->fill == 64) {
			sha256_block(s, s->buf);
			s->fill = 0;
		}
	}
}

/* Finish into 64 hex digits + NUL. */
static void sha256_hex(struct sha256 *s, char hex[65])
{
	uint64_t bits = s->len * 8;
	unsigned char pad = 0x80, len8[8];

	sha256_update(s, &pad, 1);
	pad = 0;
	while (s->fill != 56)
		sha256_update(s, &pad, 1);
	for (int i = 0; i < 8; i++)
		len8[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(s, len8, 8);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 8 * i, 9, "%08x", (unsigned)s->h[i]);
}

static int sha256_file(const char *path, char hex[65], struct uh_err *err)
{
	unsigned char buf[1 << 16];
	struct sha256 s;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return uh_err_set(err, UH_EIO, "cannot read '%s': %s", path, strerror(errno));
	sha256_init(&s);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sha256_update(&s, buf, n);
	if (ferror(f)) {
		fclose(f);
		return uh_err_set(err, UH_EIO, "error reading '%s'", path);
	}
	fclose(f);
	sha256_hex(&s, hex);
	return 0;
}

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

/* "key":number (17 digits, so it reads back bit for bit); null when not finite. */
static void sb_num(struct sbuf *b, const char *key, double v)
{
	if (isfinite(v))
		sb_printf(b, "%s\"%s\":%.17g", sep(b), key, v);
	else
		sb_printf(b, "%s\"%s\":null", sep(b), key);
}

static void sb_nums(struct sbuf *b, const char *key, const double *v, size_t n)
{
	sb_printf(b, "%s\"%s\":[", sep(b), key);
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
	sb_printf(b, "%s\"%s\":{", sep(b), key);
}

static void sb_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
	sb_printf(b, "{");
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
	if (!is_dir(p)) {
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

/* Files read for one log, with their digests (for provenance). */
struct files {
	size_t n;
	char *path[6];
	char hex[6][65];
};

/* What the table needs from one log, whatever its format. */
struct side {
	enum kind kind;
	const char *path;
	struct uh_tofu_log tofu;
	struct uh_ou_eval ou;
	bool loaded;
	struct uh_tofu_stats stats;   /* the twelve numbers + Model Utility */
	size_t n[UH_TOFU_NTASKS];
	double *term[3][UH_TOFU_NTASKS]; /* per-item prob, rouge, truth-ratio terms */
	struct uh_ci ci[3][UH_TOFU_NTASKS]; /* bootstrap intervals of the twelve numbers */
	struct uh_ci mu_ci;
	bool has_ci;
	double *fq;                   /* forget items' KS sample (R, or open-unlearning's s) */
	size_t n_fq;
	struct files files;
};

enum { T_PROB, T_ROUGE, T_TR };

/*
 * Bootstrap intervals: percentile, fixed seed, so that re-importing the same
 * logs gives the same intervals (the seed is the run's seed).
 */
#define CI_LEVEL 0.95
#define CI_B 1000
#define CI_SEED 20240101ul

static void side_release(struct side *s)
{
	if (s->loaded) {
		if (s->kind == KIND_TOFU)
			uh_tofu_log_release(&s->tofu);
		else
			uh_ou_eval_release(&s->ou);
	}
	for (int k = 0; k < 3; k++)
		for (int t = 0; t < UH_TOFU_NTASKS; t++)
			free(s->term[k][t]);
	free(s->fq);
	for (size_t i = 0; i < s->files.n; i++)
		free(s->files.path[i]);
	memset(s, 0, sizeof(*s));
}

static int add_file(struct files *f, const char *dir, const char *name, struct uh_err *err)
{
	char *p = dir ? join(dir, name) : strdup(name);

	if (!p)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	if (f->n == sizeof(f->path) / sizeof(f->path[0])) {
		free(p);
		return uh_err_set(err, UH_EINTERNAL, "too many files");
	}
	f->path[f->n] = p;
	if (sha256_file(p, f->hex[f->n], err)) {
		free(p);
		return err->code;
	}
	f->n++;
	return 0;
}

/* Hash the files the readers read, choosing them as the readers do. */
static int hash_inputs(struct side *s, struct uh_err *err)
{
	const char *p = s->path;
	int rc = 0;

	if (!is_dir(p))
		return add_file(&s->files, NULL, p, err);
	if (s->kind == KIND_TOFU) {
		bool all = true;

		for (int t = 0; t < UH_TOFU_NTASKS; t++) {
			char *f = join(p, uh_tofu_task_file((enum uh_tofu_task)t));

			if (!f)
				return uh_err_set(err, UH_ENOMEM, "out of memory");
			all = all && is_file(f);
			free(f);
		}
		if (!all)
			return add_file(&s->files, p, "eval_log_aggregated.json", err);
		for (int t = 0; t < UH_TOFU_NTASKS && !rc; t++)
			rc = add_file(&s->files, p, uh_tofu_task_file((enum uh_tofu_task)t), err);
		return rc;
	}
	rc = add_file(&s->files, p, "TOFU_EVAL.json", err);
	if (!rc) {
		char *summ = join(p, "TOFU_SUMMARY.json");

		if (!summ)
			return uh_err_set(err, UH_ENOMEM, "out of memory");
		if (is_file(summ))
			rc = add_file(&s->files, p, "TOFU_SUMMARY.json", err);
		free(summ);
	}
	return rc;
}

/* ---------------------------------------------------------------- TOFU logs */

static int load_tofu(struct side *s, struct uh_err *err)
{
	int rc = uh_tofu_log_read(s->path, &s->tofu, err);

	if (rc)
		return rc;
	s->loaded = true;
	rc = uh_tofu_agg_stats(&s->tofu, &s->stats, err);
	if (rc)
		return uh_err_prefix(err, "tofu log '%s': ", s->path);
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		const struct uh_tofu_task_log *tl = &s->tofu.task[t];
		size_t n = tl->n ? tl->n : 1;

		s->n[t] = tl->n;
		for (int k = 0; k < 3; k++)
			if (!(s->term[k][t] = malloc(n * sizeof(double))))
				return uh_err_set(err, UH_ENOMEM, "out of memory");
		rc = uh_tofu_agg_item_terms(tl, (enum uh_tofu_task)t, s->term[T_PROB][t],
					    s->term[T_ROUGE][t], s->term[T_TR][t], err);
		if (rc)
			return uh_err_prefix(err, "tofu log '%s': ", s->path);
	}
	s->n_fq = s->tofu.task[UH_TOFU_FORGET].n;
	s->fq = malloc((s->n_fq ? s->n_fq : 1) * sizeof(double));
	if (!s->fq)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	rc = uh_tofu_agg_truth_ratio_raw(&s->tofu.task[UH_TOFU_FORGET], s->fq, err);
	if (rc)
		return uh_err_prefix(err, "tofu log '%s': ", s->path);
	return 0;
}

/* ---------------------------------------------------------------- open-unlearning logs */

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
static int ou_need(const struct side *s, const char *name, enum uh_ou_kind kind,
		   const struct uh_ou_metric **out, struct uh_err *err)
{
	const struct uh_ou_metric *m = uh_ou_eval_find(&s->ou, name);

	*out = m;
	if (!m)
		return uh_err_set(err, UH_EINVAL,
				  "ou log '%s': no metric '%s' (is this a TOFU evaluation?)", s->path, name);
	if (m->kind != kind)
		return uh_err_set(err, UH_EINVAL, "ou log '%s': metric '%s' has no per-item %s values",
				  s->path, name,
				  kind == UH_OU_SCORE ? "score" : kind == UH_OU_PROB ? "prob" : "rouge");
	if (m->n == 0)
		return uh_err_set(err, UH_EINVAL, "ou log '%s': metric '%s' has no items", s->path, name);
	return 0;
}

static int ou_recompute(const struct side *s, const char *name, double *out, struct uh_err *err)
{
	bool avail = false;
	int rc = uh_tofu_agg_ou_recompute(&s->ou, NULL, name, out, &avail, err);

	if (rc)
		return uh_err_prefix(err, "ou log '%s': ", s->path);
	if (!avail)
		return uh_err_set(err, UH_EINVAL, "ou log '%s': cannot recompute '%s' from its per-item values",
				  s->path, name);
	return 0;
}

static int load_ou(struct side *s, struct uh_err *err)
{
	int rc = uh_ou_eval_read(s->path, &s->ou, err);

	if (rc)
		return rc;
	s->loaded = true;
	/* A TOFU evaluation first (MUSE_EVAL.json reads too), then its stored
	 * aggregates must be what their per-item values give. */
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		const struct uh_ou_metric *m;

		if ((rc = ou_need(s, ou_prob_name[t], UH_OU_PROB, &m, err)) ||
		    (rc = ou_need(s, ou_rouge_name[t], UH_OU_ROUGE, &m, err)) ||
		    (rc = ou_need(s, ou_tr_name[t], UH_OU_SCORE, &m, err)))
			return rc;
	}
	rc = uh_tofu_agg_ou_verify(&s->ou, NULL, 1e-12, NULL, err);
	if (rc)
		return uh_err_prefix(err, "ou log '%s': ", s->path);
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		const struct uh_ou_metric *mp, *mr, *mt;
		size_t n;

		if ((rc = ou_need(s, ou_prob_name[t], UH_OU_PROB, &mp, err)) ||
		    (rc = ou_need(s, ou_rouge_name[t], UH_OU_ROUGE, &mr, err)) ||
		    (rc = ou_need(s, ou_tr_name[t], UH_OU_SCORE, &mt, err)))
			return rc;
		n = mr->n;
		if (mp->n != n || mt->n != n)
			return uh_err_set(err, UH_EINVAL,
					  "ou log '%s': task '%s' has %zu items in '%s' but %zu in '%s' and %zu in '%s'",
					  s->path, ou_task_prefix[t], n, mr->name, mp->n, mp->name, mt->n, mt->name);
		s->n[t] = n;
		for (int k = 0; k < 3; k++)
			if (!(s->term[k][t] = malloc(n * sizeof(double))))
				return uh_err_set(err, UH_ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			double sc = mt->score[i];

			s->term[T_PROB][t][i] = mp->prob[i];
			s->term[T_ROUGE][t][i] = mr->rougeL_recall[i];
			/* open-unlearning's per-item truth ratio terms (spec/tofu.md §6.6) */
			if (t == UH_TOFU_FORGET)
				s->term[T_TR][t][i] = fmin(sc, 1 / (sc + 1e-10));
			else
				s->term[T_TR][t][i] = fmax(0, 1 - sc);
		}
		if ((rc = ou_recompute(s, ou_prob_name[t], &s->stats.prob[t], err)) ||
		    (rc = ou_recompute(s, ou_rouge_name[t], &s->stats.rouge[t], err)) ||
		    (rc = ou_recompute(s, ou_tr_name[t], &s->stats.truth_ratio[t], err)))
			return rc;
		if (t == UH_TOFU_FORGET) {
			s->n_fq = n;
			s->fq = malloc(n * sizeof(double));
			if (!s->fq)
				return uh_err_set(err, UH_ENOMEM, "out of memory");
			memcpy(s->fq, mt->score, n * sizeof(double));
		}
	}
	return ou_recompute(s, "model_utility", &s->stats.model_utility, err);
}

/* The intervals of the twelve numbers and of Model Utility. */
static int bootstrap_side(struct side *s, struct uh_err *err)
{
	/* aggregate_eval_stat.py's task order for Model Utility */
	static const int mu_tasks[3] = { UH_TOFU_REAL_AUTHORS, UH_TOFU_REAL_WORLD, UH_TOFU_RETAIN };
	struct uh_bootstrap_task bt[3];
	int rc;

	for (int k = 0; k < 3; k++)
		for (int t = 0; t < UH_TOFU_NTASKS; t++) {
			rc = uh_bootstrap_mean_ci(s->term[k][t], s->n[t], CI_LEVEL, CI_B, CI_SEED,
						  &s->ci[k][t], err);
			if (rc)
				return uh_err_prefix(err, "'%s': bootstrap: ", s->path);
		}
	for (int i = 0; i < 3; i++) {
		int t = mu_tasks[i];

		bt[i].prob = s->term[T_PROB][t];
		bt[i].rouge = s->term[T_ROUGE][t];
		bt[i].tr = s->term[T_TR][t];
		bt[i].n = s->n[t];
	}
	rc = uh_bootstrap_mu_ci(bt, CI_LEVEL, CI_B, CI_SEED, &s->mu_ci, err);
	if (rc)
		return uh_err_prefix(err, "'%s': bootstrap: ", s->path);
	s->has_ci = true;
	return 0;
}

static int load_side(struct side *s, struct uh_err *err)
{
	int rc = s->kind == KIND_TOFU ? load_tofu(s, err) : load_ou(s, err);

	if (!rc)
		rc = hash_inputs(s, err);
	return rc;
}

/* ---------------------------------------------------------------- a reference run */

/* Read the forget items' KS sample of a run already in the store. */
static int load_reference_run(struct uh_store *st, int64_t id, double **fq, size_t *n,
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
	if (row.model && !(*model = strdup(row.model))) {
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

/* The per-item values JSON of item i of task t. */
static void item_json(struct sbuf *b, const struct side *s, int t, size_t i)
{
	sb_reset(b);
	sb_num(b, "agg_prob", s->term[T_PROB][t][i]);
	sb_num(b, "agg_rouge", s->term[T_ROUGE][t][i]);
	sb_num(b, "agg_truth_ratio", s->term[T_TR][t][i]);
	if (t == UH_TOFU_FORGET)
		sb_num(b, "fq_sample", s->fq[i]);
	if (s->kind == KIND_TOFU) {
		const struct uh_tofu_task_log *tl = &s->tofu.task[t];
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
	} else {
		/* Every per-item metric of this task, under its open-unlearning name. */
		size_t plen = strlen(ou_task_prefix[t]);

		for (size_t j = 0; j < s->ou.n_metrics; j++) {
			const struct uh_ou_metric *m = &s->ou.metrics[j];
			bool mine = (!strncmp(m->name, ou_task_prefix[t], plen) && m->name[plen] == '_') ||
				    (t == UH_TOFU_FORGET && (!strcmp(m->name, "exact_memorization") ||
							     !strcmp(m->name, "extraction_strength")));

			if (!mine || m->n != s->n[t])
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
static void item_texts(const struct side *s, int t, size_t i, const char **q, const char **ref,
		       const char **gen)
{
	*q = *ref = *gen = NULL;
	if (s->kind == KIND_TOFU) {
		const struct uh_tofu_item *it = &s->tofu.task[t].items[i];

		*q = it->prompt;
		*ref = it->ground_truth;
		*gen = it->generation;
	} else {
		const struct uh_ou_metric *m = uh_ou_eval_find(&s->ou, ou_rouge_name[t]);

		if (m && i < m->n) {
			*q = m->input ? m->input[i] : NULL;
			*ref = m->ground_truth ? m->ground_truth[i] : NULL;
			*gen = m->generation ? m->generation[i] : NULL;
		}
	}
}

struct result {
	bool has_fq;
	struct uh_ks_result ks;
	size_t n_ref;
	const char *reference_desc;   /* path or "run:N" */
	char *reference_model;        /* of a reference run */
	struct files *ref_files;      /* of a reference log, or NULL */
	const struct uh_ou_eval *ref_ou; /* an open-unlearning reference log, or NULL */
};

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

static int store_provenance(struct uh_store_run *run, const char *prefix, const struct files *f,
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

static int store_run(struct uh_store *st, const struct uh_store_run_info *info, const struct side *s,
		     const struct result *res, int64_t *id, struct uh_err *err)
{
	static const char *const row_key[3] = { "prob", "rouge", "truth_ratio" };
	static const char *const task_key[UH_TOFU_NTASKS] = { "retain", "real_authors", "real_world", "forget" };
	struct uh_store_run *run;
	struct sbuf b = { 0 };
	char buf[64];
	int rc;

	rc = uh_store_run_begin(st, info, &run, err);
	if (rc)
		return rc;
	*id = uh_store_run_id(run);

	/* provenance */
	rc = store_provenance(run, "", &s->files, err);
	if (!rc) {
		char *real = realpath(s->path, NULL);

		rc = uh_store_run_add_provenance(run, "import.path", real ? real : s->path, err);
		free(real);
	}
	if (!rc) {
		const char *fmt = s->kind == KIND_OU ? "open-unlearning" :
				  s->tofu.aggregated ? (s->tofu.format == UH_TOFU_FORMAT_LIST ?
							"tofu-aggregated-list" : "tofu-aggregated-dict") :
				  s->tofu.format == UH_TOFU_FORMAT_LIST ? "tofu-list" : "tofu-dict";

		rc = uh_store_run_add_provenance(run, "import.format", fmt, err);
	}
	if (!rc) {
		snprintf(buf, sizeof(buf), "%zu", s->n[UH_TOFU_FORGET]);
		rc = uh_store_run_add_provenance(run, "forget_items", buf, err);
	}
	if (!rc)
		rc = uh_store_run_add_provenance(run, "fq_sample",
						 s->kind == KIND_TOFU ? "R = exp(mean_k Lpert_k - Lpara)"
								      : "forget_truth_ratio score", err);
	if (!rc && s->has_ci) {
		snprintf(buf, sizeof(buf), "percentile, level %g, B %d, seed %lu, gsl mt19937",
			 CI_LEVEL, CI_B, CI_SEED);
		rc = uh_store_run_add_provenance(run, "bootstrap", buf, err);
	}
	if (!rc && res->has_fq) {
		rc = uh_store_run_add_provenance(run, "reference", res->reference_desc, err);
		if (!rc && res->reference_model)
			rc = uh_store_run_add_provenance(run, "reference.model", res->reference_model, err);
		if (!rc && res->ref_files)
			rc = store_provenance(run, "reference.", res->ref_files, err);
		if (!rc)
			rc = uh_store_run_add_provenance(run, "reference.ks_path",
							 res->ks.path == UH_KS_EXACT ? "exact" :
							 res->ks.path == UH_KS_ASYMP ? "asymptotic" :
							 "exact-fallback", err);
	}

	/* items */
	for (int t = 0; t < UH_TOFU_NTASKS && !rc; t++) {
		for (size_t i = 0; i < s->n[t] && !rc; i++) {
			struct uh_store_item it = { .task = task_key[t], .idx = (int64_t)i };

			item_texts(s, t, i, &it.question, &it.reference, &it.generation);
			item_json(&b, s, t, i);
			if (b.oom) {
				rc = uh_err_set(err, UH_ENOMEM, "out of memory");
				break;
			}
			it.values_json = b.s;
			rc = uh_store_run_add_item(run, &it, err);
		}
	}

	/* metrics: the table under stable names, then open-unlearning's extra ones */
	for (int r = 0; r < 3 && !rc; r++) {
		const double *row = r == 0 ? s->stats.prob : r == 1 ? s->stats.rouge : s->stats.truth_ratio;

		for (int t = 0; t < UH_TOFU_NTASKS && !rc; t++) {
			snprintf(buf, sizeof(buf), "%s/%s", row_key[r], task_key[t]);
			rc = add_metric(run, buf, row[t], (int64_t)s->n[t],
					s->has_ci ? &s->ci[r][t] : NULL, err);
		}
	}
	if (!rc)
		rc = add_metric(run, "model_utility", s->stats.model_utility, 9,
				s->has_ci ? &s->mu_ci : NULL, err);
	if (!rc && res->has_fq) {
		rc = add_metric(run, "forget_quality", res->ks.pvalue, (int64_t)s->n_fq, NULL, err);
		if (!rc)
			rc = add_metric(run, "ks_statistic", res->ks.statistic, (int64_t)s->n_fq, NULL, err);
	}
	if (s->kind == KIND_OU) {
		for (size_t j = 0; j < s->ou.n_metrics && !rc; j++) {
			const struct uh_ou_metric *m = &s->ou.metrics[j];
			double v;
			bool avail = false;

			/* forget_quality is ours (above); privleak uses the reference log's AUC */
			if (!strcmp(m->name, "forget_quality"))
				continue;
			rc = uh_tofu_agg_ou_recompute(&s->ou, res->ref_ou, m->name, &v, &avail, err);
			if (rc)
				break;
			if (!avail) {
				if (!m->has_agg)
					continue;
				v = m->agg_value;  /* as stored: not recomputable here */
			}
			snprintf(buf, sizeof(buf), "ou/%s", m->name);
			rc = add_metric(run, buf, v, m->n ? (int64_t)m->n : -1, NULL, err);
		}
	}
	free(b.s);
	if (rc) {
		uh_store_run_abort(run);
		return rc;
	}
	return uh_store_run_commit(run, err);
}

/* ================================================================ printing */

static void print_table(const struct side *s, const struct result *res, const char *model,
			const char *split, const char *profile)
{
	static const char *const rows[3] = { "Prob.", "ROUGE", "Truth Ratio" };

	printf("%s (profile %s, split %s, %zu forget items)\n\n", model, profile,
	       split ? split : "unknown", s->n[UH_TOFU_FORGET]);
	printf("%-13s", "");
	for (int t = 0; t < UH_TOFU_NTASKS; t++)
		printf(t + 1 < UH_TOFU_NTASKS ? "  %-24s" : "  %s", task_label[t]);
	printf("\n");
	for (int r = 0; r < 3; r++) {
		const double *row = r == 0 ? s->stats.prob : r == 1 ? s->stats.rouge : s->stats.truth_ratio;

		printf("%-13s", rows[r]);
		for (int t = 0; t < UH_TOFU_NTASKS; t++)
			printf(t + 1 < UH_TOFU_NTASKS ? "  %-24.17g" : "  %.17g", row[t]);
		printf("\n");
	}
	if (s->has_ci) {
		printf("\n%g%% CI (percentile bootstrap, %d resamples)\n", 100 * CI_LEVEL, CI_B);
		for (int r = 0; r < 3; r++) {
			printf("%-13s", rows[r]);
			for (int t = 0; t < UH_TOFU_NTASKS; t++) {
				char cell[64];

				snprintf(cell, sizeof(cell), "[%.6g, %.6g]", s->ci[r][t].lo, s->ci[r][t].hi);
				printf(t + 1 < UH_TOFU_NTASKS ? "  %-24s" : "  %s", cell);
			}
			printf("\n");
		}
	}
	printf("\n%-16s%.17g", "Model Utility", s->stats.model_utility);
	if (s->has_ci)
		printf("   (%g%% CI [%.6g, %.6g])", 100 * CI_LEVEL, s->mu_ci.lo, s->mu_ci.hi);
	printf("\n");
	if (res->has_fq) {
		printf("%-16s%.17g\n", "Forget Quality", res->ks.pvalue);
		printf("%-16s%.17g\n", "KS statistic", res->ks.statistic);
		printf("%-16s%s (%zu forget items)\n", "reference", res->reference_desc, res->n_ref);
	}
}

/* ================================================================ the command */

struct opts {
	enum kind kind;
	const char *path, *reference, *db, *tag, *model;
};

/* "--name value" or "--name=value": the value, advancing *i; NULL when argv[*i] is not --name. */
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
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if ((v = opt_value(argc, argv, &i, names[k], &missing)) || missing)
				break;
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
	char *end;
	long long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return false;
	*id = v;
	return true;
}

int uh_cmd_import(int argc, char **argv)
{
	struct opts o;
	struct side s = { 0 }, ref = { 0 };
	struct result res = { 0 };
	struct uh_store *st = NULL;
	struct uh_err err;
	bool help;
	int64_t ref_id = 0, run_id = 0;
	char *model = NULL, refdesc[64];
	const char *split, *profile;
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

	/* 1. the logs */
	s.kind = o.kind;
	s.path = o.path;
	rc = load_side(&s, &err);
	if (rc)
		goto fail;

	rc = bootstrap_side(&s, &err);
	if (rc)
		goto fail;

	/* 2. the reference: logs of the same format, or a run in the store */
	if (o.reference) {
		if (!is_dir(o.reference) && !is_file(o.reference)) {
			if (!parse_run_id(o.reference, &ref_id)) {
				rc = uh_err_set(&err, UH_EINVAL,
						"reference '%s' is neither a log path nor a run id", o.reference);
				goto fail;
			}
		} else {
			ref.kind = o.kind;
			ref.path = o.reference;
			rc = load_side(&ref, &err);
			if (rc)
				goto fail;
			res.ref_files = &ref.files;
			res.ref_ou = ref.kind == KIND_OU ? &ref.ou : NULL;
			res.reference_desc = o.reference;
		}
	}

	/* 3. the store (a reference run is read from it) */
	rc = uh_store_open(&st, uh_store_default_path(o.db), &err);
	if (rc)
		goto fail;
	if (ref_id) {
		rc = load_reference_run(st, ref_id, &ref.fq, &ref.n_fq, &res.reference_model, &err);
		if (rc)
			goto fail;
		snprintf(refdesc, sizeof(refdesc), "run:%lld", (long long)ref_id);
		res.reference_desc = refdesc;
	}
	if (o.reference) {
		if (ref.n_fq != s.n_fq) {
			rc = uh_err_set(&err, UH_EINVAL,
					"the reference '%s' has %zu forget items but '%s' has %zu: both must be "
					"evaluated on the same forget split (forget10 vs retain90, forget05 vs "
					"retain95, forget01 vs retain99)",
					o.reference, ref.n_fq, o.path, s.n_fq);
			goto fail;
		}
		rc = uh_ks_2samp(s.fq, s.n_fq, ref.fq, ref.n_fq, &res.ks, &err);
		if (rc) {
			uh_err_prefix(&err, "forget quality: ");
			goto fail;
		}
		res.has_fq = true;
		res.n_ref = ref.n_fq;
	}

	/* 4. one transaction */
	model = o.model ? strdup(o.model) : log_name(o.path);
	if (!model) {
		rc = uh_err_set(&err, UH_ENOMEM, "out of memory");
		goto fail;
	}
	split = split_for(s.n[UH_TOFU_FORGET]);
	{
		char source[32];
		struct uh_store_run_info info = {
			.suite = "tofu", .split = split, .profile = profile, .model = model,
			.tag = o.tag, .uh_version = UH_VERSION, .source = source,
			.has_seed = 1, .seed = (int64_t)CI_SEED,
		};

		snprintf(source, sizeof(source), "import:%s", o.kind == KIND_TOFU ? "tofu-logs" : "ou-logs");
		rc = store_run(st, &info, &s, &res, &run_id, &err);
		if (rc)
			goto fail;
	}

	/* 5. the table */
	print_table(&s, &res, model, split, profile);
	printf("\nrun %lld stored in %s\n", (long long)run_id, uh_store_path(st));
	fflush(stdout);
	rc = 0;
	goto out;

fail:
	fprintf(stderr, "uh import: %s\n", err.msg[0] ? err.msg : uh_strerror(rc));
out:
	free(model);
	free(res.reference_model);
	uh_store_close(st);
	side_release(&s);
	side_release(&ref);
	return uh_exit_status(rc);
}
