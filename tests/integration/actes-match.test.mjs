// An act as @ctes identifies it (issue 11, point 5): the return address
// comes from the organisation's connector settings (no default; `liasse
// connector test` says when it is missing); a second live act with the same
// number and decision date is refused at the door (409 naming
// acte.numero_interne), as the platform would refuse it as a duplicate; an
// act sent again after an anomaly gets its own answer; an answer that two
// transmissions wait for is attached to neither and journaled for the
// administrator.
import test from 'node:test';
import assert from 'node:assert/strict';
import { newHarness, acteMeta, pdfFile, fixture, skip, assertProblem } from '../lib/harness.mjs';
import { requireStatesim, startStatesim, configureActes, connectorSet, makeTls, waitState,
	FAST } from './transmit-common.mjs';

requireStatesim();
const xsd = fixture('parapheur-v5/xsd/actesv1_1.xsd');
if (!xsd)
	skip('ACTES XSD absent (LIASSE_FIXTURES)');
const h = newHarness('actes-match');
let env, sim, tls;
const FINAL = ['acknowledged', 'refused', 'failed'];
const MAIL = 'actes@saint-essai.example.org';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(client, org, numero, acte = {}) {
	return client.postDocument(acteMeta(org, numero, { sign: false, transmit: true }, acte),
		pdfFile(2000, `acte-${numero}.pdf`));
}

test.before(async () => {
	env = await h.setup(FAST);
	tls = makeTls(h);
	sim = await startStatesim(h, { tls, set: { 'actes.xsd': xsd } });
	await configureActes(h, env.orgA, sim, tls);
	await configureActes(h, env.orgB, sim, tls);
});

test.after(async () => {
	sim.stop();
	await h.stopAll();
});

test('liasse connector test: a missing return address is a configuration error, said in one line', async () => {
	await connectorSet(h, env.orgA, 'actes', { email: '' });
	try {
		const r = await h.cli(['connector', 'test', '--org', env.orgA]);
		assert.notEqual(r.code, 0, r.stdout);
		assert.match(r.stdout, /^actes: FAILED: the @ctes return address \(AdressesRetour\) is not configured.*email=/m);
		const bad = await connectorSet(h, env.orgA, 'actes', { email: 'nobody' });
		assert.ok(bad);
		const r2 = await h.cli(['connector', 'test', '--org', env.orgA]);
		assert.notEqual(r2.code, 0);
		assert.match(r2.stdout, /^actes: FAILED: the @ctes return address "nobody" is not an e-mail address/m);
	} finally {
		await connectorSet(h, env.orgA, 'actes', { email: MAIL });
	}
	const ok = await h.cli(['connector', 'test', '--org', env.orgA]);
	assert.equal(ok.code, 0, ok.stdout + ok.stderr);
	assert.match(ok.stdout, /^actes: ok: return address \(AdressesRetour\) configured/m);
});

test('a second act with the same number and decision date: 409 at the door, naming acte.numero_interne', async () => {
	const first = await post(env.a, env.orgA, 'DUP_1');
	assert.equal(first.status, 201, first.text);
	const dup = await post(env.a, env.orgA, 'DUP_1', { nature: 3, objet: 'Autre objet' });
	assertProblem(assert, dup, { status: 409, field: 'acte.numero_interne', detail: new RegExp(first.json.id), hint: true });
	assert.match(`${dup.json.title} ${dup.json.detail}`, /DUP_1/);
	// another decision date, or another organisation: other acts
	const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
	assert.equal((await post(env.a, env.orgA, 'DUP_1', { date_decision: yesterday })).status, 201);
	assert.equal((await post(env.b, env.orgB, 'DUP_1')).status, 201);
	assert.equal(await h.psql(`SELECT count(*) FROM document WHERE meta->>'numero_interne' = 'DUP_1'`), '3');
	const done = await waitState(env.a, first.json.id, FINAL);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
});

test('an act sent again after an anomaly gets its own answer; the refused one keeps its anomaly', async () => {
	await connectorSet(h, env.orgA, 'actes', { email: 'not-an-address' });   // fails the envelope's XSD
	let refused;
	try {
		const r = await post(env.a, env.orgA, 'AGAIN_1');
		assert.equal(r.status, 201, r.text);
		refused = await waitState(env.a, r.json.id, FINAL);
		assert.equal(refused.state, 'refused', JSON.stringify(refused));
	} finally {
		await connectorSet(h, env.orgA, 'actes', { email: MAIL });
	}
	const again = await post(env.a, env.orgA, 'AGAIN_1');   // the refused act does not block it
	assert.equal(again.status, 201, again.text);
	const done = await waitState(env.a, again.json.id, FINAL);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	assert.equal(done.files.filter((f) => f.role === 'ack').length, 1);
	const old = (await env.a.get(`/api/v1/documents/${refused.id}`)).json;
	assert.equal(old.state, 'refused');
	assert.deepEqual(old.files.filter((f) => f.role !== 'main').map((f) => f.role), ['anomaly']);
});

test('an answer two transmissions wait for is attached to neither, and journaled', async () => {
	// Two sends whose answers come 20 s later; meanwhile the second is made to
	// carry the first's IDActe, as rows from before the door's check could.
	await sim.fault('actes', 'delay_ack', 2, 20);
	const b1 = await post(env.b, env.orgB, 'AMB_1');
	const b2 = await post(env.b, env.orgB, 'AMB_2');
	assert.equal(b1.status, 201, b1.text);
	assert.equal(b2.status, 201, b2.text);
	await waitState(env.b, b1.json.id, ['transmitted'], 15000);
	await waitState(env.b, b2.json.id, ['transmitted'], 15000);
	await h.psql(`UPDATE transmission SET match_key = (SELECT match_key FROM transmission WHERE doc_id = '${b1.json.id}')
		WHERE doc_id = '${b2.json.id}'`);
	const t0 = Date.now();
	let n = '0';
	while (n !== '2' && Date.now() - t0 < 60000) {
		await sleep(500);
		n = await h.psql(`SELECT count(*) FROM journal WHERE action = 'transmit.return_ambiguous'`);
	}
	assert.equal(n, '2', 'one journal entry on each document');
	const docs = await h.psql(`SELECT string_agg(doc_id::text, ',' ORDER BY doc_id) FROM journal
		WHERE action = 'transmit.return_ambiguous'`);
	assert.deepEqual(docs.split(','), [b1.json.id, b2.json.id].sort());
	await sleep(3000);   // later polls do not attach it either
	for (const id of [b1.json.id, b2.json.id]) {
		const d = (await env.b.get(`/api/v1/documents/${id}`)).json;
		assert.equal(d.state, 'transmitted', JSON.stringify(d));
		assert.equal(d.files.filter((f) => f.role === 'ack').length, 0, JSON.stringify(d.files));
	}
	assert.equal(await h.psql(`SELECT count(*) FROM journal WHERE action = 'transmit.return_ambiguous'`), '2');
});
