#include "tests/testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
