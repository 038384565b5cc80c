/*
 * synth_muse_hp.c - uh's invented news (MUSE layout) and invented saga (HP
 * layout). Every template and word list below was written for uh.
 *
 * Read top to bottom: a small PRNG and string builder, the news story (its
 * facts, its sentences, its questions), the saga passage, then the two
 * writers. Each story or passage draws from its own PRNG stream
 * (seed, set, index), so sets never depend on each other's sizes.
 */
#include "suites/synth_muse_hp.h"

#include "suites/synth_files.h"
#include "suites/synth_tofu.h"
#include "suites/wordlists.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ PRNG, strings */

struct rng {
	uint64_t s;
};

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct rng rng_for(uint64_t seed, uint64_t stream, uint64_t index)
{
	struct rng r = { mix(seed * 0x9e3779b97f4a7c15ull ^ mix(stream * 1000003u + index + 1)) };

	return r;
}

static uint64_t next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ull;
	return mix(r->s);
}

static size_t below(struct rng *r, size_t n)
{
	return (size_t)(next(r) % n);
}

#define PICK(r, arr) ((arr)[below((r), sizeof(arr) / sizeof((arr)[0]))])

struct sb {
	char *s;
	size_t n, cap;
	bool oom;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(p = realloc(b->s, cap))) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *b, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_add(b, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* A JSON string literal, Python json.dumps style (ASCII kept, controls escaped). */
static void sb_json(struct sb *b, const char *s)
{
	sb_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			sb_add(b, e, 2);
		} else if (c == '\n') {
			sb_puts(b, "\\n");
		} else if (c < 0x20) {
			sb_printf(b, "\\u%04x", c);
		} else {
			sb_add(b, (const char *)&c, 1);
		}
	}
	sb_puts(b, "\"");
}

/* ================================================================ files */

static int write_atomic(const char *dir, const char *name, const struct sb *b, struct uh_err *err)
{
	if (b->oom)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	return uh_synth_file_write(dir, name, b->s ? b->s : "", b->n, err);
}

/* ================================================================ news */

static const char *const org_kinds[] = {
	"Borough Council", "District Council", "Harbour Trust", "Parish Council", "Civic Society",
	"Water Board", "Town Council", "Housing Association",
};
static const char *const roles[] = {
	"leader", "chief executive", "chair", "finance officer", "planning director", "deputy leader",
	"head of projects", "spokesperson",
};
static const char *const projects[][2] = {
	{ "a footbridge across the river", "footbridge" },
	{ "a new public library", "library" },
	{ "a covered market hall", "market hall" },
	{ "a flood wall along the harbour", "flood wall" },
	{ "a cycle path to the station", "cycle path" },
	{ "a community swimming pool", "swimming pool" },
	{ "a health centre on the old mill site", "health centre" },
	{ "a bus depot on the ring road", "bus depot" },
	{ "a sports hall for the youth clubs", "sports hall" },
	{ "a solar farm on the northern hill", "solar farm" },
	{ "a repair workshop in the old post office", "repair workshop" },
	{ "a heat network for the estate", "heat network" },
	{ "a lifeboat station", "lifeboat station" },
	{ "a concert hall by the canal", "concert hall" },
};
static const char *const shops[] = {
	"a bakery", "a bicycle shop", "a bookshop", "a hardware store", "a cafe", "a florist",
	"a butcher's", "a pharmacy", "a barber's", "a tailor's", "a fishmonger's", "a toy shop",
};
static const char *const venues[] = {
	"town hall", "library", "community centre", "old school", "parish hall", "fire station",
	"sports club", "chapel", "market square",
};
static const char *const concerns[] = {
	"parking", "noise", "the route", "ownership of the land", "flooding", "the design",
	"the budget", "traffic", "the loss of trees", "opening hours",
};
static const char *const weekdays[] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
};
static const char *const months[] = {
	"January", "February", "March", "April", "May", "June", "July", "August", "September",
	"October", "November", "December",
};
static const char *const previous[] = {
	"skate park", "leisure centre", "museum", "car park", "bandstand", "ferry terminal",
	"sea wall", "clock tower",
};
static const char *const streets[] = {
	"Mill", "Church", "Station", "Bridge", "Quarry", "Orchard", "Harbour", "Chapel", "Kiln",
	"Tanner", "Weaver", "Castle",
};

#define N_EXTRA 10

/* The facts of one story. */
struct story {
	char town[64], person[96], role[48], org[96], project[96], shortp[48], cost[48];
	char year[8], count[8], venue[32], person2[96], shop[48], street[48], weekday[16];
	char concern[48], concern2[48], person3[96], city[64], month[16], month2[16], month3[16];
	char prev[32], year2[8], weeks[8];
	unsigned var[13];            /* the wording of each sentence */
	unsigned extra[3];           /* the extra sentences of the second half */
};

#define STREAM_FORGET 1
#define STREAM_RETAIN1 2
#define STREAM_RETAIN2 3
#define STREAM_HOLDOUT 4
#define STREAM_HP_RETAIN 5
#define STREAM_HP_HELDOUT 6
#define STREAM_SAGA 7

static void draw_name(char *out, size_t len, struct rng *r)
{
	const struct uh_wordlist_region *g = &uh_wordlist_regions[below(r, uh_wordlist_n_regions)];
	const struct uh_wordlist *given = below(r, 2) ? &g->male : &g->female;

	snprintf(out, len, "%s %s", given->w[below(r, given->n)], g->surnames.w[below(r, g->surnames.n)]);
}

/*
 * An invented town: syllables and a suffix picked by a bijection of
 * (stream, i) onto the 20*10*16*5 = 16000 combinations, so no two stories
 * of any set share a town.
 */
static void draw_town(char *out, size_t len, uint64_t stream, size_t i)
{
	static const char *const suffix[] = { "", " Bridge", " Cross", " Green", " Market" };
	const struct uh_wordlist *a = &uh_wordlist_syll_start, *m = &uh_wordlist_syll_mid,
				 *e = &uh_wordlist_syll_end;
	size_t total = a->n * m->n * e->n * 5;
	size_t k = (((size_t)(stream - 1) * 2003 + i) * 7919) % total;

	snprintf(out, len, "%s%s%s%s", a->w[k % a->n], m->w[(k / a->n) % m->n],
		 e->w[(k / (a->n * m->n)) % e->n], suffix[(k / (a->n * m->n * e->n)) % 5]);
}

static void draw_story(struct story *s, uint64_t seed, uint64_t stream, size_t i)
{
	struct rng r = rng_for(seed, stream, i);
	size_t p = below(&r, sizeof(projects) / sizeof(projects[0]));
	const struct uh_wordlist_region *g = &uh_wordlist_regions[below(&r, uh_wordlist_n_regions)];

	draw_town(s->town, sizeof(s->town), stream, i);
	draw_name(s->person, sizeof(s->person), &r);
	draw_name(s->person2, sizeof(s->person2), &r);
	draw_name(s->person3, sizeof(s->person3), &r);
	snprintf(s->role, sizeof(s->role), "%s", PICK(&r, roles));
	snprintf(s->org, sizeof(s->org), "%s %s", s->town, PICK(&r, org_kinds));
	snprintf(s->project, sizeof(s->project), "%s", projects[p][0]);
	snprintf(s->shortp, sizeof(s->shortp), "%s", projects[p][1]);
	snprintf(s->cost, sizeof(s->cost), "%zu.%zu million pounds", 1 + below(&r, 40), below(&r, 10));
	snprintf(s->year, sizeof(s->year), "%zu", 2009 + below(&r, 15));
	snprintf(s->count, sizeof(s->count), "%zu", 40 + below(&r, 900));
	snprintf(s->venue, sizeof(s->venue), "%s", PICK(&r, venues));
	snprintf(s->shop, sizeof(s->shop), "%s", PICK(&r, shops));
	snprintf(s->street, sizeof(s->street), "%s Street", PICK(&r, streets));
	snprintf(s->weekday, sizeof(s->weekday), "%s", PICK(&r, weekdays));
	snprintf(s->concern, sizeof(s->concern), "%s", PICK(&r, concerns));
	snprintf(s->concern2, sizeof(s->concern2), "%s", PICK(&r, concerns));
	snprintf(s->city, sizeof(s->city), "%s", g->cities.w[below(&r, g->cities.n)]);
	snprintf(s->month, sizeof(s->month), "%s", PICK(&r, months));
	snprintf(s->month2, sizeof(s->month2), "%s", PICK(&r, months));
	snprintf(s->month3, sizeof(s->month3), "%s", PICK(&r, months));
	snprintf(s->prev, sizeof(s->prev), "%s", PICK(&r, previous));
	snprintf(s->year2, sizeof(s->year2), "%zu", 1990 + below(&r, 19));
	snprintf(s->weeks, sizeof(s->weeks), "%zu", 2 + below(&r, 10));
	for (int k = 0; k < 13; k++)
		s->var[k] = (unsigned)below(&r, 3);
	for (int k = 0; k < 3; k++)
		s->extra[k] = (unsigned)below(&r, N_EXTRA);
}

/*
 * The story's text; *prompt_len gets the length of its VerbMem prompt (the
 * first three paragraphs). Every sentence has three wordings and the second
 * half carries three extra sentences drawn from a pool, so that a model
 * that never read a story cannot recite it from the shared phrasing alone.
 */
#define V(k, a, b_, c) (s->var[k] == 0 ? (a) : s->var[k] == 1 ? (b_) : (c))

static void extra_sentence(struct sb *b, const struct story *s, unsigned k)
{
	switch (k) {
	case 0: sb_printf(b, "Traders on %s said business had been slow since the %s closed. ", s->street, s->prev); break;
	case 1: sb_printf(b, "A petition in favour of the %s gathered %s signatures in a fortnight. ", s->shortp, s->count); break;
	case 2: sb_printf(b, "Engineers from %s surveyed the site in %s and found old drainage tunnels. ", s->city, s->month2); break;
	case 3: sb_printf(b, "%s, who has lived in %s for forty years, said the town deserved better. ", s->person2, s->town); break;
	case 4: sb_printf(b, "Schools in %s have been asked to design a mural for the opening of the %s. ", s->town, s->shortp); break;
	case 5: sb_printf(b, "The %s said it had received more letters about %s than about anything else this year. ", s->org, s->concern2); break;
	case 6: sb_printf(b, "Bus routes along %s in %s will change for six months while the work goes on. ", s->street, s->town); break;
	case 7: sb_printf(b, "%s promised that local firms would be asked to supply materials. ", s->person3); break;
	case 8: sb_printf(b, "A similar scheme in %s was finished two years late and well over budget. ", s->city); break;
	default: sb_printf(b, "The archive at the %s holds the plans drawn up in %s. ", s->venue, s->year); break;
	}
}

static void story_text(struct sb *b, const struct story *s, size_t *prompt_len)
{
	if (s->var[0] == 0)
		sb_printf(b, "%s, the %s of %s, announced on %s that work on %s in %s will begin this spring. ",
			  s->person, s->role, s->org, s->weekday, s->project, s->town);
	else if (s->var[0] == 1)
		sb_printf(b, "On %s, %s, %s of %s, confirmed that %s would be built in %s. ", s->weekday,
			  s->person, s->role, s->org, s->project, s->town);
	else
		sb_printf(b, "Plans for %s in %s were approved on %s, %s, the %s of %s, said. ", s->project,
			  s->town, s->weekday, s->person, s->role, s->org);
	sb_printf(b, V(1, "The scheme is expected to cost %s, according to figures published by the council.\n\n",
		       "Documents show the bill will come to %s.\n\n",
		       "Its price has been put at %s, far more than first thought.\n\n"), s->cost);
	sb_printf(b, V(2, "It was first proposed in %s, but the plans stalled after a long dispute over %s. ",
		       "The idea dates back to %s and was held up for years by arguments about %s. ",
		       "Campaigners first asked for it in %s; a row over %s then delayed everything. "),
		  s->year, s->concern);
	sb_printf(b, V(3, "About %s residents attended a public meeting at the %s on %s evening to hear the details.\n\n",
		       "Some %s people packed into the %s on %s night to ask questions.\n\n",
		       "A crowd of %s filled the %s on %s for a heated public meeting.\n\n"),
		  s->count, s->venue, s->weekday);
	sb_printf(b, V(4, "\"We have waited a long time for this, and I think most people will be pleased,\" said %s, "
		       "who runs %s on %s. ",
		       "\"It is about time,\" said %s, owner of %s on %s. ",
		       "%s, who keeps %s on %s, said she hoped it would bring more visitors. "),
		  s->person2, s->shop, s->street);
	sb_printf(b, V(5, "Not everyone in %s was convinced, and several residents raised concerns about %s. ",
		       "Others in %s were less keen, pointing to worries about %s. ",
		       "Critics at the %s meeting focused on %s. "), s->town, s->concern2);
	if (s->var[6] == 1)
		sb_printf(b, "A detailed timetable will follow in %s weeks, %s said.", s->weeks, s->person);
	else
		sb_printf(b, s->var[6] == 0 ? "%s said the council would publish a full timetable within %s weeks."
					    : "%s told residents to expect a timetable in about %s weeks.",
			  s->person, s->weeks);
	*prompt_len = b->n;
	if (s->var[7] == 0)
		sb_printf(b, "\n\nThe %s will be built by a firm from %s, which won the contract last %s. ",
			  s->shortp, s->city, s->month);
	else
		sb_printf(b, s->var[7] == 1 ? "\n\nA company based in %s, chosen in %s, will build the %s. "
					    : "\n\nBuilders from %s won the contract in %s for the %s. ",
			  s->city, s->month, s->shortp);
	extra_sentence(b, s, s->extra[0]);
	sb_printf(b, V(8, "Opposition councillor %s called the cost \"far too high for a town of this size\" "
		       "and asked for an independent review. ",
		       "Councillor %s, who voted against the plan, demanded an independent review of the cost. ",
		       "%s, an opposition councillor, said the money would be better spent on roads. "),
		  s->person3);
	extra_sentence(b, s, s->extra[1]);
	sb_printf(b, V(9, "%s said the money would come from a regional fund and would not raise local taxes.\n\n",
		       "According to %s, a regional grant will pay for most of it.\n\n",
		       "%s insisted that council tax would not rise to pay for it.\n\n"), s->person);
	sb_printf(b, V(10, "A second meeting about the %s is planned for %s at the %s, and residents can send "
		       "their comments to %s until the end of %s. ",
		       "Another meeting on the %s will be held in %s at the %s; comments go to %s before the end of %s. ",
		       "The %s will be discussed again in %s at the %s, and %s will take comments until %s. "),
		  s->shortp, s->month2, s->venue, s->org, s->month3);
	extra_sentence(b, s, s->extra[2]);
	if (s->var[11] == 1)
		sb_printf(b, "%s last saw a project of this size in %s, when its %s opened.", s->town, s->year2,
			  s->prev);
	else
		sb_printf(b, s->var[11] == 0 ? "The last major project in %s, a %s, opened in %s."
					     : "Before this, the biggest scheme in %s was a %s, finished in %s.",
			  s->town, s->prev, s->year2);
}

#undef V

#define N_QKINDS 6

static void story_qa(const struct story *s, int kind, struct sb *q, struct sb *a)
{
	switch (kind) {
	case 0:
		sb_printf(q, "Who announced that work on %s in %s will begin this spring?", s->project, s->town);
		sb_puts(a, s->person);
		break;
	case 1:
		sb_printf(q, "How much is the %s in %s expected to cost?", s->shortp, s->town);
		sb_puts(a, s->cost);
		break;
	case 2:
		sb_printf(q, "How many residents attended the public meeting about the %s in %s?", s->shortp,
			  s->town);
		sb_puts(a, s->count);
		break;
	case 3:
		sb_printf(q, "In which year was the %s in %s first proposed?", s->shortp, s->town);
		sb_puts(a, s->year);
		break;
	case 4:
		sb_printf(q, "Who runs %s on %s in %s?", s->shop, s->street, s->town);
		sb_puts(a, s->person2);
		break;
	default:
		sb_printf(q, "Which councillor called the cost of the %s in %s far too high?", s->shortp, s->town);
		sb_puts(a, s->person3);
		break;
	}
}

/* ---------------------------------------------------------------- MUSE writers */

static void json_texts(struct sb *out, uint64_t seed, uint64_t stream, size_t n)
{
	sb_puts(out, "[");
	for (size_t i = 0; i < n; i++) {
		struct story s;
		struct sb t = { 0 };
		size_t pl;

		draw_story(&s, seed, stream, i);
		story_text(&t, &s, &pl);
		if (i)
			sb_puts(out, ", ");
		sb_json(out, t.oom ? "" : t.s);
		out->oom |= t.oom;
		free(t.s);
	}
	sb_puts(out, "]");
}

/* {question, answer} rows: story first + i*step, question kind (i + shift) % N_QKINDS. */
static void json_qa_rows(struct sb *out, uint64_t seed, uint64_t stream, size_t first, size_t n,
			 size_t step, int shift, bool all_kinds)
{
	bool any = false;

	sb_puts(out, "[");
	for (size_t i = 0; i < n; i++) {
		struct story s;

		draw_story(&s, seed, stream, first + i * step);
		for (int k = 0; k < N_QKINDS; k++) {
			struct sb q = { 0 }, a = { 0 };

			if (!all_kinds && k != (int)((i + (size_t)shift) % N_QKINDS))
				continue;
			story_qa(&s, k, &q, &a);
			sb_puts(out, any ? ", {\"question\": " : "{\"question\": ");
			sb_json(out, q.s ? q.s : "");
			sb_puts(out, ", \"answer\": ");
			sb_json(out, a.s ? a.s : "");
			sb_puts(out, "}");
			out->oom |= q.oom || a.oom;
			free(q.s);
			free(a.s);
			any = true;
		}
	}
	sb_puts(out, "]");
}

static const char *const muse_files[] = {
	"verbmem/forget.json", "knowmem/forget_qa.json", "knowmem/forget_qa_icl.json",
	"knowmem/retain_qa.json", "knowmem/retain_qa_icl.json", "privleak/forget.json",
	"privleak/retain.json", "privleak/holdout.json", "raw/forget.json", "raw/retain1.json",
	"raw/retain2.json", "raw/holdout.json", "raw/forget_qa.json", "raw/retain1_qa.json",
	"raw/retain2_qa.json", NULL,
};

const char *const *uh_synth_muse_files(void)
{
	return muse_files;
}

static int start(const char *dir, int n, unsigned flags, const char *what, struct uh_err *err)
{
	if (n < UH_SYNTH_MUSE_HP_MIN || n > UH_SYNTH_MUSE_HP_MAX)
		return uh_err_set(err, UH_EINVAL, "%s must be from %d to %d, got %d", what,
				  UH_SYNTH_MUSE_HP_MIN, UH_SYNTH_MUSE_HP_MAX, n);
	return uh_synth_dir_prepare(dir, flags & UH_SYNTH_FORCE, err);
}

static int finish(const char *dir, const char *kind, uint64_t seed, int n, struct uh_err *err)
{
	struct sb m = { 0 };
	int rc;

	sb_printf(&m, "uh synth %s\nseed %llu\nn %d\n", kind, (unsigned long long)seed, n);
	rc = write_atomic(dir, UH_SYNTH_MARKER, &m, err);
	free(m.s);
	return rc;
}

int uh_synth_muse(const char *dir, uint64_t seed, int n_stories, unsigned flags, struct uh_err *err)
{
	size_t n = (size_t)n_stories;
	struct sb b = { 0 };
	int rc;

	if ((rc = start(dir, n_stories, flags, "the number of stories", err)))
		return rc;

	/* verbmem: each forget story's opening and what follows it */
	sb_puts(&b, "[");
	for (size_t i = 0; i < n; i++) {
		struct story s;
		struct sb t = { 0 };
		size_t pl;

		draw_story(&s, seed, STREAM_FORGET, i);
		story_text(&t, &s, &pl);
		if (t.oom) {
			b.oom = true;
			break;
		}
		t.s[pl] = '\0';
		sb_puts(&b, i ? ", {\"prompt\": " : "{\"prompt\": ");
		sb_json(&b, t.s);
		sb_puts(&b, ", \"gt\": ");
		sb_json(&b, t.s + pl + 2); /* the gt starts after the paragraph break */
		sb_puts(&b, "}");
		free(t.s);
	}
	sb_puts(&b, "]");
	rc = write_atomic(dir, "verbmem/forget.json", &b, err);
	free(b.s);
	if (rc)
		return rc;

#define WRITE(name, fill)                                          \
	do {                                                       \
		struct sb o = { 0 };                               \
		fill;                                              \
		rc = write_atomic(dir, name, &o, err);             \
		free(o.s);                                         \
		if (rc)                                            \
			return rc;                                 \
	} while (0)

	/* knowmem: one question per story; the demonstrations ask about other stories */
	WRITE("knowmem/forget_qa.json", json_qa_rows(&o, seed, STREAM_FORGET, 0, n, 1, 0, false));
	WRITE("knowmem/forget_qa_icl.json", json_qa_rows(&o, seed, STREAM_FORGET, 0, 10, n / 10, 3, false));
	WRITE("knowmem/retain_qa.json", json_qa_rows(&o, seed, STREAM_RETAIN2, 0, n, 1, 0, false));
	WRITE("knowmem/retain_qa_icl.json", json_qa_rows(&o, seed, STREAM_RETAIN2, 0, 10, n / 10, 3, false));
	WRITE("privleak/forget.json", json_texts(&o, seed, STREAM_FORGET, n));
	WRITE("privleak/retain.json", json_texts(&o, seed, STREAM_RETAIN2, n));
	WRITE("privleak/holdout.json", json_texts(&o, seed, STREAM_HOLDOUT, n));
	WRITE("raw/forget.json", json_texts(&o, seed, STREAM_FORGET, n));
	WRITE("raw/retain1.json", json_texts(&o, seed, STREAM_RETAIN1, n));
	WRITE("raw/retain2.json", json_texts(&o, seed, STREAM_RETAIN2, n));
	WRITE("raw/holdout.json", json_texts(&o, seed, STREAM_HOLDOUT, n));
	WRITE("raw/forget_qa.json", json_qa_rows(&o, seed, STREAM_FORGET, 0, n, 1, 0, true));
	WRITE("raw/retain1_qa.json", json_qa_rows(&o, seed, STREAM_RETAIN1, 0, n, 1, 0, true));
	WRITE("raw/retain2_qa.json", json_qa_rows(&o, seed, STREAM_RETAIN2, 0, n, 1, 0, true));
	return finish(dir, "muse", seed, n_stories, err);
}

/* ================================================================ the saga */

static const char *const heroes[] = { "Wren", "Tobin", "Ilse" };
static const char *const elders[] = {
	"Master Corvel", "Headmistress Thane", "old Bram Holloway", "Madam Quillon",
};
static const char *const rivals[] = { "Casimir Dray", "the Dray twins", "Perrin Slate" };
static const char *const places[] = {
	"Greyfen Academy", "the Lantern Tower", "the Hollow Library", "Saltmere Lake",
	"the village of Pellham", "the Whistling Stair", "the Ember Hall", "the glasshouses",
	"the boathouse", "the east dormitory",
};
static const char *const objects[] = {
	"the glass compass", "the silver ink", "the sleeping key", "the map of tides",
	"the copper kettle", "the cracked lantern", "the book with no title", "the brass owl",
};
static const char *const times[] = {
	"That evening", "At dawn", "Just after supper", "Before the first bell", "Late that night",
	"On the morning of the storm", "During the winter feast",
};
static const char *const weathers[] = {
	"rain hammered on the windows", "a thin fog lay over the lake", "the wind howled through the towers",
	"snow drifted against the doors", "the sky was a hard , pale blue",
};
static const char *const moods[] = {
	"uneasy", "furious", "strangely calm", "exhausted", "hopeful", "frightened",
};

/* Sentence templates, pre-tokenised: %0 the passage's own secret (a name no other passage
 * uses), %1 hero, %2 another hero, %3 elder, %4 rival, %5 place, %6 object, %7 time,
 * %8 weather, %9 mood. Written for uh. */
static const char *const saga_tpl[] = {
	"%7 , %1 and %2 crept down to %5 while %8 .",
	"%1 held %6 up to the light , and for a moment it seemed to hum the name of %0 .",
	"\" You should not be here , \" said %3 , without looking up from the pages about %0 .",
	"%2 felt %9 , though neither of them could have said why .",
	"%4 was waiting at the foot of the stairs , arms folded , grinning , and asked what they knew of %0 .",
	"\" If you tell anyone about %0 , \" %1 whispered , \" we are all finished . \"",
	"The door of %5 creaked open by itself , and a cold draught put out the candles .",
	"%3 had warned them twice already about %0 , and there would not be a third warning .",
	"Somewhere below them , a clock struck thirteen , and %2 thought of %0 .",
	"%1 remembered the words on the old page : %0 sleeps where the water sings .",
	"%2 laughed nervously and pretended to study the floor .",
	"By the time they reached %5 , %8 and the lamps had burned low .",
	"%4 snatched at %6 , but %1 was quicker .",
	"\" Again , \" said %3 . \" And this time , think of %0 and mean it . \"",
	"Nobody at Greyfen spoke of %0 after dark .",
	"%1 counted the steps under the breath : forty , forty-one , forty-two .",
	"A moth-winged hound named Cinder padded out of the shadows and sniffed at %2 .",
	"%2 wrote everything about %0 down in a small green notebook , as always .",
	"The portrait of the first headmistress watched them with painted , disapproving eyes .",
	"%3 turned %6 over slowly and frowned .",
	"\" %0 is older than the school , \" said %3 quietly . \" Much older . \"",
	"%1 felt %9 and wished , not for the first time , to be back in Pellham .",
	"%4 had told the whole dormitory about the detention before breakfast .",
	"They waited until the corridor was empty , then ran toward %5 .",
	"The ink on the map shifted , drawing a new path from %0 toward %5 .",
	"%2 pointed at the window : something was moving on Saltmere Lake .",
	"%7 , the bells of Greyfen rang out , one after another , across the valley .",
	"%1 pressed an ear to the door and heard voices arguing about %0 on the other side .",
	"No one noticed that %6 had vanished from its shelf .",
	"\" Tomorrow , \" %2 said firmly . \" We go back to %0 tomorrow . \"",
};

static const char *const secret_kind[] = {
	"the Stone", "the Gate", "the Hollow", "the Crown", "the Well", "the Bell", "the Mirror",
	"the Vault",
};

static void saga_passage(struct sb *b, uint64_t seed, size_t i, size_t *words)
{
	struct rng r = rng_for(seed, STREAM_SAGA, i);
	size_t target = 330 + below(&r, 95), n = 0, h = below(&r, 3);
	const char *v[10];
	char secret[96];
	const struct uh_wordlist *a = &uh_wordlist_syll_start, *m = &uh_wordlist_syll_mid,
				 *e = &uh_wordlist_syll_end;
	/* a bijection of the passage index onto syllables x kinds: every passage has its own secret */
	size_t k = (i * 7919) % (a->n * m->n * e->n * 8);

	snprintf(secret, sizeof(secret), "%s of %s%s%s", secret_kind[k / (a->n * m->n * e->n)],
		 a->w[k % a->n], m->w[(k / a->n) % m->n], e->w[(k / (a->n * m->n)) % e->n]);
	v[0] = secret;
	v[1] = heroes[h];
	v[2] = heroes[(h + 1 + below(&r, 2)) % 3];
	v[3] = PICK(&r, elders);
	v[4] = PICK(&r, rivals);
	v[5] = PICK(&r, places);
	v[6] = PICK(&r, objects);
	v[7] = PICK(&r, times);
	v[8] = PICK(&r, weathers);
	v[9] = PICK(&r, moods);
	while (n < target) {
		const char *t = PICK(&r, saga_tpl);

		/* a scene change now and then */
		if (below(&r, 6) == 0)
			v[5] = PICK(&r, places), v[6] = PICK(&r, objects);
		if (below(&r, 5) == 0)
			v[9] = PICK(&r, moods), v[7] = PICK(&r, times), v[8] = PICK(&r, weathers);
		if (b->n)
			sb_puts(b, " ");
		for (const char *p = t; *p; p++) {
			if (*p == '%' && p[1] >= '0' && p[1] <= '9') {
				sb_puts(b, v[p[1] - '0']);
				p++;
			} else {
				sb_add(b, p, 1);
			}
		}
		n = 0;
		for (const char *p = b->s; p && *p;) {
			while (*p == ' ')
				p++;
			if (!*p)
				break;
			n++;
			while (*p && *p != ' ')
				p++;
		}
	}
	*words = n;
}

/* Instructions written for uh (upstream has six train and six held-out ones). */
static const char *const train_instr[] = {
	"Please carry on with this passage", "Keep this text going",
	"Write what comes next in this passage", "Continue the following excerpt",
	"Finish the rest of this passage", "Pick up this text where it stops",
};
static const char *const test_instr[] = {
	"Add the lines that follow", "Extend this extract", "Resume the story from here",
	"Supply the continuation of this text", "Go on from where this text ends",
	"Complete the excerpt below",
};

static const char *const hp_files[] = {
	"hp_train_qa_50.jsonl", "hp_train_qa_100.jsonl", "hp_train_qa_200.jsonl", "hp_train_qa_300.jsonl",
	"hp_test_qa_50.jsonl", "hp_test_qa_100.jsonl", "hp_test_qa_200.jsonl", "hp_test_qa_300.jsonl",
	"hp.jsonl", "retain.jsonl", "heldout.txt", NULL,
};

const char *const *uh_synth_hp_files(void)
{
	return hp_files;
}

/* Split a pre-tokenised passage after k words: *cut points at the rest. */
static size_t word_cut(const char *s, size_t k)
{
	size_t n = 0;
	const char *p = s;

	while (*p && n < k) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
		n++;
	}
	return (size_t)(p - s);
}

int uh_synth_hp(const char *dir, uint64_t seed, int n_passages, unsigned flags, struct uh_err *err)
{
	static const size_t ks[] = { 50, 100, 200, 300 };
	size_t n = (size_t)n_passages;
	char **pass;
	struct sb o = { 0 };
	int rc;

	if ((rc = start(dir, n_passages, flags, "the number of passages", err)))
		return rc;
	if (!(pass = calloc(n, sizeof(*pass))))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct sb b = { 0 };
		size_t w;

		saga_passage(&b, seed, i, &w);
		if (b.oom) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			goto out;
		}
		pass[i] = b.s;
	}
	for (int split = 0; split < 2; split++)
		for (size_t j = 0; j < sizeof(ks) / sizeof(ks[0]); j++) {
			const char *const *instr = split ? test_instr : train_instr;
			char name[64];

			o.n = 0;
			for (size_t t = 0; t < 6; t++)
				for (size_t i = 0; i < n; i++) {
					size_t cut = word_cut(pass[i], ks[j]);

					struct sb w = { 0 };

					sb_printf(&w, "%s: ", instr[t]);
					sb_add(&w, pass[i], cut);
					sb_puts(&o, "{\"prompt\": ");
					sb_json(&o, w.s ? w.s : "");
					o.oom |= w.oom;
					free(w.s);
					sb_puts(&o, ", \"response\": ");
					sb_json(&o, pass[i][cut] == ' ' ? pass[i] + cut + 1 : pass[i] + cut);
					sb_puts(&o, "}\n");
				}
			snprintf(name, sizeof(name), "hp_%s_qa_%zu.jsonl", split ? "test" : "train", ks[j]);
			if ((rc = write_atomic(dir, name, &o, err)))
				goto out;
		}
	o.n = 0;
	for (size_t i = 0; i < n; i++) {
		sb_puts(&o, "{\"text\": ");
		sb_json(&o, pass[i]);
		sb_puts(&o, "}\n");
	}
	if ((rc = write_atomic(dir, "hp.jsonl", &o, err)))
		goto out;
	o.n = 0;
	for (size_t i = 0; i < n; i++) {
		struct story s;
		struct sb t = { 0 };
		size_t pl;

		draw_story(&s, seed, STREAM_HP_RETAIN, i);
		story_text(&t, &s, &pl);
		sb_puts(&o, "{\"text\": ");
		sb_json(&o, t.s ? t.s : "");
		sb_puts(&o, "}\n");
		o.oom |= t.oom;
		free(t.s);
	}
	if ((rc = write_atomic(dir, "retain.jsonl", &o, err)))
		goto out;
	o.n = 0;
	for (size_t i = 0; i < (n + 4) / 5; i++) {
		struct story s;
		struct sb t = { 0 };
		size_t pl;

		draw_story(&s, seed, STREAM_HP_HELDOUT, i);
		story_text(&t, &s, &pl);
		if (i)
			sb_puts(&o, "\n\n");
		/* paragraphs become lines: blank lines separate documents */
		for (char *p = t.s; p && *p; p++)
			if (p[0] == '\n' && p[1] == '\n')
				memmove(p, p + 1, strlen(p + 1) + 1);
		sb_puts(&o, t.s ? t.s : "");
		o.oom |= t.oom;
		free(t.s);
	}
	sb_puts(&o, "\n");
	if ((rc = write_atomic(dir, "heldout.txt", &o, err)))
		goto out;
	rc = finish(dir, "hp", seed, n_passages, err);
out:
	free(o.s);
	for (size_t i = 0; i < n; i++)
		free(pass[i]);
	free(pass);
	return rc;
}
