/*
 * ipar_create.c - CreerDossier and CreerDossierPES: an i-Parapheur dossier
 * becomes an ordinary liasse document, created by http_ingest_parts() (the same
 * door checks, creation, journal, events and webhooks as POST
 * /api/v1/documents), with the vendor's client as the actor.
 *
 *   TypeTechnique + SousType  -> the organisation's ipar_type row: kind and
 *                                circuit (metadata.circuit; NULL: routing)
 *   DossierID                 -> external_ref, and the idempotency key
 *                                "iparapheur:<DossierID>": unique per client
 *   DocumentPrincipal/FichierPES, NomDocPrincipal, DocumentsAnnexes -> files
 *   MetaDataTdtACTES          -> metadata.acte
 *   DateLimite                -> due_date
 *   AnnotationPublique/Privee, Visibilite -> ipar_dossier (GetDossier)
 *
 * Field names and what Pastell sends: connecteur/iParapheur/IParapheur.php
 * (sendDossier).  See doc/compat.md.
 */
#include "http/ipar_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"

#define MAX_ANNEXES 100

struct dossier_in {
	char *type, *sous_type, *id, *annot_pub, *annot_priv, *visibilite, *date_limite, *xpath;
	char *nom;
	const char *siren, *kind, *circuit;
	struct buf files[MAX_ANNEXES + 1];
	struct http_ingest_file parts[MAX_ANNEXES + 1];
	int nfiles;
};

static void
dossier_fini(struct dossier_in *d)
{
	free(d->type), free(d->sous_type), free(d->id), free(d->annot_pub), free(d->annot_priv);
	free(d->visibilite), free(d->date_limite), free(d->xpath), free(d->nom);
	for (int i = 0; i < d->nfiles; i++)
		buf_fini(&d->files[i]);
}

/* The (TypeTechnique, SousType) among the client's organisations'; a KO
 * answered when there is none (i-Parapheur refuses an unknown sub-type). */
static int
find_type(struct soap *s, struct dossier_in *d)
{
	struct lerr e;
	json_t *t = ipar_types(s, &e), *v;
	int type_known = 0, rc = -1;
	size_t i;

	if (!t)
		return ipar_ko(s, "%s", ipar_refusal(s, &e)), -1;
	json_array_foreach(t, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "type")), d->type))
			continue;
		type_known = 1;
		if (strcmp(json_string_value(json_object_get(v, "sous_type")), d->sous_type))
			continue;
		d->siren = arena_strdup(s->rq->arena, json_string_value(json_object_get(v, "siren")));
		d->kind = arena_strdup(s->rq->arena, json_string_value(json_object_get(v, "kind")));
		d->circuit = json_is_string(json_object_get(v, "circuit")) ?
			arena_strdup(s->rq->arena, json_string_value(json_object_get(v, "circuit"))) : NULL;
		rc = 0;
		break;
	}
	json_decref(t);
	if (rc && !type_known)
		ipar_ko(s, "Le type technique '%s' n'existe pas", d->type);
	else if (rc)
		ipar_ko(s, "Le sous-type '%s' n'existe pas pour le type '%s'", d->sous_type, d->type);
	return rc;
}

static const char *
ext_of(const char *ctype)
{
	if (ctype && strstr(ctype, "pdf"))
		return ".pdf";
	if (ctype && strstr(ctype, "xml"))
		return ".xml";
	return "";
}

/* One TypeDoc into the next file part. */
static int
add_part(struct soap *s, struct dossier_in *d, xmlNodePtr el, const char *key, const char *name,
	 const char *mimetype)
{
	struct http_ingest_file *f = &d->parts[d->nfiles];
	struct buf *b = &d->files[d->nfiles];
	char *ctype = NULL;
	struct lerr e;

	buf_init(b, (size_t)http_opts_of(s->rq)->max_request);
	d->nfiles++;
	if (ipar_binary(&s->in, el, b, &ctype, &e)) {
		free(ctype);
		return ipar_ko(s, "Fichier %s illisible : %s", (const char *)el->name, e.msg), -1;
	}
	if (b->len == 0) {
		free(ctype);
		return ipar_ko(s, "Le fichier %s est vide", (const char *)el->name), -1;
	}
	*f = (struct http_ingest_file){
		.key = key, .data = b->data, .len = b->len,
		.ctype = arena_strdup(s->rq->arena, mimetype ? mimetype : ctype),
		.name = name ? arena_strdup(s->rq->arena, name) :
			arena_printf(s->rq->arena, "%s%s", d->id, ext_of(ctype)),
	};
	free(ctype);
	return 0;
}

static int
annexes(struct soap *s, struct dossier_in *d)
{
	xmlNodePtr list = ipar_child(s->in.op, "DocumentsAnnexes");

	for (xmlNodePtr a = list ? list->children : NULL; a; a = a->next) {
		if (a->type != XML_ELEMENT_NODE || strcmp((const char *)a->name, "DocAnnexe"))
			continue;
		char *nom = ipar_text(a, "nom"), *mt = ipar_text(a, "mimetype");
		xmlNodePtr f = ipar_child(a, "fichier");
		int rc = d->nfiles > MAX_ANNEXES ? (ipar_ko(s, "Plus de %d annexes", MAX_ANNEXES), -1) :
			 !f ? (ipar_ko(s, "Annexe sans fichier"), -1) :
			 add_part(s, d, f, "annexe", nom && *nom ? nom : NULL, mt && *mt ? mt : NULL);

		free(nom);
		free(mt);
		if (rc)
			return rc;
	}
	return 0;
}

/* MetaDataTdtACTES' nature: the @ctes code (1 to 6), its letters or its label. */
static json_t *
nature(const char *v)
{
	static const char *const codes[] = { "DE", "AR", "AI", "CC", "BF", "AU" };
	static const char *const labels[] = { "délib", "arrêtés r", "arrêtés i", "contrat", "documents b",
					      "autre" };

	if (v[0] >= '1' && v[0] <= '6' && !v[1])
		return json_integer(v[0] - '0');
	for (int i = 0; i < 6; i++)
		if (!strcasecmp(v, codes[i]) || !strncasecmp(v, labels[i], strlen(labels[i])))
			return json_integer(i + 1);
	return json_string(v);      /* the door says what is wrong */
}

/* The act's number: MetaData "numero"/"numero_interne" when given, else the
 * DossierID in the characters @ctes takes (A-Z 0-9 _, 15 at most). */
static json_t *
numero(struct soap *s, const char *id)
{
	xmlNodePtr md = ipar_child(s->in.op, "MetaData");
	char n[16];
	size_t k = 0;

	for (xmlNodePtr m = md ? md->children : NULL; m; m = m->next) {
		char *nom = m->type == XML_ELEMENT_NODE ? ipar_text(m, "nom") : NULL;
		int hit = nom && (!strcmp(nom, "numero") || !strcmp(nom, "numero_interne"));

		free(nom);
		if (hit) {
			char *v = ipar_text(m, "valeur");
			json_t *j = json_string(v ? v : "");

			free(v);
			return j;
		}
	}
	for (const char *p = id; *p && k < 15; p++)
		if (isalnum((unsigned char)*p) || *p == '_')
			n[k++] = (char)toupper((unsigned char)*p);
	n[k] = '\0';
	return json_string(n);
}

static json_t *
acte_meta(struct soap *s, const char *id)
{
	xmlNodePtr m = ipar_child(s->in.op, "MetaDataTdtACTES");
	char *nat = ipar_text(m, "nature"), *cl = ipar_text(m, "classification");
	char *date = ipar_text(m, "date"), *objet = ipar_text(m, "objet");
	json_t *a = json_object();

	if (nat && *nat)
		json_object_set_new(a, "nature", nature(nat));
	if (cl && *cl)
		json_object_set_new(a, "classification", json_string(cl));
	if (date && *date)
		json_object_set_new(a, "date_decision", json_string(date));
	if (objet && *objet)
		json_object_set_new(a, "objet", json_string(objet));
	json_object_set_new(a, "numero_interne", numero(s, id));
	free(nat), free(cl), free(date), free(objet);
	return a;
}

static json_t *
metadata(struct soap *s, struct dossier_in *d)
{
	json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "kind", d->kind,
			      "organisation", d->siren, "title", d->id, "external_ref", d->id,
			      "sign", 1, "transmit", 0);

	if (d->circuit)
		json_object_set_new(m, "circuit", json_string(d->circuit));
	if (d->date_limite && *d->date_limite)
		json_object_set_new(m, "due_date", json_string(d->date_limite));
	if (!strcmp(d->kind, "acte"))
		json_object_set_new(m, "acte", acte_meta(s, d->id));
	return m;
}

static int
read_request(struct soap *s, struct dossier_in *d, int pes)
{
	xmlNodePtr op = s->in.op, main;
	const char *why;

	d->type = ipar_text(op, "TypeTechnique");
	d->sous_type = ipar_text(op, "SousType");
	d->id = ipar_text(op, "DossierID");
	d->annot_pub = ipar_text(op, "AnnotationPublique");
	d->annot_priv = ipar_text(op, "AnnotationPrivee");
	d->visibilite = ipar_text(op, "Visibilite");
	d->date_limite = ipar_text(op, "DateLimite");
	d->xpath = ipar_text(op, pes ? "XPathPourSignaturePES" : "XPathPourSignatureXML");
	d->nom = pes ? NULL : ipar_text(op, "NomDocPrincipal");
	if (!d->type || !d->sous_type || !d->id || !*d->id || strlen(d->id) > 200)
		return ipar_ko(s, "TypeTechnique, SousType et DossierID (1 à 200 caractères) sont "
			       "obligatoires"), -1;
	if (find_type(s, d))
		return -1;
	if (pes != !strcmp(d->kind, "pes"))
		return ipar_ko(s, pes ? "Le type %s/%s n'est pas un type PES : utilisez CreerDossier" :
			       "Le type %s/%s est un type PES : utilisez CreerDossierPES", d->type,
			       d->sous_type), -1;
	if (!strcmp(d->kind, "pes") && ipar_pes_xpath(d->xpath, &why))
		return ipar_ko(s, "%s", why), -1;
	if (!(main = ipar_child(op, pes ? "FichierPES" : "DocumentPrincipal")))
		return ipar_ko(s, "%s manquant", pes ? "FichierPES" : "DocumentPrincipal"), -1;
	if (add_part(s, d, main, "file", d->nom && *d->nom ? d->nom : NULL, NULL))
		return -1;
	return pes ? 0 : annexes(s, d);
}

static int
created(struct soap *s, struct dossier_in *d, const struct http_ingest_out *out)
{
	struct ipar_dossier row = { .dossier_id = d->id, .type_technique = d->type,
				    .sous_type = d->sous_type, .annotation_publique = d->annot_pub,
				    .annotation_privee = d->annot_priv, .visibilite = d->visibilite };
	struct lerr e;

	if (ipar_conn(s, &e) || store_ipar_dossier_add(s->c, out->id, s->rq->client.id, &row, &e))
		log_warn("i-Parapheur dossier %s (document %s) not recorded: %s", d->id, out->id, e.msg);
	log_info("i-Parapheur dossier %s is document %s", d->id, out->id);
	ipar_resp_retour(&s->out, s->answer, 1, "Dossier déposé avec succès");
	return 0;
}

static int
creer(struct soap *s, int pes)
{
	struct dossier_in d;
	struct http_ingest_out out;
	json_t *m = NULL;
	int rc;

	memset(&d, 0, sizeof(d));
	if (read_request(s, &d, pes))
		goto out;
	m = metadata(s, &d);
	store_release(http_store(s->rq), s->c);   /* the ingest takes its own */
	s->c = NULL;
	rc = http_ingest_parts(s->rq, m, d.parts, d.nfiles, arena_printf(s->rq->arena, "iparapheur:%s", d.id),
			 &out);
	if (!rc && out.status == 201)
		created(s, &d, &out);
	else if (out.status == 200 || (out.status == 409 && !strcmp(out.err.field, "Idempotency-Key")))
		ipar_ko(s, "Le nom de dossier %s est déjà présent dans le Parapheur", d.id);
	else
		ipar_ko(s, "Dossier %s %s", d.id, ipar_refusal(s, &out.err));
	free(out.body);
out:
	json_decref(m);
	dossier_fini(&d);
	return 0;
}

int
ipar_op_creer(struct soap *s)
{
	return creer(s, 0);
}

int
ipar_op_creer_pes(struct soap *s)
{
	return creer(s, 1);
}
