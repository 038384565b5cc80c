/*
 * cmd_gate.c - `uh gate`: pass or fail a run against release rules, for CI.
 *
 * The flow: parse every rule first (a malformed one is a usage error that
 * points at its column); open the store; resolve the run and the baseline
 * run (report/select.h); resolve each rule's metric among the run's metrics
 * (the stored name, or a unique stored name ending in "/NAME", so that
 * `privleak` finds `ou/privleak`); evaluate (report/gate.h); print one line
 * per rule; write JUnit XML when asked. Exit 0 when every rule passes, 1
 * when one fails, 2 on usage and data errors (unknown metric, missing run,
 * malformed rule), 3 on environment failures.
 */
#include "harness/cli.h"
#include "harness/cmds.h"
#include "harness/err.h"
#include "report/atomic.h"
#include "report/gate.h"
#include "report/select.h"
#include "results/store.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: uh gate --run RUN --rule EXPR [--rule EXPR ...] [--baseline RUN]\n"
	"               [--junit FILE] [--db FILE]\n"
	"\n"
	"Check a run's metrics against release rules. Exit status: 0 all rules pass,\n"
	"1 a rule fails, 2 usage or data error (malformed rule, unknown metric, run\n"
	"not found).\n"
	"\n"
	"RUN is a run id, 'latest', 'tag:T' (newest run tagged T) or 'model:M'\n"
	"(newest run of model M).\n"
	"\n"
	"rules:\n"
	"  METRIC OP EXPR      OP one of >= > <= < == !=\n"
	"  METRIC between A B  A <= value <= B (a negative B needs parentheses)\n"
	"  EXPR is built from numbers, 'baseline' (the same metric in the --baseline\n"
	"  run), + - * / and parentheses. METRIC is a stored name (uh list, uh report\n"
	"  --format json), or the part after '/' when unique (privleak: ou/privleak).\n"
	"\n"
	"examples:\n"
	"  uh gate --run latest --rule 'forget_quality >= 0.05' \\\n"
	"      --rule 'model_utility >= 0.95 * baseline' --baseline tag:base\n"
	"  uh gate --run tag:candidate --rule 'privleak between -5 5' --junit gate.xml\n"
	"\n"
	"options:\n"
	"  --junit FILE  also write the results as JUnit XML (one testcase per rule)\n"
	"  --db FILE     results database (default $UH_DB, else uh.db)\n";

#define MAX_RULES 256

struct checked {
	struct uh_gate_rule *rule;
	const struct uh_store_metric_row *m, *bm;   /* in the run, in the baseline run */
	struct uh_gate_result res;
};

/* ================================================================ metrics */

static const struct uh_store_metric_row *find_exact(const struct uh_store_metric_row *m, size_t n,
						     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].name, name))
			return &m[i];
	return NULL;
}

/*
 * The run's metric for a rule: the stored name, else the one stored name
 * ending in "/name". UH_EINVAL naming the valid names otherwise.
 */
static int find_metric(const struct uh_store_metric_row *m, size_t n, const char *name,
		       int64_t run, const struct uh_store_metric_row **out, struct uh_err *err)
{
	const struct uh_store_metric_row *hit = find_exact(m, n, name);
	size_t nl = strlen(name), hits = 0, len = 0;
	char list[UH_ERR_MSG_MAX / 2];

	if (hit) {
		*out = hit;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(m[i].name);

		if (l > nl && m[i].name[l - nl - 1] == '/' && !strcmp(m[i].name + l - nl, name)) {
			hit = &m[i];
			hits++;
		}
	}
	if (hits == 1) {
		*out = hit;
		return 0;
	}
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", m[i].name);

		if (w < 0 || (size_t)w >= sizeof(list) - len) {
			snprintf(list + (len < sizeof(list) - 6 ? len : sizeof(list) - 6), 6, ", ...");
			break;
		}
		len += (size_t)w;
	}
	if (hits > 1)
		return uh_err_set(err, UH_EINVAL, "metric '%s' is ambiguous in run %lld: give its full"
				  " name (%s)", name, (long long)run, list);
	return uh_err_set(err, UH_EINVAL, "unknown metric '%s' in run %lld; its metrics: %s", name,
			  (long long)run, n ? list : "(none)");
}

/* ================================================================ output */

static void print_value(FILE *f, const struct uh_store_metric_row *m)
{
	fprintf(f, "%.6g", m->value);
	if (m->has_ci)
		fprintf(f, " [%.6g, %.6g]", m->ci_lo, m->ci_hi);
}

/*
 * The length of the well-formed UTF-8 sequence at p that XML 1.0 allows
 * (no surrogates, U+FFFE or U+FFFF), or 0. Stored metric names come from
 * imported logs and need not be UTF-8, and describe() may cut one short.
 */
static size_t xml_utf8_len(const unsigned char *p)
{
	size_t len = *p > 0xF4 ? 0 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC2 ? 2 : 0;
	uint32_t c = *p & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);

	if (!len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3F);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF)
		return 0;
	return len;
}

/*
 * XML text or attribute content: & < > " ' escaped, characters XML 1.0
 * forbids and bytes that are not UTF-8 replaced by '?'.
 */
static void xml_escape(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (*p >= 0x80) {
				size_t n = xml_utf8_len(p);

				if (!n) {
					fputc('?', f);
				} else {
					fwrite(p, 1, n, f);
					p += n - 1;
				}
			} else if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') {
				fputc('?', f);
			} else {
				fputc(*p, f);
			}
		}
	}
}

/* The outcome of one rule in words (for the JUnit failure message). */
static void describe(char *buf, size_t size, const struct checked *c)
{
	const struct uh_gate_result *r = &c->res;

	if (uh_gate_rule_op(c->rule) == UH_GATE_BETWEEN)
		snprintf(buf, size, "%s = %.17g, expected between %.17g and %.17g",
			 c->m->name, r->value, r->lo, r->hi);
	else
		snprintf(buf, size, "%s = %.17g, expected %s %.17g", c->m->name, r->value,
			 uh_gate_op_name(uh_gate_rule_op(c->rule)), r->hi);
	if (c->bm) {
		size_t l = strlen(buf);

		snprintf(buf + l, size - l, " (baseline %.17g)", c->bm->value);
	}
}

static int write_junit(const char *path, const struct checked *cs, size_t n, int64_t run,
		       struct uh_err *err)
{
	struct uh_atomic at;
	size_t failures = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		failures += !cs[i].res.pass;
	rc = uh_atomic_open(&at, path, err);
	if (rc)
		return rc;
	fprintf(at.f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n"
		      "  <testsuite name=\"uh gate run %lld\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
		n, failures, (long long)run, n, failures);
	for (size_t i = 0; i < n; i++) {
		char msg[512];

		describe(msg, sizeof(msg), &cs[i]);
		fprintf(at.f, "    <testcase classname=\"uh.gate.run%lld\" name=\"", (long long)run);
		xml_escape(at.f, uh_gate_rule_text(cs[i].rule));
		if (cs[i].res.pass) {
			fputs("\"/>\n", at.f);
			continue;
		}
		fputs("\">\n      <failure message=\"", at.f);
		xml_escape(at.f, msg);
		fputs("\">", at.f);
		xml_escape(at.f, msg);
		fputs("</failure>\n    </testcase>\n", at.f);
	}
	fputs("  </testsuite>\n</testsuites>\n", at.f);
	rc = uh_atomic_commit(&at, err);
	if (rc)
		uh_atomic_abort(&at);
	return rc;
}

/* ================================================================ the command */

/* Print a malformed rule and a caret under the column. */
static void show_rule_error(const char *text, size_t col, const struct uh_err *err)
{
	fprintf(stderr, "uh gate: rule '%s': %s\n", text, err->msg);
	if (col && strlen(text) < 200) {
		fprintf(stderr, "  %s\n  %*s^\n", text, (int)(col - 1), "");
	}
}

int uh_cmd_gate(int argc, char **argv)
{
	const char *run_spec = NULL, *base_spec = NULL, *junit = NULL, *db = NULL;
	struct checked cs[MAX_RULES];
	size_t n_rules = 0, failed = 0;
	struct uh_store *st = NULL;
	struct uh_store_metric_row *m = NULL, *bm = NULL;
	size_t n_m = 0, n_bm = 0;
	int64_t run = 0, base = 0;
	struct uh_err err;
	int rc = 0, status;

	uh_err_clear(&err);
	memset(cs, 0, sizeof(cs));
	for (int i = 1; i < argc; i++) {
		static const char *const names[] = { "--run", "--rule", "--baseline", "--junit", "--db" };
		const char *v = NULL;
		bool missing = false;
		size_t k;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			status = 0;
			goto out;
		}
		v = uh_cli_opt_among(argc, argv, &i, names, sizeof(names) / sizeof(names[0]), &k, &missing);
		if (missing || !v) {
			if (missing)
				fprintf(stderr, "uh gate: option '%s' needs a value\n", names[k]);
			else
				fprintf(stderr, "uh gate: %s '%s'\n", argv[i][0] == '-' ? "unknown option" :
					"unexpected argument", argv[i]);
			status = 2;
			goto usage;
		}
		if (k == 1) {
			size_t col;

			if (n_rules == MAX_RULES) {
				fprintf(stderr, "uh gate: at most %d rules\n", MAX_RULES);
				status = 2;
				goto out;
			}
			rc = uh_gate_parse(v, &cs[n_rules].rule, &col, &err);
			if (rc) {
				show_rule_error(v, col, &err);
				status = uh_exit_status(rc);
				goto out;
			}
			n_rules++;
		} else {
			const char **dst[] = { &run_spec, NULL, &base_spec, &junit, &db };

			*dst[k] = v;
		}
	}
	if (!run_spec || !n_rules) {
		fprintf(stderr, "uh gate: %s\n", !run_spec ? "which run? (--run ID|latest|tag:T|model:M)"
							 : "no --rule given");
		status = 2;
		goto usage;
	}

	rc = uh_store_open_existing(&st, uh_store_default_path(db), &err);
	if (!rc)
		rc = uh_select_run(st, run_spec, &run, &err);
	if (!rc)
		rc = uh_store_metrics_get(st, run, &m, &n_m, &err);
	if (!rc && base_spec) {
		rc = uh_select_run(st, base_spec, &base, &err);
		if (rc)
			uh_err_prefix(&err, "baseline: ");
		else
			rc = uh_store_metrics_get(st, base, &bm, &n_bm, &err);
	}
	for (size_t i = 0; i < n_rules && !rc; i++) {
		struct checked *c = &cs[i];
		const char *name = uh_gate_rule_metric(c->rule);

		rc = find_metric(m, n_m, name, run, &c->m, &err);
		if (!rc && uh_gate_rule_uses_baseline(c->rule)) {
			if (!base_spec)
				rc = uh_err_set(&err, UH_EINVAL, "rule '%s' uses 'baseline': give --baseline RUN",
						uh_gate_rule_text(c->rule));
			else if (!(c->bm = find_exact(bm, n_bm, c->m->name)))
				rc = uh_err_set(&err, UH_EINVAL, "baseline run %lld has no metric '%s'",
						(long long)base, c->m->name);
		}
		if (!rc)
			rc = uh_gate_eval(c->rule, c->m->value, c->bm ? &c->bm->value : NULL, &c->res, &err);
	}
	if (rc) {
		fprintf(stderr, "uh gate: %s\n", err.msg[0] ? err.msg : uh_strerror(rc));
		status = rc == UH_ENUM ? 2 : uh_exit_status(rc);
		goto out;
	}

	printf("gate: run %lld", (long long)run);
	if (base_spec)
		printf(" against baseline run %lld", (long long)base);
	printf("\n");
	for (size_t i = 0; i < n_rules; i++) {
		const struct checked *c = &cs[i];

		failed += !c->res.pass;
		printf("  %s  %s: ", c->res.pass ? "PASS" : "FAIL", uh_gate_rule_text(c->rule));
		if (strcmp(c->m->name, uh_gate_rule_metric(c->rule))) {
			putchar('(');
			uh_cli_put_name(stdout, c->m->name, 0);
			printf(") ");
		}
		print_value(stdout, c->m);
		if (uh_gate_rule_op(c->rule) == UH_GATE_BETWEEN)
			printf(", bounds %.6g and %.6g", c->res.lo, c->res.hi);
		else
			printf(" %s %.6g", uh_gate_op_name(uh_gate_rule_op(c->rule)), c->res.hi);
		if (c->bm) {
			printf(" (baseline ");
			print_value(stdout, c->bm);
			printf(")");
		}
		printf("\n");
	}
	printf("%zu of %zu rules pass: %s\n", n_rules - failed, n_rules, failed ? "FAIL" : "PASS");
	fflush(stdout);
	status = failed ? 1 : 0;
	if (junit) {
		rc = write_junit(junit, cs, n_rules, run, &err);
		if (rc) {
			fprintf(stderr, "uh gate: %s\n", err.msg);
			status = uh_exit_status(rc);
		}
	}
	goto out;

usage:
	fputs("(uh gate --help for usage)\n", stderr);
out:
	for (size_t i = 0; i < n_rules; i++)
		uh_gate_rule_free(cs[i].rule);
	uh_store_metric_rows_free(m, n_m);
	uh_store_metric_rows_free(bm, n_bm);
	uh_store_close(st);
	return status;
}
