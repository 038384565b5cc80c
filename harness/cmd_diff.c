/*
 * cmd_diff.c - `uh diff RUN_A RUN_B`: per-item differences between two runs
 * and a paired test.
 *
 * The flow: resolve both runs (report/select.h); read their items (of one
 * task, or all) in (task, idx) order and pair them by a merge; pick the
 * per-item value to compare (--metric, else the first of truth_ratio,
 * agg_truth_ratio, rouge, ... present in both); for each task and all
 * together, the mean difference B - A with its paired bootstrap interval
 * and the sign-flip permutation p-value (report/diff.h); then the items
 * whose value moved most, with the question and both generations.
 */
#include "harness/cli.h"
#include "harness/cmds.h"
#include "harness/err.h"
#include "report/diff.h"
#include "report/select.h"
#include "results/store.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: uh diff RUN_A RUN_B [--task T] [--metric M] [--top N] [--seed S]\n"
	"               [--permutations N] [--db FILE]\n"
	"\n"
	"Pair the items of two runs by (task, idx), compare one per-item value\n"
	"(B - A) and show the items that moved most. For each task and all pairs:\n"
	"the mean difference, its 95% paired bootstrap interval and the p-value of\n"
	"a paired sign-flip permutation test (both seeded, N resamples).\n"
	"\n"
	"RUN is a run id, 'latest', 'tag:T' or 'model:M'.\n"
	"\n"
	"options:\n"
	"  --task T          only the items of task T (forget, retain, ...)\n"
	"  --metric M        the per-item value to compare (default: truth_ratio,\n"
	"                    agg_truth_ratio, rouge, agg_rouge, prob or agg_prob,\n"
	"                    the first both runs have, else the first in common)\n"
	"  --top N           how many moved items to show (default 10)\n"
	"  --seed S          seed of the permutations and resamples (default 1)\n"
	"  --permutations N  permutations and bootstrap resamples (default 10000)\n"
	"  --db FILE         results database (default $UH_DB, else uh.db)\n";

static const char *const preferred[] = { "truth_ratio", "agg_truth_ratio", "rouge", "agg_rouge",
	"prob", "agg_prob" };

/* ================================================================ items */

struct item {
	char *task;
	int64_t idx;
	char *question, *generation;
	cJSON *values;
};

struct items {
	struct item *v;
	size_t n, cap;
	struct uh_err *err;
};

static void items_release(struct items *it)
{
	for (size_t i = 0; i < it->n; i++) {
		free(it->v[i].task);
		free(it->v[i].question);
		free(it->v[i].generation);
		cJSON_Delete(it->v[i].values);
	}
	free(it->v);
}

static char *dup_or_null(const char *s, bool *ok)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

static int add_item(void *vctx, const struct uh_store_item_row *row)
{
	struct items *it = vctx;
	struct item *x;
	bool ok = true;

	if (it->n == it->cap) {
		size_t nc = it->cap ? it->cap * 2 : 256;
		struct item *nv = realloc(it->v, nc * sizeof(*nv));

		if (!nv)
			return uh_err_set(it->err, UH_ENOMEM, "out of memory reading items");
		it->v = nv;
		it->cap = nc;
	}
	x = &it->v[it->n++];
	memset(x, 0, sizeof(*x));
	x->task = dup_or_null(row->task, &ok);
	x->idx = row->idx;
	x->question = dup_or_null(row->question, &ok);
	x->generation = dup_or_null(row->generation, &ok);
	x->values = row->values_json ? cJSON_Parse(row->values_json) : NULL;
	if (!ok || (row->values_json && !x->values))
		return uh_err_set(it->err, UH_ENOMEM, "out of memory reading items");
	return 0;
}

/* A finite numeric per-item value, or false. */
static bool value_of(const struct item *x, const char *key, double *v)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(x->values, key);

	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble))
		return false;
	*v = j->valuedouble;
	return true;
}

/* ================================================================ output helpers */

/* s on one line (newlines as spaces), cut after max bytes at a UTF-8 boundary. */
static void print_short(const char *s, size_t max)
{
	size_t n = 0;

	if (!s) {
		fputs("(none)", stdout);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
		if (n >= max && (*p & 0xC0) != 0x80) {
			fputs("\xE2\x80\xA6", stdout);
			return;
		}
		putchar(*p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p < 0x20 ? '?' : *p);
	}
}

struct pair {
	size_t a, b;             /* indices into the two item lists */
	double va, vb;
};

static int cmp_moved(const void *pa, const void *pb)
{
	const struct pair *x = pa, *y = pb;
	double dx = fabs(x->vb - x->va), dy = fabs(y->vb - y->va);

	return dx < dy ? 1 : dx > dy ? -1 : 0;
}

/* One line of the test table over the pairs p[0..n). */
static int test_row(const char *label, const struct pair *p, size_t n, size_t B, unsigned long seed,
		    struct uh_err *err)
{
	struct uh_diff_stats s;
	double *a = malloc((n ? n : 1) * sizeof(*a)), *b = malloc((n ? n : 1) * sizeof(*b));
	int rc;

	if (!a || !b) {
		free(a);
		free(b);
		return uh_err_set(err, UH_ENOMEM, "out of memory comparing runs");
	}
	for (size_t i = 0; i < n; i++) {
		a[i] = p[i].va;
		b[i] = p[i].vb;
	}
	rc = uh_diff_paired(a, b, n, B, seed, &s, err);
	free(a);
	free(b);
	if (rc)
		return rc;
	fputs("  ", stdout);
	uh_cli_put_name(stdout, label, 14);
	printf(" %6zu %12.6g %12.6g %12.6g  [%.6g, %.6g]  %.6g\n", s.n, s.mean_a, s.mean_b,
	       s.mean_diff, s.ci.lo, s.ci.hi, s.p);
	return 0;
}

/* ================================================================ the command */

int uh_cmd_diff(int argc, char **argv)
{
	const char *spec[2] = { NULL, NULL }, *task = NULL, *metric = NULL, *db = NULL;
	size_t top = 10, B = 10000, seed = 1, n_pairs = 0, n_spec = 0;
	struct items it[2] = { { 0 }, { 0 } };
	struct pair *pairs = NULL;
	struct uh_store *st = NULL;
	struct uh_err err;
	int64_t id[2] = { 0, 0 };
	int rc = 0, status = 0;

	uh_err_clear(&err);
	it[0].err = it[1].err = &err;
	for (int i = 1; i < argc; i++) {
		static const char *const names[] = { "--task", "--metric", "--top", "--seed",
			"--permutations", "--db" };
		const char *v = NULL;
		bool missing = false;
		size_t k;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
		v = uh_cli_opt_among(argc, argv, &i, names, sizeof(names) / sizeof(names[0]), &k, &missing);
		if (missing) {
			fprintf(stderr, "uh diff: option '%s' needs a value\n", names[k]);
			goto usage;
		}
		if (!v) {
			if (argv[i][0] == '-' && argv[i][1]) {
				fprintf(stderr, "uh diff: unknown option '%s'\n", argv[i]);
				goto usage;
			}
			if (n_spec == 2) {
				fprintf(stderr, "uh diff: unexpected argument '%s'\n", argv[i]);
				goto usage;
			}
			spec[n_spec++] = argv[i];
			continue;
		}
		if (k == 0) task = v;
		else if (k == 1) metric = v;
		else if (k == 5) db = v;
		else {
			size_t *dst = k == 2 ? &top : k == 3 ? &seed : &B;
			size_t max = k == 2 ? 1000000 : k == 3 ? 0xFFFFFFFFul : UH_DIFF_MAX_B;

			if (!uh_select_parse_count(v, max, dst) || (k == 4 && *dst == 0)) {
				fprintf(stderr, "uh diff: %s wants a number up to %zu%s, got '%s'\n", names[k],
					max, k == 4 ? " (at least 1)" : "", v);
				goto usage;
			}
		}
	}
	if (n_spec != 2) {
		fprintf(stderr, "uh diff: give two runs: RUN_A RUN_B\n");
		goto usage;
	}

	rc = uh_store_open_existing(&st, uh_store_default_path(db), &err);
	for (int s = 0; s < 2 && !rc; s++) {
		rc = uh_select_run(st, spec[s], &id[s], &err);
		if (!rc)
			rc = uh_store_items_each(st, id[s], task, add_item, &it[s], &err);
	}
	if (rc)
		goto fail;

	/* pair by (task, idx): both lists are in that order */
	pairs = malloc((it[0].n < it[1].n ? it[0].n : it[1].n) * sizeof(*pairs) + 1);
	if (!pairs) {
		rc = uh_err_set(&err, UH_ENOMEM, "out of memory pairing items");
		goto fail;
	}
	for (size_t i = 0, j = 0; i < it[0].n && j < it[1].n;) {
		int c = strcmp(it[0].v[i].task, it[1].v[j].task);

		if (!c)
			c = it[0].v[i].idx < it[1].v[j].idx ? -1 : it[0].v[i].idx > it[1].v[j].idx;
		if (c < 0)
			i++;
		else if (c > 0)
			j++;
		else {
			pairs[n_pairs].a = i++;
			pairs[n_pairs].b = j++;
			n_pairs++;
		}
	}
	if (!n_pairs) {
		rc = uh_err_set(&err, UH_EINVAL, "runs %lld (%zu items) and %lld (%zu items) have no"
				" items in common%s%s", (long long)id[0], it[0].n, (long long)id[1], it[1].n,
				task ? " in task " : "", task ? task : "");
		goto fail;
	}

	/* the value to compare */
	if (!metric) {
		double x, y;

		for (size_t k = 0; k < sizeof(preferred) / sizeof(preferred[0]) && !metric; k++)
			for (size_t i = 0; i < n_pairs && !metric; i++)
				if (value_of(&it[0].v[pairs[i].a], preferred[k], &x) &&
				    value_of(&it[1].v[pairs[i].b], preferred[k], &y))
					metric = preferred[k];
		for (size_t i = 0; i < n_pairs && !metric; i++) {
			const cJSON *e;

			cJSON_ArrayForEach(e, it[0].v[pairs[i].a].values)
				if (e->string && value_of(&it[0].v[pairs[i].a], e->string, &x) &&
				    value_of(&it[1].v[pairs[i].b], e->string, &y)) {
					metric = e->string;
					break;
				}
		}
		if (!metric) {
			rc = uh_err_set(&err, UH_EINVAL, "the %zu paired items have no numeric per-item"
					" value in common", n_pairs);
			goto fail;
		}
	}
	{
		size_t m = 0;

		for (size_t i = 0; i < n_pairs; i++) {
			struct pair p = pairs[i];

			if (value_of(&it[0].v[p.a], metric, &p.va) && value_of(&it[1].v[p.b], metric, &p.vb))
				pairs[m++] = p;
		}
		if (!m) {
			char list[400] = "";
			size_t len = 0;
			const cJSON *e;

			cJSON_ArrayForEach(e, it[0].v[pairs[0].a].values) {
				int w;

				if (!cJSON_IsNumber(e))
					continue;
				w = snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "", e->string);
				if (w < 0 || (size_t)w >= sizeof(list) - len)
					break;
				len += (size_t)w;
			}
			rc = uh_err_set(&err, UH_EINVAL, "no paired item has a numeric '%s' in both runs;"
					" per-item values: %s", metric, len ? list : "(none)");
			goto fail;
		}
		printf("diff: run %lld (A) -> run %lld (B): %zu paired items", (long long)id[0],
		       (long long)id[1], n_pairs);
		if (m < n_pairs) {
			printf(", %zu with '", m);
			uh_cli_put_name(stdout, metric, 0);
			printf("' in both");
		}
		printf(" (A %zu, B %zu items)\n", it[0].n, it[1].n);
		n_pairs = m;
		for (size_t i = m = 0; i < n_pairs; i++) {
			const char *qa = it[0].v[pairs[i].a].question, *qb = it[1].v[pairs[i].b].question;

			m += qa && qb && strcmp(qa, qb);
		}
		if (m)
			printf("warning: %zu paired items have different questions: are these runs of"
			       " the same data?\n", m);
	}

	/* the tests: per task (pairs are grouped by task), then all together */
	printf("\nper-item '");
	uh_cli_put_name(stdout, metric, 0);
	printf("', B - A; 95%% paired bootstrap interval and sign-flip permutation"
	       " p-value (%zu permutations, seed %zu)\n", B, seed);
	printf("  %-14s %6s %12s %12s %12s  %s  %s\n", "task", "n", "mean A", "mean B", "mean B-A",
	       "[95% interval]", "p");
	{
		size_t start = 0, groups = 0;

		for (size_t i = 1; i <= n_pairs && !rc; i++) {
			if (i < n_pairs && !strcmp(it[0].v[pairs[i].a].task, it[0].v[pairs[start].a].task))
				continue;
			rc = test_row(it[0].v[pairs[start].a].task, pairs + start, i - start, B, seed, &err);
			groups++;
			start = i;
		}
		if (!rc && groups > 1)
			rc = test_row("(all)", pairs, n_pairs, B, seed, &err);
		if (rc)
			goto fail;
	}

	/* the items that moved most */
	if (top) {
		size_t shown = 0;

		qsort(pairs, n_pairs, sizeof(*pairs), cmp_moved);
		printf("\nmoved most (|B - A| of '");
		uh_cli_put_name(stdout, metric, 0);
		printf("'):\n");
		for (size_t i = 0; i < n_pairs && shown < top; i++, shown++) {
			const struct item *a = &it[0].v[pairs[i].a], *b = &it[1].v[pairs[i].b];

			fputs("  ", stdout);
			uh_cli_put_name(stdout, a->task, 0);
			printf(" #%lld: %.6g -> %.6g (%+.6g)\n    Q: ", (long long)a->idx,
			       pairs[i].va, pairs[i].vb, pairs[i].vb - pairs[i].va);
			print_short(a->question, 160);
			printf("\n    A: ");
			print_short(a->generation, 160);
			printf("\n    B: ");
			print_short(b->generation, 160);
			printf("\n");
		}
	}
	fflush(stdout);
	goto out;

usage:
	fputs("(uh diff --help for usage)\n", stderr);
	status = 2;
	goto out;
fail:
	fprintf(stderr, "uh diff: %s\n", err.msg[0] ? err.msg : uh_strerror(rc));
	status = uh_exit_status(rc);
out:
	free(pairs);
	items_release(&it[0]);
	items_release(&it[1]);
	uh_store_close(st);
	return status;
}
