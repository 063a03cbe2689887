// People, routing to one official's queue, sessions, delegation and
// rejection (issue 4): a real liassed on a private PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import {
	newHarness, assertProblem, docMeta, acteMeta, pdfFile, request, Client,
	OFFICIAL_A, OFFICIAL_B, PASSWORD,
} from '../lib/harness.mjs';

const h = newHarness('people-queue');
let s;
const ADJOINT = 'adjoint@saint-essai.test';
const AGENT = 'secretaire@saint-essai.test';
const ADMIN = 'admin@opsn.test';

// RFC 6238 code, computed here independently of liasse.
function totp(secretB32, t = Date.now() / 1000) {
	const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const ch of secretB32)
		bits += abc.indexOf(ch).toString(2).padStart(5, '0');
	const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
	const mac = crypto.createHmac('sha1', key).update(msg).digest();
	const off = mac[mac.length - 1] & 15;
	return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

async function post(client, meta, name = 'x.pdf') {
	const r = await client.postDocument(meta, pdfFile(1200, name));
	assert.equal(r.status, 201, r.text);
	return r.json;
}

describe('officials, queues and delegation', () => {
	let official, adjoint, agent, admin, officialB;

	before(async () => {
		s = await h.setup();
		for (const p of [OFFICIAL_A, OFFICIAL_B])
			await h.mustCli(['person', 'passwd', p], { input: PASSWORD + '\n' });
		await h.person({ email: ADJOINT, name: 'Adèle Adjointe', password: PASSWORD,
			roles: [{ org: s.orgA, role: 'signer', function: 'adjoint' }] });
		await h.person({ email: AGENT, name: 'Sam Secrétaire', password: PASSWORD,
			roles: [{ org: s.orgA, role: 'agent' }] });
		await h.person({ email: ADMIN, name: 'Olga Opérateur', password: PASSWORD, operator: true });
		official = await s.d.login(OFFICIAL_A);
		officialB = await s.d.login(OFFICIAL_B);
		adjoint = await s.d.login(ADJOINT);
		agent = await s.d.login(AGENT);
		admin = await s.d.login(ADMIN);
	});
	after(() => h.stopAll());

	describe('routing at submission', () => {
		it('without a named signer, the routing rule sends the document to the official', async () => {
			const d = await post(s.a, docMeta(s.orgA, { title: 'routed by rule' }));
			assert.equal(d.state, 'pending_signature');
			assert.equal(d.assigned_to.email, OFFICIAL_A);
		});

		it('the vendor may name an office or an e-mail address', async () => {
			const byOffice = await post(s.a, docMeta(s.orgA, { title: 'to the adjoint', signer: 'Adjoint' }));
			assert.equal(byOffice.assigned_to.email, ADJOINT);
			const byMail = await post(s.a, docMeta(s.orgA, { title: 'by mail', signer: OFFICIAL_A }));
			assert.equal(byMail.assigned_to.email, OFFICIAL_A);
		});

		it('an unknown signer is refused with a hint, and nothing is stored', async () => {
			const before = await h.psql('SELECT count(*) FROM document');
			const r = await s.a.postDocument(docMeta(s.orgA, { signer: 'trésorier' }), pdfFile(1000));
			assertProblem(assert, r, { status: 422, field: 'signer', detail: undefined, hint: true });
			assert.match(r.json.title, /trésorier/);
			// a signer of another organisation is unknown here too
			const r2 = await s.a.postDocument(docMeta(s.orgA, { signer: OFFICIAL_B }), pdfFile(1000));
			assertProblem(assert, r2, { status: 422, field: 'signer' });
			assert.equal(await h.psql('SELECT count(*) FROM document'), before);
		});

		it('no rule and no signer: a clear refusal naming the kind', async () => {
			await h.psql("DELETE FROM routing_rule WHERE kind = 'document' AND org_id = " +
				`(SELECT id FROM organisation WHERE siren = '${s.orgB}')`);
			const r = await s.b.postDocument(docMeta(s.orgB), pdfFile(1000));
			assertProblem(assert, r, { status: 422, field: 'signer', hint: true });
			assert.match(r.json.title, /no routing rule for document/);
			// an act only to transmit needs no signer
			const t = await s.b.postDocument(acteMeta(s.orgB, 'T2026_001'), pdfFile(1000));
			assert.equal(t.status, 201, t.text);
			assert.equal(t.json.state, 'queued');
			assert.equal(t.json.assigned_to, null);
		});

		it('a rule for one acte nature wins over the rule for the kind', async () => {
			const r = await admin.postJson('/api/v1/admin/routing',
				{ organisation: s.orgA, kind: 'acte', nature: 3, signer: ADJOINT });
			assert.equal(r.status, 201, r.text);
			const ai = await post(s.a, acteMeta(s.orgA, 'AI2026_01', { sign: true }, { nature: 3 }));
			assert.equal(ai.assigned_to.email, ADJOINT, 'actes individuels go to the adjoint');
			const de = await post(s.a, acteMeta(s.orgA, 'DE2026_01', { sign: true }, { nature: 1 }));
			assert.equal(de.assigned_to.email, OFFICIAL_A, 'délibérations to the maire');
		});
	});

	describe('sessions', () => {
		it('a wrong password answers 401; the session token and cookie work', async () => {
			const r = await request(s.d.url, { method: 'POST', path: '/api/v1/session',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ email: OFFICIAL_A, password: 'not the password' }) });
			assertProblem(assert, r, { status: 401 });
			const me = await official.get('/api/v1/me');
			assert.equal(me.status, 200, me.text);
			assert.equal(me.json.email, OFFICIAL_A);
			assert.deepEqual(me.json.roles.map((x) => x.role), ['signer']);
			assert.match(official.cookie, /^liasse_session=lss_/);
			const setCookie = String((await request(s.d.url, { method: 'POST', path: '/api/v1/session',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ email: OFFICIAL_A, password: PASSWORD }) })).headers['set-cookie']);
			for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/'])
				assert.ok(setCookie.includes(attr), `cookie has ${attr}: ${setCookie}`);
		});

		it('with the cookie, a change needs the CSRF token', async () => {
			const d = await post(s.a, docMeta(s.orgA, { title: 'csrf' }));
			const viaCookie = new Client(s.d.url, null);
			const noToken = await viaCookie.postJson(`/api/v1/queue/${d.id}/reject`, { reason: 'no csrf' },
				{ Cookie: official.cookie });
			assertProblem(assert, noToken, { status: 403, field: 'X-CSRF-Token' });
			const read = await viaCookie.get('/api/v1/queue', { Cookie: official.cookie });
			assert.equal(read.status, 200, 'reading needs no CSRF token');
			const ok = await viaCookie.postJson(`/api/v1/queue/${d.id}/reject`, { reason: 'with csrf' },
				{ Cookie: official.cookie, 'X-CSRF-Token': official.session.csrf });
			assert.equal(ok.status, 200, ok.text);
		});

		it('five failures lock the login, even for the right password', async () => {
			await h.person({ email: 'victime@saint-essai.test', name: 'V', password: PASSWORD,
				roles: [{ org: s.orgA, role: 'agent' }] });
			for (let i = 0; i < 5; i++) {
				const r = await request(s.d.url, { method: 'POST', path: '/api/v1/session',
					headers: { 'Content-Type': 'application/json' },
					body: JSON.stringify({ email: 'victime@saint-essai.test', password: `wrong ${i}` }) });
				assert.equal(r.status, 401);
			}
			const r = await request(s.d.url, { method: 'POST', path: '/api/v1/session',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ email: 'victime@saint-essai.test', password: PASSWORD }) });
			assertProblem(assert, r, { status: 403, hint: true });
			assert.match(r.json.title, /locked/);
			const j = await h.psql("SELECT count(*) FROM journal WHERE action = 'login.failed'" +
				" AND actor = 'person:victime@saint-essai.test'");
			assert.equal(j, '5', 'each failure is journaled');
		});

		it('TOTP: once set, a login needs the current code', async () => {
			const r = await h.mustCli(['person', 'totp', AGENT]);
			const secret = /secret=([A-Z2-7]+)/.exec(r.stdout)[1];
			await assert.rejects(s.d.login(AGENT), /401/);
			await assert.rejects(s.d.login(AGENT, PASSWORD, '000000' === totp(secret) ? '111111' : '000000'), /401/);
			const c = await s.d.login(AGENT, PASSWORD, totp(secret));
			assert.equal((await c.get('/api/v1/me')).json.totp, true);
			await h.mustCli(['person', 'totp', AGENT, '--remove']);
		});

		it('logout ends the session', async () => {
			const c = await s.d.login(OFFICIAL_A);
			const r = await c.delete('/api/v1/session');
			assert.equal(r.status, 204);
			assertProblem(assert, await c.get('/api/v1/me'), { status: 401 });
		});

		it('an idle session expires', async () => {
			const c = await s.d.login(OFFICIAL_A);
			await h.psql("UPDATE session SET last_seen_at = now() - interval '31 minutes'");
			assertProblem(assert, await c.get('/api/v1/queue'), { status: 401 });
			official = await s.d.login(OFFICIAL_A);
			officialB = await s.d.login(OFFICIAL_B);
			adjoint = await s.d.login(ADJOINT);
			agent = await s.d.login(AGENT);
			admin = await s.d.login(ADMIN);
		});
	});

	describe('isolation', () => {
		let docA, docB;
		before(async () => {
			docA = await post(s.a, docMeta(s.orgA, { title: 'A only', due_date: '2030-01-01' }));
			docB = await post(s.b, docMeta(s.orgB, { title: 'B only', signer: 'president' }));
		});

		it("each official's queue holds their documents only, across vendors", async () => {
			const qa = await official.get('/api/v1/queue');
			assert.equal(qa.status, 200, qa.text);
			const ids = qa.json.items.map((d) => d.id);
			assert.ok(ids.includes(docA.id));
			assert.ok(!ids.includes(docB.id));
			assert.ok(qa.json.items.every((d) => d.assigned_to.email === OFFICIAL_A));
			assert.equal(qa.json.counts.total, qa.json.items.length);
			const qb = await officialB.get('/api/v1/queue');
			assert.deepEqual(qb.json.items.map((d) => d.id), [docB.id]);
		});

		it("an official cannot read, download or reject another's document (404, nothing leaks)", async () => {
			for (const p of [`/api/v1/queue/${docB.id}`, `/api/v1/queue/${docB.id}/files/0`]) {
				const r = await official.get(p);
				assertProblem(assert, r, { status: 404 });
				assert.ok(!r.text.includes('B only'));
			}
			const r = await official.postJson(`/api/v1/queue/${docB.id}/reject`, { reason: 'not mine' });
			assertProblem(assert, r, { status: 404 });
			assert.equal((await s.b.get(`/api/v1/documents/${docB.id}`)).json.state, 'pending_signature');
		});

		it('an agent of the organisation reads the document but may not sign or reject it', async () => {
			const r = await agent.get(`/api/v1/queue/${docA.id}`);
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.may_sign, false);
			assert.ok(r.json.history.some((e) => e.action === 'document.received'));
			const f = await agent.get(`/api/v1/queue/${docA.id}/files/0`);
			assert.equal(f.status, 200);
			const rj = await agent.postJson(`/api/v1/queue/${docA.id}/reject`, { reason: 'not allowed' });
			assertProblem(assert, rj, { status: 403 });
			assert.equal(await h.psql(`SELECT count(*) FROM journal WHERE action = 'file.downloaded'
				AND doc_id = '${docA.id}' AND actor = 'person:${AGENT}'`), '1', 'the download is journaled');
			assertProblem(assert, await agent.get(`/api/v1/queue/${docB.id}`), { status: 404 });
		});

		it('the queue is sorted by due date, then age, with counts and filters', async () => {
			const late = await post(s.a, docMeta(s.orgA, { title: 'due soon', due_date: '2029-01-01' }));
			const q = await official.get('/api/v1/queue');
			const ids = q.json.items.map((d) => d.id);
			assert.ok(ids.indexOf(late.id) < ids.indexOf(docA.id), 'earlier due date first');
			const dues = q.json.items.map((d) => d.due_date).filter(Boolean);
			assert.deepEqual(dues, [...dues].sort());
			assert.equal(ids.indexOf(late.id), 0);
			const undated = q.json.items.filter((d) => !d.due_date);
			assert.deepEqual(undated.map((d) => d.created_at), undated.map((d) => d.created_at).sort());
			const f = await official.get('/api/v1/queue?kind=acte');
			assert.ok(f.json.items.every((d) => d.kind === 'acte'));
			assert.equal(f.json.counts.total, q.json.counts.total);
			assert.equal(f.json.counts.matching, f.json.items.length);
			assert.equal(q.json.counts.by_organisation[s.orgA], q.json.counts.total);
			assertProblem(assert, await official.get('/api/v1/queue?kind=letter'), { status: 400, field: 'kind' });
		});
	});

	describe('paging', () => {
		// Official B's queue, paged 7 at a time while documents leave it
		// (signed: the 'sign' event that sign_finish() applies, through the
		// same document_apply(); rejected through the API) and arrive.
		it('pages follow next_cursor: each remaining document once, in order, while others are signed', async () => {
			const dues = ['2031-03-01', null, '2031-01-15', '2031-01-15', null, '2031-02-01'];
			for (let i = 0; i < 24; i++)
				await post(s.b, docMeta(s.orgB, { title: `page ${i}`, signer: 'president',
					...(dues[i % dues.length] ? { due_date: dues[i % dues.length] } : {}) }));
			const whole = await officialB.get('/api/v1/queue?limit=500');
			assert.equal(whole.status, 200, whole.text);
			assert.equal(whole.json.next_cursor, null);
			const all = whole.json.items.map((d) => d.id);
			assert.ok(all.length >= 24);
			assert.equal(whole.json.counts.total, all.length);
			const first = await officialB.get('/api/v1/queue?limit=7');
			assert.deepEqual(first.json.items.map((d) => d.id), all.slice(0, 7));
			assert.equal(first.json.counts.total, all.length, 'counts are over the whole queue');
			assert.equal(typeof first.json.next_cursor, 'string');
			// between two pages: one seen and two unseen documents signed, one
			// unseen rejected, and a new one due first (before the cursor)
			const gone = [all[3], all[9], all[15]];
			for (const id of gone)
				await h.psql(`SELECT document_apply('${id}', 'sign', 'person:${OFFICIAL_B}')`);
			const rj = await officialB.postJson(`/api/v1/queue/${all[20]}/reject`, { reason: 'rejeté entre deux pages' });
			assert.equal(rj.status, 200, rj.text);
			gone.push(all[20]);
			const early = await post(s.b, docMeta(s.orgB, { title: 'arrived', signer: 'president', due_date: '2020-01-01' }));
			const seen = first.json.items.map((d) => d.id);
			let cursor = first.json.next_cursor, pages = 1;
			while (cursor) {
				const r = await officialB.get(`/api/v1/queue?limit=7&cursor=${encodeURIComponent(cursor)}`);
				assert.equal(r.status, 200, r.text);
				assert.ok(r.json.items.length > 0 && r.json.items.length <= 7);
				assert.equal(r.json.counts.total, all.length - gone.length + 1);
				seen.push(...r.json.items.map((d) => d.id));
				cursor = r.json.next_cursor;
				assert.ok(++pages < 10, 'the pages end');
			}
			assert.equal(new Set(seen).size, seen.length, 'no document twice');
			const expect = all.filter((id, i) => i < 7 || !gone.includes(id));
			assert.deepEqual(seen, expect, 'every document still waiting once, in queue order');
			assert.ok(!seen.includes(early.id), 'a document sorted before the cursor waits for the next reading');
			const again = await officialB.get('/api/v1/queue?limit=500');
			assert.equal(again.json.items[0].id, early.id);
		});

		it('a cursor or a limit that is not one is refused with 400', async () => {
			assertProblem(assert, await officialB.get('/api/v1/queue?cursor=bm90IGEgY3Vyc29y'), { status: 400, field: 'cursor' });
			assertProblem(assert, await officialB.get('/api/v1/queue?cursor=%25%25'), { status: 400, field: 'cursor' });
			assertProblem(assert, await officialB.get('/api/v1/queue?limit=0'), { status: 400, field: 'limit' });
			assertProblem(assert, await officialB.get('/api/v1/queue?limit=501'), { status: 400, field: 'limit' });
			const d = await officialB.get('/api/v1/queue');
			assert.ok(d.json.items.length <= 100, 'pages of 100 by default');
		});
	});

	describe('delegation', () => {
		let pes, doc;
		before(async () => {
			doc = await post(s.a, docMeta(s.orgA, { title: 'convention (not delegated)' }));
			pes = await post(s.a, acteMeta(s.orgA, 'DEL2026_01', { sign: true }, { nature: 1 }));
		});

		it('nothing is delegated before the delegation exists', async () => {
			const q = await adjoint.get('/api/v1/queue');
			assert.ok(!q.json.items.some((d) => d.id === pes.id));
			assertProblem(assert, await adjoint.get(`/api/v1/queue/${pes.id}`), { status: 404 });
		});

		it('a delegation for actes shows only actes, within its period, and says for whom', async () => {
			const ends = new Date(Date.now() + 3600e3).toISOString();
			const r = await official.postJson('/api/v1/me/delegations', { to: ADJOINT, kinds: ['acte'], ends_at: ends });
			assert.equal(r.status, 201, r.text);
			assert.equal(r.json.active, true);
			const q = await adjoint.get('/api/v1/queue');
			const mine = q.json.items.find((d) => d.id === pes.id);
			assert.ok(mine, 'the delegated acte is in the adjoint\'s queue');
			assert.equal(mine.on_behalf_of.email, OFFICIAL_A);
			assert.ok(!q.json.items.some((d) => d.id === doc.id), 'a generic document is outside the scope');
			const one = await adjoint.get(`/api/v1/queue/${pes.id}`);
			assert.equal(one.json.may_sign, true);
			assert.equal(one.json.on_behalf_of.email, OFFICIAL_A);

			// out of its period: moved to the past, then to the future
			await h.psql(`UPDATE delegation SET starts_at = now() - interval '2 days', ends_at = now() - interval '1 day' WHERE id = ${r.json.id}`);
			assert.ok(!(await adjoint.get('/api/v1/queue')).json.items.some((d) => d.id === pes.id), 'expired');
			await h.psql(`UPDATE delegation SET starts_at = now() + interval '1 day', ends_at = now() + interval '2 days' WHERE id = ${r.json.id}`);
			assert.ok(!(await adjoint.get('/api/v1/queue')).json.items.some((d) => d.id === pes.id), 'not yet');
			const rj = await adjoint.postJson(`/api/v1/queue/${pes.id}/reject`, { reason: 'not yet delegated' });
			assertProblem(assert, rj, { status: 404 });
			await h.psql(`UPDATE delegation SET starts_at = now() - interval '1 minute' WHERE id = ${r.json.id}`);

			// within it: the delegate rejects, and the journal says par délégation
			const ok = await adjoint.postJson(`/api/v1/queue/${pes.id}/reject`, { reason: 'pièce manquante' });
			assert.equal(ok.status, 200, ok.text);
			const j = await h.psql(`SELECT detail->>'par_delegation_de' FROM journal WHERE doc_id = '${pes.id}' AND action = 'document.rejected'`);
			assert.equal(j, 'Marie Ordonnatrice');

			const del = await official.delete(`/api/v1/me/delegations/${r.json.id}`);
			assert.equal(del.status, 200, del.text);
			assert.equal(del.json.active, false);
		});

		it('a delegation to someone who is not a signer there is refused', async () => {
			const ends = new Date(Date.now() + 3600e3).toISOString();
			const r = await official.postJson('/api/v1/me/delegations', { to: AGENT, ends_at: ends });
			assertProblem(assert, r, { status: 422, field: 'to', hint: true });
			const r2 = await official.postJson('/api/v1/me/delegations', { to: ADJOINT, ends_at: '2001-01-01T00:00:00Z' });
			assertProblem(assert, r2, { status: 422, field: 'ends_at' });
		});
	});

	describe('rejection', () => {
		it('needs a reason; the vendor then sees rejected and the reason', async () => {
			const d = await post(s.a, docMeta(s.orgA, { title: 'to reject' }));
			const none = await official.postJson(`/api/v1/queue/${d.id}/reject`, {});
			assertProblem(assert, none, { status: 422, field: 'reason', hint: true });
			const r = await official.postJson(`/api/v1/queue/${d.id}/reject`, { reason: 'Montant erroné' });
			assert.equal(r.status, 200, r.text);
			const v = await s.a.get(`/api/v1/documents/${d.id}`);
			assert.equal(v.json.state, 'rejected');
			assert.equal(v.json.reason, 'Montant erroné');
			const again = await official.postJson(`/api/v1/queue/${d.id}/reject`, { reason: 'twice' });
			assertProblem(assert, again, { status: 409 });
			assert.ok(!(await official.get('/api/v1/queue')).json.items.some((x) => x.id === d.id));
		});
	});

	describe('administration', () => {
		it('only administrators manage people and routing', async () => {
			assertProblem(assert, await official.get('/api/v1/admin/people'), { status: 403 });
			const r = await official.postJson('/api/v1/admin/people', { email: 'x@y.test', name: 'X' });
			assertProblem(assert, r, { status: 403 });
			const ok = await admin.postJson('/api/v1/admin/people',
				{ email: 'Nouvel.Elu@Saint-Essai.test', name: 'Nouvel Élu', password: 'long enough password' });
			assert.equal(ok.status, 201, ok.text);
			assert.equal(ok.json.email, 'nouvel.elu@saint-essai.test');
			const dup = await admin.postJson('/api/v1/admin/people', { email: 'nouvel.elu@saint-essai.test', name: 'Y' });
			assertProblem(assert, dup, { status: 409, field: 'email' });
			const role = await admin.postJson('/api/v1/admin/people/nouvel.elu@saint-essai.test/roles',
				{ organisation: s.orgA, role: 'signer', function: 'adjoint' });
			assert.equal(role.status, 201, role.text);
			const bad = await admin.postJson('/api/v1/admin/people/nouvel.elu@saint-essai.test/roles',
				{ organisation: s.orgA, role: 'emperor' });
			assertProblem(assert, bad, { status: 422, field: 'role', hint: true });
			const list = await admin.get('/api/v1/admin/people');
			assert.ok(list.json.some((p) => p.email === 'nouvel.elu@saint-essai.test'));
			const j = await h.psql("SELECT count(*) FROM journal WHERE action IN ('person.created', 'person.role')" +
				` AND actor = 'person:${ADMIN}'`);
			assert.equal(j, '2', 'administrative changes are journaled with their actor');
		});

		it('the CLI refuses bad input with one line and exit 1', async () => {
			const r = await h.cli(['role', 'add', 'nobody@x.test', '--org', s.orgA, '--role', 'agent']);
			assert.equal(r.code, 1);
			assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
			assert.match(r.stderr, /no person with e-mail address nobody@x.test/);
			const p = await h.cli(['person', 'add', '--email', 'short@x.test', '--name', 'S'], { input: 'short\n' });
			assert.equal(p.code, 1);
			assert.match(p.stderr, /10 to 1024 characters/);
		});
	});
});
