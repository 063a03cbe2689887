-- functions/40_people.sql - people, roles, routing to one official's queue,
-- delegation and sessions (tables in 004_people.sql).
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.

-- The delegation of p_delegator to p_delegate covering a document of this
-- organisation and kind, active now; NULL if none.
CREATE OR REPLACE FUNCTION delegation_active(p_delegator bigint, p_delegate bigint, p_org bigint, p_kind doc_kind)
RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT id FROM delegation
	WHERE delegator_id = p_delegator AND delegate_id = p_delegate AND revoked_at IS NULL
	  AND now() >= starts_at AND now() < ends_at
	  AND (org_id IS NULL OR org_id = p_org) AND (kinds IS NULL OR p_kind = ANY (kinds))
	ORDER BY id LIMIT 1
$$;

-- Whom p_person acts for on this document at its current step (a visa or
-- a signature, or a rejection at either): themselves, or the delegator;
-- NULL when they may not (not theirs, or not pending).
CREATE OR REPLACE FUNCTION person_may_act(p_person bigint, p_doc uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN d.signer_id = p_person THEN p_person
		WHEN delegation_active(d.signer_id, p_person, d.org_id, d.kind) IS NOT NULL THEN d.signer_id
		END
	FROM document d JOIN person p ON p.id = p_person AND p.disabled_at IS NULL
	WHERE d.id = p_doc AND d.state = 'pending_signature'
$$;

-- Whom p_person signs this document for: as person_may_act(), when the
-- document awaits a signature (not a visa: functions/45_circuit.sql).
CREATE OR REPLACE FUNCTION person_may_sign(p_person bigint, p_doc uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT person_may_act(p_person, p_doc) FROM document d
	WHERE d.id = p_doc AND circuit_action(d) = 'signature'
$$;

-- Who may ask, from the pages, for what a vendor asks with
-- POST /api/v1/documents/{id}/cancel (for an acknowledged act: the
-- annulation sent to the prefecture, functions/75_cancel.sql): an operator,
-- or an agent or administrator of the document's organisation.
CREATE OR REPLACE FUNCTION person_may_manage(p_person bigint, p_doc uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT p.is_operator OR EXISTS (SELECT 1 FROM person_role r JOIN document d ON d.id = p_doc
			WHERE r.person_id = p_person AND r.org_id = d.org_id AND r.role IN ('org_admin', 'agent'))
		FROM person p WHERE p.id = p_person), false)
$$;

-- Whether p_person may read the document: operator, administrator or agent
-- of its organisation, the official it was routed to, who signed it, an
-- active delegate of its signer, or who acted at a step of its circuit.
CREATE OR REPLACE FUNCTION person_may_see(p_person bigint, p_doc uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce((
		SELECT p.is_operator OR p_person IN (d.signer_id, d.signed_by)
			OR EXISTS (SELECT 1 FROM person_role r WHERE r.person_id = p_person
				AND r.org_id = d.org_id AND r.role IN ('org_admin', 'agent'))
			OR delegation_active(d.signer_id, p_person, d.org_id, d.kind) IS NOT NULL
			OR EXISTS (SELECT 1 FROM document_step st WHERE st.doc_id = d.id   -- 45_circuit.sql
				AND p_person IN (st.person_id, st.for_person))
		FROM document d JOIN person p ON p.id = p_person AND p.disabled_at IS NULL
		WHERE d.id = p_doc), false)
$$;

-- The official a new document goes to.  p_hint is what the vendor named: an
-- e-mail address (a signer of the organisation) or an office ("maire",
-- "ordonnateur", ...).  Without a hint, the routing rules decide.
-- why: NULL when found, else 'unknown' (the hint names no signer of the
-- organisation), 'ambiguous' (several signers hold that office), 'none'
-- (no hint and no rule).
CREATE OR REPLACE FUNCTION route_signer(p_org bigint, p_kind doc_kind, p_nature smallint, p_hint text,
	OUT person_id bigint, OUT why text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_n integer;
	-- "Monsieur le Maire", "la présidente", "l'ordonnateur" name an office too
	v_hint text := regexp_replace(lower(btrim(p_hint)),
		'^((monsieur|madame|m\.|mme)\s+)?((le|la)\s+|l''\s*)?', '');
BEGIN
	IF v_hint IS NOT NULL AND v_hint <> '' THEN
		SELECT min(r.person_id), count(DISTINCT r.person_id) INTO person_id, v_n
		FROM person_role r JOIN person p ON p.id = r.person_id AND p.disabled_at IS NULL
		WHERE r.org_id = p_org AND r.role = 'signer'
		  AND (p.email = v_hint OR r.function = translate(v_hint, ' -éè', '__ee')
		       OR r.function = regexp_replace(translate(v_hint, ' -éè', '__ee'), 'e$', ''));
		IF v_n = 0 THEN
			person_id := NULL; why := 'unknown';
		ELSIF v_n > 1 THEN
			person_id := NULL; why := 'ambiguous';
		END IF;
		RETURN;
	END IF;
	SELECT rr.person_id INTO person_id FROM routing_rule rr JOIN person p ON p.id = rr.person_id
	WHERE rr.org_id = p_org AND rr.kind = p_kind AND p.disabled_at IS NULL
	  AND (rr.nature IS NULL OR rr.nature = p_nature)
	ORDER BY rr.nature IS NULL LIMIT 1;
	IF person_id IS NULL THEN
		why := 'none';
	END IF;
END $$;

-- ---------------------------------------------------------------------------
-- Operations.  Refusals meant for the caller are raised with SQLSTATE
-- LQ<http status>, the request field in COLUMN and advice in HINT; store/
-- turns them into struct lerr as they are (conn.c, map_refusal).

CREATE OR REPLACE FUNCTION person_id_of(p_email text) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_id bigint;
BEGIN
	SELECT id INTO v_id FROM person WHERE email = lower(btrim(p_email));
	IF v_id IS NULL THEN
		RAISE EXCEPTION 'no person with e-mail address %', p_email USING ERRCODE = 'LQ404',
			COLUMN = 'email', HINT = '"liasse person list" shows the people';
	END IF;
	RETURN v_id;
END $$;

CREATE OR REPLACE FUNCTION org_id_of(p_siren text) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_id bigint;
BEGIN
	SELECT id INTO v_id FROM organisation WHERE siren = p_siren;
	IF v_id IS NULL THEN
		RAISE EXCEPTION 'no organisation with SIREN %', p_siren USING ERRCODE = 'LQ404',
			COLUMN = 'organisation', HINT = '"liasse org list" shows the organisations';
	END IF;
	RETURN v_id;
END $$;

CREATE OR REPLACE FUNCTION person_add(p_email text, p_name text, p_hash text, p_operator boolean, p_actor text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	v_id bigint;
	v_email text := lower(btrim(p_email));
BEGIN
	IF v_email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' OR length(v_email) > 254 THEN
		RAISE EXCEPTION 'invalid e-mail address "%"', p_email USING ERRCODE = 'LQ422',
			COLUMN = 'email', HINT = 'give an address such as prenom.nom@mairie.fr';
	END IF;
	IF p_name IS NULL OR length(btrim(p_name)) NOT BETWEEN 1 AND 200 THEN
		RAISE EXCEPTION 'a name of 1 to 200 characters is required' USING ERRCODE = 'LQ422',
			COLUMN = 'name', HINT = 'give the person''s full name';
	END IF;
	IF EXISTS (SELECT 1 FROM person WHERE email = v_email) THEN
		RAISE EXCEPTION 'a person with e-mail address % exists already', v_email USING ERRCODE = 'LQ409',
			COLUMN = 'email', HINT = 'use "liasse role add" to give them another role';
	END IF;
	INSERT INTO person (email, name, password_hash, is_operator)
	VALUES (v_email, btrim(p_name), p_hash, p_operator) RETURNING id INTO v_id;
	PERFORM journal_append(p_actor, 'person.created', NULL, NULL,
		jsonb_build_object('email', v_email, 'operator', p_operator));
	RETURN v_id;
END $$;

CREATE OR REPLACE FUNCTION person_set_password(p_email text, p_hash text, p_actor text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE person SET password_hash = p_hash, failed_logins = 0, locked_at = NULL
	WHERE id = person_id_of(p_email);
	DELETE FROM session WHERE person_id = person_id_of(p_email);
	PERFORM journal_append(p_actor, 'person.password', NULL, NULL, jsonb_build_object('email', lower(p_email)));
END $$;

CREATE OR REPLACE FUNCTION person_set_totp(p_email text, p_secret bytea, p_actor text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE person SET totp_secret = p_secret WHERE id = person_id_of(p_email);
	PERFORM journal_append(p_actor, CASE WHEN p_secret IS NULL THEN 'person.totp_removed'
		ELSE 'person.totp_set' END, NULL, NULL, jsonb_build_object('email', lower(p_email)));
END $$;

CREATE OR REPLACE FUNCTION role_add(p_email text, p_siren text, p_role text, p_function text, p_actor text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	v_person bigint := person_id_of(p_email);
	v_org bigint := org_id_of(p_siren);
	v_fn text := lower(translate(btrim(p_function), ' -éèÉ', '__eee'));
BEGIN
	IF p_role NOT IN ('org_admin', 'agent', 'signer') THEN
		RAISE EXCEPTION 'unknown role "%"', p_role USING ERRCODE = 'LQ422', COLUMN = 'role',
			HINT = 'roles are signer, agent and org_admin';
	END IF;
	IF v_fn IS NOT NULL AND (p_role <> 'signer' OR v_fn !~ '^[a-z_]{1,40}$') THEN
		RAISE EXCEPTION 'an office (function) is for signers only, in letters: "%"', p_function
			USING ERRCODE = 'LQ422', COLUMN = 'function', HINT = 'such as maire, president, ordonnateur';
	END IF;
	INSERT INTO person_role (person_id, org_id, role, function) VALUES (v_person, v_org, p_role, v_fn)
	ON CONFLICT (person_id, org_id, role) DO UPDATE SET function = EXCLUDED.function;
	PERFORM journal_append(p_actor, 'person.role', NULL, v_org,
		jsonb_build_object('email', lower(p_email), 'role', p_role, 'function', v_fn));
END $$;

CREATE OR REPLACE FUNCTION role_remove(p_email text, p_siren text, p_role text, p_actor text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_org bigint := org_id_of(p_siren);
BEGIN
	DELETE FROM person_role WHERE person_id = person_id_of(p_email) AND org_id = v_org AND role = p_role;
	IF NOT FOUND THEN
		RAISE EXCEPTION '% has no role % in organisation %', p_email, p_role, p_siren
			USING ERRCODE = 'LQ404', COLUMN = 'role', HINT = '"liasse person list" shows the roles';
	END IF;
	PERFORM journal_append(p_actor, 'person.role_removed', NULL, v_org,
		jsonb_build_object('email', lower(p_email), 'role', p_role));
END $$;

CREATE OR REPLACE FUNCTION routing_add(p_siren text, p_kind text, p_nature smallint, p_email text, p_actor text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	v_org bigint := org_id_of(p_siren);
	v_person bigint := person_id_of(p_email);
BEGIN
	PERFORM routing_check(p_kind, p_nature);
	IF NOT EXISTS (SELECT 1 FROM person_role WHERE person_id = v_person AND org_id = v_org
			AND role = 'signer') THEN
		RAISE EXCEPTION '% is not a signer of organisation %', p_email, p_siren
			USING ERRCODE = 'LQ422', COLUMN = 'person',
			HINT = 'give them the signer role first ("liasse role add ... --role signer")';
	END IF;
	INSERT INTO routing_rule (org_id, kind, nature, person_id)
	VALUES (v_org, p_kind::doc_kind, p_nature, v_person)
	ON CONFLICT (org_id, kind, coalesce(nature, 0))
	DO UPDATE SET person_id = EXCLUDED.person_id, circuit_id = NULL;   -- a rule to a circuit before
	PERFORM journal_append(p_actor, 'routing.set', NULL, v_org,
		jsonb_build_object('kind', p_kind, 'nature', p_nature, 'email', lower(p_email)));
END $$;

-- The kind and acte nature of a routing rule (to a person or a circuit):
-- LQ422 on the field at fault.
CREATE OR REPLACE FUNCTION routing_check(p_kind text, p_nature smallint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF p_kind NOT IN ('pes', 'acte', 'document') THEN
		RAISE EXCEPTION 'unknown kind "%"', p_kind USING ERRCODE = 'LQ422', COLUMN = 'kind',
			HINT = 'kinds are pes, acte and document';
	ELSIF p_nature IS NOT NULL AND (p_kind <> 'acte' OR p_nature NOT BETWEEN 1 AND 6) THEN
		RAISE EXCEPTION 'a nature (1 to 6) only refines acte routing' USING ERRCODE = 'LQ422',
			COLUMN = 'nature', HINT = '1 DE, 2 AR, 3 AI, 4 CC, 5 BF, 6 AU';
	END IF;
END $$;

-- Removes the routing rule of (kind, nature; NULL: every nature) of an
-- organisation, whether it names an official or a circuit.
CREATE OR REPLACE FUNCTION routing_remove(p_siren text, p_kind text, p_nature smallint, p_actor text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	v_org bigint := org_id_of(p_siren);
BEGIN
	DELETE FROM routing_rule WHERE org_id = v_org AND kind::text = p_kind
		AND coalesce(nature, 0) = coalesce(p_nature, 0);
	IF NOT FOUND THEN
		RAISE EXCEPTION 'organisation % has no routing rule for % documents%', p_siren, p_kind,
			CASE WHEN p_nature IS NULL THEN '' ELSE ' of nature ' || p_nature END
			USING ERRCODE = 'LQ404', COLUMN = 'kind', HINT = 'GET /api/v1/admin/routing lists them';
	END IF;
	PERFORM journal_append(p_actor, 'routing.removed', NULL, v_org,
		jsonb_build_object('kind', p_kind, 'nature', p_nature));
END $$;

CREATE OR REPLACE FUNCTION delegation_json(dl delegation) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', dl.id, 'from', person_brief(dl.delegator_id),
		'to', person_brief(dl.delegate_id),
		'organisation', (SELECT siren FROM organisation WHERE id = dl.org_id),
		'kinds', to_jsonb(dl.kinds), 'starts_at', ts_text(dl.starts_at), 'ends_at', ts_text(dl.ends_at),
		'active', dl.revoked_at IS NULL AND now() >= dl.starts_at AND now() < dl.ends_at,
		'revoked_at', ts_text(dl.revoked_at))
$$;

-- A signer delegates, for a period, optionally for one organisation and some
-- kinds, to another person, who must be a signer of the organisation(s)
-- concerned.
CREATE OR REPLACE FUNCTION delegation_add(p_delegator bigint, p_delegate_email text, p_siren text, p_kinds text[],
	p_starts timestamptz, p_ends timestamptz, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_to bigint := person_id_of(p_delegate_email);
	v_org bigint := CASE WHEN p_siren IS NULL THEN NULL ELSE org_id_of(p_siren) END;
	v_dl delegation%ROWTYPE;
BEGIN
	IF v_to = p_delegator THEN
		RAISE EXCEPTION 'one cannot delegate to oneself' USING ERRCODE = 'LQ422', COLUMN = 'to',
			HINT = 'name another signer';
	END IF;
	IF p_ends <= p_starts OR p_ends <= now() THEN
		RAISE EXCEPTION 'the period must end after it starts, and in the future' USING ERRCODE = 'LQ422',
			COLUMN = 'ends_at', HINT = 'give starts_at and ends_at as RFC 3339 times';
	END IF;
	IF p_kinds IS NOT NULL AND NOT p_kinds <@ ARRAY['pes', 'acte', 'document'] THEN
		RAISE EXCEPTION 'unknown kind in %', p_kinds USING ERRCODE = 'LQ422', COLUMN = 'kinds',
			HINT = 'kinds are pes, acte and document';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM person_role WHERE person_id = p_delegator AND role = 'signer'
			AND (v_org IS NULL OR org_id = v_org)) THEN
		RAISE EXCEPTION 'only a signer of the organisation can delegate' USING ERRCODE = 'LQ403',
			COLUMN = 'organisation', HINT = 'delegate for an organisation you sign for';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM person_role d WHERE d.person_id = v_to AND d.role = 'signer'
			AND d.org_id IN (SELECT org_id FROM person_role WHERE person_id = p_delegator
				AND role = 'signer' AND (v_org IS NULL OR org_id = v_org))) THEN
		RAISE EXCEPTION '% is not a signer of the organisation concerned', p_delegate_email
			USING ERRCODE = 'LQ422', COLUMN = 'to',
			HINT = 'the delegate must hold the signer role (an adjoint, a vice-president)';
	END IF;
	INSERT INTO delegation (delegator_id, delegate_id, org_id, kinds, starts_at, ends_at, created_by)
	VALUES (p_delegator, v_to, v_org, p_kinds::doc_kind[], p_starts, p_ends, p_actor)
	RETURNING * INTO v_dl;
	PERFORM journal_append(p_actor, 'delegation.created', NULL, v_org, delegation_json(v_dl));
	RETURN delegation_json(v_dl);
END $$;

CREATE OR REPLACE FUNCTION delegation_revoke(p_person bigint, p_id bigint, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_dl delegation%ROWTYPE;
BEGIN
	UPDATE delegation SET revoked_at = coalesce(revoked_at, now())
	WHERE id = p_id AND (delegator_id = p_person OR p_person IS NULL) RETURNING * INTO v_dl;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no delegation % of yours', p_id USING ERRCODE = 'LQ404', COLUMN = 'id',
			HINT = 'GET /api/v1/me/delegations lists them';
	END IF;
	PERFORM journal_append(p_actor, 'delegation.revoked', NULL, v_dl.org_id, delegation_json(v_dl));
	RETURN delegation_json(v_dl);
END $$;

CREATE OR REPLACE FUNCTION me_json(p_person bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', p.id, 'email', p.email, 'name', p.name, 'operator', p.is_operator,
		'totp', p.totp_secret IS NOT NULL,
		'roles', coalesce((SELECT jsonb_agg(jsonb_build_object('organisation', o.siren,
				'organisation_name', o.name, 'role', r.role, 'function', r.function)
				ORDER BY o.name, r.role)
			FROM person_role r JOIN organisation o ON o.id = r.org_id WHERE r.person_id = p.id), '[]'),
		'delegations_given', coalesce((SELECT jsonb_agg(delegation_json(dl) ORDER BY dl.starts_at)
			FROM delegation dl WHERE dl.delegator_id = p.id AND dl.revoked_at IS NULL
			AND dl.ends_at > now()), '[]'),
		'delegations_received', coalesce((SELECT jsonb_agg(delegation_json(dl) ORDER BY dl.starts_at)
			FROM delegation dl WHERE dl.delegate_id = p.id AND dl.revoked_at IS NULL
			AND dl.ends_at > now()), '[]'))
	FROM person p WHERE p.id = p_person
$$;

-- One official's queue ("my queue"), for the API (queue_json) and the web
-- pages (store/web.c) alike: the documents awaiting a signature routed to
-- them, and those of the officials who delegated to them now (within the
-- delegation's organisation and kinds, delegation_active()), across
-- organisations and vendors, each once; for_person is whom they would sign
-- for.  The first condition only narrows the signers to look up, so that the
-- partial index document_queue serves; delegation_active() decides.
CREATE OR REPLACE FUNCTION queue_docs(p_person bigint) RETURNS TABLE (doc document, for_person bigint)
LANGUAGE sql STABLE AS $$
	SELECT d, d.signer_id FROM document d
	WHERE d.state = 'pending_signature'
	  AND d.signer_id = ANY (ARRAY(SELECT p_person UNION
		SELECT delegator_id FROM delegation WHERE delegate_id = p_person AND revoked_at IS NULL
		AND now() >= starts_at AND now() < ends_at))
	  AND (d.signer_id = p_person OR delegation_active(d.signer_id, p_person, d.org_id, d.kind) IS NOT NULL)
$$;

-- The queue's cursor: base64url of "<due date or infinity> <created_at in
-- microseconds> <id>", the sort key of the last item of a page.  A page
-- starts strictly after it, so documents signed, rejected or added between
-- two pages shift no other document: none is shown twice or skipped.
CREATE OR REPLACE FUNCTION queue_cursor(p_due date, p_created timestamptz, p_id uuid) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT rtrim(translate(encode(convert_to(concat_ws(' ', coalesce(p_due, 'infinity'::date),
		(extract(epoch FROM p_created) * 1000000)::bigint, p_id), 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;

CREATE OR REPLACE FUNCTION queue_cursor_key(p_cursor text, OUT due date, OUT created timestamptz, OUT id uuid)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	v_parts text[];
BEGIN
	IF p_cursor IS NULL THEN
		RETURN;
	END IF;
	BEGIN
		v_parts := string_to_array(convert_from(decode(translate(p_cursor, '-_', '+/')
			|| repeat('=', (4 - length(p_cursor) % 4) % 4), 'base64'), 'UTF8'), ' ');
		due := v_parts[1]::date;
		created := timestamptz 'epoch' + v_parts[2]::bigint * interval '1 microsecond';
		id := v_parts[3]::uuid;
		IF cardinality(v_parts) <> 3 OR p_cursor !~ '^[A-Za-z0-9_-]+$' THEN
			RAISE EXCEPTION 'malformed';
		END IF;
	EXCEPTION WHEN OTHERS THEN
		RAISE EXCEPTION 'not a cursor returned by this API' USING ERRCODE = 'LQ400', COLUMN = 'cursor',
			HINT = 'pass next_cursor as is, or leave cursor out for the first page';
	END;
END $$;

-- The one order and cursor of an official's queue, for the API (queue_json)
-- and the web page "Mon parapheur" (src/store/web.c): due date (none last),
-- then age, then id.  One pass over queue_docs() counts the whole queue and
-- the filtered one (p_org SIREN, p_kind, p_client vendor name, p_due: due on
-- or before) and takes the page: the p_limit rows after p_cursor (NULL: from
-- the start), or the p_limit rows before it when p_back (the web's previous
-- page), in queue order.  A page starts strictly after (ends strictly
-- before) its cursor, so documents signed or added meanwhile shift no other
-- one.  first_pos: filtered rows before the page; next_cursor, prev_cursor:
-- set when rows follow, precede the page (the cursors of its last, first
-- row).  counts: the API's (total, matching, by_organisation, by_kind,
-- overdue); org_ids, client_ids: of the whole queue (the web's filters).
DROP FUNCTION IF EXISTS queue_slice(bigint, text, text, text, date, integer, text, boolean);
CREATE OR REPLACE FUNCTION queue_slice(p_person bigint, p_org text, p_kind text, p_client text,
	p_due date, p_limit integer, p_cursor text, p_back boolean,
	OUT ids uuid[], OUT fors bigint[], OUT first_pos bigint, OUT next_cursor text,
	OUT prev_cursor text, OUT counts jsonb, OUT org_ids bigint[], OUT client_ids bigint[])
LANGUAGE plpgsql STABLE AS $$
BEGIN
	WITH q AS MATERIALIZED (
		SELECT (x.doc).id, (x.doc).org_id, (x.doc).client_id, (x.doc).kind, (x.doc).due_date,
			(x.doc).created_at, x.for_person, coalesce((x.doc).due_date, 'infinity'::date) AS due_key,
			(p_org IS NULL OR (x.doc).org_id = (SELECT id FROM organisation WHERE siren = p_org))
			AND (p_kind IS NULL OR (x.doc).kind = (SELECT k FROM unnest(enum_range(NULL::doc_kind)) k
				WHERE k::text = p_kind))
			AND (p_client IS NULL OR (x.doc).client_id = (SELECT id FROM api_client WHERE name = p_client))
			AND (p_due IS NULL OR (x.doc).due_date <= p_due) AS kept
		FROM queue_docs(p_person) x
	), g AS MATERIALIZED (
		-- the counts in one pass: per organisation, kind and vendor
		SELECT org_id, kind, client_id, count(*) AS n, count(*) FILTER (WHERE kept) AS m,
			count(*) FILTER (WHERE due_date < current_date) AS late
		FROM q GROUP BY org_id, kind, client_id
	), cur AS (
		SELECT k.due, k.created, k.id FROM queue_cursor_key(p_cursor) k
	), page AS MATERIALIZED (
		(SELECT * FROM q WHERE kept AND NOT p_back AND (p_cursor IS NULL
			OR (due_key, created_at, id) > (SELECT c.due, c.created, c.id FROM cur c))
		 ORDER BY due_key, created_at, id LIMIT p_limit)
		UNION ALL
		(SELECT * FROM q WHERE kept AND p_back
			AND (due_key, created_at, id) < (SELECT c.due, c.created, c.id FROM cur c)
		 ORDER BY due_key DESC, created_at DESC, id DESC LIMIT p_limit)
	), edge AS MATERIALIZED (
		SELECT h.due_key AS h_key, h.created_at AS h_created, h.id AS h_id, h.due_date AS h_due,
			t.due_date AS t_due, t.created_at AS t_created, t.id AS t_id,
			(SELECT count(*) FROM page) AS n, (SELECT coalesce(sum(m), 0) FROM g) AS matching
		FROM (SELECT) one
		LEFT JOIN LATERAL (SELECT * FROM page ORDER BY due_key, created_at, id LIMIT 1) h ON true
		LEFT JOIN LATERAL (SELECT * FROM page ORDER BY due_key DESC, created_at DESC, id DESC
			LIMIT 1) t ON true
	), pos AS MATERIALIZED (
		-- filtered rows before the page: none on the first page (no pass)
		SELECT e.*, CASE WHEN p_cursor IS NULL THEN 0
			WHEN e.n > 0 THEN (SELECT count(*) FROM q
				WHERE kept AND (q.due_key, q.created_at, q.id) < (e.h_key, e.h_created, e.h_id))
			WHEN p_back THEN 0 ELSE e.matching END AS before
		FROM edge e
	)
	SELECT (SELECT array_agg(pg.id ORDER BY pg.due_key, pg.created_at, pg.id) FROM page pg),
		(SELECT array_agg(pg.for_person ORDER BY pg.due_key, pg.created_at, pg.id) FROM page pg),
		p.before,
		CASE WHEN p.before + p.n < p.matching THEN queue_cursor(p.t_due, p.t_created, p.t_id) END,
		CASE WHEN p.before > 0 AND p.n > 0 THEN queue_cursor(p.h_due, p.h_created, p.h_id) END,
		jsonb_build_object(
			'total', (SELECT coalesce(sum(n), 0) FROM g),
			'matching', p.matching,
			'by_organisation', coalesce((SELECT jsonb_object_agg(o.siren, s.n) FROM
				(SELECT org_id, sum(n) AS n FROM g GROUP BY org_id) s
				JOIN organisation o ON o.id = s.org_id), '{}'),
			'by_kind', coalesce((SELECT jsonb_object_agg(k, n) FROM
				(SELECT kind::text AS k, sum(n) AS n FROM g GROUP BY 1) s), '{}'),
			'overdue', (SELECT coalesce(sum(late), 0) FROM g)),
		(SELECT array_agg(DISTINCT org_id) FROM g),
		(SELECT array_agg(DISTINCT client_id) FROM g)
	INTO ids, fors, first_pos, next_cursor, prev_cursor, counts, org_ids, client_ids
	FROM pos p;
END $$;

-- A page of the official's queue: {"items": [document + organisation_name,
-- vendor, on_behalf_of], "counts": {...}, "next_cursor": text or null}.
-- The order, cursor and counts are queue_slice()'s; the page's JSON is
-- built from joins over its rows (doc_json_of), not by running doc_json()
-- once per row.
DROP FUNCTION IF EXISTS queue_json(bigint, text, text, text, integer);
CREATE OR REPLACE FUNCTION queue_json(p_person bigint, p_org text, p_kind text, p_client text,
	p_limit integer, p_cursor text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	s record;
BEGIN
	SELECT * INTO s FROM queue_slice(p_person, p_org, p_kind, p_client, NULL, p_limit, p_cursor, false);
	RETURN jsonb_build_object(
		'items', coalesce((SELECT jsonb_agg(doc_json_of(d, o.siren, files.files, person_brief_of(pa),
				person_brief_of(pb), person_brief_of(pf)) || jsonb_build_object(
				'organisation_name', o.name, 'vendor', c.name,
				'on_behalf_of', CASE WHEN pg.for_person <> p_person THEN person_brief_of(pr) END)
				ORDER BY pg.rn)
			FROM unnest(s.ids, s.fors) WITH ORDINALITY AS pg(id, for_person, rn)
			JOIN document d ON d.id = pg.id
			JOIN organisation o ON o.id = d.org_id JOIN api_client c ON c.id = d.client_id
			LEFT JOIN LATERAL (SELECT jsonb_agg(doc_file_json(fl, b) ORDER BY fl.n) AS files
				FROM document_file fl JOIN blob b ON b.id = fl.blob_id WHERE fl.doc_id = d.id) files ON true
			LEFT JOIN person pa ON pa.id = d.signer_id LEFT JOIN person pb ON pb.id = d.signed_by
			LEFT JOIN person pf ON pf.id = d.signed_for LEFT JOIN person pr ON pr.id = pg.for_person), '[]'),
		'next_cursor', s.next_cursor,
		'counts', s.counts);
END $$;

-- A document as a person sees it: the document, its history, and whether
-- they may sign it (and for whom).
CREATE OR REPLACE FUNCTION person_doc_json(p_person bigint, p_doc uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_doc document%ROWTYPE;
	v_for bigint;
BEGIN
	SELECT * INTO v_doc FROM document WHERE id = p_doc;
	IF NOT FOUND OR NOT person_may_see(p_person, p_doc) THEN
		RAISE EXCEPTION 'no document % for you', p_doc USING ERRCODE = 'LQ404', COLUMN = 'id',
			HINT = 'GET /api/v1/queue lists the documents awaiting your signature';
	END IF;
	v_for := person_may_sign(p_person, p_doc);
	RETURN doc_json(v_doc) || jsonb_build_object(
		'organisation_name', (SELECT name FROM organisation WHERE id = v_doc.org_id),
		'vendor', (SELECT name FROM api_client WHERE id = v_doc.client_id),
		'may_sign', v_for IS NOT NULL,
		'may_visa', circuit_action(v_doc) = 'visa' AND person_may_act(p_person, p_doc) IS NOT NULL,
		'may_reject', person_may_act(p_person, p_doc) IS NOT NULL,
		'may_remord', circuit_may_remord(p_person, v_doc),
		'steps', circuit_doc_steps_json(p_person, v_doc),
		'on_behalf_of', CASE WHEN v_for <> p_person THEN person_brief(v_for) END,
		'history', coalesce((SELECT jsonb_agg(jsonb_build_object('at', ts_text(j.at), 'actor', j.actor,
				'action', j.action, 'detail', j.detail) ORDER BY j.id)
			FROM journal j WHERE j.doc_id = p_doc), '[]'));
END $$;

-- An official (or their delegate) refuses to sign; the vendor sees
-- "rejected" and the reason.
CREATE OR REPLACE FUNCTION document_reject(p_person bigint, p_doc uuid, p_reason text, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_doc document%ROWTYPE;
	v_for bigint;
BEGIN
	IF p_reason IS NULL OR length(btrim(p_reason)) NOT BETWEEN 3 AND 2000 THEN
		RAISE EXCEPTION 'a reason (3 to 2000 characters) is required to reject a document'
			USING ERRCODE = 'LQ422', COLUMN = 'reason',
			HINT = 'say what the vendor or the agent must correct';
	END IF;
	SELECT * INTO v_doc FROM document WHERE id = p_doc FOR UPDATE;
	IF NOT FOUND OR NOT person_may_see(p_person, p_doc) THEN
		RAISE EXCEPTION 'no document % for you', p_doc USING ERRCODE = 'LQ404', COLUMN = 'id',
			HINT = 'GET /api/v1/queue lists the documents awaiting your signature';
	END IF;
	IF document_next(v_doc.state, 'reject') IS NULL THEN
		RAISE EXCEPTION 'the document is % and no longer awaits a signature', v_doc.state
			USING ERRCODE = 'LQ409', COLUMN = 'state', HINT = 'reload the document';
	END IF;
	v_for := person_may_act(p_person, p_doc);
	IF v_for IS NULL THEN
		RAISE EXCEPTION 'this document awaits another official''s signature' USING ERRCODE = 'LQ403',
			COLUMN = 'id', HINT = 'only the person of its current step or their delegate may reject it';
	END IF;
	PERFORM document_apply(p_doc, 'reject', p_actor, btrim(p_reason),
		CASE WHEN v_for <> p_person THEN jsonb_build_object('par_delegation_de',
			(SELECT name FROM person WHERE id = v_for)) ELSE '{}' END);
	SELECT * INTO v_doc FROM document WHERE id = p_doc;
	RETURN doc_json(v_doc);
END $$;

-- Logging in (http/session.c, for the API and the web form alike).  A try
-- is reserved before the password's (slow, scrypt) check, under the person's
-- row lock, by a statement committed on its own (as cert_pin_reserve):
-- concurrent tries can never check more than five passwords per lock window,
-- whatever their number.  failed_logins counts the tries reserved since the
-- last success or the end of the last lock; the fifth sets locked_at, and
-- for p_lock from then every try is refused unchecked (the right password
-- too).  A try reserved and never concluded (a crash) counts as a failure.
DROP FUNCTION IF EXISTS login_record(bigint, boolean, text);

-- The tries left after this one (0..4), or NULL when the login is locked.
CREATE OR REPLACE FUNCTION login_reserve(p_person bigint, p_lock interval) RETURNS integer
LANGUAGE sql AS $$
	UPDATE person SET
		failed_logins = CASE WHEN locked_at <= now() - p_lock THEN 1 ELSE failed_logins + 1 END,
		locked_at = CASE WHEN locked_at <= now() - p_lock THEN NULL
			WHEN failed_logins + 1 >= 5 THEN now() ELSE locked_at END
	WHERE id = p_person AND disabled_at IS NULL
	  AND (locked_at <= now() - p_lock OR (locked_at IS NULL AND failed_logins < 5))
	RETURNING 5 - failed_logins
$$;

-- The reserved try's outcome, journaled: p_ok clears the count and the
-- lock; a failure keeps its reservation.
CREATE OR REPLACE FUNCTION login_outcome(p_person bigint, p_ok boolean, p_from text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_p person%ROWTYPE;
BEGIN
	IF p_ok THEN
		UPDATE person SET failed_logins = 0, locked_at = NULL WHERE id = p_person RETURNING * INTO v_p;
	ELSE
		SELECT * INTO v_p FROM person WHERE id = p_person;
	END IF;
	PERFORM journal_append('person:' || v_p.email, CASE WHEN p_ok THEN 'login' ELSE 'login.failed' END,
		NULL, NULL, jsonb_build_object('from', p_from) || CASE WHEN p_ok THEN '{}'::jsonb
			ELSE jsonb_build_object('failures', v_p.failed_logins,
				'locked', v_p.locked_at IS NOT NULL) END);
END $$;

CREATE OR REPLACE FUNCTION session_auth(p_sha bytea, p_idle interval) RETURNS TABLE (id bigint, email text,
	name text, is_operator boolean, csrf text) LANGUAGE sql AS $$
	UPDATE session s SET last_seen_at = now()
	FROM person p
	WHERE s.token_sha256 = p_sha AND p.id = s.person_id AND p.disabled_at IS NULL
	  AND s.expires_at > now() AND s.last_seen_at > now() - p_idle
	RETURNING p.id, p.email, p.name, p.is_operator, s.csrf
$$;

-- An organisation as the administrators' API shows it
-- (GET /api/v1/admin/organisations).
CREATE OR REPLACE FUNCTION org_json(o organisation) RETURNS json LANGUAGE sql STABLE AS $$
	SELECT json_build_object('siren', o.siren, 'name', o.name,
		'parent', (SELECT siren FROM organisation WHERE id = o.parent_id),
		'departement', o.departement, 'arrondissement', o.arrondissement, 'nature_actes', o.nature_actes,
		'city', o.city, 'postal_code', o.postal_code,
		'helios', json_build_object('idcoll', o.idcoll, 'codcol', o.codcol, 'idpost', o.idpost,
			'budgets', to_json(o.codbuds), 'p_dest', o.p_dest),
		'archive_after', o.archive_after::text, 'acte_signature', o.acte_signature)
$$;
