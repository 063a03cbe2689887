/*
 * fuzz_imap.c - libFuzzer target of the @ctes returns read over IMAP: the
 * input is one e-mail as a FETCH hands it over.  Its attachments are found
 * (transmit/mime.c: multiparts, names, base64) and each is read as
 * transmit/imap.c does: a tar.gz is unpacked (transmit/tgz.c), an XML file
 * goes through the guard (core/xmlguard).  Every read stays in its bounds
 * (ASan); every archive member lies inside the archive.  `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmlguard.h"
#include "transmit/mime.h"
#include "transmit/xmit_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
member(void *arg, const char *name, const void *data, size_t len)
{
	struct lerr e;
	size_t n = strlen(name);

	(void)arg;
	if (len)                        /* touches the first and last bytes */
		(void)!(((const volatile char *)data)[0] + ((const volatile char *)data)[len - 1]);
	if (n > 4 && !strcasecmp(name + n - 4, ".xml"))
		(void)!xmlguard_check(data, len, XMIT_MAX_XML_RETURN, &e);
	return 0;
}

static int
tar_member(void *arg, const char *name, const void *data, size_t len)
{
	if (strlen(name) > 100)
		abort();                /* a tar name is at most 100 bytes */
	return member(arg, name, data, len);
}

static int
attachment(void *arg, const char *name, const void *data, size_t len)
{
	size_t n = strlen(name);
	struct lerr e;

	if (n > 255)
		abort();                /* names are cut to fit */
	if (!data)
		return 0;               /* not base64: skipped */
	if ((n > 7 && !strcasecmp(name + n - 7, ".tar.gz")) || (n > 4 && !strcasecmp(name + n - 4, ".tgz")))
		(void)!xmit_tgz_each(data, len, tar_member, arg, &e);
	else
		member(arg, name, data, len);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the exact bytes, no NUL after them: a read past the end is caught */
	char *msg = malloc(size ? size : 1);
	char out[64];

	memcpy(msg, data, size);
	(void)xmit_mime_each(msg, size, attachment, NULL);
	(void)xmit_mime_param(msg, size, "boundary", out, sizeof(out));
	free(msg);
	return 0;
}
