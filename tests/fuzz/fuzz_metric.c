/*
 * fuzz_metric - the `uh metric` line handlers (harness/cmd_metric.h) on
 * arbitrary bytes, read through the JSONL reader as the command reads them.
 * Every output line must parse back as a JSON object.
 *
 * Byte 0 picks the run: kind = b % 5; bit 3 is --no-stem (rouge), --plain
 * (stem) or --corpus (bleu); b >> 4, when below 8, is bleu's --nltk-method.
 * The rest is the input.
 */
#include "harness/cmd_metric.h"
#include "harness/jsonl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_output(char *text)
{
	size_t n;
	cJSON *o;

	if (!text)
		return;
	n = strlen(text);
	if (!n || text[n - 1] != '\n' || memchr(text, '\n', n - 1))
		__builtin_trap();
	o = cJSON_ParseWithLength(text, n);
	if (!cJSON_IsObject(o))
		__builtin_trap();
	cJSON_Delete(o);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uh_metric m;
	struct uh_jsonl r;
	struct uh_err err;
	char *text;
	FILE *f;
	int rc = 0;

	if (size < 2)
		return 0;
	uh_metric_init(&m, (enum uh_metric_kind)(data[0] % 5));
	if (data[0] & 8) {
		m.use_stemmer = false;
		m.plain = m.kind == UH_METRIC_STEM;
		m.corpus = m.kind == UH_METRIC_BLEU;
	}
	if ((data[0] >> 4) < 8 && !m.corpus)
		m.nltk_method = data[0] >> 4;
	f = fmemopen((void *)(data + 1), size - 1, "rb");
	if (!f)
		return 0;
	if (uh_jsonl_init(&r, f, "fuzz.jsonl", 0, &err)) {
		fclose(f);
		return 0;
	}
	for (;;) {
		const cJSON *obj;
		const char *line;
		size_t len;

		if (m.plain)
			rc = uh_jsonl_next_line(&r, &line, &len, &err);
		else
			rc = uh_jsonl_next(&r, &obj, &err);
		if (rc || (m.plain ? !line : !obj))
			break;
		rc = uh_metric_line(&m, &r, &text, &err);
		if (rc)
			break;
		check_output(text);
	}
	if (!rc && !uh_metric_finish(&m, &text, &err))
		check_output(text);
	/* What the command calls a data error must say where it is. */
	if (rc == UH_EINVAL && !strstr(err.msg, "fuzz.jsonl' line "))
		__builtin_trap();
	if (rc == UH_EINTERNAL)
		__builtin_trap();
	uh_jsonl_release(&r);
	uh_metric_release(&m);
	fclose(f);
	return 0;
}
