/*
 * progress.c - a progress bar on a terminal, periodic lines elsewhere.
 */
#include "harness/progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

/* How often a line is drawn: often on a terminal, rarely in a log. */
#define TTY_PERIOD 0.1
#define LOG_PERIOD 5.0
#define BAR_WIDTH 30

double uh_progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void uh_progress_start(struct uh_progress *p, FILE *f, const char *label, size_t total,
		       bool quiet)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->quiet = quiet || !f;
	p->tty = f && isatty(fileno(f));
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->total = total;
	p->t0 = p->last = uh_progress_now();
}

static void draw(struct uh_progress *p, double now, bool final)
{
	double el = now - p->t0, rate = el > 0 ? (double)p->done / el : 0;
	double eta = rate > 0 && p->total > p->done ? (double)(p->total - p->done) / rate : 0;
	double frac = p->total ? (double)p->done / (double)p->total : 1;

	if (p->tty) {
		char bar[BAR_WIDTH + 1];
		int fill = (int)(frac * BAR_WIDTH);

		for (int i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[BAR_WIDTH] = '\0';
		fprintf(p->f, "\r%s [%s] %zu/%zu  %.0f/s  ", p->label, bar, p->done, p->total, rate);
		if (final)
			fprintf(p->f, "%.1fs\x1b[K\n", el);
		else
			fprintf(p->f, "ETA %.0fs\x1b[K", eta);
		p->open_line = !final;
	} else if (final) {
		fprintf(p->f, "%s: %zu/%zu done in %.1fs (%.0f/s)\n", p->label, p->done, p->total, el, rate);
	} else {
		fprintf(p->f, "%s: %zu/%zu (%.0f%%), %.0f/s, ETA %.0fs\n", p->label, p->done, p->total,
			100 * frac, rate, eta);
	}
	fflush(p->f);
	p->last = now;
}

void uh_progress_add(struct uh_progress *p, size_t n)
{
	double now;

	if (!p || p->quiet)
		return;
	p->done += n;
	now = uh_progress_now();
	if (now - p->last >= (p->tty ? TTY_PERIOD : LOG_PERIOD))
		draw(p, now, false);
}

void uh_progress_end(struct uh_progress *p)
{
	if (!p || p->quiet)
		return;
	draw(p, uh_progress_now(), true);
}

void uh_progress_abort(struct uh_progress *p)
{
	if (!p || p->quiet || !p->open_line)
		return;
	fputc('\n', p->f);
	fflush(p->f);
	p->open_line = false;
}
