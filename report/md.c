#include "report/md.h"

#include <math.h>
#include <string.h>

void uh_md_cell(FILE *f, const char *s)
{
	if (!s)
		return;
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\r':
		case '\n': fputc(' ', f); break;
		case '|': case '\\': case '`': case '*': case '_': case '[': case ']':
		case '#': case '~': case '!':
			fputc('\\', f);
			fputc(*p, f);
			break;
		default:
			fputc((unsigned char)*p < 0x20 ? ' ' : *p, f);
		}
	}
}

static void num(FILE *f, const struct uh_store_metric_row *m)
{
	if (!m || !isfinite(m->value))
		return;
	fprintf(f, "%.4g", m->value);
	if (m->has_ci)
		fprintf(f, " [%.4g, %.4g]", m->ci_lo, m->ci_hi);
}

int uh_md_write(FILE *f, const struct uh_board *b, struct uh_err *err)
{
	fputs("# uh leaderboard\n\n", f);
	if (!b->n_runs)
		fputs("No runs match.\n", f);
	else
		fputs("Rows marked (ref) are imported official runs. Intervals are 95% bootstrap"
		      " intervals where stored.\n", f);
	for (size_t g = 0; g < b->n_groups; g++) {
		const struct uh_board_group *gr = &b->groups[g];

		fputs("\n## ", f);
		uh_md_cell(f, gr->suite);
		fputc(' ', f);
		uh_md_cell(f, gr->split ? gr->split : "(no split)");
		fputs("\n\n| run | model | profile | split | source |", f);
		for (size_t c = 0; c < gr->n_cols; c++) {
			fputc(' ', f);
			uh_md_cell(f, uh_board_label(gr->cols[c]));
			fputs(" |", f);
		}
		fputs("\n|---:|---|---|---|---|", f);
		for (size_t c = 0; c < gr->n_cols; c++)
			fputs("---:|", f);
		fputc('\n', f);
		for (size_t i = 0; i < gr->n_runs; i++) {
			const struct uh_board_run *r = &b->runs[gr->runs[i]];

			fprintf(f, "| %lld | ", (long long)r->row.id);
			uh_md_cell(f, r->row.model);
			if (uh_board_is_reference(r))
				fputs(" (ref)", f);
			fputs(" | ", f);
			uh_md_cell(f, r->row.profile);
			fputs(" | ", f);
			uh_md_cell(f, r->row.split);
			fputs(" | ", f);
			uh_md_cell(f, r->row.source);
			fputs(" |", f);
			for (size_t c = 0; c < gr->n_cols; c++) {
				fputc(' ', f);
				num(f, uh_board_metric(r, gr->cols[c]));
				fputs(" |", f);
			}
			fputc('\n', f);
		}
		if (gr->cols_capped)
			fprintf(f, "\nMore metrics than %d: the rest are in the CSV and JSON reports.\n",
				UH_BOARD_MAX_COLS);
	}
	if (ferror(f))
		return uh_err_set(err, UH_EIO, "writing the report failed");
	return 0;
}
