// @ctes end to end: liassed + liasse-statesim (HTTPS with a client
// certificate, IMAP) + PostgreSQL.  An act to transmit goes out as the
// archive DESIGN.md describes (checked here against the official ACTES XSD),
// the ARActe comes back by e-mail and acknowledges it; anomalies refuse it
// with their reason; the prefecture's letters attach to it; every simulator
// fault ends with the archive received exactly once, or failed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, acteMeta, pdfFile, fixture, skip, download } from '../lib/harness.mjs';
import { requireStatesim, startStatesim, configureActes, connectorSet, makeTls, waitState,
	FAST } from './transmit-common.mjs';

requireStatesim();
const xsd = fixture('parapheur-v5/xsd/actesv1_1.xsd');
if (!xsd)
	skip('ACTES XSD absent (LIASSE_FIXTURES)');
const h = newHarness('transmit-actes');
let env, sim, tls, n = 0;
const FINAL = ['acknowledged', 'refused', 'failed'];

async function postActe(client, org, { annexes = [], acte = {} } = {}) {
	n++;
	const numero = `D${process.pid % 1000}_${n}`;
	const meta = acteMeta(org, numero, { sign: false, transmit: true }, acte);
	const r = await client.postDocument(meta, pdfFile(3000, `deliberation-${n}.pdf`), annexes);
	assert.equal(r.status, 201, r.text);
	return r.json;
}

// Valid against the official ACTES XSD v1.1, which predates DocumentPapier:
// the message must carry it (O or N, the last child of actes:Acte, where the
// platform's later schema and S²LOW put it), and validates without it.
function xsdValid(text, scratch) {
	let check = text;
	if (/<actes:Acte[\s>]/.test(text)) {
		const m = text.match(/\n? *<actes:DocumentPapier>([^<]*)<\/actes:DocumentPapier>\s*(?=<\/actes:Acte>)/);
		assert.ok(m, 'actes:DocumentPapier is the last element of actes:Acte');
		assert.ok(['O', 'N'].includes(m[1]), `DocumentPapier ${m[1]}`);
		check = text.replace(m[0], '\n');
	}
	fs.writeFileSync(scratch, check, 'latin1');
	execFileSync('xmllint', ['--noout', '--nonet', '--schema', xsd, scratch], { stdio: 'pipe' });
}

async function transmission(id) {
	const row = await h.psql(`SELECT state, sends, remote_name, match_key FROM transmission WHERE doc_id = '${id}'`);
	const [state, sends, name, key] = row.split('|');
	return { state, sends: Number(sends), name, key };
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

test('liasse connector test: TLS handshake with the pinned key, mailbox searched', async () => {
	const r = await h.cli(['connector', 'test', '--org', env.orgA]);
	assert.equal(r.code, 0, r.stderr + r.stdout);
	assert.match(r.stdout, /actes: ok: TLS handshake/);
	assert.match(r.stdout, /actes: ok: mailbox/);
	assert.deepEqual((await sim.counts()).actes || {}, {});
});

test('an act goes out as the @ctes archive, the ARActe over IMAP acknowledges it', async () => {
	const annexe = pdfFile(1500, 'annexe.pdf');
	const doc = await postActe(env.a, env.orgA, { annexes: [annexe] });
	assert.equal(doc.state, 'queued');
	const done = await waitState(env.a, doc.id, FINAL);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const t = await transmission(doc.id);
	const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
	assert.match(t.name, new RegExp(`^LIA-EACT--${env.orgA}--${today}-\\d+\\.tar\\.gz$`));
	assert.equal(t.key, `045-${env.orgA}-${today}-${doc.acte.numero_interne}-DE`);
	assert.equal((await sim.counts()).actes[t.name], 1);
	const ack = done.files.find((f) => f.role === 'ack');
	assert.ok(ack, JSON.stringify(done.files));
	assert.equal(ack.name, `${t.key}-1-2_0.xml`);
	assert.equal((await download(env.d.url, env.keyA, ack.href)).sha256, ack.sha256);

	// The archive as the platform received it: names, encoding, XSD.
	const dir = path.join(h.tmp, 'archive');
	fs.mkdirSync(dir);
	execFileSync('tar', ['-xzf', path.join(sim.dir, 'actes', 'received', t.name), '-C', dir]);
	const env0 = t.name.replace(/^LIA-/, '').replace(/\.tar\.gz$/, '.xml');
	const names = fs.readdirSync(dir).sort();
	assert.deepEqual(names, [`${t.key}-1-1_0.xml`, `99_DE-${t.key}-1-1_1.pdf`, `99_DE-${t.key}-1-1_2.pdf`,
		env0].sort());
	for (const x of [env0, `${t.key}-1-1_0.xml`]) {
		const text = fs.readFileSync(path.join(dir, x), 'latin1');
		assert.match(text, /^<\?xml version="1\.0" encoding="ISO-8859-1"\?>/);
		xsdValid(text, path.join(dir, `check-${x}`));
	}
	const msg = fs.readFileSync(path.join(dir, `${t.key}-1-1_0.xml`), 'latin1');
	// DocumentPapier (O/N) always written, last, after Annexes (the act was posted without it: N)
	assert.match(msg, /<\/actes:Annexes>\s*<actes:DocumentPapier>N<\/actes:DocumentPapier>\s*<\/actes:Acte>/);
	// AdressesRetour from the organisation's connector settings
	assert.match(fs.readFileSync(path.join(dir, env0), 'latin1'),
		/<actes:AdressesRetour>\s*<actes:Email>actes@saint-essai\.example\.org<\/actes:Email>/);
	assert.match(msg, /<actes:Acte [^>]*actes:CodeNatureActe="1"/);
	assert.match(msg, /<actes:Annexes actes:Nombre="1">/);
	assert.match(msg, /<actes:CodeMatiere1 actes:CodeMatiere="7"\/>\s*<actes:CodeMatiere2 actes:CodeMatiere="1"\/>/);
	const envText = fs.readFileSync(path.join(dir, env0), 'latin1');
	assert.match(envText, /<actes:Nom>Jeanne Secr\xe9taire<\/actes:Nom>/, 'ISO-8859-1 text');
	assert.equal(fs.readFileSync(path.join(dir, `99_DE-${t.key}-1-1_2.pdf`)).compare(annexe.data), 0);
});

test('the prefecture\'s letters attach to the act, its state stays acknowledged', async () => {
	const doc = await postActe(env.a, env.orgA);
	await waitState(env.a, doc.id, 'acknowledged');
	const t = await transmission(doc.id);
	for (const kind of ['courrier', 'pieces', 'observations', 'defere']) {
		const r = await sim.actesSend(kind, t.key);
		assert.equal(r.status, 200, r.text);
	}
	const t0 = Date.now();
	let d;
	for (;;) {
		d = (await env.a.get(`/api/v1/documents/${doc.id}`)).json;
		if (d.files.filter((f) => f.role === 'letter').length >= 8 || Date.now() - t0 > 60000)
			break;
		await new Promise((r) => setTimeout(r, 300));
	}
	const letters = d.files.filter((f) => f.role === 'letter').map((f) => f.name).sort();
	assert.deepEqual(letters, [2, 3, 4, 5].flatMap((c) => [`${t.key}-${c}-1_0.xml`, `${t.key}-${c}-1_1.pdf`]).sort());
	assert.equal(d.state, 'acknowledged');
});

test('a detached PKCS#7 signature travels in the message and verifies at the platform', async () => {
	await connectorSet(h, env.orgB, 'actes', { url: 'https://127.0.0.1:1/' });  // nothing listens: retried
	const doc = await postActe(env.b, env.orgB);
	const pdf = (await h.psql(`SELECT encode(c.data, 'base64') FROM document_file f
		JOIN blob_chunk c ON c.blob_id = f.blob_id WHERE f.doc_id = '${doc.id}' AND f.n = 0`)).replace(/\s/g, '');
	const pdfPath = path.join(h.tmp, 'signed.pdf');
	fs.writeFileSync(pdfPath, Buffer.from(pdf, 'base64'));
	const sig = execFileSync('openssl', ['cms', '-sign', '-binary', '-in', pdfPath, '-signer', tls.cert,
		'-inkey', tls.key, '-outform', 'DER', '-nosmimecap']);
	await h.psql(`SELECT document_file_attach('${doc.id}', 'signature', 'acte.p7s', 'application/pkcs7-signature',
		decode('${sig.toString('hex')}', 'hex'))`);
	await configureActes(h, env.orgB, sim, tls);
	const done = await waitState(env.b, doc.id, FINAL, 120000);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
});

test('a signature that does not verify: AnomalieActe, refused with its reason', async () => {
	await connectorSet(h, env.orgB, 'actes', { url: 'https://127.0.0.1:1/' });
	const doc = await postActe(env.b, env.orgB);
	const other = path.join(h.tmp, 'other.pdf');
	fs.writeFileSync(other, pdfFile(3000, 'other').data);
	const sig = execFileSync('openssl', ['cms', '-sign', '-binary', '-in', other, '-signer', tls.cert,
		'-inkey', tls.key, '-outform', 'DER', '-nosmimecap']);
	await h.psql(`SELECT document_file_attach('${doc.id}', 'signature', 'acte.p7s', 'application/pkcs7-signature',
		decode('${sig.toString('hex')}', 'hex'))`);
	await configureActes(h, env.orgB, sim, tls);
	const done = await waitState(env.b, doc.id, FINAL, 120000);
	assert.equal(done.state, 'refused', JSON.stringify(done));
	assert.match(done.reason, /AnomalieActe \(nature 004\)/);
	const t = await transmission(doc.id);
	assert.ok(done.files.find((f) => f.role === 'anomaly' && f.name === `${t.key}-1-3_0.xml`), JSON.stringify(done.files));
});

test('an AnomalieEnveloppe refuses the act with the platform\'s reason', async () => {
	await connectorSet(h, env.orgA, 'actes', { email: 'not-an-address' });   // fails the envelope's XSD
	try {
		const doc = await postActe(env.a, env.orgA);
		const done = await waitState(env.a, doc.id, FINAL);
		assert.equal(done.state, 'refused', JSON.stringify(done));
		assert.match(done.reason, /AnomalieEnveloppe \(nature 002\)/);
		const ano = done.files.find((f) => f.role === 'anomaly');
		assert.ok(ano && /^ANO_EACT--/.test(ano.name), JSON.stringify(done.files));
	} finally {
		await connectorSet(h, env.orgA, 'actes', { email: 'actes@saint-essai.example.org' });
	}
});

for (const [mode, expect, sends] of [['500', 'acknowledged', 2], ['cut', 'acknowledged', 2],
	['hang', 'acknowledged', 2], ['delay_ack', 'acknowledged', 1], ['refuse', 'failed', 1]]) {
	test(`@ctes fault ${mode}: ${expect}, the archive received ${expect === 'failed' ? 'never' : 'exactly once'}`, async () => {
		await sim.fault('actes', mode, 1, mode === 'delay_ack' ? 2 : undefined);
		const doc = await postActe(env.a, env.orgA);
		const done = await waitState(env.a, doc.id, FINAL, 120000);
		assert.equal(done.state, expect, JSON.stringify(done));
		const t = await transmission(doc.id);
		const got = ((await sim.counts()).actes || {})[t.name];
		assert.equal(got, expect === 'failed' ? undefined : 1);
		assert.equal(t.sends, sends);
		if (expect === 'failed')
			assert.match(done.reason, /HTTP 403/);
	});
}

test('IMAP faults delay the acknowledgement, nothing is lost', async () => {
	await sim.fault('imap', 'refuse', 1);
	await sim.fault('imap', 'cut', 1);
	await sim.fault('imap', '500', 1);
	const doc = await postActe(env.a, env.orgA);
	const done = await waitState(env.a, doc.id, FINAL, 120000);
	assert.equal(done.state, 'acknowledged');
	assert.equal(done.files.filter((f) => f.role === 'ack').length, 1, 'the ARActe attached once');
});

test('a server key other than the pinned one: nothing sent, failed after the retries', async () => {
	await connectorSet(h, env.orgA, 'actes', { pin: tls.otherPin });
	try {
		const doc = await postActe(env.a, env.orgA);
		const done = await waitState(env.a, doc.id, FINAL, 120000);
		assert.equal(done.state, 'failed');
		assert.match(done.reason, /abandoned after \d+ attempts.*pin/i);
		const t = await transmission(doc.id);
		assert.equal(((await sim.counts()).actes || {})[t.name], undefined);
	} finally {
		await connectorSet(h, env.orgA, 'actes', { pin: tls.pin });
	}
});
