/*
 * suites/tofu_logs.c: the official logs read as they ship, and broken copies
 * of them rejected with UH_EINVAL and a message naming file, item and field.
 */
#include "suites/tofu_logs.h"
#include "tests/testutil.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define R99 "data/tofu-logs/tofu-llama2-7b_retain99_wd0.01"

static const char *const task_names[4] = {
	"eval_log.json", "eval_real_author_wo_options.json",
	"eval_real_world_wo_options.json", "eval_log_forget.json",
};

/* ---------------------------------------------------------------- helpers */

static char *path_in(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);

	cr_assert_not_null(p);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char *p = path_in(dir, name);
	FILE *f = fopen(p, "wb");

	cr_assert_not_null(f, "cannot write %s", p);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	free(p);
}

/* The JSON file at path, parsed (caller deletes). */
static cJSON *read_json(const char *path)
{
	size_t len;
	char *buf = uh_test_slurp(path, &len);
	cJSON *root = cJSON_Parse(buf);

	cr_assert_not_null(root, "%s is not JSON", path);
	free(buf);
	return root;
}

/* root written to dir/name as compact JSON. */
static void write_json(const char *dir, const char *name, const cJSON *root)
{
	char *out = cJSON_PrintUnformatted(root);

	cr_assert_not_null(out);
	write_file(dir, name, out, strlen(out));
	free(out);
}

/* A temp dir holding a copy of the four retain99 task files. */
static char *copy_r99(void)
{
	char *dir = uh_test_tmpdir();

	for (int t = 0; t < 4; t++) {
		char src[4096];
		size_t len;
		char *buf;

		snprintf(src, sizeof(src), "%s/%s", uh_test_shared(R99), task_names[t]);
		buf = uh_test_slurp(src, &len);
		write_file(dir, task_names[t], buf, len);
		free(buf);
	}
	return dir;
}

static void remove_dir(char *dir)
{
	const char *extra[] = { "eval_log_aggregated.json", "TOFU_EVAL.json", "TOFU_SUMMARY.json" };

	for (int t = 0; t < 4; t++) {
		char *p = path_in(dir, task_names[t]);
		remove(p);
		free(p);
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		char *p = path_in(dir, extra[i]);
		remove(p);
		free(p);
	}
	rmdir(dir);
	free(dir);
}

/* Replace the first occurrence of needle in *text with repl (reallocates). */
static void replace(char **text, const char *needle, const char *repl)
{
	char *at = strstr(*text, needle);
	size_t a, nl = strlen(needle), rl = strlen(repl), tl = strlen(*text);
	char *out;

	cr_assert_not_null(at, "placeholder not found");
	a = (size_t)(at - *text);
	out = malloc(tl - nl + rl + 1);
	cr_assert_not_null(out);
	memcpy(out, *text, a);
	memcpy(out + a, repl, rl);
	memcpy(out + a + rl, at + nl, tl - a - nl + 1);
	free(*text);
	*text = out;
}

#define HOLE "@@uh-hole@@"

/*
 * Rewrite dir/file with field[item] replaced by the raw JSON text `raw`
 * (item NULL: the whole field; raw NULL: delete it). Raw text goes in
 * through a placeholder so that it can be invalid JSON (NaN, 1e999, ...).
 */
static void mutate(const char *dir, const char *file, const char *field, const char *item,
		   const char *raw)
{
	char *p = path_in(dir, file);
	cJSON *root = read_json(p), *f;
	char *out;

	f = cJSON_GetObjectItemCaseSensitive(root, field);
	cr_assert_not_null(f, "no field %s", field);
	if (!item) {
		if (raw)
			cJSON_ReplaceItemInObjectCaseSensitive(root, field, cJSON_CreateString(HOLE));
		else
			cJSON_DeleteItemFromObjectCaseSensitive(root, field);
	} else if (cJSON_IsArray(f)) {
		int i = atoi(item);

		if (raw)
			cJSON_ReplaceItemInArray(f, i, cJSON_CreateString(HOLE));
		else
			cJSON_DeleteItemFromArray(f, i);
	} else {
		if (raw)
			cJSON_ReplaceItemInObjectCaseSensitive(f, item, cJSON_CreateString(HOLE));
		else
			cJSON_DeleteItemFromObjectCaseSensitive(f, item);
	}
	out = cJSON_PrintUnformatted(root);
	cr_assert_not_null(out);
	if (raw)
		replace(&out, "\"" HOLE "\"", raw);
	write_file(dir, file, out, strlen(out));
	free(out);
	cJSON_Delete(root);
	free(p);
}

/* Read dir, expect UH_EINVAL and every word (NULL-terminated) in the message. */
static void expect_bad(const char *dir, const char *const *words)
{
	struct uh_tofu_log log;
	struct uh_err err = { 0 };
	int rc = uh_tofu_log_read(dir, &log, &err);

	cr_assert_eq(rc, UH_EINVAL, "rc %d, message: %s", rc, err.msg);
	for (const char *const *w = words; *w; w++)
		cr_expect(strstr(err.msg, *w), "'%s' not in message: %s", *w, err.msg);
	cr_expect(strchr(err.msg, '\n') == NULL);
}

#define EXPECT_BAD(dir, ...) expect_bad(dir, (const char *const[]){ __VA_ARGS__, NULL })

/* A copy of the r99 logs with one field broken by mutate(): expect_bad with words. */
static void bad_field(const char *file, const char *field, const char *item, const char *raw,
		      const char *const *words)
{
	char *dir = copy_r99();

	mutate(dir, file, field, item, raw);
	expect_bad(dir, words);
	remove_dir(dir);
}

#define BAD_FIELD(file, field, item, raw, ...) \
	bad_field(file, field, item, raw, (const char *const[]){ __VA_ARGS__, NULL })

/* ---------------------------------------------------------------- good logs */

Test(tofu_logs, reads_new_dict_format)
{
	struct uh_tofu_log log;
	struct uh_err err = { 0 };
	const struct uh_tofu_item *it;
	static const size_t n[4] = { 300, 100, 117, 300 };

	cr_assert_eq(uh_tofu_log_read(uh_test_shared("data/tofu-logs/tofu-llama2-7b_full_wd0.01"),
				      &log, &err), 0, "%s", err.msg);
	cr_expect_eq(log.format, UH_TOFU_FORMAT_DICT);
	cr_expect(!log.aggregated);
	for (int t = 0; t < 4; t++) {
		cr_expect_eq(log.task[t].n, n[t], "task %d: %zu", t, log.task[t].n);
		cr_expect_eq(log.task[t].n_perturb, t == 1 || t == 2 ? 3u : 5u);
		cr_expect(log.task[t].has_truth_ratio);
	}
	cr_expect(log.task[UH_TOFU_REAL_AUTHORS].has_normalized_gt_loss);
	cr_expect(!log.task[UH_TOFU_FORGET].has_normalized_gt_loss);
	it = &log.task[UH_TOFU_FORGET].items[0];
	cr_expect_eq(it->avg_gt_loss, 0.014534536749124527);
	cr_expect_eq(it->num_token_gt, 17);
	cr_expect_eq(it->average_perturb_loss[4], 2.973668098449707);
	cr_expect_eq(it->num_token_perturb[2], 16);
	cr_expect_eq(it->truth_ratio, 0.2452337145805359);
	cr_expect(isnan(it->normalized_gt_loss));
	cr_expect_str_eq(it->generation, "The author's full name is Hsiao Yun-Hwa.");
	cr_expect(strncmp(it->prompt, "[INST] What is the full name", 28) == 0);
	uh_tofu_log_release(&log);
}

Test(tofu_logs, reads_old_list_format_aggregated)
{
	struct uh_tofu_log log;
	struct uh_err err = { 0 };

	cr_assert_eq(uh_tofu_log_read(uh_test_shared("data/tofu-logs/npo-oldformat-retain90_llama_wd0.01"),
				      &log, &err), 0, "%s", err.msg);
	cr_expect_eq(log.format, UH_TOFU_FORMAT_LIST);
	cr_expect(log.aggregated);
	cr_expect_eq(log.task[UH_TOFU_FORGET].n, 300);
	cr_expect(!log.task[UH_TOFU_FORGET].has_truth_ratio);
	cr_expect(isnan(log.task[UH_TOFU_FORGET].items[0].truth_ratio));
	cr_expect_eq(log.task[UH_TOFU_RETAIN].items[0].avg_gt_loss, 0.0032596189994364977);
	cr_expect_str_eq(log.task[UH_TOFU_REAL_AUTHORS].items[0].ground_truth, "William Shakespeare");
	uh_tofu_log_release(&log);
}

Test(tofu_logs, reads_aggregated_file_path)
{
	struct uh_tofu_log log;
	struct uh_err err = { 0 };

	cr_assert_eq(uh_tofu_log_read(uh_test_shared("data/tofu-logs/tofu-phi_full_wd0.01/eval_log_aggregated.json"),
				      &log, &err), 0, "%s", err.msg);
	cr_expect_eq(log.format, UH_TOFU_FORMAT_DICT);
	cr_expect_eq(log.task[UH_TOFU_REAL_WORLD].n, 117);
	uh_tofu_log_release(&log);
}

Test(tofu_logs, missing_directory_contents)
{
	struct uh_tofu_log log;
	struct uh_err err = { 0 };
	char *dir = uh_test_tmpdir();

	cr_expect_eq(uh_tofu_log_read(dir, &log, &err), UH_ENOTFOUND);
	write_file(dir, "eval_log.json", "{}", 2);
	cr_expect_eq(uh_tofu_log_read(dir, &log, &err), UH_ENOTFOUND);
	cr_expect(strstr(err.msg, "eval_real_author_wo_options.json"), "%s", err.msg);
	remove_dir(dir);
}

/* ---------------------------------------------------------------- broken logs */

Test(tofu_logs, syntax_error)
{
	char *dir = copy_r99();
	char *p = path_in(dir, "eval_log.json");
	size_t len;
	char *buf = uh_test_slurp(p, &len);

	write_file(dir, "eval_log.json", buf, len / 2);
	EXPECT_BAD(dir, "eval_log.json'", "syntax error", "line");
	free(buf);
	free(p);
	remove_dir(dir);
}

Test(tofu_logs, wrong_type)
{
	BAD_FIELD("eval_log_forget.json", "avg_gt_loss", "17", "\"0.5\"",
	          "eval_log_forget.json' item 17: field 'avg_gt_loss' must be a finite number, got a string");
}

Test(tofu_logs, wrong_container_type)
{
	BAD_FIELD("eval_log.json", "rougeL_recall", NULL, "42", "eval_log.json'", "field 'rougeL_recall'",
	          "dict of items or a list");
}

Test(tofu_logs, missing_field)
{
	BAD_FIELD("eval_log_forget.json", "avg_paraphrased_loss", NULL, NULL, "eval_log_forget.json'",
	          "field 'avg_paraphrased_loss' is missing");
}

Test(tofu_logs, nan_literal)
{
	BAD_FIELD("eval_real_world_wo_options.json", "avg_gt_loss", "3", "NaN",
	          "eval_real_world_wo_options.json'", "syntax error", "NaN");
}

Test(tofu_logs, infinite_number)
{
	BAD_FIELD("eval_log_forget.json", "perturb_loss", "17", "[1, 2, 1e999, 4, 5]",
	          "item 17: field 'perturb_loss' must be a finite number, got a non-finite number");
}

Test(tofu_logs, wrong_list_length)
{
	char *dir = copy_r99();
	char want[4200];

	mutate(dir, "eval_log_forget.json", "perturb_loss", "17", "[1, 2, 3, 4]");
	snprintf(want, sizeof(want),
		 "tofu log '%s/eval_log_forget.json' item 17: field 'perturb_loss' must be a list of 5 numbers, got 4",
		 dir);
	EXPECT_BAD(dir, want);
	remove_dir(dir);
}

Test(tofu_logs, real_authors_take_three_perturbed)
{
	BAD_FIELD("eval_real_author_wo_options.json", "num_token_perturb", "0", "[3, 4, 5, 6, 7]",
	          "item 0: field 'num_token_perturb' must be a list of 3 token counts, got 5");
}

Test(tofu_logs, bad_token_count)
{
	BAD_FIELD("eval_log.json", "num_token_gt", "5", "2.5",
	          "item 5: field 'num_token_gt' must be a token count");
}

Test(tofu_logs, bad_generated_text)
{
	BAD_FIELD("eval_log.json", "generated_text", "9", "[\"a\", \"b\"]",
	          "item 9: field 'generated_text' must be a list of 3 strings", "got 2");
}

Test(tofu_logs, empty_file)
{
	char *dir = copy_r99();

	write_file(dir, "eval_real_author_wo_options.json", "", 0);
	EXPECT_BAD(dir, "eval_real_author_wo_options.json'", "empty file");
	remove_dir(dir);
}

Test(tofu_logs, ten_megabyte_line)
{
	char *dir = copy_r99();
	size_t n = (size_t)10 << 20;
	char *big = malloc(n + 32);

	cr_assert_not_null(big);
	strcpy(big, "[\"prompt\", \"");
	memset(big + strlen(big), 'a', n);
	strcpy(big + 12 + n, "\", \"gt\"]");
	mutate(dir, "eval_log_forget.json", "generated_text", "17", big);
	EXPECT_BAD(dir, "item 17: field 'generated_text'", "limit");
	free(big);
	remove_dir(dir);
}

Test(tofu_logs, mismatched_item_counts)
{
	BAD_FIELD("eval_log_forget.json", "gt_loss", "39", NULL, "eval_log_forget.json'",
	          "field 'gt_loss' has 39 items but 'avg_gt_loss' has 40");
}

/* In dir's eval_log_forget.json, rouge1_recall's last item (key "39") becomes item key. */
static void rekey_last_recall(const char *dir, const char *key)
{
	char *p = path_in(dir, "eval_log_forget.json");
	cJSON *root = read_json(p);
	cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "rouge1_recall");

	cJSON_DeleteItemFromObjectCaseSensitive(f, "39");
	cJSON_AddNumberToObject(f, key, 0.5);
	write_json(dir, "eval_log_forget.json", root);
	cJSON_Delete(root);
	free(p);
}

Test(tofu_logs, non_contiguous_indices)
{
	char *dir = copy_r99();

	rekey_last_recall(dir, "40");
	EXPECT_BAD(dir, "field 'rouge1_recall' has item key '40'", "0..39");
	remove_dir(dir);
}

Test(tofu_logs, duplicate_index)
{
	char *dir = copy_r99();

	rekey_last_recall(dir, "7");
	EXPECT_BAD(dir, "item 7: field 'rouge1_recall' appears twice");
	remove_dir(dir);
}

Test(tofu_logs, aggregated_file_names_the_task)
{
	char *dir = uh_test_tmpdir();
	cJSON *agg = cJSON_CreateObject();

	/* An old-format aggregated log with one short list. */
	for (int t = 0; t < 4; t++) {
		char src[4096];
		cJSON *task;

		snprintf(src, sizeof(src), "%s/%s", uh_test_shared(R99), task_names[t]);
		task = read_json(src);
		if (t == 3) {
			cJSON *arr = cJSON_CreateArray();
			const cJSON *v;

			cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(task, "average_perturb_loss"))
				cJSON_AddItemToArray(arr, cJSON_Duplicate(v, 1));
			cJSON_DeleteItemFromArray(cJSON_GetArrayItem(arr, 12), 0);
			cJSON_ReplaceItemInObjectCaseSensitive(task, "average_perturb_loss", arr);
		}
		cJSON_AddItemToObject(agg, task_names[t], task);
	}
	write_json(dir, "eval_log_aggregated.json", agg);
	/* The dict and list formats are mixed in one task now. */
	EXPECT_BAD(dir, "eval_log_aggregated.json' task 'eval_log_forget.json'",
		   "'average_perturb_loss' is a list but 'avg_gt_loss' is a dict");
	cJSON_Delete(agg);
	remove_dir(dir);
}

Test(tofu_logs, old_format_wrong_length_in_aggregate)
{
	char *dir = uh_test_tmpdir();
	cJSON *root, *forget, *apl;

	root = read_json(uh_test_shared("data/tofu-logs/npo-oldformat-retain90_llama_wd0.01/eval_log_aggregated.json"));
	forget = cJSON_GetObjectItemCaseSensitive(root, "eval_log_forget.json");
	apl = cJSON_GetObjectItemCaseSensitive(forget, "average_perturb_loss");
	cJSON_AddItemToArray(cJSON_GetArrayItem(apl, 250), cJSON_CreateNumber(1.0));
	write_json(dir, "eval_log_aggregated.json", root);
	EXPECT_BAD(dir, "task 'eval_log_forget.json' item 250: field 'average_perturb_loss' must be a list of 5 numbers, got 6");
	cJSON_Delete(root);
	remove_dir(dir);
}

Test(tofu_logs, not_an_object)
{
	char *dir = copy_r99();

	write_file(dir, "eval_log.json", "[1, 2, 3]", 9);
	EXPECT_BAD(dir, "eval_log.json'", "must be a dict of fields", "got a list");
	remove_dir(dir);
}

/* ---------------------------------------------------------------- open-unlearning */

Test(tofu_logs, reads_ou_eval_and_summary)
{
	struct uh_ou_eval ev;
	struct uh_err err = { 0 };
	const struct uh_ou_metric *m;

	cr_assert_eq(uh_ou_eval_read(uh_test_shared("data/ou-logs/tofu_Llama-2-7b-chat-hf_retain95"),
				     &ev, &err), 0, "%s", err.msg);
	cr_expect_eq(ev.n_metrics, 30);
	cr_expect(ev.has_summary);
	cr_expect_eq(ev.n_summary, 11);
	m = uh_ou_eval_find(&ev, "forget_quality");
	cr_assert_not_null(m);
	cr_expect(m->kind == UH_OU_AGG_ONLY && !m->has_agg);
	m = uh_ou_eval_find(&ev, "retain_Q_A_PERT_Prob");
	cr_assert(m && m->kind == UH_OU_PROB_LIST && m->n == 400 && m->k == 5);
	cr_expect_eq(m->prob[0], 0.16866560280323029);
	m = uh_ou_eval_find(&ev, "ra_Q_A_Prob_normalised");
	cr_assert(m && m->kind == UH_OU_PROB && m->n == 100 && m->avg_loss == NULL);
	m = uh_ou_eval_find(&ev, "forget_Q_A_ROUGE");
	cr_assert(m && m->kind == UH_OU_ROUGE && m->n == 200 && m->generation[0]);
	m = uh_ou_eval_find(&ev, "mia_min_k");
	cr_assert(m && m->kind == UH_OU_MIA && m->n_forget == 200 && m->n_holdout == 200);
	cr_expect_eq(m->auc, 0.35129999999999995);
	m = uh_ou_eval_find(&ev, "retain_Truth_Ratio");
	cr_assert(m && m->kind == UH_OU_SCORE && m->n == 400);
	cr_expect_eq(m->score[0], 0.7925432827956854);
	uh_ou_eval_release(&ev);

	cr_assert_eq(uh_ou_eval_read(uh_test_shared("data/ou-logs/muse_Llama-2-7b-hf_News_target/MUSE_EVAL.json"),
				     &ev, &err), 0, "%s", err.msg);
	cr_expect(ev.has_summary);
	uh_ou_eval_release(&ev);
}

static void expect_ou_bad(const char *json, const char *const *words)
{
	struct uh_ou_eval ev;
	struct uh_err err = { 0 };
	int rc = uh_ou_eval_parse(json, strlen(json), "x/TOFU_EVAL.json", &ev, &err);

	cr_assert_eq(rc, UH_EINVAL, "rc %d for %s: %s", rc, json, err.msg);
	for (const char *const *w = words; *w; w++)
		cr_expect(strstr(err.msg, *w), "'%s' not in message: %s", *w, err.msg);
}

#define EXPECT_OU_BAD(json, ...) expect_ou_bad(json, (const char *const[]){ __VA_ARGS__, NULL })

Test(tofu_logs, ou_bad_inputs)
{
	EXPECT_OU_BAD("", "empty file");
	EXPECT_OU_BAD("{\"a\": {\"agg_value\": NaN}}", "syntax error");
	EXPECT_OU_BAD("{\"a\": {\"agg_value\": 1e999}}", "metric 'a'", "agg_value", "finite");
	EXPECT_OU_BAD("{\"a\": {\"agg_value\": \"0.5\"}}", "metric 'a'", "agg_value");
	EXPECT_OU_BAD("{\"a\": {\"value_by_index\": {}}}", "metric 'a'", "agg_value");
	EXPECT_OU_BAD("{\"a\": {\"agg_value\": 1, \"value_by_index\": {}}}", "value_by_index", "empty");
	EXPECT_OU_BAD("{\"tr\": {\"agg_value\": 1, \"value_by_index\": {\"0\": {\"score\": 1}, \"1\": {\"score\": \"x\"}}}}",
		      "TOFU_EVAL.json' metric 'tr' item 1: field 'score' must be a finite number, got a string");
	EXPECT_OU_BAD("{\"tr\": {\"agg_value\": 1, \"value_by_index\": {\"0\": {\"score\": 1}, \"2\": {\"score\": 1}}}}",
		      "metric 'tr'", "item key '2'");
	EXPECT_OU_BAD("{\"p\": {\"agg_value\": 1, \"value_by_index\": {\"0\": {\"prob\": [1, 2], \"avg_loss\": [1, 2]}, "
		      "\"1\": {\"prob\": [1, 2, 3], \"avg_loss\": [1, 2]}}}}",
		      "metric 'p' item 1: field 'prob' must be a list of 2 numbers, got 3");
	EXPECT_OU_BAD("{\"p\": {\"agg_value\": 1, \"value_by_index\": {\"0\": {\"prob\": 0.5, \"avg_loss\": 1}, "
		      "\"1\": {\"prob\": 0.5}}}}", "item 1: field 'avg_loss' is missing");
	/* the item listed first decides; the message names it by its index, not as item 0 */
	EXPECT_OU_BAD("{\"p\": {\"agg_value\": 1, \"value_by_index\": {\"1\": {\"prob\": 0.5, \"avg_loss\": 1}, "
		      "\"0\": {\"prob\": 0.5}}}}", "item 0: field 'avg_loss' is missing here but present in item 1");
	EXPECT_OU_BAD("{\"m\": {\"agg_value\": 1, \"forget\": {\"agg_value\": 1, \"value_by_index\": {\"0\": {\"score\": 1}}}}}",
		      "metric 'm' holdout", "must be a dict");
	EXPECT_OU_BAD("{\"r\": {\"agg_value\": 1, \"value_by_index\": {\"0\": {\"rougeL_recall\": 1, \"rouge1_recall\": 1, "
		      "\"rougeL_f1\": 1, \"input\": \"q\", \"generation\": 3, \"ground_truth\": \"a\"}}}}",
		      "item 0: field 'generation' must be a string, got a number");
	EXPECT_OU_BAD("{\"u\": {\"agg_value\": 1, \"value_by_index\": {\"0\": {\"weird\": 1}}}}", "unknown shape");
	EXPECT_OU_BAD("[]", "must be a dict");
}

Test(tofu_logs, ou_bad_summary)
{
	struct uh_ou_eval ev = { 0 };
	struct uh_err err = { 0 };
	const char *s = "{\"model_utility\": \"high\"}";

	cr_expect_eq(uh_ou_summary_parse(s, strlen(s), "x/TOFU_SUMMARY.json", &ev, &err), UH_EINVAL);
	cr_expect(strstr(err.msg, "TOFU_SUMMARY.json' metric 'model_utility'"), "%s", err.msg);
	uh_ou_eval_release(&ev);
}
