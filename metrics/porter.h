/*
 * porter.h - nltk 3.8 PorterStemmer() in its default NLTK_EXTENSIONS mode,
 * the stemmer rouge_score uses: spec/algorithms.md §2.
 */
#ifndef UH_METRICS_PORTER_H
#define UH_METRICS_PORTER_H

#include <stddef.h>

/*
 * Stem word[0..len) (ASCII; lower-cased first, as nltk does) into out, which
 * must hold at least len + 2 bytes. Writes a NUL-terminated stem and returns
 * its length.
 */
size_t uh_porter_stem(const char *word, size_t len, char *out);

#endif
