/*
 * err.h - uh's one error type and result codes.
 *
 * Every fallible library function returns 0 on success or a negative UH_E*
 * code, and on failure fills a caller-owned struct uh_err with a message a
 * user can act on (lower case, no final period, naming file/line/field).
 * Library code never prints and never exits; harness/main.c maps codes to
 * exit statuses.
 */
#ifndef UH_HARNESS_ERR_H
#define UH_HARNESS_ERR_H

#include <stddef.h>

enum {
	UH_OK = 0,
	UH_EINVAL = -1,  /* bad argument or bad input data: exit status 2 */
	UH_ENOMEM = -2,  /* allocation failed */
	UH_EIO = -3,     /* file or network i/o failed */
	UH_EDB = -4,     /* SQLite error */
	UH_ENUM = -5,    /* numerical failure (non-finite result, overflow) */
	UH_ENOTFOUND = -6, /* a named thing (run, file, symbol) does not exist */
	UH_EINTERNAL = -7, /* a bug in uh */
};

#define UH_ERR_MSG_MAX 1024

struct uh_err {
	int code;
	char msg[UH_ERR_MSG_MAX];
};

/* Reset err to "no error". err may be NULL. */
void uh_err_clear(struct uh_err *err);

/*
 * Record an error: sets err->code and formats err->msg (printf-style,
 * truncated to fit). err may be NULL. Returns code, so callers can write
 * `return uh_err_set(err, UH_EINVAL, "...")`.
 */
int uh_err_set(struct uh_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/*
 * Prefix the existing message with more context ("file 'x': " + old msg).
 * Returns err->code (or UH_EINTERNAL when err is NULL).
 */
int uh_err_prefix(struct uh_err *err, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* A short name for a code ("invalid input", "out of memory", ...). Static. */
const char *uh_strerror(int code);

#endif
