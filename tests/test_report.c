/*
 * `uh report` and its writers: CSV quoting and formula guards, Markdown
 * escaping, HTML escaping of hostile strings, JSON that parses back,
 * atomic -o, `uh list`, and query plans that search by index.
 */
#include "report/board.h"
#include "report/csv.h"
#include "report/html.h"
#include "report/md.h"
#include "tests/report_fixture.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>

TestSuite(report, .init = fx_setup, .fini = fx_teardown);

/* ---------------------------------------------------------------- escapers */

/* What a writer function puts into a memory stream. Caller frees. */
static char *capture_field(void (*fn)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	fn(f, s);
	fclose(f);
	return buf;
}

static void html_field(FILE *f, const char *s)
{
	uh_html_escape(f, s, 0);
}

Test(report, csv_quoting_and_formula_guard)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" },
		{ "cr\rhere", "\"cr\rhere\"" },
		{ "=1+2", "'=1+2" },
		{ "+cmd", "'+cmd" },
		{ "-x", "'-x" },
		{ "@SUM(A1)", "'@SUM(A1)" },
		{ "=HYPERLINK(\"u\",\"t\")", "\"'=HYPERLINK(\"\"u\"\",\"\"t\"\")\"" },
		{ "-1.5", "-1.5" },         /* numbers are data, not formulas */
		{ "+3e-5", "+3e-5" },
		{ "-", "'-" },
		{ "", "" },
		{ ".5", ".5" },
		{ "-2.", "-2." },
		{ "-1e", "'-1e" },
		/* strtod reads these as numbers; a spreadsheet runs them as formulas */
		{ "-nan(1)", "'-nan(1)" },
		{ "+inf", "'+inf" },
		{ "-infinity", "'-infinity" },
		{ "-0x1p3", "'-0x1p3" },
		{ "\t1", "'\t1" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = capture_field(uh_csv_field, cases[i].in);

		cr_expect_str_eq(got, cases[i].out, "csv field of '%s'", cases[i].in);
		free(got);
	}
}

Test(report, md_escaping)
{
	char *got = capture_field(uh_md_cell, "a|b\nc\r\\d <x> & *e* _f_ `g` [h]");

	cr_expect_str_eq(got, "a\\|b c \\\\d &lt;x&gt; &amp; \\*e\\* \\_f\\_ \\`g\\` \\[h\\]");
	free(got);
}

Test(report, html_escaping)
{
	char *got = capture_field(html_field, "<script>x=\"1\" & 'y'</script>\x01");

	cr_expect_str_eq(got, "&lt;script&gt;x=&quot;1&quot; &amp; &#39;y&#39;&lt;/script&gt;\xEF\xBF\xBD");
	free(got);
	/* cut at a UTF-8 boundary: 'é' is two bytes and is not split */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		uh_html_escape(f, "ab\xC3\xA9" "cd", 3);
		fclose(f);
		cr_expect_str_eq(buf, "ab\xC3\xA9\xE2\x80\xA6");
		free(buf);
	}
}

/* ---------------------------------------------------------------- whole reports */

static void make_db(void)
{
	fx_import("tofu-llama2-7b_full_wd0.01", "tofu-llama2-7b_retain90_wd0.01");
	fx_import("tofu-llama2-7b_retain90_wd0.01", NULL);
	fx_hostile_run(6);
}

static char *report(const char *format, const char *file)
{
	const char *args[] = { "--format", format, "-o", fx_path(file), NULL };
	char path[4200];
	int rc = fx_run(uh_cmd_report, "report", args);

	cr_assert_eq(rc, 0, "report --format %s: %s", format, fx_stderr());
	snprintf(path, sizeof(path), "%s", fx_path(file));
	return uh_test_slurp(path, NULL);
}

Test(report, html_hostile_strings_are_inert, .timeout = 120)
{
	char *html;

	make_db();
	html = report("html", "r.html");
	/* the page's one script, and nothing from the data as markup */
	cr_expect_eq(fx_count(html, "<script"), 1, "raw <script from data in the page");
	cr_expect_not_null(strstr(html, "<script nonce="));
	cr_expect_null(strstr(html, "<img"));
	cr_expect_null(strstr(html, "onerror=\""));
	cr_expect_null(strstr(html, "<b>bold"));
	cr_expect_null(strstr(html, "<i>"));
	cr_expect_not_null(strstr(html, "&lt;script&gt;window.__pwned=1&lt;/script&gt;"));
	cr_expect_not_null(strstr(html, "&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;"));
	cr_expect_not_null(strstr(html, "Q &amp; &quot;quoted&quot; &lt;b&gt;bold&lt;/b&gt;"));
	/* self-contained: nothing fetched */
	cr_expect_null(strstr(html, "src=\"http"));
	cr_expect_null(strstr(html, "href=\"http"));
	cr_expect_not_null(strstr(html, "default-src 'none'"));
	/* the parts */
	cr_expect_not_null(strstr(html, "<svg"));
	cr_expect_not_null(strstr(html, "class=\"pt ref-retain\""));
	cr_expect_not_null(strstr(html, "class=\"pt ref-full\""));
	cr_expect_not_null(strstr(html, "<table class=\"board sortable\">"));
	cr_expect_not_null(strstr(html, "<th>Forget Quality</th>"));
	cr_expect_not_null(strstr(html, "<th>Truth Ratio real world</th>"));
	cr_expect_not_null(strstr(html, "<span class=\"badge\">reference</span>"));
	cr_expect_not_null(strstr(html, "id=\"run-3\""));
	cr_expect_not_null(strstr(html, "<span class=\"ci\">[0.5, 0.6]</span>"));
	cr_expect_not_null(strstr(html, "document.body.dataset.ok='1'"));
	free(html);
}

/* A minimal RFC 4180 reader: the fields of the whole file, rows counted. */
struct csv {
	char **field;
	size_t n, rows, cols_first;
	bool ragged, bare_lf;
};

static void csv_parse(const char *s, struct csv *c)
{
	size_t cap = 0, cols = 0;

	memset(c, 0, sizeof(*c));
	while (*s) {
		char *buf = malloc(strlen(s) + 1);
		size_t l = 0;

		cr_assert_not_null(buf);
		if (*s == '"') {
			for (s++;; s++) {
				cr_assert(*s, "unterminated quoted field");
				if (*s == '"' && s[1] == '"')
					buf[l++] = *s++;
				else if (*s == '"') {
					s++;
					break;
				} else
					buf[l++] = *s;
			}
		} else {
			while (*s && *s != ',' && *s != '\r' && *s != '\n')
				buf[l++] = *s++;
		}
		buf[l] = '\0';
		if (c->n == cap) {
			cap = cap ? 2 * cap : 256;
			c->field = realloc(c->field, cap * sizeof(*c->field));
			cr_assert_not_null(c->field);
		}
		c->field[c->n++] = buf;
		cols++;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '\n')
			c->bare_lf = true;
		cr_assert(*s == '\r' || *s == '\n', "field not followed by , or a line end");
		s += *s == '\r' && s[1] == '\n' ? 2 : 1;
		if (!c->rows)
			c->cols_first = cols;
		else if (cols != c->cols_first)
			c->ragged = true;
		c->rows++;
		cols = 0;
	}
}

static void csv_free(struct csv *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->field[i]);
	free(c->field);
}

Test(report, csv_report_parses_back, .timeout = 120)
{
	struct csv c;
	char *text;
	size_t model_col = 0, tag_col = 0, fq_col = 0;

	make_db();
	text = report("csv", "r.csv");
	csv_parse(text, &c);
	cr_expect_not(c.bare_lf, "a line ends in LF, not CRLF");
	cr_expect_not(c.ragged, "rows of different lengths");
	cr_expect_eq(c.rows, 4, "header and 3 runs, got %zu rows", c.rows);
	for (size_t i = 0; i < c.cols_first; i++) {
		if (!strcmp(c.field[i], "model")) model_col = i;
		if (!strcmp(c.field[i], "tag")) tag_col = i;
		if (!strcmp(c.field[i], "forget_quality")) fq_col = i;
	}
	cr_assert(model_col && tag_col && fq_col);
	cr_expect_not_null(strstr(c.field[0], "id"));
	cr_expect_not_null(strstr(text, "model_utility.ci_lo"));
	/* the hostile run reads back exactly; its formula tag is guarded */
	{
		bool found = false;

		for (size_t r = 1; r < c.rows; r++) {
			char **row = c.field + r * c.cols_first;

			if (!strcmp(row[model_col], "evil" FX_SCRIPT "\"model\", 'x'")) {
				found = true;
				cr_expect_str_eq(row[tag_col], "'" FX_FORMULA);
				cr_expect_str_eq(row[fq_col], "0.25");
			}
		}
		cr_expect(found, "hostile model name did not read back");
	}
	/* no cell starts a formula unguarded, except numbers */
	for (size_t i = 0; i < c.n; i++) {
		const char *f = c.field[i];

		if (*f && strchr("=+-@", *f)) {
			char *end;

			(void)strtod(f, &end);
			cr_expect(*end == '\0', "unguarded formula cell '%s'", f);
		}
	}
	csv_free(&c);
	free(text);
}

Test(report, md_report_tables_hold, .timeout = 120)
{
	char *text, *line, *save = NULL;
	size_t header_pipes = 0, rows = 0;

	make_db();
	text = report("md", "r.md");
	cr_expect_null(strstr(text, "<script"));
	cr_expect_not_null(strstr(text, "&lt;script&gt;"));
	cr_expect_not_null(strstr(text, "## tofu forget10"));
	/* every table line has as many unescaped pipes as its header */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t pipes = 0;

		if (line[0] != '|') {
			header_pipes = 0;
			continue;
		}
		for (const char *p = line; *p; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				continue;
			}
			pipes += *p == '|';
		}
		if (!header_pipes)
			header_pipes = pipes;
		cr_expect_eq(pipes, header_pipes, "row breaks the table: %s", line);
		rows++;
	}
	cr_expect_eq(rows, 2 + 3, "header, rule and 3 runs");
	free(text);
}

Test(report, json_parses_back, .timeout = 120)
{
	cJSON *doc, *groups, *g, *runs, *r;
	char *text;
	bool hostile = false;

	make_db();
	text = report("json", "r.json");
	doc = cJSON_Parse(text);
	cr_assert_not_null(doc, "report json does not parse");
	cr_expect_eq(cJSON_GetObjectItem(doc, "runs")->valueint, 3);
	groups = cJSON_GetObjectItem(doc, "groups");
	cr_assert_eq(cJSON_GetArraySize(groups), 1);
	g = cJSON_GetArrayItem(groups, 0);
	cr_expect_str_eq(cJSON_GetObjectItem(g, "split")->valuestring, "forget10");
	runs = cJSON_GetObjectItem(g, "runs");
	cr_expect_eq(cJSON_GetArraySize(runs), 3);
	cJSON_ArrayForEach(r, runs) {
		const cJSON *m = cJSON_GetObjectItem(r, "metrics");

		if (!strcmp(cJSON_GetObjectItem(r, "model")->valuestring, "evil" FX_SCRIPT "\"model\", 'x'")) {
			const cJSON *mu = cJSON_GetObjectItem(m, "model_utility");

			hostile = true;
			cr_expect_float_eq(cJSON_GetObjectItem(mu, "ci_lo")->valuedouble, 0.5, 1e-15);
			cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(r, "reference")));
		} else {
			cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(r, "reference")));
			cr_expect_not_null(cJSON_GetObjectItem(m, "truth_ratio/forget"));
		}
	}
	cr_expect(hostile);
	cJSON_Delete(doc);
	free(text);
}

/* Whether s is well-formed UTF-8. */
static bool utf8_ok(const unsigned char *s)
{
	while (*s) {
		size_t n = *s < 0x80 ? 1 : *s >= 0xC2 && *s <= 0xDF ? 2 : *s >= 0xE0 && *s <= 0xEF ? 3
			 : *s >= 0xF0 && *s <= 0xF4 ? 4 : 0;
		uint32_t c = n == 1 ? *s : *s & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);

		if (!n)
			return false;
		for (size_t i = 1; i < n; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return false;
			c = c << 6 | (s[i] & 0x3F);
		}
		if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
		    (c >= 0xD800 && c <= 0xDFFF))
			return false;
		s += n;
	}
	return true;
}

/* Names from paths and imported logs need not be UTF-8; the JSON report must be. */
Test(report, json_is_utf8_whatever_the_names)
{
	struct uh_store *st;
	struct uh_store_run *run;
	struct uh_err err;
	struct uh_store_run_info info = { .suite = "tofu", .split = "forget10\xED\xA0\x80",
					  .model = "caf\xE9 \xC3\xA9", .source = "run" };
	struct uh_store_metric m = { "m\xFF", 0.5, 0, 0, 0, -1 };
	char *text;
	cJSON *doc, *r;

	cr_assert_eq(uh_store_open(&st, fx_db, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_add_metric(run, &m, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_commit(run, &err), 0, "%s", err.msg);
	uh_store_close(st);
	text = report("json", "r.json");
	cr_expect(utf8_ok((const unsigned char *)text), "the JSON report is not UTF-8: %s", text);
	doc = cJSON_Parse(text);
	cr_assert_not_null(doc, "%s", text);
	r = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "groups"), 0),
						   "runs"), 0);
	cr_assert_not_null(r, "%s", text);
	/* each ill-formed byte is one U+FFFD; the well-formed é stays */
	cr_expect_str_eq(cJSON_GetObjectItem(r, "model")->valuestring, "caf\xEF\xBF\xBD \xC3\xA9");
	cr_expect_str_eq(cJSON_GetObjectItem(r, "split")->valuestring,
			 "forget10\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	cr_expect_not_null(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "metrics"), "m\xEF\xBF\xBD"), "%s", text);
	cJSON_Delete(doc);
	free(text);
}

Test(report, leaderboard_order_and_filters)
{
	const char *a1[] = { "--format", "json", "--split", "forget05", NULL };
	char *out;

	fx_hostile_run(2);
	/* the board orders TOFU by Forget Quality */
	{
		struct uh_store *st;
		struct uh_board b;
		struct uh_err err;

		fx_hostile_run(1);
		cr_assert_eq(uh_store_open(&st, fx_db, &err), 0);
		cr_assert_eq(uh_board_load(&b, st, NULL, &err), 0, "%s", err.msg);
		cr_expect_eq(b.n_runs, 2);
		cr_expect_eq(b.n_groups, 1);
		cr_expect_eq(b.groups[0].n_cols, 3);
		cr_expect_str_eq(b.groups[0].cols[0], "forget_quality");
		cr_expect_str_eq(b.groups[0].cols[1], "model_utility");
		uh_board_release(&b);
		uh_store_close(st);
	}
	cr_assert_eq(fx_run(uh_cmd_report, "report", a1), 0);
	out = fx_stdout();
	cr_expect_str_eq(out, "{\"runs\":0,\"groups\":[]}\n");
	free(out);
}

Test(report, html_rows_cap_keeps_references, .timeout = 120)
{
	const char *args[] = { "--rows", "1", "-o", fx_path("cap.html"), NULL };
	char *html;

	fx_import("tofu-llama2-7b_full_wd0.01", "tofu-llama2-7b_retain90_wd0.01");
	fx_hostile_run(1);
	fx_hostile_run(1);
	cr_assert_eq(fx_run(uh_cmd_report, "report", args), 0, "%s", fx_stderr());
	html = uh_test_slurp(fx_path("cap.html"), NULL);
	/* one run row, the reference row, a note on the other; the plot has all three */
	cr_expect_eq(fx_count(html, "<tr class=\"ref\">"), 1);
	cr_expect_eq(fx_count(html, "<tr><td class=\"n\" data-v="), 1);
	cr_expect_not_null(strstr(html, "1 more are in the plot only"), "%s", html);
	cr_expect_eq(fx_count(html, "<circle class=\"pt\""), 2);
	cr_expect_eq(fx_count(html, "class=\"pt ref-full\""), 1);
	free(html);
}

Test(report, many_metrics_tables_capped_csv_complete)
{
	struct uh_store *st;
	struct uh_store_run *run;
	struct uh_err err;
	struct uh_store_run_info info = { .suite = "muse", .split = "news", .source = "run" };
	char *text;

	cr_assert_eq(uh_store_open(&st, fx_db, &err), 0);
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0);
	for (int i = 0; i < UH_BOARD_MAX_COLS + 12; i++) {
		char name[32];
		struct uh_store_metric m = { name, i, 0, 0, 0, -1 };

		snprintf(name, sizeof(name), "m%03d", i);
		cr_assert_eq(uh_store_run_add_metric(run, &m, &err), 0);
	}
	cr_assert_eq(uh_store_run_commit(run, &err), 0);
	uh_store_close(st);
	text = report("csv", "many.csv");
	cr_expect_not_null(strstr(text, ",m059\r\n"), "%.300s", text);
	free(text);
	text = report("html", "many.html");
	cr_expect_not_null(strstr(text, "<th>m047</th>"));
	cr_expect_null(strstr(text, "<th>m048</th>"));
	cr_expect_not_null(strstr(text, "the rest are in the CSV and JSON reports"));
	cr_expect_null(strstr(text, "<svg"), "no plot for a suite without Forget Quality");
	free(text);
}

/* A metric name longer than any fixed buffer keeps its interval columns apart. */
Test(report, csv_long_metric_name_with_interval)
{
	struct uh_store *st;
	struct uh_store_run *run;
	struct uh_err err;
	struct uh_store_run_info info = { .suite = "muse", .split = "news", .source = "run" };
	char name[401], want[1300];
	char *text;
	struct csv c;

	memset(name, 'm', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	cr_assert_eq(uh_store_open(&st, fx_db, &err), 0);
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0);
	{
		struct uh_store_metric m = { name, 0.5, 1, 0.25, 0.75, 3 };

		cr_assert_eq(uh_store_run_add_metric(run, &m, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(uh_store_run_commit(run, &err), 0);
	uh_store_close(st);
	text = report("csv", "long.csv");
	snprintf(want, sizeof(want), ",%s,%s.ci_lo,%s.ci_hi\r\n", name, name, name);
	cr_expect_not_null(strstr(text, want), "%.200s", text);
	csv_parse(text, &c);
	cr_expect_eq(c.rows, 2);
	cr_expect_not(c.ragged);
	csv_free(&c);
	free(text);
}

Test(report, atomic_output_and_errors)
{
	const char *ok[] = { "-o", fx_path("out.html"), NULL };
	const char *bad_fmt[] = { "--format", "pdf", NULL };
	const char *bad_dir[] = { "-o", "/nonexistent/dir/r.html", NULL };
	DIR *d;
	struct dirent *e;
	int files = 0;
	char *text;

	fx_hostile_run(3);
	cr_expect_eq(fx_run(uh_cmd_report, "report", ok), 0);
	d = opendir(fx_dir);
	cr_assert_not_null(d);
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".tmp"))
			files++;
	closedir(d);
	cr_expect_eq(files, 0, "temporary file left behind");
	text = uh_test_slurp(fx_path("out.html"), NULL);
	cr_expect(strstr(text, "</html>") != NULL);
	free(text);
	cr_expect_eq(fx_run(uh_cmd_report, "report", bad_fmt), 2);
	cr_expect_eq(fx_run(uh_cmd_report, "report", bad_dir), 3);
}

Test(report, list_runs)
{
	const char *all[] = { "runs", NULL };
	const char *tag[] = { "runs", "--tag", "nope", NULL };
	const char *lim[] = { "runs", "--limit", "1", NULL };
	char *out;

	fx_hostile_run(1);
	fx_hostile_run(1);
	cr_assert_eq(fx_run(uh_cmd_list, "list", all), 0);
	out = fx_stdout();
	cr_expect_eq(fx_count(out, "FQ=0.25 MU=0.55 ou/privleak=-3.5"), 2, "%s", out);
	cr_expect_not_null(strstr(out, "forget10"));
	free(out);
	cr_assert_eq(fx_run(uh_cmd_list, "list", tag), 0);
	out = fx_stdout();
	cr_expect_not_null(strstr(out, "(no runs)"));
	free(out);
	cr_assert_eq(fx_run(uh_cmd_list, "list", lim), 0);
	out = fx_stdout();
	cr_expect_eq(fx_count(out, "complete"), 1);
	free(out);
	cr_expect_eq(fx_run(uh_cmd_list, "list", (const char *[]){ "jobs", NULL }), 2);
}

/* Names from imported logs reach a terminal: no escape sequence gets through. */
Test(report, list_runs_control_bytes)
{
	struct uh_store *st;
	struct uh_store_run *run;
	struct uh_err err;
	struct uh_store_run_info info = { .suite = "tofu", .split = "forget10", .profile = "tofu",
					  .model = "evil\x1b]0;title\x07\x1b[2J", .backend = "null",
					  .tag = "t\x1b[31m", .source = "run" };
	struct uh_store_metric m = { "x\x1b[1mname", 1, 0, 0, 0, -1 };
	char *out;

	cr_assert_eq(uh_store_open(&st, fx_db, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_add_metric(run, &m, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_commit(run, &err), 0, "%s", err.msg);
	uh_store_close(st);
	cr_assert_eq(fx_run(uh_cmd_list, "list", (const char *[]){ "runs", NULL }), 0);
	out = fx_stdout();
	cr_expect_null(strchr(out, '\x1b'), "an escape byte reached the terminal");
	cr_expect_null(strchr(out, '\x07'));
	cr_expect_not_null(strstr(out, "evil?]0;title??[2J"), "%s", out);
	cr_expect_not_null(strstr(out, "t?[31m"), "%s", out);
	cr_expect_not_null(strstr(out, "x?[1mname=1\n"), "%s", out);
	free(out);
}

/* Each line of a plan that names a big table must search it by key. */
static void expect_indexed(const char *plan)
{
	char *copy = strdup(plan), *save = NULL;

	cr_assert_not_null(copy);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		bool big = strstr(l, " items") || strstr(l, " metrics") || strstr(l, " m ") ||
			   (strlen(l) > 2 && !strcmp(l + strlen(l) - 2, " m"));

		if (!big || l[0] == '-')
			continue;
		cr_expect(!strncmp(l, "SEARCH", 6), "scan of a big table: %s\n%s", l, plan);
		cr_expect(strstr(l, "USING PRIMARY KEY") || strstr(l, "USING INDEX") ||
			  strstr(l, "USING COVERING INDEX"), "no index: %s", l);
	}
	free(copy);
}

Test(report, query_plans_use_indexes)
{
	struct uh_store *st;
	struct uh_err err;
	struct uh_store_run_query q[] = {
		{ 0 },
		{ .suite = "tofu", .split = "forget10" },
		{ .model = "m" },
		{ .tag = "t", .limit = 1 },
	};
	char *plan;

	fx_hostile_run(2);
	cr_assert_eq(uh_store_open(&st, fx_db, &err), 0);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		cr_assert_eq(uh_store_report_plan(st, &q[i], &plan, &err), 0, "%s", err.msg);
		expect_indexed(plan);
		cr_expect_not_null(strstr(plan, "SEARCH items USING PRIMARY KEY (run_id=?)"), "%s", plan);
		cr_expect_not_null(strstr(plan, "SEARCH m USING PRIMARY KEY (run_id=?)"), "%s", plan);
		if (q[i].suite)
			cr_expect_not_null(strstr(plan, "USING INDEX runs_by_suite (suite=? AND split=?)"),
					   "%s", plan);
		if (q[i].model)
			cr_expect_not_null(strstr(plan, "USING INDEX runs_by_model (model=?)"), "%s", plan);
		free(plan);
	}
	uh_store_close(st);
}
