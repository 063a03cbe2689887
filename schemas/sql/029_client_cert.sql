-- 029_client_cert.sql - TLS client certificates of vendor clients (issue 14,
-- point 3).  A certificate is known by the SHA-256 of its DER form, as the
-- reverse proxy in front of liassed (contrib/nginx/liasse.conf) verified it
-- and passed it on.  org_id: the organisation the certificate speaks for on
-- the S²LOW-compatible API (doc/compat.md), NULL: the client's only one.
CREATE TABLE api_client_cert (
	sha256     bytea PRIMARY KEY CHECK (length(sha256) = 32),
	client_id  bigint NOT NULL REFERENCES api_client(id),
	org_id     bigint REFERENCES organisation(id),
	subject    text NOT NULL,
	not_after  timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON api_client_cert (client_id);
