#include "report/board.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The TOFU columns, in the order of the leaderboard (spec/tofu.md names). */
static const struct { const char *name, *label; } known[] = {
	{ "forget_quality", "Forget Quality" },
	{ "model_utility", "Model Utility" },
	{ "ks_statistic", "KS statistic" },
	{ "prob/forget", "Prob. forget" },
	{ "rouge/forget", "ROUGE forget" },
	{ "truth_ratio/forget", "Truth Ratio forget" },
	{ "prob/retain", "Prob. retain" },
	{ "rouge/retain", "ROUGE retain" },
	{ "truth_ratio/retain", "Truth Ratio retain" },
	{ "prob/real_authors", "Prob. real authors" },
	{ "rouge/real_authors", "ROUGE real authors" },
	{ "truth_ratio/real_authors", "Truth Ratio real authors" },
	{ "prob/real_world", "Prob. real world" },
	{ "rouge/real_world", "ROUGE real world" },
	{ "truth_ratio/real_world", "Truth Ratio real world" },
};
#define N_KNOWN (sizeof(known) / sizeof(known[0]))

const char *uh_board_label(const char *name)
{
	for (size_t i = 0; i < N_KNOWN; i++)
		if (!strcmp(known[i].name, name))
			return known[i].label;
	return name;
}

static int known_rank(const char *name)
{
	for (size_t i = 0; i < N_KNOWN; i++)
		if (!strcmp(known[i].name, name))
			return (int)i;
	return (int)N_KNOWN;
}

bool uh_board_is_reference(const struct uh_board_run *r)
{
	return r->row.source && !strncmp(r->row.source, "import:", 7);
}

static bool has_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = s; p && (p = strstr(p, w)); p++)
		if ((p == s || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}

char uh_board_ref_kind(const struct uh_board_run *r)
{
	const char *m = r->row.model;

	if ((m && strstr(m, "retain")) || has_word(r->row.tag, "reference"))
		return 'r';
	if (m && strstr(m, "full"))
		return 'f';
	return 0;
}

const struct uh_store_metric_row *uh_board_metric(const struct uh_board_run *r, const char *name)
{
	size_t lo = 0, hi = r->n_m;

	while (lo < hi) {  /* rows are ordered by name (SQLite BINARY = strcmp) */
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->m[mid].name, name);

		if (!c)
			return &r->m[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void uh_board_release(struct uh_board *b)
{
	for (size_t i = 0; i < b->n_runs; i++) {
		uh_store_run_row_release(&b->runs[i].row);
		uh_store_metric_rows_free(b->runs[i].m, b->runs[i].n_m);
	}
	free(b->runs);
	for (size_t g = 0; g < b->n_groups; g++) {
		free(b->groups[g].runs);
		free(b->groups[g].cols);
	}
	free(b->groups);
	memset(b, 0, sizeof(*b));
}

/* ---------------------------------------------------------------- loading */

struct load_ctx {
	struct uh_board *b;
	size_t cur;                 /* the run the last metric belonged to */
	struct uh_err *err;
};

/* Metrics arrive by run in the runs query's order, then by name. */
static int add_metric(void *vctx, int64_t run_id, const struct uh_store_metric_row *m)
{
	struct load_ctx *c = vctx;
	struct uh_board *b = c->b;
	struct uh_board_run *r;

	if (b->runs[c->cur].row.id != run_id) {
		size_t i = c->cur;

		while (i < b->n_runs && b->runs[i].row.id != run_id)
			i++;
		if (i == b->n_runs)   /* a run committed between the two queries */
			return 0;
		c->cur = i;
	}
	r = &b->runs[c->cur];
	if (r->n_m == r->cap_m) {
		size_t nc = r->cap_m ? r->cap_m * 2 : 16;
		struct uh_store_metric_row *nv = realloc(r->m, nc * sizeof(*nv));

		if (!nv)
			return uh_err_set(c->err, UH_ENOMEM, "out of memory reading metrics");
		r->m = nv;
		r->cap_m = nc;
	}
	r->m[r->n_m] = *m;
	r->m[r->n_m].name = strdup(m->name);
	if (!r->m[r->n_m].name)
		return uh_err_set(c->err, UH_ENOMEM, "out of memory reading metrics");
	r->n_m++;
	return 0;
}

static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)    /* NULL (no split) sorts last */
		return a ? -1 : b ? 1 : 0;
	return strcmp(a, b);
}

static const struct uh_board *sort_board;  /* qsort has no context argument */

static double metric_or(const struct uh_board_run *r, const char *name)
{
	const struct uh_store_metric_row *m = uh_board_metric(r, name);

	return m && !isnan(m->value) ? m->value : -INFINITY;
}

/* Group order: suite, split; within TOFU: FQ desc, MU desc; else newest first (index). */
static int cmp_run(const void *pa, const void *pb)
{
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct uh_board_run *a = &sort_board->runs[ia], *b = &sort_board->runs[ib];
	int c = cmp_str(a->row.suite, b->row.suite);

	if (!c)
		c = cmp_str(a->row.split, b->row.split);
	if (c)
		return c;
	if (a->row.suite && !strcmp(a->row.suite, "tofu")) {
		static const char *const keys[2] = { "forget_quality", "model_utility" };

		for (int k = 0; k < 2; k++) {
			double x = metric_or(a, keys[k]), y = metric_or(b, keys[k]);

			if (x != y)
				return x > y ? -1 : 1;
		}
	}
	return ia < ib ? -1 : ia > ib;
}

static int cmp_col(const void *pa, const void *pb)
{
	const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
	int ra = known_rank(a), rb = known_rank(b);

	if (ra != rb)
		return ra - rb;
	return strcmp(a, b);
}

static int cmp_name(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/*
 * The union of the metric names of a group's runs, in display order: every
 * name gathered, sorted and deduplicated (n log n however many distinct
 * names the runs have), then put in board order.
 */
static int group_cols(struct uh_board *b, struct uh_board_group *g, struct uh_err *err)
{
	size_t total = 0, n = 0;
	const char **v;

	for (size_t i = 0; i < g->n_runs; i++)
		total += b->runs[g->runs[i]].n_m;
	v = malloc((total ? total : 1) * sizeof(*v));
	if (!v)
		return uh_err_set(err, UH_ENOMEM, "out of memory grouping runs");
	for (size_t i = 0; i < g->n_runs; i++) {
		const struct uh_board_run *r = &b->runs[g->runs[i]];

		for (size_t j = 0; j < r->n_m; j++)
			v[n++] = r->m[j].name;
	}
	if (n) {
		size_t u = 1;

		qsort(v, n, sizeof(*v), cmp_name);
		for (size_t i = 1; i < n; i++)
			if (strcmp(v[i], v[u - 1]))
				v[u++] = v[i];
		n = u;
		qsort(v, n, sizeof(*v), cmp_col);
	}
	g->cols_capped = n > UH_BOARD_MAX_COLS;
	g->n_cols_all = n;
	g->cols = v;
	g->n_cols = n > UH_BOARD_MAX_COLS ? UH_BOARD_MAX_COLS : n;
	return 0;
}

int uh_board_load(struct uh_board *b, struct uh_store *st, const struct uh_store_run_query *q,
		  struct uh_err *err)
{
	struct uh_store_run_row *rows = NULL;
	struct load_ctx ctx = { 0 };
	size_t n = 0, *order = NULL;
	int rc;

	memset(b, 0, sizeof(*b));
	rc = uh_store_runs_query(st, q, &rows, &n, err);
	if (rc)
		return rc;
	if (!n)
		return 0;
	b->runs = calloc(n, sizeof(*b->runs));
	order = malloc(n * sizeof(*order));
	if (!b->runs || !order) {
		free(order);
		uh_store_run_rows_free(rows, n);
		return uh_err_set(err, UH_ENOMEM, "out of memory reading runs");
	}
	for (size_t i = 0; i < n; i++) {
		b->runs[i].row = rows[i];
		order[i] = i;
	}
	free(rows);    /* the strings moved into b->runs */
	b->n_runs = n;

	ctx.b = b;
	ctx.err = err;
	rc = uh_store_metrics_each(st, q, add_metric, &ctx, err);
	if (rc)
		goto out;

	sort_board = b;
	qsort(order, n, sizeof(*order), cmp_run);
	sort_board = NULL;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		struct uh_board_group *g, *ng;
		const struct uh_board_run *r0 = &b->runs[order[i]];

		while (j < n && !cmp_str(b->runs[order[j]].row.suite, r0->row.suite) &&
		       !cmp_str(b->runs[order[j]].row.split, r0->row.split))
			j++;
		ng = realloc(b->groups, (b->n_groups + 1) * sizeof(*ng));
		if (!ng) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory grouping runs");
			goto out;
		}
		b->groups = ng;
		g = &b->groups[b->n_groups++];
		memset(g, 0, sizeof(*g));
		g->suite = r0->row.suite;
		g->split = r0->row.split;
		g->runs = malloc((j - i) * sizeof(*g->runs));
		if (!g->runs) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory grouping runs");
			goto out;
		}
		memcpy(g->runs, order + i, (j - i) * sizeof(*g->runs));
		g->n_runs = j - i;
		rc = group_cols(b, g, err);
		if (rc)
			goto out;
		i = j;
	}
out:
	free(order);
	if (rc)
		uh_board_release(b);
	return rc;
}
