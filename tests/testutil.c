#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static char pathbuf[4096];

const char *uh_test_shared(const char *rel)
{
	const char *base = getenv("UH_SHARED");

	snprintf(pathbuf, sizeof(pathbuf), "%s/%s", base && *base ? base : "../shared", rel);
	return pathbuf;
}

const char *uh_test_build(const char *rel)
{
	const char *base = getenv("UH_BUILD");

	snprintf(pathbuf, sizeof(pathbuf), "%s/%s", base && *base ? base : "build", rel);
	return pathbuf;
}

char *uh_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long sz;

	cr_assert_not_null(f, "cannot open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	cr_assert_geq(sz, 0);
	rewind(f);
	buf = malloc((size_t)sz + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)sz, f), (size_t)sz, "short read on %s", path);
	fclose(f);
	buf[sz] = '\0';
	if (len)
		*len = (size_t)sz;
	return buf;
}

char **uh_test_lines(char *buf, size_t len, size_t *n)
{
	size_t cap = 64, cnt = 0;
	char **lines = malloc(cap * sizeof(*lines));
	char *p = buf, *end = buf + len;

	cr_assert_not_null(lines);
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (cnt == cap) {
			cap *= 2;
			lines = realloc(lines, cap * sizeof(*lines));
			cr_assert_not_null(lines);
		}
		lines[cnt++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	*n = cnt;
	return lines;
}

char *uh_test_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *path = malloc(4096);

	cr_assert_not_null(path);
	snprintf(path, 4096, "%s/uh-test-XXXXXX", t && *t ? t : "/tmp");
	cr_assert_not_null(mkdtemp(path), "mkdtemp failed");
	return path;
}

void uh_test_rm_rf(const char *path)
{
	char cmd[8500];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	cr_expect_eq(system(cmd), 0);
}

/* ---------------------------------------------------------------- commands in-process */

char *uh_test_scratch(char *db, char *out, char *err)
{
	char *dir = uh_test_tmpdir();
	char cache[UH_TEST_PATH];

	snprintf(db, UH_TEST_PATH, "%s/uh.db", dir);
	snprintf(out, UH_TEST_PATH, "%s/stdout", dir);
	snprintf(err, UH_TEST_PATH, "%s/stderr", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	setenv("XDG_CACHE_HOME", cache, 1);
	return dir;
}

int uh_test_call(int (*fn)(int, char **), const char *name, const char *const *args,
		 const char *const *tail, const char *out, const char *err)
{
	const char *const *parts[] = { args, tail };
	char *argv[64];
	int argc = 0, rc;

	if (name)
		argv[argc++] = (char *)name;
	for (size_t p = 0; p < 2; p++)
		for (size_t i = 0; parts[p] && parts[p][i]; i++) {
			cr_assert_lt(argc, 63, "too many arguments");
			argv[argc++] = (char *)parts[p][i];
		}
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	cr_assert_not_null(freopen(out, "w", stdout));
	cr_assert_not_null(freopen(err, "w", stderr));
	rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	return rc;
}

double uh_test_metric(const char *db, long long run_id, const char *name)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	double v = NAN;

	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, "SELECT value FROM metrics WHERE name = ?1 AND run_id = ?2", -1,
					&s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, run_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_double(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

long long uh_test_count(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	long long v = -1;

	if (access(db, F_OK))
		return 0;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* ---------------------------------------------------------------- build/uh as a child */

pid_t uh_test_spawn_uh(const char *out, const char *errf, const char *const *args)
{
	char uh[4200];
	const char *argv[64];
	int n = 0;
	pid_t pid;

	snprintf(uh, sizeof(uh), "%s", uh_test_build("uh"));
	cr_assert_eq(access(uh, X_OK), 0, "build uh first (make build/uh): %s", uh);
	argv[n++] = uh;
	for (size_t i = 0; args[i]; i++) {
		cr_assert_lt(n, 63, "too many arguments for build/uh");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		/* the child goes with the test, even when the test crashes */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
			_exit(126);
		execv(uh, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

int uh_test_run_uh(const char *out, const char *errf, const char *const *args)
{
	pid_t pid = uh_test_spawn_uh(out, errf, args);
	int status = 0;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}
