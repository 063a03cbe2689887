// Webhooks: a receiver in this test checks every delivery's HMAC-SHA256
// signature with node:crypto, answers 500 to see the retry, sees the
// delivery log, the give-up after webhook_max_attempts, isolation between
// clients, deletion, the CLI, and the refusal of private addresses.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dns from 'node:dns/promises';
import http from 'node:http';
import os from 'node:os';
import { newHarness, docMeta, pdfFile, assertProblem, request, sleep } from '../lib/harness.mjs';

const h = newHarness('webhooks-delivery');
const SECRET_RE = /^whsec_[A-Za-z0-9_-]{43}$/;

// The receiver: records every POST; fail[path] = n answers 500 to the next n
// requests on that path, down[path] answers 500 always.
function startReceiver() {
	const got = [];
	const fail = {};
	const down = new Set();
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const raw = Buffer.concat(chunks);
			let status = 200;
			if (down.has(req.url))
				status = 500;
			else if (fail[req.url] > 0) {
				fail[req.url]--;
				status = 500;
			}
			got.push({ path: req.url, method: req.method, headers: req.headers, raw, json: JSON.parse(raw), status,
				at: Date.now() });
			res.writeHead(status, { 'Content-Type': 'text/plain' });
			res.end(status === 200 ? 'thanks' : 'not now');
		});
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
		url: `http://127.0.0.1:${server.address().port}`, got, fail, down,
		close: () => server.close(),
	})));
}

// What a vendor does with a delivery: check t and v1 against the secret.
function signatureOk(secret, headers, raw) {
	const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(headers['liasse-signature'] || '');
	if (!m)
		return false;
	const mac = crypto.createHmac('sha256', secret).update(`${m[1]}.`).update(raw).digest();
	return crypto.timingSafeEqual(mac, Buffer.from(m[2], 'hex')) && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

async function waitFor(pred, what, ms = 30000) {
	const t0 = Date.now();
	for (;;) {
		const v = await pred();
		if (v)
			return v;
		if (Date.now() - t0 > ms)
			throw new Error(`timed out waiting for ${what}`);
		await sleep(100);
	}
}

async function post(client, org, title) {
	const r = await client.postDocument(docMeta(org, { title }), pdfFile(2100, `${title}.pdf`));
	assert.equal(r.status, 201, r.text);
	return r.json;
}

function jsonPost(client, p, body) {
	return client.post(p, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
		{ 'Content-Type': 'application/json' });
}

function del(client, p) {
	return request(client.url, { method: 'DELETE', path: p, headers: client.headers() });
}

describe('webhooks', () => {
	let s, rx, hookA, down;

	before(async () => {
		rx = await startReceiver();
		s = await h.setup({ workers: 2, webhook_allow_private: 'yes', webhook_retry_base: '1s',
			webhook_retry_max: '2s', webhook_max_attempts: 3, webhook_timeout: '5s' });
	});
	after(async () => { rx.close(); await h.stopAll(); });

	it('POST /api/v1/webhooks answers 201 with the secret, shown once', async () => {
		const r = await jsonPost(s.a, '/api/v1/webhooks', { url: `${rx.url}/a` });
		assert.equal(r.status, 201, r.text);
		assert.match(r.json.secret, SECRET_RE);
		assert.equal(r.json.url, `${rx.url}/a`);
		assert.equal(typeof r.json.id, 'number');
		hookA = r.json;
		const l = await s.a.get('/api/v1/webhooks');
		assert.equal(l.status, 200, l.text);
		assert.equal(l.json.items.length, 1);
		assert.equal(l.json.items[0].id, hookA.id);
		assert.ok(!('secret' in l.json.items[0]), 'the secret is not shown again');
		assert.ok(!l.text.includes(hookA.secret));
		assert.deepEqual((await s.b.get('/api/v1/webhooks')).json.items, [], 'B sees none of A\'s');
		const j = await h.psql(`SELECT actor || ' ' || (detail->>'webhook') || ' ' || (detail->>'url') FROM journal WHERE action = 'webhook.created'`);
		assert.equal(j, `client:vendor-a ${hookA.id} ${rx.url}/a`, 'journaled, without the secret');
		assert.ok(!(await h.psql('SELECT detail::text FROM journal')).includes(hookA.secret));
	});

	it('every event is POSTed as JSON with a signature the receiver verifies, in feed order', async () => {
		const d = await post(s.a, s.orgA, 'hook-1');
		assert.equal((await s.a.post(`/api/v1/documents/${d.id}/cancel`)).status, 200);
		const mine = () => rx.got.filter((g) => g.path === '/a' && g.json.document === d.id);
		await waitFor(() => mine().length >= 2, 'two deliveries');
		const [g1, g2] = mine();
		assert.deepEqual([g1.json.state, g2.json.state], [d.state, 'cancelled']);
		assert.ok(g1.json.id < g2.json.id, 'in feed order');
		for (const g of [g1, g2]) {
			assert.equal(g.method, 'POST');
			assert.match(g.headers['content-type'], /^application\/json/);
			assert.equal(g.headers['liasse-event-id'], String(g.json.id));
			assert.equal(g.json.type, 'document.state');
			assert.ok(signatureOk(hookA.secret, g.headers, g.raw), `signature of ${g.raw}`);
			// Negative controls: another secret, a changed body.
			assert.ok(!signatureOk('whsec_' + 'x'.repeat(43), g.headers, g.raw));
			assert.ok(!signatureOk(hookA.secret, g.headers, Buffer.from(g.raw.toString().replace('"id": ', '"id": 9'))));
		}
		// The same events as the feed.
		const feed = await s.a.get(`/api/v1/events?after=${g1.json.id - 1}&limit=500`);
		const fe = feed.json.items.find((e) => e.id === g1.json.id);
		assert.deepEqual(fe, g1.json);
	});

	it('a 500 is retried after a backoff; the delivery log shows both attempts', async () => {
		rx.fail['/a'] = 1;
		const d = await post(s.a, s.orgA, 'hook-retry');
		const mine = () => rx.got.filter((g) => g.path === '/a' && g.json.document === d.id);
		await waitFor(() => mine().length >= 2, 'the retry');
		const [first, second] = mine();
		assert.equal(first.status, 500);
		assert.equal(second.status, 200);
		assert.equal(second.headers['liasse-event-id'], first.headers['liasse-event-id'], 'the same event');
		assert.equal(first.headers['liasse-delivery-attempt'], '1');
		assert.equal(second.headers['liasse-delivery-attempt'], '2');
		assert.ok(second.at - first.at >= 900, `backoff of about 1 s, got ${second.at - first.at} ms`);
		assert.ok(signatureOk(hookA.secret, second.headers, second.raw));
		const id = first.json.id;
		const log = await waitFor(async () => {
			const r = await s.a.get(`/api/v1/webhooks/${hookA.id}/deliveries`);
			const it = r.json.items.filter((x) => x.event === id);
			return it.length === 2 && it.some((x) => x.outcome === 'delivered') ? it : null;
		}, 'the delivery log');
		const [a2, a1] = log;   // newest first
		assert.deepEqual([a1.attempt, a1.http_status, a1.outcome], [1, 500, 'retry']);
		assert.deepEqual([a2.attempt, a2.http_status, a2.outcome, a2.delivery], [2, 200, 'delivered', 'delivered']);
		assert.equal(a1.error, null);
		assert.ok(a1.at < a2.at);
		assert.equal(typeof a2.duration_ms, 'number');
	});

	it('after webhook_max_attempts a delivery is marked failed, and the next event goes out', async () => {
		rx.down.add('/down');
		const r = await jsonPost(s.a, '/api/v1/webhooks', { url: `${rx.url}/down` });
		assert.equal(r.status, 201, r.text);
		down = r.json;
		const d1 = await post(s.a, s.orgA, 'hook-down-1');
		const at = (doc) => rx.got.filter((g) => g.path === '/down' && g.json.document === doc.id);
		await waitFor(() => at(d1).length >= 3, 'three attempts');
		const log = await waitFor(async () => {
			const l = await s.a.get(`/api/v1/webhooks/${down.id}/deliveries`);
			return l.json.items.some((x) => x.outcome === 'failed') ? l.json.items : null;
		}, 'a failed delivery');
		assert.deepEqual(log.map((x) => [x.attempt, x.http_status, x.outcome]),
			[[3, 500, 'failed'], [2, 500, 'retry'], [1, 500, 'retry']]);
		assert.ok(log.every((x) => x.delivery === 'failed'));
		await sleep(3000);
		assert.equal(at(d1).length, 3, 'no fourth attempt');
		const w = (await s.a.get('/api/v1/webhooks')).json.items.find((x) => x.id === down.id);
		assert.equal(w.failed, 1);
		const d2 = await post(s.a, s.orgA, 'hook-down-2');
		await waitFor(() => at(d2).length >= 1, 'the next event after a failed one');
		assert.equal((await del(s.a, `/api/v1/webhooks/${down.id}`)).status, 204);
	});

	it('a client\'s webhook gets only its own events; another client cannot see or delete it', async () => {
		const rb = await jsonPost(s.b, '/api/v1/webhooks', { url: `${rx.url}/b` });
		assert.equal(rb.status, 201, rb.text);
		const da = await post(s.a, s.orgA, 'iso-a');
		const db = await post(s.b, s.orgB, 'iso-b');
		await waitFor(() => rx.got.some((g) => g.path === '/b' && g.json.document === db.id), 'B\'s event at /b');
		await waitFor(() => rx.got.some((g) => g.path === '/a' && g.json.document === da.id), 'A\'s event at /a');
		await sleep(1500);
		assert.ok(!rx.got.some((g) => g.path === '/b' && g.json.document === da.id), 'A\'s event never at /b');
		assert.ok(!rx.got.some((g) => g.path === '/a' && g.json.document === db.id), 'B\'s event never at /a');
		assert.ok(rx.got.filter((g) => g.path === '/b').every((g) => signatureOk(rb.json.secret, g.headers, g.raw)));
		assertProblem(assert, await s.b.get(`/api/v1/webhooks/${hookA.id}/deliveries`), { status: 404 });
		assertProblem(assert, await del(s.b, `/api/v1/webhooks/${hookA.id}`), { status: 404 });
		assertProblem(assert, await s.a.get('/api/v1/webhooks/x1/deliveries'), { status: 404 });
		assert.equal((await s.a.get('/api/v1/webhooks')).json.items.length, 1, 'A\'s webhook is still there');
		assert.equal((await del(s.b, `/api/v1/webhooks/${rb.json.id}`)).status, 204);
	});

	// This machine's name resolves to a loopback address (Debian's /etc/hosts):
	// the delivery resolves it itself and pins curl to the address it checked.
	let byName = null;
	it('a webhook given by host name is resolved, checked and delivered to', async (t) => {
		const host = os.hostname();
		const addr = await dns.lookup(host, { family: 4 }).catch(() => null);
		if (!addr || !addr.address.startsWith('127.') || host === 'localhost')
			return t.skip(`${host} does not resolve to a loopback address here`);
		const r = await jsonPost(s.b, '/api/v1/webhooks', { url: `http://${host}:${new URL(rx.url).port}/byname` });
		assert.equal(r.status, 201, r.text);
		byName = { host, ...r.json };
		const d = await post(s.b, s.orgB, 'by-name');
		const g = await waitFor(() => rx.got.find((x) => x.path === '/byname' && x.json.document === d.id), 'the delivery');
		assert.ok(signatureOk(byName.secret, g.headers, g.raw));
	});

	it('liasse webhook add prints the secret once; liasse webhook list shows it; liasse webhook delete stops it', async () => {
		const conf = h.writeConfig({ database: h.pg.conninfo, webhook_allow_private: 'yes' });
		const r = await h.cli(['webhook', 'add', '--client', 'vendor-b', '--url', `${rx.url}/cli`], { config: conf });
		assert.equal(r.code, 0, r.stderr);
		const secret = r.stdout.trim();
		assert.match(secret, SECRET_RE);
		const l = await h.cli(['webhook', 'list', '--client', 'vendor-b']);
		assert.equal(l.code, 0, l.stderr);
		assert.match(l.stdout, new RegExp(`^\\d+\\tvendor-b\\t${rx.url}/cli\\t`, 'm'));
		assert.ok(!l.stdout.includes(secret));
		const d = await post(s.b, s.orgB, 'cli-hook');
		const g = await waitFor(() => rx.got.find((x) => x.path === '/cli' && x.json.document === d.id), 'the CLI webhook');
		assert.ok(signatureOk(secret, g.headers, g.raw));
		const bad = await h.cli(['webhook', 'add', '--client', 'nobody', '--url', `${rx.url}/x`], { config: conf });
		assert.equal(bad.code, 1);
		assert.match(bad.stderr, /no such client/);
		const id = l.stdout.match(new RegExp(`^(\\d+)\\tvendor-b\\t${rx.url}/cli\\t`, 'm'))[1];
		const dl = await h.cli(['webhook', 'delete', id]);
		assert.equal(dl.code, 0, dl.stderr);
		assert.ok(!(await h.cli(['webhook', 'list'])).stdout.includes(`${rx.url}/cli`), 'deleted');
		const again = await h.cli(['webhook', 'delete', id]);
		assert.equal(again.code, 1);
		assert.match(again.stderr, /no such webhook/);
		assert.equal(await h.psql(`SELECT actor FROM journal WHERE action = 'webhook.deleted' AND detail->>'webhook' = '${id}'`), 'cli');
	});

	it('a deleted webhook receives nothing more', async () => {
		assert.equal((await del(s.a, `/api/v1/webhooks/${hookA.id}`)).status, 204);
		assertProblem(assert, await del(s.a, `/api/v1/webhooks/${hookA.id}`), { status: 404 });
		assert.equal(await h.psql(`SELECT count(*) FROM journal WHERE action = 'webhook.deleted' AND actor = 'client:vendor-a' AND detail->>'webhook' = '${hookA.id}'`), '1');
		assertProblem(assert, await s.a.get(`/api/v1/webhooks/${hookA.id}/deliveries`), { status: 404 });
		const n = rx.got.filter((g) => g.path === '/a').length;
		const d = await post(s.a, s.orgA, 'after-delete');
		await waitFor(async () => (await s.a.get('/api/v1/events?after=0&limit=500')).json.items
			.some((e) => e.document === d.id), 'the event in the feed');
		await sleep(2500);
		assert.equal(rx.got.filter((g) => g.path === '/a').length, n);
	});

	it('bad bodies and bad URLs are refused with the field named', async () => {
		for (const [body, status, field] of [
			['not json', 400, undefined], ['[]', 400, undefined], [{}, 422, 'url'], [{ url: 5 }, 422, 'url'],
			[{ url: `${rx.url}/a`, events: ['x'] }, 422, 'events'], [{ url: 'ftp://vendor.example/x' }, 422, 'url'],
			[{ url: 'vendor.example/x' }, 422, 'url'], [{ url: `https://vendor.example/${'x'.repeat(2100)}` }, 422, 'url'],
		]) {
			const r = await jsonPost(s.a, '/api/v1/webhooks', body);
			assertProblem(assert, r, { status, field, hint: true });
		}
	});

	describe('without webhook_allow_private (the default)', () => {
		let strict;

		before(async () => {
			// Only the strict daemon delivers from now on.
			await s.d.stop();
			strict = await h.startLiassed({ workers: 1, webhook_retry_base: '1s', webhook_max_attempts: 2 });
		});

		for (const url of ['http://127.0.0.1:9/x', 'http://10.1.2.3/x', 'http://192.168.1.1/', 'http://169.254.169.254/latest',
			'http://[::1]:8080/', 'http://[fd00::1]/', 'http://localhost:8080/', 'http://0.0.0.0/', 'http://[::ffff:127.0.0.1]/',
			'http://100.64.0.1/', 'http://app.localhost/']) {
			it(`refuses ${url} at creation`, async () => {
				const r = await jsonPost(strict.client(s.keyA), '/api/v1/webhooks', { url });
				assertProblem(assert, r, { status: 422, field: 'url', hint: true, detail: /private|loopback/ });
			});
		}

		it('the CLI refuses them too, naming the setting', async () => {
			const r = await h.cli(['webhook', 'add', '--client', 'vendor-a', '--url', 'http://10.0.0.7/hook']);
			assert.equal(r.code, 1);
			assert.match(r.stderr, /webhook_allow_private/);
		});

		it('a delivery to a name that now resolves to a private address is refused and logged', async (t) => {
			if (!byName)
				return t.skip('no host name resolving to loopback');
			const n = rx.got.filter((g) => g.path === '/byname').length;
			await post(strict.client(s.keyB), s.orgB, 'by-name-strict');
			const log = await waitFor(async () => {
				const l = await strict.client(s.keyB).get(`/api/v1/webhooks/${byName.id}/deliveries`);
				return l.json.items.some((x) => x.outcome === 'failed') ? l.json.items : null;
			}, 'the refused delivery');
			const refused = log.filter((x) => x.outcome !== 'delivered');
			assert.ok(refused.length >= 1 && refused.every((x) => x.http_status === null &&
				new RegExp(`${byName.host} resolves to the private address 127\\.`).test(x.error)), JSON.stringify(log));
			assert.equal(rx.got.filter((g) => g.path === '/byname').length, n, 'nothing sent');
		});

		it('a delivery to a host that resolves to a private address is refused and logged, not sent', async () => {
			// Created while allowed (CLI with the setting), delivered by the strict daemon.
			const conf = h.writeConfig({ database: h.pg.conninfo, webhook_allow_private: 'yes' });
			const port = new URL(rx.url).port;
			const r = await h.cli(['webhook', 'add', '--client', 'vendor-a', '--url', `http://localhost:${port}/ssrf`],
				{ config: conf });
			assert.equal(r.code, 0, r.stderr);
			const id = Number((await strict.client(s.keyA).get('/api/v1/webhooks')).json.items
				.find((w) => w.url.endsWith('/ssrf')).id);
			const d = await post(strict.client(s.keyA), s.orgA, 'ssrf');
			const log = await waitFor(async () => {
				const l = await strict.client(s.keyA).get(`/api/v1/webhooks/${id}/deliveries`);
				return l.json.items.some((x) => x.outcome === 'failed') ? l.json.items : null;
			}, 'the refused delivery');
			assert.ok(log.every((x) => x.http_status === null && /private address/.test(x.error)), JSON.stringify(log));
			assert.ok(!rx.got.some((g) => g.path === '/ssrf'), 'nothing reached the private address');
			assert.ok(d.id);
		});
	});
});
