-- 031_org_pades.sql - an organisation's signature of its acts (issue 15):
-- acte_signature 'pades' makes PAdES (the signed PDF, visible block) the
-- default for its acts when the vendor names no signature_profile; the
-- block's place (page from 1, x and y in points from the bottom left) when
-- the vendor gives none.  Set with "liasse org set SIREN --acte-signature
-- pades --pades-position PAGE,X,Y"; doc/pades.md.
ALTER TABLE organisation
	ADD COLUMN acte_signature text NOT NULL DEFAULT 'cades'
		CHECK (acte_signature IN ('cades', 'pades')),
	ADD COLUMN pades_page integer CHECK (pades_page BETWEEN 1 AND 100000),
	ADD COLUMN pades_x real CHECK (pades_x BETWEEN 0 AND 14400),
	ADD COLUMN pades_y real CHECK (pades_y BETWEEN 0 AND 14400),
	ADD CONSTRAINT organisation_pades_position CHECK
		((pades_page IS NULL) = (pades_x IS NULL) AND (pades_x IS NULL) = (pades_y IS NULL));
