-- 002_document_json.sql - the document as the API, the CLI and the web pages show it.

CREATE FUNCTION ts_text(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

CREATE FUNCTION doc_json(d document) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', d.id,
		'kind', d.kind,
		'state', d.state,
		'organisation', (SELECT siren FROM organisation WHERE id = d.org_id),
		'title', d.title,
		'signer', d.signer_hint,
		'sign', d.want_sign,
		'transmit', d.want_transmit,
		'due_date', d.due_date,
		'external_ref', d.external_ref,
		'created_at', ts_text(d.created_at),
		'updated_at', ts_text(d.updated_at),
		'files', coalesce((SELECT jsonb_agg(jsonb_build_object(
				'id', f.n, 'role', f.role, 'name', f.name, 'media_type', f.media_type,
				'size', b.size, 'sha256', encode(b.sha256, 'hex'),
				'href', '/api/v1/documents/' || d.id || '/files/' || f.n) ORDER BY f.n)
			FROM document_file f JOIN blob b ON b.id = f.blob_id WHERE f.doc_id = d.id), '[]'),
		'warnings', d.warnings,
		'reason', d.reason)
		|| CASE WHEN d.kind IN ('pes', 'acte') THEN jsonb_build_object(d.kind::text, d.meta)
			ELSE '{}'::jsonb END
$$;

-- Hélios wants NomFic unique per CodCol: look it up by organisation, CodCol and NomFic.
CREATE INDEX document_pes_nomfic ON document (org_id, (meta->>'codcol'), (meta->>'nomfic'))
	WHERE kind = 'pes';
