/*
 * bench_ks.c - uh_ks_2samp against scipy 1.10's ks_2samp
 * (tests/bench/ks_ref.py) on the same inputs in the same run.
 *
 * Cases: 400 vs 400 and 400 vs 200 normal samples, under the null and with
 * a 0.3 shift (the sizes of TOFU's forget sets). The inputs go to a temp
 * file as %.17g text, which both sides read back exactly; the run fails
 * unless every p-value and statistic agrees bit for bit. Times are per
 * call, the best of 5 runs of many calls on each side (uh is timed before
 * and after the reference run).
 *
 * Run from the repository root: UH_SHARED=../shared PYTHON_REF=/usr/bin/python3
 */
#include "metrics/ks.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REF_SCRIPT "tests/bench/ks_ref.py"
#define PY_REPS 2000
#define C_REPS 20000

struct bcase {
	size_t nx, ny;
	double shift;
	const char *name;
	double *x, *y;
};

static struct bcase cases[] = {
	{ 400, 400, 0.0, "400 vs 400, null", NULL, NULL },
	{ 400, 400, 0.3, "400 vs 400, shift 0.3", NULL, NULL },
	{ 400, 200, 0.0, "400 vs 200, null", NULL, NULL },
	{ 400, 200, 0.3, "400 vs 200, shift 0.3", NULL, NULL },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *msg, const char *what)
{
	fprintf(stderr, "bench_ks: %s%s%s\n", msg, what ? ": " : "", what ? what : "");
	exit(1);
}

/* splitmix64 + Box-Muller: fixed inputs on every machine. */
static uint64_t rng_state = 0x5eed1234abcdULL;

static double uniform01(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return ((double)(z >> 11) + 0.5) * 0x1.0p-53;
}

static double normal(void)
{
	return sqrt(-2.0 * log(uniform01())) * cos(2.0 * M_PI * uniform01());
}

static double *sample(size_t n, double shift)
{
	double *v = malloc(n * sizeof(double));
	if (!v)
		die("out of memory", NULL);
	for (size_t i = 0; i < n; i++)
		v[i] = normal() + shift;
	return v;
}

static int same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Seconds per uh_ks_2samp call on case k: best of 5 runs of C_REPS calls. */
static double time_uh(const struct bcase *k, struct uh_ks_result *r)
{
	struct uh_err err;
	double best = 1e300;
	volatile double sink = 0;

	for (int run = 0; run < 5; run++) {
		double t0 = now();
		for (int i = 0; i < C_REPS; i++) {
			if (uh_ks_2samp(k->x, k->nx, k->y, k->ny, r, &err))
				die("uh_ks_2samp failed", err.msg);
			sink += r->pvalue;
		}
		double t = (now() - t0) / C_REPS;
		if (t < best)
			best = t;
	}
	(void)sink;
	return best;
}

int main(void)
{
	const char *py = getenv("PYTHON_REF") ? getenv("PYTHON_REF") : "/usr/bin/python3";
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[4096], cmd[8192];
	int fail = 0, fd;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bench_ks_XXXXXX", tmpdir);
	if ((fd = mkstemp(path)) < 0 || !(f = fdopen(fd, "w")))
		die("cannot create a temp file in", tmpdir);
	for (size_t c = 0; c < NCASES; c++) {
		cases[c].x = sample(cases[c].nx, 0.0);
		cases[c].y = sample(cases[c].ny, cases[c].shift);
		fprintf(f, "%zu %zu\n", cases[c].nx, cases[c].ny);
		for (size_t i = 0; i < cases[c].nx; i++)
			fprintf(f, "%.17g%c", cases[c].x[i], i + 1 < cases[c].nx ? ' ' : '\n');
		for (size_t i = 0; i < cases[c].ny; i++)
			fprintf(f, "%.17g%c", cases[c].y[i], i + 1 < cases[c].ny ? ' ' : '\n');
	}
	if (fclose(f))
		die("cannot write", path);

	/* ---- uh, timed before and after the reference run (best of both),
	 * so a noisy neighbour during one of them does not decide the ratio */
	double best[NCASES];
	struct uh_ks_result res[NCASES];
	for (size_t c = 0; c < NCASES; c++)
		best[c] = time_uh(&cases[c], &res[c]);

	/* ---- scipy */
	snprintf(cmd, sizeof(cmd), "%s %s %s %d", py, REF_SCRIPT, path, PY_REPS);
	FILE *p = popen(cmd, "r");
	double py_sec[NCASES], py_p[NCASES], py_d[NCASES];
	if (!p)
		die("cannot run", cmd);
	for (size_t c = 0; c < NCASES; c++) {
		char line[256];
		if (!fgets(line, sizeof(line), p) ||
		    sscanf(line, "%lf %lf %lf", &py_sec[c], &py_p[c], &py_d[c]) != 3)
			die("bad output from", cmd);
	}
	if (pclose(p) != 0)
		die("reference failed:", cmd);
	unlink(path);

	for (size_t c = 0; c < NCASES; c++) {
		struct uh_ks_result r;
		double t = time_uh(&cases[c], &r);
		if (t < best[c])
			best[c] = t;
	}

	printf("%-24s %12s %12s %8s  %s\n", "case", "scipy us", "uh us", "ratio", "p-value");
	for (size_t c = 0; c < NCASES; c++) {
		struct bcase *k = &cases[c];
		struct uh_ks_result r = res[c];
		int ok = same_bits(r.pvalue, py_p[c]) && same_bits(r.statistic, py_d[c]);

		printf("%-24s %12.2f %12.2f %7.1fx  %.17g %s\n", k->name, py_sec[c] * 1e6, best[c] * 1e6,
		       py_sec[c] / best[c], r.pvalue, ok ? "(bit-identical)" : "MISMATCH");
		if (!ok) {
			fprintf(stderr, "bench_ks: %s: uh p=%.17g D=%.17g, scipy p=%.17g D=%.17g\n",
				k->name, r.pvalue, r.statistic, py_p[c], py_d[c]);
			fail = 1;
		}
		free(k->x);
		free(k->y);
	}
	return fail;
}
