// Prometheus metrics (issue 16, point 8): GET /metrics on metrics_listen, a
// port of its own.  The exposition parses (text format 0.0.4), request
// counters by route template and status grow by exactly what was sent, a
// histogram is cumulative with +Inf = _count, the queue-depth gauge equals
// the pending documents in the database, a login lockout is counted and
// shown, the API port does not serve /metrics, and --check-config checks
// metrics_listen.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import {
	newHarness, docMeta, pdfFile, request, run, sleep, topBuilddir, OFFICIAL_A,
} from '../lib/harness.mjs';

const h = newHarness('daemon-metrics');

function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE_RE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (-?[0-9][0-9.eE+-]*|NaN|\\+Inf|-Inf)$`);
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;

// Labels text -> object; throws unless the whole text is k="v" pairs.
function parseLabels(text, line) {
	const out = {};
	LABEL_RE.lastIndex = 0;
	while (LABEL_RE.lastIndex < text.length) {
		const m = LABEL_RE.exec(text);
		assert.ok(m, `bad labels in ${JSON.stringify(line)}`);
		out[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
	}
	return out;
}

// The exposition -> { types: {family: type}, samples: [{name, labels, value}] };
// every line must be a comment or a sample.
function parseExposition(text) {
	assert.ok(text.endsWith('\n'), 'the exposition ends with a line feed');
	const types = {};
	const samples = [];
	for (const line of text.slice(0, -1).split('\n')) {
		if (line.startsWith('#')) {
			const m = line.match(new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`));
			assert.ok(m, `bad comment line ${JSON.stringify(line)}`);
			if (m[1] === 'TYPE') {
				assert.match(m[3], /^(counter|gauge|histogram|summary|untyped)$/, line);
				assert.equal(types[m[2]], undefined, `two TYPE lines for ${m[2]}`);
				types[m[2]] = m[3];
			}
			continue;
		}
		const m = line.match(SAMPLE_RE);
		assert.ok(m, `not a comment nor name{labels} value: ${JSON.stringify(line)}`);
		const value = Number(m[3].replace('+Inf', 'Infinity'));
		assert.ok(!Number.isNaN(value) || m[3] === 'NaN', line);
		samples.push({ name: m[1], labels: m[2] ? parseLabels(m[2], line) : {}, value });
	}
	return { types, samples };
}

function value(exp, name, labels = {}) {
	const hit = exp.samples.filter((s) => s.name === name &&
		Object.entries(labels).every(([k, v]) => s.labels[k] === v) &&
		Object.keys(s.labels).length === Object.keys(labels).length);
	assert.ok(hit.length <= 1, `${name} ${JSON.stringify(labels)} appears ${hit.length} times`);
	return hit.length ? hit[0].value : 0;
}

describe('Prometheus metrics on metrics_listen', () => {
	let s, murl;

	async function scrape() {
		const r = await request(murl, { path: '/metrics' });
		assert.equal(r.status, 200, r.text);
		assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
		return parseExposition(r.text);
	}

	before(async () => {
		const port = await freePort();
		murl = `http://127.0.0.1:${port}`;
		s = await h.setup({ metrics_listen: `127.0.0.1:${port}` });
	});
	after(() => h.stopAll());

	it('counts requests by route template and status, exactly', async () => {
		const before = await scrape();
		const post = await s.a.postDocument(docMeta(s.orgA), pdfFile(1500));
		assert.equal(post.status, 201, post.text);
		const missing = await s.a.get(`/api/v1/documents/${crypto.randomUUID()}`);
		assert.equal(missing.status, 404, missing.text);
		const anon = await request(s.d.url, { path: '/api/v1/documents' });
		assert.equal(anon.status, 401, anon.text);
		const failed = await login('not the password');
		assert.equal(failed.status, 401, failed.text);
		await sleep(100);    // the completion callback runs after the answer is sent
		const after = await scrape();
		const delta = (labels) => value(after, 'liasse_http_requests_total', labels) -
			value(before, 'liasse_http_requests_total', labels);
		assert.equal(after.types.liasse_http_requests_total, 'counter');
		assert.equal(delta({ method: 'POST', route: '/api/v1/documents', status: '201' }), 1);
		assert.equal(delta({ method: 'GET', route: '/api/v1/documents/{id}', status: '404' }), 1);
		assert.equal(delta({ method: 'GET', route: '/api/v1/documents', status: '401' }), 1);
		assert.equal(delta({ method: 'POST', route: '/api/v1/session', status: '401' }), 1);
		assert.equal(value(after, 'liasse_logins_total', { outcome: 'failed' }) -
			value(before, 'liasse_logins_total', { outcome: 'failed' }), 1);
		// no raw path (an id) ever becomes a label
		for (const x of after.samples)
			assert.ok(!/[0-9a-f]{8}-[0-9a-f]{4}-/.test(x.labels.route || ''), JSON.stringify(x));
	});

	it('histograms: buckets cumulative, +Inf equals _count, bounds ascending', async () => {
		const exp = await scrape();
		const name = 'liasse_http_request_duration_seconds';
		assert.equal(exp.types[name], 'histogram');
		const labels = { method: 'POST', route: '/api/v1/documents' };
		const buckets = exp.samples.filter((x) => x.name === `${name}_bucket` &&
			x.labels.method === labels.method && x.labels.route === labels.route);
		assert.ok(buckets.length > 2, 'buckets of POST /api/v1/documents');
		let prevLe = -Infinity, prev = 0;
		for (const b of buckets) {
			const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
			assert.ok(le > prevLe, `le ascending: ${b.labels.le}`);
			assert.ok(b.value >= prev, `cumulative at le=${b.labels.le}`);
			prevLe = le;
			prev = b.value;
		}
		assert.equal(buckets.at(-1).labels.le, '+Inf');
		assert.equal(value(exp, `${name}_count`, labels), buckets.at(-1).value);
		assert.ok(value(exp, `${name}_count`, labels) >= 1);
		assert.ok(value(exp, `${name}_sum`, labels) > 0);
	});

	const login = (password) => request(s.d.url, { method: 'POST', path: '/api/v1/session',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ email: OFFICIAL_A, password }) });

	it('queue depth equals the documents pending signature; lockouts; pool gauges', async () => {
		const before = await scrape();
		const r = await s.a.postDocument(docMeta(s.orgA, { title: 'Second' }), pdfFile(1200));
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.state, 'pending_signature');
		// five failures in a row lock the login; the next attempt is refused as locked
		let refused = null;
		for (let i = 0; i < 6 && !refused; i++) {
			const l = await login(`wrong ${i}`);
			if (l.status === 403)
				refused = l;
			else
				assert.equal(l.status, 401, l.text);
		}
		assert.ok(refused, 'the login got locked');
		await sleep(5500);   // past the 5 s cache of the database gauges
		const exp = await scrape();
		assert.equal(value(exp, 'liasse_logins_total', { outcome: 'locked' }) -
			value(before, 'liasse_logins_total', { outcome: 'locked' }), 1);
		assert.equal(value(exp, 'liasse_locked', { what: 'login' }), 1);
		assert.equal(value(exp, 'liasse_locked', { what: 'pin' }), 0);
		const pending = Number(await h.psql("SELECT count(*) FROM document WHERE state = 'pending_signature'"));
		assert.ok(pending >= 2);
		assert.equal(value(exp, 'liasse_database_gauges_up'), 1);
		assert.equal(value(exp, 'liasse_queue_depth', { queue: 'signature' }), pending);
		const byKind = exp.samples.filter((x) => x.name === 'liasse_documents' &&
			x.labels.state === 'pending_signature').reduce((a, x) => a + x.value, 0);
		assert.equal(byKind, pending);
		assert.equal(value(exp, 'liasse_db_pool_connections', { state: 'max' }), 4);
		assert.ok(value(exp, 'liasse_db_pool_connections', { state: 'idle' }) >= 1);
		assert.equal(exp.types.liasse_db_pool_waits_total, 'counter');
	});

	it('is not served on the API port, and serves nothing else', async () => {
		const r = await request(s.d.url, { path: '/metrics' });
		assert.equal(r.status, 404);
		assert.doesNotMatch(r.text, /liasse_http_requests_total/);
		const other = await request(murl, { path: '/api/v1/documents' });
		assert.equal(other.status, 404);
	});

	it('--check-config checks metrics_listen', async () => {
		const liassed = path.join(topBuilddir, 'src', 'liassed');
		for (const bad of ['9464', 'localhost:9464', '127.0.0.1:', '127.0.0.1:70000', '[::1]:9464']) {
			const r = await run(liassed, ['-o', `database=${h.pg.conninfo}`, '-o', `metrics_listen=${bad}`,
				'--check-config']);
			assert.notEqual(r.code, 0, bad);
			assert.match(r.stderr, /metrics_listen/, bad);
		}
		const good = await run(liassed, ['-o', `database=${h.pg.conninfo}`, '-o',
			'metrics_listen=0.0.0.0:9464', '--check-config']);
		assert.equal(good.code, 0, good.stderr);
	});
});
