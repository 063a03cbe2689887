-- 003_document_create.sql - a document, its files, its journal entry and its
-- job in one statement: the common upload (files of at most one chunk, sent
-- inline) costs one round trip.  Large files were streamed into blobs by the
-- same transaction beforehand and arrive as blob ids.
--
-- p_files: [{"role", "name", "media_type", "sha256" (hex), "size",
--            "blob" (id) | "off"+"len" (bytes of p_data)}]
-- Returns (status, out_id, body): 201 and the document; 200 and the earlier document
-- for a replayed idempotency key; 409 {"doc"} for a key used with another
-- request; 403 {} for an organisation the client may not use; 422 {"doc"}
-- for a NomFic already sent for this CodCol.

CREATE FUNCTION blob_put_small(p_sha bytea, p_data bytea) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v_id bigint;
BEGIN
	INSERT INTO blob (sha256, size, nchunks) VALUES (p_sha, length(p_data), 1)
		ON CONFLICT (sha256) DO NOTHING RETURNING id INTO v_id;
	IF v_id IS NULL THEN
		SELECT id INTO v_id FROM blob WHERE sha256 = p_sha;
	ELSE
		INSERT INTO blob_chunk (blob_id, seq, data) VALUES (v_id, 0, p_data);
	END IF;
	RETURN v_id;
END $$;

CREATE FUNCTION document_create(p_client bigint, p_siren text, p_kind doc_kind, p_title text,
	p_signer text, p_sign boolean, p_transmit boolean, p_due date, p_ext text, p_meta jsonb,
	p_warnings jsonb, p_files jsonb, p_data bytea, p_idem_key text, p_idem_sha bytea,
	p_actor text, p_job text, OUT status integer, OUT out_id uuid, OUT body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	v_org bigint;
	v_doc document%ROWTYPE;
	v_prev idempotency%ROWTYPE;
	v_other uuid;
	v_file jsonb;
	v_blob bigint;
	v_n integer := 0;
BEGIN
	SELECT o.id INTO v_org FROM organisation o JOIN api_client_org co ON co.org_id = o.id
		WHERE co.client_id = p_client AND o.siren = p_siren;
	IF v_org IS NULL THEN
		status := 403; body := '{}'; RETURN;
	END IF;
	IF p_idem_key IS NOT NULL THEN
		SELECT * INTO v_prev FROM idempotency WHERE client_id = p_client AND key = p_idem_key;
		IF FOUND THEN
			IF v_prev.request_sha256 = p_idem_sha THEN
				SELECT 200, d.id, doc_json(d) INTO status, out_id, body FROM document d WHERE d.id = v_prev.doc_id;
			ELSE
				status := 409; body := jsonb_build_object('doc', v_prev.doc_id);
			END IF;
			RETURN;
		END IF;
	END IF;
	IF p_kind = 'pes' THEN
		PERFORM pg_advisory_xact_lock(hashtextextended(v_org || '/' || (p_meta->>'codcol') || '/' ||
			(p_meta->>'nomfic'), 0));
		SELECT id INTO v_other FROM document WHERE kind = 'pes' AND org_id = v_org
			AND meta->>'codcol' = p_meta->>'codcol' AND meta->>'nomfic' = p_meta->>'nomfic'
			AND state NOT IN ('cancelled', 'rejected', 'refused', 'failed') LIMIT 1;
		IF FOUND THEN
			status := 422; body := jsonb_build_object('doc', v_other); RETURN;
		END IF;
	END IF;
	INSERT INTO document (org_id, client_id, kind, title, signer_hint, want_sign, want_transmit,
		due_date, external_ref, meta, warnings)
	VALUES (v_org, p_client, p_kind, p_title, p_signer, p_sign, p_transmit, p_due, p_ext,
		coalesce(p_meta, '{}'), coalesce(p_warnings, '[]'))
	RETURNING * INTO v_doc;
	FOR v_file IN SELECT * FROM jsonb_array_elements(p_files) LOOP
		v_blob := (v_file->>'blob')::bigint;
		IF v_blob IS NULL THEN
			v_blob := blob_put_small(decode(v_file->>'sha256', 'hex'),
				substring(p_data FROM (v_file->>'off')::integer + 1 FOR (v_file->>'len')::integer));
		END IF;
		INSERT INTO document_file (doc_id, n, role, name, media_type, blob_id)
		VALUES (v_doc.id, v_n, v_file->>'role', v_file->>'name', v_file->>'media_type', v_blob);
		v_n := v_n + 1;
	END LOOP;
	IF p_idem_key IS NOT NULL THEN
		INSERT INTO idempotency (client_id, key, request_sha256, doc_id)
		VALUES (p_client, p_idem_key, p_idem_sha, v_doc.id);
	END IF;
	IF p_job IS NOT NULL THEN
		INSERT INTO job (kind, doc_id) VALUES (p_job, v_doc.id);
	END IF;
	PERFORM journal_append(p_actor, 'document.received', v_doc.id, v_org, '{}');
	status := 201;
	out_id := v_doc.id;
	body := doc_json(v_doc);
END $$;
