/*
 * bleu.c - sacrebleu 2.x BLEU (13a) and nltk 3.8 sentence_bleu.
 *
 * The reference is Python, so text is handled as code points: the 13a
 * regexes and str.split() work on characters, not bytes. Invalid UTF-8
 * bytes are carried through as single pseudo-characters (RAW_BASE + byte)
 * that are neither digits nor whitespace, so nothing is lost or merged.
 */
#include "metrics/bleu.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RAW_BASE 0x110000u
#define NLTK_MAX_ORDER 5 /* method5 needs the 5-gram precision */

/* ------------------------------------------------------------ code points */

struct cps {
	uint32_t *v;
	size_t n, cap;
};

static int cps_push(struct cps *s, uint32_t c)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		uint32_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = c;
	return 0;
}

static void cps_release(struct cps *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* Strict UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
static int utf8_decode(const char *str, struct cps *out)
{
	const unsigned char *s = (const unsigned char *)str;

	out->n = 0;
	while (*s) {
		unsigned char b = *s;
		uint32_t c, min;
		int len;

		if (b < 0x80) {
			c = b, len = 1, min = 0;
		} else if (b >= 0xC2 && b <= 0xDF) {
			c = b & 0x1F, len = 2, min = 0x80;
		} else if (b >= 0xE0 && b <= 0xEF) {
			c = b & 0x0F, len = 3, min = 0x800;
		} else if (b >= 0xF0 && b <= 0xF4) {
			c = b & 0x07, len = 4, min = 0x10000;
		} else {
			c = RAW_BASE + b, len = 1, min = 0;
		}
		for (int i = 1; i < len; i++) {
			if ((s[i] & 0xC0) != 0x80) {
				c = RAW_BASE + b, len = 1;
				break;
			}
			c = (c << 6) | (s[i] & 0x3F);
		}
		if (len > 1 && (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)))
			c = RAW_BASE + b, len = 1;
		if (cps_push(out, c))
			return -1;
		s += len;
	}
	return 0;
}

/* Bytes needed to encode c (a raw byte takes one). */
static size_t utf8_len(uint32_t c)
{
	if (c < 0x80 || c >= RAW_BASE)
		return 1;
	if (c < 0x800)
		return 2;
	if (c < 0x10000)
		return 3;
	return 4;
}

static char *utf8_put(char *p, uint32_t c)
{
	if (c >= RAW_BASE) {
		*p++ = (char)(c - RAW_BASE);
	} else if (c < 0x80) {
		*p++ = (char)c;
	} else if (c < 0x800) {
		*p++ = (char)(0xC0 | (c >> 6));
		*p++ = (char)(0x80 | (c & 0x3F));
	} else if (c < 0x10000) {
		*p++ = (char)(0xE0 | (c >> 12));
		*p++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*p++ = (char)(0x80 | (c & 0x3F));
	} else {
		*p++ = (char)(0xF0 | (c >> 18));
		*p++ = (char)(0x80 | ((c >> 12) & 0x3F));
		*p++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*p++ = (char)(0x80 | (c & 0x3F));
	}
	return p;
}

/* Python's str.isspace(), which drives str.split() and str.rstrip(). */
static int py_isspace(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 ||
	       c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static int is_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------ token lists */

/* Tokens of one string, as str.split() gives them: NUL-separated in buf. */
struct toks {
	char *buf;
	const char **tok;
	size_t n;
};

static void toks_release(struct toks *t)
{
	free(t->buf);
	free(t->tok);
	memset(t, 0, sizeof(*t));
}

/* str.split() of the code points s[0..n). */
static int split_cps(const uint32_t *s, size_t n, struct toks *out)
{
	size_t bytes = 1, ntok = 0;
	char *p;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		bytes += utf8_len(s[i]) + 1;
		if (!py_isspace(s[i]) && (i == 0 || py_isspace(s[i - 1])))
			ntok++;
	}
	out->buf = malloc(bytes);
	out->tok = malloc((ntok ? ntok : 1) * sizeof(*out->tok));
	if (!out->buf || !out->tok) {
		toks_release(out);
		return -1;
	}
	p = out->buf;
	for (size_t i = 0; i < n;) {
		if (py_isspace(s[i])) {
			i++;
			continue;
		}
		out->tok[out->n++] = p;
		while (i < n && !py_isspace(s[i]))
			p = utf8_put(p, s[i++]);
		*p++ = '\0';
	}
	return 0;
}

static int split_str(const char *s, struct toks *out)
{
	struct cps c = { 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (utf8_decode(s, &c) == 0)
		rc = split_cps(c.v, c.n, out);
	cps_release(&c);
	return rc;
}

/* ------------------------------------------------------------ 13a */

/* Replace every non-overlapping ASCII `from` in s by ASCII `to` (str.replace). */
static int cps_replace(struct cps *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to);
	struct cps out = { 0 };

	for (size_t i = 0; i < s->n;) {
		size_t k = 0;

		while (k < fl && i + k < s->n && s->v[i + k] == (unsigned char)from[k])
			k++;
		if (k == fl) {
			for (size_t j = 0; j < tl; j++)
				if (cps_push(&out, (unsigned char)to[j]))
					goto fail;
			i += fl;
		} else if (cps_push(&out, s->v[i++])) {
			goto fail;
		}
	}
	cps_release(s);
	*s = out;
	return 0;
fail:
	cps_release(&out);
	return -1;
}

/* The character class [\{-\~\[-\` -\&\(-\+\:-\@\/] of tokenizer_re.py. */
static int is_13a_punct(uint32_t c)
{
	return (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26) ||
	       (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == '/';
}

/*
 * One re.sub pass of a two-character pattern: scan left to right, and on a
 * match emit the replacement and resume after both characters, as the regex
 * engine does for non-overlapping matches.
 *   pass 'a': ([^0-9])([\.,]) -> \1 \2 (space after)
 *   pass 'b': ([\.,])([^0-9]) -> space \1 \2
 *   pass 'c': ([0-9])(-)      -> \1 - (space either side of '-')
 */
static int regex_pass(struct cps *s, char which)
{
	struct cps out = { 0 };

	for (size_t i = 0; i < s->n;) {
		uint32_t a = s->v[i], b = i + 1 < s->n ? s->v[i + 1] : 0;
		int hit = 0;

		if (i + 1 < s->n) {
			if (which == 'a')
				hit = !is_digit(a) && (b == '.' || b == ',');
			else if (which == 'b')
				hit = (a == '.' || a == ',') && !is_digit(b);
			else
				hit = is_digit(a) && b == '-';
		}
		if (!hit) {
			if (cps_push(&out, a))
				goto fail;
			i++;
			continue;
		}
		if (which == 'a') {
			if (cps_push(&out, a) || cps_push(&out, ' ') || cps_push(&out, b) ||
			    cps_push(&out, ' '))
				goto fail;
		} else if (which == 'b') {
			if (cps_push(&out, ' ') || cps_push(&out, a) || cps_push(&out, ' ') ||
			    cps_push(&out, b))
				goto fail;
		} else {
			if (cps_push(&out, a) || cps_push(&out, ' ') || cps_push(&out, b) ||
			    cps_push(&out, ' '))
				goto fail;
		}
		i += 2;
	}
	cps_release(s);
	*s = out;
	return 0;
fail:
	cps_release(&out);
	return -1;
}

/* Tokenizer13a()(line) on code points, in place; result joined by spaces. */
static int tok13a_cps(struct cps *s)
{
	struct cps out = { 0 };
	int amp = 0;

	if (cps_replace(s, "<skipped>", "") || cps_replace(s, "-\n", "") ||
	    cps_replace(s, "\n", " "))
		return -1;
	for (size_t i = 0; i < s->n; i++)
		amp |= s->v[i] == '&';
	/* Same order as sacrebleu: "&amp;lt;" becomes "&lt;" and then "<". */
	if (amp && (cps_replace(s, "&quot;", "\"") || cps_replace(s, "&amp;", "&") ||
		    cps_replace(s, "&lt;", "<") || cps_replace(s, "&gt;", ">")))
		return -1;

	/* f" {line} ", then the punctuation class padded with spaces. */
	if (cps_push(&out, ' ') || cps_push(&out, ' ') || cps_push(&out, ' '))
		goto fail;
	for (size_t i = 0; i < s->n; i++) {
		uint32_t c = s->v[i];

		if (is_13a_punct(c)) {
			if (cps_push(&out, ' ') || cps_push(&out, c) || cps_push(&out, ' '))
				goto fail;
		} else if (cps_push(&out, c)) {
			goto fail;
		}
	}
	if (cps_push(&out, ' ') || cps_push(&out, ' ') || cps_push(&out, ' '))
		goto fail;
	cps_release(s);
	*s = out;
	return regex_pass(s, 'a') || regex_pass(s, 'b') || regex_pass(s, 'c') ? -1 : 0;
fail:
	cps_release(&out);
	return -1;
}

/* " ".join(s.split()) as a malloc'd UTF-8 string. */
static char *join_split(const struct cps *s)
{
	struct toks t;
	size_t len = 1;
	char *out, *p;

	if (split_cps(s->v, s->n, &t))
		return NULL;
	for (size_t i = 0; i < t.n; i++)
		len += strlen(t.tok[i]) + 1;
	out = malloc(len);
	if (out) {
		p = out;
		for (size_t i = 0; i < t.n; i++) {
			size_t l = strlen(t.tok[i]);

			if (i)
				*p++ = ' ';
			memcpy(p, t.tok[i], l);
			p += l;
		}
		*p = '\0';
	}
	toks_release(&t);
	return out;
}

int uh_bleu_tok13a(const char *line, char **out, struct uh_err *err)
{
	struct cps s = { 0 };

	*out = NULL;
	if (utf8_decode(line, &s) || tok13a_cps(&s) || !(*out = join_split(&s))) {
		cps_release(&s);
		return uh_err_set(err, UH_ENOMEM, "bleu: out of memory tokenizing");
	}
	cps_release(&s);
	return 0;
}

/*
 * sacrebleu's _preprocess_segment: optional lowercase, rstrip(), 13a, then
 * the tokens that extract_all_word_ngrams gets from line.split().
 */
static int sacre_tokens(const char *line, bool lowercase, struct toks *out)
{
	struct cps s = { 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (utf8_decode(line, &s))
		goto done;
	/* Python's str.lower() maps all of Unicode; only ASCII is folded here. */
	if (lowercase)
		for (size_t i = 0; i < s.n; i++)
			if (s.v[i] >= 'A' && s.v[i] <= 'Z')
				s.v[i] += 'a' - 'A';
	while (s.n && py_isspace(s.v[s.n - 1]))
		s.n--;
	if (tok13a_cps(&s))
		goto done;
	rc = split_cps(s.v, s.n, out);
done:
	cps_release(&s);
	return rc;
}

/* ------------------------------------------------------------ n-gram counts */

struct ngram {
	uint32_t id[NLTK_MAX_ORDER]; /* token ids from 1; unused tail is 0 */
};

static int ngram_cmp(const void *pa, const void *pb)
{
	const struct ngram *a = pa, *b = pb;

	for (int i = 0; i < NLTK_MAX_ORDER; i++)
		if (a->id[i] != b->id[i])
			return a->id[i] < b->id[i] ? -1 : 1;
	return 0;
}

struct tokref {
	const char *s;
	size_t pos;
};

static int tokref_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct tokref *)pa)->s, ((const struct tokref *)pb)->s);
}

/*
 * One segment's hypothesis and references, each token replaced by an id so
 * that n-grams compare as integer tuples. seq 0 is the hypothesis.
 */
struct seg {
	size_t nseq;
	size_t *off, *len; /* sequence k is ids[off[k] .. off[k]+len[k]) */
	uint32_t *ids;
};

static void seg_release(struct seg *g)
{
	free(g->off);
	free(g->len);
	free(g->ids);
	memset(g, 0, sizeof(*g));
}

static int seg_init(struct seg *g, const struct toks *seqs, size_t nseq)
{
	struct tokref *all = NULL;
	size_t total = 0, k = 0;
	uint32_t id = 0;

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < nseq; i++)
		total += seqs[i].n;
	g->nseq = nseq;
	g->off = malloc(nseq * sizeof(*g->off));
	g->len = malloc(nseq * sizeof(*g->len));
	g->ids = malloc((total ? total : 1) * sizeof(*g->ids));
	all = malloc((total ? total : 1) * sizeof(*all));
	if (!g->off || !g->len || !g->ids || !all)
		goto fail;
	for (size_t i = 0; i < nseq; i++) {
		g->off[i] = k;
		g->len[i] = seqs[i].n;
		for (size_t j = 0; j < seqs[i].n; j++, k++)
			all[k] = (struct tokref){ seqs[i].tok[j], k };
	}
	qsort(all, total, sizeof(*all), tokref_cmp);
	for (size_t i = 0; i < total; i++) {
		if (i == 0 || strcmp(all[i].s, all[i - 1].s) != 0)
			id++;
		g->ids[all[i].pos] = id;
	}
	free(all);
	return 0;
fail:
	free(all);
	seg_release(g);
	return -1;
}

/* Sorted n-grams of order n of sequence k; *m gets their number. */
static struct ngram *seg_ngrams(const struct seg *g, size_t k, size_t n, size_t *m)
{
	size_t len = g->len[k], cnt = len >= n ? len - n + 1 : 0;
	struct ngram *v = calloc(cnt ? cnt : 1, sizeof(*v));

	*m = cnt;
	if (!v)
		return NULL;
	for (size_t i = 0; i < cnt; i++)
		for (size_t j = 0; j < n; j++)
			v[i].id[j] = g->ids[g->off[k] + i + j];
	qsort(v, cnt, sizeof(*v), ngram_cmp);
	return v;
}

/* Occurrences of key in the sorted array v[0..m). */
static long count_in(const struct ngram *v, size_t m, const struct ngram *key)
{
	size_t lo = 0, hi = m, first;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ngram_cmp(&v[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < m && ngram_cmp(&v[lo], key) == 0)
		lo++;
	return (long)(lo - first);
}

/*
 * For order n: *correct = sum over distinct hypothesis n-grams of
 * min(count, max over references of the reference count); *total = number
 * of hypothesis n-grams. This is both sacrebleu's per-segment statistic and
 * nltk's modified_precision numerator (before nltk's max(1, ...)).
 */
static int seg_match(const struct seg *g, size_t n, long *correct, long *total)
{
	size_t nh, nr = g->nseq - 1;
	struct ngram *h = seg_ngrams(g, 0, n, &nh);
	struct ngram **r = calloc(nr ? nr : 1, sizeof(*r));
	size_t *rm = calloc(nr ? nr : 1, sizeof(*rm));
	int rc = -1;

	if (!h || !r || !rm)
		goto done;
	for (size_t k = 0; k < nr; k++)
		if (!(r[k] = seg_ngrams(g, k + 1, n, &rm[k])))
			goto done;
	*correct = 0;
	*total = (long)nh;
	for (size_t i = 0; i < nh;) {
		size_t j = i;
		long c, best = 0;

		while (j < nh && ngram_cmp(&h[j], &h[i]) == 0)
			j++;
		c = (long)(j - i);
		for (size_t k = 0; k < nr; k++) {
			long rc_k = count_in(r[k], rm[k], &h[i]);

			if (rc_k > best)
				best = rc_k;
		}
		*correct += c < best ? c : best;
		i = j;
	}
	rc = 0;
done:
	for (size_t k = 0; r && k < nr; k++)
		free(r[k]);
	free(r);
	free(rm);
	free(h);
	return rc;
}

/* Closest reference length: smallest |hyp - ref|, ties to the shorter. */
static long closest_ref_len(const struct seg *g)
{
	long h = (long)g->len[0], best = -1, bestd = 0;

	for (size_t k = 1; k < g->nseq; k++) {
		long r = (long)g->len[k], d = labs(h - r);

		if (best < 0 || d < bestd || (d == bestd && r < best))
			best = r, bestd = d;
	}
	return best;
}

/* ------------------------------------------------------------ sacrebleu */

void uh_bleu_opts_corpus(struct uh_bleu_opts *opts)
{
	opts->smooth = UH_BLEU_SMOOTH_EXP;
	opts->smooth_value = NAN;
	opts->lowercase = false;
	opts->effective_order = false;
}

void uh_bleu_opts_sentence(struct uh_bleu_opts *opts)
{
	uh_bleu_opts_corpus(opts);
	opts->effective_order = true;
}

/* my_log of sacrebleu: log(0) is replaced by a huge negative number. */
static double my_log(double x)
{
	return x == 0.0 ? -9999999999.0 : log(x);
}

/* sacrebleu 2.x BLEU.compute_bleu, in its order of operations. */
static void compute_bleu(const struct uh_bleu_opts *o, struct uh_bleu_result *res)
{
	double correct[UH_BLEU_MAX_ORDER], total[UH_BLEU_MAX_ORDER];
	double smooth_mteval = 1.0, value = o->smooth_value, logsum = 0.0;
	int any = 0, eff_order = UH_BLEU_MAX_ORDER;

	if (isnan(value))
		value = o->smooth == UH_BLEU_SMOOTH_FLOOR ? 0.1 : 1.0;
	res->bp = 1.0;
	if (res->sys_len < res->ref_len)
		res->bp = res->sys_len > 0
				  ? exp(1.0 - (double)res->ref_len / (double)res->sys_len)
				  : 0.0;
	for (int n = 0; n < UH_BLEU_MAX_ORDER; n++) {
		correct[n] = (double)res->counts[n];
		total[n] = (double)res->totals[n];
		res->precisions[n] = 0.0;
		any |= res->counts[n] != 0;
	}
	res->score = 0.0;
	if (!any)
		return;
	for (int n = 1; n <= UH_BLEU_MAX_ORDER; n++) {
		if (o->smooth == UH_BLEU_SMOOTH_ADD_K && n > 1) {
			correct[n - 1] += value;
			total[n - 1] += value;
		}
		if (total[n - 1] == 0.0)
			break;
		if (o->effective_order)
			eff_order = n;
		if (correct[n - 1] == 0.0) {
			if (o->smooth == UH_BLEU_SMOOTH_EXP) {
				smooth_mteval *= 2;
				res->precisions[n - 1] = 100.0 / (smooth_mteval * total[n - 1]);
			} else if (o->smooth == UH_BLEU_SMOOTH_FLOOR) {
				res->precisions[n - 1] = 100.0 * value / total[n - 1];
			}
		} else {
			res->precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1];
		}
	}
	/* Python's sum(): left to right from 0. */
	for (int n = 0; n < eff_order; n++)
		logsum += my_log(res->precisions[n]);
	res->score = res->bp * exp(logsum / eff_order);
}

int uh_bleu_corpus(const char *const *hyps, size_t n_seg,
		   const char *const *const *refs, size_t n_streams,
		   const struct uh_bleu_opts *opts, struct uh_bleu_result *out,
		   struct uh_err *err)
{
	struct uh_bleu_opts def;
	struct toks *seqs = NULL;
	size_t nseq = 0;
	int rc = 0;

	if (!opts) {
		uh_bleu_opts_corpus(&def);
		opts = &def;
	}
	if ((unsigned)opts->smooth > UH_BLEU_SMOOTH_NONE)
		return uh_err_set(err, UH_EINVAL, "bleu: unknown smooth method %d", (int)opts->smooth);
	memset(out, 0, sizeof(*out));
	seqs = calloc(n_streams + 1, sizeof(*seqs));
	if (!seqs)
		return uh_err_set(err, UH_ENOMEM, "bleu: out of memory");
	for (size_t i = 0; i < n_seg; i++) {
		struct seg g;

		nseq = 0;
		if (!hyps[i]) {
			rc = uh_err_set(err, UH_EINVAL, "bleu: segment %zu: hypothesis is null", i + 1);
			goto done;
		}
		if (sacre_tokens(hyps[i], opts->lowercase, &seqs[nseq++]))
			goto nomem;
		for (size_t s = 0; s < n_streams; s++)
			if (refs[s][i] && sacre_tokens(refs[s][i], opts->lowercase, &seqs[nseq++]))
				goto nomem;
		if (nseq == 1) {
			rc = uh_err_set(err, UH_EINVAL, "bleu: segment %zu has no reference", i + 1);
			goto done;
		}
		if (seg_init(&g, seqs, nseq))
			goto nomem;
		for (size_t n = 1; n <= UH_BLEU_MAX_ORDER; n++) {
			long c, t;

			if (seg_match(&g, n, &c, &t)) {
				seg_release(&g);
				goto nomem;
			}
			out->counts[n - 1] += c;
			out->totals[n - 1] += t;
		}
		out->sys_len += (long)g.len[0];
		out->ref_len += closest_ref_len(&g);
		seg_release(&g);
		for (size_t k = 0; k < nseq; k++)
			toks_release(&seqs[k]);
	}
	nseq = 0;
	compute_bleu(opts, out);
	goto done;
nomem:
	rc = uh_err_set(err, UH_ENOMEM, "bleu: out of memory");
done:
	for (size_t k = 0; k < nseq; k++)
		toks_release(&seqs[k]);
	free(seqs);
	return rc;
}

int uh_bleu_sentence(const char *hyp, const char *const *refs, size_t n_refs,
		     const struct uh_bleu_opts *opts, struct uh_bleu_result *out,
		     struct uh_err *err)
{
	struct uh_bleu_opts def;
	const char *const **streams;
	int rc;

	if (!opts) {
		uh_bleu_opts_sentence(&def);
		opts = &def;
	}
	/* sentence_bleu(hyp, [r1, r2]) is corpus_bleu([hyp], [[r1], [r2]]). */
	streams = malloc((n_refs ? n_refs : 1) * sizeof(*streams));
	if (!streams)
		return uh_err_set(err, UH_ENOMEM, "bleu: out of memory");
	for (size_t s = 0; s < n_refs; s++)
		streams[s] = &refs[s];
	rc = uh_bleu_corpus(&hyp, 1, streams, n_refs, opts, out, err);
	free(streams);
	return rc;
}

/* ------------------------------------------------------------ exact rationals */

/*
 * nltk keeps precisions as fractions.Fraction and smoothing methods 5-7 do
 * exact arithmetic on them, mixing in floats where Python would. A value
 * is either an exact rational (num/den, den > 0, reduced) or a double.
 */
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

struct pval {
	int is_rat;
	i128 num, den;
	double f;
};

static i128 gcd128(i128 a, i128 b)
{
	if (a < 0)
		a = -a;
	while (b) {
		i128 t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static struct pval rat(i128 num, i128 den)
{
	i128 g = gcd128(num, den);

	if (g > 1)
		num /= g, den /= g;
	return (struct pval){ 1, num, den, 0.0 };
}

static struct pval flt(double f)
{
	return (struct pval){ 0, 0, 1, f };
}

static int bitlen(u128 x)
{
	int b = 0;

	while (x)
		b++, x >>= 1;
	return b;
}

/*
 * float(Fraction): the correctly rounded quotient num/den (round half to
 * even), as CPython's int true division gives it. Long division yields 55
 * significant bits plus a sticky bit, then one rounding to 53.
 */
static double rat_to_double(i128 num, i128 den)
{
	int neg = num < 0;
	u128 n = (u128)(neg ? -num : num), d = (u128)den, q, r;
	int e = 0, sticky = 0;
	unsigned low;

	if (n == 0)
		return 0.0;
	q = n / d;
	r = n % d;
	while (bitlen(q) < 55) {
		/* r < d < 2^127, so 2r cannot overflow. */
		r <<= 1;
		q <<= 1;
		if (r >= d)
			q |= 1, r -= d;
		e--;
	}
	while (bitlen(q) > 55) {
		sticky |= (int)(q & 1);
		q >>= 1;
		e++;
	}
	sticky |= r != 0;
	low = (unsigned)(q & 3);
	q >>= 2;
	e += 2;
	if ((low & 2) && ((low & 1) || sticky || (q & 1)))
		q++;
	return ldexp(neg ? -(double)q : (double)q, e);
}

static double pval_double(struct pval v)
{
	return v.is_rat ? rat_to_double(v.num, v.den) : v.f;
}

/* a + b with Python's Fraction/float promotion. */
static int pval_add(struct pval a, struct pval b, struct pval *out)
{
	i128 x, y, num, den;

	if (!a.is_rat || !b.is_rat) {
		*out = flt(pval_double(a) + pval_double(b));
		return 0;
	}
	if (__builtin_mul_overflow(a.num, b.den, &x) || __builtin_mul_overflow(b.num, a.den, &y) ||
	    __builtin_add_overflow(x, y, &num) || __builtin_mul_overflow(a.den, b.den, &den))
		return -1;
	*out = rat(num, den);
	return 0;
}

/* a * b (both exact). */
static int pval_mul(struct pval a, struct pval b, struct pval *out)
{
	i128 num, den;

	if (!a.is_rat || !b.is_rat) {
		*out = flt(pval_double(a) * pval_double(b));
		return 0;
	}
	if (__builtin_mul_overflow(a.num, b.num, &num) || __builtin_mul_overflow(a.den, b.den, &den))
		return -1;
	*out = rat(num, den);
	return 0;
}

/* a / b; b non-zero. */
static int pval_div(struct pval a, struct pval b, struct pval *out)
{
	i128 num, den;

	if (!a.is_rat || !b.is_rat) {
		*out = flt(pval_double(a) / pval_double(b));
		return 0;
	}
	if (__builtin_mul_overflow(a.num, b.den, &num) || __builtin_mul_overflow(a.den, b.num, &den))
		return -1;
	if (den < 0)
		num = -num, den = -den;
	*out = rat(num, den);
	return 0;
}

/* ------------------------------------------------------------ math.fsum */

/*
 * CPython's math.fsum: Shewchuk's exact partials, then a correctly rounded
 * sum of them with the half-even fix-up. n is at most 4 here; the inputs
 * are finite.
 */
static double py_fsum(const double *x, size_t n)
{
	double p[UH_BLEU_MAX_ORDER + 1], hi = 0.0, lo = 0.0;
	size_t np = 0;

	for (size_t k = 0; k < n; k++) {
		double v = x[k];
		size_t i = 0;

		for (size_t j = 0; j < np; j++) {
			double y = p[j], h, l;

			if (fabs(v) < fabs(y)) {
				double t = v;

				v = y;
				y = t;
			}
			h = v + y;
			l = y - (h - v);
			if (l != 0.0)
				p[i++] = l;
			v = h;
		}
		np = i;
		if (v != 0.0)
			p[np++] = v;
	}
	if (np > 0) {
		hi = p[--np];
		while (np > 0) {
			double v = hi, y = p[--np], yr;

			hi = v + y;
			yr = hi - v;
			lo = y - yr;
			if (lo != 0.0)
				break;
		}
		/* Half-way case: round the way the remaining partials point. */
		if (np > 0 && ((lo < 0.0 && p[np - 1] < 0.0) || (lo > 0.0 && p[np - 1] > 0.0))) {
			double y = lo * 2.0, v = hi + y, yr = v - hi;

			if (y == yr)
				hi = v;
		}
	}
	return hi;
}

/* ------------------------------------------------------------ nltk */

struct nltk_ctx {
	long num[NLTK_MAX_ORDER], den[NLTK_MAX_ORDER]; /* modified precisions, n = 1..5 */
	long hyp_len, ref_len;
};

static int nltk_method4(const struct nltk_ctx *c, struct pval *p)
{
	const double k = 5.0;
	long inc = 1;

	for (int i = 0; i < UH_BLEU_MAX_ORDER; i++) {
		if (c->num[i] == 0 && c->hyp_len > 1) {
			/* 1 / (2**incvnt * self.k / math.log(hyp_len)) / denominator */
			double numerator = 1.0 / ((double)(1L << inc) * k / log((double)c->hyp_len));

			p[i] = flt(numerator / (double)c->den[i]);
			inc++;
		}
	}
	return 0;
}

/* p_n[i] = (m_prev + p_n[i] + old p_n[i+1]) / 3, old p_n[4] = 5-gram precision. */
static int nltk_method5(const struct nltk_ctx *c, struct pval *p)
{
	struct pval plus[UH_BLEU_MAX_ORDER + 1], m, t;

	for (int i = 0; i < UH_BLEU_MAX_ORDER; i++)
		plus[i] = p[i];
	plus[UH_BLEU_MAX_ORDER] = rat(c->num[4], c->den[4]);
	if (pval_add(p[0], rat(1, 1), &m))
		return -1;
	for (int i = 0; i < UH_BLEU_MAX_ORDER; i++) {
		if (pval_add(m, plus[i], &t) || pval_add(t, plus[i + 1], &t) ||
		    pval_div(t, rat(3, 1), &t))
			return -1;
		p[i] = m = t;
	}
	return 0;
}

static int is_zero(struct pval v)
{
	return v.is_rat ? v.num == 0 : v.f == 0.0;
}

/* Interpolate orders 3 and 4 from the two below them (alpha = 5). */
static int nltk_method6(const struct nltk_ctx *c, struct pval *p)
{
	const long alpha = 5;

	for (int i = 2; i < UH_BLEU_MAX_ORDER; i++) {
		long l = c->hyp_len - i > 0 ? c->hyp_len - i : 0, m = c->num[i];
		struct pval pi0, t;

		if (is_zero(p[i - 2])) {
			/* pi0 is the int 0, so (m + 0) / (l + alpha) is int division: a float. */
			p[i] = flt((double)m / (double)(l + alpha));
			continue;
		}
		if (pval_mul(p[i - 1], p[i - 1], &pi0) || pval_div(pi0, p[i - 2], &pi0) ||
		    pval_mul(rat(alpha, 1), pi0, &t) || pval_add(rat(m, 1), t, &t) ||
		    pval_div(t, rat(l + alpha, 1), &t))
			return -1;
		p[i] = t;
	}
	return 0;
}

int uh_bleu_nltk_sentence(const char *hyp, const char *const *refs, size_t n_refs,
			  enum uh_bleu_nltk_method method, double *out,
			  struct uh_err *err)
{
	struct toks *seqs;
	struct seg g = { 0 };
	struct nltk_ctx c;
	struct pval p[UH_BLEU_MAX_ORDER];
	double terms[UH_BLEU_MAX_ORDER], bp, s;
	size_t nseq = 0, nterms = 0;
	int rc = 0, srt;

	*out = 0.0;
	if (n_refs == 0)
		return uh_err_set(err, UH_EINVAL, "nltk bleu: no reference");
	if ((unsigned)method > UH_BLEU_NLTK_METHOD7)
		return uh_err_set(err, UH_EINVAL, "nltk bleu: unknown smoothing method %d", (int)method);
	seqs = calloc(n_refs + 1, sizeof(*seqs));
	if (!seqs)
		return uh_err_set(err, UH_ENOMEM, "nltk bleu: out of memory");
	if (split_str(hyp, &seqs[nseq++]))
		goto nomem;
	for (size_t k = 0; k < n_refs; k++)
		if (split_str(refs[k], &seqs[nseq++]))
			goto nomem;
	if (seg_init(&g, seqs, nseq))
		goto nomem;
	for (int n = 1; n <= NLTK_MAX_ORDER; n++) {
		long t;

		if (seg_match(&g, (size_t)n, &c.num[n - 1], &t))
			goto nomem;
		c.den[n - 1] = t > 1 ? t : 1;
	}
	c.hyp_len = (long)g.len[0];
	c.ref_len = closest_ref_len(&g);

	/* brevity_penalty: int 1, int 0, or exp(1 - r/h) */
	if (c.hyp_len > c.ref_len)
		bp = 1.0;
	else if (c.hyp_len == 0)
		bp = 0.0;
	else
		bp = exp(1.0 - (double)c.ref_len / (double)c.hyp_len);

	if (c.num[0] == 0)
		goto done; /* nltk returns the int 0 */

	for (int i = 0; i < UH_BLEU_MAX_ORDER; i++)
		p[i] = rat(c.num[i], c.den[i]);
	srt = 0;
	switch (method) {
	case UH_BLEU_NLTK_METHOD0:
		for (int i = 0; i < UH_BLEU_MAX_ORDER; i++)
			if (c.num[i] == 0)
				p[i] = flt(DBL_MIN); /* sys.float_info.min */
		break;
	case UH_BLEU_NLTK_METHOD1:
		for (int i = 0; i < UH_BLEU_MAX_ORDER; i++)
			if (c.num[i] == 0)
				p[i] = flt((0 + 0.1) / (double)c.den[i]);
		break;
	case UH_BLEU_NLTK_METHOD2:
		for (int i = 1; i < UH_BLEU_MAX_ORDER; i++)
			p[i] = rat(c.num[i] + 1, c.den[i] + 1);
		break;
	case UH_BLEU_NLTK_METHOD3: {
		long inc = 1;

		for (int i = 0; i < UH_BLEU_MAX_ORDER; i++)
			if (c.num[i] == 0)
				p[i] = flt(1.0 / (double)((1L << inc++) * c.den[i]));
		break;
	}
	case UH_BLEU_NLTK_METHOD4:
		srt = nltk_method4(&c, p);
		break;
	case UH_BLEU_NLTK_METHOD5:
		srt = nltk_method5(&c, p);
		break;
	case UH_BLEU_NLTK_METHOD6:
		if (c.num[2] == 0) {
			rc = uh_err_set(err, UH_EINVAL,
					"nltk bleu: smoothing method6 needs a non-zero trigram precision");
			goto done;
		}
		srt = nltk_method6(&c, p);
		break;
	case UH_BLEU_NLTK_METHOD7:
		srt = nltk_method4(&c, p) || nltk_method5(&c, p);
		break;
	}
	if (srt) {
		rc = uh_err_set(err, UH_ENUM, "nltk bleu: exact fraction arithmetic overflowed");
		goto done;
	}
	/* fsum(w_i * log(p_i) for p_i > 0), w_i = 0.25 */
	for (int i = 0; i < UH_BLEU_MAX_ORDER; i++) {
		double v = pval_double(p[i]);

		if (p[i].is_rat ? p[i].num > 0 : v > 0.0)
			terms[nterms++] = 0.25 * log(v);
	}
	s = py_fsum(terms, nterms);
	*out = bp * exp(s);
	goto done;
nomem:
	rc = uh_err_set(err, UH_ENOMEM, "nltk bleu: out of memory");
done:
	seg_release(&g);
	for (size_t k = 0; k < nseq; k++)
		toks_release(&seqs[k]);
	free(seqs);
	return rc;
}
