/*
 * tofu_logs.c - readers for the locuslab/tofu eval logs and for
 * open-unlearning's *_EVAL.json / *_SUMMARY.json (spec/tofu.md §2.6, §3.4).
 *
 * Everything here is untrusted input: every value is type-checked, every
 * number must be finite, every list must have the expected length and every
 * key of a task must cover the same items "0".."N-1". Error messages name
 * the file, the item and the field so that a user can find the bad spot.
 */
#include "suites/tofu_logs.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * No text field of a real log comes near this: generations are at most 200
 * (TOFU) or 512 (open-unlearning) tokens. A bigger string is a broken or
 * hostile file, and storing it would bloat the results database.
 */
#define TEXT_MAX_BYTES ((size_t)1 << 20)

/* Item counts beyond this are not an evaluation log (the largest has 400). */
#define ITEMS_MAX ((size_t)1 << 24)

static const char *const task_files[UH_TOFU_NTASKS] = {
	"eval_log.json",
	"eval_real_author_wo_options.json",
	"eval_real_world_wo_options.json",
	"eval_log_forget.json",
};

static const char *const task_names[UH_TOFU_NTASKS] = {
	"retain", "real_authors", "real_world", "forget",
};

const char *uh_tofu_task_file(enum uh_tofu_task t)
{
	return (unsigned)t < UH_TOFU_NTASKS ? task_files[t] : "?";
}

const char *uh_tofu_task_name(enum uh_tofu_task t)
{
	return (unsigned)t < UH_TOFU_NTASKS ? task_names[t] : "?";
}

size_t uh_tofu_task_n_perturb(enum uh_tofu_task t)
{
	return (t == UH_TOFU_REAL_AUTHORS || t == UH_TOFU_REAL_WORLD) ? 3 : 5;
}

/* ================================================================ errors */

/*
 * Where we are in the input, for messages: "<what> '<file>' [task 't']
 * [metric 'm'] [item i]: [field 'f' ]<message>".
 */
struct where {
	const char *what;    /* "tofu log" or "ou log" */
	const char *file;
	const char *task;    /* the task key inside an aggregated file, or NULL */
	const char *metric;  /* open-unlearning metric, or NULL */
	const char *sub;     /* "forget"/"holdout" inside an MIA metric, or NULL */
	struct uh_err *err;
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int bad(const struct where *w, long item, const char *field, const char *fmt, ...)
{
	char msg[UH_ERR_MSG_MAX];
	char pre[UH_ERR_MSG_MAX];
	size_t p = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	/* Each piece is clipped by snprintf; p never passes sizeof(pre). */
#define ADD(...)                                                            \
	do {                                                                \
		if (p < sizeof(pre)) {                                      \
			int r_ = snprintf(pre + p, sizeof(pre) - p, __VA_ARGS__); \
			if (r_ > 0)                                         \
				p += (size_t)r_;                            \
		}                                                           \
	} while (0)
	ADD("%s '%s'", w->what, w->file);
	if (w->task)
		ADD(" task '%s'", w->task);
	if (w->metric)
		ADD(" metric '%s'", w->metric);
	if (w->sub)
		ADD(" %s", w->sub);
	if (item >= 0)
		ADD(" item %ld", item);
	ADD(": ");
	if (field)
		ADD("field '%s' ", field);
#undef ADD
	return uh_err_set(w->err, UH_EINVAL, "%s%s", pre, msg);
}

static const char *json_type(const cJSON *v)
{
	if (!v)
		return "nothing";
	if (cJSON_IsNumber(v))
		return isfinite(v->valuedouble) ? "a number" : "a non-finite number";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsArray(v))
		return "a list";
	if (cJSON_IsObject(v))
		return "a dict";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	return "an invalid value";
}

/* ================================================================ files */

/*
 * Read a whole file into a NUL-terminated buffer (caller frees), refusing
 * files above UH_TOFU_LOG_MAX_BYTES and empty ones.
 */
static int slurp(const struct where *w, const char *path, char **buf, size_t *len)
{
	FILE *f = NULL;
	struct stat st;
	char *b = NULL;
	size_t n;

	*buf = NULL;
	*len = 0;
	f = fopen(path, "rb");
	if (!f)
		return uh_err_set(w->err, errno == ENOENT ? UH_ENOTFOUND : UH_EIO,
				  "%s '%s': cannot open: %s", w->what, path, strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return uh_err_set(w->err, UH_EIO, "%s '%s': not a regular file", w->what, path);
	}
	if ((uintmax_t)st.st_size > UH_TOFU_LOG_MAX_BYTES) {
		fclose(f);
		return uh_err_set(w->err, UH_EINVAL, "%s '%s': file of %jd bytes exceeds the %zu MiB limit",
				  w->what, path, (intmax_t)st.st_size, UH_TOFU_LOG_MAX_BYTES >> 20);
	}
	if (st.st_size == 0) {
		fclose(f);
		return uh_err_set(w->err, UH_EINVAL, "%s '%s': empty file", w->what, path);
	}
	n = (size_t)st.st_size;
	b = malloc(n + 1);
	if (!b) {
		fclose(f);
		return uh_err_set(w->err, UH_ENOMEM, "%s '%s': out of memory", w->what, path);
	}
	if (fread(b, 1, n, f) != n) {
		free(b);
		fclose(f);
		return uh_err_set(w->err, UH_EIO, "%s '%s': read failed", w->what, path);
	}
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* Parse JSON, reporting a syntax error with its line and column. */
static int parse_json(const struct where *w, const char *json, size_t len, cJSON **out)
{
	const char *end = NULL;
	size_t line = 1, col = 1;

	*out = NULL;
	if (len == 0)
		return bad(w, -1, NULL, "empty file");
	*out = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (*out)
		return 0;
	if (end && end >= json && end <= json + len) {
		for (const char *c = json; c < end; c++) {
			if (*c == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		return bad(w, -1, NULL, "JSON syntax error at line %zu column %zu "
			   "(NaN and Infinity are not JSON)", line, col);
	}
	return bad(w, -1, NULL, "JSON syntax error (or out of memory while parsing)");
}

static char *join_path(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, a);
	if (a > 0 && dir[a - 1] != '/')
		p[a++] = '/';
	memcpy(p + a, name, b + 1);
	return p;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ================================================================ values */

static int get_number(const struct where *w, long item, const char *field, const cJSON *v,
		      double *out)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return bad(w, item, field, "must be a finite number, got %s", json_type(v));
	*out = v->valuedouble;
	return 0;
}

/* Token counts: non-negative integers well inside a long. */
static int get_count(const struct where *w, long item, const char *field, const cJSON *v,
		     long *out)
{
	double d;

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return bad(w, item, field, "must be a token count, got %s", json_type(v));
	d = v->valuedouble;
	if (d < 0 || d > 1e9 || d != floor(d))
		return bad(w, item, field, "must be a token count, got %g", d);
	*out = (long)d;
	return 0;
}

static int get_text(const struct where *w, long item, const char *field, const cJSON *v,
		    char **out)
{
	size_t n;

	if (!cJSON_IsString(v) || !v->valuestring)
		return bad(w, item, field, "must be a string, got %s", json_type(v));
	n = strlen(v->valuestring);
	if (n > TEXT_MAX_BYTES)
		return bad(w, item, field, "holds a string of %zu bytes, over the %zu MiB limit",
			   n, TEXT_MAX_BYTES >> 20);
	*out = malloc(n + 1);
	if (!*out)
		return uh_err_set(w->err, UH_ENOMEM, "%s '%s': out of memory", w->what, w->file);
	memcpy(*out, v->valuestring, n + 1);
	return 0;
}

/*
 * A JSON object key as an item index: canonical decimal ("0", "17"; no sign,
 * no leading zero), below n. Returns -1 otherwise.
 */
static long key_index(const char *key, size_t n)
{
	size_t v = 0;

	if (!key || !*key || (key[0] == '0' && key[1] != '\0'))
		return -1;
	for (const char *c = key; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (size_t)(*c - '0');
		if (v >= n)
			return -1;
	}
	return (long)v;
}

/*
 * Walk the items of a dict-or-list container of n items, handing each
 * (index, value) to fn. Dict keys must be exactly "0".."n-1" (any order,
 * no duplicates); the reference reads list(d.values()) in file order, which
 * for the shipped logs is index order.
 */
typedef int (*item_fn)(const struct where *w, long i, const cJSON *v, void *ctx);

static int walk_items(const struct where *w, const char *field, const cJSON *c, size_t n,
		      item_fn fn, void *ctx)
{
	unsigned char *seen = NULL;
	const cJSON *v;
	long i = 0;
	int rc = 0;

	if (cJSON_IsArray(c)) {
		cJSON_ArrayForEach(v, c) {
			rc = fn(w, i++, v, ctx);
			if (rc)
				return rc;
		}
		return 0;
	}
	seen = calloc(n ? n : 1, 1);
	if (!seen)
		return uh_err_set(w->err, UH_ENOMEM, "%s '%s': out of memory", w->what, w->file);
	cJSON_ArrayForEach(v, c) {
		long k = key_index(v->string, n);

		if (k < 0) {
			rc = bad(w, -1, field, "has item key '%.40s'; keys must be the indices 0..%zu",
				 v->string ? v->string : "", n - 1);
			goto out_seen;
		}
		if (seen[k]) {
			rc = bad(w, k, field, "appears twice");
			goto out_seen;
		}
		seen[k] = 1;
		rc = fn(w, k, v, ctx);
		if (rc)
			goto out_seen;
	}
out_seen:
	free(seen);
	return rc;
}

/* ================================================================ TOFU task logs */

enum ftype { F_NUM, F_RECALL, F_COUNT, F_NUMLIST, F_COUNTLIST, F_TEXT3 };

struct field {
	const char *key;
	enum ftype type;
	size_t off;
	bool required;
};

#define OFF(m) offsetof(struct uh_tofu_item, m)
static const struct field tofu_fields[] = {
	{ "avg_gt_loss", F_NUM, OFF(avg_gt_loss), true },
	{ "gt_loss", F_NUM, OFF(gt_loss), true },
	{ "num_token_gt", F_COUNT, OFF(num_token_gt), true },
	{ "generated_text", F_TEXT3, 0, true },
	{ "rouge1_recall", F_RECALL, OFF(rouge1_recall), true },
	{ "rougeL_recall", F_RECALL, OFF(rougeL_recall), true },
	{ "average_perturb_loss", F_NUMLIST, OFF(average_perturb_loss), true },
	{ "avg_paraphrased_loss", F_NUM, OFF(avg_paraphrased_loss), true },
	{ "paraphrased_loss", F_NUM, OFF(paraphrased_loss), true },
	{ "perturb_loss", F_NUMLIST, OFF(perturb_loss), true },
	{ "num_token_paraphrased", F_COUNT, OFF(num_token_paraphrased), true },
	{ "num_token_perturb", F_COUNTLIST, OFF(num_token_perturb), true },
	/* The old list format predates truth_ratio; only RA/WF log normalized_gt_loss. */
	{ "truth_ratio", F_NUM, OFF(truth_ratio), false },
	{ "normalized_gt_loss", F_NUM, OFF(normalized_gt_loss), false },
};
#undef OFF

struct tofu_walk {
	const struct field *f;
	struct uh_tofu_task_log *tl;
};

static int tofu_item(const struct where *w, long i, const cJSON *v, void *ctx)
{
	const struct tofu_walk *tw = ctx;
	const struct field *f = tw->f;
	struct uh_tofu_item *it = &tw->tl->items[i];
	char *base = (char *)it + f->off;
	size_t k = tw->tl->n_perturb;
	const cJSON *e;
	size_t j = 0;
	int rc;

	switch (f->type) {
	case F_NUM:
		return get_number(w, i, f->key, v, (double *)(void *)base);
	case F_RECALL:
		rc = get_number(w, i, f->key, v, (double *)(void *)base);
		if (rc == 0 && !(v->valuedouble >= 0 && v->valuedouble <= 1))
			return bad(w, i, f->key, "must be in [0, 1], got %g", v->valuedouble);
		return rc;
	case F_COUNT:
		return get_count(w, i, f->key, v, (long *)(void *)base);
	case F_NUMLIST:
	case F_COUNTLIST: {
		const char *what = f->type == F_NUMLIST ? "numbers" : "token counts";
		int got;

		if (!cJSON_IsArray(v))
			return bad(w, i, f->key, "must be a list of %zu %s, got %s", k, what,
				   json_type(v));
		got = cJSON_GetArraySize(v);
		if (got < 0 || (size_t)got != k)
			return bad(w, i, f->key, "must be a list of %zu %s, got %d", k, what, got);
		cJSON_ArrayForEach(e, v) {
			if (f->type == F_NUMLIST)
				rc = get_number(w, i, f->key, e, (double *)(void *)base + j);
			else
				rc = get_count(w, i, f->key, e, (long *)(void *)base + j);
			if (rc)
				return rc;
			j++;
		}
		return 0;
	}
	case F_TEXT3: {
		char **dst[3] = { &it->prompt, &it->generation, &it->ground_truth };

		if (!cJSON_IsArray(v))
			return bad(w, i, f->key,
				   "must be a list of 3 strings [prompt, generation, ground truth], got %s",
				   json_type(v));
		if (cJSON_GetArraySize(v) != 3)
			return bad(w, i, f->key,
				   "must be a list of 3 strings [prompt, generation, ground truth], got %d",
				   cJSON_GetArraySize(v));
		cJSON_ArrayForEach(e, v) {
			rc = get_text(w, i, f->key, e, dst[j++]);
			if (rc)
				return rc;
		}
		return 0;
	}
	}
	return uh_err_set(w->err, UH_EINTERNAL, "tofu log: unknown field type");
}

void uh_tofu_task_log_release(struct uh_tofu_task_log *tl)
{
	if (!tl)
		return;
	for (size_t i = 0; tl->items && i < tl->n; i++) {
		free(tl->items[i].prompt);
		free(tl->items[i].generation);
		free(tl->items[i].ground_truth);
	}
	free(tl->items);
	memset(tl, 0, sizeof(*tl));
}

void uh_tofu_log_release(struct uh_tofu_log *log)
{
	if (!log)
		return;
	for (int t = 0; t < UH_TOFU_NTASKS; t++)
		uh_tofu_task_log_release(&log->task[t]);
	memset(log, 0, sizeof(*log));
}

/* Fill out from the parsed object of one task log. */
static int task_from_json(const struct where *w, const cJSON *root, enum uh_tofu_task t,
			  struct uh_tofu_task_log *out, enum uh_tofu_format *fmt)
{
	const size_t nf = sizeof(tofu_fields) / sizeof(tofu_fields[0]);
	const char *first = NULL;
	bool is_list = false;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(root))
		return bad(w, -1, NULL, "must be a dict of fields (avg_gt_loss, ...), got %s",
			   json_type(root));

	/* Every key must cover the same items, in the same format. */
	for (size_t f = 0; f < nf; f++) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, tofu_fields[f].key);
		int cnt;

		if (!c) {
			if (tofu_fields[f].required)
				return bad(w, -1, tofu_fields[f].key, "is missing");
			continue;
		}
		if (!cJSON_IsArray(c) && !cJSON_IsObject(c))
			return bad(w, -1, tofu_fields[f].key,
				   "must be a dict of items or a list, got %s", json_type(c));
		cnt = cJSON_GetArraySize(c);
		if (!first) {
			first = tofu_fields[f].key;
			is_list = cJSON_IsArray(c);
			n = (size_t)cnt;
			continue;
		}
		if ((bool)cJSON_IsArray(c) != is_list)
			return bad(w, -1, tofu_fields[f].key, "is a %s but '%s' is a %s",
				   cJSON_IsArray(c) ? "list" : "dict", first, is_list ? "list" : "dict");
		if ((size_t)cnt != n)
			return bad(w, -1, tofu_fields[f].key, "has %d items but '%s' has %zu",
				   cnt, first, n);
	}
	if (n == 0)
		return bad(w, -1, NULL, "has no items");
	if (n > ITEMS_MAX)
		return bad(w, -1, NULL, "has %zu items, more than any evaluation log", n);

	out->items = calloc(n, sizeof(*out->items));
	if (!out->items)
		return uh_err_set(w->err, UH_ENOMEM, "%s '%s': out of memory", w->what, w->file);
	out->n = n;
	out->n_perturb = uh_tofu_task_n_perturb(t);
	for (size_t i = 0; i < n; i++) {
		out->items[i].truth_ratio = NAN;
		out->items[i].normalized_gt_loss = NAN;
	}

	for (size_t f = 0; f < nf; f++) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, tofu_fields[f].key);
		struct tofu_walk tw = { &tofu_fields[f], out };

		if (!c)
			continue;
		rc = walk_items(w, tofu_fields[f].key, c, n, tofu_item, &tw);
		if (rc)
			goto fail;
		if (strcmp(tofu_fields[f].key, "truth_ratio") == 0)
			out->has_truth_ratio = true;
		else if (strcmp(tofu_fields[f].key, "normalized_gt_loss") == 0)
			out->has_normalized_gt_loss = true;
	}
	if (fmt)
		*fmt = is_list ? UH_TOFU_FORMAT_LIST : UH_TOFU_FORMAT_DICT;
	return 0;

fail:
	uh_tofu_task_log_release(out);
	return rc;
}

int uh_tofu_task_log_parse(const char *json, size_t len, const char *name,
			   enum uh_tofu_task t, struct uh_tofu_task_log *out,
			   enum uh_tofu_format *fmt, struct uh_err *err)
{
	struct where w = { "tofu log", name ? name : "(buffer)", NULL, NULL, NULL, err };
	cJSON *root = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((unsigned)t >= UH_TOFU_NTASKS)
		return uh_err_set(err, UH_EINVAL, "tofu log: unknown task %d", (int)t);
	rc = parse_json(&w, json, len, &root);
	if (rc)
		return rc;
	rc = task_from_json(&w, root, t, out, fmt);
	cJSON_Delete(root);
	return rc;
}

/* Read one task file and check its format matches the others'. */
static int read_task_file(const char *dir, enum uh_tofu_task t, struct uh_tofu_log *log,
			  struct uh_err *err)
{
	struct where w = { "tofu log", NULL, NULL, NULL, NULL, err };
	enum uh_tofu_format fmt;
	char *path = join_path(dir, task_files[t]);
	char *buf = NULL;
	size_t len;
	int rc;

	if (!path)
		return uh_err_set(err, UH_ENOMEM, "tofu log: out of memory");
	w.file = path;
	rc = slurp(&w, path, &buf, &len);
	if (rc)
		goto out;
	rc = uh_tofu_task_log_parse(buf, len, path, t, &log->task[t], &fmt, err);
	if (rc)
		goto out;
	if (t > 0 && fmt != log->format)
		rc = bad(&w, -1, NULL, "is in the %s format but '%s' is not",
			 fmt == UH_TOFU_FORMAT_LIST ? "old list" : "new dict", task_files[0]);
	log->format = fmt;
out:
	free(buf);
	free(path);
	return rc;
}

static int read_aggregated(const char *path, struct uh_tofu_log *log, struct uh_err *err)
{
	struct where w = { "tofu log", path, NULL, NULL, NULL, err };
	cJSON *root = NULL;
	char *buf = NULL;
	size_t len;
	int rc;

	rc = slurp(&w, path, &buf, &len);
	if (rc)
		return rc;
	rc = parse_json(&w, buf, len, &root);
	if (rc)
		goto out;
	if (!cJSON_IsObject(root)) {
		rc = bad(&w, -1, NULL, "must be a dict {\"<task>.json\": log}, got %s",
			 json_type(root));
		goto out;
	}
	log->aggregated = true;
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		const cJSON *task = cJSON_GetObjectItemCaseSensitive(root, task_files[t]);
		enum uh_tofu_format fmt;

		if (!task) {
			rc = bad(&w, -1, NULL, "has no task '%s'", task_files[t]);
			goto out;
		}
		w.task = task_files[t];
		rc = task_from_json(&w, task, (enum uh_tofu_task)t, &log->task[t], &fmt);
		if (rc)
			goto out;
		if (t > 0 && fmt != log->format) {
			rc = bad(&w, -1, NULL, "is in the %s format but task '%s' is not",
				 fmt == UH_TOFU_FORMAT_LIST ? "old list" : "new dict", task_files[0]);
			goto out;
		}
		log->format = fmt;
	}
out:
	cJSON_Delete(root);
	free(buf);
	return rc;
}

int uh_tofu_log_read(const char *path, struct uh_tofu_log *log, struct uh_err *err)
{
	char *agg = NULL;
	int have = 0;
	int rc = 0;

	memset(log, 0, sizeof(*log));
	if (!path || !*path)
		return uh_err_set(err, UH_EINVAL, "tofu log: empty path");
	if (!is_dir(path)) {
		if (!is_file(path))
			return uh_err_set(err, UH_ENOTFOUND, "tofu log '%s': no such file or directory",
					  path);
		rc = read_aggregated(path, log, err);
		goto out;
	}

	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		char *p = join_path(path, task_files[t]);

		if (!p)
			return uh_err_set(err, UH_ENOMEM, "tofu log: out of memory");
		have += is_file(p);
		free(p);
	}
	if (have == UH_TOFU_NTASKS) {
		for (int t = 0; t < UH_TOFU_NTASKS && rc == 0; t++)
			rc = read_task_file(path, (enum uh_tofu_task)t, log, err);
		goto out;
	}
	agg = join_path(path, "eval_log_aggregated.json");
	if (!agg)
		return uh_err_set(err, UH_ENOMEM, "tofu log: out of memory");
	if (is_file(agg)) {
		rc = read_aggregated(agg, log, err);
	} else if (have > 0) {
		for (int t = 0; t < UH_TOFU_NTASKS; t++) {
			char *p = join_path(path, task_files[t]);
			bool there = p && is_file(p);

			free(p);
			if (!there) {
				rc = uh_err_set(err, UH_ENOTFOUND,
						"tofu log '%s': missing task file '%s' (and no eval_log_aggregated.json)",
						path, task_files[t]);
				break;
			}
		}
	} else {
		rc = uh_err_set(err, UH_ENOTFOUND,
				"tofu log '%s': no eval_log*.json task files and no eval_log_aggregated.json",
				path);
	}
	free(agg);
out:
	if (rc)
		uh_tofu_log_release(log);
	return rc;
}

/* ================================================================ open-unlearning */

static void metric_release(struct uh_ou_metric *m)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->input)
			free(m->input[i]);
		if (m->ground_truth)
			free(m->ground_truth[i]);
		if (m->generation)
			free(m->generation[i]);
	}
	free(m->name);
	free(m->score);
	free(m->prob);
	free(m->avg_loss);
	free(m->rouge1_recall);
	free(m->rougeL_f1);
	free(m->rougeL_recall);
	free(m->input);
	free(m->ground_truth);
	free(m->generation);
	free(m->forget_score);
	free(m->holdout_score);
	memset(m, 0, sizeof(*m));
}

void uh_ou_eval_release(struct uh_ou_eval *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; ev->metrics && i < ev->n_metrics; i++)
		metric_release(&ev->metrics[i]);
	free(ev->metrics);
	for (size_t i = 0; ev->summary && i < ev->n_summary; i++)
		free(ev->summary[i].name);
	free(ev->summary);
	memset(ev, 0, sizeof(*ev));
}

const struct uh_ou_metric *uh_ou_eval_find(const struct uh_ou_eval *ev, const char *name)
{
	for (size_t i = 0; ev && name && i < ev->n_metrics; i++)
		if (strcmp(ev->metrics[i].name, name) == 0)
			return &ev->metrics[i];
	return NULL;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(n + 1);

	if (p)
		memcpy(p, s, n + 1);
	return p;
}

static void *alloc_array(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static int oom(const struct where *w)
{
	return uh_err_set(w->err, UH_ENOMEM, "%s '%s': out of memory", w->what, w->file);
}

/* A value_by_index container: a dict keyed "0".."n-1" of dicts. */
static int vbi_count(const struct where *w, const cJSON *vbi, size_t *n)
{
	int cnt;

	if (!cJSON_IsObject(vbi))
		return bad(w, -1, "value_by_index", "must be a dict of items, got %s", json_type(vbi));
	cnt = cJSON_GetArraySize(vbi);
	if (cnt <= 0)
		return bad(w, -1, "value_by_index", "is empty");
	if ((size_t)cnt > ITEMS_MAX)
		return bad(w, -1, "value_by_index", "has %d items, more than any evaluation", cnt);
	*n = (size_t)cnt;
	return 0;
}

static int ou_field_number(const struct where *w, long i, const cJSON *item, const char *key,
			   double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);

	if (!v)
		return bad(w, i, key, "is missing");
	return get_number(w, i, key, v, out);
}

static int ou_field_text(const struct where *w, long i, const cJSON *item, const char *key,
			 char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);

	if (!v)
		return bad(w, i, key, "is missing");
	return get_text(w, i, key, v, out);
}

/* Callback state for the per-item parsers of one metric. */
struct ou_walk {
	struct uh_ou_metric *m;
	double *scores;   /* SCORE target (score, forget_score or holdout_score) */
	bool first_has_avg_loss;
	long first;       /* the index of the item listed first, which decided the shape */
};

static int ou_score_item(const struct where *w, long i, const cJSON *v, void *ctx)
{
	struct ou_walk *ow = ctx;

	if (!cJSON_IsObject(v))
		return bad(w, i, NULL, "must be a dict {\"score\": ...}, got %s", json_type(v));
	return ou_field_number(w, i, v, "score", &ow->scores[i]);
}

static int ou_prob_item(const struct where *w, long i, const cJSON *v, void *ctx)
{
	struct ou_walk *ow = ctx;
	struct uh_ou_metric *m = ow->m;
	const cJSON *al;
	int rc;

	if (!cJSON_IsObject(v))
		return bad(w, i, NULL, "must be a dict {\"prob\": ...}, got %s", json_type(v));
	rc = ou_field_number(w, i, v, "prob", &m->prob[i]);
	if (rc)
		return rc;
	al = cJSON_GetObjectItemCaseSensitive(v, "avg_loss");
	if ((al != NULL) != (m->avg_loss != NULL))
		return bad(w, i, "avg_loss", "is %s here but %s in item %ld",
			   al ? "present" : "missing", al ? "missing" : "present", ow->first);
	return al ? get_number(w, i, "avg_loss", al, &m->avg_loss[i]) : 0;
}

static int ou_list_of(const struct where *w, long i, const cJSON *item, const char *key,
		      size_t k, double *dst)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);
	const cJSON *e;
	size_t j = 0;
	int got, rc;

	if (!cJSON_IsArray(v))
		return bad(w, i, key, "must be a list of %zu numbers, got %s", k, json_type(v));
	got = cJSON_GetArraySize(v);
	if (got < 0 || (size_t)got != k)
		return bad(w, i, key, "must be a list of %zu numbers, got %d", k, got);
	cJSON_ArrayForEach(e, v) {
		rc = get_number(w, i, key, e, &dst[j++]);
		if (rc)
			return rc;
	}
	return 0;
}

static int ou_prob_list_item(const struct where *w, long i, const cJSON *v, void *ctx)
{
	struct ou_walk *ow = ctx;
	struct uh_ou_metric *m = ow->m;
	int rc;

	if (!cJSON_IsObject(v))
		return bad(w, i, NULL, "must be a dict {\"prob\": [...], \"avg_loss\": [...]}, got %s",
			   json_type(v));
	rc = ou_list_of(w, i, v, "prob", m->k, &m->prob[(size_t)i * m->k]);
	if (rc)
		return rc;
	return ou_list_of(w, i, v, "avg_loss", m->k, &m->avg_loss[(size_t)i * m->k]);
}

static int ou_rouge_item(const struct where *w, long i, const cJSON *v, void *ctx)
{
	struct ou_walk *ow = ctx;
	struct uh_ou_metric *m = ow->m;
	int rc;

	if (!cJSON_IsObject(v))
		return bad(w, i, NULL, "must be a dict of ROUGE fields, got %s", json_type(v));
	if ((rc = ou_field_number(w, i, v, "rouge1_recall", &m->rouge1_recall[i])) ||
	    (rc = ou_field_number(w, i, v, "rougeL_f1", &m->rougeL_f1[i])) ||
	    (rc = ou_field_number(w, i, v, "rougeL_recall", &m->rougeL_recall[i])) ||
	    (rc = ou_field_text(w, i, v, "input", &m->input[i])) ||
	    (rc = ou_field_text(w, i, v, "ground_truth", &m->ground_truth[i])) ||
	    (rc = ou_field_text(w, i, v, "generation", &m->generation[i])))
		return rc;
	return 0;
}

/* Optional number member: NaN when absent or null, an error when mistyped. */
static int opt_number(const struct where *w, const cJSON *obj, const char *key, bool *has,
		      double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NAN;
	if (has)
		*has = false;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (has)
		*has = true;
	return get_number(w, -1, key, v, out);
}

/* One MIA side ("forget"/"holdout"): its scores and stored mean. */
static int ou_mia_side(struct where *w, const cJSON *obj, const char *side, size_t *n,
		       double **scores, double *agg)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, side);
	const cJSON *vbi;
	struct ou_walk ow = { 0 };
	int rc;

	w->sub = side;
	if (!cJSON_IsObject(s))
		return bad(w, -1, NULL, "must be a dict {agg_value, value_by_index}, got %s",
			   json_type(s));
	rc = opt_number(w, s, "agg_value", NULL, agg);
	if (rc)
		return rc;
	vbi = cJSON_GetObjectItemCaseSensitive(s, "value_by_index");
	rc = vbi_count(w, vbi, n);
	if (rc)
		return rc;
	*scores = alloc_array(*n, sizeof(double));
	if (!*scores)
		return oom(w);
	ow.scores = *scores;
	rc = walk_items(w, "value_by_index", vbi, *n, ou_score_item, &ow);
	w->sub = NULL;
	return rc;
}

/* Decide the kind of a metric from its shape and fill m. */
static int ou_metric(struct where *w, const cJSON *obj, struct uh_ou_metric *m)
{
	const cJSON *vbi, *first, *p;
	struct ou_walk ow = { 0 };
	item_fn fn = NULL;
	int rc;

	if (!cJSON_IsObject(obj))
		return bad(w, -1, NULL, "must be a dict {agg_value, ...}, got %s", json_type(obj));
	rc = opt_number(w, obj, "agg_value", &m->has_agg, &m->agg_value);
	if (rc)
		return rc;
	if (!cJSON_GetObjectItemCaseSensitive(obj, "agg_value"))
		return bad(w, -1, "agg_value", "is missing");
	m->forget_agg = m->holdout_agg = m->auc = NAN;

	if (cJSON_GetObjectItemCaseSensitive(obj, "forget") ||
	    cJSON_GetObjectItemCaseSensitive(obj, "holdout")) {
		m->kind = UH_OU_MIA;
		if ((rc = ou_mia_side(w, obj, "forget", &m->n_forget, &m->forget_score, &m->forget_agg)) ||
		    (rc = ou_mia_side(w, obj, "holdout", &m->n_holdout, &m->holdout_score,
				      &m->holdout_agg)))
			return rc;
		return opt_number(w, obj, "auc", NULL, &m->auc);
	}

	vbi = cJSON_GetObjectItemCaseSensitive(obj, "value_by_index");
	if (!vbi) {
		m->kind = UH_OU_AGG_ONLY;
		return 0;
	}
	rc = vbi_count(w, vbi, &m->n);
	if (rc)
		return rc;
	first = vbi->child;
	ow.first = key_index(first->string, m->n);
	if (!cJSON_IsObject(first))
		return bad(w, ow.first, NULL, "must be a dict of values, got %s", json_type(first));

	ow.m = m;
	if (cJSON_GetObjectItemCaseSensitive(first, "score")) {
		m->kind = UH_OU_SCORE;
		m->score = alloc_array(m->n, sizeof(double));
		if (!m->score)
			return oom(w);
		ow.scores = m->score;
		fn = ou_score_item;
	} else if (cJSON_GetObjectItemCaseSensitive(first, "rougeL_recall")) {
		m->kind = UH_OU_ROUGE;
		m->rouge1_recall = alloc_array(m->n, sizeof(double));
		m->rougeL_f1 = alloc_array(m->n, sizeof(double));
		m->rougeL_recall = alloc_array(m->n, sizeof(double));
		m->input = alloc_array(m->n, sizeof(char *));
		m->ground_truth = alloc_array(m->n, sizeof(char *));
		m->generation = alloc_array(m->n, sizeof(char *));
		if (!m->rouge1_recall || !m->rougeL_f1 || !m->rougeL_recall || !m->input ||
		    !m->ground_truth || !m->generation)
			return oom(w);
		fn = ou_rouge_item;
	} else if ((p = cJSON_GetObjectItemCaseSensitive(first, "prob")) && cJSON_IsArray(p)) {
		int k = cJSON_GetArraySize(p);

		if (k <= 0 || k > 64)
			return bad(w, 0, "prob", "must be a list of 1 to 64 numbers, got %d", k);
		m->kind = UH_OU_PROB_LIST;
		m->k = (size_t)k;
		m->prob = alloc_array(m->n * m->k, sizeof(double));
		m->avg_loss = alloc_array(m->n * m->k, sizeof(double));
		if (!m->prob || !m->avg_loss)
			return oom(w);
		fn = ou_prob_list_item;
	} else if (p) {
		m->kind = UH_OU_PROB;
		m->prob = alloc_array(m->n, sizeof(double));
		if (!m->prob)
			return oom(w);
		/* item "0" decides whether avg_loss is logged; the rest must agree. */
		if (cJSON_GetObjectItemCaseSensitive(first, "avg_loss")) {
			m->avg_loss = alloc_array(m->n, sizeof(double));
			if (!m->avg_loss)
				return oom(w);
		}
		fn = ou_prob_item;
	} else {
		return bad(w, -1, "value_by_index",
			   "has items of an unknown shape (no score, prob or rougeL_recall)");
	}
	return walk_items(w, "value_by_index", vbi, m->n, fn, &ow);
}

int uh_ou_eval_parse(const char *json, size_t len, const char *name, struct uh_ou_eval *ev,
		     struct uh_err *err)
{
	struct where w = { "ou log", name ? name : "(buffer)", NULL, NULL, NULL, err };
	const cJSON *m;
	cJSON *root = NULL;
	size_t i = 0;
	int cnt, rc;

	memset(ev, 0, sizeof(*ev));
	rc = parse_json(&w, json, len, &root);
	if (rc)
		return rc;
	if (!cJSON_IsObject(root)) {
		rc = bad(&w, -1, NULL, "must be a dict {metric: result}, got %s", json_type(root));
		goto out;
	}
	cnt = cJSON_GetArraySize(root);
	if (cnt <= 0) {
		rc = bad(&w, -1, NULL, "holds no metrics");
		goto out;
	}
	ev->metrics = calloc((size_t)cnt, sizeof(*ev->metrics));
	if (!ev->metrics) {
		rc = oom(&w);
		goto out;
	}
	cJSON_ArrayForEach(m, root) {
		struct uh_ou_metric *dst = &ev->metrics[i];

		w.metric = m->string;
		if (!m->string || uh_ou_eval_find(ev, m->string)) {
			rc = bad(&w, -1, NULL, "appears twice");
			goto out;
		}
		dst->name = dup_str(m->string);
		ev->n_metrics = ++i;
		if (!dst->name) {
			rc = oom(&w);
			goto out;
		}
		rc = ou_metric(&w, m, dst);
		if (rc)
			goto out;
	}
out:
	cJSON_Delete(root);
	if (rc)
		uh_ou_eval_release(ev);
	return rc;
}

int uh_ou_summary_parse(const char *json, size_t len, const char *name, struct uh_ou_eval *ev,
			struct uh_err *err)
{
	struct where w = { "ou summary", name ? name : "(buffer)", NULL, NULL, NULL, err };
	struct uh_ou_summary_entry *s = NULL;
	const cJSON *v;
	cJSON *root = NULL;
	size_t n = 0;
	int rc;

	rc = parse_json(&w, json, len, &root);
	if (rc)
		return rc;
	if (!cJSON_IsObject(root)) {
		rc = bad(&w, -1, NULL, "must be a dict {metric: value}, got %s", json_type(root));
		goto out;
	}
	s = calloc((size_t)cJSON_GetArraySize(root) + 1, sizeof(*s));
	if (!s) {
		rc = oom(&w);
		goto out;
	}
	cJSON_ArrayForEach(v, root) {
		w.metric = v->string;
		rc = get_number(&w, -1, NULL, v, &s[n].value);
		if (rc)
			goto out;
		s[n].name = dup_str(v->string ? v->string : "");
		if (!s[n].name) {
			rc = oom(&w);
			goto out;
		}
		n++;
	}
	/* Replace any summary read before. */
	for (size_t i = 0; i < ev->n_summary; i++)
		free(ev->summary[i].name);
	free(ev->summary);
	ev->summary = s;
	ev->n_summary = n;
	ev->has_summary = true;
	s = NULL;
out:
	if (s) {
		for (size_t i = 0; i < n; i++)
			free(s[i].name);
		free(s);
	}
	cJSON_Delete(root);
	return rc;
}

/* Read and parse path with fn into ev. */
static int ou_read_file(const char *path, bool summary, struct uh_ou_eval *ev,
			struct uh_err *err)
{
	struct where w = { summary ? "ou summary" : "ou log", path, NULL, NULL, NULL, err };
	char *buf = NULL;
	size_t len;
	int rc;

	rc = slurp(&w, path, &buf, &len);
	if (rc)
		return rc;
	if (summary)
		rc = uh_ou_summary_parse(buf, len, path, ev, err);
	else
		rc = uh_ou_eval_parse(buf, len, path, ev, err);
	free(buf);
	return rc;
}

int uh_ou_eval_read(const char *path, struct uh_ou_eval *ev, struct uh_err *err)
{
	static const char *const benches[] = { "TOFU", "MUSE" };
	char *eval = NULL, *summ = NULL;
	int rc = 0;

	memset(ev, 0, sizeof(*ev));
	if (!path || !*path)
		return uh_err_set(err, UH_EINVAL, "ou log: empty path");
	if (is_dir(path)) {
		for (size_t b = 0; b < sizeof(benches) / sizeof(benches[0]) && !eval; b++) {
			char name[32];

			snprintf(name, sizeof(name), "%s_EVAL.json", benches[b]);
			eval = join_path(path, name);
			if (!eval)
				return uh_err_set(err, UH_ENOMEM, "ou log: out of memory");
			if (!is_file(eval)) {
				free(eval);
				eval = NULL;
			}
		}
		if (!eval)
			return uh_err_set(err, UH_ENOTFOUND,
					  "ou log '%s': no TOFU_EVAL.json or MUSE_EVAL.json", path);
	} else {
		if (!is_file(path))
			return uh_err_set(err, UH_ENOTFOUND, "ou log '%s': no such file or directory",
					  path);
		eval = dup_str(path);
		if (!eval)
			return uh_err_set(err, UH_ENOMEM, "ou log: out of memory");
	}

	rc = ou_read_file(eval, false, ev, err);
	if (rc)
		goto out;

	/* The summary sits beside the eval file: X_EVAL.json -> X_SUMMARY.json. */
	{
		size_t n = strlen(eval);
		const char *suffix = "_EVAL.json";
		size_t sl = strlen(suffix);

		if (n >= sl && strcmp(eval + n - sl, suffix) == 0) {
			summ = malloc(n - sl + strlen("_SUMMARY.json") + 1);
			if (!summ) {
				rc = uh_err_set(err, UH_ENOMEM, "ou log: out of memory");
				goto out;
			}
			memcpy(summ, eval, n - sl);
			strcpy(summ + n - sl, "_SUMMARY.json");
			if (is_file(summ))
				rc = ou_read_file(summ, true, ev, err);
		}
	}
out:
	free(eval);
	free(summ);
	if (rc)
		uh_ou_eval_release(ev);
	return rc;
}
