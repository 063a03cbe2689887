//The annulation of an acknowledged act over @ctes (issue 11, point 3):
// POST /api/v1/documents/{id}/cancel puts it in 'cancelling', the 6-1
// Annulation goes out in its own archive (checked here against the official
// ACTES XSD, as the simulator checks it), the 6-2 ARAnnulation comes back by
// e-mail, is attached, and the act ends 'cancelled'.  An interrupted send of
// the 6-1 is reconciled before it is sent again.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, acteMeta, pdfFile, fixture, skip, download, request, PASSWORD, OFFICIAL_A } from '../lib/harness.mjs';
import { requireStatesim, startStatesim, configureActes, makeTls, waitState, FAST } from './transmit-common.mjs';

requireStatesim();
const xsd = fixture('parapheur-v5/xsd/actesv1_1.xsd');
if (!xsd)
	skip('ACTES XSD absent (LIASSE_FIXTURES)');
const h = newHarness('actes-cancel');
let env, sim, tls, n = 0, firstCancelled;

async function acknowledgedActe() {
	n++;
	const meta = acteMeta(env.orgA, `C${process.pid % 1000}_${n}`, { sign: false, transmit: true });
	const r = await env.a.postDocument(meta, pdfFile(2000, `acte-${n}.pdf`));
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.a, r.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	return done;
}

async function row(sql) {
	return (await h.psql(sql)).split('|');
}

test.before(async () => {
	env = await h.setup(FAST);
	tls = makeTls(h);
	sim = await startStatesim(h, { tls, set: { 'actes.xsd': xsd } });
	await configureActes(h, env.orgA, sim, tls);
});

test.after(async () => {
	sim.stop();
	await h.stopAll();
});

test('annulation of an acknowledged act: 6-1 sent, 6-2 attached, cancelled', async () => {
	const doc = await acknowledgedActe();
	const [key] = await row(`SELECT match_key FROM transmission WHERE doc_id = '${doc.id}'`);
	const c = await env.a.post(`/api/v1/documents/${doc.id}/cancel`);
	assert.equal(c.status, 200, c.text);
	assert.ok(['cancelling', 'cancelled'].includes(c.json.state), c.text);
	const done = await waitState(env.a, doc.id, ['cancelled', 'acknowledged'], 60000);
	assert.equal(done.state, 'cancelled', JSON.stringify(done));
	const ack = done.files.find((f) => f.role === 'cancel_ack');
	assert.ok(ack, JSON.stringify(done.files));
	assert.equal(ack.name, `${key}-6-2_0.xml`);
	const body = await download(env.d.url, env.keyA, ack.href);
	assert.equal(body.sha256, ack.sha256);

	// The 6-1 archive as the platform received it, once.
	const [name, state, sends] = await row(`SELECT remote_name, state, sends FROM cancellation WHERE doc_id = '${doc.id}'`);
	assert.equal(state, 'acknowledged');
	assert.equal(Number(sends), 1);
	const counts = await sim.counts();
	assert.equal(counts.actes[name], 1);
	assert.equal(counts.actes.ARAnnulation, 1);
	const dir = path.join(h.tmp, 'annulation');
	fs.mkdirSync(dir);
	execFileSync('tar', ['-xzf', path.join(sim.dir, 'actes', 'received', name), '-C', dir]);
	const envName = name.replace(/^LIA-/, '').replace(/\.tar\.gz$/, '.xml');
	assert.deepEqual(fs.readdirSync(dir).sort(), [`${key}-6-1_0.xml`, envName].sort());
	for (const x of fs.readdirSync(dir))
		execFileSync('xmllint', ['--noout', '--nonet', '--schema', xsd, path.join(dir, x)], { stdio: 'pipe' });
	const msg = fs.readFileSync(path.join(dir, `${key}-6-1_0.xml`), 'latin1');
	assert.match(msg, new RegExp(`<actes:Annulation [^>]*actes:IDActe="${key}"`));

	// Journaled through the one state machine; a second cancel is a no-op.
	const states = await h.psql(`SELECT string_agg(action, ',' ORDER BY id) FROM journal
		WHERE doc_id = '${doc.id}' AND action IN ('document.cancelling', 'document.cancelled')`);
	assert.equal(states, 'document.cancelling,document.cancelled');
	const again = await env.a.post(`/api/v1/documents/${doc.id}/cancel`);
	assert.equal(again.status, 200, again.text);
	assert.equal(again.json.state, 'cancelled');
	firstCancelled = doc.id;
});

test('an agent asks for the annulation from the act\'s page; a signer who is not an agent may not', async () => {
	const doc = await acknowledgedActe();
	const AGENT = 'agent-annulation@saint-essai.test';
	await h.person({ email: AGENT, name: 'Agathe Agente', password: PASSWORD, roles: [{ org: env.orgA, role: 'agent' }] });
	await h.mustCli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' });
	const form = async (email) => {
		const who = await env.d.login(email);
		const page = await request(env.d.url, { path: `/documents/${doc.id}`, headers: { Cookie: who.cookie } });
		return { who, page };
	};
	const post = (who, body) => request(env.d.url, { method: 'POST', path: `/documents/${doc.id}/annulation`,
		headers: { Cookie: who.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
		body: Buffer.from(new URLSearchParams(body).toString()) });
	// the official who may see the act is offered no annulation and is refused one
	const off = await form(OFFICIAL_A);
	assert.doesNotMatch(off.page.text, /Demander l’annulation/);
	const refused = await post(off.who, { csrf: off.who.session.csrf });
	assert.equal(refused.status, 403, refused.text);
	const ag = await form(AGENT);
	assert.equal(ag.page.status, 200);
	assert.match(ag.page.text, /Demander l’annulation/);
	assert.equal((await post(ag.who, { motif: 'Erreur de visa' })).status, 403, 'no CSRF token, no annulation');
	const r = await post(ag.who, { csrf: ag.who.session.csrf, motif: 'Délibération rapportée' });
	assert.equal(r.status, 303, r.text);
	const done = await waitState(env.a, doc.id, ['cancelled', 'acknowledged'], 60000);
	assert.equal(done.state, 'cancelled', JSON.stringify(done));
	assert.equal(await h.psql(`SELECT actor FROM journal WHERE doc_id = '${doc.id}' AND action = 'document.cancelling'`),
		`person:${AGENT}`, 'journaled with the agent as actor');
});

test('an annulation the platform refuses: the act acknowledged again, the anomaly attached, its reason given', async () => {
	// liasse forgot (a restored database): the act it cancelled looks acknowledged again
	await h.psql(`UPDATE document SET state = 'acknowledged' WHERE id = '${firstCancelled}'`);
	const c = await env.a.post(`/api/v1/documents/${firstCancelled}/cancel`);
	assert.equal(c.status, 200, c.text);
	const t0 = Date.now();
	let d;
	do {
		await new Promise((res) => setTimeout(res, 300));
		d = (await env.a.get(`/api/v1/documents/${firstCancelled}`)).json;
	} while (d.state === 'cancelling' && Date.now() - t0 < 60000);
	assert.equal(d.state, 'acknowledged', JSON.stringify(d));
	assert.match(d.reason, /AnomalieEnveloppe.*déjà annulé/);
	assert.equal(d.files.filter((f) => f.role === 'anomaly').length, 1);
	const [state, sends] = await row(`SELECT state, sends FROM cancellation WHERE doc_id = '${firstCancelled}'`);
	assert.equal(state, 'refused');
	assert.equal(Number(sends), 1, 'a new archive for the new annulation, sent once');
});

test('before the acknowledgement: queued is withdrawn at once, transmitted is refused (409), as S²LOW does', async () => {
	await h.psql(`UPDATE connector SET settings = settings || '{"url": "https://127.0.0.1:1/"}'
		WHERE kind = 'actes' AND org_id = (SELECT id FROM organisation WHERE siren = '${env.orgA}')`);
	const meta = acteMeta(env.orgA, `C${process.pid % 1000}_Q`, { sign: false, transmit: true });
	const r = await env.a.postDocument(meta, pdfFile(2000, 'acte-q.pdf'));
	assert.equal(r.status, 201, r.text);
	const c = await env.a.post(`/api/v1/documents/${r.json.id}/cancel`);   // queued: nothing listens
	assert.equal(c.status, 200, c.text);
	assert.equal(c.json.state, 'cancelled');
	await configureActes(h, env.orgA, sim, tls);

	await sim.fault('actes', 'delay_ack', 1, 8);   // 201 now, the ARActe 8 s later
	const meta2 = acteMeta(env.orgA, `C${process.pid % 1000}_T`, { sign: false, transmit: true });
	const r2 = await env.a.postDocument(meta2, pdfFile(2000, 'acte-t.pdf'));
	assert.equal(r2.status, 201, r2.text);
	const sent = await waitState(env.a, r2.json.id, ['transmitted', 'acknowledged', 'failed']);
	assert.equal(sent.state, 'transmitted', JSON.stringify(sent));
	const refused = await env.a.post(`/api/v1/documents/${r2.json.id}/cancel`);
	assert.equal(refused.status, 409, refused.text);
	assert.match(refused.json.hint, /acknowledged/);
	const done = await waitState(env.a, r2.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged');
});

test('the 6-1 cut in the middle: reconciled, the same archive sent again, received once', async () => {
	const doc = await acknowledgedActe();
	await sim.fault('actes', 'cut', 1);
	const c = await env.a.post(`/api/v1/documents/${doc.id}/cancel`);
	assert.equal(c.status, 200, c.text);
	const done = await waitState(env.a, doc.id, ['cancelled', 'acknowledged'], 90000);
	assert.equal(done.state, 'cancelled', JSON.stringify(done));
	const [name, sends] = await row(`SELECT remote_name, sends FROM cancellation WHERE doc_id = '${doc.id}'`);
	assert.equal(Number(sends), 2, 'sent again after the reconciliation');
	assert.equal((await sim.counts()).actes[name], 1);
	assert.equal(done.files.filter((f) => f.role === 'cancel_ack').length, 1);
});
