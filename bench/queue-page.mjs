// bench/queue-page: the official's queue page ("Mon parapheur", GET
// /parapheur) with 5,000 pending documents, rendered server-side by liassed.
// Not part of make check: a measurement, not a timed test (target < 50 ms).
//
//   cd <build directory>
//   top_builddir=$PWD top_srcdir=<source directory> node <source directory>/bench/queue-page.mjs [DOCS] [ROUNDS]
//
// A private PostgreSQL cluster and liassed as the integration tests start
// them (tests/lib/harness.mjs); DOCS documents (default 5000) of the three
// kinds are inserted straight into the queue of one official (SQL, to save
// minutes of uploads), then the page is fetched ROUNDS times (default 30)
// after 3 warm-up fetches, with the official's session cookie: the first
// page (100 rows, the counts, badge and filters over all DOCS), the last
// page (?apres=, the cursor of the row before it, as "Page suivante" links
// it), the page before the last (?avant=, "Page précédente"), and a
// filtered first page.  Reported:
// wall time per request at the client (min, median, p95, mean), the page's
// size, and liassed's own Server-Timing split: the store query (JSON built
// by PostgreSQL, parsed by jansson) and the HTML rendering.
import { performance } from 'node:perf_hooks';
import { newHarness, request, OFFICIAL_A, PASSWORD } from '../tests/lib/harness.mjs';

const DOCS = Number(process.argv[2] || 5000);
const ROUNDS = Number(process.argv[3] || 30);

function stats(xs) {
	const s = [...xs].sort((a, b) => a - b);
	const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
	return { min: s[0], median: q(0.5), p95: q(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

const fmt = (x) => x.toFixed(2).padStart(8);

function line(what, st) {
	console.log(`${what.padEnd(28)} min ${fmt(st.min)} ms  median ${fmt(st.median)} ms  ` +
		`p95 ${fmt(st.p95)} ms  mean ${fmt(st.mean)} ms`);
}

async function measure(url, cookie, path, rounds) {
	const wall = [], db = [], render = [];
	let bytes = 0, rows = 0;
	for (let i = 0; i < rounds + 3; i++) {
		const t0 = performance.now();
		const r = await request(url, { path, headers: { Cookie: cookie } });
		const t = performance.now() - t0;
		if (r.status !== 200)
			throw new Error(`GET ${path} answered ${r.status}`);
		if (i < 3)
			continue;
		wall.push(t);
		const m = /db;dur=([\d.]+), render;dur=([\d.]+)/.exec(r.headers['server-timing'] || '');
		if (m) {
			db.push(Number(m[1]));
			render.push(Number(m[2]));
		}
		bytes = r.body.length;
		rows = (r.text.match(/name="doc"/g) || []).length;
	}
	return { wall: stats(wall), db: stats(db), render: stats(render), bytes, rows };
}

const h = newHarness('bench-queue-page');
try {
	const s = await h.setup();
	await h.cli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' });
	await h.psql(`INSERT INTO document (org_id, client_id, kind, state, title, want_sign, want_transmit,
			due_date, signer_id)
		SELECT o.id, c.id, (ARRAY['pes','acte','document'])[1 + g % 3]::doc_kind, 'pending_signature',
			'Document à signer n° ' || g || ' — délibération du conseil municipal', true, false,
			current_date + (g % 120), p.id
		FROM generate_series(1, ${DOCS}) g, organisation o, api_client c, person p
		WHERE o.siren = '${s.orgA}' AND c.name = 'vendor-a' AND p.email = '${OFFICIAL_A}'`);
	await h.psql('ANALYZE');
	const login = await s.d.login(OFFICIAL_A);
	// the cursors "Page suivante" and "Page précédente" carry deep in the queue
	const person = `(SELECT id FROM person WHERE email = '${OFFICIAL_A}')`;
	const last = await h.psql(`SELECT next_cursor FROM queue_slice(${person}, NULL, NULL, NULL, NULL,
		${Math.max(1, Math.ceil(DOCS / 100) - 1) * 100}, NULL, false)`);
	const lastHead = await h.psql(`SELECT prev_cursor FROM queue_slice(${person}, NULL, NULL, NULL, NULL,
		100, '${last}', false)`);
	console.log(`queue page, ${DOCS} pending documents, ${ROUNDS} rounds after 3 warm-up requests`);
	for (const [what, path] of [['GET /parapheur', '/parapheur'],
		['GET /parapheur?apres= (last page)', `/parapheur?apres=${last}`],
		['GET /parapheur?avant= (the one before)', `/parapheur?avant=${lastHead}`],
		['GET /parapheur?type=pes', '/parapheur?type=pes']]) {
		const m = await measure(s.d.url, login.cookie, path, ROUNDS);
		console.log(`${what}: ${m.rows} rows, ${(m.bytes / 1024).toFixed(0)} KiB of HTML`);
		line('  wall time at the client', m.wall);
		line('  server: query + JSON', m.db);
		line('  server: HTML rendering', m.render);
	}
} finally {
	await h.stopAll();
}
