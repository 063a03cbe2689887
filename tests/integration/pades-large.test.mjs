// Issue 15, the bench's memory target on the daemon's path: a PDF far
// larger than the 1 MiB chunks it is stored in is signed in PAdES through
// the queue with the official's PIN, from file to file (the original
// streamed out of its blob into a temporary file, the signed one streamed
// back into a blob), so liassed's peak memory stays well under the PDF's
// size (before, it held the original and the signed file: twice the size).
// pdfsig and openssl cms check the signature.  A signature that fails once
// MuPDF has read the whole file (a page that does not exist) leaves the
// document as it was, no blob, and no temporary file behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { newHarness, acteMeta, OFFICIAL_A, PASSWORD, isRoot } from '../lib/harness.mjs';
import { makePki } from '../lib/pki.mjs';
import { makePdf } from '../lib/pdf.mjs';
import { cmsVerify, have } from '../js/tools.mjs';

const POPPLER = have('pdfsig', ['-v']);
const h = newHarness('pades-large');
const PIN = 'mimosa-2026';
const SIZE = 64 << 20;
let s, pki, off, work, spool;

before(async () => {
	pki = await makePki();
	spool = path.join(h.tmp, 'spool');
	fs.mkdirSync(spool, { mode: 0o700 });
	h.chownRunUser(spool);
	s = await h.setup({ spool_dir: spool });
	work = fs.mkdtempSync(path.join(h.tmp, 'large-'));
	assert.equal((await h.cli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' })).code, 0);
	await h.enrol(OFFICIAL_A, pki.signer.p12, pki.password, PIN);
	off = await s.d.login(OFFICIAL_A);
});

after(async () => {
	await h.stopAll();
	if (pki)
		await pki.cleanup();
});

// The peak RSS (kB) from now on: VmHWM reset to the current RSS when the
// kernel lets us (clear_refs 5), else VmHWM as it is.
function resetPeak() {
	try {
		fs.writeFileSync(`/proc/${s.d.pid}/clear_refs`, '5');
	} catch { /* not ours to reset: the peak so far counts */ }
	return s.d.procStatus('VmHWM');
}

// liassed's open files in the spool directory (nameless ones show as
// "<dir>/#<inode> (deleted)"), and the directory's entries.
function spoolUse() {
	const fds = [];
	for (const fd of fs.readdirSync(`/proc/${s.d.pid}/fd`)) {
		try {
			const t = fs.readlinkSync(`/proc/${s.d.pid}/fd/${fd}`);
			if (t.startsWith(spool + '/'))
				fds.push(t);
		} catch { /* closed meanwhile */ }
	}
	return { fds, entries: fs.readdirSync(spool) };
}

async function postLarge(numero, extra = {}) {
	const data = makePdf({ text: `Arrete ${numero}`, padTo: SIZE });
	const meta = acteMeta(s.orgA, numero, { sign: true, transmit: false, signature_profile: 'pades', ...extra });
	const p = await s.a.postDocument(meta, { name: 'gros-arrete.pdf', type: 'application/pdf', data });
	assert.equal(p.status, 201, p.text);
	return { id: p.json.id, size: data.length };
}

test('a 64 MiB PDF signed through the queue: valid for pdfsig and openssl cms, liassed\'s peak under the PDF\'s size', { skip: !POPPLER && 'poppler-utils absent' }, async (t) => {
	const { id, size } = await postLarge('GROS2026_1');
	assert.ok(size >= SIZE);
	const base = resetPeak();
	const r = await off.postJson('/api/v1/queue/sign', { documents: [id], pin: PIN });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.results[0].status, 'signed', JSON.stringify(r.json));
	const peak = s.d.procStatus('VmHWM') - base;
	t.diagnostic(`liassed's peak RSS while signing: +${peak} kB over ${base} kB (PDF ${size} bytes)`);
	assert.ok(peak * 1024 < size, `liassed's peak grew by ${peak} kB while signing a ${size}-byte PDF`);
	assert.deepEqual(spoolUse(), { fds: [], entries: [] }, 'no temporary file left');

	const d = await s.a.get(`/api/v1/documents/${id}`);
	const f = d.json.files.find((x) => x.role === 'signed');
	assert.ok(f, JSON.stringify(d.json.files));
	const file = path.join(work, 'gros-signe.pdf');
	const bytes = (await s.a.get(f.href)).body;
	fs.writeFileSync(file, bytes);
	assert.ok(bytes.length > size);
	const p = spawnSync('pdfsig', ['-nocert', file], { maxBuffer: 1 << 24 });
	const out = p.stdout.toString();
	assert.match(out, /Signature Validation: Signature is Valid\./, out + p.stderr);
	assert.match(out, /Signer Certificate Common Name: Jeanne Martin/);
	assert.match(out, /Total document signed/);
	// The second check: the ByteRange's bytes and its CMS, by openssl cms.
	const text = bytes.toString('latin1', bytes.length - (1 << 20));
	const m = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)].pop();
	const [a, b, c, e] = m.slice(1).map(Number);
	assert.equal(a, 0);
	assert.equal(c + e, bytes.length);
	const hex = bytes.toString('latin1', b, c);
	fs.writeFileSync(path.join(work, 'cms.der'), Buffer.from(hex.slice(1, -1), 'hex'));
	fs.writeFileSync(path.join(work, 'signed.bin'), Buffer.concat([bytes.subarray(0, b), bytes.subarray(c)]));
	const v = cmsVerify(path.join(work, 'cms.der'), path.join(work, 'signed.bin'), { caFile: pki.chain, inform: 'DER' });
	assert.ok(v.ok, v.out);
});

test('a signature that fails after MuPDF read the whole PDF leaves the document as it was and no temporary file', async () => {
	const { id } = await postLarge('GROS2026_2', { signature_position: { page: 7, x: 40, y: 40 } });
	const blobs = await h.psql('SELECT count(*) FROM blob');
	const before = await s.a.get(`/api/v1/documents/${id}`);
	const r = await off.postJson('/api/v1/queue/sign', { documents: [id], pin: PIN });
	assert.equal(r.status, 200, r.text);
	const res = r.json.results[0];
	assert.notEqual(res.status, 'signed', JSON.stringify(r.json));
	assert.match(JSON.stringify(res), /page 7 does not exist: the PDF has 1/);
	const d = await s.a.get(`/api/v1/documents/${id}`);
	assert.equal(d.json.state, 'pending_signature');
	assert.deepEqual(d.json.files, before.json.files, 'no file added');
	assert.equal(await h.psql('SELECT count(*) FROM blob'), blobs, 'no blob written');
	assert.deepEqual(spoolUse(), { fds: [], entries: [] }, 'no temporary file left');
	// The same document signs once its position is possible: nothing was
	// left half-done by the failure.
	assert.equal((await h.psql(`UPDATE document SET meta = meta - 'signature_position' WHERE id = '${id}'`)), '');
	const ok = await off.postJson('/api/v1/queue/sign', { documents: [id], pin: PIN });
	assert.equal(ok.json.results[0].status, 'signed', JSON.stringify(ok.json));
	assert.deepEqual(spoolUse(), { fds: [], entries: [] });
});

test('the spool directory refused: a clear error, nothing written', async () => {
	const { id } = await postLarge('GROS2026_3');
	fs.chmodSync(spool, 0o500);
	if (isRoot)
		fs.chownSync(spool, 0, 0);      // root's and read-only: the daemon's user cannot write
	try {
		const r = await off.postJson('/api/v1/queue/sign', { documents: [id], pin: PIN });
		assert.equal(r.status, 200, r.text);
		assert.match(JSON.stringify(r.json.results[0]), /cannot create a temporary file/);
		const d = await s.a.get(`/api/v1/documents/${id}`);
		assert.equal(d.json.state, 'pending_signature');
		assert.ok(!d.json.files.find((x) => x.role === 'signed'));
		assert.match(s.d.logs(), /cannot create a temporary file in .*spool/);
	} finally {
		h.chownRunUser(spool);
		fs.chmodSync(spool, 0o700);
	}
});
