/*
 * The progress display: a terminal line redrawn in place must be ended when
 * the work fails, so the error printed next does not run on after the bar;
 * logs (not a terminal) get no extra line.
 */
#include "harness/progress.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything written to f so far. */
static char *contents(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	cr_assert_geq(n, 0);
	s = calloc((size_t)n + 1, 1);
	cr_assert(s);
	rewind(f);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	fseek(f, 0, SEEK_END);
	return s;
}

/* A progress on a temporary file; tty says whether it acts as on a terminal. */
static FILE *started(struct uh_progress *p, bool tty)
{
	FILE *f = tmpfile();

	cr_assert(f);
	uh_progress_start(p, f, "model", 100, false);
	p->tty = tty;
	return f;
}

/* n more done, with a line due now. */
static void add_drawn(struct uh_progress *p, size_t n)
{
	p->last = p->t0 - 10;
	uh_progress_add(p, n);
}

Test(progress, a_failure_ends_the_open_terminal_line)
{
	struct uh_progress p;
	FILE *f = started(&p, true);
	char *s;

	add_drawn(&p, 30);
	s = contents(f);
	cr_assert(strstr(s, "30/100") && s[strlen(s) - 1] != '\n', "%s", s);
	free(s);
	uh_progress_abort(&p);
	s = contents(f);
	cr_expect(strstr(s, "30/100"), "the bar stays: %s", s);
	cr_expect_eq(s[strlen(s) - 1], '\n', "the line is ended: %s", s);
	cr_expect(!strstr(s, "done"), "no summary: %s", s);
	free(s);
	fclose(f);
}

Test(progress, a_failure_adds_nothing_when_no_line_is_open)
{
	struct uh_progress p;
	FILE *f;
	char *s;

	/* a terminal with nothing drawn yet */
	f = started(&p, true);
	uh_progress_abort(&p);
	s = contents(f);
	cr_expect_str_empty(s);
	free(s);
	fclose(f);

	/* a log: every line is already whole */
	f = started(&p, false);
	add_drawn(&p, 30);
	uh_progress_abort(&p);
	s = contents(f);
	cr_expect(strstr(s, "30/100") && !strstr(s, "\n\n"), "%s", s);
	free(s);
	fclose(f);

	/* quiet, and NULL */
	f = tmpfile();
	uh_progress_start(&p, f, "model", 100, true);
	p.tty = true;
	add_drawn(&p, 30);
	uh_progress_abort(&p);
	uh_progress_abort(NULL);
	s = contents(f);
	cr_expect_str_empty(s);
	free(s);
	fclose(f);
}

Test(progress, the_final_line_closes_the_terminal_line)
{
	struct uh_progress p;
	FILE *f = started(&p, true);
	char *s;

	add_drawn(&p, 100);
	uh_progress_end(&p);
	uh_progress_abort(&p);  /* nothing left open: no blank line */
	s = contents(f);
	cr_expect(strstr(s, "100/100") && s[strlen(s) - 1] == '\n' && !strstr(s, "\n\n"), "%s", s);
	free(s);
	fclose(f);
}
