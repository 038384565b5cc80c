/*
 * muse.h - the MUSE suite (spec/muse_hp.md part A): read a split's files in
 * the upstream layout, render the KnowMem few-shot prompts, build the
 * generate/score requests of a profile and turn the answers into per-item
 * values.
 *
 * Layout of a data folder (jaechan-repo/muse_bench data/{bbc,hp}, or the HF
 * configs saved as JSON):
 *   verbmem/forget.json            [{prompt, gt}]
 *   knowmem/forget_qa.json         [{question, answer}]
 *   knowmem/forget_qa_icl.json     the few-shot demonstrations
 *   knowmem/retain_qa.json         or retain2_qa.json (older name), and
 *   knowmem/retain_qa_icl.json     or retain2_qa_icl.json
 *   privleak/forget.json           [text]
 *   privleak/retain.json           or retain2.json
 *   privleak/holdout.json          [text]
 *
 * Profiles:
 *   muse             swj0419/muse_bench eval.py: VerbMem greedy 128 new
 *                    tokens against the first 127 gt tokens, KnowMem greedy
 *                    32 cut afterwards at "\n\n", "\nQuestion", "Question:"
 *                    (no strip), ROUGE-L F1 without stemming, means x100;
 *                    PrivLeak Min-40% over the L-1 token log-probs, AUC
 *                    forget(0)/holdout(1) on -MinK, relative to the
 *                    retrained model's AUC.
 *   open-unlearning  its port (A2.7): full gt, outputs stripped, KnowMem
 *                    stops on the three strings, ROUGE stemmed, rougeL_f1
 *                    means on 0..1; Min-K drops the last token and takes
 *                    max(1, int(n k)); AUC on MinK (1 - the official one);
 *                    privleak against ref_value 0.5 unless a reference AUC
 *                    is given.
 *
 * Ownership: a struct's strings belong to it and are released by its
 * _release; const char * arguments are borrowed. Files are untrusted: every
 * failure names the file, the item index and the field.
 */
#ifndef UH_SUITES_MUSE_H
#define UH_SUITES_MUSE_H

#include "harness/backend.h"
#include "harness/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UH_MUSE_VERBMEM_MAX_NEW 128
#define UH_MUSE_KNOWMEM_MAX_NEW 32
#define UH_MUSE_MINK_RATIO 0.4
/* constants.py AUC_RETRAIN[corpus]['forget_holdout_Min-40%'] */
#define UH_MUSE_AUC_RETRAIN_NEWS 0.47719999999999996
#define UH_MUSE_AUC_RETRAIN_BOOKS 0.5392999999999999
/* Largest accepted data file. */
#define UH_MUSE_MAX_FILE_BYTES ((size_t)512 << 20)

enum uh_muse_profile {
	UH_MUSE_PROFILE_MUSE = 0,
	UH_MUSE_PROFILE_OU = 1,
};

/* "muse" / "open-unlearning". Static. */
const char *uh_muse_profile_name(enum uh_muse_profile p);
int uh_muse_profile_parse(const char *s, enum uh_muse_profile *p, struct uh_err *err);

/* The published retrained-model AUC of a split ("news", "books"); false for others. */
bool uh_muse_auc_retrain(const char *split, double *auc);

/* A pair: {prompt, gt} or {question, answer}. */
struct uh_muse_pair {
	char *a, *b;
};

struct uh_muse_pairs {
	size_t n;
	struct uh_muse_pair *p;
};

struct uh_muse_texts {
	size_t n;
	char **t;
};

struct uh_muse_suite {
	char *dir, *split;
	enum uh_muse_profile profile;
	struct uh_muse_pairs verbmem;               /* a = prompt, b = gt */
	struct uh_muse_pairs forget_qa, forget_icl; /* a = question, b = answer */
	struct uh_muse_pairs retain_qa, retain_icl;
	struct uh_muse_texts pl_forget, pl_retain, pl_holdout;
	char *files[8];                             /* paths read */
	size_t n_files;
};

/*
 * Parse a JSON list of objects with string fields f1 and f2 (other fields
 * ignored), or a JSON list of strings, from json[0..len); name is used in
 * messages ("muse file 'NAME' item 3: field 'gt' must be a string, got
 * number"). An empty list is an error. The entry points for fuzzing.
 */
int uh_muse_parse_pairs(const char *json, size_t len, const char *name, const char *f1,
			const char *f2, struct uh_muse_pairs *out, struct uh_err *err);
int uh_muse_parse_texts(const char *json, size_t len, const char *name,
			struct uh_muse_texts *out, struct uh_err *err);
void uh_muse_pairs_release(struct uh_muse_pairs *p);
void uh_muse_texts_release(struct uh_muse_texts *t);

/*
 * Load every file of the layout above from dir. Missing files fail first,
 * with one message naming each missing file (both accepted names where
 * there are two). split is stored ("news", "books"); s is zeroed first.
 */
int uh_muse_suite_load(struct uh_muse_suite *s, const char *dir, const char *split,
		       enum uh_muse_profile p, struct uh_err *err);
void uh_muse_suite_release(struct uh_muse_suite *s);

/*
 * The KnowMem prompt: "Question: {q}\nAnswer: {a}\n\n" for every
 * demonstration in order, then "Question: {question}\nAnswer: " (with the
 * trailing space). Caller frees; NULL when out of memory.
 */
char *uh_muse_icl_prompt(const struct uh_muse_pairs *icl, const char *question);

/* The stop strings of KnowMem, in the order the official code splits on. */
extern const char *const uh_muse_stops[3];

/*
 * knowmem.py's get_prefix_before_words_occur: the length of the prefix of
 * s before the first occurrence of any stop string (s.split(w)[0] for each
 * in turn).
 */
size_t uh_muse_answer_cut(const char *s);

/* ---------------------------------------------------------------- requests */

/*
 * Every request of a suite, in item order (the runner dedupes): one
 * generation per VerbMem item, per forget question and per retain
 * question; one score (context "", the text, no flags) per privleak text.
 */
struct uh_muse_requests {
	struct uh_gen_req *gen;
	size_t n_gen;
	struct uh_score_req *score;
	size_t n_score;
	/* gen[] index of item i: verbmem i, forget_qa n_vm + i, retain_qa n_vm + n_f + i;
	 * score[] index: forget i, retain n_pf + i, holdout n_pf + n_pr + i */
	char **prompts;                 /* owned KnowMem prompts (n_f + n_r) */
};

int uh_muse_requests_build(const struct uh_muse_suite *s, struct uh_muse_requests *rq,
			   struct uh_err *err);
void uh_muse_requests_release(struct uh_muse_requests *rq);

/* ---------------------------------------------------------------- values */

/* The ROUGE values of one VerbMem or KnowMem item. */
struct uh_muse_rouge {
	double f1, recall, rouge1_recall;
};

/*
 * ROUGE of one output against its reference, as the profile scores it
 * (rouge_score with use_stemmer false for muse, true for open-unlearning;
 * target = reference). Fails only with UH_ENOMEM.
 */
int uh_muse_rouge(enum uh_muse_profile p, const char *reference, const char *output,
		  struct uh_muse_rouge *out, struct uh_err *err);

/*
 * The output text a profile scores from a generation: KnowMem (knowmem
 * true) cut at the stop strings; open-unlearning also strips whitespace
 * (Python's str.strip()). Caller frees; NULL when out of memory.
 */
char *uh_muse_output(enum uh_muse_profile p, bool knowmem, const char *generation);

/*
 * The Min-K (k = 0.4) score of a privleak text from its token log-probs
 * (lp[0..n): every token after BOS): the muse profile uses all n and
 * int(n k); open-unlearning drops the last token and uses max(1, int(n k)).
 */
int uh_muse_mink(enum uh_muse_profile p, const double *lp, size_t n, double *out,
		 struct uh_err *err);

/*
 * The privleak AUC of the profile from the forget and holdout Min-K
 * scores: muse roc_auc([0]*f + [1]*h, -MinK); open-unlearning
 * roc_auc([0]*f + [1]*h, MinK).
 */
int uh_muse_auc(enum uh_muse_profile p, const double *forget, size_t nf, const double *holdout,
		size_t nh, double *auc, struct uh_err *err);

/* PrivLeak from an AUC and the reference AUC (has_ref false: open-unlearning's 0.5). */
int uh_muse_privleak(enum uh_muse_profile p, double auc, bool has_ref, double ref_auc,
		     double *out, struct uh_err *err);

#endif
