-- 001_init.sql - organisations, API clients, documents, files, blobs, jobs, journal.
-- Applied by store_migrate() in one transaction under an advisory lock.
--
-- Numbered migrations hold tables, types, indexes and data changes, applied
-- once each.  Functions, triggers and views are in functions/*.sql, which
-- store_migrate() runs again after them at every migration (src/store/README).

CREATE TABLE organisation (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	parent_id      bigint REFERENCES organisation(id),
	siren          char(9) NOT NULL UNIQUE CHECK (siren ~ '^[0-9]{9}$'),
	name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
	-- @ctes
	departement    varchar(3) CHECK (departement ~ '^[0-9]{2}[0-9AB]$'),
	arrondissement smallint CHECK (arrondissement BETWEEN 0 AND 9),
	nature_actes   smallint,
	classification bytea,             -- last RetourClassification received, as sent
	-- Hélios
	idcoll         varchar(14),
	codcol         varchar(3),
	idpost         varchar(7),
	codbud         varchar(2),
	p_dest         text,
	-- written into signatures
	city           text,
	postal_code    varchar(10),
	created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON organisation (parent_id);

CREATE TABLE api_client (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
	key_sha256  bytea NOT NULL UNIQUE CHECK (length(key_sha256) = 32),
	created_at  timestamptz NOT NULL DEFAULT now(),
	revoked_at  timestamptz
);

CREATE TABLE api_client_org (
	client_id bigint NOT NULL REFERENCES api_client(id),
	org_id    bigint NOT NULL REFERENCES organisation(id),
	PRIMARY KEY (client_id, org_id)
);

-- Content-addressed blobs stored in chunks.  A blob row is written with its
-- digest only once all chunks are in, inside the uploading transaction, so a
-- failed upload leaves nothing behind.
CREATE TABLE blob (
	id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	sha256  bytea UNIQUE CHECK (length(sha256) = 32),
	size    bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
	nchunks integer NOT NULL DEFAULT 0
);

CREATE TABLE blob_chunk (
	blob_id bigint NOT NULL REFERENCES blob(id) ON DELETE CASCADE,
	seq     integer NOT NULL,
	data    bytea NOT NULL,
	PRIMARY KEY (blob_id, seq)
);
-- Chunks are mostly compressed PDFs: skip pglz, keep TOAST out-of-line.
ALTER TABLE blob_chunk ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TYPE doc_kind AS ENUM ('pes', 'acte', 'document');
CREATE TYPE doc_state AS ENUM ('received', 'pending_signature', 'signed', 'rejected',
	'queued', 'transmitting', 'transmitted', 'acknowledged', 'refused',
	'cancelled', 'failed');

CREATE TABLE document (
	id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	org_id       bigint NOT NULL REFERENCES organisation(id),
	client_id    bigint NOT NULL REFERENCES api_client(id),
	kind         doc_kind NOT NULL,
	state        doc_state NOT NULL DEFAULT 'received',
	title        text NOT NULL,
	signer_hint  text,
	want_sign    boolean NOT NULL,
	want_transmit boolean NOT NULL,
	due_date     date,
	external_ref text,
	meta         jsonb NOT NULL DEFAULT '{}',   -- kind-specific: indexed PES fields, acte fields
	warnings     jsonb NOT NULL DEFAULT '[]',
	reason       text,
	created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
	updated_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON document (org_id, updated_at, id);
CREATE INDEX ON document (updated_at, id);

CREATE TABLE document_file (
	doc_id     uuid NOT NULL REFERENCES document(id),
	n          integer NOT NULL,              -- 0: main file, 1..: annexes in order
	role       text NOT NULL CHECK (role IN ('main', 'annexe')),
	name       text NOT NULL,
	media_type text NOT NULL,
	blob_id    bigint NOT NULL REFERENCES blob(id),
	PRIMARY KEY (doc_id, n)
);
CREATE INDEX ON document_file (blob_id);

CREATE TABLE idempotency (
	client_id    bigint NOT NULL REFERENCES api_client(id),
	key          text NOT NULL,
	request_sha256 bytea NOT NULL,
	doc_id       uuid NOT NULL REFERENCES document(id),
	created_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (client_id, key)
);

-- Background work, claimed with FOR UPDATE SKIP LOCKED so that several
-- liassed processes can share one database.
CREATE TABLE job (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind       text NOT NULL,
	doc_id     uuid REFERENCES document(id),
	run_at     timestamptz NOT NULL DEFAULT now(),
	attempts   integer NOT NULL DEFAULT 0,
	last_error text,
	done_at    timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_ready ON job (run_at) WHERE done_at IS NULL;

-- Append-only journal.  Writers only insert (no lock, so concurrent commits
-- stay concurrent); a sealer (journal_seal(), run by liassed's workers every
-- second or so, and before any verification) then gives each committed entry
-- its place in the chain and hash = SHA-256(prev_hash || canonical text).
-- A trigger refuses DELETE and every UPDATE but that one sealing.
CREATE TABLE journal (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at         timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor      text NOT NULL,
	action     text NOT NULL,
	doc_id     uuid,
	org_id     bigint,
	detail     jsonb NOT NULL DEFAULT '{}',
	seq        bigint UNIQUE,          -- place in the chain, NULL until sealed
	prev_hash  bytea,
	hash       bytea
);
CREATE INDEX journal_unsealed ON journal (id) WHERE seq IS NULL;
