/*
 * fuzz_actes_class.c - libFuzzer target of the 7-2 RetourClassification
 * reader (src/transmit/actes_class.c, input from the prefecture's mail):
 * whatever the bytes, it returns without crashing or leaking, and what it
 * accepts is a JSON object with a date and at least one matière.
 * `make fuzz` builds it (clang).
 */
#include "transmit/xmit_int.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	struct lerr e;

	lerr_clear(&e);
	if (xmit_actes_classification_json(data, size, &j, &e) == 0) {
		if (!json_is_object(j) || !json_string_value(json_object_get(j, "date")) ||
		    json_array_size(json_object_get(j, "matieres")) == 0)
			abort();
	} else if (j) {
		abort();
	}
	json_decref(j);
	return 0;
}
