-- 027_iparapheur.sql - the i-Parapheur web services (doc/compat.md, section
-- i-Parapheur): each organisation's types and sub-types, and what a dossier
-- created through them carries beyond an ordinary document.
--
-- ipar_type: (TypeTechnique, SousType) of an organisation -> a liasse kind and
-- a circuit name (NULL: the organisation's routing, i.e. a one-step circuit).
CREATE TABLE IF NOT EXISTS ipar_type (
	org_id         bigint NOT NULL REFERENCES organisation(id),
	type_technique text NOT NULL CHECK (length(type_technique) BETWEEN 1 AND 100),
	sous_type      text NOT NULL CHECK (length(sous_type) BETWEEN 1 AND 100),
	kind           doc_kind NOT NULL,
	circuit        text CHECK (length(circuit) BETWEEN 1 AND 200),
	PRIMARY KEY (org_id, type_technique, sous_type)
);

-- ipar_dossier: a document created by CreerDossier/CreerDossierPES.  The
-- DossierID is unique per client through the idempotency record
-- ("iparapheur:<DossierID>", the same statement that creates the document);
-- this row keeps what i-Parapheur gives back (type, sub-type, annotations,
-- visibility) and is written in the same transaction as the document.
CREATE TABLE IF NOT EXISTS ipar_dossier (
	doc_id             uuid PRIMARY KEY REFERENCES document(id) ON DELETE CASCADE,
	client_id          bigint NOT NULL REFERENCES api_client(id),
	dossier_id         text NOT NULL,
	type_technique     text NOT NULL,
	sous_type          text NOT NULL,
	annotation_publique text,
	annotation_privee  text,
	visibilite         text,
	archived           boolean NOT NULL DEFAULT false,
	UNIQUE (client_id, dossier_id)
);
