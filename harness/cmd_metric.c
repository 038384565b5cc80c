/*
 * cmd_metric.c - `uh metric rouge|stem|ks|bleu|auc [FILE|-] [options]`.
 *
 * Reads JSON Lines, computes one metric per line with the metrics/ kernels
 * and prints one JSON object per line, every number as %.17g so that it
 * parses back to the same double. This is how parity with the Python
 * references is checked from a shell.
 *
 * Streaming: each line is read, validated and computed before its output is
 * printed. On a bad line the command stops with status 2 and an error on
 * stderr; the outputs of the lines before it have already been printed
 * (one output line per input line, so their count says where it stopped)
 * and nothing is printed for the bad line or after it.
 */
#include "harness/cmd_metric.h"
#include "harness/cmds.h"
#include "harness/jsonl.h"
#include "metrics/auc.h"
#include "metrics/bleu.h"
#include "metrics/ks.h"
#include "metrics/porter.h"
#include "metrics/rouge.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = { "rouge", "stem", "ks", "bleu", "auc" };
#define NKINDS (sizeof(kind_names) / sizeof(kind_names[0]))

/* ---------------------------------------------------------------- output text */

/* A growing output line; a failed allocation or a non-finite number is noted
 * and reported once, by finish(). */
struct out {
	char *p;
	size_t len, cap;
	bool oom, nonfinite, open;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		char *p;

		while (cap < o->len + n + 1)
			cap *= 2;
		p = realloc(o->p, cap);
		if (!p) {
			o->oom = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void putf(struct out *o, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		o->oom = true;  /* cannot happen for the short formats used here */
		return;
	}
	put(o, buf, (size_t)n);
}

static void put_num(struct out *o, double x)
{
	if (!isfinite(x))
		o->nonfinite = true;
	putf(o, "%.17g", x);
}

/* s is valid UTF-8 (the reader checked the line), so only '"', '\\' and
 * control characters need escaping. */
static void put_str(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
		const char *e = NULL;

		if (c == '"')
			e = "\\\"";
		else if (c == '\\')
			e = "\\\\";
		else if (c == '\n')
			e = "\\n";
		else if (c == '\t')
			e = "\\t";
		else if (c == '\r')
			e = "\\r";
		else if (c < 0x20)
			e = esc;
		if (!e)
			continue;
		put(o, run, (size_t)(s - run));
		puts_(o, e);
		run = s + 1;
	}
	put(o, run, (size_t)(s - run));
	put(o, "\"", 1);
}

static void key(struct out *o, const char *name)
{
	put(o, o->open ? "," : "{", 1);
	o->open = true;
	put_str(o, name);
	put(o, ":", 1);
}

static void key_num(struct out *o, const char *name, double x)
{
	key(o, name);
	put_num(o, x);
}

static void key_nums(struct out *o, const char *name, const double *x, size_t n)
{
	key(o, name);
	put(o, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(o, ",", 1);
		put_num(o, x[i]);
	}
	put(o, "]", 1);
}

static void key_longs(struct out *o, const char *name, const long *x, size_t n)
{
	key(o, name);
	put(o, "[", 1);
	for (size_t i = 0; i < n; i++)
		putf(o, i ? ",%ld" : "%ld", x[i]);
	put(o, "]", 1);
}

/* Copy the input's "id" (a string or a finite number) to the output. */
static int put_id(struct out *o, const struct uh_jsonl *r, struct uh_err *err)
{
	const cJSON *id = uh_jsonl_field(r, "id");

	if (!id)
		return 0;
	if (cJSON_IsString(id) && id->valuestring) {
		key(o, "id");
		put_str(o, id->valuestring);
		return 0;
	}
	if (cJSON_IsNumber(id) && isfinite(id->valuedouble)) {
		key_num(o, "id", id->valuedouble);
		return 0;
	}
	return uh_jsonl_fail(r, err, "field 'id' must be a string or a finite number, got %s",
			     cJSON_IsNumber(id) ? "a number that overflows a double"
						: uh_jsonl_type_name(id));
}

/* Close the object; hand the text to *res or report what went wrong. */
static int finish(struct out *o, const struct uh_jsonl *r, char **res, struct uh_err *err)
{
	*res = NULL;
	put(o, o->open ? "}\n" : "{}\n", o->open ? 2 : 3);
	if (o->oom) {
		free(o->p);
		return uh_err_set(err, UH_ENOMEM, "out of memory formatting the output");
	}
	if (o->nonfinite) {
		free(o->p);
		if (r)
			return uh_err_set(err, UH_ENUM,
					  "input '%s' line %zu: the result is not a finite number",
					  r->name, r->lineno);
		return uh_err_set(err, UH_ENUM, "the result is not a finite number");
	}
	*res = o->p;
	return 0;
}

/* Kernel errors name no input: add it, and keep the kernel's code. */
static int kernel_fail(const struct uh_jsonl *r, struct uh_err *err)
{
	if (err && err->code == UH_EINVAL)
		return uh_err_prefix(err, "input '%s' line %zu: ", r->name, r->lineno);
	return err ? err->code : UH_EINTERNAL;
}

/* ---------------------------------------------------------------- rouge */

static void key_prf(struct out *o, const char *name, const struct uh_rouge_prf *s)
{
	double v[3] = { s->precision, s->recall, s->fmeasure };

	key_nums(o, name, v, 3);
}

static int rouge_line(struct uh_metric *m, const struct uh_jsonl *r, char **res,
		      struct uh_err *err)
{
	struct uh_rouge_scores sc;
	struct out o = { 0 };
	const char *target, *pred;
	bool stem;
	int rc;

	if ((rc = uh_jsonl_get_string(r, "target", &target, err)) ||
	    (rc = uh_jsonl_get_string(r, "prediction", &pred, err)) ||
	    (rc = uh_jsonl_get_bool(r, "use_stemmer", m->use_stemmer, &stem, err)) ||
	    (rc = put_id(&o, r, err)))
		goto fail;
	if (uh_rouge_score(target, pred, stem, &sc, err)) {
		rc = kernel_fail(r, err);
		goto fail;
	}
	key_prf(&o, "rouge1", &sc.rouge1);
	key_prf(&o, "rouge2", &sc.rouge2);
	key_prf(&o, "rougeL", &sc.rougeL);
	key_prf(&o, "rougeLsum", &sc.rougeLsum);
	return finish(&o, r, res, err);
fail:
	free(o.p);
	return rc;
}

/* ---------------------------------------------------------------- stem */

static int stem_line(struct uh_metric *m, const struct uh_jsonl *r, char **res,
		     struct uh_err *err)
{
	struct out o = { 0 };
	const char *word;
	char *stem = NULL;
	size_t len;
	int rc;

	if (m->plain) {
		word = r->line;
	} else if ((rc = uh_jsonl_get_string(r, "word", &word, err)) ||
		   (rc = put_id(&o, r, err))) {
		goto fail;
	}
	len = strlen(word);
	/* The port implements nltk's stemmer on ASCII; nltk's handling of other
	 * letters (str.lower on Unicode) is not reproduced, so refuse them. */
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)word[i] >= 0x80) {
			rc = m->plain ? uh_jsonl_fail(r, err, "word must be ASCII (byte %zu is not)", i + 1)
				      : uh_jsonl_fail(r, err, "field 'word' must be an ASCII string "
							      "(byte %zu is not ASCII)", i + 1);
			goto fail;
		}
	}
	stem = malloc(len + 2);
	if (!stem) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto fail;
	}
	uh_porter_stem(word, len, stem);
	key(&o, "word");
	put_str(&o, word);
	key(&o, "stem");
	put_str(&o, stem);
	free(stem);
	return finish(&o, r, res, err);
fail:
	free(o.p);
	return rc;
}

/* ---------------------------------------------------------------- ks */

static int ks_line(struct uh_metric *m, const struct uh_jsonl *r, char **res,
		   struct uh_err *err)
{
	static const char *const paths[] = { "exact", "exact_failed_fallback_asymp", "asymp" };
	struct uh_ks_result ks;
	struct out o = { 0 };
	double *x = NULL, *y = NULL;
	size_t nx, ny;
	int rc;

	(void)m;
	if ((rc = uh_jsonl_get_numbers(r, "x", &x, &nx, err)) ||
	    (rc = uh_jsonl_get_numbers(r, "y", &y, &ny, err)) ||
	    (rc = put_id(&o, r, err)))
		goto fail;
	if (uh_ks_2samp(x, nx, y, ny, &ks, err)) {
		rc = kernel_fail(r, err);
		goto fail;
	}
	if ((unsigned)ks.path >= sizeof(paths) / sizeof(paths[0])) {
		rc = uh_err_set(err, UH_EINTERNAL, "ks: unknown path %d", (int)ks.path);
		goto fail;
	}
	key_num(&o, "statistic", ks.statistic);
	key_num(&o, "pvalue", ks.pvalue);
	key(&o, "path");
	put_str(&o, paths[ks.path]);
	free(x);
	free(y);
	return finish(&o, r, res, err);
fail:
	free(x);
	free(y);
	free(o.p);
	return rc;
}

/* ---------------------------------------------------------------- auc */

static int auc_line(struct uh_metric *m, const struct uh_jsonl *r, char **res,
		    struct uh_err *err)
{
	struct out o = { 0 };
	double *scores = NULL, *lab = NULL;
	int *labels = NULL;
	size_t ns, nl;
	double auc;
	int rc;

	(void)m;
	if ((rc = uh_jsonl_get_numbers(r, "scores", &scores, &ns, err)) ||
	    (rc = uh_jsonl_get_numbers(r, "labels", &lab, &nl, err)) ||
	    (rc = put_id(&o, r, err)))
		goto fail;
	if (ns != nl) {
		rc = uh_jsonl_fail(r, err, "fields 'scores' and 'labels' must have the same length, "
					   "got %zu and %zu", ns, nl);
		goto fail;
	}
	labels = malloc(nl * sizeof(*labels));
	if (!labels) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < nl; i++) {
		if (lab[i] != 0.0 && lab[i] != 1.0) {
			rc = uh_jsonl_fail(r, err, "field 'labels' must be a list of 0 and 1, "
						   "got %.17g at index %zu", lab[i], i);
			goto fail;
		}
		labels[i] = lab[i] == 1.0;
	}
	if (uh_auc_roc(scores, labels, ns, &auc, err)) {
		rc = kernel_fail(r, err);
		goto fail;
	}
	key_num(&o, "auc", auc);
	free(scores);
	free(lab);
	free(labels);
	return finish(&o, r, res, err);
fail:
	free(scores);
	free(lab);
	free(labels);
	free(o.p);
	return rc;
}

/* ---------------------------------------------------------------- bleu */

static void put_bleu(struct out *o, const struct uh_bleu_result *b)
{
	key_num(o, "score", b->score);
	key_longs(o, "counts", b->counts, UH_BLEU_MAX_ORDER);
	key_longs(o, "totals", b->totals, UH_BLEU_MAX_ORDER);
	key_nums(o, "precisions", b->precisions, UH_BLEU_MAX_ORDER);
	putf(o, ",\"sys_len\":%ld,\"ref_len\":%ld", b->sys_len, b->ref_len);
	key_num(o, "bp", b->bp);
}

/* Keep a copy of one segment for --corpus. */
static int collect(struct uh_metric *m, const char *hyp, const char **refs, size_t n,
		   struct uh_err *err)
{
	char **copy;
	size_t i;

	if (m->nseg == m->capseg) {
		size_t cap = m->capseg ? m->capseg * 2 : 64;
		char **h = realloc(m->hyps, cap * sizeof(*h));
		char ***rs;
		size_t *ns;

		if (!h)
			goto oom;
		m->hyps = h;
		rs = realloc(m->refs, cap * sizeof(*rs));
		if (!rs)
			goto oom;
		m->refs = rs;
		ns = realloc(m->nrefs, cap * sizeof(*ns));
		if (!ns)
			goto oom;
		m->nrefs = ns;
		m->capseg = cap;
	}
	copy = calloc(n, sizeof(*copy));
	if (!copy)
		goto oom;
	for (i = 0; i < n; i++) {
		copy[i] = strdup(refs[i]);
		if (!copy[i])
			goto oom_copy;
	}
	m->hyps[m->nseg] = strdup(hyp);
	if (!m->hyps[m->nseg])
		goto oom_copy;
	m->refs[m->nseg] = copy;
	m->nrefs[m->nseg] = n;
	m->nseg++;
	if (n > m->max_refs)
		m->max_refs = n;
	return 0;
oom_copy:
	for (i = 0; i < n; i++)
		free(copy[i]);
	free(copy);
oom:
	return uh_err_set(err, UH_ENOMEM, "out of memory collecting the corpus");
}

static int bleu_line(struct uh_metric *m, const struct uh_jsonl *r, char **res,
		     struct uh_err *err)
{
	struct uh_bleu_result b;
	struct out o = { 0 };
	const char *hyp;
	const char **refs = NULL;
	size_t n;
	double nltk = 0.0;
	bool nltk_null = false;
	int rc;

	if ((rc = uh_jsonl_get_string(r, "hypothesis", &hyp, err)) ||
	    (rc = uh_jsonl_get_strings(r, "reference", &refs, &n, err)) ||
	    (rc = put_id(&o, r, err)))
		goto fail;
	if (m->corpus) {
		rc = collect(m, hyp, refs, n, err);
		free(refs);
		free(o.p);
		return rc;
	}
	if (uh_bleu_sentence(hyp, refs, n, NULL, &b, err)) {
		rc = kernel_fail(r, err);
		goto fail;
	}
	if (m->nltk_method >= 0) {
		rc = uh_bleu_nltk_sentence(hyp, refs, n, (enum uh_bleu_nltk_method)m->nltk_method,
					   &nltk, err);
		/* nltk's method6 asserts a non-zero trigram precision; like the
		 * vectors, report that as null rather than failing the line. */
		if (rc == UH_EINVAL && m->nltk_method == UH_BLEU_NLTK_METHOD6) {
			nltk_null = true;
		} else if (rc) {
			rc = kernel_fail(r, err);
			goto fail;
		}
		uh_err_clear(err);
	}
	put_bleu(&o, &b);
	if (m->nltk_method >= 0) {
		if (nltk_null) {
			key(&o, "nltk");
			puts_(&o, "null");
		} else {
			key_num(&o, "nltk", nltk);
		}
	}
	free(refs);
	return finish(&o, r, res, err);
fail:
	free(refs);
	free(o.p);
	return rc;
}

static int bleu_finish(struct uh_metric *m, char **res, struct uh_err *err)
{
	const char ***streams;
	struct uh_bleu_result b;
	struct out o = { 0 };
	size_t s;
	int rc = 0;

	streams = calloc(m->max_refs, sizeof(*streams));
	if (!streams)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	for (s = 0; s < m->max_refs; s++) {
		streams[s] = malloc(m->nseg * sizeof(*streams[s]));
		if (!streams[s]) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			goto out;
		}
		/* A segment with fewer references has NULL (sacrebleu's None) in the
		 * later streams. */
		for (size_t i = 0; i < m->nseg; i++)
			streams[s][i] = s < m->nrefs[i] ? m->refs[i][s] : NULL;
	}
	rc = uh_bleu_corpus((const char *const *)m->hyps, m->nseg,
			    (const char *const *const *)streams, m->max_refs, NULL, &b, err);
	if (rc) {
		if (rc == UH_EINVAL)
			uh_err_prefix(err, "corpus of %zu lines: ", m->nseg);
		goto out;
	}
	put_bleu(&o, &b);
	key_num(&o, "segments", (double)m->nseg);
	rc = finish(&o, NULL, res, err);
out:
	for (s = 0; s < m->max_refs; s++)
		free(streams[s]);
	free(streams);
	return rc;
}

/* ---------------------------------------------------------------- handlers */

int uh_metric_kind_from_name(const char *name)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (!strcmp(name, kind_names[i]))
			return (int)i;
	return -1;
}

void uh_metric_init(struct uh_metric *m, enum uh_metric_kind kind)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->use_stemmer = true;
	m->nltk_method = -1;
}

void uh_metric_release(struct uh_metric *m)
{
	for (size_t i = 0; i < m->nseg; i++) {
		for (size_t j = 0; j < m->nrefs[i]; j++)
			free(m->refs[i][j]);
		free(m->refs[i]);
		free(m->hyps[i]);
	}
	free(m->hyps);
	free(m->refs);
	free(m->nrefs);
	m->hyps = NULL;
	m->refs = NULL;
	m->nrefs = NULL;
	m->nseg = m->capseg = m->max_refs = 0;
}

int uh_metric_line(struct uh_metric *m, const struct uh_jsonl *r, char **out,
		   struct uh_err *err)
{
	*out = NULL;
	if (!(m->kind == UH_METRIC_STEM && m->plain) && !r->obj)
		return uh_err_set(err, UH_EINTERNAL, "uh_metric_line: no current object");
	if (m->kind == UH_METRIC_STEM && m->plain && !r->line)
		return uh_err_set(err, UH_EINTERNAL, "uh_metric_line: no current line");
	switch (m->kind) {
	case UH_METRIC_ROUGE: return rouge_line(m, r, out, err);
	case UH_METRIC_STEM: return stem_line(m, r, out, err);
	case UH_METRIC_KS: return ks_line(m, r, out, err);
	case UH_METRIC_BLEU: return bleu_line(m, r, out, err);
	case UH_METRIC_AUC: return auc_line(m, r, out, err);
	}
	return uh_err_set(err, UH_EINTERNAL, "uh_metric_line: unknown kind %d", (int)m->kind);
}

int uh_metric_finish(struct uh_metric *m, char **out, struct uh_err *err)
{
	*out = NULL;
	if (m->kind == UH_METRIC_BLEU && m->corpus && m->nseg)
		return bleu_finish(m, out, err);
	return 0;
}

/* ---------------------------------------------------------------- the command */

static const char usage_text[] =
	"usage: uh metric KIND [FILE|-] [options]\n"
	"\n"
	"Compute one metric for every line of a JSON Lines file (or stdin, also\n"
	"written '-') and print one JSON object per input line to stdout.\n"
	"\n"
	"kinds:\n"
	"  rouge   ROUGE-1/2/L/Lsum as rouge_score 0.1.2\n"
	"  stem    nltk 3.8 PorterStemmer (NLTK_EXTENSIONS)\n"
	"  ks      two-sample Kolmogorov-Smirnov test as scipy 1.10 ks_2samp\n"
	"  bleu    sacrebleu 2.x sentence BLEU (or --corpus), optionally nltk 3.8\n"
	"  auc     ROC AUC as scikit-learn roc_auc_score\n"
	"\n"
	"options for every kind:\n"
	"  --max-line N   refuse lines longer than N bytes (default 64 MiB;\n"
	"                 suffixes K, M, G multiply by 1024, 1024^2, 1024^3)\n"
	"  -h, --help     describe a kind: 'uh metric KIND --help'\n"
	"\n"
	"Input: UTF-8, one JSON object per line; blank lines are skipped, unknown\n"
	"fields are ignored, NaN, Infinity and numbers that overflow a double\n"
	"(1e999) are refused. An optional \"id\" field (string or number) is\n"
	"copied to the output object. An input with no lines prints nothing and\n"
	"exits 0.\n"
	"\n"
	"Output: every number is printed with %.17g, so it parses back to the\n"
	"same double bit for bit.\n"
	"\n"
	"Errors: a bad line stops the command with status 2 and a message naming\n"
	"the input, the line and the field on stderr. Lines are handled as they\n"
	"arrive: the outputs of the lines before the bad one have been printed,\n"
	"nothing is printed for the bad line or after it (bleu --corpus prints\n"
	"nothing at all). Status 3 means an i/o, memory or numerical failure\n"
	"(such as exact rationals overflowing in nltk method5/7) or a bug.\n";

static const char help_rouge[] =
	"usage: uh metric rouge [FILE|-] [--stem | --no-stem]\n"
	"\n"
	"RougeScorer(['rouge1','rouge2','rougeL','rougeLsum'], use_stemmer)\n"
	".score(target, prediction) of rouge_score 0.1.2; rougeLsum splits on '\\n'.\n"
	"\n"
	"input fields:\n"
	"  target        string: the reference\n"
	"  prediction    string: the candidate\n"
	"  use_stemmer   optional true/false; default true, or as set by\n"
	"                --stem / --no-stem\n"
	"  id            optional string or number, copied to the output\n"
	"\n"
	"output fields:\n"
	"  rouge1, rouge2, rougeL, rougeLsum   [precision, recall, fmeasure]\n"
	"\n"
	"example:\n"
	"  $ echo '{\"id\":1,\"target\":\"the cat sat\",\"prediction\":\"the cats sat down\"}' \\\n"
	"      | uh metric rouge\n"
	"  {\"id\":1,\"rouge1\":[0.75,1,0.8571428571428571],\"rouge2\":[0.66666666666666663,1,0.80000000000000004],...}\n";

static const char help_stem[] =
	"usage: uh metric stem [FILE|-] [--plain]\n"
	"\n"
	"nltk 3.8 PorterStemmer().stem(word) in NLTK_EXTENSIONS mode (lower-cases\n"
	"first). Words must be ASCII.\n"
	"\n"
	"input fields:\n"
	"  word   string\n"
	"  id     optional string or number, copied to the output\n"
	"With --plain every non-blank input line is one word (no JSON, no id).\n"
	"\n"
	"output fields:\n"
	"  word, stem   strings\n"
	"\n"
	"example:\n"
	"  $ printf 'running\\nflies\\n' | uh metric stem --plain\n"
	"  {\"word\":\"running\",\"stem\":\"run\"}\n"
	"  {\"word\":\"flies\",\"stem\":\"fli\"}\n";

static const char help_ks[] =
	"usage: uh metric ks [FILE|-]\n"
	"\n"
	"scipy 1.10.1 stats.ks_2samp(x, y), two-sided, method='auto'.\n"
	"\n"
	"input fields:\n"
	"  x, y   non-empty lists of finite numbers: the two samples\n"
	"  id     optional string or number, copied to the output\n"
	"\n"
	"output fields:\n"
	"  statistic   D\n"
	"  pvalue      two-sided p-value\n"
	"  path        \"exact\", \"exact_failed_fallback_asymp\" (scipy warned and\n"
	"              used kstwo.sf) or \"asymp\" (a sample larger than 10000)\n"
	"\n"
	"example:\n"
	"  $ echo '{\"x\":[1,2,3],\"y\":[4,5,6,7]}' | uh metric ks\n"
	"  {\"statistic\":1,\"pvalue\":0.057142857142857148,\"path\":\"exact\"}\n";

static const char help_bleu[] =
	"usage: uh metric bleu [FILE|-] [--corpus] [--nltk-method N]\n"
	"\n"
	"sacrebleu 2.x BLEU with its defaults (13a tokenizer, exp smoothing, case\n"
	"kept): sentence_bleu(hypothesis, references) per line, or with --corpus a\n"
	"single corpus_bleu over all lines.\n"
	"\n"
	"input fields:\n"
	"  hypothesis   string\n"
	"  reference    string, or a non-empty list of strings (several references)\n"
	"  id           optional string or number, copied to the output (not with\n"
	"               --corpus)\n"
	"\n"
	"options:\n"
	"  --corpus          print one object for the whole input: corpus_bleu(\n"
	"                    hypotheses, reference streams); a line with fewer\n"
	"                    references than others has None in the later streams\n"
	"  --nltk-method N   also nltk 3.8 sentence_bleu([r.split() ...],\n"
	"                    hypothesis.split(), smoothing_function=methodN),\n"
	"                    N = 0..7, default weights; not with --corpus\n"
	"\n"
	"output fields:\n"
	"  score        BLEU, 0..100 (sentence_bleu: effective order on)\n"
	"  counts       clipped n-gram matches for n = 1..4\n"
	"  totals       hypothesis n-grams for n = 1..4\n"
	"  precisions   smoothed n-gram precisions, 0..100\n"
	"  sys_len      hypothesis length in tokens\n"
	"  ref_len      closest reference length\n"
	"  bp           brevity penalty\n"
	"  nltk         with --nltk-method: nltk's score, 0..1; null where nltk\n"
	"               raises (method6 with a zero trigram precision)\n"
	"  segments     with --corpus: the number of lines\n"
	"\n"
	"example:\n"
	"  $ echo '{\"hypothesis\":\"the cat is on the mat\",\"reference\":\"The cat sat on the mat.\"}' \\\n"
	"      | uh metric bleu\n"
	"  {\"score\":27.482545710800192,\"counts\":[4,2,1,0],\"totals\":[6,5,4,3],...,\"sys_len\":6,\"ref_len\":7,\"bp\":0.84648172489061402}\n";

static const char help_auc[] =
	"usage: uh metric auc [FILE|-]\n"
	"\n"
	"scikit-learn roc_auc_score(labels, scores) for binary labels\n"
	"(= auc(*roc_curve(labels, scores)[:2])).\n"
	"\n"
	"input fields:\n"
	"  scores   non-empty list of finite numbers\n"
	"  labels   list of 0 and 1 of the same length, both classes present;\n"
	"           1 is the positive class\n"
	"  id       optional string or number, copied to the output\n"
	"\n"
	"output fields:\n"
	"  auc   area under the ROC curve\n"
	"\n"
	"example:\n"
	"  $ echo '{\"scores\":[0.1,0.4,0.35,0.8],\"labels\":[0,0,1,1]}' | uh metric auc\n"
	"  {\"auc\":0.75}\n";

static const char *const kind_help[] = { help_rouge, help_stem, help_ks, help_bleu, help_auc };

/* Parse "--max-line" values: a positive integer with an optional K/M/G. */
static bool parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v == 0)
		return false;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || v > (SIZE_MAX >> shift) / 2)
		return false;
	*out = (size_t)v << shift;
	return true;
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("uh metric: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(see 'uh metric --help')\n", stderr);
	return 2;
}

int uh_cmd_metric(int argc, char **argv)
{
	struct uh_metric m;
	struct uh_jsonl r;
	struct uh_err err;
	const char *path = NULL;
	size_t max_line = 0;
	bool stem_set = false, only_files = false;
	char *text = NULL;
	int kind, rc = 0, status;

	uh_err_clear(&err);
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return fflush(stdout) ? 3 : 0;
	}
	kind = uh_metric_kind_from_name(argv[1]);
	if (kind < 0)
		return usage_error("unknown kind '%s' (rouge, stem, ks, bleu, auc)", argv[1]);
	uh_metric_init(&m, (enum uh_metric_kind)kind);

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (only_files || a[0] != '-' || !strcmp(a, "-")) {
			if (path)
				return usage_error("more than one input: '%s'", a);
			path = a;
		} else if (!strcmp(a, "--")) {
			only_files = true;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(kind_help[kind], stdout);
			return fflush(stdout) ? 3 : 0;
		} else if (!strcmp(a, "--max-line")) {
			if (i + 1 >= argc || !parse_size(argv[i + 1], &max_line))
				return usage_error("--max-line needs a positive size in bytes");
			i++;
		} else if (kind == UH_METRIC_ROUGE && (!strcmp(a, "--stem") || !strcmp(a, "--no-stem"))) {
			if (stem_set)
				return usage_error("--stem and --no-stem given more than once");
			stem_set = true;
			m.use_stemmer = !strcmp(a, "--stem");
		} else if (kind == UH_METRIC_STEM && !strcmp(a, "--plain")) {
			m.plain = true;
		} else if (kind == UH_METRIC_BLEU && !strcmp(a, "--corpus")) {
			m.corpus = true;
		} else if (kind == UH_METRIC_BLEU && !strcmp(a, "--nltk-method")) {
			const char *v = i + 1 < argc ? argv[i + 1] : "";

			if (strlen(v) != 1 || v[0] < '0' || v[0] > '7')
				return usage_error("--nltk-method needs a method number 0..7, got '%s'", v);
			m.nltk_method = v[0] - '0';
			i++;
		} else {
			fprintf(stderr, "uh metric %s: unknown option '%s'\n", kind_names[kind], a);
			fprintf(stderr, "(see 'uh metric %s --help')\n", kind_names[kind]);
			return 2;
		}
	}
	if (m.corpus && m.nltk_method >= 0)
		return usage_error("--nltk-method works per line, not with --corpus");

	rc = uh_jsonl_open(&r, path ? path : "-", &err);
	if (rc) {
		fprintf(stderr, "uh metric: %s\n", err.msg);
		return uh_exit_status(rc);
	}
	if (max_line)
		r.max_line = max_line;

	for (;;) {
		const char *line;
		const cJSON *obj;
		size_t len;

		if (m.plain)
			rc = uh_jsonl_next_line(&r, &line, &len, &err);
		else
			rc = uh_jsonl_next(&r, &obj, &err);
		if (rc)
			goto out;
		if (m.plain ? !line : !obj)
			break;
		rc = uh_metric_line(&m, &r, &text, &err);
		if (rc)
			goto out;
		if (text) {
			fputs(text, stdout);
			free(text);
			text = NULL;
		}
	}
	rc = uh_metric_finish(&m, &text, &err);
	if (!rc && text)
		fputs(text, stdout);
	free(text);
out:
	uh_jsonl_release(&r);
	uh_metric_release(&m);
	status = rc ? uh_exit_status(rc) : 0;
	if (rc)
		fprintf(stderr, "uh metric: %s\n", err.msg);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "uh metric: cannot write the output: %s\n", strerror(errno));
		status = 3;
	}
	return status;
}
