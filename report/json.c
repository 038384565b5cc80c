#include "report/json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The length of the well-formed UTF-8 sequence at p (*p >= 0x80), or 0. */
static size_t utf8_len(const unsigned char *p)
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
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	return len;
}

/*
 * s as UTF-8, which JSON requires and cJSON does not check: s itself, or a
 * copy in *owned (the caller frees it) with each ill-formed byte as U+FFFD.
 * Names and texts in the store come from imported logs and paths, which
 * need not be UTF-8. NULL when out of memory.
 */
static const char *utf8_clean(const char *s, char **owned)
{
	const unsigned char *p;
	size_t bad = 0, n;
	char *out, *q;

	*owned = NULL;
	for (p = (const unsigned char *)s; *p; p += n)
		if ((n = *p < 0x80 ? 1 : utf8_len(p)) == 0)
			bad++, n = 1;
	if (!bad)
		return s;
	out = malloc((size_t)(p - (const unsigned char *)s) + 2 * bad + 1);
	if (!out)
		return NULL;
	for (p = (const unsigned char *)s, q = out; *p; p += n) {
		n = *p < 0x80 ? 1 : utf8_len(p);
		if (!n) {
			memcpy(q, "\xEF\xBF\xBD", 3);
			q += 3;
			n = 1;
		} else {
			memcpy(q, p, n);
			q += n;
		}
	}
	*q = '\0';
	*owned = out;
	return out;
}

/* Add name: s (null when s is NULL); false when out of memory. */
static bool add_str(cJSON *o, const char *name, const char *s)
{
	char *owned;
	const char *v;
	bool ok;

	if (!s)
		return cJSON_AddNullToObject(o, name) != NULL;
	if (!(v = utf8_clean(s, &owned)))
		return false;
	ok = cJSON_AddStringToObject(o, name, v) != NULL;
	free(owned);
	return ok;
}

static bool add_num(cJSON *o, const char *name, double v)
{
	return isfinite(v) ? cJSON_AddNumberToObject(o, name, v) != NULL
			   : cJSON_AddNullToObject(o, name) != NULL;
}

static cJSON *run_json(const struct uh_board_run *r)
{
	cJSON *o = cJSON_CreateObject(), *m;
	bool ok = o != NULL;

	ok = ok && add_num(o, "id", (double)r->row.id);
	ok = ok && add_str(o, "created", r->row.created) && add_str(o, "finished", r->row.finished) &&
	     add_str(o, "status", r->row.status) && add_str(o, "suite", r->row.suite) &&
	     add_str(o, "split", r->row.split) && add_str(o, "profile", r->row.profile) &&
	     add_str(o, "model", r->row.model) && add_str(o, "backend", r->row.backend) &&
	     add_str(o, "template", r->row.template_name) && add_str(o, "tag", r->row.tag) &&
	     add_str(o, "uh_version", r->row.uh_version) && add_str(o, "source", r->row.source);
	ok = ok && cJSON_AddBoolToObject(o, "reference", uh_board_is_reference(r));
	ok = ok && (m = cJSON_AddObjectToObject(o, "metrics"));
	for (size_t j = 0; ok && j < r->n_m; j++) {
		char *owned;
		const char *name = utf8_clean(r->m[j].name, &owned);
		cJSON *x = name ? cJSON_AddObjectToObject(m, name) : NULL;

		free(owned);
		ok = x && add_num(x, "value", r->m[j].value);
		if (ok && r->m[j].has_ci)
			ok = add_num(x, "ci_lo", r->m[j].ci_lo) && add_num(x, "ci_hi", r->m[j].ci_hi);
		if (ok && r->m[j].n >= 0)
			ok = add_num(x, "n", (double)r->m[j].n);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Print one cJSON value (taking it) to f; false when out of memory. */
static bool put(FILE *f, cJSON *v)
{
	char *text = v ? cJSON_PrintUnformatted(v) : NULL;

	cJSON_Delete(v);
	if (!text)
		return false;
	fputs(text, f);
	cJSON_free(text);
	return true;
}

static bool put_str(FILE *f, const char *s)
{
	char *owned;
	const char *v;
	bool ok;

	if (!s) {
		fputs("null", f);
		return true;
	}
	if (!(v = utf8_clean(s, &owned)))
		return false;
	ok = put(f, cJSON_CreateString(v));
	free(owned);
	return ok;
}

/*
 * The document is written piece by piece, each run printed by cJSON as it
 * is built, so memory stays that of one run however many there are.
 */
int uh_json_write(FILE *f, const struct uh_board *b, struct uh_err *err)
{
	bool ok = true;

	fprintf(f, "{\"runs\":%zu,\"groups\":[", b->n_runs);
	for (size_t g = 0; ok && g < b->n_groups; g++) {
		const struct uh_board_group *gr = &b->groups[g];

		fputs(g ? ",{\"suite\":" : "{\"suite\":", f);
		ok = put_str(f, gr->suite);
		fputs(",\"split\":", f);
		ok = ok && put_str(f, gr->split);
		fputs(",\"columns\":[", f);
		for (size_t c = 0; ok && c < gr->n_cols; c++) {
			if (c)
				fputc(',', f);
			ok = put_str(f, gr->cols[c]);
		}
		fputs("],\"runs\":[", f);
		for (size_t i = 0; ok && i < gr->n_runs; i++) {
			if (i)
				fputc(',', f);
			ok = put(f, run_json(&b->runs[gr->runs[i]]));
		}
		fputs("]}", f);
	}
	fputs("]}\n", f);
	if (!ok)
		return uh_err_set(err, UH_ENOMEM, "out of memory writing json");
	if (ferror(f))
		return uh_err_set(err, UH_EIO, "writing the report failed");
	return 0;
}
