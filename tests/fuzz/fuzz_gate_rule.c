/*
 * fuzz_gate_rule - the release-gate rule parser (report/gate.h) on
 * arbitrary bytes (up to the first NUL), then evaluation of what parses.
 * Invariants: a failed parse names a column within the text (+1 for its
 * end) and returns no rule; a parsed rule names a non-empty metric that
 * starts the text (after blanks) and evaluates without crashing, with and
 * without a baseline.
 */
#include "report/gate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct uh_gate_rule *r = NULL;
	struct uh_gate_result res;
	struct uh_err err;
	size_t col = 0, len;
	double baseline = 0.5;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text);
	if (uh_gate_parse(text, &r, &col, &err)) {
		if (r || col < 1 || (col > len + 1 && len <= UH_GATE_MAX_TEXT))
			__builtin_trap();
	} else {
		const char *m = uh_gate_rule_metric(r);
		const char *t = text + strspn(text, " \t");

		if (!r || !*m || strncmp(t, m, strlen(m)) || strcmp(uh_gate_rule_text(r), text))
			__builtin_trap();
		(void)uh_gate_eval(r, 0.25, &baseline, &res, &err);
		(void)uh_gate_eval(r, 0.25, NULL, &res, &err);
		uh_gate_rule_free(r);
	}
	free(text);
	return 0;
}
