/*
 * registry.c - the suites' descriptions and the capability check.
 */
#include "suites/registry.h"

#include "harness/backend.h"

#include <stdio.h>
#include <string.h>

static const char *const tofu_splits[] = { "forget01", "forget05", "forget10", NULL };
static const char *const tofu_profiles[] = { "tofu", "open-unlearning", NULL };
static const struct uh_suite_metric tofu_metrics[] = {
	{ "probability/truth_ratio", "tofu open-unlearning", UH_CAN_SCORE,
	  "answer, paraphrase and perturbed-answer losses" },
	{ "rouge", "tofu", UH_CAN_GENERATE | UH_CAN_TOKENIZE,
	  "greedy answers to a total length of 200 tokens, prompt included" },
	{ "rouge", "open-unlearning", UH_CAN_GENERATE, "greedy answers" },
};

static const char *const muse_splits[] = { "news", "books", NULL };
static const char *const muse_profiles[] = { "muse", "open-unlearning", NULL };
static const struct uh_suite_metric muse_metrics[] = {
	{ "verbmem", "muse", UH_CAN_GENERATE | UH_CAN_TOKEN_IDS,
	  "greedy continuations, and the first 127 gt tokens as the reference" },
	{ "verbmem", "open-unlearning", UH_CAN_GENERATE, "greedy continuations" },
	{ "knowmem", "muse open-unlearning", UH_CAN_GENERATE, "greedy few-shot answers" },
	{ "privleak", "muse open-unlearning", UH_CAN_SCORE | UH_CAN_TOKEN_LOGPROBS,
	  "per-token log-probs of each text for Min-K%" },
};

static const char *const hp_splits[] = { "train", "test", NULL };
static const char *const hp_profiles[] = { "flat", NULL };
static const struct uh_suite_metric hp_metrics[] = {
	{ "bleu/rougeL", "flat", UH_CAN_GENERATE | UH_CAN_TOKENIZE | UH_CAN_TOKEN_IDS,
	  "greedy continuations to 600 tokens in total, the first generated token dropped" },
	{ "perplexity", "flat", UH_CAN_SCORE, "log-likelihood of the held-out documents" },
};

static const struct uh_suite_desc tofu = {
	"tofu", "TOFU (fictitious authors)", tofu_splits, tofu_profiles, "tofu", tofu_metrics,
	sizeof(tofu_metrics) / sizeof(tofu_metrics[0]),
	"open-unlearning's extraction strength, exact memorization and privleak are skipped, "
	"with a note, when the backend has no TOKEN_LOGPROBS",
};
static const struct uh_suite_desc muse = {
	"muse", "MUSE (news / books)", muse_splits, muse_profiles, "muse", muse_metrics,
	sizeof(muse_metrics) / sizeof(muse_metrics[0]), NULL,
};
static const struct uh_suite_desc hp = {
	"hp", "Harry Potter copyright (SOUL/FLAT)", hp_splits, hp_profiles, "flat", hp_metrics,
	sizeof(hp_metrics) / sizeof(hp_metrics[0]),
	"the WHP familiarity score is not computed: it needs a proprietary LLM judge",
};

static const struct uh_suite_desc *const suites[] = { &tofu, &muse, &hp, NULL };

const struct uh_suite_desc *const *uh_suites(void)
{
	return suites;
}

const struct uh_suite_desc *uh_suite_find(const char *name)
{
	for (size_t i = 0; suites[i]; i++)
		if (!strcmp(suites[i]->name, name))
			return suites[i];
	return NULL;
}

const char *uh_caps_text(uint32_t caps, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ UH_CAN_SCORE, "SCORE" }, { UH_CAN_GENERATE, "GENERATE" }, { UH_CAN_TOKENIZE, "TOKENIZE" },
		{ UH_CAN_TOKEN_LOGPROBS, "TOKEN_LOGPROBS" }, { UH_CAN_TOKEN_IDS, "TOKEN_IDS" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((caps & names[i].bit) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "|" : "", names[i].name);
	return buf;
}

/* Whether the space-separated list has word. */
static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

int uh_suite_check_caps(const char *suite, const char *profile, uint32_t caps,
			const char *backend, struct uh_err *err)
{
	const struct uh_suite_desc *d = uh_suite_find(suite);
	char need[96], why[128];

	if (!d)
		return uh_err_set(err, UH_EINVAL, "unknown suite '%s' (valid: tofu, muse, hp)", suite);
	for (size_t i = 0; i < d->n_metrics; i++) {
		const struct uh_suite_metric *m = &d->metrics[i];
		uint32_t missing = m->caps & ~caps;

		if (!has_word(m->profiles, profile ? profile : d->default_profile) || !missing)
			continue;
		snprintf(why, sizeof(why), "%s", m->why);
		return uh_err_set(err, UH_EINVAL, "suite '%s' metric '%s' needs %s (%s), which backend '%s' lacks",
				  suite, m->name, uh_caps_text(missing, need, sizeof(need)), why,
				  backend ? backend : "?");
	}
	return 0;
}

void uh_suites_print(FILE *f)
{
	char caps[96];

	for (size_t i = 0; suites[i]; i++) {
		const struct uh_suite_desc *d = suites[i];

		fprintf(f, "%s  %s\n  splits:  ", d->name, d->title);
		for (size_t j = 0; d->splits[j]; j++)
			fprintf(f, "%s%s", j ? ", " : "", d->splits[j]);
		fprintf(f, "\n  profiles: ");
		for (size_t j = 0; d->profiles[j]; j++)
			fprintf(f, "%s%s%s", j ? ", " : "", d->profiles[j],
				!strcmp(d->profiles[j], d->default_profile) ? " (default)" : "");
		fprintf(f, "\n");
		for (size_t j = 0; j < d->n_metrics; j++)
			fprintf(f, "  %-24s needs %-30s [%s]\n", d->metrics[j].name,
				uh_caps_text(d->metrics[j].caps, caps, sizeof(caps)), d->metrics[j].profiles);
		if (d->note)
			fprintf(f, "  note: %s\n", d->note);
	}
}
