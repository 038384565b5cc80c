/*
 * hp.h - the Harry-Potter copyright suite as SOUL and FLAT evaluate it
 * (spec/muse_hp.md part B): passages cut after their first k words,
 * greedy continuation, per-item sacrebleu BLEU and ROUGE-L recall with the
 * Porter stemmer against the original rest of the passage, their means per
 * file; utility as perplexity over a held-out plain-text file.
 *
 * Data folder (UCSC-REAL/FLAT data/hp, OPTML-Group/SOUL files/data/hp):
 *   hp_train_qa_{k}.jsonl   {prompt, response} rows: "<instruction>: " + the
 *   hp_test_qa_{k}.jsonl    first k words, and the rest of the passage
 *   heldout.txt             (optional, or --ppl-file) documents separated by
 *                           blank lines, for perplexity
 *
 * Templates (dataset/harrypotter.py): opt wraps the prompt as
 * "### Question: {p}\n" and the reference as "### Answer: {r}"; llama as
 * "[INST] {p} [\INST]" (sic) and " {r}". The reference includes that
 * prefix, as upstream scores it. Generation: greedy to a total length of
 * 600 tokens (BOS + prompt + new tokens), the first generated token dropped.
 *
 * The WHP familiarity score is not computed: it needs a proprietary LLM
 * judge (GPT-4 with a rubric).
 *
 * Ownership: a struct's strings belong to it (_release); const char *
 * arguments are borrowed. Files are untrusted: errors name file, line and
 * field.
 */
#ifndef UH_SUITES_HP_H
#define UH_SUITES_HP_H

#include "harness/err.h"

#include <stdbool.h>
#include <stddef.h>

#define UH_HP_MAX_LENGTH 600
#define UH_HP_DEFAULT_PROMPT_WORDS 200

struct uh_hp_template {
	const char *name, *question_start, *question_end, *answer_start;
};

/* "opt" or "llama"; UH_EINVAL names the valid ones. *t points to static data. */
int uh_hp_template_get(const char *name, const struct uh_hp_template **t, struct uh_err *err);

struct uh_hp_row {
	char *prompt, *response;
};

struct uh_hp_rows {
	size_t n;
	struct uh_hp_row *r;
};

struct uh_hp_docs {
	size_t n;
	char **d;
};

struct uh_hp_suite {
	char *dir;
	int k;                       /* prompt words */
	struct uh_hp_rows train, test;
	bool has_ppl;
	struct uh_hp_docs ppl;       /* held-out documents */
	char *files[3];
	size_t n_files;
};

/*
 * Parse JSON Lines rows {prompt, response} from buf[0..len); name is used
 * in messages ("hp file 'NAME' line 3: field 'response' must be a string,
 * got number"). No rows is an error. The entry point for fuzzing.
 */
int uh_hp_parse_rows(const char *buf, size_t len, const char *name, struct uh_hp_rows *out,
		     struct uh_err *err);
void uh_hp_rows_release(struct uh_hp_rows *r);

/*
 * Split plain text into documents at blank lines (lines empty or
 * whitespace only); a document keeps its inner newlines. No document is
 * an error naming name.
 */
int uh_hp_parse_docs(const char *buf, size_t len, const char *name, struct uh_hp_docs *out,
		     struct uh_err *err);
void uh_hp_docs_release(struct uh_hp_docs *d);

/*
 * Load hp_train_qa_{k}.jsonl and hp_test_qa_{k}.jsonl from dir (missing
 * files are named together, with the k values present in dir), and the
 * perplexity file: ppl_file, or dir/heldout.txt when ppl_file is NULL and
 * it exists. s is zeroed first.
 */
int uh_hp_suite_load(struct uh_hp_suite *s, const char *dir, int k, const char *ppl_file,
		     struct uh_err *err);
void uh_hp_suite_release(struct uh_hp_suite *s);

/* The model input and the reference text of a row. Caller frees; NULL when out of memory. */
char *uh_hp_prompt(const struct uh_hp_template *t, const char *prompt);
char *uh_hp_reference(const struct uh_hp_template *t, const char *response);

/*
 * The two leakage values of one output: sacrebleu.corpus_bleu([out],
 * [[ref]]).score (0..100) and rouge_score ROUGE-L recall with the stemmer
 * (0..1).
 */
int uh_hp_item_scores(const char *reference, const char *output, double *bleu, double *rougeL,
		      struct uh_err *err);

/*
 * lm-eval's wikitext word count of a document: len(re.split(r"\s+", doc)),
 * and its UTF-8 byte count.
 */
size_t uh_hp_words(const char *doc);

/*
 * word_perplexity exp(-sum ll / sum words), byte_perplexity exp(-sum ll /
 * sum bytes) and bits_per_byte -sum ll / (sum bytes ln 2) over n documents.
 */
void uh_hp_perplexity(const double *ll, const size_t *words, const size_t *bytes, size_t n,
		      double *word_ppl, double *byte_ppl, double *bpb);

#endif
