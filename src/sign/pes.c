/*
 * pes.c - the PES V2 signature profile (XAdES-EPES enveloped).
 *
 * Targets: every Bordereau when all of them carry an Id, else PES_Aller/@Id,
 * else a refusal.  Each signature is the last child of its target and
 * signs it through the enveloped-signature transform.
 */
#include "sign/sign_int.h"

#include <string.h>

#include "core/log.h"

#define MAX_TARGETS 4096

struct targets {
	xmlNodePtr node[MAX_TARGETS];
	size_t n;
	size_t without_id;
	xmlNodePtr sig[MAX_TARGETS];
	xmlNodePtr root;
	xmlNodePtr info[16];      /* InfoDematerialisee elements */
	size_t ninfo;
};

static int
is_bordereau(xmlNodePtr n)
{
	return sx_is(n, NULL, "Bordereau") && n->parent &&
	       (sx_is(n->parent, NULL, "PES_DepenseAller") ||
		sx_is(n->parent, NULL, "PES_RecetteAller"));
}

static void
find_bordereaux(xmlNodePtr n, struct targets *t)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is_bordereau(n)) {
			if (!xmlHasProp(n, BAD_CAST "Id"))
				t->without_id++;
			else if (t->n < MAX_TARGETS)
				t->node[t->n++] = n;
			continue;
		}
		if (sx_is(n, NULL, "PES_DepenseAller") || sx_is(n, NULL, "PES_RecetteAller"))
			find_bordereaux(n->children, t);
	}
}

/* Set every EnTeteDepense|EnTeteRecette/InfoDematerialisee/@V to 1. */
static void
set_dematerialised(xmlNodePtr root, struct targets *t)
{
	xmlNodePtr b, h, i;

	for (b = root->children; b; b = b->next) {
		if (!sx_is(b, NULL, "PES_DepenseAller") && !sx_is(b, NULL, "PES_RecetteAller"))
			continue;
		for (h = b->children; h; h = h->next) {
			if (!sx_is(h, NULL, "EnTeteDepense") && !sx_is(h, NULL, "EnTeteRecette"))
				continue;
			if ((i = sx_child(h, NULL, "InfoDematerialisee")) &&
			    t->ninfo < sizeof(t->info) / sizeof(t->info[0])) {
				xmlSetProp(i, BAD_CAST "V", BAD_CAST "1");
				t->info[t->ninfo++] = i;
			}
		}
	}
}

static int
choose_targets(xmlDocPtr doc, struct targets *t, struct lerr *e)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);

	if (!sx_is(root, NS_PES, "PES_Aller")) {
		lerr_set(e, LERR_INVALID, NULL, "not a PES_Aller document");
		lerr_detail(e, "the root element is \"%s\"", root ? (const char *)root->name : "");
		return e->kind;
	}
	t->n = t->without_id = 0;
	t->root = root;
	find_bordereaux(root->children, t);
	if (t->n >= MAX_TARGETS)
		return lerr_set(e, LERR_TOOLARGE, NULL, "more than %d bordereaux", MAX_TARGETS - 1);
	if (t->n > 0 && t->without_id == 0)
		return 0;
	t->n = 0;
	if (xmlHasProp(root, BAD_CAST "Id")) {
		t->node[t->n++] = root;
		return 0;
	}
	lerr_set(e, LERR_INVALID, NULL, "nothing to sign in this PES: no Id to reference");
	lerr_detail(e, "%zu bordereau(x) without an Id attribute and no Id on PES_Aller",
		    t->without_id);
	lerr_hint(e, "add an Id attribute to every Bordereau, or to PES_Aller for a "
		     "signature of the whole file");
	return e->kind;
}

/* Each target is referenced by "#Id": an Id that is not an xs:ID (NCName)
 * would give a signature no verifier resolves; one over SIGN_ID_MAX bytes
 * would give the signature Ids too long for the buffers that hold them. */
static int
check_target_ids(struct targets *t, struct lerr *e)
{
	size_t i;
	xmlChar *id;

	for (i = 0; i < t->n; i++) {
		const char *field = t->node[i] == t->root ? "pes.id" : "pes.bordereau.id";
		const char *name = (const char *)t->node[i]->name;
		int ncname;

		id = xmlGetProp(t->node[i], BAD_CAST "Id");
		ncname = id && xmlValidateNCName(id, 0) == 0;
		if (ncname && xmlStrlen(id) <= SIGN_ID_MAX) {
			xmlFree(id);
			continue;
		}
		if (ncname) {
			lerr_set(e, LERR_INVALID, field, "%s Id is too long", name);
			lerr_detail(e, "the Id is %d bytes long; at most %d", xmlStrlen(id), SIGN_ID_MAX);
			lerr_hint(e, "give it a shorter Id, e.g. BORD_2_26_42");
		} else {
			lerr_set(e, LERR_INVALID, field, "%s Id is not a valid xs:ID", name);
			lerr_detail(e, "Id=\"%.100s\" is not an NCName", id ? (const char *)id : "");
			lerr_hint(e, "give it an Id made of letters, digits, '.', '-' and '_' "
				  "(a letter or '_' first), e.g. BORD_2_26_42");
		}
		xmlFree(id);
		return e->kind;
	}
	return 0;
}

/* Keeps the targets that carry no signature yet (a PES partly signed on its
 * bordereaux: the official signs the rest); none left, or a signature of
 * the whole file: LERR_CONFLICT. */
static int
keep_unsigned(struct targets *t, struct lerr *e)
{
	size_t i, kept = 0, first_signed = t->n;
	xmlChar *id;

	if (t->n && t->node[0] != t->root && sx_child(t->root, NS_DS, "Signature")) {
		lerr_set(e, LERR_CONFLICT, NULL, "the PES already carries a signature of the whole file");
		lerr_detail(e, "signing its bordereaux now would invalidate that signature");
		return e->kind;
	}
	for (i = 0; i < t->n; i++) {
		if (!sx_child(t->node[i], NS_DS, "Signature"))
			t->node[kept++] = t->node[i];
		else if (first_signed == t->n)
			first_signed = i;
	}
	if (kept) {
		t->n = kept;
		return 0;
	}
	id = xmlGetProp(t->node[first_signed], BAD_CAST "Id");
	lerr_set(e, LERR_CONFLICT, NULL, "%s \"%s\" is already signed",
		 (const char *)t->node[first_signed]->name, id ? (const char *)id : "");
	lerr_hint(e, "sign the unsigned file, or verify this one with liasse verify");
	xmlFree(id);
	return e->kind;
}

/* Whether the document carries a ds:Signature anywhere (an iterative walk:
 * no recursion on the input's depth). */
static int
has_signature(xmlNodePtr n)
{
	while (n) {
		if (n->type == XML_ELEMENT_NODE && sx_is(n, NS_DS, "Signature"))
			return 1;
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n && !n->next)
			n = n->parent;
		n = n ? n->next : NULL;
	}
	return 0;
}

/* As flow/pes_signed.c judges a PES at the door: a signature that does not
 * verify, a failed check of the whole file other than coverage (bordereaux
 * left unsigned are what is signed now), an element signed or placed where
 * Hélios does not read it. */
static int
is_broken(const struct sign_report *r)
{
	size_t i;

	for (i = 0; i < r->nsig; i++)
		if (!r->sigs[i].valid)
			return 1;
	for (i = 0; i < r->n; i++)
		if (r->checks[i].sig < 0 && !r->checks[i].ok && strcmp(r->checks[i].id, "coverage"))
			return 1;
	return r->nsig == 0 || !r->pes_covered || r->pes_misplaced;
}

/* The refusal names the first broken signature's element (a Bordereau's Id)
 * and the verifier's first failing check of it. */
static int
refuse_broken(xmlDocPtr doc, const struct sign_report *r, struct lerr *e)
{
	const struct sign_check *c = NULL;
	size_t i, s = 0;
	xmlAttrPtr a;

	while (s < r->nsig && r->sigs[s].valid)
		s++;
	for (i = 0; i < r->n && !c; i++)
		if (!r->checks[i].ok && (s < r->nsig ? r->checks[i].sig == (int)s : r->checks[i].sig < 0))
			c = &r->checks[i];
	if (s < r->nsig && r->sigs[s].target[0]) {
		a = xmlGetID(doc, BAD_CAST r->sigs[s].target);
		lerr_set(e, LERR_INVALID, "pes.signatures", "the signature %s \"%s\" carries is not valid",
			 a && a->parent ? (const char *)a->parent->name : "the element", r->sigs[s].target);
	} else {
		lerr_set(e, LERR_INVALID, "pes.signatures", "the signatures the PES carries are not valid");
	}
	lerr_detail(e, "%s%s%s; liasse does not sign a file around a broken signature", c ? c->id : "",
		    c ? ": " : "", c ? c->reason_en : "an element is signed where Hélios does not read it");
	lerr_hint(e, "ask for the file unsigned, or signed again (liasse verify shows the whole report)");
	return LERR_INVALID;
}

/* A PES that already carries signatures is signed only if they verify
 * (issue 17): the door lets a broken one through for the official to see,
 * signing must not bury it under a valid signature of the rest. */
static int
check_existing(const struct sign_pes_opts *o, const void *in, size_t inlen, xmlDocPtr doc,
	       struct lerr *e)
{
	struct sign_verify_opts vo = { .trust_dir = o ? o->trust_dir : NULL };
	struct sign_report r;
	struct lerr ve;
	int rc;

	if (!has_signature(xmlDocGetRootElement(doc)))
		return 0;
	sign_report_init(&r);
	lerr_clear(&ve);
	if ((rc = sign_verify(&vo, in, inlen, &r, &ve))) {
		lerr_set(e, ve.kind, "pes.signatures", "the signatures the PES carries could not be verified");
		lerr_detail(e, "%s", ve.msg);
		e->detail_private = 1;     /* a trust directory's path */
		lerr_hint(e, "%s", ve.hint[0] ? ve.hint : "liasse signs a partly signed PES only once "
			  "its signatures verify");
	} else if (is_broken(&r)) {
		rc = refuse_broken(doc, &r, e);
	}
	sign_report_fini(&r);
	return rc;
}

/* Refuse a certificate that is not valid at the signing time. */
int
sign_check_cert_time(X509 *cert, time_t now, struct lerr *e)
{
	if (X509_cmp_time(X509_get0_notAfter(cert), &now) < 0) {
		lerr_set(e, LERR_INVALID, NULL, "the signing certificate has expired");
		lerr_hint(e, "import a valid certificate for this official");
		return e->kind;
	}
	if (X509_cmp_time(X509_get0_notBefore(cert), &now) > 0)
		return lerr_set(e, LERR_INVALID, NULL, "the signing certificate is not yet valid");
	return 0;
}

static int
sign_target(const struct sign_key *k, const struct sign_pes_opts *o, xmlNodePtr target,
	    struct lerr *e)
{
	struct xades_params p = { 0 };
	xmlChar *id = xmlGetProp(target, BAD_CAST "Id");
	char sig_id[160], uri[160];
	int n, rc;

	for (n = 1; n < 1000; n++) {
		snprintf(sig_id, sizeof(sig_id), "%s_SIG_%d", (const char *)id, n);
		if (!xmlGetID(target->doc, BAD_CAST sig_id))
			break;
	}
	snprintf(uri, sizeof(uri), "#%s", (const char *)id);
	xmlFree(id);
	p.ver = o && o->ver == SIGN_XADES_122 ? SIGN_XADES_122 : SIGN_XADES_111;
	p.sig_id = sig_id;
	p.ref_uri = uri;
	p.enveloped = 1;
	if (o) {
		p.policy_oid = o->policy_oid;
		p.policy_hash = o->policy_hash;
		p.policy_uri = o->policy_uri;
		p.policy_desc = o->policy_desc;
		p.city = o->city;
		p.postal_code = o->postal_code;
		p.country = o->country;
		p.role = o->role;
	}
	p.now = o && o->now ? o->now : time(NULL);
	rc = xades_sign_at(k, &p, target, e);
	return rc;
}

int
sign_pes(const struct sign_key *k, const struct sign_pes_opts *o, const void *in,
	 size_t inlen, struct buf *out, struct lerr *e)
{
	struct targets *t = calloc(1, sizeof(*t));
	xmlDocPtr doc = NULL;
	char dup[128];
	size_t i;
	int rc;

	if (!t)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	if ((rc = sign_init(e)) || (rc = sign_check_cert_time(k->cert, o && o->now ? o->now :
							     time(NULL), e)))
		goto out;
	if ((rc = sx_parse(in, inlen, &doc, e)))
		goto out;
	if (sx_register_ids(doc, dup, sizeof(dup))) {
		rc = lerr_set(e, LERR_INVALID, NULL, "the Id \"%s\" appears twice in the PES", dup);
		goto out;
	}
	if ((rc = choose_targets(doc, t, e)) || (rc = check_target_ids(t, e)) ||
	    (rc = check_existing(o, in, inlen, doc, e)) || (rc = keep_unsigned(t, e)))
		goto out;
	sx_number_elements(doc);
	set_dematerialised(xmlDocGetRootElement(doc), t);
	for (i = 0; i < t->n && !rc; i++) {
		rc = sign_target(k, o, t->node[i], e);
		t->sig[i] = xmlGetLastChild(t->node[i]);
	}
	if (!rc && sx_splice(in, inlen, doc, t->sig, t->n, t->info, t->ninfo, out)) {
		log_debug("PES: splicing failed, serialising the whole document");
		rc = sx_serialize(doc, out, e);
	}
	if (!rc)
		log_debug("PES signed: %zu signature(s)", t->n);
out:
	xmlFreeDoc(doc);
	free(t);
	return rc;
}
