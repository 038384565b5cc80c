#include "report/atomic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void release(struct uh_atomic *a)
{
	free(a->tmp);
	free(a->path);
	a->f = NULL;
	a->tmp = a->path = NULL;
}

int uh_atomic_open(struct uh_atomic *a, const char *path, struct uh_err *err)
{
	size_t n = strlen(path);
	int fd;

	a->f = NULL;
	a->path = strdup(path);
	a->tmp = malloc(n + 16);
	if (!a->path || !a->tmp) {
		release(a);
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	}
	snprintf(a->tmp, n + 16, "%s.tmpXXXXXX", path);
	fd = mkstemp(a->tmp);
	if (fd < 0) {
		int e = errno;

		release(a);
		return uh_err_set(err, UH_EIO, "cannot create a file beside '%s': %s", path, strerror(e));
	}
	(void)fchmod(fd, 0644);
	a->f = fdopen(fd, "w");
	if (!a->f) {
		close(fd);
		unlink(a->tmp);
		release(a);
		return uh_err_set(err, UH_EIO, "cannot open a file beside '%s'", path);
	}
	return 0;
}

int uh_atomic_commit(struct uh_atomic *a, struct uh_err *err)
{
	int bad = fflush(a->f) != 0 || ferror(a->f);
	int e = errno;

	if (!bad && fsync(fileno(a->f)) != 0) {
		bad = 1;
		e = errno;
	}
	if (fclose(a->f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	a->f = NULL;
	if (!bad && rename(a->tmp, a->path) != 0) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		unlink(a->tmp);
		uh_err_set(err, UH_EIO, "writing '%s': %s", a->path, strerror(e));
		release(a);
		return UH_EIO;
	}
	release(a);
	return 0;
}

void uh_atomic_abort(struct uh_atomic *a)
{
	if (!a || !a->tmp)
		return;
	if (a->f)
		fclose(a->f);
	unlink(a->tmp);
	release(a);
}
