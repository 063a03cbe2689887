-- 011_cancel_classification.sql - the annulation of an acknowledged act
-- (@ctes message 6-1 Annulation, answered by 6-2 ARAnnulation) and the date
-- of the organisation's classification (7-2 RetourClassification).
--
-- A cancellation asked for an act the prefecture has acknowledged puts the
-- document in 'cancelling' (transitions in functions/30_state.sql) and
-- gives it a job "cancel" (src/transmit/cancel.c), which sends the 6-1
-- archive exactly once, as the first send is (src/transmit/README): the row
-- below is 'sending' in a committed transaction before the bytes leave, and a
-- job that finds it 'sending' reads the mailbox before sending again.  The
-- ARAnnulation read from the mailbox makes the document 'cancelled'.
-- The functions are in functions/75_cancel.sql.

ALTER TYPE doc_state ADD VALUE IF NOT EXISTS 'cancelling' AFTER 'acknowledged';

CREATE TABLE cancellation (
	doc_id        uuid PRIMARY KEY REFERENCES document(id),
	org_id        bigint NOT NULL REFERENCES organisation(id),
	state         text NOT NULL DEFAULT 'new'
		CHECK (state IN ('new', 'sending', 'sent', 'acknowledged', 'refused')),
	sends         integer NOT NULL DEFAULT 0,
	tries         integer NOT NULL DEFAULT 0,
	remote_name   text,     -- the archive of the 6-1, kept for every attempt
	last_error    text,
	sending_since timestamptz,
	sent_at       timestamptz,
	answered_at   timestamptz,
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The organisation's classification (7-2 RetourClassification): the file
-- stays in organisation.classification (001) as received; beside it its
-- DateClassification, written into ClassificationDateVersion of every act,
-- when it was received, and its content as JSON (natures with their
-- typologies, matières with their labels: flow/acte_classjson.c), which the
-- API serves and the door checks (functions/76_classification.sql).
ALTER TABLE organisation ADD COLUMN IF NOT EXISTS classification_date date,
	ADD COLUMN IF NOT EXISTS classification_at timestamptz,
	ADD COLUMN IF NOT EXISTS classification_json jsonb
		CHECK (jsonb_typeof(classification_json) = 'object'),
	-- a 7-1 DemandeClassification is due when wanted is later than the last
	-- request (on demand, at the first act, when an ARActe names a later
	-- classification), or a day after a request left unanswered
	ADD COLUMN IF NOT EXISTS classification_wanted timestamptz,
	ADD COLUMN IF NOT EXISTS classification_requested_at timestamptz;
