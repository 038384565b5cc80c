/* harness/jsonl.c: line handling, byte checks, JSON errors and the getters. */
#include "harness/jsonl.h"
#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A reader over an in-memory copy of text[0..len). */
struct mem {
	FILE *f;
	struct uh_jsonl r;
	struct uh_err err;
};

static void mem_open(struct mem *m, const char *text, size_t len, size_t max_line)
{
	m->f = fmemopen((void *)text, len, "rb");
	cr_assert_not_null(m->f);
	uh_err_clear(&m->err);
	cr_assert_eq(uh_jsonl_init(&m->r, m->f, "t.jsonl", max_line, &m->err), 0);
}

static void mem_close(struct mem *m)
{
	uh_jsonl_release(&m->r);
	fclose(m->f);
}

/* Parse one line and expect UH_EINVAL with every word of want in the message. */
static void expect_bad(const char *text, const char *const *want)
{
	struct mem m;
	const cJSON *o;

	mem_open(&m, text, strlen(text), 0);
	cr_assert_eq(uh_jsonl_next(&m.r, &o, &m.err), UH_EINVAL, "accepted: %s", text);
	cr_assert_null(o);
	for (; *want; want++)
		cr_expect_not_null(strstr(m.err.msg, *want), "message '%s' lacks '%s'", m.err.msg,
				   *want);
	mem_close(&m);
}

#define BAD(text, ...) expect_bad(text, (const char *const[]){ __VA_ARGS__, NULL })

Test(jsonl, lines_blank_crlf_and_numbering)
{
	static const char text[] = "{\"a\":1}\n\n   \r\n{\"a\":2}\r\n\t\n{\"a\":3}";
	struct mem m;
	const cJSON *o;
	double want[] = { 1, 2, 3 };
	size_t lines[] = { 1, 4, 6 };

	mem_open(&m, text, sizeof(text) - 1, 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(uh_jsonl_next(&m.r, &o, &m.err), 0, "%s", m.err.msg);
		cr_assert_not_null(o);
		cr_expect_eq(cJSON_GetObjectItem(o, "a")->valuedouble, want[i]);
		cr_expect_eq(m.r.lineno, lines[i]);
	}
	cr_assert_eq(uh_jsonl_next(&m.r, &o, &m.err), 0);
	cr_assert_null(o);
	cr_assert_eq(uh_jsonl_next(&m.r, &o, &m.err), 0);
	cr_assert_null(o);
	mem_close(&m);
}

Test(jsonl, empty_input_is_zero_lines)
{
	struct mem m;
	const cJSON *o;
	static const char nl[] = "\n\n";

	mem_open(&m, nl, 2, 0);
	cr_assert_eq(uh_jsonl_next(&m.r, &o, &m.err), 0);
	cr_assert_null(o);
	mem_close(&m);
}

Test(jsonl, raw_lines)
{
	static const char text[] = "running\r\n\nflies\n";
	struct mem m;
	const char *line;
	size_t len;

	mem_open(&m, text, sizeof(text) - 1, 0);
	cr_assert_eq(uh_jsonl_next_line(&m.r, &line, &len, &m.err), 0);
	cr_assert_str_eq(line, "running");
	cr_assert_eq(len, 7);
	cr_assert_eq(uh_jsonl_next_line(&m.r, &line, &len, &m.err), 0);
	cr_assert_str_eq(line, "flies");
	cr_assert_eq(m.r.lineno, 3);
	cr_assert_eq(uh_jsonl_next_line(&m.r, &line, &len, &m.err), 0);
	cr_assert_null(line);
	mem_close(&m);
}

Test(jsonl, syntax_errors)
{
	BAD("{\"a\": }", "input 't.jsonl' line 1", "invalid JSON at column 7");
	BAD("{\"a\": 1} x", "invalid JSON");
	BAD("{\"a\": 1}{}", "invalid JSON");
	BAD("[1, 2]", "line must be a JSON object, got list");
	BAD("\"s\"", "got string");
	BAD("{\"a\": NaN}", "invalid JSON at column 7", "NaN and Infinity are not JSON numbers");
	BAD("{\"a\": -Infinity}", "NaN and Infinity");
	BAD("{\"a\": \"x\\u0000y\"}", "\\u0000 escape at column 9");
	BAD("{\"a\": \"\\ud800\"}", "invalid JSON");
}

Test(jsonl, escaped_backslash_before_u0000_is_fine)
{
	static const char text[] = "{\"a\": \"\\\\u0000\"}";
	struct mem m;
	const cJSON *o;

	mem_open(&m, text, sizeof(text) - 1, 0);
	cr_assert_eq(uh_jsonl_next(&m.r, &o, &m.err), 0, "%s", m.err.msg);
	cr_assert_str_eq(cJSON_GetObjectItem(o, "a")->valuestring, "\\u0000");
	mem_close(&m);
}

Test(jsonl, bytes)
{
	static const char nul[] = "{\"a\": \"x\0\"}";
	struct mem m;
	const cJSON *o;

	mem_open(&m, nul, sizeof(nul) - 1, 0);
	cr_assert_eq(uh_jsonl_next(&m.r, &o, &m.err), UH_EINVAL);
	cr_expect_str_eq(m.err.msg, "input 't.jsonl' line 1: NUL byte at column 9");
	mem_close(&m);

	BAD("{\"a\": \"\xff\"}", "invalid UTF-8 at column 8 (byte 0xff)");
	BAD("{\"a\": \"\xc0\xaf\"}", "invalid UTF-8 at column 8");          /* overlong '/' */
	BAD("{\"a\": \"\xed\xa0\x80\"}", "invalid UTF-8");                /* surrogate */
	BAD("{\"a\": \"\xf4\x90\x80\x80\"}", "invalid UTF-8");            /* > U+10FFFF */
	BAD("{\"a\": \"\xe2\x82\"}", "invalid UTF-8");                    /* truncated */
}

Test(jsonl, valid_utf8_passes)
{
	static const char text[] = "{\"a\": \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}\n";
	struct mem m;
	const cJSON *o;
	const char *s;

	mem_open(&m, text, sizeof(text) - 1, 0);
	cr_assert_eq(uh_jsonl_next(&m.r, &o, &m.err), 0, "%s", m.err.msg);
	cr_assert_eq(uh_jsonl_get_string(&m.r, "a", &s, &m.err), 0);
	cr_assert_str_eq(s, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	mem_close(&m);
}

Test(jsonl, long_line_is_refused_and_skipped)
{
	static const char text[] = "{\"a\":\"0123456789\"}\n{\"b\":1}\n";
	struct mem m;
	const cJSON *o;

	mem_open(&m, text, sizeof(text) - 1, 10);
	cr_assert_eq(uh_jsonl_next(&m.r, &o, &m.err), UH_EINVAL);
	cr_expect_str_eq(m.err.msg, "input 't.jsonl' line 1: line is longer than the limit of 10 bytes");
	cr_assert_eq(uh_jsonl_next(&m.r, &o, &m.err), 0, "%s", m.err.msg);
	cr_assert_not_null(cJSON_GetObjectItem(o, "b"));
	cr_expect_eq(m.r.lineno, 2);
	mem_close(&m);
}

Test(jsonl, default_cap_message_in_mib)
{
	struct uh_jsonl r;
	struct uh_err err;

	cr_assert_eq(uh_jsonl_init(&r, stdin, NULL, 0, &err), 0);
	cr_assert_eq(r.max_line, UH_JSONL_MAX_LINE);
	cr_assert_eq(uh_jsonl_parse(&r, "x", UH_JSONL_MAX_LINE + 1, &err), UH_EINVAL);
	cr_expect_str_eq(err.msg, "input '<stdin>' line 1: line is longer than the limit of 64 MiB");
	uh_jsonl_release(&r);
}

Test(jsonl, open_errors)
{
	struct uh_jsonl r;
	struct uh_err err;

	cr_assert_eq(uh_jsonl_open(&r, "/nonexistent/x.jsonl", &err), UH_ENOTFOUND);
	cr_expect_not_null(strstr(err.msg, "input '/nonexistent/x.jsonl': cannot open"));
	cr_assert_eq(uh_jsonl_open(&r, "-", &err), 0);
	cr_expect_str_eq(r.name, "<stdin>");
	uh_jsonl_release(&r);
}

/* ---------------------------------------------------------------- getters */

static void parse1(struct mem *m, const char *text)
{
	const cJSON *o;

	mem_open(m, text, strlen(text), 0);
	cr_assert_eq(uh_jsonl_next(&m->r, &o, &m->err), 0, "%s", m->err.msg);
}

Test(jsonl, get_numbers)
{
	struct mem m;
	double *a;
	size_t n;

	parse1(&m, "{\"x\": [1, -2.5, 1e-300, 0.1], \"s\": \"v\", \"e\": [], \"m\": [1, \"2\"],"
		   " \"h\": [1, 1e999], \"o\": {}}");
	cr_assert_eq(uh_jsonl_get_numbers(&m.r, "x", &a, &n, &m.err), 0);
	cr_assert_eq(n, 4);
	cr_expect_eq(a[1], -2.5);
	cr_expect_eq(a[2], 1e-300);
	cr_expect_eq(a[3], 0.1);
	free(a);

	cr_assert_eq(uh_jsonl_get_numbers(&m.r, "s", &a, &n, &m.err), UH_EINVAL);
	cr_expect_str_eq(m.err.msg, "input 't.jsonl' line 1: field 's' must be a non-empty list of "
				    "finite numbers, got string");
	cr_assert_null(a);
	cr_assert_eq(uh_jsonl_get_numbers(&m.r, "e", &a, &n, &m.err), UH_EINVAL);
	cr_expect(strstr(m.err.msg, "got an empty list") != NULL, "%s", m.err.msg);
	cr_assert_eq(uh_jsonl_get_numbers(&m.r, "m", &a, &n, &m.err), UH_EINVAL);
	cr_expect(strstr(m.err.msg, "got string at index 1") != NULL, "%s", m.err.msg);
	cr_assert_eq(uh_jsonl_get_numbers(&m.r, "h", &a, &n, &m.err), UH_EINVAL);
	cr_expect(strstr(m.err.msg, "field 'h'") && strstr(m.err.msg, "index 1 that overflows"),
		  "%s", m.err.msg);
	cr_assert_eq(uh_jsonl_get_numbers(&m.r, "o", &a, &n, &m.err), UH_EINVAL);
	cr_expect(strstr(m.err.msg, "got object") != NULL, "%s", m.err.msg);
	cr_assert_eq(uh_jsonl_get_numbers(&m.r, "zz", &a, &n, &m.err), UH_EINVAL);
	cr_expect_str_eq(m.err.msg, "input 't.jsonl' line 1: field 'zz' is missing (expected a "
				    "non-empty list of finite numbers)");
	mem_close(&m);
}

Test(jsonl, get_strings_and_bool)
{
	struct mem m;
	const char **a;
	const char *s;
	size_t n;
	bool b;

	parse1(&m, "{\"one\": \"a\", \"two\": [\"b\", \"\"], \"mix\": [\"b\", 3], \"none\": [],"
		   " \"t\": true, \"f\": false, \"n\": null, \"i\": 1}");
	cr_assert_eq(uh_jsonl_get_strings(&m.r, "one", &a, &n, &m.err), 0);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(a[0], "a");
	free(a);
	cr_assert_eq(uh_jsonl_get_strings(&m.r, "two", &a, &n, &m.err), 0);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(a[1], "");
	free(a);
	cr_assert_eq(uh_jsonl_get_strings(&m.r, "mix", &a, &n, &m.err), UH_EINVAL);
	cr_expect(strstr(m.err.msg, "got number at index 1") != NULL, "%s", m.err.msg);
	cr_assert_eq(uh_jsonl_get_strings(&m.r, "none", &a, &n, &m.err), UH_EINVAL);
	cr_assert_eq(uh_jsonl_get_strings(&m.r, "t", &a, &n, &m.err), UH_EINVAL);
	cr_expect(strstr(m.err.msg, "got boolean") != NULL, "%s", m.err.msg);

	cr_assert_eq(uh_jsonl_get_string(&m.r, "one", &s, &m.err), 0);
	cr_expect_str_eq(s, "a");
	cr_assert_eq(uh_jsonl_get_string(&m.r, "n", &s, &m.err), UH_EINVAL);
	cr_expect_str_eq(m.err.msg, "input 't.jsonl' line 1: field 'n' must be a string, got null");
	cr_assert_eq(uh_jsonl_get_string(&m.r, "Missing", &s, &m.err), UH_EINVAL);
	cr_expect(strstr(m.err.msg, "field 'Missing' is missing (expected a string)") != NULL);

	cr_assert_eq(uh_jsonl_get_bool(&m.r, "t", false, &b, &m.err), 0);
	cr_expect(b);
	cr_assert_eq(uh_jsonl_get_bool(&m.r, "f", true, &b, &m.err), 0);
	cr_expect(!b);
	cr_assert_eq(uh_jsonl_get_bool(&m.r, "absent", true, &b, &m.err), 0);
	cr_expect(b);
	cr_assert_eq(uh_jsonl_get_bool(&m.r, "i", true, &b, &m.err), UH_EINVAL);
	cr_expect(strstr(m.err.msg, "field 'i' must be true or false, got number") != NULL);
	mem_close(&m);
}
