-- 034_archive.sql - moving the files of old documents out of the hot tables
-- (issue 17; design and procedure in doc/retention.md).
--
-- An organisation's policy says after how long its finished documents are
-- archived (NULL: never).  Archiving is the state 'archived' (a transition of
-- functions/30_state.sql, journaled like every other) and, for each file, a
-- copy in archive_dir named by its SHA-256, after which the blob's chunks
-- are deleted; the blob row (digest, size) and document_file stay, so the
-- document's JSON and the journal do not change.
ALTER TYPE doc_state ADD VALUE IF NOT EXISTS 'archived' AFTER 'failed';
ALTER TABLE organisation ADD COLUMN archive_after interval
	CHECK (archive_after > interval '0');
-- When the blob's copy in archive_dir was written and checked (its chunks
-- may stay while a document not archived still shares it).
ALTER TABLE blob ADD COLUMN archived_at timestamptz;
