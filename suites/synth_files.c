/*
 * synth_files.c - the output folder and atomic file writes of the
 * synthesizers (suites/synth_files.h).
 */
#include "suites/synth_files.h"

#include "suites/synth_tofu.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* dir and its parents; an existing path that is not a folder is refused. */
static int mkdir_p(const char *dir, struct uh_err *err)
{
	char *p;
	struct stat st;
	int rc = 0;

	if (!dir || !*dir)
		return uh_err_set(err, UH_EINVAL, "no output folder given");
	if (!(p = strdup(dir)))
		return uh_err_set(err, UH_ENOMEM, "out of memory");
	for (char *s = p + 1; ; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			rc = uh_err_set(err, UH_EIO, "cannot create folder '%s': %s", p, strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	if (!rc && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
		rc = uh_err_set(err, UH_EINVAL, "output path '%s' exists and is not a folder", dir);
	free(p);
	return rc;
}

int uh_synth_dir_prepare(const char *dir, bool force, struct uh_err *err)
{
	DIR *d;
	struct dirent *e;
	bool empty = true, marked = false;
	int rc;

	if ((rc = mkdir_p(dir, err)))
		return rc;
	if (!(d = opendir(dir)))
		return uh_err_set(err, UH_EIO, "cannot read folder '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		empty = false;
		if (!strcmp(e->d_name, UH_SYNTH_MARKER))
			marked = true;
	}
	closedir(d);
	if (!empty && !marked && !force)
		return uh_err_set(err, UH_EINVAL,
				  "output folder '%s' is not empty and has no %s marker from an earlier synth run; "
				  "pass --force to write into it anyway", dir, UH_SYNTH_MARKER);
	return 0;
}

int uh_synth_file_write(const char *dir, const char *name, const char *data, size_t len,
			struct uh_err *err)
{
	char tmp[4200], path[4200], folder[4200];
	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	int fd, rc = 0;
	size_t off = 0;
	int nf = slash ? snprintf(folder, sizeof(folder), "%s/%.*s", dir, (int)(slash - name), name)
		       : snprintf(folder, sizeof(folder), "%s", dir);

	/* the temporary file lives beside the target: rename(2) stays within one folder */
	if ((size_t)nf >= sizeof(folder) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-XXXXXX", folder, base) >= sizeof(tmp))
		return uh_err_set(err, UH_EINVAL, "output path '%s' is too long", dir);
	if (slash && (rc = mkdir_p(folder, err)))
		return rc;
	fd = mkstemp(tmp);
	if (fd < 0)
		return uh_err_set(err, UH_EIO, "cannot create a temporary file in '%s': %s", folder,
				  strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = uh_err_set(err, UH_EIO, "cannot write '%s': %s", tmp, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (!rc && fchmod(fd, 0644) != 0)
		rc = uh_err_set(err, UH_EIO, "cannot set the mode of '%s': %s", tmp, strerror(errno));
	if (!rc && fsync(fd) != 0)
		rc = uh_err_set(err, UH_EIO, "cannot sync '%s': %s", tmp, strerror(errno));
	if (close(fd) != 0 && !rc)
		rc = uh_err_set(err, UH_EIO, "cannot close '%s': %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path) != 0)
		rc = uh_err_set(err, UH_EIO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}
