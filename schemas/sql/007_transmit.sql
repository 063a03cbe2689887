-- 007_transmit.sql - transmission to the state platforms (@ctes, Hélios, an
-- S²LOW-compatible TdT): per-organisation connector settings, one
-- transmission per document with its exactly-once bookkeeping, the Hélios
-- file counter and what was already read from the return channels.
--
-- Exactly once (src/transmit/README): a transmission is 'sending' (and its
-- document 'transmitting') in a committed transaction before any byte leaves;
-- a transmission found 'sending' by a later attempt was interrupted (crash,
-- timeout) and is reconciled with the platform before anything is resent.
-- The functions are in functions/70_transmit.sql and 20_document.sql.

CREATE TABLE connector (
	org_id     bigint NOT NULL REFERENCES organisation(id),
	kind       text NOT NULL CHECK (kind IN ('actes', 'helios', 's2low')),
	settings   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, kind)
);

CREATE TABLE transmission (
	doc_id        uuid PRIMARY KEY REFERENCES document(id),
	org_id        bigint NOT NULL REFERENCES organisation(id),
	connector     text NOT NULL CHECK (connector IN ('actes', 'helios', 's2low')),
	state         text NOT NULL DEFAULT 'new'
		CHECK (state IN ('new', 'sending', 'sent', 'acknowledged', 'refused', 'failed')),
	sends         integer NOT NULL DEFAULT 0,   -- sends started (a resend after reconciliation adds one)
	tries         integer NOT NULL DEFAULT 0,   -- attempts of the job, for the backoff
	remote_name   text,     -- PESALR2_<SIREN>_<yymmdd>_<n>.xml, or the @ctes archive name
	remote_id     text,     -- S²LOW transaction id
	match_key     text,     -- what returns carry: NomFic (PES), IDActe prefix DDD-SIREN-YYYYMMDD-NUMERO-NN (acte)
	last_error    text,
	sending_since timestamptz,
	holder_pid    integer,      -- the database session of the process sending now (NULL: none)
	holder_start  timestamptz,  -- that session's backend_start (a pid may be reused)
	sent_at       timestamptz,
	answered_at   timestamptz,
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX transmission_remote_name ON transmission (connector, remote_name);
CREATE INDEX transmission_match ON transmission (org_id, match_key);
CREATE INDEX transmission_open ON transmission (state) WHERE state IN ('sending', 'sent');

-- Counters of an organisation that only grow, so a name is never given
-- twice: 'helios' for PESALR2_<SIREN>_<yymmdd>_<counter>.xml, 'actes' for
-- the envelope EACT--<SIREN>--<YYYYMMDD>-<counter>.xml.
CREATE TABLE transmit_counter (
	org_id bigint NOT NULL REFERENCES organisation(id),
	name   text NOT NULL,
	last   bigint NOT NULL,
	PRIMARY KEY (org_id, name)
);

-- What was already read from a return channel: an IMAP message
-- ('imap:<SIREN>:<url>', '<uid>' and '<uid>/<attachment>') or a file of the Hélios response
-- directory ('ftp:<SIREN>:<url>', name), and what it became.
CREATE TABLE transmit_inbox (
	source  text NOT NULL,
	item    text NOT NULL,
	doc_id  uuid REFERENCES document(id),
	what    text NOT NULL,   -- ARActe, AnomalieActe, PES_ACQUIT, ..., or 'unmatched'
	seen_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (source, item)
);
