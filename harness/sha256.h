/*
 * sha256.h - SHA-256 (FIPS 180-4) of a file, for the provenance of every
 * data file a run or an import reads.
 */
#ifndef UH_HARNESS_SHA256_H
#define UH_HARNESS_SHA256_H

#include "harness/err.h"

/*
 * The digest of the file at path as 64 lower-case hex digits and a NUL in
 * hex. Returns 0 or UH_EIO (message names the path).
 */
int uh_sha256_file(const char *path, char hex[65], struct uh_err *err);

#endif
