/*
 * ipar.c - the i-Parapheur web services (SOAP 1.1, document/literal) at
 * /ws-iparapheur (MTOM accepted, and answered when the request used it) and
 * /ws-iparapheur-no-mtom, and the WSDL at GET /ws-iparapheur?wsdl.
 *
 * The envelope and the answers are compat/ipar_*.c's; here are the routes,
 * the body, and the operations that read liasse's documents.  Dossiers are
 * created by ipar_create.c through http_ingest_parts(), the same path as POST
 * /api/v1/documents.  A refusal is a MessageRetour KO (HTTP 200), as
 * i-Parapheur answers; an unknown operation or an unreadable envelope is a
 * SOAP fault (HTTP 500, as SOAP 1.1 binds faults).  See doc/compat.md.
 */
#include "http/ipar_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>

#include "core/config.h"
#include "core/log.h"
#include "core/xmlguard.h"

/* ---- helpers shared with ipar_create.c ---- */

int
ipar_conn(struct soap *s, struct lerr *e)
{
	return s->c ? 0 : store_acquire(http_store(s->rq), &s->c, e);
}

int
ipar_ko(struct soap *s, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("i-Parapheur %s: KO %s", s->in.op_name, msg);
	ipar_resp_retour(&s->out, s->answer, 0, msg);
	return 0;
}

const char *
ipar_refusal(struct soap *s, const struct lerr *e)
{
	const char *what = e->kind == LERR_UNAVAILABLE ? "liasse est momentanément indisponible" :
			   e->kind == LERR_INTERNAL ? "erreur interne de liasse" : "refusé par liasse";

	return arena_printf(s->rq->arena, "%s : %s%s%s%s%s%s", what, e->msg,
			    e->field[0] ? " [" : "", e->field, e->field[0] ? "]" : "",
			    e->hint[0] ? ". " : "", e->hint);
}

json_t *
ipar_types(struct soap *s, struct lerr *e)
{
	char *text = NULL;
	json_t *j;

	if (ipar_conn(s, e) || store_ipar_types_json(s->c, s->rq->client.id, &text, e))
		return NULL;
	j = json_loads(text, 0, NULL);
	free(text);
	if (!j)
		lerr_set(e, LERR_INTERNAL, NULL, "types unreadable");
	return j;
}

/* The dossier of the request's DossierID as JSON, or a KO answered (NULL). */
static json_t *
dossier(struct soap *s, const char *id)
{
	char *text = NULL;
	json_t *j = NULL;
	struct lerr e;

	lerr_clear(&e);
	if (!id || !*id) {
		ipar_ko(s, "DossierID manquant");
		return NULL;
	}
	if (ipar_conn(s, &e) || store_ipar_dossier_json(s->c, s->rq->client.id, id, &text, &e)) {
		if (e.kind == LERR_NOTFOUND)
			ipar_ko(s, "Dossier %s inconnu", id);
		else
			ipar_ko(s, "%s", ipar_refusal(s, &e));
		return NULL;
	}
	if (!(j = json_loads(text, 0, NULL)))
		ipar_ko(s, "Dossier %s illisible", id);
	free(text);
	return j;
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* <LogDossier><timestamp/><nom/><status/><annotation/><accessible/></LogDossier> */
static void
log_dossier(struct soap *s, const char *at, const char *nom, const char *state, const char *annotation)
{
	xmlNodePtr l = xmlNewChild(s->answer, s->out.ns, (const xmlChar *)"LogDossier", NULL);

	ipar_resp_text(&s->out, l, "timestamp", at);
	ipar_resp_text(&s->out, l, "nom", nom);
	ipar_resp_text(&s->out, l, "status", ipar_status(state));
	ipar_resp_text(&s->out, l, "annotation", annotation ? annotation : "");
	ipar_resp_text(&s->out, l, "accessible", "OK");
}

/* ---- operations ---- */

static int
op_echo(struct soap *s)
{
	char *text = ipar_node_text(s->in.op);

	xmlNodeAddContent(s->answer, (const xmlChar *)arena_printf(s->rq->arena,
		"[%s] m'a dit: \"%s\"!", s->rq->client.name, text));
	free(text);
	return 0;
}

static int
op_types(struct soap *s)
{
	struct lerr e;
	json_t *t = ipar_types(s, &e), *v, *seen = json_object();
	size_t i;

	if (!t)
		return json_decref(seen), ipar_ko(s, "%s", ipar_refusal(s, &e));
	json_array_foreach(t, i, v) {
		const char *name = jstr(v, "type");

		if (!json_object_get(seen, name)) {
			json_object_set_new(seen, name, json_true());
			ipar_resp_text(&s->out, s->answer, "TypeTechnique", name);
		}
	}
	json_decref(seen);
	json_decref(t);
	return 0;
}

static int
op_sous_types(struct soap *s)
{
	char *type = ipar_node_text(s->in.op);
	json_t *t, *v, *seen = json_object();
	struct lerr e;
	size_t i;

	if (!(t = ipar_types(s, &e))) {
		free(type);
		json_decref(seen);
		return ipar_ko(s, "%s", ipar_refusal(s, &e));
	}
	json_array_foreach(t, i, v) {
		const char *st = jstr(v, "sous_type");

		if (!strcmp(jstr(v, "type"), type) && !json_object_get(seen, st)) {
			json_object_set_new(seen, st, json_true());
			ipar_resp_text(&s->out, s->answer, "SousType", st);
		}
	}
	free(type);
	json_decref(seen);
	json_decref(t);
	return 0;
}

static int
op_meta_donnees(struct soap *s)
{
	(void)s;     /* no dictionary of meta-data: an empty list */
	return 0;
}

/* <EtapeCircuit><Parapheur/><Prenom/><Nom/><Role/></EtapeCircuit>: Role
 * VISEUR or SIGNATAIRE (the WSDL's EtapeCircuit documentation); Parapheur
 * the e-mail of whom the step resolves to now, else the office it names. */
static void
etape_circuit(struct soap *s, json_t *step)
{
	xmlNodePtr et = xmlNewChild(s->answer, s->out.ns, (const xmlChar *)"EtapeCircuit", NULL);
	const char *name = jstr(step, "name"), *email = jstr(step, "email"), *sp;

	if (!name)
		name = "";
	sp = strchr(name, ' ');
	ipar_resp_text(&s->out, et, "Parapheur", email ? email : jstr(step, "office") ? jstr(step, "office") : "");
	ipar_resp_text(&s->out, et, "Prenom", sp ? arena_strndup(s->rq->arena, name, (size_t)(sp - name)) : "");
	ipar_resp_text(&s->out, et, "Nom", sp ? sp + 1 : name);
	ipar_resp_text(&s->out, et, "Role", ipar_role(jstr(step, "action")));
}

static int
op_circuit(struct soap *s)
{
	char *type = ipar_text(s->in.op, "TypeTechnique"), *st = ipar_text(s->in.op, "SousType");
	char *text = NULL;
	json_t *j = NULL, *step;
	struct lerr e;
	size_t i;

	lerr_clear(&e);
	if (ipar_conn(s, &e) || store_ipar_circuit_json(s->c, s->rq->client.id, type ? type : "",
							st ? st : "", &text, &e) ||
	    !(j = json_loads(text, 0, NULL))) {
		/* GetCircuitResponse has no MessageRetour: the fault says it. */
		ipar_resp_fault(&s->out, e.kind == LERR_NOTFOUND, e.kind == LERR_NOTFOUND ?
				arena_printf(s->rq->arena, "Le sous-type %s n'existe pas pour le type %s",
					     st ? st : "", type ? type : "") : ipar_refusal(s, &e));
		s->answer = NULL;
	} else if (json_is_true(json_object_get(j, "missing"))) {
		ipar_resp_fault(&s->out, 0, arena_printf(s->rq->arena, "Le circuit %s du sous-type %s n'existe "
				"plus", jstr(j, "circuit"), st ? st : ""));
		s->answer = NULL;
	} else {
		json_array_foreach(json_object_get(j, "steps"), i, step)
			etape_circuit(s, step);
	}
	json_decref(j);
	free(text);
	free(type);
	free(st);
	return 0;
}

static int
op_histo(struct soap *s)
{
	char *id = ipar_node_text(s->in.op);
	json_t *d = dossier(s, id), *h;
	size_t i;

	if (d) {
		json_array_foreach(json_object_get(d, "history"), i, h) {
			const char *why = jstr(h, "reason");

			log_dossier(s, jstr(h, "at"), id, jstr(h, "state"),
				    i == 0 ? jstr(d, "annotation_publique") : why);
		}
		ipar_resp_retour(&s->out, s->answer, 1, "");
	}
	json_decref(d);
	free(id);
	return 0;
}

static int
op_statut_tdt(struct soap *s)
{
	char *id = ipar_node_text(s->in.op);
	json_t *d = dossier(s, id), *doc = json_object_get(d, "document");

	if (d) {
		log_dossier(s, jstr(doc, "updated_at"), id, jstr(d, "ipar_state"), jstr(doc, "reason"));
		ipar_resp_retour(&s->out, s->answer, 1, "");
	}
	json_decref(d);
	free(id);
	return 0;
}

/* The bytes of the document's file of role (the last one), into b. */
static int
file_bytes(struct soap *s, json_t *doc, const char *role, struct buf *b, json_t **file, struct lerr *e)
{
	struct store_blob_reader r;
	struct doc_file df;
	json_t *f, *found = NULL;
	char chunk[65536];
	size_t i;
	int n, rc;

	json_array_foreach(json_object_get(doc, "files"), i, f)
		if (!strcmp(jstr(f, "role"), role))
			found = f;
	if (!(*file = found))
		return LERR_NOTFOUND;
	if ((rc = store_doc_file(s->c, jstr(doc, "id"), s->rq->client.id,
				 (int)json_integer_value(json_object_get(found, "id")), &df, e)) ||
	    (rc = store_blob_reader_init(&r, s->c, df.blob_id, df.nchunks, e)))
		return rc;
	while ((n = store_blob_read(&r, chunk, sizeof(chunk))) > 0)
		if (buf_add(b, chunk, (size_t)n)) {
			n = -1;
			break;
		}
	if (n < 0)
		rc = r.failed ? lerr_set(e, r.err.kind, NULL, "%s", r.err.msg) :
			lerr_set(e, LERR_TOOLARGE, NULL, "file too large");
	store_blob_reader_fini(&r);
	return rc;
}

/* A file of the document as the TypeDoc element name (nothing when absent). */
static int
add_file(struct soap *s, json_t *doc, const char *role, const char *name, int with_name)
{
	struct buf b;
	json_t *f = NULL;
	struct lerr e;
	int rc;

	buf_init(&b, (size_t)config_int("max_request_size") * 2);
	rc = file_bytes(s, doc, role, &b, &f, &e);
	if (!rc)
		rc = ipar_resp_binary(&s->out, s->answer, name, b.data, b.len, jstr(f, "media_type"));
	if (!rc && with_name)
		ipar_resp_text(&s->out, s->answer, "NomDocPrincipal", jstr(f, "name"));
	buf_fini(&b);
	return rc == LERR_NOTFOUND ? 0 : rc;
}

/* GetDossierResponse: where Pastell's IParapheur::getSignature() reads them,
 * the signed PES in FichierPES, the document in DocPrincipal and an act's
 * detached signature in SignatureDocPrincipal. */
static int
dossier_files(struct soap *s, json_t *doc)
{
	int pes = !strcmp(jstr(doc, "kind"), "pes");
	int rc = 0;

	if (pes)
		rc = add_file(s, doc, "signed", "FichierPES", 0);
	if (!rc)
		rc = add_file(s, doc, "main", "DocPrincipal", 1);
	if (!rc && !pes)
		rc = add_file(s, doc, "signature", "SignatureDocPrincipal", 0);
	return rc;
}

static int
op_dossier(struct soap *s)
{
	char *id = ipar_node_text(s->in.op);
	json_t *d = dossier(s, id), *doc = json_object_get(d, "document");

	if (d) {
		ipar_resp_text(&s->out, s->answer, "TypeTechnique", jstr(d, "type_technique"));
		ipar_resp_text(&s->out, s->answer, "SousType", jstr(d, "sous_type"));
		ipar_resp_text(&s->out, s->answer, "DossierID", id);
		ipar_resp_text(&s->out, s->answer, "AnnotationPublique", jstr(d, "annotation_publique"));
		ipar_resp_text(&s->out, s->answer, "AnnotationPrivee", jstr(d, "annotation_privee"));
		ipar_resp_text(&s->out, s->answer, "Visibilite", jstr(d, "visibilite") ?
			       jstr(d, "visibilite") : "SERVICE");
		ipar_resp_text(&s->out, s->answer, "DateLimite", jstr(doc, "due_date") ?
			       jstr(doc, "due_date") : "");
		if (dossier_files(s, doc)) {
			xmlNodePtr c;

			while ((c = s->answer->children)) {
				xmlUnlinkNode(c);
				xmlFreeNode(c);
			}
			ipar_ko(s, "Les fichiers du dossier %s sont illisibles", id);
		} else {
			ipar_resp_retour(&s->out, s->answer, 1, "");
		}
	}
	json_decref(d);
	free(id);
	return 0;
}

/* RechercherDossiers' Status: i-Parapheur names, translated to states. */
static json_t *
wanted_states(const char *status)
{
	const char *states[8];
	json_t *a;

	if (!status || !*status)
		return NULL;
	a = json_array();
	if (ipar_status_states(status, states))
		for (size_t i = 0; states[i]; i++)
			json_array_append_new(a, json_string(states[i]));
	else
		json_array_append_new(a, json_string("-"));   /* an unknown status: nothing */
	return a;
}

static int
op_rechercher(struct soap *s)
{
	char *type = ipar_text(s->in.op, "TypeTechnique"), *st = ipar_text(s->in.op, "SousType");
	char *status = ipar_text(s->in.op, "Status"), *n = ipar_text(s->in.op, "NombreDossiers");
	json_t *ids = json_array(), *states = wanted_states(status), *list = NULL, *v;
	char *sj = states ? json_dumps(states, JSON_COMPACT) : NULL, *ij = NULL, *text = NULL;
	struct lerr e;
	size_t i;

	for (xmlNodePtr c = s->in.op->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "DossierID")) {
			char *t = ipar_node_text(c);
			json_array_append_new(ids, json_string(t));
			free(t);
		}
	ij = json_array_size(ids) ? json_dumps(ids, JSON_COMPACT) : NULL;
	struct ipar_search q = { .type_technique = type && *type ? type : NULL,
				 .sous_type = st && *st ? st : NULL, .states = sj, .ids = ij,
				 .limit = n ? atoi(n) : 0 };
	lerr_clear(&e);
	if (ipar_conn(s, &e) || store_ipar_search_json(s->c, s->rq->client.id, &q, &text, &e) ||
	    !(list = json_loads(text, 0, NULL))) {
		ipar_resp_fault(&s->out, 0, ipar_refusal(s, &e));
		s->answer = NULL;
	}
	json_array_foreach(list, i, v)
		log_dossier(s, jstr(v, "at"), jstr(v, "dossier_id"), jstr(v, "state"), jstr(v, "reason"));
	json_decref(list);
	json_decref(ids);
	json_decref(states);
	free(sj), free(ij), free(text), free(type), free(st), free(status), free(n);
	return 0;
}

/* An event on the dossier's document when it is in state from (NULL: any). */
static int
dossier_event(struct soap *s, const char *event, const char *from, const char *refused)
{
	char *id = ipar_text(s->in.op, "DossierID");
	json_t *d, *doc;
	struct lerr e;

	if (!id)
		id = ipar_node_text(s->in.op);
	d = dossier(s, id);
	doc = json_object_get(d, "document");
	lerr_clear(&e);
	if (d && from && strcmp(jstr(doc, "state"), from))
		ipar_ko(s, "%s : le dossier %s est %s", refused, id, ipar_status(jstr(d, "ipar_state")));
	else if (d && store_doc_event(s->c, jstr(doc, "id"), s->rq->client.id, event,
				      http_actor(s->rq), NULL, &e))
		ipar_ko(s, "%s", ipar_refusal(s, &e));
	else if (d)
		ipar_resp_retour(&s->out, s->answer, 1, "");
	json_decref(d);
	free(id);
	return 0;
}

static int
op_effacer(struct soap *s)
{
	return dossier_event(s, "cancel", "rejected", "Seul un dossier rejeté peut être effacé");
}

static int
op_remord(struct soap *s)
{
	return dossier_event(s, "cancel", "pending_signature",
			     "Droit de remords impossible : le dossier n'attend plus sa signature");
}

static int
op_archiver(struct soap *s)
{
	char *id = ipar_text(s->in.op, "DossierID");
	struct lerr e;

	lerr_clear(&e);
	if (!id)
		ipar_ko(s, "DossierID manquant");
	else if (ipar_conn(s, &e) || store_ipar_dossier_archive(s->c, s->rq->client.id, id, &e))
		ipar_ko(s, "%s", e.kind == LERR_NOTFOUND ? arena_printf(s->rq->arena, "Dossier %s inconnu", id) :
			ipar_refusal(s, &e));
	else {
		ipar_resp_text(&s->out, s->answer, "URL", "");
		ipar_resp_retour(&s->out, s->answer, 1, "");
	}
	free(id);
	return 0;
}

/* EnvoyerDossierTdT: liasse transmits what is to be transmitted by itself;
 * the answer says where the dossier is. */
static int
op_envoyer_tdt(struct soap *s)
{
	char *id = ipar_node_text(s->in.op);
	json_t *d = dossier(s, id), *doc = json_object_get(d, "document");

	if (d && !json_is_true(json_object_get(doc, "transmit")))
		ipar_ko(s, "Le dossier %s n'est pas à télétransmettre par liasse (transmit=false) : "
			"transmettez-le par votre tiers de télétransmission", id);
	else if (d) {
		log_dossier(s, jstr(doc, "updated_at"), id, jstr(doc, "state"), NULL);
		ipar_resp_retour(&s->out, s->answer, 1, "");
	}
	json_decref(d);
	free(id);
	return 0;
}

/* GetClassificationActesTdt: the organisation's @ctes classification, the
 * 7-2 RetourClassification as the prefecture sent it, in the WSDL's
 * classification element (a TypeDoc).  DemanderMiseAJourTdt is not acted on:
 * liasse asks for a new one by itself (doc/actes-classification.md). */
static int
op_classification(struct soap *s)
{
	char *type = ipar_text(s->in.op, "TypeTechnique");
	void *xml = NULL;
	size_t n = 0;
	struct lerr e;

	lerr_clear(&e);
	if (ipar_conn(s, &e) || store_ipar_classification(s->c, s->rq->client.id, type && *type ? type : NULL,
							  &xml, &n, &e))
		ipar_ko(s, "%s", e.kind == LERR_NOTFOUND ? "Aucune classification @ctes n'a encore été reçue "
			"de la préfecture pour cette collectivité" : ipar_refusal(s, &e));
	else if (ipar_resp_binary(&s->out, s->answer, "classification", xml, n, "text/xml"))
		ipar_ko(s, "Classification illisible");
	else
		ipar_resp_retour(&s->out, s->answer, 1, "");
	free(xml);
	free(type);
	return 0;
}

static int
op_forcer(struct soap *s)
{
	return ipar_ko(s, "ForcerEtape n'est pas pris en charge : dans liasse seul le signataire "
		       "signe ou rejette, depuis son parapheur");
}

static const struct op {
	const char *request, *answer;
	int (*fn)(struct soap *s);
} ops[] = {
	{ "echoRequest", "echoResponse", op_echo },
	{ "GetListeTypesRequest", "GetListeTypesResponse", op_types },
	{ "GetListeSousTypesRequest", "GetListeSousTypesResponse", op_sous_types },
	{ "GetListeMetaDonneesRequest", "GetListeMetaDonneesResponse", op_meta_donnees },
	{ "GetCircuitRequest", "GetCircuitResponse", op_circuit },
	{ "CreerDossierRequest", "CreerDossierResponse", ipar_op_creer },
	{ "CreerDossierPESRequest", "CreerDossierPESResponse", ipar_op_creer_pes },
	{ "GetHistoDossierRequest", "GetHistoDossierResponse", op_histo },
	{ "GetDossierRequest", "GetDossierResponse", op_dossier },
	{ "RechercherDossiersRequest", "RechercherDossiersResponse", op_rechercher },
	{ "EffacerDossierRejeteRequest", "EffacerDossierRejeteResponse", op_effacer },
	{ "ExercerDroitRemordDossierRequest", "ExercerDroitRemordDossierResponse", op_remord },
	{ "ArchiverDossierRequest", "ArchiverDossierResponse", op_archiver },
	{ "EnvoyerDossierTdTRequest", "EnvoyerDossierTdTResponse", op_envoyer_tdt },
	{ "GetStatutTdTRequest", "GetStatutTdTResponse", op_statut_tdt },
	{ "GetClassificationActesTdtRequest", "GetClassificationActesTdtResponse", op_classification },
	{ "ForcerEtapeRequest", "ForcerEtapeResponse", op_forcer },
};

/* ---- the request ---- */

static int
soap_reply(struct soap *s, unsigned status)
{
	char *text = NULL, *ctype = NULL;
	size_t n = 0;
	struct lerr e;
	int rc;

	if (ipar_resp_finish(&s->out, &text, &n, &ctype, &e))
		return http_reply_problem(s->rq, &e);
	rc = http_reply_raw(s->rq, status, ctype, text, n);
	free(ctype);
	return rc;
}

static int
fault(struct soap *s, const char *msg)
{
	ipar_resp_fini(&s->out);
	ipar_resp_begin(&s->out, "Fault", s->in.mtom);
	ipar_resp_fault(&s->out, 1, msg);
	log_info("i-Parapheur fault: %s", msg);
	return soap_reply(s, 500);
}

static int
soap_begin(struct req *rq)
{
	struct soap *s = arena_zalloc(rq->arena, sizeof(*s));

	s->rq = rq;
	rq->state = s;
	buf_init(&s->body, (size_t)http_opts_of(rq)->max_request);
	return 0;
}

static int
soap_data(struct req *rq, const char *p, size_t n)
{
	struct soap *s = rq->state;
	struct lerr e;

	if (!rq->failed && buf_add(&s->body, p, n)) {
		lerr_set(&e, LERR_TOOLARGE, NULL, "the SOAP request is larger than max_request_size");
		lerr_hint(&e, "send smaller documents, or ask the operator about max_request_size");
		return http_fail(rq, &e);
	}
	return 0;
}

static int
soap_end(struct req *rq)
{
	struct soap *s = rq->state;
	const char *ctype = http_header(rq, "Content-Type");
	int mtom_route = !strcmp(rq->url, "/ws-iparapheur");
	struct lerr e;

	if (rq->failed)
		return 0;
	lerr_clear(&e);
	if (ipar_parse(&s->in, ctype, s->body.data, s->body.len, &e))
		return fault(s, arena_printf(rq->arena, "Requête SOAP illisible : %s%s%s", e.msg,
					     e.detail[0] ? " : " : "", e.detail));
	if (!s->in.mtom)
		buf_fini(&s->body);   /* the tree holds it all now; MTOM parts still point into it */
	if (s->in.mtom && !mtom_route)
		return fault(s, "MTOM refusé sur /ws-iparapheur-no-mtom : envoyez les fichiers en base64 "
			     "ou utilisez /ws-iparapheur");
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(ops[i].request, s->in.op_name) ||
		    !s->in.op->ns || strcmp((const char *)s->in.op->ns->href, IPAR_NS))
			continue;
		s->answer = ipar_resp_begin(&s->out, ops[i].answer, s->in.mtom);
		ops[i].fn(s);
		return soap_reply(s, s->answer ? 200 : 500);
	}
	const char *name = s->in.op_name;
	size_t n = strlen(name);
	return fault(s, arena_printf(rq->arena, "Opération inconnue : %.*s (élément %s%s%s)",
				     (int)(n > 7 && !strcmp(name + n - 7, "Request") ? n - 7 : n), name,
				     s->in.op->ns ? "{" : "", s->in.op->ns ? (const char *)s->in.op->ns->href : "",
				     s->in.op->ns ? "}" : ""));
}

static void
soap_done(struct req *rq)
{
	struct soap *s = rq->state;

	if (!s)
		return;
	ipar_req_fini(&s->in);
	ipar_resp_fini(&s->out);
	buf_fini(&s->body);
	store_release(http_store(rq), s->c);
}

const struct http_handler http_h_ipar = {
	.begin = soap_begin, .data = soap_data, .end = soap_end, .done = soap_done,
};

/* ---- GET /ws-iparapheur?wsdl, ?xsd=xmlmime ---- */

static int
has_arg(struct req *rq, const char *name)
{
	const char *v = NULL;
	size_t n = 0;

	return MHD_lookup_connection_value_n(rq->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name),
					     &v, &n) == MHD_YES;
}

/* liasse's URL as its clients reach it: public_url, else the Host they used. */
static const char *
base_url(struct req *rq)
{
	const char *pub = config_str("public_url"), *host = http_header(rq, "Host");
	size_t n = pub ? strlen(pub) : 0;

	if (n)
		return arena_strndup(rq->arena, pub, pub[n - 1] == '/' ? n - 1 : n);
	return arena_printf(rq->arena, "http://%s", host && !strpbrk(host, "\"<>& /") ? host : "localhost");
}

static int
wsdl_handle(struct req *rq)
{
	const char *xsd = http_query(rq, "xsd"), *path = config_str("iparapheur_wsdl");
	char *text = NULL;
	size_t n = 0;
	struct lerr e;

	lerr_clear(&e);
	if (xsd && !strcmp(xsd, "xmlmime")) {
		if (ipar_xmlmime_xsd(&text, &n))
			return lerr_set(&e, LERR_INTERNAL, NULL, "out of memory"), http_reply_problem(rq, &e);
		return http_reply_raw(rq, 200, "text/xml; charset=utf-8", text, n);
	}
	if (!has_arg(rq, "wsdl")) {
		lerr_set(&e, LERR_NOTFOUND, NULL, "the i-Parapheur web services answer SOAP requests here");
		lerr_hint(&e, "POST a SOAP 1.1 request, or GET /ws-iparapheur?wsdl for the WSDL");
		return http_reply_problem(rq, &e);
	}
	if (!path || !*path) {
		lerr_set(&e, LERR_NOTFOUND, "iparapheur_wsdl", "this liasse serves no i-Parapheur WSDL");
		lerr_hint(&e, "the operator sets iparapheur_wsdl to the WSDL file (doc/compat.md)");
		return http_reply_problem(rq, &e);
	}
	if (ipar_wsdl(path, base_url(rq), &text, &n, &e))
		return http_reply_problem(rq, &e);
	return http_reply_raw(rq, 200, "text/xml; charset=utf-8", text, n);
}

const struct http_handler http_h_ipar_wsdl = { .handle = wsdl_handle };
