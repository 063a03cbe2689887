// Documents over HTTP: idempotency, tenant isolation, listing with cursor
// pagination and filters, cancel.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
	newHarness, multipart, documentParts, docMeta, acteMeta, pdfFile, pesFile, pesFor, ORG_A, ORG_B,
	assertProblem, assertSameCounts, sleep,
} from '../lib/harness.mjs';

const h = newHarness('api-documents');
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('documents', () => {
	let s;

	before(async () => {
		s = await h.setup();
	});
	after(() => h.stopAll());

	describe('idempotency', () => {
		it('the same key and body answer 200 with the same document, once stored', async () => {
			const mp = multipart(documentParts(docMeta(s.orgA, { title: 'idem 1' }), pdfFile(3000)));
			const headers = { 'Content-Type': mp.contentType, 'Idempotency-Key': 'idem-key-1' };
			const r1 = await s.a.post('/api/v1/documents', mp.body, headers);
			assert.equal(r1.status, 201, r1.text);
			assert.match(r1.json.id, UUID_RE);
			const before = await h.snapshot();
			const r2 = await s.a.post('/api/v1/documents', mp.body, headers);
			assert.equal(r2.status, 200, r2.text);
			assert.equal(r2.json.id, r1.json.id);
			assert.deepEqual(r2.json, r1.json);
			assertSameCounts(assert, before, await h.snapshot(), 'replay');
		});

		it('the same key with another body is a 409 and stores nothing', async () => {
			const k = 'idem-key-2';
			const r1 = await s.a.postDocument(docMeta(s.orgA, { title: 'idem 2' }), pdfFile(3000), [],
				{ idempotencyKey: k });
			assert.equal(r1.status, 201, r1.text);
			const before = await h.snapshot();
			const r2 = await s.a.postDocument(docMeta(s.orgA, { title: 'idem 2 changed' }), pdfFile(3000), [],
				{ idempotencyKey: k });
			assertProblem(assert, r2, { status: 409, type: 'conflict' });
			const r3 = await s.a.postDocument(docMeta(s.orgA, { title: 'idem 2' }), pdfFile(3001), [],
				{ idempotencyKey: k });
			assertProblem(assert, r3, { status: 409, type: 'conflict' });
			assertSameCounts(assert, before, await h.snapshot(), 'conflicting replays');
		});

		it('another key with the same body creates another document', async () => {
			const mp = multipart(documentParts(docMeta(s.orgA, { title: 'idem 3' }), pdfFile(2500)));
			const r1 = await s.a.post('/api/v1/documents', mp.body,
				{ 'Content-Type': mp.contentType, 'Idempotency-Key': 'idem-key-3a' });
			const r2 = await s.a.post('/api/v1/documents', mp.body,
				{ 'Content-Type': mp.contentType, 'Idempotency-Key': 'idem-key-3b' });
			assert.equal(r1.status, 201, r1.text);
			assert.equal(r2.status, 201, r2.text);
			assert.notEqual(r1.json.id, r2.json.id);
		});

		it('an invalid Idempotency-Key is refused (400) and nothing is stored', async () => {
			const before = await h.snapshot();
			const accepted = [];
			for (const k of ['', 'x'.repeat(201), 'tab\there', 'é']) {
				const mp = multipart(documentParts(docMeta(s.orgA), pdfFile(1000)));
				const r = await s.a.post('/api/v1/documents', mp.body,
					{ 'Content-Type': mp.contentType, 'Idempotency-Key': Buffer.from(k).toString('latin1') });
				if (r.status < 400)
					accepted.push(JSON.stringify(k));
				else
					assertProblem(assert, r, { status: [400, 422], field: 'Idempotency-Key' });
			}
			assert.deepEqual(accepted, [], 'keys outside 1..200 printable ASCII are refused');
			assertSameCounts(assert, before, await h.snapshot());
		});

		it('concurrent posts with one key store one document and all answer it', async () => {
			const mp = multipart(documentParts(docMeta(s.orgA, { title: 'idem concurrent' }), pdfFile(200000)));
			const headers = { 'Content-Type': mp.contentType, 'Idempotency-Key': 'idem-key-race' };
			const before = await h.snapshot();
			const rs = await Promise.all(Array.from({ length: 6 },
				() => s.a.post('/api/v1/documents', mp.body, headers)));
			const statuses = rs.map((r) => r.status).sort();
			assert.deepEqual(statuses, [200, 200, 200, 200, 200, 201], rs.map((r) => r.text.slice(0, 200)).join('\n'));
			assert.equal(new Set(rs.map((r) => r.json.id)).size, 1, 'one document id');
			const after = await h.snapshot();
			assert.equal(after['public.document'], before['public.document'] + 1);
		});

		it('a refused request does not consume its key', async () => {
			const k = 'idem-key-4';
			const bad = await s.a.postDocument(docMeta(s.orgA, { title: '' }), pdfFile(1000), [],
				{ idempotencyKey: k });
			assert.equal(bad.status, 422, bad.text);
			const good = await s.a.postDocument(docMeta(s.orgA, { title: 'after refusal' }), pdfFile(1000), [],
				{ idempotencyKey: k });
			assert.equal(good.status, 201, good.text);
		});
	});

	describe('tenant isolation', () => {
		let docA, docB;

		before(async () => {
			const ra = await s.a.postDocument(docMeta(s.orgA, { title: 'of A' }), pdfFile(1200));
			const rb = await s.b.postDocument(docMeta(s.orgB, { title: 'of B' }), pdfFile(1300));
			assert.equal(ra.status, 201, ra.text);
			assert.equal(rb.status, 201, rb.text);
			docA = ra.json;
			docB = rb.json;
		});

		it("a client gets 404 on another organisation's document, its files and cancel", async () => {
			for (const p of [`/api/v1/documents/${docA.id}`, `/api/v1/documents/${docA.id}/files/0`]) {
				const r = await s.b.get(p);
				assertProblem(assert, r, { status: 404, type: 'not-found' });
				assert.ok(!r.text.includes('of A'), 'nothing of the document leaks');
			}
			const c = await s.b.post(`/api/v1/documents/${docA.id}/cancel`);
			assertProblem(assert, c, { status: 404, type: 'not-found' });
			const g = await s.a.get(`/api/v1/documents/${docA.id}`);
			assert.equal(g.json.state, docA.state, 'the other client could not cancel it');
		});

		it('an unknown document and a non-UUID answer 404 exactly like a foreign one', async () => {
			const r1 = await s.b.get(`/api/v1/documents/${crypto.randomUUID()}`);
			const r2 = await s.b.get('/api/v1/documents/not-a-uuid');
			const r3 = await s.b.get(`/api/v1/documents/${docA.id}`);
			for (const r of [r1, r2, r3])
				assertProblem(assert, r, { status: 404, type: 'not-found' });
			assert.equal(r3.json.title, r1.json.title, 'same title for foreign and unknown');
		});

		it('the listing shows only the documents of the client\'s organisations', async () => {
			const la = await s.a.listAll();
			const lb = await s.b.listAll();
			assert.ok(la.items.some((d) => d.id === docA.id));
			assert.ok(!la.items.some((d) => d.id === docB.id));
			assert.ok(lb.items.some((d) => d.id === docB.id));
			assert.ok(lb.items.every((d) => d.organisation === s.orgB), 'B sees only B');
			assert.ok(la.items.every((d) => d.organisation === s.orgA), 'A sees only A');
		});

		it('a client cannot post for an organisation it is not bound to', async () => {
			const before = await h.snapshot();
			const r = await s.a.postDocument(docMeta(s.orgB, { title: 'for B' }), pdfFile(1000));
			assertProblem(assert, r, { status: [422, 403], field: 'organisation' });
			assertSameCounts(assert, before, await h.snapshot());
		});

		it('a client bound to two organisations sees both', async () => {
			const key = await h.addClient('vendor-ab', [s.orgA, s.orgB]);
			const ab = s.d.client(key);
			const l = await ab.listAll();
			assert.ok(l.items.some((d) => d.id === docA.id));
			assert.ok(l.items.some((d) => d.id === docB.id));
			const r = await ab.postDocument(docMeta(s.orgB, { title: 'by AB for B' }), pdfFile(1000));
			assert.equal(r.status, 201, r.text);
			const g = await s.b.get(`/api/v1/documents/${r.json.id}`);
			assert.equal(g.status, 200, 'B sees what AB posted for B');
		});
	});

	describe('listing', () => {
		let client, mine;

		before(async () => {
			// A client of its own organisation, so the listing holds only these.
			const org = '213502383';
			await h.addOrg(org, { name: 'Commune listée' });
			await h.person({ email: 'maire@listee.test', name: 'Maire', routes: ['document'],
				roles: [{ org, role: 'signer', function: 'maire' }] });
			client = s.d.client(await h.addClient('vendor-list', [org]));
			mine = [];
			for (let i = 0; i < 25; i++) {
				const r = i % 5 === 4
					? await client.postDocument(acteMeta(org, `L2026_${i}`), pdfFile(1000 + i))
					: await client.postDocument(docMeta(org, { title: `doc ${i}` }), pdfFile(1000 + i));
				assert.equal(r.status, 201, r.text);
				mine.push(r.json);
			}
		});

		it('pages of 7 list every document exactly once, in (updated_at, id) order', async () => {
			const l = await client.listAll('', 7);
			assert.deepEqual(l.pages, [7, 7, 7, 4]);
			const ids = l.items.map((d) => d.id);
			assert.equal(new Set(ids).size, 25, 'no duplicate');
			assert.deepEqual([...ids].sort(), mine.map((d) => d.id).sort(), 'every document');
			for (let i = 1; i < l.items.length; i++) {
				const p = l.items[i - 1], c = l.items[i];
				assert.ok(p.updated_at < c.updated_at || (p.updated_at === c.updated_at && p.id < c.id),
					`order at ${i}: ${p.updated_at} ${p.id} / ${c.updated_at} ${c.id}`);
			}
			const again = await client.listAll('', 7);
			assert.deepEqual(again.items.map((d) => d.id), ids, 'stable order');
		});

		it('the default page and limit=200 hold everything; items are full documents', async () => {
			const r = await client.get('/api/v1/documents');
			assert.equal(r.status, 200, r.text);
			assert.match(String(r.headers['content-type']), /^application\/json/);
			assert.equal(r.json.items.length, 25);
			assert.equal(r.json.next_cursor, null);
			const one = r.json.items.find((d) => d.id === mine[3].id);
			assert.deepEqual(one, mine[3]);
			const r2 = await client.get('/api/v1/documents?limit=200');
			assert.equal(r2.json.items.length, 25);
		});

		it('filters by kind and by state', async () => {
			const actes = await client.listAll('kind=acte', 2);
			assert.equal(actes.items.length, 5);
			assert.ok(actes.items.every((d) => d.kind === 'acte'));
			const docs = await client.listAll('kind=document', 50);
			assert.equal(docs.items.length, 20);
			const c1 = await client.post(`/api/v1/documents/${mine[0].id}/cancel`);
			const c2 = await client.post(`/api/v1/documents/${mine[9].id}/cancel`);
			assert.equal(c1.status, 200, c1.text);
			assert.equal(c2.status, 200, c2.text);
			const cancelled = await client.listAll('state=cancelled', 1);
			assert.deepEqual(cancelled.items.map((d) => d.id).sort(), [mine[0].id, mine[9].id].sort());
			// mine[0] is a document, mine[9] an acte: 19 documents left awaiting a signature.
			const received = await client.listAll('state=pending_signature&kind=document', 50);
			assert.equal(received.items.length, 19);
			assert.equal((await client.listAll('state=transmitted')).items.length, 0);
		});

		it('updated_since returns what changed since then, in order, and follows updates', async () => {
			await sleep(20);
			const all = (await client.listAll('', 200)).items;
			const since = all[10].updated_at;
			const got = (await client.listAll(`updated_since=${encodeURIComponent(since)}`, 5)).items
				.map((d) => d.id);
			const after = all.filter((d) => d.updated_at > since).map((d) => d.id);
			const atOrAfter = all.filter((d) => d.updated_at >= since).map((d) => d.id);
			assert.ok(after.every((id) => got.includes(id)), 'every later document listed');
			assert.ok(got.every((id) => atOrAfter.includes(id)), 'no earlier document listed');
			assert.deepEqual(got, atOrAfter.filter((id) => got.includes(id)), 'in order');
			await sleep(20);
			const mark = new Date().toISOString();
			const c = await client.post(`/api/v1/documents/${mine[5].id}/cancel`);
			assert.equal(c.status, 200, c.text);
			assert.ok(c.json.updated_at > mine[5].updated_at, 'cancel moves updated_at');
			const changed = await client.listAll(`updated_since=${encodeURIComponent(mark)}`);
			assert.deepEqual(changed.items.map((d) => d.id), [mine[5].id]);
			const future = await client.listAll('updated_since=2999-01-01T00:00:00Z');
			assert.equal(future.items.length, 0);
		});

		it('a bad parameter is a 400 naming it', async () => {
			const bad = {
				limit: ['0', '201', 'abc', '-1'], state: ['bogus'], kind: ['facture'],
				updated_since: ['yesterday', '2026-13-01T00:00:00Z'], cursor: ['garbage!!', 'AAAA'],
			};
			for (const [param, values] of Object.entries(bad))
				for (const v of values) {
					const r = await client.get(`/api/v1/documents?${param}=${encodeURIComponent(v)}`);
					assertProblem(assert, r, { status: 400, field: param });
				}
		});

		it('documents created while paging do not disturb it; a cursor shows only the caller\'s documents',
			async () => {
				const p1 = await client.get('/api/v1/documents?limit=7');
				assert.equal(p1.status, 200, p1.text);
				const org = mine[0].organisation;
				const extra = [];
				for (let i = 0; i < 3; i++) {
					const r = await client.postDocument(docMeta(org, { title: `pendant ${i}` }), pdfFile(900 + i));
					assert.equal(r.status, 201, r.text);
					extra.push(r.json.id);
				}
				const foreign = await s.b.get(`/api/v1/documents?limit=7&cursor=${encodeURIComponent(p1.json.next_cursor)}`);
				assert.equal(foreign.status, 200, foreign.text);
				assert.ok(foreign.json.items.every((d) => d.organisation === s.orgB), 'B sees only B with A\'s cursor');
				const ids = p1.json.items.map((d) => d.id);
				let cursor = p1.json.next_cursor;
				while (cursor) {
					const r = await client.get(`/api/v1/documents?limit=7&cursor=${encodeURIComponent(cursor)}`);
					assert.equal(r.status, 200, r.text);
					ids.push(...r.json.items.map((d) => d.id));
					cursor = r.json.next_cursor;
				}
				assert.equal(new Set(ids).size, ids.length, 'no document twice');
				for (const d of mine)
					assert.ok(ids.includes(d.id), `${d.id} listed`);
				assert.deepEqual(ids.slice(-3), extra, 'the new documents come last');
			});
	});

	describe('cancel', () => {
		it('pending_signature → cancelled, and cancelling again answers 200', async () => {
			const r = await s.a.postDocument(docMeta(s.orgA, { title: 'to cancel' }), pdfFile(1000));
			const c1 = await s.a.post(`/api/v1/documents/${r.json.id}/cancel`);
			assert.equal(c1.status, 200, c1.text);
			assert.equal(c1.json.state, 'cancelled');
			assert.equal(c1.json.id, r.json.id);
			const c2 = await s.a.post(`/api/v1/documents/${r.json.id}/cancel`);
			assert.equal(c2.status, 200, c2.text);
			assert.equal(c2.json.state, 'cancelled');
			const g = await s.a.get(`/api/v1/documents/${r.json.id}`);
			assert.equal(g.json.state, 'cancelled');
		});

		it('a document already transmitted cannot be cancelled (409), nor transmitting or refused', async () => {
			for (const state of ['transmitting', 'transmitted', 'refused']) {
				// one number per act: the door refuses a second act with the same number and date
				const r = await s.a.postDocument(acteMeta(s.orgA, `C2026_${state.slice(0, 5).toUpperCase()}${state.length}`),
					pdfFile(1000));
				assert.equal(r.status, 201, r.text);
				await h.psql(`UPDATE document SET state = '${state}' WHERE id = '${r.json.id}'`);
				const c = await s.a.post(`/api/v1/documents/${r.json.id}/cancel`);
				assertProblem(assert, c, { status: 409, type: 'conflict' });
				const g = await s.a.get(`/api/v1/documents/${r.json.id}`);
				assert.equal(g.json.state, state, 'state unchanged');
			}
		});

		it('an acknowledged act: cancelling, its annulation (6-1) to send in a job "cancel"', async () => {
			const r = await s.a.postDocument(acteMeta(s.orgA, 'C2026_ACK61'), pdfFile(1000));
			assert.equal(r.status, 201, r.text);
			await h.psql(`UPDATE document SET state = 'acknowledged' WHERE id = '${r.json.id}'`);
			const c = await s.a.post(`/api/v1/documents/${r.json.id}/cancel`);
			assert.equal(c.status, 200, c.text);
			assert.equal(c.json.state, 'cancelling');
			assert.equal(await h.psql(`SELECT count(*) FROM job WHERE kind = 'cancel' AND doc_id = '${r.json.id}'`), '1');
			// (no @ctes transmission here: the job gives the annulation up, the act is acknowledged again)
		});

		it('the states the contract lists can be cancelled', async () => {
			for (const state of ['pending_signature', 'signed', 'rejected', 'queued', 'failed']) {
				const r = await s.a.postDocument(docMeta(s.orgA, { title: `from ${state}` }), pdfFile(1000));
				await h.psql(`UPDATE document SET state = '${state}' WHERE id = '${r.json.id}'`);
				const c = await s.a.post(`/api/v1/documents/${r.json.id}/cancel`);
				assert.equal(c.status, 200, `${state}: ${c.text}`);
				assert.equal(c.json.state, 'cancelled');
			}
		});
	});

	describe('PES NomFic unique per IdColl and CodCol', { skip: !pesFile() && 'fixture absent' }, () => {
		it('a second live PES with the same NomFic is refused (field file), nothing stored', async () => {
			const meta = { kind: 'pes', organisation: s.orgA, title: 'PES unique' };
			const first = await s.a.postDocument(meta, pesFile('NOMFICUNIQUE01'), [], { idempotencyKey: 'pes-u-1' });
			assert.equal(first.status, 201, first.text);
			const replay = await s.a.postDocument(meta, pesFile('NOMFICUNIQUE01'), [], { idempotencyKey: 'pes-u-1' });
			assert.equal(replay.status, 200, `an idempotent replay is not a duplicate: ${replay.text}`);
			assert.equal(replay.json.id, first.json.id);
			const before = await h.snapshot();
			const dup = await s.a.postDocument({ ...meta, title: 'PES doublon' }, pesFile('NOMFICUNIQUE01'));
			assertProblem(assert, dup, { status: [422, 409], field: 'file', detail: /nomfic/i });
			assertSameCounts(assert, before, await h.snapshot());
		});

		it('concurrent posts of one NomFic: exactly one is stored', async () => {
			const rs = await Promise.all(Array.from({ length: 5 }, (_, i) => s.a.postDocument(
				{ kind: 'pes', organisation: s.orgA, title: `PES concurrent ${i}` }, pesFile('NOMFICRACE01'))));
			const statuses = rs.map((r) => r.status).sort();
			assert.equal(statuses.filter((x) => x === 201).length, 1, `one 201: ${statuses}`);
			assert.ok(statuses.every((x) => [201, 409, 422].includes(x)), `${statuses}`);
			const n = await h.psql("SELECT count(*) FROM document WHERE meta->>'nomfic' = 'NOMFICRACE01'");
			assert.equal(n, '1');
		});

		it('another organisation (another IdColl and CodCol) may use the same NomFic', async () => {
			const key = await h.addClient('vendor-a-and-b-pes', [s.orgA, s.orgB]);
			const r = await s.d.client(key).postDocument({ kind: 'pes', organisation: s.orgB, title: 'PES de B' },
				pesFor(pesFile('NOMFICUNIQUE01'), ORG_B));
			assert.equal(r.status, 201, r.text);
		});

		it('organisation A\'s PES is not organisation B\'s: 422 naming IdColl and both values', async () => {
			const key = await h.addClient('vendor-a-and-b-pes2', [s.orgA, s.orgB]);
			const before = await h.snapshot();
			const r = await s.d.client(key).postDocument({ kind: 'pes', organisation: s.orgB, title: 'PES de A' },
				pesFile('NOMFICOFA01'));
			assertProblem(assert, r, { status: 422, field: 'pes.idcoll', hint: true,
				detail: new RegExp(`the file says ${ORG_A.idcoll}, organisation ${s.orgB} has ${ORG_B.idcoll}`) });
			assertSameCounts(assert, before, await h.snapshot());
		});

		it('a bordereau Id that is not an xs:ID (BORD_2/26#42): 422 on pes.bordereau.id, nothing stored', async () => {
			const f = pesFile('NOMFICBADID01');
			f.data = Buffer.from(f.data.toString('latin1').replace('Id="BORD1093357910"', 'Id="BORD_2/26#42"'), 'latin1');
			const before = await h.snapshot();
			const r = await s.a.postDocument({ kind: 'pes', organisation: s.orgA, title: 'PES Id invalide' }, f);
			assertProblem(assert, r, { status: 422, field: 'pes.bordereau.id', hint: true,
				detail: /BORD_2\/26#42.*NCName/ });
			assertSameCounts(assert, before, await h.snapshot());
		});

		it('a bordereau Id over 96 bytes (what liasse signs): 422 on pes.bordereau.id, nothing stored', async () => {
			const f = pesFile('NOMFICLONGID01');
			const long = `BORD${'7'.repeat(93)}`;
			f.data = Buffer.from(f.data.toString('latin1').replace('Id="BORD1093357910"', `Id="${long}"`), 'latin1');
			const before = await h.snapshot();
			const r = await s.a.postDocument({ kind: 'pes', organisation: s.orgA, title: 'PES Id trop long' }, f);
			assertProblem(assert, r, { status: 422, field: 'pes.bordereau.id', hint: true,
				detail: /97 bytes long; at most 96/ });
			assertSameCounts(assert, before, await h.snapshot());
			const ok = pesFile('NOMFICLONGID02');
			ok.data = Buffer.from(ok.data.toString('latin1').replace('Id="BORD1093357910"', `Id="${long.slice(1)}"`),
				'latin1');
			const r2 = await s.a.postDocument({ kind: 'pes', organisation: s.orgA, title: 'PES Id de 96' }, ok);
			assert.equal(r2.status, 201, r2.text);
		});

		it('once the first document is cancelled the NomFic can be sent again', async () => {
			const meta = { kind: 'pes', organisation: s.orgA, title: 'PES annulé' };
			const first = await s.a.postDocument(meta, pesFile('NOMFICUNIQUE02'));
			assert.equal(first.status, 201, first.text);
			const c = await s.a.post(`/api/v1/documents/${first.json.id}/cancel`);
			assert.equal(c.status, 200, c.text);
			const again = await s.a.postDocument({ ...meta, title: 'PES renvoyé' }, pesFile('NOMFICUNIQUE02'));
			assert.equal(again.status, 201, again.text);
		});
	});

	describe('journal', () => {
		it('every document created or cancelled above is journaled, in an intact hash chain', async () => {
			const docs = await h.psql('SELECT id FROM document');
			const missing = await h.psql('SELECT count(*) FROM document d WHERE NOT EXISTS ' +
				'(SELECT 1 FROM journal j WHERE j.doc_id = d.id)');
			assert.equal(missing, '0', `documents without a journal entry (of ${docs.split('\n').length})`);
			const cancelled = await h.psql("SELECT count(*) FROM document d WHERE state = 'cancelled' AND " +
				'(SELECT count(*) FROM journal j WHERE j.doc_id = d.id) < 2');
			assert.equal(cancelled, '0', 'a cancel is journaled too');
			// Entries are chained by journal_seal() (liassed's workers run it; so may we).
			let unsealed = '1';
			for (let i = 0; i < 50 && unsealed !== '0'; i++) {
				unsealed = await h.psql('SELECT journal_seal(); SELECT count(*) FROM journal WHERE seq IS NULL')
					.then((out) => out.split('\n').pop());
				if (unsealed !== '0')
					await sleep(200);
			}
			assert.equal(unsealed, '0', 'every entry sealed');
			const broken = await h.psql(`
				SELECT count(*) FROM (
					SELECT seq, prev_hash, hash, lag(hash) OVER (ORDER BY seq) AS prev, lag(seq) OVER (ORDER BY seq) AS pseq,
						sha256(prev_hash || convert_to(journal_canonical(seq, at, actor, action, doc_id, org_id, detail),
							'UTF8')) AS want
					FROM journal) j
				WHERE hash <> want OR (prev IS NOT NULL AND prev_hash <> prev) OR (pseq IS NOT NULL AND seq <> pseq + 1)
					OR (pseq IS NULL AND (seq <> 1 OR prev_hash <> decode(repeat('00', 32), 'hex')))`);
			assert.equal(broken, '0', 'each entry hashes its predecessor and its own text');
		});

		it('the journal refuses UPDATE and DELETE', async () => {
			const first = 'SELECT min(id) FROM journal WHERE seq IS NOT NULL';
			await assert.rejects(h.psql(`UPDATE journal SET actor = 'x' WHERE id = (${first})`), /append-only/);
			await assert.rejects(h.psql(`UPDATE journal SET hash = hash WHERE id = (${first})`), /append-only/);
			await assert.rejects(h.psql(`DELETE FROM journal WHERE id = (${first})`), /append-only/);
		});
	});

	it('a PES document carries its indexed fields in the listing too', { skip: !pesFile() && 'fixture absent' },
		async () => {
			const r = await s.a.postDocument({ kind: 'pes', organisation: s.orgA, title: 'PES' },
				pesFile('NOMFICLISTING0001'));
			assert.equal(r.status, 201, r.text);
			assert.equal(r.json.pes.nomfic, 'NOMFICLISTING0001');
			const l = await s.a.listAll('kind=pes');
			assert.deepEqual(l.items.find((d) => d.id === r.json.id), r.json);
		});
});
