#include "report/csv.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * A plain decimal number, whole: [+-] digits [. digits] [e [+-] digits].
 * Such a cell is data, never a formula. (strtod would also take "-nan(x)",
 * "+inf" and "-0x1p3", which a spreadsheet reads as formulas.)
 */
static bool is_number(const char *s)
{
	bool digits = false;

	if (*s == '+' || *s == '-')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits = true;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits = true;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

void uh_csv_field(FILE *f, const char *s)
{
	bool guard, quote;

	if (!s)
		return;
	guard = strchr("=+-@\t\r", s[0]) && s[0] && !is_number(s);
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', f);
	if (guard)
		fputc('\'', f);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	if (quote)
		fputc('"', f);
}

static void num_field(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
	else if (!isnan(v))
		fputs(v > 0 ? "inf" : "-inf", f);
}

struct col {
	const char *name;
	bool ci;
};

int uh_csv_write(FILE *f, const struct uh_board *b, struct uh_err *err)
{
	static const char *const head[] = { "id", "created", "suite", "split", "profile", "model",
		"backend", "template", "tag", "source", "status" };
	struct col *cols = NULL;
	size_t n = 0, cap = 0;

	/* columns: each group's columns in its order, first seen first */
	for (size_t g = 0; g < b->n_groups; g++) {
		for (size_t c = 0; c < b->groups[g].n_cols_all; c++) {
			const char *name = b->groups[g].cols[c];
			size_t k;

			for (k = 0; k < n && strcmp(cols[k].name, name); k++)
				;
			if (k < n)
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 32;
				struct col *nv = realloc(cols, nc * sizeof(*nv));

				if (!nv) {
					free(cols);
					return uh_err_set(err, UH_ENOMEM, "out of memory writing csv");
				}
				cols = nv;
				cap = nc;
			}
			cols[n].name = name;
			cols[n].ci = false;
			n++;
		}
	}
	for (size_t i = 0; i < b->n_runs; i++)
		for (size_t c = 0; c < n; c++) {
			const struct uh_store_metric_row *m = uh_board_metric(&b->runs[i], cols[c].name);

			if (m && m->has_ci)
				cols[c].ci = true;
		}

	for (size_t h = 0; h < sizeof(head) / sizeof(head[0]); h++)
		fprintf(f, "%s%s", h ? "," : "", head[h]);
	for (size_t c = 0; c < n; c++) {
		fputc(',', f);
		uh_csv_field(f, cols[c].name);
		if (cols[c].ci) {
			/* names are as long as an imported log makes them: no fixed buffer */
			size_t len = strlen(cols[c].name) + sizeof(".ci_lo");
			char *buf = malloc(len);

			if (!buf) {
				free(cols);
				return uh_err_set(err, UH_ENOMEM, "out of memory writing csv");
			}
			snprintf(buf, len, "%s.ci_lo", cols[c].name);
			fputc(',', f);
			uh_csv_field(f, buf);
			snprintf(buf, len, "%s.ci_hi", cols[c].name);
			fputc(',', f);
			uh_csv_field(f, buf);
			free(buf);
		}
	}
	fputs("\r\n", f);

	for (size_t g = 0; g < b->n_groups; g++) {
		for (size_t i = 0; i < b->groups[g].n_runs; i++) {
			const struct uh_board_run *r = &b->runs[b->groups[g].runs[i]];
			const char *t[] = { r->row.created, r->row.suite, r->row.split, r->row.profile,
				r->row.model, r->row.backend, r->row.template_name, r->row.tag,
				r->row.source, r->row.status };

			fprintf(f, "%lld", (long long)r->row.id);
			for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
				fputc(',', f);
				uh_csv_field(f, t[k]);
			}
			for (size_t c = 0; c < n; c++) {
				const struct uh_store_metric_row *m = uh_board_metric(r, cols[c].name);

				fputc(',', f);
				if (m)
					num_field(f, m->value);
				if (cols[c].ci) {
					fputc(',', f);
					if (m && m->has_ci)
						num_field(f, m->ci_lo);
					fputc(',', f);
					if (m && m->has_ci)
						num_field(f, m->ci_hi);
				}
			}
			fputs("\r\n", f);
		}
	}
	free(cols);
	if (ferror(f))
		return uh_err_set(err, UH_EIO, "writing the report failed");
	return 0;
}
