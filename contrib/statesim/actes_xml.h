/*
 * actes_xml.h - builders of the ministry's answers (actes_xml.c).
 * Every builder returns a new document (NULL when out of memory).
 */
#ifndef LIASSE_STATESIM_ACTES_XML_H
#define LIASSE_STATESIM_ACTES_XML_H

#include <stddef.h>
#include <libxml/tree.h>

#define ACTES_NS "http://www.interieur.gouv.fr/ACTES#v1.1-20040216"
#define INSEE_NS "http://xml.insee.fr/schema"

xmlDocPtr ax_new(const char *root, xmlNsPtr *ns);
xmlNodePtr ax_child(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text);
void ax_attr(xmlNodePtr n, xmlNsPtr ns, const char *name, const char *value);

/* ARActe (1-2) for the received actes:Acte element. */
xmlDocPtr ax_aracte(xmlNodePtr acte, const char *idacte, const char *today,
		    const char *classif);
/* AnomalieActe (1-3); nature is 3 digits. */
/* 6-2: the annulation of act idacte acknowledged on today. */
xmlDocPtr ax_arannulation(const char *idacte, const char *today);
xmlDocPtr ax_anomalie_acte(xmlNodePtr acte, const char *nature, const char *detail,
			   const char *today, const char *classif);
/* AnomalieEnveloppe; env is the received EnveloppeCLMISILL root or NULL
 * (then a placeholder EnveloppeRecue carries siren). */
xmlDocPtr ax_anomalie_enveloppe(xmlNodePtr env, const char *siren, const char *nature,
				const char *detail, const char *today);
/* The return envelope listing one form. */
xmlDocPtr ax_enveloppe_retour(const char *dept, const char *arr, const char *siren,
			      const char *form);
/* A prefecture letter (kind courrier|pieces|observations|defere). */
xmlDocPtr ax_letter(const char *kind, const char *idacte, const char *today,
		    const char *pdfname);
/* Serialise in ISO-8859-1 into a malloc'd buffer. */
int ax_dump(xmlDocPtr doc, char **out, size_t *len);
/* A one-page PDF showing title (ASCII); malloc'd. */
char *ax_pdf(const char *title, size_t *len);

#endif
