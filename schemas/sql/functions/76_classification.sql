-- functions/76_classification.sql - an act checked against its
-- organisation's classification (the 7-2 RetourClassification, kept as JSON
-- in organisation.classification_json, 011_cancel_classification.sql).
--
-- Functions, triggers and views live here, once each, and are recreated by
-- every migration (CREATE OR REPLACE) after the numbered migrations, in the
-- same transaction, with check_function_bodies off: see src/store/README.

-- Refuses (LQ422, the field named as the API names it) an act whose
-- matière is not in the classification, or whose typology (type_piece, each
-- annexes_types[i]) is not one the classification lists for its nature
-- (TypePJNatureActe).  An organisation without a classification, or a
-- nature for which it lists no typology, is checked for the shape only (at
-- the door, flow/acte.c).
CREATE OR REPLACE FUNCTION acte_classification_check(p_org bigint, p_meta jsonb) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_cls jsonb;
	v_types jsonb;
	v_type text;
	v_i integer := 0;
BEGIN
	SELECT classification_json INTO v_cls FROM organisation WHERE id = p_org;
	IF v_cls IS NULL THEN
		RETURN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v_cls->'matieres') m
			WHERE m->>'code' = p_meta->>'classification') THEN
		RAISE EXCEPTION 'metadata.acte.classification is not in the organisation''s classification'
			USING ERRCODE = 'LQ422', COLUMN = 'metadata.acte.classification',
			DETAIL = format('matière "%s" is not in the classification of %s', p_meta->>'classification',
				v_cls->>'date'),
			HINT = 'choose a matière of GET /api/v1/organisations/{siren}/classification';
	END IF;
	SELECT n->'typologies' INTO v_types FROM jsonb_array_elements(v_cls->'natures') n
	WHERE (n->>'code')::int = (p_meta->>'nature')::int;
	IF v_types IS NULL OR jsonb_array_length(v_types) = 0 THEN
		RETURN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v_types) t WHERE t->>'code' = p_meta->>'type_piece') THEN
		RAISE EXCEPTION 'metadata.acte.type_piece is not a typology of this nature'
			USING ERRCODE = 'LQ422', COLUMN = 'metadata.acte.type_piece',
			DETAIL = format('"%s" is not listed for nature %s in the classification of %s',
				p_meta->>'type_piece', p_meta->>'nature', v_cls->>'date'),
			HINT = 'choose a typology of GET /api/v1/organisations/{siren}/classification';
	END IF;
	FOR v_type IN SELECT jsonb_array_elements_text(coalesce(p_meta->'annexes_types', '[]')) LOOP
		IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v_types) t WHERE t->>'code' = v_type) THEN
			RAISE EXCEPTION 'metadata.acte.annexes_types[%] is not a typology of this nature', v_i
				USING ERRCODE = 'LQ422', COLUMN = format('metadata.acte.annexes_types[%s]', v_i),
				DETAIL = format('"%s" is not listed for nature %s in the classification of %s',
					v_type, p_meta->>'nature', v_cls->>'date'),
				HINT = 'choose a typology of GET /api/v1/organisations/{siren}/classification';
		END IF;
		v_i := v_i + 1;
	END LOOP;
END $$;

-- The first act of an organisation without a classification asks for one.
CREATE OR REPLACE FUNCTION acte_classification_door() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM acte_classification_check(NEW.org_id, NEW.meta);
	UPDATE organisation SET classification_wanted = now()
	WHERE id = NEW.org_id AND classification_json IS NULL AND classification_wanted IS NULL;
	RETURN NEW;
END $$;

-- A 7-1 wanted now (on demand; an ARActe naming a classification later than
-- the stored one, p_date).  Returns whether it was recorded.
CREATE OR REPLACE FUNCTION organisation_classification_want(p_org bigint, p_date date DEFAULT NULL)
RETURNS boolean LANGUAGE sql AS $$
	UPDATE organisation SET classification_wanted = now()
	WHERE id = p_org AND (p_date IS NULL OR classification_date IS NULL OR p_date > classification_date)
	RETURNING true
$$;

-- Whether a 7-1 is due for the organisation: wanted since the last request,
-- or a request unanswered for a day.
CREATE OR REPLACE FUNCTION organisation_classification_due(p_org bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT classification_wanted IS NOT NULL AND (classification_requested_at IS NULL
		OR classification_requested_at < classification_wanted
		OR classification_requested_at < now() - interval '1 day')
	FROM organisation WHERE id = p_org
$$;

-- Every act, whichever door it came in by (API, compatibility front doors).
CREATE OR REPLACE TRIGGER document_acte_classification BEFORE INSERT ON document
	FOR EACH ROW WHEN (NEW.kind = 'acte') EXECUTE FUNCTION acte_classification_door();

-- The classification served to vendors: the JSON, NULL when none was received.
CREATE OR REPLACE FUNCTION organisation_classification(p_org bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT classification_json || jsonb_build_object('received_at', classification_at)
	FROM organisation WHERE id = p_org
$$;
