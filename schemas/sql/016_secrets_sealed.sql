-- 016_secrets_sealed.sql - secrets at rest sealed under a key-encryption key
-- kept outside the database (src/core/kek.h, doc/secrets.md).
--
-- certificate.key_blob and person.totp_secret hold the sealed bytes
-- ("LKS1" | key id | nonce | ciphertext | tag); webhook.secret holds
-- "lks1:" + their base64, longer than the secret itself: its bound grows.
-- Values written before sealing was configured stay readable as they are
-- until `liasse secrets reseal` seals them.

ALTER TABLE webhook DROP CONSTRAINT webhook_secret_check;
ALTER TABLE webhook ADD CONSTRAINT webhook_secret_check CHECK (length(secret) BETWEEN 16 AND 512);
