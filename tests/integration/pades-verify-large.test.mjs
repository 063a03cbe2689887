// Issue 15, point 3 on large files: a signed PDF is verified from its file,
// never held in memory.  A PDF of more than 100 MiB, signed by liasse
// (`liasse sign --profile pades-bb`, file to file), is verified by
// `liasse verify` with a peak RSS (GNU time's "Maximum resident set size")
// well under the file's size, and by POST /api/v1/verify (the upload
// streamed into a spool file) with liassed's peak over its size before the
// request well under it too; both report it valid, the ByteRange covering
// the whole file but /Contents.  One byte changed inside the signed range
// is reported as a modification.  Before, both read the whole file into
// memory (and the ByteRange's bytes into a second copy): the CLI peaked
// above twice the file's size, the API refused it (verify_max_size, 32M).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, multipart } from '../lib/harness.mjs';
import { makePki } from '../lib/pki.mjs';
import { makePdf } from '../lib/pdf.mjs';

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const h = newHarness('pades-verify-large');
const SIZE = 110 << 20;
let s, pki, work, spool, signed, size;

before(async () => {
	pki = await makePki();
	const trust = path.join(h.tmp, 'trust');
	fs.mkdirSync(trust, { recursive: true, mode: 0o755 });
	for (const f of fs.readdirSync(pki.trust))
		fs.copyFileSync(path.join(pki.trust, f), path.join(trust, f));
	spool = path.join(h.tmp, 'spool');
	fs.mkdirSync(spool, { mode: 0o700 });
	h.chownRunUser(spool);
	s = await h.setup({ trust_dir: trust, spool_dir: spool });
	work = fs.mkdtempSync(path.join(h.tmp, 'large-'));
	const orig = path.join(work, 'gros.pdf');
	fs.writeFileSync(orig, makePdf({ text: 'Arrete volumineux', padTo: SIZE }));
	signed = path.join(work, 'gros-signe.pdf');
	const r = await h.cli(['sign', '--p12', pki.signer.p12, '--pass-file', pki.pass,
		'--profile', 'pades-bb', '--text', 'Signé par Jeanne Martin', orig, signed]);
	assert.equal(r.code, 0, r.stderr);
	fs.rmSync(orig);
	size = fs.statSync(signed).size;
	assert.ok(size > 100 << 20, `${size} bytes`);
});

after(async () => {
	await h.stopAll();
	if (pki)
		await pki.cleanup();
});

// The report of a valid signature covering the whole file but /Contents.
function assertWhole(j, what) {
	assert.equal(j.format, 'pades', what);
	assert.equal(j.valid, true, `${what}: ${JSON.stringify(j)}`);
	assert.equal(j.signatures.length, 1, what);
	assert.match(j.signatures[0].signer, /Jeanne Martin/);
	const check = (id) => j.checks.find((c) => c.id === id);
	for (const id of ['byte_range', 'core', 'modified', 'chain'])
		assert.equal(check(id).ok, true, `${what}: ${JSON.stringify(check(id))}`);
	assert.equal(check('modified').warning, false, 'nothing after the signature');
	assert.match(check('modified').reason_en, /not modified since this signature/);
	const m = check('byte_range').reason_en.match(/bytes 0 to (\d+) except (\d+) to (\d+) \((\d+) bytes signed\)/);
	assert.ok(m, check('byte_range').reason_en);
	const [end, a, b, n] = m.slice(1).map(Number);
	assert.equal(end, size, 'the ByteRange runs to the end of the file');
	assert.equal(n, size - (b - a), 'every byte signed but /Contents');
	assert.ok(b - a < 65536, `/Contents is ${b - a} bytes`);
}

// Peak RSS (kB) of `liasse verify FILE` by GNU time, and its report.
async function verifyCli(file) {
	const r = await h.cli(['verify', file, '--trust', pki.trust, '--json'], { wrap: [TIME, '-v'] });
	const m = r.stderr.match(/Maximum resident set size \(kbytes\): (\d+)/);
	assert.ok(m, r.stderr);
	return { code: r.code, json: JSON.parse(r.stdout), peak: Number(m[1]) };
}

test('liasse verify: a 110 MiB signed PDF valid, its peak RSS well under the file\'s size', { skip: !TIME && '/usr/bin/time absent' }, async (t) => {
	const v = await verifyCli(signed);
	t.diagnostic(`liasse verify of ${size} bytes: peak RSS ${v.peak} kB`);
	assert.equal(v.code, 0, JSON.stringify(v.json));
	assertWhole(v.json, 'liasse verify');
	assert.ok(v.peak * 1024 < size / 4, `peak ${v.peak} kB for a ${size}-byte PDF`);
});

test('POST /api/v1/verify: the same PDF streamed into a spool file, valid, liassed\'s peak bounded', async (t) => {
	const mp = multipart([{ name: 'file', filename: 'gros-signe.pdf', type: 'application/pdf',
		data: fs.readFileSync(signed) }]);
	try {
		fs.writeFileSync(`/proc/${s.d.pid}/clear_refs`, '5');
	} catch { /* not ours to reset: the peak so far counts */ }
	const base = s.d.procStatus('VmHWM');
	const r = await s.a.post('/api/v1/verify', mp.body, { 'Content-Type': mp.contentType });
	const peak = s.d.procStatus('VmHWM') - base;
	t.diagnostic(`liassed's peak while verifying ${size} bytes: +${peak} kB over ${base} kB`);
	assert.equal(r.status, 200, r.text.slice(0, 500));
	assertWhole(r.json, 'POST /api/v1/verify');
	assert.ok(peak * 1024 < size / 4, `liassed grew by ${peak} kB for a ${size}-byte PDF`);
	assert.deepEqual(fs.readdirSync(spool), [], 'no temporary file left');
});

test('one byte changed inside the signed range of the large PDF: modified, invalid', { skip: !TIME && '/usr/bin/time absent' }, async () => {
	const bad = path.join(work, 'gros-modifie.pdf');
	fs.copyFileSync(signed, bad);
	const fd = fs.openSync(bad, 'r+');
	const at = 60 << 20;    // inside page 1's padding, far from /Contents
	const b = Buffer.alloc(1);
	fs.readSync(fd, b, 0, 1, at);
	assert.equal(b[0], 'x'.charCodeAt(0));
	fs.writeSync(fd, Buffer.from('y'), 0, 1, at);
	fs.closeSync(fd);
	const v = await verifyCli(bad);
	assert.equal(v.code, 1);
	assert.equal(v.json.valid, false);
	const check = (id) => v.json.checks.find((c) => c.id === id);
	assert.equal(check('core').ok, false, JSON.stringify(check('core')));
	assert.equal(check('modified').ok, false);
	assert.match(check('modified').reason_en, /modified after signing: the signed bytes changed/);
	assert.ok(v.peak * 1024 < size / 4, `peak ${v.peak} kB`);
});

test('a PDF over verify_pdf_max_size: 413, saying the limit and what to do', async () => {
	const d = await h.startLiassed({ trust_dir: path.join(h.tmp, 'trust'), spool_dir: spool,
		verify_pdf_max_size: '8M' });
	const c = d.client(s.a.key);  // the same vendor, on a daemon with a smaller cap
	const mp = multipart([{ name: 'file', filename: 'gros-signe.pdf', type: 'application/pdf',
		data: fs.readFileSync(signed).subarray(0, 9 << 20) }]);
	const r = await c.post('/api/v1/verify', mp.body, { 'Content-Type': mp.contentType });
	assert.equal(r.status, 413, r.text);
	assert.match(r.json.detail, /the limit for a PDF is 8388608 bytes \(verify_pdf_max_size\)/);
	assert.match(r.json.hint, /liasse verify/);
	assert.deepEqual(fs.readdirSync(spool), [], 'no temporary file left');
});
