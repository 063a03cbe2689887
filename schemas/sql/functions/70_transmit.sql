-- functions/70_transmit.sql - transmission bookkeeping (tables in 007_transmit.sql).
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.

-- Transmissions left 'sending' by a process that died in the middle of the
-- send (its database session is gone): their job is made due now, so that
-- they are reconciled without waiting for the job's lease.  Jobs held by a
-- running worker are skipped.  Returns how many.
CREATE OR REPLACE FUNCTION transmission_orphans() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	v_doc uuid;
	v_n integer := 0;
BEGIN
	FOR v_doc IN SELECT t.doc_id FROM transmission t WHERE t.state = 'sending'
		AND t.holder_pid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
			WHERE a.pid = t.holder_pid AND a.backend_start = t.holder_start) LOOP
		UPDATE transmission SET holder_pid = NULL, updated_at = now() WHERE doc_id = v_doc;
		UPDATE job SET run_at = now() WHERE id IN (SELECT id FROM job WHERE kind = 'transmit'
			AND doc_id = v_doc AND done_at IS NULL AND run_at > now() FOR UPDATE SKIP LOCKED);
		v_n := v_n + 1;
	END LOOP;
	RETURN v_n;
END $$;

CREATE OR REPLACE FUNCTION transmit_counter_next(p_org bigint, p_name text) RETURNS bigint LANGUAGE sql AS $$
	INSERT INTO transmit_counter (org_id, name, last) VALUES (p_org, p_name, 1)
	ON CONFLICT (org_id, name) DO UPDATE SET last = transmit_counter.last + 1
	RETURNING last
$$;
