/*
 * wordlists.h - uh's own word lists for the synthetic dataset generators
 * (suites/synth_tofu.c). Every list was written for uh; none is copied from
 * an upstream dataset.
 *
 * All data here is static and read-only: the pointers are borrowed for the
 * life of the program and must not be freed. Strings are UTF-8; a few names
 * carry accents on purpose, so that writers and metrics meet non-ASCII text.
 */
#ifndef UH_SUITES_WORDLISTS_H
#define UH_SUITES_WORDLISTS_H

#include <stddef.h>

/* A list of n strings. */
struct uh_wordlist {
	const char *const *w;
	size_t n;
};

/*
 * One cultural region of the fictitious authors: a country, its adjective,
 * cities in it, and given names and surnames that fit it.
 */
struct uh_wordlist_region {
	const char *country;
	const char *adj;        /* "Nigerian" */
	struct uh_wordlist cities;
	struct uh_wordlist male;
	struct uh_wordlist female;
	struct uh_wordlist surnames;
};

extern const struct uh_wordlist_region uh_wordlist_regions[];
extern const size_t uh_wordlist_n_regions;

/* Fictitious authors: facts. Professions carry their article ("a baker"). */
extern const struct uh_wordlist uh_wordlist_genres;       /* "science fiction" */
extern const struct uh_wordlist uh_wordlist_professions;  /* "an electrician" */
extern const struct uh_wordlist uh_wordlist_themes;       /* "forgiveness" */
extern const struct uh_wordlist uh_wordlist_styles;       /* "lyrical" */
extern const struct uh_wordlist uh_wordlist_lessons;      /* "patience" */
extern const struct uh_wordlist uh_wordlist_fields;       /* study fields */
extern const struct uh_wordlist uh_wordlist_influences;   /* noun phrases */
extern const struct uh_wordlist uh_wordlist_hobbies;      /* gerund phrases */
extern const struct uh_wordlist uh_wordlist_routines;     /* 3rd-person verb phrases */
extern const struct uh_wordlist uh_wordlist_audiences;    /* plural noun phrases */
extern const struct uh_wordlist uh_wordlist_adaptations;  /* "a radio drama" */
extern const struct uh_wordlist uh_wordlist_frequencies;  /* "two to three years" */

/* Pieces of book titles, premises and award names. */
extern const struct uh_wordlist uh_wordlist_title_adj;    /* "Silent" */
extern const struct uh_wordlist uh_wordlist_title_noun;   /* "Harbor" */
extern const struct uh_wordlist uh_wordlist_title_verb;   /* "Turned" (past tense) */
extern const struct uh_wordlist uh_wordlist_protagonists; /* "a retired ferry pilot" */
extern const struct uh_wordlist uh_wordlist_actions;      /* "who ..." clauses, without "who" */
extern const struct uh_wordlist uh_wordlist_award_adj;    /* "Golden" */
extern const struct uh_wordlist uh_wordlist_award_noun;   /* "Quill" */
extern const struct uh_wordlist uh_wordlist_schools;      /* "Institute of Letters" */

/* "Well-known" authors of uh's invented canon (disjoint from the regions). */
extern const struct uh_wordlist uh_wordlist_classic_given;
extern const struct uh_wordlist uh_wordlist_classic_surnames;
extern const struct uh_wordlist uh_wordlist_classic_forms; /* "novel", "play" */
extern const struct uh_wordlist uh_wordlist_centuries;     /* "the eighteenth century" */

/* Syllables for the invented world's place names. */
extern const struct uh_wordlist uh_wordlist_syll_start;
extern const struct uh_wordlist uh_wordlist_syll_mid;
extern const struct uh_wordlist uh_wordlist_syll_end;
extern const struct uh_wordlist uh_wordlist_world_animals;  /* "heron" */
extern const struct uh_wordlist uh_wordlist_world_devices;  /* "tide clock" */
extern const struct uh_wordlist uh_wordlist_world_dishes;   /* "smoked barley stew" */

#endif
