/*
 * jsonl.h - a bounded JSON Lines reader with typed field getters.
 *
 * The reader pulls one line at a time from a FILE*, refuses lines longer
 * than a hard cap, skips blank lines, checks that each line is valid UTF-8
 * without NUL bytes, and parses it with cJSON into a JSON object. The
 * getters fetch fields of the current object and, on a wrong or missing
 * field, fill a struct uh_err whose message names the input, the line, the
 * field and what was expected:
 *
 *   input 'x.jsonl' line 3: field 'y' must be a non-empty list of finite
 *   numbers, got string
 *
 * The cap bounds memory: cJSON needs about 32 bytes per input byte at worst
 * (a list of one-digit numbers), so a line at the 64 MiB cap can cost ~2 GiB.
 *
 * Ownership: the reader owns the current line and the current object; both
 * are borrowed by the caller until the next uh_jsonl_next* call or
 * uh_jsonl_release. Strings returned by the getters are borrowed the same
 * way; arrays returned by the getters belong to the caller.
 */
#ifndef UH_HARNESS_JSONL_H
#define UH_HARNESS_JSONL_H

#include "harness/err.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Default cap on one line, newline excluded. */
#define UH_JSONL_MAX_LINE ((size_t)64 << 20)

struct uh_jsonl {
	FILE *f;            /* the input; owned only when own_f */
	bool own_f;
	char *name;         /* display name: the path, or "<stdin>"; owned */
	size_t lineno;      /* 1-based number of the current line, 0 before the first */
	size_t max_line;    /* cap on a line's length in bytes, newline excluded */
	char *line;         /* current line, NUL-terminated, newline (and CR) stripped */
	size_t len;         /* its length */
	size_t cap;
	bool skip_rest;     /* the last line was too long: drop the rest of it first */
	cJSON *obj;         /* current parsed object, or NULL */
};

/*
 * Read from f (borrowed; not closed by uh_jsonl_release). name is used in
 * messages (copied); NULL means "<stdin>". max_line 0 means
 * UH_JSONL_MAX_LINE. Fails only with UH_ENOMEM.
 */
int uh_jsonl_init(struct uh_jsonl *r, FILE *f, const char *name, size_t max_line,
		  struct uh_err *err);

/*
 * Open path for reading ("-" is stdin, shown as "<stdin>"); the file is
 * closed by uh_jsonl_release. Fails with UH_ENOTFOUND or UH_EIO (message
 * names the path and the reason) or UH_ENOMEM.
 */
int uh_jsonl_open(struct uh_jsonl *r, const char *path, struct uh_err *err);

/* Free the line, the object and the name; close the file when owned. */
void uh_jsonl_release(struct uh_jsonl *r);

/*
 * Advance to the next non-blank line and return it raw in *line and *len
 * (borrowed, NUL-terminated, no newline, a trailing CR stripped), or set
 * *line to NULL at the end of input. The line is checked for length, NUL
 * bytes and UTF-8 validity. Returns 0, UH_EINVAL for a bad line, UH_EIO on a
 * read error, UH_ENOMEM. After UH_EINVAL the reader can go on to the next
 * line. Reads with getc, so a line is handled as soon as it arrives on a pipe.
 */
int uh_jsonl_next_line(struct uh_jsonl *r, const char **line, size_t *len,
		       struct uh_err *err);

/*
 * Advance to the next non-blank line and parse it; *obj gets the JSON object
 * (borrowed) or NULL at the end of input. A line that is not a JSON object
 * is UH_EINVAL, with the column of the syntax error where cJSON reports it.
 * Other errors as uh_jsonl_next_line.
 */
int uh_jsonl_next(struct uh_jsonl *r, const cJSON **obj, struct uh_err *err);

/*
 * Parse buf[0..len) (need not be NUL-terminated) as one JSONL line of r's
 * input: the same checks as uh_jsonl_next, without reading. The result
 * becomes r's current object. Used by uh_jsonl_next and by fuzz targets.
 */
int uh_jsonl_parse(struct uh_jsonl *r, const char *buf, size_t len, struct uh_err *err);

/*
 * Set err to UH_EINVAL with "input 'NAME' line N: " followed by the
 * formatted message. Returns UH_EINVAL.
 */
int uh_jsonl_fail(const struct uh_jsonl *r, struct uh_err *err, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* JSON type name of item for messages ("string", "number", "list", ...). Static. */
const char *uh_jsonl_type_name(const cJSON *item);

/* The field of the current object, or NULL when absent. Borrowed. */
const cJSON *uh_jsonl_field(const struct uh_jsonl *r, const char *field);

/* Required string field (may be empty). *out is borrowed. */
int uh_jsonl_get_string(const struct uh_jsonl *r, const char *field, const char **out,
			struct uh_err *err);

/*
 * Required field that is a string or a non-empty list of strings. *out gets
 * a caller-owned array of n borrowed strings.
 */
int uh_jsonl_get_strings(const struct uh_jsonl *r, const char *field, const char ***out,
			 size_t *n, struct uh_err *err);

/* Optional boolean field; *out = dflt when the field is absent. */
int uh_jsonl_get_bool(const struct uh_jsonl *r, const char *field, bool dflt, bool *out,
		      struct uh_err *err);

/*
 * Required field that is a non-empty list of finite numbers (1e999, which
 * parses to infinity, is refused). *out gets a caller-owned array of n.
 */
int uh_jsonl_get_numbers(const struct uh_jsonl *r, const char *field, double **out,
			 size_t *n, struct uh_err *err);

#endif
