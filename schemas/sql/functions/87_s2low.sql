-- functions/87_s2low.sql - the prefecture's letters as the S²LOW-compatible
-- API shows them (src/http/s2low.c through src/store/compat.c; doc/compat.md,
-- "S²LOW"; table s2low_transaction, 030 and 036).

-- Gives a transaction 'courrier' to every letter of an act client p_client
-- posted through the S²LOW API (the act's transaction 'acte'), so that the
-- letter has an S²LOW number, in the same numbering as the acts.
CREATE OR REPLACE FUNCTION s2low_letters_number(p_client bigint) RETURNS void LANGUAGE sql AS $$
	INSERT INTO s2low_transaction (client_id, doc_id, kind, letter_id)
	SELECT p_client, l.doc_id, 'courrier', l.id
	FROM letter l JOIN s2low_transaction a ON a.doc_id = l.doc_id AND a.kind = 'acte' AND a.client_id = p_client
	ORDER BY l.id
	ON CONFLICT (client_id, letter_id, kind) WHERE letter_id IS NOT NULL DO NOTHING
$$;

-- S²LOW's status of a document of the prefecture: 21 "reçu, pas d'AR" for a
-- courrier simple, 7 "reçu" for the others (Pastell's TdtConnecteur
-- STATUS_ACTES_MESSAGE_PREF_RECU_PAS_D_AR, STATUS_ACTES_MESSAGE_PREF_RECU).
CREATE OR REPLACE FUNCTION s2low_letter_status(l letter) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN l.code = '2-1' THEN '21' ELSE '7' END
$$;

-- list_document_prefecture.php: the client's unread letters as S²LOW's rows
-- (every value a string): id, type (2-5), related_transaction_id (the
-- act's), number (its NumeroInterne), unique_id (its IDActe),
-- last_status_id.
CREATE OR REPLACE FUNCTION s2low_prefdocs_json(p_client bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	PERFORM s2low_letters_number(p_client);
	RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('id', t.id::text, 'type', left(l.code, 1),
			'related_transaction_id', a.id::text, 'number', d.meta->>'numero_interne',
			'unique_id', l.idacte, 'last_status_id', s2low_letter_status(l)) ORDER BY t.id), '[]')
		FROM s2low_transaction t JOIN letter l ON l.id = t.letter_id JOIN document d ON d.id = l.doc_id
		JOIN s2low_transaction a ON a.doc_id = l.doc_id AND a.kind = 'acte' AND a.client_id = p_client
		WHERE t.client_id = p_client AND t.kind = 'courrier' AND t.read_at IS NULL);
END $$;

-- actes_transac_get_document.php?id=N: for an act's transaction, its
-- letters ({"kind": "acte", "letters": [{id, type, status}]}); for a
-- letter's, the files of its envelope: the form and the PDFs it lists, as
-- they were attached to the act ({"kind": "courrier", "doc_id", "files":
-- [{n, name}]}).  NULL when N is none of the client's.
CREATE OR REPLACE FUNCTION s2low_prefdoc_json(p_client bigint, p_tx bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	t s2low_transaction%ROWTYPE;
BEGIN
	PERFORM s2low_letters_number(p_client);
	SELECT * INTO t FROM s2low_transaction WHERE id = p_tx AND client_id = p_client;
	IF NOT FOUND OR t.kind NOT IN ('acte', 'courrier') THEN
		RETURN NULL;
	END IF;
	IF t.kind = 'acte' THEN
		RETURN jsonb_build_object('kind', 'acte', 'letters', (SELECT coalesce(jsonb_agg(jsonb_build_object(
				'id', c.id::text, 'type', left(l.code, 1), 'status', s2low_letter_status(l)) ORDER BY c.id), '[]')
			FROM s2low_transaction c JOIN letter l ON l.id = c.letter_id
			WHERE c.client_id = p_client AND c.kind = 'courrier' AND c.doc_id = t.doc_id));
	END IF;
	RETURN (SELECT jsonb_build_object('kind', 'courrier', 'doc_id', l.doc_id, 'form', l.form_name,
		'files', coalesce((SELECT jsonb_agg(jsonb_build_object('n', f.n, 'name', f.name) ORDER BY f.n)
			FROM document_file f WHERE f.doc_id = l.doc_id AND f.role = 'letter'
			  AND (f.name = l.form_name OR f.name = ANY (l.files))), '[]'))
		FROM letter l WHERE l.id = t.letter_id);
END $$;

-- document_prefecture_mark_as_read.php: the letter's transaction read (no
-- error for any other id: S²LOW answers {"result":"ok"} whatever it is).
CREATE OR REPLACE FUNCTION s2low_prefdoc_read(p_client bigint, p_tx bigint) RETURNS void LANGUAGE sql AS $$
	UPDATE s2low_transaction SET read_at = coalesce(read_at, now())
	WHERE id = p_tx AND client_id = p_client AND kind = 'courrier'
$$;

-- actes_transac_reponse_create.php: the letter of transaction p_tx
-- ('courrier') of the client: {letter, doc_id, code} or NULL.
CREATE OR REPLACE FUNCTION s2low_prefdoc_letter(p_client bigint, p_tx bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('letter', l.id::text, 'doc_id', l.doc_id, 'code', l.code)
	FROM s2low_transaction t JOIN letter l ON l.id = t.letter_id
	WHERE t.id = p_tx AND t.client_id = p_client AND t.kind = 'courrier'
$$;

-- The transaction of the answer to letter p_letter given through the API
-- (the same number when a refused answer is given again).
CREATE OR REPLACE FUNCTION s2low_reponse_tx(p_client bigint, p_letter bigint) RETURNS bigint LANGUAGE sql AS $$
	WITH i AS (INSERT INTO s2low_transaction (client_id, doc_id, kind, letter_id)
		SELECT p_client, doc_id, 'reponse', id FROM letter WHERE id = p_letter
		ON CONFLICT (client_id, letter_id, kind) WHERE letter_id IS NOT NULL DO NOTHING RETURNING id)
	SELECT coalesce((SELECT id FROM i), (SELECT id FROM s2low_transaction
		WHERE client_id = p_client AND letter_id = p_letter AND kind = 'reponse'))
$$;
