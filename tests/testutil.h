/*
 * testutil.h - helpers shared by the Criterion tests (not part of libuh).
 */
#ifndef UH_TESTS_TESTUTIL_H
#define UH_TESTS_TESTUTIL_H

#include <stddef.h>

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

#endif
