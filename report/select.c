#include "report/select.h"

#include "harness/cli.h"

#include <string.h>

bool uh_select_parse_count(const char *s, size_t max, size_t *out)
{
	uint64_t v;

	if (!s || !uh_cli_parse_u64(s, max, &v))
		return false;
	*out = (size_t)v;
	return true;
}

int uh_select_run(struct uh_store *st, const char *spec, int64_t *id, struct uh_err *err)
{
	struct uh_store_run_query q = { .limit = 1 };
	struct uh_store_run_row *rows = NULL;
	size_t n = 0, v;
	int rc;

	*id = 0;
	if (!spec || !*spec)
		return uh_err_set(err, UH_EINVAL, "empty run (give an id, latest, tag:T or model:M)");
	if (uh_select_parse_count(spec, (size_t)INT64_MAX, &v)) {
		struct uh_store_run_row row;

		if (v == 0)
			return uh_err_set(err, UH_EINVAL, "run id must be positive, got '%s'", spec);
		rc = uh_store_run_get(st, (int64_t)v, &row, err);
		if (rc)
			return rc;
		uh_store_run_row_release(&row);
		*id = (int64_t)v;
		return 0;
	}
	if (!strcmp(spec, "latest")) {
		/* the query with no filter: the newest run */
	} else if (!strncmp(spec, "tag:", 4) && spec[4]) {
		q.tag = spec + 4;
	} else if (!strncmp(spec, "model:", 6) && spec[6]) {
		q.model = spec + 6;
	} else {
		return uh_err_set(err, UH_EINVAL,
				  "run '%s' is not an id, latest, tag:T or model:M", spec);
	}
	rc = uh_store_runs_query(st, &q, &rows, &n, err);
	if (rc)
		return rc;
	if (!n)
		return uh_err_set(err, UH_ENOTFOUND, "database '%s' has no run matching '%s'",
				  uh_store_path(st), spec);
	*id = rows[0].id;
	uh_store_run_rows_free(rows, n);
	return 0;
}
