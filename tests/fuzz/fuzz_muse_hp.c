/*
 * fuzz_muse_hp - the MUSE and Harry Potter readers on arbitrary bytes:
 * MUSE {prompt, gt} and {question, answer} lists, MUSE text lists (and the
 * few-shot prompt built from what they accept), HP {prompt, response} JSON
 * Lines and the HP plain-text document splitter.
 *
 * Byte 0 picks the reader: 0 verbmem pairs, 1 QA pairs + ICL prompt,
 * 2 texts, 3 HP rows, 4 HP documents. The rest is the input.
 */
#include "suites/hp.h"
#include "suites/muse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uh_err err;
	const char *in;
	size_t len;
	int rc;

	if (size < 1)
		return 0;
	in = (const char *)data + 1;
	len = size - 1;
	err.msg[0] = '\0';
	switch (data[0] % 5) {
	case 0:
	case 1: {
		struct uh_muse_pairs p;
		bool qa = data[0] % 5 == 1;

		rc = uh_muse_parse_pairs(in, len, "fuzz.json", qa ? "question" : "prompt", qa ? "answer" : "gt",
					 &p, &err);
		if (!rc) {
			char *prompt = uh_muse_icl_prompt(&p, p.p[0].a);

			if (prompt) {
				(void)uh_muse_answer_cut(prompt);
				free(prompt);
			}
			uh_muse_pairs_release(&p);
		}
		break;
	}
	case 2: {
		struct uh_muse_texts t;

		rc = uh_muse_parse_texts(in, len, "fuzz.json", &t, &err);
		if (!rc)
			uh_muse_texts_release(&t);
		break;
	}
	case 3: {
		struct uh_hp_rows r;

		rc = uh_hp_parse_rows(in, len, "fuzz.jsonl", &r, &err);
		if (!rc)
			uh_hp_rows_release(&r);
		break;
	}
	default: {
		struct uh_hp_docs d;

		rc = uh_hp_parse_docs(in, len, "fuzz.txt", &d, &err);
		if (!rc) {
			for (size_t i = 0; i < d.n; i++)
				(void)uh_hp_words(d.d[i]);
			uh_hp_docs_release(&d);
		}
		break;
	}
	}
	if (rc && !err.msg[0])
		__builtin_trap(); /* every failure must say why */
	return 0;
}
