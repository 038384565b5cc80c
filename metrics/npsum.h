/*
 * npsum.h - numpy's summation, bit for bit.
 *
 * np.sum / np.add.reduce over a contiguous float64 array: chunks of at most
 * 8192 elements (numpy's buffer size) added left to right, each chunk summed
 * with numpy's pairwise algorithm (8 accumulators up to 128 elements, split
 * in halves rounded down to a multiple of 8 above). See
 * spec/algorithms.md §5.3. Compile with -ffp-contract=off.
 */
#ifndef UH_METRICS_NPSUM_H
#define UH_METRICS_NPSUM_H

#include <stddef.h>

/* np.sum(a[0..n)). Returns 0.0 for n == 0. */
double uh_npsum(const double *a, size_t n);

/* np.mean(a[0..n)) = np.sum / n. Returns NaN for n == 0 (as numpy does). */
double uh_npmean(const double *a, size_t n);

/* Python's sum(): sequential left-to-right, starting at 0.0. */
double uh_seqsum(const double *a, size_t n);

#endif
