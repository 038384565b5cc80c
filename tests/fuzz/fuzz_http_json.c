/*
 * fuzz_http_json - the flat JSON reader of harness/backends/http.c (which
 * reads every scoring answer of the openai backend) on arbitrary bytes,
 * checked against cJSON: whatever it accepts cJSON accepts too, with the
 * same shape (types, sizes, member order) and the same numbers.
 */
#include "harness/backends/http.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Compare token i with node j; returns the token after i's subtree. */
static long same(const struct uh_http_jdoc *d, long i, const cJSON *j)
{
	const struct uh_http_jtok *t = &d->t[i];
	long c = i + 1;
	const cJSON *x;
	double v;

	switch (t->type) {
	case UH_JT_NULL:
		if (!cJSON_IsNull(j))
			abort();
		break;
	case UH_JT_TRUE:
		if (!cJSON_IsTrue(j))
			abort();
		break;
	case UH_JT_FALSE:
		if (!cJSON_IsFalse(j))
			abort();
		break;
	case UH_JT_STR:
		if (!cJSON_IsString(j))
			abort();
		break;
	case UH_JT_NUM:
		if (!cJSON_IsNumber(j) || uh_http_jdoc_num(d, i, &v) < 0)
			abort();
		if (!(v == j->valuedouble || (isnan(v) && isnan(j->valuedouble))))
			abort();
		break;
	case UH_JT_ARR:
	case UH_JT_OBJ:
		if (t->type == UH_JT_ARR ? !cJSON_IsArray(j) : !cJSON_IsObject(j))
			abort();
		if ((int)t->n != cJSON_GetArraySize(j))
			abort();
		cJSON_ArrayForEach(x, j) {
			if (t->type == UH_JT_OBJ) {
				const struct uh_http_jtok *k = &d->t[c];

				if (k->type != UH_JT_STR)
					abort();
				if (!memchr(d->s + k->start, '\\', k->end - k->start) &&
				    (strlen(x->string) != k->end - k->start ||
				     memcmp(x->string, d->s + k->start, k->end - k->start)))
					abort();
				c++;
			}
			c = same(d, c, x);
		}
		if ((uint32_t)c != t->next)
			abort();
		return c;
	}
	return i + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), why[256];
	struct uh_http_jdoc d = { 0 };

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (uh_http_jdoc_parse(&d, s, size, why, sizeof(why)) == 0 && !memchr(s, '\0', size)) {
		cJSON *j = cJSON_ParseWithLength(s, size);

		if (!j)
			abort();  /* we accepted what cJSON rejects */
		if (same(&d, 0, j) != (long)d.n)
			abort();
		cJSON_Delete(j);
	}
	uh_http_jdoc_release(&d);
	free(s);
	return 0;
}
