/*
 * fuzz_logs - the official-log readers on arbitrary bytes: TOFU task logs
 * (new dict and old list formats, each task's perturbed width), the
 * open-unlearning *_EVAL.json and *_SUMMARY.json parsers, and the
 * recompute-and-verify pass an importer runs on what they accept.
 *
 * Byte 0 picks the reader: 0-3 a TOFU task log of that task, 4 an OU eval,
 * 5 an OU summary, 6 an OU eval followed by verify. The rest is the input.
 */
#include "metrics/tofu_agg.h"
#include "suites/tofu_logs.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uh_err err;
	const char *json;
	size_t len;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0] % 7;
	json = (const char *)data + 1;
	len = size - 1;

	if (mode < 4) {
		struct uh_tofu_task_log tl;
		enum uh_tofu_format fmt;

		memset(&tl, 0, sizeof(tl));
		if (uh_tofu_task_log_parse(json, len, "fuzz.json", (enum uh_tofu_task)mode, &tl, &fmt,
					   &err) == 0)
			uh_tofu_task_log_release(&tl);
		else if (!err.msg[0])
			__builtin_trap(); /* every failure must say why */
	} else if (mode == 5) {
		struct uh_ou_eval ev;

		memset(&ev, 0, sizeof(ev));
		if (uh_ou_summary_parse(json, len, "fuzz_SUMMARY.json", &ev, &err) != 0 && !err.msg[0])
			__builtin_trap();
		uh_ou_eval_release(&ev);
	} else {
		struct uh_ou_eval ev;
		size_t n_checked = 0;

		memset(&ev, 0, sizeof(ev));
		if (uh_ou_eval_parse(json, len, "fuzz_EVAL.json", &ev, &err) == 0) {
			if (mode == 6)
				(void)uh_tofu_agg_ou_verify(&ev, NULL, 1e-12, &n_checked, &err);
			uh_ou_eval_release(&ev);
		} else if (!err.msg[0]) {
			__builtin_trap();
		}
	}
	return 0;
}
