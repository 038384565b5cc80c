/*
 * `uh metric` driven in-process (uh_cmd_metric) on the shared vectors and
 * on bad input. stdout and stderr are redirected to files with freopen and
 * read back; printed numbers must parse back to the vectors' doubles bit for
 * bit.
 */
#include "harness/cmds.h"
#include "tests/testutil.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run {
	int status;
	char *out, *err;
	char *text;     /* stdout as printed (out is split into lines in place) */
	size_t outlen;
	char **lines;   /* output lines (into out) */
	size_t n;
};

static char *tmpfile_path(const char *name)
{
	static char *dir;
	char *p = malloc(4200);

	if (!dir)
		dir = uh_test_tmpdir();
	cr_assert_not_null(p);
	snprintf(p, 4200, "%s/%s", dir, name);
	return p;
}

static char *write_input(const char *name, const char *data, size_t len)
{
	char *path = tmpfile_path(name);
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return path;
}

/* Run `uh metric ARGS...` (NULL-terminated) with stdout/stderr captured. */
static void run_metric(struct run *res, ...)
{
	char *argv[16] = { "metric" };
	int argc = 1;
	char *outp = tmpfile_path("stdout"), *errp = tmpfile_path("stderr");
	va_list ap;
	char *a;

	va_start(ap, res);
	while ((a = va_arg(ap, char *)) != NULL) {
		cr_assert_lt(argc, 15);
		argv[argc++] = a;
	}
	va_end(ap);
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	cr_assert_not_null(freopen(outp, "w", stdout));
	cr_assert_not_null(freopen(errp, "w", stderr));
	res->status = uh_cmd_metric(argc, argv);
	fflush(stdout);
	fflush(stderr);
	cr_assert_not_null(freopen("/dev/null", "w", stdout));
	cr_assert_not_null(freopen("/dev/null", "w", stderr));

	res->out = uh_test_slurp(outp, &res->outlen);
	res->err = uh_test_slurp(errp, NULL);
	res->text = strdup(res->out);
	cr_assert_not_null(res->text);
	res->lines = uh_test_lines(res->out, res->outlen, &res->n);
	free(outp);
	free(errp);
}

static void run_free(struct run *res)
{
	free(res->lines);
	free(res->out);
	free(res->err);
	free(res->text);
}

static bool same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static const cJSON *get(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	cr_assert_not_null(v, "no field '%s'", k);
	return v;
}

/* Compare the numbers of two JSON lists (or two numbers) bit for bit. */
static void expect_same(const cJSON *got, const cJSON *want, const char *what, size_t line)
{
	if (cJSON_IsNumber(want)) {
		cr_assert(cJSON_IsNumber(got), "line %zu %s: not a number", line, what);
		cr_expect(same_bits(got->valuedouble, want->valuedouble),
			  "line %zu %s: got %.17g, want %.17g", line, what, got->valuedouble,
			  want->valuedouble);
		return;
	}
	cr_assert_eq(cJSON_GetArraySize(got), cJSON_GetArraySize(want), "line %zu %s", line, what);
	for (int i = 0; i < cJSON_GetArraySize(want); i++)
		expect_same(cJSON_GetArrayItem(got, i), cJSON_GetArrayItem(want, i), what, line);
}

/* Output line i parsed, and the vector file's line i parsed. */
struct pair {
	cJSON *got, *want;
};

static void pairs_init(struct pair *p, const struct run *res, char **vlines, size_t i)
{
	p->got = cJSON_Parse(res->lines[i]);
	p->want = cJSON_Parse(vlines[i]);
	cr_assert_not_null(p->got, "output line %zu is not JSON: %s", i + 1, res->lines[i]);
	cr_assert_not_null(p->want);
}

static void pairs_free(struct pair *p)
{
	cJSON_Delete(p->got);
	cJSON_Delete(p->want);
}

/* ---------------------------------------------------------------- vectors */

Test(cmd_metric, rouge_vectors)
{
	const char *path = uh_test_shared("vectors/rouge_vectors.jsonl");
	char *vpath = strdup(path);
	size_t len, nv;
	char *vbuf = uh_test_slurp(vpath, &len);
	char **v = uh_test_lines(vbuf, len, &nv);
	struct run res;
	static const char *const keys[] = { "rouge1", "rouge2", "rougeL", "rougeLsum" };

	run_metric(&res, "rouge", vpath, NULL);
	cr_assert_eq(res.status, 0, "%s", res.err);
	cr_assert_eq(res.n, nv);
	cr_assert_eq(nv, 582);
	for (size_t i = 0; i < nv; i++) {
		struct pair p;

		pairs_init(&p, &res, v, i);
		for (size_t k = 0; k < 4; k++)
			expect_same(get(p.got, keys[k]), get(p.want, keys[k]), keys[k], i + 1);
		pairs_free(&p);
	}
	run_free(&res);
	free(v);
	free(vbuf);
	free(vpath);
}

Test(cmd_metric, ks_vectors)
{
	char *vpath = strdup(uh_test_shared("vectors/ks_vectors.jsonl"));
	size_t len, nv;
	char *vbuf = uh_test_slurp(vpath, &len);
	char **v = uh_test_lines(vbuf, len, &nv);
	struct run res;

	run_metric(&res, "ks", vpath, NULL);
	cr_assert_eq(res.status, 0, "%s", res.err);
	cr_assert_eq(res.n, nv);
	for (size_t i = 0; i < nv; i++) {
		struct pair p;

		pairs_init(&p, &res, v, i);
		expect_same(get(p.got, "statistic"), get(p.want, "statistic"), "statistic", i + 1);
		expect_same(get(p.got, "pvalue"), get(p.want, "pvalue"), "pvalue", i + 1);
		cr_expect_str_eq(get(p.got, "path")->valuestring, get(p.want, "path")->valuestring,
				 "line %zu", i + 1);
		pairs_free(&p);
	}
	run_free(&res);
	free(v);
	free(vbuf);
	free(vpath);
}

Test(cmd_metric, bleu_vectors_sacrebleu)
{
	char *vpath = strdup(uh_test_shared("vectors/bleu_vectors.jsonl"));
	size_t len, nv;
	char *vbuf = uh_test_slurp(vpath, &len);
	char **v = uh_test_lines(vbuf, len, &nv);
	struct run res;
	static const char *const keys[] = { "counts", "totals", "sys_len", "ref_len", "bp" };

	run_metric(&res, "bleu", vpath, NULL);
	cr_assert_eq(res.status, 0, "%s", res.err);
	cr_assert_eq(res.n, nv);
	for (size_t i = 0; i < nv; i++) {
		struct pair p;
		const cJSON *corpus;

		pairs_init(&p, &res, v, i);
		corpus = get(p.want, "sacrebleu_corpus_bleu");
		expect_same(get(p.got, "score"), get(get(p.want, "sacrebleu_sentence_bleu"), "score"),
			    "sentence score", i + 1);
		for (size_t k = 0; k < 5; k++)
			expect_same(get(p.got, keys[k]), get(corpus, keys[k]), keys[k], i + 1);
		pairs_free(&p);
	}
	run_free(&res);
	free(v);
	free(vbuf);
	free(vpath);
}

Test(cmd_metric, bleu_vectors_nltk)
{
	char *vpath = strdup(uh_test_shared("vectors/bleu_vectors.jsonl"));
	size_t len, nv;
	char *vbuf = uh_test_slurp(vpath, &len);
	char **v = uh_test_lines(vbuf, len, &nv);

	for (int m = 0; m <= 7; m++) {
		char arg[2] = { (char)('0' + m), 0 }, key[24];
		struct run res;

		snprintf(key, sizeof(key), "method%d", m);
		run_metric(&res, "bleu", vpath, "--nltk-method", arg, NULL);
		cr_assert_eq(res.status, 0, "%s", res.err);
		cr_assert_eq(res.n, nv);
		for (size_t i = 0; i < nv; i++) {
			struct pair p;
			const cJSON *want;

			pairs_init(&p, &res, v, i);
			want = get(get(p.want, "nltk_sentence_bleu_whitespace_tokens"), key);
			if (cJSON_IsNull(want))
				cr_expect(cJSON_IsNull(get(p.got, "nltk")), "line %zu %s: want null",
					  i + 1, key);
			else
				expect_same(get(p.got, "nltk"), want, key, i + 1);
			pairs_free(&p);
		}
		run_free(&res);
	}
	free(v);
	free(vbuf);
	free(vpath);
}

/* --corpus on one line is corpus_bleu([hyp], [[ref]]); on the whole file its
 * statistics are the sums of the lines'. */
Test(cmd_metric, bleu_corpus)
{
	char *vpath = strdup(uh_test_shared("vectors/bleu_vectors.jsonl"));
	size_t len, nv;
	char *vbuf = uh_test_slurp(vpath, &len);
	char **v = uh_test_lines(vbuf, len, &nv);
	struct run res;
	double sums[4] = { 0 }, sys = 0;
	cJSON *o;

	for (size_t i = 0; i < 40; i++) {
		char *in = write_input("one.jsonl", v[i], strlen(v[i]));
		struct pair p;

		run_metric(&res, "bleu", "--corpus", in, NULL);
		cr_assert_eq(res.status, 0, "%s", res.err);
		cr_assert_eq(res.n, 1);
		pairs_init(&p, &res, v, 0);
		cJSON_Delete(p.want);
		p.want = cJSON_Parse(v[i]);
		expect_same(get(p.got, "score"), get(get(p.want, "sacrebleu_corpus_bleu"), "score"),
			    "corpus score", i + 1);
		pairs_free(&p);
		run_free(&res);
		free(in);
	}

	for (size_t i = 0; i < nv; i++) {
		cJSON *w = cJSON_Parse(v[i]);
		const cJSON *c = get(w, "sacrebleu_corpus_bleu");

		for (int k = 0; k < 4; k++)
			sums[k] += cJSON_GetArrayItem(get(c, "counts"), k)->valuedouble;
		sys += get(c, "sys_len")->valuedouble;
		cJSON_Delete(w);
	}
	run_metric(&res, "bleu", vpath, "--corpus", NULL);
	cr_assert_eq(res.status, 0, "%s", res.err);
	cr_assert_eq(res.n, 1);
	o = cJSON_Parse(res.lines[0]);
	cr_assert_not_null(o);
	for (int k = 0; k < 4; k++)
		cr_expect_eq(cJSON_GetArrayItem(get(o, "counts"), k)->valuedouble, sums[k]);
	cr_expect_eq(get(o, "sys_len")->valuedouble, sys);
	cr_expect_eq(get(o, "segments")->valuedouble, (double)nv);
	cJSON_Delete(o);
	run_free(&res);
	free(v);
	free(vbuf);
	free(vpath);
}

Test(cmd_metric, bleu_several_references)
{
	static const char in[] =
		"{\"hypothesis\":\"the cat is on the mat\",\"reference\":[\"The cat sat on the mat.\","
		"\"the cat is on the mat\"]}\n";
	char *path = write_input("multi.jsonl", in, sizeof(in) - 1);
	struct run res;
	cJSON *o;

	run_metric(&res, "bleu", path, NULL);
	cr_assert_eq(res.status, 0, "%s", res.err);
	cr_assert_eq(res.n, 1);
	o = cJSON_Parse(res.lines[0]);
	/* The second reference matches exactly: every precision is 100 (the
	 * score is exp(log(100)) = 100.00000000000004, as in Python). */
	cr_expect(strstr(res.lines[0], "\"counts\":[6,5,4,3],\"totals\":[6,5,4,3],"
				       "\"precisions\":[100,100,100,100]") != NULL, "%s", res.lines[0]);
	cr_expect_eq(get(o, "ref_len")->valuedouble, 6.0);
	cJSON_Delete(o);
	run_free(&res);
	free(path);
}

Test(cmd_metric, stem_vectors_plain)
{
	size_t len, nv, wlen = 0;
	char *vbuf = uh_test_slurp(uh_test_shared("vectors/porter_vectors.tsv"), &len);
	char **v = uh_test_lines(vbuf, len, &nv);
	char *words = malloc(len + 1), *path;
	struct run res;

	cr_assert_gt(nv, 10000);
	for (size_t i = 0; i < nv; i++) {
		size_t w = strcspn(v[i], "\t");

		memcpy(words + wlen, v[i], w);
		wlen += w;
		words[wlen++] = '\n';
	}
	path = write_input("words.txt", words, wlen);
	run_metric(&res, "stem", path, "--plain", NULL);
	cr_assert_eq(res.status, 0, "%s", res.err);
	cr_assert_eq(res.n, nv);
	for (size_t i = 0; i < nv; i++) {
		cJSON *o = cJSON_Parse(res.lines[i]);
		char *tab = strchr(v[i], '\t');

		cr_assert_not_null(o);
		*tab = '\0';
		cr_expect_str_eq(get(o, "word")->valuestring, v[i]);
		cr_expect_str_eq(get(o, "stem")->valuestring, tab + 1, "word '%s'", v[i]);
		cJSON_Delete(o);
	}
	run_free(&res);
	free(path);
	free(words);
	free(v);
	free(vbuf);
}

/* Run KIND on text (written to the file name); expect status 0 and exactly the lines want
 * (NULL-terminated). */
static void good(const char *kind, const char *name, const char *text, size_t len,
		 const char *const *want)
{
	char *path = write_input(name, text, len);
	struct run res;
	size_t n = 0;

	while (want[n])
		n++;

	run_metric(&res, kind, path, NULL);
	cr_assert_eq(res.status, 0, "%s", res.err);
	cr_assert_eq(res.n, n);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(res.lines[i], want[i]);
	run_free(&res);
	free(path);
}

#define GOOD(kind, name, text, ...) \
	good(kind, name, text, sizeof(text) - 1, (const char *const[]){ __VA_ARGS__, NULL })

Test(cmd_metric, stem_json_and_ids)
{
	static const char in[] = "{\"id\":\"a\\\"b\\n\\u00e9\",\"word\":\"Running\"}\n"
				 "\n"
				 "{\"word\":\"flies\",\"id\":7}\n"
				 "{\"word\":\"x\\ty\",\"id\":-0.5}\n";

	GOOD("stem", "stem.jsonl", in, "{\"id\":\"a\\\"b\\n\xc3\xa9\",\"word\":\"Running\",\"stem\":\"run\"}",
	     "{\"id\":7,\"word\":\"flies\",\"stem\":\"fli\"}",
	     "{\"id\":-0.5,\"word\":\"x\\ty\",\"stem\":\"x\\ti\"}");
}

Test(cmd_metric, auc_cases)
{
	static const char in[] =
		"{\"scores\":[0.1,0.4,0.35,0.8],\"labels\":[0,0,1,1]}\n"
		"{\"scores\":[1,2,3],\"labels\":[0,1,1]}\n"
		"{\"scores\":[1,1,1,1],\"labels\":[0,1,0,1]}\n"
		"{\"scores\":[3,2,1],\"labels\":[0,1,1],\"id\":\"rev\"}\n";

	GOOD("auc", "auc.jsonl", in, "{\"auc\":0.75}", "{\"auc\":1}", "{\"auc\":0.5}",
	     "{\"id\":\"rev\",\"auc\":0}");
}

Test(cmd_metric, rouge_stem_flag_and_default)
{
	static const char in[] = "{\"target\":\"cats running\",\"prediction\":\"cat runs\"}\n"
				 "{\"target\":\"cats running\",\"prediction\":\"cat runs\",\"use_stemmer\":true}\n";
	char *path = write_input("r.jsonl", in, sizeof(in) - 1);
	struct run res;

	run_metric(&res, "rouge", path, NULL);
	cr_assert_eq(res.status, 0, "%s", res.err);
	cr_assert_eq(res.n, 2);
	cr_expect(strstr(res.lines[0], "\"rouge1\":[1,1,1]") != NULL, "%s", res.lines[0]);
	run_free(&res);

	run_metric(&res, "rouge", path, "--no-stem", NULL);
	cr_assert_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.lines[0], "\"rouge1\":[0,0,0]") != NULL, "%s", res.lines[0]);
	cr_expect(strstr(res.lines[1], "\"rouge1\":[1,1,1]") != NULL, "%s", res.lines[1]);
	run_free(&res);
	free(path);
}

/* The examples in `uh metric KIND --help` are what the command prints. */
Test(cmd_metric, help_examples_are_true)
{
	static const struct {
		const char *kind, *in, *out;
	} ex[] = {
		{ "rouge", "{\"id\":1,\"target\":\"the cat sat\",\"prediction\":\"the cats sat down\"}\n",
		  "{\"id\":1,\"rouge1\":[0.75,1,0.8571428571428571],\"rouge2\":[0.66666666666666663,1,0.80000000000000004]," },
		{ "ks", "{\"x\":[1,2,3],\"y\":[4,5,6,7]}\n",
		  "{\"statistic\":1,\"pvalue\":0.057142857142857148,\"path\":\"exact\"}" },
		{ "bleu", "{\"hypothesis\":\"the cat is on the mat\",\"reference\":\"The cat sat on the mat.\"}\n",
		  "{\"score\":27.482545710800192,\"counts\":[4,2,1,0],\"totals\":[6,5,4,3]," },
		{ "auc", "{\"scores\":[0.1,0.4,0.35,0.8],\"labels\":[0,0,1,1]}\n", "{\"auc\":0.75}" },
	};

	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		char *path = write_input("ex.jsonl", ex[i].in, strlen(ex[i].in));
		struct run res, help;

		run_metric(&res, ex[i].kind, path, NULL);
		cr_assert_eq(res.status, 0, "%s", res.err);
		cr_expect(!strncmp(res.lines[0], ex[i].out, strlen(ex[i].out)), "%s: %s", ex[i].kind,
			  res.lines[0]);
		run_metric(&help, ex[i].kind, "--help", NULL);
		cr_assert_eq(help.status, 0);
		cr_expect(strstr(help.text, ex[i].out) != NULL, "%s --help lacks its example output: %s",
			  ex[i].kind, help.text);
		cr_expect(strstr(help.text, "input fields:") && strstr(help.text, "output fields:") &&
			  strstr(help.text, "example:"), "%s --help", ex[i].kind);
		run_free(&help);
		run_free(&res);
		free(path);
	}
}

Test(cmd_metric, help_and_usage)
{
	struct run res;

	run_metric(&res, "--help", NULL);
	cr_expect_eq(res.status, 0);
	cr_expect(strstr(res.text, "usage: uh metric KIND") != NULL);
	run_free(&res);
	run_metric(&res, "stem", "--help", NULL);
	cr_expect_eq(res.status, 0);
	cr_expect(strstr(res.text, "--plain") != NULL);
	run_free(&res);
	run_metric(&res, NULL);
	cr_expect_eq(res.status, 2);
	cr_expect(strstr(res.err, "usage:") != NULL);
	run_free(&res);

	run_metric(&res, "bogus", NULL);
	cr_expect_eq(res.status, 2);
	cr_expect(strstr(res.err, "unknown kind 'bogus'") != NULL, "%s", res.err);
	run_free(&res);
	run_metric(&res, "ks", "--stem", NULL);
	cr_expect_eq(res.status, 2);
	cr_expect(strstr(res.err, "unknown option '--stem'") != NULL, "%s", res.err);
	run_free(&res);
	run_metric(&res, "ks", "a", "b", NULL);
	cr_expect_eq(res.status, 2);
	cr_expect(strstr(res.err, "more than one input") != NULL, "%s", res.err);
	run_free(&res);
	run_metric(&res, "bleu", "--nltk-method", "8", NULL);
	cr_expect_eq(res.status, 2);
	cr_expect(strstr(res.err, "0..7") != NULL, "%s", res.err);
	run_free(&res);
	run_metric(&res, "bleu", "--corpus", "--nltk-method", "1", NULL);
	cr_expect_eq(res.status, 2);
	run_free(&res);
	run_metric(&res, "ks", "--max-line", "0", NULL);
	cr_expect_eq(res.status, 2);
	run_free(&res);
	run_metric(&res, "ks", "/nonexistent/in.jsonl", NULL);
	cr_expect_eq(res.status, 2);
	cr_expect(strstr(res.err, "input '/nonexistent/in.jsonl': cannot open") != NULL, "%s",
		  res.err);
	run_free(&res);
}

/* ---------------------------------------------------------------- bad input */

/* Run KIND on text; expect status 2, the words in the message, and exactly
 * good_lines lines of output (those before the bad line). */
static void bad(const char *kind, const char *text, size_t len, size_t good_lines,
		const char *const *words)
{
	char *path = write_input("bad.jsonl", text, len);
	struct run res;

	run_metric(&res, kind, path, NULL);
	cr_expect_eq(res.status, 2, "%s: status %d for %.80s", kind, res.status, text);
	cr_expect_eq(res.n, good_lines, "%s: %zu output lines", kind, res.n);
	cr_expect(!strncmp(res.err, "uh metric: input '", 18), "%s", res.err);
	for (; *words; words++)
		cr_expect(strstr(res.err, *words) != NULL, "message '%s' lacks '%s'", res.err, *words);
	run_free(&res);
	free(path);
}

#define BAD(kind, text, good, ...) \
	bad(kind, text, sizeof(text) - 1, good, (const char *const[]){ __VA_ARGS__, NULL })

Test(cmd_metric, bad_lines)
{
	BAD("rouge", "{\"target\":\"a\",\"prediction\":}\n", 0, "bad.jsonl' line 1:",
	    "invalid JSON at column 28");
	BAD("ks", "{\"x\":[1],\"y\":[2]}\n{\"x\":\"1,2\",\"y\":[2]}\n", 1, "line 2:",
	    "field 'x' must be a non-empty list of finite numbers, got string");
	BAD("rouge", "{\"target\":\"a\"}\n", 0, "field 'prediction' is missing");
	BAD("ks", "{\"x\":[NaN],\"y\":[1]}\n", 0, "line 1:", "NaN and Infinity");
	BAD("ks", "{\"x\":[1],\"y\":[1e999]}\n", 0, "field 'y'", "overflows");
	BAD("rouge", "{\"target\":\"caf\xe9\",\"prediction\":\"x\"}\n", 0, "invalid UTF-8 at column 15");
	BAD("rouge", "{\"target\":\"a\",\"prediction\":\"b\",\"use_stemmer\":1}\n", 0,
	    "field 'use_stemmer' must be true or false, got number");
	BAD("rouge", "{\"target\":\"a\",\"prediction\":\"b\",\"id\":[1]}\n", 0,
	    "field 'id' must be a string or a finite number, got list");
	BAD("bleu", "{\"hypothesis\":\"a\",\"reference\":[]}\n", 0, "field 'reference'",
	    "got an empty list");
	BAD("bleu", "{\"hypothesis\":1,\"reference\":\"a\"}\n", 0, "field 'hypothesis' must be a string");
	BAD("auc", "{\"scores\":[1,2],\"labels\":[0,2]}\n", 0, "field 'labels' must be a list of 0 and 1",
	    "got 2 at index 1");
	BAD("auc", "{\"scores\":[1,2],\"labels\":[0]}\n", 0, "same length, got 2 and 1");
	BAD("auc", "{\"scores\":[1,2],\"labels\":[1,1]}\n", 0, "bad.jsonl' line 1: ");
	BAD("stem", "{\"word\":\"na\xc3\xafve\"}\n", 0, "field 'word' must be an ASCII string");
	BAD("stem", "[\"word\"]\n", 0, "line must be a JSON object, got list");
}

/* bleu --corpus prints nothing at all when a line is bad. */
Test(cmd_metric, bad_line_in_corpus_prints_nothing)
{
	static const char in[] = "{\"hypothesis\":\"a b\",\"reference\":\"a b\"}\n{\"hypothesis\":\"a\"}\n";
	char *path = write_input("corpus.jsonl", in, sizeof(in) - 1);
	struct run res;

	run_metric(&res, "bleu", "--corpus", path, NULL);
	cr_expect_eq(res.status, 2);
	cr_expect_eq(res.outlen, 0);
	cr_expect(strstr(res.err, "corpus.jsonl' line 2: field 'reference' is missing") != NULL, "%s",
		  res.err);
	run_free(&res);
	free(path);
}

Test(cmd_metric, empty_input_prints_nothing)
{
	char *path = write_input("empty.jsonl", "", 0);
	char *blank = write_input("blank.jsonl", "\n  \n\r\n", 6);
	const char *kinds[] = { "rouge", "stem", "ks", "bleu", "auc" };
	struct run res;

	for (size_t i = 0; i < 5; i++) {
		run_metric(&res, kinds[i], path, NULL);
		cr_expect_eq(res.status, 0, "%s: %s", kinds[i], res.err);
		cr_expect_eq(res.outlen, 0);
		run_free(&res);
		run_metric(&res, kinds[i], blank, NULL);
		cr_expect_eq(res.status, 0, "%s: %s", kinds[i], res.err);
		cr_expect_eq(res.outlen, 0);
		run_free(&res);
	}
	run_metric(&res, "bleu", path, "--corpus", NULL);
	cr_expect_eq(res.status, 0);
	cr_expect_eq(res.outlen, 0);
	run_free(&res);
	free(path);
	free(blank);
}

/* A 10 MB line past --max-line 1M: refused, the line before it stays printed. */
Test(cmd_metric, long_line)
{
	size_t big = 10u << 20;
	static const char first[] = "{\"word\":\"flies\"}\n";
	char *text = malloc(sizeof(first) + big + 32);
	char *path;
	size_t len = 0;
	struct run res;

	memcpy(text, first, sizeof(first) - 1);
	len = sizeof(first) - 1;
	len += (size_t)sprintf(text + len, "{\"word\":\"");
	memset(text + len, 'a', big);
	len += big;
	len += (size_t)sprintf(text + len, "\"}\n");
	path = write_input("long.jsonl", text, len);
	run_metric(&res, "stem", path, "--max-line", "1M", NULL);
	cr_expect_eq(res.status, 2);
	cr_expect_eq(res.n, 1);
	cr_expect(strstr(res.err, "long.jsonl' line 2: line is longer than the limit of 1 MiB") != NULL,
		  "%s", res.err);
	run_free(&res);
	free(path);
	free(text);
}

/* '-' and no FILE both read stdin; messages call it <stdin>. */
Test(cmd_metric, stdin_input)
{
	static const char in[] = "{\"word\":\"flies\"}\n{\"word\":3}\n";
	char *path = write_input("stdin.jsonl", in, sizeof(in) - 1);
	struct run res;

	cr_assert_not_null(freopen(path, "r", stdin));
	run_metric(&res, "stem", "-", NULL);
	cr_expect_eq(res.status, 2);
	cr_expect_eq(res.n, 1);
	cr_expect_str_eq(res.lines[0], "{\"word\":\"flies\",\"stem\":\"fli\"}");
	cr_expect(strstr(res.err, "input '<stdin>' line 2: field 'word' must be a string, got number") !=
		  NULL, "%s", res.err);
	run_free(&res);

	cr_assert_not_null(freopen(path, "r", stdin));
	run_metric(&res, "stem", NULL);
	cr_expect_eq(res.status, 2);
	cr_expect_eq(res.n, 1);
	run_free(&res);
	free(path);
}
