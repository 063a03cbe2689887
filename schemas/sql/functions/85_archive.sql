-- functions/85_archive.sql - archiving the files of finished documents
-- (tables in 034_archive.sql; run by liassed's workers, src/retention.c and
-- src/store/archive.c; the procedure in doc/retention.md).
--
-- The workers copy each blob of a due document to archive_dir (named by its
-- SHA-256, written, synced and checked before anything here runs), then call
-- archive_document() in one short transaction: the document's state, the
-- blobs' archived_at, and the chunks no other living file needs.
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.

-- Up to p_batch documents whose organisation's archive_after has passed
-- since their last change and whose state leads to 'archived', oldest first.
CREATE OR REPLACE FUNCTION archive_due(p_batch integer) RETURNS SETOF uuid
LANGUAGE sql STABLE AS $$
	SELECT d.id FROM organisation o
	CROSS JOIN LATERAL (SELECT d.id, d.updated_at FROM document d
		WHERE d.org_id = o.id AND d.updated_at < now() - o.archive_after
		  AND d.state::text IN (SELECT from_state FROM document_transition
					WHERE event = 'archive' AND to_state <> from_state)
		ORDER BY d.updated_at LIMIT p_batch) d
	WHERE o.archive_after IS NOT NULL
	ORDER BY d.updated_at LIMIT p_batch
$$;

-- The blobs of a document's files that have no checked copy yet.
CREATE OR REPLACE FUNCTION archive_blobs(p_doc uuid) RETURNS TABLE (id bigint, sha256 bytea, size bigint,
	nchunks integer) LANGUAGE sql STABLE AS $$
	SELECT DISTINCT b.id, b.sha256, b.size, b.nchunks FROM document_file f JOIN blob b ON b.id = f.blob_id
	WHERE f.doc_id = p_doc AND b.archived_at IS NULL
$$;

-- Archives p_doc once the copies of its blobs are written and checked:
-- marks them, moves the document to 'archived' (journaled, an event for the
-- vendor) and deletes the chunks of each of its blobs that no file of a
-- document not archived, and no PES_Retour, still uses.  Returns the chunks
-- deleted; LQ409 if the document changed meanwhile (it is then left alone).
CREATE OR REPLACE FUNCTION archive_document(p_doc uuid, p_actor text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_n integer;
BEGIN
	PERFORM document_apply(p_doc, 'archive', p_actor, NULL, NULL);
	UPDATE blob SET archived_at = now()
	WHERE id IN (SELECT blob_id FROM document_file WHERE doc_id = p_doc) AND archived_at IS NULL;
	DELETE FROM blob_chunk c WHERE c.blob_id IN (
		SELECT f.blob_id FROM document_file f WHERE f.doc_id = p_doc
		EXCEPT SELECT f.blob_id FROM document_file f JOIN document d ON d.id = f.doc_id
		       WHERE d.state <> 'archived' AND f.blob_id IN (SELECT blob_id FROM document_file WHERE doc_id = p_doc)
		EXCEPT SELECT r.blob_id FROM org_return r);
	GET DIAGNOSTICS v_n = ROW_COUNT;
	RETURN v_n;
END $$;

-- An organisation's archive_after as an administrator writes it ("10 years",
-- "P10Y"); a refusal naming the field when it is not a positive duration.
CREATE OR REPLACE FUNCTION archive_policy(p_text text) RETURNS interval LANGUAGE plpgsql STABLE AS $$
DECLARE
	v interval;
BEGIN
	IF p_text IS NULL THEN
		RETURN NULL;
	END IF;
	BEGIN
		v := p_text::interval;
	EXCEPTION WHEN others THEN
		v := NULL;
	END;
	IF v IS NULL OR v <= interval '0' THEN
		RAISE EXCEPTION 'archive_after "%" is not a positive duration', p_text USING ERRCODE = 'LQ422',
			COLUMN = 'archive_after', HINT = 'write a duration as PostgreSQL reads one ("10 years", '
			'"18 months", "P10Y"), or "never"';
	END IF;
	RETURN v;
END $$;
