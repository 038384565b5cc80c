/*
 * tofu.h - the TOFU suite: load a split's files from a data folder (the HF
 * locuslab/TOFU layout, spec/tofu.md §1), render prompts with a template,
 * build the score/generate requests of a profile, and turn the backend's
 * answers into per-item values (a struct uh_tofu_log, the same values the
 * official logs hold, so a run and an imported log aggregate the same way).
 *
 * Profiles:
 *   tofu             the original evaluation (spec §2): retain_perturbed,
 *                    real_authors_perturbed, world_facts_perturbed and
 *                    forgetXX_perturbed, each cut to its first 300 rows;
 *                    generation to a total length of 200 tokens, no stop
 *                    strings; for phi, "Answer: " is inside the loss and out
 *                    of the generation prompt.
 *   open-unlearning  spec §3: all rows, max_new_tokens 200, generations cut
 *                    and stripped, "Answer: " in the prompt for both; plus
 *                    extraction strength, exact memorization and (with
 *                    holdoutXX.json) the min-k MIA behind privleak.
 *
 * Ownership: everything a struct fills belongs to it and is released by its
 * _release function; const char * arguments are borrowed. Data files are
 * untrusted: every failure names the file, the line and the field.
 */
#ifndef UH_SUITES_TOFU_H
#define UH_SUITES_TOFU_H

#include "harness/backend.h"
#include "harness/err.h"
#include "suites/tofu_logs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The original evaluation's ds_size and its generation max_length. */
#define UH_TOFU_DS_SIZE 300
#define UH_TOFU_GEN_LENGTH 200
/* open-unlearning's min-k ratio for privleak. */
#define UH_TOFU_MINK_RATIO 0.4

enum uh_tofu_profile {
	UH_TOFU_PROFILE_TOFU = 0,
	UH_TOFU_PROFILE_OU = 1,
};

/* "tofu" / "open-unlearning". Static. */
const char *uh_tofu_profile_name(enum uh_tofu_profile p);

/* Parse a profile name; UH_EINVAL names the valid ones. */
int uh_tofu_profile_parse(const char *s, enum uh_tofu_profile *p, struct uh_err *err);

/* ---------------------------------------------------------------- templates */

/*
 * A prompt template: question_start + q + question_end, then answer_tag,
 * then the answer (spec §2.2, §3.1). answer_tag_moves marks phi's tag, which
 * the original TOFU code puts inside the loss and leaves out of the
 * generation prompt while open-unlearning puts it in the prompt for both;
 * other tags always belong to the prompt.
 */
struct uh_tofu_template {
	char *name;            /* "llama2", "phi", "plain", or the custom string */
	char *question_start, *question_end, *answer_tag;
	bool answer_tag_moves;
};

/*
 * Names of the built-in templates, NULL-terminated (static):
 *   llama2  "[INST] {q} [/INST]{a}"
 *   phi     "Question: {q}\nAnswer: {a}" (placement by profile)
 *   plain   "Question: {q}\nAnswer: {a}" ("Answer: " always in the prompt)
 */
const char *const *uh_tofu_template_names(void);

/*
 * A built-in name, or a custom string holding "{question}" once and
 * "{answer}" once at its very end ("\n", "\t" and "\\" are unescaped, so a
 * shell user can type 'Q: {question}\nA: {answer}'). UH_EINVAL lists the
 * valid forms. Release with uh_tofu_template_release.
 */
int uh_tofu_template_parse(const char *spec, struct uh_tofu_template *t, struct uh_err *err);
void uh_tofu_template_release(struct uh_tofu_template *t);

/*
 * The texts of one question under a profile, each malloc'd (caller frees):
 *   *context   what the answer is scored after
 *   *prefix    what the scored continuation starts with before the answer
 *              ("" or phi's "Answer: " in the tofu profile)
 *   *prompt    the generation prompt
 * Any output pointer may be NULL to skip it. Returns 0 or UH_ENOMEM.
 */
int uh_tofu_render(const struct uh_tofu_template *t, enum uh_tofu_profile p, const char *question,
		   char **context, char **prefix, char **prompt, struct uh_err *err);

/* The full training text of one row: start + q + end + tag + a (caller frees). */
char *uh_tofu_render_document(const struct uh_tofu_template *t, const char *question,
			      const char *answer);

/* ---------------------------------------------------------------- data */

struct uh_tofu_row {
	char *question, *answer;
	char *paraphrased_answer;              /* retain/forget only, else NULL */
	char *perturbed[UH_TOFU_MAX_PERTURB];
	size_t n_perturbed;                    /* 5 (retain, forget) or 3 (RA, WF) */
};

struct uh_tofu_rows {
	size_t n;
	struct uh_tofu_row *rows;
};

struct uh_tofu_suite {
	char *dir, *split;
	enum uh_tofu_profile profile;
	struct uh_tofu_rows task[UH_TOFU_NTASKS];  /* indexed by enum uh_tofu_task */
	size_t n_file_rows[UH_TOFU_NTASKS];        /* rows in the file, before the 300 cut */
	bool has_holdout;                          /* open-unlearning and holdoutXX.json present */
	struct uh_tofu_rows holdout;               /* question, answer only */
	char *files[UH_TOFU_NTASKS + 1];           /* paths of the files read, NULL-padded */
	size_t n_files;
};

/* The file name of a task for a split ("forget05_perturbed.json"), in buf. */
void uh_tofu_task_filename(enum uh_tofu_task t, const char *split, char *buf, size_t len);

/*
 * The forget splits available in dir: forget01, forget05, forget10 always,
 * plus every forgetXX whose forgetXX_perturbed.json is in dir, sorted, as
 * a malloc'd NULL-terminated array of malloc'd strings (release with
 * uh_tofu_splits_free). dir may be NULL.
 */
char **uh_tofu_splits(const char *dir);
void uh_tofu_splits_free(char **splits);

/*
 * The retain split complementary to a forget split: forget05 -> retain95.
 * buf gets the name; UH_EINVAL when split is not forgetXX with XX in 1..99.
 */
int uh_tofu_retain_split(const char *split, char *buf, size_t len, struct uh_err *err);

/*
 * Load the four task files of split from dir (and holdoutXX.json for the
 * open-unlearning profile when present), validating every row. Missing
 * files fail first with one message naming each missing file. The tofu
 * profile keeps the first UH_TOFU_DS_SIZE rows of each task. s is zeroed
 * first; release with uh_tofu_suite_release.
 */
int uh_tofu_suite_load(struct uh_tofu_suite *s, const char *dir, const char *split,
		       enum uh_tofu_profile p, struct uh_err *err);
void uh_tofu_suite_release(struct uh_tofu_suite *s);

/*
 * Read a {question, answer} file (full.json, retain95.json, holdout05.json)
 * into rows. UH_ENOTFOUND names the path; bad rows UH_EINVAL.
 */
int uh_tofu_read_qa(const char *path, struct uh_tofu_rows *rows, struct uh_err *err);
void uh_tofu_rows_release(struct uh_tofu_rows *rows);

/* ---------------------------------------------------------------- requests */

/*
 * Every request of a suite under a template and profile, in item order
 * (duplicates included: the runner dedupes). For each task item: score of
 * the answer, of the base answer (paraphrase for retain/forget, the answer
 * again for RA/WF), of each perturbed answer, all with UH_SCORE_EOS, and one
 * generation; then one score per holdout row.
 */
struct uh_tofu_item_reqs {
	size_t gt, base, pert[UH_TOFU_MAX_PERTURB];  /* indices into score[] */
	size_t gen;                                  /* index into gen[] */
};

struct uh_tofu_requests {
	size_t n_score, n_gen;
	struct uh_score_req *score;    /* strings owned by this struct */
	struct uh_gen_req *gen;
	bool gen_total_length;         /* tofu profile: max_new_tokens is the total length
					* (prompt + new tokens); the runner subtracts the
					* prompt's token count when the backend can count */
	struct uh_tofu_item_reqs *item[UH_TOFU_NTASKS];  /* suite->task[t].n each */
	size_t *holdout;               /* suite->holdout.n indices into score[] */
	char **strings;                /* owned strings */
	size_t n_strings, cap_strings;
};

int uh_tofu_requests_build(const struct uh_tofu_suite *s, const struct uh_tofu_template *t,
			   struct uh_tofu_requests *rq, struct uh_err *err);
void uh_tofu_requests_release(struct uh_tofu_requests *rq);

/* ---------------------------------------------------------------- answers to values */

/*
 * open-unlearning's extra per-item values: forget items' extraction strength
 * and exact memorization (from token_greedy, final EOS excluded; NaN when
 * the backend gave no flags), and the min-k (k = 0.4) scores of the forget
 * answers and the holdout answers (from token_logprobs without the final
 * EOS). Arrays are malloc'd, released by uh_tofu_extras_release.
 */
struct uh_tofu_extras {
	double *es, *em;               /* forget n each */
	double *mink_forget;           /* forget n, or NULL without token_logprobs */
	double *mink_holdout;          /* holdout n, or NULL */
	size_t n_forget, n_holdout;
	bool has_flags, has_logprobs;
};

/*
 * Turn the answers (score[i] / gen[i] answer rq->score[i] / rq->gen[i];
 * borrowed) into per-item values: losses (sum, per-token average, token
 * count, EOS included), the truth ratio as logged, normalized_gt_loss for
 * RA/WF, the texts (prompt, generation, ground truth) and ROUGE-1/L recall
 * with the stemmer. Fills *log (release with uh_tofu_log_release) and, when
 * ex is not NULL, the open-unlearning extras.
 */
int uh_tofu_answers_to_log(const struct uh_tofu_suite *s, const struct uh_tofu_requests *rq,
			   const struct uh_score_res *const *score,
			   const struct uh_gen_res *const *gen, struct uh_tofu_log *log,
			   struct uh_tofu_extras *ex, struct uh_err *err);
void uh_tofu_extras_release(struct uh_tofu_extras *ex);

#endif
