-- 013_helios_owner.sql - a PES belongs to its collectivité (issue 12, point 1).
--
-- An organisation may keep several budgets (budget principal, annexes: eau,
-- assainissement...): its CodBud values become a list, the single codbud
-- carried into it.  The door compares a PES header's IdColl, CodCol, IdPost
-- and CodBud with these identifiers (flow/door.c).
ALTER TABLE organisation ADD COLUMN codbuds varchar(2)[] NOT NULL DEFAULT '{}'
	CHECK (array_position(codbuds, NULL) IS NULL
		AND array_to_string(codbuds, ',') ~ '^([0-9A-Za-z]{1,2}(,[0-9A-Za-z]{1,2})*)?$'
		AND cardinality(codbuds) <= 64);
UPDATE organisation SET codbuds = ARRAY[codbud] WHERE codbud IS NOT NULL AND codbud <> '';
ALTER TABLE organisation DROP COLUMN codbud;

-- Hélios applies NomFic uniqueness per IdColl and CodCol, whoever sends the
-- file: the index follows, across all organisations.
DROP INDEX IF EXISTS document_pes_nomfic;
CREATE INDEX document_pes_nomfic ON document ((meta->>'idcoll'), (meta->>'codcol'), (meta->>'nomfic'))
	WHERE kind = 'pes';
