/*
 * rouge.c - rouge_score 0.1.2 (tokenize.py, rouge_scorer.py, scoring.py)
 * with the nltk 3.8 Porter stemmer: spec/algorithms.md §1.
 *
 * The hot path is TOFU's rouge1 + rougeL with stemming over short answers,
 * so the work per call is organised to avoid per-token allocation:
 *
 *   1. Both texts are tokenized into one scratch context. Each token is
 *      interned into a small open-addressing hash table and becomes an
 *      integer id; equal strings get equal ids. With stemming, the raw
 *      token is interned too, so a word repeated within a call is stemmed
 *      once.
 *   2. rouge1 counts ids in two arrays, rouge2 sorts packed id pairs,
 *      rougeL needs only the LCS length and computes it bit-parallel (one
 *      DP row of the shorter sequence when that would take too much
 *      memory), rougeLsum builds the full table per sentence pair because
 *      it needs the package's exact backtrack.
 *
 * All scratch memory is sized before the scanning loops (a text of n bytes
 * yields at most n/2 + 1 tokens of at most n bytes in all), so the loops
 * themselves never allocate.
 */
#include "metrics/rouge.h"

#include "metrics/porter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DROP UINT32_MAX /* a raw token whose stem is not a valid token */

/* ---------------------------------------------------------------- scratch context */

struct ent {
	size_t off;        /* bytes at ctx.chars + off */
	uint32_t len, hash;
	uint32_t id;       /* the final token's id (kind 0: may be DROP) */
	uint32_t kind;     /* 0: raw token before stemming, 1: final token */
};

struct seq {
	uint32_t *id;      /* token ids */
	size_t n, capid;
	size_t *end;       /* rougeLsum: end index of each non-empty '\n' sentence */
	size_t nsent, capend;
};

struct ctx {
	bool stem;
	char *chars;       /* interned strings, back to back */
	size_t nchars, capchars;
	struct ent *ents;
	size_t nents, capents;
	uint32_t *slots;   /* 0: empty, else index into ents + 1 */
	size_t nslots;     /* power of two */
	uint32_t *fin;     /* id -> ents index of its final string */
	size_t nids, capids;
	char *stembuf;
	size_t capstem;
	struct seq t, p;   /* target, prediction */
	/* scoring scratch */
	uint32_t *cnt;     /* 2 * nids counters: target then prediction */
	uint32_t *dp;      /* LCS rows or rougeLsum's full table */
	size_t capdp;
	unsigned char *mark;
	uint64_t *grams;   /* rouge2's bigrams, or rougeL's bit masks */
	size_t capgrams;
};

static void ctx_release(struct ctx *c)
{
	free(c->chars);
	free(c->ents);
	free(c->slots);
	free(c->fin);
	free(c->stembuf);
	free(c->t.id);
	free(c->t.end);
	free(c->p.id);
	free(c->p.end);
	free(c->cnt);
	free(c->dp);
	free(c->mark);
	free(c->grams);
	memset(c, 0, sizeof(*c));
}

/* Grow *p to hold at least want elements of size sz (amortised doubling). */
static int reserve(void *p, size_t *cap, size_t want, size_t sz)
{
	if (want <= *cap)
		return 0;
	size_t n = *cap ? *cap : 16;
	while (n < want) {
		if (n > SIZE_MAX / 2 / sz)
			return -1;
		n *= 2;
	}
	void *q = realloc(*(void **)p, n * sz);
	if (!q)
		return -1;
	*(void **)p = q;
	*cap = n;
	return 0;
}

/* ---------------------------------------------------------------- interning */

static uint32_t hash_bytes(const char *s, size_t n, uint32_t kind)
{
	uint32_t h = 2166136261u ^ kind; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* Tokens are a few bytes long: a loop beats a call to memcmp. */
static bool same_bytes(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static int rehash(struct ctx *c, size_t want_slots)
{
	size_t n = c->nslots ? c->nslots : 64;
	while (n < want_slots) {
		if (n > SIZE_MAX / 2 / sizeof(uint32_t))
			return -1;
		n *= 2;
	}
	if (n == c->nslots)
		return 0;
	uint32_t *s = calloc(n, sizeof(*s));
	if (!s)
		return -1;
	for (size_t e = 0; e < c->nents; e++) {
		size_t j = c->ents[e].hash & (n - 1);
		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = (uint32_t)(e + 1);
	}
	free(c->slots);
	c->slots = s;
	c->nslots = n;
	return 0;
}

/*
 * Find (s[0..n), kind) or add it. A new entry records the string at
 * c->chars + off, which the caller has already placed there (the bytes are
 * written to the arena before the lookup, and dropped again on a hit).
 * Capacity for the entry and the slots was reserved by the caller.
 */
static struct ent *intern(struct ctx *c, size_t off, size_t n, uint32_t kind, bool *added)
{
	const char *s = c->chars + off;
	uint32_t h = hash_bytes(s, n, kind);
	size_t j = h & (c->nslots - 1);

	for (uint32_t e; (e = c->slots[j]) != 0; j = (j + 1) & (c->nslots - 1)) {
		struct ent *x = &c->ents[e - 1];
		if (x->hash == h && x->kind == kind && x->len == n &&
		    same_bytes(c->chars + x->off, s, n)) {
			*added = false;
			return x;
		}
	}
	struct ent *x = &c->ents[c->nents];
	x->off = off;
	x->len = (uint32_t)n;
	x->hash = h;
	x->kind = kind;
	x->id = DROP;
	c->slots[j] = (uint32_t)++c->nents;
	*added = true;
	return x;
}

/* The id of the final token chars[off..off+n); keeps the bytes if new. */
static uint32_t final_id(struct ctx *c, size_t off, size_t n)
{
	bool added;
	struct ent *x = intern(c, off, n, 1, &added);

	if (added) {
		x->id = (uint32_t)c->nids;
		c->fin[c->nids++] = (uint32_t)(x - c->ents);
		c->nchars = off + n;
	}
	return x->id;
}

/*
 * The id for a raw token just written at chars[off..off+n). Tokens of more
 * than 3 characters are stemmed when stemming is on ("Only stem words more
 * than 3 characters long"); a stem that is not a valid token (empty) is
 * dropped, as VALID_TOKEN_RE drops it.
 */
static uint32_t token_id(struct ctx *c, size_t off, size_t n)
{
	if (!c->stem || n <= 3)
		return final_id(c, off, n);

	bool added;
	struct ent *raw = intern(c, off, n, 0, &added);
	if (!added)
		return raw->id;
	c->nchars = off + n;
	size_t k = uh_porter_stem(c->chars + off, n, c->stembuf);
	if (k == 0)
		return DROP; /* raw->id stays DROP */
	size_t soff = c->nchars;
	memcpy(c->chars + soff, c->stembuf, k);
	/* ents was reserved for the whole text: raw stays valid */
	raw->id = final_id(c, soff, k);
	return raw->id;
}

/* ---------------------------------------------------------------- tokenizer */

/*
 * Decode one UTF-8 sequence at s[0..n) (n >= 1, s[0] >= 0x80). Returns its
 * length and sets *cp, or returns 1 with *cp = UINT32_MAX for a byte that
 * does not start a well-formed sequence. Either way the bytes are a
 * separator unless *cp is one of the two code points below, so how an
 * ill-formed sequence is split does not matter as long as no ASCII byte or
 * valid lead byte is swallowed, which the continuation checks ensure.
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char b = s[0];
	size_t len;
	uint32_t v, lo = 0x80, hi = 0xbf;

	if (b >= 0xc2 && b <= 0xdf) {
		len = 2;
		v = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		len = 3;
		v = b & 0x0f;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4;
		v = b & 0x07;
		if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
	} else {
		*cp = UINT32_MAX;
		return 1;
	}
	if (n < len)
		goto bad;
	for (size_t i = 1; i < len; i++) {
		unsigned char t = s[i];
		if (t < (i == 1 ? lo : 0x80) || t > (i == 1 ? hi : 0xbf))
			goto bad;
		v = (v << 6) | (t & 0x3f);
	}
	*cp = v;
	return len;
bad:
	*cp = UINT32_MAX;
	return 1;
}

/*
 * Tokenize text[0..n) into q, with the ids interned in c. Python lowercases
 * the whole string and then keeps maximal runs of [a-z0-9]; of all Unicode
 * only U+212A KELVIN SIGN lowercases to an ASCII letter (k), and U+0130
 * lowercases to "i" + U+0307, i.e. the letter i followed by a separator.
 * '\n' ends a rougeLsum sentence (str.split("\n")); a sentence without
 * tokens contributes nothing to rougeLsum, so only non-empty ones are kept.
 */
static int tokenize(struct ctx *c, const char *text, struct seq *q)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text);
	size_t maxtok = n / 2 + 2;

	/* Everything the loop can need: raw bytes <= n, stems <= raw + 1 per
	 * token, two entries per token, table at most half full. */
	if (n > (size_t)UINT32_MAX / 4 ||
	    reserve(&c->chars, &c->capchars, c->nchars + 3 * n + 16, 1) ||
	    reserve(&c->ents, &c->capents, c->nents + 2 * maxtok, sizeof(*c->ents)) ||
	    reserve(&c->fin, &c->capids, c->nids + maxtok, sizeof(*c->fin)) ||
	    rehash(c, 2 * (c->nents + 2 * maxtok)) ||
	    reserve(&c->stembuf, &c->capstem, n + 2, 1) ||
	    reserve(&q->id, &q->capid, maxtok, sizeof(*q->id)) ||
	    reserve(&q->end, &q->capend, maxtok, sizeof(*q->end)))
		return -1;
	q->n = 0;
	q->nsent = 0;

	size_t start = c->nchars, len = 0; /* current token at chars[start..) */
	size_t i = 0;
	for (;;) {
		unsigned char b = i < n ? s[i] : '\n';
		char tc = 0;
		bool sep_after = false;

		if (b < 0x80) {
			if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9'))
				tc = (char)b;
			else if (b >= 'A' && b <= 'Z')
				tc = (char)(b - 'A' + 'a');
			i++;
		} else {
			uint32_t cp;
			i += utf8_decode(s + i, n - i, &cp);
			if (cp == 0x212a) {
				tc = 'k';
			} else if (cp == 0x130) {
				tc = 'i';
				sep_after = true;
			}
		}
		if (tc) {
			c->chars[start + len++] = tc;
			if (!sep_after)
				continue;
		}
		if (len) {
			uint32_t id = token_id(c, start, len);
			if (id != DROP)
				q->id[q->n++] = id;
			start = c->nchars;
			len = 0;
		}
		if (b == '\n') {
			if (q->n > (q->nsent ? q->end[q->nsent - 1] : 0))
				q->end[q->nsent++] = q->n;
			if (i > n)
				break;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- scores */

/* scoring.fmeasure: ((2 * p) * r) / (p + r), evaluated in Python's order. */
static double fmeasure(double p, double r)
{
	return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

static struct uh_rouge_prf prf(size_t hits, size_t npred, size_t ntarget)
{
	struct uh_rouge_prf s;
	/* Python int / int is correctly rounded, as is the double division of
	 * two exactly representable counts. */
	s.precision = (double)hits / (double)npred;
	s.recall = (double)hits / (double)ntarget;
	s.fmeasure = fmeasure(s.precision, s.recall);
	return s;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* _score_ngrams for n = 2: sum over target bigrams of min(count in T, in P). */
static int score_rouge2(struct ctx *c, struct uh_rouge_prf *out)
{
	size_t nt = c->t.n > 1 ? c->t.n - 1 : 0, np = c->p.n > 1 ? c->p.n - 1 : 0;
	size_t inter = 0;

	if (nt && np) {
		if (reserve(&c->grams, &c->capgrams, nt + np, sizeof(uint64_t)))
			return -1;
		uint64_t *g = c->grams;
		for (size_t i = 0; i < nt; i++)
			g[i] = (uint64_t)c->t.id[i] << 32 | c->t.id[i + 1];
		for (size_t i = 0; i < np; i++)
			g[nt + i] = (uint64_t)c->p.id[i] << 32 | c->p.id[i + 1];
		qsort(g, nt, sizeof(*g), cmp_u64);
		qsort(g + nt, np, sizeof(*g), cmp_u64);
		/* merging two sorted multisets counts min(T[g], P[g]) per gram */
		for (size_t i = 0, j = nt; i < nt && j < nt + np;) {
			if (g[i] < g[j]) {
				i++;
			} else if (g[i] > g[j]) {
				j++;
			} else {
				inter++;
				i++;
				j++;
			}
		}
	}
	*out = prf(inter, np ? np : 1, nt ? nt : 1);
	return 0;
}

/* Length of the LCS of a[0..na) and b[0..nb), na <= nb, one row of na + 1. */
static size_t lcs_rows(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, uint32_t *row)
{
	memset(row, 0, (na + 1) * sizeof(*row));
	for (size_t j = 0; j < nb; j++) {
		uint32_t diag = 0, bj = b[j];
		for (size_t i = 1; i <= na; i++) {
			uint32_t up = row[i];
			if (a[i - 1] == bj)
				row[i] = diag + 1;
			else if (row[i - 1] > up)
				row[i] = row[i - 1];
			diag = up;
		}
	}
	return row[na];
}

static size_t popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555u);
	x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
	return (size_t)((x * 0x0101010101010101u) >> 56);
}

/* Above this many mask words the bit-parallel LCS falls back to rows. */
#define LCS_MASK_WORDS_MAX (1u << 18)

/*
 * Length of the LCS of a[0..na) and b[0..nb), na <= nb, for rougeL (only
 * the length matters there, so any exact method will do). Bit-parallel
 * (Allison & Dix 1986, in Hyyro's form): bit i of V is 0 where the LCS
 * row gains one at a[i]; per b[j] with match mask M of its positions in a,
 * V = (V + (V & M)) | (V & ~M), and the LCS is the number of zero bits.
 * That is 64 cells per operation, a few times faster than the rows on TOFU
 * answers; the rows serve when the masks would be large.
 */
static int lcs_length(struct ctx *c, const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
		      size_t *lcs)
{
	size_t words = (na + 63) / 64, rows = 0;

	/* one mask per distinct id of a; rowof[id] == UINT32_MAX: not in a */
	size_t need32 = c->nids + na + 1;
	if (need32 > SIZE_MAX / sizeof(uint32_t) / 2 ||
	    reserve(&c->dp, &c->capdp, need32, sizeof(uint32_t)))
		return -1;
	uint32_t *rowof = c->dp;
	memset(rowof, 0xff, c->nids * sizeof(*rowof));
	for (size_t i = 0; i < na; i++)
		if (rowof[a[i]] == UINT32_MAX)
			rowof[a[i]] = (uint32_t)rows++;

	if (rows > LCS_MASK_WORDS_MAX / words) {
		*lcs = lcs_rows(a, na, b, nb, c->dp);
		return 0;
	}
	size_t nmask = (rows + 1) * words, cap = c->capgrams;
	if (reserve(&c->grams, &cap, nmask, sizeof(uint64_t)))
		return -1;
	c->capgrams = cap;
	uint64_t *mask = c->grams, *v = c->grams + rows * words;
	memset(mask, 0, rows * words * sizeof(*mask));
	for (size_t i = 0; i < na; i++)
		mask[rowof[a[i]] * words + i / 64] |= (uint64_t)1 << (i % 64);
	for (size_t w = 0; w < words; w++)
		v[w] = ~(uint64_t)0;

	for (size_t j = 0; j < nb; j++) {
		uint32_t r = rowof[b[j]];
		if (r == UINT32_MAX)
			continue; /* M = 0 leaves V as it is */
		const uint64_t *m = mask + r * words;
		uint64_t carry = 0;
		for (size_t w = 0; w < words; w++) {
			uint64_t x = v[w], u = x & m[w];
			uint64_t t = x + u, sum = t + carry;
			carry = (t < x) | (sum < t);
			v[w] = sum | (x & ~m[w]);
		}
	}
	/* carries only move up, so bits above na never disturb the count */
	size_t zeros = 0;
	for (size_t w = 0; w < words; w++) {
		uint64_t live = (w + 1 < words || na % 64 == 0) ? ~(uint64_t)0
							 : ((uint64_t)1 << (na % 64)) - 1;
		zeros += popcount64(~v[w] & live);
	}
	*lcs = zeros;
	return 0;
}

/*
 * _summary_level_lcs: for each reference sentence, the union of its LCS
 * index lists against every candidate sentence; each index in the union,
 * ascending, is a hit if the token is still unused on both sides
 * (ROUGE-1.5.5's double-count protection). cnt holds the token counts of
 * the whole target and prediction and is consumed.
 */
static int score_lsum(struct ctx *c, uint32_t *cnt_r, uint32_t *cnt_c, struct uh_rouge_prf *out)
{
	const struct seq *t = &c->t, *p = &c->p;
	size_t hits = 0, maxr = 0;

	for (size_t s = 0, b = 0; s < t->nsent; b = t->end[s++])
		if (t->end[s] - b > maxr)
			maxr = t->end[s] - b;
	free(c->mark);
	c->mark = malloc(maxr);
	if (!c->mark)
		return -1;

	for (size_t s = 0, r0 = 0; s < t->nsent; r0 = t->end[s++]) {
		const uint32_t *r = t->id + r0;
		size_t nr = t->end[s] - r0;
		memset(c->mark, 0, nr);
		for (size_t u = 0, c0 = 0; u < p->nsent; c0 = p->end[u++]) {
			const uint32_t *cand = p->id + c0;
			size_t nc = p->end[u] - c0, w = nc + 1;
			if (nr + 1 > SIZE_MAX / sizeof(uint32_t) / w ||
			    reserve(&c->dp, &c->capdp, (nr + 1) * w, sizeof(uint32_t)))
				return -1;
			uint32_t *tab = c->dp;
			/* _lcs_table(ref, can): rows over ref, columns over can */
			memset(tab, 0, w * sizeof(*tab));
			for (size_t i = 1; i <= nr; i++) {
				uint32_t *row = tab + i * w, *up = row - w;
				row[0] = 0;
				for (size_t j = 1; j <= nc; j++) {
					if (r[i - 1] == cand[j - 1])
						row[j] = up[j - 1] + 1;
					else
						row[j] = up[j] > row[j - 1] ? up[j] : row[j - 1];
				}
			}
			/* _backtrack_norec: a strictly greater left cell moves in
			 * the candidate, ties move in the reference */
			for (size_t i = nr, j = nc; i > 0 && j > 0;) {
				if (r[i - 1] == cand[j - 1]) {
					c->mark[i - 1] = 1;
					i--;
					j--;
				} else if (tab[i * w + j - 1] > tab[(i - 1) * w + j]) {
					j--;
				} else {
					i--;
				}
			}
		}
		for (size_t i = 0; i < nr; i++) {
			uint32_t tok = r[i];
			if (c->mark[i] && cnt_c[tok] > 0 && cnt_r[tok] > 0) {
				hits++;
				cnt_c[tok]--;
				cnt_r[tok]--;
			}
		}
	}
	*out = prf(hits, p->n, t->n);
	return 0;
}

/* Score the target and prediction already tokenized into c. */
static int score_ctx(struct ctx *c, unsigned types, struct uh_rouge_scores *out)
{
	const struct seq *t = &c->t, *p = &c->p;

	memset(out, 0, sizeof(*out));
	if (types & (UH_ROUGE_1 | UH_ROUGE_LSUM)) {
		free(c->cnt);
		c->cnt = calloc(2 * c->nids + 1, sizeof(*c->cnt));
		if (!c->cnt)
			return -1;
		uint32_t *ct = c->cnt, *cp = c->cnt + c->nids;
		for (size_t i = 0; i < t->n; i++)
			ct[t->id[i]]++;
		for (size_t i = 0; i < p->n; i++)
			cp[p->id[i]]++;
		if (types & UH_ROUGE_1) {
			size_t inter = 0;
			for (size_t id = 0; id < c->nids; id++)
				inter += ct[id] < cp[id] ? ct[id] : cp[id];
			out->rouge1 = prf(inter, p->n ? p->n : 1, t->n ? t->n : 1);
		}
		/* rougeLsum is zero unless both sides have tokens (and so at
		 * least one non-empty sentence each) */
		if ((types & UH_ROUGE_LSUM) && t->n && p->n && score_lsum(c, ct, cp, &out->rougeLsum))
			return -1;
	}
	if (types & UH_ROUGE_2 && score_rouge2(c, &out->rouge2))
		return -1;
	/* rougeL of an empty side is the package's int zeros */
	if ((types & UH_ROUGE_L) && t->n && p->n) {
		const struct seq *a = t->n <= p->n ? t : p, *b = a == t ? p : t;
		size_t lcs;
		if (lcs_length(c, a->id, a->n, b->id, b->n, &lcs))
			return -1;
		out->rougeL = prf(lcs, p->n, t->n);
	}
	return 0;
}

/* ---------------------------------------------------------------- API */

static int nomem(struct ctx *c, struct uh_err *err)
{
	ctx_release(c);
	return uh_err_set(err, UH_ENOMEM, "rouge: out of memory");
}

int uh_rouge_tokenize(const char *text, bool use_stemmer, struct uh_rouge_tokens *toks,
		      struct uh_err *err)
{
	struct ctx c = { .stem = use_stemmer };
	size_t bytes = 0;

	toks->tok = NULL;
	toks->n = 0;
	if (tokenize(&c, text, &c.t))
		return nomem(&c, err);
	if (c.t.n == 0) {
		ctx_release(&c);
		return 0;
	}
	for (size_t i = 0; i < c.t.n; i++)
		bytes += c.ents[c.fin[c.t.id[i]]].len + 1;
	char **tok = malloc(c.t.n * sizeof(*tok) + bytes);
	if (!tok)
		return nomem(&c, err);
	char *dst = (char *)(tok + c.t.n);
	for (size_t i = 0; i < c.t.n; i++) {
		const struct ent *x = &c.ents[c.fin[c.t.id[i]]];
		tok[i] = dst;
		memcpy(dst, c.chars + x->off, x->len);
		dst[x->len] = '\0';
		dst += x->len + 1;
	}
	toks->tok = tok;
	toks->n = c.t.n;
	ctx_release(&c);
	return 0;
}

void uh_rouge_tokens_release(struct uh_rouge_tokens *toks)
{
	if (!toks)
		return;
	free(toks->tok);
	toks->tok = NULL;
	toks->n = 0;
}

int uh_rouge_score_types(const char *target, const char *prediction, bool use_stemmer,
			 unsigned types, struct uh_rouge_scores *out, struct uh_err *err)
{
	struct ctx c = { .stem = use_stemmer };

	if (tokenize(&c, target, &c.t) || tokenize(&c, prediction, &c.p) ||
	    score_ctx(&c, types, out))
		return nomem(&c, err);
	ctx_release(&c);
	return 0;
}

int uh_rouge_score(const char *target, const char *prediction, bool use_stemmer,
		   struct uh_rouge_scores *out, struct uh_err *err)
{
	return uh_rouge_score_types(target, prediction, use_stemmer, UH_ROUGE_ALL, out, err);
}

int uh_rouge_score_multi(const char *const *targets, size_t ntargets, const char *prediction,
			 bool use_stemmer, unsigned types, struct uh_rouge_scores *out,
			 struct uh_err *err)
{
	struct uh_rouge_scores best, s;

	if (ntargets == 0)
		return uh_err_set(err, UH_EINVAL, "rouge: score_multi needs at least one target");
	for (size_t i = 0; i < ntargets; i++) {
		int rc = uh_rouge_score_types(targets[i], prediction, use_stemmer, types, &s, err);
		if (rc)
			return rc;
		/* np.argmax over fmeasure per type: a later target replaces the
		 * best only when strictly greater */
		if (i == 0 || s.rouge1.fmeasure > best.rouge1.fmeasure)
			best.rouge1 = s.rouge1;
		if (i == 0 || s.rouge2.fmeasure > best.rouge2.fmeasure)
			best.rouge2 = s.rouge2;
		if (i == 0 || s.rougeL.fmeasure > best.rougeL.fmeasure)
			best.rougeL = s.rougeL;
		if (i == 0 || s.rougeLsum.fmeasure > best.rougeLsum.fmeasure)
			best.rougeLsum = s.rougeLsum;
	}
	*out = best;
	return 0;
}
