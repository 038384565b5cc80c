/*
 * jsonl.c - bounded JSON Lines reader (see jsonl.h).
 *
 * Every line is untrusted: its length is capped while it is read, its bytes
 * are checked (no NUL, valid UTF-8) before cJSON sees them, and numbers are
 * checked for finiteness by the getters, since cJSON turns 1e999 into inf.
 */
#include "harness/jsonl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STDIN_NAME "<stdin>"

/* ---------------------------------------------------------------- lifecycle */

int uh_jsonl_init(struct uh_jsonl *r, FILE *f, const char *name, size_t max_line,
		  struct uh_err *err)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->max_line = max_line ? max_line : UH_JSONL_MAX_LINE;
	r->name = strdup(name ? name : STDIN_NAME);
	if (!r->name)
		return uh_err_set(err, UH_ENOMEM, "out of memory opening the input");
	return 0;
}

int uh_jsonl_open(struct uh_jsonl *r, const char *path, struct uh_err *err)
{
	FILE *f;
	int rc;

	if (!strcmp(path, "-"))
		return uh_jsonl_init(r, stdin, NULL, 0, err);
	f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		return uh_err_set(err, e == ENOENT ? UH_ENOTFOUND : UH_EIO,
				  "input '%s': cannot open: %s", path, strerror(e));
	}
	rc = uh_jsonl_init(r, f, path, 0, err);
	if (rc) {
		fclose(f);
		return rc;
	}
	r->own_f = true;
	return 0;
}

void uh_jsonl_release(struct uh_jsonl *r)
{
	if (!r)
		return;
	cJSON_Delete(r->obj);
	free(r->line);
	free(r->name);
	if (r->own_f && r->f)
		fclose(r->f);
	memset(r, 0, sizeof(*r));
}

int uh_jsonl_fail(const struct uh_jsonl *r, struct uh_err *err, const char *fmt, ...)
{
	char msg[UH_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return uh_err_set(err, UH_EINVAL, "input '%s' line %zu: %s", r->name, r->lineno, msg);
}

/* ---------------------------------------------------------------- reading */

/* Make room for at least need bytes (NUL included) in r->line. */
static int reserve(struct uh_jsonl *r, size_t need, struct uh_err *err)
{
	size_t cap = r->cap ? r->cap : 256;
	char *p;

	if (need <= r->cap)
		return 0;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/* Doubling must not overshoot the cap on a line by almost as much again. */
	if (need <= r->max_line + 1 && cap > r->max_line + 1)
		cap = r->max_line + 1;
	p = realloc(r->line, cap);
	if (!p)
		return uh_err_set(err, UH_ENOMEM, "input '%s' line %zu: out of memory (%zu bytes)",
				  r->name, r->lineno, cap);
	r->line = p;
	r->cap = cap;
	return 0;
}

static void limit_text(size_t n, char *buf, size_t size)
{
	if (n >= ((size_t)1 << 20) && n % ((size_t)1 << 20) == 0)
		snprintf(buf, size, "%zu MiB", n >> 20);
	else
		snprintf(buf, size, "%zu bytes", n);
}

/*
 * Read one physical line into r->line (newline dropped). *got is false at
 * the end of input. getc rather than fread so that a line on a pipe is
 * handled as soon as its newline arrives.
 */
static int read_line(struct uh_jsonl *r, bool *got, struct uh_err *err)
{
	int c = 0;
	int rc = 0;
	bool any = false;

	*got = false;
	r->len = 0;
	flockfile(r->f);
	if (r->skip_rest) {
		while ((c = getc_unlocked(r->f)) != EOF && c != '\n')
			;
		r->skip_rest = false;
		if (c == EOF)
			goto eof;
	}
	while ((c = getc_unlocked(r->f)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (r->len == r->max_line) {
			char lim[48];

			r->lineno++;
			r->skip_rest = true;
			limit_text(r->max_line, lim, sizeof(lim));
			rc = uh_jsonl_fail(r, err, "line is longer than the limit of %s", lim);
			goto out;
		}
		if (r->len + 2 > r->cap) {
			rc = reserve(r, r->len + 2, err);
			if (rc)
				goto out;
		}
		r->line[r->len++] = (char)c;
	}
eof:
	if (c == EOF && ferror(r->f)) {
		rc = uh_err_set(err, UH_EIO, "input '%s': read error after line %zu", r->name,
				r->lineno);
		goto out;
	}
	if (any) {
		r->lineno++;
		*got = true;
	}
out:
	funlockfile(r->f);
	return rc;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/*
 * Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or n.
 */
static size_t utf8_bad(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		unsigned char lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3;
		else
			return i;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (n - i <= k)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t j = 2; j <= k; j++)
			if (s[i + j] < 0x80 || s[i + j] > 0xbf)
				return i;
		i += k + 1;
	}
	return n;
}

/*
 * Offset of a \u0000 escape, or n. cJSON would decode it into a NUL inside
 * the string, silently cutting the string short for every C consumer.
 * Backslash pairs are skipped so that "\\u0000" (an escaped backslash) is
 * not taken for one; outside strings a backslash is a syntax error anyway.
 */
static size_t nul_escape(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && n - i >= 6 && !memcmp(s + i + 2, "0000", 4))
			return i;
		i++;
	}
	return n;
}

/* Checks shared by the raw and the JSON paths. */
static int check_bytes(struct uh_jsonl *r, struct uh_err *err)
{
	const char *z = memchr(r->line, '\0', r->len);
	size_t bad;

	if (z)
		return uh_jsonl_fail(r, err, "NUL byte at column %zu", (size_t)(z - r->line) + 1);
	bad = utf8_bad((const unsigned char *)r->line, r->len);
	if (bad < r->len)
		return uh_jsonl_fail(r, err, "invalid UTF-8 at column %zu (byte 0x%02x)", bad + 1,
				     (unsigned)(unsigned char)r->line[bad]);
	return 0;
}

int uh_jsonl_next_line(struct uh_jsonl *r, const char **line, size_t *len,
		       struct uh_err *err)
{
	bool got;
	int rc;

	*line = NULL;
	*len = 0;
	cJSON_Delete(r->obj);
	r->obj = NULL;
	for (;;) {
		rc = read_line(r, &got, err);
		if (rc)
			return rc;
		if (!got)
			return 0;
		if (r->len && r->line[r->len - 1] == '\r')
			r->len--;
		if (!blank(r->line, r->len))
			break;
	}
	r->line[r->len] = '\0';
	rc = check_bytes(r, err);
	if (rc)
		return rc;
	*line = r->line;
	*len = r->len;
	return 0;
}

/* Parse r->line[0..len) (NUL-terminated, bytes checked) into r->obj. */
static int parse_current(struct uh_jsonl *r, struct uh_err *err)
{
	const char *end = NULL;
	size_t esc = nul_escape(r->line, r->len);
	cJSON *obj;

	if (esc < r->len)
		return uh_jsonl_fail(r, err, "the \\u0000 escape at column %zu is not supported",
				     esc + 1);
	/* Length includes the NUL: cJSON then insists nothing follows the value. */
	obj = cJSON_ParseWithLengthOpts(r->line, r->len + 1, &end, 1);
	if (!obj) {
		size_t col = end && end >= r->line && end <= r->line + r->len
				     ? (size_t)(end - r->line) + 1 : 1;
		const char *at = r->line + col - 1;
		bool nonfinite = !strncmp(at, "NaN", 3) || !strncmp(at, "Infinity", 8) ||
				 !strncmp(at, "-Infinity", 9);

		return uh_jsonl_fail(r, err, "invalid JSON at column %zu%s", col,
				     nonfinite ? " (NaN and Infinity are not JSON numbers)" : "");
	}
	if (!cJSON_IsObject(obj)) {
		const char *t = uh_jsonl_type_name(obj);

		cJSON_Delete(obj);
		return uh_jsonl_fail(r, err, "line must be a JSON object, got %s", t);
	}
	r->obj = obj;
	return 0;
}

int uh_jsonl_next(struct uh_jsonl *r, const cJSON **obj, struct uh_err *err)
{
	const char *line;
	size_t len;
	int rc;

	*obj = NULL;
	rc = uh_jsonl_next_line(r, &line, &len, err);
	if (rc || !line)
		return rc;
	rc = parse_current(r, err);
	if (rc)
		return rc;
	*obj = r->obj;
	return 0;
}

int uh_jsonl_parse(struct uh_jsonl *r, const char *buf, size_t len, struct uh_err *err)
{
	int rc;

	cJSON_Delete(r->obj);
	r->obj = NULL;
	r->lineno++;
	if (len > r->max_line) {
		char lim[48];

		limit_text(r->max_line, lim, sizeof(lim));
		return uh_jsonl_fail(r, err, "line is longer than the limit of %s", lim);
	}
	rc = reserve(r, len + 1, err);
	if (rc)
		return rc;
	memcpy(r->line, buf, len);
	r->len = len;
	r->line[len] = '\0';
	rc = check_bytes(r, err);
	if (rc)
		return rc;
	return parse_current(r, err);
}

/* ---------------------------------------------------------------- getters */

const char *uh_jsonl_type_name(const cJSON *item)
{
	if (cJSON_IsString(item))
		return "string";
	if (cJSON_IsNumber(item))
		return "number";
	if (cJSON_IsArray(item))
		return "list";
	if (cJSON_IsObject(item))
		return "object";
	if (cJSON_IsBool(item))
		return "boolean";
	if (cJSON_IsNull(item))
		return "null";
	return "nothing";
}

const cJSON *uh_jsonl_field(const struct uh_jsonl *r, const char *field)
{
	if (!r->obj)
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(r->obj, field);
}

static int missing(const struct uh_jsonl *r, const char *field, const char *want,
		   struct uh_err *err)
{
	return uh_jsonl_fail(r, err, "field '%s' is missing (expected %s)", field, want);
}

int uh_jsonl_get_string(const struct uh_jsonl *r, const char *field, const char **out,
			struct uh_err *err)
{
	const cJSON *v = uh_jsonl_field(r, field);

	*out = NULL;
	if (!v)
		return missing(r, field, "a string", err);
	if (!cJSON_IsString(v) || !v->valuestring)
		return uh_jsonl_fail(r, err, "field '%s' must be a string, got %s", field,
				     uh_jsonl_type_name(v));
	*out = v->valuestring;
	return 0;
}

int uh_jsonl_get_strings(const struct uh_jsonl *r, const char *field, const char ***out,
			 size_t *n, struct uh_err *err)
{
	static const char want[] = "a string or a non-empty list of strings";
	const cJSON *v = uh_jsonl_field(r, field);
	const cJSON *e;
	const char **a;
	size_t cnt = 0, i = 0;

	*out = NULL;
	*n = 0;
	if (!v)
		return missing(r, field, want, err);
	if (cJSON_IsString(v) && v->valuestring) {
		a = malloc(sizeof(*a));
		if (!a)
			return uh_err_set(err, UH_ENOMEM, "out of memory");
		a[0] = v->valuestring;
		*out = a;
		*n = 1;
		return 0;
	}
	if (!cJSON_IsArray(v))
		return uh_jsonl_fail(r, err, "field '%s' must be %s, got %s", field, want,
				     uh_jsonl_type_name(v));
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e) || !e->valuestring)
			return uh_jsonl_fail(r, err, "field '%s' must be %s, got %s at index %zu",
					     field, want, uh_jsonl_type_name(e), cnt);
		cnt++;
	}
	if (!cnt)
		return uh_jsonl_fail(r, err, "field '%s' must be %s, got an empty list", field, want);
	a = malloc(cnt * sizeof(*a));
	if (!a)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	cJSON_ArrayForEach(e, v)
		a[i++] = e->valuestring;
	*out = a;
	*n = cnt;
	return 0;
}

int uh_jsonl_get_bool(const struct uh_jsonl *r, const char *field, bool dflt, bool *out,
		      struct uh_err *err)
{
	const cJSON *v = uh_jsonl_field(r, field);

	*out = dflt;
	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return uh_jsonl_fail(r, err, "field '%s' must be true or false, got %s", field,
				     uh_jsonl_type_name(v));
	*out = cJSON_IsTrue(v);
	return 0;
}

int uh_jsonl_get_numbers(const struct uh_jsonl *r, const char *field, double **out,
			 size_t *n, struct uh_err *err)
{
	static const char want[] = "a non-empty list of finite numbers";
	const cJSON *v = uh_jsonl_field(r, field);
	const cJSON *e;
	double *a;
	size_t cnt = 0, i = 0;

	*out = NULL;
	*n = 0;
	if (!v)
		return missing(r, field, want, err);
	if (!cJSON_IsArray(v))
		return uh_jsonl_fail(r, err, "field '%s' must be %s, got %s", field, want,
				     uh_jsonl_type_name(v));
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsNumber(e))
			return uh_jsonl_fail(r, err, "field '%s' must be %s, got %s at index %zu",
					     field, want, uh_jsonl_type_name(e), cnt);
		if (!isfinite(e->valuedouble))
			return uh_jsonl_fail(r, err,
					     "field '%s' must be %s, got a number at index %zu "
					     "that overflows a double", field, want, cnt);
		cnt++;
	}
	if (!cnt)
		return uh_jsonl_fail(r, err, "field '%s' must be %s, got an empty list", field, want);
	a = malloc(cnt * sizeof(*a));
	if (!a)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	cJSON_ArrayForEach(e, v)
		a[i++] = e->valuedouble;
	*out = a;
	*n = cnt;
	return 0;
}
