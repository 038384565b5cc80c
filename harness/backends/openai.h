/*
 * openai.h - the built-in backend for OpenAI-compatible completion servers
 * (vLLM first; spec/algorithms.md §6.2 and §6.6), over libcurl.
 *
 * Options (--opt key=value):
 *   url          endpoint base, e.g. http://gpu:8000/v1; repeat the key or give
 *                a comma-separated list for several load-balanced endpoints
 *   model        model name sent to the server (default: --model, else the
 *                first id of GET {url}/models)
 *   concurrency  HTTP requests in flight (default 8)
 *   batch        most prompts per scoring request (default 16); a call with
 *                fewer than concurrency * batch prompts is spread evenly over
 *                the connections instead
 *   timeout      seconds per request attempt (default 120)
 *   retries      extra attempts on 429, 5xx and transport errors (default 5)
 *   api_key_env  environment variable holding the API key, sent as a bearer
 *                token (default OPENAI_API_KEY; unset there means no key)
 *   tokenize     auto|yes|no: send token-id prompts using the server's
 *                POST {root}/tokenize (root is the url minus "/v1"); auto
 *                probes it (and GET {root}/tokenizer_info) as lm-eval does
 *   eos_id       end-of-text id for UH_SCORE_EOS (default: tokenizer_info)
 *   backoff, backoff_cap  retry backoff base and ceiling in seconds (0.25, 8)
 *   max_response largest response body in bytes (default 64 MiB)
 *
 * Scoring with token ids (preferred): as lm-eval's _encode_pair, the
 * context's trailing whitespace (' ', \t, \n, \r, \v, \f) moves to the
 * front of the continuation ("Answer: " + "Paris" is "Answer:" + " Paris"),
 * then the context and the whole text (context + continuation) are
 * tokenized without special tokens, the continuation's ids are the whole
 * text's after as many as the context has (lm-eval's whole[len(ctx):]: a
 * SentencePiece tokenizer gives a lone " Paris" a prefix-space token that
 * the whole text does not have), the prompt is
 * ids(context) + those ids (+ eos), sent with max_tokens 0, echo and
 * logprobs 1, and the continuation is token_logprobs[len(ids(context)):],
 * summed left to right; a token is greedy when its logprob equals the
 * largest value of its top_logprobs. An empty context is prefixed with the
 * eos id, as lm-eval does. Without /tokenize, prompts are strings and the
 * continuation starts at the first token whose text_offset reaches the
 * length in characters of the context without its trailing whitespace
 * (lm-eval's gguf split, with the whitespace moved as above): the server's
 * per-token text need not match the prompt, so a token straddling the
 * boundary counts as context; prefer a server with /tokenize. Token ids
 * of strings seen before come from a cache (32 MiB, oldest out first), so
 * a question scored against several answers is tokenized once.
 *
 * A null, NaN, -9999 (vLLM's clamp of -inf) or positive log-probability in
 * a scored position, missing logprobs or arrays of the wrong length are
 * errors naming the request and the endpoint, never numbers.
 *
 * Generation sends one prompt per request (usage.completion_tokens is per
 * request) with temperature 0 and seed 1234. finish_reason "stop" with a
 * string stop_reason is a stop-string match, otherwise the model's EOS.
 *
 * model_id is "openai:<model>@<host:port of the first url>". The API key
 * appears in no message and no identity.
 */
#ifndef UH_HARNESS_BACKENDS_OPENAI_H
#define UH_HARNESS_BACKENDS_OPENAI_H

#include "harness/backend.h"

/*
 * The backend table (name "openai", SCORE|GENERATE|TOKENIZE|TOKEN_LOGPROBS).
 * Static. Calls on one instance are serialized by a lock.
 */
const struct uh_backend_api *uh_openai_backend(void);

#endif
