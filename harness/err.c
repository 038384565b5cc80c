#include "harness/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void uh_err_clear(struct uh_err *err)
{
	if (!err)
		return;
	err->code = UH_OK;
	err->msg[0] = '\0';
}

int uh_err_set(struct uh_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int uh_err_prefix(struct uh_err *err, const char *fmt, ...)
{
	char old[UH_ERR_MSG_MAX];
	size_t n;
	va_list ap;

	if (!err)
		return UH_EINTERNAL;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	if (n < sizeof(err->msg) - 1)
		snprintf(err->msg + n, sizeof(err->msg) - n, "%s", old);
	return err->code;
}

const char *uh_strerror(int code)
{
	switch (code) {
	case UH_OK: return "success";
	case UH_EINVAL: return "invalid input";
	case UH_ENOMEM: return "out of memory";
	case UH_EIO: return "i/o error";
	case UH_EDB: return "database error";
	case UH_ENUM: return "numerical error";
	case UH_ENOTFOUND: return "not found";
	case UH_EINTERNAL: return "internal error";
	default: return "unknown error";
	}
}
