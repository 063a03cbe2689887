#include "flow/pes_xsd.h"

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmlguard.h"
#include "flow/xsd_fr.h"

static xmlSchemaPtr schema;

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int
pes_xsd_load(const char *path, struct lerr *e)
{
	xmlSchemaParserCtxtPtr pc;

	xmlInitParser();
	xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
	pc = xmlSchemaNewParserCtxt(path);
	if (!pc)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	xmlSchemaSetParserErrors(pc, quiet, quiet, NULL);
	schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	if (!schema) {
		lerr_set(e, LERR_INVALID, "pes_xsd", "cannot load the PES schema %s", path);
		lerr_hint(e, "point pes_xsd at PES_V2/Rev0/PES_Aller.xsd of the DGFiP schema set, or leave it empty");
		return LERR_INVALID;
	}
	log_info("PES schema loaded from %s", path);
	return 0;
}

int
pes_xsd_loaded(void)
{
	return schema != NULL;
}

void
pes_xsd_free(void)
{
	if (schema)
		xmlSchemaFree(schema);
	schema = NULL;
}

struct findings {
	json_t *warnings;
	int count;
};

static void
on_error(void *arg, xmlErrorPtr err)
{
	struct findings *f = arg;
	char text[1200];

	if (f->count++ >= PES_XSD_MAX_WARNINGS)
		return;
	xsd_error_fr(err, text, sizeof(text));   /* French, then libxml2's text */
	json_array_append_new(f->warnings, json_string(text));
}

static int
validate(struct xmlguard_io *io, struct findings *f)
{
	xmlTextReaderPtr r = xmlReaderForIO(xmlguard_io_read, store_blob_close, io, NULL, NULL,
					    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	int rc;

	if (!r)
		return -1;
	xmlTextReaderSetStructuredErrorHandler(r, on_error, f);
	if (xmlTextReaderSetSchema(r, schema) != 0) {
		xmlFreeTextReader(r);
		return -1;
	}
	while ((rc = xmlTextReaderRead(r)) == 1)
		;
	xmlFreeTextReader(r);
	return rc < 0 && !f->count ? -1 : 0;
}

int
pes_xsd_job(struct store_conn *c, const struct job *j, struct lerr *e)
{
	struct store_blob_reader s = { 0 };
	struct xmlguard_io io;
	struct findings f = { json_array(), 0 };
	struct doc_file file;
	char *text = NULL;
	int rc;

	if (!schema) {   /* pes_xsd was emptied since the job was queued */
		json_decref(f.warnings);
		return 0;
	}
	if ((rc = store_doc_file(c, j->doc_id, 0, 0, &file, e)) ||
	    (rc = store_blob_reader_init(&s, c, file.blob_id, file.nchunks, e)))
		goto out;
	xmlguard_io_init(&io, store_blob_read, &s);   /* defence in depth: the upload scan ran it too */
	if (validate(&io, &f) && !s.failed && !io.refused) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "the PES could not be read for the XSD check");
		goto out;
	}
	if (s.failed) {
		*e = s.err;
		rc = e->kind ? e->kind : LERR_INTERNAL;
		goto out;
	}
	if (io.refused && f.count < PES_XSD_MAX_WARNINGS) {
		json_array_append_new(f.warnings, json_sprintf("XSD : vérification arrêtée (XSD check stopped): %s (%s)", io.refusal.msg,
							       io.refusal.detail));
		f.count++;
	}
	if (f.count > PES_XSD_MAX_WARNINGS)
		json_array_append_new(f.warnings, json_sprintf("XSD : %d autre(s) écart(s) non listé(s) (%d more deviation(s) not listed)",
							       f.count - PES_XSD_MAX_WARNINGS,
							       f.count - PES_XSD_MAX_WARNINGS));
	if (f.count) {
		text = json_dumps(f.warnings, JSON_COMPACT);
		rc = store_doc_add_warnings(c, j->doc_id, text, e);
	}
	log_info("XSD check: %d deviation(s)", f.count);
out:
	free(text);
	store_blob_reader_fini(&s);
	json_decref(f.warnings);
	return rc;
}
