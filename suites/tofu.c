/*
 * tofu.c - the TOFU suite: files, templates, requests, per-item values.
 *
 * Read top to bottom: profiles and templates; loading and validating the
 * data files; building the requests of every item; turning the backend's
 * answers into the per-item values of an official log (spec/tofu.md §2.3 -
 * §2.6) plus open-unlearning's extras (§3.2).
 */
#include "suites/tofu.h"

#include "harness/jsonl.h"
#include "metrics/mink.h"
#include "metrics/rouge.h"
#include "metrics/tofu_agg.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

/* a + b + c + d, malloc'd; NULL arguments count as "". */
static char *concat4(const char *a, const char *b, const char *c, const char *d)
{
	const char *v[4] = { a ? a : "", b ? b : "", c ? c : "", d ? d : "" };
	size_t len[4], n = 0;
	char *p;

	for (int i = 0; i < 4; i++)
		n += len[i] = strlen(v[i]);
	p = malloc(n + 1);
	if (!p)
		return NULL;
	n = 0;
	for (int i = 0; i < 4; i++) {
		memcpy(p + n, v[i], len[i]);
		n += len[i];
	}
	p[n] = '\0';
	return p;
}

static bool is_file(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* ================================================================ profiles */

const char *uh_tofu_profile_name(enum uh_tofu_profile p)
{
	return p == UH_TOFU_PROFILE_OU ? "open-unlearning" : "tofu";
}

int uh_tofu_profile_parse(const char *s, enum uh_tofu_profile *p, struct uh_err *err)
{
	if (!strcmp(s, "tofu"))
		*p = UH_TOFU_PROFILE_TOFU;
	else if (!strcmp(s, "open-unlearning"))
		*p = UH_TOFU_PROFILE_OU;
	else
		return uh_err_set(err, UH_EINVAL, "unknown profile '%s' (valid: tofu, open-unlearning)", s);
	return 0;
}

/* ================================================================ templates */

static const char *const template_names[] = { "llama2", "phi", "plain", NULL };

const char *const *uh_tofu_template_names(void)
{
	return template_names;
}

void uh_tofu_template_release(struct uh_tofu_template *t)
{
	free(t->name);
	free(t->question_start);
	free(t->question_end);
	free(t->answer_tag);
	memset(t, 0, sizeof(*t));
}

static int template_set(struct uh_tofu_template *t, const char *name, const char *qs,
			const char *qe, const char *at, bool moves, struct uh_err *err)
{
	t->name = xstrdup(name);
	t->question_start = xstrdup(qs);
	t->question_end = xstrdup(qe);
	t->answer_tag = xstrdup(at);
	t->answer_tag_moves = moves;
	if (!t->name || !t->question_start || !t->question_end || !t->answer_tag) {
		uh_tofu_template_release(t);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	return 0;
}

/* The custom string with \n, \t and \\ turned into their characters. */
static char *unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (s[0] == '\\' && (s[1] == 'n' || s[1] == 't' || s[1] == '\\')) {
			*o++ = s[1] == 'n' ? '\n' : s[1] == 't' ? '\t' : '\\';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

static size_t count_of(const char *s, const char *what)
{
	size_t n = 0, k = strlen(what);

	for (const char *p = strstr(s, what); p; p = strstr(p + k, what))
		n++;
	return n;
}

int uh_tofu_template_parse(const char *spec, struct uh_tofu_template *t, struct uh_err *err)
{
	static const char QP[] = "{question}", AP[] = "{answer}";
	char *u, *q, *a;
	int rc;

	memset(t, 0, sizeof(*t));
	/* spec/tofu.md §2.2 and §3.1 */
	if (!strcmp(spec, "llama2"))
		return template_set(t, "llama2", "[INST] ", " [/INST]", "", false, err);
	if (!strcmp(spec, "phi"))
		return template_set(t, "phi", "Question: ", "\n", "Answer: ", true, err);
	if (!strcmp(spec, "plain"))
		return template_set(t, "plain", "Question: ", "\nAnswer: ", "", false, err);
	if (!strchr(spec, '{'))
		return uh_err_set(err, UH_EINVAL,
				  "unknown template '%s' (valid: llama2, phi, plain, or a custom string "
				  "such as 'Q: {question}\\nA: {answer}')", spec);
	u = unescape(spec);
	if (!u)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	q = strstr(u, QP);
	a = strstr(u, AP);
	if (count_of(u, QP) != 1 || count_of(u, AP) != 1 || !q || !a || a < q ||
	    a[sizeof(AP) - 1] != '\0') {
		free(u);
		return uh_err_set(err, UH_EINVAL,
				  "template '%s' must hold {question} once and end with {answer}, e.g. "
				  "'Q: {question}\\nA: {answer}'", spec);
	}
	*q = '\0';
	*a = '\0';
	rc = template_set(t, spec, u, q + sizeof(QP) - 1, "", false, err);
	free(u);
	return rc;
}

int uh_tofu_render(const struct uh_tofu_template *t, enum uh_tofu_profile p, const char *question,
		   char **context, char **prefix, char **prompt, struct uh_err *err)
{
	/* phi under the original code: the tag is scored, not prompted (§2.2, §2.4) */
	bool tag_in_loss = t->answer_tag_moves && p == UH_TOFU_PROFILE_TOFU;
	const char *tag_prompt = tag_in_loss ? "" : t->answer_tag;
	char *c = NULL, *x = NULL, *g = NULL;

	if (context && !(c = concat4(t->question_start, question, t->question_end, tag_prompt)))
		goto oom;
	if (prefix && !(x = xstrdup(tag_in_loss ? t->answer_tag : "")))
		goto oom;
	if (prompt && !(g = concat4(t->question_start, question, t->question_end, tag_prompt)))
		goto oom;
	if (context)
		*context = c;
	if (prefix)
		*prefix = x;
	if (prompt)
		*prompt = g;
	return 0;
oom:
	free(c);
	free(x);
	free(g);
	return uh_err_set(err, UH_ENOMEM, "out of memory");
}

char *uh_tofu_render_document(const struct uh_tofu_template *t, const char *question,
			      const char *answer)
{
	char *head = concat4(t->question_start, question, t->question_end, t->answer_tag);
	char *doc = head ? concat4(head, answer, NULL, NULL) : NULL;

	free(head);
	return doc;
}

/* ================================================================ data files */

static const char *const task_stem[UH_TOFU_NTASKS] = {
	"retain_perturbed", "real_authors_perturbed", "world_facts_perturbed", NULL,
};

void uh_tofu_task_filename(enum uh_tofu_task t, const char *split, char *buf, size_t len)
{
	if (t == UH_TOFU_FORGET)
		snprintf(buf, len, "%s_perturbed.json", split);
	else
		snprintf(buf, len, "%s.json", task_stem[t]);
}

/* forgetXX with XX two digits in 01..99: XX, else -1. */
static int forget_pct(const char *split)
{
	int v;

	if (strncmp(split, "forget", 6) || !isdigit((unsigned char)split[6]) ||
	    !isdigit((unsigned char)split[7]) || split[8])
		return -1;
	v = (split[6] - '0') * 10 + (split[7] - '0');
	return v >= 1 && v <= 99 ? v : -1;
}

int uh_tofu_retain_split(const char *split, char *buf, size_t len, struct uh_err *err)
{
	int v = forget_pct(split);

	if (v < 0)
		return uh_err_set(err, UH_EINVAL, "'%s' is not a forget split (forgetXX)", split);
	snprintf(buf, len, "retain%02d", 100 - v);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **uh_tofu_splits(const char *dir)
{
	static const char *const base[] = { "forget01", "forget05", "forget10" };
	size_t n = 0, cap = 8;
	char **v = malloc(cap * sizeof(*v));
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;

	if (!v) {
		if (d)
			closedir(d);
		return NULL;
	}
	for (size_t i = 0; i < 3; i++)
		v[n++] = xstrdup(base[i]);
	while (d && (e = readdir(d))) {
		char name[16];
		size_t k = strlen(e->d_name);
		bool dup = false;

		if (k != strlen("forgetXX_perturbed.json") || strcmp(e->d_name + 8, "_perturbed.json"))
			continue;
		memcpy(name, e->d_name, 8);
		name[8] = '\0';
		if (forget_pct(name) < 0)
			continue;
		for (size_t i = 0; i < n; i++)
			dup = dup || (v[i] && !strcmp(v[i], name));
		if (dup)
			continue;
		if (n + 2 > cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		v[n++] = xstrdup(name);
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		if (!v[i]) {
			uh_tofu_splits_free(v);
			return NULL;
		}
	qsort(v, n, sizeof(*v), cmp_str);
	v[n] = NULL;
	return v;
}

void uh_tofu_splits_free(char **splits)
{
	for (size_t i = 0; splits && splits[i]; i++)
		free(splits[i]);
	free(splits);
}

static void row_release(struct uh_tofu_row *r)
{
	free(r->question);
	free(r->answer);
	free(r->paraphrased_answer);
	for (size_t k = 0; k < r->n_perturbed; k++)
		free(r->perturbed[k]);
	memset(r, 0, sizeof(*r));
}

void uh_tofu_rows_release(struct uh_tofu_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++)
		row_release(&rows->rows[i]);
	free(rows->rows);
	memset(rows, 0, sizeof(*rows));
}

/* One string field into *out (copied). */
static int get_str(struct uh_jsonl *r, const char *field, char **out, struct uh_err *err)
{
	const char *s;
	int rc = uh_jsonl_get_string(r, field, &s, err);

	if (rc)
		return rc;
	if (!(*out = xstrdup(s)))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	return 0;
}

/* perturbed_answer: a list of exactly k strings. */
static int get_perturbed(struct uh_jsonl *r, size_t k, struct uh_tofu_row *row, struct uh_err *err)
{
	const cJSON *v = uh_jsonl_field(r, "perturbed_answer"), *e;
	size_t n = 0;

	if (!v)
		return uh_jsonl_fail(r, err, "field 'perturbed_answer' is missing (a list of %zu strings)", k);
	if (!cJSON_IsArray(v))
		return uh_jsonl_fail(r, err, "field 'perturbed_answer' must be a list of %zu strings, got %s",
				     k, uh_jsonl_type_name(v));
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e) || !e->valuestring)
			return uh_jsonl_fail(r, err,
					     "field 'perturbed_answer' must be a list of %zu strings, got %s at index %zu",
					     k, uh_jsonl_type_name(e), n);
		n++;
	}
	if (n != k)
		return uh_jsonl_fail(r, err, "field 'perturbed_answer' must be a list of %zu strings, got %zu",
				     k, n);
	n = 0;
	cJSON_ArrayForEach(e, v) {
		if (!(row->perturbed[n] = xstrdup(e->valuestring)))
			return uh_err_set(err, UH_ENOMEM, "out of memory");
		row->n_perturbed = ++n;
	}
	return 0;
}

/*
 * Read rows from a JSON Lines file. n_perturb 0: {question, answer} only;
 * else also perturbed_answer (n_perturb strings) and, with para, a
 * paraphrased_answer. At most max rows are kept (0: all); *n_file gets the
 * number of rows in the file.
 */
static int read_rows(const char *path, size_t n_perturb, bool para, size_t max,
		     struct uh_tofu_rows *rows, size_t *n_file, struct uh_err *err)
{
	struct uh_jsonl r;
	size_t cap = 0, seen = 0;
	int rc;

	memset(rows, 0, sizeof(*rows));
	rc = uh_jsonl_open(&r, path, err);
	if (rc)
		return rc;
	for (;;) {
		const cJSON *obj;
		struct uh_tofu_row row;

		if ((rc = uh_jsonl_next(&r, &obj, err)) || !obj)
			break;
		seen++;
		memset(&row, 0, sizeof(row));
		if ((rc = get_str(&r, "question", &row.question, err)) ||
		    (rc = get_str(&r, "answer", &row.answer, err)) ||
		    (para && (rc = get_str(&r, "paraphrased_answer", &row.paraphrased_answer, err))) ||
		    (n_perturb && (rc = get_perturbed(&r, n_perturb, &row, err)))) {
			row_release(&row);
			break;
		}
		if (max && rows->n >= max) {
			row_release(&row); /* checked like every row, not kept (ds_size) */
			continue;
		}
		if (rows->n == cap) {
			struct uh_tofu_row *nr = realloc(rows->rows, (cap = cap ? 2 * cap : 256) * sizeof(*nr));

			if (!nr) {
				row_release(&row);
				rc = uh_err_set(err, UH_ENOMEM, "out of memory");
				break;
			}
			rows->rows = nr;
		}
		rows->rows[rows->n++] = row;
	}
	uh_jsonl_release(&r);
	if (!rc && rows->n == 0)
		rc = uh_err_set(err, UH_EINVAL, "input '%s' has no rows", path);
	if (rc)
		uh_tofu_rows_release(rows);
	if (n_file)
		*n_file = seen;
	return rc;
}

int uh_tofu_read_qa(const char *path, struct uh_tofu_rows *rows, struct uh_err *err)
{
	return read_rows(path, 0, false, 0, rows, NULL, err);
}

void uh_tofu_suite_release(struct uh_tofu_suite *s)
{
	for (int t = 0; t < UH_TOFU_NTASKS; t++)
		uh_tofu_rows_release(&s->task[t]);
	uh_tofu_rows_release(&s->holdout);
	for (size_t i = 0; i < s->n_files; i++)
		free(s->files[i]);
	free(s->dir);
	free(s->split);
	memset(s, 0, sizeof(*s));
}

int uh_tofu_suite_load(struct uh_tofu_suite *s, const char *dir, const char *split,
		       enum uh_tofu_profile p, struct uh_err *err)
{
	char *path[UH_TOFU_NTASKS] = { 0 }, missing[1024] = "", name[64];
	size_t n_missing = 0;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->profile = p;
	if (forget_pct(split) < 0)
		return uh_err_set(err, UH_EINVAL, "'%s' is not a forget split (forgetXX)", split);
	if (!(s->dir = xstrdup(dir)) || !(s->split = xstrdup(split))) {
		rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		goto out;
	}
	/* every missing file named at once, before anything is read */
	for (int t = 0; t < UH_TOFU_NTASKS; t++) {
		uh_tofu_task_filename((enum uh_tofu_task)t, split, name, sizeof(name));
		if (!(path[t] = concat4(dir, "/", name, NULL))) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			goto out;
		}
		if (!is_file(path[t])) {
			size_t used = strlen(missing);

			snprintf(missing + used, sizeof(missing) - used, "%s%s", n_missing ? ", " : "", name);
			n_missing++;
		}
	}
	if (n_missing) {
		rc = uh_err_set(err, UH_EINVAL,
				"tofu data folder '%s' lacks %s (the HF locuslab/TOFU file layout is "
				"expected; `uh synth tofu --out DIR` writes a synthetic one)",
				dir, missing);
		goto out;
	}
	for (int t = 0; t < UH_TOFU_NTASKS && !rc; t++) {
		bool para = t == UH_TOFU_RETAIN || t == UH_TOFU_FORGET;
		size_t max = p == UH_TOFU_PROFILE_TOFU ? UH_TOFU_DS_SIZE : 0;

		rc = read_rows(path[t], uh_tofu_task_n_perturb((enum uh_tofu_task)t), para, max,
			       &s->task[t], &s->n_file_rows[t], err);
		if (!rc) {
			s->files[s->n_files++] = path[t];
			path[t] = NULL;
		}
	}
	if (!rc && p == UH_TOFU_PROFILE_OU) {
		char *hp;

		snprintf(name, sizeof(name), "holdout%s.json", split + 6);
		if (!(hp = concat4(dir, "/", name, NULL))) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		} else if (is_file(hp)) {
			rc = read_rows(hp, 0, false, 0, &s->holdout, NULL, err);
			if (!rc) {
				s->has_holdout = true;
				s->files[s->n_files++] = hp;
				hp = NULL;
			}
		}
		free(hp);
	}
out:
	for (int t = 0; t < UH_TOFU_NTASKS; t++)
		free(path[t]);
	if (rc)
		uh_tofu_suite_release(s);
	return rc;
}

/* ================================================================ requests */

void uh_tofu_requests_release(struct uh_tofu_requests *rq)
{
	for (size_t i = 0; i < rq->n_strings; i++)
		free(rq->strings[i]);
	free(rq->strings);
	free(rq->score);
	free(rq->gen);
	for (int t = 0; t < UH_TOFU_NTASKS; t++)
		free(rq->item[t]);
	free(rq->holdout);
	memset(rq, 0, sizeof(*rq));
}

/* Keep s (may be NULL: out of memory) among rq's strings. */
static char *own(struct uh_tofu_requests *rq, char *s)
{
	if (!s)
		return NULL;
	if (rq->n_strings == rq->cap_strings) {
		size_t nc = rq->cap_strings ? 2 * rq->cap_strings : 1024;
		char **ns = realloc(rq->strings, nc * sizeof(*ns));

		if (!ns) {
			free(s);
			return NULL;
		}
		rq->strings = ns;
		rq->cap_strings = nc;
	}
	rq->strings[rq->n_strings++] = s;
	return s;
}

static size_t add_score(struct uh_tofu_requests *rq, const char *ctx, const char *cont)
{
	struct uh_score_req *q = &rq->score[rq->n_score];

	q->context = ctx;
	q->continuation = cont;
	q->flags = UH_SCORE_EOS; /* TOFU's loss counts the EOS after the answer (§2.2) */
	return rq->n_score++;
}

int uh_tofu_requests_build(const struct uh_tofu_suite *s, const struct uh_tofu_template *t,
			   struct uh_tofu_requests *rq, struct uh_err *err)
{
	size_t n_score = s->holdout.n, n_gen = 0;
	int rc = 0;

	memset(rq, 0, sizeof(*rq));
	for (int k = 0; k < UH_TOFU_NTASKS; k++) {
		n_score += s->task[k].n * (2 + uh_tofu_task_n_perturb((enum uh_tofu_task)k));
		n_gen += s->task[k].n;
	}
	rq->score = calloc(n_score ? n_score : 1, sizeof(*rq->score));
	rq->gen = calloc(n_gen ? n_gen : 1, sizeof(*rq->gen));
	rq->holdout = calloc(s->holdout.n ? s->holdout.n : 1, sizeof(*rq->holdout));
	if (!rq->score || !rq->gen || !rq->holdout)
		goto oom;
	rq->gen_total_length = s->profile == UH_TOFU_PROFILE_TOFU;
	for (int k = 0; k < UH_TOFU_NTASKS; k++) {
		const struct uh_tofu_rows *rows = &s->task[k];

		if (!(rq->item[k] = calloc(rows->n ? rows->n : 1, sizeof(*rq->item[k]))))
			goto oom;
		for (size_t i = 0; i < rows->n; i++) {
			const struct uh_tofu_row *r = &rows->rows[i];
			struct uh_tofu_item_reqs *ir = &rq->item[k][i];
			char *ctx, *prefix, *prompt, *gt, *base;
			struct uh_gen_req *g;

			if ((rc = uh_tofu_render(t, s->profile, r->question, &ctx, &prefix, &prompt, err)))
				goto fail;
			/* own() frees what it cannot keep */
			if (!own(rq, prefix)) {
				free(ctx);
				free(prompt);
				goto oom;
			}
			if (!own(rq, ctx)) {
				free(prompt);
				goto oom;
			}
			if (!own(rq, prompt))
				goto oom;
			if (!(gt = own(rq, concat4(prefix, r->answer, NULL, NULL))))
				goto oom;
			ir->gt = add_score(rq, ctx, gt);
			/* the base answer: the paraphrase, or the answer itself for RA/WF (§2.5) */
			if (r->paraphrased_answer) {
				if (!(base = own(rq, concat4(prefix, r->paraphrased_answer, NULL, NULL))))
					goto oom;
			} else {
				base = gt;
			}
			ir->base = add_score(rq, ctx, base);
			for (size_t j = 0; j < r->n_perturbed; j++) {
				char *pt = own(rq, concat4(prefix, r->perturbed[j], NULL, NULL));

				if (!pt)
					goto oom;
				ir->pert[j] = add_score(rq, ctx, pt);
			}
			ir->gen = rq->n_gen++;
			g = &rq->gen[ir->gen];
			g->prompt = prompt;
			g->max_new_tokens = UH_TOFU_GEN_LENGTH;
			g->stop = NULL; /* neither profile has stop strings by default */
			g->n_stop = 0;
		}
	}
	for (size_t i = 0; i < s->holdout.n; i++) {
		const struct uh_tofu_row *r = &s->holdout.rows[i];
		char *ctx, *prefix, *cont;

		if ((rc = uh_tofu_render(t, s->profile, r->question, &ctx, &prefix, NULL, err)))
			goto fail;
		cont = concat4(prefix, r->answer, NULL, NULL);
		free(prefix);
		if (!own(rq, ctx)) {
			free(cont);
			goto oom;
		}
		if (!own(rq, cont))
			goto oom;
		rq->holdout[i] = add_score(rq, ctx, cont);
	}
	return 0;
oom:
	rc = uh_err_set(err, UH_ENOMEM, "out of memory");
fail:
	uh_tofu_requests_release(rq);
	return rc;
}

/* ================================================================ answers to values */

void uh_tofu_extras_release(struct uh_tofu_extras *ex)
{
	if (!ex)
		return;
	free(ex->es);
	free(ex->em);
	free(ex->mink_forget);
	free(ex->mink_holdout);
	memset(ex, 0, sizeof(*ex));
}

/* Sum, per-token average and token count of one scored continuation. */
static int loss_of(const struct uh_score_res *r, const struct uh_score_req *q, double *sum,
		   double *avg, long *n, struct uh_err *err)
{
	if (r->n_tokens <= 0)
		return uh_err_set(err, UH_EINVAL,
				  "the backend scored no token for continuation '%.60s' (with the EOS "
				  "flag at least one is expected)", q->continuation);
	*sum = -r->logprob;
	*n = (long)r->n_tokens;
	*avg = *sum / (double)r->n_tokens;
	return 0;
}

/* Python's str.strip(): ASCII whitespace at both ends, as a new string. */
static char *strip_dup(const char *s)
{
	size_t n;
	char *p;

	while (*s && isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Min-K% (k = 0.4, open-unlearning's variant) over the log-probs without the final EOS. */
static int mink_of(const struct uh_score_res *r, double *out, struct uh_err *err)
{
	if (!r->token_logprobs || r->n_tokens < 2) {
		*out = NAN;
		return r->token_logprobs ? uh_err_set(err, UH_EINVAL,
						      "min-k: an answer scored to no token before EOS")
					 : 0;
	}
	return uh_mink_score(r->token_logprobs, (size_t)r->n_tokens - 1, UH_TOFU_MINK_RATIO,
			     UH_MINK_OPEN_UNLEARNING, out, err);
}

static int fill_item(const struct uh_tofu_suite *s, const struct uh_tofu_requests *rq, int t,
		     size_t i, const struct uh_score_res *const *score,
		     const struct uh_gen_res *const *gen, struct uh_tofu_item *it,
		     struct uh_err *err)
{
	const struct uh_tofu_row *row = &s->task[t].rows[i];
	const struct uh_tofu_item_reqs *ir = &rq->item[t][i];
	const struct uh_gen_req *gq = &rq->gen[ir->gen];
	struct uh_rouge_scores rs;
	size_t k = row->n_perturbed;
	double pert_mean = 0;
	int rc;

	if ((rc = loss_of(score[ir->gt], &rq->score[ir->gt], &it->gt_loss, &it->avg_gt_loss,
			  &it->num_token_gt, err)) ||
	    (rc = loss_of(score[ir->base], &rq->score[ir->base], &it->paraphrased_loss,
			  &it->avg_paraphrased_loss, &it->num_token_paraphrased, err)))
		return rc;
	for (size_t j = 0; j < k; j++) {
		if ((rc = loss_of(score[ir->pert[j]], &rq->score[ir->pert[j]], &it->perturb_loss[j],
				  &it->average_perturb_loss[j], &it->num_token_perturb[j], err)))
			return rc;
		pert_mean += it->average_perturb_loss[j];
	}
	pert_mean /= (double)k;
	/* as logged: geomean(P_pert) / P_base = exp(L_base - mean_k L_pert) (§2.5) */
	it->truth_ratio = exp(it->avg_paraphrased_loss - pert_mean);
	it->normalized_gt_loss = NAN;
	if (t == UH_TOFU_REAL_AUTHORS || t == UH_TOFU_REAL_WORLD) {
		double p = exp(-it->avg_gt_loss), sum = p;

		for (size_t j = 0; j < k; j++)
			sum += exp(-it->average_perturb_loss[j]);
		it->normalized_gt_loss = -log(p / sum);
	}
	/* texts: the original keeps the decoded answer and the raw generation;
	 * open-unlearning strips both (§2.4, §3.1) */
	it->prompt = xstrdup(gq->prompt);
	if (s->profile == UH_TOFU_PROFILE_OU) {
		it->generation = strip_dup(gen[ir->gen]->text);
		it->ground_truth = strip_dup(row->answer);
	} else {
		it->generation = xstrdup(gen[ir->gen]->text);
		it->ground_truth = xstrdup(row->answer);
	}
	if (!it->prompt || !it->generation || !it->ground_truth)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	rc = uh_rouge_score_types(it->ground_truth, it->generation, true, UH_ROUGE_1 | UH_ROUGE_L, &rs,
				  err);
	if (rc)
		return rc;
	it->rouge1_recall = rs.rouge1.recall;
	it->rougeL_recall = rs.rougeL.recall;
	return 0;
}

static int fill_extras(const struct uh_tofu_suite *s, const struct uh_tofu_requests *rq,
		       const struct uh_score_res *const *score, struct uh_tofu_extras *ex,
		       struct uh_err *err)
{
	size_t nf = s->task[UH_TOFU_FORGET].n, nh = s->holdout.n;
	int rc = 0;

	memset(ex, 0, sizeof(*ex));
	ex->n_forget = nf;
	ex->n_holdout = nh;
	ex->es = malloc(nf * sizeof(double));
	ex->em = malloc(nf * sizeof(double));
	ex->mink_forget = malloc(nf * sizeof(double));
	ex->mink_holdout = malloc((nh ? nh : 1) * sizeof(double));
	if (!ex->es || !ex->em || !ex->mink_forget || !ex->mink_holdout)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	ex->has_flags = ex->has_logprobs = true;
	for (size_t i = 0; i < nf && !rc; i++) {
		const struct uh_score_res *r = score[rq->item[UH_TOFU_FORGET][i].gt];
		size_t n = r->n_tokens > 0 ? (size_t)r->n_tokens - 1 : 0; /* without the EOS */

		if (r->token_greedy) {
			ex->es[i] = uh_ou_extraction_strength_flags(r->token_greedy, n);
			if (!uh_ou_exact_memorization_flags(r->token_greedy, n, &ex->em[i]))
				ex->em[i] = NAN;
		} else {
			ex->has_flags = false;
			ex->es[i] = ex->em[i] = NAN;
		}
		if (!r->token_logprobs)
			ex->has_logprobs = false;
		rc = mink_of(r, &ex->mink_forget[i], err);
	}
	for (size_t i = 0; i < nh && !rc; i++) {
		const struct uh_score_res *r = score[rq->holdout[i]];

		if (!r->token_logprobs)
			ex->has_logprobs = false;
		rc = mink_of(r, &ex->mink_holdout[i], err);
	}
	if (rc)
		return uh_err_prefix(err, "privleak: ");
	return 0;
}

int uh_tofu_answers_to_log(const struct uh_tofu_suite *s, const struct uh_tofu_requests *rq,
			   const struct uh_score_res *const *score,
			   const struct uh_gen_res *const *gen, struct uh_tofu_log *log,
			   struct uh_tofu_extras *ex, struct uh_err *err)
{
	int rc = 0;

	memset(log, 0, sizeof(*log));
	if (ex)
		memset(ex, 0, sizeof(*ex));
	log->format = UH_TOFU_FORMAT_DICT;
	for (int t = 0; t < UH_TOFU_NTASKS && !rc; t++) {
		struct uh_tofu_task_log *tl = &log->task[t];
		size_t n = s->task[t].n;

		tl->n_perturb = uh_tofu_task_n_perturb((enum uh_tofu_task)t);
		tl->has_truth_ratio = true;
		tl->has_normalized_gt_loss = t == UH_TOFU_REAL_AUTHORS || t == UH_TOFU_REAL_WORLD;
		if (!(tl->items = calloc(n ? n : 1, sizeof(*tl->items)))) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			break;
		}
		tl->n = n;
		for (size_t i = 0; i < n && !rc; i++) {
			rc = fill_item(s, rq, t, i, score, gen, &tl->items[i], err);
			if (rc)
				uh_err_prefix(err, "task '%s' item %zu: ", uh_tofu_task_name((enum uh_tofu_task)t), i);
		}
	}
	if (!rc && ex)
		rc = fill_extras(s, rq, score, ex, err);
	if (rc) {
		uh_tofu_log_release(log);
		uh_tofu_extras_release(ex);
	}
	return rc;
}
