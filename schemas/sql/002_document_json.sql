-- 002_document_json.sql - the document as the API, the CLI and the web pages
-- show it: doc_json() is in functions/20_document.sql.

-- Hélios wants NomFic unique per CodCol: look it up by organisation, CodCol and NomFic.
CREATE INDEX document_pes_nomfic ON document (org_id, (meta->>'codcol'), (meta->>'nomfic'))
	WHERE kind = 'pes';
