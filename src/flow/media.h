/*
 * media.h - what a file is, from its first bytes, and whether we take it.
 *
 * The caller gives the first MEDIA_HEAD_LEN bytes of the file (fewer if the
 * file is shorter).  Recognised: PDF, XML, PNG, JPEG, and the zip-based
 * office formats: OpenDocument (by its leading "mimetype" entry) and Office
 * Open XML (DOCX/XLSX/PPTX, by the part names in the local file headers).
 */
#ifndef LIASSE_FLOW_MEDIA_H
#define LIASSE_FLOW_MEDIA_H

#include <stddef.h>

#include "core/err.h"

#define MEDIA_HEAD_LEN 4096

#define MEDIA_PDF  "application/pdf"
#define MEDIA_XML  "application/xml"
#define MEDIA_PNG  "image/png"
#define MEDIA_JPEG "image/jpeg"
#define MEDIA_ZIP  "application/zip"
#define MEDIA_ODT  "application/vnd.oasis.opendocument.text"
#define MEDIA_DOCX "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define MEDIA_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define MEDIA_PPTX "application/vnd.openxmlformats-officedocument.presentationml.presentation"

/* The media type of the content (a static string), or NULL when unknown.
 * An OpenDocument file gives the type written in its "mimetype" entry when
 * it is an application/vnd.oasis.opendocument.* type; a zip whose kind the
 * head does not show gives "application/zip". */
const char *media_sniff(const void *head, size_t n);

/* 1 when the media type `type` appears in the space-separated list. */
int media_in_list(const char *type, const char *list);

/*
 * Decide the media type of an uploaded file.  declared: the part's
 * Content-Type (parameters are ignored; NULL, "" and application/octet-stream
 * mean "not said").  allowed_list: space-separated types (configuration key
 * document_media_types).  On success *effective is the type to store, always
 * a static string (the declared spelling when it agrees with the content, so
 * text/xml stays text/xml).  Only types liasse recognises can be accepted: a
 * type of allowed_list that media_sniff() never returns is never accepted.
 * Refusals (field "file", change e->field for annexes):
 *   LERR_MEDIATYPE  the type is not in allowed_list, or the content is not recognised;
 *   LERR_INVALID    the declared type contradicts the content.
 */
int media_check(const char *declared, const void *head, size_t n, const char *allowed_list,
		const char **effective, struct lerr *e) LERR_WUR;

#endif
