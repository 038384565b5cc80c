/*
 * sha256.h - SHA-256 (FIPS 180-4) of a file, for the provenance of every
 * data file a run or an import reads, and of data fed in pieces (the
 * request cache's keys and checksums).
 */
#ifndef UH_HARNESS_SHA256_H
#define UH_HARNESS_SHA256_H

#include "harness/err.h"

#include <stddef.h>
#include <stdint.h>

/* A digest in progress. Fields are private; embed it and use the calls below. */
struct uh_sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t fill;
};

/* Start, feed n bytes of data (any number of times), finish into 32 raw bytes. */
void uh_sha256_init(struct uh_sha256 *s);
void uh_sha256_update(struct uh_sha256 *s, const void *data, size_t n);
void uh_sha256_final(struct uh_sha256 *s, unsigned char out[32]);

/* The 32-byte digest as 64 lower-case hex digits and a NUL. */
void uh_sha256_hex(const unsigned char digest[32], char hex[65]);

/*
 * The digest of the file at path as 64 lower-case hex digits and a NUL in
 * hex. Returns 0 or UH_EIO (message names the path).
 */
int uh_sha256_file(const char *path, char hex[65], struct uh_err *err);

#endif
