// The prefecture's letters about an act and the answers to them (issue 11,
// point 4; doc/actes-letters.md): the real courrier simple and déféré of
// s2low/class/fixtures come back over IMAP and land on their act (an act of
// the fixtures' organisation, 000000000 in département 034, numbered as they
// are); each becomes a letter with its legal deadline, an event and a
// webhook; a courrier simple is answered from the API and the simulator
// receives a 2-2 valid against the ACTES XSD; a demande de pièces
// complémentaires is answered by a 3-2 carrying the pieces.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { newHarness, acteMeta, pdfFile, fixture, skip, multipart, download, sleep, sha256 } from '../lib/harness.mjs';
import { requireStatesim, startStatesim, configureActes, makeTls, waitState, FAST } from './transmit-common.mjs';

requireStatesim();
const xsd = fixture('parapheur-v5/xsd/actesv1_1.xsd');
const letters = fixture('s2low/class/fixtures');
if (!xsd || !letters)
	skip('ACTES XSD or s2low/class/fixtures absent (LIASSE_FIXTURES)');
const h = newHarness('actes-letters');
const ORG_Z = '000000000';   // the organisation of the fixtures' letters (034-000000000-...)
let env, sim, tls, z, zKey, rx, n = 0;
const deliveries = [];

async function acknowledged(client, org, numero, acte = {}) {
	const meta = acteMeta(org, numero, { sign: false, transmit: true }, acte);
	const r = await client.postDocument(meta, pdfFile(2000, `acte-${++n}.pdf`));
	assert.equal(r.status, 201, r.text);
	const done = await waitState(client, r.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	return done;
}

async function waitLetters(client, id, count, timeoutMs = 60000) {
	const t0 = Date.now();
	for (;;) {
		const r = await client.get(`/api/v1/documents/${id}/letters`);
		assert.equal(r.status, 200, r.text);
		if (r.json.items.length >= count)
			return r.json.items;
		if (Date.now() - t0 > timeoutMs)
			throw new Error(`${count} letter(s) expected on ${id}: ${r.text}`);
		await sleep(300);
	}
}

async function waitAnswer(client, doc, letter, states, timeoutMs = 60000) {
	const t0 = Date.now();
	for (;;) {
		const r = await client.get(`/api/v1/documents/${doc}/letters/${letter}`);
		assert.equal(r.status, 200, r.text);
		if (r.json.answer && states.includes(r.json.answer.state))
			return r.json;
		if (Date.now() - t0 > timeoutMs)
			throw new Error(`answer of letter ${letter} not ${states}: ${r.text}`);
		await sleep(300);
	}
}

function answer(client, doc, letter, code, files) {
	const parts = [{ name: 'code', data: code }];
	for (const f of files)
		parts.push({ name: 'file', filename: f.name, type: 'application/pdf', data: f.data });
	const mp = multipart(parts);
	return client.post(`/api/v1/documents/${doc}/letters/${letter}/answer`, mp.body,
		{ 'Content-Type': mp.contentType });
}

// The answer's archive as the simulator received it: extracted, every XML
// checked against the official XSD; returns the files' names and the form.
function received(name, code) {
	const dir = path.join(h.tmp, `answer-${name}`);
	fs.mkdirSync(dir);
	execFileSync('tar', ['-xzf', path.join(sim.dir, 'actes', 'received', name), '-C', dir]);
	const files = fs.readdirSync(dir).sort();
	for (const x of files.filter((f) => f.endsWith('.xml')))
		execFileSync('xmllint', ['--noout', '--nonet', '--schema', xsd, path.join(dir, x)], { stdio: 'pipe' });
	const form = files.find((f) => f.endsWith(`-${code}_0.xml`));
	return { files, form: fs.readFileSync(path.join(dir, form), 'latin1'), dir };
}

test.before(async () => {
	env = await h.setup({ ...FAST, webhook_allow_private: 'yes' });
	// vendor A's webhook receiver: every delivery kept
	rx = http.createServer((req, res) => {
		const c = [];
		req.on('data', (d) => c.push(d));
		req.on('end', () => {
			deliveries.push(JSON.parse(Buffer.concat(c).toString()));
			res.end('ok');
		});
	});
	await new Promise((res) => rx.listen(0, '127.0.0.1', res));
	const w = await env.a.post('/api/v1/webhooks', Buffer.from(JSON.stringify({ url: `http://127.0.0.1:${rx.address().port}/hook` })),
		{ 'Content-Type': 'application/json' });
	assert.equal(w.status, 201, w.text);
	tls = makeTls(h);
	sim = await startStatesim(h, { tls, set: { 'actes.xsd': xsd } });
	await configureActes(h, env.orgA, sim, tls);
	await h.addOrg(ORG_Z, { name: 'Commune des fixtures', departement: '034', arrondissement: 1 });
	zKey = await h.addClient('vendor-z', [ORG_Z]);
	z = env.d.client(zKey);
	await configureActes(h, ORG_Z, sim, tls);
});

test.after(async () => {
	rx.close();
	sim.stop();
	await h.stopAll();
});

test('the real courrier simple and déféré come back over IMAP and land on their act', async () => {
	// the act the fixtures' letters are about: 034-000000000-20170701-20170725A-AI
	const doc = await acknowledged(z, ORG_Z, '20170725A', { nature: 3, date_decision: '2017-07-01' });
	assert.equal(await h.psql(`SELECT match_key FROM transmission WHERE doc_id = '${doc.id}'`),
		'034-000000000-20170701-20170725A-AI');
	const since = Number(await h.psql('SELECT coalesce(max(id), 0) FROM event'));
	for (const dir of ['test-courrier-simple', 'test-defere-ta', 'test-courrier-simple-renumerote']) {
		const s = await sim.actesSend('files', path.join(letters, dir));
		assert.equal(s.status, 200, s.text);
	}
	const items = await waitLetters(z, doc.id, 3);
	const cs = items.find((l) => l.form.endsWith('-2-1_0.xml')), ta = items.find((l) => l.code === '5-1');
	// the renumbered one (form _17, document _16) is a letter of its own on the same act
	const re = items.find((l) => l.form === '034-000000000-20170701-20170725A-AI-2-1_17.xml');
	assert.ok(re, JSON.stringify(items));
	assert.equal(re.code, '2-1');
	assert.ok(cs && ta, JSON.stringify(items));
	assert.equal(cs.label, 'Courrier simple');
	assert.equal(cs.idacte, '034-000000000-20170701-20170725A-AI');
	assert.equal(cs.date, '2017-07-25');
	assert.equal(cs.deadline, null);             // a courrier simple has no legal deadline
	assert.deepEqual(cs.answers, ['2-2']);
	assert.equal(cs.form, '034-000000000-20170701-20170725A-AI-2-1_0.xml');
	assert.ok(cs.files.some((f) => f.name === cs.form), JSON.stringify(cs.files));
	assert.equal(ta.label, 'Déféré au tribunal administratif');
	assert.equal(ta.date, '2017-07-01');         // DateDepot
	assert.equal(ta.text, 'NATURE_TEST');        // NatureIllegalite
	assert.deepEqual(ta.answers, []);            // not answered through @ctes
	assert.equal(cs.answer, null);
	// the files are the act's, byte for byte as the platform wrote them
	const file = cs.files.find((f) => f.name === cs.form);
	const body = await download(env.d.url, zKey, file.href);
	assert.equal(body.status, 200);
	assert.equal(body.sha256, sha256(fs.readFileSync(path.join(letters, 'test-courrier-simple', cs.form))));
	// an event for each, in the vendor's feed, naming the letter
	const ev = await h.psql(`SELECT string_agg(letter_id::text, ',' ORDER BY letter_id)
		FROM event WHERE id > ${since} AND doc_id = '${doc.id}' AND type = 'document.letter'`);
	assert.equal(ev, [cs.id, ta.id, re.id].sort((a, b) => a - b).join(','));
	// the déféré cannot be answered: 409 with the reason
	const r = await answer(z, doc.id, ta.id, '2-2', [pdfFile(900, 'x.pdf')]);
	assert.equal(r.status, 409, r.text);
	assert.match(r.json.detail || r.json.title, /not answered through @ctes/);
	// the same courrier mailed again: its file is kept, no second letter
	const files = Number(await h.psql(`SELECT count(*) FROM document_file WHERE doc_id = '${doc.id}'`));
	assert.equal((await sim.actesSend('files', path.join(letters, 'test-courrier-simple'))).status, 200);
	for (const t0 = Date.now(); Date.now() - t0 < 60000;) {
		if (Number(await h.psql(`SELECT count(*) FROM document_file WHERE doc_id = '${doc.id}'`)) > files)
			break;
		await sleep(300);
	}
	assert.ok(Number(await h.psql(`SELECT count(*) FROM document_file WHERE doc_id = '${doc.id}'`)) > files);
	assert.equal(await h.psql(`SELECT count(*) FROM letter WHERE doc_id = '${doc.id}'`), '3');
});

test('a courrier simple answered from the API: the simulator receives a valid 2-2', async () => {
	const doc = await acknowledged(env.a, env.orgA, `L${process.pid % 1000}_1`);
	const key = await h.psql(`SELECT match_key FROM transmission WHERE doc_id = '${doc.id}'`);
	const s = await sim.actesSend('courrier', key);
	assert.equal(s.status, 200, s.text);
	const [letter] = await waitLetters(env.a, doc.id, 1);
	assert.equal(letter.code, '2-1');
	const today = new Date().toISOString().slice(0, 10);
	assert.equal(letter.date, today);
	// the feed tells the vendor, with the letter
	const feed = await env.a.get('/api/v1/events?after=0&limit=200');
	assert.equal(feed.status, 200, feed.text);
	const ev = feed.json.items.find((e) => e.type === 'document.letter' && e.document === doc.id);
	assert.ok(ev, feed.text);
	assert.equal(ev.letter.id, letter.id);
	assert.equal(ev.state, 'acknowledged');
	// and the webhook pushes the same event
	for (const t0 = Date.now(); Date.now() - t0 < 30000 && !deliveries.some((d) => d.type === 'document.letter' &&
		d.document === doc.id);)
		await sleep(300);
	const hook = deliveries.find((d) => d.type === 'document.letter' && d.document === doc.id);
	assert.ok(hook, JSON.stringify(deliveries.map((d) => d.type)));
	assert.equal(hook.letter.code, '2-1');
	assert.equal(hook.id, ev.id);

	// bad answers are refused before anything is written
	let r = await answer(env.a, doc.id, letter.id, '3-2', [pdfFile(900, 'x.pdf')]);
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.field, 'code');
	r = await answer(env.a, doc.id, letter.id, '2-2', [{ name: 'x.txt', data: Buffer.from('hello') }]);
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.field, 'file');
	r = await answer(env.a, doc.id, letter.id, '2-2', [pdfFile(900, 'a.pdf'), pdfFile(900, 'b.pdf')]);
	assert.equal(r.status, 422, r.text);
	r = await answer(env.b, doc.id, letter.id, '2-2', [pdfFile(900, 'a.pdf')]);
	assert.equal(r.status, 404, r.text);   // not vendor B's document
	assert.equal(await h.psql(`SELECT answer_state FROM letter WHERE id = ${letter.id}`), 'none');

	const pdf = pdfFile(3000, 'reponse-maire.pdf');
	r = await answer(env.a, doc.id, letter.id, '2-2', [pdf]);
	assert.equal(r.status, 202, r.text);
	assert.equal(r.json.answer.code, '2-2');
	const done = await waitAnswer(env.a, doc.id, letter.id, ['sent', 'refused']);
	assert.equal(done.answer.state, 'sent', JSON.stringify(done));
	r = await answer(env.a, doc.id, letter.id, '2-2', [pdf]);
	assert.equal(r.status, 409, r.text);   // answered once

	const name = done.answer.name;
	const counts = await sim.counts();
	assert.equal(counts.actes[name], 1);
	assert.equal(counts.actes.ReponseCourrierSimple, 1, JSON.stringify(counts.actes));
	const a = received(name, '2-2');
	assert.deepEqual(a.files, [`${key}-2-2_0.xml`, `${key}-2-2_1.pdf`,
		name.replace(/^LIA-/, '').replace(/\.tar\.gz$/, '.xml')].sort());
	assert.match(a.form, new RegExp(`<actes:ReponseCourrierSimple [^>]*actes:IDActe="${key}"`));
	assert.match(a.form, new RegExp(`actes:DateCourrierPref="${today}"`));
	assert.deepEqual(fs.readFileSync(path.join(a.dir, `${key}-2-2_1.pdf`)), pdf.data);
	assert.equal(await h.psql(`SELECT count(*) FROM journal WHERE action = 'document.letter_answer' AND doc_id = '${doc.id}'`), '1');
});

test('a demande de pièces complémentaires: deadline two months on, answered by a 3-2 with the pieces', async () => {
	const doc = await acknowledged(env.a, env.orgA, `L${process.pid % 1000}_2`);
	const key = await h.psql(`SELECT match_key FROM transmission WHERE doc_id = '${doc.id}'`);
	assert.equal((await sim.actesSend('pieces', key)).status, 200);
	const [letter] = await waitLetters(env.a, doc.id, 1);
	assert.equal(letter.code, '3-1');
	assert.match(letter.text, /annexe citée à l'article 2/);
	const d = new Date(`${letter.date}T00:00:00Z`);
	d.setUTCMonth(d.getUTCMonth() + 2);
	assert.equal(letter.deadline, d.toISOString().slice(0, 10));
	assert.deepEqual(letter.answers, ['3-2', '3-3']);
	const pieces = [pdfFile(1500, 'piece-1.pdf'), pdfFile(2500, 'piece-2.pdf')];
	const r = await answer(env.a, doc.id, letter.id, '3-2', pieces);
	assert.equal(r.status, 202, r.text);
	const done = await waitAnswer(env.a, doc.id, letter.id, ['sent', 'refused']);
	assert.equal(done.answer.state, 'sent', JSON.stringify(done));
	assert.deepEqual(done.answer.files.map((f) => f.name), ['piece-1.pdf', 'piece-2.pdf']);
	const counts = await sim.counts();
	assert.equal(counts.actes.PieceComplementaire, 1, JSON.stringify(counts.actes));
	const a = received(done.answer.name, '3-2');
	assert.match(a.form, /<actes:PieceComplementaire /);
	assert.match(a.form, new RegExp(`<actes:NomFichier>${key}-3-2_1.pdf</actes:NomFichier>[\\s\\S]*`
		+ `<actes:NomFichier>${key}-3-2_2.pdf</actes:NomFichier>`));
	assert.deepEqual(fs.readFileSync(path.join(a.dir, `${key}-3-2_2.pdf`)), pieces[1].data);

	// the platform's ARPieceComplementaire (ACTES XSD: ARReponseCL, InfosCourrierPref naming the act
	// and the letter's date; written here, checked against the XSD) acknowledges the answer
	const dir = path.join(h.tmp, 'arpc');
	fs.mkdirSync(dir);
	const ar = path.join(dir, `ARPieceComplementaire-${key}.xml`);
	fs.writeFileSync(ar, Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?>\n<actes:ARPieceComplementaire `
		+ `xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216" actes:DateReception="${letter.date}">`
		+ `<actes:InfosCourrierPref actes:IDActe="${key}" actes:DateCourrierPref="${letter.date}"/>`
		+ '</actes:ARPieceComplementaire>\n', 'latin1'));
	execFileSync('xmllint', ['--noout', '--nonet', '--schema', xsd, ar], { stdio: 'pipe' });
	assert.equal((await sim.actesSend('files', dir)).status, 200);
	const acked = await waitAnswer(env.a, doc.id, letter.id, ['acknowledged']);
	assert.ok(acked.answer.acknowledged_at, JSON.stringify(acked));
});

test('a lettre d\'observations refused (4-3): RejetLettreObservations valid, then no second answer', async () => {
	const doc = await acknowledged(env.a, env.orgA, `L${process.pid % 1000}_3`);
	const key = await h.psql(`SELECT match_key FROM transmission WHERE doc_id = '${doc.id}'`);
	assert.equal((await sim.actesSend('observations', key)).status, 200);
	const [letter] = await waitLetters(env.a, doc.id, 1);
	assert.equal(letter.code, '4-1');
	assert.match(letter.text, /Observations sur la légalité/);
	assert.ok(letter.deadline, JSON.stringify(letter));
	assert.deepEqual(letter.answers, ['4-2', '4-3']);
	const r = await answer(env.a, doc.id, letter.id, '4-3', [pdfFile(1400, 'refus.pdf')]);
	assert.equal(r.status, 202, r.text);
	const done = await waitAnswer(env.a, doc.id, letter.id, ['sent', 'refused']);
	assert.equal(done.answer.state, 'sent', JSON.stringify(done));
	assert.equal((await sim.counts()).actes.RejetLettreObservations, 1);
	const a = received(done.answer.name, '4-3');
	assert.match(a.form, new RegExp(`<actes:RejetLettreObservations [^>]*actes:IDActe="${key}"`));
	assert.equal((await answer(env.a, doc.id, letter.id, '4-2', [pdfFile(1400, 'r.pdf')])).status, 409);
});

// An answer cut in the middle of its POST: no @ctes message acknowledges a
// 2-2, so nothing proves it arrived; the job counts its tries while
// reconcile_wait runs (3 s here), then sends the same archive (same name)
// once more, and the platform receives it once (src/transmit/once.c).
test('an answer cut in the middle: the same archive sent again after reconcile_wait, received once', async () => {
	const doc = await acknowledged(env.a, env.orgA, `L${process.pid % 1000}_4`);
	const key = await h.psql(`SELECT match_key FROM transmission WHERE doc_id = '${doc.id}'`);
	assert.equal((await sim.actesSend('courrier', key)).status, 200);
	const [letter] = await waitLetters(env.a, doc.id, 1);
	await sim.fault('actes', 'cut', 1);
	const before = (await sim.counts()).actes.ReponseCourrierSimple || 0;
	const r = await answer(env.a, doc.id, letter.id, '2-2', [pdfFile(1200, 'reponse.pdf')]);
	assert.equal(r.status, 202, r.text);
	const done = await waitAnswer(env.a, doc.id, letter.id, ['sent', 'refused'], 90000);
	assert.equal(done.answer.state, 'sent', JSON.stringify(done));
	const [name, sends, tries, error] = (await h.psql(`SELECT answer_name, answer_sends, answer_tries,
		coalesce(answer_error, '') FROM letter WHERE id = ${letter.id}`)).split('|');
	assert.equal(name, done.answer.name);
	assert.equal(Number(sends), 2, 'sent again once reconcile_wait had passed');
	assert.ok(Number(tries) >= 2, `the cut and the wait counted as tries: ${tries}`);
	assert.equal(error, '', 'a sent answer keeps no error');
	const counts = await sim.counts();
	assert.equal(counts.actes[name], 1);
	assert.equal(counts.actes.ReponseCourrierSimple, before + 1, JSON.stringify(counts.actes));
	received(name, '2-2');
});
