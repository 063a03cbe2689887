// bench/scale: liasse at the size of a large deployment.  Seeds a private
// PostgreSQL cluster with N documents (bench/scale/seed.sql: set-based SQL,
// minutes for a million) and reports p50/p99 of the reads that must stay
// fast as the tables grow.  A measurement, not a test (not run by make check).
//
//   bench/scale/run.sh [N] [ROUNDS]       (default 1000000 documents, 30 rounds)
//
// The cluster and liassed start as the integration tests start them
// (tests/lib/harness.mjs: fsync, full_page_writes and synchronous_commit off,
// PostgreSQL's other settings as shipped); liassed with log_level = info.
// Sizes follow N: organisations min(500, N/2000), people min(20000, N/50),
// pending per signer min(200, N/(10*organisations)), and the hot official
// (signer of the first organisation) min(2000, N/10) more.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { newHarness, request, run, topBuilddir, PASSWORD, RUN_USER } from '../../tests/lib/harness.mjs';

const N = Number(process.argv[2] || 1000000);
const ROUNDS = Number(process.argv[3] || 30);
const here = path.dirname(fileURLToPath(import.meta.url));
const orgs = Math.max(2, Math.min(500, Math.floor(N / 2000)));
const people = Math.max(orgs * 2, Math.min(20000, Math.floor(N / 50)));
const pending = Math.max(1, Math.min(200, Math.floor(N / (10 * orgs))));
const hot = Math.max(10, Math.min(2000, Math.floor(N / 10)));

function pct(xs, p) {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

async function measure(d, what, p, headers) {
	const t = [];
	let r;
	for (let i = 0; i < ROUNDS + 3; i++) {
		const t0 = performance.now();
		r = await request(d.url, { path: p, headers });
		const ms = performance.now() - t0;
		if (r.status !== 200)
			throw new Error(`GET ${p} answered ${r.status}: ${r.text.slice(0, 300)}`);
		if (i >= 3)
			t.push(ms);
	}
	console.log(`${what.padEnd(44)} p50 ${pct(t, 0.5).toFixed(2).padStart(8)} ms  p99 ` +
		`${pct(t, 0.99).toFixed(2).padStart(8)} ms  (${(r.body.length / 1024).toFixed(0)} KiB)`);
}

const h = newHarness('bench-scale');
try {
	const pg = await h.startPostgres();
	await h.mustCli(['db', 'migrate']);
	console.log(`seeding ${N} documents: ${orgs} organisations, ${people} people, ${pending} pending per signer,`
		+ ` ${hot} more for the hot official`);
	const t0 = performance.now();
	const seed = await run(path.join(pg.bindir, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1',
		'-h', pg.sock, '-U', RUN_USER, '-d', 'liasse', '-v', `docs=${N}`, '-v', `orgs=${orgs}`,
		'-v', `people=${people}`, '-v', `pending=${pending}`, '-v', `hot=${hot}`, '-f', path.join(here, 'seed.sql')]);
	if (seed.code !== 0)
		throw new Error(`seed.sql: ${seed.stderr}`);
	const sz = await h.psql("SELECT pg_size_pretty(pg_database_size('liasse')), (SELECT count(*) FROM journal),"
		+ ' (SELECT count(*) FROM event)');
	console.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s: database ${sz.split('|')[0]},`
		+ ` ${sz.split('|')[1]} journal entries, ${sz.split('|')[2]} events`);

	// retention off: the seeded ten years of events stay (a first purge would run meanwhile)
	let d = await h.startLiassed({ workers: 1, retention_interval: 0 });
	const key = 'lsk_' + crypto.randomBytes(32).toString('base64url');
	await h.psql(`UPDATE api_client SET key_sha256 = sha256(convert_to('${key}', 'UTF8')) WHERE name = 'vendor-1'`);
	const api = { Authorization: `Bearer ${key}` };
	const hotEmail = 'p1@bench.example';
	await h.mustCli(['person', 'passwd', hotEmail], { input: PASSWORD + '\n' });
	await h.person({ email: 'admin@bench.example', name: 'Admin', password: PASSWORD, operator: true });
	const official = await d.login(hotEmail);
	const admin = await d.login('admin@bench.example');
	const vendor = await h.psql("SELECT id FROM api_client WHERE name = 'vendor-1'");
	const deepPos = await h.psql(`SELECT (extract(epoch FROM updated_at) * 1000000)::bigint || ' ' || id
		FROM document WHERE org_id IN (SELECT org_id FROM api_client_org WHERE client_id = ${vendor})
		ORDER BY updated_at, id OFFSET (SELECT count(*) / 2 FROM document
			WHERE org_id IN (SELECT org_id FROM api_client_org WHERE client_id = ${vendor})) LIMIT 1`);
	const oneDoc = await h.psql(`SELECT id FROM document WHERE client_id = ${vendor} ORDER BY id LIMIT 1`);
	const person = await h.psql(`SELECT id FROM person WHERE email = '${hotEmail}'`);
	const queueDepth = await h.psql(`SELECT count(*) FROM queue_docs(${person})`);
	const deepQueue = await h.psql(`SELECT queue_json(${person}, NULL, NULL, NULL,
		greatest(1, (SELECT count(*) FROM queue_docs(${person}))::int - 150), NULL)->>'next_cursor'`);
	// "Page suivante" from page 14: the cursor of the 1,400th row
	const deepWeb = await h.psql(`SELECT next_cursor FROM queue_slice(${person}, NULL, NULL, NULL, NULL,
		1400, NULL, false)`);
	const midEvent = await h.psql(`SELECT max(seq) / 2 FROM event WHERE client_id = ${vendor}`);

	console.log(`\n${ROUNDS} rounds after 3 warm-up requests each, wall time at the client:`);
	await measure(d, 'vendor listing, first page (50)', '/api/v1/documents', api);
	await measure(d, 'vendor listing, cursor half-way', `/api/v1/documents?cursor=${Buffer.from(deepPos).toString('base64url')}`, api);
	await measure(d, 'vendor listing, state=pending_signature', '/api/v1/documents?state=pending_signature', api);
	await measure(d, 'one document', `/api/v1/documents/${oneDoc}`, api);
	await measure(d, `queue API, first page (${queueDepth} pending)`, '/api/v1/queue', { Cookie: official.cookie });
	await measure(d, 'queue API, last pages (cursor)', `/api/v1/queue?cursor=${deepQueue}`, { Cookie: official.cookie });
	await measure(d, 'queue web page /parapheur', '/parapheur', { Cookie: official.cookie });
	await measure(d, 'queue web page 15 (?apres=cursor)', `/parapheur?apres=${deepWeb}`, { Cookie: official.cookie });
	await measure(d, 'events feed, after=0 (100)', '/api/v1/events', api);
	await measure(d, 'events feed, half-way (100)', `/api/v1/events?after=${midEvent}`, api);
	await measure(d, 'admin journal page', '/admin/journal', { Cookie: admin.cookie });
	await measure(d, 'admin journal, action=document.signed', '/admin/journal?action=document.signed', { Cookie: admin.cookie });
	await measure(d, 'admin journal, acteur=p1@', '/admin/journal?acteur=p1%40', { Cookie: admin.cookie });
	// Ingest at 1 and 8 clients into the full database, against raw INSERT +
	// COMMIT into the same cluster in the same run (bench/ingest; `make
	// bench/ingest` first, skipped when it is not built).
	const ingest = path.join(topBuilddir, 'bench', 'ingest');
	if (fs.existsSync(ingest)) {
		// as bench/run-ingest.sh measures it: PostgreSQL's own durability
		// settings, for the API and the raw baseline alike (the seeding ran
		// without them)
		await d.stop();
		await pg.stop();
		pg.durable = true;
		await pg.start();
		d = await h.startLiassed({ workers: 1, retention_interval: 0 });
		const siren = await h.psql(`SELECT o.siren FROM organisation o JOIN api_client_org a ON a.org_id = o.id
			WHERE a.client_id = ${vendor} ORDER BY o.id LIMIT 1`);
		for (const clients of [1, 8]) {
			// -P, -L: the CPU per document of PostgreSQL and liassed
			const pgPid = fs.readFileSync(path.join(pg.data, 'postmaster.pid'), 'utf8').split('\n')[0];
			const r = await run(ingest, ['-u', d.url, '-k', key, '-o', siren, '-c', String(clients), '-d', '15',
				'-D', `host=${pg.sock} dbname=liasse user=${RUN_USER}`, '-P', pgPid, '-L', String(d.pid)]);
			if (r.code !== 0)
				throw new Error(`bench/ingest: ${r.stderr}`);
			console.log(`\n${r.stdout.trim()}`);
		}
	} else {
		console.log('\n(ingest skipped: make bench/ingest to measure it)');
	}
	const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
	console.log(`\nload average at the end: ${load}`);
} finally {
	await h.stopAll();
}
