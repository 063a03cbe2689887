-- bench/scale/seed.sql - fills a migrated, empty liasse database with a
-- realistic volume, set-based (no row-by-row function calls), so that a
-- million documents take minutes.  psql variables (run.sh sets them):
--   docs      documents in all (default 1000000)
--   orgs      organisations (500), one vendor per 100 of them
--   people    people (20000): one signer per organisation, the rest agents
--   pending   documents awaiting each signer (200)
--   hot       documents awaiting the first signer, the "hot official" (2000)
-- The rest of the documents were acknowledged, spread over ten years.  Every
-- document has one small file (its own blob and chunk), a journal entry per
-- state it went through and the feed events of its changes.  The triggers are
-- off while seeding (session_replication_role = replica, which needs a
-- superuser: the bench's private cluster); the events and the journal are
-- written set-based, then journal_seal() chains the journal.
\set ON_ERROR_STOP 1
\if :{?docs} \else \set docs 1000000 \endif
\if :{?orgs} \else \set orgs 500 \endif
\if :{?people} \else \set people 20000 \endif
\if :{?pending} \else \set pending 200 \endif
\if :{?hot} \else \set hot 2000 \endif

SET session_replication_role = replica;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';

BEGIN;
INSERT INTO organisation (siren, name, departement, codcol, idpost, city)
SELECT lpad((100000000 + g)::text, 9, '0'), 'Commune ' || g, '0' || (10 + g % 80)::text, lpad((g % 999)::text, 3, '0'),
	lpad(g::text, 7, '0'), 'Ville ' || g
FROM generate_series(1, :orgs) g;

INSERT INTO api_client (name, key_sha256)
SELECT 'vendor-' || v, sha256(convert_to('bench-key-' || v, 'UTF8'))
FROM generate_series(1, greatest(1, :orgs / 100)) v;
-- vendor v serves the organisations o with o % nvendors = v - 1
INSERT INTO api_client_org (client_id, org_id)
SELECT c.id, o.id FROM organisation o JOIN api_client c
	ON c.id = (SELECT min(id) FROM api_client) + o.id % (SELECT count(*) FROM api_client);

INSERT INTO person (email, name, password_hash)
SELECT 'p' || g || '@bench.example', 'Personne ' || g, NULL FROM generate_series(1, :people) g;
-- person k (k <= orgs) signs for organisation k; the others are agents
INSERT INTO person_role (person_id, org_id, role, function)
SELECT p.id, o.id, 'signer', 'maire' FROM person p JOIN organisation o ON o.id - (SELECT min(id) FROM organisation)
	= p.id - (SELECT min(id) FROM person);
INSERT INTO person_role (person_id, org_id, role)
SELECT p.id, (SELECT min(id) FROM organisation) + p.id % :orgs, 'agent' FROM person p
WHERE p.id - (SELECT min(id) FROM person) >= :orgs;
COMMIT;

-- The documents: n = 0 .. docs-1.  The first `hot` await signer 1, the next
-- orgs*pending await their organisation's signer, the rest are acknowledged.
BEGIN;
CREATE TEMP TABLE seed_doc AS
SELECT n, gen_random_uuid() AS id,
	CASE WHEN n < :hot THEN 0 ELSE n % :orgs END AS o,
	CASE WHEN n < :hot + :orgs * :pending THEN 'pending_signature' ELSE 'acknowledged' END::doc_state AS state,
	(ARRAY['pes', 'acte', 'document'])[1 + n % 3]::doc_kind AS kind,
	CASE WHEN n < :hot + :orgs * :pending THEN now() - (n % 720) * interval '1 hour'
		ELSE now() - interval '10 years' + (n::float8 / :docs) * interval '3650 days' END AS created
FROM generate_series(0, :docs - 1) n;

INSERT INTO document (id, org_id, client_id, kind, state, title, want_sign, want_transmit, due_date,
	meta, signer_id, signed_by, signed_at, created_at, updated_at)
SELECT s.id, o.id, co.client_id, s.kind, s.state, 'Document ' || s.n, true, s.kind <> 'document',
	CASE WHEN s.n % 4 = 0 THEN NULL ELSE (s.created + (s.n % 30) * interval '1 day')::date END,
	CASE s.kind WHEN 'pes' THEN jsonb_build_object('codcol', o.codcol, 'nomfic', 'F' || s.n)
		WHEN 'acte' THEN jsonb_build_object('nature', 1 + s.n % 6, 'numero', 'N' || s.n) ELSE '{}' END,
	sg.person_id, CASE WHEN s.state <> 'pending_signature' THEN sg.person_id END,
	CASE WHEN s.state <> 'pending_signature' THEN s.created + interval '1 hour' END,
	s.created, s.created + CASE WHEN s.state <> 'pending_signature' THEN interval '2 days' ELSE interval '0' END
FROM seed_doc s
JOIN organisation o ON o.id = (SELECT min(id) FROM organisation) + s.o
JOIN api_client_org co ON co.org_id = o.id
JOIN person_role sg ON sg.org_id = o.id AND sg.role = 'signer';

INSERT INTO blob (id, sha256, size, nchunks) OVERRIDING SYSTEM VALUE
SELECT n + 1, sha256(convert_to(id::text, 'UTF8')), 64, 1 FROM seed_doc;
SELECT setval(pg_get_serial_sequence('blob', 'id'), :docs + 1);
INSERT INTO blob_chunk (blob_id, seq, data)
SELECT n + 1, 0, convert_to(rpad('%PDF-1.4 ' || id::text, 64, ' '), 'UTF8') FROM seed_doc;
INSERT INTO document_file (doc_id, n, role, name, media_type, blob_id)
SELECT id, 0, 'main', 'document-' || n || '.pdf', 'application/pdf', n + 1 FROM seed_doc;
COMMIT;

-- Journal and events: received (and, for the acknowledged, signed and
-- acknowledged), in time order.
BEGIN;
INSERT INTO journal (at, actor, action, doc_id, org_id, detail)
SELECT at, actor, action, doc_id, org_id, detail FROM (
	SELECT d.created_at AS at, 'client:' || c.name AS actor, 'document.received' AS action, d.id AS doc_id,
		d.org_id, '{}'::jsonb AS detail FROM document d JOIN api_client c ON c.id = d.client_id
	UNION ALL
	SELECT d.signed_at, 'person:' || p.email, 'document.signed', d.id, d.org_id,
		jsonb_build_object('from', 'pending_signature', 'event', 'sign')
	FROM document d JOIN person p ON p.id = d.signed_by WHERE d.state = 'acknowledged'
	UNION ALL
	SELECT d.updated_at, 'transmit', 'document.acknowledged', d.id, d.org_id,
		jsonb_build_object('from', 'transmitted', 'event', 'ack')
	FROM document d WHERE d.state = 'acknowledged') j
ORDER BY at;

INSERT INTO event (seq, client_id, org_id, doc_id, state, at)
SELECT row_number() OVER (ORDER BY at), client_id, org_id, doc_id, state, at FROM (
	SELECT client_id, org_id, id AS doc_id, 'received'::doc_state AS state, created_at AS at FROM document
	UNION ALL
	SELECT client_id, org_id, id, 'pending_signature', created_at + interval '1 ms' FROM document
	UNION ALL
	SELECT client_id, org_id, id, 'acknowledged', updated_at FROM document WHERE state = 'acknowledged') e
ORDER BY at;
COMMIT;

RESET session_replication_role;
SELECT journal_seal() AS journal_sealed;
VACUUM ANALYZE;
