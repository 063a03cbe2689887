#!/usr/bin/env node
// bench/queue-sign.mjs [-n DOCS] [-r ROUNDS]: batch-signing DOCS one-bordereau
// PES (default 100) through POST /api/v1/queue/sign, against the raw signing
// engine (bench/queue-sign-raw: sign_pes() on the same files, key already
// in memory) in the same run.  Each round uploads DOCS new PES (not timed),
// signs them with the raw engine, then through the queue API with one PIN,
// and checks that all were signed.  Reports per round and the median:
// API ms, raw ms, overhead = API / raw - 1, and liassed's own split (key
// unwrapping, the scrypt derivation done once per batch, against the rest).
//
// Uses tests/lib/harness.mjs: a private PostgreSQL (fsync=off,
// synchronous_commit=off, as the tests) and liassed from the build tree.
// Run from the build directory:
//   make bench/queue-sign-raw && top_srcdir=<src> node <src>/bench/queue-sign.mjs -n 100 -r 3
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { newHarness, PASSWORD, OFFICIAL_A, topBuilddir } from '../tests/lib/harness.mjs';
import { makePki } from '../tests/lib/pki.mjs';
import { numArg } from './args.mjs';

const N = numArg('-n', 100);
const ROUNDS = numArg('-r', 3);
const PIN = 'banc-essai-42';
const RAW = path.join(topBuilddir, 'bench/queue-sign-raw');

// A one-bordereau PES of the bench organisation (ORG_A of the harness).
function pes(nomfic, i) {
	return Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?>\n' +
		'<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller" Id="PES1">\n' +
		` <Enveloppe><Parametres><Version V="2"/><TypFic V="PESALR2"/><NomFic V="${nomfic}"/></Parametres></Enveloppe>\n` +
		' <EnTetePES><DteStr V="2026-01-15"/><IdPost V="034000"/><IdColl V="12345678912345"/>' +
		'<CodCol V="123"/><CodBud V="12"/><LibelleColBud V="COMMUNE"/></EnTetePES>\n' +
		' <PES_DepenseAller>\n  <EnTeteDepense><IdVer V="1"/><InfoDematerialisee V="0"/></EnTeteDepense>\n' +
		`  <Bordereau Id="BORD${i}">\n   <BlocBordereau><Exer V="2026"/><IdBord V="${i}"/>` +
		'<DteBordEm V="2026-01-15"/><TypBord V="01"/><NbrPce V="1"/></BlocBordereau>\n' +
		`   <Piece><BlocPiece><InfoPce><IdPce V="${i}"/><TypPce V="01"/><NatPce V="01"/>` +
		'<Obj V="FOURNITURES SCOLAIRES \xc9COLE"/></InfoPce></BlocPiece><LigneDePiece>' +
		`<BlocLignePiece><InfoLignePce><IdLigne V="1"/><Nature V="6067"/><Fonction V="212"/><LibVir1 V="FACTURE ${i}"/>` +
		'<ModRegl V="03"/><MtHT V="1234.56"/></InfoLignePce></BlocLignePiece><Tiers><InfoTiers>' +
		`<RefTiers V="${i}"/><CatTiers V="01"/><NatJur V="01"/><Nom V="LIBRAIRIE DU CENTRE"/></InfoTiers>` +
		'</Tiers></LigneDePiece></Piece>\n  </Bordereau>\n </PES_DepenseAller>\n</n:PES_Aller>\n', 'latin1');
}

// CPU milliseconds (user + system) of a process, from /proc (clock ticks of 10 ms).
function cpuOf(pid) {
	try {
		const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
		return (Number(v[11]) + Number(v[12])) * 10;   // utime, stime
	} catch {
		return 0;
	}
}

// liassed's CPU plus that of the cluster's postmaster and its children
// (backends, WAL writer...): what the API path costs the machine.
function apiCpu(liassedPid, dataDir) {
	const pm = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
	let ms = cpuOf(pm);
	for (const d of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(d))
			continue;
		try {
			const f = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
			if (Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[1]) === pm)
				ms += cpuOf(d);
		} catch { /* gone */ }
	}
	return { liassed: cpuOf(liassedPid), pg: ms };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
	if (!fs.existsSync(RAW)) {
		console.error(`queue-sign: ${RAW} is missing: make bench/queue-sign-raw`);
		process.exit(1);
	}
	const h = newHarness('bench-queue-sign');
	const pki = await makePki();
	try {
		const s = await h.setup({ log_level: 'info' });
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
		const dir = fs.mkdtempSync(path.join(h.tmp, 'pes-'));
		const rows = [];
		for (let round = 1; round <= ROUNDS; round++) {
			const ids = [], files = [];
			for (let i = 0; i < N; i++) {
				const nomfic = `BENCH_R${round}_${i}`;
				const data = pes(nomfic, i + 1);
				const f = path.join(dir, `${nomfic}.xml`);
				fs.writeFileSync(f, data);
				files.push(f);
				const r = await s.a.postDocument({ kind: 'pes', organisation: s.orgA, title: nomfic,
					transmit: false }, { name: `${nomfic}.xml`, type: 'application/xml', data });
				if (r.status !== 201 || r.json.state !== 'pending_signature')
					throw new Error(`upload ${i}: ${r.status} ${r.text}`);
				ids.push(r.json.id);
			}
			const raw = spawnSync(RAW, [pki.signer.p12, pki.pass, ...files], { encoding: 'utf8' });
			if (raw.status !== 0)
				throw new Error(`queue-sign-raw: ${raw.stderr}`);
			const rawMs = JSON.parse(raw.stdout).ms;
			const rawCpu = JSON.parse(raw.stdout).cpu_ms;
			const c0 = apiCpu(s.d.pid, h.pg.data);
			const t0 = process.hrtime.bigint();
			const r = await official.postJson('/api/v1/queue/sign', { documents: ids, pin: PIN });
			const apiMs = Number(process.hrtime.bigint() - t0) / 1e6;
			const c1 = apiCpu(s.d.pid, h.pg.data);
			const apiCpuMs = c1.liassed - c0.liassed + c1.pg - c0.pg;
			if (r.status !== 200 || r.json.signed !== N)
				throw new Error(`queue/sign: ${r.status} ${r.text.slice(0, 500)}`);
			const m = [...s.d.logs().matchAll(/documents signed in (\d+) ms \(key opened in (\d+) ms;([^)]*)\)/g)].pop();
			const keyMs = m ? Number(m[2]) : NaN;
			console.log(`  liassed: batch ${m && m[1]} ms: key ${keyMs} ms;${m && m[3]}`);
			rows.push({ round, apiMs, rawMs, keyMs, apiCpuMs, rawCpu });
			console.log(`  CPU: API path ${apiCpuMs} ms (liassed ${c1.liassed - c0.liassed} ms, PostgreSQL ` +
				`${c1.pg - c0.pg} ms), raw engine ${rawCpu.toFixed(0)} ms`);
			console.log(`round ${round}: API ${apiMs.toFixed(1)} ms (key unwrap ${keyMs} ms), ` +
				`raw engine ${rawMs.toFixed(1)} ms, overhead ${((apiMs / rawMs - 1) * 100).toFixed(0)} %, ` +
				`without the unwrap ${(((apiMs - keyMs) / rawMs - 1) * 100).toFixed(0)} %`);
		}
		const api = median(rows.map((x) => x.apiMs)), raw = median(rows.map((x) => x.rawMs));
		const key = median(rows.map((x) => x.keyMs));
		const acpu = median(rows.map((x) => x.apiCpuMs)), rcpu = median(rows.map((x) => x.rawCpu));
		console.log(`median of ${ROUNDS} rounds, ${N} one-bordereau PES per batch:`);
		console.log(`  queue API : ${api.toFixed(1)} ms (${(api / N).toFixed(2)} ms/document), key unwrap ${key} ms once`);
		console.log(`  raw engine: ${raw.toFixed(1)} ms (${(raw / N).toFixed(2)} ms/document)`);
		console.log(`  overhead  : ${((api / raw - 1) * 100).toFixed(0)} % ` +
			`(${(((api - key) / raw - 1) * 100).toFixed(0)} % without the once-per-batch PIN derivation)`);
		console.log(`  CPU time : API path ${acpu} ms (liassed + PostgreSQL), raw engine ${rcpu.toFixed(0)} ms, ` +
			`overhead ${((acpu / rcpu - 1) * 100).toFixed(0)} %`);
	} finally {
		await h.stopAll();
		await pki.cleanup();
	}
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
