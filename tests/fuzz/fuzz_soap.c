/*
 * fuzz_soap.c - libFuzzer target of the i-Parapheur SOAP side
 * (src/compat/ipar_soap.c, ipar_mtom.c): the input's first line is the
 * request's Content-Type (text/xml, or multipart/related with its boundary
 * and start: the MTOM splitter), the rest its body.  An envelope taken has
 * each child of its request read as text and as a TypeDoc (base64 or an
 * xop:Include of a part).  Then an answer is built around what was read and
 * must itself parse back, inline or as MTOM, with the answer element first
 * in its Body.  `make fuzz` builds it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>

#include "compat/ipar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx, (void)msg;
}

/* Every child as text and as a binary; the bytes of the last binary read. */
static void
read_children(const struct ipar_req *r, struct buf *last)
{
	for (xmlNodePtr c = r->op->children; c; c = c->next) {
		struct buf b;
		char *ctype = NULL, *t;
		struct lerr e;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		free(ipar_text(r->op, (const char *)c->name));
		t = ipar_node_text(c);
		free(t);
		buf_init(&b, 1 << 20);
		if (!ipar_binary(r, c, &b, &ctype, &e)) {
			buf_reset(last);
			if (buf_add(last, b.data, b.len))
				abort();
		}
		free(ctype);
		buf_fini(&b);
	}
}

/* Our own answer must parse back. */
static void
answer(const struct ipar_req *r, const struct buf *bin)
{
	struct ipar_resp w;
	struct ipar_req back;
	char *out = NULL, *ctype = NULL;
	size_t n = 0;
	struct lerr e;
	xmlNodePtr el = ipar_resp_begin(&w, "GetDossierResponse", r->mtom);

	ipar_resp_text(&w, el, "DossierID", r->op_name);
	if (ipar_resp_binary(&w, el, "DocPrincipal", bin->data ? bin->data : "", bin->len, "application/pdf"))
		abort();
	ipar_resp_retour(&w, el, 1, "");
	if (ipar_resp_finish(&w, &out, &n, &ctype, &e))
		abort();
	if (ipar_parse(&back, ctype, out, n, &e) || strcmp(back.op_name, "GetDossierResponse")) {
		fprintf(stderr, "our answer does not parse back: %s (%s)\n", e.msg, e.detail);
		abort();
	}
	ipar_req_fini(&back);
	free(out);
	free(ctype);
	ipar_resp_fini(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 512 ? size : 512);
	char ctype[513];
	struct ipar_req r;
	struct buf last;
	struct lerr e;

	xmlSetGenericErrorFunc(NULL, quiet);
	if (!nl)
		return 0;
	memcpy(ctype, data, (size_t)(nl - data));
	ctype[nl - data] = '\0';
	if (memchr(ctype, '\0', (size_t)(nl - data)))
		return 0;
	buf_init(&last, 1 << 20);
	if (!ipar_parse(&r, ctype, nl + 1, size - (size_t)(nl - data) - 1, &e)) {
		read_children(&r, &last);
		answer(&r, &last);
	}
	ipar_req_fini(&r);
	buf_fini(&last);
	return 0;
}
