-- functions/50_certificate.sql - officials' certificates, PIN attempts and the
-- signing of documents (tables and the custody design in 005_certificate.sql).
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.

-- The certificate a person signs with: the newest active one; else the
-- newest awaiting enrolment; else the newest revoked (so that the refusal can
-- say why).
CREATE OR REPLACE FUNCTION cert_current(p_person bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT id FROM certificate WHERE person_id = p_person
	ORDER BY CASE state WHEN 'active' THEN 0 WHEN 'enrolment' THEN 1 ELSE 2 END,
		coalesce(enrolled_at, created_at) DESC, id DESC
	LIMIT 1
$$;

-- The public face of a certificate (API, CLI, web): never the blob.
CREATE OR REPLACE FUNCTION cert_json(c certificate) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'id', c.id,
		'person', (SELECT jsonb_build_object('id', p.id, 'email', p.email, 'name', p.name)
			   FROM person p WHERE p.id = c.person_id),
		'subject', c.subject, 'issuer', c.issuer, 'serial', c.serial,
		'not_before', ts_text(c.not_before), 'not_after', ts_text(c.not_after),
		'expired', now() >= c.not_after, 'not_yet_valid', now() < c.not_before,
		'days_left', greatest(0, floor(extract(epoch FROM c.not_after - now()) / 86400))::int,
		'state', c.state,
		'pin_failures', c.pin_failures,
		'locked', c.locked_at IS NOT NULL,
		'locked_at', ts_text(c.locked_at),
		'created_at', ts_text(c.created_at),
		'enrolled_at', ts_text(c.enrolled_at),
		'revoked_at', ts_text(c.revoked_at),
		'sha256', encode(c.cert_sha256, 'hex'))
$$;

-- ---------------------------------------------------------------------------
-- Administration.  Refusals meant for the caller are raised with SQLSTATE
-- LQ<http status> (as in 004_people.sql).

-- An import.  The chain is what the PKCS#12 held besides the certificate:
-- often nothing ('', never NULL); verifiers then build the path from their
-- trust anchors (trust_dir).  A certificate of the person still awaiting
-- enrolment is replaced (deleted, with its key blob, whose code dies with
-- it): an administrator importing again, because a code was lost or the
-- first file was the wrong one, never leaves two pending certificates.
-- The person's row lock serialises two imports for the same person.
-- Returns the new id and the one replaced (NULL if none).
DROP FUNCTION IF EXISTS cert_add(bigint, text, bytea, bytea, bytea, text, text, text, timestamptz,
	timestamptz, bytea, text);
CREATE OR REPLACE FUNCTION cert_add(p_admin bigint, p_email text, p_der bytea, p_chain bytea, p_sha bytea,
	p_subject text, p_issuer text, p_serial text, p_not_before timestamptz, p_not_after timestamptz,
	p_blob bytea, p_actor text, OUT id bigint, OUT replaced bigint) LANGUAGE plpgsql AS $$
DECLARE
	v_person bigint := person_id_of(p_email);
	v_old bigint[];
BEGIN
	IF NOT cert_admin_may(p_admin, v_person) THEN
		RAISE EXCEPTION 'you do not administer %', p_email USING ERRCODE = 'LQ403', COLUMN = 'person',
			HINT = 'an administrator of one of their organisations, or an operator, may import it';
	END IF;
	PERFORM 1 FROM person WHERE person.id = v_person FOR NO KEY UPDATE;
	WITH d AS (DELETE FROM certificate c WHERE c.person_id = v_person AND c.state = 'enrolment'
		RETURNING c.id)
	SELECT array_agg(d.id ORDER BY d.id DESC) INTO v_old FROM d;
	INSERT INTO certificate (person_id, cert_der, chain_der, cert_sha256, subject, issuer, serial,
		not_before, not_after, key_blob, created_by)
	VALUES (v_person, p_der, coalesce(p_chain, ''), p_sha, p_subject, p_issuer, p_serial, p_not_before,
		p_not_after, p_blob, p_actor) RETURNING certificate.id INTO id;
	replaced := v_old[1];
	IF v_old IS NOT NULL THEN
		PERFORM journal_append(p_actor, 'certificate.replaced', NULL, NULL,
			jsonb_build_object('certificates', to_jsonb(v_old), 'by', id, 'email', lower(p_email),
				'reason', 'awaiting enrolment, replaced by a new import'));
	END IF;
	PERFORM journal_append(p_actor, 'certificate.imported', NULL, NULL,
		jsonb_build_object('certificate', id, 'email', lower(p_email), 'subject', p_subject,
			'serial', p_serial, 'not_after', ts_text(p_not_after), 'replaces', v_old[1],
			'chain', length(coalesce(p_chain, '')) > 0));
END $$;

-- Whether p_admin may manage p_person's certificates: an operator
-- administrator, or an administrator of an organisation where p_person holds
-- a role.  p_admin NULL: the command line (the database's own access rules).
CREATE OR REPLACE FUNCTION cert_admin_may(p_admin bigint, p_person bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT p_admin IS NULL
		OR EXISTS (SELECT 1 FROM person WHERE id = p_admin AND is_operator AND disabled_at IS NULL)
		OR EXISTS (SELECT 1 FROM person_role a JOIN person_role t ON t.org_id = a.org_id
			   WHERE a.person_id = p_admin AND a.role = 'org_admin' AND t.person_id = p_person)
$$;

-- Certificates p_admin may manage (p_person NULL: of everyone), nearest
-- expiry first, revoked last.
CREATE OR REPLACE FUNCTION cert_list(p_admin bigint, p_person bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p_admin IS NOT NULL AND NOT EXISTS (SELECT 1 FROM person WHERE id = p_admin AND is_operator)
	   AND NOT EXISTS (SELECT 1 FROM person_role WHERE person_id = p_admin AND role = 'org_admin') THEN
		RAISE EXCEPTION 'this needs an administrator' USING ERRCODE = 'LQ403',
			HINT = 'your own certificate is at /api/v1/me/certificate';
	END IF;
	RETURN (SELECT coalesce(jsonb_agg(cert_json(c) ORDER BY c.state = 'revoked', c.not_after, c.id), '[]')
		FROM certificate c WHERE (p_person IS NULL OR c.person_id = p_person)
		AND cert_admin_may(p_admin, c.person_id));
END $$;

-- The certificate an administrator acts on: by id, or the person's current one.
CREATE OR REPLACE FUNCTION cert_target(p_id bigint, p_email text, p_admin bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_id bigint;
BEGIN
	IF p_id IS NOT NULL THEN
		SELECT id INTO v_id FROM certificate WHERE id = p_id AND cert_admin_may(p_admin, person_id);
	ELSE
		v_id := cert_current(person_id_of(p_email));
	END IF;
	IF v_id IS NULL THEN
		RAISE EXCEPTION 'no such certificate' USING ERRCODE = 'LQ404',
			HINT = 'the list of certificates gives their ids';
	END IF;
	RETURN v_id;
END $$;

CREATE OR REPLACE FUNCTION cert_unlock(p_id bigint, p_email text, p_admin bigint, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_c certificate%ROWTYPE;
BEGIN
	UPDATE certificate SET pin_failures = 0, locked_at = NULL WHERE id = cert_target(p_id, p_email, p_admin)
	RETURNING * INTO v_c;
	PERFORM journal_append(p_actor, 'certificate.unlocked', NULL, NULL,
		jsonb_build_object('certificate', v_c.id));
	RETURN cert_json(v_c);
END $$;

CREATE OR REPLACE FUNCTION cert_revoke(p_id bigint, p_email text, p_admin bigint, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_c certificate%ROWTYPE;
BEGIN
	UPDATE certificate SET state = 'revoked', revoked_at = coalesce(revoked_at, now())
	WHERE id = cert_target(p_id, p_email, p_admin) RETURNING * INTO v_c;
	PERFORM journal_append(p_actor, 'certificate.revoked', NULL, NULL,
		jsonb_build_object('certificate', v_c.id));
	RETURN cert_json(v_c);
END $$;

-- ---------------------------------------------------------------------------
-- PIN attempts.  Each call is its own committed transaction (the caller is
-- not inside one): a reservation counts even if the batch then fails.

-- Reserve one attempt: the attempts left after this one (0..4), or NULL when
-- the certificate is locked (five failures) or revoked.
CREATE OR REPLACE FUNCTION cert_pin_reserve(p_id bigint) RETURNS integer LANGUAGE sql AS $$
	UPDATE certificate SET pin_failures = pin_failures + 1
	WHERE id = p_id AND state <> 'revoked' AND locked_at IS NULL AND pin_failures < 5
	RETURNING 5 - pin_failures
$$;

-- The attempt's outcome: 'ok' clears the counter, 'wrong' keeps the
-- reservation (and locks at five), 'void' gives it back (not a guess: a
-- damaged blob, an internal failure).  Returns the attempts left.
CREATE OR REPLACE FUNCTION cert_pin_outcome(p_id bigint, p_outcome text, p_actor text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	v_c certificate%ROWTYPE;
BEGIN
	IF p_outcome = 'ok' THEN
		UPDATE certificate SET pin_failures = 0 WHERE id = p_id RETURNING * INTO v_c;
	ELSIF p_outcome = 'void' THEN
		UPDATE certificate SET pin_failures = greatest(pin_failures - 1, 0) WHERE id = p_id
		RETURNING * INTO v_c;
	ELSE
		UPDATE certificate SET locked_at = CASE WHEN pin_failures >= 5 THEN coalesce(locked_at, now()) END
		WHERE id = p_id RETURNING * INTO v_c;
		PERFORM journal_append(p_actor, CASE WHEN v_c.locked_at IS NULL THEN 'certificate.pin_failed'
			ELSE 'certificate.locked' END, NULL, NULL,
			jsonb_build_object('certificate', p_id, 'failures', v_c.pin_failures));
	END IF;
	RETURN 5 - v_c.pin_failures;
END $$;

-- The official's enrolment done: the key is now under their PIN.
CREATE OR REPLACE FUNCTION cert_enrolled(p_id bigint, p_blob bytea, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_c certificate%ROWTYPE;
BEGIN
	UPDATE certificate SET key_blob = p_blob, state = 'active', enrolled_at = now(), pin_failures = 0
	WHERE id = p_id AND state = 'enrolment' RETURNING * INTO v_c;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'the certificate is not awaiting enrolment' USING ERRCODE = 'LQ409',
			HINT = 'an enrolment code works once; ask an administrator for a new import';
	END IF;
	PERFORM journal_append(p_actor, 'certificate.enrolled', NULL, NULL,
		jsonb_build_object('certificate', p_id));
	RETURN cert_json(v_c);
END $$;

-- ---------------------------------------------------------------------------
-- Signing a document (flow/signdoc.c through store/signing.c), in the
-- caller's transaction.
--
-- sign_claim() locks the document row first, then decides in statements that
-- see what committed before the lock was granted: of two sessions signing the
-- same document, the second finds it signed.  status: 0 to sign, 404 not
-- visible to the person, 403 visible but not theirs to sign, 409 not awaiting
-- a signature (already signed, rejected...).  The main file's bytes come
-- along when it is one chunk.
CREATE OR REPLACE FUNCTION sign_claim(p_person bigint, p_doc uuid,
	OUT status integer, OUT state text, OUT kind text, OUT signed_for bigint, OUT for_name text,
	OUT by_name text, OUT signed_at text, OUT want_transmit boolean, OUT meta jsonb,
	OUT city text, OUT postal_code text, OUT role_function text, OUT file_name text,
	OUT media_type text, OUT blob_id bigint, OUT nchunks integer, OUT size bigint, OUT data bytea)
LANGUAGE plpgsql AS $$
DECLARE
	v_d document%ROWTYPE;
BEGIN
	PERFORM 1 FROM document WHERE id = p_doc FOR UPDATE;
	SELECT * INTO v_d FROM document WHERE id = p_doc;
	IF NOT FOUND OR NOT person_may_see(p_person, p_doc) THEN
		status := 404; RETURN;
	END IF;
	state := v_d.state; kind := v_d.kind;
	signed_for := person_may_sign(p_person, p_doc);
	IF document_next(v_d.state, 'sign') IS NULL THEN
		status := 409;
		SELECT p.name, ts_text(v_d.signed_at) INTO by_name, signed_at FROM person p WHERE p.id = v_d.signed_by;
		RETURN;
	END IF;
	IF circuit_action(v_d) = 'visa' THEN     -- a visa step (functions/45_circuit.sql)
		status := 409; state := 'awaiting a visa'; RETURN;
	END IF;
	IF signed_for IS NULL THEN
		status := 403; RETURN;
	END IF;
	status := 0;
	want_transmit := v_d.want_transmit; meta := v_d.meta;
	SELECT p.name INTO for_name FROM person p WHERE p.id = signed_for AND signed_for <> p_person;
	SELECT o.city, o.postal_code INTO city, postal_code FROM organisation o WHERE o.id = v_d.org_id;
	SELECT r.function INTO role_function FROM person_role r
	WHERE r.org_id = v_d.org_id AND r.role = 'signer' AND r.person_id = p_person;
	SELECT f.name, f.media_type, b.id, b.nchunks, b.size,
		CASE WHEN b.nchunks = 1 THEN (SELECT c.data FROM blob_chunk c WHERE c.blob_id = b.id AND c.seq = 0) END
	INTO file_name, media_type, blob_id, nchunks, size, data
	FROM document_file f JOIN blob b ON b.id = f.blob_id WHERE f.doc_id = p_doc AND f.n = 0;
END $$;

-- Stores the signed file (role 'signed', enveloped) or signature (role
-- 'signature', detached) as the next file, records who signed and for whom,
-- applies the event 'sign' (and 'queue', with a 'transmit' job, when the
-- vendor asked for transmission) through document_apply(), with the signer
-- and "par délégation de" in the journal's detail.  p_blob: a
-- blob streamed beforehand, else p_data is stored.  Returns the new state.
CREATE OR REPLACE FUNCTION sign_finish(p_person bigint, p_for bigint, p_doc uuid, p_role text, p_name text,
	p_media text, p_sha bytea, p_data bytea, p_blob bigint, p_actor text, p_detail jsonb)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	v_d document%ROWTYPE;
	v_blob bigint := p_blob;
	v_n integer;
	v_detail jsonb;
BEGIN
	SELECT * INTO v_d FROM document WHERE id = p_doc FOR UPDATE;
	IF document_next(v_d.state, 'sign') IS NULL THEN
		RAISE EXCEPTION 'the document is % already', v_d.state USING ERRCODE = 'LQ409';
	END IF;
	IF v_blob IS NULL THEN
		v_blob := blob_put_small(p_sha, p_data);
	END IF;
	SELECT coalesce(max(n), -1) + 1 INTO v_n FROM document_file WHERE doc_id = p_doc;
	INSERT INTO document_file (doc_id, n, role, name, media_type, blob_id)
	VALUES (p_doc, v_n, p_role, p_name, p_media, v_blob);
	v_detail := coalesce(p_detail, '{}') || jsonb_build_object(
		'file', v_n, 'signed_by', (SELECT email FROM person WHERE id = p_person))
		|| CASE WHEN p_for <> p_person THEN jsonb_build_object('signed_for',
			(SELECT email FROM person WHERE id = p_for),
			'delegation', 'par délégation de ' || (SELECT name FROM person WHERE id = p_for))
		ELSE '{}'::jsonb END;
	UPDATE document SET signed_by = p_person,
		signed_for = CASE WHEN p_for <> p_person THEN p_for END, signed_at = clock_timestamp()
	WHERE id = p_doc;
	IF NOT v_d.want_transmit THEN
		RETURN document_apply(p_doc, 'sign', p_actor, NULL, v_detail);
	END IF;
	PERFORM document_apply(p_doc, 'sign', p_actor, NULL, v_detail);
	INSERT INTO job (kind, doc_id) VALUES ('transmit', p_doc);
	RETURN document_apply(p_doc, 'queue', p_actor);
END $$;

-- A batch at once (flow/signdoc.c), in set-based statements: the documents
-- of a group locked in id order in one statement (the caller sorts them too,
-- so that two batches lock in the same order and never deadlock), then
-- judged in a second one that sees what committed before the locks were
-- granted (the same answers as sign_claim(), row for row), with the
-- document's organisation (its logo read once per batch: flow/signdoc.c).
DROP FUNCTION IF EXISTS sign_claim_many(bigint, uuid[]);
CREATE OR REPLACE FUNCTION sign_claim_many(p_person bigint, p_ids uuid[])
RETURNS TABLE (ord integer, status integer, state text, kind text, signed_for bigint, for_name text,
	by_name text, signed_at text, want_transmit boolean, meta jsonb, city text, postal_code text,
	role_function text, file_name text, media_type text, blob_id bigint, nchunks integer,
	size bigint, data bytea, org_id bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
	PERFORM 1 FROM document d WHERE d.id = ANY (p_ids) ORDER BY d.id FOR UPDATE;
	RETURN QUERY
	WITH c AS MATERIALIZED (       -- the access functions once per document
		SELECT x.i::integer AS i, d.id, d.state AS st, d.kind AS knd, d.org_id, d.signed_by AS sby,
			d.signed_at AS sat, d.want_transmit AS wt, d.meta AS m, s.sf, circuit_action(d) AS act,
			CASE WHEN d.id IS NULL OR NOT person_may_see(p_person, d.id) THEN 404
			     WHEN document_next(d.state, 'sign') IS NULL OR circuit_action(d) = 'visa' THEN 409
			     WHEN s.sf IS NULL THEN 403 ELSE 0 END AS code
		FROM unnest(p_ids) WITH ORDINALITY x(id, i)
		LEFT JOIN document d ON d.id = x.id
		LEFT JOIN LATERAL (SELECT person_may_sign(p_person, d.id) AS sf) s ON d.id IS NOT NULL)
	SELECT c.i, c.code,
		CASE WHEN c.code = 409 AND c.act = 'visa' AND c.st = 'pending_signature' THEN 'awaiting a visa'
		     WHEN c.code <> 404 THEN c.st::text END, CASE WHEN c.code <> 404 THEN c.knd::text END,
		CASE WHEN c.code <> 404 THEN c.sf END,
		CASE WHEN c.code = 0 THEN (SELECT p.name::text FROM person p WHERE p.id = c.sf AND c.sf <> p_person) END,
		sb.name::text, CASE WHEN sb.id IS NOT NULL THEN ts_text(c.sat) END,
		CASE WHEN c.code = 0 THEN c.wt::boolean END, CASE WHEN c.code = 0 THEN c.m::jsonb END,
		o.city::text, o.postal_code::text,
		CASE WHEN c.code = 0 THEN (SELECT r.function::text FROM person_role r WHERE r.org_id = c.org_id
			AND r.role = 'signer' AND r.person_id = p_person LIMIT 1) END,
		f.name::text, f.media_type::text, b.id::bigint, b.nchunks::integer, b.size::bigint,
		CASE WHEN b.nchunks = 1 THEN (SELECT ch.data::bytea FROM blob_chunk ch WHERE ch.blob_id = b.id AND ch.seq = 0) END,
		CASE WHEN c.code = 0 THEN c.org_id END
	FROM c
	LEFT JOIN person sb ON c.code = 409 AND sb.id = c.sby
	LEFT JOIN organisation o ON c.code = 0 AND o.id = c.org_id
	LEFT JOIN document_file f ON c.code = 0 AND f.doc_id = c.id AND f.n = 0
	LEFT JOIN blob b ON b.id = f.blob_id
	ORDER BY c.i;
END $$;

-- p_items: [{"id", "for", "role", "name", "media_type", "detail"}] (distinct
-- documents claimed by sign_claim_many in this transaction), p_data the
-- files in the same order.  Returns each document's new state, or the error
-- that kept it unsigned.  The whole group is recorded in set-based
-- statements (sign_finish_set) in one subtransaction; should that fail,
-- each document is recorded on its own in its own subtransaction
-- (sign_finish), so that one bad document never fails the others.
CREATE OR REPLACE FUNCTION sign_finish_many(p_person bigint, p_actor text, p_items jsonb, p_data bytea[])
RETURNS TABLE (ord integer, state text, error text, code text)
LANGUAGE plpgsql AS $$
DECLARE
	v jsonb;
	v_states text[];
BEGIN
	BEGIN
		SELECT array_agg(s.state::text ORDER BY s.ord) INTO v_states
		FROM sign_finish_set(p_person, p_actor, p_items, p_data) s;
	EXCEPTION WHEN OTHERS THEN
		RAISE WARNING 'recording % signed files at once failed, one by one now: % (SQLSTATE %)',
			jsonb_array_length(p_items), SQLERRM, SQLSTATE;
		v_states := NULL;
	END;
	IF v_states IS NOT NULL THEN
		RETURN QUERY SELECT s.i::integer, s.st, NULL::text, NULL::text
			FROM unnest(v_states) WITH ORDINALITY s(st, i);
		RETURN;
	END IF;
	FOR i IN 1 .. jsonb_array_length(p_items) LOOP
		v := p_items->(i - 1);
		ord := i; state := NULL; error := NULL; code := NULL;
		BEGIN
			state := sign_finish(p_person, (v->>'for')::bigint, (v->>'id')::uuid, v->>'role',
				v->>'name', v->>'media_type', sha256(p_data[i]), p_data[i], NULL, p_actor,
				v->'detail');
		EXCEPTION WHEN OTHERS THEN
			error := SQLERRM; code := SQLSTATE;
		END;
		RETURN NEXT;
	END LOOP;
END $$;

-- sign_finish() for a group at once: the files' blobs (content-addressed,
-- one chunk each) in two statements, the files in one, who signed in one,
-- the event 'sign' through document_apply_many() (then 'queue', with its
-- 'transmit' jobs, for those the vendor wants transmitted), with the same
-- journal details as sign_finish().  Any failure fails the whole group (the
-- caller then records them one by one).  Returns each item's new state.
CREATE OR REPLACE FUNCTION sign_finish_set(p_person bigint, p_actor text, p_items jsonb, p_data bytea[])
RETURNS TABLE (ord integer, state doc_state)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_ids uuid[];
	v_details jsonb[];
	v_tx uuid[];
	v_email text := (SELECT p.email FROM person p WHERE p.id = p_person);
BEGIN
	WITH f AS (SELECT DISTINCT ON (z.h) z.h, x.d FROM unnest(p_data) x(d), LATERAL (SELECT sha256(x.d) AS h) z),
	b AS (INSERT INTO blob (sha256, size, nchunks) SELECT f.h, length(f.d), 1 FROM f
		ON CONFLICT (sha256) DO NOTHING RETURNING blob.id, blob.sha256)
	INSERT INTO blob_chunk (blob_id, seq, data) SELECT b.id, 0, f.d FROM b JOIN f ON f.h = b.sha256;
	WITH it AS (
		SELECT x.i::integer AS i, (x.v->>'id')::uuid AS id, (x.v->>'for')::bigint AS for_id,
			x.v->>'role' AS role, x.v->>'name' AS name, x.v->>'media_type' AS media,
			x.v->'detail' AS detail, sha256(p_data[x.i]) AS sha
		FROM jsonb_array_elements(p_items) WITH ORDINALITY x(v, i)),
	f AS (
		INSERT INTO document_file (doc_id, n, role, name, media_type, blob_id)
		SELECT it.id, (SELECT coalesce(max(df.n), -1) + 1 FROM document_file df WHERE df.doc_id = it.id),
			it.role, it.name, it.media, bl.id
		FROM it JOIN blob bl ON bl.sha256 = it.sha ORDER BY it.i
		RETURNING document_file.doc_id, document_file.n)
	SELECT array_agg(it.id ORDER BY it.i),
		array_agg(coalesce(it.detail, '{}') || jsonb_build_object('file', f.n, 'signed_by', v_email)
			|| CASE WHEN it.for_id <> p_person THEN jsonb_build_object('signed_for', pf.email,
				'delegation', 'par délégation de ' || pf.name)
			ELSE '{}'::jsonb END ORDER BY it.i)
	INTO v_ids, v_details
	FROM it JOIN f ON f.doc_id = it.id LEFT JOIN person pf ON pf.id = it.for_id;
	IF coalesce(array_length(v_ids, 1), 0) <> jsonb_array_length(p_items) THEN
		RAISE EXCEPTION 'recorded % signed files for % documents', coalesce(array_length(v_ids, 1), 0),
			jsonb_array_length(p_items);
	END IF;
	UPDATE document SET signed_by = p_person,
		signed_for = CASE WHEN it.for_id <> p_person THEN it.for_id END, signed_at = clock_timestamp()
	FROM (SELECT (x->>'id')::uuid AS id, (x->>'for')::bigint AS for_id
	      FROM jsonb_array_elements(p_items) x) it
	WHERE document.id = it.id;
	PERFORM count(*) FROM document_apply_many(v_ids, 'sign', p_actor, NULL, v_details);
	SELECT array_agg(d.id ORDER BY d.id) INTO v_tx FROM document d WHERE d.id = ANY (v_ids) AND d.want_transmit;
	IF v_tx IS NOT NULL THEN
		INSERT INTO job (kind, doc_id) SELECT 'transmit', t.id FROM unnest(v_tx) t(id);
		PERFORM count(*) FROM document_apply_many(v_tx, 'queue', p_actor);
	END IF;
	RETURN QUERY SELECT x.i::integer, d.state
		FROM unnest(v_ids) WITH ORDINALITY x(id, i) JOIN document d ON d.id = x.id ORDER BY x.i;
END $$;
