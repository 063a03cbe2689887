-- 014_org_return.sql - what a state platform sends an organisation outside
-- any document of ours: the PES_Retour (payment returns) that Hélios writes
-- into the response directory (issue 12, point 4).  Each one becomes a file
-- of the organisation that its vendor lists and downloads
-- (GET /api/v1/organisations/{siren}/returns and .../returns/{id}).
-- transmit_inbox keeps a file from being read twice; the source and name
-- say where it came from.

CREATE TABLE org_return (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id      bigint NOT NULL REFERENCES organisation(id),
	kind        text NOT NULL CHECK (kind IN ('PES_Retour')),
	name        text NOT NULL,
	media_type  text NOT NULL,
	blob_id     bigint NOT NULL REFERENCES blob(id),
	source      text NOT NULL,
	received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON org_return (org_id, id);

-- When each return channel was last read on schedule (the Hélios response
-- directory is read every retour_interval seconds even when no acquit is
-- awaited, for the PES_Retour).
CREATE TABLE return_channel (
	source    text PRIMARY KEY,
	polled_at timestamptz NOT NULL
);

-- The vendor's feed and webhooks tell of a new return too: an event of type
-- 'organisation.return' for each client of the organisation, about no
-- document (functions/75_org_return.sql, event_json()).
ALTER TABLE event ALTER COLUMN doc_id DROP NOT NULL, ALTER COLUMN state DROP NOT NULL,
	ADD COLUMN return_id bigint REFERENCES org_return(id),
	ADD CONSTRAINT event_about CHECK ((doc_id IS NOT NULL AND state IS NOT NULL) OR return_id IS NOT NULL);
