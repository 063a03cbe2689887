-- 044_file_stamps.sql - a stamped copy names the file it stamps: the
-- acte_tamponne its act's PDF, each annexe_tamponnee its annex (the file
-- number n of that document), shown as "stamps" in the document's files
-- (functions/20_document.sql doc_file_json; doc/pades.md).  One stamped
-- copy of a file per role: a stamp made again replaces it in place.
ALTER TABLE document_file ADD COLUMN IF NOT EXISTS stamps integer;
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'document_file_stamps_fkey') THEN
		ALTER TABLE document_file ADD CONSTRAINT document_file_stamps_fkey
			FOREIGN KEY (doc_id, stamps) REFERENCES document_file (doc_id, n);
	END IF;
END $$;
CREATE UNIQUE INDEX IF NOT EXISTS document_file_stamped ON document_file (doc_id, role, stamps)
	WHERE stamps IS NOT NULL;
