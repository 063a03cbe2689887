-- functions/75_org_return.sql - an organisation's returns (014_org_return.sql).

-- A returned file of the organisation; journalled, and an event
-- 'organisation.return' for each live client of the organisation (the feed,
-- the webhooks).  Returns its id.
CREATE OR REPLACE FUNCTION org_return_add(p_org bigint, p_kind text, p_name text, p_type text,
	p_data bytea, p_source text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	v_id bigint;
BEGIN
	INSERT INTO org_return (org_id, kind, name, media_type, blob_id, source)
	VALUES (p_org, p_kind, p_name, p_type, blob_put_chunked(p_data), p_source) RETURNING id INTO v_id;
	PERFORM journal_append('transmit', 'organisation.return', NULL, p_org,
		jsonb_build_object('return', v_id, 'kind', p_kind, 'name', p_name));
	INSERT INTO event (client_id, org_id, type, return_id)
	SELECT co.client_id, p_org, 'organisation.return', v_id FROM api_client_org co
	JOIN api_client a ON a.id = co.client_id WHERE co.org_id = p_org AND a.revoked_at IS NULL;
	RETURN v_id;
END $$;

-- One return as the API shows it (the list, the events).
CREATE OR REPLACE FUNCTION org_return_json(p_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', r.id::text, 'kind', r.kind, 'name', r.name,
		'media_type', r.media_type, 'size', b.size, 'sha256', encode(b.sha256, 'hex'),
		'received_at', r.received_at,
		'href', '/api/v1/organisations/' || o.siren || '/returns/' || r.id)
	FROM org_return r JOIN blob b ON b.id = r.blob_id JOIN organisation o ON o.id = r.org_id
	WHERE r.id = p_id
$$;

-- The organisation's returns, newest first (at most 1000), as the API shows them.
CREATE OR REPLACE FUNCTION org_returns_json(p_org bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('items', coalesce((SELECT jsonb_agg(org_return_json(x.id) ORDER BY x.id DESC)
		FROM (SELECT r.id FROM org_return r WHERE r.org_id = p_org ORDER BY r.id DESC LIMIT 1000) x), '[]'::jsonb))
$$;
