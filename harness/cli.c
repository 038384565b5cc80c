/*
 * cli.c - option values, integers and path tests for the command lines
 * (harness/cli.h).
 */
#include "harness/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *uh_cli_opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=' && name[1] == '-')
		return a + n + 1;
	if (a[n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

const char *uh_cli_opt_among(int argc, char **argv, int *i, const char *const *names, size_t n,
			     size_t *k, bool *missing)
{
	const char *v;

	*missing = false;
	for (*k = 0; *k < n; ++*k)
		if ((v = uh_cli_opt_value(argc, argv, i, names[*k], missing)) || *missing)
			return v;
	return NULL;
}

bool uh_cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* strtoull alone would take leading spaces and a sign */
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

void uh_cli_put_name(FILE *f, const char *s, int width)
{
	int n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
		fputc(*p < 0x20 || *p == 0x7F ? '?' : *p, f);
	fprintf(f, "%*s", width > n ? width - n : 0, "");
}

bool uh_cli_is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

bool uh_cli_is_file(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}
