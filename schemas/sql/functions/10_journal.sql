-- functions/10_journal.sql - the append-only, hash-chained journal (tables in
-- 001_init.sql): its guard trigger, the canonical text and the sealer.
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.

CREATE OR REPLACE FUNCTION journal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
	   AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
	   AND (NEW.id, NEW.at, NEW.actor, NEW.action, NEW.doc_id, NEW.org_id, NEW.detail)
	       IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.actor, OLD.action, OLD.doc_id, OLD.org_id, OLD.detail) THEN
		RETURN NEW;   -- sealing
	END IF;
	RAISE EXCEPTION 'the journal is append-only';
END $$;

CREATE OR REPLACE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
	FOR EACH ROW EXECUTE FUNCTION journal_guard();

-- The text an entry's hash covers.  STABLE as concat_ws() is, so that it is
-- inlined into journal_seal() instead of planned for every entry.
CREATE OR REPLACE FUNCTION journal_canonical(p_seq bigint, p_at timestamptz, p_actor text, p_action text,
	p_doc uuid, p_org bigint, p_detail jsonb) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT concat_ws('|', p_seq, (extract(epoch FROM p_at) * 1000000)::bigint, p_actor, p_action,
		coalesce(p_doc::text, ''), coalesce(p_org::text, ''), p_detail::text)
$$;

CREATE OR REPLACE FUNCTION journal_append(p_actor text, p_action text, p_doc uuid, p_org bigint, p_detail jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	v_id bigint;
BEGIN
	-- PL/pgSQL keeps this plan for the session (person_brief, 20_document.sql)
	INSERT INTO journal (actor, action, doc_id, org_id, detail)
	VALUES (p_actor, p_action, p_doc, p_org, coalesce(p_detail, '{}')) RETURNING id INTO v_id;
	RETURN v_id;
END $$;

-- Chains the committed entries not chained yet, in id order; returns how
-- many.  One sealer at a time (others return 0 at once).
CREATE OR REPLACE FUNCTION journal_seal() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	v_seq bigint;
	v_hash bytea;
	v_row journal%ROWTYPE;
	v_n integer := 0;
BEGIN
	IF NOT pg_try_advisory_xact_lock(7461636101) THEN
		RETURN 0;
	END IF;
	SELECT seq, hash INTO v_seq, v_hash FROM journal WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
	v_seq := coalesce(v_seq, 0);
	v_hash := coalesce(v_hash, decode(repeat('00', 32), 'hex'));
	FOR v_row IN SELECT * FROM journal WHERE seq IS NULL ORDER BY id LOOP
		v_seq := v_seq + 1;
		UPDATE journal SET seq = v_seq, prev_hash = v_hash,
			hash = sha256(v_hash || convert_to(journal_canonical(v_seq, v_row.at, v_row.actor,
				v_row.action, v_row.doc_id, v_row.org_id, v_row.detail), 'UTF8'))
		WHERE id = v_row.id RETURNING hash INTO v_hash;
		v_n := v_n + 1;
	END LOOP;
	RETURN v_n;
END $$;

-- The actors an administrator's journal filter names: people whose e-mail or
-- name contains it, vendor clients whose name contains it, and the text
-- itself (a system actor such as 'transmit', or a whole 'person:…').  At most
-- 101: the page reads the first 100 and says when the filter is broader.
CREATE OR REPLACE FUNCTION journal_actors(p_filter text) RETURNS SETOF text LANGUAGE sql STABLE AS $$
	WITH f AS (SELECT '%' || replace(replace(replace(p_filter, '\', '\\'), '%', '\%'), '_', '\_') || '%' AS pat)
	SELECT actor FROM (
		SELECT p_filter AS actor
		UNION SELECT 'person:' || p.email FROM person p, f WHERE p.email ILIKE f.pat OR p.name ILIKE f.pat
		UNION SELECT 'client:' || c.name FROM api_client c, f WHERE c.name ILIKE f.pat) a
	ORDER BY actor
	LIMIT 101
$$;
