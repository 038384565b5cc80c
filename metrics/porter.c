/*
 * porter.c - nltk 3.8 PorterStemmer() in NLTK_EXTENSIONS mode.
 *
 * Follows spec/algorithms.md §2 step by step. The word lives in the caller's
 * buffer the whole time; every step only rewrites its tail, so a step is a
 * change of the length k plus a few bytes written at the end. The buffer
 * needs len + 2 bytes because step 2's enci->ence and anci->ance are the only
 * rules that lengthen a word (by one, after step 1 has shortened it or not),
 * plus the NUL.
 *
 * nltk's helpers (_measure, _contains_vowel, ...) look at a prefix of the
 * word; they are plain functions of (w, k) here. Their cost is linear in k,
 * and each step calls a bounded number of them, so a word stems in linear
 * time however long it is (tokens come from untrusted text).
 */
#include "metrics/porter.h"

#include <stdbool.h>
#include <string.h>

/* ---------------------------------------------------------------- primitives */

static bool is_vowel(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

/*
 * nltk's _is_consonant(w, i). 'y' is a consonant at 0 and otherwise the
 * opposite of its predecessor; nltk recurses, we walk back over the run of
 * y's instead: the first y of the run is a vowel only when it follows a
 * consonant other than y, and the run alternates from there.
 */
static bool is_cons(const char *w, size_t i)
{
	if (is_vowel(w[i]))
		return false;
	if (w[i] != 'y')
		return true;
	size_t j = i;
	while (j > 0 && w[j - 1] == 'y')
		j--;
	bool first = j == 0 || is_vowel(w[j - 1]); /* the run's first y */
	return ((i - j) & 1) ? !first : first;
}

/* m: the number of vowel->consonant transitions ("vc" in the c/v string). */
static size_t measure(const char *w, size_t k)
{
	size_t m = 0;
	bool prev_cons = true, cons;

	for (size_t i = 0; i < k; i++) {
		if (is_vowel(w[i]))
			cons = false;
		else if (w[i] == 'y')
			cons = i == 0 ? true : !prev_cons;
		else
			cons = true;
		if (i > 0 && cons && !prev_cons)
			m++;
		prev_cons = cons;
	}
	return m;
}

/* *v*: the stem contains a vowel. */
static bool has_vowel(const char *w, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (!is_cons(w, i))
			return true;
	return false;
}

/* *d: ends in a doubled consonant. */
static bool ends_double_cons(const char *w, size_t k)
{
	return k >= 2 && w[k - 1] == w[k - 2] && is_cons(w, k - 1);
}

/*
 * *o: consonant-vowel-consonant with the last not w/x/y, or (the NLTK
 * extension) a two-letter vowel-consonant word, with no w/x/y exclusion.
 */
static bool ends_cvc(const char *w, size_t k)
{
	if (k >= 3 && is_cons(w, k - 3) && !is_cons(w, k - 2) && is_cons(w, k - 1) &&
	    w[k - 1] != 'w' && w[k - 1] != 'x' && w[k - 1] != 'y')
		return true;
	return k == 2 && !is_cons(w, 0) && is_cons(w, 1);
}

/* Compares from the last letter, which rejects almost every rule at once;
 * this is the stemmer's innermost test. */
static bool ends_with(const char *w, size_t k, const char *suf, size_t slen)
{
	if (k < slen)
		return false;
	for (size_t i = 1; i <= slen; i++)
		if (w[k - i] != suf[slen - i])
			return false;
	return true;
}

/* ---------------------------------------------------------------- rule lists */

enum cond {
	C_NONE,  /* unconditional */
	C_M0,    /* m(stem) > 0 */
	C_M1,    /* m(stem) > 1 */
	C_ION,   /* m(stem) > 1 and stem ends in s or t */
	C_LOGI,  /* m(word[:-3]) > 0: the l of logi stays in the measured stem */
};

/* The strings are stored in the rule itself, not behind pointers: the rule
 * lists are scanned for every word, and this keeps a scan to one or two
 * cache lines. */
struct rule {
	char suf[8], rep[5];
	unsigned char slen, rlen;
	unsigned char cond; /* enum cond */
};

#define R(s, r, c) { s, r, sizeof(s) - 1, sizeof(r) - 1, c }

static bool cond_holds(unsigned char c, const char *w, size_t k, size_t stem)
{
	switch (c) {
	case C_NONE:
		return true;
	case C_M0:
		return measure(w, stem) > 0;
	case C_M1:
		return measure(w, stem) > 1;
	case C_ION:
		return measure(w, stem) > 1 && (w[stem - 1] == 's' || w[stem - 1] == 't');
	case C_LOGI:
		return measure(w, k - 3) > 0;
	}
	return false;
}

/*
 * nltk's _apply_rule_list: the first rule whose suffix matches decides. If
 * its condition fails the word is returned unchanged; later rules are not
 * tried. Returns the new length.
 */
static size_t apply_rules(char *w, size_t k, const struct rule *rules, size_t n)
{
	if (k == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct rule *r = &rules[i];
		if (r->suf[r->slen - 1] != w[k - 1] || !ends_with(w, k, r->suf, r->slen))
			continue;
		size_t stem = k - r->slen;
		if (!cond_holds(r->cond, w, k, stem))
			return k;
		memcpy(w + stem, r->rep, r->rlen);
		return stem + r->rlen;
	}
	return k;
}

#define NRULES(a) (sizeof(a) / sizeof((a)[0]))

/* Bit set of the last letters of a rule list's suffixes. */
#define L(c) (1u << ((c) - 'a'))

/*
 * apply_rules, skipping the scan when no suffix of the list ends in the
 * word's last letter (most words, in most steps). last_letters must cover
 * every suffix of the list; the vector tests would catch a letter missing.
 */
static size_t apply_rules_if(char *w, size_t k, const struct rule *rules, size_t n,
			     unsigned last_letters)
{
	if (k == 0 || w[k - 1] < 'a' || w[k - 1] > 'z' || !(last_letters & L(w[k - 1])))
		return k;
	return apply_rules(w, k, rules, n);
}

/* ---------------------------------------------------------------- steps */

static size_t step1a(char *w, size_t k)
{
	static const struct rule rules[] = {
		R("sses", "ss", C_NONE), R("ies", "i", C_NONE),
		R("ss", "ss", C_NONE), R("s", "", C_NONE),
	};

	if (k == 4 && ends_with(w, k, "ies", 3)) /* [N] dies -> die */
		return 3;
	return apply_rules_if(w, k, rules, NRULES(rules), L('s'));
}

static size_t step1b(char *w, size_t k)
{
	if (ends_with(w, k, "ied", 3)) { /* [N] died -> die, spied -> spi; no post-processing */
		if (k == 4) {
			w[2] = 'e';
			return 3;
		}
		return k - 2;
	}
	if (ends_with(w, k, "eed", 3)) /* never falls through to "ed" */
		return measure(w, k - 3) > 0 ? k - 1 : k;

	size_t s;
	if (ends_with(w, k, "ed", 2) && has_vowel(w, k - 2))
		s = k - 2;
	else if (ends_with(w, k, "ing", 3) && has_vowel(w, k - 3))
		s = k - 3;
	else
		return k;

	/* Post-processing, first match wins: at/bl/iz gain an e; a doubled
	 * consonant loses one letter unless it is l, s or z (then s is kept and
	 * the +e rule is not tried); otherwise +e when m == 1 and *o. */
	if (ends_with(w, s, "at", 2) || ends_with(w, s, "bl", 2) || ends_with(w, s, "iz", 2)) {
		w[s] = 'e';
		return s + 1;
	}
	if (ends_double_cons(w, s)) {
		char c = w[s - 1];
		return (c == 'l' || c == 's' || c == 'z') ? s : s - 1;
	}
	if (measure(w, s) == 1 && ends_cvc(w, s)) {
		w[s] = 'e';
		return s + 1;
	}
	return s;
}

/* [N] y -> i when the letter before it is a consonant and not the first. */
static size_t step1c(char *w, size_t k)
{
	if (ends_with(w, k, "y", 1) && k - 1 > 1 && is_cons(w, k - 2))
		w[k - 1] = 'i';
	return k;
}

static size_t step2(char *w, size_t k)
{
	static const struct rule rules[] = {
		R("ational", "ate", C_M0), R("tional", "tion", C_M0),
		R("enci", "ence", C_M0), R("anci", "ance", C_M0),
		R("izer", "ize", C_M0),
		R("bli", "ble", C_M0), /* [M]; the paper has abli -> able */
		R("alli", "al", C_M0), R("entli", "ent", C_M0),
		R("eli", "e", C_M0), R("ousli", "ous", C_M0),
		R("ization", "ize", C_M0), R("ation", "ate", C_M0),
		R("ator", "ate", C_M0), R("alism", "al", C_M0),
		R("iveness", "ive", C_M0), R("fulness", "ful", C_M0),
		R("ousness", "ous", C_M0), R("aliti", "al", C_M0),
		R("iviti", "ive", C_M0), R("biliti", "ble", C_M0),
		R("fulli", "ful", C_M0),  /* [N] */
		R("logi", "log", C_LOGI), /* [N] */
	};

	/* [N] alli -> al first, then step 2 again on the result
	 * (additionalli -> additional -> addition). Each round shortens the
	 * word, so the loop ends. */
	while (ends_with(w, k, "alli", 4) && measure(w, k - 4) > 0)
		k -= 2;
	return apply_rules_if(w, k, rules, NRULES(rules),
			      L('l') | L('i') | L('r') | L('n') | L('m') | L('s'));
}

static size_t step3(char *w, size_t k)
{
	static const struct rule rules[] = {
		R("icate", "ic", C_M0), R("ative", "", C_M0), R("alize", "al", C_M0),
		R("iciti", "ic", C_M0), R("ical", "ic", C_M0), R("ful", "", C_M0),
		R("ness", "", C_M0),
	};
	return apply_rules_if(w, k, rules, NRULES(rules), L('e') | L('i') | L('l') | L('s'));
}

static size_t step4(char *w, size_t k)
{
	static const struct rule rules[] = {
		R("al", "", C_M1), R("ance", "", C_M1), R("ence", "", C_M1),
		R("er", "", C_M1), R("ic", "", C_M1), R("able", "", C_M1),
		R("ible", "", C_M1), R("ant", "", C_M1), R("ement", "", C_M1),
		R("ment", "", C_M1), R("ent", "", C_M1), R("ion", "", C_ION),
		R("ou", "", C_M1), R("ism", "", C_M1), R("ate", "", C_M1),
		R("iti", "", C_M1), R("ous", "", C_M1), R("ive", "", C_M1),
		R("ize", "", C_M1),
	};
	return apply_rules_if(w, k, rules, NRULES(rules),
			      L('l') | L('e') | L('r') | L('c') | L('t') | L('n') | L('u') |
				      L('m') | L('i') | L('s'));
}

/* Not rule-list semantics: both conditions are tried. */
static size_t step5a(char *w, size_t k)
{
	if (!ends_with(w, k, "e", 1))
		return k;
	size_t m = measure(w, k - 1);
	if (m > 1 || (m == 1 && !ends_cvc(w, k - 1)))
		return k - 1;
	return k;
}

static size_t step5b(char *w, size_t k)
{
	if (ends_with(w, k, "ll", 2) && measure(w, k - 1) > 1)
		return k - 1;
	return k;
}

/* ---------------------------------------------------------------- stem */

/* nltk's irregular forms, looked up before anything else. */
static const struct {
	const char *word, *stem;
	unsigned char wlen, slen;
} pool[] = {
#define P(w, s) { w, s, sizeof(w) - 1, sizeof(s) - 1 }
	P("sky", "sky"),           P("skies", "sky"),       P("dying", "die"),
	P("lying", "lie"),         P("tying", "tie"),       P("news", "news"),
	P("innings", "inning"),    P("inning", "inning"),   P("outings", "outing"),
	P("outing", "outing"),     P("cannings", "canning"), P("canning", "canning"),
	P("howe", "howe"),         P("proceed", "proceed"), P("exceed", "exceed"),
	P("succeed", "succeed"),
#undef P
};

size_t uh_porter_stem(const char *word, size_t len, char *out)
{
	/* nltk tests the pool with the word as given and indexes it with the
	 * lower-cased stem: "Sky" misses the pool and stems to "ski". */
	if (len >= 3 && len <= 8) {
		for (size_t i = 0; i < NRULES(pool); i++) {
			if (pool[i].wlen == len && pool[i].word[0] == word[0] &&
			    memcmp(pool[i].word, word, len) == 0) {
				memcpy(out, pool[i].stem, pool[i].slen + 1u);
				return pool[i].slen;
			}
		}
	}

	for (size_t i = 0; i < len; i++) {
		char c = word[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	size_t k = len;
	if (k > 2) { /* [M] words of one or two letters are left alone */
		k = step1a(out, k);
		k = step1b(out, k);
		k = step1c(out, k);
		k = step2(out, k);
		k = step3(out, k);
		k = step4(out, k);
		k = step5a(out, k);
		k = step5b(out, k);
	}
	out[k] = '\0';
	return k;
}
