/*
 * testutil.h - helpers shared by the Criterion tests (not part of libuh).
 */
#ifndef UH_TESTS_TESTUTIL_H
#define UH_TESTS_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Path of a file under the shared data folder ($UH_SHARED, default
 * ../shared): uh_test_shared("vectors/ks_vectors.jsonl"). Returns a
 * static buffer, overwritten by the next call.
 */
const char *uh_test_shared(const char *rel);

/* Path under the build folder ($UH_BUILD, default build). Static buffer. */
const char *uh_test_build(const char *rel);

/* Read a whole file; *len gets its size. Caller frees. Aborts the test on error. */
char *uh_test_slurp(const char *path, size_t *len);

/*
 * Split a buffer into lines in place ('\n' -> '\0'); returns a malloc'd
 * array of line starts (caller frees the array, not the lines) and sets
 * *n. A trailing empty line is not counted.
 */
char **uh_test_lines(char *buf, size_t len, size_t *n);

/* Temporary directory for one test (mkdtemp under $TMPDIR). Caller frees. */
char *uh_test_tmpdir(void);

/* Remove path and everything below it (rm -rf); expects that to succeed. */
void uh_test_rm_rf(const char *path);

/* ---------------------------------------------------------------- commands in-process */

/* Size of each path buffer that uh_test_scratch fills. */
#define UH_TEST_PATH 4200

/*
 * Scratch space for a test that runs commands in-process: a fresh
 * temporary directory (returned; the caller removes it with uh_test_rm_rf
 * and frees it), and in db, out and err (UH_TEST_PATH bytes each) the
 * paths dir/uh.db, dir/stdout and dir/stderr. Points XDG_CACHE_HOME at
 * dir/cache so that no test reads or writes the user's cache.
 */
char *uh_test_scratch(char *db, char *out, char *err);

/*
 * Run a command in-process: fn(argc, argv) with argv made of name (left out
 * when NULL), then args, then tail (each NULL-terminated; tail may be NULL).
 * stdout and stderr go to the files out and err (replaced). Returns fn's
 * exit status.
 */
int uh_test_call(int (*fn)(int, char **), const char *name, const char *const *args,
		 const char *const *tail, const char *out, const char *err);

/* Value of metric name of run run_id in the store db; NAN when absent. */
double uh_test_metric(const char *db, long long run_id, const char *name);

/*
 * The integer in the first column of the first row of sql on the store db
 * (-1 when there is no row); 0 when db does not exist (nothing written).
 */
long long uh_test_count(const char *db, const char *sql);

/* ---------------------------------------------------------------- build/uh as a child */

/*
 * Start build/uh (see uh_test_build) with args (NULL-terminated, at most
 * 62), its stdout and stderr to the files out and errf (replaced); the
 * child is killed when the test process dies. Returns its pid; the caller
 * waits for it.
 */
pid_t uh_test_spawn_uh(const char *out, const char *errf, const char *const *args);

/* uh_test_spawn_uh, then wait for the child: its wait status. */
int uh_test_run_uh(const char *out, const char *errf, const char *const *args);

#endif
