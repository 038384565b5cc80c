/*
 * synth_tofu.h - a deterministic synthetic dataset in TOFU's file layout.
 *
 * uh_synth_tofu() writes the fifteen files of the HF locuslab/TOFU dataset
 * (spec/tofu.md §1) with the same names, rows, fields, field order and JSON
 * Lines conventions, but about uh's own fictitious authors:
 *
 *   full.json                    N*20 rows {question, answer}, 20 per author
 *   forget01/05/10.json          the tail 1/5/10% of full (whole authors)
 *   retain99/95/90.json          the matching head of full
 *   forgetXX_perturbed.json      the forget rows with paraphrased_answer,
 *                                perturbed_answer (5) and paraphrased_question
 *   retain_perturbed.json        full[0:400] with the same five fields
 *   real_authors.json            100 multiple-choice rows about an invented
 *   world_facts.json             canon / invented world (117 rows), neither
 *                                mentioned in full: {question, option1..4, answer}
 *   real_authors_perturbed.json  the same rows as {question, answer,
 *   world_facts_perturbed.json   perturbed_answer (the 3 wrong options)}
 *
 * Each author's facts are drawn independently from uh's word lists, so a
 * model trained on the retain split cannot infer the forget split. A
 * paraphrased answer states the same facts with another template; the five
 * perturbed answers reuse the paraphrase's template with the asked-about
 * facts redrawn (as upstream does, so the truth ratio compares like with
 * like).
 *
 * Byte conventions follow the upstream files: every string is ASCII-escaped
 * (\uXXXX for non-ASCII); the question/answer files write '/' as "\/" and no
 * spaces (pandas style); real_authors.json and world_facts.json use ", " and
 * ": " separators (Python json.dumps style); the last line has no newline
 * except in the two *_perturbed multiple-choice files.
 */
#ifndef UH_SUITES_SYNTH_TOFU_H
#define UH_SUITES_SYNTH_TOFU_H

#include "harness/err.h"

#include <stdint.h>

#define UH_SYNTH_TOFU_DEFAULT_AUTHORS 200
#define UH_SYNTH_TOFU_MAX_AUTHORS 2000
#define UH_SYNTH_TOFU_QA_PER_AUTHOR 20

/* Name of the marker file a synth run leaves in its output folder. */
#define UH_SYNTH_MARKER ".uh-synth"

/* Flags for uh_synth_tofu(). */
#define UH_SYNTH_FORCE 1u /* overwrite a non-empty folder without a marker */

/*
 * Write the dataset for (seed, n_authors) into dir, creating dir (and its
 * parents) if missing. The same arguments always give byte-identical files.
 * n_authors must be a multiple of 100 in [100, UH_SYNTH_TOFU_MAX_AUTHORS].
 * A non-empty dir without the UH_SYNTH_MARKER file is refused unless flags
 * has UH_SYNTH_FORCE. Each file is written to a temporary name and renamed.
 * Returns 0, UH_EINVAL (bad argument or refused folder), UH_ENOMEM or UH_EIO,
 * with err filled. dir is borrowed.
 */
int uh_synth_tofu(const char *dir, uint64_t seed, int n_authors, unsigned flags,
		  struct uh_err *err);

#endif
