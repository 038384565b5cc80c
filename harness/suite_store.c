/*
 * suite_store.c - a MUSE / Harry Potter evaluation: metrics, items, files;
 * one transaction to store it, one table to print it.
 */
#include "harness/suite_store.h"

#include "metrics/bootstrap.h"
#include "metrics/npsum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s, bool *oom)
{
	char *p;

	if (!s)
		return NULL;
	if (!(p = strdup(s)))
		*oom = true;
	return p;
}

void uh_seval_release(struct uh_seval *e)
{
	for (size_t i = 0; i < e->n_metrics; i++) {
		free(e->m[i].name);
		free(e->m[i].label);
	}
	free(e->m);
	for (size_t i = 0; i < e->n_items; i++) {
		free(e->it[i].task);
		free(e->it[i].question);
		free(e->it[i].reference);
		free(e->it[i].generation);
		free(e->it[i].values_json);
	}
	free(e->it);
	free(e->notes);
	uh_tofu_files_release(&e->files);
	memset(e, 0, sizeof(*e));
}

int uh_seval_add(struct uh_seval *e, const char *name, const char *label, double value,
		 double scale, int64_t n, const struct uh_ci *ci, struct uh_err *err)
{
	struct uh_seval_metric *m = realloc(e->m, (e->n_metrics + 1) * sizeof(*m));
	bool oom = false;

	if (!m)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	e->m = m;
	m += e->n_metrics;
	memset(m, 0, sizeof(*m));
	m->name = dup_or_null(name, &oom);
	m->label = dup_or_null(label, &oom);
	if (oom) {
		free(m->name);
		free(m->label);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	if (!isfinite(value)) {
		free(m->name);
		free(m->label);
		return uh_err_set(err, UH_ENUM, "metric '%s' is not a finite number", name);
	}
	m->value = value;
	m->scale = scale > 0 ? scale : 1;
	m->n = n;
	if (ci) {
		m->has_ci = true;
		m->lo = ci->lo;
		m->hi = ci->hi;
	}
	e->n_metrics++;
	return 0;
}

int uh_seval_add_mean(struct uh_seval *e, const char *name, const char *label, const double *v,
		      size_t n, double scale, struct uh_err *err)
{
	struct uh_ci ci;
	int rc;

	if (n == 0)
		return uh_err_set(err, UH_EINVAL, "metric '%s': no items", name);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return uh_err_set(err, UH_ENUM, "metric '%s': item %zu is not a finite number", name, i);
	if (n >= 2) {
		rc = uh_bootstrap_mean_ci(v, n, UH_TOFU_CI_LEVEL, UH_TOFU_CI_B, UH_TOFU_CI_SEED, &ci, err);
		if (rc)
			return uh_err_prefix(err, "metric '%s': bootstrap: ", name);
	}
	return uh_seval_add(e, name, label, uh_npmean(v, n), scale, (int64_t)n, n >= 2 ? &ci : NULL, err);
}

const struct uh_seval_metric *uh_seval_find(const struct uh_seval *e, const char *name)
{
	for (size_t i = 0; i < e->n_metrics; i++)
		if (!strcmp(e->m[i].name, name))
			return &e->m[i];
	return NULL;
}

int uh_seval_add_item(struct uh_seval *e, const char *task, int64_t idx, const char *question,
		      const char *reference, const char *generation, const char *values,
		      struct uh_err *err)
{
	struct uh_seval_item *it;
	bool oom = false;

	if (e->n_items == e->cap_items) {
		size_t cap = e->cap_items ? 2 * e->cap_items : 64;

		if (!(it = realloc(e->it, cap * sizeof(*it))))
			return uh_err_set(err, UH_ENOMEM, "out of memory");
		e->it = it;
		e->cap_items = cap;
	}
	it = &e->it[e->n_items];
	it->idx = idx;
	it->task = dup_or_null(task, &oom);
	it->question = dup_or_null(question, &oom);
	it->reference = dup_or_null(reference, &oom);
	it->generation = dup_or_null(generation, &oom);
	it->values_json = dup_or_null(values, &oom);
	e->n_items++;
	return oom ? uh_err_set(err, UH_ENOMEM, "out of memory") : 0;
}

int uh_seval_note(struct uh_seval *e, const char *line, struct uh_err *err)
{
	size_t old = e->notes ? strlen(e->notes) : 0;
	char *p = realloc(e->notes, old + strlen(line) + 2);

	if (!p)
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	e->notes = p;
	strcpy(p + old, line);
	strcat(p + old, "\n");
	return 0;
}

bool uh_seval_json_num(char *buf, size_t len, const char *name, double value)
{
	size_t n = strlen(buf);
	char num[40];
	int w;

	if (n < 2 || buf[0] != '{')
		return false;
	if (isfinite(value))
		snprintf(num, sizeof(num), "%.17g", value);
	else
		snprintf(num, sizeof(num), "null");
	/* replace the closing brace */
	w = snprintf(buf + n - 1, len - (n - 1), "%s\"%s\":%s}", n > 2 ? "," : "", name, num);
	return w > 0 && (size_t)w < len - (n - 1);
}

/* provenance keys name the file by its last two path components (MUSE has verbmem/forget.json
 * and privleak/forget.json) */
static const char *short_name(const char *path)
{
	const char *end = path + strlen(path), *p = end;
	int slashes = 0;

	while (p > path) {
		if (p[-1] == '/' && ++slashes == 2)
			break;
		p--;
	}
	return p;
}

int uh_seval_store(struct uh_store *st, const struct uh_store_run_info *info,
		   const struct uh_seval *e, const char *const *keys, const char *const *values,
		   size_t n_pairs, int64_t *id, struct uh_err *err)
{
	struct uh_store_run *run = NULL;
	char key[400];
	int rc;

	*id = 0;
	if ((rc = uh_store_run_begin(st, info, &run, err)))
		return rc;
	for (size_t i = 0; i < e->files.n && !rc; i++) {
		char *real;
		bool seen = false;

		/* a data file can also be training data: record it once */
		for (size_t j = 0; j < i; j++)
			seen = seen || !strcmp(short_name(e->files.path[j]), short_name(e->files.path[i]));
		if (seen)
			continue;
		real = realpath(e->files.path[i], NULL);

		snprintf(key, sizeof(key), "sha256:%s", short_name(e->files.path[i]));
		rc = uh_store_run_add_provenance(run, key, e->files.hex[i], err);
		snprintf(key, sizeof(key), "path:%s", short_name(e->files.path[i]));
		if (!rc)
			rc = uh_store_run_add_provenance(run, key, real ? real : e->files.path[i], err);
		free(real);
	}
	for (size_t i = 0; i < n_pairs && !rc; i++)
		rc = uh_store_run_add_provenance(run, keys[i], values[i], err);
	if (!rc) {
		char b[96];

		snprintf(b, sizeof(b), "percentile, level %.2f, %d resamples, seed %lu", UH_TOFU_CI_LEVEL,
			 UH_TOFU_CI_B, UH_TOFU_CI_SEED);
		rc = uh_store_run_add_provenance(run, "bootstrap", b, err);
	}
	for (size_t i = 0; i < e->n_items && !rc; i++) {
		const struct uh_seval_item *it = &e->it[i];
		struct uh_store_item si = {
			.task = it->task, .idx = it->idx, .question = it->question,
			.reference = it->reference, .generation = it->generation,
			.values_json = it->values_json,
		};

		rc = uh_store_run_add_item(run, &si, err);
	}
	for (size_t i = 0; i < e->n_metrics && !rc; i++) {
		const struct uh_seval_metric *m = &e->m[i];
		struct uh_store_metric sm = {
			.name = m->name, .value = m->value, .has_ci = m->has_ci, .ci_lo = m->lo,
			.ci_hi = m->hi, .n = m->n,
		};

		rc = uh_store_run_add_metric(run, &sm, err);
	}
	if (rc) {
		uh_store_run_abort(run);
		return rc;
	}
	*id = uh_store_run_id(run);
	rc = uh_store_run_commit(run, err);
	if (rc)
		*id = 0;
	return rc;
}

void uh_seval_print(FILE *f, const struct uh_seval *e, const char *title)
{
	fprintf(f, "%s\n", title);
	for (size_t i = 0; i < e->n_metrics; i++) {
		const struct uh_seval_metric *m = &e->m[i];
		char name[80];

		snprintf(name, sizeof(name), "%s", m->label ? m->label : m->name);
		if (m->has_ci)
			fprintf(f, "  %-34s %10.4f   [%.4f, %.4f]", name, m->value * m->scale, m->lo * m->scale,
				m->hi * m->scale);
		else
			fprintf(f, "  %-34s %10.4f", name, m->value * m->scale);
		if (m->n >= 0)
			fprintf(f, "   n=%lld", (long long)m->n);
		fputc('\n', f);
	}
	if (e->notes)
		fprintf(f, "%s", e->notes);
}
