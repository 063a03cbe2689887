// The change feed: GET /api/v1/events?after=N.  Every creation and state
// change of a client's documents is an event, in increasing id; a client
// never sees another's; bad parameters are 400 problems; an event whose
// transaction commits late is not skipped by a reader polling with after=.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { newHarness, docMeta, pdfFile, assertProblem, sleep, RUN_USER } from '../lib/harness.mjs';

const h = newHarness('events-feed');

async function post(client, org, title) {
	const r = await client.postDocument(docMeta(org, { title }), pdfFile(2100, `${title}.pdf`));
	assert.equal(r.status, 201, r.text);
	return r.json;
}

// Polls the feed from `after` until pred(all items so far) holds.
async function feedUntil(client, after, pred, what) {
	let items = [];
	let pos = after;
	for (let i = 0; i < 100; i++) {
		const r = await client.get(`/api/v1/events?after=${pos}&limit=3`);
		assert.equal(r.status, 200, r.text);
		items = items.concat(r.json.items);
		pos = r.json.next_after;
		if (pred(items))
			return { items, next: pos };
		if (!r.json.items.length)
			await sleep(100);
	}
	throw new Error(`the feed never showed ${what}: ${JSON.stringify(items)}`);
}

// A psql session kept open: send(sql) runs statements and resolves their output.
function psqlSession() {
	const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', h.pg.sock, '-U', RUN_USER, '-d', 'liasse'];
	const p = spawn(path.join(h.pg.bindir, 'psql'), args, { stdio: ['pipe', 'pipe', 'pipe'] });
	let out = '', err = '', n = 0;
	p.stdout.on('data', (d) => { out += d; });
	p.stderr.on('data', (d) => { err += d; });
	return {
		async send(sql) {
			const mark = `done-${++n}`;
			p.stdin.write(`${sql}\nSELECT '${mark}';\n`);
			for (let i = 0; i < 200 && !out.includes(mark); i++)
				await sleep(50);
			if (!out.includes(mark))
				throw new Error(`psql did not answer: ${err}`);
			const text = out.slice(0, out.indexOf(mark));
			out = out.slice(out.indexOf(mark) + mark.length);
			return text.trim();
		},
		end() { p.stdin.end(); },
	};
}

describe('the change feed', () => {
	let s;

	before(async () => { s = await h.setup({ workers: 1 }); });
	after(() => h.stopAll());

	it('shows the creation and every state change of a document, in increasing id', async () => {
		const start = (await s.a.get('/api/v1/events')).json.next_after;
		const d = await post(s.a, s.orgA, 'feed-one');
		const c = await s.a.post(`/api/v1/documents/${d.id}/cancel`);
		assert.equal(c.status, 200, c.text);
		const { items } = await feedUntil(s.a, start, (it) => it.some((e) => e.state === 'cancelled'),
			'the cancellation');
		const mine = items.filter((e) => e.document === d.id);
		assert.deepEqual(mine.map((e) => e.state), [d.state, 'cancelled']);
		for (const e of mine) {
			assert.equal(e.type, 'document.state');
			assert.equal(e.organisation, s.orgA);
			assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
			assert.ok('reason' in e);
		}
		const ids = items.map((e) => e.id);
		assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'ascending');
		assert.equal(new Set(ids).size, ids.length, 'no duplicate');
		assert.ok(ids[0] > start);
	});

	it('after=N returns only later events, limit caps a page, next_after continues', async () => {
		const start = (await s.a.get('/api/v1/events')).json.next_after;
		const docs = [];
		for (let i = 0; i < 5; i++)
			docs.push(await post(s.a, s.orgA, `page-${i}`));
		const { items } = await feedUntil(s.a, start, (it) => it.length >= 5, 'five events');
		assert.deepEqual(items.map((e) => e.document), docs.map((d) => d.id));
		const p = await s.a.get(`/api/v1/events?after=${start}&limit=2`);
		assert.equal(p.json.items.length, 2);
		assert.equal(p.json.next_after, p.json.items[1].id);
		const q = await s.a.get(`/api/v1/events?after=${p.json.next_after}&limit=2`);
		assert.equal(q.json.items[0].document, docs[2].id);
		const end = await s.a.get(`/api/v1/events?after=${items[4].id}`);
		assert.deepEqual(end.json.items, []);
		assert.equal(end.json.next_after, items[4].id, 'an empty page keeps the position');
	});

	it('a client never sees the events of another client\'s documents', async () => {
		const startA = (await s.a.get('/api/v1/events')).json.next_after;
		const startB = (await s.b.get('/api/v1/events')).json.next_after;
		const da = await post(s.a, s.orgA, 'iso-a');
		const db = await post(s.b, s.orgB, 'iso-b');
		await s.b.post(`/api/v1/documents/${db.id}/cancel`);
		const a = await feedUntil(s.a, startA, (it) => it.some((e) => e.document === da.id), 'A\'s document');
		const b = await feedUntil(s.b, startB, (it) => it.some((e) => e.state === 'cancelled'), 'B\'s cancel');
		// Everything both have ever seen, from the start.
		const everA = (await s.a.get('/api/v1/events?after=0&limit=500')).json.items;
		assert.ok(a.items.every((e) => e.organisation === s.orgA));
		assert.ok(b.items.every((e) => e.organisation === s.orgB));
		assert.ok(!everA.some((e) => e.document === db.id), 'A never sees B\'s document');
		assert.ok(everA.length > 0);
		const everB = (await s.b.get('/api/v1/events?after=0&limit=500')).json.items;
		assert.ok(!everB.some((e) => e.document === da.id), 'B never sees A\'s document');
		assert.ok(everB.every((e) => e.organisation === s.orgB));
	});

	it('an event whose transaction commits late is still seen by a reader polling with after=', async () => {
		const d1 = await post(s.a, s.orgA, 'late-1');
		const start = (await feedUntil(s.a, 0, (it) => it.some((e) => e.document === d1.id), 'late-1')).next;
		// T1 changes d1's state (its event row is written now) but does not commit yet.
		const t1 = psqlSession();
		await t1.send('BEGIN;');
		await t1.send(`UPDATE document SET state = 'cancelled', reason = 'late commit' WHERE id = '${d1.id}';`);
		// T2 commits after it: a reader sees T2's event and moves past it.
		const d2 = await post(s.a, s.orgA, 'late-2');
		const seen = await feedUntil(s.a, start, (it) => it.some((e) => e.document === d2.id), 'late-2');
		assert.ok(!seen.items.some((e) => e.document === d1.id), 'T1 is not committed yet');
		await t1.send('COMMIT;');
		t1.end();
		// Polling on from where the reader is, it still gets T1's event.
		const later = await feedUntil(s.a, seen.next, (it) => it.some((e) => e.document === d1.id),
			'the late event');
		const ev = later.items.find((e) => e.document === d1.id);
		assert.equal(ev.state, 'cancelled');
		assert.equal(ev.reason, 'late commit');
		assert.ok(ev.id > seen.next, 'the late event is numbered after what was already read');
	});

	it('wait= holds an empty answer until an event arrives', async () => {
		const start = (await s.a.get('/api/v1/events')).json.next_after;
		const t0 = Date.now();
		const pending = s.a.get(`/api/v1/events?after=${start}&wait=20`);
		await sleep(700);
		const d = await post(s.a, s.orgA, 'long-poll');
		const r = await pending;
		assert.equal(r.status, 200, r.text);
		assert.ok(Date.now() - t0 >= 600, 'it waited');
		assert.ok(Date.now() - t0 < 15000, 'it answered as soon as the event came');
		assert.equal(r.json.items[0].document, d.id);
		const empty = await s.a.get(`/api/v1/events?after=${r.json.next_after + 1000}&wait=1`);
		assert.deepEqual(empty.json.items, []);
	});

	for (const [q, field] of [['after=-1', 'after'], ['after=abc', 'after'], ['after=', 'after'],
		['limit=0', 'limit'], ['limit=501', 'limit'], ['limit=1x', 'limit'], ['wait=31', 'wait'],
		['after=99999999999999999999', 'after']]) {
		it(`?${q} is a 400 naming ${field}, with a hint`, async () => {
			const r = await s.a.get(`/api/v1/events?${q}`);
			assertProblem(assert, r, { status: 400, field, hint: true });
		});
	}

	it('needs an API key', async () => {
		const r = await s.d.client(null).get('/api/v1/events');
		assertProblem(assert, r, { status: 401 });
	});
});
