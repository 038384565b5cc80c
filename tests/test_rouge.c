/* metrics/rouge.c against rouge_score 0.1.2 on nltk 3.8 (shared/vectors/rouge_vectors.jsonl). */
#include "metrics/rouge.h"
#include "tests/testutil.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUGE_VECTOR_LINES 582

static int same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Compare a token list with a JSON array of strings; returns 1 if equal. */
static int same_tokens(const struct uh_rouge_tokens *t, const cJSON *want)
{
	size_t i = 0;
	const cJSON *v;

	if ((size_t)cJSON_GetArraySize(want) != t->n)
		return 0;
	cJSON_ArrayForEach(v, want) {
		if (!cJSON_IsString(v) || strcmp(v->valuestring, t->tok[i++]) != 0)
			return 0;
	}
	return 1;
}

/* Compare one [P, R, F] triple bit for bit; returns 1 if equal. */
static int same_prf(const struct uh_rouge_prf *got, const cJSON *want)
{
	if (cJSON_GetArraySize(want) != 3)
		return 0;
	return same_bits(got->precision, cJSON_GetArrayItem(want, 0)->valuedouble) &&
	       same_bits(got->recall, cJSON_GetArrayItem(want, 1)->valuedouble) &&
	       same_bits(got->fmeasure, cJSON_GetArrayItem(want, 2)->valuedouble);
}

Test(rouge, matches_rouge_score_on_every_vector)
{
	size_t len, n, tok_ok = 0, num_ok = 0;
	char *buf = uh_test_slurp(uh_test_shared("vectors/rouge_vectors.jsonl"), &len);
	char **lines = uh_test_lines(buf, len, &n);

	cr_assert_eq(n, ROUGE_VECTOR_LINES, "rouge_vectors.jsonl has %zu lines", n);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_Parse(lines[i]);
		cr_assert_not_null(o, "line %zu: bad json", i + 1);
		const char *tgt = cJSON_GetObjectItem(o, "target")->valuestring;
		const char *pred = cJSON_GetObjectItem(o, "prediction")->valuestring;
		bool stem = cJSON_IsTrue(cJSON_GetObjectItem(o, "use_stemmer"));
		struct uh_rouge_tokens tt, pt;
		struct uh_rouge_scores s;
		struct uh_err err;

		cr_assert_eq(uh_rouge_tokenize(tgt, stem, &tt, &err), 0);
		cr_assert_eq(uh_rouge_tokenize(pred, stem, &pt, &err), 0);
		int toks = same_tokens(&tt, cJSON_GetObjectItem(o, "target_tokens")) &&
			   same_tokens(&pt, cJSON_GetObjectItem(o, "prediction_tokens"));
		cr_expect(toks, "line %zu: tokens differ", i + 1);
		tok_ok += toks;

		cr_assert_eq(uh_rouge_score(tgt, pred, stem, &s, &err), 0);
		int r1 = same_prf(&s.rouge1, cJSON_GetObjectItem(o, "rouge1"));
		int r2 = same_prf(&s.rouge2, cJSON_GetObjectItem(o, "rouge2"));
		int rl = same_prf(&s.rougeL, cJSON_GetObjectItem(o, "rougeL"));
		int rs = same_prf(&s.rougeLsum, cJSON_GetObjectItem(o, "rougeLsum"));
		cr_expect(r1 && r2 && rl && rs, "line %zu: scores differ (r1 %d r2 %d L %d Lsum %d)",
			  i + 1, r1, r2, rl, rs);
		num_ok += r1 && r2 && rl && rs;

		/* the subset entry point gives the same bits for what it computes */
		struct uh_rouge_scores sub;
		cr_assert_eq(uh_rouge_score_types(tgt, pred, stem, UH_ROUGE_1 | UH_ROUGE_L, &sub, &err), 0);
		cr_expect(memcmp(&sub.rouge1, &s.rouge1, sizeof(s.rouge1)) == 0 &&
			  memcmp(&sub.rougeL, &s.rougeL, sizeof(s.rougeL)) == 0 &&
			  sub.rouge2.fmeasure == 0 && sub.rougeLsum.recall == 0,
			  "line %zu: rouge1+rougeL subset differs", i + 1);

		uh_rouge_tokens_release(&tt);
		uh_rouge_tokens_release(&pt);
		cJSON_Delete(o);
	}
	cr_assert_eq(tok_ok, ROUGE_VECTOR_LINES);
	cr_assert_eq(num_ok, ROUGE_VECTOR_LINES);
	free(lines);
	free(buf);
}

static struct uh_rouge_scores score(const char *t, const char *p, bool stem)
{
	struct uh_rouge_scores s;
	struct uh_err err;

	cr_assert_eq(uh_rouge_score(t, p, stem, &s, &err), 0);
	return s;
}

static int all_zero(const struct uh_rouge_prf *x)
{
	return x->precision == 0 && x->recall == 0 && x->fmeasure == 0;
}

/* The edge cases of rouge_score's own tests (spec/algorithms.md §1.2). */
Test(rouge, package_edge_cases)
{
	struct uh_rouge_scores s = score("testing one two", "", false);
	cr_expect(all_zero(&s.rouge1) && all_zero(&s.rouge2) && all_zero(&s.rougeL) &&
		  all_zero(&s.rougeLsum));

	s = score("", "w1", false);
	cr_expect(all_zero(&s.rougeLsum));
	s = score("w1 w2 w3 w4 w5", "/", false);
	cr_expect(all_zero(&s.rougeLsum));

	s = score("w1 w2 w3 w4 w5", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5", false);
	cr_expect(same_bits(s.rougeLsum.recall, 0.8), "R = %.17g", s.rougeLsum.recall);
	cr_expect(same_bits(s.rougeLsum.precision, 0.4), "P = %.17g", s.rougeLsum.precision);
	cr_expect(same_bits(s.rougeLsum.fmeasure, 2 * 0.4 * 0.8 / (0.4 + 0.8)));
}

/* Cases the shared vectors do not separate, checked against the Python
 * transcription: they fail if ties in the backtrack move in the candidate,
 * or if a token is counted twice across reference sentences. */
Test(rouge, lsum_backtrack_and_double_count)
{
	struct uh_rouge_scores s = score("b run   ", "run b \n runs runs d run   ", true);
	cr_expect(same_bits(s.rougeLsum.precision, 1.0 / 3.0), "P = %.17g", s.rougeLsum.precision);
	cr_expect(same_bits(s.rougeLsum.recall, 1.0));
	cr_expect(same_bits(s.rougeLsum.fmeasure, 0.5));

	s = score("a\na", "a", false);
	cr_expect(same_bits(s.rougeLsum.precision, 1.0));
	cr_expect(same_bits(s.rougeLsum.recall, 0.5));
}

static void expect_tokens(const char *text, bool stem, const char *const *want, size_t n)
{
	struct uh_rouge_tokens t;
	struct uh_err err;

	cr_assert_eq(uh_rouge_tokenize(text, stem, &t, &err), 0);
	cr_expect_eq(t.n, n, "'%s': %zu tokens, want %zu", text, t.n, n);
	for (size_t i = 0; i < n && i < t.n; i++)
		cr_expect_str_eq(t.tok[i], want[i], "'%s' token %zu", text, i);
	uh_rouge_tokens_release(&t);
}

Test(rouge, unicode_and_invalid_utf8)
{
	/* U+212A KELVIN SIGN lowercases to k; U+0130 to i + a combining dot */
	static const char *const k[] = { "okay" };
	expect_tokens("o\xe2\x84\xaa" "ay", false, k, 1);
	static const char *const dot[] = { "i", "stanbul" };
	expect_tokens("\xc4\xb0stanbul", false, dot, 2);
	/* every other non-ASCII character separates, é included */
	static const char *const cafe[] = { "caf", "au", "lait" };
	expect_tokens("Caf\xc3\xa9 au-lait", false, cafe, 3);
	/* invalid bytes separate and do not swallow what follows */
	static const char *const bad[] = { "a", "b", "ck", "x" };
	expect_tokens("a\xff" "b\xe2\x84" "c\xe2\x84\xaa\xed\xa0\x80x", false, bad, 4);
	/* only texts longer than 3 characters are stemmed */
	static const char *const stemmed[] = { "the", "cat", "were", "run", "1990" };
	expect_tokens("The cats were running 1990s", true, stemmed, 5);
	expect_tokens("", true, NULL, 0);
	expect_tokens(" \n\t-- ", true, NULL, 0);
}

Test(rouge, score_multi_takes_first_best_fmeasure)
{
	const char *targets[] = { "a b c", "x y z", "a b c" };
	struct uh_rouge_scores m, one;
	struct uh_err err;

	cr_assert_eq(uh_rouge_score_multi(targets, 3, "a b d", true, UH_ROUGE_ALL, &m, &err), 0);
	one = score("a b c", "a b d", true);
	cr_expect(memcmp(&m, &one, sizeof(m)) == 0);
	cr_expect_eq(uh_rouge_score_multi(targets, 0, "a", true, UH_ROUGE_ALL, &m, &err), UH_EINVAL);
}

Test(rouge, long_repetitive_text)
{
	size_t n = 20000;
	char *t = malloc(n + 1);

	for (size_t i = 0; i < n; i++)
		t[i] = (i % 10 == 9) ? (i % 1000 == 999 ? '\n' : ' ') : "abcdefgh"[i % 7];
	t[n] = '\0';
	struct uh_rouge_scores s = score(t, t, true);
	cr_expect_eq(s.rouge1.recall, 1.0);
	cr_expect_eq(s.rouge2.recall, 1.0);
	cr_expect_eq(s.rougeL.recall, 1.0);
	cr_expect_eq(s.rougeLsum.recall, 1.0);
	free(t);
}

/* Plain LCS table, the textbook way, for checking rougeL's fast paths. */
static size_t ref_lcs(const int *a, size_t na, const int *b, size_t nb)
{
	size_t *t = calloc((na + 1) * (nb + 1), sizeof(*t));
	for (size_t i = 1; i <= na; i++)
		for (size_t j = 1; j <= nb; j++)
			t[i * (nb + 1) + j] = a[i - 1] == b[j - 1] ? t[(i - 1) * (nb + 1) + j - 1] + 1
				: t[(i - 1) * (nb + 1) + j] > t[i * (nb + 1) + j - 1]
					? t[(i - 1) * (nb + 1) + j] : t[i * (nb + 1) + j - 1];
	size_t r = t[na * (nb + 1) + nb];
	free(t);
	return r;
}

/* Write tokens "w<k>" for k in seq[0..n) separated by spaces. */
static char *join(const int *seq, size_t n)
{
	char *s = malloc(n * 8 + 1), *p = s;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "w%d ", seq[i]);
	*p = '\0';
	return s;
}

static void check_lcs(const int *a, size_t na, const int *b, size_t nb, const char *what)
{
	char *ta = join(a, na), *tb = join(b, nb);
	struct uh_rouge_scores s;
	struct uh_err err;

	cr_assert_eq(uh_rouge_score_types(ta, tb, false, UH_ROUGE_L, &s, &err), 0);
	size_t lcs = ref_lcs(a, na, b, nb);
	double p = nb ? (double)lcs / (double)nb : 0, r = na ? (double)lcs / (double)na : 0;
	cr_expect(same_bits(s.rougeL.precision, na ? p : 0) && same_bits(s.rougeL.recall, nb ? r : 0),
		  "%s: na %zu nb %zu lcs %zu: got P %.17g R %.17g", what, na, nb, lcs,
		  s.rougeL.precision, s.rougeL.recall);
	free(ta);
	free(tb);
}

/* Random sequences across word boundaries of the bit-parallel LCS (carries). */
Test(rouge, rougeL_lcs_matches_textbook_table)
{
	int a[300], b[300];
	unsigned x = 12345;

	for (int iter = 0; iter < 400; iter++) {
		size_t na = (x = x * 1103515245u + 12345u) >> 16 & 255, nb;
		nb = (x = x * 1103515245u + 12345u) >> 16 & 255;
		int vocab = 1 + (int)((x >> 8) % 6);
		for (size_t i = 0; i < na; i++)
			a[i] = (int)(((x = x * 1103515245u + 12345u) >> 16) % (unsigned)vocab);
		for (size_t i = 0; i < nb; i++)
			b[i] = (int)(((x = x * 1103515245u + 12345u) >> 16) % (unsigned)vocab);
		check_lcs(a, na, b, nb, "random");
	}
}

/* Thousands of distinct tokens: the masks would be too big, rows are used. */
Test(rouge, rougeL_many_distinct_tokens)
{
	size_t n = 6000, m = 0;
	int *a = malloc(n * sizeof(int)), *b = malloc(n * sizeof(int));

	for (size_t i = 0; i < n; i++) {
		a[i] = (int)i;
		if (i % 5)
			b[m++] = (int)(i % 7 == 0 ? n - i : i);
	}
	check_lcs(a, n, b, m, "distinct");
	free(a);
	free(b);
}
