// bench/journal: `liasse journal verify` over N journal entries (default
// 10,000,000), against the raw cost of reading the same rows out of
// PostgreSQL (COPY ... TO STDOUT of the columns verify reads) measured in the
// same run.  A measurement, not a test (not run by make check).
//
//   bench/journal/run.sh [N] [ROUNDS]
//
// The entries are chained here (SHA-256 in node, the canonical text of
// schemas/sql/functions/10_journal.sql) and loaded with COPY: sealing ten
// million rows with journal_seal() would take longer than the measurement.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { newHarness, run, RUN_USER } from '../../tests/lib/harness.mjs';

const N = Number(process.argv[2] || 10000000);
const ROUNDS = Number(process.argv[3] || 3);
const ACTIONS = ['document.received', 'document.pending_signature', 'document.signed',
	'document.transmitted', 'document.acknowledged'];

function copyIn(pg, sql, produce) {
	return new Promise((resolve, reject) => {
		const p = spawn(path.join(pg.bindir, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1',
			'-h', pg.sock, '-U', RUN_USER, '-d', 'liasse', '-c', sql], { stdio: ['pipe', 'inherit', 'inherit'] });
		p.on('error', reject);
		p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql COPY exited ${code}`))));
		produce(p.stdin).then(() => p.stdin.end(), reject);
	});
}

async function seed(pg) {
	let prev = Buffer.alloc(32);
	const t0 = Date.UTC(2016, 0, 1);
	await copyIn(pg, 'COPY journal (at, actor, action, doc_id, org_id, detail, seq, prev_hash, hash) FROM STDIN',
		async (out) => {
			let chunk = [];
			for (let seq = 1; seq <= N; seq++) {
				const ms = t0 + seq * 31;                    /* ten years for 10 M */
				const actor = seq % 3 ? `client:vendor-${seq % 40}` : `person:p${seq % 20000}@mairie.demo`;
				const action = ACTIONS[seq % ACTIONS.length];
				const doc = crypto.randomUUID();
				const org = String(1 + (seq % 500));
				const detail = seq % 2 ? '{}' : `{"event": "e${seq % 7}"}`;
				const canon = [seq, ms * 1000, actor, action, doc, org, detail].join('|');
				const hash = crypto.createHash('sha256').update(prev).update(canon, 'utf8').digest();
				chunk.push([new Date(ms).toISOString(), actor, action, doc, org, detail, seq,
					'\\\\x' + prev.toString('hex'), '\\\\x' + hash.toString('hex')].join('\t'));
				prev = hash;
				if (chunk.length === 20000 || seq === N) {
					if (!out.write(chunk.join('\n') + '\n'))
						await new Promise((r) => out.once('drain', r));
					chunk = [];
				}
			}
		});
}

const h = newHarness('bench-journal');
try {
	const pg = await h.startPostgres();
	await h.mustCli(['db', 'migrate']);
	let t = performance.now();
	await h.psql('ALTER TABLE journal DISABLE TRIGGER USER');
	await seed(pg);
	await h.psql('ALTER TABLE journal ENABLE TRIGGER USER');
	await h.psql('VACUUM ANALYZE journal');
	console.log(`seeded ${N} chained entries in ${((performance.now() - t) / 1000).toFixed(0)} s ` +
		`(${await h.psql("SELECT pg_size_pretty(pg_total_relation_size('journal'))")})`);
	const raw = [], verify = [];
	for (let i = 0; i < ROUNDS; i++) {
		t = performance.now();
		const r = await run(path.join(pg.bindir, 'psql'), ['-X', '-q', '-h', pg.sock, '-U', RUN_USER, '-d', 'liasse',
			'-o', '/dev/null', '-c', 'COPY (SELECT seq, (extract(epoch FROM at) * 1000000)::bigint, actor, action,'
			+ ' doc_id, org_id, detail, prev_hash, hash FROM journal ORDER BY seq) TO STDOUT']);
		if (r.code !== 0)
			throw new Error(r.stderr);
		raw.push((performance.now() - t) / 1000);
		t = performance.now();
		const v = await h.cli(['journal', 'verify']);
		if (v.code !== 0)
			throw new Error(`journal verify: ${v.stderr}`);
		verify.push((performance.now() - t) / 1000);
		console.log(`round ${i + 1}: raw COPY read ${raw[i].toFixed(1)} s, liasse journal verify ` +
			`${verify[i].toFixed(1)} s (${v.stdout.trim().split('\n')[0]})`);
	}
	const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
	console.log(`median: verify ${med(verify).toFixed(1)} s for ${N} entries, raw read ${med(raw).toFixed(1)} s,` +
		` ratio verify/raw ${(med(verify) / med(raw)).toFixed(2)}`);
	await h.stopAll();
} catch (e) {
	console.error(e);
	await h.stopAll?.();
	process.exit(1);
}
