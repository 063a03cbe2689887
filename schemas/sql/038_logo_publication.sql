-- 038_logo_publication.sql - issue 15, the rest of the PAdES block and of
-- the stamped act (doc/pades.md):
--
-- org_logo: an organisation's logo, shown in the visible block of the PAdES
-- signatures made for it.  One row per organisation, the image (PNG or
-- JPEG, checked by MuPDF at the door: at most 512 KiB and 2048 x 2048
-- pixels) kept here once, in its own table so that reading an organisation
-- never drags it along.
--
-- document.published_on: the day an act was published ("Publié le" on the
-- stamped act), as the vendor or an agent tells it after the ARActe.
CREATE TABLE org_logo (
	org_id     bigint PRIMARY KEY REFERENCES organisation(id) ON DELETE CASCADE,
	media_type text NOT NULL CHECK (media_type IN ('image/png', 'image/jpeg')),
	width      integer NOT NULL CHECK (width BETWEEN 1 AND 2048),
	height     integer NOT NULL CHECK (height BETWEEN 1 AND 2048),
	data       bytea NOT NULL CHECK (length(data) BETWEEN 1 AND 524288),
	sha256     bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE document ADD COLUMN published_on date;
