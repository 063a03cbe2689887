/*
 * xsd_fr.h - an XSD deviation reported by libxml2 (a structured xmlError),
 * written for a French agent: "XSD, ligne 52, élément « IdBord », attribut
 * V : la valeur « 1093357910 » a trop de chiffres : 7 au plus.
 * [libxml2, line 52: <libxml2's text>]".  One table in xsd_fr.c.
 */
#ifndef LIASSE_FLOW_XSD_FR_H
#define LIASSE_FLOW_XSD_FR_H

#include <stddef.h>
#include <libxml/xmlerror.h>

void xsd_error_fr(const xmlError *err, char *out, size_t n);

#endif
