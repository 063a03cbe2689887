-- functions/75_cancel.sql - the annulation of an acknowledged act (table
-- cancellation in 011_cancel_classification.sql, job in
-- src/transmit/cancel.c).
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.

-- A document that enters 'cancelling' (document_apply(), event 'cancel'
-- from 'acknowledged') gets its cancellation row (a new one, with a new
-- archive, after a refused or acknowledged annulation) and one job "cancel".  The
-- state is compared as text: this file runs in the transaction that added
-- the value to doc_state.
CREATE OR REPLACE FUNCTION cancellation_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO cancellation (doc_id, org_id) VALUES (NEW.id, NEW.org_id)
	ON CONFLICT (doc_id) DO UPDATE SET state = 'new', sends = 0, tries = 0, last_error = NULL,
		remote_name = NULL, sending_since = NULL, sent_at = NULL, answered_at = NULL, updated_at = now()
	WHERE cancellation.state IN ('refused', 'acknowledged');
	IF NOT EXISTS (SELECT 1 FROM job WHERE doc_id = NEW.id AND kind = 'cancel' AND done_at IS NULL) THEN
		INSERT INTO job (kind, doc_id) VALUES ('cancel', NEW.id);
	END IF;
	RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER document_cancelling AFTER UPDATE OF state ON document
	FOR EACH ROW WHEN (NEW.state::text = 'cancelling' AND OLD.state::text <> 'cancelling')
	EXECUTE FUNCTION cancellation_start();
