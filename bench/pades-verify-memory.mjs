#!/usr/bin/env node
// bench/pades-verify-memory.mjs [-m MIB] [-r ROUNDS]: the peak memory of
// verifying a PAdES-signed PDF of MIB MiB (default 150: the largest act),
// by `liasse verify FILE` (GNU time's "Maximum resident set size") and by
// POST /api/v1/verify (liassed's VmHWM, reset before the request, minus
// its RSS then), with each one's wall time.
//
// A private PostgreSQL and liassed from the build tree (tests/lib/harness.mjs),
// trust_dir the test PKI's anchors, verify_max_size raised to 160M so that a
// tree from before verify_pdf_max_size takes the PDF too.  The PDF is one
// page whose content stream is padded (tests/lib/pdf.mjs), signed by
// `liasse sign --profile pades-bb` (file to file).  Run from the build
// directory:
//   top_srcdir=<src> node <src>/bench/pades-verify-memory.mjs -m 150 -r 2
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, multipart } from '../tests/lib/harness.mjs';
import { makePki } from '../tests/lib/pki.mjs';
import { makePdf } from '../tests/lib/pdf.mjs';
import { numArg } from './args.mjs';

const MIB = numArg('-m', 150);
const ROUNDS = numArg('-r', 2);
const mb = (kb) => (kb / 1024).toFixed(1);

async function main() {
	const h = newHarness('bench-pades-verify');
	const pki = await makePki();
	try {
		const trust = path.join(h.tmp, 'trust');
		fs.mkdirSync(trust, { mode: 0o755 });
		for (const f of fs.readdirSync(pki.trust))
			fs.copyFileSync(path.join(pki.trust, f), path.join(trust, f));
		const spool = path.join(h.tmp, 'spool');
		fs.mkdirSync(spool, { mode: 0o700 });
		h.chownRunUser(spool);
		const s = await h.setup({ trust_dir: trust, spool_dir: spool, verify_max_size: '160M' });
		const orig = path.join(h.tmp, 'acte.pdf'), signed = path.join(h.tmp, 'acte-signe.pdf');
		fs.writeFileSync(orig, makePdf({ text: 'Arrete banc', padTo: (MIB << 20) - 2048 }));
		const sg = await h.cli(['sign', '--p12', pki.signer.p12, '--pass-file', pki.pass,
			'--profile', 'pades-bb', '--text', 'Signé par Jeanne Martin', orig, signed]);
		if (sg.code !== 0)
			throw new Error(`liasse sign: ${sg.stderr}`);
		fs.rmSync(orig);
		const size = fs.statSync(signed).size;
		console.log(`signed PDF: ${size} bytes (${mb(size / 1024)} MiB)`);
		console.log(`liassed idle: VmRSS ${mb(s.d.procStatus('VmRSS'))} MiB`);
		for (let round = 1; round <= ROUNDS; round++) {
			let t0 = process.hrtime.bigint();
			const v = await h.cli(['verify', signed, '--trust', pki.trust, '--json'],
				{ wrap: ['/usr/bin/time', '-v'] });
			const cliMs = Number(process.hrtime.bigint() - t0) / 1e6;
			const peak = Number((v.stderr.match(/Maximum resident set size \(kbytes\): (\d+)/) || [])[1]);
			let valid = '?';
			try {
				valid = JSON.parse(v.stdout).valid;
			} catch { valid = v.stderr.split('\n')[0]; }
			console.log(`round ${round}:`);
			console.log(`  liasse verify : ${cliMs.toFixed(0)} ms, peak RSS ${mb(peak)} MiB, valid: ${valid}`);
			const mp = multipart([{ name: 'file', filename: 'acte-signe.pdf', type: 'application/pdf',
				data: fs.readFileSync(signed) }]);
			try {
				fs.writeFileSync(`/proc/${s.d.pid}/clear_refs`, '5');
			} catch { /* the peak since start counts */ }
			const before = s.d.procStatus('VmRSS');
			t0 = process.hrtime.bigint();
			const r = await s.a.post('/api/v1/verify', mp.body, { 'Content-Type': mp.contentType });
			const apiMs = Number(process.hrtime.bigint() - t0) / 1e6;
			const hwm = s.d.procStatus('VmHWM');
			console.log(`  /api/v1/verify: ${apiMs.toFixed(0)} ms, status ${r.status}, RSS before ` +
				`${mb(before)} MiB, peak ${mb(hwm)} MiB: +${mb(hwm - before)} MiB, valid: ` +
				`${r.json ? r.json.valid : r.text.slice(0, 200)}`);
		}
	} finally {
		await h.stopAll();
		await pki.cleanup();
	}
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
