/*
 * muse.c - the MUSE suite: files, prompts, requests, per-item values
 * (spec/muse_hp.md A2, A2.7).
 */
#include "suites/muse.h"

#include "metrics/auc.h"
#include "metrics/mink.h"
#include "metrics/rouge.h"
#include "metrics/tofu_agg.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *uh_muse_profile_name(enum uh_muse_profile p)
{
	return p == UH_MUSE_PROFILE_OU ? "open-unlearning" : "muse";
}

int uh_muse_profile_parse(const char *s, enum uh_muse_profile *p, struct uh_err *err)
{
	if (!strcmp(s, "muse"))
		*p = UH_MUSE_PROFILE_MUSE;
	else if (!strcmp(s, "open-unlearning"))
		*p = UH_MUSE_PROFILE_OU;
	else
		return uh_err_set(err, UH_EINVAL, "unknown MUSE profile '%s' (valid: muse, open-unlearning)", s);
	return 0;
}

bool uh_muse_auc_retrain(const char *split, double *auc)
{
	if (!strcmp(split, "news"))
		*auc = UH_MUSE_AUC_RETRAIN_NEWS;
	else if (!strcmp(split, "books"))
		*auc = UH_MUSE_AUC_RETRAIN_BOOKS;
	else
		return false;
	return true;
}

/* ================================================================ reading */

void uh_muse_pairs_release(struct uh_muse_pairs *p)
{
	for (size_t i = 0; p->p && i < p->n; i++) {
		free(p->p[i].a);
		free(p->p[i].b);
	}
	free(p->p);
	memset(p, 0, sizeof(*p));
}

void uh_muse_texts_release(struct uh_muse_texts *t)
{
	for (size_t i = 0; t->t && i < t->n; i++)
		free(t->t[i]);
	free(t->t);
	memset(t, 0, sizeof(*t));
}

static const char *type_name(const cJSON *v)
{
	if (!v)
		return "nothing";
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsNumber(v))
		return "number";
	if (cJSON_IsArray(v))
		return "list";
	if (cJSON_IsObject(v))
		return "object";
	if (cJSON_IsBool(v))
		return "boolean";
	if (cJSON_IsNull(v))
		return "null";
	return "invalid JSON";
}

/* Parse json as a non-empty JSON list; *arr owns the document. */
static int parse_list(const char *json, size_t len, const char *name, cJSON **arr, size_t *n,
		      struct uh_err *err)
{
	const char *end = NULL;
	cJSON *doc;

	*arr = NULL;
	if (len == 0)
		return uh_err_set(err, UH_EINVAL, "muse file '%s': empty file", name);
	doc = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!doc) {
		const char *at = cJSON_GetErrorPtr();
		size_t off = at && at >= json && at <= json + len ? (size_t)(at - json) : 0;

		return uh_err_set(err, UH_EINVAL, "muse file '%s': not valid JSON (near byte %zu)", name, off);
	}
	if (!cJSON_IsArray(doc)) {
		uh_err_set(err, UH_EINVAL, "muse file '%s': must be a JSON list, got %s", name, type_name(doc));
		cJSON_Delete(doc);
		return UH_EINVAL;
	}
	*n = (size_t)cJSON_GetArraySize(doc);
	if (*n == 0) {
		cJSON_Delete(doc);
		return uh_err_set(err, UH_EINVAL, "muse file '%s': the list is empty", name);
	}
	*arr = doc;
	return 0;
}

static int get_field(const cJSON *obj, const char *name, size_t i, const char *field, char **out,
		     struct uh_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);

	if (!v)
		return uh_err_set(err, UH_EINVAL, "muse file '%s' item %zu: field '%s' is missing", name, i, field);
	if (!cJSON_IsString(v) || !v->valuestring)
		return uh_err_set(err, UH_EINVAL, "muse file '%s' item %zu: field '%s' must be a string, got %s",
				  name, i, field, type_name(v));
	if (!(*out = strdup(v->valuestring)))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	return 0;
}

int uh_muse_parse_pairs(const char *json, size_t len, const char *name, const char *f1,
			const char *f2, struct uh_muse_pairs *out, struct uh_err *err)
{
	cJSON *doc, *e;
	size_t n, i = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = parse_list(json, len, name, &doc, &n, err)))
		return rc;
	if (!(out->p = calloc(n, sizeof(*out->p)))) {
		cJSON_Delete(doc);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	cJSON_ArrayForEach(e, doc) {
		if (!cJSON_IsObject(e)) {
			rc = uh_err_set(err, UH_EINVAL, "muse file '%s' item %zu: must be an object with '%s' and "
					"'%s', got %s", name, i, f1, f2, type_name(e));
			break;
		}
		out->n = i + 1;
		if ((rc = get_field(e, name, i, f1, &out->p[i].a, err)) ||
		    (rc = get_field(e, name, i, f2, &out->p[i].b, err)))
			break;
		i++;
	}
	cJSON_Delete(doc);
	if (rc)
		uh_muse_pairs_release(out);
	return rc;
}

int uh_muse_parse_texts(const char *json, size_t len, const char *name,
			struct uh_muse_texts *out, struct uh_err *err)
{
	cJSON *doc, *e;
	size_t n, i = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = parse_list(json, len, name, &doc, &n, err)))
		return rc;
	if (!(out->t = calloc(n, sizeof(*out->t)))) {
		cJSON_Delete(doc);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	cJSON_ArrayForEach(e, doc) {
		if (!cJSON_IsString(e) || !e->valuestring) {
			rc = uh_err_set(err, UH_EINVAL, "muse file '%s' item %zu: must be a string (a text), got %s",
					name, i, type_name(e));
			break;
		}
		if (!*e->valuestring) {
			rc = uh_err_set(err, UH_EINVAL, "muse file '%s' item %zu: the text is empty", name, i);
			break;
		}
		if (!(out->t[i] = strdup(e->valuestring))) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			break;
		}
		out->n = ++i;
	}
	cJSON_Delete(doc);
	if (rc)
		uh_muse_texts_release(out);
	return rc;
}

static int slurp(const char *path, char **buf, size_t *len, struct uh_err *err)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	size_t got;

	*buf = NULL;
	if (!f)
		return uh_err_set(err, errno == ENOENT ? UH_ENOTFOUND : UH_EIO, "cannot open '%s': %s", path,
				  strerror(errno));
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return uh_err_set(err, UH_EIO, "'%s' is not a regular file", path);
	}
	if ((size_t)sb.st_size > UH_MUSE_MAX_FILE_BYTES) {
		fclose(f);
		return uh_err_set(err, UH_EINVAL, "'%s' is larger than %zu bytes", path, UH_MUSE_MAX_FILE_BYTES);
	}
	if (!(*buf = malloc((size_t)sb.st_size + 1))) {
		fclose(f);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	got = fread(*buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	if (got != (size_t)sb.st_size) {
		free(*buf);
		*buf = NULL;
		return uh_err_set(err, UH_EIO, "cannot read '%s'", path);
	}
	(*buf)[got] = '\0';
	*len = got;
	return 0;
}

static bool exists(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The files of the layout; alt is the older name where there is one. */
struct file_def {
	const char *name, *alt;
	int kind;  /* 0 verbmem pairs, 1 qa pairs, 2 texts */
};

static const struct file_def file_defs[8] = {
	{ "verbmem/forget.json", NULL, 0 },
	{ "knowmem/forget_qa.json", NULL, 1 },
	{ "knowmem/forget_qa_icl.json", NULL, 1 },
	{ "knowmem/retain_qa.json", "knowmem/retain2_qa.json", 1 },
	{ "knowmem/retain_qa_icl.json", "knowmem/retain2_qa_icl.json", 1 },
	{ "privleak/forget.json", NULL, 2 },
	{ "privleak/retain.json", "privleak/retain2.json", 2 },
	{ "privleak/holdout.json", NULL, 2 },
};

void uh_muse_suite_release(struct uh_muse_suite *s)
{
	free(s->dir);
	free(s->split);
	uh_muse_pairs_release(&s->verbmem);
	uh_muse_pairs_release(&s->forget_qa);
	uh_muse_pairs_release(&s->forget_icl);
	uh_muse_pairs_release(&s->retain_qa);
	uh_muse_pairs_release(&s->retain_icl);
	uh_muse_texts_release(&s->pl_forget);
	uh_muse_texts_release(&s->pl_retain);
	uh_muse_texts_release(&s->pl_holdout);
	for (size_t i = 0; i < s->n_files; i++)
		free(s->files[i]);
	memset(s, 0, sizeof(*s));
}

int uh_muse_suite_load(struct uh_muse_suite *s, const char *dir, const char *split,
		       enum uh_muse_profile p, struct uh_err *err)
{
	struct uh_muse_pairs *pairs[8] = { &s->verbmem, &s->forget_qa, &s->forget_icl, &s->retain_qa,
					   &s->retain_icl, NULL, NULL, NULL };
	struct uh_muse_texts *texts[8] = { NULL, NULL, NULL, NULL, NULL, &s->pl_forget, &s->pl_retain,
					   &s->pl_holdout };
	char path[8][4200], missing[2048];
	size_t used = 0;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->profile = p;
	if (!(s->dir = strdup(dir)) || !(s->split = strdup(split))) {
		uh_muse_suite_release(s);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	/* every missing file in one message, before reading anything */
	missing[0] = '\0';
	for (int i = 0; i < 8; i++) {
		const struct file_def *d = &file_defs[i];

		snprintf(path[i], sizeof(path[i]), "%s/%s", dir, d->name);
		if (exists(path[i]))
			continue;
		if (d->alt) {
			snprintf(path[i], sizeof(path[i]), "%s/%s", dir, d->alt);
			if (exists(path[i]))
				continue;
		}
		if (used < sizeof(missing))
			used += (size_t)snprintf(missing + used, sizeof(missing) - used, "%s%s%s%s",
						 used ? ", " : "", d->name, d->alt ? " (or " : "",
						 d->alt ? d->alt : "");
		if (d->alt && used < sizeof(missing))
			used += (size_t)snprintf(missing + used, sizeof(missing) - used, ")");
	}
	if (used) {
		rc = uh_err_set(err, UH_EINVAL, "MUSE data '%s' lacks %s", dir, missing);
		uh_muse_suite_release(s);
		return rc;
	}
	for (int i = 0; i < 8 && !rc; i++) {
		char *buf;
		size_t len = 0;

		if ((rc = slurp(path[i], &buf, &len, err)))
			break;
		if (file_defs[i].kind == 2)
			rc = uh_muse_parse_texts(buf, len, path[i], texts[i], err);
		else if (file_defs[i].kind == 0)
			rc = uh_muse_parse_pairs(buf, len, path[i], "prompt", "gt", pairs[i], err);
		else
			rc = uh_muse_parse_pairs(buf, len, path[i], "question", "answer", pairs[i], err);
		free(buf);
		if (!rc && !(s->files[s->n_files++] = strdup(path[i])))
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	if (rc)
		uh_muse_suite_release(s);
	return rc;
}

/* ================================================================ prompts */

char *uh_muse_icl_prompt(const struct uh_muse_pairs *icl, const char *question)
{
	static const char q[] = "Question: ", a[] = "\nAnswer: ", sep[] = "\n\n";
	size_t n = strlen(question) + sizeof(q) + sizeof(a) + 1, off = 0;
	char *s;

	for (size_t i = 0; i < icl->n; i++)
		n += strlen(icl->p[i].a) + strlen(icl->p[i].b) + sizeof(q) + sizeof(a) + sizeof(sep);
	if (!(s = malloc(n)))
		return NULL;
#define PUT(x) do { size_t l_ = strlen(x); memcpy(s + off, (x), l_); off += l_; } while (0)
	for (size_t i = 0; i < icl->n; i++) {
		PUT(q);
		PUT(icl->p[i].a);
		PUT(a);
		PUT(icl->p[i].b);
		PUT(sep);
	}
	PUT(q);
	PUT(question);
	PUT(a);
#undef PUT
	s[off] = '\0';
	return s;
}

const char *const uh_muse_stops[3] = { "\n\n", "\nQuestion", "Question:" };

size_t uh_muse_answer_cut(const char *s)
{
	size_t n = strlen(s);

	/* output = output.split(w)[0] for each w in turn */
	for (int i = 0; i < 3; i++) {
		const char *hit = strstr(s, uh_muse_stops[i]);

		if (hit && (size_t)(hit - s) < n)
			n = (size_t)(hit - s);
	}
	return n;
}

/* ================================================================ requests */

void uh_muse_requests_release(struct uh_muse_requests *rq)
{
	size_t np = rq->n_gen;

	for (size_t i = 0; rq->prompts && i < np; i++)
		free(rq->prompts[i]);
	free(rq->prompts);
	free(rq->gen);
	free(rq->score);
	memset(rq, 0, sizeof(*rq));
}

int uh_muse_requests_build(const struct uh_muse_suite *s, struct uh_muse_requests *rq,
			   struct uh_err *err)
{
	size_t nv = s->verbmem.n, nf = s->forget_qa.n, nr = s->retain_qa.n;
	size_t k = 0;
	bool ou = s->profile == UH_MUSE_PROFILE_OU;

	memset(rq, 0, sizeof(*rq));
	rq->n_gen = nv + nf + nr;
	rq->n_score = s->pl_forget.n + s->pl_retain.n + s->pl_holdout.n;
	rq->gen = calloc(rq->n_gen + 1, sizeof(*rq->gen));
	rq->score = calloc(rq->n_score + 1, sizeof(*rq->score));
	rq->prompts = calloc(rq->n_gen + 1, sizeof(*rq->prompts));
	if (!rq->gen || !rq->score || !rq->prompts)
		goto oom;
	for (size_t i = 0; i < nv; i++, k++)
		rq->gen[k] = (struct uh_gen_req){ .prompt = s->verbmem.p[i].a,
						  .max_new_tokens = UH_MUSE_VERBMEM_MAX_NEW };
	for (size_t j = 0; j < nf + nr; j++, k++) {
		const struct uh_muse_pairs *qa = j < nf ? &s->forget_qa : &s->retain_qa;
		const struct uh_muse_pairs *icl = j < nf ? &s->forget_icl : &s->retain_icl;
		size_t i = j < nf ? j : j - nf;

		if (!(rq->prompts[k] = uh_muse_icl_prompt(icl, qa->p[i].a)))
			goto oom;
		rq->gen[k] = (struct uh_gen_req){ .prompt = rq->prompts[k],
						  .max_new_tokens = UH_MUSE_KNOWMEM_MAX_NEW };
		/* open-unlearning stops generating on the strings; the official code cuts afterwards */
		if (ou) {
			rq->gen[k].stop = uh_muse_stops;
			rq->gen[k].n_stop = 3;
		}
	}
	k = 0;
	for (size_t i = 0; i < s->pl_forget.n; i++)
		rq->score[k++] = (struct uh_score_req){ .context = "", .continuation = s->pl_forget.t[i] };
	for (size_t i = 0; i < s->pl_retain.n; i++)
		rq->score[k++] = (struct uh_score_req){ .context = "", .continuation = s->pl_retain.t[i] };
	for (size_t i = 0; i < s->pl_holdout.n; i++)
		rq->score[k++] = (struct uh_score_req){ .context = "", .continuation = s->pl_holdout.t[i] };
	return 0;
oom:
	uh_muse_requests_release(rq);
	return uh_err_set(err, UH_ENOMEM, "out of memory");
}

/* ================================================================ values */

int uh_muse_rouge(enum uh_muse_profile p, const char *reference, const char *output,
		  struct uh_muse_rouge *out, struct uh_err *err)
{
	struct uh_rouge_scores sc;
	int rc = uh_rouge_score_types(reference, output, p == UH_MUSE_PROFILE_OU,
				      UH_ROUGE_1 | UH_ROUGE_L, &sc, err);

	if (rc)
		return rc;
	out->f1 = sc.rougeL.fmeasure;
	out->recall = sc.rougeL.recall;
	out->rouge1_recall = sc.rouge1.recall;
	return 0;
}

/* Python's str.isspace() for the ASCII whitespace str.strip() removes (plus the C1/Unicode
 * spaces a tokenizer can emit are left alone: generations are compared after ROUGE's own
 * tokenization, which ignores them anyway). */
static bool py_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	       (c >= 0x1c && c <= 0x1f);
}

char *uh_muse_output(enum uh_muse_profile p, bool knowmem, const char *generation)
{
	size_t n = knowmem ? uh_muse_answer_cut(generation) : strlen(generation);
	const char *s = generation;
	char *o;

	if (p == UH_MUSE_PROFILE_OU) {
		while (n && py_space((unsigned char)*s))
			s++, n--;
		while (n && py_space((unsigned char)s[n - 1]))
			n--;
	}
	if (!(o = malloc(n + 1)))
		return NULL;
	memcpy(o, s, n);
	o[n] = '\0';
	return o;
}

int uh_muse_mink(enum uh_muse_profile p, const double *lp, size_t n, double *out,
		 struct uh_err *err)
{
	if (p == UH_MUSE_PROFILE_OU) {
		/* tokenwise_logprobs drops the last label as if it were EOS */
		if (n < 2)
			return uh_err_set(err, UH_EINVAL, "min-k: %zu token log-probs, open-unlearning needs 2", n);
		return uh_mink_score(lp, n - 1, UH_MUSE_MINK_RATIO, UH_MINK_OPEN_UNLEARNING, out, err);
	}
	return uh_mink_score(lp, n, UH_MUSE_MINK_RATIO, UH_MINK_ORIGINAL, out, err);
}

int uh_muse_auc(enum uh_muse_profile p, const double *forget, size_t nf, const double *holdout,
		size_t nh, double *auc, struct uh_err *err)
{
	double *nf_s, *nh_s;
	int rc;

	if (p == UH_MUSE_PROFILE_OU)
		return uh_ou_mia_auc(forget, nf, holdout, nh, auc, err);
	/* eval.py sweep(): roc_curve(y, -ppl), forget label 0, holdout label 1 */
	nf_s = malloc((nf + 1) * sizeof(double));
	nh_s = malloc((nh + 1) * sizeof(double));
	if (!nf_s || !nh_s) {
		free(nf_s);
		free(nh_s);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nf; i++)
		nf_s[i] = -forget[i];
	for (size_t i = 0; i < nh; i++)
		nh_s[i] = -holdout[i];
	rc = uh_auc_two_sample(nf_s, nf, nh_s, nh, auc, err);
	free(nf_s);
	free(nh_s);
	return rc;
}

int uh_muse_privleak(enum uh_muse_profile p, double auc, bool has_ref, double ref_auc,
		     double *out, struct uh_err *err)
{
	if (p == UH_MUSE_PROFILE_OU) {
		*out = uh_ou_privleak(auc, has_ref, ref_auc);
		return 0;
	}
	if (!has_ref)
		return uh_err_set(err, UH_EINVAL, "privleak: no retrained-model AUC");
	return uh_mink_privleak(auc, ref_auc, UH_MINK_ORIGINAL, out, err);
}
