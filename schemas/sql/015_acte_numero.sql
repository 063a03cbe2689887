-- 015_acte_numero.sql - @ctes refuses, as a duplicate, a second act with the
-- same NumeroInterne and decision date from the same organisation:
-- document_create() (functions/20_document.sql) refuses it at the door and
-- looks it up through this index.
CREATE INDEX IF NOT EXISTS document_acte_numero ON document (org_id, (meta->>'numero_interne'),
	(meta->>'date_decision')) WHERE kind = 'acte';
