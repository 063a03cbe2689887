// Hélios: a response directory full of acquits (issue 12, point 6).  N
// documents (2,000 unless LIASSE_BULK_ACQUITS says otherwise) wait for their
// acquit, which the gateway has all written at once.  Each acquit is
// committed on its own: the first documents are acknowledged within seconds
// and at different times, a SIGTERM in the middle of the poll stops liassed
// within shutdown_timeout (without the watchdog), and after the restart the
// rest is collected: no acquit read twice over FTP, none lost, one ack file
// and one event "acknowledged" per document, the collected files deleted.
// Then a PostgreSQL restart in the middle of a poll: what was committed
// stays, the rest is collected once liassed has reconnected, and only the
// acquit in hand may be read again.  Last, a gateway that hangs in the
// middle of a poll (transmit_timeout 120 s) does not hold a SIGTERM until
// shutdown_timeout.  Prints the figures: time to the first
// acknowledged, to the SIGTERM's end, and to the last.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { newHarness, pesFile, skip, sleep } from '../lib/harness.mjs';
import { requireStatesim, startStatesim, configureHelios, connectorSet, waitState, FAST } from './transmit-common.mjs';

requireStatesim();
if (!pesFile())
	skip('PES fixture absent (LIASSE_FIXTURES)');
const N = Number(process.env.LIASSE_BULK_ACQUITS || 2000);
const SHUTDOWN_S = 10;
const CONF = { ...FAST, shutdown_timeout: `${SHUTDOWN_S}s` };
const h = newHarness('transmit-helios-bulk');
let env, sim;

test.before(async () => {
	env = await h.setup(CONF);
	sim = await startStatesim(h, { set: { 'helios.p_dest': 'DGFIP-TEST' } });
	await configureHelios(h, env.orgA, sim);
});

test.after(async () => {
	sim.stop();
	await h.stopAll();
});

function acquit(nomfic) {
	return '<?xml version="1.0" encoding="ISO-8859-1"?>\n<PES_ACQUIT><Enveloppe><Parametres>' +
		`<TypFic V="PESALR2"/><NomFic V="${nomfic}"/></Parametres></Enveloppe><ACQUIT><ElementACQUIT>` +
		'<DomaineAck V="5"/><EtatAck V="1"/><NumBord V="1"/><ExerciceBord V="2026"/></ElementACQUIT></ACQUIT></PES_ACQUIT>\n';
}

const acked = async () => Number(await h.psql(`SELECT count(*) FROM transmission t JOIN document d ON d.id = t.doc_id
	WHERE d.title LIKE 'bulk %' AND t.state = 'acknowledged'`));

async function until(what, fn, timeoutMs, everyMs = 100) {
	const t0 = Date.now();
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() - t0 > timeoutMs)
			throw new Error(`${what}: not within ${timeoutMs} ms`);
		await sleep(everyMs);
	}
}

test(`${N} acquits: committed one by one, a SIGTERM mid-poll, nothing read twice or lost`, async () => {
	// One real PES first: the template of the documents below.
	const r = await env.a.postDocument({ kind: 'pes', organisation: env.orgA, title: 'Modèle', sign: false,
		transmit: true }, pesFile(`liasse-bulk-${process.pid}`));
	assert.equal(r.status, 201, r.text);
	assert.equal((await waitState(env.a, r.json.id, ['acknowledged', 'refused', 'failed'])).state, 'acknowledged');

	// N documents transmitted, waiting for those acquits.
	await h.psql(`BEGIN;
		CREATE TEMP TABLE bulk AS SELECT gen_random_uuid() AS id, g FROM generate_series(0, ${N - 1}) g;
		INSERT INTO document (id, org_id, client_id, kind, state, title, want_sign, want_transmit, meta)
		 SELECT b.id, d.org_id, d.client_id, d.kind, 'transmitted', 'bulk ' || b.g, false, true, d.meta
		 FROM bulk b, document d WHERE d.id = '${r.json.id}';
		INSERT INTO transmission (doc_id, org_id, connector, state, sends, remote_name, match_key, sent_at)
		 SELECT b.id, d.org_id, 'helios', 'sent', 1, 'PESALR2_${env.orgA}_261206_' || (100000 + b.g) || '.xml',
		  'bulk-${process.pid}-' || b.g, now() FROM bulk b, document d WHERE d.id = '${r.json.id}';
		COMMIT;`);
	const t0 = Date.now();
	// Then the gateway's answers, each file renamed into place whole (an
	// acquit read before its transmission exists would match nothing).
	const names = Array.from({ length: N }, (_, i) => `PESALR2_${env.orgA}_261206_${100000 + i}.xml`);
	const retour = path.join(sim.dir, 'helios', 'retour'), stage = path.join(sim.dir, 'stage');
	fs.mkdirSync(stage, { recursive: true });
	names.forEach((n, i) => {
		fs.writeFileSync(path.join(stage, `ACK_${n}`), acquit(`bulk-${process.pid}-${i}`), 'latin1');
		fs.renameSync(path.join(stage, `ACK_${n}`), path.join(retour, `ACK_${n}`));
	});

	// SIGTERM in the middle of the poll: once 50 documents are acknowledged,
	// or after 20 s whatever happened (so that the figures compare with a
	// liassed that commits the poll as one transaction).
	let tFirst;
	await until('50 acknowledged or 20 s', async () => {
		const k = await acked();
		if (k && tFirst === undefined)
			tFirst = Date.now() - t0;
		return k >= Math.min(N, 50) || Date.now() - t0 > 20000;
	}, 60000);
	const before = await acked();
	const ts = Date.now();
	const exit = await env.d.stop(SHUTDOWN_S * 1000 + 20000);
	const tStop = Date.now() - ts;
	const atStop = await acked();
	console.log(`# ${N} acquits: first acknowledged after ${tFirst ?? '-'} ms, SIGTERM at ${before} acknowledged ` +
		`(${ts - t0} ms), stopped in ${tStop} ms with ${atStop} acknowledged (exit ${JSON.stringify(exit)})`);
	assert.ok(tFirst !== undefined && tFirst < 10000, `the first acknowledged within seconds (${tFirst} ms)`);
	assert.ok(!/shutdown_timeout .* reached/.test(env.d.logs()), 'stopped before the watchdog had to');
	assert.ok(tStop < SHUTDOWN_S * 1000, `stopped in ${tStop} ms, within shutdown_timeout`);
	assert.ok(atStop < N, 'the SIGTERM came in the middle of the poll');

	// Restarted: the rest is collected.
	const ts2 = Date.now();
	await h.startLiassed(CONF);
	await until(`${N} acknowledged`, async () => (await acked()) === N, 300000, 250);
	console.log(`# the other ${N - atStop} collected ${Date.now() - ts2} ms after the restart; ` +
		`total ${Date.now() - t0} ms`);

	const answered = Number(await h.psql(`SELECT count(DISTINCT answered_at) FROM transmission t
		JOIN document d ON d.id = t.doc_id WHERE d.title LIKE 'bulk %'`));
	assert.ok(answered > 1, 'answered as the acquits were read, not all in one transaction');
	assert.equal(await h.psql(`SELECT count(*) FROM (SELECT f.doc_id FROM document_file f JOIN document d
		ON d.id = f.doc_id WHERE d.title LIKE 'bulk %' AND f.role = 'ack' GROUP BY f.doc_id HAVING count(*) = 1) x`),
	String(N), 'one ack file per document');
	assert.equal(await h.psql(`SELECT count(*) FROM event e JOIN document d ON d.id = e.doc_id
		WHERE d.title LIKE 'bulk %' AND e.state = 'acknowledged'`), String(N), 'one event "acknowledged" per document');
	// Nothing read twice: one RETR per acquit in the gateway's log.
	const retr = new Map();
	for (const m of fs.readFileSync(path.join(h.tmp, 'statesim.log'), 'utf8').matchAll(/< RETR (?:\S*\/)?(ACK_\S+)/g))
		retr.set(m[1], (retr.get(m[1]) || 0) + 1);
	const twice = names.filter((n) => retr.get(`ACK_${n}`) !== 1);
	assert.deepEqual(twice.slice(0, 5), [], `${twice.length} acquits not read exactly once`);
	// The collected acquits are deleted from the response directory.
	await until('the response directory emptied', () => fs.readdirSync(retour).length === 0, 120000, 500);
});

test('a PostgreSQL restart mid-poll: what was committed stays, the rest is read after', async () => {
	const M = Math.min(N, 400);
	const model = await h.psql(`SELECT id FROM document WHERE title = 'Modèle'`);
	const ackedPg = async () => Number(await h.psql(`SELECT count(*) FROM transmission t JOIN document d
		ON d.id = t.doc_id WHERE d.title LIKE 'pgbulk %' AND t.state = 'acknowledged'`));
	await h.psql(`BEGIN;
		CREATE TEMP TABLE bulk AS SELECT gen_random_uuid() AS id, g FROM generate_series(0, ${M - 1}) g;
		INSERT INTO document (id, org_id, client_id, kind, state, title, want_sign, want_transmit, meta)
		 SELECT b.id, d.org_id, d.client_id, d.kind, 'transmitted', 'pgbulk ' || b.g, false, true, d.meta
		 FROM bulk b, document d WHERE d.id = '${model}';
		INSERT INTO transmission (doc_id, org_id, connector, state, sends, remote_name, match_key, sent_at)
		 SELECT b.id, d.org_id, 'helios', 'sent', 1, 'PESALR2_${env.orgA}_261206_' || (200000 + b.g) || '.xml',
		  'pgbulk-${process.pid}-' || b.g, now() FROM bulk b, document d WHERE d.id = '${model}';
		COMMIT;`);
	const names = Array.from({ length: M }, (_, i) => `ACK_PESALR2_${env.orgA}_261206_${200000 + i}.xml`);
	const retour = path.join(sim.dir, 'helios', 'retour'), stage = path.join(sim.dir, 'stage');
	names.forEach((n, i) => {
		fs.writeFileSync(path.join(stage, n), acquit(`pgbulk-${process.pid}-${i}`), 'latin1');
		fs.renameSync(path.join(stage, n), path.join(retour, n));
	});
	await until('30 acknowledged', async () => (await ackedPg()) >= 30, 120000);
	const before = await ackedPg();
	await h.pg.stop('fast');
	await h.pg.start();
	const after = await ackedPg();
	assert.ok(after >= before && after < M, `the restart came mid-poll (${before}, then ${after} of ${M})`);
	await until(`${M} acknowledged`, async () => (await ackedPg()) === M, 300000, 250);
	console.log(`# PostgreSQL restarted with ${after} of ${M} acknowledged; the rest collected after`);
	assert.equal(await h.psql(`SELECT count(*) FROM (SELECT f.doc_id FROM document_file f JOIN document d
		ON d.id = f.doc_id WHERE d.title LIKE 'pgbulk %' AND f.role = 'ack' GROUP BY f.doc_id HAVING count(*) = 1) x`),
	String(M), 'one ack file per document');
	// At most the acquit in hand when the server went away is read again.
	const retr = new Map();
	for (const m of fs.readFileSync(path.join(h.tmp, 'statesim.log'), 'utf8').matchAll(/< RETR (?:\S*\/)?(ACK_\S+)/g))
		retr.set(m[1], (retr.get(m[1]) || 0) + 1);
	const again = names.filter((n) => retr.get(n) !== 1);
	assert.ok(again.length <= 1 && again.every((n) => retr.get(n) === 2), `read again: ${again.join(' ')}`);
});

test('a gateway that hangs in the middle of a poll does not hold the stop (transmit_timeout 120 s)', async () => {
	// An FTP server that logs in and then never answers (EPSV/PASV).
	let hung = false;
	const srv = net.createServer((s) => {
		s.write('220 hang\r\n');
		let pending = '';
		s.on('data', (d) => {
			pending += d.toString();
			for (let i; (i = pending.indexOf('\n')) >= 0; pending = pending.slice(i + 1)) {
				const verb = pending.slice(0, i).trim().split(' ')[0].toUpperCase();
				const answer = { USER: '331 ok', PASS: '230 ok', PWD: '257 "/"', CWD: '250 ok', TYPE: '200 ok' }[verb];
				if (answer)
					s.write(`${answer}\r\n`);
				else
					hung = true;
			}
		});
		s.on('error', () => {});
	});
	await new Promise((r) => srv.listen(0, '127.0.0.1', r));
	try {
		await connectorSet(h, env.orgB, 'helios', { url: `ftp://127.0.0.1:${srv.address().port}/`, p_dest: 'DGFIP-TEST' });
		const model = await h.psql(`SELECT id FROM document WHERE title = 'Modèle'`);
		await h.psql(`WITH d AS (INSERT INTO document (org_id, client_id, kind, state, title, want_sign, want_transmit, meta)
			SELECT o.id, c.client_id, m.kind, 'transmitted', 'hang', false, true, m.meta FROM document m,
			organisation o, api_client_org c WHERE m.id = '${model}' AND o.siren = '${env.orgB}' AND c.org_id = o.id
			LIMIT 1 RETURNING id, org_id)
			INSERT INTO transmission (doc_id, org_id, connector, state, sends, remote_name, sent_at)
			SELECT id, org_id, 'helios', 'sent', 1, 'PESALR2_${env.orgB}_261206_001.xml', now() FROM d`);
		for (const d of h.daemons)
			if (d.running)
				await d.stop();
		const d = await h.startLiassed({ ...CONF, transmit_timeout: '120s' });
		await until('the poll hanging', () => hung, 30000);
		const ts = Date.now();
		await d.stop(SHUTDOWN_S * 1000 + 20000);
		const tStop = Date.now() - ts;
		console.log(`# stopped in ${tStop} ms while the gateway hung`);
		assert.ok(!/shutdown_timeout .* reached/.test(d.logs()), 'stopped before the watchdog had to');
		assert.ok(tStop < SHUTDOWN_S * 1000, `stopped in ${tStop} ms, within shutdown_timeout`);
	} finally {
		srv.close();
	}
});
