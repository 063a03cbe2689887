-- functions/88_logo_publication.sql - an organisation's logo (the PAdES
-- block) and an act's publication date (the stamped act): 038_logo_publication.sql,
-- doc/pades.md.

-- Sets (replaces) the organisation's logo, journaled without the image.
CREATE OR REPLACE FUNCTION org_logo_set(p_siren text, p_type text, p_w integer, p_h integer,
	p_data bytea, p_actor text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	v_org bigint := org_id_of(p_siren);
BEGIN
	INSERT INTO org_logo (org_id, media_type, width, height, data, sha256)
	VALUES (v_org, p_type, p_w, p_h, p_data, sha256(p_data))
	ON CONFLICT (org_id) DO UPDATE SET media_type = EXCLUDED.media_type, width = EXCLUDED.width,
		height = EXCLUDED.height, data = EXCLUDED.data, sha256 = EXCLUDED.sha256, updated_at = now();
	PERFORM journal_append(p_actor, 'organisation.logo', NULL, v_org, jsonb_build_object(
		'media_type', p_type, 'width', p_w, 'height', p_h, 'size', length(p_data),
		'sha256', encode(sha256(p_data), 'hex')));
END $$;

-- Removes it; LQ404 when there is none.
CREATE OR REPLACE FUNCTION org_logo_delete(p_siren text, p_actor text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_org bigint := org_id_of(p_siren);
BEGIN
	DELETE FROM org_logo WHERE org_id = v_org;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'the organisation % has no logo', p_siren USING ERRCODE = 'LQ404',
			HINT = 'set one with PUT /api/v1/admin/organisations/{siren}/logo';
	END IF;
	PERFORM journal_append(p_actor, 'organisation.logo_removed', NULL, v_org, '{}'::jsonb);
END $$;

-- (doc_org_logo() read the logo once per document: a batch reads it once
-- per organisation now, by its id, store/logo.c store_org_logo_of().)
DROP FUNCTION IF EXISTS doc_org_logo(uuid);

-- The day it is in France (Europe/Paris), which is the day an act is published.
CREATE OR REPLACE FUNCTION paris_today() RETURNS date LANGUAGE sql STABLE AS $$
	SELECT (now() AT TIME ZONE 'Europe/Paris')::date
$$;

-- Checks a publication date for the act: acknowledged, not before its
-- decision date, not in the future.  LQ409 / LQ422 with the reason.
CREATE OR REPLACE FUNCTION publication_check(d document, p_date date) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF d.kind <> 'acte' OR d.state <> 'acknowledged' THEN
		RAISE EXCEPTION 'only an acknowledged act has a publication date: this % is %', d.kind, d.state
			USING ERRCODE = 'LQ409', HINT = 'wait for the prefecture''s acknowledgement (ARActe)';
	END IF;
	IF p_date < (d.meta->>'date_decision')::date THEN
		RAISE EXCEPTION 'the publication date % is before the decision date %', p_date,
			d.meta->>'date_decision' USING ERRCODE = 'LQ422', COLUMN = 'date',
			HINT = 'an act is published on or after the day it was decided';
	END IF;
	IF p_date > paris_today() THEN
		RAISE EXCEPTION 'the publication date % is in the future (today is %)', p_date, paris_today()
			USING ERRCODE = 'LQ422', COLUMN = 'date',
			HINT = 'give the day the act was published or displayed, once it has been';
	END IF;
END $$;

-- Records the act's publication date: one journal entry, one event
-- 'document.published' (the state unchanged).  Returns the previous date.
CREATE OR REPLACE FUNCTION document_publish(p_doc uuid, p_date date, p_actor text) RETURNS date
LANGUAGE plpgsql AS $$
DECLARE
	v_d document%ROWTYPE;
BEGIN
	SELECT * INTO v_d FROM document WHERE id = p_doc FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no such document' USING ERRCODE = 'LQ404';
	END IF;
	PERFORM publication_check(v_d, p_date);
	UPDATE document SET published_on = p_date, updated_at = clock_timestamp() WHERE id = p_doc;
	PERFORM journal_append(p_actor, 'document.published', p_doc, v_d.org_id,
		jsonb_build_object('date', p_date, 'previous', v_d.published_on));
	INSERT INTO event (client_id, org_id, doc_id, state, reason, type)
	VALUES (v_d.client_id, v_d.org_id, v_d.id, v_d.state, v_d.reason, 'document.published');
	RETURN v_d.published_on;
END $$;

-- A stamped copy (acte_tamponne, annexe_tamponnee), replaced in place when
-- it is stamped again (the same file number, so the same href): added the
-- first time.  p_stamps: the file number of what it stamps (migration 044);
-- an annexe_tamponnee is found by it, the act's one by its role alone.
-- The stamped file arrives as a blob (streamed in by store_blob_from_fd).
DROP FUNCTION IF EXISTS document_file_put(uuid, text, text, text, bytea);
DROP FUNCTION IF EXISTS document_file_put(uuid, text, text, text, bigint);
CREATE OR REPLACE FUNCTION document_file_put(p_doc uuid, p_role text, p_name text, p_type text,
	p_blob bigint, p_stamps integer DEFAULT NULL) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	v_n integer;
BEGIN
	PERFORM 1 FROM document WHERE id = p_doc FOR UPDATE;
	SELECT n INTO v_n FROM document_file WHERE doc_id = p_doc AND role = p_role
		AND (p_stamps IS NULL OR stamps IS NULL OR stamps = p_stamps)
		AND (p_role <> 'annexe_tamponnee' OR stamps = p_stamps)
	ORDER BY n DESC LIMIT 1;
	IF v_n IS NULL THEN
		v_n := document_file_attach_blob(p_doc, p_role, p_name, p_type, p_blob);
		UPDATE document_file SET stamps = p_stamps WHERE doc_id = p_doc AND n = v_n AND p_stamps IS NOT NULL;
		RETURN v_n;
	END IF;
	UPDATE document_file SET blob_id = p_blob, name = p_name, media_type = p_type,
		stamps = coalesce(p_stamps, stamps)
	WHERE doc_id = p_doc AND n = v_n;
	PERFORM journal_append('transmit', 'document.file_replaced', p_doc,
		(SELECT org_id FROM document WHERE id = p_doc),
		jsonb_build_object('n', v_n, 'role', p_role, 'name', p_name));
	RETURN v_n;
END $$;
