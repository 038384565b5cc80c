/* metrics/porter.c against nltk 3.8 PorterStemmer() (shared/vectors/porter_vectors.tsv). */
#include "metrics/porter.h"
#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define PORTER_VECTOR_LINES 10432

static const char *stem(const char *w, char *buf)
{
	size_t n = uh_porter_stem(w, strlen(w), buf);
	cr_assert_eq(n, strlen(buf));
	return buf;
}

Test(porter, matches_nltk_on_every_vector)
{
	size_t len, n, same = 0;
	char *buf = uh_test_slurp(uh_test_shared("vectors/porter_vectors.tsv"), &len);
	char **lines = uh_test_lines(buf, len, &n);

	cr_assert_eq(n, PORTER_VECTOR_LINES, "porter_vectors.tsv has %zu lines", n);
	for (size_t i = 0; i < n; i++) {
		char *tab = strchr(lines[i], '\t');
		cr_assert_not_null(tab, "line %zu has no tab", i + 1);
		*tab = '\0';
		const char *word = lines[i], *want = tab + 1;
		size_t wl = strlen(word);
		char *out = malloc(wl + 2);
		size_t got = uh_porter_stem(word, wl, out);
		cr_expect(got == strlen(want) && strcmp(out, want) == 0,
			  "line %zu: stem('%s') = '%s', nltk '%s'", i + 1, word, out, want);
		same += strcmp(out, want) == 0;
		free(out);
	}
	cr_assert_eq(same, PORTER_VECTOR_LINES);
	free(lines);
	free(buf);
}

Test(porter, spec_quick_checks)
{
	static const char *const cases[][2] = {
		{ "generously", "gener" }, { "additionally", "addit" }, { "agreed", "agre" },
		{ "flying", "fli" },       { "eying", "eye" },          { "fully", "fulli" },
		{ "ies", "i" },            { "aies", "aie" },           { "dies", "die" },
		{ "died", "die" },         { "spied", "spi" },          { "owing", "owe" },
		{ "happy", "happi" },      { "enjoy", "enjoy" },        { "geologi", "geolog" },
		{ "skies", "sky" },        { "dying", "die" },          { "1990s", "1990" },
		{ "by", "by" },            { "a", "a" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_str_eq(stem(cases[i][0], buf), cases[i][1], "stem('%s')", cases[i][0]);
}

Test(porter, lowercases_but_pool_sees_the_word_as_given)
{
	char buf[64];

	cr_expect_str_eq(stem("Generously", buf), "gener");
	cr_expect_str_eq(stem("sky", buf), "sky");
	cr_expect_str_eq(stem("Sky", buf), "ski"); /* pool lookup uses the original word */
	cr_expect_str_eq(stem("AB", buf), "ab");
}

Test(porter, long_and_degenerate_words)
{
	size_t n = 100000;
	char *w = malloc(n + 1), *out = malloc(n + 2);

	memset(w, 'y', n);
	w[n] = '\0';
	cr_assert_leq(uh_porter_stem(w, n, out), n + 1);
	for (size_t i = 0; i < n; i++)
		w[i] = "ba"[i & 1];
	memcpy(w + n - 4, "enci", 4); /* step 2 lengthens enci -> ence before step 4 */
	cr_assert_leq(uh_porter_stem(w, n, out), n + 1);
	cr_assert_eq(uh_porter_stem("", 0, out), 0);
	free(w);
	free(out);
}
