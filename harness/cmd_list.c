/*
 * cmd_list.c - `uh list suites`: the suites uh runs, with their splits,
 * profiles and the backend capabilities they need; `uh list runs`: the
 * stored runs, newest first, with their headline metrics. Two queries (runs, then their metrics joined on the
 * metrics primary key), whatever the number of runs.
 */
#include "harness/cli.h"
#include "harness/cmds.h"
#include "harness/err.h"
#include "report/select.h"
#include "results/store.h"
#include "suites/registry.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: uh list suites\n"
	"       uh list runs [--suite S] [--split X] [--model M] [--tag T] [--limit N]\n"
	"                    [--db FILE]\n"
	"\n"
	"'suites': every suite with its splits, profiles and the capabilities it\n"
	"needs from a backend.\n"
	"\n"
	"List stored runs, newest first: id, created, suite, split, profile, model,\n"
	"backend, tag, status and the headline metrics (Forget Quality and Model\n"
	"Utility for TOFU, else the first stored metrics).\n"
	"\n"
	"options:\n"
	"  --suite S, --split X, --model M, --tag T   which runs (tag: one tag word)\n"
	"  --limit N    at most N runs (default 50; 0: all)\n"
	"  --db FILE    results database (default $UH_DB, else uh.db)\n";

/* Headline metrics, in order of preference; at most N_HEAD shown per run. */
static const char *const headline[] = { "forget_quality", "model_utility", "ou/privleak",
	"privleak", "verbmem_f", "knowmem_f", "knowmem_r", "bleu", "rougeL_recall" };
#define N_HEAD 3

struct head {
	int64_t id;
	int shown;
	int rank[N_HEAD];            /* kept metrics, best rank first */
	char name[N_HEAD][48];
	double value[N_HEAD];
};

struct heads {
	struct head *v;
	size_t n, cur;
	int seq;                     /* arrival order: ranks the metrics that are not headlines */
};

static const char *short_name(const char *name)
{
	if (!strcmp(name, "forget_quality"))
		return "FQ";
	if (!strcmp(name, "model_utility"))
		return "MU";
	return name;
}

/*
 * Metrics arrive by run (in the list's order), then by name: keep the
 * N_HEAD best ranked, headline metrics first, then the first others.
 */
static int add_head(void *vctx, int64_t run_id, const struct uh_store_metric_row *m)
{
	struct heads *h = vctx;
	const int n_headline = (int)(sizeof(headline) / sizeof(headline[0]));
	struct head *x;
	int rank = n_headline + h->seq++, at;

	if (!h->n)
		return 0;
	if (h->v[h->cur].id != run_id) {
		size_t i = h->cur;

		while (i < h->n && h->v[i].id != run_id)
			i++;
		if (i == h->n)   /* a run committed between the two queries */
			return 0;
		h->cur = i;
	}
	x = &h->v[h->cur];
	for (int k = 0; k < n_headline; k++)
		if (!strcmp(headline[k], m->name))
			rank = k;
	for (at = 0; at < x->shown && x->rank[at] < rank; at++)
		;
	if (at == N_HEAD)
		return 0;
	if (x->shown < N_HEAD)
		x->shown++;
	for (int i = x->shown - 1; i > at; i--) {
		x->rank[i] = x->rank[i - 1];
		memcpy(x->name[i], x->name[i - 1], sizeof(x->name[i]));
		x->value[i] = x->value[i - 1];
	}
	x->rank[at] = rank;
	snprintf(x->name[at], sizeof(x->name[at]), "%s", short_name(m->name));
	x->value[at] = m->value;
	return 0;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

int uh_cmd_list(int argc, char **argv)
{
	struct uh_store_run_query q = { .limit = 50 };
	struct uh_store_run_row *rows = NULL;
	struct heads h = { 0 };
	struct uh_store *st = NULL;
	const char *db = NULL;
	size_t n = 0;
	struct uh_err err;
	bool what = false;
	int rc;

	uh_err_clear(&err);
	for (int i = 1; i < argc; i++) {
		static const char *const names[] = { "--suite", "--split", "--model", "--tag", "--limit",
			"--db" };
		const char *v = NULL;
		bool missing = false;
		size_t k;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!what && i == 1 && !strcmp(argv[i], "suites")) {
			if (argc > 2) {
				fprintf(stderr, "uh list suites: takes no options, got '%s'\n", argv[2]);
				return 2;
			}
			uh_suites_print(stdout);
			return 0;
		}
		if (!what && !strcmp(argv[i], "runs")) {
			what = true;
			continue;
		}
		v = uh_cli_opt_among(argc, argv, &i, names, sizeof(names) / sizeof(names[0]), &k, &missing);
		if (missing || !v) {
			if (missing)
				fprintf(stderr, "uh list: option '%s' needs a value\n", names[k]);
			else
				fprintf(stderr, "uh list: %s '%s'\n", argv[i][0] == '-' ? "unknown option" :
					"unknown list (valid: suites, runs)", argv[i]);
			fputs("(uh list --help for usage)\n", stderr);
			return 2;
		}
		switch (k) {
		case 0: q.suite = v; break;
		case 1: q.split = v; break;
		case 2: q.model = v; break;
		case 3: q.tag = v; break;
		case 4:
			if (!uh_select_parse_count(v, 100000000, &q.limit)) {
				fprintf(stderr, "uh list: --limit wants a count, got '%s'\n", v);
				return 2;
			}
			break;
		default: db = v;
		}
	}
	if (!what) {
		fputs("uh list: list what? (uh list suites, uh list runs)\n", stderr);
		return 2;
	}

	rc = uh_store_open_existing(&st, uh_store_default_path(db), &err);
	if (!rc)
		rc = uh_store_runs_query(st, &q, &rows, &n, &err);
	if (!rc && n && !(h.v = calloc(n, sizeof(*h.v))))
		rc = uh_err_set(&err, UH_ENOMEM, "out of memory listing runs");
	if (!rc) {
		h.n = n;
		for (size_t i = 0; i < n; i++)
			h.v[i].id = rows[i].id;
		rc = uh_store_metrics_each(st, &q, add_head, &h, &err);
	}
	if (rc) {
		fprintf(stderr, "uh list: %s\n", err.msg[0] ? err.msg : uh_strerror(rc));
		goto out;
	}
	printf("%6s  %-19s  %-5s  %-9s  %-15s  %-32s  %-10s  %-12s  %-8s  %s\n", "id", "created",
	       "suite", "split", "profile", "model", "backend", "tag", "status", "headline");
	for (size_t i = 0; i < n; i++) {
		const struct uh_store_run_row *r = &rows[i];
		char created[20];
		const char *cells[] = { created, or_dash(r->suite), or_dash(r->split),
			or_dash(r->profile), or_dash(r->model), or_dash(r->backend), or_dash(r->tag),
			or_dash(r->status) };
		static const int widths[] = { 19, 5, 9, 15, 32, 10, 12, 8 };

		/* 2026-11-22T11:15:12.614Z -> 2026-11-22 11:15:12 */
		snprintf(created, sizeof(created), "%s", or_dash(r->created));
		if (strlen(created) > 10 && created[10] == 'T')
			created[10] = ' ';
		printf("%6lld", (long long)r->id);
		for (size_t c = 0; c < sizeof(widths) / sizeof(widths[0]); c++) {
			fputs("  ", stdout);
			uh_cli_put_name(stdout, cells[c], widths[c]);
		}
		fputs("  ", stdout);
		for (int k = 0; k < h.v[i].shown; k++) {
			fputs(k ? " " : "", stdout);
			uh_cli_put_name(stdout, h.v[i].name[k], 0);
			printf("=%.4g", h.v[i].value[k]);
		}
		putchar('\n');
	}
	if (!n)
		printf("(no runs)\n");
	if (q.limit && n == q.limit)
		printf("(the newest %zu; --limit 0 lists all)\n", q.limit);
	fflush(stdout);
out:
	free(h.v);
	uh_store_run_rows_free(rows, n);
	uh_store_close(st);
	return uh_exit_status(rc);
}
