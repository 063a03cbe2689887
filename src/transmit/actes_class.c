/*
 * actes_class.c - an @ctes RetourClassification (message 7-2) as the
 * JSON liasse keeps beside the file and serves to vendors:
 *
 *   {"date": "2004-04-01",
 *    "natures": [{"code": 1, "type_abrege": "DE", "libelle": "Deliberations",
 *                 "typologies": [{"code": "99_DE", "libelle": "..."}]}, ...],
 *    "matieres": [{"code": "1", "libelle": "Commande Publique"},
 *                 {"code": "1.1", "libelle": "Marchés publics"}, ...]}
 *
 * As the ACTES XSD (actesv1_1.xsd, RetourClassification) has it:
 * DateClassification, NaturesActes/NatureActe (@CodeNatureActe, @Libelle,
 * @TypeAbrege), Matieres/Matiere1..5 (@CodeMatiere, @Libelle); the
 * typologies are the NatureActe's TypePJNatureActe children (@CodeTypePJ,
 * @Libelle), which the platform added later and S²LOW reads the same way
 * (ActesUpdateClassificationSQL::updateCodePJ).  Attributes are qualified
 * (attributeFormDefault="qualified"); unqualified ones are accepted too.
 * Labels come out in UTF-8 whatever the file's encoding.  The file goes
 * through core/xmlguard before libxml2; no DTD, no entity, no network.
 */
#include "transmit/xmit_int.h"
#include "core/xmlguard.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"

#define NS_ACTES "http://www.interieur.gouv.fr/ACTES#v1.1-20040216"
#define CLASS_MAX_SIZE (1024 * 1024)
#define CLASS_MAX_ITEMS 4096

static int
is_el(xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name) && n->ns &&
	       n->ns->href && !strcmp((const char *)n->ns->href, NS_ACTES);
}

/* A qualified attribute, else an unqualified one (new reference, xmlFree). */
static char *
attr(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)NS_ACTES);

	if (!v)
		v = xmlGetNoNsProp(n, (const xmlChar *)name);
	return (char *)v;
}

static json_t *
str_or_empty(const char *s)
{
	return json_string(s ? s : "");
}

static int
bad(struct lerr *e, const char *msg, const char *detail)
{
	lerr_set(e, LERR_INVALID, "classification", "%s", msg);
	lerr_detail(e, "%s", detail);
	lerr_hint(e, "the prefecture's RetourClassification (@ctes message 7-2) is expected");
	return LERR_INVALID;
}

static int
natures(xmlNode *list, json_t *out, struct lerr *e)
{
	for (xmlNode *n = list ? list->children : NULL; n; n = n->next) {
		char *code, *lib, *abr;
		json_t *types, *o;

		if (!is_el(n, "NatureActe"))
			continue;
		code = attr(n, "CodeNatureActe");
		lib = attr(n, "Libelle");
		abr = attr(n, "TypeAbrege");
		types = json_array();
		for (xmlNode *t = n->children; t && json_array_size(types) < CLASS_MAX_ITEMS; t = t->next) {
			char *tc, *tl;

			if (!is_el(t, "TypePJNatureActe"))
				continue;
			tc = attr(t, "CodeTypePJ");
			tl = attr(t, "Libelle");
			if (tc && *tc)
				json_array_append_new(types, json_pack("{s:s, s:o}", "code", tc, "libelle",
								       str_or_empty(tl)));
			xmlFree(tc);
			xmlFree(tl);
		}
		o = code && atoi(code) > 0 ? json_pack("{s:i, s:o, s:o, s:o}", "code", atoi(code), "type_abrege",
						       str_or_empty(abr), "libelle", str_or_empty(lib),
						       "typologies", types) : NULL;
		xmlFree(code);
		xmlFree(lib);
		xmlFree(abr);
		if (!o) {
			json_decref(types);
			return bad(e, "classification has a nature without a code", "NatureActe without CodeNatureActe");
		}
		json_array_append_new(out, o);
	}
	return 0;
}

/* Matiere1..5 under n, their codes "1", "1.2", ... after prefix. */
static int
matieres(xmlNode *n, int level, const char *prefix, json_t *out, struct lerr *e)
{
	char name[24];

	snprintf(name, sizeof(name), "Matiere%d", level);
	for (xmlNode *m = n ? n->children : NULL; m && level <= 5; m = m->next) {
		char *code, *lib, full[80];
		int rc;

		if (!is_el(m, name))
			continue;
		if (json_array_size(out) >= CLASS_MAX_ITEMS)
			return bad(e, "classification too large", "more than 4096 matières");
		code = attr(m, "CodeMatiere");
		lib = attr(m, "Libelle");
		if (!code || !*code || strspn(code, "0123456789") != strlen(code) || strlen(code) > 2) {
			xmlFree(code);
			xmlFree(lib);
			return bad(e, "classification has a matière without a code",
				   "a Matiere element has no 1-2 digit CodeMatiere");
		}
		snprintf(full, sizeof(full), "%s%s%d", prefix, *prefix ? "." : "", atoi(code));
		json_array_append_new(out, json_pack("{s:s, s:o}", "code", full, "libelle", str_or_empty(lib)));
		xmlFree(code);
		xmlFree(lib);
		if ((rc = matieres(m, level + 1, full, out, e)))
			return rc;
	}
	return 0;
}

static int
date_ok(const char *d)
{
	return strlen(d) == 10 && d[4] == '-' && d[7] == '-' && strspn(d, "0123456789-") == 10;
}

int
xmit_actes_classification_json(const void *xml, size_t n, json_t **out, struct lerr *e)
{
	xmlDoc *doc = NULL;
	xmlNode *root, *c, *nat = NULL, *mat = NULL;
	xmlChar *date = NULL;
	json_t *o = NULL;
	int rc;

	*out = NULL;
	if (n == 0 || n > CLASS_MAX_SIZE)
		return bad(e, "classification is empty or larger than 1 MiB", "size out of bounds");
	if (xmlguard_check(xml, n, CLASS_MAX_SIZE, e)) {
		snprintf(e->field, sizeof(e->field), "classification");
		return e->kind;
	}
	doc = xmlReadMemory(xml, (int)n, "classification.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		rc = bad(e, "classification is not well-formed XML", "libxml2 could not parse it");
		goto out;
	}
	if (!is_el(root, "RetourClassification")) {
		rc = bad(e, "not an @ctes RetourClassification", "the root element is not actes:RetourClassification");
		goto out;
	}
	for (c = root->children; c; c = c->next) {
		if (is_el(c, "DateClassification") && !date)
			date = xmlNodeGetContent(c);
		else if (is_el(c, "NaturesActes"))
			nat = c;
		else if (is_el(c, "Matieres"))
			mat = c;
	}
	if (!date || !date_ok((const char *)date)) {
		rc = bad(e, "classification without a DateClassification", "no YYYY-MM-DD DateClassification");
		goto out;
	}
	o = json_pack("{s:s, s:[], s:[]}", "date", (const char *)date, "natures", "matieres");
	if (!o) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if ((rc = natures(nat, json_object_get(o, "natures"), e)) ||
	    (rc = matieres(mat, 1, "", json_object_get(o, "matieres"), e)))
		goto out;
	if (json_array_size(json_object_get(o, "matieres")) == 0) {
		rc = bad(e, "classification lists no matière", "no Matiere1 element");
		goto out;
	}
	*out = o;
	o = NULL;
out:
	json_decref(o);
	xmlFree(date);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- the 7-1 DemandeClassification ---- */

/* The archive: envelope + <DDD>-<SIREN>----7-1_0.xml (the name S²LOW
 * gives it), with the stored DateClassification when there is one. */
static int
request_build(struct xmit_job *x, const char *date, struct lerr *e)
{
	struct buf msg;
	char form[64];
	int rc;

	buf_init(&msg, 4096);
	snprintf(form, sizeof(form), "%.3s-%.9s----7-1_0.xml", x->org.departement, x->t.siren);
	if (buf_printf(&msg, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<actes:DemandeClassification "
		       XMIT_ACTES_NS ">\n%s%s%s</actes:DemandeClassification>\n",
		       date[0] ? " <actes:DateClassification>" : "", date,
		       date[0] ? "</actes:DateClassification>\n" : ""))
		rc = lerr_set(e, LERR_INVALID, NULL, "the @ctes classification request is too large");
	else
		rc = xmit_actes_archive_one(x, form, &msg, e);
	buf_fini(&msg);
	return rc;
}

/* Asking twice only brings the classification twice: a request is sent
 * at least once, not exactly once.  It is recorded after a send that the
 * platform took; a failed one is tried again at the next poll. */
int
xmit_actes_classification_request(struct xmit_poll *p, struct lerr *e)
{
	struct xmit_job x = { .c = p->c, .settings = p->settings };
	struct lerr why;
	char date[11];
	int rc, due = 0;

	if ((rc = store_org_classification_due(p->c, p->org_id, &due, e)) || !due)
		return rc;
	if ((rc = store_org_get(p->c, p->siren, &x.org, e)) ||
	    (rc = store_org_classification_date(p->c, p->org_id, date, e)))
		return rc;
	x.t.org_id = p->org_id;
	snprintf(x.t.siren, sizeof(x.t.siren), "%s", p->siren);
	x.timeout_s = (long)config_int("transmit_timeout");
	if (!(x.spool = tmpfile()))
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create a spool file");
	lerr_clear(&why);
	if ((rc = request_build(&x, date, &why)) == 0) {
		rewind(x.spool);
		if (xmit_actes.send(&x, &why) == XMIT_SENT) {
			log_info("org=%s: classification requested (7-1) in %s", p->siren, x.t.remote_name);
			rc = store_org_classification_requested(p->c, p->org_id, e);
		} else {
			log_warn("org=%s: the classification request %s failed: %s %s", p->siren, x.t.remote_name,
				 why.msg, why.detail);
		}
	} else if (why.sqlstate[0]) {
		*e = why;
	} else {
		log_warn("org=%s: cannot build the classification request: %s %s", p->siren, why.msg, why.detail);
		rc = 0;
	}
	fclose(x.spool);
	return rc;
}
