#include "metrics/npsum.h"

#include <math.h>

/* numpy/core/src/umath/loops_utils.h.src: pairwise_sum (DOUBLE). */
static double pairwise(const double *a, size_t n)
{
	if (n < 8) {
		double r = 0.0;
		for (size_t i = 0; i < n; i++)
			r += a[i];
		return r;
	}
	if (n <= 128) {
		double r[8], res;
		size_t i;

		for (i = 0; i < 8; i++)
			r[i] = a[i];
		for (i = 8; i < n - (n % 8); i += 8)
			for (size_t j = 0; j < 8; j++)
				r[j] += a[i + j];
		res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
		for (; i < n; i++)
			res += a[i];
		return res;
	}
	size_t n2 = n / 2;
	n2 -= n2 % 8;
	return pairwise(a, n2) + pairwise(a + n2, n - n2);
}

double uh_npsum(const double *a, size_t n)
{
	/* The ufunc reduction starts from the identity and adds each buffer's sum. */
	const size_t bufsize = 8192;
	double acc = 0.0;

	for (size_t off = 0; off < n; off += bufsize) {
		size_t len = n - off < bufsize ? n - off : bufsize;
		acc = acc + pairwise(a + off, len);
	}
	return acc;
}

double uh_npmean(const double *a, size_t n)
{
	if (n == 0)
		return NAN;
	return uh_npsum(a, n) / (double)n;
}

double uh_seqsum(const double *a, size_t n)
{
	double r = 0.0;

	for (size_t i = 0; i < n; i++)
		r += a[i];
	return r;
}
