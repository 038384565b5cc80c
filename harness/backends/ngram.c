/*
 * ngram.c - interpolated modified Kneser-Ney n-gram LM (see ngram.h).
 *
 * Layout. Every n-gram seen in training (and every prefix of one) is a node
 * of a trie stored flat: node = (parent = the n-gram without its last token,
 * word = the last token), found through one open-addressing hash table keyed
 * by (parent, word). The root (node 0) is the empty n-gram. A node that has
 * children is also a context: it owns a range of the child array and the
 * back-off weight gamma. Each node stores its own discounted probability
 * term = (a - D(a)) / S(parent) (> 0: every discount is below its count),
 * so p(w | h) is a sum of stored terms scaled by products of gammas:
 *
 *   p(w | h) = sum_{j=J..1} G_j term(h_j w) + G_0 p1(w),
 *   G_J = 1, G_{j-1} = G_j gamma(h_j),   p1(w) = term(w) + gamma(root) / |V|
 *
 * where h_j is the context of the last j tokens and J the longest one seen.
 * Summing in that fixed order makes the one-word path and the argmax path
 * (which accumulates over the children of each context) bit-identical.
 */
#include "harness/backends/ngram.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
/* Bumped when tokenization changes, so model ids change with it. */
#define TOKENIZER_TAG "uh-ngram-tokenizer-1"
/* A hard cap on a training file: the whole file is held in memory. */
#define MAX_TRAIN_FILE ((size_t)1 << 30)
#define N_SPECIALS 3

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

struct node {
	uint32_t parent;
	uint32_t word;
	uint32_t a;   /* adjusted count: raw at the top order and after BOS, else N1+(. g) */
	uint32_t ctx; /* index into ctxs, or NONE when the node has no children */
	double term;  /* (a - D(a)) / S(parent) */
};

struct ctx {
	double gamma;   /* back-off weight: (D1 N1 + D2 N2 + D3 N3+) / S */
	uint32_t first; /* children: child[first .. first + n) */
	uint32_t n;
};

struct uh_ngram {
	int order;
	char id[64];

	/* vocabulary: piece texts, NUL-terminated, in one arena */
	char *arena;
	size_t arena_len, arena_cap;
	size_t *tok_off;
	uint32_t *tok_len;
	uint32_t ntok, tok_cap;
	uint32_t *vslot; /* hash of piece -> id, NONE = empty */
	size_t vcap;

	/* n-gram trie */
	struct node *nodes;
	size_t nnodes, node_cap;
	uint32_t *nslot; /* hash of (parent, word) -> node, NONE = empty */
	size_t ncap;
	struct ctx *ctxs;
	size_t nctx;
	uint32_t *child;

	double D[UH_NGRAM_MAX_ORDER + 1][4]; /* D[order][1..3] */
	double *p1;        /* unigram level, interpolated with uniform; 0 for BOS */
	uint32_t best_uni; /* argmax of p1 over V without UNK and BOS, lowest id */
};

/* ------------------------------------------------------------------ hashing */

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL

/* splitmix64's finalizer: spreads (parent, word) keys over the table. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* ---------------------------------------------------------------- tokenizer */

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Length of the piece at s (0 only at the end of the string). */
static size_t piece_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (is_space(s[i]))
		i++;
	if (!s[i])
		return i;
	if (is_letter(s[i])) {
		while (is_letter(s[i]))
			i++;
	} else if (is_digit(s[i])) {
		while (is_digit(s[i]))
			i++;
	} else {
		i++;
	}
	return i;
}

/* ------------------------------------------------------------ growable ids */

struct idbuf {
	uint32_t *v;
	size_t n, cap;
};

static int idbuf_push(struct idbuf *b, uint32_t x)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 256;
		uint32_t *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return UH_ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = x;
	return 0;
}

/* --------------------------------------------------------------- vocabulary */

static uint32_t vocab_find(const struct uh_ngram *m, const char *s, size_t len)
{
	size_t mask = m->vcap - 1;
	size_t i = (size_t)fnv1a(FNV_OFFSET, s, len) & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t id = m->vslot[i];

		if (id == NONE)
			return NONE;
		if (m->tok_len[id] == len && memcmp(m->arena + m->tok_off[id], s, len) == 0)
			return id;
	}
}

static int vocab_grow_table(struct uh_ngram *m)
{
	size_t cap = m->vcap ? 2 * m->vcap : 4096;
	uint32_t *slot = malloc(cap * sizeof(*slot));

	if (!slot)
		return UH_ENOMEM;
	memset(slot, 0xff, cap * sizeof(*slot));
	for (uint32_t id = N_SPECIALS; id < m->ntok; id++) {
		const char *s = m->arena + m->tok_off[id];
		size_t i = (size_t)fnv1a(FNV_OFFSET, s, m->tok_len[id]) & (cap - 1);

		while (slot[i] != NONE)
			i = (i + 1) & (cap - 1);
		slot[i] = id;
	}
	free(m->vslot);
	m->vslot = slot;
	m->vcap = cap;
	return 0;
}

/* Append a token text (NUL-terminated in the arena) and return its id. */
static int vocab_append(struct uh_ngram *m, const char *s, size_t len, uint32_t *id)
{
	if (m->ntok == m->tok_cap) {
		uint32_t cap = m->tok_cap ? 2 * m->tok_cap : 1024;
		size_t *off = realloc(m->tok_off, cap * sizeof(*off));

		if (!off)
			return UH_ENOMEM;
		m->tok_off = off;
		uint32_t *ln = realloc(m->tok_len, cap * sizeof(*ln));
		if (!ln)
			return UH_ENOMEM;
		m->tok_len = ln;
		m->tok_cap = cap;
	}
	if (m->arena_len + len + 1 > m->arena_cap) {
		size_t cap = m->arena_cap ? m->arena_cap : 65536;
		char *a;

		while (cap < m->arena_len + len + 1)
			cap *= 2;
		a = realloc(m->arena, cap);
		if (!a)
			return UH_ENOMEM;
		m->arena = a;
		m->arena_cap = cap;
	}
	memcpy(m->arena + m->arena_len, s, len);
	m->arena[m->arena_len + len] = '\0';
	m->tok_off[m->ntok] = m->arena_len;
	m->tok_len[m->ntok] = (uint32_t)len;
	m->arena_len += len + 1;
	*id = m->ntok++;
	return 0;
}

static int vocab_intern(struct uh_ngram *m, const char *s, size_t len, uint32_t *id)
{
	uint32_t found = vocab_find(m, s, len);
	int rc;

	if (found != NONE) {
		*id = found;
		return 0;
	}
	if (m->ntok >= (uint32_t)INT32_MAX || len > UINT32_MAX)
		return UH_ENOMEM;
	/* keep the load factor under 1/2 so probes stay short */
	if (2 * ((size_t)m->ntok + 1) > m->vcap && (rc = vocab_grow_table(m)) < 0)
		return rc;
	if ((rc = vocab_append(m, s, len, id)) < 0)
		return rc;
	{
		size_t i = (size_t)fnv1a(FNV_OFFSET, s, len) & (m->vcap - 1);

		while (m->vslot[i] != NONE)
			i = (i + 1) & (m->vcap - 1);
		m->vslot[i] = *id;
	}
	return 0;
}

/* Pieces of text as ids: interned when training, UNK for unseen otherwise. */
static int text_ids(struct uh_ngram *train, const struct uh_ngram *m, const char *text,
		    struct idbuf *out)
{
	const char *p = text;
	size_t n;
	int rc;

	while ((n = piece_len(p)) > 0) {
		uint32_t id;

		if (train) {
			if ((rc = vocab_intern(train, p, n, &id)) < 0)
				return rc;
		} else {
			id = vocab_find(m, p, n);
			if (id == NONE)
				id = UH_NGRAM_UNK;
		}
		if ((rc = idbuf_push(out, id)) < 0)
			return rc;
		p += n;
	}
	return 0;
}

/*
 * Token healing: the whitespace at the end of a context belongs, in every
 * training text, to the piece that follows it (" The", "\nAnswer"), so a
 * context is tokenized without its trailing whitespace and that whitespace
 * is put back in front of what comes next (lm-eval's _encode_pair does the
 * same). Returns the length of the trailing whitespace of s.
 */
static size_t trailing_space(const char *s)
{
	size_t n = strlen(s), k = 0;

	while (k < n && is_space((unsigned char)s[n - 1 - k]))
		k++;
	return k;
}

/* s[0..n) as a new string; NULL when out of memory. */
static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* --------------------------------------------------------------------- trie */

static size_t node_slot(uint32_t parent, uint32_t word, size_t mask)
{
	return (size_t)mix64(((uint64_t)parent << 32) | word) & mask;
}

static uint32_t node_find(const struct uh_ngram *m, uint32_t parent, uint32_t word)
{
	size_t mask = m->ncap - 1;

	for (size_t i = node_slot(parent, word, mask);; i = (i + 1) & mask) {
		uint32_t k = m->nslot[i];

		if (k == NONE)
			return NONE;
		if (m->nodes[k].parent == parent && m->nodes[k].word == word)
			return k;
	}
}

static int node_grow_table(struct uh_ngram *m)
{
	size_t cap = m->ncap ? 2 * m->ncap : 65536;
	uint32_t *slot = malloc(cap * sizeof(*slot));

	if (!slot)
		return UH_ENOMEM;
	memset(slot, 0xff, cap * sizeof(*slot));
	for (size_t k = 1; k < m->nnodes; k++) {
		size_t i = node_slot(m->nodes[k].parent, m->nodes[k].word, cap - 1);

		while (slot[i] != NONE)
			i = (i + 1) & (cap - 1);
		slot[i] = (uint32_t)k;
	}
	free(m->nslot);
	m->nslot = slot;
	m->ncap = cap;
	return 0;
}

/* Find (parent, word) or add it; one probe sequence serves both. */
static int node_get(struct uh_ngram *m, uint32_t parent, uint32_t word, uint32_t *out,
		    int *created)
{
	size_t i, mask;
	uint32_t k;
	int rc;

	*created = 0;
	/* growing before the probe keeps the load under 1/2 after an insert */
	if (2 * (m->nnodes + 1) > m->ncap && (rc = node_grow_table(m)) < 0)
		return rc;
	mask = m->ncap - 1;
	for (i = node_slot(parent, word, mask); (k = m->nslot[i]) != NONE; i = (i + 1) & mask) {
		if (m->nodes[k].parent == parent && m->nodes[k].word == word) {
			*out = k;
			return 0;
		}
	}
	if (m->nnodes >= (size_t)UINT32_MAX - 1)
		return UH_ENOMEM;
	if (m->nnodes == m->node_cap) {
		size_t cap = 2 * m->node_cap;
		struct node *v = realloc(m->nodes, cap * sizeof(*v));

		if (!v)
			return UH_ENOMEM;
		m->nodes = v;
		m->node_cap = cap;
	}
	k = (uint32_t)m->nnodes++;
	m->nodes[k] = (struct node){.parent = parent, .word = word, .ctx = NONE};
	m->nslot[i] = k;
	*out = k;
	*created = 1;
	return 0;
}

/* ----------------------------------------------------------------- training */

/*
 * Count one document t[0..n) (t[0] = BOS, t[n-1] = EOS). At position i the
 * n-grams ending there are t[i-len+1..i], len = 1..order; each extends the
 * n-gram one shorter that ended at i-1 (cur[len] = child(prev[len-1], t[i])),
 * so a position costs `order` probes. Adjusted counts (Chen & Goodman):
 * an n-gram of the top order, or one starting with BOS (no left context),
 * counts occurrences; any other counts distinct left extensions, i.e. gets
 * +1 each time a longer n-gram ending in it is first created.
 */
static int count_doc(struct uh_ngram *m, const uint32_t *t, size_t n)
{
	uint32_t prev[UH_NGRAM_MAX_ORDER + 1] = {0}, cur[UH_NGRAM_MAX_ORDER + 1] = {0};
	size_t N = (size_t)m->order;
	int created, rc;

	prev[0] = cur[0] = 0;
	if ((rc = node_get(m, 0, t[0], &prev[1], &created)) < 0)
		return rc;
	for (size_t i = 1; i < n; i++) {
		size_t top = i + 1 < N ? i + 1 : N;

		/* the probes of one position are independent: start all their
		 * cache misses (slot, then node) before walking them */
		for (size_t len = 1; len <= top; len++)
			PREFETCH(&m->nslot[node_slot(prev[len - 1], t[i], m->ncap - 1)]);
		for (size_t len = 1; len <= top; len++) {
			uint32_t k = m->nslot[node_slot(prev[len - 1], t[i], m->ncap - 1)];

			if (k != NONE)
				PREFETCH(&m->nodes[k]);
		}
		for (size_t len = 1; len <= top; len++) {
			if ((rc = node_get(m, prev[len - 1], t[i], &cur[len], &created)) < 0)
				return rc;
			if (len == N || len == i + 1)
				m->nodes[cur[len]].a++;
			if (created && len >= 2)
				m->nodes[cur[len - 1]].a++;
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return 0;
}

/* Modified KN discounts from counts of counts t[1..4], with a fallback where
 * the estimate is undefined or outside (0, i) (tiny corpora). */
static void discounts(const uint64_t t[5], double scale, double D[4])
{
	static const double fallback[4] = {0.0, 0.5, 1.0, 1.5};
	double Y = (t[1] + 2 * t[2]) ? (double)t[1] / (double)(t[1] + 2 * t[2]) : 0.0;

	D[0] = 0.0;
	for (int i = 1; i <= 3; i++) {
		double d = NAN;

		if (t[i] && t[i + 1] && Y > 0)
			d = i - (i + 1) * Y * (double)t[i + 1] / (double)t[i];
		D[i] = scale * ((isfinite(d) && d > 0 && d < i) ? d : fallback[i]);
	}
}

static int finalize(struct uh_ngram *m, double scale)
{
	size_t nn = m->nnodes;
	uint8_t *depth = malloc(nn);
	uint32_t *cnt = calloc(nn, sizeof(*cnt));
	uint64_t *S = NULL;             /* per context: sum of its children's a */
	uint32_t (*nk)[3] = NULL;       /* per context: children with a = 1, 2, 3+ */
	uint64_t cc[UH_NGRAM_MAX_ORDER + 1][5];
	uint32_t nV = m->ntok - 1; /* every id but BOS */
	int rc = UH_ENOMEM;

	if (!depth || !cnt)
		goto out;
	memset(cc, 0, sizeof(cc));
	/* parents are created before their children, so one pass sets depths */
	depth[0] = 0;
	for (size_t k = 1; k < nn; k++) {
		struct node *x = &m->nodes[k];

		depth[k] = (uint8_t)(depth[x->parent] + 1);
		if (x->a == 0)
			continue; /* the BOS unigram: a context, never predicted */
		if (x->a <= 4)
			cc[depth[k]][x->a]++;
		cnt[x->parent]++;
	}
	for (int k = 1; k <= m->order; k++)
		discounts(cc[k], scale, m->D[k]);

	/* contexts and their children, grouped by parent */
	m->nctx = 0;
	for (size_t k = 0; k < nn; k++)
		if (cnt[k])
			m->nctx++;
	m->ctxs = calloc(m->nctx ? m->nctx : 1, sizeof(*m->ctxs));
	m->child = malloc((nn ? nn : 1) * sizeof(*m->child));
	S = calloc(m->nctx ? m->nctx : 1, sizeof(*S));
	nk = calloc(m->nctx ? m->nctx : 1, sizeof(*nk));
	if (!m->ctxs || !m->child || !S || !nk)
		goto out;
	/* from here on cnt[k] is node k's context index (NONE: no children), a
	 * dense array, cheaper to look parents up in than the nodes */
	{
		uint32_t c = 0, first = 0;

		for (size_t k = 0; k < nn; k++) {
			if (!cnt[k]) {
				cnt[k] = NONE;
				continue;
			}
			m->nodes[k].ctx = c;
			m->ctxs[c].first = first;
			first += cnt[k];
			cnt[k] = c++;
		}
	}
	for (size_t k = 1; k < nn; k++) {
		const struct node *x = &m->nodes[k];
		uint32_t pc = cnt[x->parent];
		struct ctx *c;

		if (x->a == 0)
			continue;
		c = &m->ctxs[pc];
		m->child[c->first + c->n++] = (uint32_t)k;
		S[pc] += x->a;
		nk[pc][(x->a < 3 ? x->a : 3) - 1]++;
	}
	for (size_t k = 0; k < nn; k++) {
		const double *D = m->D[depth[k] + 1];
		uint32_t ci = m->nodes[k].ctx;

		if (ci == NONE)
			continue;
		m->ctxs[ci].gamma = (D[1] * nk[ci][0] + D[2] * nk[ci][1] + D[3] * nk[ci][2]) /
				    (double)S[ci];
	}
	for (size_t k = 1; k < nn; k++) {
		struct node *x = &m->nodes[k];
		const double *D = m->D[depth[k]];
		double d;

		if (x->a == 0)
			continue;
		d = D[x->a < 3 ? x->a : 3];
		x->term = ((double)x->a - d) / (double)S[cnt[x->parent]];
	}

	/* unigram level: interpolate with the uniform distribution over V */
	m->p1 = malloc(m->ntok * sizeof(*m->p1));
	if (!m->p1)
		goto out;
	{
		double uniform = m->ctxs[m->nodes[0].ctx].gamma / (double)nV;

		m->best_uni = UH_NGRAM_EOS;
		for (uint32_t w = 0; w < m->ntok; w++) {
			uint32_t k = w == UH_NGRAM_BOS ? NONE : node_find(m, 0, w);

			m->p1[w] = w == UH_NGRAM_BOS ? 0.0 : uniform;
			if (k != NONE && m->nodes[k].a)
				m->p1[w] = m->nodes[k].term + uniform;
			if (w >= UH_NGRAM_EOS && m->p1[w] > m->p1[m->best_uni])
				m->best_uni = w;
		}
	}
	rc = 0;
out:
	free(depth);
	free(cnt);
	free(S);
	free(nk);
	return rc;
}

static struct uh_ngram *model_new(int order)
{
	struct uh_ngram *m = calloc(1, sizeof(*m));
	uint32_t id;

	if (!m)
		return NULL;
	m->order = order;
	m->node_cap = 65536;
	m->nodes = malloc(m->node_cap * sizeof(*m->nodes));
	if (!m->nodes || vocab_grow_table(m) < 0 || node_grow_table(m) < 0)
		goto fail;
	m->nodes[0] = (struct node){.parent = NONE, .word = NONE, .ctx = NONE};
	m->nnodes = 1;
	/* the specials have empty text and never enter the piece hash */
	for (int i = 0; i < N_SPECIALS; i++)
		if (vocab_append(m, "", 0, &id) < 0)
			goto fail;
	return m;
fail:
	uh_ngram_free(m);
	return NULL;
}

void uh_ngram_opts_init(struct uh_ngram_opts *o)
{
	o->order = UH_NGRAM_DEFAULT_ORDER;
	o->discount = 1.0;
}

void uh_ngram_opts_memorise(struct uh_ngram_opts *o)
{
	o->order = 16;
	o->discount = 0.5;
}

int uh_ngram_train(const char *const *docs, size_t n, const struct uh_ngram_opts *o,
		   struct uh_ngram **out, struct uh_err *err)
{
	struct uh_ngram_opts def;
	struct uh_ngram *m = NULL;
	struct idbuf ids = {0};
	uint64_t digest = fnv1a(FNV_OFFSET, TOKENIZER_TAG, sizeof(TOKENIZER_TAG));
	size_t used = 0;
	int rc;

	*out = NULL;
	if (!o) {
		uh_ngram_opts_init(&def);
		o = &def;
	}
	if (o->order < 1 || o->order > UH_NGRAM_MAX_ORDER)
		return uh_err_set(err, UH_EINVAL, "ngram: order must be 1..%d, got %d",
				  UH_NGRAM_MAX_ORDER, o->order);
	if (!(o->discount > 0 && o->discount <= 1))
		return uh_err_set(err, UH_EINVAL, "ngram: discount must be in (0, 1], got %g",
				  o->discount);
	if (!(m = model_new(o->order))) {
		rc = uh_err_set(err, UH_ENOMEM, "ngram: out of memory");
		goto fail;
	}
	for (size_t d = 0; d < n; d++) {
		size_t len;
		uint64_t len64;

		if (!docs[d] || !docs[d][0])
			continue;
		len = strlen(docs[d]);
		len64 = len;
		digest = fnv1a(digest, &len64, sizeof(len64));
		digest = fnv1a(digest, docs[d], len);
		ids.n = 0;
		if ((rc = idbuf_push(&ids, UH_NGRAM_BOS)) < 0 ||
		    (rc = text_ids(m, NULL, docs[d], &ids)) < 0 ||
		    (rc = idbuf_push(&ids, UH_NGRAM_EOS)) < 0 ||
		    (rc = count_doc(m, ids.v, ids.n)) < 0) {
			uh_err_set(err, rc, "ngram: training corpus too large for memory (document %zu)",
				   d + 1);
			goto fail;
		}
		used++;
	}
	if (!used) {
		rc = uh_err_set(err, UH_EINVAL, "ngram: training corpus is empty (%zu documents, none with text)",
				n);
		goto fail;
	}
	if ((rc = finalize(m, o->discount)) < 0) {
		uh_err_set(err, rc, "ngram: out of memory");
		goto fail;
	}
	snprintf(m->id, sizeof(m->id), "ngram-o%d-%016llx", m->order, (unsigned long long)digest);
	free(ids.v);
	*out = m;
	return 0;
fail:
	free(ids.v);
	uh_ngram_free(m);
	return rc;
}

void uh_ngram_free(struct uh_ngram *m)
{
	if (!m)
		return;
	free(m->arena);
	free(m->tok_off);
	free(m->tok_len);
	free(m->vslot);
	free(m->nodes);
	free(m->nslot);
	free(m->ctxs);
	free(m->child);
	free(m->p1);
	free(m);
}

/* ------------------------------------------------------------ training files */

static int slurp(const char *path, char **buf, size_t *len, struct uh_err *err)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return uh_err_set(err, errno == ENOENT ? UH_ENOTFOUND : UH_EIO,
				  "ngram: cannot open training file '%s': %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (n + 65536 + 1 > cap) {
			char *nb;

			cap = cap ? 2 * cap : (size_t)1 << 20;
			if (!(nb = realloc(b, cap))) {
				fclose(f);
				free(b);
				return uh_err_set(err, UH_ENOMEM, "ngram: out of memory reading '%s'", path);
			}
			b = nb;
		}
		got = fread(b + n, 1, 65536, f);
		n += got;
		if (n > MAX_TRAIN_FILE) {
			fclose(f);
			free(b);
			return uh_err_set(err, UH_EINVAL, "ngram: training file '%s' is larger than %zu bytes",
					  path, MAX_TRAIN_FILE);
		}
		if (got < 65536)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(b);
		return uh_err_set(err, UH_EIO, "ngram: cannot read training file '%s'", path);
	}
	fclose(f);
	b[n] = '\0';
	if (strlen(b) != n) {
		free(b);
		return uh_err_set(err, UH_EINVAL, "ngram: training file '%s' contains a NUL byte", path);
	}
	*buf = b;
	*len = n;
	return 0;
}

static int docs_push(const char ***docs, size_t *n, size_t *cap, const char *d)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 256;
		const char **v = realloc(*docs, c * sizeof(*v));

		if (!v)
			return UH_ENOMEM;
		*docs = v;
		*cap = c;
	}
	(*docs)[(*n)++] = d;
	return 0;
}

static int line_blank(const char *s, const char *end)
{
	for (; s < end; s++)
		if (!is_space((unsigned char)*s))
			return 0;
	return 1;
}

/* Split buf in place into documents separated by blank lines. */
static int split_plain(char *buf, size_t len, const char ***docs, size_t *n, size_t *cap)
{
	char *p = buf, *end = buf + len, *doc = NULL, *doc_end = NULL;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;

		if (line_blank(p, le)) {
			if (doc) {
				*doc_end = '\0';
				if (docs_push(docs, n, cap, doc) < 0)
					return UH_ENOMEM;
				doc = NULL;
			}
		} else {
			if (!doc)
				doc = p;
			doc_end = le; /* the newline after the last line is not part of it */
			if (le > p && le[-1] == '\r')
				doc_end = le - 1;
		}
		p = nl ? nl + 1 : end;
	}
	if (doc) {
		*doc_end = '\0';
		if (docs_push(docs, n, cap, doc) < 0)
			return UH_ENOMEM;
	}
	return 0;
}

/* JSON Lines: each non-blank line an object with a string "text"; the texts
 * are strdup'd into *docs (the caller frees each). */
static int split_jsonl(const char *path, char *buf, size_t len, const char ***docs, size_t *n,
		       size_t *cap, struct uh_err *err)
{
	char *p = buf, *end = buf + len;
	size_t lineno = 0;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		cJSON *o;
		const cJSON *t;
		char *copy;

		lineno++;
		if (!line_blank(p, le)) {
			o = cJSON_ParseWithLength(p, (size_t)(le - p));
			t = o ? cJSON_GetObjectItemCaseSensitive(o, "text") : NULL;
			if (!cJSON_IsString(t) || !t->valuestring) {
				cJSON_Delete(o);
				return uh_err_set(err, UH_EINVAL,
						  "ngram: training file '%s' line %zu: expected a JSON object with a string field \"text\"",
						  path, lineno);
			}
			copy = strdup(t->valuestring);
			cJSON_Delete(o);
			if (!copy || docs_push(docs, n, cap, copy) < 0) {
				free(copy);
				return uh_err_set(err, UH_ENOMEM, "ngram: out of memory reading '%s'", path);
			}
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int uh_ngram_train_file(const char *path, const struct uh_ngram_opts *o,
			struct uh_ngram **out, struct uh_err *err)
{
	size_t plen = strlen(path), len = 0, n = 0, cap = 0;
	int jsonl = plen >= 6 && strcmp(path + plen - 6, ".jsonl") == 0;
	const char **docs = NULL;
	char *buf = NULL;
	int rc;

	*out = NULL;
	if ((rc = slurp(path, &buf, &len, err)) < 0)
		return rc;
	if (jsonl)
		rc = split_jsonl(path, buf, len, &docs, &n, &cap, err);
	else if ((rc = split_plain(buf, len, &docs, &n, &cap)) < 0)
		uh_err_set(err, rc, "ngram: out of memory reading '%s'", path);
	if (rc == 0 && (rc = uh_ngram_train(docs, n, o, out, err)) < 0 && err) {
		char msg[UH_ERR_MSG_MAX];
		const char *tail = err->msg;

		if (strncmp(tail, "ngram: ", 7) == 0)
			tail += 7;
		snprintf(msg, sizeof(msg), "%s", tail);
		uh_err_set(err, rc, "ngram: training file '%s': %s", path, msg);
	}
	if (jsonl)
		for (size_t i = 0; i < n; i++)
			free((char *)docs[i]);
	free(docs);
	free(buf);
	return rc;
}

/* ---------------------------------------------------------------- inference */

const char *uh_ngram_id(const struct uh_ngram *m)
{
	return m->id;
}

int uh_ngram_order(const struct uh_ngram *m)
{
	return m->order;
}

size_t uh_ngram_vocab_size(const struct uh_ngram *m)
{
	return m->ntok;
}

const char *uh_ngram_token_text(const struct uh_ngram *m, int32_t id)
{
	if (id < 0 || (uint32_t)id >= m->ntok)
		return "";
	return m->arena + m->tok_off[id];
}

int uh_ngram_tokenize(const struct uh_ngram *m, const char *text, int32_t **ids, size_t *n,
		      struct uh_err *err)
{
	struct idbuf b = {0};

	*ids = NULL;
	*n = 0;
	if (text_ids(NULL, m, text, &b) < 0) {
		free(b.v);
		return uh_err_set(err, UH_ENOMEM, "ngram: out of memory");
	}
	/* ids are < INT32_MAX (vocab_intern), so the cast keeps their value */
	*ids = (int32_t *)(void *)b.v;
	*n = b.n;
	if (!b.n) {
		free(b.v);
		*ids = NULL;
	}
	return 0;
}

/* Per-call scratch for the argmax: a dense accumulator over the vocabulary,
 * with epoch stamps instead of clearing it at every step. */
struct scratch {
	double *acc;
	uint32_t *stamp;
	uint32_t *list;
	size_t nlist;
	uint32_t epoch;
};

static int scratch_init(struct scratch *s, const struct uh_ngram *m)
{
	s->acc = malloc(m->ntok * sizeof(*s->acc));
	s->stamp = calloc(m->ntok, sizeof(*s->stamp));
	s->list = malloc(m->ntok * sizeof(*s->list));
	s->nlist = 0;
	s->epoch = 0;
	return s->acc && s->stamp && s->list ? 0 : UH_ENOMEM;
}

static void scratch_release(struct scratch *s)
{
	free(s->acc);
	free(s->stamp);
	free(s->list);
}

/*
 * The contexts of a history: cx[j] = node of its last j tokens, j = 0..J,
 * J the longest seen (at most order - 1). Appending a token w maps the
 * context of length j - 1 to that of length j (cx'[j] = child(cx[j-1], w)),
 * so moving along a text costs `order` probes per token, not order^2 / 2.
 */
struct hctx {
	uint32_t cx[UH_NGRAM_MAX_ORDER];
	size_t J;
};

static void hctx_init(const struct uh_ngram *m, const uint32_t *h, size_t L, struct hctx *hc)
{
	size_t maxj = (size_t)m->order - 1 < L ? (size_t)m->order - 1 : L;

	hc->cx[0] = 0;
	hc->J = 0;
	for (size_t j = 1; j <= maxj; j++) {
		uint32_t k = 0;

		for (size_t i = L - j; i < L && k != NONE; i++)
			k = node_find(m, k, h[i]);
		if (k == NONE)
			break; /* a longer context cannot have been seen either */
		hc->cx[j] = k;
		hc->J = j;
	}
}

static void hctx_push(const struct uh_ngram *m, struct hctx *hc, uint32_t w)
{
	size_t maxj = hc->J + 1 < (size_t)m->order - 1 ? hc->J + 1 : (size_t)m->order - 1;
	uint32_t old[UH_NGRAM_MAX_ORDER];

	memcpy(old, hc->cx, (hc->J + 1) * sizeof(*old));
	hc->J = 0;
	for (size_t j = 1; j <= maxj; j++) {
		uint32_t k = node_find(m, old[j - 1], w);

		if (k == NONE)
			break;
		hc->cx[j] = k;
		hc->J = j;
	}
}

/*
 * p(w | context hc), and when sc is given also the greedy next token *best.
 * Both paths add the same terms in the same order (orders J..1, then the
 * unigram level), so p(w) from either is the same double.
 */
static double step(const struct uh_ngram *m, const struct hctx *hc, uint32_t w,
		   struct scratch *sc, uint32_t *best)
{
	const uint32_t *cx = hc->cx;
	double G = 1.0, p = 0.0;

	if (sc) {
		if (++sc->epoch == 0) {
			memset(sc->stamp, 0, m->ntok * sizeof(*sc->stamp));
			sc->epoch = 1;
		}
		sc->nlist = 0;
	}
	for (size_t j = hc->J; j >= 1; j--) {
		uint32_t ci = m->nodes[cx[j]].ctx;
		const struct ctx *c;

		if (ci == NONE)
			continue;
		c = &m->ctxs[ci];
		if (sc) {
			for (uint32_t i = 0; i < c->n; i++) {
				const struct node *x = &m->nodes[m->child[c->first + i]];

				if (sc->stamp[x->word] != sc->epoch) {
					sc->stamp[x->word] = sc->epoch;
					sc->acc[x->word] = 0.0;
					sc->list[sc->nlist++] = x->word;
				}
				sc->acc[x->word] += G * x->term;
			}
		} else if (w != NONE) {
			uint32_t k = node_find(m, cx[j], w);

			if (k != NONE)
				p += G * m->nodes[k].term;
		}
		G *= c->gamma;
	}
	if (sc) {
		/* a word that is no context's child scores G * p1(w) <= G * p1(best_uni),
		 * so the children and best_uni are the only candidates */
		uint32_t b = m->best_uni;
		double bv = (sc->stamp[b] == sc->epoch ? sc->acc[b] : 0.0) + G * m->p1[b];

		for (size_t i = 0; i < sc->nlist; i++) {
			uint32_t x = sc->list[i];
			double v = sc->acc[x] + G * m->p1[x];

			if (v > bv || (v == bv && x < b)) {
				bv = v;
				b = x;
			}
		}
		*best = b;
		if (w != NONE)
			p = (sc->stamp[w] == sc->epoch ? sc->acc[w] : 0.0);
	}
	if (w == NONE)
		return 0.0;
	return p + G * m->p1[w];
}

int uh_ngram_next_logprobs(const struct uh_ngram *m, const char *context, double *out,
			   struct uh_err *err)
{
	struct idbuf h = {0};
	struct hctx hc;

	if (idbuf_push(&h, UH_NGRAM_BOS) < 0 || text_ids(NULL, m, context, &h) < 0) {
		free(h.v);
		return uh_err_set(err, UH_ENOMEM, "ngram: out of memory");
	}
	hctx_init(m, h.v, h.n, &hc);
	for (uint32_t w = 0; w < m->ntok; w++)
		out[w] = w == UH_NGRAM_BOS ? -INFINITY : log(step(m, &hc, w, NULL, NULL));
	free(h.v);
	return 0;
}

/*
 * Score continuation after BOS + context; with UH_SCORE_EOS also the EOS
 * token after it (TOFU's answer loss counts EOS). token_logprobs and
 * token_greedy cover every scored token, EOS included.
 */
static int score_one(const struct uh_ngram *m, struct scratch *sc, const char *context,
		     const char *continuation, uint32_t flags, struct uh_score_res *res)
{
	struct idbuf h = {0};
	struct hctx hc;
	size_t nctx, ntok;
	int rc = UH_ENOMEM;

	size_t ws = trailing_space(context), clen = strlen(context);
	char *hctx_s = NULL, *hcont_s = NULL;

	memset(res, 0, sizeof(*res));
	res->is_greedy = 1;
	if (ws) { /* token healing: the context's trailing whitespace leads the continuation */
		size_t n = strlen(continuation);

		if (!(hctx_s = dup_n(context, clen - ws)) || !(hcont_s = malloc(ws + n + 1)))
			goto out;
		memcpy(hcont_s, context + clen - ws, ws);
		memcpy(hcont_s + ws, continuation, n + 1);
		context = hctx_s;
		continuation = hcont_s;
	}
	if (idbuf_push(&h, UH_NGRAM_BOS) < 0 || text_ids(NULL, m, context, &h) < 0)
		goto out;
	nctx = h.n;
	if (text_ids(NULL, m, continuation, &h) < 0)
		goto out;
	if ((flags & UH_SCORE_EOS) && idbuf_push(&h, UH_NGRAM_EOS) < 0)
		goto out;
	ntok = h.n - nctx;
	res->n_tokens = (int64_t)ntok;
	if (ntok > 0 && (!(res->token_logprobs = malloc(ntok * sizeof(double))) ||
			 !(res->token_greedy = malloc(ntok))))
		goto out;
	hctx_init(m, h.v, nctx, &hc);
	for (size_t i = nctx; i < h.n; i++) {
		uint32_t best;
		double lp = log(step(m, &hc, h.v[i], sc, &best));

		hctx_push(m, &hc, h.v[i]);
		res->token_logprobs[i - nctx] = lp;
		res->token_greedy[i - nctx] = best == h.v[i];
		res->logprob += lp;
		if (best != h.v[i])
			res->is_greedy = 0;
	}
	rc = 0;
out:
	free(h.v);
	free(hctx_s);
	free(hcont_s);
	if (rc < 0)
		uh_ngram_score_release(res);
	return rc;
}

int uh_ngram_score(const struct uh_ngram *m, const char *context, const char *continuation,
		   struct uh_score_res *res, struct uh_err *err)
{
	struct scratch sc;
	int rc = scratch_init(&sc, m);

	if (rc == 0)
		rc = score_one(m, &sc, context, continuation, 0, res);
	scratch_release(&sc);
	if (rc < 0)
		return uh_err_set(err, rc, "ngram: out of memory");
	return 0;
}

void uh_ngram_score_release(struct uh_score_res *res)
{
	free(res->token_logprobs);
	free(res->token_greedy);
	res->token_logprobs = NULL;
	res->token_greedy = NULL;
}

struct strbuf {
	char *s;
	size_t n, cap;
};

static int strbuf_add(struct strbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *v;

		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(v = realloc(b->s, cap)))
			return UH_ENOMEM;
		b->s = v;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
	return 0;
}

struct gen_stop_view {
	const char *const *stop;
	size_t n;
};

/* Earliest start of a stop string that ends in text[from..], or -1. Only
 * the new piece can complete a match, so the search starts len(stop)-1
 * bytes before it. */
static ptrdiff_t find_stop(const struct gen_stop_view *v, const char *text, size_t from)
{
	ptrdiff_t at = -1;

	for (size_t i = 0; i < v->n; i++) {
		const char *s = v->stop[i];
		size_t sl = s ? strlen(s) : 0;
		size_t start;
		const char *hit;

		if (!sl)
			continue;
		start = from >= sl - 1 ? from - (sl - 1) : 0;
		hit = strstr(text + start, s);
		if (hit && (at < 0 || hit - text < at))
			at = hit - text;
	}
	return at;
}

static int gen_one(const struct uh_ngram *m, struct scratch *sc, const struct uh_gen_req *req,
		   struct uh_gen_res *res)
{
	struct gen_stop_view stops = {req->stop, req->stop ? req->n_stop : 0};
	struct idbuf h = {0}; /* BOS + the prompt; new tokens only move hc */
	struct hctx hc;
	struct strbuf out = {0};
	int rc = UH_ENOMEM;

	size_t ws = trailing_space(req->prompt), plen = strlen(req->prompt);
	char *healed = NULL;

	memset(res, 0, sizeof(*res));
	res->finish_reason = UH_FINISH_LENGTH;
	if (strbuf_add(&out, "", 0) < 0)
		goto out;
	/* token healing: generate after the prompt without its trailing whitespace,
	 * then drop that whitespace from the front of the text when it is there */
	if (ws && !(healed = dup_n(req->prompt, plen - ws)))
		goto out;
	if (idbuf_push(&h, UH_NGRAM_BOS) < 0 || text_ids(NULL, m, healed ? healed : req->prompt, &h) < 0)
		goto out;
	hctx_init(m, h.v, h.n, &hc);
	while (res->n_tokens < req->max_new_tokens) {
		uint32_t best;
		size_t from = out.n;
		ptrdiff_t at;

		step(m, &hc, NONE, sc, &best);
		res->n_tokens++;
		if (best == UH_NGRAM_EOS) {
			res->finish_reason = UH_FINISH_EOS;
			break;
		}
		hctx_push(m, &hc, best);
		if (strbuf_add(&out, m->arena + m->tok_off[best], m->tok_len[best]) < 0)
			goto out;
		if ((at = find_stop(&stops, out.s, from)) >= 0) {
			out.n = (size_t)at;
			out.s[out.n] = '\0';
			res->finish_reason = UH_FINISH_STOP;
			break;
		}
	}
	if (ws && out.n >= ws && !memcmp(out.s, req->prompt + plen - ws, ws)) {
		memmove(out.s, out.s + ws, out.n - ws + 1);
		out.n -= ws;
	}
	res->text = out.s;
	out.s = NULL;
	rc = 0;
out:
	free(h.v);
	free(out.s);
	free(healed);
	return rc;
}

int uh_ngram_generate(const struct uh_ngram *m, const struct uh_gen_req *req,
		      struct uh_gen_res *res, struct uh_err *err)
{
	struct scratch sc;
	int rc;

	memset(res, 0, sizeof(*res));
	if (req->max_new_tokens < 0)
		return uh_err_set(err, UH_EINVAL, "ngram: max_new_tokens must be >= 0, got %d",
				  (int)req->max_new_tokens);
	rc = scratch_init(&sc, m);
	if (rc == 0)
		rc = gen_one(m, &sc, req, res);
	scratch_release(&sc);
	if (rc < 0)
		return uh_err_set(err, rc, "ngram: out of memory");
	return 0;
}

void uh_ngram_gen_release(struct uh_gen_res *res)
{
	free(res->text);
	res->text = NULL;
}

/* ------------------------------------------------------------ token-id prompts */

/* G_0 of step(): the product of the gammas of the contexts in hc, in step's order. */
static double backoff_weight(const struct uh_ngram *m, const struct hctx *hc)
{
	double G = 1.0;

	for (size_t j = hc->J; j >= 1; j--) {
		uint32_t ci = m->nodes[hc->cx[j]].ctx;

		if (ci != NONE)
			G *= m->ctxs[ci].gamma;
	}
	return G;
}

/*
 * Insert (w, v) into the descending top list of at most k entries (ties:
 * lowest id first, and ids arrive in increasing order, so a tie never moves
 * an earlier id down).
 */
static void top_insert(uint32_t *ids, double *vals, size_t *n, size_t k, uint32_t w, double v)
{
	size_t i;

	if (*n == k && !(v > vals[k - 1]))
		return;
	i = *n < k ? (*n)++ : k - 1;
	while (i > 0 && v > vals[i - 1]) {
		ids[i] = ids[i - 1];
		vals[i] = vals[i - 1];
		i--;
	}
	ids[i] = w;
	vals[i] = v;
}

int uh_ngram_score_ids(const struct uh_ngram *m, const int32_t *ids, size_t n, size_t k,
		       double *lp, uint8_t *greedy, int32_t *top_ids, double *top_lps,
		       struct uh_err *err)
{
	uint32_t bos = UH_NGRAM_BOS;
	struct scratch sc;
	struct hctx hc;
	uint32_t *tid = NULL;
	double *tval = NULL;

	for (size_t i = 0; i < n; i++)
		if (ids[i] < 0 || (uint32_t)ids[i] >= m->ntok || ids[i] == UH_NGRAM_BOS)
			return uh_err_set(err, UH_EINVAL,
					  "token id %ld at position %zu is %s (valid: 0 and 2..%zu)",
					  (long)ids[i], i,
					  ids[i] == UH_NGRAM_BOS ? "the beginning-of-text id, which is never predicted"
								  : "out of the vocabulary",
					  (size_t)m->ntok - 1);
	if (n < 2)
		return 0;
	if (scratch_init(&sc, m) < 0 || (k && (!(tid = malloc(k * sizeof(*tid))) ||
					     !(tval = malloc(k * sizeof(*tval)))))) {
		scratch_release(&sc);
		free(tid);
		return uh_err_set(err, UH_ENOMEM, "ngram: out of memory");
	}
	hctx_init(m, &bos, 1, &hc);
	/* a leading EOS is lm-eval's prefix token for an empty context: the start
	 * of a document, which BOS already is (training never sees text after EOS) */
	if (ids[0] != UH_NGRAM_EOS)
		hctx_push(m, &hc, (uint32_t)ids[0]);
	for (size_t i = 1; i < n; i++) {
		uint32_t w = (uint32_t)ids[i], best;
		double p = step(m, &hc, w, &sc, &best);

		lp[i - 1] = log(p);
		greedy[i - 1] = best == w;
		if (k) {
			/* the same sums step() forms: children's acc + G p1, else 0.0 + G p1 */
			double G = backoff_weight(m, &hc);
			size_t nt = 0;

			for (uint32_t x = UH_NGRAM_EOS; x < m->ntok; x++) {
				double v = (sc.stamp[x] == sc.epoch ? sc.acc[x] : 0.0) + G * m->p1[x];

				top_insert(tid, tval, &nt, k, x, v);
			}
			for (size_t j = 0; j < k; j++) {
				top_ids[(i - 1) * k + j] = j < nt ? (int32_t)tid[j] : -1;
				top_lps[(i - 1) * k + j] = j < nt ? log(tval[j]) : -INFINITY;
			}
		}
		hctx_push(m, &hc, w);
	}
	scratch_release(&sc);
	free(tid);
	free(tval);
	return 0;
}

/* ------------------------------------------------------------ backend table */

static void errcopy(char *errbuf, size_t errlen, const struct uh_err *e)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", e->msg);
}

static int be_open(const struct uh_backend_config *cfg, void **state, char *errbuf, size_t errlen)
{
	struct uh_ngram_opts o;
	struct uh_ngram *m = NULL;
	const char *train = NULL;
	struct uh_err e;
	int rc;

	uh_err_clear(&e);
	uh_ngram_opts_init(&o);
	*state = NULL;
	for (size_t i = 0; cfg && i < cfg->n; i++) {
		const char *k = cfg->keys[i], *v = cfg->values[i];

		if (strcmp(k, "train") == 0) {
			train = v;
		} else if (strcmp(k, "order") == 0) {
			char *end;
			long x;

			errno = 0;
			x = strtol(v, &end, 10);
			if (errno || end == v || *end || x < 1 || x > UH_NGRAM_MAX_ORDER) {
				uh_err_set(&e, UH_EINVAL, "ngram: option order must be an integer 1..%d, got '%s'",
					   UH_NGRAM_MAX_ORDER, v);
				goto fail;
			}
			o.order = (int)x;
		} else if (strcmp(k, "discount") == 0) {
			char *end;
			double x;

			errno = 0;
			x = strtod(v, &end);
			if (errno || end == v || *end || !(x > 0 && x <= 1)) {
				uh_err_set(&e, UH_EINVAL, "ngram: option discount must be a number in (0, 1], got '%s'",
					   v);
				goto fail;
			}
			o.discount = x;
		} else {
			uh_err_set(&e, UH_EINVAL, "ngram: unknown option '%s' (known: train, order, discount)", k);
			goto fail;
		}
	}
	if (!train || !*train) {
		uh_err_set(&e, UH_EINVAL,
			   "ngram: no training corpus: give --opt train=FILE (documents separated by blank lines, or .jsonl with a \"text\" field)");
		goto fail;
	}
	if (uh_ngram_train_file(train, &o, &m, &e) < 0)
		goto fail;
	*state = m;
	return 0;
fail:
	rc = e.code ? e.code : UH_EINVAL;
	errcopy(errbuf, errlen, &e);
	return rc;
}

static void be_close(void *state)
{
	uh_ngram_free(state);
}

static const char *be_model_id(void *state)
{
	return uh_ngram_id(state);
}

static void be_free_score(void *state, struct uh_score_res *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uh_ngram_score_release(&res[i]);
}

static int be_score(void *state, const struct uh_score_req *reqs, size_t n,
		    struct uh_score_res *res, char *errbuf, size_t errlen)
{
	const struct uh_ngram *m = state;
	struct scratch sc;
	struct uh_err e;
	int rc = scratch_init(&sc, m);

	uh_err_clear(&e);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!reqs[i].context || !reqs[i].continuation) {
			uh_err_set(&e, UH_EINVAL, "ngram: score request %zu has a NULL string", i);
			errcopy(errbuf, errlen, &e);
			rc = UH_EINVAL;
			break;
		}
		rc = score_one(m, &sc, reqs[i].context, reqs[i].continuation, reqs[i].flags,
			       &res[i]);
	}
	scratch_release(&sc);
	if (rc == UH_ENOMEM) {
		uh_err_set(&e, rc, "ngram: out of memory");
		errcopy(errbuf, errlen, &e);
	}
	if (rc < 0)
		be_free_score(state, res, n); /* the host frees only after success */
	return rc;
}

static void be_free_gen(void *state, struct uh_gen_res *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uh_ngram_gen_release(&res[i]);
}

static int be_generate(void *state, const struct uh_gen_req *reqs, size_t n,
		       struct uh_gen_res *res, char *errbuf, size_t errlen)
{
	const struct uh_ngram *m = state;
	struct scratch sc;
	struct uh_err e;
	int rc = scratch_init(&sc, m);

	uh_err_clear(&e);
	if (rc < 0)
		uh_err_set(&e, rc, "ngram: out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!reqs[i].prompt) {
			rc = uh_err_set(&e, UH_EINVAL, "ngram: generate request %zu has a NULL prompt", i);
		} else if (reqs[i].max_new_tokens < 0) {
			rc = uh_err_set(&e, UH_EINVAL, "ngram: generate request %zu: max_new_tokens must be >= 0, got %d",
					i, (int)reqs[i].max_new_tokens);
		} else if ((rc = gen_one(m, &sc, &reqs[i], &res[i])) < 0) {
			uh_err_set(&e, rc, "ngram: out of memory");
		}
	}
	scratch_release(&sc);
	if (rc < 0) {
		errcopy(errbuf, errlen, &e);
		be_free_gen(state, res, n);
	}
	return rc;
}

static int be_tokenize(void *state, const char *text, int64_t *n_tokens, char *errbuf,
		       size_t errlen)
{
	int64_t n = 0;

	(void)state;
	/* counting needs no vocabulary: every piece is one token, seen or not */
	for (size_t k; (k = piece_len(text)) > 0; text += k)
		n++;
	*n_tokens = n;
	return 0;
}

static int be_encode(void *state, const char *text, int32_t **ids, size_t *n, char *errbuf,
		     size_t errlen)
{
	struct uh_err e;
	int rc;

	uh_err_clear(&e);
	rc = uh_ngram_tokenize(state, text, ids, n, &e);
	if (rc < 0)
		errcopy(errbuf, errlen, &e);
	return rc;
}

/* The concatenation of the pieces; the specials decode to "", out-of-range ids are errors. */
static int be_decode(void *state, const int32_t *ids, size_t n, char **text, char *errbuf,
		     size_t errlen)
{
	const struct uh_ngram *m = state;
	struct strbuf out = {0};

	*text = NULL;
	if (strbuf_add(&out, "", 0) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		if (ids[i] < 0 || (uint32_t)ids[i] >= m->ntok) {
			if (errbuf && errlen)
				snprintf(errbuf, errlen, "ngram: token id %ld at position %zu is out of the vocabulary (0..%zu)",
					 (long)ids[i], i, (size_t)m->ntok - 1);
			free(out.s);
			return UH_EINVAL;
		}
		if (strbuf_add(&out, m->arena + m->tok_off[ids[i]], m->tok_len[ids[i]]) < 0)
			goto nomem;
	}
	*text = out.s;
	return 0;
nomem:
	free(out.s);
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "ngram: out of memory");
	return UH_ENOMEM;
}

static void be_free_buf(void *state, void *p)
{
	(void)state;
	free(p);
}

static int32_t be_eos_id(void *state)
{
	(void)state;
	return UH_NGRAM_EOS;
}

static const struct uh_backend_api ngram_api = {
	.abi_version = UH_BACKEND_ABI_VERSION,
	.size = sizeof(struct uh_backend_api),
	.name = "ngram",
	.caps = UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE | UH_CAN_TOKEN_LOGPROBS |
		UH_CAN_TOKEN_IDS,
	.open = be_open,
	.close = be_close,
	.model_id = be_model_id,
	.score = be_score,
	.free_score = be_free_score,
	.generate = be_generate,
	.free_gen = be_free_gen,
	.tokenize = be_tokenize,
	.encode = be_encode,
	.decode = be_decode,
	.free_buf = be_free_buf,
	.eos_id = be_eos_id,
};

const struct uh_backend_api *uh_ngram_backend(void)
{
	return &ngram_api;
}
