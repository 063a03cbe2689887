-- 030_s2low_transaction.sql - the S²LOW-compatible API's transaction numbers
-- (issue 14, point 2; doc/compat.md).  S²LOW names its transactions by an
-- integer; each act, PES or cancellation posted through that API gets one
-- here, pointing at the liasse document it made.
CREATE TABLE s2low_transaction (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	client_id  bigint NOT NULL REFERENCES api_client(id),
	doc_id     uuid NOT NULL REFERENCES document(id),
	kind       text NOT NULL CHECK (kind IN ('acte', 'pes', 'annulation')),
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (doc_id, kind)
);
