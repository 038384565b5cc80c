/*
 * report_fixture.h - what the report, gate and diff tests share: a
 * temporary database, running a command in-process with its output in
 * files, importing the official llama2 logs and storing a hostile run.
 * Header-only (static inline) so each test binary stays one file.
 */
#ifndef UH_TESTS_REPORT_FIXTURE_H
#define UH_TESTS_REPORT_FIXTURE_H

#include "harness/cmds.h"
#include "results/store.h"
#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fx_dir;
static char fx_db[UH_TEST_PATH], fx_out[UH_TEST_PATH], fx_errp[UH_TEST_PATH];

static inline void fx_setup(void)
{
	fx_dir = uh_test_scratch(fx_db, fx_out, fx_errp);
}

static inline void fx_teardown(void)
{
	uh_test_rm_rf(fx_dir);
	free(fx_dir);
}

/* A path in the test's folder (static buffer, overwritten by the next call). */
static inline const char *fx_path(const char *name)
{
	static char buf[4200];

	snprintf(buf, sizeof(buf), "%s/%s", fx_dir, name);
	return buf;
}

/*
 * Run a command in-process: fn(argv) with args (NULL-terminated) and
 * "--db <db>" appended; stdout and stderr go to files (fx_stdout(),
 * fx_stderr()). Returns the exit status.
 */
static inline int fx_run(int (*fn)(int, char **), const char *name, const char *const *args)
{
	return uh_test_call(fn, name, args, (const char *const[]){ "--db", fx_db, NULL }, fx_out, fx_errp);
}

static inline char *fx_stdout(void)
{
	return uh_test_slurp(fx_out, NULL);
}

static inline char *fx_stderr(void)
{
	return uh_test_slurp(fx_errp, NULL);
}

/* Import the official TOFU log dir (tofu-logs/NAME) against tofu-logs/REF (or none). */
static inline void fx_import(const char *name, const char *ref)
{
	char path[4200], refp[4200];
	const char *args[6] = { "tofu-logs", path, NULL, NULL, NULL, NULL };
	int rc;

	snprintf(path, sizeof(path), "%s", uh_test_shared("data/tofu-logs/"));
	strncat(path, name, sizeof(path) - strlen(path) - 1);
	if (ref) {
		snprintf(refp, sizeof(refp), "%s", uh_test_shared("data/tofu-logs/"));
		strncat(refp, ref, sizeof(refp) - strlen(refp) - 1);
		args[2] = "--reference";
		args[3] = refp;
	}
	rc = fx_run(uh_cmd_import, "import", args);
	cr_assert_eq(rc, 0, "import %s failed: %s", name, fx_stderr());
}

/* The strings a hostile dataset or model could put into the store. */
#define FX_SCRIPT "<script>window.__pwned=1</script>"
#define FX_IMG "<img src=x onerror=\"window.__pwned=2\">"
#define FX_FORMULA "=HYPERLINK(\"http://x\",\"y\")"

/*
 * Store a run whose texts are hostile: model and generations with script
 * and img elements, a formula as tag, quotes, commas and newlines; split
 * forget10, task 'forget' items 0..n-1 with truth_ratio values, metrics
 * forget_quality / model_utility (with an interval). Returns its id.
 */
static inline int64_t fx_hostile_run(size_t n)
{
	struct uh_store *st;
	struct uh_store_run *run;
	struct uh_err err;
	struct uh_store_run_info info = {
		.suite = "tofu", .split = "forget10", .profile = "tofu",
		.model = "evil" FX_SCRIPT "\"model\", 'x'", .backend = "null|pipe",
		.tag = FX_FORMULA, .source = "run",
	};
	int64_t id;

	cr_assert_eq(uh_store_open(&st, fx_db, &err), 0, "%s", err.msg);
	cr_assert_eq(uh_store_run_begin(st, &info, &run, &err), 0, "%s", err.msg);
	id = uh_store_run_id(run);
	for (size_t i = 0; i < n; i++) {
		char values[128];
		struct uh_store_item it = {
			.task = "forget", .idx = (int64_t)i,
			.question = "Q & \"quoted\" <b>bold</b>\nline two | pipe",
			.reference = "ref, with comma",
			.generation = i % 2 ? FX_SCRIPT : FX_IMG,
			.values_json = values,
		};

		snprintf(values, sizeof(values), "{\"truth_ratio\": %g, \"note<x>\": \"<i>\"}",
			 0.5 + 0.01 * (double)i);
		cr_assert_eq(uh_store_run_add_item(run, &it, &err), 0, "%s", err.msg);
	}
	{
		struct uh_store_metric m1 = { "forget_quality", 0.25, 0, 0, 0, (int64_t)n };
		struct uh_store_metric m2 = { "model_utility", 0.55, 1, 0.5, 0.6, 9 };
		struct uh_store_metric m3 = { "ou/privleak", -3.5, 0, 0, 0, -1 };

		cr_assert_eq(uh_store_run_add_metric(run, &m1, &err), 0, "%s", err.msg);
		cr_assert_eq(uh_store_run_add_metric(run, &m2, &err), 0, "%s", err.msg);
		cr_assert_eq(uh_store_run_add_metric(run, &m3, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(uh_store_run_commit(run, &err), 0, "%s", err.msg);
	uh_store_close(st);
	return id;
}

/* Occurrences of needle in hay. */
static inline size_t fx_count(const char *hay, const char *needle)
{
	size_t n = 0, l = strlen(needle);

	for (const char *p = hay; (p = strstr(p, needle)); p += l)
		n++;
	return n;
}

#endif
