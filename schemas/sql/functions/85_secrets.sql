-- 85_secrets.sql - the secrets at rest and their sealing (016_secrets_sealed.sql,
-- src/core/kek.h, doc/secrets.md).
--
-- secret_at_rest: every secret column value, one row each: its column, its
-- row, the row key its seal is bound to (kek_context), the stored value and
-- the id (hex) of the key-encryption key that sealed it (NULL: in clear).

CREATE OR REPLACE FUNCTION secret_kid(p_val bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN length(p_val) >= 40 AND substr(p_val, 1, 4) = '\x4c4b5331'::bytea
		THEN encode(substr(p_val, 5, 8), 'hex') END
$$;

CREATE OR REPLACE FUNCTION secret_text_kid(p_val text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_val LIKE 'lks1:%' AND substr(p_val, 6) ~ '^[A-Za-z0-9+/]+=*$'
		THEN secret_kid(decode(substr(p_val, 6), 'base64')) END
$$;

CREATE OR REPLACE VIEW secret_at_rest AS
	SELECT 'certificate.key_blob'::text AS col, id AS row_id, encode(cert_sha256, 'hex') AS row_key,
		key_blob AS val, secret_kid(key_blob) AS kid
	FROM certificate
	UNION ALL
	SELECT 'person.totp_secret', id, id::text, totp_secret, secret_kid(totp_secret)
	FROM person WHERE totp_secret IS NOT NULL
	UNION ALL
	SELECT 'webhook.secret', id, id::text, convert_to(secret, 'UTF8'), secret_text_kid(secret)
	FROM webhook;

-- Replaces one value by its re-sealed form if it is still p_old (a value
-- rewritten meanwhile, a PIN change, is left to the next pass): true if done.
CREATE OR REPLACE FUNCTION secret_reseal(p_col text, p_id bigint, p_old bytea, p_new bytea) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	IF p_col = 'certificate.key_blob' THEN
		UPDATE certificate SET key_blob = p_new WHERE id = p_id AND key_blob = p_old;
	ELSIF p_col = 'person.totp_secret' THEN
		UPDATE person SET totp_secret = p_new WHERE id = p_id AND totp_secret = p_old;
	ELSIF p_col = 'webhook.secret' THEN
		UPDATE webhook SET secret = convert_from(p_new, 'UTF8')
		WHERE id = p_id AND secret = convert_from(p_old, 'UTF8');
	ELSE
		RAISE EXCEPTION 'no secret column %', p_col;
	END IF;
	RETURN FOUND;
END $$;
