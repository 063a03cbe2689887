// Retention (issue 17, point 4): liassed's workers purge feed events,
// finished webhook deliveries, finished jobs, expired sessions and e-mail
// notifications no longer to send after their
// periods, in small batches, and nothing else: documents, files and the
// journal stay (the journal still verifies).  The feed stays gap-free for a
// consumer reading within the period; one whose position is older gets 410
// naming `after` and the oldest position available.  Periods of seconds here.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import {
	newHarness, docMeta, pdfFile, assertProblem, sleep, OFFICIAL_A, PASSWORD,
} from '../lib/harness.mjs';

const h = newHarness('retention');
const KEEP_S = 6;

async function post(client, org, title) {
	const r = await client.postDocument(docMeta(org, { title }), pdfFile(1500, `${title}.pdf`));
	assert.equal(r.status, 201, r.text);
	return r.json;
}

async function until(what, pred, seconds = 40) {
	for (let i = 0; i < seconds * 5; i++) {
		if (await pred())
			return;
		await sleep(200);
	}
	throw new Error(`timed out waiting for ${what}`);
}

const sql = (q) => h.psql(q);

describe('retention', () => {
	let s;
	const counts = {};

	before(async () => {
		s = await h.setup({
			retention_interval: '1s', retention_batch: 2, retention_events: `${KEEP_S}s`,
			retention_webhook_deliveries: `${KEEP_S}s`, retention_jobs: `${KEEP_S}s`, retention_sessions: '1s',
			retention_notifications: `${KEEP_S}s`, retention_idempotency: `${KEEP_S}s`,
		});
		await h.mustCli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' });
	});
	after(() => h.stopAll());

	it('a consumer within the period reads every event once; an older position gets 410', async () => {
		// A webhook, deleted (nothing is sent), holding one delivery pending
		// and one finished for the first two events of client A.
		const first = await post(s.a, s.orgA, 'first');
		const second = await post(s.a, s.orgA, 'second');
		const posted = [first.id, second.id];
		let feed = [], pos = 0;
		const read = async () => {
			for (;;) {
				const r = await s.a.get(`/api/v1/events?after=${pos}&limit=3`);
				assert.equal(r.status, 200, r.text);
				feed = feed.concat(r.json.items);
				pos = r.json.next_after;
				if (r.json.items.length < 3)
					return;
			}
		};
		await until('the two first events', async () => { await read(); return feed.length >= 2; });
		const [e1, e2] = feed;
		await sql(`INSERT INTO webhook (client_id, url, secret, deleted_at)
			SELECT client_id, 'https://vendor.example/hook', repeat('s', 32), now() FROM event WHERE seq = ${e1.id}`);
		await sql(`INSERT INTO webhook_delivery (webhook_id, event_id, state, done_at)
			SELECT (SELECT max(id) FROM webhook), id, 'delivered', now() FROM event WHERE seq = ${e1.id}`);
		await sql(`INSERT INTO webhook_attempt (delivery_id, n, http_status, outcome)
			SELECT max(id), 1, 200, 'delivered' FROM webhook_delivery`);
		await sql(`INSERT INTO webhook_delivery (webhook_id, event_id)
			SELECT (SELECT max(id) FROM webhook), id FROM event WHERE seq = ${e2.id}`);

		// The steady consumer reads every 200 ms while documents keep coming
		// and the old events go.
		const t0 = Date.now();
		for (let i = 0; Date.now() - t0 < (KEEP_S + 4) * 1000; i++) {
			if (i % 5 === 0)
				posted.push((await post(s.a, s.orgA, `doc ${i}`)).id);
			await read();
			await sleep(200);
		}
		counts.docs = await sql('SELECT count(*) FROM document');
		counts.files = await sql('SELECT count(*) FROM document_file');
		counts.blobs = await sql('SELECT count(*) FROM blob_chunk');
		// The event with a pending delivery stops the purge there: only e1 went.
		assert.equal(await sql('SELECT upto FROM event_purged WHERE client_id = (SELECT client_id FROM event'
			+ ` WHERE seq = ${e2.id})`), String(e1.id));
		assert.equal(await sql(`SELECT count(*) FROM webhook_delivery WHERE event_id NOT IN (SELECT id FROM event)`), '0');
		assert.equal(await sql('SELECT count(*) FROM webhook_attempt'), '0', 'the attempts went with their delivery');
		// The delivery ends (failed): the purge goes on past it.
		await sql("UPDATE webhook_delivery SET state = 'failed', done_at = now() WHERE state = 'pending'");
		await until('the events older than the period to go', async () => {
			await read();
			return Number(await sql(`SELECT count(*) FROM event WHERE seq <= ${e2.id}`)) === 0;
		});
		await read();
		const ids = feed.map((e) => e.id);
		assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'in increasing position');
		assert.equal(new Set(ids).size, ids.length, 'none twice');
		assert.deepEqual(feed.map((e) => e.document).sort(), [...posted].sort(), 'every document\'s event, none missing');
		const purged = Number(await sql('SELECT upto FROM event_purged WHERE client_id = (SELECT client_id FROM'
			+ ' api_client_org JOIN organisation o ON o.id = org_id WHERE o.siren = \'' + s.orgA + '\')'));
		assert.ok(purged >= e2.id, `purged up to ${purged}`);

		// A consumer still at a purged position: 410, naming after and where to resume.
		const late = await s.a.get('/api/v1/events?after=0');
		assertProblem(assert, late, { status: 410, field: 'after' });
		assert.match(late.json.detail, new RegExp(`after=${purged}\\b`));
		assertProblem(assert, await s.a.get(`/api/v1/events?after=${purged - 1}`), { status: 410, field: 'after' });
		const resume = await s.a.get(`/api/v1/events?after=${purged}`);
		assert.equal(resume.status, 200, resume.text);
	});

	it('positions are never given twice, even once every event is purged', async () => {
		await until('every event to go', async () => (await sql('SELECT count(*) FROM event')) === '0');
		const top = Number(await sql('SELECT max(upto) FROM event_purged'));
		const d = await post(s.a, s.orgA, 'after the purge');
		await until('its event', async () => (await sql(`SELECT seq FROM event WHERE doc_id = '${d.id}'`)) !== '');
		assert.ok(Number(await sql(`SELECT seq FROM event WHERE doc_id = '${d.id}'`)) > top);
		const r = await s.a.get(`/api/v1/events?after=${top}`);
		assert.deepEqual(r.json.items.map((e) => e.document), [d.id]);
	});

	it('documents, files and the journal stay, and the journal still verifies', async () => {
		assert.equal(await sql('SELECT count(*) FROM document WHERE title <> \'after the purge\''), counts.docs);
		assert.equal(await sql('SELECT count(*) FROM document_file f JOIN document d ON d.id = f.doc_id'
			+ ' WHERE d.title <> \'after the purge\''), counts.files);
		assert.ok(Number(await sql('SELECT count(*) FROM blob_chunk')) >= Number(counts.blobs));
		assert.ok(Number(await sql("SELECT count(*) FROM journal WHERE action = 'document.received'")) >= Number(counts.docs));
		const v = await h.cli(['journal', 'verify']);
		assert.equal(v.code, 0, v.stderr);
		assert.match(v.stdout, /chain intact/);
	});

	it('finished jobs go, but not one a webhook still names; expired sessions go, live ones stay', async () => {
		await sql("INSERT INTO job (kind, done_at) VALUES ('test-old', now() - interval '1 hour'),"
			+ " ('test-named', now() - interval '1 hour'), ('test-open', NULL)");
		await sql("UPDATE webhook SET job_id = (SELECT id FROM job WHERE kind = 'test-named')");
		const live = await s.d.login(OFFICIAL_A);
		const old = await s.d.login(OFFICIAL_A);
		assert.equal((await old.get('/api/v1/queue')).status, 200);
		await sql("UPDATE session SET expires_at = now() - interval '1 minute'"
			+ ' WHERE created_at = (SELECT max(created_at) FROM session)');
		await until('the old job and the expired session to go', async () =>
			(await sql("SELECT count(*) FROM job WHERE kind = 'test-old'")) === '0'
			&& (await sql('SELECT count(*) FROM session WHERE expires_at < now()')) === '0');
		assert.equal(await sql("SELECT count(*) FROM job WHERE kind IN ('test-named', 'test-open')"), '2');
		assert.equal((await live.get('/api/v1/queue')).status, 200, 'the live session stays');
		assert.equal((await old.get('/api/v1/queue')).status, 401);
		assert.match(fs.readFileSync(h.daemons[0].logFile, 'utf8'), /retention: \d+ sessions purged/);
	});

	it('notifications sent, skipped or refused go after the period; one still to send stays', async () => {
		const pid = await sql(`SELECT id FROM person WHERE email = '${OFFICIAL_A}'`);
		const doc = await sql('SELECT id FROM document ORDER BY created_at LIMIT 1');
		const old = "now() - interval '1 hour'";
		// sent, refused for good (5xx), still to send (retried, and one being
		// sent: leased), digests of today and of five days ago, all old.
		await sql(`INSERT INTO notification (person_id, kind, doc_id, created_at, sent_at, done_at, error)
			VALUES (${pid}, 'document', '${doc}', ${old}, ${old}, ${old}, 'rt-sent')`);
		await sql(`INSERT INTO notification (person_id, kind, doc_id, created_at, failed_at, done_at, error)
			VALUES (${pid}, 'document', '${doc}', ${old}, ${old}, ${old}, 'rt-failed')`);
		await sql(`INSERT INTO notification (person_id, kind, doc_id, created_at, attempts, error)
			VALUES (${pid}, 'document', '${doc}', now() - interval '40 days', 7, 'rt-retrying')`);
		await sql(`INSERT INTO notification (person_id, kind, doc_id, created_at, attempts, attempted_at, lease_until, error)
			VALUES (${pid}, 'document', '${doc}', ${old}, 1, ${old}, now() + interval '1 hour', 'rt-leased')`);
		await sql(`INSERT INTO notification (person_id, kind, day, created_at, sent_at, done_at, error)
			VALUES (${pid}, 'digest', current_date, ${old}, ${old}, ${old}, 'rt-digest-today'),
			       (${pid}, 'digest', current_date - 5, ${old}, ${old}, ${old}, 'rt-digest-old')`);
		// the documents posted above gave OFFICIAL_A notifications, skipped (no
		// mail server here): done, they go too
		await until('the notifications done to go', async () =>
			(await sql("SELECT count(*) FROM notification WHERE error IN ('rt-sent', 'rt-failed', 'rt-digest-old')"
				+ ' OR skipped IS NOT NULL')) === '0');
		assert.equal(await sql("SELECT string_agg(error, ',' ORDER BY error) FROM notification"),
			'rt-digest-today,rt-leased,rt-retrying', 'what is still to send, and today\'s digest, stay');
		assert.match(fs.readFileSync(h.daemons[0].logFile, 'utf8'), /retention: \d+ notifications purged/);
	});

	it('Idempotency-Key records go after the period (a replay then makes a new document); the i-Parapheur door\'s stay', async () => {
		const meta = docMeta(s.orgA, { title: 'rejoue' });
		const file = pdfFile(1500, 'rejoue.pdf');
		const first = await s.a.postDocument(meta, file, [], { idempotencyKey: 'rt-idem-1' });
		assert.equal(first.status, 201, first.text);
		const replay = await s.a.postDocument(meta, file, [], { idempotencyKey: 'rt-idem-1' });
		assert.equal(replay.status, 200, 'within the period the replay answers the first document');
		assert.equal(replay.json.id, first.json.id);
		// a DossierID record as the i-Parapheur door writes it, just as old
		await sql(`INSERT INTO idempotency (client_id, key, request_sha256, doc_id, created_at)
			SELECT client_id, 'iparapheur:RT-1', request_sha256, doc_id, created_at FROM idempotency
			WHERE key = 'rt-idem-1'`);
		await until('the key to go', async () =>
			(await sql("SELECT count(*) FROM idempotency WHERE key = 'rt-idem-1'")) === '0');
		assert.equal(await sql("SELECT count(*) FROM idempotency WHERE key = 'iparapheur:RT-1'"), '1',
			'the i-Parapheur door\'s DossierID record stays');
		const again = await s.a.postDocument(meta, file, [], { idempotencyKey: 'rt-idem-1' });
		assert.equal(again.status, 201, 'after the period the same request makes a new document');
		assert.notEqual(again.json.id, first.json.id);
		assert.match(fs.readFileSync(h.daemons[0].logFile, 'utf8'), /retention: \d+ idempotency keys purged/);
	});
});
