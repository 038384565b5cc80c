/*
 * synth_muse_hp.h - deterministic synthetic corpora in the MUSE and
 * Harry-Potter (SOUL/FLAT) layouts (spec/muse_hp.md A1, B1), about uh's own
 * invented news and an invented saga. Every sentence template was written
 * for uh.
 *
 * uh_synth_muse writes, for n stories per set (invented local news: a
 * person of an organisation announces a project in an invented town, with
 * its cost, a meeting, a quote, a year):
 *
 *   verbmem/forget.json          n {prompt, gt}: a forget story's opening and
 *                                its next sentences
 *   knowmem/forget_qa.json       n {question, answer} about forget stories
 *   knowmem/forget_qa_icl.json   10 more, the few-shot demonstrations
 *   knowmem/retain_qa.json       n about retain2 stories (the HF main-branch
 *   knowmem/retain_qa_icl.json   names; the older retain2_* are read too)
 *   privleak/forget.json         the n forget stories (a list of texts)
 *   privleak/retain.json         the n retain2 stories
 *   privleak/holdout.json        n stories no model is trained on
 *   raw/{forget,retain1,retain2,holdout}.json   the stories (lists of texts)
 *   raw/{forget,retain1,retain2}_qa.json         every question about them
 *
 * raw/ is uh's: the embedded model reads the stories with their questions
 * (an n-gram model cannot answer a question about text it has only read,
 * as a pretrained LLM can), the forget + retain sets for the model under
 * test, the retain sets for its reference.
 *
 * uh_synth_hp writes n passages (306..427 words, pre-tokenised with spaces
 * around punctuation as Harry_Potter_all_char_separated.txt is) of an
 * invented saga with recurring characters:
 *
 *   hp_{train,test}_qa_{50,100,200,300}.jsonl   6n rows {prompt, response}:
 *       "<instruction>: " + the first k words, and the rest; six train or
 *       six held-out test instructions, n rows per instruction in blocks
 *   hp.jsonl          the passages as {"text"} (the forget corpus)
 *   retain.jsonl      news stories as {"text"} (stands in for C4)
 *   heldout.txt       more news stories, blank-line separated (perplexity)
 *
 * Both leave the UH_SYNTH_MARKER file (suites/synth_tofu.h), refuse a
 * non-empty folder without it unless flags has UH_SYNTH_FORCE, and write
 * every file through a temporary name. The same arguments give
 * byte-identical files. dir is borrowed.
 */
#ifndef UH_SUITES_SYNTH_MUSE_HP_H
#define UH_SUITES_SYNTH_MUSE_HP_H

#include "harness/err.h"

#include <stdint.h>

#define UH_SYNTH_MUSE_DEFAULT_STORIES 100
#define UH_SYNTH_HP_DEFAULT_PASSAGES 100
#define UH_SYNTH_MUSE_HP_MIN 10
#define UH_SYNTH_MUSE_HP_MAX 2000

/* n stories per set, UH_SYNTH_MUSE_HP_MIN..MAX. Returns 0, UH_EINVAL, UH_EIO, UH_ENOMEM. */
int uh_synth_muse(const char *dir, uint64_t seed, int n, unsigned flags, struct uh_err *err);

/* n passages, UH_SYNTH_MUSE_HP_MIN..MAX. Returns as uh_synth_muse. */
int uh_synth_hp(const char *dir, uint64_t seed, int n, unsigned flags, struct uh_err *err);

/* The files uh_synth_muse / uh_synth_hp write (relative paths), NULL-terminated. Static. */
const char *const *uh_synth_muse_files(void);
const char *const *uh_synth_hp_files(void);

#endif
