// Key custody: an administrator imports an official's PKCS#12 (API and CLI),
// the official exchanges the one-time enrolment code for a PIN the
// administrator never learns, five wrong PINs lock signing until an
// administrator unlocks it (also under concurrent attempts), an expired
// certificate is refused at import, expired and revoked certificates cannot
// sign, and no private key material reaches a pg_dump of the database nor
// the daemon's log.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import {
	newHarness, multipart, docMeta, pdfFile, OFFICIAL_A, OFFICIAL_B, PASSWORD,
} from '../lib/harness.mjs';
import { makePki, srcdir } from '../lib/pki.mjs';

const h = newHarness('custody-keys');
const ADMIN = 'admin@opsn.test';
const PIN = '4711-pomme';
const OPENSSL = process.env.OPENSSL || 'openssl';
const CODE_RE = /^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/;
let s, pki, admin, offA, offB, memOwnerAtStart;

async function setPassword(email) {
	const r = await h.cli(['person', 'passwd', email], { input: PASSWORD + '\n' });
	assert.equal(r.code, 0, r.stderr);
}

async function importViaApi(email, p12file, password = pki.password) {
	const mp = multipart([
		{ name: 'person', data: email },
		{ name: 'file', filename: 'cert.p12', type: 'application/x-pkcs12', data: fs.readFileSync(p12file) },
		{ name: 'password', data: password },
	]);
	return admin.post('/api/v1/admin/certificates', mp.body, { 'Content-Type': mp.contentType });
}

async function pendingDoc(client, org, title = 'Convention') {
	const r = await client.postDocument(docMeta(org, { title }), pdfFile(3000, `${title}.pdf`));
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.state, 'pending_signature');
	return r.json.id;
}

const sign = (who, ids, pin) => who.postJson('/api/v1/queue/sign', { documents: ids, pin });

before(async () => {
	s = await h.setup();
	memOwnerAtStart = fs.statSync(`/proc/${s.d.pid}/mem`).uid;
	pki = await makePki();
	await h.person({ email: ADMIN, name: 'Admin OPSN', password: PASSWORD, operator: true });
	await setPassword(OFFICIAL_A);
	await setPassword(OFFICIAL_B);
	admin = await s.d.login(ADMIN);
	offA = await s.d.login(OFFICIAL_A);
	offB = await s.d.login(OFFICIAL_B);
});

after(async () => {
	await h.stopAll();
	if (pki)
		await pki.cleanup();
});

describe('enrolment', () => {
	let code;

	test('the administrator imports a PKCS#12 and gets a one-time code, never a PIN', async () => {
		const bad = await importViaApi(OFFICIAL_A, pki.signer.p12, 'wrong password');
		assert.equal(bad.status, 422, bad.text);
		assert.equal(bad.json.field, 'password');
		const r = await importViaApi(OFFICIAL_A, pki.signer.p12);
		assert.equal(r.status, 201, r.text);
		assert.match(r.json.enrolment_code, CODE_RE);
		code = r.json.enrolment_code;
		const list = await admin.get('/api/v1/admin/certificates');
		assert.equal(list.status, 200, list.text);
		const c = list.json.certificates.find((x) => x.person.email === OFFICIAL_A);
		assert.equal(c.state, 'enrolment');
		assert.match(c.not_after, /^2045-01-01T00:00:00/);
		assert.equal(c.expired, false);
		assert.ok(!('key_blob' in c) && !('pin' in c));
		assert.ok(!list.text.includes(code), 'the code is shown once only');
	});

	test('an official cannot manage certificates', async () => {
		const r = await offA.get('/api/v1/admin/certificates');
		assert.equal(r.status, 403, r.text);
		const mp = multipart([{ name: 'person', data: OFFICIAL_A },
			{ name: 'file', filename: 'c.p12', data: fs.readFileSync(pki.signer.p12) },
			{ name: 'password', data: pki.password }]);
		const r2 = await offA.post('/api/v1/admin/certificates', mp.body, { 'Content-Type': mp.contentType });
		assert.equal(r2.status, 403, r2.text);
	});

	test('signing before enrolment is refused', async () => {
		const id = await pendingDoc(s.a, s.orgA, 'Avant enrolement');
		const r = await sign(offA, [id], PIN);
		assert.equal(r.status, 403, r.text);
		assert.match(r.json.title, /enrolment/);
	});

	test('a weak PIN and a wrong code are refused; the code then works once', async () => {
		let r = await offA.postJson('/api/v1/me/certificate/enrol', { code, pin: '123456' });
		assert.equal(r.status, 422, r.text);
		r = await offA.postJson('/api/v1/me/certificate/enrol', { code: 'ABCD-EFGH-JKLM-NPQR', pin: PIN });
		assert.equal(r.status, 403, r.text);
		assert.equal(r.json.field, 'code');
		assert.match(r.json.detail, /4 attempts left/);
		r = await offA.postJson('/api/v1/me/certificate/enrol', { code: code.toLowerCase(), pin: PIN });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.state, 'active');
		assert.equal(r.json.pin_failures, 0);
		r = await offA.postJson('/api/v1/me/certificate/enrol', { code, pin: 'autre-pin-42' });
		assert.equal(r.status, 409, r.text);
		const me = await offA.get('/api/v1/me/certificate');
		assert.equal(me.status, 200, me.text);
		assert.equal(me.json.certificates[0].state, 'active');
	});

	test('the PIN and the code appear nowhere: journal, admin views, log', async () => {
		const journal = await h.psql('SELECT string_agg(detail::text, \' \') FROM journal');
		const list = await admin.get('/api/v1/admin/certificates');
		for (const text of [journal, list.text, s.d.logs()]) {
			assert.ok(!text.includes(PIN));
			assert.ok(!text.includes(code));
		}
		assert.match(journal, /"certificate"/);
		const actions = await h.psql("SELECT string_agg(action, ',' ORDER BY id) FROM journal WHERE action LIKE 'certificate.%'");
		assert.match(actions, /certificate\.imported.*certificate\.pin_failed.*certificate\.enrolled/);
	});
});

describe('PIN lockout', () => {
	test('five wrong PINs lock signing, even with the right PIN; an admin unlock restores it', async () => {
		const id = await pendingDoc(s.a, s.orgA, 'Verrou');
		for (let left = 4; left >= 0; left--) {
			const r = await sign(offA, [id], `faux-pin-${left}x`);
			assert.equal(r.status, 403, r.text);
			assert.equal(r.json.field, 'pin');
			assert.match(r.json.detail, new RegExp(`^${left} attempts? left`));
		}
		const locked = await sign(offA, [id], PIN);
		assert.equal(locked.status, 423, locked.text);
		assert.match(locked.json.hint, /administrator/);
		assert.equal(await h.psql(`SELECT state FROM document WHERE id = '${id}'`), 'pending_signature');
		const list = await admin.get('/api/v1/admin/certificates');
		const c = list.json.certificates.find((x) => x.person.email === OFFICIAL_A);
		assert.equal(c.locked, true);
		const u = await admin.post(`/api/v1/admin/certificates/${c.id}/unlock`);
		assert.equal(u.status, 200, u.text);
		assert.equal(u.json.locked, false);
		const ok = await sign(offA, [id], PIN);
		assert.equal(ok.status, 200, ok.text);
		assert.equal(ok.json.results[0].status, 'signed');
	});

	test('concurrent wrong PINs cannot try more than five', async () => {
		const id = await pendingDoc(s.a, s.orgA, 'Concurrence');
		const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => sign(offA, [id], `mauvais-${i}-pin`)));
		const wrong = rs.filter((r) => r.status === 403 && r.json.field === 'pin');
		const refused = rs.filter((r) => r.status === 423);
		assert.equal(wrong.length + refused.length, 12, rs.map((r) => r.status).join(','));
		assert.ok(wrong.length <= 5, `${wrong.length} PINs were tried`);
		assert.equal(await h.psql(`SELECT pin_failures FROM certificate WHERE person_id =
			(SELECT id FROM person WHERE email = '${OFFICIAL_A}')`), '5');
		assert.equal((await sign(offA, [id], PIN)).status, 423);
		const r = await h.cli(['cert', 'unlock', OFFICIAL_A]);
		assert.equal(r.code, 0, r.stderr);
		const ok = await sign(offA, [id], PIN);
		assert.equal(ok.status, 200, ok.text);
		assert.equal(ok.json.results[0].status, 'signed');
	});
});

describe('certificates that cannot sign', () => {
	test('an expired certificate is refused at import (API and CLI), and nothing is stored', async () => {
		const before = await h.psql('SELECT count(*) FROM certificate');
		const imp = await h.cli(['cert', 'import', OFFICIAL_B, pki.expired.p12], { input: pki.password + '\n' });
		assert.notEqual(imp.code, 0);
		assert.match(imp.stderr, /expired/);
		assert.equal(imp.stdout.trim(), '', 'no enrolment code');
		const r = await importViaApi(OFFICIAL_B, pki.expired.p12);
		assert.equal(r.status, 422, r.text);
		assert.equal(r.json.field, 'file');
		assert.match(r.json.detail, /2020-01-01/);
		assert.match(r.json.hint, /renewed/);
		assert.equal(await h.psql('SELECT count(*) FROM certificate'), before);
	});

	test('a certificate that expires after its enrolment cannot sign, and its expiry is visible', async () => {
		// issued by the test CA for 20 seconds
		const env = { ...process.env, PKI_DIR: pki.dir };
		const cnf = path.join(srcdir, 'certs', 'openssl.cnf');
		const gt = (d) => d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
		const until = new Date(Math.ceil(Date.now() / 1000) * 1000 + 20000);
		execFileSync(OPENSSL, ['req', '-new', '-config', cnf, '-utf8', '-key', pki.signer.key,
			'-subj', '/C=FR/O=Commune de Céret-sur-Test/CN=Eric Éphémère', '-out', pki.file('short.csr')], { env });
		execFileSync(OPENSSL, ['ca', '-config', cnf, '-name', 'inter_ca', '-batch', '-notext', '-utf8',
			'-extensions', 'ext_signer', '-startdate', gt(new Date(Date.now() - 3600e3)), '-enddate', gt(until),
			'-in', pki.file('short.csr'), '-out', pki.file('short.pem')], { env, stdio: 'ignore' });
		execFileSync(OPENSSL, ['pkcs12', '-export', '-inkey', pki.signer.key, '-in', pki.file('short.pem'),
			'-certfile', pki.chain, '-passout', `file:${pki.pass}`, '-out', pki.file('short.p12')]);
		const imp = await h.cli(['cert', 'import', OFFICIAL_B, pki.file('short.p12')], { input: pki.password + '\n' });
		assert.equal(imp.code, 0, imp.stderr);
		const code = imp.stdout.trim();
		assert.match(code, CODE_RE);
		const en = await h.cli(['cert', 'enrol', OFFICIAL_B], { input: `${code}\n${PIN}\n` });
		assert.equal(en.code, 0, en.stderr);
		await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now()) + 1000));
		const list = await h.cli(['cert', 'list']);
		assert.equal(list.code, 0, list.stderr);
		const lines = list.stdout.trim().split('\n');
		const day = until.toISOString().slice(0, 10);
		assert.match(lines[1], new RegExp(`${OFFICIAL_B}\\s+expired\\s+${day}`), 'nearest expiry first');
		assert.match(lines[2], new RegExp(`${OFFICIAL_A}\\s+active\\s+2045-01-01`));
		const id = await pendingDoc(s.b, s.orgB, 'Expire');
		const r = await sign(offB, [id], PIN);
		assert.equal(r.status, 403, r.text);
		assert.match(r.json.title, /expired/);
		assert.equal(await h.psql(`SELECT pin_failures FROM certificate WHERE person_id =
			(SELECT id FROM person WHERE email = '${OFFICIAL_B}')`), '0', 'no PIN attempt spent');
	});

	test('a revoked certificate is refused', async () => {
		const id = await pendingDoc(s.a, s.orgA, 'Revoque');
		const list = await admin.get('/api/v1/admin/certificates');
		const c = list.json.certificates.find((x) => x.person.email === OFFICIAL_A && x.state === 'active');
		const rv = await admin.post(`/api/v1/admin/certificates/${c.id}/revoke`);
		assert.equal(rv.status, 200, rv.text);
		assert.equal(rv.json.state, 'revoked');
		const r = await sign(offA, [id], PIN);
		assert.equal(r.status, 403, r.text);
		assert.match(r.json.title, /revoked/);
		assert.equal(await h.psql(`SELECT state FROM document WHERE id = '${id}'`), 'pending_signature');
	});
});

// Every representation of the private key an attacker could grep for.
function keyNeedles(keyFile) {
	const key = crypto.createPrivateKey(fs.readFileSync(keyFile));
	const jwk = key.export({ format: 'jwk' });
	const der = key.export({ format: 'der', type: 'pkcs8' });
	const pem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
	const pkcs1 = key.export({ format: 'der', type: 'pkcs1' });
	const needles = [];
	const add = (what, buf) => {
		needles.push({ what: `${what} hex`, text: buf.toString('hex') });
		needles.push({ what: `${what} HEX`, text: buf.toString('hex').toUpperCase() });
		needles.push({ what: `${what} base64`, text: buf.toString('base64').slice(0, 40) });
		needles.push({ what: `${what} latin1`, text: buf.toString('latin1') });
	};
	for (const n of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
		add(`private number ${n}`, Buffer.from(jwk[n], 'base64url').subarray(0, 48));
	// Past the modulus and public exponent (public, in the certificate): the private part.
	add('PKCS#8 DER', der.subarray(330, 394));
	add('PKCS#1 DER', pkcs1.subarray(300, 364));
	for (const line of pem.split('\n').filter((l) => l.length === 64).slice(6, 9))
		needles.push({ what: 'PEM line', text: line });
	needles.push({ what: 'decimal d', text: BigInt('0x' + Buffer.from(jwk.d, 'base64url').toString('hex')).toString().slice(0, 40) });
	return needles;
}

// Issue 16, point 7: a PKCS#12 with only the certificate and its key (no CA
// chain, as many authorities deliver) imports and signs; a failed import
// stores nothing; importing again replaces the certificate awaiting enrolment.
describe('imports without a chain, failed or repeated', () => {
	const ADJ = 'adjoint@saint-essai.test';
	let chainless, keyOnly;
	const certsOf = async (email) => Number(await h.psql('SELECT count(*) FROM certificate WHERE person_id =' +
		` (SELECT id FROM person WHERE email = '${email}')`));

	before(async () => {
		await h.person({ email: ADJ, name: 'Paul Durand', password: PASSWORD,
			roles: [{ org: s.orgA, role: 'signer', function: 'adjoint' }] });
		chainless = pki.file('chainless.p12');
		keyOnly = pki.file('keyonly.p12');
		execFileSync(OPENSSL, ['pkcs12', '-export', '-inkey', pki.signer2.key, '-in', pki.signer2.pem,
			'-name', 'signer2 without chain', '-passout', `file:${pki.pass}`, '-out', chainless]);
		execFileSync(OPENSSL, ['pkcs12', '-export', '-nocerts', '-inkey', pki.signer2.key,
			'-passout', `file:${pki.pass}`, '-out', keyOnly]);
	});

	test('a failed import stores nothing and names the field at fault (422)', async () => {
		const before = await h.psql('SELECT count(*) FROM certificate');
		const wrong = await importViaApi(ADJ, chainless, 'not the password');
		assert.equal(wrong.status, 422, wrong.text);
		assert.equal(wrong.json.field, 'password');
		assert.ok(wrong.json.hint);
		const noCert = await importViaApi(ADJ, keyOnly);
		assert.equal(noCert.status, 422, noCert.text);
		assert.equal(noCert.json.field, 'file');
		assert.match(noCert.json.title, /no certificate/);
		assert.match(noCert.json.hint, /pkcs12 -export/);
		const notP12 = await importViaApi(ADJ, pki.signer2.pem);
		assert.equal(notP12.status, 422, notP12.text);
		assert.equal(notP12.json.field, 'file');
		const cli = await h.cli(['cert', 'import', ADJ, keyOnly], { input: pki.password + '\n' });
		assert.notEqual(cli.code, 0);
		assert.match(cli.stderr, /no certificate/);
		assert.equal(await h.psql('SELECT count(*) FROM certificate'), before, 'nothing stored');
	});

	test('a PKCS#12 without its CA chain imports (empty chain), enrols and signs', async () => {
		const r = await importViaApi(ADJ, chainless);
		assert.equal(r.status, 201, r.text);
		assert.match(r.json.enrolment_code, CODE_RE);
		assert.ok(!('replaced' in r.json));
		assert.equal(await h.psql(`SELECT length(chain_der) FROM certificate WHERE id = ${r.json.id}`), '0');
		const adj = await s.d.login(ADJ);
		const en = await adj.postJson('/api/v1/me/certificate/enrol', { code: r.json.enrolment_code, pin: PIN });
		assert.equal(en.status, 200, en.text);
		const doc = await s.a.postDocument(docMeta(s.orgA, { title: 'Sans chaine', signer: ADJ }),
			pdfFile(2500, 'sans-chaine.pdf'));
		assert.equal(doc.status, 201, doc.text);
		const ok = await sign(adj, [doc.json.id], PIN);
		assert.equal(ok.status, 200, ok.text);
		assert.equal(ok.json.results[0].status, 'signed', ok.text);
		// an independent verifier finds the intermediate CA among its trust anchors
		let V;
		try {
			V = await import('../js/verify-xades.mjs');
		} catch {
			return;   /* tests/node_modules missing */
		}
		const d = await s.a.get(`/api/v1/documents/${doc.json.id}`);
		const sig = await s.a.get(d.json.files.find((x) => x.role === 'signature').href);
		const data = await s.a.get(d.json.files.find((x) => x.id === 0).href);
		assert.equal(sig.status, 200);
		assert.equal(data.status, 200);
		const v = V.verifyXades(sig.body, { trust: [pki.trust], data: data.body, profile: 'xades' });
		assert.ok(v.valid, JSON.stringify(v.signatures.map((x) => x.checks.filter((c) => c.status === 'fail'))));
	});

	test('a renewal is enrolled while the old certificate is active, which signs until then', async () => {
		const renewal = await importViaApi(ADJ, pki.signer2.p12);
		assert.equal(renewal.status, 201, renewal.text);
		assert.ok(!('replaced' in renewal.json), 'an active certificate is not replaced');
		const adj = await s.d.login(ADJ);
		const doc = await s.a.postDocument(docMeta(s.orgA, { title: 'Avant renouvellement', signer: ADJ }),
			pdfFile(2000, 'avant.pdf'));
		const before = await sign(adj, [doc.json.id], PIN);
		assert.equal(before.status, 200, before.text);
		assert.equal(before.json.results[0].status, 'signed', before.text);
		const en = await adj.postJson('/api/v1/me/certificate/enrol',
			{ code: renewal.json.enrolment_code, pin: PIN });
		assert.equal(en.status, 200, en.text);
		assert.equal(en.json.id, renewal.json.id);
		assert.equal(en.json.state, 'active');
		const again = await adj.postJson('/api/v1/me/certificate/enrol',
			{ code: renewal.json.enrolment_code, pin: PIN });
		assert.equal(again.status, 409, again.text);
	});

	test('importing again replaces the certificate awaiting enrolment, and says so', async () => {
		const ELU = 'elu@saint-essai.test';
		await h.person({ email: ELU, name: 'Élu', password: PASSWORD,
			roles: [{ org: s.orgA, role: 'signer', function: 'conseiller' }] });
		const first = await importViaApi(ELU, pki.signer2.p12);
		assert.equal(first.status, 201, first.text);
		assert.ok(!('replaced' in first.json));
		const second = await importViaApi(ELU, chainless);
		assert.equal(second.status, 201, second.text);
		assert.equal(second.json.replaced, first.json.id);
		assert.match(second.json.note, new RegExp(`replaces certificate ${first.json.id}`));
		const cli = await h.cli(['cert', 'import', ELU, pki.signer2.p12], { input: pki.password + '\n' });
		assert.equal(cli.code, 0, cli.stderr);
		assert.match(cli.stderr, new RegExp(`certificate ${second.json.id}, which awaited enrolment, is replaced`));
		assert.equal(await certsOf(ELU), 1, 'one pending certificate, the last imported');
		assert.equal(await h.psql("SELECT count(*) FROM journal WHERE action = 'certificate.replaced'"), '2');
		// a failed import replaces nothing
		const bad = await importViaApi(ELU, keyOnly);
		assert.equal(bad.status, 422, bad.text);
		assert.equal(await certsOf(ELU), 1);
		// the replaced certificates' codes are dead; the last one works
		const elu = await s.d.login(ELU);
		let en = await elu.postJson('/api/v1/me/certificate/enrol', { code: second.json.enrolment_code, pin: PIN });
		assert.equal(en.status, 403, en.text);
		en = await elu.postJson('/api/v1/me/certificate/enrol', { code: cli.stdout.trim(), pin: PIN });
		assert.equal(en.status, 200, en.text);
		assert.equal(en.json.state, 'active');
	});

	test('no import logged a database error', () => {
		assert.doesNotMatch(s.d.logs(), /sql failed|null value in column/);
	});
});

describe('no key material at rest', () => {
	test('pg_dump and the daemon log hold no private key, in any encoding', async () => {
		const dump = await h.pgDump();
		assert.match(dump, /COPY public\.certificate/, 'the certificates are in the dump');
		assert.ok(Number(await h.psql('SELECT count(*) FROM certificate')) >= 2);
		const log = s.d.logs();
		for (const keyFile of [pki.signer.key, pki.expired.key]) {
			for (const n of keyNeedles(keyFile)) {
				assert.ok(!dump.includes(n.text), `the dump holds the ${n.what} of ${keyFile}`);
				assert.ok(!log.includes(n.text), `the log holds the ${n.what} of ${keyFile}`);
			}
		}
		// The certificate itself (public) is there: the search does find DER.
		const certDer = new crypto.X509Certificate(fs.readFileSync(pki.signer.pem)).raw;
		assert.ok(dump.includes(certDer.subarray(40, 100).toString('hex')), 'the search would see DER');
	});

	test('the daemon is not dumpable once it has held a key (no core file)', (t) => {
		// A process made non-dumpable (prctl PR_SET_DUMPABLE 0) has its
		// /proc/<pid> entries owned by root whatever user it runs as.
		const status = fs.readFileSync(`/proc/${s.d.pid}/status`, 'utf8');
		const uid = Number(status.match(/^Uid:\s+(\d+)/m)[1]);
		if (uid === 0 || memOwnerAtStart === 0)
			return t.skip('liassed runs as root or was not dumpable from the start (setuid)');
		assert.equal(fs.statSync(`/proc/${s.d.pid}/mem`).uid, 0);
	});
});
