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
