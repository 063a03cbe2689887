-- functions/45_circuit.sql - circuits (tables in 022_circuits.sql): their
-- administration, the choice of a new document's circuit, and the steps a
-- document goes through (visa, droit de remords).  See doc/circuits.md.
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.
--
-- A document on a circuit stays 'pending_signature' from its first step to
-- its last: signer_id names whose queue holds it now (at a visa step too),
-- circuit_step the step.  The events 'visa' and 'remord' are rows of
-- document_transition (30_state.sql) that keep the state; document_apply()
-- still decides whether the document may take them.  The step moves here,
-- under the document's row lock, and the trigger of 60_events.sql tells the
-- vendor (event type 'document.step').

-- The action awaited at the document's current step: 'visa' or 'signature'
-- (a document without a circuit awaits a signature).
CREATE OR REPLACE FUNCTION circuit_action(d document) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN d.circuit IS NULL THEN 'signature'
		ELSE d.circuit->'steps'->>(d.circuit_step - 1) END
$$;

-- Where the document stands in its circuit, as the vendor and the officials
-- see it (NULL without a circuit); p_person: whose queue holds it (shown
-- while it is pending).
-- STABLE as jsonb_build_object() is, so that PostgreSQL inlines it (see ts_text).
CREATE OR REPLACE FUNCTION circuit_doc_json(d document, p_person jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN d.circuit IS NOT NULL THEN jsonb_build_object(
		'id', d.circuit->'id', 'name', d.circuit->'name', 'version', d.circuit->'version',
		'step', d.circuit_step, 'of', jsonb_array_length(d.circuit->'steps'),
		'action', circuit_action(d),
		'person', CASE WHEN d.state = 'pending_signature' THEN p_person END) END
$$;

-- The person a step names now: the person (if not disabled), or the one
-- signer of the organisation who holds the office; NULL when nobody (or
-- several people) hold it.
CREATE OR REPLACE FUNCTION circuit_step_person(p_org bigint, p_person bigint, p_office text)
RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN p_person IS NOT NULL
		THEN (SELECT id FROM person WHERE id = p_person AND disabled_at IS NULL)
		ELSE (SELECT min(r.person_id) FROM person_role r JOIN person p ON p.id = r.person_id
			AND p.disabled_at IS NULL
			WHERE r.org_id = p_org AND r.role = 'signer' AND r.function = p_office
			HAVING count(DISTINCT r.person_id) = 1) END
$$;

-- Step p_n of the document's circuit (the version it started with), resolved now.
CREATE OR REPLACE FUNCTION circuit_doc_step_person(d document, p_n integer) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT circuit_step_person(d.org_id, s.person_id, s.office) FROM circuit_step s
	WHERE s.circuit_id = (d.circuit->>'id')::bigint AND s.version = (d.circuit->>'version')::integer
	  AND s.n = p_n
$$;

CREATE OR REPLACE FUNCTION circuit_version_json(c circuit, p_version integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', c.id,
		'organisation', (SELECT siren FROM organisation WHERE id = c.org_id),
		'name', c.name, 'version', p_version,
		'steps', coalesce((SELECT jsonb_agg(jsonb_build_object('action', s.action,
				'person', CASE WHEN s.person_id IS NOT NULL THEN person_brief(s.person_id) END,
				'office', s.office,
				'resolves_to', person_brief(circuit_step_person(c.org_id, s.person_id, s.office)))
				ORDER BY s.n)
			FROM circuit_step s WHERE s.circuit_id = c.id AND s.version = p_version), '[]'),
		'routing', coalesce((SELECT jsonb_agg(jsonb_build_object('kind', rr.kind, 'nature', rr.nature)
				ORDER BY rr.kind, rr.nature)
			FROM routing_rule rr WHERE rr.circuit_id = c.id), '[]'),
		'updated_at', ts_text(c.updated_at), 'retired_at', ts_text(c.retired_at))
$$;

-- The current circuits of an organisation (every organisation when p_siren
-- is NULL), by organisation and name: what GET /api/v1/admin/circuits, the
-- CLI and the SOAP layer's GetListeSousTypes/GetCircuit show.
CREATE OR REPLACE FUNCTION circuits_json(p_siren text) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(circuit_version_json(c, c.version) ORDER BY o.siren, c.name), '[]')
	FROM circuit c JOIN organisation o ON o.id = c.org_id
	WHERE c.retired_at IS NULL AND (p_siren IS NULL OR o.siren = p_siren)
$$;

-- Checks the steps of a circuit of organisation p_org: a non-empty array of
-- at most 20 {"action": "visa"|"signature", "person": e-mail | "office":
-- office}, visas then one signature, the last step.  Each person must be a
-- signer of the organisation, each office held by exactly one.  Returns the
-- steps as rows (n, action, person_id, office).
CREATE OR REPLACE FUNCTION circuit_steps_check(p_org bigint, p_steps jsonb)
RETURNS TABLE (n integer, action text, person_id bigint, office text) LANGUAGE plpgsql STABLE AS $$
DECLARE
	v jsonb;
	v_i integer := 0;
	v_f text;
	v_len integer;
BEGIN
	IF jsonb_typeof(p_steps) IS DISTINCT FROM 'array' OR jsonb_array_length(p_steps) NOT BETWEEN 1 AND 20 THEN
		RAISE EXCEPTION 'a circuit needs 1 to 20 steps' USING ERRCODE = 'LQ422', COLUMN = 'steps',
			HINT = 'send "steps": [{"action": "visa", "office": "dgs"}, {"action": "signature", "office": "maire"}]';
	END IF;
	v_len := jsonb_array_length(p_steps);
	FOR v IN SELECT * FROM jsonb_array_elements(p_steps) LOOP
		v_f := format('steps[%s]', v_i);
		v_i := v_i + 1;
		n := v_i; action := v->>'action'; person_id := NULL; office := NULL;
		IF jsonb_typeof(v) IS DISTINCT FROM 'object' OR action IS NULL
				OR action NOT IN ('visa', 'signature') THEN
			RAISE EXCEPTION 'each step is {"action": "visa" or "signature", ...}' USING ERRCODE = 'LQ422',
				COLUMN = v_f || '.action', HINT = 'the action of a step is "visa" or "signature"';
		END IF;
		IF action = 'signature' AND v_i < v_len THEN
			RAISE EXCEPTION 'the signature must be the last step' USING ERRCODE = 'LQ422',
				COLUMN = v_f || '.action',
				HINT = 'put the visas first, then one signature; one signature per circuit for now';
		END IF;
		IF action = 'visa' AND v_i = v_len THEN
			RAISE EXCEPTION 'a circuit ends with a signature, not a visa' USING ERRCODE = 'LQ422',
				COLUMN = v_f || '.action', HINT = 'add the signature step after the visas';
		END IF;
		IF (v ? 'person') = (v ? 'office') THEN
			RAISE EXCEPTION 'a step names a person or an office (one of them)' USING ERRCODE = 'LQ422',
				COLUMN = v_f || '.person', HINT = 'such as "person": "dgs@mairie.fr" or "office": "maire"';
		END IF;
		IF v ? 'person' THEN
			SELECT p.id INTO person_id FROM person p JOIN person_role r ON r.person_id = p.id
				AND r.org_id = p_org AND r.role = 'signer'
			WHERE p.email = lower(btrim(v->>'person')) AND p.disabled_at IS NULL;
			IF person_id IS NULL THEN
				RAISE EXCEPTION '"%" is not a signer of the organisation', v->>'person'
					USING ERRCODE = 'LQ422', COLUMN = v_f || '.person',
					HINT = 'name a person who holds the signer role here ("liasse role add ... --role signer")';
			END IF;
		ELSE
			office := lower(translate(btrim(v->>'office'), ' -éèÉ', '__eee'));
			IF office IS NULL OR office !~ '^[a-z_]{1,40}$'
					OR circuit_step_person(p_org, NULL, office) IS NULL THEN
				RAISE EXCEPTION 'no one signer of the organisation holds the office "%"', v->>'office'
					USING ERRCODE = 'LQ422', COLUMN = v_f || '.office',
					HINT = coalesce('offices held here: ' || (SELECT string_agg(DISTINCT r.function, ', ')
						FROM person_role r WHERE r.org_id = p_org AND r.role = 'signer'
						AND r.function IS NOT NULL), 'no signer holds an office here yet');
			END IF;
		END IF;
		RETURN NEXT;
	END LOOP;
END $$;

-- Creates a circuit (p_id NULL) or writes the next version of circuit p_id;
-- p_siren: its organisation (ignored for an edit, which keeps it).
-- Returns the circuit as circuits_json() shows it.
CREATE OR REPLACE FUNCTION circuit_save(p_id bigint, p_siren text, p_name text, p_steps jsonb, p_actor text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_c circuit%ROWTYPE;
	v_name text := lower(btrim(p_name));
BEGIN
	IF p_id IS NOT NULL THEN
		SELECT * INTO v_c FROM circuit WHERE id = p_id AND retired_at IS NULL FOR UPDATE;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'no circuit %', p_id USING ERRCODE = 'LQ404', COLUMN = 'id',
				HINT = 'GET /api/v1/admin/circuits lists them';
		END IF;
		v_name := coalesce(v_name, v_c.name);
	ELSE
		v_c.org_id := org_id_of(p_siren);
	END IF;
	IF v_name IS NULL OR v_name !~ '^[a-z0-9][a-z0-9_.-]{0,63}$' THEN
		RAISE EXCEPTION 'a circuit needs a name of 1 to 64 lower-case letters, digits, "_", "-" or "."'
			USING ERRCODE = 'LQ422', COLUMN = 'name', HINT = 'such as "deliberation" or "marches_publics"';
	END IF;
	IF EXISTS (SELECT 1 FROM circuit WHERE org_id = v_c.org_id AND name = v_name AND retired_at IS NULL
			AND id IS DISTINCT FROM p_id) THEN
		RAISE EXCEPTION 'the organisation has a circuit named "%" already', v_name USING ERRCODE = 'LQ409',
			COLUMN = 'name', HINT = 'edit it (PUT /api/v1/admin/circuits/{id}) or choose another name';
	END IF;
	IF p_id IS NULL THEN
		INSERT INTO circuit (org_id, name) VALUES (v_c.org_id, v_name) RETURNING * INTO v_c;
	ELSE
		UPDATE circuit SET name = v_name, version = version + 1, updated_at = now()
		WHERE id = p_id RETURNING * INTO v_c;
	END IF;
	INSERT INTO circuit_step (circuit_id, version, n, action, person_id, office)
	SELECT v_c.id, v_c.version, s.n, s.action, s.person_id, s.office
	FROM circuit_steps_check(v_c.org_id, p_steps) s;
	PERFORM journal_append(p_actor, CASE WHEN p_id IS NULL THEN 'circuit.created' ELSE 'circuit.edited' END,
		NULL, v_c.org_id, circuit_version_json(v_c, v_c.version));
	RETURN circuit_version_json(v_c, v_c.version);
END $$;

-- Retires circuit p_id: new documents cannot use it, and its routing rules
-- go; documents on their way keep its steps.
CREATE OR REPLACE FUNCTION circuit_retire(p_id bigint, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_c circuit%ROWTYPE;
BEGIN
	UPDATE circuit SET retired_at = now() WHERE id = p_id AND retired_at IS NULL RETURNING * INTO v_c;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no circuit %', p_id USING ERRCODE = 'LQ404', COLUMN = 'id',
			HINT = 'GET /api/v1/admin/circuits lists them';
	END IF;
	DELETE FROM routing_rule WHERE circuit_id = p_id;
	PERFORM journal_append(p_actor, 'circuit.retired', NULL, v_c.org_id,
		jsonb_build_object('id', v_c.id, 'name', v_c.name, 'version', v_c.version));
	RETURN circuit_version_json(v_c, v_c.version);
END $$;

-- The organisation (SIREN) of circuit p_id, for the administrators' check.
CREATE OR REPLACE FUNCTION circuit_org(p_id bigint) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT o.siren FROM circuit c JOIN organisation o ON o.id = c.org_id WHERE c.id = p_id
$$;

-- The routing rule of (kind, nature) sends documents along circuit p_name.
CREATE OR REPLACE FUNCTION routing_add_circuit(p_siren text, p_kind text, p_nature smallint, p_name text,
	p_actor text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	v_org bigint := org_id_of(p_siren);
	v_c bigint;
BEGIN
	PERFORM routing_check(p_kind, p_nature);
	SELECT id INTO v_c FROM circuit WHERE org_id = v_org AND name = lower(btrim(p_name))
		AND retired_at IS NULL;
	IF v_c IS NULL THEN
		RAISE EXCEPTION 'organisation % has no circuit named "%"', p_siren, p_name
			USING ERRCODE = 'LQ422', COLUMN = 'circuit', HINT = coalesce('its circuits: '
				|| (SELECT string_agg(name, ', ' ORDER BY name) FROM circuit WHERE org_id = v_org
					AND retired_at IS NULL), 'create the circuit first');
	END IF;
	INSERT INTO routing_rule (org_id, kind, nature, circuit_id)
	VALUES (v_org, p_kind::doc_kind, p_nature, v_c)
	ON CONFLICT (org_id, kind, coalesce(nature, 0))
	DO UPDATE SET circuit_id = EXCLUDED.circuit_id, person_id = NULL;
	PERFORM journal_append(p_actor, 'routing.set', NULL, v_org,
		jsonb_build_object('kind', p_kind, 'nature', p_nature, 'circuit', lower(btrim(p_name))));
END $$;

-- Where a new document goes: person_id (whose queue) and circuit (the
-- document's circuit column, NULL for a one-step routing).  p_circuit: the
-- circuit the vendor named; else p_hint (route_signer); else the most
-- specific routing rule, to a circuit or to an official.  why (when
-- person_id is NULL): 'circuit_unknown', 'circuit_unresolved' (nobody holds
-- the first step's office now), or route_signer()'s.
CREATE OR REPLACE FUNCTION route_document(p_org bigint, p_kind doc_kind, p_nature smallint, p_hint text,
	p_circuit text, OUT person_id bigint, OUT circuit jsonb, OUT why text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_c circuit%ROWTYPE;
BEGIN
	IF p_circuit IS NOT NULL THEN
		SELECT * INTO v_c FROM circuit c WHERE c.org_id = p_org AND c.name = lower(btrim(p_circuit))
			AND c.retired_at IS NULL;
		IF NOT FOUND THEN
			why := 'circuit_unknown'; RETURN;
		END IF;
	ELSIF p_hint IS NULL OR btrim(p_hint) = '' THEN
		SELECT c.* INTO v_c FROM (SELECT rr.circuit_id FROM routing_rule rr
			WHERE rr.org_id = p_org AND rr.kind = p_kind AND (rr.nature IS NULL OR rr.nature = p_nature)
			ORDER BY rr.nature IS NULL LIMIT 1) t JOIN circuit c ON c.id = t.circuit_id;
	END IF;
	IF v_c.id IS NULL THEN
		SELECT r.person_id, r.why INTO person_id, why FROM route_signer(p_org, p_kind, p_nature, p_hint) r;
		RETURN;
	END IF;
	SELECT circuit_step_person(p_org, s.person_id, s.office) INTO person_id FROM circuit_step s
	WHERE s.circuit_id = v_c.id AND s.version = v_c.version AND s.n = 1;
	IF person_id IS NULL THEN
		why := 'circuit_unresolved'; RETURN;
	END IF;
	circuit := jsonb_build_object('id', v_c.id, 'name', v_c.name, 'version', v_c.version,
		'steps', (SELECT jsonb_agg(s.action ORDER BY s.n) FROM circuit_step s
			WHERE s.circuit_id = v_c.id AND s.version = v_c.version));
END $$;

-- ---------------------------------------------------------------------------
-- The steps.  Refusals as in 40_people.sql: SQLSTATE LQ<http status>.

-- Locks the document p_doc for p_person's action at a step: 404 when they
-- may not see it, 409 when it is not pending on a circuit.
CREATE OR REPLACE FUNCTION circuit_doc_lock(p_person bigint, p_doc uuid) RETURNS document
LANGUAGE plpgsql AS $$
DECLARE
	v_d document%ROWTYPE;
BEGIN
	SELECT * INTO v_d FROM document WHERE id = p_doc FOR UPDATE;
	IF NOT FOUND OR NOT person_may_see(p_person, p_doc) THEN
		RAISE EXCEPTION 'no document % for you', p_doc USING ERRCODE = 'LQ404', COLUMN = 'id',
			HINT = 'GET /api/v1/queue lists the documents awaiting you';
	END IF;
	IF v_d.state <> 'pending_signature' OR v_d.circuit IS NULL THEN
		RAISE EXCEPTION 'the document is % and not on its way along a circuit', v_d.state
			USING ERRCODE = 'LQ409', COLUMN = 'state', HINT = 'reload the document';
	END IF;
	RETURN v_d;
END $$;

-- p_person puts a visa on the document at its current (visa) step, for
-- themselves or the official who delegated to them; the document moves to
-- the next step's person.  Annotations: public (the next actors and the
-- vendor see it in the history), private (the next actor only).
CREATE OR REPLACE FUNCTION document_visa(p_person bigint, p_doc uuid, p_public text, p_private text,
	p_actor text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_d document%ROWTYPE := circuit_doc_lock(p_person, p_doc);
	v_for bigint := person_may_act(p_person, p_doc);
	v_next bigint;
	v_of integer := jsonb_array_length(v_d.circuit->'steps');
BEGIN
	IF circuit_action(v_d) <> 'visa' THEN
		RAISE EXCEPTION 'step % of % awaits a signature, not a visa', v_d.circuit_step, v_of
			USING ERRCODE = 'LQ409', COLUMN = 'id', HINT = 'sign it (POST /api/v1/queue/sign) or reject it';
	END IF;
	IF v_for IS NULL THEN
		RAISE EXCEPTION 'this step awaits another person''s visa' USING ERRCODE = 'LQ403', COLUMN = 'id',
			HINT = 'only the person of this step or their delegate may put a visa on it';
	END IF;
	IF length(p_public) > 4000 OR length(p_private) > 4000 THEN
		RAISE EXCEPTION 'an annotation has 4000 characters at most' USING ERRCODE = 'LQ422',
			COLUMN = CASE WHEN length(p_public) > 4000 THEN 'public_annotation' ELSE 'private_annotation' END,
			HINT = 'shorten it';
	END IF;
	v_next := circuit_doc_step_person(v_d, v_d.circuit_step + 1);
	IF v_next IS NULL THEN
		RAISE EXCEPTION 'nobody holds the office of step % now', v_d.circuit_step + 1
			USING ERRCODE = 'LQ409', COLUMN = 'id',
			HINT = 'ask an administrator to give that office to one signer of the organisation';
	END IF;
	PERFORM document_apply(p_doc, 'visa', p_actor);     -- the state machine's word
	INSERT INTO document_step (doc_id, step, action, person_id, for_person, public_annotation,
		private_annotation)
	VALUES (p_doc, v_d.circuit_step, 'visa', p_person, v_for, nullif(btrim(p_public), ''),
		nullif(btrim(p_private), ''));
	UPDATE document SET circuit_step = circuit_step + 1, signer_id = v_next, updated_at = clock_timestamp()
	WHERE id = p_doc RETURNING * INTO v_d;
	PERFORM journal_append(p_actor, 'document.visa', p_doc, v_d.org_id, jsonb_build_object(
		'step', v_d.circuit_step - 1, 'of', v_of, 'by', (SELECT email FROM person WHERE id = p_person),
		'public_annotation', nullif(btrim(p_public), ''),
		'next', (SELECT email FROM person WHERE id = v_next))
		|| CASE WHEN v_for <> p_person THEN jsonb_build_object('delegation',
			'par délégation de ' || (SELECT name FROM person WHERE id = v_for)) ELSE '{}' END);
	RETURN doc_json(v_d);
END $$;

-- Whether p_person may take the document back now (document_remord()).
CREATE OR REPLACE FUNCTION circuit_may_remord(p_person bigint, d document) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT s.action = 'visa' AND s.person_id = p_person AND d.state = 'pending_signature'
			AND d.circuit_step = s.step + 1
		FROM document_step s WHERE s.doc_id = d.id ORDER BY s.id DESC LIMIT 1), false)
$$;

-- The droit de remords: the person who put the last visa takes the
-- document back to their step, as long as the next person has not acted
-- (no visa, signature or rejection since).
CREATE OR REPLACE FUNCTION document_remord(p_person bigint, p_doc uuid, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_d document%ROWTYPE;
	v_last document_step%ROWTYPE;
BEGIN
	SELECT * INTO v_d FROM document WHERE id = p_doc FOR UPDATE;
	IF NOT FOUND OR NOT person_may_see(p_person, p_doc) THEN
		RAISE EXCEPTION 'no document % for you', p_doc USING ERRCODE = 'LQ404', COLUMN = 'id',
			HINT = 'GET /api/v1/queue lists the documents awaiting you';
	END IF;
	SELECT * INTO v_last FROM document_step WHERE doc_id = p_doc ORDER BY id DESC LIMIT 1;
	IF v_last.id IS NULL OR v_last.action <> 'visa' OR v_last.person_id <> p_person THEN
		RAISE EXCEPTION 'you did not put the last visa on this document' USING ERRCODE = 'LQ409',
			COLUMN = 'id', HINT = 'only the person who acted last may take the document back';
	END IF;
	IF v_d.state <> 'pending_signature' OR v_d.circuit_step <> v_last.step + 1 THEN
		RAISE EXCEPTION 'the next person has acted already: the document is % at step % of %', v_d.state,
			v_d.circuit_step, jsonb_array_length(v_d.circuit->'steps')
			USING ERRCODE = 'LQ409', COLUMN = 'id',
			HINT = 'the droit de remords lasts until the next person acts; ask them to reject it';
	END IF;
	PERFORM document_apply(p_doc, 'remord', p_actor);
	INSERT INTO document_step (doc_id, step, action, person_id, for_person)
	VALUES (p_doc, v_last.step, 'remord', p_person, v_last.for_person);
	UPDATE document SET circuit_step = v_last.step, signer_id = v_last.for_person,
		updated_at = clock_timestamp()
	WHERE id = p_doc RETURNING * INTO v_d;
	PERFORM journal_append(p_actor, 'document.remord', p_doc, v_d.org_id, jsonb_build_object(
		'step', v_last.step, 'of', jsonb_array_length(v_d.circuit->'steps'),
		'by', (SELECT email FROM person WHERE id = p_person)));
	RETURN doc_json(v_d);
END $$;

-- The last action at a step of the document (what a 'document.step' event
-- tells the vendor, 60_events.sql): {step, action, by, public_annotation}.
CREATE OR REPLACE FUNCTION circuit_last_action_json(p_doc uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('step', s.step, 'action', s.action, 'by', person_brief(s.person_id),
		'public_annotation', s.public_annotation)
	FROM document_step s WHERE s.doc_id = p_doc ORDER BY s.id DESC LIMIT 1
$$;

-- The steps of a document as p_person sees them: who did what at each
-- step, with the public annotations; the private annotation of the last
-- visa only to whom may act on the document now.
CREATE OR REPLACE FUNCTION circuit_doc_steps_json(p_person bigint, d document) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('step', s.step, 'action', s.action,
			'by', person_brief(s.person_id),
			'for', CASE WHEN s.for_person <> s.person_id THEN person_brief(s.for_person) END,
			'at', ts_text(s.at), 'public_annotation', s.public_annotation,
			'private_annotation', CASE WHEN s.id = (SELECT max(x.id) FROM document_step x
					WHERE x.doc_id = d.id) AND s.action = 'visa'
				AND person_may_act(p_person, d.id) IS NOT NULL THEN s.private_annotation END)
		ORDER BY s.id), '[]')
	FROM document_step s WHERE s.doc_id = d.id
$$;
