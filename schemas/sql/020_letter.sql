-- 020_letter.sql - the prefecture's letters about an act and the answers to
-- them (@ctes messages 2-1 CourrierSimple answered by 2-2
-- ReponseCourrierSimple; 3-1 DemandePieceComplementaire answered by 3-2
-- PieceComplementaire or 3-3 RefusPieceComplementaire; 4-1
-- LettreObservations answered by 4-2 ReponseLettreObservations or 4-3
-- RejetLettreObservations; 5-1 DefereTA, not answered through @ctes).
-- doc/actes-letters.md.  Functions in functions/77_letter.sql.
--
-- A letter arrives by the @ctes mailbox (src/transmit/imap.c) attached to
-- its act: its form and PDFs are document files of the act (role
-- 'letter'); the row below says what it is, its date, its text and the
-- legal deadline of an answer.  An answer is given once: its files are kept
-- in letter_answer_file and a job "letter_answer" (src/transmit/letters.c)
-- sends its archive exactly once, as the 6-1 of an annulation is sent.

CREATE TABLE letter (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	doc_id        uuid NOT NULL REFERENCES document(id),
	org_id        bigint NOT NULL REFERENCES organisation(id),
	code          text NOT NULL CHECK (code IN ('2-1', '3-1', '4-1', '5-1')),
	form_name     text NOT NULL,              -- <IDActe>-<c>-1_<n>.xml as received
	idacte        text NOT NULL,
	date_courrier date,                       -- @DateCourrierPref (DateDepot for a 5-1)
	text          text,                       -- DescriptionPieces, Motif, NatureIllegalite
	files         text[] NOT NULL DEFAULT '{}', -- the NomFichier the letter lists
	deadline      date,                       -- the answer's legal deadline, NULL when none
	received_at   timestamptz NOT NULL DEFAULT now(),
	remote_id     text,                       -- through S²LOW: its transaction of the letter
	-- the answer
	answer_code   text CHECK (answer_code IN ('2-2', '3-2', '3-3', '4-2', '4-3')),
	answer_state  text NOT NULL DEFAULT 'none'
		CHECK (answer_state IN ('none', 'new', 'sending', 'sent', 'refused', 'acknowledged')),
	answer_by     text,                       -- who answered (API client or agent)
	answer_name   text,                       -- the archive, named once
	answer_error  text,
	answer_sends  integer NOT NULL DEFAULT 0,
	answer_tries  integer NOT NULL DEFAULT 0,
	answer_sending_since timestamptz,
	answered_at   timestamptz,
	answer_ack_at timestamptz,                -- ARPieceComplementaire, ARReponseRejetLettreObservations
	UNIQUE (doc_id, form_name)
);
CREATE INDEX ON letter (org_id, id);

CREATE TABLE letter_answer_file (
	letter_id  bigint NOT NULL REFERENCES letter(id),
	n          integer NOT NULL,             -- 1, 2...: in the archive <IDActe>-<c>_<n>.pdf
	name       text NOT NULL,                -- as the answerer gave it
	media_type text NOT NULL,
	blob_id    bigint NOT NULL REFERENCES blob(id),
	PRIMARY KEY (letter_id, n)
);
CREATE INDEX ON letter_answer_file (blob_id);

-- The vendor's feed and webhooks tell of a letter: an event of type
-- 'document.letter' (the document's state unchanged) naming the letter.
ALTER TABLE event ADD COLUMN letter_id bigint REFERENCES letter(id);
