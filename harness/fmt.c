#include "harness/fmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

char *uh_fmt_double(char *buf, size_t n, double v)
{
	/* non-finite values and exact zeros need no search */
	if (!isfinite(v) || v == 0.0) {
		snprintf(buf, n, "%g", v);
		return buf;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, n, "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			return buf;
	}
	return buf; /* %.17g always reads back; not reached */
}
