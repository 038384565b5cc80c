#include "report/html.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ================================================================ escaping */

void uh_html_escape(FILE *f, const char *s, size_t max)
{
	size_t n = 0;

	if (!s)
		return;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
		/* cut before a lead byte only, so no character is split */
		if (max && n >= max && (*p & 0xC0) != 0x80) {
			fputs("\xE2\x80\xA6", f);
			return;
		}
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7F)
				fputs("\xEF\xBF\xBD", f);
			else
				fputc(*p, f);
		}
	}
}

/* ================================================================ page parts */

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}"
	".meta,.note{color:#666}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"th,td{border:1px solid #ddd;padding:2px 6px;vertical-align:top}"
	"th{background:#f4f4f4;cursor:pointer;white-space:nowrap;position:sticky;top:0}"
	"th[aria-sort=ascending]::after{content:' \\25B2'}th[aria-sort=descending]::after{content:' \\25BC'}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	".ci{color:#888;font-size:.85em}"
	"tr.ref td{background:#fff8e0}"
	".badge{font-size:.75em;background:#e0b000;color:#fff;border-radius:3px;padding:0 3px}"
	"table.items td{max-width:32em;white-space:pre-wrap;word-break:break-word}"
	"details{margin:.5em 0}summary{cursor:pointer;font-weight:600}"
	"svg{background:#fff;border:1px solid #ddd}"
	"svg text{font:11px sans-serif}";

/*
 * Sorting: a click on a heading sorts by that column (numbers by data-v,
 * else by text), a second click reverses. The last line is the marker the
 * browser test looks for: the page's own script ran.
 */
static const char script[] =
	"(function(){"
	"function key(td){var v=td.getAttribute('data-v');"
	"return v===null?td.textContent:(v===''?NaN:parseFloat(v));}"
	"document.querySelectorAll('table.sortable').forEach(function(t){"
	"t.querySelectorAll('thead th').forEach(function(th,i){"
	"th.addEventListener('click',function(){"
	"var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),"
	"asc=th.getAttribute('aria-sort')!=='ascending';"
	"t.querySelectorAll('thead th').forEach(function(h){h.removeAttribute('aria-sort');});"
	"th.setAttribute('aria-sort',asc?'ascending':'descending');"
	"rows.sort(function(x,y){var a=key(x.cells[i]),c=key(y.cells[i]);"
	"if(typeof a==='number'&&typeof c==='number'){"
	"if(isNaN(a))return isNaN(c)?0:1;if(isNaN(c))return -1;return asc?a-c:c-a;}"
	"a=String(a);c=String(c);return asc?a.localeCompare(c):c.localeCompare(a);});"
	"var f=document.createDocumentFragment();"
	"rows.forEach(function(r){f.appendChild(r);});b.appendChild(f);});});});"
	"document.body.dataset.ok='1';"
	"})();";

/* A nonce for the CSP: 16 random bytes as hex (time and pid when no urandom). */
static void make_nonce(char out[33])
{
	unsigned char r[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	bool ok = false;

	if (fd >= 0) {
		ok = read(fd, r, sizeof(r)) == (ssize_t)sizeof(r);
		close(fd);
	}
	if (!ok) {
		uint64_t x = (uint64_t)time(NULL) * 6364136223846793005ull ^ (uint64_t)getpid();

		for (size_t i = 0; i < sizeof(r); i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			r[i] = (unsigned char)(x >> 56);
		}
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/* A number cell: value (4 significant digits) and its interval, data-v for sorting. */
static void num_cell(FILE *f, const struct uh_store_metric_row *m)
{
	if (!m || !isfinite(m->value)) {
		fputs("<td class=\"n\" data-v=\"\"></td>", f);
		return;
	}
	fprintf(f, "<td class=\"n\" data-v=\"%.17g\">%.4g", m->value, m->value);
	if (m->has_ci)
		fprintf(f, " <span class=\"ci\">[%.4g, %.4g]</span>", m->ci_lo, m->ci_hi);
	fputs("</td>", f);
}

static void text_cell(FILE *f, const char *s)
{
	fputs("<td>", f);
	uh_html_escape(f, s, 200);
	fputs("</td>", f);
}

/* ================================================================ the plot */

#define PW 720
#define PH 400
#define ML 64
#define MR 16
#define MT 16
#define MB 48

struct pt {
	double x, y;                 /* model utility, log10 forget quality */
	const struct uh_board_run *r;
	char kind;                   /* 'r' retain, 'f' full, 'i' imported, 'u' a run */
	bool fq_implied;             /* a retain model without FQ: 1 by definition */
};

static void plot(FILE *f, const struct uh_board *b, const struct uh_board_group *g, size_t gi)
{
	struct pt *pts = malloc(g->n_runs * sizeof(*pts));
	size_t n = 0, skipped = 0;
	double ymin = -1, xmin = 1, xmax = 0.1;

	if (!pts)
		return;
	for (size_t i = 0; i < g->n_runs; i++) {
		const struct uh_board_run *r = &b->runs[g->runs[i]];
		const struct uh_store_metric_row *mu = uh_board_metric(r, "model_utility");
		const struct uh_store_metric_row *fq = uh_board_metric(r, "forget_quality");
		char rk = uh_board_ref_kind(r);
		struct pt p = { 0 };

		if (!mu || !isfinite(mu->value) || (!fq && rk != 'r') || (fq && !(fq->value >= 0))) {
			skipped++;
			continue;
		}
		p.x = mu->value;
		p.fq_implied = !fq;
		p.y = fq ? log10(fq->value > 1e-300 ? fq->value : 1e-300) : 0;
		if (p.y > 0)
			p.y = 0;
		p.r = r;
		p.kind = rk ? rk : uh_board_is_reference(r) ? 'i' : 'u';
		if (p.y < ymin)
			ymin = p.y;
		if (p.x > xmax)
			xmax = p.x;
		if (p.x < xmin)
			xmin = p.x;
		pts[n++] = p;
	}
	if (!n) {
		free(pts);
		return;
	}
	/* y: whole decades down from 1; x: tenths around the data */
	ymin = floor(ymin);
	xmax = ceil(xmax * 10 + 1e-9) / 10;
	xmin = floor(xmin * 10 - 1e-9) / 10;
	if (xmin < 0)
		xmin = 0;
	if (xmin > xmax - 0.1)
		xmin = xmax - 0.1;

	fprintf(f, "<figure><svg class=\"plot\" id=\"plot-%zu\" xmlns=\"http://www.w3.org/2000/svg\""
		   " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\""
		   " aria-label=\"Forget Quality against Model Utility\">\n", gi, PW, PH, PW, PH);
#define X(v) (ML + ((v) - xmin) / (xmax - xmin) * (PW - ML - MR))
#define Y(v) (MT + (v) / ymin * (PH - MT - MB))
	/* axes and ticks */
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n",
		ML, MT, PW - ML - MR, PH - MT - MB);
	for (int k = 0; k <= 5; k++) {
		double v = xmin + (xmax - xmin) * k / 5;

		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.2f</text>\n", X(v), PH - MB + 14, v);
	}
	{
		int step = ymin < -12 ? (int)ceil(-ymin / 12) : 1;

		/* ymin <= -1, so Y() never divides by zero */
		for (int k = 0; k >= (int)ymin; k -= step) {
			fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
				   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n",
				ML, PW - MR, Y(k), Y(k), ML - 4,
				(Y(k)) + 4, k);
		}
	}
	if (ymin <= log10(0.05))
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c00\""
			   " stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"%.1f\" fill=\"#c00\">0.05</text>\n",
			ML, PW - MR, Y(log10(0.05)), Y(log10(0.05)), PW - MR - 28, Y(log10(0.05)) - 3);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">Model Utility</text>\n",
		(ML + PW - MR) / 2, PH - 12);
	fprintf(f, "<text transform=\"translate(14 %d) rotate(-90)\" text-anchor=\"middle\">"
		   "Forget Quality (log scale)</text>\n", (MT + PH - MB) / 2);
	/* points: ordinary runs first, so that references are drawn on top */
	for (int pass = 0, labels = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			const struct pt *p = &pts[i];
			bool ref = p->kind == 'r' || p->kind == 'f';
			double cx = X(p->x), cy = Y(p->y);

			if (ref != (pass == 1))
				continue;
			if (p->kind == 'r')
				fprintf(f, "<rect class=\"pt ref-retain\" x=\"%.1f\" y=\"%.1f\" width=\"10\""
					   " height=\"10\" fill=\"#2a2\" stroke=\"#000\">", cx - 5, cy - 5);
			else if (p->kind == 'f')
				fprintf(f, "<path class=\"pt ref-full\" d=\"M%.1f %.1fl6 6l-6 6l-6 -6z\""
					   " fill=\"#d22\" stroke=\"#000\">", cx, cy - 6);
			else
				fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\""
					   " fill-opacity=\"0.7\">", cx, cy, p->kind == 'i' ? "#888" : "#27c");
			fprintf(f, "<title>run %lld: ", (long long)p->r->row.id);
			uh_html_escape(f, p->r->row.model, 120);
			fprintf(f, " (MU %.4g, FQ %s%.4g)</title>", p->x, p->fq_implied ? "1 by definition, " : "",
				pow(10, p->y));
			fputs(p->kind == 'r' ? "</rect>" : p->kind == 'f' ? "</path>" : "</circle>", f);
			if (ref) {
				bool left = cx > (ML + PW - MR) / 2.0;

				/* below a point in the upper half, above one in the lower; staggered */
				double dy = cy < PH / 2.0 ? 16 + 12 * (labels % 3) : -8 - 12 * (labels % 3);

				labels++;
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"%s>%s: ", left ? cx - 8 : cx + 8,
					cy + dy, left ? " text-anchor=\"end\"" : "",
					p->kind == 'r' ? "retain" : "full");
				uh_html_escape(f, p->r->row.model, 40);
				fputs("</text>", f);
			}
			fputc('\n', f);
		}
	}
#undef X
#undef Y
	fputs("</svg><figcaption class=\"note\">Forget Quality (KS p-value, log scale) against Model"
	      " Utility. <span style=\"color:#2a2\">&#9632;</span> retain reference,"
	      " <span style=\"color:#d22\">&#9670;</span> full model,"
	      " <span style=\"color:#888\">&#9679;</span> other imported runs,"
	      " <span style=\"color:#27c\">&#9679;</span> runs; dashed: 0.05.", f);
	if (skipped)
		fprintf(f, " %zu run%s without Forget Quality or Model Utility not shown.", skipped,
			skipped == 1 ? "" : "s");
	fputs("</figcaption></figure>\n", f);
	free(pts);
}

/* ================================================================ tables */

static void group_table(FILE *f, const struct uh_board *b, const struct uh_board_group *g,
			const bool *has_items, size_t max_rows)
{
	size_t shown = 0, left_out = 0;

	fputs("<table class=\"board sortable\"><thead><tr><th>run</th><th>model</th><th>profile</th>"
	      "<th>split</th><th>source</th><th>tag</th><th>created</th>", f);
	for (size_t c = 0; c < g->n_cols; c++) {
		fputs("<th>", f);
		uh_html_escape(f, uh_board_label(g->cols[c]), 80);
		fputs("</th>", f);
	}
	fputs("</tr></thead><tbody>\n", f);
	for (size_t i = 0; i < g->n_runs; i++) {
		const struct uh_board_run *r = &b->runs[g->runs[i]];
		bool ref = uh_board_is_reference(r);

		if (max_rows && shown >= max_rows && !ref) {
			left_out++;
			continue;
		}
		shown += !ref;
		fprintf(f, "<tr%s><td class=\"n\" data-v=\"%lld\">", ref ? " class=\"ref\"" : "",
			(long long)r->row.id);
		if (has_items[g->runs[i]])
			fprintf(f, "<a href=\"#run-%lld\">%lld</a>", (long long)r->row.id, (long long)r->row.id);
		else
			fprintf(f, "%lld", (long long)r->row.id);
		fputs("</td><td>", f);
		uh_html_escape(f, r->row.model, 200);
		if (ref)
			fputs(" <span class=\"badge\">reference</span>", f);
		fputs("</td>", f);
		text_cell(f, r->row.profile);
		text_cell(f, r->row.split);
		text_cell(f, r->row.source);
		text_cell(f, r->row.tag);
		text_cell(f, r->row.created);
		for (size_t c = 0; c < g->n_cols; c++)
			num_cell(f, uh_board_metric(r, g->cols[c]));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	if (left_out)
		fprintf(f, "<p class=\"note\">The %zu best runs by the table's order are shown (and every"
			   " reference); %zu more are in the plot only. uh report --rows 0 shows all of them,"
			   " --format csv or json lists every run, --model/--tag/--split narrow the"
			   " selection.</p>\n", max_rows, left_out);
	if (g->cols_capped)
		fprintf(f, "<p class=\"note\">More metrics than %d: the rest are in the CSV and JSON reports.</p>\n",
			UH_BOARD_MAX_COLS);
}

/* ================================================================ per-item sections */

struct item_ctx {
	FILE *f;
	size_t shown, max, text_max;
};

/* The per-item values, compactly: numbers to 4 digits, lists by their length. */
static void values_cell(FILE *f, const char *json)
{
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	const cJSON *v;
	bool first = true;

	fputs("<td class=\"v\">", f);
	if (!o || !cJSON_IsObject(o)) {
		uh_html_escape(f, json, 300);
		cJSON_Delete(o);
		fputs("</td>", f);
		return;
	}
	cJSON_ArrayForEach(v, o) {
		if (!first)
			fputs(", ", f);
		first = false;
		uh_html_escape(f, v->string, 60);
		if (cJSON_IsNumber(v))
			fprintf(f, "=%.4g", v->valuedouble);
		else if (cJSON_IsArray(v))
			fprintf(f, "=[%d values]", cJSON_GetArraySize(v));
		else if (cJSON_IsString(v)) {
			fputc('=', f);
			uh_html_escape(f, v->valuestring, 80);
		} else if (cJSON_IsBool(v))
			fputs(cJSON_IsTrue(v) ? "=true" : "=false", f);
		else
			fputs("=null", f);
	}
	cJSON_Delete(o);
	fputs("</td>", f);
}

static int item_row(void *vctx, const struct uh_store_item_row *it)
{
	struct item_ctx *c = vctx;
	FILE *f = c->f;

	if (c->shown >= c->max)
		return 1;  /* stop: the cap is reached */
	fputs("<tr><td>", f);
	uh_html_escape(f, it->task, 60);
	fprintf(f, "</td><td class=\"n\" data-v=\"%lld\">%lld</td><td>", (long long)it->idx,
		(long long)it->idx);
	uh_html_escape(f, it->question, c->text_max);
	fputs("</td><td>", f);
	uh_html_escape(f, it->reference, c->text_max);
	fputs("</td><td>", f);
	uh_html_escape(f, it->generation, c->text_max);
	fputs("</td>", f);
	values_cell(f, it->values_json);
	fputs("</tr>\n", f);
	c->shown++;
	return 0;
}

static int run_section(FILE *f, struct uh_store *st, const struct uh_board_run *r,
		       const struct uh_html_opts *o, struct uh_err *err)
{
	struct item_ctx c = { f, 0, o->item_rows, o->text_max ? o->text_max : 400 };
	int64_t total = 0;
	int rc;

	rc = uh_store_items_count(st, r->row.id, &total, err);
	if (rc)
		return rc;
	fprintf(f, "<details id=\"run-%lld\"><summary>run %lld: ", (long long)r->row.id,
		(long long)r->row.id);
	uh_html_escape(f, r->row.model, 200);
	fputs(" \xC2\xB7 ", f);
	uh_html_escape(f, r->row.suite, 60);
	fputc(' ', f);
	uh_html_escape(f, r->row.split, 60);
	fprintf(f, " \xC2\xB7 %lld items</summary>\n", (long long)total);
	if (total > 0) {
		fputs("<table class=\"items sortable\"><thead><tr><th>task</th><th>idx</th>"
		      "<th>question</th><th>reference</th><th>generation</th><th>values</th>"
		      "</tr></thead><tbody>\n", f);
		rc = uh_store_items_each(st, r->row.id, NULL, item_row, &c, err);
		if (rc < 0)
			return rc;
		fputs("</tbody></table>\n", f);
		if ((int64_t)c.shown < total)
			fprintf(f, "<p class=\"note\">%zu of %lld items shown (uh report --item-rows N"
				   " shows more; uh diff compares two runs item by item).</p>\n",
				c.shown, (long long)total);
	}
	fputs("</details>\n", f);
	return 0;
}

/* ================================================================ the page */

int uh_html_write(FILE *f, struct uh_store *st, const struct uh_board *b,
		  const struct uh_html_opts *o, struct uh_err *err)
{
	struct uh_html_opts dflt = { NULL, 3, 300, 400, 500 };
	char nonce[33], when[64];
	bool *has_items = NULL;
	size_t n_sections = 0;
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0;

	if (!o)
		o = &dflt;
	if (b->n_runs && !(has_items = calloc(b->n_runs, sizeof(*has_items))))
		return uh_err_set(err, UH_ENOMEM, "out of memory writing the report");
	for (size_t g = 0; g < b->n_groups; g++)
		for (size_t i = 0; i < b->groups[g].n_runs && i < o->item_runs && o->item_rows; i++) {
			has_items[b->groups[g].runs[i]] = true;
			n_sections++;
		}
	make_nonce(nonce);
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		strcpy(when, "?");

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
		   " style-src 'unsafe-inline'; img-src data:; script-src 'nonce-%s'\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width\">\n"
		   "<title>uh leaderboard</title>\n<style>%s</style></head>\n<body>\n"
		   "<h1>uh leaderboard</h1>\n<p class=\"meta\">%zu run%s in %zu group%s",
		nonce, css, b->n_runs, b->n_runs == 1 ? "" : "s", b->n_groups,
		b->n_groups == 1 ? "" : "s");
	if (o->db_path) {
		fputs(" from ", f);
		uh_html_escape(f, o->db_path, 300);
	}
	fprintf(f, ", generated %s. Rows marked <span class=\"badge\">reference</span> are imported"
		   " official runs. Click a heading to sort.</p>\n", when);
	if (!b->n_runs)
		fputs("<p>No runs match.</p>\n", f);

	fputs("<nav><ul>", f);
	for (size_t g = 0; g < b->n_groups; g++) {
		fprintf(f, "<li><a href=\"#g%zu\">", g);
		uh_html_escape(f, b->groups[g].suite, 60);
		fputc(' ', f);
		uh_html_escape(f, b->groups[g].split ? b->groups[g].split : "(no split)", 60);
		fprintf(f, "</a> (%zu)</li>", b->groups[g].n_runs);
	}
	if (n_sections)
		fputs("<li><a href=\"#items\">per-item rows</a></li>", f);
	fputs("</ul></nav>\n", f);

	for (size_t g = 0; g < b->n_groups; g++) {
		const struct uh_board_group *gr = &b->groups[g];

		fprintf(f, "<section id=\"g%zu\"><h2>", g);
		uh_html_escape(f, gr->suite, 60);
		fputs(" \xC2\xB7 ", f);
		uh_html_escape(f, gr->split ? gr->split : "(no split)", 60);
		fprintf(f, " <span class=\"meta\">(%zu run%s)</span></h2>\n", gr->n_runs,
			gr->n_runs == 1 ? "" : "s");
		if (gr->suite && !strcmp(gr->suite, "tofu"))
			plot(f, b, gr, g);
		group_table(f, b, gr, has_items, o->max_rows);
		fputs("</section>\n", f);
	}

	if (n_sections) {
		fprintf(f, "<section id=\"items\"><h2>Per-item rows</h2>\n<p class=\"note\">The first"
			   " %zu run%s of each group (at most %zu items each, texts cut at %zu bytes);"
			   " --item-runs and --item-rows change that.</p>\n",
			o->item_runs, o->item_runs == 1 ? "" : "s", o->item_rows,
			o->text_max ? o->text_max : 400);
		for (size_t g = 0; g < b->n_groups && !rc; g++)
			for (size_t i = 0; i < b->groups[g].n_runs && i < o->item_runs && !rc; i++)
				rc = run_section(f, st, &b->runs[b->groups[g].runs[i]], o, err);
		fputs("</section>\n", f);
	}
	fprintf(f, "<script nonce=\"%s\">%s</script>\n</body></html>\n", nonce, script);
	free(has_items);
	if (!rc && ferror(f))
		rc = uh_err_set(err, UH_EIO, "writing the report failed");
	return rc;
}
