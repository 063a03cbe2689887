// kill -9 of liassed during transmissions, then a restart: no document lost,
// none sent twice (the simulator counts what it received).
import test from 'node:test';
import assert from 'node:assert/strict';
import { newHarness, pesFile, acteMeta, pdfFile, skip, sleep, fixture } from '../lib/harness.mjs';
import { requireStatesim, startStatesim, configureActes, configureHelios, makeTls, waitState,
	FAST } from './transmit-common.mjs';

requireStatesim();
const xsd = fixture('parapheur-v5/xsd/actesv1_1.xsd');
if (!pesFile() || !xsd)
	skip('fixtures absent (LIASSE_FIXTURES)');
const h = newHarness('transmit-crash');
let env, sim, n = 0;

async function postPes() {
	n++;
	const r = await env.a.postDocument({ kind: 'pes', organisation: env.orgA, title: `PES ${n}`, sign: false,
		transmit: true }, pesFile(`liasse-crash-${process.pid}-${n}`));
	assert.equal(r.status, 201, r.text);
	return r.json.id;
}

async function postActe() {
	n++;
	const r = await env.a.postDocument(acteMeta(env.orgA, `K${n}`, { sign: false, transmit: true }),
		pdfFile(2000, `acte-${n}.pdf`));
	assert.equal(r.status, 201, r.text);
	return r.json.id;
}

async function sending(id, timeoutMs = 60000) {
	const t0 = Date.now();
	while (Date.now() - t0 < timeoutMs) {
		if (await h.psql(`SELECT state FROM transmission WHERE doc_id = '${id}'`) === 'sending')
			return;
		await sleep(100);
	}
	throw new Error(`${id} never reached sending`);
}

async function row(id) {
	const [sends, name] = (await h.psql(`SELECT sends, remote_name FROM transmission WHERE doc_id = '${id}'`)).split('|');
	return { sends: Number(sends), name };
}

async function crashAndRestart() {
	env.d.kill('SIGKILL');
	await env.d.exited;
	env.d = await h.startLiassed(FAST);
	env.a = env.d.client(env.keyA);
}

test.before(async () => {
	env = await h.setup(FAST);
	const tls = makeTls(h);
	sim = await startStatesim(h, { tls, set: { 'actes.xsd': xsd } });
	await configureHelios(h, env.orgA, sim);
	await configureActes(h, env.orgA, sim, tls);
});

test.after(async () => {
	sim.stop();
	await h.stopAll();
});

test('Hélios: killed in the middle of the upload, reconciled and sent once after the restart', async () => {
	await sim.fault('helios', 'hang', 1);
	const id = await postPes();
	await sending(id);
	await sleep(300);
	await crashAndRestart();
	const done = await waitState(env.a, id, ['acknowledged', 'refused', 'failed'], 120000);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const r = await row(id);
	assert.equal(r.sends, 2, 'the interrupted send, then one after reconciliation');
	assert.equal((await sim.counts()).helios[r.name], 1);
});

test('@ctes: killed in the middle of the POST, reconciled over IMAP and sent once', async () => {
	await sim.fault('actes', 'hang', 1);
	const id = await postActe();
	await sending(id);
	await sleep(300);
	await crashAndRestart();
	const done = await waitState(env.a, id, ['acknowledged', 'refused', 'failed'], 120000);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const r = await row(id);
	assert.equal(r.sends, 2);
	assert.equal((await sim.counts()).actes[r.name], 1);
});

test('killed while a batch is being transmitted: every document acknowledged, each received once', async () => {
	const ids = [];
	for (let i = 0; i < 6; i++)
		ids.push(await postPes(), await postActe());
	await sleep(400);
	await crashAndRestart();
	await sleep(200);
	await crashAndRestart();
	for (const id of ids) {
		const done = await waitState(env.a, id, ['acknowledged', 'refused', 'failed'], 120000);
		assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	}
	const counts = await sim.counts();
	for (const id of ids) {
		const r = await row(id);
		const got = r.name.startsWith('PESALR2_') ? counts.helios[r.name] : counts.actes[r.name];
		assert.equal(got, 1, `${r.name} received once (${r.sends} sends)`);
	}
	const names = new Set(await Promise.all(ids.map(async (id) => (await row(id)).name)));
	assert.equal(names.size, ids.length, 'every document has its own remote name');
});
