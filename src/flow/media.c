/*
 * media.c - media type sniffing and the accepted-types check.
 */
#include "flow/media.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "flow/meta.h"

enum family {
	F_PDF, F_XML, F_PNG, F_JPEG, F_ODT, F_ODS, F_ODP, F_ODG, F_DOCX, F_XLSX,
	F_PPTX, F_OOXML, F_ZIP,
};

static const struct mtype {
	const char *name;
	enum family family;
} types[] = {
	{ MEDIA_PDF, F_PDF }, { MEDIA_XML, F_XML }, { "text/xml", F_XML },
	{ MEDIA_PNG, F_PNG }, { MEDIA_JPEG, F_JPEG }, { MEDIA_ODT, F_ODT },
	{ "application/vnd.oasis.opendocument.spreadsheet", F_ODS },
	{ "application/vnd.oasis.opendocument.presentation", F_ODP },
	{ "application/vnd.oasis.opendocument.graphics", F_ODG },
	{ MEDIA_DOCX, F_DOCX }, { MEDIA_XLSX, F_XLSX }, { MEDIA_PPTX, F_PPTX },
	{ MEDIA_ZIP, F_ZIP },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* The canonical entry of a family (the first one in the table). */
static const struct mtype *
family_type(enum family f)
{
	if (f == F_OOXML)
		f = F_ZIP;
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].family == f)
			return &types[i];
	return NULL;
}

static unsigned
le16(const unsigned char *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

static unsigned long
le32(const unsigned char *p)
{
	return le16(p) | (unsigned long)le16(p + 2) << 16;
}

/* OpenDocument: the first entry is "mimetype", stored, holding the type. */
static int
sniff_odf(const unsigned char *h, size_t n)
{
	size_t namelen, extra, size, data;

	if (n < 30 || le16(h + 8) != 0)
		return -1;
	namelen = le16(h + 26);
	extra = le16(h + 28);
	size = le32(h + 18);
	data = 30 + namelen + extra;
	if (namelen != 8 || memcmp(h + 30, "mimetype", 8) != 0 || data + size > n)
		return -1;
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].family >= F_ODT && types[i].family <= F_ODG &&
		    strlen(types[i].name) == size && memcmp(h + data, types[i].name, size) == 0)
			return (int)types[i].family;
	return -1;
}

static int
name_is(const unsigned char *name, size_t len, const char *prefix)
{
	size_t k = strlen(prefix);

	return len >= k && memcmp(name, prefix, k) == 0;
}

/* Office Open XML: look at the names of the local file headers in the head. */
static enum family
sniff_zip(const unsigned char *h, size_t n)
{
	enum family f = F_ZIP;
	const unsigned char *p = h, *end = h + n;
	int odf = sniff_odf(h, n);

	if (odf >= 0)
		return (enum family)odf;
	while ((p = memmem(p, (size_t)(end - p), "PK\3\4", 4)) != NULL && end - p >= 30) {
		size_t len = le16(p + 26);
		const unsigned char *name = p + 30;

		if (name + len > end)
			break;
		if (name_is(name, len, "word/"))
			return F_DOCX;
		if (name_is(name, len, "xl/"))
			return F_XLSX;
		if (name_is(name, len, "ppt/"))
			return F_PPTX;
		if (name_is(name, len, "[Content_Types].xml"))
			f = F_OOXML;
		p = name + len;
	}
	return f;
}

static int
sniff_xml(const unsigned char *h, size_t n)
{
	size_t i = 0;

	if (n >= 4 && ((h[0] == 0xFE && h[1] == 0xFF && h[2] == 0 && h[3] == '<') ||
		       (h[0] == 0xFF && h[1] == 0xFE && h[2] == '<' && h[3] == 0)))
		return 1;
	if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF)
		i = 3;
	while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
		i++;
	if (i + 1 >= n || h[i] != '<')
		return 0;
	if (n - i >= 5 && memcmp(h + i, "<?xml", 5) == 0)
		return 1;
	if (n - i >= 4 && memcmp(h + i, "<!--", 4) == 0)
		return 1;
	return (h[i + 1] >= 'A' && h[i + 1] <= 'Z') || (h[i + 1] >= 'a' && h[i + 1] <= 'z') ||
	       h[i + 1] == '_';
}

static const struct mtype *
sniff(const void *head, size_t n)
{
	const unsigned char *h = head;

	if (memmem(h, n < 1024 ? n : 1024, "%PDF-", 5))
		return family_type(F_PDF);
	if (n >= 8 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0)
		return family_type(F_PNG);
	if (n >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF)
		return family_type(F_JPEG);
	if (n >= 4 && memcmp(h, "PK\3\4", 4) == 0) {
		enum family f = sniff_zip(h, n);
		static const struct mtype ooxml = { MEDIA_ZIP, F_OOXML };

		return f == F_OOXML ? &ooxml : family_type(f);
	}
	if (sniff_xml(h, n))
		return family_type(F_XML);
	return NULL;
}

const char *
media_sniff(const void *head, size_t n)
{
	const struct mtype *t = sniff(head, n);

	return t ? t->name : NULL;
}

int
media_in_list(const char *type, const char *list)
{
	size_t k = strlen(type);
	const char *p = list;

	while (p && *p) {
		size_t w;

		p += strspn(p, " \t,");
		w = strcspn(p, " \t,");
		if (w == k && w > 0 && strncasecmp(p, type, k) == 0)
			return 1;
		p += w;
	}
	return 0;
}

/* The table entry of a declared Content-Type; *said = 0 when none was given. */
static const struct mtype *
declared_type(const char *declared, int *said, char *clean, size_t cleansz)
{
	size_t n;

	*said = 0;
	clean[0] = '\0';
	if (declared == NULL)
		return NULL;
	declared += strspn(declared, " \t");
	n = strcspn(declared, "; \t");
	if (n == 0 || (n == 24 && strncasecmp(declared, "application/octet-stream", 24) == 0))
		return NULL;
	*said = 1;
	snprintf(clean, cleansz, "%.*s", (int)(n < cleansz ? n : cleansz - 1), declared);
	for (size_t i = 0; i < NTYPES; i++)
		if (strcasecmp(types[i].name, clean) == 0)
			return &types[i];
	return NULL;
}

static int
compatible(const struct mtype *decl, const struct mtype *got)
{
	if (decl->family == got->family)
		return 1;
	if (decl->family == F_ZIP)       /* a zip it is; liasse knows better which */
		return got->family >= F_ODT;
	if (got->family == F_OOXML)      /* a package whose kind the head did not show */
		return decl->family == F_DOCX || decl->family == F_XLSX ||
		       decl->family == F_PPTX;
	return 0;
}

/* The accepted spelling of an effective type (text/xml <-> application/xml). */
static const struct mtype *
accepted(const struct mtype *t, const char *list)
{
	if (media_in_list(t->name, list))
		return t;
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].family == t->family && media_in_list(types[i].name, list))
			return &types[i];
	return NULL;
}

static int
refuse_contradiction(struct lerr *e, const char *clean, const struct mtype *got)
{
	char d[104];

	meta_clip(d, sizeof(d), clean);
	lerr_set(e, LERR_INVALID, "file", "declared media type does not match the content");
	lerr_detail(e, "the part says %s but the content is %s", d,
		    got->family == F_OOXML ? "an Office Open XML package" : got->name);
	lerr_hint(e, "send the right Content-Type for the part, or application/octet-stream "
		  "to let liasse tell");
	return LERR_INVALID;
}

int
media_check(const char *declared, const void *head, size_t n, const char *allowed_list,
	    const char **effective, struct lerr *e)
{
	char clean[128];
	int said;
	const struct mtype *got = sniff(head, n), *decl, *eff;

	*effective = NULL;
	decl = declared_type(declared, &said, clean, sizeof(clean));
	if (got == NULL) {
		lerr_set(e, LERR_MEDIATYPE, "file", "file type not recognised");
		lerr_detail(e, "the content is not PDF, XML, PNG, JPEG, OpenDocument or "
			    "Office Open XML");
		lerr_hint(e, "accepted media types: %s", allowed_list);
		return LERR_MEDIATYPE;
	}
	if (said && (decl == NULL || !compatible(decl, got)))
		return refuse_contradiction(e, clean, got);
	eff = decl && decl->family != F_ZIP ? decl : got;
	if (eff->family == F_OOXML || (eff = accepted(eff, allowed_list)) == NULL) {
		lerr_set(e, LERR_MEDIATYPE, "file", "media type not accepted");
		lerr_detail(e, "the file is %s; accepted: %s",
			    got->family == F_OOXML ? "an Office Open XML package of unknown kind"
			    : (decl ? decl->name : got->name), allowed_list);
		lerr_hint(e, "convert the document to one of the accepted types (PDF is always a "
			  "safe choice when listed)");
		return LERR_MEDIATYPE;
	}
	*effective = eff->name;
	return 0;
}
