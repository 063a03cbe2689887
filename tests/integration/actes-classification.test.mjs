// An organisation's @ctes classification (issue 11, point 2): the real
// RetourClassification (7-2, s2low/class/fixtures/classification.xml) comes
// back over IMAP and lands on the organisation its file name names; it is
// served to vendors (GET /api/v1/organisations/{siren}/classification);
// acts are checked against it at the door (matière; the typologies of the
// act and of each annexe, from TypePJNatureActe, for the nature), the field
// named; each act carries its date as ClassificationDateVersion.  liasse
// asks for it (7-1) at the first act, on demand and when an ARActe names a
// later one.  The simulator keeps its own classification, answers the 7-1
// and refuses acts outside it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, acteMeta, pdfFile, fixture, skip } from '../lib/harness.mjs';
import { requireStatesim, startStatesim, configureActes, makeTls, waitState, FAST } from './transmit-common.mjs';

requireStatesim();
const xsd = fixture('parapheur-v5/xsd/actesv1_1.xsd');
const real = fixture('s2low/class/fixtures/classification.xml');
if (!xsd || !real)
	skip('ACTES XSD or classification.xml absent (LIASSE_FIXTURES)');
const h = newHarness('actes-classification');
let env, sim, tls, n = 0;

async function post(client, org, acte = {}, annexes = []) {
	n++;
	const meta = acteMeta(org, `K${process.pid % 1000}_${n}`, { sign: false, transmit: true }, acte);
	return client.postDocument(meta, pdfFile(2000, `acte-${n}.pdf`), annexes);
}

async function classification(client, siren, date, timeoutMs = 30000) {
	const t0 = Date.now();
	for (;;) {
		const r = await client.get(`/api/v1/organisations/${siren}/classification`);
		if ((r.status === 200 && (!date || r.json.date === date)) || Date.now() - t0 > timeoutMs)
			return r;
		await new Promise((res) => setTimeout(res, 300));
	}
}

async function restartSim(file) {
	const exited = new Promise((res) => sim.proc.once('exit', res));
	sim.stop();
	await exited;
	// a new platform: what the old one mailed is not read again
	const inbox = path.join(sim.dir, 'mail', 'INBOX');
	for (const f of fs.readdirSync(inbox))
		fs.rmSync(path.join(inbox, f));
	sim = await startStatesim(h, { tls, set: { 'actes.xsd': xsd, 'actes.classification': file } });
	await configureActes(h, env.orgA, sim, tls);
	await configureActes(h, env.orgB, sim, tls);
}

test.before(async () => {
	env = await h.setup(FAST);
	tls = makeTls(h);
	sim = await startStatesim(h, { tls, set: { 'actes.xsd': xsd, 'actes.classification': real } });
	await configureActes(h, env.orgA, sim, tls);
	await configureActes(h, env.orgB, sim, tls);   // the same mailbox: each takes its own
});

test.after(async () => {
	sim.stop();
	await h.stopAll();
});

test('the real RetourClassification comes back over IMAP and lands on its organisation', async () => {
	assert.equal((await env.a.get(`/api/v1/organisations/${env.orgA}/classification`)).status, 404);
	const s = await sim.actesSend('classification', `045-${env.orgA}`);
	assert.equal(s.status, 200, s.text);
	const r = await classification(env.a, env.orgA);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.date, '2004-04-01');
	assert.deepEqual(r.json.natures.map((x) => [x.code, x.type_abrege]),
		[[1, 'DE'], [2, 'AR'], [3, 'AI'], [4, 'CC'], [5, 'BF'], [6, 'AU']]);
	assert.equal(r.json.natures[0].libelle, 'Deliberations');
	assert.deepEqual(r.json.natures[0].typologies, []);
	assert.equal(r.json.matieres.length, 9 + 57);
	assert.deepEqual(r.json.matieres.find((m) => m.code === '1.1'), { code: '1.1', libelle: 'Marchés publics' });
	assert.deepEqual(r.json.matieres.find((m) => m.code === '7'), { code: '7', libelle: 'Finances locales' });
	assert.ok(r.json.received_at, r.text);
	// kept as received, byte for byte
	const sha = createHash('sha256').update(fs.readFileSync(real)).digest('hex');
	assert.equal(await h.psql(`SELECT encode(sha256(classification), 'hex') FROM organisation WHERE siren = '${env.orgA}'`), sha);
	// not the other organisation's, which read the same mailbox
	assert.equal((await env.b.get(`/api/v1/organisations/${env.orgB}/classification`)).status, 404);
	assert.equal((await env.b.get(`/api/v1/organisations/${env.orgA}/classification`)).status, 403);
	assert.equal(await h.psql(`SELECT count(*) FROM journal WHERE action = 'organisation.classification'`), '1');
});

test('a matière outside the classification is refused at the door, the field named', async () => {
	const r = await post(env.a, env.orgA, { classification: '9.9' });
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.field, 'metadata.acte.classification', r.text);
	assert.match(r.json.detail, /9\.9.*2004-04-01/);
	assert.equal(await h.psql(`SELECT count(*) FROM document WHERE meta->>'classification' = '9.9'`), '0');
});

test('an act of the classification goes out with its date as ClassificationDateVersion', async () => {
	const r = await post(env.a, env.orgA, { classification: '1.1' });
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.a, r.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const name = await h.psql(`SELECT remote_name FROM transmission WHERE doc_id = '${r.json.id}'`);
	const dir = path.join(h.tmp, 'a1');
	fs.mkdirSync(dir);
	execFileSync('tar', ['-xzf', path.join(sim.dir, 'actes', 'received', name), '-C', dir]);
	const form = fs.readdirSync(dir).find((f) => f.endsWith('-1-1_0.xml'));
	assert.match(fs.readFileSync(path.join(dir, form), 'latin1'),
		/<actes:ClassificationDateVersion>2004-04-01<\/actes:ClassificationDateVersion>/);
});

test('the simulator refuses an act outside its own classification (AnomalieActe)', async () => {
	// orgB has no classification in liasse: only the shape is checked at its door
	const r = await post(env.b, env.orgB, { classification: '9.9' });
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.b, r.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'refused', JSON.stringify(done));
	assert.match(done.reason, /AnomalieActe.*006.*9\.9/);
	// its first act asked for the classification (7-1, valid for the platform): it came back
	const c = await classification(env.b, env.orgB, '2004-04-01');
	assert.equal(c.status, 200, c.text);
	assert.ok((await sim.counts()).actes.RetourClassification >= 1);
	const req = await h.psql(`SELECT classification_requested_at IS NOT NULL FROM organisation WHERE siren = '${env.orgB}'`);
	assert.equal(req, 't');
});

test('typologies: the act\'s and each annexe\'s must be the nature\'s (TypePJNatureActe)', async () => {
	// the real file with typologies for nature 1, dated later: the platform changed it
	const text = fs.readFileSync(real).toString('latin1')
		.replace('<actes:DateClassification>2004-04-01<', '<actes:DateClassification>2026-01-15<')
		.replace(/(<actes:NatureActe actes:CodeNatureActe="1"[^>]*?)\s*\/>/,
			'$1>\r\n      <actes:TypePJNatureActe actes:CodeTypePJ="99_DE" actes:Libelle="D\xe9lib\xe9ration"/>'
			+ '\r\n      <actes:TypePJNatureActe actes:CodeTypePJ="22_DP" actes:Libelle="Plan"/>\r\n    </actes:NatureActe>');
	const file = path.join(h.tmp, 'classification-types.xml');
	fs.writeFileSync(file, Buffer.from(text, 'latin1'));
	await restartSim(file);
	const s = await sim.actesSend('classification', `045-${env.orgA}`);
	assert.equal(s.status, 200, s.text);
	const c = await classification(env.a, env.orgA, '2026-01-15');
	assert.equal(c.status, 200, c.text);
	assert.deepEqual(c.json.natures[0].typologies, [{ code: '99_DE', libelle: 'Délibération' },
		{ code: '22_DP', libelle: 'Plan' }]);

	const t1 = await post(env.a, env.orgA, { type_piece: '41_NC' });
	assert.equal(t1.status, 422, t1.text);
	assert.equal(t1.json.field, 'metadata.acte.type_piece');
	const annexes = [pdfFile(1000, 'a1.pdf'), pdfFile(1000, 'a2.pdf')];
	const t2 = await post(env.a, env.orgA, { annexes_types: ['22_DP', '41_NC'] }, annexes);
	assert.equal(t2.status, 422, t2.text);
	assert.equal(t2.json.field, 'metadata.acte.annexes_types[1]');
	// another nature lists none: any well-formed code
	const t3 = await post(env.a, env.orgA, { nature: 4, type_piece: '41_NC' });
	assert.equal(t3.status, 201, t3.text);

	const ok = await post(env.a, env.orgA, { annexes_types: ['22_DP', '99_DE'] }, annexes);
	assert.equal(ok.status, 201, ok.text);
	const done = await waitState(env.a, ok.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const name = await h.psql(`SELECT remote_name FROM transmission WHERE doc_id = '${ok.json.id}'`);
	const dir = path.join(h.tmp, 'a2');
	fs.mkdirSync(dir);
	execFileSync('tar', ['-xzf', path.join(sim.dir, 'actes', 'received', name), '-C', dir]);
	const form = fs.readdirSync(dir).find((f) => f.endsWith('-1-1_0.xml'));
	assert.match(fs.readFileSync(path.join(dir, form), 'latin1'), /ClassificationDateVersion>2026-01-15</);

	// orgB (no classification in liasse): the simulator refuses the typology
	const b = await post(env.b, env.orgB, { type_piece: '41_NC' });
	assert.equal(b.status, 201, b.text);
	const bd = await waitState(env.b, b.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(bd.state, 'refused', JSON.stringify(bd));
	assert.match(bd.reason, /AnomalieActe.*007.*41_NC/);
});

test('a later classification named by an ARActe, or asked for, is requested (7-1) and replaces the stored one', async () => {
	const text = fs.readFileSync(real).toString('latin1')
		.replace('<actes:DateClassification>2004-04-01<', '<actes:DateClassification>2026-02-01<');
	const file = path.join(h.tmp, 'classification-2026-02.xml');
	fs.writeFileSync(file, Buffer.from(text, 'latin1'));
	await restartSim(file);
	// orgB holds 2004-04-01: the ARActe says 2026-02-01
	const r = await post(env.b, env.orgB, { classification: '1.1' });
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.b, r.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const b = await classification(env.b, env.orgB, '2026-02-01');
	assert.equal(b.status, 200, b.text);
	assert.equal(b.json.date, '2026-02-01');
	// on demand
	const q = await env.a.post(`/api/v1/organisations/${env.orgA}/classification/request`);
	assert.equal(q.status, 202, q.text);
	const a = await classification(env.a, env.orgA, '2026-02-01');
	assert.equal(a.json.date, '2026-02-01', a.text);
	assert.equal((await env.b.post(`/api/v1/organisations/${env.orgA}/classification/request`)).status, 403);
	// the 7-1 as the platform received it: valid, the stored date in it
	const names = fs.readdirSync(path.join(sim.dir, 'actes', 'received'));
	let found = 0;
	for (const name of names) {
		const dir = path.join(h.tmp, `r-${name}`);
		fs.mkdirSync(dir);
		execFileSync('tar', ['-xzf', path.join(sim.dir, 'actes', 'received', name), '-C', dir]);
		const form = fs.readdirSync(dir).find((f) => f === `045-${env.orgA}----7-1_0.xml`);
		if (!form)
			continue;
		const x = fs.readFileSync(path.join(dir, form), 'latin1');
		if (!/2026-01-15/.test(x))
			continue;
		assert.match(x, /<actes:DemandeClassification [^>]*>\s*<actes:DateClassification>2026-01-15<\/actes:DateClassification>/);
		execFileSync('xmllint', ['--noout', '--nonet', '--schema', xsd, path.join(dir, form)], { stdio: 'pipe' });
		found++;
	}
	assert.equal(found, 1, names.join(' '));
});
