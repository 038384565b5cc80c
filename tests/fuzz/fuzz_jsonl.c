/*
 * fuzz_jsonl - harness/jsonl.c on arbitrary bytes: the line reader (through
 * fmemopen), the byte checks, cJSON parsing and every getter on every key.
 *
 * Byte 0 picks the mode: bit 0 raw lines (uh_jsonl_next_line) instead of
 * JSON; bits 1-7, when non-zero, a small line cap (8 * value bytes) so that
 * the too-long path and the skip after it are reached. The rest is the input.
 */
#include "harness/jsonl.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_getters(const struct uh_jsonl *r, const char *field)
{
	struct uh_err err;
	const char *s;
	const char **ss;
	double *d;
	size_t n;
	bool b;

	if (!uh_jsonl_get_string(r, field, &s, &err) && strlen(s) > r->len)
		__builtin_trap();
	if (!uh_jsonl_get_strings(r, field, &ss, &n, &err)) {
		if (!n)
			__builtin_trap();
		free(ss);
	}
	(void)uh_jsonl_get_bool(r, field, true, &b, &err);
	if (!uh_jsonl_get_numbers(r, field, &d, &n, &err)) {
		for (size_t i = 0; i < n; i++)
			if (!isfinite(d[i]))
				__builtin_trap();
		free(d);
	}
	(void)uh_jsonl_type_name(uh_jsonl_field(r, field));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uh_jsonl r;
	struct uh_err err;
	bool raw;
	size_t cap;
	FILE *f;
	int lines = 0;

	if (size < 2)
		return 0;
	raw = data[0] & 1;
	cap = (size_t)(data[0] >> 1) * 8;
	f = fmemopen((void *)(data + 1), size - 1, "rb");
	if (!f)
		return 0;
	if (uh_jsonl_init(&r, f, "fuzz.jsonl", cap, &err)) {
		fclose(f);
		return 0;
	}
	/* A bad line is skipped, as a lenient caller would; stop after a few
	 * errors in a row only to bound the work. */
	for (int errors = 0; errors < 64 && lines < 4096;) {
		const cJSON *obj, *item;
		const char *line;
		size_t len;
		int rc;

		if (raw) {
			rc = uh_jsonl_next_line(&r, &line, &len, &err);
			if (!rc && !line)
				break;
			if (!rc && (strlen(line) != len || len > r.max_line))
				__builtin_trap();
		} else {
			rc = uh_jsonl_next(&r, &obj, &err);
			if (!rc && !obj)
				break;
			if (!rc) {
				cJSON_ArrayForEach(item, obj)
					if (item->string)
						check_getters(&r, item->string);
				check_getters(&r, "absent");
			}
		}
		if (rc) {
			if (rc != UH_EINVAL || !strstr(err.msg, "fuzz.jsonl"))
				__builtin_trap();
			errors++;
		}
		lines++;
	}
	uh_jsonl_release(&r);
	fclose(f);

	/* The same bytes as one line, without the reader. */
	if (!uh_jsonl_init(&r, NULL, NULL, cap, &err)) {
		if (!uh_jsonl_parse(&r, (const char *)data + 1, size - 1, &err))
			check_getters(&r, "x");
		uh_jsonl_release(&r);
	}
	return 0;
}
