-- functions/85_iparapheur.sql - what the i-Parapheur web services read
-- (src/http/ipar.c through src/store/ipar.c; doc/compat.md).

-- The document a client created as dossier p_dossier (CreerDossier's
-- DossierID), found through the idempotency record that made the DossierID
-- unique for the client; NULL when there is none.
CREATE OR REPLACE FUNCTION ipar_find(p_client bigint, p_dossier text) RETURNS uuid
LANGUAGE sql STABLE AS $$
	SELECT doc_id FROM idempotency WHERE client_id = p_client AND key = 'iparapheur:' || p_dossier
$$;

-- The state of document d under the names i-Parapheur tells apart
-- (src/compat/ipar_status.c maps them): a dossier waiting after a visa is
-- 'visa' ("Vise" until the next actor acts), one rejected at a visa step
-- 'rejected_visa' ("RejetVisa"); otherwise the document's state.
CREATE OR REPLACE FUNCTION ipar_state(d document) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT CASE
		WHEN d.state = 'pending_signature' AND coalesce(d.circuit_step, 1) > 1 THEN 'visa'
		WHEN d.state = 'rejected' AND circuit_action(d) = 'visa' THEN 'rejected_visa'
		ELSE d.state::text END
$$;

-- The dossier as GetDossier/GetHistoDossier read it: the document's JSON,
-- what ipar_dossier keeps, its i-Parapheur state (ipar_state) and the steps
-- it went through (from the journal: document_apply() writes one
-- 'document.<state>' entry per change, document_visa() and
-- document_remord() a 'document.visa' and a 'document.remord' entry, whose
-- public annotation the history shows).
CREATE OR REPLACE FUNCTION ipar_dossier_json(p_client bigint, p_dossier text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
		'document', doc_json(d), 'ipar_state', ipar_state(d),
		'type_technique', i.type_technique, 'sous_type', i.sous_type,
		'annotation_publique', i.annotation_publique, 'annotation_privee', i.annotation_privee,
		'visibilite', i.visibilite, 'archived', coalesce(i.archived, false),
		'history', (SELECT coalesce(jsonb_agg(jsonb_build_object(
				'at', ts_text(j.at), 'state', CASE
					WHEN j.action = 'document.received' THEN coalesce(j.detail->>'state', 'received')
					WHEN j.action = 'document.rejected' AND circuit_action(d) = 'visa'
						THEN 'rejected_visa'
					WHEN j.action = 'document.remord' THEN 'pending_signature'
					ELSE substr(j.action, 10) END,
				'reason', coalesce(j.detail->>'reason', j.detail->>'public_annotation'),
				'actor', j.actor) ORDER BY j.id), '[]')
			FROM journal j
			WHERE j.doc_id = d.id AND j.action LIKE 'document.%'
			  AND substr(j.action, 10) IN (SELECT unnest(enum_range(NULL::doc_state))::text
				UNION ALL VALUES ('visa'), ('remord'))))
	FROM document d LEFT JOIN ipar_dossier i ON i.doc_id = d.id
	WHERE d.id = ipar_find(p_client, p_dossier) AND d.client_id = p_client
$$;

-- The types and sub-types a client may use: those of its organisations.
CREATE OR REPLACE FUNCTION ipar_types_json(p_client bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('siren', o.siren, 'type', t.type_technique,
			'sous_type', t.sous_type, 'kind', t.kind, 'circuit', t.circuit)
		ORDER BY t.type_technique, t.sous_type, o.siren), '[]')
	FROM ipar_type t JOIN organisation o ON o.id = t.org_id
	WHERE t.org_id IN (SELECT org_id FROM api_client_org WHERE client_id = p_client)
$$;

-- RechercherDossiers: the client's dossiers (newest first), filtered by type,
-- sub-type, states and DossierIDs when given (NULL: any), at most p_limit.
CREATE OR REPLACE FUNCTION ipar_search_json(p_client bigint, p_type text, p_sous_type text,
	p_states text[], p_ids text[], p_limit integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('dossier_id', x.dossier_id, 'state', x.state,
		'at', ts_text(x.updated_at), 'reason', x.reason) ORDER BY x.created_at DESC, x.dossier_id), '[]')
	FROM (SELECT i.dossier_id, ipar_state(d) AS state, d.updated_at, d.created_at, d.reason
		FROM ipar_dossier i JOIN document d ON d.id = i.doc_id
		WHERE i.client_id = p_client
		  AND (p_type IS NULL OR i.type_technique = p_type)
		  AND (p_sous_type IS NULL OR i.sous_type = p_sous_type)
		  AND (p_states IS NULL OR ipar_state(d) = ANY (p_states))
		  AND (p_ids IS NULL OR i.dossier_id = ANY (p_ids))
		ORDER BY d.created_at DESC LIMIT greatest(1, least(coalesce(p_limit, 1000), 1000))) x
$$;

-- GetCircuit: the steps of a (type, sub-type) of the client's organisations.
-- A type mapped to a circuit (ipar_type.circuit): that circuit's current
-- steps as circuits_json() shows them (functions/45_circuit.sql), each with
-- its action and whom it resolves to now ('missing' when the circuit was
-- retired); a type mapped to none: one step, the official the
-- organisation's routing picks for the kind (route_signer,
-- functions/40_people.sql), as a document without a circuit is routed.
CREATE OR REPLACE FUNCTION ipar_circuit_json(p_client bigint, p_type text, p_sous_type text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('siren', o.siren, 'kind', t.kind, 'circuit', t.circuit,
		'missing', t.circuit IS NOT NULL AND c.v IS NULL,
		'steps', CASE WHEN t.circuit IS NOT NULL THEN coalesce((SELECT jsonb_agg(jsonb_build_object(
				'action', st->>'action', 'office', st->>'office',
				'name', st->'resolves_to'->>'name', 'email', st->'resolves_to'->>'email') ORDER BY n)
			FROM jsonb_array_elements(c.v->'steps') WITH ORDINALITY AS x(st, n)), '[]')
		ELSE coalesce((SELECT jsonb_agg(jsonb_build_object('action', 'signature',
				'name', p.name, 'email', p.email))
			FROM route_signer(t.org_id, t.kind, NULL, NULL) r JOIN person p ON p.id = r.person_id), '[]') END)
	FROM ipar_type t JOIN organisation o ON o.id = t.org_id
	LEFT JOIN LATERAL (SELECT e AS v FROM jsonb_array_elements(circuits_json(o.siren)) e
		WHERE e->>'name' = t.circuit) c ON true
	WHERE t.type_technique = p_type AND t.sous_type = p_sous_type
	  AND t.org_id IN (SELECT org_id FROM api_client_org WHERE client_id = p_client)
	ORDER BY o.siren LIMIT 1
$$;
