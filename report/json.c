#include "report/json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>

/* Add name: s (null when s is NULL); false when out of memory. */
static bool add_str(cJSON *o, const char *name, const char *s)
{
	return s ? cJSON_AddStringToObject(o, name, s) != NULL : cJSON_AddNullToObject(o, name) != NULL;
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
		cJSON *x = cJSON_AddObjectToObject(m, r->m[j].name);

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
	return s ? put(f, cJSON_CreateString(s)) : (fputs("null", f), true);
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
