/* metrics/bleu.c against sacrebleu 2.6.0 and nltk 3.8 (shared/vectors/bleu_vectors.jsonl). */
#include "metrics/bleu.h"
#include "tests/testutil.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	cr_assert(cJSON_IsNumber(v), "field '%s' missing", key);
	return v->valuedouble;
}

static void check_tok(const char *in, const char *want, size_t line)
{
	struct uh_err err;
	char *got;

	cr_assert_eq(uh_bleu_tok13a(in, &got, &err), 0, "line %zu: %s", line, err.msg);
	cr_expect_str_eq(got, want, "line %zu: 13a", line);
	free(got);
}

static double corpus_score(const char *hyp, const char *ref, enum uh_bleu_smooth sm)
{
	struct uh_bleu_opts o;
	struct uh_bleu_result r;
	struct uh_err err;
	const char *const *streams[1] = { &ref };

	uh_bleu_opts_corpus(&o);
	o.smooth = sm;
	cr_assert_eq(uh_bleu_corpus(&hyp, 1, streams, 1, &o, &r, &err), 0, "%s", err.msg);
	return r.score;
}

Test(bleu, all_vectors_bit_for_bit)
{
	size_t len, n, checked = 0, m6_errors = 0;
	char *buf = uh_test_slurp(uh_test_shared("vectors/bleu_vectors.jsonl"), &len);
	char **lines = uh_test_lines(buf, len, &n);

	cr_assert_eq(n, 291);
	for (size_t i = 0; i < n; i++) {
		size_t ln = i + 1;
		cJSON *o = cJSON_Parse(lines[i]);
		const char *hyp, *ref;
		const cJSON *cb, *nl, *v;
		struct uh_bleu_result r;
		struct uh_err err;
		const char *const *streams[1];

		cr_assert_not_null(o, "line %zu: bad json", ln);
		hyp = cJSON_GetObjectItem(o, "hypothesis")->valuestring;
		ref = cJSON_GetObjectItem(o, "reference")->valuestring;
		streams[0] = &ref;
		check_tok(hyp, cJSON_GetObjectItem(o, "tok13a_hyp")->valuestring, ln);
		check_tok(ref, cJSON_GetObjectItem(o, "tok13a_ref")->valuestring, ln);

		cb = cJSON_GetObjectItem(o, "sacrebleu_corpus_bleu");
		cr_assert_eq(uh_bleu_corpus(&hyp, 1, streams, 1, NULL, &r, &err), 0, "%s", err.msg);
		cr_expect(same_bits(r.score, num(cb, "score")), "line %zu: score %.17g want %.17g", ln,
			  r.score, num(cb, "score"));
		cr_expect(same_bits(r.bp, num(cb, "bp")), "line %zu: bp", ln);
		cr_expect_eq(r.sys_len, (long)num(cb, "sys_len"), "line %zu: sys_len", ln);
		cr_expect_eq(r.ref_len, (long)num(cb, "ref_len"), "line %zu: ref_len", ln);
		for (int k = 0; k < 4; k++) {
			cr_expect_eq(r.counts[k],
				     (long)cJSON_GetArrayItem(cJSON_GetObjectItem(cb, "counts"), k)->valuedouble,
				     "line %zu: counts[%d]", ln, k);
			cr_expect_eq(r.totals[k],
				     (long)cJSON_GetArrayItem(cJSON_GetObjectItem(cb, "totals"), k)->valuedouble,
				     "line %zu: totals[%d]", ln, k);
		}

		cr_assert_eq(uh_bleu_sentence(hyp, &ref, 1, NULL, &r, &err), 0, "%s", err.msg);
		cr_expect(same_bits(r.score, num(cJSON_GetObjectItem(o, "sacrebleu_sentence_bleu"), "score")),
			  "line %zu: sentence_bleu %.17g", ln, r.score);
		cr_expect(same_bits(corpus_score(hyp, ref, UH_BLEU_SMOOTH_NONE),
				    num(o, "sacrebleu_corpus_bleu_smooth_none")), "line %zu: none", ln);
		cr_expect(same_bits(corpus_score(hyp, ref, UH_BLEU_SMOOTH_FLOOR),
				    num(o, "sacrebleu_corpus_bleu_smooth_floor")), "line %zu: floor", ln);
		cr_expect(same_bits(corpus_score(hyp, ref, UH_BLEU_SMOOTH_ADD_K),
				    num(o, "sacrebleu_corpus_bleu_smooth_add-k")), "line %zu: add-k", ln);

		nl = cJSON_GetObjectItem(o, "nltk_sentence_bleu_whitespace_tokens");
		for (int m = 0; m <= 7; m++) {
			char key[32];
			double got;
			int rc;

			snprintf(key, sizeof(key), "method%d", m);
			v = cJSON_GetObjectItem(nl, key);
			rc = uh_bleu_nltk_sentence(hyp, &ref, 1, (enum uh_bleu_nltk_method)m, &got, &err);
			if (cJSON_IsNull(v)) {
				cr_expect_eq(m, 6, "line %zu: null for %s", ln, key);
				cr_expect_eq(rc, UH_EINVAL, "line %zu: %s should fail", ln, key);
				m6_errors++;
				continue;
			}
			cr_assert_eq(rc, 0, "line %zu: %s: %s", ln, key, err.msg);
			cr_expect(same_bits(got, v->valuedouble), "line %zu: %s %.17g want %.17g", ln,
				  key, got, v->valuedouble);
		}
		checked++;
		cJSON_Delete(o);
	}
	cr_expect_eq(checked, 291);
	cr_expect_eq(m6_errors, 102);
	free(lines);
	free(buf);
}

/*
 * Tokenizer corners, expected strings from a line-by-line Python
 * transcription of spec §4.1 with Python's re (entities decoded in order,
 * ASCII-only digits, Python whitespace for the final split).
 */
Test(bleu, tok13a_corners)
{
	static const char *const cases[][2] = {
		{ "&amp;lt;b&amp;gt; &quot;x&quot;", "< b > \" x \"" },
		{ "a<skipped>b", "ab" },
		{ "line-\nbreak", "linebreak" },
		{ "1,000.50 and 3.14, x.y", "1,000.50 and 3.14 , x . y" },
		{ "2020-2021 a-b 5-", "2020 - 2021 a-b 5 -" },
		{ "...,,..", ". . . , , . ." },
		{ "\xc3\xa9t\xc3\xa9.\xe3\x80\x80\xe2\x80\x83x\xc2\xa0y\x1cz", "\xc3\xa9t\xc3\xa9 . x y z" },
		{ "tab\there\xe2\x80\xa8", "tab here" },
		{ "e.g. U.S.A.", "e . g . U . S . A ." },
		{ "$5.00/hour @home #tag {x}|[y]^_`~", "$ 5.00 / hour @ home # tag { x } | [ y ] ^ _ ` ~" },
		/* U+0661 ARABIC-INDIC DIGIT ONE is not [0-9] */
		{ "caf\xc3\xa9,5 \xd9\xa1.5", "caf\xc3\xa9 , 5 \xd9\xa1 . 5" },
		/* U+200B is not whitespace to Python */
		{ "x\xe2\x80\x8by", "x\xe2\x80\x8by" },
		/* invalid UTF-8 bytes pass through as characters */
		{ "a\xff.b \xc3", "a\xff . b \xc3" },
		{ "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_tok(cases[i][0], cases[i][1], i + 1);
}

/* Several references: max clipped counts, closest length (ties to the shorter), NULL dropped. */
Test(bleu, multi_reference_and_corpus)
{
	const char *hyp = "the cat the cat";
	const char *r1 = "the cat", *r2 = "the the cat cat x", *rnull = NULL;
	const char *const refs[] = { r1, r2 };
	struct uh_bleu_result r, a, b;
	struct uh_err err;
	double want;

	cr_assert_eq(uh_bleu_sentence(hyp, refs, 2, NULL, &r, &err), 0, "%s", err.msg);
	{
		const long c[4] = { 4, 1, 0, 0 }, t[4] = { 4, 3, 2, 1 };

		for (int k = 0; k < 4; k++) {
			cr_expect_eq(r.counts[k], c[k], "counts[%d]", k);
			cr_expect_eq(r.totals[k], t[k], "totals[%d]", k);
		}
	}
	cr_expect_eq(r.sys_len, 4);
	cr_expect_eq(r.ref_len, 5); /* |4-2| = 2 > |4-5| = 1 */
	cr_expect(same_bits(r.bp, exp(1.0 - 5.0 / 4.0)));
	/* exp smoothing: 100, 100/3, then 100/(2*2), 100/(4*1) */
	want = exp(1.0 - 5.0 / 4.0) *
	       exp((log(100.0) + log(100.0 * 1 / 3) + log(100.0 / 4) + log(100.0 / 4)) / 4);
	cr_expect(same_bits(r.score, want), "%.17g vs %.17g", r.score, want);

	/* closest length tie (|3-2| == |3-4|) goes to the shorter reference */
	{
		const char *const tie[] = { "a b c d", "a b" };

		cr_assert_eq(uh_bleu_sentence("a b c", tie, 2, NULL, &r, &err), 0);
		cr_expect_eq(r.ref_len, 2);
	}

	/* a NULL reference is dropped; a segment left with none is an error */
	{
		const char *const *streams[2] = { &r1, &rnull };

		cr_assert_eq(uh_bleu_corpus(&hyp, 1, streams, 2, NULL, &r, &err), 0);
		cr_expect_eq(r.ref_len, 2);
		streams[0] = &rnull;
		cr_expect_eq(uh_bleu_corpus(&hyp, 1, streams, 2, NULL, &r, &err), UH_EINVAL);
		cr_expect(strstr(err.msg, "no reference") != NULL, "%s", err.msg);
	}

	/* a corpus sums the per-segment statistics */
	{
		const char *hyps[2] = { "the cat is on the mat", "a quick brown fox jumps" };
		const char *rs[2] = { "The cat sat on the mat.", "the quick brown fox jumped over" };
		const char *const *streams[1] = { rs };

		cr_assert_eq(uh_bleu_corpus(hyps, 2, streams, 1, NULL, &r, &err), 0);
		cr_assert_eq(uh_bleu_corpus(&hyps[0], 1, (const char *const *[]){ &rs[0] }, 1, NULL, &a, &err), 0);
		cr_assert_eq(uh_bleu_corpus(&hyps[1], 1, (const char *const *[]){ &rs[1] }, 1, NULL, &b, &err), 0);
		for (int k = 0; k < 4; k++) {
			cr_expect_eq(r.counts[k], a.counts[k] + b.counts[k]);
			cr_expect_eq(r.totals[k], a.totals[k] + b.totals[k]);
		}
		cr_expect_eq(r.sys_len, a.sys_len + b.sys_len);
		cr_expect_eq(r.ref_len, a.ref_len + b.ref_len);
	}
}

/* nltk 3.8 sentence_bleu with several references (values from Debian python3-nltk). */
Test(bleu, nltk_multi_reference)
{
	static const struct {
		const char *hyp, *refs[3];
		double want[8]; /* method0..7; -1 = AssertionError */
	} cases[] = {
		{ "the cat sat on the mat today",
		  { "a cat sat on the mat", "the cat was sitting on the mat today ok",
		    "there is a cat on the mat" },
		  { 0.8801117367933934, 0.8801117367933934, 0.9036020036098449, 0.8801117367933934,
		    0.8801117367933934, 0.940398616869681, 0.9163202394290618, 0.940398616869681 } },
		{ "he read the book because he was interested in world history",
		  { "he was interested in world history because he read the book", "he read it", NULL },
		  { 0.7400828044922853, 0.7400828044922853, 0.7710955777402456, 0.7400828044922853,
		    0.7400828044922853, 0.8132249827094292, 0.7642068726606803, 0.8132249827094292 } },
		{ "one two three four five six",
		  { "one two three four five six seven", "one two three four five", NULL },
		  { 1.0, 1.0, 1.0, 1.0, 1.0, 1.1167470964180197, 1.0, 1.1167470964180197 } },
	};
	struct uh_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t nref = cases[i].refs[2] ? 3 : 2;

		for (int m = 0; m <= 7; m++) {
			double got;

			cr_assert_eq(uh_bleu_nltk_sentence(cases[i].hyp, cases[i].refs, nref,
							   (enum uh_bleu_nltk_method)m, &got, &err), 0,
				     "%s", err.msg);
			cr_expect(same_bits(got, cases[i].want[m]), "case %zu method%d: %.17g want %.17g",
				  i + 1, m, got, cases[i].want[m]);
		}
	}
	{
		double got;
		const char *ref = "x";

		cr_expect_eq(uh_bleu_nltk_sentence("x", &ref, 0, UH_BLEU_NLTK_METHOD0, &got, &err), UH_EINVAL);
		cr_expect_eq(uh_bleu_nltk_sentence("x", &ref, 1, (enum uh_bleu_nltk_method)9, &got, &err),
			     UH_EINVAL);
	}
}
