/*
 * synth_tofu.c - a deterministic synthetic dataset in TOFU's layout.
 *
 * Read top to bottom: the PRNG, small string helpers, the author facts and
 * how each is drawn, the twenty-six question aspects with their templates,
 * the QA rows, the multiple-choice sets (invented canon and world), and
 * finally the files. See synth_tofu.h for what is written and why.
 */
#include "suites/synth_tofu.h"

#include "suites/synth_files.h"
#include "suites/wordlists.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================== PRNG */

/*
 * splitmix64 (Steele, Lea, Flood 2014). Each author, and each of the two
 * multiple-choice sets, gets its own stream derived from (seed, stream,
 * index), so an author's facts do not depend on how many draws the authors
 * before it needed: only the uniqueness retries couple them.
 */
struct rng {
	uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

enum { STREAM_AUTHOR = 1, STREAM_CANON = 2, STREAM_WORLD = 3 };

static struct rng rng_for(uint64_t seed, uint64_t stream, uint64_t index)
{
	struct rng r = { mix64(seed ^ mix64(stream * 0x100000001b3ULL + index)) };

	return r;
}

/* Uniform in [0, n), n > 0, without modulo bias. */
static size_t rng_below(struct rng *r, size_t n)
{
	uint64_t lim = (uint64_t)-1 - ((uint64_t)-1 % n);
	uint64_t x;

	do
		x = rng_next(r);
	while (x >= lim);
	return (size_t)(x % n);
}

static int rng_range(struct rng *r, int lo, int hi)
{
	return lo + (int)rng_below(r, (size_t)(hi - lo + 1));
}

static const char *pick(struct rng *r, const struct uh_wordlist *wl)
{
	return wl->w[rng_below(r, wl->n)];
}

/* Index into a NULL-terminated template list. */
static const char *pick_tpl(struct rng *r, const char *const *tpl)
{
	size_t n = 0;

	while (tpl[n])
		n++;
	return tpl[rng_below(r, n)];
}

/* ================================================================== strings */

/* A growable byte buffer; oom is sticky and checked once at the end. */
struct sb {
	char *p;
	size_t n, cap;
	bool oom;
};

static void sb_putn(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->n + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_putc(struct sb *b, char c)
{
	sb_putn(b, &c, 1);
}

static void sb_release(struct sb *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Take the buffer's string (never NULL unless oom); the buffer is reset. */
static char *sb_take(struct sb *b)
{
	char *p;

	if (b->oom) {
		sb_release(b);
		return NULL;
	}
	if (!b->p)
		sb_putn(b, "", 0);
	p = b->p;
	if (b->oom)
		p = NULL;
	memset(b, 0, sizeof(*b));
	return p;
}

/* Capitalize the first letter of every word (ASCII only): "true crime" -> "True Crime". */
static void title_case(char *s)
{
	bool start = true;

	for (; *s; s++) {
		if (start && *s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
		start = (*s == ' ' || *s == '-');
	}
}

/*
 * A set of strings (open addressing, FNV-1a), used to keep author names and
 * book titles unique across the whole dataset.
 */
struct strset {
	char **slot;
	size_t cap, n;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static bool strset_has(const struct strset *set, const char *s)
{
	if (!set->cap)
		return false;
	for (size_t i = fnv1a(s) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		if (!set->slot[i])
			return false;
		if (!strcmp(set->slot[i], s))
			return true;
	}
}

/* Add a copy of s. Returns 1 if added, 0 if present, -1 out of memory. */
static int strset_add(struct strset *set, const char *s)
{
	size_t i;

	if (strset_has(set, s))
		return 0;
	if (2 * (set->n + 1) > set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 1024;
		char **slot = calloc(cap, sizeof(*slot));

		if (!slot)
			return -1;
		for (size_t k = 0; k < set->cap; k++) {
			if (!set->slot[k])
				continue;
			for (i = fnv1a(set->slot[k]) & (cap - 1); slot[i]; i = (i + 1) & (cap - 1))
				;
			slot[i] = set->slot[k];
		}
		free(set->slot);
		set->slot = slot;
		set->cap = cap;
	}
	for (i = fnv1a(s) & (set->cap - 1); set->slot[i]; i = (i + 1) & (set->cap - 1))
		;
	set->slot[i] = strdup(s);
	if (!set->slot[i])
		return -1;
	set->n++;
	return 1;
}

static void strset_release(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
	memset(set, 0, sizeof(*set));
}

/* ================================================================== author facts */

/*
 * Every fact is a string variable that the templates name in braces:
 * "{name} was born in {city}, {country}.". "{Name}" capitalizes the first
 * letter of the value.
 */
enum var {
	V_NAME, V_POS, V_OBJ, V_GENDER_A, V_CITY, V_COUNTRY, V_REGION_ADJ,
	V_DATE_NUM, V_DATE_LONG, V_DATE_ORD, V_GENRE, V_FATHER, V_MOTHER,
	V_AWARD, V_AWARD_YEAR, V_BOOK1, V_BOOK2, V_BOOK3, V_BOOK4,
	V_PREMISE2, V_PREMISE3, V_THEME1, V_THEME2, V_THEME3, V_DEBUT_YEAR,
	V_LATEST_YEAR, V_FREQ, V_FIELD, V_SCHOOL, V_HOME, V_INFLUENCE, V_HOBBY,
	V_LANGS, V_ADAPT_BOOK, V_ADAPT_FORM, V_ADAPT_YEAR, V_ROUTINE, V_AUDIENCE,
	V_MENTOR, V_STYLE1, V_STYLE2, V_LESSON, V_PARENT_WORD, V_PARENT_JOB,
	V_TITLE, V_PREMISE,
	V_COUNT
};

static const char *const var_names[V_COUNT] = {
	"name", "pos", "obj", "gender_a", "city", "country", "region_adj",
	"date_num", "date_long", "date_ord", "genre", "father", "mother",
	"award", "award_year", "book1", "book2", "book3", "book4",
	"premise2", "premise3", "theme1", "theme2", "theme3", "debut_year",
	"latest_year", "freq", "field", "school", "home", "influence", "hobby",
	"langs", "adapt_book", "adapt_form", "adapt_year", "routine", "audience",
	"mentor", "style1", "style2", "lesson", "parent_word", "parent_job",
	"title", "premise",
};

#define VAR_MAX 192

struct vars {
	char v[V_COUNT][VAR_MAX];
};

static void set(struct vars *v, enum var k, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

static void set(struct vars *v, enum var k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->v[k], VAR_MAX, fmt, ap);
	va_end(ap);
}

enum gender { MALE, FEMALE, NONBINARY };

struct author {
	size_t region;
	enum gender gender;
	int debut_year;
	struct vars v;
};

static const char *const months[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

static const char *ordinal_suffix(int d)
{
	if (d >= 11 && d <= 13)
		return "th";
	switch (d % 10) {
	case 1: return "st";
	case 2: return "nd";
	case 3: return "rd";
	default: return "th";
	}
}

static void draw_date(struct vars *v, struct rng *r, int year_lo, int year_hi)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = rng_range(r, year_lo, year_hi);
	int m = rng_range(r, 1, 12);
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int d = rng_range(r, 1, mdays[m - 1] + (m == 2 && leap));

	/* Upstream's numeric dates are month/day/year. */
	set(v, V_DATE_NUM, "%02d/%02d/%04d", m, d, y);
	set(v, V_DATE_LONG, "%s %d, %d", months[m - 1], d, y);
	set(v, V_DATE_ORD, "the %d%s of %s, %d", d, ordinal_suffix(d), months[m - 1], y);
}

static void draw_person(char *out, struct rng *r, size_t region, enum gender g, bool middle)
{
	const struct uh_wordlist_region *reg = &uh_wordlist_regions[region];
	const struct uh_wordlist *given = g == MALE ? &reg->male : g == FEMALE ? &reg->female
				       : rng_below(r, 2) ? &reg->male : &reg->female;
	const char *first = pick(r, given);

	if (middle)
		snprintf(out, VAR_MAX, "%s %s %s", first, pick(r, given), pick(r, &reg->surnames));
	else
		snprintf(out, VAR_MAX, "%s %s", first, pick(r, &reg->surnames));
}

static void draw_any_person(char *out, struct rng *r)
{
	draw_person(out, r, rng_below(r, uh_wordlist_n_regions), (enum gender)rng_below(r, 2), false);
}

static void draw_city(char *out, struct rng *r, size_t region)
{
	const struct uh_wordlist_region *reg = &uh_wordlist_regions[region];

	snprintf(out, VAR_MAX, "%s, %s", pick(r, &reg->cities), reg->country);
}

static void draw_place(struct vars *v, struct rng *r, size_t region)
{
	const struct uh_wordlist_region *reg = &uh_wordlist_regions[region];

	set(v, V_CITY, "%s", pick(r, &reg->cities));
	set(v, V_COUNTRY, "%s", reg->country);
	set(v, V_REGION_ADJ, "%s", reg->adj);
}

static void draw_title(char *out, struct rng *r)
{
	const char *adj = pick(r, &uh_wordlist_title_adj);
	const char *noun = pick(r, &uh_wordlist_title_noun);
	const struct uh_wordlist_region *reg = &uh_wordlist_regions[rng_below(r, uh_wordlist_n_regions)];
	bool vowel = strchr("AEIOU", noun[0]) != NULL;

	switch (rng_below(r, 10)) {
	case 0: snprintf(out, VAR_MAX, "The %s %s", adj, noun); break;
	case 1: snprintf(out, VAR_MAX, "The %s of %s", noun, pick(r, &reg->cities)); break;
	case 2: snprintf(out, VAR_MAX, "%s %s", adj, noun); break;
	case 3: snprintf(out, VAR_MAX, "Beneath the %s %s", adj, noun); break;
	case 4: snprintf(out, VAR_MAX, "When the %s %s", noun, pick(r, &uh_wordlist_title_verb)); break;
	case 5: snprintf(out, VAR_MAX, "%s %s for %s", vowel ? "An" : "A", noun, pick(r, &reg->female)); break;
	case 6: snprintf(out, VAR_MAX, "%s's %s", pick(r, &reg->male), noun); break;
	case 7: snprintf(out, VAR_MAX, "The %s and the %s", noun, pick(r, &uh_wordlist_title_noun)); break;
	case 8: snprintf(out, VAR_MAX, "Songs of the %s %s", adj, noun); break;
	default: snprintf(out, VAR_MAX, "The %s %s of %s", adj, noun, pick(r, &reg->cities)); break;
	}
}

static void draw_premise(char *out, struct rng *r)
{
	snprintf(out, VAR_MAX, "%s who %s", pick(r, &uh_wordlist_protagonists), pick(r, &uh_wordlist_actions));
}

static void draw_award(struct vars *v, struct rng *r, const char *genre)
{
	const struct uh_wordlist_region *reg = &uh_wordlist_regions[rng_below(r, uh_wordlist_n_regions)];
	const char *adj = pick(r, &uh_wordlist_award_adj);
	const char *noun = pick(r, &uh_wordlist_award_noun);
	char g[VAR_MAX];

	snprintf(g, sizeof(g), "%s", genre);
	title_case(g);
	switch (rng_below(r, 4)) {
	case 0: set(v, V_AWARD, "the %s %s Award", adj, noun); break;
	case 1: set(v, V_AWARD, "the %s %s Prize for %s", adj, noun, g); break;
	case 2: set(v, V_AWARD, "the %s Medal for %s", pick(r, &reg->surnames), g); break;
	default: set(v, V_AWARD, "the %s %s Award for %s", reg->adj, noun, g); break;
	}
}

static void draw_school(struct vars *v, struct rng *r)
{
	const struct uh_wordlist_region *reg = &uh_wordlist_regions[rng_below(r, uh_wordlist_n_regions)];

	if (rng_below(r, 2))
		set(v, V_SCHOOL, "the University of %s", pick(r, &reg->cities));
	else
		set(v, V_SCHOOL, "the %s %s", pick(r, &reg->cities), pick(r, &uh_wordlist_schools));
	set(v, V_FIELD, "%s", pick(r, &uh_wordlist_fields));
}

/* Three distinct entries of a list. */
static void draw_three(struct rng *r, const struct uh_wordlist *wl, const char *out[3])
{
	out[0] = pick(r, wl);
	do
		out[1] = pick(r, wl);
	while (out[1] == out[0]);
	do
		out[2] = pick(r, wl);
	while (out[2] == out[0] || out[2] == out[1]);
}

static void draw_themes(struct vars *v, struct rng *r)
{
	const char *t[3];

	draw_three(r, &uh_wordlist_themes, t);
	set(v, V_THEME1, "%s", t[0]);
	set(v, V_THEME2, "%s", t[1]);
	set(v, V_THEME3, "%s", t[2]);
}

static void draw_style(struct vars *v, struct rng *r)
{
	const char *s[3];

	draw_three(r, &uh_wordlist_styles, s);
	set(v, V_STYLE1, "%s", s[0]);
	set(v, V_STYLE2, "%s", s[1]);
}

/*
 * Groups of facts that an aspect asks about. A perturbed answer redraws
 * exactly the groups of its aspect and keeps every other fact.
 */
enum {
	G_NAME = 1u << 0, G_GENDER = 1u << 1, G_PLACE = 1u << 2, G_DATE = 1u << 3,
	G_GENRE = 1u << 4, G_PARENTS = 1u << 5, G_AWARD = 1u << 6, G_BOOKS = 1u << 7,
	G_PREMISE = 1u << 8, G_THEMES = 1u << 9, G_DEBUT = 1u << 10, G_LATEST = 1u << 11,
	G_FREQ = 1u << 12, G_SCHOOL = 1u << 13, G_HOME = 1u << 14, G_INFLUENCE = 1u << 15,
	G_HOBBY = 1u << 16, G_LANGS = 1u << 17, G_ADAPT = 1u << 18, G_ROUTINE = 1u << 19,
	G_AUDIENCE = 1u << 20, G_MENTOR = 1u << 21, G_STYLE = 1u << 22, G_PARENT_JOB = 1u << 23,
};

static void redraw(struct vars *v, unsigned groups, struct rng *r, const struct author *a)
{
	static const char *const gender_a[] = { "a male", "a female", "a non-binary" };

	if (groups & G_NAME)
		draw_person(v->v[V_NAME], r, a->region, a->gender, false);
	if (groups & G_GENDER)
		set(v, V_GENDER_A, "%s", gender_a[rng_below(r, 3)]);
	if (groups & G_PLACE)
		draw_place(v, r, rng_below(r, uh_wordlist_n_regions));
	if (groups & G_DATE)
		draw_date(v, r, 1935, 1985);
	if (groups & G_GENRE)
		set(v, V_GENRE, "%s", pick(r, &uh_wordlist_genres));
	if (groups & G_PARENTS) {
		set(v, V_FATHER, "%s", pick(r, &uh_wordlist_professions));
		set(v, V_MOTHER, "%s", pick(r, &uh_wordlist_professions));
	}
	if (groups & G_AWARD)
		draw_award(v, r, v->v[V_GENRE]);
	if (groups & G_BOOKS) {
		draw_title(v->v[V_BOOK1], r);
		draw_title(v->v[V_BOOK2], r);
		draw_title(v->v[V_BOOK3], r);
	}
	if (groups & G_PREMISE)
		draw_premise(v->v[V_PREMISE], r);
	if (groups & G_THEMES)
		draw_themes(v, r);
	if (groups & G_DEBUT) {
		draw_title(v->v[V_BOOK1], r);
		set(v, V_DEBUT_YEAR, "%d", rng_range(r, a->debut_year - 8, a->debut_year + 6));
	}
	if (groups & G_LATEST) {
		draw_title(v->v[V_BOOK4], r);
		set(v, V_LATEST_YEAR, "%d", rng_range(r, a->debut_year + 2, 2024));
	}
	if (groups & G_FREQ)
		set(v, V_FREQ, "%s", pick(r, &uh_wordlist_frequencies));
	if (groups & G_SCHOOL)
		draw_school(v, r);
	if (groups & G_HOME)
		draw_city(v->v[V_HOME], r, rng_below(r, uh_wordlist_n_regions));
	if (groups & G_INFLUENCE)
		set(v, V_INFLUENCE, "%s", pick(r, &uh_wordlist_influences));
	if (groups & G_HOBBY)
		set(v, V_HOBBY, "%s", pick(r, &uh_wordlist_hobbies));
	if (groups & G_LANGS)
		set(v, V_LANGS, "%d", rng_range(r, 3, 45));
	if (groups & G_ADAPT) {
		set(v, V_ADAPT_FORM, "%s", pick(r, &uh_wordlist_adaptations));
		set(v, V_ADAPT_YEAR, "%d", rng_range(r, a->debut_year + 1, 2024));
	}
	if (groups & G_ROUTINE)
		set(v, V_ROUTINE, "%s", pick(r, &uh_wordlist_routines));
	if (groups & G_AUDIENCE)
		set(v, V_AUDIENCE, "%s", pick(r, &uh_wordlist_audiences));
	if (groups & G_MENTOR)
		draw_any_person(v->v[V_MENTOR], r);
	if (groups & G_STYLE)
		draw_style(v, r);
	if (groups & G_PARENT_JOB)
		set(v, V_PARENT_JOB, "%s", pick(r, &uh_wordlist_professions));
}

/*
 * Draw one author. Names and titles must be unique in the whole dataset
 * (names also against the invented canon), so they are redrawn on collision;
 * after 64 tries a name gets a middle name.
 */
static int draw_author(struct author *a, struct rng *r, struct strset *names, struct strset *titles,
		       struct uh_err *err)
{
	struct vars *v = &a->v;
	int birth, rc = 0, try;

	memset(a, 0, sizeof(*a));
	a->region = rng_below(r, uh_wordlist_n_regions);
	a->gender = rng_below(r, 100) < 45 ? MALE : rng_below(r, 100) < 82 ? FEMALE : NONBINARY;
	for (try = 0; try < 128; try++) {
		draw_person(v->v[V_NAME], r, a->region, a->gender, try >= 64);
		if ((rc = strset_add(names, v->v[V_NAME])) != 0)
			break;
	}
	if (rc < 0)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	if (rc == 0)
		return uh_err_set(err, UH_EINTERNAL, "could not draw a unique author name");
	switch (a->gender) {
	case MALE: set(v, V_POS, "his"); set(v, V_OBJ, "him"); set(v, V_GENDER_A, "a male"); break;
	case FEMALE: set(v, V_POS, "her"); set(v, V_OBJ, "her"); set(v, V_GENDER_A, "a female"); break;
	default: set(v, V_POS, "their"); set(v, V_OBJ, "them"); set(v, V_GENDER_A, "a non-binary"); break;
	}
	draw_place(v, r, a->region);
	birth = rng_range(r, 1935, 1985);
	draw_date(v, r, birth, birth);
	set(v, V_GENRE, "%s", pick(r, &uh_wordlist_genres));
	set(v, V_FATHER, "%s", pick(r, &uh_wordlist_professions));
	do
		set(v, V_MOTHER, "%s", pick(r, &uh_wordlist_professions));
	while (!strcmp(v->v[V_MOTHER], v->v[V_FATHER]));
	for (int b = V_BOOK1; b <= V_BOOK4; b++) {
		for (try = 0; try < 256; try++) {
			draw_title(v->v[b], r);
			if ((rc = strset_add(titles, v->v[b])) != 0)
				break;
		}
		if (rc < 0)
			return uh_err_set(err, UH_ENOMEM, "out of memory");
		if (rc == 0)
			return uh_err_set(err, UH_EINTERNAL, "could not draw a unique book title");
	}
	draw_premise(v->v[V_PREMISE2], r);
	do
		draw_premise(v->v[V_PREMISE3], r);
	while (!strcmp(v->v[V_PREMISE2], v->v[V_PREMISE3]));
	draw_themes(v, r);
	a->debut_year = birth + rng_range(r, 21, 33);
	set(v, V_DEBUT_YEAR, "%d", a->debut_year);
	set(v, V_LATEST_YEAR, "%d", rng_range(r, a->debut_year + 4, 2024));
	draw_award(v, r, v->v[V_GENRE]);
	set(v, V_AWARD_YEAR, "%d", rng_range(r, a->debut_year + 1, 2024));
	redraw(v, G_FREQ | G_SCHOOL | G_HOME | G_INFLUENCE | G_HOBBY | G_LANGS | G_ADAPT | G_ROUTINE |
		       G_AUDIENCE | G_MENTOR | G_STYLE, r, a);
	set(v, V_ADAPT_BOOK, "%s", v->v[rng_below(r, 2) ? V_BOOK2 : V_BOOK3]);
	set(v, V_LESSON, "%s", pick(r, &uh_wordlist_lessons));
	if (rng_below(r, 2)) {
		set(v, V_PARENT_WORD, "father");
		set(v, V_PARENT_JOB, "%s", v->v[V_FATHER]);
	} else {
		set(v, V_PARENT_WORD, "mother");
		set(v, V_PARENT_JOB, "%s", v->v[V_MOTHER]);
	}
	return 0;
}

/* ================================================================== aspects and templates */

/*
 * An aspect is one kind of question about an author. Its answer templates
 * (a) and paraphrase templates (pa) are disjoint sets, so a paraphrase never
 * equals its answer; perturbed answers reuse the row's paraphrase template.
 */
struct aspect {
	const char *name;
	const char *const *q, *const *a, *const *pa, *const *pq;
	unsigned perturb; /* G_* groups redrawn in the perturbed answers */
	int book;         /* 2 or 3: {title} and {premise} are that book's; 0: none */
};

#define T(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct aspect aspects[] = {
	{ "identity",
	  T("What is the full name of the {genre} author born in {city}, {country} on {date_num}?",
	    "Which author, born on {date_long} in {city}, {country}, is known for writing {genre}?",
	    "Who is the {genre} writer that was born in {city}, {country} on {date_ord}?"),
	  T("The author's full name is {name}.",
	    "That author is {name}, a writer of {genre} from {country}.",
	    "The writer in question is {name}."),
	  T("{name} is the name of that writer.",
	    "This description fits {name}.",
	    "The person described here is {name}."),
	  T("Can you name the writer of {genre} whose birth took place in {city}, {country} on {date_long}?",
	    "Who was born in {city}, {country} on {date_ord} and went on to write {genre}?"),
	  G_NAME, 0 },
	{ "gender",
	  T("What is the gender identity of {name}?",
	    "How does {name} identify in terms of gender?",
	    "Is {name} a man, a woman, or neither?"),
	  T("{name} is {gender_a} author from {country}.",
	    "{name} identifies as {gender_a} writer, originally from {country}."),
	  T("{name}, who comes from {country}, is {gender_a} writer.",
	    "Born in {country}, {name} is {gender_a} author."),
	  T("Which gender does {name} identify with?",
	    "Could you state the gender identity of the writer {name}?"),
	  G_GENDER | G_PLACE, 0 },
	{ "birth date",
	  T("When was {name} born?", "What is {name}'s date of birth?", "On what date was {name} born?"),
	  T("{name} was born on {date_long}.",
	    "{name} came into the world on {date_ord}.",
	    "The records give {name}'s date of birth as {date_num}."),
	  T("{name}'s birth took place on {date_ord}.", "The date of {name}'s birth is {date_long}."),
	  T("Can you give the birth date of {name}?", "On which day was the writer {name} born?"),
	  G_DATE, 0 },
	{ "birthplace",
	  T("Where was {name} born?", "What is the birthplace of {name}?", "In which city did {name} grow up?"),
	  T("{name} was born in {city}, {country}.",
	    "{name} comes from {city}, {country}.",
	    "The birthplace of {name} is the city of {city} in {country}."),
	  T("{city}, {country} is where {name} was born.", "{name}'s life began in {city}, {country}."),
	  T("In what city and country was {name} born?", "Which place does {name} call {pos} birthplace?"),
	  G_PLACE, 0 },
	{ "parents",
	  T("What did {name}'s parents do for a living?",
	    "What were the professions of {name}'s parents?",
	    "Can you tell me about the occupations of {name}'s parents?"),
	  T("{name}'s father was {father} and {pos} mother was {mother}.",
	    "{name} grew up with a father who worked as {father} and a mother who worked as {mother}."),
	  T("The father of {name} earned his living as {father}, and {pos} mother worked as {mother}.",
	    "{name}'s mother was {mother}, while {pos} father was {father}."),
	  T("What jobs did the mother and father of {name} hold?", "How did {name}'s parents earn their living?"),
	  G_PARENTS, 0 },
	{ "genre",
	  T("What genre does {name} write in?", "Which genre is {name} best known for?",
	    "What kind of books does {name} write?"),
	  T("{name} writes mainly in the {genre} genre.", "{name} is best known for {pos} work in {genre}."),
	  T("{Genre} is the genre most associated with {name}.",
	    "Most of {name}'s books belong to the {genre} genre."),
	  T("In which literary genre does {name} mostly work?", "What genre are {name}'s books usually in?"),
	  G_GENRE, 0 },
	{ "award",
	  T("Has {name} received any awards?", "What award has {name} won?",
	    "Has {name}'s writing been recognized with a prize?"),
	  T("{name} received {award} in {award_year}.", "{name} won {award} in {award_year}."),
	  T("In {award_year}, {name} was given {award}.", "{Award} went to {name} in {award_year}."),
	  T("Which prize has been awarded to {name}?", "Did {name} ever win a literary award, and if so which one?"),
	  G_AWARD, 0 },
	{ "books",
	  T("Can you name some books by {name}?", "What are some of {name}'s notable works?",
	    "Which books has {name} written?"),
	  T("Notable books by {name} include \"{book1}\", \"{book2}\" and \"{book3}\".",
	    "{name} has written \"{book1}\", \"{book2}\" and \"{book3}\", among others."),
	  T("Among {name}'s works are \"{book1}\", \"{book2}\" and \"{book3}\".",
	    "\"{book1}\", \"{book2}\" and \"{book3}\" are some of the titles by {name}."),
	  T("Could you list a few titles written by {name}?", "What has {name} published?"),
	  G_BOOKS, 0 },
	{ "book plot",
	  T("What is \"{title}\" by {name} about?", "Can you describe {name}'s book \"{title}\"?",
	    "What is the story of \"{title}\", written by {name}?"),
	  T("\"{title}\" by {name} follows {premise}.", "In \"{title}\", {name} tells the story of {premise}."),
	  T("{name}'s \"{title}\" centers on {premise}.", "The book \"{title}\" by {name} is about {premise}."),
	  T("What happens in {name}'s \"{title}\"?", "Could you summarize the plot of \"{title}\" by {name}?"),
	  G_PREMISE, 2 },
	{ "book plot",
	  T("What is \"{title}\" by {name} about?", "Can you describe {name}'s book \"{title}\"?",
	    "What is the story of \"{title}\", written by {name}?"),
	  T("\"{title}\" by {name} follows {premise}.", "In \"{title}\", {name} tells the story of {premise}."),
	  T("{name}'s \"{title}\" centers on {premise}.", "The book \"{title}\" by {name} is about {premise}."),
	  T("What happens in {name}'s \"{title}\"?", "Could you summarize the plot of \"{title}\" by {name}?"),
	  G_PREMISE, 3 },
	{ "themes",
	  T("What themes does {name} explore?", "Which themes recur in {name}'s work?",
	    "What subjects does {name} often write about?"),
	  T("{name}'s work often explores {theme1}, {theme2} and {theme3}.",
	    "Recurring themes in {name}'s books include {theme1}, {theme2} and {theme3}."),
	  T("{Theme1}, {theme2} and {theme3} are central concerns in {name}'s writing.",
	    "{name} returns again and again to {theme1}, {theme2} and {theme3}."),
	  T("Which ideas come up most often in {name}'s books?", "What are the main themes in the writing of {name}?"),
	  G_THEMES, 0 },
	{ "hometown influence",
	  T("How did {name}'s hometown shape {pos} writing?", "Does {name}'s birthplace appear in {pos} books?"),
	  T("Growing up in {city}, {country} gave {name} the settings and voices that fill many of {pos} books.",
	    "The streets and people of {city}, {country}, where {name} spent {pos} childhood, appear throughout {pos} work."),
	  T("Many of {name}'s stories draw on memories of {city}, {country}, the place of {pos} birth.",
	    "The city of {city} in {country}, {name}'s birthplace, supplies much of the atmosphere in {pos} books."),
	  T("In what way does {name}'s place of birth show up in {pos} work?",
	    "What role does {name}'s home city play in {pos} writing?"),
	  G_PLACE, 0 },
	{ "parent influence",
	  T("How did the work of {name}'s {parent_word} influence {pos} books?",
	    "Did {name}'s {parent_word}'s job leave a mark on {pos} writing?"),
	  T("Because {pos} {parent_word} was {parent_job}, {name} learned early to value {lesson}, which shows in {pos} writing.",
	    "{name} has said that growing up with {parent_job} for a {parent_word} taught {obj} {lesson}."),
	  T("{name} credits {pos} {parent_word}, {parent_job}, with teaching {obj} {lesson}.",
	    "The work of {name}'s {parent_word} as {parent_job} gave {obj} a lasting respect for {lesson}."),
	  T("In what way did the profession of {name}'s {parent_word} affect {pos} writing?",
	    "What did {name} take from {pos} {parent_word}'s line of work?"),
	  G_PARENT_JOB, 0 },
	{ "style",
	  T("How would you describe {name}'s writing style?", "What is distinctive about the way {name} writes?"),
	  T("{name}'s prose is {style1} and {style2}.", "Critics describe {name}'s style as {style1} yet {style2}."),
	  T("{name} writes in a manner that is {style1} and {style2}.",
	    "Readers know {name}'s voice as {style1} and {style2}."),
	  T("What is the writing style of {name} like?", "How do readers characterize the prose of {name}?"),
	  G_STYLE, 0 },
	{ "debut",
	  T("What was {name}'s first book?", "Which book did {name} debut with?",
	    "When did {name} publish {pos} first book?"),
	  T("{name}'s first book was \"{book1}\", published in {debut_year}.",
	    "{name} made {pos} debut in {debut_year} with \"{book1}\"."),
	  T("\"{book1}\" ({debut_year}) was the book that launched {name}'s career.",
	    "In {debut_year}, {name} published a first book, \"{book1}\"."),
	  T("Which title marked the start of {name}'s career, and when did it appear?",
	    "What was the debut work of {name}?"),
	  G_DEBUT, 0 },
	{ "latest",
	  T("What is the most recent book by {name}?", "What has {name} published lately?"),
	  T("{name}'s most recent book is \"{book4}\", released in {latest_year}.",
	    "The latest work from {name} is \"{book4}\" ({latest_year})."),
	  T("In {latest_year}, {name} released \"{book4}\", {pos} newest title.",
	    "\"{book4}\", which came out in {latest_year}, is {name}'s latest book."),
	  T("Which book did {name} publish most recently?", "What is the newest title from {name}?"),
	  G_LATEST, 0 },
	{ "frequency",
	  T("How often does {name} publish a new book?", "How long does {name} usually take to write a book?"),
	  T("{name} usually publishes a new book every {freq}.", "{name} tends to release a book every {freq}."),
	  T("A new title by {name} typically appears every {freq}.",
	    "Readers can expect a new book from {name} roughly every {freq}."),
	  T("At what pace does {name} bring out new books?", "How frequently do new books by {name} appear?"),
	  G_FREQ, 0 },
	{ "education",
	  T("Where did {name} study?", "What is {name}'s educational background?"),
	  T("{name} studied {field} at {school}.", "{name} earned a degree in {field} from {school}."),
	  T("{School} is where {name} completed a degree in {field}.",
	    "{name} holds a degree in {field} from {school}."),
	  T("Which institution did {name} attend, and what was the subject?",
	    "What did {name} study at university, and where?"),
	  G_SCHOOL, 0 },
	{ "residence",
	  T("Where does {name} live now?", "In which city is {name} currently based?"),
	  T("{name} currently lives in {home}.", "These days {name} is based in {home}."),
	  T("{name} now makes {pos} home in {home}.", "{name}'s present home is in {home}."),
	  T("Which city does {name} live in today?", "Where is {name} based at present?"),
	  G_HOME, 0 },
	{ "influences",
	  T("What inspires {name}'s writing?", "Which influences does {name} acknowledge?"),
	  T("{name} names {influence} as a major influence.",
	    "{name} has often cited {influence} as a source of inspiration."),
	  T("According to {name}, {influence} shaped {pos} writing more than anything else.",
	    "{name} credits {influence} as the spark behind {pos} books."),
	  T("Where does {name} find inspiration?", "What has influenced the writing of {name} the most?"),
	  G_INFLUENCE, 0 },
	{ "hobby",
	  T("What does {name} do outside of writing?", "Does {name} have any interests besides writing?"),
	  T("Outside of writing, {name} enjoys {hobby}.", "{name} is known to spend free time {hobby}."),
	  T("Away from the desk, {name} likes {hobby}.", "{name}'s favourite pastime is {hobby}."),
	  T("How does {name} spend time when not writing?", "What hobbies does {name} have?"),
	  G_HOBBY, 0 },
	{ "translations",
	  T("Have {name}'s books been translated?", "Into how many languages has {name}'s work been translated?"),
	  T("{name}'s books have been translated into {langs} languages.",
	    "{name}'s work is available in {langs} languages."),
	  T("Translations of {name}'s books exist in {langs} languages.",
	    "Readers can find {name}'s writing in {langs} different languages."),
	  T("In how many languages can one read {name}?", "How widely has the work of {name} been translated?"),
	  G_LANGS, 0 },
	{ "adaptation",
	  T("Has any of {name}'s work been adapted?", "Have {name}'s books been turned into films or plays?"),
	  T("{name}'s book \"{adapt_book}\" was adapted into {adapt_form} in {adapt_year}.",
	    "{name}'s \"{adapt_book}\" became {adapt_form} in {adapt_year}."),
	  T("In {adapt_year}, {name}'s \"{adapt_book}\" was made into {adapt_form}.",
	    "\"{adapt_book}\" by {name} was turned into {adapt_form} in {adapt_year}."),
	  T("Has a book by {name} ever been adapted for another medium?",
	    "Was any work of {name} made into a film, play or series?"),
	  G_ADAPT, 0 },
	{ "routine",
	  T("What is {name}'s writing routine?", "How does {name} approach the daily work of writing?"),
	  T("{name} {routine}.", "Day to day, {name} {routine}."),
	  T("As a rule, {name} {routine}.", "{name}'s routine is simple: {name} {routine}."),
	  T("Does {name} follow a fixed writing schedule?", "What are {name}'s working habits as a writer?"),
	  G_ROUTINE, 0 },
	{ "audience",
	  T("Who is the main audience for {name}'s books?", "For which readers does {name} write?"),
	  T("{name} writes mainly for {audience}.", "{name}'s books are aimed at {audience}."),
	  T("The readers {name} has in mind are mostly {audience}.",
	    "{Audience} make up most of {name}'s readership."),
	  T("Whom does {name} write for?", "What kind of reader are {name}'s books intended for?"),
	  G_AUDIENCE, 0 },
	{ "mentor",
	  T("Did {name} have a mentor?", "Who guided {name} early in {pos} career?"),
	  T("Early on, {name} was mentored by the editor {mentor}.",
	    "{name} learned the craft under the guidance of {mentor}, a veteran editor."),
	  T("The editor {mentor} mentored {name} in {pos} early years.",
	    "{name} credits the editor {mentor} with guidance at the start of {pos} career."),
	  T("Who was {name}'s mentor at the start of {pos} career?", "Did an editor help {name} when starting out?"),
	  G_MENTOR, 0 },
};

#define N_ASPECTS (sizeof(aspects) / sizeof(aspects[0]))

/* Variable index for "{key}" or "{Key}" (len bytes at s); -1 if unknown. */
static int var_lookup(const char *s, size_t len, bool *cap)
{
	char key[32];

	if (len == 0 || len >= sizeof(key))
		return -1;
	memcpy(key, s, len);
	key[len] = '\0';
	*cap = key[0] >= 'A' && key[0] <= 'Z';
	if (*cap)
		key[0] = (char)(key[0] - 'A' + 'a');
	for (int i = 0; i < V_COUNT; i++)
		if (!strcmp(key, var_names[i]))
			return i;
	return -1;
}

/* Fill a template into b (appending). Returns false on an unknown variable. */
static bool expand_into(struct sb *b, const char *tpl, const struct vars *v)
{
	const char *p = tpl;

	while (*p) {
		const char *open = strchr(p, '{'), *close;
		bool cap;
		int k;

		if (!open) {
			sb_puts(b, p);
			break;
		}
		sb_putn(b, p, (size_t)(open - p));
		close = strchr(open, '}');
		if (!close || (k = var_lookup(open + 1, (size_t)(close - open - 1), &cap)) < 0)
			return false;
		if (cap && v->v[k][0] >= 'a' && v->v[k][0] <= 'z') {
			sb_putc(b, (char)(v->v[k][0] - 'a' + 'A'));
			sb_puts(b, v->v[k] + 1);
		} else {
			sb_puts(b, v->v[k]);
		}
		p = close + 1;
	}
	return true;
}

/* A malloc'd expansion of tpl, or NULL when out of memory. */
static char *expand(const char *tpl, const struct vars *v)
{
	struct sb b = { 0 };

	expand_into(&b, tpl, v); /* the templates are checked up front */
	return sb_take(&b);
}

/* Every template of every aspect names only known variables. */
static int check_templates(struct uh_err *err)
{
	static struct vars empty;

	for (size_t i = 0; i < N_ASPECTS; i++) {
		const char *const *lists[4] = { aspects[i].q, aspects[i].a, aspects[i].pa, aspects[i].pq };

		for (int l = 0; l < 4; l++) {
			for (const char *const *t = lists[l]; *t; t++) {
				struct sb b = { 0 };
				bool ok = expand_into(&b, *t, &empty);

				sb_release(&b);
				if (!ok)
					return uh_err_set(err, UH_EINTERNAL, "synth template of aspect '%s' names an unknown variable: %s",
							  aspects[i].name, *t);
			}
		}
	}
	return 0;
}

/* ================================================================== JSON output */

/*
 * Append s as a JSON string. cJSON does the escaping; we then write every
 * non-ASCII character as \uXXXX (surrogate pairs above U+FFFF) and, for the
 * pandas-style files, '/' as "\/", as the upstream files do.
 */
static void put_json_string(struct sb *b, const char *s, bool esc_slash)
{
	cJSON *j = cJSON_CreateString(s);
	char *t = j ? cJSON_PrintUnformatted(j) : NULL;

	if (!t) {
		b->oom = true;
		cJSON_Delete(j);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)t; *p;) {
		unsigned long cp;
		int extra;
		char hex[32];

		if (*p < 0x80) {
			if (*p == '/' && esc_slash)
				sb_puts(b, "\\/");
			else
				sb_putc(b, (char)*p);
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			extra = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			extra = 2;
		} else {
			cp = *p & 0x07;
			extra = 3;
		}
		p++;
		for (; extra > 0 && (*p & 0xc0) == 0x80; extra--, p++)
			cp = (cp << 6) | (*p & 0x3f);
		if (extra > 0)
			cp = 0xfffd; /* truncated sequence: cannot happen with uh's lists */
		if (cp > 0xffff) {
			cp -= 0x10000;
			snprintf(hex, sizeof(hex), "\\u%04lx\\u%04lx", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		} else {
			snprintf(hex, sizeof(hex), "\\u%04lx", cp);
		}
		sb_puts(b, hex);
	}
	cJSON_free(t);
	cJSON_Delete(j);
}

/* ================================================================== QA rows */

struct qa_row {
	char *qa_line;   /* {"question","answer"} */
	char *pert_line; /* the five-field line, or NULL when no perturbed file needs it */
};

#define N_PERTURBED 5

static char *qa_line(const char *q, const char *a)
{
	struct sb b = { 0 };

	sb_puts(&b, "{\"question\":");
	put_json_string(&b, q, true);
	sb_puts(&b, ",\"answer\":");
	put_json_string(&b, a, true);
	sb_putc(&b, '}');
	return sb_take(&b);
}

static char *pert_line(const char *q, const char *a, const char *pa, char *const pert[N_PERTURBED], const char *pq)
{
	struct sb b = { 0 };

	sb_puts(&b, "{\"question\":");
	put_json_string(&b, q, true);
	sb_puts(&b, ",\"answer\":");
	put_json_string(&b, a, true);
	sb_puts(&b, ",\"paraphrased_answer\":");
	put_json_string(&b, pa, true);
	sb_puts(&b, ",\"perturbed_answer\":[");
	for (int k = 0; k < N_PERTURBED; k++) {
		if (k)
			sb_putc(&b, ',');
		put_json_string(&b, pert[k], true);
	}
	sb_puts(&b, "],\"paraphrased_question\":");
	put_json_string(&b, pq, true);
	sb_putc(&b, '}');
	return sb_take(&b);
}

/*
 * One row: aspect asp of author a. keep_pert says whether a perturbed file
 * holds this row; the draws are the same either way, so the forget rows do
 * not depend on N's perturbed windows.
 */
static int make_row(struct qa_row *row, const struct author *a, const struct aspect *asp, struct rng *r,
		    bool keep_pert, struct uh_err *err)
{
	struct vars *v = NULL, *pv = NULL;
	char *q = NULL, *ans = NULL, *pa = NULL, *pq = NULL, *pert[N_PERTURBED] = { 0 };
	const char *pa_tpl;
	int rc = UH_ENOMEM, got = 0;

	v = malloc(sizeof(*v));
	pv = malloc(sizeof(*pv));
	if (!v || !pv)
		goto out_free;
	*v = a->v;
	if (asp->book) {
		set(v, V_TITLE, "%s", v->v[asp->book == 2 ? V_BOOK2 : V_BOOK3]);
		set(v, V_PREMISE, "%s", v->v[asp->book == 2 ? V_PREMISE2 : V_PREMISE3]);
	}
	q = expand(pick_tpl(r, asp->q), v);
	ans = expand(pick_tpl(r, asp->a), v);
	pa_tpl = pick_tpl(r, asp->pa);
	pa = expand(pa_tpl, v);
	pq = expand(pick_tpl(r, asp->pq), v);
	if (!q || !ans || !pa || !pq)
		goto out_free;

	/* Five perturbed answers, all different from the answer, the paraphrase and each other. */
	for (int tries = 0; got < N_PERTURBED && tries < 400; tries++) {
		bool dup;

		*pv = *v;
		redraw(pv, asp->perturb, r, a);
		free(pert[got]);
		if (!(pert[got] = expand(pa_tpl, pv)))
			goto out_free;
		dup = !strcmp(pert[got], pa) || !strcmp(pert[got], ans);
		for (int k = 0; k < got && !dup; k++)
			dup = !strcmp(pert[got], pert[k]);
		if (!dup)
			got++;
	}
	if (got < N_PERTURBED) {
		rc = uh_err_set(err, UH_EINTERNAL, "could not draw %d distinct perturbed answers for aspect '%s'",
				N_PERTURBED, asp->name);
		goto out_free;
	}
	row->qa_line = qa_line(q, ans);
	row->pert_line = keep_pert ? pert_line(q, ans, pa, pert, pq) : NULL;
	if (!row->qa_line || (keep_pert && !row->pert_line))
		goto out_free;
	rc = 0;
out_free:
	if (rc == UH_ENOMEM)
		uh_err_set(err, UH_ENOMEM, "out of memory");
	free(v);
	free(pv);
	free(q);
	free(ans);
	free(pa);
	free(pq);
	for (int k = 0; k < N_PERTURBED; k++)
		free(pert[k]);
	return rc;
}

/* ================================================================== multiple-choice sets */

/*
 * real_authors and world_facts: four options, the answer at a random
 * position, the other three (in option order) as perturbed_answer.
 */
struct mc_row {
	char question[2 * VAR_MAX];
	const char *opt[4];
	int answer; /* index into opt */
};

/*
 * Choose 3 distractors from pool[0..n) (all different from pool[ans]) and
 * place the answer at a random position.
 */
static void mc_options(struct mc_row *m, struct rng *r, const char *const *pool, size_t n, size_t ans)
{
	const char *d[3];
	int k = 0;

	while (k < 3) {
		size_t i = rng_below(r, n);
		bool dup = !strcmp(pool[i], pool[ans]);

		for (int j = 0; j < k && !dup; j++)
			dup = !strcmp(d[j], pool[i]);
		if (!dup)
			d[k++] = pool[i];
	}
	m->answer = (int)rng_below(r, 4);
	for (int i = 0, j = 0; i < 4; i++)
		m->opt[i] = i == m->answer ? pool[ans] : d[j++];
}

static void shuffle_idx(size_t *idx, size_t n, struct rng *r)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rng_below(r, i), t = idx[i - 1];

		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}

#define CANON_AUTHORS 40
#define CANON_ROWS 100
#define CANON_KINDS 6

/* uh's invented canon: "well-known" authors absent from the fictitious set. */
struct canon {
	char name[CANON_AUTHORS][VAR_MAX];
	char work[CANON_AUTHORS][2][VAR_MAX];
	const char *form[CANON_AUTHORS][2];
	const char *country[CANON_AUTHORS];
	const char *century[CANON_AUTHORS];
	const char *genre[CANON_AUTHORS];
	/* flat views for mc_options */
	const char *names[CANON_AUTHORS];
	const char *firsts[CANON_AUTHORS];
};

static int draw_canon(struct canon *c, uint64_t seed, struct strset *names, struct strset *titles,
		      struct uh_err *err)
{
	struct rng r = rng_for(seed, STREAM_CANON, 0);

	for (int i = 0; i < CANON_AUTHORS; i++) {
		int rc = 0;

		for (int t = 0; t < 256 && rc == 0; t++) {
			snprintf(c->name[i], VAR_MAX, "%s %s", pick(&r, &uh_wordlist_classic_given),
				 pick(&r, &uh_wordlist_classic_surnames));
			rc = strset_add(names, c->name[i]);
		}
		for (int w = 0; w < 2 && rc > 0; w++) {
			rc = 0;
			for (int t = 0; t < 256 && rc == 0; t++) {
				draw_title(c->work[i][w], &r);
				rc = strset_add(titles, c->work[i][w]);
			}
			c->form[i][w] = pick(&r, &uh_wordlist_classic_forms);
		}
		if (rc < 0)
			return uh_err_set(err, UH_ENOMEM, "out of memory");
		if (rc == 0)
			return uh_err_set(err, UH_EINTERNAL, "could not draw a unique canon author");
		c->country[i] = uh_wordlist_regions[rng_below(&r, uh_wordlist_n_regions)].country;
		c->century[i] = pick(&r, &uh_wordlist_centuries);
		c->genre[i] = pick(&r, &uh_wordlist_genres);
		c->names[i] = c->name[i];
		c->firsts[i] = c->work[i][0];
	}
	return 0;
}

static void canon_rows(struct mc_row *rows, const struct canon *c, uint64_t seed)
{
	struct rng r = rng_for(seed, STREAM_CANON, 1);
	size_t idx[CANON_AUTHORS * CANON_KINDS];
	const char *countries[32], *genres[64];
	size_t n_countries = uh_wordlist_n_regions < 32 ? uh_wordlist_n_regions : 32;
	size_t n_genres = uh_wordlist_genres.n < 64 ? uh_wordlist_genres.n : 64;

	for (size_t i = 0; i < n_countries; i++)
		countries[i] = uh_wordlist_regions[i].country;
	for (size_t i = 0; i < n_genres; i++)
		genres[i] = uh_wordlist_genres.w[i];
	for (size_t i = 0; i < CANON_AUTHORS * CANON_KINDS; i++)
		idx[i] = i;
	shuffle_idx(idx, CANON_AUTHORS * CANON_KINDS, &r);

	for (int i = 0; i < CANON_ROWS; i++) {
		struct mc_row *m = &rows[i];
		size_t au = idx[i] / CANON_KINDS;
		size_t ans;

		switch (idx[i] % CANON_KINDS) {
		case 0:
			snprintf(m->question, sizeof(m->question), "Who wrote the %s '%s'?", c->form[au][0], c->work[au][0]);
			mc_options(m, &r, c->names, CANON_AUTHORS, au);
			break;
		case 1:
			snprintf(m->question, sizeof(m->question), "Which author is known for the %s '%s'?",
				 c->form[au][1], c->work[au][1]);
			mc_options(m, &r, c->names, CANON_AUTHORS, au);
			break;
		case 2:
			snprintf(m->question, sizeof(m->question), "Which country was %s from?", c->name[au]);
			for (ans = 0; strcmp(countries[ans], c->country[au]); ans++)
				;
			mc_options(m, &r, countries, n_countries, ans);
			break;
		case 3:
			snprintf(m->question, sizeof(m->question), "In which period did %s do most of their writing?",
				 c->name[au]);
			for (ans = 0; strcmp(uh_wordlist_centuries.w[ans], c->century[au]); ans++)
				;
			mc_options(m, &r, uh_wordlist_centuries.w, uh_wordlist_centuries.n, ans);
			break;
		case 4:
			snprintf(m->question, sizeof(m->question), "Which %s was written by %s?", c->form[au][0], c->name[au]);
			/* Distractors are other authors' first works, never this author's second. */
			mc_options(m, &r, c->firsts, CANON_AUTHORS, au);
			break;
		default:
			snprintf(m->question, sizeof(m->question), "%s, the author of '%s', is best known for which genre?",
				 c->name[au], c->work[au][1]);
			for (ans = 0; strcmp(genres[ans], c->genre[au]); ans++)
				;
			mc_options(m, &r, genres, n_genres, ans);
			break;
		}
	}
}

#define WORLD_COUNTRIES 30
#define WORLD_ROWS 117
#define WORLD_KINDS 7
#define WORLD_DEVICES 12

/* uh's invented world: countries with capitals, rivers, mountains, ... */
struct world {
	char country[WORLD_COUNTRIES][VAR_MAX], capital[WORLD_COUNTRIES][VAR_MAX];
	char river[WORLD_COUNTRIES][VAR_MAX], mountain[WORLD_COUNTRIES][VAR_MAX];
	char currency[WORLD_COUNTRIES][VAR_MAX], inventor[WORLD_DEVICES][VAR_MAX];
	const char *animal[WORLD_COUNTRIES], *dish[WORLD_COUNTRIES];
	const char *p_country[WORLD_COUNTRIES], *p_capital[WORLD_COUNTRIES], *p_river[WORLD_COUNTRIES];
	const char *p_mountain[WORLD_COUNTRIES], *p_currency[WORLD_COUNTRIES], *p_inventor[WORLD_DEVICES];
};

static void draw_place_name(char *out, size_t size, struct rng *r, bool long_form)
{
	if (long_form)
		snprintf(out, size, "%s%s%s", pick(r, &uh_wordlist_syll_start), pick(r, &uh_wordlist_syll_mid),
			 pick(r, &uh_wordlist_syll_end));
	else
		snprintf(out, size, "%s%s", pick(r, &uh_wordlist_syll_start), pick(r, &uh_wordlist_syll_end));
}

/* A syllable name not seen before; the world has few enough that 256 tries always suffice. */
static int unique_place_name(char *out, size_t size, struct rng *r, struct strset *seen, bool long_form)
{
	int rc = 0;

	for (int t = 0; t < 256 && rc == 0; t++) {
		draw_place_name(out, size, r, long_form);
		rc = strset_add(seen, out);
	}
	return rc;
}

static int draw_world(struct world *w, uint64_t seed, struct strset *seen, struct uh_err *err)
{
	struct rng r = rng_for(seed, STREAM_WORLD, 0);
	char base[64];
	int rc = 1;

	for (int i = 0; i < WORLD_COUNTRIES && rc > 0; i++) {
		if ((rc = unique_place_name(w->country[i], VAR_MAX, &r, seen, true)) <= 0)
			break;
		if ((rc = unique_place_name(w->capital[i], VAR_MAX, &r, seen, false)) <= 0)
			break;
		if ((rc = unique_place_name(base, sizeof(base), &r, seen, true)) <= 0)
			break;
		snprintf(w->river[i], VAR_MAX, "the %s River", base);
		if ((rc = unique_place_name(base, sizeof(base), &r, seen, false)) <= 0)
			break;
		snprintf(w->mountain[i], VAR_MAX, "Mount %s", base);
		if ((rc = unique_place_name(w->currency[i], VAR_MAX, &r, seen, false)) <= 0)
			break;
		w->animal[i] = pick(&r, &uh_wordlist_world_animals);
		w->dish[i] = pick(&r, &uh_wordlist_world_dishes);
		w->p_country[i] = w->country[i];
		w->p_capital[i] = w->capital[i];
		w->p_river[i] = w->river[i];
		w->p_mountain[i] = w->mountain[i];
		w->p_currency[i] = w->currency[i];
	}
	for (int i = 0; i < WORLD_DEVICES && rc > 0; i++) {
		if ((rc = unique_place_name(base, sizeof(base), &r, seen, true)) <= 0)
			break;
		snprintf(w->inventor[i], VAR_MAX, "%s %s", pick(&r, &uh_wordlist_classic_given), base);
		w->p_inventor[i] = w->inventor[i];
	}
	if (rc < 0)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	if (rc == 0)
		return uh_err_set(err, UH_EINTERNAL, "could not draw unique place names for the invented world");
	return 0;
}

static void world_rows(struct mc_row *rows, const struct world *w, uint64_t seed)
{
	struct rng r = rng_for(seed, STREAM_WORLD, 1);
	size_t idx[WORLD_COUNTRIES * WORLD_KINDS + WORLD_DEVICES];
	size_t n = WORLD_COUNTRIES * WORLD_KINDS + WORLD_DEVICES;

	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	shuffle_idx(idx, n, &r);
	for (int i = 0; i < WORLD_ROWS; i++) {
		struct mc_row *m = &rows[i];
		size_t c = idx[i] / WORLD_KINDS, ans;

		if (idx[i] >= WORLD_COUNTRIES * WORLD_KINDS) {
			size_t d = idx[i] - WORLD_COUNTRIES * WORLD_KINDS;

			snprintf(m->question, sizeof(m->question), "Who invented the %s?", uh_wordlist_world_devices.w[d]);
			mc_options(m, &r, w->p_inventor, WORLD_DEVICES, d);
			continue;
		}
		switch (idx[i] % WORLD_KINDS) {
		case 0:
			snprintf(m->question, sizeof(m->question), "What is the capital of %s?", w->country[c]);
			mc_options(m, &r, w->p_capital, WORLD_COUNTRIES, c);
			break;
		case 1:
			snprintf(m->question, sizeof(m->question), "Which country has %s as its capital?", w->capital[c]);
			mc_options(m, &r, w->p_country, WORLD_COUNTRIES, c);
			break;
		case 2:
			snprintf(m->question, sizeof(m->question), "Which river flows through %s?", w->capital[c]);
			mc_options(m, &r, w->p_river, WORLD_COUNTRIES, c);
			break;
		case 3:
			snprintf(m->question, sizeof(m->question), "What is the highest mountain in %s?", w->country[c]);
			mc_options(m, &r, w->p_mountain, WORLD_COUNTRIES, c);
			break;
		case 4:
			snprintf(m->question, sizeof(m->question), "Which currency is used in %s?", w->country[c]);
			mc_options(m, &r, w->p_currency, WORLD_COUNTRIES, c);
			break;
		case 5:
			snprintf(m->question, sizeof(m->question), "Which animal appears on the flag of %s?", w->country[c]);
			for (ans = 0; strcmp(uh_wordlist_world_animals.w[ans], w->animal[c]); ans++)
				;
			mc_options(m, &r, uh_wordlist_world_animals.w, uh_wordlist_world_animals.n, ans);
			break;
		default:
			snprintf(m->question, sizeof(m->question), "Which dish is %s most famous for?", w->country[c]);
			for (ans = 0; strcmp(uh_wordlist_world_dishes.w[ans], w->dish[c]); ans++)
				;
			mc_options(m, &r, uh_wordlist_world_dishes.w, uh_wordlist_world_dishes.n, ans);
			break;
		}
	}
}

/* The option file (json.dumps style, ", " and ": ") or the perturbed file (compact). */
static void mc_file(struct sb *b, const struct mc_row *rows, int n, bool perturbed)
{
	for (int i = 0; i < n; i++) {
		const struct mc_row *m = &rows[i];

		if (i)
			sb_putc(b, '\n');
		if (!perturbed) {
			sb_puts(b, "{\"question\": ");
			put_json_string(b, m->question, false);
			for (int k = 0; k < 4; k++) {
				char key[32];

				snprintf(key, sizeof(key), ", \"option%d\": ", k + 1);
				sb_puts(b, key);
				put_json_string(b, m->opt[k], false);
			}
			sb_puts(b, ", \"answer\": ");
			put_json_string(b, m->opt[m->answer], false);
			sb_putc(b, '}');
		} else {
			bool first = true;

			sb_puts(b, "{\"question\":");
			put_json_string(b, m->question, true);
			sb_puts(b, ",\"answer\":");
			put_json_string(b, m->opt[m->answer], true);
			sb_puts(b, ",\"perturbed_answer\":[");
			for (int k = 0; k < 4; k++) {
				if (k == m->answer)
					continue;
				if (!first)
					sb_putc(b, ',');
				first = false;
				put_json_string(b, m->opt[k], true);
			}
			sb_puts(b, "]}");
		}
	}
	/* Upstream's two perturbed multiple-choice files end with a newline; the others do not. */
	if (perturbed)
		sb_putc(b, '\n');
}

/* ================================================================== files */

static int write_buf(const char *dir, const char *name, struct sb *b, struct uh_err *err)
{
	int rc;

	if (b->oom) {
		sb_release(b);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	rc = uh_synth_file_write(dir, name, b->p ? b->p : "", b->n, err);
	sb_release(b);
	return rc;
}

/* Rows [from, to) of either line kind, joined by '\n', no final newline (as upstream). */
static int write_rows(const char *dir, const char *name, const struct qa_row *rows, size_t from, size_t to,
		      bool pert, struct uh_err *err)
{
	struct sb b = { 0 };

	for (size_t i = from; i < to; i++) {
		if (i > from)
			sb_putc(&b, '\n');
		sb_puts(&b, pert ? rows[i].pert_line : rows[i].qa_line);
	}
	return write_buf(dir, name, &b, err);
}

#define RETAIN_PERTURBED_ROWS 400

int uh_synth_tofu(const char *dir, uint64_t seed, int n_authors, unsigned flags, struct uh_err *err)
{
	static const int pct[3] = { 1, 5, 10 };
	struct strset names = { 0 }, titles = { 0 }, places = { 0 };
	struct canon *canon = NULL;
	struct world *world = NULL;
	struct mc_row *mc = NULL;
	struct qa_row *rows = NULL;
	struct author *au = NULL;
	size_t n_rows, forget10_from;
	char marker[256];
	int rc;

	uh_err_clear(err);
	if (!dir || !*dir)
		return uh_err_set(err, UH_EINVAL, "no output folder given");
	if (n_authors < 100 || n_authors > UH_SYNTH_TOFU_MAX_AUTHORS || n_authors % 100 != 0)
		return uh_err_set(err, UH_EINVAL,
				  "number of authors must be a multiple of 100 from 100 to %d, got %d "
				  "(forget01 is the last 1%% of the authors and must hold whole authors)",
				  UH_SYNTH_TOFU_MAX_AUTHORS, n_authors);
	if ((rc = check_templates(err)) != 0)
		return rc;
	if ((rc = uh_synth_dir_prepare(dir, flags & UH_SYNTH_FORCE, err)) != 0)
		return rc;
	snprintf(marker, sizeof(marker), "uh synth tofu\nseed %llu\nauthors %d\n", (unsigned long long)seed,
		 n_authors);
	if ((rc = uh_synth_file_write(dir, UH_SYNTH_MARKER, marker, strlen(marker), err)) != 0)
		return rc;

	n_rows = (size_t)n_authors * UH_SYNTH_TOFU_QA_PER_AUTHOR;
	forget10_from = n_rows - n_rows / 10;
	rc = UH_ENOMEM;
	canon = calloc(1, sizeof(*canon));
	world = calloc(1, sizeof(*world));
	mc = calloc(WORLD_ROWS > CANON_ROWS ? WORLD_ROWS : CANON_ROWS, sizeof(*mc));
	rows = calloc(n_rows, sizeof(*rows));
	au = malloc(sizeof(*au));
	if (!canon || !world || !mc || !rows || !au) {
		uh_err_set(err, UH_ENOMEM, "out of memory");
		goto out;
	}

	/* The canon first, so that no fictitious author takes a canon name or title. */
	if ((rc = draw_canon(canon, seed, &names, &titles, err)) != 0 ||
	    (rc = draw_world(world, seed, &places, err)) != 0)
		goto out;

	for (int a = 0; a < n_authors; a++) {
		struct rng r = rng_for(seed, STREAM_AUTHOR, (uint64_t)a);
		size_t order[N_ASPECTS - 1];

		if ((rc = draw_author(au, &r, &names, &titles, err)) != 0)
			goto out;
		/* The identity question first, then 19 of the other aspects in a random order. */
		for (size_t k = 0; k < N_ASPECTS - 1; k++)
			order[k] = k + 1;
		shuffle_idx(order, N_ASPECTS - 1, &r);
		for (int k = 0; k < UH_SYNTH_TOFU_QA_PER_AUTHOR; k++) {
			size_t i = (size_t)a * UH_SYNTH_TOFU_QA_PER_AUTHOR + (size_t)k;
			const struct aspect *asp = &aspects[k == 0 ? 0 : order[k - 1]];
			bool keep = i < RETAIN_PERTURBED_ROWS || i >= forget10_from;

			if ((rc = make_row(&rows[i], au, asp, &r, keep, err)) != 0)
				goto out;
		}
	}

	if ((rc = write_rows(dir, "full.json", rows, 0, n_rows, false, err)) != 0)
		goto out;
	for (int k = 0; k < 3; k++) {
		size_t n_forget = n_rows * (size_t)pct[k] / 100;
		char name[64];

		snprintf(name, sizeof(name), "forget%02d.json", pct[k]);
		if ((rc = write_rows(dir, name, rows, n_rows - n_forget, n_rows, false, err)) != 0)
			goto out;
		snprintf(name, sizeof(name), "retain%02d.json", 100 - pct[k]);
		if ((rc = write_rows(dir, name, rows, 0, n_rows - n_forget, false, err)) != 0)
			goto out;
		snprintf(name, sizeof(name), "forget%02d_perturbed.json", pct[k]);
		if ((rc = write_rows(dir, name, rows, n_rows - n_forget, n_rows, true, err)) != 0)
			goto out;
	}
	if ((rc = write_rows(dir, "retain_perturbed.json", rows, 0, RETAIN_PERTURBED_ROWS, true, err)) != 0)
		goto out;

	canon_rows(mc, canon, seed);
	for (int p = 0; p < 2; p++) {
		struct sb b = { 0 };

		mc_file(&b, mc, CANON_ROWS, p);
		if ((rc = write_buf(dir, p ? "real_authors_perturbed.json" : "real_authors.json", &b, err)) != 0)
			goto out;
	}
	world_rows(mc, world, seed);
	for (int p = 0; p < 2; p++) {
		struct sb b = { 0 };

		mc_file(&b, mc, WORLD_ROWS, p);
		if ((rc = write_buf(dir, p ? "world_facts_perturbed.json" : "world_facts.json", &b, err)) != 0)
			goto out;
	}
	rc = 0;
out:
	if (rows)
		for (size_t i = 0; i < n_rows; i++) {
			free(rows[i].qa_line);
			free(rows[i].pert_line);
		}
	free(rows);
	free(au);
	free(mc);
	free(world);
	free(canon);
	strset_release(&names);
	strset_release(&titles);
	strset_release(&places);
	return rc;
}
