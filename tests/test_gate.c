/*
 * Release gates: the rule parser (every operator, arithmetic, baseline,
 * between, malformed rules and their columns), evaluation, and `uh gate`
 * end to end (exit codes, unknown metrics listing the valid ones, suffix
 * names, JUnit XML that is well-formed).
 */
#include "report/gate.h"
#include "tests/report_fixture.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>

TestSuite(gate, .init = fx_setup, .fini = fx_teardown);

/* ---------------------------------------------------------------- parser and evaluation */

static bool passes(const char *text, double value, const double *baseline)
{
	struct uh_gate_rule *r;
	struct uh_gate_result res;
	struct uh_err err;
	size_t col;

	cr_assert_eq(uh_gate_parse(text, &r, &col, &err), 0, "'%s': %s", text, err.msg);
	cr_assert_eq(uh_gate_eval(r, value, baseline, &res, &err), 0, "'%s': %s", text, err.msg);
	uh_gate_rule_free(r);
	return res.pass;
}

Test(gate, operators)
{
	cr_expect(passes("forget_quality >= 0.05", 0.05, NULL));
	cr_expect_not(passes("forget_quality >= 0.05", 0.0499, NULL));
	cr_expect(passes("x > 1", 1.5, NULL));
	cr_expect_not(passes("x > 1", 1, NULL));
	cr_expect(passes("x <= 1", 1, NULL));
	cr_expect_not(passes("x <= 1", 1.01, NULL));
	cr_expect(passes("ks_statistic < 0.2", 0.19, NULL));
	cr_expect_not(passes("ks_statistic < 0.2", 0.2, NULL));
	cr_expect(passes("x == 0.25", 0.25, NULL));
	cr_expect_not(passes("x == 0.25", 0.2500001, NULL));
	cr_expect(passes("x != 3", 2, NULL));
	cr_expect_not(passes("x != 3", 3, NULL));
	cr_expect(passes("privleak between -5 5", -5, NULL));
	cr_expect(passes("privleak between -5 5", 5, NULL));
	cr_expect_not(passes("privleak between -5 5", 5.5, NULL));
	cr_expect_not(passes("privleak between -5 5", -100, NULL));
	cr_expect(passes("p between 1 and 2", 1.5, NULL));
	cr_expect(passes("p between -10 (-5)", -7, NULL));
	cr_expect(passes("  prob/forget>=.5  ", 0.5, NULL));
	cr_expect(passes("x>=1e-3", 0.001, NULL));
	cr_expect(passes("x>=2.5E+1", 25, NULL));
	/* NaN never passes */
	cr_expect_not(passes("x != 3", NAN, NULL));
}

Test(gate, arithmetic_and_baseline)
{
	double b = 0.8;

	cr_expect(passes("x == 1 + 2 * 3", 7, NULL));
	cr_expect(passes("x == (1 + 2) * 3", 9, NULL));
	cr_expect(passes("x == 8 / 4 / 2", 1, NULL));
	cr_expect(passes("x == 10 - 4 - 3", 3, NULL));
	cr_expect(passes("x == -2 * -3", 6, NULL));
	cr_expect(passes("x == --1", 1, NULL));
	cr_expect(passes("model_utility >= 0.95 * baseline", 0.76, &b));
	cr_expect_not(passes("model_utility >= 0.95 * baseline", 0.759, &b));
	cr_expect(passes("x between baseline - 0.1 baseline + 0.1", 0.85, &b));
	cr_expect(passes("x < baseline / 2 + 0.5", 0.89, &b));
	/* '/' divides also without spaces: it is part of metric names only */
	cr_expect(passes("x == 1/2", 0.5, NULL));
	cr_expect(passes("x == 8/4/2", 1, NULL));
	cr_expect(passes("model_utility >= baseline/2", 0.4, &b));
	cr_expect_not(passes("model_utility >= baseline/2", 0.39, &b));
	cr_expect(passes("x == 2/baseline", 2.5, &b));
	cr_expect(passes("prob/forget>=1/4", 0.25, NULL));
}

static void expect_eval_error(const char *text, const double *baseline, int code)
{
	struct uh_gate_rule *r;
	struct uh_gate_result res;
	struct uh_err err;
	size_t col;

	cr_assert_eq(uh_gate_parse(text, &r, &col, &err), 0);
	cr_expect_eq(uh_gate_eval(r, 1, baseline, &res, &err), code, "'%s'", text);
	uh_gate_rule_free(r);
}

Test(gate, evaluation_errors)
{
	double zero = 0;

	expect_eval_error("x >= baseline", NULL, UH_EINVAL);
	expect_eval_error("x >= 1 / 0", NULL, UH_ENUM);
	expect_eval_error("x >= 1 / baseline", &zero, UH_ENUM);
	expect_eval_error("x between 5 1", NULL, UH_EINVAL);
}

static void expect_malformed(const char *text, size_t want_col, const char *want_msg)
{
	struct uh_gate_rule *r = (void *)1;
	struct uh_err err;
	size_t col = 0;

	cr_expect_eq(uh_gate_parse(text, &r, &col, &err), UH_EINVAL, "'%s' parsed", text);
	cr_expect_null(r);
	cr_expect_eq(col, want_col, "'%s': column %zu, want %zu (%s)", text, col, want_col, err.msg);
	if (want_msg)
		cr_expect_not_null(strstr(err.msg, want_msg), "'%s': %s", text, err.msg);
}

Test(gate, malformed_rules_name_the_column)
{
	expect_malformed("", 1, "expected a metric name");
	expect_malformed(">= 1", 1, "expected a metric name");
	expect_malformed("forget_quality >= ", 19, "expected a number, 'baseline' or '('");
	expect_malformed("forget_quality = 1", 16, "'=='");
	expect_malformed("forget_quality => 1", 16, "comparison");
	expect_malformed("fq >= 1 2", 9, "end of the rule");
	expect_malformed("fq >= (1", 9, "')'");
	expect_malformed("fq between 1", 13, "expected a number");
	expect_malformed("fq between 1 2 3", 16, "two bounds");
	expect_malformed("fq >= 1e", 9, "exponent");
	expect_malformed("fq >= 1x", 8, "after a number");
	expect_malformed("fq >= 1.2.3", 10, "after a number");
	expect_malformed("fq >= baseline.x", 15, "end of the rule");
	expect_malformed("fq >= other_metric", 7, "unknown name 'other_metric'");
	expect_malformed("fq >= 1e999", 7, "out of range");
	expect_malformed("baseline >= 1", 1, "metric name");
	expect_malformed("fq >= 1 * * 2", 11, NULL);
	expect_malformed("fq >= \x01", 7, "byte 0x01");
	expect_malformed("fq", 3, "comparison");
}

Test(gate, limits)
{
	char deep[300], text[UH_GATE_MAX_TEXT + 10];
	struct uh_gate_rule *r;
	struct uh_err err;
	size_t col, n = 0;

	/* nesting is bounded, not a stack overflow */
	n += (size_t)snprintf(deep, sizeof(deep), "x >= ");
	while (n < 250)
		deep[n++] = '(';
	deep[n] = '\0';
	cr_expect_eq(uh_gate_parse(deep, &r, &col, &err), UH_EINVAL);
	/* so is the length */
	memset(text, ' ', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memcpy(text, "x >= 1", 6);
	cr_expect_eq(uh_gate_parse(text, &r, &col, &err), UH_EINVAL);
	/* and the number of terms */
	n = (size_t)snprintf(text, sizeof(text), "x >= 1");
	while (n + 4 < UH_GATE_MAX_TEXT)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " + 1");
	cr_expect_eq(uh_gate_parse(text, &r, &col, &err), UH_EINVAL);
	cr_expect_not_null(strstr(err.msg, "too long"), "%s", err.msg);
}

/* ---------------------------------------------------------------- the command */

/* Run `uh gate` with args; the exit status. */
static int gate(const char *const *args)
{
	return fx_run(uh_cmd_gate, "gate", args);
}

Test(gate, command_exit_codes, .timeout = 120)
{
	char *out, *err;

	fx_import("tofu-llama2-7b_full_wd0.01", "tofu-llama2-7b_retain90_wd0.01");   /* run 1 */
	fx_import("npo-oldformat-retain90_llama_wd0.01", "tofu-llama2-7b_retain90_wd0.01"); /* run 2 */

	/* all pass: 0 */
	cr_expect_eq(gate((const char *[]){ "--run", "2", "--rule", "forget_quality >= 0.05",
					     "--rule", "model_utility >= 0.95 * baseline", "--baseline", "1",
					     "--rule", "ks_statistic < 0.2", NULL }), 0);
	out = fx_stdout();
	cr_expect_not_null(strstr(out, "PASS  forget_quality >= 0.05: 0.987948 >= 0.05"), "%s", out);
	cr_expect_not_null(strstr(out, "PASS  model_utility >= 0.95 * baseline: 0.620344 [0.588"), "%s", out);
	cr_expect_not_null(strstr(out, "3 of 3 rules pass: PASS"), "%s", out);
	free(out);

	/* one fails: 1 */
	cr_expect_eq(gate((const char *[]){ "--run", "model:tofu-llama2-7b_full_wd0.01", "--rule",
					     "forget_quality >= 0.05", "--rule", "model_utility > 0.5", NULL }), 1);
	out = fx_stdout();
	cr_expect_not_null(strstr(out, "FAIL  forget_quality >= 0.05: 1.83407e-21 >= 0.05"), "%s", out);
	cr_expect_not_null(strstr(out, "1 of 2 rules pass: FAIL"), "%s", out);
	free(out);
	cr_expect_eq(gate((const char *[]){ "--run", "latest", "--rule", "forget_quality < 0.5", NULL }), 1);

	/* unknown metric: 2, listing the valid names */
	cr_expect_eq(gate((const char *[]){ "--run", "1", "--rule", "forgetquality >= 1", NULL }), 2);
	err = fx_stderr();
	cr_expect_not_null(strstr(err, "unknown metric 'forgetquality' in run 1; its metrics: forget_quality,"
				  " ks_statistic, model_utility, prob/forget"), "%s", err);
	free(err);
	/* a name after '/' that is unique finds the stored one; an ambiguous one does not */
	cr_expect_eq(gate((const char *[]){ "--run", "1", "--rule", "privleak <= 1", NULL }), 2);
	err = fx_stderr();
	cr_expect_not_null(strstr(err, "unknown metric 'privleak'"), "%s", err);
	free(err);
	cr_expect_eq(gate((const char *[]){ "--run", "1", "--rule", "forget >= 0", NULL }), 2);
	err = fx_stderr();
	cr_expect_not_null(strstr(err, "ambiguous"), "%s", err);
	free(err);

	/* malformed rule: 2, pointing at the column */
	cr_expect_eq(gate((const char *[]){ "--run", "1", "--rule", "forget_quality >= ", NULL }), 2);
	err = fx_stderr();
	cr_expect_not_null(strstr(err, "column 19"), "%s", err);
	cr_expect_not_null(strstr(err, "\n  forget_quality >= \n                    ^\n"), "caret: %s", err);
	free(err);

	/* run not found, baseline missing, usage: 2 */
	cr_expect_eq(gate((const char *[]){ "--run", "99", "--rule", "forget_quality >= 0", NULL }), 2);
	cr_expect_eq(gate((const char *[]){ "--run", "tag:none", "--rule", "forget_quality >= 0", NULL }), 2);
	cr_expect_eq(gate((const char *[]){ "--run", "1", "--rule", "model_utility >= baseline", NULL }), 2);
	cr_expect_eq(gate((const char *[]){ "--run", "1", "--rule", "model_utility >= baseline",
					     "--baseline", "77", NULL }), 2);
	cr_expect_eq(gate((const char *[]){ "--run", "1", NULL }), 2);
	cr_expect_eq(gate((const char *[]){ "--rule", "x >= 1", NULL }), 2);
	cr_expect_eq(gate((const char *[]){ "--run", "bogus", "--rule", "x >= 1", NULL }), 2);
	cr_expect_eq(gate((const char *[]){ "--run", "1", "--rule", "x >= 1", "--frob", NULL }), 2);
}

Test(gate, suffix_names_and_hostile_runs)
{
	char *out;

	fx_hostile_run(2);
	cr_expect_eq(gate((const char *[]){ "--run", "latest", "--rule", "privleak between -5 5", NULL }), 0);
	out = fx_stdout();
	cr_expect_not_null(strstr(out, "PASS  privleak between -5 5: (ou/privleak) -3.5, bounds -5 and 5"),
			   "%s", out);
	free(out);
}

/*
 * A minimal well-formedness check of XML: one root, tags nest and close,
 * attribute values quoted, '&' only in the five entities or numeric ones,
 * no '<' inside text or attributes. Returns the number of elements.
 */
static size_t check_xml(const char *s)
{
	char stack[32][64];
	int depth = 0;
	size_t elements = 0, roots = 0;

	if (!strncmp(s, "<?xml", 5)) {
		s = strstr(s, "?>");
		cr_assert_not_null(s);
		s += 2;
	}
	while (*s) {
		if (*s == '&') {
			static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#" };
			bool ok = false;

			for (size_t i = 0; i < 6; i++)
				ok = ok || !strncmp(s, ent[i], strlen(ent[i]));
			cr_assert(ok, "bare '&' at: %.30s", s);
			s++;
			continue;
		}
		if (*s != '<') {
			cr_assert(depth > 0 || isspace((unsigned char)*s), "text outside the root: %.30s", s);
			s++;
			continue;
		}
		if (s[1] == '/') {
			size_t n = strcspn(s + 2, ">");

			cr_assert(depth > 0, "close without open");
			depth--;
			cr_assert(strlen(stack[depth]) == n && !strncmp(stack[depth], s + 2, n),
				  "</%.*s> closes <%s>", (int)n, s + 2, stack[depth]);
			s += 3 + n;
			continue;
		}
		{
			size_t n = strcspn(s + 1, " \t\n/>");
			const char *p = s + 1 + n;

			cr_assert(n > 0 && n < 64, "bad tag name at: %.30s", s);
			cr_assert(depth < 32);
			if (!depth)
				roots++;
			memcpy(stack[depth], s + 1, n);
			stack[depth][n] = '\0';
			elements++;
			/* attributes: name="value" with no '<' in the value */
			for (;;) {
				while (isspace((unsigned char)*p))
					p++;
				if (*p == '>' || (p[0] == '/' && p[1] == '>'))
					break;
				while (*p && *p != '=' && !isspace((unsigned char)*p))
					p++;
				cr_assert(*p == '=' && p[1] == '"', "unquoted attribute at: %.30s", p);
				p += 2;
				while (*p && *p != '"') {
					cr_assert(*p != '<', "'<' in an attribute");
					if (*p == '&')
						cr_assert(!strncmp(p, "&amp;", 5) || !strncmp(p, "&lt;", 4) ||
							  !strncmp(p, "&gt;", 4) || !strncmp(p, "&quot;", 6) ||
							  !strncmp(p, "&apos;", 6), "bare '&' in an attribute");
					p++;
				}
				cr_assert(*p == '"');
				p++;
			}
			if (*p == '/')
				p += 2;
			else {
				depth++;
				p++;
			}
			s = p;
		}
	}
	cr_assert_eq(depth, 0, "unclosed elements");
	cr_assert_eq(roots, 1);
	return elements;
}

Test(gate, junit_xml_is_well_formed, .timeout = 120)
{
	char *xml;

	fx_import("tofu-llama2-7b_full_wd0.01", "tofu-llama2-7b_retain90_wd0.01");
	cr_expect_eq(gate((const char *[]){ "--run", "1", "--rule", "forget_quality >= 0.05", "--rule",
					     "ks_statistic < 1", "--rule", "model_utility between 0.5 0.7",
					     "--rule", "truth_ratio/forget>0.9*baseline", "--baseline", "1",
					     "--junit", fx_path("gate.xml"), NULL }), 1);
	xml = uh_test_slurp(fx_path("gate.xml"), NULL);
	/* testsuites, testsuite, 4 testcases, 1 failure */
	cr_expect_eq(check_xml(xml), 7, "%s", xml);
	cr_expect_not_null(strstr(xml, "tests=\"4\" failures=\"1\""));
	cr_expect_not_null(strstr(xml, "name=\"ks_statistic &lt; 1\"/>"), "%s", xml);
	cr_expect_not_null(strstr(xml, "name=\"truth_ratio/forget&gt;0.9*baseline\"/>"), "%s", xml);
	cr_expect_not_null(strstr(xml, "<failure message=\"forget_quality = 1.8340"), "%s", xml);
	cr_expect_not_null(strstr(xml, "expected &gt;= 0.050000000000000003"), "%s", xml);
	free(xml);
}

/* Whether s is UTF-8 holding only characters XML 1.0 allows. */
static bool xml_chars_ok(const unsigned char *s)
{
	while (*s) {
		uint32_t c;
		size_t n;

		if (*s < 0x80) {
			if (*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
				return false;
			s++;
			continue;
		}
		if (*s >= 0xC2 && *s <= 0xDF)
			n = 2, c = *s & 0x1F;
		else if (*s >= 0xE0 && *s <= 0xEF)
			n = 3, c = *s & 0x0F;
		else if (*s >= 0xF0 && *s <= 0xF4)
			n = 4, c = *s & 0x07;
		else
			return false;
		for (size_t i = 1; i < n; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return false;
			c = c << 6 | (s[i] & 0x3F);
		}
		if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
		    (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF)
			return false;
		s += n;
	}
	return true;
}

/*
 * Metric names come from imported logs: bytes that are not UTF-8, U+FFFE,
 * a surrogate, and a name long enough that the failure message is cut
 * inside a character must not make the JUnit file unreadable.
 */
Test(gate, junit_xml_is_utf8_with_hostile_metric_names)
{
	struct uh_store *st;
	struct uh_store_run *run;
	struct uh_err err;
	struct uh_store_run_info info = { .suite = "tofu", .split = "forget10", .profile = "tofu",
					  .model = "m", .backend = "null", .source = "run" };
	char longname[700] = "ou/";
	char *xml;

	for (int i = 0; i < 300; i++)
		strcat(longname, "\xC3\xA9");   /* é */
	strcat(longname, "/rouge");
	cr_assert_eq(uh_store_open(&st, fx_db, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
	{
		struct uh_store_metric m1 = { "ou/\xFF\xEF\xBF\xBE\xED\xA0\x80<&>/privleak", -30, 0, 0, 0, -1 };
		struct uh_store_metric m2 = { longname, 0.5, 0, 0, 0, -1 };
		struct uh_store_metric m3 = { "ou/\x1b[2J/kl", 0.5, 0, 0, 0, -1 };

		cr_assert_eq(uh_store_run_add_metric(run, &m1, &err), 0, "%s", err.msg);
		cr_assert_eq(uh_store_run_add_metric(run, &m2, &err), 0, "%s", err.msg);
		cr_assert_eq(uh_store_run_add_metric(run, &m3, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(uh_store_run_commit(run, &err), 0, "%s", err.msg);
	uh_store_close(st);

	cr_expect_eq(gate((const char *[]){ "--run", "latest", "--rule", "privleak between -5 5",
					     "--rule", "rouge > 0.9", "--rule", "kl < 1", "--junit",
					     fx_path("gate.xml"), NULL }), 1);
	/* and the terminal gets no escape sequence */
	{
		char *out = fx_stdout();

		cr_expect_null(strchr(out, '\x1b'), "an escape byte reached the terminal");
		cr_expect_not_null(strstr(out, "PASS  kl < 1: (ou/?[2J/kl) 0.5 < 1"), "%s", out);
		free(out);
	}
	xml = uh_test_slurp(fx_path("gate.xml"), NULL);
	cr_expect_eq(check_xml(xml), 7, "%s", xml);
	cr_expect_not_null(strstr(xml, "failures=\"2\""), "%s", xml);
	cr_expect_not_null(strstr(xml, "<failure message=\"ou/???????&lt;&amp;&gt;/privleak = -30,"), "%s", xml);
	cr_expect(xml_chars_ok((const unsigned char *)xml), "the JUnit file is not XML-safe UTF-8");
	free(xml);
}
