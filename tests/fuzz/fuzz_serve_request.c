/*
 * fuzz_serve_request - uh_serve_handle on arbitrary bytes: the request-body
 * handler of `uh serve` without sockets, over the built-in ngram (trained
 * once on a few sentences) and null backends.
 *
 * Byte 0 picks the backend (bit 0) and the endpoint (bits 1-3); the rest is
 * the body. Every answer must be a JSON document (or empty for /health) with
 * a known status.
 */
#include "harness/backends/ngram.h"
#include "harness/backends/null.h"
#include "harness/backends/registry.h"
#include "harness/serve.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const docs[] = {
	"the cat sat on the mat. the dog sat on the log.",
	"Answer: a cat is not a dog, and 42 is a number.",
	"caf\xc3\xa9 au lait, s'il vous pla\xc3\xaet.",
};

static struct uh_backend backends[2];
static struct uh_server *servers[2];

static void init(void)
{
	struct uh_ngram *m = NULL;
	struct uh_err err;

	if (uh_ngram_train(docs, sizeof(docs) / sizeof(docs[0]), NULL, &m, &err) < 0 ||
	    uh_backend_wrap(&backends[0], uh_ngram_backend(), m, "ngram", 1, &err) < 0 ||
	    uh_backend_open(&backends[1], "null", NULL, &err) < 0 ||
	    uh_serve_new(&backends[0], NULL, &servers[0], &err) < 0 ||
	    uh_serve_new(&backends[1], NULL, &servers[1], &err) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[8][2] = {
		{ "POST", "/v1/completions" }, { "POST", "/v1/completions" },
		{ "POST", "/v1/completions?x=1" }, { "POST", "/tokenize" },
		{ "POST", "/detokenize" }, { "GET", "/tokenizer_info" },
		{ "GET", "/v1/models" }, { "GET", "/nope" },
	};
	struct uh_serve_reply r;
	unsigned sel;

	if (!servers[0])
		init();
	if (size < 1)
		return 0;
	sel = data[0];
	if (uh_serve_handle(servers[sel & 1], paths[(sel >> 1) & 7][0], paths[(sel >> 1) & 7][1],
			    (const char *)data + 1, size - 1, &r) < 0)
		return 0; /* out of memory */
	if (r.status != 200 && r.status != 400 && r.status != 404 && r.status != 405 &&
	    r.status != 500)
		__builtin_trap();
	if (r.body) {
		cJSON *j = cJSON_ParseWithLength(r.body, r.len);

		if (!j)
			__builtin_trap(); /* the answer is always JSON */
		cJSON_Delete(j);
	}
	uh_serve_reply_release(&r);
	return 0;
}
