/*
 * null.h - the built-in backend that does no work, to measure the runner's
 * own overhead per request (and to test `uh serve` without a model).
 *
 * Tokens are whitespace-separated words (a non-empty string has at least
 * one); every token has log-probability -1.0 and is greedy; UH_SCORE_EOS
 * adds one token. Generation returns the first words of a fixed filler:
 * by default none ("" with finish EOS); the config key "words" (0..4096)
 * sets how many, cut by max_new_tokens (finish LENGTH) and by the first stop
 * string (finish STOP). n_tokens counts the words produced, plus the EOS.
 * model_id is "null". Token ids (UH_CAN_TOKEN_IDS): a word "t<k>" is id k,
 * any other word a 31-bit hash of it; id k decodes to " t<k>", and the EOS
 * id 0 to "".
 */
#ifndef UH_HARNESS_BACKENDS_NULL_H
#define UH_HARNESS_BACKENDS_NULL_H

#include "harness/backend.h"

/* The backend table (name "null", SCORE|GENERATE|TOKENIZE|TOKEN_LOGPROBS|TOKEN_IDS). Static. */
const struct uh_backend_api *uh_null_backend(void);

#endif
