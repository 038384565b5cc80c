/*
 * hp.c - the Harry-Potter copyright suite: files, templates, per-item
 * BLEU / ROUGE-L recall, perplexity (spec/muse_hp.md B1).
 */
#include "suites/hp.h"

#include "harness/jsonl.h"
#include "metrics/bleu.h"
#include "metrics/rouge.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct uh_hp_template templates[] = {
	/* dataset/harrypotter.py: OPT-style and Llama-style wrappers ("[\INST]" sic) */
	{ "opt", "### Question: ", "\n", "### Answer: " },
	{ "llama", "[INST] ", " [\\INST]", " " },
};

int uh_hp_template_get(const char *name, const struct uh_hp_template **t, struct uh_err *err)
{
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		if (!strcmp(name, templates[i].name)) {
			*t = &templates[i];
			return 0;
		}
	return uh_err_set(err, UH_EINVAL, "unknown HP template '%s' (valid: opt, llama)", name);
}

static char *cat2(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);

	if (!s)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

char *uh_hp_prompt(const struct uh_hp_template *t, const char *prompt)
{
	return cat2(t->question_start, prompt, t->question_end);
}

char *uh_hp_reference(const struct uh_hp_template *t, const char *response)
{
	return cat2(t->answer_start, response, "");
}

/* ================================================================ reading */

void uh_hp_rows_release(struct uh_hp_rows *r)
{
	for (size_t i = 0; r->r && i < r->n; i++) {
		free(r->r[i].prompt);
		free(r->r[i].response);
	}
	free(r->r);
	memset(r, 0, sizeof(*r));
}

void uh_hp_docs_release(struct uh_hp_docs *d)
{
	for (size_t i = 0; d->d && i < d->n; i++)
		free(d->d[i]);
	free(d->d);
	memset(d, 0, sizeof(*d));
}

static int rows_from(struct uh_jsonl *r, const char *name, struct uh_hp_rows *out, struct uh_err *err)
{
	size_t cap = 0;
	int rc;

	for (;;) {
		const cJSON *obj;
		const char *p, *q;
		struct uh_hp_row row;

		if ((rc = uh_jsonl_next(r, &obj, err)) || !obj)
			break;
		if ((rc = uh_jsonl_get_string(r, "prompt", &p, err)) ||
		    (rc = uh_jsonl_get_string(r, "response", &q, err)))
			break;
		row.prompt = strdup(p);
		row.response = strdup(q);
		if (out->n == cap) {
			struct uh_hp_row *nr = realloc(out->r, (cap = cap ? 2 * cap : 256) * sizeof(*nr));

			if (!nr) {
				free(row.prompt);
				free(row.response);
				rc = uh_err_set(err, UH_ENOMEM, "out of memory");
				break;
			}
			out->r = nr;
		}
		out->r[out->n++] = row;
		if (!row.prompt || !row.response) {
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
			break;
		}
	}
	if (!rc && out->n == 0)
		rc = uh_err_set(err, UH_EINVAL, "hp file '%s' has no rows", name);
	if (rc) {
		/* the jsonl reader names the input and the line */
		if (rc == UH_EINVAL && strncmp(err->msg, "hp file", 7))
			uh_err_prefix(err, "hp ");
		uh_hp_rows_release(out);
	}
	return rc;
}

int uh_hp_parse_rows(const char *buf, size_t len, const char *name, struct uh_hp_rows *out,
		     struct uh_err *err)
{
	struct uh_jsonl r;
	FILE *f;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return uh_err_set(err, UH_EINVAL, "hp file '%s' has no rows", name);
	if (!(f = fmemopen((void *)buf, len, "rb")))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	if ((rc = uh_jsonl_init(&r, f, name, 0, err))) {
		fclose(f);
		return rc;
	}
	rc = rows_from(&r, name, out, err);
	uh_jsonl_release(&r);
	fclose(f);
	return rc;
}

static bool blank_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

int uh_hp_parse_docs(const char *buf, size_t len, const char *name, struct uh_hp_docs *out,
		     struct uh_err *err)
{
	size_t i = 0, cap = 0, start = 0, end = 0;
	bool in_doc = false;

	memset(out, 0, sizeof(*out));
	if (memchr(buf, '\0', len))
		return uh_err_set(err, UH_EINVAL, "text file '%s' holds a NUL byte", name);
	while (i <= len) {
		size_t j = i;

		while (j < len && buf[j] != '\n')
			j++;
		/* line buf[i..j) */
		if (j == len && i == len) {
			/* past the end */
		} else if (!blank_line(buf + i, j - i)) {
			if (!in_doc)
				start = i;
			in_doc = true;
			end = j;
		}
		if (in_doc && (blank_line(buf + i, j - i) || j >= len)) {
			char *d;

			if (out->n == cap) {
				char **nd = realloc(out->d, (cap = cap ? 2 * cap : 64) * sizeof(*nd));

				if (!nd) {
					uh_hp_docs_release(out);
					return uh_err_set(err, UH_ENOMEM, "out of memory");
				}
				out->d = nd;
			}
			if (!(d = malloc(end - start + 1))) {
				uh_hp_docs_release(out);
				return uh_err_set(err, UH_ENOMEM, "out of memory");
			}
			memcpy(d, buf + start, end - start);
			d[end - start] = '\0';
			out->d[out->n++] = d;
			in_doc = false;
		}
		i = j + 1;
	}
	if (out->n == 0)
		return uh_err_set(err, UH_EINVAL, "text file '%s' has no documents", name);
	return 0;
}

static int slurp(const char *path, char **buf, size_t *len, struct uh_err *err)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;

	*buf = NULL;
	if (!f)
		return uh_err_set(err, errno == ENOENT ? UH_ENOTFOUND : UH_EIO, "cannot open '%s': %s", path,
				  strerror(errno));
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (1l << 30)) {
		fclose(f);
		return uh_err_set(err, UH_EIO, "'%s' is not a regular file under 1 GiB", path);
	}
	if (!(*buf = malloc((size_t)sb.st_size + 1))) {
		fclose(f);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	*len = fread(*buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	if (*len != (size_t)sb.st_size) {
		free(*buf);
		*buf = NULL;
		return uh_err_set(err, UH_EIO, "cannot read '%s'", path);
	}
	(*buf)[*len] = '\0';
	return 0;
}

static bool exists(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* "50, 100" : the k of every hp_train_qa_{k}.jsonl in dir. */
static void ks_present(const char *dir, char *buf, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t used = 0;

	buf[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d))) {
		int k, n = 0;

		if (sscanf(e->d_name, "hp_train_qa_%d.jsonl%n", &k, &n) == 1 && n > 0 && !e->d_name[n] &&
		    used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%d", used ? ", " : "", k);
	}
	closedir(d);
}

void uh_hp_suite_release(struct uh_hp_suite *s)
{
	free(s->dir);
	uh_hp_rows_release(&s->train);
	uh_hp_rows_release(&s->test);
	uh_hp_docs_release(&s->ppl);
	for (size_t i = 0; i < s->n_files; i++)
		free(s->files[i]);
	memset(s, 0, sizeof(*s));
}

int uh_hp_suite_load(struct uh_hp_suite *s, const char *dir, int k, const char *ppl_file,
		     struct uh_err *err)
{
	char path[2][4200], ppl[4200], present[256];
	struct uh_hp_rows *rows[2] = { &s->train, &s->test };
	const char *which[2] = { "train", "test" };
	bool miss[2];
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->k = k;
	if (!(s->dir = strdup(dir)))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	for (int i = 0; i < 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/hp_%s_qa_%d.jsonl", dir, which[i], k);
		miss[i] = !exists(path[i]);
	}
	if (miss[0] || miss[1]) {
		ks_present(dir, present, sizeof(present));
		rc = uh_err_set(err, UH_EINVAL, "HP data '%s' lacks %s%s%s (prompt words %d; %s%s)", dir,
				miss[0] ? path[0] : "", miss[0] && miss[1] ? " and " : "", miss[1] ? path[1] : "", k,
				present[0] ? "files exist for --prompt-words " : "no hp_train_qa_K.jsonl at all",
				present);
		uh_hp_suite_release(s);
		return rc;
	}
	if (ppl_file && !exists(ppl_file)) {
		rc = uh_err_set(err, UH_EINVAL, "perplexity file '%s' does not exist", ppl_file);
		uh_hp_suite_release(s);
		return rc;
	}
	snprintf(ppl, sizeof(ppl), "%s", ppl_file ? ppl_file : "");
	if (!ppl_file) {
		snprintf(ppl, sizeof(ppl), "%s/heldout.txt", dir);
		if (!exists(ppl))
			ppl[0] = '\0';
	}
	for (int i = 0; i < 3 && !rc; i++) {
		const char *p = i < 2 ? path[i] : ppl;
		char *buf;
		size_t len = 0;

		if (!*p)
			break;
		if ((rc = slurp(p, &buf, &len, err)))
			break;
		if (i < 2)
			rc = uh_hp_parse_rows(buf, len, p, rows[i], err);
		else
			rc = uh_hp_parse_docs(buf, len, p, &s->ppl, err);
		free(buf);
		if (!rc && !(s->files[s->n_files++] = strdup(p)))
			rc = uh_err_set(err, UH_ENOMEM, "out of memory");
		if (!rc && i == 2)
			s->has_ppl = true;
	}
	if (rc)
		uh_hp_suite_release(s);
	return rc;
}

/* ================================================================ values */

int uh_hp_item_scores(const char *reference, const char *output, double *bleu, double *rougeL,
		      struct uh_err *err)
{
	struct uh_bleu_result br;
	struct uh_rouge_scores rs;
	const char *hyps[1] = { output };
	const char *stream[1] = { reference };
	const char *const *refs[1] = { stream };
	int rc;

	/* sacrebleu.corpus_bleu([text], [[ground_truth]]).score: the corpus defaults */
	if ((rc = uh_bleu_corpus(hyps, 1, refs, 1, NULL, &br, err)))
		return rc;
	if ((rc = uh_rouge_score_types(reference, output, true, UH_ROUGE_L, &rs, err)))
		return rc;
	*bleu = br.score;
	*rougeL = rs.rougeL.recall;
	return 0;
}

size_t uh_hp_words(const char *doc)
{
	/* re.split(r"\s+", doc): one piece more than there are whitespace runs */
	size_t n = 1;
	bool in_ws = false;

	for (const unsigned char *p = (const unsigned char *)doc; *p; p++) {
		bool ws = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f';

		if (ws && !in_ws)
			n++;
		in_ws = ws;
	}
	return n;
}

void uh_hp_perplexity(const double *ll, const size_t *words, const size_t *bytes, size_t n,
		      double *word_ppl, double *byte_ppl, double *bpb)
{
	double sll = 0, sw = 0, sb = 0;

	/* lm-eval 0.4: weighted_perplexity = exp(-sum(ll) / sum(weights)), sums in order */
	for (size_t i = 0; i < n; i++) {
		sll += ll[i];
		sw += (double)words[i];
		sb += (double)bytes[i];
	}
	*word_ppl = exp(-sll / sw);
	*byte_ppl = exp(-sll / sb);
	*bpb = -sll / sb / log(2.0);
}
