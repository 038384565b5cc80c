/* harness/backends/ngram.c: the embedded Kneser-Ney backend. */
#include "harness/backends/ngram.h"
#include "tests/testutil.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ TOFU fixture */

/* TOFU rows rendered with the llama2 template: docs[i] = prompt[i] + answer[i]. */
struct tofu {
	char **docs, **prompts, **answers;
	size_t n;
};

static char *fmt2(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);

	cr_assert_not_null(s);
	snprintf(s, n, "%s%s", a, b);
	return s;
}

static void tofu_load(struct tofu *t, const char *rel)
{
	size_t len, n;
	char *buf = uh_test_slurp(uh_test_shared(rel), &len);
	char **lines = uh_test_lines(buf, len, &n);

	t->docs = calloc(n, sizeof(char *));
	t->prompts = calloc(n, sizeof(char *));
	t->answers = calloc(n, sizeof(char *));
	t->n = n;
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_Parse(lines[i]);
		const char *q = cJSON_GetObjectItem(o, "question")->valuestring;
		const char *a = cJSON_GetObjectItem(o, "answer")->valuestring;
		char *qq = fmt2("[INST] ", q);

		t->prompts[i] = fmt2(qq, " [/INST]");
		t->answers[i] = strdup(a);
		t->docs[i] = fmt2(t->prompts[i], a);
		free(qq);
		cJSON_Delete(o);
	}
	free(lines);
	free(buf);
}

static void tofu_free(struct tofu *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->docs[i]);
		free(t->prompts[i]);
		free(t->answers[i]);
	}
	free(t->docs);
	free(t->prompts);
	free(t->answers);
}

static struct uh_ngram *train(const char *const *docs, size_t n, int order, double discount)
{
	struct uh_ngram_opts o = {order, discount};
	struct uh_ngram *m = NULL;
	struct uh_err e;
	int rc = uh_ngram_train(docs, n, &o, &m, &e);

	cr_assert_eq(rc, 0, "train: %s", e.msg);
	return m;
}

static double score(const struct uh_ngram *m, const char *ctx, const char *cont, int *greedy,
		    int64_t *ntok)
{
	struct uh_score_res r;
	struct uh_err e;
	double lp;

	cr_assert_eq(uh_ngram_score(m, ctx, cont, &r, &e), 0, "%s", e.msg);
	lp = r.logprob;
	if (greedy)
		*greedy = r.is_greedy;
	if (ntok)
		*ntok = r.n_tokens;
	uh_ngram_score_release(&r);
	return lp;
}

static const char *small[] = {
	"the cat sat on the mat.",
	"the dog sat on the log.",
	"a cat and a dog sat together on the mat, 42 times!",
	"",
	"the cat ate the fish; the dog ate the bone.",
};

/* ------------------------------------------------------------ the model */

Test(ngram, next_token_probabilities_sum_to_one)
{
	struct tofu t;
	const char *contexts[] = {"", "the", "the cat sat", "zebra quux", "the cat sat on the",
				  "[INST] Who is", "a cat and a dog sat together on the mat, 42",
				  "   trailing spaces   "};
	const int orders[] = {1, 2, 3, 4, 7};

	tofu_load(&t, "data/tofu/forget05.json");
	for (int corpus = 0; corpus < 2; corpus++) {
		for (size_t oi = 0; oi < sizeof(orders) / sizeof(orders[0]); oi++) {
			struct uh_ngram *m = corpus ? train((const char *const *)t.docs, t.n, orders[oi], 1.0)
						    : train(small, 5, orders[oi], oi % 2 ? 0.5 : 1.0);
			size_t V = uh_ngram_vocab_size(m);
			double *lp = malloc(V * sizeof(double));
			struct uh_err e;

			for (size_t c = 0; c < sizeof(contexts) / sizeof(contexts[0]); c++) {
				double sum = 0;

				cr_assert_eq(uh_ngram_next_logprobs(m, contexts[c], lp, &e), 0);
				for (size_t w = 0; w < V; w++) {
					if (w == UH_NGRAM_BOS) {
						cr_expect(isinf(lp[w]) && lp[w] < 0);
						continue;
					}
					cr_assert(isfinite(lp[w]), "corpus %d order %d context '%s': id %zu has log p %g",
						  corpus, orders[oi], contexts[c], w, lp[w]);
					sum += exp(lp[w]);
				}
				cr_expect(fabs(sum - 1.0) < 1e-9, "corpus %d order %d context '%s': sum %.17g",
					  corpus, orders[oi], contexts[c], sum);
			}
			free(lp);
			uh_ngram_free(m);
		}
	}
	tofu_free(&t);
}

/*
 * Values from a brute-force Python transcription of interpolated modified KN
 * (Chen & Goodman 1998, with the conventions of ngram.h) on the `small`
 * corpus; the C model agreed with it to 2e-15 on every token of several
 * contexts at orders 1..8 when this test was written.
 */
Test(ngram, matches_reference_kneser_ney)
{
	static const struct {
		int order;
		double discount;
		const char *context, *piece; /* piece NULL: EOS */
		double logp;
	} cases[] = {
		{3, 1.0, "the", " cat", -0.84429096709218898},
		{3, 1.0, "the cat sat on the", " mat", -0.97168069009287317},
		{3, 1.0, "the cat sat on the", " log", -2.3526883718858045},
		{3, 1.0, "zebra", ".", -2.6823619083961772},
		{3, 1.0, "the dog ate the", " bone", -1.9864398608661262},
		{3, 1.0, "", NULL, -3.470588614326767},
		{3, 1.0, "the", "<unk>", -4.5175120202817807},
		{4, 0.5, "the", " cat", -0.50822427496897138},
		{4, 0.5, "the cat sat on the", " mat", -0.67246345588000023},
		{4, 0.5, "the cat sat on the", " log", -0.83617212472254587},
		{4, 0.5, "zebra", ".", -2.5300473548593878},
		{4, 0.5, "the dog ate the", " bone", -0.17879365390985169},
		{4, 0.5, "", NULL, -4.1117811314411545},
		{4, 0.5, "the", "<unk>", -6.596953561961616},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct uh_ngram *m = train(small, 5, cases[i].order, cases[i].discount);
		double *lp = malloc(uh_ngram_vocab_size(m) * sizeof(double));
		int32_t id = UH_NGRAM_EOS, *ids = NULL;
		size_t n = 1;
		struct uh_err e;

		if (cases[i].piece && strcmp(cases[i].piece, "<unk>") == 0) {
			id = UH_NGRAM_UNK;
		} else if (cases[i].piece) {
			cr_assert_eq(uh_ngram_tokenize(m, cases[i].piece, &ids, &n, &e), 0);
			id = ids[0];
		}
		cr_assert_eq(n, 1);
		cr_assert_eq(uh_ngram_next_logprobs(m, cases[i].context, lp, &e), 0);
		cr_expect(fabs(lp[id] - cases[i].logp) < 1e-12, "case %zu: log p %.17g, reference %.17g",
			  i, lp[id], cases[i].logp);
		free(ids);
		free(lp);
		uh_ngram_free(m);
	}
}

Test(ngram, training_is_deterministic_and_ids_differ_by_data)
{
	struct uh_ngram *a = train(small, 5, 3, 1.0), *b = train(small, 5, 3, 1.0);
	struct uh_ngram *c = train(small, 4, 3, 1.0), *d = train(small, 5, 4, 1.0);
	const char *texts[] = {" sat on the mat.", " zebra", "!"};

	cr_expect_str_eq(uh_ngram_id(a), uh_ngram_id(b));
	cr_expect(strncmp(uh_ngram_id(a), "ngram-o3-", 9) == 0, "%s", uh_ngram_id(a));
	cr_expect_str_neq(uh_ngram_id(a), uh_ngram_id(c));
	cr_expect(strncmp(uh_ngram_id(d), "ngram-o4-", 9) == 0);
	for (size_t i = 0; i < 3; i++) {
		double x = score(a, "the cat", texts[i], NULL, NULL);
		double y = score(b, "the cat", texts[i], NULL, NULL);

		cr_expect(memcmp(&x, &y, sizeof(x)) == 0, "'%s': %.17g vs %.17g", texts[i], x, y);
	}
	uh_ngram_free(a);
	uh_ngram_free(b);
	uh_ngram_free(c);
	uh_ngram_free(d);
}

Test(ngram, tokenizer_is_reversible)
{
	struct uh_ngram *m;
	struct tofu t;
	struct uh_err e;

	/* every piece of a training document is in the vocabulary, so its ids
	 * must spell it out again */
	tofu_load(&t, "data/tofu/forget05.json");
	free(t.docs[0]);
	t.docs[0] = strdup("  odd\twhitespace\n\n  and 3.14 numbers\u00e9t\u00e9!?  ");
	m = train((const char *const *)t.docs, t.n, 3, 1.0);
	for (size_t i = 0; i < t.n + 1; i++) {
		const char *text = i < t.n ? t.docs[i] : "";
		int32_t *ids;
		size_t n;
		char buf[4096] = "";
		int64_t count = -1;

		cr_assert_eq(uh_ngram_tokenize(m, text, &ids, &n, &e), 0);
		for (size_t k = 0; k < n; k++) {
			cr_assert_neq(ids[k], UH_NGRAM_UNK, "'%s' token %zu unseen", text, k);
			strcat(buf, uh_ngram_token_text(m, ids[k]));
		}
		cr_expect_str_eq(buf, text);
		cr_assert_eq(uh_ngram_backend()->tokenize(m, text, &count, NULL, 0), 0);
		cr_expect_eq((size_t)count, n);
		free(ids);
	}
	uh_ngram_free(m);
	tofu_free(&t);
	m = train(small, 5, 3, 1.0);
	/* pieces: leading whitespace attached, words, numbers, single punctuation */
	{
		int32_t *ids;
		size_t n;

		cr_assert_eq(uh_ngram_tokenize(m, "the cat, 42!", &ids, &n, &e), 0);
		cr_assert_eq(n, 5);
		cr_expect_str_eq(uh_ngram_token_text(m, ids[1]), " cat");
		cr_expect_str_eq(uh_ngram_token_text(m, ids[2]), ",");
		cr_expect_str_eq(uh_ngram_token_text(m, ids[3]), " 42");
		free(ids);
		cr_assert_eq(uh_ngram_tokenize(m, "the zebra", &ids, &n, &e), 0);
		cr_assert_eq(n, 2);
		cr_expect_eq(ids[1], UH_NGRAM_UNK);
		free(ids);
	}
	uh_ngram_free(m);
}

Test(ngram, trained_text_beats_shuffled_and_unseen_text_is_finite)
{
	struct tofu t;
	struct uh_ngram *m;
	int64_t n1, n2;

	tofu_load(&t, "data/tofu/full.json");
	m = train((const char *const *)t.docs, t.n, UH_NGRAM_DEFAULT_ORDER, 1.0);
	for (size_t i = 0; i < t.n; i += 500) {
		/* shuffle the answer's words deterministically: reverse their order */
		char *a = strdup(t.answers[i]), *words[256], shuf[4096] = "";
		size_t nw = 0;

		for (char *w = strtok(a, " "); w && nw < 256; w = strtok(NULL, " "))
			words[nw++] = w;
		for (size_t k = nw; k-- > 0;) {
			strcat(shuf, words[k]);
			if (k)
				strcat(shuf, " ");
		}
		double good = score(m, t.prompts[i], t.answers[i], NULL, &n1);
		double bad = score(m, t.prompts[i], shuf, NULL, &n2);

		cr_expect_eq(n1, n2);
		cr_expect_gt(good - bad, 2.0 * (double)n1, "row %zu: trained %.2f, shuffled %.2f nats over %lld tokens",
			     i, good, bad, (long long)n1);
		free(a);
	}
	{
		double lp = score(m, "[INST] What is the capital of France? [/INST]",
				  "Paris is the capital of France, zyxwvut qwerty.", NULL, &n1);

		cr_expect(isfinite(lp) && lp < 0);
		cr_expect_gt(lp / (double)n1, -20.0, "unseen text: %.2f nats per token", -lp / (double)n1);
	}
	uh_ngram_free(m);
	tofu_free(&t);
}

Test(ngram, score_fields_agree)
{
	struct uh_ngram *m = train(small, 5, 3, 1.0);
	struct uh_score_res r;
	struct uh_err e;
	double sum = 0;

	cr_assert_eq(uh_ngram_score(m, "the cat", " sat on the mat.", &r, &e), 0);
	cr_assert_eq(r.n_tokens, 5);
	cr_assert_not_null(r.token_logprobs);
	for (int64_t i = 0; i < r.n_tokens; i++) {
		cr_expect_lt(r.token_logprobs[i], 0.0);
		sum += r.token_logprobs[i];
	}
	cr_expect(fabs(sum - r.logprob) < 1e-12);
	uh_ngram_score_release(&r);
	/* an empty continuation scores 0 over 0 tokens */
	cr_assert_eq(uh_ngram_score(m, "the cat", "", &r, &e), 0);
	cr_expect_eq(r.n_tokens, 0);
	cr_expect_eq(r.logprob, 0.0);
	cr_expect_eq(r.is_greedy, 1);
	uh_ngram_score_release(&r);
	uh_ngram_free(m);
}

/* ------------------------------------------------------------ generation */

static struct uh_gen_res gen(const struct uh_ngram *m, const char *prompt, int max,
			     const char *const *stop, size_t nstop)
{
	struct uh_gen_req q = {prompt, max, stop, nstop};
	struct uh_gen_res r;
	struct uh_err e;

	cr_assert_eq(uh_ngram_generate(m, &q, &r, &e), 0, "%s", e.msg);
	cr_assert_not_null(r.text);
	return r;
}

Test(ngram, greedy_generation_reproduces_memorised_answers)
{
	struct tofu t;
	struct uh_ngram_opts o;
	struct uh_ngram *m;
	struct uh_err e;
	size_t exact = 0, tried = 0;

	tofu_load(&t, "data/tofu/full.json");
	cr_assert_eq(t.n, 4000);
	uh_ngram_opts_memorise(&o);
	cr_assert_eq(uh_ngram_train((const char *const *)t.docs, t.n, &o, &m, &e), 0, "%s", e.msg);
	for (size_t i = 0; i < t.n; i += 40, tried++) {
		struct uh_gen_res r = gen(m, t.prompts[i], 200, NULL, 0);
		int greedy;

		if (strcmp(r.text, t.answers[i]) == 0) {
			exact++;
			cr_expect_eq(r.finish_reason, UH_FINISH_EOS, "row %zu", i);
			/* the answer it generates is, token by token, the greedy one */
			score(m, t.prompts[i], t.answers[i], &greedy, NULL);
			cr_expect_eq(greedy, 1, "row %zu", i);
		}
		uh_ngram_gen_release(&r);
	}
	cr_expect_geq(exact * 10, tried * 8, "%zu of %zu answers reproduced", exact, tried);
	{
		/* row 0 itself */
		struct uh_gen_res r = gen(m, t.prompts[0], 200, NULL, 0);

		cr_expect_str_eq(r.text, t.answers[0]);
		uh_ngram_gen_release(&r);
	}
	uh_ngram_free(m);
	tofu_free(&t);
}

Test(ngram, stop_strings_and_max_new_tokens)
{
	static const char *docs[] = {"Q: who? A: The author in question is Jaime Vasquez, a writer."};
	struct uh_ngram *m = train(docs, 1, 4, 1.0);
	struct uh_gen_res r;

	r = gen(m, "Q: who? A:", 200, NULL, 0);
	cr_expect_str_eq(r.text, " The author in question is Jaime Vasquez, a writer.");
	cr_expect_eq(r.finish_reason, UH_FINISH_EOS);
	cr_expect_eq(r.n_tokens, 12); /* 11 pieces and the EOS */
	uh_ngram_gen_release(&r);

	r = gen(m, "Q: who? A:", 3, NULL, 0);
	cr_expect_str_eq(r.text, " The author in");
	cr_expect_eq(r.n_tokens, 3);
	cr_expect_eq(r.finish_reason, UH_FINISH_LENGTH);
	uh_ngram_gen_release(&r);

	r = gen(m, "Q: who? A:", 0, NULL, 0);
	cr_expect_str_eq(r.text, "");
	cr_expect_eq(r.n_tokens, 0);
	cr_expect_eq(r.finish_reason, UH_FINISH_LENGTH);
	uh_ngram_gen_release(&r);

	{
		/* the earliest stop wins, also when it spans pieces or ends mid-piece */
		const char *stops[] = {"", "Vasquez", "on is J", "zzz"};

		r = gen(m, "Q: who? A:", 200, stops, 4);
		cr_expect_str_eq(r.text, " The author in questi");
		cr_expect_eq(r.finish_reason, UH_FINISH_STOP);
		cr_expect_eq(r.n_tokens, 6);
		uh_ngram_gen_release(&r);
	}
	{
		const char *stops[] = {"."};

		r = gen(m, "Q: who? A:", 200, stops, 1);
		cr_expect_str_eq(r.text, " The author in question is Jaime Vasquez, a writer");
		cr_expect_eq(r.finish_reason, UH_FINISH_STOP);
		uh_ngram_gen_release(&r);
	}
	{
		struct uh_gen_req q = {"x", -1, NULL, 0};
		struct uh_err e;

		cr_expect_eq(uh_ngram_generate(m, &q, &r, &e), UH_EINVAL);
		cr_expect_null(r.text);
	}
	uh_ngram_free(m);
}

Test(ngram, greedy_token_is_the_argmax_of_the_distribution)
{
	struct tofu t;

	tofu_load(&t, "data/tofu/forget05.json");
	for (int order = 2; order <= 6; order += 2) {
		struct uh_ngram *m = train((const char *const *)t.docs, t.n, order, order == 4 ? 0.5 : 1.0);
		size_t V = uh_ngram_vocab_size(m);
		double *lp = malloc(V * sizeof(double));
		struct uh_err e;

		for (size_t i = 0; i < t.n; i += 7) {
			/* the prompt, then the prompt and some words of the answer */
			for (size_t cut = 0; cut < 3; cut++) {
				char ctx[4096];
				size_t len = strlen(t.docs[i]), at = strlen(t.prompts[i]);
				size_t best = UH_NGRAM_EOS;
				struct uh_gen_res r;

				for (size_t k = 0; k < cut * 4 && at < len; at++)
					if (t.docs[i][at + 1] == ' ')
						k++;
				snprintf(ctx, sizeof(ctx), "%.*s", (int)at, t.docs[i]);
				cr_assert_eq(uh_ngram_next_logprobs(m, ctx, lp, &e), 0);
				for (size_t w = UH_NGRAM_EOS; w < V; w++)
					if (lp[w] > lp[best])
						best = w;
				r = gen(m, ctx, 1, NULL, 0);
				if (best == UH_NGRAM_EOS)
					cr_expect_eq(r.finish_reason, UH_FINISH_EOS, "order %d '%s'", order, ctx);
				else
					cr_expect_str_eq(r.text, uh_ngram_token_text(m, (int32_t)best),
							 "order %d '%s'", order, ctx);
				uh_ngram_gen_release(&r);
			}
		}
		free(lp);
		uh_ngram_free(m);
	}
	tofu_free(&t);
}

Test(ngram, greedy_ties_go_to_the_lowest_id)
{
	/* after "k", " r" and " q" have the same counts at every order, so the
	 * same probability; " q" has the lower id but " r" followed "k" first */
	static const char *docs[] = {"z q r", "k r", "k q"};
	struct uh_ngram *m = train(docs, 3, 2, 1.0);
	struct uh_gen_res r = gen(m, "k", 1, NULL, 0);
	double *lp = malloc(uh_ngram_vocab_size(m) * sizeof(double));
	int32_t *ids;
	size_t n;
	struct uh_err e;

	cr_assert_eq(uh_ngram_tokenize(m, " q r", &ids, &n, &e), 0);
	cr_assert_eq(uh_ngram_next_logprobs(m, "k", lp, &e), 0);
	cr_assert(ids[0] < ids[1] && lp[ids[0]] == lp[ids[1]]);
	cr_expect_str_eq(r.text, " q");
	uh_ngram_gen_release(&r);
	free(ids);
	free(lp);
	uh_ngram_free(m);
}

/* ------------------------------------------------------------ backend table */

static int open_with(const char **keys, const char **vals, size_t n, void **st, char *eb,
		     size_t el)
{
	struct uh_backend_config cfg = {NULL, keys, vals, n};

	return uh_ngram_backend()->open(&cfg, st, eb, el);
}

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = fmt2(dir, name);
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

Test(ngram, backend_table_and_training_files)
{
	const struct uh_backend_api *api = uh_ngram_backend();
	char *dir = uh_test_tmpdir();
	char *plain = write_file(dir, "/c.txt",
				 "\n\nthe cat sat on the mat.\n  \n\nthe dog sat\non the log.\r\n\n\n");
	char *jsonl = write_file(dir, "/c.jsonl",
				 "{\"text\": \"the cat sat on the mat.\"}\n\n{\"text\":\"the dog sat\\non the log.\", \"x\": 1}\n");
	const char *docs[] = {"the cat sat on the mat.", "the dog sat\non the log."};
	struct uh_ngram *ref = train(docs, 2, 3, 1.0);
	const char *keys[] = {"train", "order"}, *vals[] = {plain, "3"};
	char eb[512];
	void *st, *st2;

	cr_expect_eq(api->abi_version, UH_BACKEND_ABI_VERSION);
	cr_expect_eq(api->size, sizeof(struct uh_backend_api));
	cr_expect_str_eq(api->name, "ngram");
	cr_expect_eq(api->caps, UH_CAN_SCORE | UH_CAN_GENERATE | UH_CAN_TOKENIZE | UH_CAN_TOKEN_LOGPROBS |
				 UH_CAN_TOKEN_IDS);

	cr_assert_eq(open_with(keys, vals, 2, &st, eb, sizeof(eb)), 0, "%s", eb);
	cr_expect_str_eq(api->model_id(st), uh_ngram_id(ref));
	vals[0] = jsonl;
	cr_assert_eq(open_with(keys, vals, 2, &st2, eb, sizeof(eb)), 0, "%s", eb);
	cr_expect_str_eq(api->model_id(st2), uh_ngram_id(ref));
	api->close(st2);

	{
		struct uh_score_req q[2] = {{"the cat", " sat on the mat.", 0}, {"", "zebra", 0}};
		struct uh_score_res r[2];
		const char *stop[] = {"on the"}; /* "\non" is one piece: the stop ends mid-piece */
		struct uh_gen_req g[2] = {{"the dog", 10, NULL, 0}, {"the dog", 10, stop, 1}};
		struct uh_gen_res gr[2];

		memset(r, 0, sizeof(r));
		cr_assert_eq(api->score(st, q, 2, r, eb, sizeof(eb)), 0, "%s", eb);
		cr_expect_eq(r[0].n_tokens, 5);
		cr_expect_eq(r[1].n_tokens, 1);
		cr_expect(isfinite(r[1].logprob) && r[1].logprob < r[0].logprob / 5);
		cr_expect_eq(r[1].is_greedy, 0);
		api->free_score(st, r, 2);

		memset(gr, 0, sizeof(gr));
		cr_assert_eq(api->generate(st, g, 2, gr, eb, sizeof(eb)), 0, "%s", eb);
		cr_expect_str_eq(gr[0].text, " sat\non the log.");
		cr_expect_eq(gr[0].finish_reason, UH_FINISH_EOS);
		cr_expect_str_eq(gr[1].text, " sat\n");
		cr_expect_eq(gr[1].finish_reason, UH_FINISH_STOP);
		api->free_gen(st, gr, 2);
	}
	api->close(st);
	uh_ngram_free(ref);
	free(plain);
	free(jsonl);
	free(dir);
}

static void expect_open_error(const char **keys, const char **vals, size_t n, const char *want)
{
	char eb[512] = "";
	void *st = (void *)1;
	int rc = open_with(keys, vals, n, &st, eb, sizeof(eb));

	cr_expect_lt(rc, 0, "expected an error containing '%s'", want);
	cr_expect_null(st);
	cr_expect(strstr(eb, want) != NULL, "message '%s' lacks '%s'", eb, want);
}

Test(ngram, bad_config_gives_clear_errors)
{
	char *dir = uh_test_tmpdir();
	char *empty = write_file(dir, "/empty.txt", "\n \n\t\n");
	char *badjson = write_file(dir, "/bad.jsonl", "{\"text\": \"ok\"}\n{\"txt\": \"no\"}\n");
	char *good = write_file(dir, "/good.txt", "hello world\n");
	const char *k[2], *v[2];
	struct uh_ngram *m;
	struct uh_err e;

	k[0] = "train", v[0] = "/nonexistent/uh/corpus.txt";
	expect_open_error(k, v, 1, "cannot open training file '/nonexistent/uh/corpus.txt'");
	expect_open_error(k, v, 0, "no training corpus");
	v[0] = empty;
	expect_open_error(k, v, 1, "training corpus is empty");
	v[0] = badjson;
	expect_open_error(k, v, 1, "line 2: expected a JSON object with a string field \"text\"");
	v[0] = good;
	k[1] = "order";
	v[1] = "0";
	expect_open_error(k, v, 2, "order must be an integer 1..32, got '0'");
	v[1] = "4x";
	expect_open_error(k, v, 2, "order must be an integer");
	k[1] = "discount", v[1] = "0";
	expect_open_error(k, v, 2, "discount must be a number in (0, 1]");
	k[1] = "temperature", v[1] = "1";
	expect_open_error(k, v, 2, "unknown option 'temperature'");

	{
		struct uh_ngram_opts o = {0, 1.0};
		const char *d[] = {"x"};

		cr_expect_eq(uh_ngram_train(d, 1, &o, &m, &e), UH_EINVAL);
		cr_expect(strstr(e.msg, "order must be 1..32, got 0") != NULL, "%s", e.msg);
		cr_expect_null(m);
		cr_expect_eq(uh_ngram_train(NULL, 0, NULL, &m, &e), UH_EINVAL);
		cr_expect(strstr(e.msg, "training corpus is empty") != NULL, "%s", e.msg);
	}
	free(empty);
	free(badjson);
	free(good);
	free(dir);
}

/* UH_SCORE_EOS adds exactly the end-of-text token after the continuation,
 * and token_greedy agrees with is_greedy and with the argmax. */
Test(ngram, score_eos_flag_and_greedy_flags)
{
	const struct uh_backend_api *api = uh_ngram_backend();
	const char *docs[] = {"the cat sat on the mat.", "the dog sat on the log."};
	struct uh_ngram *m = train(docs, 2, 3, 1.0);
	struct uh_score_req q[2] = {{"the cat", " sat on the mat.", 0},
				    {"the cat", " sat on the mat.", UH_SCORE_EOS}};
	struct uh_score_res r[2];
	double next[64];
	char eb[256];
	int all = 1;

	memset(r, 0, sizeof(r));
	cr_assert_lt(uh_ngram_vocab_size(m), 64);
	cr_assert_eq(api->score(m, q, 2, r, eb, sizeof(eb)), 0, "%s", eb);
	cr_expect_eq(r[1].n_tokens, r[0].n_tokens + 1);
	cr_assert_not_null(r[1].token_greedy);
	for (int64_t i = 0; i < r[0].n_tokens; i++) {
		cr_expect_eq(r[0].token_logprobs[i], r[1].token_logprobs[i]);
		cr_expect_eq(r[0].token_greedy[i], r[1].token_greedy[i]);
		all = all && r[0].token_greedy[i];
	}
	cr_expect_eq(r[0].is_greedy, all);
	cr_assert_eq(uh_ngram_next_logprobs(m, "the cat sat on the mat.", next, NULL), 0);
	cr_expect_eq(r[1].token_logprobs[r[0].n_tokens], next[UH_NGRAM_EOS]);
	cr_expect_eq(r[1].logprob, r[0].logprob + next[UH_NGRAM_EOS]);
	cr_expect_eq(r[1].token_greedy[r[0].n_tokens], 1); /* the training text ends there */
	api->free_score(m, r, 2);
	uh_ngram_free(m);
}

/* Token healing: a context or prompt ending in whitespace scores and
 * generates as if that whitespace led the continuation, as in training. */
Test(ngram, trailing_whitespace_is_healed)
{
	const char *docs[] = {"Question: who?\nAnswer: the cat sat.", "Question: what?\nAnswer: a dog ran."};
	struct uh_ngram *m = train(docs, 2, 8, 0.5);
	struct uh_gen_req g = {"Question: who?\nAnswer: ", 20, NULL, 0};
	struct uh_gen_res gr;
	struct uh_err e;
	int64_t n1, n2;
	double a = score(m, "Question: who?\nAnswer: ", "the cat sat.", NULL, &n1);
	double b = score(m, "Question: who?\nAnswer:", " the cat sat.", NULL, &n2);

	cr_expect_eq(a, b);
	cr_expect_eq(n1, n2);
	cr_assert_eq(uh_ngram_generate(m, &g, &gr, &e), 0, "%s", e.msg);
	cr_expect_str_eq(gr.text, "the cat sat.");
	uh_ngram_gen_release(&gr);
	g.prompt = "Question: what?\n";
	cr_assert_eq(uh_ngram_generate(m, &g, &gr, &e), 0, "%s", e.msg);
	cr_expect_str_eq(gr.text, "Answer: a dog ran.");
	uh_ngram_gen_release(&gr);
	uh_ngram_free(m);
}
