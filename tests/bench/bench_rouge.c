/*
 * bench_rouge.c - uh's ROUGE-1 + ROUGE-L recall with stemming (what TOFU
 * asks for) against tests/bench/rouge_ref.py, a transcription of
 * rouge_score 0.1.2 on Debian's nltk 3.8 Porter stemmer.
 *
 * Inputs: every (answer, paraphrased_answer) pair of the TOFU *_perturbed
 * files, answer as the target. Both sides score the same pairs in the same
 * order; the run fails unless every recall agrees bit for bit. Times are
 * the best of several passes over all pairs, scoring only (no file i/o).
 *
 * Run from the repository root: UH_SHARED=../shared PYTHON_REF=/usr/bin/python3
 */
#include "metrics/rouge.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define C_PASSES 50
#define PY_PASSES 3
#define REF_SCRIPT "tests/bench/rouge_ref.py"

static const char *const files[] = {
	"forget01_perturbed.json", "forget05_perturbed.json",
	"forget10_perturbed.json", "retain_perturbed.json",
};

struct pairs {
	char **target, **pred;
	size_t n, cap;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *msg, const char *what)
{
	fprintf(stderr, "bench_rouge: %s%s%s\n", msg, what ? ": " : "", what ? what : "");
	exit(1);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		die("out of memory", NULL);
	return d;
}

static void add_pair(struct pairs *ps, const char *t, const char *p)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 1024;
		ps->target = realloc(ps->target, ps->cap * sizeof(char *));
		ps->pred = realloc(ps->pred, ps->cap * sizeof(char *));
		if (!ps->target || !ps->pred)
			die("out of memory", NULL);
	}
	ps->target[ps->n] = xstrdup(t);
	ps->pred[ps->n++] = xstrdup(p);
}

/* The same walk as rouge_ref.py: JSON Lines, rows with paraphrased_answer. */
static void load(const char *shared, struct pairs *ps)
{
	char path[4096], *line = NULL;
	size_t cap = 0;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		snprintf(path, sizeof(path), "%s/data/tofu/%s", shared, files[f]);
		FILE *fp = fopen(path, "r");
		if (!fp)
			die("cannot open", path);
		while (getline(&line, &cap, fp) > 0) {
			if (strspn(line, " \t\r\n") == strlen(line))
				continue;
			cJSON *o = cJSON_Parse(line);
			if (!o)
				die("bad json line in", path);
			const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "answer");
			const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "paraphrased_answer");
			if (p) {
				if (!cJSON_IsString(a) || !cJSON_IsString(p))
					die("answer/paraphrased_answer not strings in", path);
				add_pair(ps, a->valuestring, p->valuestring);
			}
			cJSON_Delete(o);
		}
		fclose(fp);
	}
	free(line);
}

int main(void)
{
	const char *shared = getenv("UH_SHARED") ? getenv("UH_SHARED") : "../shared";
	const char *py = getenv("PYTHON_REF") ? getenv("PYTHON_REF") : "/usr/bin/python3";
	struct pairs ps = { 0 };
	struct uh_err err;

	load(shared, &ps);
	if (ps.n == 0)
		die("no pairs found under", shared);

	/* ---- uh */
	double *r1 = malloc(ps.n * sizeof(double)), *rl = malloc(ps.n * sizeof(double));
	double best_c = 1e300;
	if (!r1 || !rl)
		die("out of memory", NULL);
	for (int pass = 0; pass < C_PASSES; pass++) {
		double t0 = now();
		for (size_t i = 0; i < ps.n; i++) {
			struct uh_rouge_scores s;
			if (uh_rouge_score_types(ps.target[i], ps.pred[i], true, UH_ROUGE_1 | UH_ROUGE_L,
						 &s, &err))
				die(err.msg, NULL);
			r1[i] = s.rouge1.recall;
			rl[i] = s.rougeL.recall;
		}
		double dt = now() - t0;
		if (dt < best_c)
			best_c = dt;
	}

	/* ---- the Python reference, in the same run */
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "'%s' " REF_SCRIPT " '%s' %d", py, shared, PY_PASSES);
	FILE *pp = popen(cmd, "r");
	if (!pp)
		die("cannot run", cmd);
	size_t npy = 0, mismatches = 0, got = 0;
	double best_py = 0;
	char line[256];
	if (!fgets(line, sizeof(line), pp) || sscanf(line, "pairs %zu", &npy) != 1 ||
	    !fgets(line, sizeof(line), pp) || sscanf(line, "seconds_per_pass %lf", &best_py) != 1)
		die("unexpected output from", cmd);
	if (npy != ps.n)
		die("the reference read a different number of pairs", NULL);
	while (fgets(line, sizeof(line), pp) && got < ps.n) {
		char *end;
		double w1 = strtod(line, &end), wl = strtod(end, NULL);
		if (memcmp(&w1, &r1[got], sizeof(double)) || memcmp(&wl, &rl[got], sizeof(double))) {
			if (mismatches++ < 5)
				fprintf(stderr, "pair %zu: uh rouge1 %.17g rougeL %.17g, python %.17g %.17g\n",
					got, r1[got], rl[got], w1, wl);
		}
		got++;
	}
	if (pclose(pp) != 0)
		die("the reference failed:", cmd);
	if (got != ps.n)
		die("the reference printed too few results", NULL);

	double c_us = best_c / (double)ps.n * 1e6, py_us = best_py / (double)ps.n * 1e6;
	printf("bench_rouge: %zu TOFU (answer, paraphrased_answer) pairs, rouge1+rougeL recall, stemmed\n",
	       ps.n);
	printf("  uh      %9.2f us/pair  (best of %d passes)\n", c_us, C_PASSES);
	printf("  python  %9.2f us/pair  (best of %d passes, rouge_score 0.1.2 transcription, nltk 3.8)\n",
	       py_us, PY_PASSES);
	printf("  ratio   %9.1fx  (goal >= 50x)\n", py_us / c_us);
	printf("  agreement: %zu/%zu pairs bit-identical\n", ps.n - mismatches, ps.n);

	for (size_t i = 0; i < ps.n; i++) {
		free(ps.target[i]);
		free(ps.pred[i]);
	}
	free(ps.target);
	free(ps.pred);
	free(r1);
	free(rl);
	return mismatches ? 1 : 0;
}
