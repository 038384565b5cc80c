/*
 * cmd_metric.h - the line handlers behind `uh metric KIND`, exposed so that
 * tests and fuzz targets (tests/fuzz/fuzz_metric.c) drive exactly the code
 * the command runs, without going through stdout.
 *
 * A struct uh_metric holds one kind, its options and, for `bleu --corpus`,
 * the segments collected so far. uh_metric_line validates and computes the
 * reader's current line completely before it produces any output, so a bad
 * line yields an error and no text.
 */
#ifndef UH_HARNESS_CMD_METRIC_H
#define UH_HARNESS_CMD_METRIC_H

#include "harness/err.h"
#include "harness/jsonl.h"

#include <stdbool.h>
#include <stddef.h>

enum uh_metric_kind {
	UH_METRIC_ROUGE = 0,
	UH_METRIC_STEM,
	UH_METRIC_KS,
	UH_METRIC_BLEU,
	UH_METRIC_AUC,
};

struct uh_metric {
	enum uh_metric_kind kind;
	bool use_stemmer;   /* rouge: default for lines without "use_stemmer" */
	bool plain;         /* stem: lines are plain words, not JSON */
	bool corpus;        /* bleu: one corpus_bleu over all lines */
	int nltk_method;    /* bleu: also nltk sentence_bleu methodN; -1 for none */

	/* bleu --corpus: segments so far; all strings owned */
	char **hyps;
	char ***refs;       /* refs[i]: the nrefs[i] references of segment i */
	size_t *nrefs;
	size_t nseg, capseg, max_refs;
};

/* Kind named name ("rouge", ...), or -1 when there is none. */
int uh_metric_kind_from_name(const char *name);

/* Defaults for kind: stemming on, not plain, not corpus, no nltk method. */
void uh_metric_init(struct uh_metric *m, enum uh_metric_kind kind);

/* Free what --corpus collected. */
void uh_metric_release(struct uh_metric *m);

/*
 * Handle r's current line: the parsed object (r->obj), or for stem --plain
 * the raw line (r->line). On success *out gets the output JSON object plus
 * '\n' (caller frees), or NULL when the line was only collected (--corpus).
 * Fails with UH_EINVAL naming input, line and field; UH_ENOMEM; UH_ENUM when
 * a kernel produced a non-finite number.
 */
int uh_metric_line(struct uh_metric *m, const struct uh_jsonl *r, char **out,
		   struct uh_err *err);

/*
 * After the last line: for bleu --corpus with at least one line, *out gets
 * the corpus result line (caller frees); otherwise NULL. Errors as above.
 */
int uh_metric_finish(struct uh_metric *m, char **out, struct uh_err *err);

#endif
