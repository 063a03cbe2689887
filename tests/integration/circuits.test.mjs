// Circuits (issue 13, points 1 and 2): visa steps, then the signature, each
// in one person's queue; the admin API that sets them up (versioned);
// rejection at a visa step; the droit de remords; delegation at a visa
// step; a batch signature at the signature step.  A real liassed on a
// private PostgreSQL; signatures checked with openssl cms (tests/js/tools.mjs).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
	newHarness, assertProblem, docMeta, acteMeta, pdfFile, request, sleep, OFFICIAL_A, PASSWORD,
} from '../lib/harness.mjs';
import { makePki } from '../lib/pki.mjs';

const h = newHarness('circuits');
const DGS = 'dgs@saint-essai.test';
const DGA = 'dga@saint-essai.test';
const AGENT = 'agent@saint-essai.test';
const ADMIN = 'admin@opsn.test';
const PIN = 'muguet-2026';
let s, admin, maire, dgs, dga, agent, pki;

const put = (c, p, obj) => request(c.url, { method: 'PUT', path: p,
	headers: c.headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(obj) });
const queueIds = async (who) => {
	const r = await who.get('/api/v1/queue');
	assert.equal(r.status, 200, r.text);
	return r.json.items.map((x) => x.id);
};
let numero = 0;
async function postActe(extra = {}, acte = {}) {
	const r = await s.a.postDocument(acteMeta(s.orgA, `CIRC${String(++numero).padStart(3, '0')}`,
		{ sign: true, transmit: false, ...extra }, acte), pdfFile(1500));
	assert.equal(r.status, 201, r.text);
	return r.json;
}
const vendorDoc = async (id) => (await s.a.get(`/api/v1/documents/${id}`)).json;
// The vendor's feed for one document, read until pred holds (events are
// numbered by a sealer shortly after they commit).
async function events(id, pred) {
	let mine = [];
	for (let i = 0; i < 600; i++) {
		let items = [];
		let pos = 0;
		for (;;) {
			const r = await s.a.get(`/api/v1/events?after=${pos}&limit=500`);
			assert.equal(r.status, 200, r.text);
			items = items.concat(r.json.items);
			if (!r.json.items.length || r.json.next_after === pos)
				break;
			pos = r.json.next_after;
		}
		mine = items.filter((e) => e.document === id);
		if (pred(mine))
			return mine;
		await sleep(100);
	}
	assert.fail(`the events of ${id} never matched: ${JSON.stringify(mine)}`);
}

describe('circuits: visa, then signature', () => {
	let deliberation;

	before(async () => {
		s = await h.setup();
		pki = await makePki();
		await h.mustCli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' });
		await h.person({ email: DGS, name: 'Denise Générale', password: PASSWORD,
			roles: [{ org: s.orgA, role: 'signer', function: 'dgs' }] });
		await h.person({ email: DGA, name: 'Damien Adjoint', password: PASSWORD,
			roles: [{ org: s.orgA, role: 'signer', function: 'dga' }] });
		await h.person({ email: AGENT, name: 'Agathe Agent', password: PASSWORD,
			roles: [{ org: s.orgA, role: 'agent' }] });
		await h.person({ email: ADMIN, name: 'Olga Opérateur', password: PASSWORD, operator: true });
		await h.enrol(OFFICIAL_A, pki.signer.p12, pki.password, PIN);
		admin = await s.d.login(ADMIN);
		maire = await s.d.login(OFFICIAL_A);
		dgs = await s.d.login(DGS);
		dga = await s.d.login(DGA);
		agent = await s.d.login(AGENT);
	});
	after(() => h.stopAll());

	describe('the admin API', () => {
		it('creates a circuit: visa by the DGS (office), then signature by the maire', async () => {
			const r = await admin.postJson('/api/v1/admin/circuits', { organisation: s.orgA,
				name: 'deliberation', steps: [{ action: 'visa', office: 'dgs' },
					{ action: 'signature', person: OFFICIAL_A }] });
			assert.equal(r.status, 201, r.text);
			deliberation = r.json;
			assert.equal(r.json.version, 1);
			assert.deepEqual(r.json.steps.map((x) => [x.action, x.office, x.person?.email, x.resolves_to.email]),
				[['visa', 'dgs', undefined, DGS], ['signature', null, OFFICIAL_A, OFFICIAL_A]]);
			const l = await admin.get(`/api/v1/admin/circuits?organisation=${s.orgA}`);
			assert.equal(l.status, 200, l.text);
			assert.deepEqual(l.json.map((c) => c.name), ['deliberation']);
		});

		it('refuses bad circuits with a problem naming the field, and stores nothing', async () => {
			const before = await h.psql('SELECT count(*) FROM circuit_step');
			const bad = [
				[{ organisation: s.orgA, name: 'vide', steps: [] }, 'steps'],
				[{ organisation: s.orgA, name: 'sans' }, 'steps'],
				[{ organisation: s.orgA, name: 'inconnu', steps: [{ action: 'visa', person: 'nobody@x.fr' },
					{ action: 'signature', office: 'maire' }] }, 'steps[0].person'],
				[{ organisation: s.orgA, name: 'agent', steps: [{ action: 'signature', person: AGENT }] },
					'steps[0].person'],
				[{ organisation: s.orgA, name: 'office', steps: [{ action: 'visa', office: 'tresorier' },
					{ action: 'signature', office: 'maire' }] }, 'steps[0].office'],
				[{ organisation: s.orgA, name: 'finvisa', steps: [{ action: 'signature', office: 'maire' },
					{ action: 'visa', office: 'dgs' }] }, ['steps[0].action', 'steps[1].action']],
				[{ organisation: s.orgA, name: 'action', steps: [{ action: 'cachet', office: 'maire' }] },
					'steps[0].action'],
				[{ organisation: s.orgA, name: 'deux', steps: [{ action: 'signature', office: 'maire',
					person: OFFICIAL_A }] }, 'steps[0].person'],
				[{ organisation: s.orgA, name: 'Pas un nom!', steps: [{ action: 'signature', office: 'maire' }] },
					'name'],
			];
			for (const [body, field] of bad) {
				const r = await admin.postJson('/api/v1/admin/circuits', body);
				assertProblem(assert, r, { status: 422, field, hint: true });
			}
			const dup = await admin.postJson('/api/v1/admin/circuits', { organisation: s.orgA,
				name: 'deliberation', steps: [{ action: 'signature', office: 'maire' }] });
			assertProblem(assert, dup, { status: 409, field: 'name' });
			const notAdmin = await maire.postJson('/api/v1/admin/circuits', { organisation: s.orgA,
				name: 'x', steps: [{ action: 'signature', office: 'maire' }] });
			assertProblem(assert, notAdmin, { status: 403 });
			assert.equal(await h.psql('SELECT count(*) FROM circuit_step'), before);
		});

		it('lists circuits without ?organisation= for the administrator of one organisation (issue 17)', async () => {
			await h.person({ email: 'admin-a@saint-essai.test', name: 'Adèle Administratrice', password: PASSWORD,
				roles: [{ org: s.orgA, role: 'org_admin' }] });
			await h.person({ email: 'admin-ab@opsn.test', name: 'Basile Deux', password: PASSWORD,
				roles: [{ org: s.orgA, role: 'org_admin' }, { org: s.orgB, role: 'org_admin' }] });
			const one = await s.d.login('admin-a@saint-essai.test');
			const l = await one.get('/api/v1/admin/circuits');
			assert.equal(l.status, 200, l.text);
			assert.deepEqual(l.json.map((c) => c.name), ['deliberation'], 'the circuits of the one organisation');
			assert.deepEqual(l.json, (await one.get(`/api/v1/admin/circuits?organisation=${s.orgA}`)).json);
			const two = await s.d.login('admin-ab@opsn.test');
			const r = await two.get('/api/v1/admin/circuits');
			assertProblem(assert, r, { status: 422, field: 'organisation', hint: true,
				detail: new RegExp(`you administer [^;]*${[s.orgA, s.orgB].sort().join(' \\(.*')}`) });
			assert.match(r.json.hint, /\?organisation=<SIREN>/);
			const b = await two.get(`/api/v1/admin/circuits?organisation=${s.orgB}`);
			assert.equal(b.status, 200, b.text);
			assert.deepEqual(b.json, [], 'with ?organisation= the one chosen');
			assertProblem(assert, await maire.get('/api/v1/admin/circuits'), { status: 403, hint: true });
			assert.equal((await admin.get('/api/v1/admin/circuits')).status, 200, 'an operator lists them all');
		});
	});

	describe('the CLI', () => {
		it('liasse circuit add/list refuse bad steps in one line on stderr and store nothing', async () => {
			const before = await h.psql('SELECT count(*) FROM circuit');
			const usage = await h.cli(['circuit', 'add', '--org', s.orgA, '--name', 'cli', 'visa']);
			assert.equal(usage.code, 2);
			assert.equal(usage.stderr.trim().split('\n').length, 1, usage.stderr);
			const bad = await h.cli(['circuit', 'add', '--org', s.orgA, '--name', 'cli', 'visa:tresorier',
				'signature:maire']);
			assert.notEqual(bad.code, 0);
			assert.match(bad.stderr, /tresorier/);
			assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
			assert.equal(await h.psql('SELECT count(*) FROM circuit'), before);
			const l = await h.cli(['circuit', 'list', '--org', s.orgA]);
			assert.equal(l.code, 0, l.stderr);
			assert.deepEqual(JSON.parse(l.stdout).map((c) => c.name), ['deliberation']);
		});
	});

	describe('a délibération along the circuit', () => {
		let doc;

		it('posted with "circuit": "deliberation", it waits in the DGS\'s queue only', async () => {
			doc = await postActe({ circuit: 'deliberation' });
			assert.equal(doc.state, 'pending_signature');
			assert.deepEqual(doc.circuit, { id: deliberation.id, name: 'deliberation', version: 1, step: 1,
				of: 2, action: 'visa', person: { name: 'Denise Générale', email: DGS } });
			assert.ok((await queueIds(dgs)).includes(doc.id));
			assert.ok(!(await queueIds(maire)).includes(doc.id));
			const q = await dgs.get(`/api/v1/queue/${doc.id}`);
			assert.equal(q.json.may_visa, true);
			assert.equal(q.json.may_sign, false);
		});

		it('a circuit implies the signature; it contradicts "sign": false and a signer', async () => {
			const r = await s.a.postDocument(acteMeta(s.orgA, 'CIRCS01', { circuit: 'deliberation' }), pdfFile(1000));
			assert.equal(r.status, 201, r.text);
			assert.deepEqual([r.json.sign, r.json.transmit, r.json.circuit.step, r.json.assigned_to.email],
				[true, true, 1, DGS]);
			assert.equal((await s.a.post(`/api/v1/documents/${r.json.id}/cancel`)).status, 200);
			const no = await s.a.postDocument(acteMeta(s.orgA, 'CIRCS02', { circuit: 'deliberation', sign: false }),
				pdfFile(1000));
			assertProblem(assert, no, { status: 422, field: 'circuit', hint: true });
			const both = await s.a.postDocument(acteMeta(s.orgA, 'CIRCS03', { circuit: 'deliberation', sign: true,
				signer: 'maire' }), pdfFile(1000));
			assertProblem(assert, both, { status: 422, field: 'circuit', hint: true });
		});

		it('an unknown circuit is refused naming metadata.circuit, with the known names', async () => {
			const r = await s.a.postDocument(acteMeta(s.orgA, 'CIRCX01', { sign: true, circuit: 'budget' }),
				pdfFile(1000));
			assertProblem(assert, r, { status: 422, field: 'circuit', hint: true });
			assert.match(r.json.hint, /"deliberation"/);
		});

		it('nobody signs at a visa step; the maire does not see it before the DGS', async () => {
			const v = await maire.postJson(`/api/v1/queue/${doc.id}/visa`, {});
			assertProblem(assert, v, { status: 404 });
			const sg = await maire.postJson('/api/v1/queue/sign', { documents: [doc.id], pin: PIN });
			assert.equal(sg.status, 200, sg.text);
			assert.equal(sg.json.results[0].status, 'error', sg.text);
			assert.equal(sg.json.results[0].problem.status, 404, sg.text);
			// an operator who sees it finds it awaiting a visa, not a signature
			const claim = await h.psql(`SELECT status || ' ' || state FROM sign_claim(
				(SELECT id FROM person WHERE email = '${ADMIN}'), '${doc.id}')`);
			assert.equal(claim, '409 awaiting a visa');
		});

		it('after the DGS\'s visa it waits in the maire\'s queue only; the vendor sees the step', async () => {
			const r = await dgs.postJson(`/api/v1/queue/${doc.id}/visa`,
				{ public_annotation: 'Vu, conforme au vote', private_annotation: 'Attention au quorum' });
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.circuit.step, 2);
			assert.equal(r.json.circuit.action, 'signature');
			assert.equal(r.json.circuit.person.email, OFFICIAL_A);
			assert.ok(!(await queueIds(dgs)).includes(doc.id));
			assert.ok((await queueIds(maire)).includes(doc.id));
			const v = await vendorDoc(doc.id);
			assert.equal(v.state, 'pending_signature');
			assert.equal(v.circuit.step, 2);
			assert.equal(v.assigned_to.email, OFFICIAL_A);
			const ev = await events(doc.id, (m) => m.some((e) => e.type === 'document.step'));
			const step = ev.find((e) => e.type === 'document.step');
			assert.ok(step, JSON.stringify(ev));
			assert.deepEqual([step.circuit.step, step.circuit.action, step.circuit.person.email],
				[2, 'signature', OFFICIAL_A]);
			assert.deepEqual([step.circuit.last_action.action, step.circuit.last_action.by.email,
				step.circuit.last_action.public_annotation], ['visa', DGS, 'Vu, conforme au vote'],
			'the vendor reads the public annotation, never the private one');
			assert.ok(!JSON.stringify(ev).includes('quorum'));
		});

		it('the history shows who did what, with the annotations (the private one to the next actor)', async () => {
			const m = await maire.get(`/api/v1/queue/${doc.id}`);
			assert.equal(m.status, 200, m.text);
			assert.equal(m.json.steps.length, 1);
			assert.deepEqual([m.json.steps[0].step, m.json.steps[0].action, m.json.steps[0].by.email,
				m.json.steps[0].public_annotation, m.json.steps[0].private_annotation],
			[1, 'visa', DGS, 'Vu, conforme au vote', 'Attention au quorum']);
			const visa = m.json.history.find((x) => x.action === 'document.visa');
			assert.equal(visa.actor, `person:${DGS}`);
			assert.equal(visa.detail.public_annotation, 'Vu, conforme au vote');
			const a = await agent.get(`/api/v1/queue/${doc.id}`);
			assert.equal(a.json.steps[0].public_annotation, 'Vu, conforme au vote');
			assert.equal(a.json.steps[0].private_annotation, null, 'the private annotation is the next actor\'s');
			assert.ok(!JSON.stringify(a.json.history).includes('quorum'));
		});

		it('the DGS takes it back (droit de remords) before the maire acts', async () => {
			const r = await dgs.postJson(`/api/v1/queue/${doc.id}/remord`, {});
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.circuit.step, 1);
			assert.ok((await queueIds(dgs)).includes(doc.id));
			assert.ok(!(await queueIds(maire)).includes(doc.id));
			const again = await dgs.postJson(`/api/v1/queue/${doc.id}/remord`, {});
			assertProblem(assert, again, { status: 409 });
			const other = await maire.postJson(`/api/v1/queue/${doc.id}/remord`, {});
			assertProblem(assert, other, { status: 404 });   // the maire is not involved yet
		});

		it('the remord is refused once the maire has acted; the rejection reaches the vendor', async () => {
			assert.equal((await dgs.postJson(`/api/v1/queue/${doc.id}/visa`, {})).status, 200);
			const rej = await maire.postJson(`/api/v1/queue/${doc.id}/reject`, { reason: 'Le vote est à refaire' });
			assert.equal(rej.status, 200, rej.text);
			const late = await dgs.postJson(`/api/v1/queue/${doc.id}/remord`, {});
			assertProblem(assert, late, { status: 409, detail: /acted already/ });
			const v = await vendorDoc(doc.id);
			assert.equal(v.state, 'rejected');
			assert.equal(v.reason, 'Le vote est à refaire');
		});
	});

	describe('rejection, delegation, batch signature, versions, routing', () => {
		it('a rejection at the visa step ends the circuit and reaches the vendor (state and event)', async () => {
			const d = await postActe({ circuit: 'deliberation' });
			const r = await dgs.postJson(`/api/v1/queue/${d.id}/reject`, { reason: 'Annexe manquante' });
			assert.equal(r.status, 200, r.text);
			const v = await vendorDoc(d.id);
			assert.deepEqual([v.state, v.reason, v.circuit.step], ['rejected', 'Annexe manquante', 1]);
			const ev = (await events(d.id, (m) => m.some((e) => e.state === 'rejected')))
				.filter((e) => e.state === 'rejected');
			assert.equal(ev.length, 1);
			assert.equal(ev[0].reason, 'Annexe manquante');
			assert.ok(!(await queueIds(maire)).includes(d.id));
			const visa = await dgs.postJson(`/api/v1/queue/${d.id}/visa`, {});
			assertProblem(assert, visa, { status: 409 });
		});

		it('a delegation applies to a visa step', async () => {
			const dl = await dgs.postJson('/api/v1/me/delegations', { to: DGA, organisation: s.orgA,
				ends_at: new Date(Date.now() + 86400000).toISOString() });
			assert.equal(dl.status, 201, dl.text);
			const d = await postActe({ circuit: 'deliberation' });
			const q = await dga.get('/api/v1/queue');
			const item = q.json.items.find((x) => x.id === d.id);
			assert.ok(item, 'the DGA sees the DGS\'s visa item');
			assert.equal(item.on_behalf_of.email, DGS);
			const r = await dga.postJson(`/api/v1/queue/${d.id}/visa`, { public_annotation: 'Pour la DGS' });
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.circuit.step, 2);
			const m = await maire.get(`/api/v1/queue/${d.id}`);
			assert.equal(m.json.steps[0].by.email, DGA);
			assert.equal(m.json.steps[0].for.email, DGS);
			assert.match(m.json.history.find((x) => x.action === 'document.visa').detail.delegation,
				/par délégation de Denise Générale/);
			const rv = await dgs.delete(`/api/v1/me/delegations/${dl.json.id}`);
			assert.equal(rv.status, 200, rv.text);
		});

		it('at the signature step the maire signs in a batch, and no visa is asked of the signature', async () => {
			const ids = [];
			for (let i = 0; i < 3; i++) {
				const r = await s.a.postDocument(docMeta(s.orgA, { title: `Convention ${i}`, circuit: 'deliberation' }),
					pdfFile(1300 + i));
				assert.equal(r.status, 201, r.text);
				ids.push(r.json.id);
				assert.equal((await dgs.postJson(`/api/v1/queue/${r.json.id}/visa`, {})).status, 200);
			}
			const v = await maire.postJson(`/api/v1/queue/${ids[0]}/visa`, {});
			assertProblem(assert, v, { status: 409, detail: /signature/ });
			const sg = await maire.postJson('/api/v1/queue/sign', { documents: ids, pin: PIN });
			assert.equal(sg.status, 200, sg.text);
			assert.deepEqual(sg.json.results.map((x) => x.status), ['signed', 'signed', 'signed'], sg.text);
			assert.equal(sg.json.signed, 3);
			for (const id of ids) {
				const d = await vendorDoc(id);
				assert.equal(d.state, 'signed');
				assert.equal(d.circuit.step, 2);
				assert.equal(d.signature.by.email, OFFICIAL_A);
			}
		});

		it('a circuit edited after a document started does not change that document\'s steps', async () => {
			const old = await postActe({ circuit: 'deliberation' });
			const r = await put(admin, `/api/v1/admin/circuits/${deliberation.id}`, { steps: [
				{ action: 'visa', office: 'dga' }, { action: 'visa', office: 'dgs' },
				{ action: 'signature', office: 'maire' }] });
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.version, 2);
			const badPut = await put(admin, `/api/v1/admin/circuits/${deliberation.id}`,
				{ steps: [{ action: 'visa', office: 'dgs' }] });
			assertProblem(assert, badPut, { status: 422, field: 'steps[0].action' });
			const nw = await postActe({ circuit: 'deliberation' });
			assert.deepEqual([nw.circuit.version, nw.circuit.of, nw.circuit.person.email], [2, 3, DGA]);
			assert.equal((await vendorDoc(old.id)).circuit.of, 2);
			assert.equal((await dgs.postJson(`/api/v1/queue/${old.id}/visa`, {})).status, 200);
			const o = await vendorDoc(old.id);
			assert.deepEqual([o.circuit.version, o.circuit.step, o.circuit.action, o.assigned_to.email],
				[1, 2, 'signature', OFFICIAL_A], 'version 1: the maire after the DGS');
			// the next person acted (a visa): the first one's remord is refused
			assert.equal((await dga.postJson(`/api/v1/queue/${nw.id}/visa`, {})).status, 200);
			assert.equal((await dgs.postJson(`/api/v1/queue/${nw.id}/visa`, {})).status, 200);
			assertProblem(assert, await dga.postJson(`/api/v1/queue/${nw.id}/remord`, {}), { status: 409 });
			assert.equal((await vendorDoc(nw.id)).circuit.step, 3);
		});

		it('a routing rule sends acte nature 1 along the circuit; retiring keeps documents going', async () => {
			const r = await admin.postJson('/api/v1/admin/routing',
				{ organisation: s.orgA, kind: 'acte', nature: 1, circuit: 'deliberation' });
			assert.equal(r.status, 201, r.text);
			const d = await postActe();
			assert.deepEqual([d.circuit.name, d.circuit.step, d.assigned_to.email], ['deliberation', 1, DGA]);
			const other = await postActe({}, { nature: 3 });
			assert.equal(other.circuit, null, 'other natures keep the person rule');
			assert.equal(other.assigned_to.email, OFFICIAL_A);
			const del = await admin.delete(`/api/v1/admin/circuits/${deliberation.id}`);
			assert.equal(del.status, 200, del.text);
			const after = await s.a.postDocument(acteMeta(s.orgA, 'CIRCZ01', { sign: true, circuit: 'deliberation' }),
				pdfFile(1000));
			assertProblem(assert, after, { status: 422, field: 'circuit' });
			assert.equal((await dga.postJson(`/api/v1/queue/${d.id}/visa`, {})).status, 200);
			assert.equal((await vendorDoc(d.id)).circuit.step, 2);
			const l = await admin.get('/api/v1/admin/circuits');
			assert.deepEqual(l.json, []);
			// a rule to a circuit can become a rule to a person again
			const back = await admin.postJson('/api/v1/admin/routing',
				{ organisation: s.orgA, kind: 'acte', nature: 3, circuit: 'nope' });
			assertProblem(assert, back, { status: 422, field: 'circuit', hint: true });
			assert.equal((await admin.postJson('/api/v1/admin/circuits', { organisation: s.orgA, name: 'visa-dgs',
				steps: [{ action: 'visa', office: 'dgs' }, { action: 'signature', office: 'maire' }] })).status, 201);
			assert.equal((await admin.postJson('/api/v1/admin/routing',
				{ organisation: s.orgA, kind: 'acte', nature: 3, circuit: 'visa-dgs' })).status, 201);
			const p = await admin.postJson('/api/v1/admin/routing',
				{ organisation: s.orgA, kind: 'acte', nature: 3, signer: OFFICIAL_A });
			assert.equal(p.status, 201, p.text);
			const rule = p.json.find((x) => x.kind === 'acte' && x.nature === 3);
			assert.deepEqual([rule.signer.email, rule.circuit], [OFFICIAL_A, null]);
		});
	});
});
