-- 022_circuits.sql - circuits: an organisation's ordered steps (visa, then
-- signature), versioned, and where a document stands in the one it started
-- with (doc/circuits.md).  Functions in functions/45_circuit.sql.
--
-- A circuit keeps its id across edits: each edit writes the steps of a new
-- version (circuit.version is the current one); versions are never deleted,
-- so a document that started on version 2 keeps version 2's steps however
-- the circuit changes later.  Deleting retires the circuit (retired_at):
-- documents on their way keep going, new ones cannot name it.

CREATE TABLE circuit (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id     bigint NOT NULL REFERENCES organisation(id),
	name       text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
	version    integer NOT NULL DEFAULT 1 CHECK (version >= 1),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	retired_at timestamptz
);
CREATE UNIQUE INDEX circuit_name ON circuit (org_id, name) WHERE retired_at IS NULL;

-- The steps of every version.  A step names a person, or an office
-- (person_role.function) resolved to whoever holds it when the document
-- reaches the step.
CREATE TABLE circuit_step (
	circuit_id bigint NOT NULL REFERENCES circuit(id),
	version    integer NOT NULL,
	n          smallint NOT NULL CHECK (n BETWEEN 1 AND 20),
	action     text NOT NULL CHECK (action IN ('visa', 'signature')),
	person_id  bigint REFERENCES person(id),
	office     text CHECK (office ~ '^[a-z_]{1,40}$'),
	CHECK ((person_id IS NULL) <> (office IS NULL)),
	PRIMARY KEY (circuit_id, version, n)
);

-- A routing rule names an official (a one-step circuit) or a circuit.
ALTER TABLE routing_rule ALTER COLUMN person_id DROP NOT NULL,
	ADD COLUMN circuit_id bigint REFERENCES circuit(id),
	ADD CONSTRAINT routing_rule_target CHECK ((person_id IS NULL) <> (circuit_id IS NULL));

-- The circuit a document started with, as it was then: {"id", "name",
-- "version", "steps": ["visa", ..., "signature"]} (NULL: no circuit, the
-- document went straight to one official), and the step it is at (1-based).
-- signer_id stays whose queue holds the document, at visa steps too.
ALTER TABLE document
	ADD COLUMN circuit      jsonb,
	ADD COLUMN circuit_step smallint,
	ADD CONSTRAINT document_circuit_step CHECK ((circuit IS NULL) = (circuit_step IS NULL));

-- What each person did at a step of a document's circuit (a visa, a
-- "droit de remords" taking it back); signatures and rejections are the
-- document's own columns and journal entries.
CREATE TABLE document_step (
	id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	doc_id             uuid NOT NULL REFERENCES document(id) ON DELETE CASCADE,
	step               smallint NOT NULL,
	action             text NOT NULL CHECK (action IN ('visa', 'remord')),
	person_id          bigint NOT NULL REFERENCES person(id),   -- who acted
	for_person         bigint NOT NULL REFERENCES person(id),   -- whose step it was
	public_annotation  text CHECK (length(public_annotation) <= 4000),
	private_annotation text CHECK (length(private_annotation) <= 4000),
	at                 timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX document_step_doc ON document_step (doc_id, id);

-- A vendor's event tells which step the document reached (type
-- 'document.step' when only the step changed).
ALTER TABLE event ADD COLUMN circuit jsonb;
