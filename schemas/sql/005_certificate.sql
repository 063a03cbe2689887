-- 005_certificate.sql - officials' signing certificates and their wrapped keys.
--
-- An administrator imports a PKCS#12: the certificate is kept in clear (it is
-- public), the private key only as the custody blob of src/sign/custody.h:
-- AES-256-GCM under a key derived (scrypt) from a secret the administrator
-- does not know.  In state 'enrolment' that secret is a one-time enrolment
-- code printed once at import; the official exchanges it for a PIN of their
-- own, the blob is rewrapped and the state becomes 'active'.  Nothing in this
-- table is private key material in clear.  The functions (PIN attempts,
-- signing a document) are in functions/50_certificate.sql.
--
-- PIN attempts: pin_failures counts wrong PINs (and enrolment codes) since
-- the last success or unlock.  An attempt is reserved (counter + 1, committed)
-- BEFORE the key derivation, and given back on success, so concurrent
-- attempts can never try more than five secrets; at five, locked_at is set
-- and only an administrator's unlock clears it.

CREATE TYPE cert_state AS ENUM ('enrolment', 'active', 'revoked');

CREATE TABLE certificate (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	person_id    bigint NOT NULL REFERENCES person(id),
	cert_der     bytea NOT NULL,
	chain_der    bytea NOT NULL DEFAULT '',   -- intermediates, DER one after another
	cert_sha256  bytea NOT NULL CHECK (length(cert_sha256) = 32),
	subject      text NOT NULL,
	issuer       text NOT NULL,
	serial       text NOT NULL,
	not_before   timestamptz NOT NULL,
	not_after    timestamptz NOT NULL,
	key_blob     bytea NOT NULL,              -- custody blob (wrapped PKCS#8)
	state        cert_state NOT NULL DEFAULT 'enrolment',
	pin_failures integer NOT NULL DEFAULT 0 CHECK (pin_failures BETWEEN 0 AND 5),
	locked_at    timestamptz,
	created_at   timestamptz NOT NULL DEFAULT now(),
	created_by   text NOT NULL,
	enrolled_at  timestamptz,
	revoked_at   timestamptz,
	CHECK ((state = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX ON certificate (person_id);
CREATE INDEX ON certificate (not_after) WHERE state <> 'revoked';
-- The blob is already random: no compression, no point in TOAST's pglz.
ALTER TABLE certificate ALTER COLUMN key_blob SET STORAGE EXTERNAL;
