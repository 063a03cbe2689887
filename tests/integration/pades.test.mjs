// Issue 15: PAdES signatures (visible block), their verification, the
// stamped act, hostile PDFs.  Every signature liasse makes is checked by
// verifiers liasse did not write: poppler's pdfsig, and openssl cms over the
// ByteRange recomputed here; the block is found by pdftotext and seen on the
// page rendered by pdftoppm.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
	newHarness, acteMeta, docMeta, fixture, multipart, OFFICIAL_A, PASSWORD, pesFile,
} from '../lib/harness.mjs';
import { makePki, startTsa } from '../lib/pki.mjs';
import { makePdf, hostile } from '../lib/pdf.mjs';
import { cmsVerify, have } from '../js/tools.mjs';

const h = newHarness('pades');
const PIN = 'glycine-2026';
const POPPLER = have('pdfsig', ['-v']) && have('pdftotext', ['-v']) && have('pdftoppm', ['-v']);
const SAMPLE = fixture('parapheur-v5/files/formats/PDF_sans_tags/PDF_sans_tags-signature_pades.pdf');
const SAMPLE_CA = fixture('parapheur-v5/files/certificates/signature');
let s, pki, tsa, work, off;

const w = (name) => path.join(work, name);

function run(cmd, args) {
	const r = spawnSync(cmd, args, { maxBuffer: 1 << 26 });
	return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

// pdfsig's report: [{ name, type, valid, total }] per signature.
function pdfsig(file) {
	const r = run('pdfsig', ['-nocert', file]);
	const sigs = [];
	for (const block of r.stdout.split(/^Signature #\d+:$/m).slice(1)) {
		sigs.push({
			name: (block.match(/Signer Certificate Common Name: (.*)/) || [])[1],
			type: (block.match(/Signature Type: (.*)/) || [])[1],
			valid: /Signature Validation: Signature is Valid\./.test(block),
			total: /Total document signed/.test(block) && !/Not total document signed/.test(block),
		});
	}
	return { out: r.stdout + r.stderr, sigs };
}

// The second check: for each /ByteRange of the file, its bytes and the CMS of
// the /Contents it skips, verified by openssl cms -verify -binary -inform DER.
function byteRangeChecks(file) {
	const pdf = fs.readFileSync(file);
	const text = pdf.toString('latin1');
	const out = [];
	for (const m of text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)) {
		const [a, b, c, d] = m.slice(1).map(Number);
		assert.equal(a, 0);
		assert.ok(c + d <= pdf.length, 'the range stays in the file');
		const hex = text.slice(b, c);
		assert.match(hex, /^<[0-9a-fA-F]+>$/, 'the gap is exactly the /Contents string');
		const der = Buffer.from(hex.slice(1, -1), 'hex');
		const i = out.length;
		fs.writeFileSync(w(`br${i}.der`), der);
		fs.writeFileSync(w(`br${i}.bin`), Buffer.concat([pdf.subarray(a, b), pdf.subarray(c, c + d)]));
		out.push(cmsVerify(w(`br${i}.der`), w(`br${i}.bin`), { caFile: pki.chain, inform: 'DER' }));
	}
	return out;
}

// Dark pixels of page `page` of the PDF rendered at 72 dpi (100 %), inside
// the box (points from the bottom left): the block is drawn, not just text.
function darkPixels(file, page, box) {
	const base = w(`render-${path.basename(file)}`);
	const r = run('pdftoppm', ['-r', '72', '-gray', '-f', String(page), '-l', String(page), file, base]);
	assert.equal(r.code, 0, r.stderr);
	const pgm = fs.readdirSync(work).filter((f) => f.startsWith(path.basename(base)) && f.endsWith('.pgm'))
		.map((f) => fs.readFileSync(path.join(work, f)))[0];
	const [, W, H] = pgm.toString('latin1', 0, 40).match(/^P5\s+(\d+)\s+(\d+)\s+255\s/).map(Number);
	const off = pgm.length - W * H;
	let n = 0;
	for (let y = H - box.y - box.h; y < H - box.y; y++)
		for (let x = box.x; x < box.x + box.w; x++)
			n += pgm[off + y * W + x] < 128 ? 1 : 0;
	return n;
}

const signCli = (args, input, output) => h.cli(['sign', '--p12', pki.signer.p12, '--pass-file',
	pki.pass, ...args, input, output]);

before(async () => {
	pki = await makePki();
	tsa = await startTsa(pki);
	// The daemon's user reads its own copy of the anchors (pki's dir is 0700).
	const trust = path.join(h.tmp, 'trust');
	fs.mkdirSync(trust, { recursive: true, mode: 0o755 });
	for (const f of fs.readdirSync(pki.trust))
		fs.copyFileSync(path.join(pki.trust, f), path.join(trust, f));
	s = await h.setup({ trust_dir: trust });
	work = fs.mkdtempSync(path.join(h.tmp, 'pades-'));
	assert.equal((await h.cli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' })).code, 0);
	await h.enrol(OFFICIAL_A, pki.signer.p12, pki.password, PIN);
	off = await s.d.login(OFFICIAL_A);
});

after(async () => {
	await h.stopAll();
	if (tsa)
		await tsa.stop();
	if (pki)
		await pki.cleanup();
});

describe('liasse sign --profile pades-bb / pades-bt', { skip: !POPPLER && 'poppler-utils absent' }, () => {
	test('a visible PAdES B-B signature pdfsig and openssl cms find valid, the original bytes kept', async () => {
		const input = w('arrete.pdf');
		fs.writeFileSync(input, makePdf({ text: 'Arrete 2026-17' }));
		const r = await signCli(['--profile', 'pades-bb', '--text',
			'Signé par Jeanne Martin, Maire de Orléans, le 06/12/2026 à 14:05', '--page', '1',
			'--x', '300', '--y', '60'], input, w('arrete-signe.pdf'));
		assert.equal(r.code, 0, r.stderr);
		const out = fs.readFileSync(w('arrete-signe.pdf'));
		assert.ok(out.subarray(0, fs.statSync(input).size).equals(fs.readFileSync(input)),
			'incremental update: the original bytes come first, untouched');
		const p = pdfsig(w('arrete-signe.pdf'));
		assert.equal(p.sigs.length, 1, p.out);
		assert.deepEqual(p.sigs[0], { name: 'Jeanne Martin', type: 'ETSI.CAdES.detached', valid: true, total: true });
		const c = byteRangeChecks(w('arrete-signe.pdf'));
		assert.equal(c.length, 1);
		assert.ok(c[0].ok, c[0].out);
		// PAdES baseline: signingCertificateV2, no CMS signing-time (the time is /M).
		const attrs = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', w('br0.der')]).stdout;
		assert.match(attrs, /signingCertificateV2/);
		assert.match(attrs, /messageDigest/);
		assert.doesNotMatch(attrs, /signingTime/);
		const txt = run('pdftotext', ['-layout', w('arrete-signe.pdf'), '-']).stdout.replace(/\s+/g, ' ');
		assert.match(txt, /Signé par Jeanne Martin, Maire/);
		assert.match(txt, /06\/12\/2026 à 14:05/);
		assert.ok(darkPixels(w('arrete-signe.pdf'), 1, { x: 300, y: 60, w: 220, h: 60 }) > 200,
			'the block is drawn where it was asked');
		assert.equal(darkPixels(w('arrete-signe.pdf'), 1, { x: 40, y: 300, w: 200, h: 100 }), 0);
	});

	test('visa then signature: two revisions, two valid signatures', async () => {
		fs.writeFileSync(w('deux.pdf'), makePdf({ pages: 3 }));
		assert.equal((await signCli(['--profile', 'pades-bb', '--text', 'Visa : Jeanne Martin', '--page', '1',
			'--x', '40', '--y', '40'], w('deux.pdf'), w('deux-1.pdf'))).code, 0);
		const r = await signCli(['--profile', 'pades-bb', '--text', 'Signé par Jeanne Martin',
			'--x', '300', '--y', '40'], w('deux-1.pdf'), w('deux-2.pdf'));
		assert.equal(r.code, 0, r.stderr);
		const p = pdfsig(w('deux-2.pdf'));
		assert.equal(p.sigs.length, 2, p.out);
		assert.ok(p.sigs.every((x) => x.valid && x.name === 'Jeanne Martin'), p.out);
		assert.deepEqual(p.sigs.map((x) => x.total), [false, true]);
		assert.ok(byteRangeChecks(w('deux-2.pdf')).every((c) => c.ok));
		const v = await h.cli(['verify', w('deux-2.pdf'), '--trust', pki.trust, '--json']);
		assert.equal(v.code, 0, v.stdout + v.stderr);
		const j = JSON.parse(v.stdout);
		assert.equal(j.format, 'pades');
		assert.equal(j.signatures.length, 2);
		const mod = j.checks.filter((c) => c.id === 'modified');
		assert.deepEqual(mod.map((c) => [c.ok, c.warning]), [[true, true], [true, false]]);
	});

	test('B-T: the signature time-stamp is inside the CMS and verifies', async () => {
		fs.writeFileSync(w('bt.pdf'), makePdf());
		const asked = await tsa.requests();
		const r = await signCli(['--profile', 'pades-bt', '--tsa', tsa.url, '--text', 'Signé'], w('bt.pdf'), w('bt-s.pdf'));
		assert.equal(r.code, 0, r.stderr);
		assert.ok(await tsa.requests() > asked, 'the TSA was asked');
		assert.ok(pdfsig(w('bt-s.pdf')).sigs[0].valid);
		const v = JSON.parse((await h.cli(['verify', w('bt-s.pdf'), '--trust', pki.trust, '--json'])).stdout);
		const ts = v.checks.find((c) => c.id === 'timestamp');
		assert.ok(ts && ts.ok, JSON.stringify(v.checks));
		assert.equal(v.valid, true);
	});
});

describe('verification of PAdES', () => {
	test('the i-Parapheur sample is reported valid by liasse verify and /api/v1/verify', { skip: !SAMPLE && 'fixtures absent' }, async () => {
		const trust = w('trust-ip');
		fs.mkdirSync(trust);
		for (const f of ['ca-root.pem', 'ca-intermediate.pem'])
			fs.copyFileSync(path.join(SAMPLE_CA, f), path.join(trust, f));
		const v = await h.cli(['verify', SAMPLE, '--trust', trust, '--json']);
		assert.equal(v.code, 0, v.stdout + v.stderr);
		const j = JSON.parse(v.stdout);
		assert.equal(j.valid, true);
		assert.equal(j.format, 'pades');
		assert.equal(j.signatures.length, 1);
		assert.match(j.signatures[0].signer, /CN=Christian Noir - Recette i-parapheur/);
		assert.equal(j.signatures[0].signing_time, '2022-02-15T08:55:16Z');
		assert.ok(j.checks.find((c) => c.id === 'modified').ok);
		// Over HTTP (the daemon's anchors are the test PKI's: core valid, chain not).
		const mp = multipart([{ name: 'file', filename: 'sample.pdf', type: 'application/pdf', data: fs.readFileSync(SAMPLE) }]);
		const r = await s.a.post('/api/v1/verify', mp.body, { 'Content-Type': mp.contentType });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.format, 'pades');
		assert.ok(r.json.checks.find((c) => c.id === 'core').ok);
		assert.ok(r.json.checks.find((c) => c.id === 'byte_range').ok);
	});

	test('a PDF changed after signing is reported as modified', { skip: !SAMPLE && 'fixtures absent' }, async () => {
		const pdf = Buffer.from(fs.readFileSync(SAMPLE));
		const at = pdf.indexOf('endobj', 2000);
		pdf[at - 4] ^= 1;     // one byte inside the first range
		fs.writeFileSync(w('changed.pdf'), pdf);
		const v = await h.cli(['verify', w('changed.pdf'), '--trust', pki.trust, '--json']);
		assert.equal(v.code, 1);
		const j = JSON.parse(v.stdout);
		assert.equal(j.valid, false);
		const m = j.checks.find((c) => c.id === 'modified');
		assert.equal(m.ok, false);
		assert.match(m.reason_en, /modified after signing/);
	});
});

describe('the vendor asks for PAdES', { skip: !POPPLER && 'poppler-utils absent' }, () => {
	test('an acte with signature_profile "pades" signed in the queue: the signed PDF, visible block', async () => {
		const meta = acteMeta(s.orgA, 'ARR2026_017', { sign: true, transmit: false,
			signature_profile: 'pades', signature_position: { page: 1, x: 320, y: 50 } });
		const pdf = { name: 'arrete.pdf', type: 'application/pdf', data: makePdf({ text: 'Arrete du maire' }) };
		const p = await s.a.postDocument(meta, pdf);
		assert.equal(p.status, 201, p.text);
		const r = await off.postJson('/api/v1/queue/sign', { documents: [p.json.id], pin: PIN });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.results[0].status, 'signed', JSON.stringify(r.json));
		const d = await s.a.get(`/api/v1/documents/${p.json.id}`);
		const f = d.json.files.find((x) => x.role === 'signed');
		assert.ok(f, JSON.stringify(d.json.files));
		assert.equal(f.media_type || f.type, 'application/pdf');
		assert.ok(!d.json.files.find((x) => x.role === 'signature'), 'no separate PKCS#7');
		const bytes = (await s.a.get(f.href)).body;
		fs.writeFileSync(w('acte-signe.pdf'), bytes);
		const ps = pdfsig(w('acte-signe.pdf'));
		assert.equal(ps.sigs.length, 1, ps.out);
		assert.ok(ps.sigs[0].valid && ps.sigs[0].total, ps.out);
		assert.equal(ps.sigs[0].name, 'Jeanne Martin');
		assert.ok(byteRangeChecks(w('acte-signe.pdf'))[0].ok);
		const txt = run('pdftotext', [w('acte-signe.pdf'), '-']).stdout.replace(/\s+/g, ' ');
		assert.match(txt, /Signé par Jeanne Martin, Maire de .*, le \d\d\/\d\d\/20\d\d à \d\d:\d\d/);
		assert.ok(darkPixels(w('acte-signe.pdf'), 1, { x: 320, y: 50, w: 260, h: 54 }) > 200);
	});

	test('an organisation that signs its acts in PAdES: the default, at its place', async () => {
		const set = await h.cli(['org', 'set', s.orgA, '--acte-signature', 'pades', '--pades-position', '1,300,120']);
		assert.equal(set.code, 0, set.stderr);
		const bad = await h.cli(['org', 'set', s.orgA, '--pades-position', '0,1,1']);
		assert.equal(bad.code, 2);
		assert.match(bad.stderr, /--pades-position takes PAGE,X,Y/);
		try {
			const meta = acteMeta(s.orgA, 'ARR2026_018', { sign: true, transmit: false });
			const p = await s.a.postDocument(meta, { name: 'a.pdf', type: 'application/pdf', data: makePdf() });
			assert.equal(p.status, 201, p.text);
			const r = await off.postJson('/api/v1/queue/sign', { documents: [p.json.id], pin: PIN });
			assert.equal(r.json.results[0].status, 'signed', JSON.stringify(r.json));
			const d = await s.a.get(`/api/v1/documents/${p.json.id}`);
			const f = d.json.files.find((x) => x.role === 'signed');
			assert.ok(f && !d.json.files.find((x) => x.role === 'signature'), JSON.stringify(d.json.files));
			fs.writeFileSync(w('org-default.pdf'), (await s.a.get(f.href)).body);
			const ps = pdfsig(w('org-default.pdf'));
			assert.ok(ps.sigs.length === 1 && ps.sigs[0].valid && ps.sigs[0].type === 'ETSI.CAdES.detached', ps.out);
			assert.ok(darkPixels(w('org-default.pdf'), 1, { x: 300, y: 120, w: 260, h: 54 }) > 200);
			// A document (not an act) keeps its kind's default, XAdES.
			const doc = await s.a.postDocument(docMeta(s.orgA), { name: 'b.pdf', type: 'application/pdf', data: makePdf() });
			const r2 = await off.postJson('/api/v1/queue/sign', { documents: [doc.json.id], pin: PIN });
			assert.equal(r2.json.results[0].status, 'signed', JSON.stringify(r2.json));
			const d2 = await s.a.get(`/api/v1/documents/${doc.json.id}`);
			assert.ok(d2.json.files.find((x) => x.role === 'signature' && /xades/.test(x.name)), JSON.stringify(d2.json.files));
		} finally {
			assert.equal((await h.cli(['org', 'set', s.orgA, '--acte-signature', 'cades', '--pades-position', 'none'])).code, 0);
		}
	});

	test('the door refuses pades for a PES, a position without pades, a bad position', async () => {
		const bad = [
			[{ kind: 'pes', organisation: s.orgA, title: 'PES', signature_profile: 'pades' }, pesFile('PADESPES1'), /cannot be signed with profile "pades"/],
			[docMeta(s.orgA, { signature_position: { page: 1, x: 1, y: 1 } }), { name: 'a.pdf', type: 'application/pdf', data: makePdf() }, /only for signature_profile "pades"/],
			[docMeta(s.orgA, { signature_profile: 'pades', signature_position: { page: 0, x: 1, y: 1 } }), { name: 'a.pdf', type: 'application/pdf', data: makePdf() }, /signature_position must be/],
		];
		for (const [meta, file, re] of bad) {
			if (!file)
				continue;
			const r = await s.a.postDocument(meta, file);
			assert.equal(r.status, 422, r.text);
			assert.match(r.headers['content-type'], /application\/problem\+json/);
			assert.match(r.json.title + ' ' + (r.json.detail || ''), re);
		}
	});
});

describe('hostile PDFs', () => {
	for (const [what, make] of Object.entries(hostile)) {
		test(`${what}: refused with a clear problem, in bounded time and memory`, async () => {
			fs.writeFileSync(w(`h-${what}.pdf`), make());
			const t0 = Date.now();
			const c = await signCli(['--profile', 'pades-bb'], w(`h-${what}.pdf`), w(`h-${what}-out.pdf`));
			assert.equal(c.code, 1);
			assert.match(c.stderr, /^liasse: cannot sign the PDF: .+\(hint: /);
			assert.ok(!fs.existsSync(w(`h-${what}-out.pdf`)), 'nothing half-written');
			const hwm0 = s.d.procStatus('VmHWM');
			const mp = multipart([{ name: 'file', filename: `${what}.pdf`, type: 'application/pdf', data: make() }]);
			const r = await s.a.post('/api/v1/verify', mp.body, { 'Content-Type': mp.contentType });
			assert.equal(r.status, 422, r.text);
			assert.match(r.json.title, /unreadable PDF/);
			assert.ok(Date.now() - t0 < 10000, `${Date.now() - t0} ms`);
			assert.ok(s.d.procStatus('VmHWM') - hwm0 < 128 * 1024, 'peak RSS growth under 128 MiB');
		});
	}
});
