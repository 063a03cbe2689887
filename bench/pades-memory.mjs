#!/usr/bin/env node
// bench/pades-memory.mjs [-m MIB] [-r ROUNDS]: liassed's peak memory while
// it signs a MIB MiB PDF (default 150) in PAdES through the official's queue
// (POST /api/v1/queue/sign with the PIN), against its idle size (issue 15:
// target under 64 MiB more than idle, as for uploads).
//
// A private PostgreSQL and liassed from the build tree (tests/lib/harness.mjs);
// the official's certificate imported and enrolled; liassed's RSS read once
// idle (VmRSS after the setup, before any upload).  Each round posts a new
// PDF (its upload's peak is reported too), then resets liassed's peak
// (`echo 5 > /proc/PID/clear_refs`, VmHWM back to the current RSS) and
// signs it; reported: VmHWM after the signature minus the idle RSS, and the
// signature's wall time.  Round 0 signs a 1-page PDF the same way: what
// every signature costs whatever the size (the PIN's scrypt derivation,
// 32 MiB, is most of it).  The signed file is checked by pdfsig when present.
// Run from the build directory:
//   top_srcdir=<src> node <src>/bench/pades-memory.mjs -m 150 -r 2
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { newHarness, acteMeta, PASSWORD, OFFICIAL_A } from '../tests/lib/harness.mjs';
import { makePki } from '../tests/lib/pki.mjs';
import { makePdf } from '../tests/lib/pdf.mjs';
import { numArg } from './args.mjs';

const MIB = numArg('-m', 150);
const ROUNDS = numArg('-r', 2);
const PIN = 'banc-essai-15';
const mb = (kb) => (kb / 1024).toFixed(1);

function resetPeak(pid) {
	try {
		fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
		return true;
	} catch {
		return false;
	}
}

async function main() {
	const h = newHarness('bench-pades-memory');
	const pki = await makePki();
	try {
		const spool = path.join(h.tmp, 'spool');
		fs.mkdirSync(spool, { mode: 0o700 });
		h.chownRunUser(spool);
		const s = await h.setup({ log_level: 'info', spool_dir: spool });
		const run = async (a, input) => {
			const r = await h.cli(a, { input });
			if (r.code !== 0)
				throw new Error(`liasse ${a.join(' ')}: ${r.stderr}`);
			return r.stdout.trim();
		};
		await run(['person', 'passwd', OFFICIAL_A], PASSWORD + '\n');
		const code = await run(['cert', 'import', OFFICIAL_A, pki.signer.p12], pki.password + '\n');
		await run(['cert', 'enrol', OFFICIAL_A], `${code}\n${PIN}\n`);
		const official = await s.d.login(OFFICIAL_A);
		const idle = s.d.procStatus('VmRSS');
		console.log(`liassed idle: VmRSS ${mb(idle)} MiB (VmHWM ${mb(s.d.procStatus('VmHWM'))} MiB)`);
		// Round 0: a 1-page PDF, for what any signature costs (the PIN's
		// scrypt derivation, 32 MiB, MuPDF's font and context).
		for (let round = 0; round <= ROUNDS; round++) {
			const data = makePdf({ text: `Arrete banc ${round}`, padTo: round ? (MIB << 20) - 2048 : 0 });  // an act: at most 150 MiB
			const meta = acteMeta(s.orgA, `BANC${round}_${process.pid % 1000}`,
				{ sign: true, transmit: false, signature_profile: 'pades' });
			const canReset = resetPeak(s.d.pid);
			const p = await s.a.postDocument(meta, { name: 'banc.pdf', type: 'application/pdf', data });
			if (p.status !== 201)
				throw new Error(`upload: ${p.status} ${p.text.slice(0, 300)}`);
			const up = s.d.procStatus('VmHWM');
			resetPeak(s.d.pid);
			const before = s.d.procStatus('VmRSS');
			const t0 = process.hrtime.bigint();
			const r = await official.postJson('/api/v1/queue/sign', { documents: [p.json.id], pin: PIN });
			const ms = Number(process.hrtime.bigint() - t0) / 1e6;
			const hwm = s.d.procStatus('VmHWM');
			if (r.status !== 200 || r.json.results[0].status !== 'signed')
				throw new Error(`queue/sign: ${r.status} ${r.text.slice(0, 500)}`);
			let check = '';
			if (spawnSync('pdfsig', ['-v']).status === 0) {
				const d = await s.a.get(`/api/v1/documents/${p.json.id}`);
				const f = d.json.files.find((x) => x.role === 'signed');
				const file = path.join(h.tmp, 'signed.pdf');
				fs.writeFileSync(file, (await s.a.get(f.href)).body);
				const v = spawnSync('pdfsig', ['-nocert', file], { encoding: 'utf8' });
				check = /Signature is Valid/.test(v.stdout) ? ', pdfsig: valid' : ', pdfsig: NOT VALID';
				fs.rmSync(file);
			}
			console.log(`round ${round}: PDF ${data.length} bytes (${mb(data.length / 1024)} MiB)` +
				(canReset ? '' : ' (clear_refs refused: peaks since start)'));
			console.log(`  upload   : peak ${mb(up)} MiB, +${mb(up - idle)} MiB over idle`);
			console.log(`  signature: ${ms.toFixed(0)} ms, RSS before ${mb(before)} MiB, peak ${mb(hwm)} MiB, ` +
				`+${mb(hwm - idle)} MiB over idle (target < 64 MiB)${check}`);
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
