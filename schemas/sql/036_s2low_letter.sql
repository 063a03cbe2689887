-- 036_s2low_letter.sql - the prefecture's letters in the S²LOW-compatible
-- API (doc/compat.md, "S²LOW"): S²LOW makes each document of the prefecture
-- (courrier simple, demande de pièces, lettre d'observations, déféré) a
-- transaction of its own, numbered like the acts, and the answer to it
-- another.  A letter of an act the client posted through that API gets a
-- transaction 'courrier' (its S²LOW id), an answer given there a
-- transaction 'reponse'; read_at is list_document_prefecture.php's "read"
-- mark (document_prefecture_mark_as_read.php).
ALTER TABLE s2low_transaction ADD COLUMN letter_id bigint REFERENCES letter(id),
	ADD COLUMN read_at timestamptz;
ALTER TABLE s2low_transaction DROP CONSTRAINT s2low_transaction_kind_check;
ALTER TABLE s2low_transaction ADD CONSTRAINT s2low_transaction_kind_check
	CHECK (kind IN ('acte', 'pes', 'annulation', 'courrier', 'reponse'));
ALTER TABLE s2low_transaction ADD CONSTRAINT s2low_transaction_letter_check
	CHECK ((kind IN ('courrier', 'reponse')) = (letter_id IS NOT NULL));
-- one transaction of each kind per document, and per letter for a letter's
ALTER TABLE s2low_transaction DROP CONSTRAINT s2low_transaction_doc_id_kind_key;
CREATE UNIQUE INDEX s2low_transaction_doc_kind ON s2low_transaction (doc_id, kind) WHERE letter_id IS NULL;
CREATE UNIQUE INDEX s2low_transaction_letter_kind ON s2low_transaction (client_id, letter_id, kind)
	WHERE letter_id IS NOT NULL;
CREATE INDEX ON s2low_transaction (letter_id) WHERE letter_id IS NOT NULL;
