// The annexes' own signatures in the @ctes message (issue 11; the XSD's
// FichierSigne: Annexe/Signature, base64 PKCS#7): a vendor sends the
// detached signature of an annexe as an "annexe_signature" part right after
// that annexe; liasse checks it is a PKCS#7 SignedData at the door and
// writes it in the annexe's Signature element.  The simulator verifies it
// over the annexe (AnomalieActe 004 otherwise), and so does openssl cms here.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, acteMeta, docMeta, pdfFile, fixture, skip } from '../lib/harness.mjs';
import { requireStatesim, startStatesim, configureActes, makeTls, waitState, FAST } from './transmit-common.mjs';

requireStatesim();
const xsd = fixture('parapheur-v5/xsd/actesv1_1.xsd');
if (!xsd)
	skip('ACTES XSD absent (LIASSE_FIXTURES)');
const h = newHarness('actes-annexe-signature');
let env, sim, tls, key, cert, n = 0;

// A detached CMS signature (DER) of data, by a throw-away signer.
function cms(data) {
	const dir = fs.mkdtempSync(path.join(h.tmp, 'cms-'));
	fs.writeFileSync(path.join(dir, 'in'), data);
	execFileSync('openssl', ['cms', '-sign', '-binary', '-in', path.join(dir, 'in'), '-signer', cert, '-inkey', key,
		'-outform', 'DER', '-out', path.join(dir, 'sig')], { stdio: 'pipe' });
	return fs.readFileSync(path.join(dir, 'sig'));
}

function parts(meta, main, annexes) {
	const p = [{ name: 'metadata', type: 'application/json', data: JSON.stringify(meta) },
		{ name: 'file', filename: main.name, type: main.type, data: main.data }];
	for (const a of annexes) {
		p.push({ name: 'annexe', filename: a.name, type: a.type, data: a.data });
		if (a.sig)
			p.push({ name: 'annexe_signature', filename: `${a.name}.p7s`, type: 'application/pkcs7-signature', data: a.sig });
	}
	return p;
}

function meta() {
	n++;
	return acteMeta(env.orgA, `SIG${process.pid % 1000}_${n}`, { sign: false, transmit: true });
}

test.before(async () => {
	env = await h.setup(FAST);
	tls = makeTls(h);
	key = path.join(h.tmp, 'signer.key');
	cert = path.join(h.tmp, 'signer.pem');
	execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
		'-subj', '/CN=Adjoint au maire', '-days', '2'], { stdio: 'pipe' });
	sim = await startStatesim(h, { tls, set: { 'actes.xsd': xsd } });
	await configureActes(h, env.orgA, sim, tls);
});

test.after(async () => {
	sim.stop();
	await h.stopAll();
});

test('the door: an annexe signature is a PKCS#7 that follows its annexe, on an act only', async () => {
	const a1 = pdfFile(1500, 'annexe-1.pdf');
	let r = await env.a.postParts(parts(meta(), pdfFile(2000), [{ ...a1, sig: Buffer.from('not a signature') }]));
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.field, 'annexe_signature');
	assert.match(r.json.detail || r.json.title, /PKCS#7/);
	r = await env.a.postParts([...parts(meta(), pdfFile(2000), []),
		{ name: 'annexe_signature', filename: 's.p7s', data: cms(a1.data) }]);
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.field, 'annexe_signature');
	assert.match(r.json.detail || r.json.title, /follow its annexe/);
	r = await env.a.postParts(parts(docMeta(env.orgA), pdfFile(2000), [{ ...a1, sig: cms(a1.data) }]));
	assert.ok([422, 400].includes(r.status), r.text);
	assert.equal(await h.psql(`SELECT count(*) FROM document_file WHERE role = 'annexe_signature'`), '0');
});

test('an annexe\'s signature travels in Annexe/Signature; the platform verifies it', async () => {
	const a1 = pdfFile(1500, 'annexe-1.pdf'), a2 = pdfFile(1700, 'annexe-2.pdf');
	const sig2 = cms(a2.data);
	const r = await env.a.postParts(parts(meta(), pdfFile(2000), [a1, { ...a2, sig: sig2 }]));
	assert.equal(r.status, 201, r.text);
	assert.deepEqual(r.json.files.map((f) => f.role), ['main', 'annexe', 'annexe', 'annexe_signature']);
	const done = await waitState(env.a, r.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const name = await h.psql(`SELECT remote_name FROM transmission WHERE doc_id = '${r.json.id}'`);
	const dir = path.join(h.tmp, 'a-sig');
	fs.mkdirSync(dir);
	execFileSync('tar', ['-xzf', path.join(sim.dir, 'actes', 'received', name), '-C', dir]);
	const files = fs.readdirSync(dir);
	assert.ok(!files.some((f) => f.endsWith('.p7s')), 'the signature is in the message, not a file');
	const form = fs.readFileSync(path.join(dir, files.find((f) => f.endsWith('-1-1_0.xml'))), 'latin1');
	const annexes = [...form.matchAll(/<actes:Annexe>([\s\S]*?)<\/actes:Annexe>/g)].map((m) => m[1]);
	assert.equal(annexes.length, 2);
	assert.doesNotMatch(annexes[0], /Signature/);
	const b64 = /<actes:Signature>([^<]*)<\/actes:Signature>/.exec(annexes[1]);
	assert.ok(b64, annexes[1]);
	assert.deepEqual(Buffer.from(b64[1], 'base64'), sig2);
	// openssl verifies it over the annexe as the archive carries it
	const annexe = files.find((f) => f === /<actes:NomFichier>([^<]*)</.exec(annexes[1])[1]);
	fs.writeFileSync(path.join(dir, 'sig.der'), Buffer.from(b64[1], 'base64'));
	execFileSync('openssl', ['cms', '-verify', '-noverify', '-binary', '-inform', 'DER', '-in', path.join(dir, 'sig.der'),
		'-content', path.join(dir, annexe), '-out', '/dev/null'], { stdio: 'pipe' });
});

test('a signature that is not the annexe\'s: the platform refuses the act (AnomalieActe 004)', async () => {
	const a1 = pdfFile(1500, 'annexe-1.pdf');
	const r = await env.a.postParts(parts(meta(), pdfFile(2000), [{ ...a1, sig: cms(Buffer.from('autre chose')) }]));
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.a, r.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'refused', JSON.stringify(done));
	assert.match(done.reason, /AnomalieActe.*004/);
});
