/*
 * fuzz_acquit.c - libFuzzer target of the Hélios returns (transmit/acquit.c):
 * the input is read as a PES_ACQUIT and, line by line, as the response
 * directory's listing.  The counts must add up, the verdict be 0 or 1, the
 * reason stay within its cap and the refused elements be JSON strings.
 * `make fuzz` builds it (clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transmit/xmit_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
listing(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	for (char *save = NULL, *n = strtok_r(s, "\r\n", &save); n; n = strtok_r(NULL, "\r\n", &save)) {
		const char *base = xmit_ftp_entry(n);

		if (base && (base < n || base > n + strlen(n) || strchr(base, ' ')))
			abort();
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xmit_acquit a;
	struct lerr e;
	int accepted = -1;
	char reason[512], nomfic[128];

	if (xmit_acquit_parse(data, size, &a, &e) == 0) {
		if (a.ok + a.ko != a.elements || a.ok_pj > a.ok || a.ko_pj + a.ko_file > a.ko ||
		    (a.accepted != 0 && a.accepted != 1) || a.reason.len > a.reason.max ||
		    memchr(a.nomfic, '\0', sizeof(a.nomfic)) == NULL || !json_is_array(a.refused))
			abort();
		for (size_t i = 0; i < json_array_size(a.refused); i++)
			if (!json_is_string(json_array_get(a.refused, i)))
				abort();
		if (xmit_acquit_read(data, size, &accepted, reason, sizeof(reason), nomfic, &e) ||
		    accepted != a.accepted)
			abort();        /* the same file, the same verdict */
	}
	xmit_acquit_fini(&a);
	{
		char idcoll[32];

		if (xmit_pes_retour(data, size, idcoll) && !memchr(idcoll, '\0', sizeof(idcoll)))
			abort();        /* the PES_Retour reader, same file */
	}
	listing(data, size);
	return 0;
}
