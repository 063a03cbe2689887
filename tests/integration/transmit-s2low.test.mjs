// The S²LOW client against a fake S²LOW (tests/lib/s2low-fake.mjs) that
// answers as S²LOW's API scripts do and refuses what they refuse (no real
// S²LOW can run in the tests: it is a PHP application with its own database
// and workers).  Over HTTPS with a client certificate, as S²LOW
// authenticates.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { execFile } from 'node:child_process';
import zlib from 'node:zlib';
import { newHarness, acteMeta, pdfFile, pesFile, fixture, skip, topBuilddir, sleep, siren } from '../lib/harness.mjs';
import { startS2lowFake } from '../lib/s2low-fake.mjs';
import { connectorSet, makeTls, secretFile, waitState, FAST } from './transmit-common.mjs';

const acquit = fixture('s2low/helios/fixtures/pes_acquit.xml');
const classification = fixture('s2low/class/fixtures/classification.xml');
const pesRetour = fixture('s2low/helios/fixtures/pes_retour.xml');
if (!pesFile() || !acquit || !classification || !pesRetour)
	skip('fixtures absent (LIASSE_FIXTURES)');
const h = newHarness('transmit-s2low');
let env, tls, fake;

const ENDS = ['acknowledged', 'refused', 'failed'];

test.before(async () => {
	env = await h.setup(FAST);
	tls = makeTls(h);
	fake = await startS2lowFake(tls, { acquit, classification,
		retours: [{ nom: 'PES_RETOUR_DEP_1.xml', date: '2026-12-01 10:00:00', file: pesRetour }] });
	await connectorSet(h, env.orgA, 's2low', { url: fake.url, cert: tls.cert, key: tls.key, cacert: tls.ca,
		pin: tls.pin, retour_interval: 1 });
	await connectorSet(h, env.orgB, 's2low', { url: fake.url, cert: tls.cert, key: tls.key, cacert: tls.ca,
		user: 'liasse', password_file: secretFile(h, 's2low.pass', 'wrong') });
});

test.after(async () => {
	fake.close();
	await h.stopAll();
});

// A multipart POST to the fake with our client certificate.
function post(path, parts) {
	const boundary = 'liasse-test-boundary';
	const body = Buffer.concat([...parts.map((p) => Buffer.concat([
		Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"` +
			`${p.filename ? `; filename="${p.filename}"` : ''}\r\n\r\n`), Buffer.from(p.data), Buffer.from('\r\n')])),
	Buffer.from(`--${boundary}--\r\n`)]);
	return new Promise((resolve, reject) => {
		const req = https.request(new URL(path, fake.url), { method: 'POST', key: fs.readFileSync(tls.key),
			cert: fs.readFileSync(tls.cert), ca: fs.readFileSync(tls.ca),
			headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length } },
		(res) => {
			const c = [];
			res.on('data', (d) => c.push(d));
			res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(c).toString('latin1') }));
		});
		req.on('error', reject);
		req.end(body);
	});
}

test('the fake refuses what S²LOW refuses: a PES not in "enveloppe", an act without type_acte', async () => {
	const pes = pesFile(`wrongfield-${process.pid}`);
	const r = await post('modules/helios/api/helios_importer_fichier.php',
		[{ name: 'enc_file', filename: 'pes.xml', data: pes.data }]);
	assert.equal(r.status, 200);
	assert.match(r.text, /<resultat>KO<\/resultat>/);
	const a = await post('modules/actes/actes_transac_create.php', [{ name: 'api', data: '1' },
		{ name: 'number', data: 'X1' }, { name: 'acte_pdf_file', filename: 'a.pdf', data: pdfFile(500).data }]);
	assert.match(a.text, /^KO\n.*typologie absente/);
});

test('liasse connector test: api/test-connexion.php and the classification; a wrong login fails', async () => {
	const r = await h.cli(['connector', 'test', '--org', env.orgA]);
	assert.equal(r.code, 0, r.stderr + r.stdout);
	assert.match(r.stdout, /s2low: ok: api\/test-connexion\.php answered OK/);
	assert.match(r.stdout, /s2low: ok: @ctes classification of 2004-04-01/);
	const bad = await h.cli(['connector', 'test', '--org', env.orgB]);
	assert.notEqual(bad.code, 0);
	assert.match(bad.stdout + bad.stderr, /Échec de l'authentification/);
	assert.equal(fake.tx.size, 0, 'nothing was created');
});

test('an act goes to S²LOW with its fields, its ARActe comes with status 4, the act is acknowledged', async () => {
	const r = await env.a.postDocument(acteMeta(env.orgA, 'S2L_1', { sign: false, transmit: true },
		{ objet: 'Vote du budget supplémentaire' }), pdfFile(2000, 'acte.pdf'), [pdfFile(1000, 'annexe.pdf')]);
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.a, r.json.id, ENDS);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const t = [...fake.tx.values()].find((x) => x.number === 'S2L_1');
	assert.equal(t.status, 4);
	assert.equal(t.fields.nature, '1');
	assert.equal(t.fields.classif1, '7');
	assert.equal(t.fields.classif2, '1');
	assert.equal(t.fields.date, r.json.acte.date_decision);
	assert.equal(t.fields.subject, 'Vote du budget supplémentaire', 'the subject in ISO-8859-1');
	assert.equal(t.fields.annexes.length, 1);
	assert.equal(t.fields.type_pj.length, 1);
	const ack = done.files.find((f) => f.role === 'ack');
	const id = await h.psql(`SELECT remote_id FROM transmission WHERE doc_id = '${r.json.id}'`);
	assert.equal(ack.name, `ARActe-${id}.xml`);
	assert.ok(fake.clientNames.has('liasse transmitter'), 'the client certificate was presented');
});

test('an act parked for want of a connector goes through the S²LOW connector set later, not the one its note named', async () => {
	const sirenC = siren('21450300');
	await h.addOrg(sirenC, { name: 'Commune en attente', departement: '045', arrondissement: 1, natureActes: 3 });
	const c = env.d.client(await h.addClient('vendor-c', [sirenC]));
	const r = await c.postDocument(acteMeta(sirenC, 'S2L_PARK', { sign: false, transmit: true }),
		pdfFile(2000, 'acte.pdf'));
	assert.equal(r.status, 201, r.text);
	assert.match(await h.psql(`SELECT connector || ': ' || last_error FROM transmission WHERE doc_id = '${r.json.id}'`),
		/^actes: no actes connector for this organisation/, 'the note names the kind\'s last connector');
	await connectorSet(h, sirenC, 's2low', { url: fake.url, cert: tls.cert, key: tls.key, cacert: tls.ca,
		pin: tls.pin });
	const done = await waitState(c, r.json.id, ENDS);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	assert.ok([...fake.tx.values()].some((x) => x.number === 'S2L_PARK'), 'sent through S²LOW');
	assert.equal(await h.psql(`SELECT connector FROM transmission WHERE doc_id = '${r.json.id}'`), 's2low');
});

test('a PES posted as "enveloppe" goes through status 8 (information disponible) to acknowledged', async () => {
	const r = await env.a.postDocument({ kind: 'pes', organisation: env.orgA, title: 'PES S²LOW', sign: false,
		transmit: true }, pesFile(`s2low-${process.pid}`));
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.a, r.json.id, ENDS);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const id = await h.psql(`SELECT remote_id FROM transmission WHERE doc_id = '${r.json.id}'`);
	assert.equal(fake.tx.get(id).status, 8);
	assert.ok(fake.requests.some((q) => q.path.endsWith('helios_importer_fichier.php') &&
		q.fields.join() === 'enveloppe'));
	assert.ok(done.files.find((f) => f.role === 'ack' && f.name === `PES_Acquit-${id}.xml`));
});

test('a PES S²LOW reports refused (6): refused with the acquit\'s anomaly', async () => {
	const r = await env.a.postDocument({ kind: 'pes', organisation: env.orgA, title: 'PES refusé', sign: false,
		transmit: true }, pesFile(`REFUS-${process.pid}`));
	const done = await waitState(env.a, r.json.id, ENDS);
	assert.equal(done.state, 'refused', JSON.stringify(done));
	assert.match(done.reason, /42.*Bordereau refusé|Bordereau refusé.*42/);
	assert.ok(done.files.find((f) => f.role === 'anomaly'));
});

test('a PES in error in S²LOW (-1): refused with S²LOW\'s message', async () => {
	const r = await env.a.postDocument({ kind: 'pes', organisation: env.orgA, title: 'PES en erreur', sign: false,
		transmit: true }, pesFile(`ERR-${process.pid}`));
	const done = await waitState(env.a, r.json.id, ENDS);
	assert.equal(done.state, 'refused', JSON.stringify(done));
	assert.match(done.reason, /erreur \(status -1\): Erreur lors de la transmission : fichier rejeté/);
});

test('an act S²LOW reports refused (6): refused with S²LOW\'s message', async () => {
	const r = await env.a.postDocument(acteMeta(env.orgA, 'REFUS_1', { sign: false, transmit: true }),
		pdfFile(2000, 'acte.pdf'));
	const done = await waitState(env.a, r.json.id, ENDS);
	assert.equal(done.state, 'refused');
	assert.match(done.reason, /refusé \(status 6\): Acte refusé par la préfecture/);
});

test('S²LOW refusing our login is not a refusal of the act: tried again, then failed with S²LOW\'s words', async () => {
	const before = fake.tx.size;
	const r = await env.b.postDocument(acteMeta(env.orgB, 'LOGIN_1', { sign: false, transmit: true }),
		pdfFile(2000, 'acte.pdf'));
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.b, r.json.id, ENDS);
	assert.equal(done.state, 'failed', JSON.stringify(done));
	assert.match(done.reason, /Échec de l'authentification/);
	const tries = await h.psql(`SELECT sends FROM transmission WHERE doc_id = '${r.json.id}'`);
	assert.ok(Number(tries) > 1, `sent ${tries} times`);
	assert.equal(fake.tx.size, before, 'S²LOW created nothing');
});

// The client calls nothing in liasse makes yet, through tests/unit/s2low_call.
function s2lowCall(...args) {
	const settings = JSON.stringify({ url: fake.url, cert: tls.cert, key: tls.key, cacert: tls.ca, pin: tls.pin });
	return new Promise((resolve) => execFile(path.join(topBuilddir, 'tests', 'unit', 's2low_call'), [settings, ...args],
		{ encoding: 'latin1' }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr })));
}

test('cancelling an acknowledged act in S²LOW (actes_transac_cancel.php); not one S²LOW refused', async () => {
	const id = await h.psql(`SELECT t.remote_id FROM transmission t JOIN document d ON d.id = t.doc_id
		WHERE d.state = 'acknowledged' AND t.connector = 's2low' AND d.kind = 'acte' LIMIT 1`);
	assert.match(id, /^\d+$/);
	const r = await s2lowCall('cancel', id);
	assert.equal(r.code, 0, r.stderr);
	const cancel = fake.tx.get(r.stdout.trim());
	assert.equal(cancel.kind, 'annulation');
	assert.equal(cancel.related, id);
	const again = await s2lowCall('cancel', id);
	assert.equal(again.code, 1);
	assert.match(Buffer.from(again.stderr, 'latin1').toString(), /annulation est déjà en cours/);
	const refused = [...fake.tx.entries()].find(([, t]) => t.number === 'REFUS_1')[0];
	const no = await s2lowCall('cancel', refused);
	assert.equal(no.code, 1);
	assert.match(Buffer.from(no.stderr, 'latin1').toString(), /pas en état « Acquittement reçu »/);
});

test('PES_Retour: listed, fetched, marked read (helios_get_list, helios_get_retour, helios_change_status)', async () => {
	const list = await s2lowCall('retours');
	assert.equal(list.code, 0, list.stderr);
	assert.equal(list.stdout, '900\tPES_RETOUR_DEP_1.xml\t2026-12-01 10:00:00\n');
	const got = await s2lowCall('retour', '900');
	assert.equal(got.code, 0, got.stderr);
	assert.equal(got.stdout, fs.readFileSync(pesRetour).toString('latin1'));
	const unknown = await s2lowCall('retour', '901');
	assert.equal(unknown.code, 1);
	assert.match(unknown.stderr, /retour id n'est pas correcte/);
	assert.equal((await s2lowCall('retour-read', '900')).code, 0);
	assert.equal((await s2lowCall('retours')).stdout, '');
});

// Issue 12, point 4: with S²LOW as its Hélios connector, the organisation's
// PES_Retour are collected from S²LOW every retour_interval seconds into the
// same store as those of the Hélios response directory.
test('PES_Retour collected from S²LOW on a schedule: kept for the organisation, marked read; another\'s stays unread', async () => {
	const text = fs.readFileSync(pesRetour).toString('latin1');
	const mine = path.join(h.tmp, 'retour-mine.xml'), theirs = path.join(h.tmp, 'retour-theirs.xml');
	fs.writeFileSync(mine, Buffer.from(text.replace('<IdColl V="12345678900035"', `<IdColl V="${env.orgA}00017"`), 'latin1'));
	fs.writeFileSync(theirs, Buffer.from(text.replace('<IdColl V="12345678900035"', '<IdColl V="66920145100015"'), 'latin1'));
	assert.notEqual(fs.readFileSync(mine).toString('latin1'), text, 'the IdColl was replaced');
	fake.pesRetours.push({ id: '950', nom: 'PES_RETOUR_DEP_950.xml', date: '2026-12-05 09:00:00', file: mine, read: false },
		{ id: '951', nom: 'PES_RETOUR_DEP_951.xml', date: '2026-12-05 09:00:00', file: theirs, read: false });
	const r950 = fake.pesRetours.find((r) => r.id === '950');
	const listed = async () => (await env.a.get(`/api/v1/organisations/${env.orgA}/returns`)).json.items;
	const t0 = Date.now();
	while (!r950.read || !(await listed()).some((x) => x.name === 'PES_RETOUR_DEP_950.xml')) {
		assert.ok(Date.now() - t0 < 60000, 'the PES_Retour was not collected from S²LOW within 60 s');
		await sleep(200);
	}
	const items = await listed();
	const got = items.filter((x) => x.name === 'PES_RETOUR_DEP_950.xml');
	assert.equal(got.length, 1);
	assert.equal(got[0].kind, 'PES_Retour');
	const file = await env.a.get(got[0].href);
	assert.equal(file.status, 200);
	assert.deepEqual(file.body, fs.readFileSync(mine), 'the bytes S²LOW served');
	assert.ok(!items.some((x) => x.name === 'PES_RETOUR_DEP_951.xml'), 'another collectivité\'s return is not ours');
	// Two more readings of the list: nothing stored twice, the other's left unread.
	const n = fake.requests.filter((q) => q.path === '/modules/helios/api/helios_get_list.php').length;
	while (fake.requests.filter((q) => q.path === '/modules/helios/api/helios_get_list.php').length < n + 2) {
		assert.ok(Date.now() - t0 < 90000, 'S²LOW\'s list was not read again');
		await sleep(200);
	}
	assert.equal((await listed()).filter((x) => x.name === 'PES_RETOUR_DEP_950.xml').length, 1);
	assert.equal(fake.pesRetours.find((r) => r.id === '951').read, false);
	const ev = await h.psql(`SELECT count(*) FROM event WHERE type = 'organisation.return' AND return_id = ${got[0].id}`);
	assert.equal(ev, '1', 'the vendor is told (feed, webhooks)');
});

test('the act stamped by S²LOW (actes_transac_get_files_list, actes_download_file tampon=true)', async () => {
	const id = [...fake.tx.entries()].find(([, t]) => t.number === 'S2L_1')[0];
	const r = await s2lowCall('stamped', id);
	assert.equal(r.code, 0, r.stderr);
	assert.ok(r.stdout.startsWith('%PDF-'));
	assert.match(r.stdout, new RegExp(`% tampon S2LOW transaction ${id}\n`));
	const refused = [...fake.tx.entries()].find(([, t]) => t.number === 'REFUS_1')[0];
	assert.equal((await s2lowCall('stamped', refused)).code, 0, 'a refused act has its files too');
	// an act posted but not yet acknowledged has nothing to stamp
	const posted = await post('modules/actes/actes_transac_create.php', [{ name: 'api', data: '1' },
		{ name: 'number', data: 'NOACK_1' }, { name: 'decision_date', data: '2024-01-02' },
		{ name: 'type_acte', data: '99_DE' }, { name: 'acte_pdf_file', filename: 'a.pdf', data: pdfFile(500).data }]);
	const m = /^OK\n(\d+)\n\n$/.exec(posted.text);
	assert.ok(m, posted.text);
	const no = await s2lowCall('stamped', m[1]);
	assert.equal(no.code, 1);
	assert.match(no.stderr, /Pas d'acquittement recu/);
});

test('the prefecture\'s documents: listed, fetched through the redirection to their archive, marked read', async () => {
	// about an act posted to S²LOW by someone else (liasse's poll leaves it unread)
	const act = [...fake.tx.entries()].find(([, t]) => t.number === 'NOACK_1')[0];
	const archive = zlib.gzipSync(Buffer.from('courrier simple de la préfecture'));
	const id = fake.addPrefDoc(act, 2, archive);
	const list = await s2lowCall('prefdocs');
	assert.equal(list.code, 0, list.stderr);
	assert.equal(list.stdout, `${id}\t2\t${act}\tNOACK_1\t034-000000000-20260101-NOACK_1-DE\t7\n`);
	const got = await s2lowCall('prefdoc', id);
	assert.equal(got.code, 0, got.stderr);
	assert.ok(Buffer.from(got.stdout, 'latin1').equals(archive));
	const notDoc = await s2lowCall('prefdoc', '999999');
	assert.equal(notDoc.code, 1);
	assert.match(Buffer.from(notDoc.stderr, 'latin1').toString(), /Numéro de transaction invalide/);
	assert.equal((await s2lowCall('prefdoc-read', id)).code, 0);
	assert.equal((await s2lowCall('prefdocs')).stdout, '');
});

// h3 (issue 11): an annexe's own signature goes to S²LOW at its annexe's index
test('an annexe\'s signature is posted as acte_attachments_sign[i], i its annexe\'s index', async () => {
	const key = path.join(h.tmp, 'sig.key'), cert = path.join(h.tmp, 'sig.pem');
	const run = (args) => new Promise((res, rej) => execFile('openssl', args, (e) => (e ? rej(e) : res())));
	await run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=s', '-days', '1']);
	const a1 = pdfFile(1000, 'a1.pdf'), a2 = pdfFile(1100, 'a2.pdf');
	fs.writeFileSync(path.join(h.tmp, 'a2.pdf'), a2.data);
	await run(['cms', '-sign', '-binary', '-in', path.join(h.tmp, 'a2.pdf'), '-signer', cert, '-inkey', key,
		'-outform', 'DER', '-out', path.join(h.tmp, 'a2.p7s')]);
	const sig = fs.readFileSync(path.join(h.tmp, 'a2.p7s'));
	const meta = acteMeta(env.orgA, 'S2L_SIG', { sign: false, transmit: true });
	const r = await env.a.postParts([{ name: 'metadata', type: 'application/json', data: JSON.stringify(meta) },
		{ name: 'file', filename: 'acte.pdf', type: 'application/pdf', data: pdfFile(2000).data },
		{ name: 'annexe', filename: a1.name, type: a1.type, data: a1.data },
		{ name: 'annexe', filename: a2.name, type: a2.type, data: a2.data },
		{ name: 'annexe_signature', filename: 'a2.p7s', type: 'application/pkcs7-signature', data: sig }]);
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.a, r.json.id, ENDS);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const t = [...fake.tx.values()].find((x) => x.number === 'S2L_SIG');
	assert.deepEqual(Object.keys(t.fields.annexe_signs), ['1']);
	assert.deepEqual(t.fields.annexe_signs['1'], sig);
	assert.equal(t.fields.annexes.length, 2);
});

// h3 (issue 11, point 4): a letter of the prefecture through S²LOW, answered.
test('a courrier simple through S²LOW lands on its act and is answered through actes_transac_reponse_create.php', async () => {
	const letters = fixture('s2low/class/fixtures/test-courrier-simple');
	const doc = await h.psql(`SELECT doc_id FROM transmission t JOIN document d ON d.id = t.doc_id
		WHERE d.meta->>'numero_interne' = 'S2L_1'`);
	const act = await h.psql(`SELECT remote_id FROM transmission WHERE doc_id = '${doc}'`);
	// the archive S²LOW hands over: the real courrier simple, its envelope and a PDF
	const dir = path.join(h.tmp, 's2low-courrier');
	fs.mkdirSync(dir);
	for (const f of fs.readdirSync(letters))
		fs.copyFileSync(path.join(letters, f), path.join(dir, f));
	fs.writeFileSync(path.join(dir, '034-000000000-20170701-20170725A-AI-2-1_1.pdf'), pdfFile(1200, 'c.pdf').data);
	const tgz = path.join(h.tmp, 's2low-courrier.tar.gz');
	await new Promise((res, rej) => execFile('tar', ['-czf', tgz, '-C', dir, '.'], (e) => (e ? rej(e) : res())));
	const id = fake.addPrefDoc(act, 2, fs.readFileSync(tgz));
	let items = [];
	for (const t0 = Date.now(); !items.length && Date.now() - t0 < 30000;) {
		await new Promise((res) => setTimeout(res, 300));
		items = (await env.a.get(`/api/v1/documents/${doc}/letters`)).json.items;
	}
	assert.equal(items.length, 1, 'the letter came through S²LOW');
	const [letter] = items;
	assert.equal(letter.code, '2-1');
	assert.equal(letter.date, '2017-07-25');
	assert.ok(letter.files.some((f) => f.name.endsWith('-2-1_1.pdf')), JSON.stringify(letter.files));
	// marked read once the letter is stored: after it shows in the API
	for (const t0 = Date.now(); !fake.tx.get(id).lu && Date.now() - t0 < 30000;)
		await new Promise((res) => setTimeout(res, 100));
	assert.equal(fake.tx.get(id).lu, true, 'marked read in S²LOW');
	assert.equal(await h.psql(`SELECT remote_id FROM letter WHERE id = ${letter.id}`), id);

	const pdf = pdfFile(2500, 'reponse.pdf');
	const parts = [{ name: 'code', data: '2-2' }, { name: 'file', filename: pdf.name, type: 'application/pdf', data: pdf.data }];
	const { multipart } = await import('../lib/harness.mjs');
	const mp = multipart(parts);
	const r = await env.a.post(`/api/v1/documents/${doc}/letters/${letter.id}/answer`, mp.body,
		{ 'Content-Type': mp.contentType });
	assert.equal(r.status, 202, r.text);
	let a;
	for (const t0 = Date.now(); Date.now() - t0 < 30000;) {
		a = (await env.a.get(`/api/v1/documents/${doc}/letters/${letter.id}`)).json.answer;
		if (['sent', 'refused'].includes(a.state))
			break;
		await new Promise((res) => setTimeout(res, 300));
	}
	assert.equal(a.state, 'sent', JSON.stringify(a));
	const m = /^s2low:(\d+)$/.exec(a.name);
	assert.ok(m, a.name);
	const reply = fake.tx.get(m[1]);
	assert.equal(reply.kind, 'reponse');
	assert.equal(reply.related, id);
	assert.equal(reply.type_envoie, '4');
	assert.equal(reply.type_acte, '99_DE');
	assert.deepEqual(reply.files, [pdf.data]);
	// what S²LOW refuses: no typology, no api in the query string
	const ko = await post('modules/actes/actes_transac_reponse_create.php?api=1', [{ name: 'id', data: id },
		{ name: 'acte_pdf_file', filename: 'r.pdf', data: pdf.data }]);
	assert.match(ko.text, /^KO\n.*typologie absente/);
});

// h11 (issue 11): the classification and the annulation through S²LOW.
test('the classification is fetched from S²LOW (actes_classification_fetch.php) after the first act', async () => {
	const t0 = Date.now();
	let r;
	do {
		r = await env.a.get(`/api/v1/organisations/${env.orgA}/classification`);
		if (r.status === 200)
			break;
		await new Promise((res) => setTimeout(res, 300));
	} while (Date.now() - t0 < 30000);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.date, '2004-04-01');
	assert.equal(r.json.matieres.find((m) => m.code === '7.1').libelle, 'Decisions budgetaires');
});

test('POST .../cancel of an act acknowledged through S²LOW: S²LOW is asked to cancel it', async () => {
	const r = await env.a.postDocument(acteMeta(env.orgA, 'S2L_CANCEL', { sign: false, transmit: true }),
		pdfFile(2000, 'acte.pdf'));
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.a, r.json.id, ENDS);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const c = await env.a.post(`/api/v1/documents/${r.json.id}/cancel`);
	assert.equal(c.status, 200, c.text);
	assert.equal(c.json.state, 'cancelling');
	const id = await h.psql(`SELECT remote_id FROM transmission WHERE doc_id = '${r.json.id}'`);
	const t0 = Date.now();
	let row;
	do {
		await new Promise((res) => setTimeout(res, 300));
		row = await h.psql(`SELECT state || ' ' || remote_name FROM cancellation WHERE doc_id = '${r.json.id}'`);
	} while (!/^(sent|acknowledged) /.test(row) && Date.now() - t0 < 30000);
	const m = /^(?:sent|acknowledged) s2low:(\d+)$/.exec(row);
	assert.ok(m, row);
	const tx = fake.tx.get(m[1]);
	assert.equal(tx.kind, 'annulation');
	assert.equal(tx.related, id);
	// followed in S²LOW to its ARAnnulation (status 4 of the cancellation transaction): cancelled
	const done2 = await waitState(env.a, r.json.id, ['cancelled', 'acknowledged'], 30000);
	assert.equal(done2.state, 'cancelled', JSON.stringify(done2));
	const ack = done2.files.find((f) => f.role === 'cancel_ack');
	assert.ok(ack, JSON.stringify(done2.files));
	assert.equal(ack.name, `ARAnnulation-${m[1]}.xml`);
	assert.equal(fake.tx.get(id).status, 0, 'the act annulé in S²LOW');
	assert.equal(await h.psql(`SELECT state FROM cancellation WHERE doc_id = '${r.json.id}'`), 'acknowledged');
});
