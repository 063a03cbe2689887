-- 004_people.sql - people, their roles, routing to one official's queue,
-- delegation and sessions.
--
-- The queue belongs to the person, not to the organisation: a document that
-- needs a signature carries signer_id, the one official who must sign it,
-- whatever vendor sent it.  A delegate sees and signs the delegator's
-- documents within the delegation's period and scope, with their own
-- certificate; the document then records signed_for.  The functions (routing,
-- delegation checks, the queue, reject) are in functions/40_people.sql.

CREATE TABLE person (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email          text NOT NULL UNIQUE CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'
	                                           AND length(email) <= 254),
	name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	password_hash  text,                 -- NULL: cannot log in yet
	totp_secret    bytea,                -- NULL: no second factor
	is_operator    boolean NOT NULL DEFAULT false,   -- operator administrator
	failed_logins  integer NOT NULL DEFAULT 0,
	locked_at      timestamptz,          -- login locked after repeated failures
	created_at     timestamptz NOT NULL DEFAULT now(),
	disabled_at    timestamptz
);

CREATE TABLE person_role (
	person_id bigint NOT NULL REFERENCES person(id),
	org_id    bigint NOT NULL REFERENCES organisation(id),
	role      text NOT NULL CHECK (role IN ('org_admin', 'agent', 'signer')),
	-- for signers: the office a vendor may name instead of a person
	-- (maire, president, ordonnateur, adjoint, ...)
	function  text CHECK (function ~ '^[a-z_]{1,40}$'),
	PRIMARY KEY (person_id, org_id, role)
);
CREATE INDEX ON person_role (org_id, role, function);

-- Who signs when the vendor names nobody: the most specific rule wins
-- (kind and acte nature, then kind alone).
CREATE TABLE routing_rule (
	id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id    bigint NOT NULL REFERENCES organisation(id),
	kind      doc_kind NOT NULL,
	nature    smallint CHECK (nature BETWEEN 1 AND 6),
	person_id bigint NOT NULL REFERENCES person(id)
);
CREATE UNIQUE INDEX routing_rule_one ON routing_rule (org_id, kind, coalesce(nature, 0));

CREATE TABLE delegation (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	delegator_id bigint NOT NULL REFERENCES person(id),
	delegate_id  bigint NOT NULL REFERENCES person(id),
	org_id       bigint REFERENCES organisation(id),   -- NULL: all the delegator's
	kinds        doc_kind[],                           -- NULL: every kind
	starts_at    timestamptz NOT NULL,
	ends_at      timestamptz NOT NULL,
	created_at   timestamptz NOT NULL DEFAULT now(),
	created_by   text NOT NULL,
	revoked_at   timestamptz,
	CHECK (delegator_id <> delegate_id),
	CHECK (ends_at > starts_at)
);
CREATE INDEX ON delegation (delegate_id) WHERE revoked_at IS NULL;
CREATE INDEX ON delegation (delegator_id) WHERE revoked_at IS NULL;

-- Sessions of people (web and person API).  Only the token's digest is kept.
CREATE TABLE session (
	token_sha256 bytea PRIMARY KEY CHECK (length(token_sha256) = 32),
	person_id    bigint NOT NULL REFERENCES person(id),
	csrf         text NOT NULL,
	created_at   timestamptz NOT NULL DEFAULT now(),
	last_seen_at timestamptz NOT NULL DEFAULT now(),
	expires_at   timestamptz NOT NULL
);
CREATE INDEX ON session (person_id);

ALTER TABLE document
	ADD COLUMN signer_id  bigint REFERENCES person(id),
	ADD COLUMN signed_by  bigint REFERENCES person(id),
	ADD COLUMN signed_for bigint REFERENCES person(id),
	ADD COLUMN signed_at  timestamptz;
CREATE INDEX document_queue ON document (signer_id, due_date, created_at)
	WHERE state = 'pending_signature';

-- Files now include what signing and the platforms add: 'signed' (an
-- enveloped signed file), 'signature' (detached), 'ack', 'anomaly', 'letter'.
ALTER TABLE document_file DROP CONSTRAINT document_file_role_check;
ALTER TABLE document_file ADD CONSTRAINT document_file_role_check CHECK (role ~ '^[a-z_]{1,32}$');

-- The chain's head, time-stamped (RFC 3161) at intervals when a TSA is
-- configured: a copy of the head kept by a third party, which is what can
-- tell that the most recent entries were removed or re-hashed.
CREATE TABLE journal_stamp (
	seq        bigint PRIMARY KEY,
	hash       bytea NOT NULL CHECK (length(hash) = 32),
	token      bytea NOT NULL,            -- DER ContentInfo (TimeStampToken)
	stamped_at timestamptz NOT NULL       -- the token's genTime
);
