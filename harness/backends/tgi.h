/*
 * tgi.h - the built-in backend for Hugging Face text-generation-inference
 * (spec/algorithms.md §6.5), over libcurl.
 *
 * Options (--opt key=value): url (the server, e.g. http://gpu:8080; a final
 * "/v1" is ignored; several for load balancing, as for openai), model (a
 * name for model_id; default: GET /info's model_id), concurrency (8),
 * timeout (120 s), retries (5), api_key_env (OPENAI_API_KEY; bearer token),
 * backoff, backoff_cap, max_response, and eos_token: the text of the
 * end-of-text token (e.g. "</s>"), which UH_SCORE_EOS appends to the input.
 *
 * Scoring: POST /tokenize of context + continuation (+ eos_token) gives the
 * tokens and their byte offsets; the context is every token that starts
 * before the context's last byte ends (zero-width special tokens at the
 * start, such as a BOS, count as context). POST /generate with
 * max_new_tokens 1, details and decoder_input_details returns the prefill,
 * which must list the same ids (after one leading BOS that /tokenize may
 * leave out); the continuation's log-probability
 * is the sum of the prefill logprobs after the context, left to right. A
 * null (the first prefill logprob is always null), NaN or -9999 value in a
 * scored position is an error naming the request and the endpoint.
 *
 * is_greedy is always 0: TGI's prefill has no per-position alternatives, so
 * whether a prompt token is the argmax cannot be known. The backend
 * therefore does not advertise UH_CAN_TOKEN_LOGPROBS and fills no per-token
 * arrays: metrics that need greedy flags (exact memorization, extraction
 * strength) fail with a message naming the capability.
 *
 * Generation: POST /generate with max_new_tokens, do_sample false and the
 * stop sequences; TGI includes a matched stop sequence in generated_text,
 * so it is cut off here. tokenize(): the number of non-special tokens of
 * POST /tokenize (tokens with a non-empty byte span).
 *
 * model_id is "tgi:<model>@<host:port of the first url>".
 */
#ifndef UH_HARNESS_BACKENDS_TGI_H
#define UH_HARNESS_BACKENDS_TGI_H

#include "harness/backend.h"

/* The backend table (name "tgi", SCORE|GENERATE|TOKENIZE). Static. */
const struct uh_backend_api *uh_tgi_backend(void);

#endif
