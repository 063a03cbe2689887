// Large uploads: a 150 MiB acte streamed in while liassed's peak RSS
// (VmHWM) stays under 64 MiB, the 150 MiB limit, and a client killed in the
// middle of an upload leaving nothing behind.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
	newHarness, acteMeta, streamedPdf, streamDocument, download, assertProblem, assertSameCounts, sleep,
} from '../lib/harness.mjs';

const h = newHarness('daemon-upload');
const MiB = 1024 * 1024;
const RSS_LIMIT_KB = 64 * 1024;
const here = path.dirname(fileURLToPath(import.meta.url));

describe('large uploads', () => {
	let s;

	before(async () => {
		s = await h.setup();
	});
	after(() => h.stopAll());

	it('a 150 MiB acte is accepted while liassed stays under 64 MiB RSS', async () => {
		const file = streamedPdf(150 * MiB, 'acte150');
		let peak = 0;
		const poll = setInterval(() => {
			try { peak = Math.max(peak, s.d.procStatus('VmRSS')); } catch (e) { /* exited */ }
		}, 100);
		const t0 = Date.now();
		const r = await streamDocument(s.d.url, s.keyA, acteMeta(s.orgA, 'BIG2026_150'), file,
			{ name: 'gros.pdf' });
		clearInterval(poll);
		const secs = (Date.now() - t0) / 1000;
		assert.equal(r.status, 201, r.text);
		const hwm = s.d.procStatus('VmHWM');
		process.stdout.write(`# 150 MiB upload in ${secs.toFixed(1)} s; liassed VmHWM ${hwm} kB, ` +
			`VmRSS peak seen ${peak} kB\n`);
		assert.ok(hwm < RSS_LIMIT_KB, `liassed peak RSS ${hwm} kB must stay under ${RSS_LIMIT_KB} kB`);
		assert.equal(r.json.files[0].size, 150 * MiB);
		assert.equal(r.json.files[0].sha256, file.sha256());

		const dl = await download(s.d.url, s.keyA, r.json.files[0].href);
		assert.equal(dl.status, 200);
		assert.equal(dl.size, 150 * MiB);
		assert.equal(dl.sha256, file.sha256(), 'the bytes read back are the bytes sent');
		const hwm2 = s.d.procStatus('VmHWM');
		assert.ok(hwm2 < RSS_LIMIT_KB, `after the download, peak RSS ${hwm2} kB`);
	});

	it('an acte of 150 MiB + 1 byte is refused (413 or 422) and nothing is stored', async () => {
		const before = await h.snapshot();
		const r = await streamDocument(s.d.url, s.keyA, acteMeta(s.orgA, 'BIG2026_151'),
			streamedPdf(150 * MiB + 1, 'acte151'));
		assertProblem(assert, r, { status: [413, 422], field: 'file' });
		assertSameCounts(assert, before, await h.snapshot());
		assert.ok(s.d.procStatus('VmHWM') < RSS_LIMIT_KB);
	});

	it('an acte whose files together pass 150 MiB is refused, nothing stored', async () => {
		const before = await h.snapshot();
		const r = await streamDocument(s.d.url, s.keyA, acteMeta(s.orgA, 'BIG2026_152'),
			streamedPdf(100 * MiB, 'main100'), { annexes: [streamedPdf(50 * MiB + 1, 'annexe50')] });
		assertProblem(assert, r, { status: [413, 422], field: ['annexe', 'file'] });
		assertSameCounts(assert, before, await h.snapshot());
		const ok = await streamDocument(s.d.url, s.keyA, acteMeta(s.orgA, 'BIG2026_153'),
			streamedPdf(3 * MiB, 'main3'), { annexes: [streamedPdf(2 * MiB, 'annexe2'), streamedPdf(MiB, 'annexe1')] });
		assert.equal(ok.status, 201, ok.text);
		assert.deepEqual(ok.json.files.map((f) => [f.role, f.size]),
			[['main', 3 * MiB], ['annexe', 2 * MiB], ['annexe', MiB]]);
	});

	it('a client killed mid-upload leaves no document, no file and no blob chunk', async () => {
		const before = await h.snapshot();
		const child = spawn(process.execPath, [path.join(here, '..', 'lib', 'upload-client.mjs'),
			s.d.url, s.keyA, JSON.stringify(acteMeta(s.orgA, 'KILL2026_1')), String(60 * MiB), String(20 * MiB)],
		{ stdio: ['ignore', 'pipe', 'inherit'] });
		let sent = 0;
		child.stdout.on('data', (d) => {
			const m = String(d).match(/sent (\d+)\s*$/);
			if (m)
				sent = Number(m[1]);
		});
		const exited = new Promise((r) => child.on('exit', r));
		for (let i = 0; i < 300 && sent < 20 * MiB; i++)
			await sleep(100);
		assert.ok(sent >= 20 * MiB, `the client sent ${sent} bytes`);
		child.kill('SIGKILL');
		await exited;
		// The server notices the closed connection and rolls back.
		let after;
		for (let i = 0; i < 100; i++) {
			after = await h.snapshot();
			const open = await h.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'liasse' " +
				"AND state LIKE 'idle in transaction%'");
			if (JSON.stringify(after) === JSON.stringify(before) && open === '0')
				break;
			await sleep(100);
		}
		assertSameCounts(assert, before, after, 'after the client was killed');
		const open = await h.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'liasse' " +
			"AND state LIKE 'idle in transaction%'");
		assert.equal(open, '0', 'no transaction left open');
		const l = await s.a.listAll();
		assert.ok(!l.items.some((d) => d.acte && d.acte.numero_interne === 'KILL2026_1'));
		const hz = await s.a.get('/healthz');
		assert.equal(hz.status, 200);
		const ok = await streamDocument(s.d.url, s.keyA, acteMeta(s.orgA, 'KILL2026_2'), streamedPdf(MiB, 'after'));
		assert.equal(ok.status, 201, `an upload after the killed one works: ${ok.text}`);
	});
});
