-- functions/77_letter.sql - the prefecture's letters and their answers
-- (tables in 020_letter.sql, doc/actes-letters.md).
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.

-- The answers each letter takes (ACTESv1.1 XSD: 2-2 ReponseCourrierSimple;
-- 3-2 PieceComplementaire, 3-3 RefusPieceComplementaire; 4-2
-- ReponseLettreObservations, 4-3 RejetLettreObservations; a 5-1 DefereTA
-- has none: the case goes on before the tribunal).
CREATE OR REPLACE FUNCTION letter_answers(p_code text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_code WHEN '2-1' THEN ARRAY['2-2'] WHEN '3-1' THEN ARRAY['3-2', '3-3']
		WHEN '4-1' THEN ARRAY['4-2', '4-3'] ELSE ARRAY[]::text[] END
$$;

-- The legal deadline of an answer: a demande de pièces complémentaires and
-- a lettre d'observations (recours gracieux) left unanswered two months are
-- refused implicitly (CRPA L231-4; CE 13 janvier 1988, CE 4 novembre 1996:
-- the prefect's two-month delay to refer the act, CGCT L2131-6, then runs
-- again).  A courrier simple and a déféré have none.
CREATE OR REPLACE FUNCTION letter_deadline(p_code text, p_date date) RETURNS date LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_code IN ('3-1', '4-1') AND p_date IS NOT NULL
		THEN (p_date + interval '2 months')::date END
$$;

-- A letter received for an act: one row per form (the same form read again
-- is ignored: 0), journalled, and an event 'document.letter' for the
-- document's client (its feed and webhooks).  Returns the letter id or 0.
CREATE OR REPLACE FUNCTION letter_add(p_doc uuid, p_code text, p_form text, p_idacte text, p_date date,
	p_text text, p_files text[], p_remote text DEFAULT NULL) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	v_doc document;
	v_id bigint;
BEGIN
	SELECT * INTO v_doc FROM document WHERE id = p_doc;
	INSERT INTO letter (doc_id, org_id, code, form_name, idacte, date_courrier, text, files, deadline, remote_id)
	VALUES (p_doc, v_doc.org_id, p_code, p_form, p_idacte, p_date, p_text, coalesce(p_files, '{}'),
		letter_deadline(p_code, p_date), p_remote)
	ON CONFLICT (doc_id, form_name) DO NOTHING RETURNING id INTO v_id;
	IF v_id IS NULL THEN
		RETURN 0;
	END IF;
	PERFORM journal_append('transmit', 'document.letter', p_doc, v_doc.org_id,
		jsonb_build_object('letter', v_id, 'code', p_code, 'name', p_form));
	INSERT INTO event (client_id, org_id, doc_id, type, state, letter_id)
	VALUES (v_doc.client_id, v_doc.org_id, p_doc, 'document.letter', v_doc.state, v_id);
	RETURN v_id;
END $$;

CREATE OR REPLACE FUNCTION letter_label(p_code text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_code
		WHEN '2-1' THEN 'Courrier simple' WHEN '2-2' THEN 'Réponse à un courrier simple'
		WHEN '3-1' THEN 'Demande de pièces complémentaires'
		WHEN '3-2' THEN 'Transmission de pièces complémentaires'
		WHEN '3-3' THEN 'Refus de transmettre les pièces complémentaires'
		WHEN '4-1' THEN 'Lettre d''observations' WHEN '4-2' THEN 'Réponse à une lettre d''observations'
		WHEN '4-3' THEN 'Refus de répondre à une lettre d''observations'
		WHEN '5-1' THEN 'Déféré au tribunal administratif' END
$$;

-- One letter as the API shows it.
CREATE OR REPLACE FUNCTION letter_json(p_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', l.id::text, 'code', l.code, 'label', letter_label(l.code),
		'idacte', l.idacte, 'date', l.date_courrier, 'text', l.text, 'deadline', l.deadline,
		'received_at', ts_text(l.received_at), 'form', l.form_name,
		'files', coalesce((SELECT jsonb_agg(jsonb_build_object('name', f.name,
				'href', '/api/v1/documents/' || f.doc_id || '/files/' || f.n) ORDER BY f.n)
			FROM document_file f WHERE f.doc_id = l.doc_id AND f.role = 'letter'
			AND (f.name = l.form_name OR f.name = ANY (l.files))), '[]'::jsonb),
		'answers', to_jsonb(letter_answers(l.code)),
		'answer', CASE WHEN l.answer_state = 'none' THEN NULL ELSE jsonb_build_object(
			'code', l.answer_code, 'label', letter_label(l.answer_code), 'state', l.answer_state,
			'error', l.answer_error, 'by', l.answer_by, 'name', l.answer_name,
			'answered_at', ts_text(l.answered_at), 'acknowledged_at', ts_text(l.answer_ack_at),
			'files', coalesce((SELECT jsonb_agg(jsonb_build_object('n', a.n, 'name', a.name,
					'media_type', a.media_type, 'size', b.size) ORDER BY a.n)
				FROM letter_answer_file a JOIN blob b ON b.id = a.blob_id WHERE a.letter_id = l.id),
				'[]'::jsonb)) END,
		'href', '/api/v1/documents/' || l.doc_id || '/letters/' || l.id)
	FROM letter l WHERE l.id = p_id
$$;

CREATE OR REPLACE FUNCTION letters_json(p_doc uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('items', coalesce((SELECT jsonb_agg(letter_json(l.id) ORDER BY l.id)
		FROM letter l WHERE l.doc_id = p_doc), '[]'::jsonb))
$$;

-- An answer given (by the vendor or an agent): checked, recorded, and a job
-- "letter_answer" to send it.  The files follow (letter_answer_file_add) in
-- the same transaction.  status: 0 ok, 404 no such letter on this document,
-- 409 not answerable now (message), 422 a code the letter does not take.
CREATE OR REPLACE FUNCTION letter_answer_begin(p_doc uuid, p_letter bigint, p_code text, p_by text,
	OUT status integer, OUT message text) LANGUAGE plpgsql AS $$
DECLARE
	v letter;
BEGIN
	SELECT * INTO v FROM letter WHERE id = p_letter AND doc_id = p_doc FOR UPDATE;
	IF NOT FOUND THEN
		status := 404; message := 'no letter ' || p_letter || ' on this document'; RETURN;
	END IF;
	IF cardinality(letter_answers(v.code)) = 0 THEN
		status := 409; message := letter_label(v.code) || ' (' || v.code || ') is not answered through @ctes';
		RETURN;
	END IF;
	IF NOT p_code = ANY (letter_answers(v.code)) THEN
		status := 422; message := 'a ' || v.code || ' is answered by ' || array_to_string(letter_answers(v.code), ' or ');
		RETURN;
	END IF;
	IF v.answer_state NOT IN ('none', 'refused') THEN
		status := 409; message := 'this letter was answered already (' || v.answer_code || ', ' || v.answer_state || ')';
		RETURN;
	END IF;
	DELETE FROM letter_answer_file WHERE letter_id = v.id;
	UPDATE letter SET answer_code = p_code, answer_state = 'new', answer_by = p_by, answer_name = NULL,
		answer_error = NULL, answer_sends = 0, answer_tries = 0, answer_sending_since = NULL,
		answered_at = now() WHERE id = v.id;
	INSERT INTO job (kind, doc_id) VALUES ('letter_answer', p_doc);
	PERFORM journal_append('transmit', 'document.letter_answer', p_doc, v.org_id,
		jsonb_build_object('letter', v.id, 'code', p_code, 'by', p_by));
	status := 0;
END $$;

-- The platform acknowledged an answer (ARPieceComplementaire for a 3-2 or
-- 3-3, ARReponseRejetLettreObservations for a 4-2 or 4-3: InfosCourrierPref
-- names the act and the letter's date): the answer of the act's letter of
-- that code and date, sent, becomes acknowledged.  Returns its id or 0.
CREATE OR REPLACE FUNCTION letter_answer_ack(p_doc uuid, p_code text, p_date date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v letter;
BEGIN
	UPDATE letter SET answer_state = 'acknowledged', answer_ack_at = now()
	WHERE id = (SELECT id FROM letter WHERE doc_id = p_doc AND code = p_code
		AND date_courrier IS NOT DISTINCT FROM p_date AND answer_state = 'sent' ORDER BY id DESC LIMIT 1)
	RETURNING * INTO v;
	IF v.id IS NULL THEN
		RETURN 0;
	END IF;
	PERFORM journal_append('transmit', 'document.letter_answer_ack', p_doc, v.org_id,
		jsonb_build_object('letter', v.id, 'code', v.answer_code));
	RETURN v.id;
END $$;

CREATE OR REPLACE FUNCTION letter_answer_file_add(p_letter bigint, p_name text, p_type text, p_data bytea)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	v_n integer;
BEGIN
	SELECT coalesce(max(n), 0) + 1 INTO v_n FROM letter_answer_file WHERE letter_id = p_letter;
	INSERT INTO letter_answer_file (letter_id, n, name, media_type, blob_id)
	VALUES (p_letter, v_n, p_name, p_type, blob_put_chunked(p_data));
	RETURN v_n;
END $$;
