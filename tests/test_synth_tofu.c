/*
 * suites/synth_tofu.c and `uh synth`: the synthetic TOFU dataset has the
 * upstream files' rows, fields and conventions (checked against the real
 * files in $UH_SHARED/data/tofu), is deterministic, and its forget/retain
 * splits and perturbations are what the metrics expect.
 */
#include "harness/cmds.h"
#include "harness/err.h"
#include "suites/synth_tofu.h"
#include "tests/testutil.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const files[] = {
	"full.json", "forget01.json", "forget05.json", "forget10.json",
	"retain99.json", "retain95.json", "retain90.json",
	"forget01_perturbed.json", "forget05_perturbed.json", "forget10_perturbed.json",
	"retain_perturbed.json", "real_authors.json", "real_authors_perturbed.json",
	"world_facts.json", "world_facts_perturbed.json",
};
#define N_FILES (sizeof(files) / sizeof(files[0]))

/* One file, read and split into lines. */
struct lines {
	char *buf;
	char **line;
	size_t n, len;
};

static struct lines read_lines(const char *dir, const char *name)
{
	char path[4096];
	struct lines l;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	l.buf = uh_test_slurp(path, &l.len);
	l.line = uh_test_lines(l.buf, l.len, &l.n);
	return l;
}

static void free_lines(struct lines *l)
{
	free(l->line);
	free(l->buf);
}

static char *make_dataset(uint64_t seed, int n_authors)
{
	char *dir = uh_test_tmpdir();
	struct uh_err err;
	int rc = uh_synth_tofu(dir, seed, n_authors, 0, &err);

	cr_assert_eq(rc, 0, "uh_synth_tofu: %s", err.msg);
	return dir;
}

static void rm_dataset(char *dir)
{
	char path[4096];

	for (size_t i = 0; i < N_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		remove(path);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, UH_SYNTH_MARKER);
	remove(path);
	rmdir(dir);
	free(dir);
}

static bool files_equal(const char *a_dir, const char *b_dir, const char *name)
{
	struct lines a = read_lines(a_dir, name), b = read_lines(b_dir, name);
	bool same = a.len == b.len && !memcmp(a.buf, b.buf, a.len);

	free_lines(&a);
	free_lines(&b);
	return same;
}

/* ------------------------------------------------------------------ determinism */

Test(synth_tofu, same_seed_same_bytes_other_seed_other_bytes)
{
	char *a = make_dataset(42, 100), *b = make_dataset(42, 100), *c = make_dataset(43, 100);

	for (size_t i = 0; i < N_FILES; i++) {
		cr_expect(files_equal(a, b, files[i]), "%s differs between two runs with seed 42", files[i]);
		cr_expect(!files_equal(a, c, files[i]), "%s is the same for seeds 42 and 43", files[i]);
	}
	rm_dataset(a);
	rm_dataset(b);
	rm_dataset(c);
}

/* ------------------------------------------------------------------ layout against the real files */

/* "question,answer,..." for one JSON object, and the size of perturbed_answer (-1 if none). */
static void signature(const char *line, char *sig, size_t cap, int *n_pert, const char *where)
{
	cJSON *o = cJSON_Parse(line);
	const cJSON *f;
	size_t n = 0;

	cr_assert(cJSON_IsObject(o), "%s: not a JSON object: %.80s", where, line);
	sig[0] = '\0';
	*n_pert = -1;
	cJSON_ArrayForEach(f, o) {
		n += (size_t)snprintf(sig + n, n < cap ? cap - n : 0, "%s%s", n ? "," : "", f->string);
		if (!strcmp(f->string, "perturbed_answer")) {
			const cJSON *s;

			cr_assert(cJSON_IsArray(f), "%s: perturbed_answer is not a list", where);
			cJSON_ArrayForEach(s, f) cr_assert(cJSON_IsString(s), "%s: perturbed_answer holds a non-string", where);
			*n_pert = cJSON_GetArraySize(f);
		} else {
			cr_assert(cJSON_IsString(f), "%s: field '%s' is not a string", where, f->string);
		}
	}
	cr_assert_lt(n, cap);
	cJSON_Delete(o);
}

Test(synth_tofu, rows_fields_and_conventions_match_upstream)
{
	char *dir = make_dataset(1, UH_SYNTH_TOFU_DEFAULT_AUTHORS);
	char real_dir[4096];

	snprintf(real_dir, sizeof(real_dir), "%s", uh_test_shared("data/tofu"));
	for (size_t i = 0; i < N_FILES; i++) {
		struct lines r = read_lines(real_dir, files[i]), s = read_lines(dir, files[i]);
		char want_sig[256], got_sig[256];
		int want_np, got_np;

		cr_expect_eq(s.n, r.n, "%s: %zu rows, upstream has %zu", files[i], s.n, r.n);
		/* Every upstream row of a file has the same fields in the same order. */
		signature(r.line[0], want_sig, sizeof(want_sig), &want_np, files[i]);
		for (size_t k = 0; k < s.n; k++) {
			char where[128];

			snprintf(where, sizeof(where), "%s line %zu", files[i], k + 1);
			signature(s.line[k], got_sig, sizeof(got_sig), &got_np, where);
			cr_assert_str_eq(got_sig, want_sig, "%s: fields %s, upstream %s", where, got_sig, want_sig);
			cr_assert_eq(got_np, want_np, "%s: perturbed_answer has %d items, upstream %d", where, got_np,
				     want_np);
		}
		for (size_t k = 1; k < r.n; k++) {
			signature(r.line[k], got_sig, sizeof(got_sig), &got_np, files[i]);
			cr_assert_str_eq(got_sig, want_sig, "upstream %s changes fields at line %zu", files[i], k + 1);
			cr_assert_eq(got_np, want_np);
		}
		/* Same final-newline and separator conventions, and ASCII-only bytes. */
		cr_expect_eq(s.len && s.buf[s.len - 1] == '\0', r.len && r.buf[r.len - 1] == '\0',
			     "%s: final newline differs from upstream", files[i]);
		cr_expect_eq(strstr(s.line[0], "\", \"") != NULL, strstr(r.line[0], "\", \"") != NULL,
			     "%s: separators differ from upstream", files[i]);
		for (size_t k = 0; k < s.len; k++)
			cr_assert_lt((unsigned char)s.buf[k], 0x80, "%s: byte %zu is not ASCII", files[i], k);
		free_lines(&r);
		free_lines(&s);
	}
	rm_dataset(dir);
}

/* ------------------------------------------------------------------ splits */

static void check_splits(const char *dir, size_t n_rows)
{
	static const int pct[3] = { 1, 5, 10 };
	struct lines full = read_lines(dir, "full.json");

	cr_assert_eq(full.n, n_rows);
	for (int k = 0; k < 3; k++) {
		char name[64];
		size_t nf = n_rows * (size_t)pct[k] / 100;
		struct lines f, r, p;

		snprintf(name, sizeof(name), "forget%02d.json", pct[k]);
		f = read_lines(dir, name);
		snprintf(name, sizeof(name), "retain%02d.json", 100 - pct[k]);
		r = read_lines(dir, name);
		snprintf(name, sizeof(name), "forget%02d_perturbed.json", pct[k]);
		p = read_lines(dir, name);
		cr_assert_eq(f.n, nf, "forget%02d: %zu rows, want %zu", pct[k], f.n, nf);
		cr_assert_eq(nf % UH_SYNTH_TOFU_QA_PER_AUTHOR, 0, "forget%02d splits an author", pct[k]);
		cr_assert_eq(r.n, n_rows - nf);
		cr_assert_eq(p.n, nf);
		for (size_t i = 0; i < nf; i++)
			cr_assert_str_eq(f.line[i], full.line[n_rows - nf + i], "forget%02d row %zu is not full's tail",
					 pct[k], i);
		for (size_t i = 0; i < r.n; i++)
			cr_assert_str_eq(r.line[i], full.line[i], "retain%02d row %zu is not full's head", 100 - pct[k], i);
		/* The perturbed file holds the forget rows, in order. */
		for (size_t i = 0; i < nf; i++) {
			cJSON *a = cJSON_Parse(p.line[i]), *b = cJSON_Parse(f.line[i]);

			cr_assert_str_eq(cJSON_GetObjectItem(a, "question")->valuestring,
					 cJSON_GetObjectItem(b, "question")->valuestring);
			cr_assert_str_eq(cJSON_GetObjectItem(a, "answer")->valuestring,
					 cJSON_GetObjectItem(b, "answer")->valuestring);
			cJSON_Delete(a);
			cJSON_Delete(b);
		}
		free_lines(&f);
		free_lines(&r);
		free_lines(&p);
	}
	{
		struct lines rp = read_lines(dir, "retain_perturbed.json");

		cr_assert_eq(rp.n, 400);
		for (size_t i = 0; i < rp.n; i++) {
			cJSON *a = cJSON_Parse(rp.line[i]), *b = cJSON_Parse(full.line[i]);

			cr_assert_str_eq(cJSON_GetObjectItem(a, "question")->valuestring,
					 cJSON_GetObjectItem(b, "question")->valuestring, "retain_perturbed row %zu", i);
			cr_assert_str_eq(cJSON_GetObjectItem(a, "answer")->valuestring,
					 cJSON_GetObjectItem(b, "answer")->valuestring);
			cJSON_Delete(a);
			cJSON_Delete(b);
		}
		free_lines(&rp);
	}
	free_lines(&full);
}

Test(synth_tofu, forget_is_the_tail_retain_the_head)
{
	char *dir = make_dataset(5, 200);

	check_splits(dir, 4000);
	rm_dataset(dir);
}

Test(synth_tofu, other_sizes_keep_whole_authors)
{
	char *dir = make_dataset(5, 100);

	check_splits(dir, 2000);
	rm_dataset(dir);
	dir = make_dataset(5, 300);
	check_splits(dir, 6000);
	rm_dataset(dir);
}

/* ------------------------------------------------------------------ perturbations */

static void check_perturbed(const char *dir, const char *name)
{
	struct lines p = read_lines(dir, name);

	for (size_t i = 0; i < p.n; i++) {
		cJSON *o = cJSON_Parse(p.line[i]);
		const char *q = cJSON_GetObjectItem(o, "question")->valuestring;
		const char *a = cJSON_GetObjectItem(o, "answer")->valuestring;
		const char *pa = cJSON_GetObjectItem(o, "paraphrased_answer")->valuestring;
		const char *pq = cJSON_GetObjectItem(o, "paraphrased_question")->valuestring;
		const cJSON *pert = cJSON_GetObjectItem(o, "perturbed_answer");

		cr_assert_str_neq(pa, a, "%s line %zu: paraphrase equals the answer", name, i + 1);
		cr_assert_str_neq(pq, q, "%s line %zu: paraphrased question equals the question", name, i + 1);
		for (int k = 0; k < 5; k++) {
			const char *pk = cJSON_GetArrayItem(pert, k)->valuestring;

			cr_assert_str_neq(pk, a, "%s line %zu: perturbed answer %d equals the answer", name, i + 1, k);
			cr_assert_str_neq(pk, pa, "%s line %zu: perturbed answer %d equals the paraphrase", name, i + 1, k);
			for (int j = 0; j < k; j++)
				cr_assert_str_neq(pk, cJSON_GetArrayItem(pert, j)->valuestring,
						  "%s line %zu: perturbed answers %d and %d are equal", name, i + 1, j, k);
		}
		cJSON_Delete(o);
	}
	free_lines(&p);
}

Test(synth_tofu, perturbed_and_paraphrased_answers_differ)
{
	char *dir = make_dataset(9, 200);

	check_perturbed(dir, "forget10_perturbed.json");
	check_perturbed(dir, "retain_perturbed.json");
	rm_dataset(dir);
}

/* The multiple-choice sets: answer among the options, perturbed = the other three. */
static void check_mc(const char *dir, const char *name, const char *pname, size_t n_rows)
{
	struct lines m = read_lines(dir, name), p = read_lines(dir, pname);
	struct lines full = read_lines(dir, "full.json");

	cr_assert_eq(m.n, n_rows);
	cr_assert_eq(p.n, n_rows);
	for (size_t i = 0; i < m.n; i++) {
		cJSON *o = cJSON_Parse(m.line[i]), *po = cJSON_Parse(p.line[i]);
		const char *ans = cJSON_GetObjectItem(o, "answer")->valuestring;
		const cJSON *pert = cJSON_GetObjectItem(po, "perturbed_answer");
		int hits = 0, j = 0;

		cr_assert_str_eq(cJSON_GetObjectItem(po, "question")->valuestring,
				 cJSON_GetObjectItem(o, "question")->valuestring);
		cr_assert_str_eq(cJSON_GetObjectItem(po, "answer")->valuestring, ans);
		for (int k = 1; k <= 4; k++) {
			char key[32];
			const char *opt;

			snprintf(key, sizeof(key), "option%d", k);
			opt = cJSON_GetObjectItem(o, key)->valuestring;
			if (!strcmp(opt, ans)) {
				hits++;
				continue;
			}
			cr_assert_str_eq(cJSON_GetArrayItem(pert, j)->valuestring, opt, "%s line %zu", pname, i + 1);
			j++;
		}
		cr_assert_eq(hits, 1, "%s line %zu: the answer is %d of the options", name, i + 1, hits);
		/* Who wrote what, and the invented capitals, are not taught by full. */
		if (!strncmp(cJSON_GetObjectItem(o, "question")->valuestring, "Who wrote", 9) ||
		    !strncmp(cJSON_GetObjectItem(o, "question")->valuestring, "What is the capital", 19))
			cr_assert_null(strstr(full.buf, ans), "%s line %zu: '%s' appears in full", name, i + 1, ans);
		cJSON_Delete(o);
		cJSON_Delete(po);
	}
	free_lines(&m);
	free_lines(&p);
	free_lines(&full);
}

Test(synth_tofu, multiple_choice_sets_are_consistent)
{
	char *dir = make_dataset(3, 200);

	check_mc(dir, "real_authors.json", "real_authors_perturbed.json", 100);
	check_mc(dir, "world_facts.json", "world_facts_perturbed.json", 117);
	rm_dataset(dir);
}

/* ------------------------------------------------------------------ arguments and folders */

Test(synth_tofu, authors_must_be_whole_hundreds)
{
	static const int bad[] = { 150, 0, -100, 99, 50, UH_SYNTH_TOFU_MAX_AUTHORS + 100 };
	char *dir = uh_test_tmpdir();
	struct uh_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(uh_synth_tofu(dir, 0, bad[i], 0, &err), UH_EINVAL, "authors %d accepted", bad[i]);
		cr_assert_not_null(strstr(err.msg, "multiple of 100"), "message: %s", err.msg);
	}
	rmdir(dir);
	free(dir);
}

Test(synth_tofu, cli_rejects_150_authors, .init = cr_redirect_stderr)
{
	char *dir = uh_test_tmpdir();
	char *argv[] = { "synth", "tofu", "--out", dir, "--authors", "150", NULL };

	cr_assert_eq(uh_cmd_synth(6, argv), 2);
	fflush(stderr);
	cr_assert_stderr_eq_str("uh synth tofu: number of authors must be a multiple of 100 from 100 to 2000, got 150 "
				"(forget01 is the last 1% of the authors and must hold whole authors)\n");
	rmdir(dir);
	free(dir);
}

Test(synth_tofu, cli_requires_out, .init = cr_redirect_stderr)
{
	char *argv[] = { "synth", "tofu", "--seed", "3", NULL };

	cr_assert_eq(uh_cmd_synth(4, argv), 2);
	fflush(stderr);
	cr_assert_stderr_eq_str("uh synth tofu: --out DIR is required\n");
}

Test(synth_tofu, cli_bad_values_and_kinds, .init = cr_redirect_stderr)
{
	char *seed[] = { "synth", "tofu", "--out", "x", "--seed", "-1", NULL };
	char *muse[] = { "synth", "muse", "--outx", "x", NULL };
	char *what[] = { "synth", "wiki", NULL };
	char *none[] = { "synth", NULL };

	cr_assert_eq(uh_cmd_synth(6, seed), 2);
	cr_assert_eq(uh_cmd_synth(4, muse), 2);
	cr_assert_eq(uh_cmd_synth(2, what), 2);
	cr_assert_eq(uh_cmd_synth(1, none), 2);
	fflush(stderr);
	cr_assert_stderr_eq_str("uh synth tofu: --seed must be an unsigned 64-bit integer, got '-1'\n"
				"uh synth muse: unknown option '--outx'\n"
				"uh synth: unknown kind 'wiki' (available: tofu, muse, hp)\n"
				"uh synth: missing the dataset kind (tofu, muse, hp)\n"
				"usage: uh synth <kind> --out DIR [--seed S] [--authors N | --size N] [--force]\n"
				"\n"
				"Write a synthetic dataset with an upstream benchmark's files and fields.\n"
				"The same arguments always give byte-identical files.\n"
				"\n"
				"kinds:\n"
				"  tofu   the 15 files of locuslab/TOFU about uh's own fictitious authors\n"
				"  muse   MUSE's verbmem/, knowmem/, privleak/ (and raw/) JSON files about\n"
				"         uh's invented local news (--size N stories per set, default 100)\n"
				"  hp     SOUL/FLAT's hp_{train,test}_qa_{50,100,200,300}.jsonl about uh's\n"
				"         invented saga, hp.jsonl, retain.jsonl, heldout.txt (--size N\n"
				"         passages, default 100)\n"
				"\n"
				"options:\n"
				"  --out DIR     output folder, created if missing (required)\n"
				"  --seed S      unsigned 64-bit seed (default 0)\n"
				"  --authors N   fictitious authors, a multiple of 100 from 100 to 2000 (default 200)\n"
				"  --force       write into a non-empty folder that an earlier synth run did not make\n");
}

Test(synth_tofu, folders_created_refused_or_forced, .init = cr_redirect_stdout)
{
	char *base = uh_test_tmpdir();
	char nested[4200], stray[4200], path[4400];
	struct uh_err err;
	struct stat st;
	FILE *f;

	/* A missing folder, parents included, is created; a marked one is rewritten. */
	snprintf(nested, sizeof(nested), "%s/a/b", base);
	cr_assert_eq(uh_synth_tofu(nested, 1, 100, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_synth_tofu(nested, 2, 100, 0, &err), 0, "%s", err.msg);
	{
		char *argv[] = { "synth", "tofu", "--out", nested, "--seed=3", "--authors=100", NULL };

		cr_assert_eq(uh_cmd_synth(6, argv), 0);
	}
	snprintf(path, sizeof(path), "%s/%s", nested, UH_SYNTH_MARKER);
	cr_assert_eq(stat(path, &st), 0);

	/* A non-empty folder without the marker is refused, unless forced. */
	snprintf(stray, sizeof(stray), "%s/mine", base);
	cr_assert_eq(mkdir(stray, 0700), 0);
	snprintf(path, sizeof(path), "%s/notes.txt", stray);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("keep me\n", f);
	fclose(f);
	cr_assert_eq(uh_synth_tofu(stray, 1, 100, 0, &err), UH_EINVAL);
	cr_assert_not_null(strstr(err.msg, "--force"), "message: %s", err.msg);
	snprintf(path, sizeof(path), "%s/full.json", stray);
	cr_assert_neq(stat(path, &st), 0, "a refused run wrote full.json");
	cr_assert_eq(uh_synth_tofu(stray, 1, 100, UH_SYNTH_FORCE, &err), 0, "%s", err.msg);
	cr_assert_eq(stat(path, &st), 0);

	/* No temporary files are left behind. */
	{
		char cmd[8192];

		snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q tmp", stray);
		cr_assert_neq(system(cmd), 0, "temporary files left in %s", stray);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
		cr_assert_eq(system(cmd), 0);
	}
	free(base);
}
