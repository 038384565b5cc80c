/*
 * cmd_report.c - `uh report`: leaderboards per suite and split from the
 * results store, as one self-contained HTML page, CSV, Markdown or JSON.
 *
 * The flow: parse options; open the store; load the board (runs matching
 * the filter and their metrics, grouped and ordered: report/board.h);
 * render it into -o FILE through a temporary file renamed into place, or to
 * stdout.
 */
#include "harness/cli.h"
#include "harness/cmds.h"
#include "harness/err.h"
#include "report/atomic.h"
#include "report/board.h"
#include "report/csv.h"
#include "report/html.h"
#include "report/json.h"
#include "report/md.h"
#include "report/select.h"
#include "results/store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: uh report [--suite S] [--split X] [--model M] [--tag T] [--limit N]\n"
	"                 [--format html|csv|md|json] [-o FILE] [--db FILE]\n"
	"                 [--rows N] [--item-runs N] [--item-rows N] [--explain]\n"
	"\n"
	"Leaderboards per suite and split from the results store. Imported official\n"
	"runs (uh import) appear as reference rows. TOFU tables show Forget Quality,\n"
	"Model Utility and the twelve numbers with their 95% intervals where stored.\n"
	"\n"
	"formats:\n"
	"  html  one self-contained page (no network): sortable tables, a Forget\n"
	"        Quality (log) against Model Utility plot per TOFU split with the\n"
	"        retain and full reference points, per-item rows of the first runs\n"
	"  csv   RFC 4180, one row per run, spreadsheet formulas neutralized\n"
	"  md    GitHub-flavoured Markdown tables\n"
	"  json  one document with every metric of every run\n"
	"The default is the extension of -o FILE (.html .csv .md .json), else html\n"
	"with -o and md on stdout.\n"
	"\n"
	"options:\n"
	"  --suite S, --split X, --model M, --tag T   which runs (tag: one tag word)\n"
	"  --limit N        the newest N matching runs only\n"
	"  -o FILE          write FILE atomically (temporary file, then rename)\n"
	"  --db FILE        results database (default $UH_DB, else uh.db)\n"
	"  --rows N         html: table rows per group: the best N runs and every\n"
	"                   reference (default 500; 0: all); the plot shows all\n"
	"  --item-runs N    html: per-item sections for the first N runs of each\n"
	"                   group (default 3; 0: none)\n"
	"  --item-rows N    html: at most N items per section (default 300)\n"
	"  --explain        print SQLite's query plans for the report and exit\n";

enum fmt { FMT_NONE, FMT_HTML, FMT_CSV, FMT_MD, FMT_JSON };

static enum fmt parse_fmt(const char *s)
{
	if (!strcmp(s, "html") || !strcmp(s, "htm"))
		return FMT_HTML;
	if (!strcmp(s, "csv"))
		return FMT_CSV;
	if (!strcmp(s, "md") || !strcmp(s, "markdown"))
		return FMT_MD;
	if (!strcmp(s, "json"))
		return FMT_JSON;
	return FMT_NONE;
}

struct opts {
	struct uh_store_run_query q;
	const char *format, *out, *db;
	size_t item_runs, item_rows, rows;
	bool explain;
};

static int parse_args(int argc, char **argv, struct opts *o, bool *help)
{
	static const char *const names[] = { "--suite", "--split", "--model", "--tag", "--format",
		"-o", "--db", "--limit", "--item-runs", "--item-rows", "--output", "--rows" };

	memset(o, 0, sizeof(*o));
	o->item_runs = 3;
	o->item_rows = 300;
	o->rows = 500;
	*help = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		bool missing = false;
		size_t k;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*help = true;
			return 0;
		}
		if (!strcmp(a, "--explain")) {
			o->explain = true;
			continue;
		}
		v = uh_cli_opt_among(argc, argv, &i, names, sizeof(names) / sizeof(names[0]), &k, &missing);
		if (missing) {
			fprintf(stderr, "uh report: option '%s' needs a value\n", names[k]);
			return 2;
		}
		if (!v) {
			fprintf(stderr, "uh report: %s '%s'\n", a[0] == '-' ? "unknown option" :
				"unexpected argument", a);
			return 2;
		}
		switch (k) {
		case 0: o->q.suite = v; break;
		case 1: o->q.split = v; break;
		case 2: o->q.model = v; break;
		case 3: o->q.tag = v; break;
		case 4: o->format = v; break;
		case 5: case 10: o->out = v; break;
		case 6: o->db = v; break;
		default: {
			size_t *dst = k == 7 ? &o->q.limit : k == 8 ? &o->item_runs :
				      k == 9 ? &o->item_rows : &o->rows;

			if (!uh_select_parse_count(v, 100000000, dst)) {
				fprintf(stderr, "uh report: %s wants a count, got '%s'\n", names[k], v);
				return 2;
			}
		}
		}
	}
	return 0;
}

int uh_cmd_report(int argc, char **argv)
{
	struct opts o;
	struct uh_store *st = NULL;
	struct uh_board b = { 0 };
	struct uh_atomic at = { 0 };
	struct uh_err err;
	enum fmt fmt = FMT_NONE;
	FILE *f = stdout;
	bool help;
	int rc;

	uh_err_clear(&err);
	rc = parse_args(argc, argv, &o, &help);
	if (help) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (rc) {
		fputs("(uh report --help for usage)\n", stderr);
		return rc;
	}
	if (o.format) {
		fmt = parse_fmt(o.format);
		if (!fmt) {
			fprintf(stderr, "uh report: unknown format '%s' (html, csv, md or json)\n", o.format);
			return 2;
		}
	} else if (o.out) {
		const char *dot = strrchr(o.out, '.');

		fmt = dot && parse_fmt(dot + 1) ? parse_fmt(dot + 1) : FMT_HTML;
	} else {
		fmt = FMT_MD;
	}

	rc = uh_store_open_existing(&st, uh_store_default_path(o.db), &err);
	if (rc)
		goto fail;
	if (o.explain) {
		char *plan = NULL;

		rc = uh_store_report_plan(st, &o.q, &plan, &err);
		if (rc)
			goto fail;
		fputs(plan, stdout);
		free(plan);
		goto out;
	}
	rc = uh_board_load(&b, st, &o.q, &err);
	if (rc)
		goto fail;
	if (o.out) {
		rc = uh_atomic_open(&at, o.out, &err);
		if (rc)
			goto fail;
		f = at.f;
	}
	switch (fmt) {
	case FMT_HTML: {
		struct uh_html_opts ho = { uh_store_path(st), o.item_runs, o.item_rows, 400, o.rows };

		rc = uh_html_write(f, st, &b, &ho, &err);
		break;
	}
	case FMT_CSV: rc = uh_csv_write(f, &b, &err); break;
	case FMT_JSON: rc = uh_json_write(f, &b, &err); break;
	default: rc = uh_md_write(f, &b, &err); break;
	}
	if (rc)
		goto fail;
	if (o.out) {
		rc = uh_atomic_commit(&at, &err);
		if (rc)
			goto fail;
		fprintf(stderr, "uh report: %zu run%s in %zu group%s written to %s\n", b.n_runs,
			b.n_runs == 1 ? "" : "s", b.n_groups, b.n_groups == 1 ? "" : "s", o.out);
	} else if (fflush(stdout) != 0 || ferror(stdout)) {
		rc = uh_err_set(&err, UH_EIO, "writing to stdout failed");
		goto fail;
	}
	goto out;

fail:
	fprintf(stderr, "uh report: %s\n", err.msg[0] ? err.msg : uh_strerror(rc));
out:
	uh_atomic_abort(&at);
	uh_board_release(&b);
	uh_store_close(st);
	return uh_exit_status(rc);
}
