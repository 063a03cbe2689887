// liassed under a service manager: READY=1 on NOTIFY_SOCKET once the listen
// socket accepts, STOPPING=1 at SIGTERM; a long poll answers at once when
// liassed stops; and shutdown_timeout bounds the stop even when a request
// never finishes.  The notification socket is a unix datagram socket held by
// a small python3 helper (node's dgram has no unix sockets); skipped without
// python3.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { newHarness, request, skip, sleep, docMeta, pdfFile } from '../lib/harness.mjs';

if (spawnSync('python3', ['-c', 'import socket; socket.AF_UNIX']).status !== 0)
	skip('python3 with unix sockets is needed to receive the notifications');

const h = newHarness('daemon-notify');

// The promise's value, or 'timeout' after ms (the timer does not keep node alive).
function within(promise, ms) {
	let t;
	const timeout = new Promise((resolve) => { t = setTimeout(() => resolve('timeout'), ms); });
	return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}


// One datagram per stdout line, JSON-encoded, with its arrival time.
const RECEIVER = `
import json, os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)   # liassed may run as another user
print(json.dumps({"bound": True}), flush=True)
while True:
    m = s.recv(4096)
    print(json.dumps({"t": time.time() * 1000, "msg": m.decode()}), flush=True)
`;

function receiver(sock) {
	const p = spawn('python3', ['-c', RECEIVER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
	const r = { proc: p, msgs: [], waiters: [] };
	let pending = '';
	p.stdout.on('data', (d) => {
		pending += d.toString();
		let i;
		while ((i = pending.indexOf('\n')) >= 0) {
			const line = JSON.parse(pending.slice(0, i));
			pending = pending.slice(i + 1);
			r.msgs.push(line);
			r.waiters = r.waiters.filter((w) => !w(line));
		}
	});
	// Resolves with the first message (past or future) matching re.
	r.next = (re, ms = 15000) => new Promise((resolve, reject) => {
		const seen = r.msgs.find((m) => m.msg && re.test(m.msg));
		if (seen)
			return resolve(seen);
		const t = setTimeout(() => reject(new Error(`no notification matching ${re}: ${JSON.stringify(r.msgs)}`)), ms);
		r.waiters.push((m) => {
			if (!m.msg || !re.test(m.msg))
				return false;
			clearTimeout(t);
			resolve(m);
			return true;
		});
	});
	return r;
}

// A request whose body never arrives: headers and a few bytes, then silence.
function stalledUpload(url, key) {
	const u = new URL(url);
	const sock = net.connect(Number(u.port), u.hostname);
	sock.on('error', () => {});
	sock.write(`POST /api/v1/documents HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${key}\r\n` +
		'Content-Type: multipart/form-data; boundary=xx\r\nContent-Length: 10000000\r\n\r\n--xx\r\n');
	return sock;
}

async function startNotified(overrides) {
	const saved = process.env.NOTIFY_SOCKET;
	process.env.NOTIFY_SOCKET = sockPath;
	try {
		return await h.startLiassed(overrides);
	} finally {
		if (saved === undefined)
			delete process.env.NOTIFY_SOCKET;
		else
			process.env.NOTIFY_SOCKET = saved;
	}
}

let sockPath, rcv;

describe('liassed and the service manager', () => {
	let s;

	before(async () => {
		s = await h.setup();
		sockPath = path.join(h.tmp, 'notify.sock');
		rcv = receiver(sockPath);
		while (!rcv.msgs.length)	// {"bound": true}
			await sleep(50);
	});
	after(() => {
		rcv?.proc.kill();
		return h.stopAll();
	});

	it('READY=1 once it accepts connections, STOPPING=1 at SIGTERM, then exit 0', async () => {
		const d = await startNotified({});
		const ready = await rcv.next(/^READY=1$/m);
		assert.match(ready.msg, /^STATUS=listening on http:\/\/127\.0\.0\.1:\d+$/m);
		const hz = await request(d.url, { path: '/healthz', timeoutMs: 2000 });
		assert.equal(hz.status, 200, 'the listen socket accepts once READY=1 is sent');
		d.kill('SIGHUP');
		await rcv.next(/^RELOADING=1$/m);
		d.kill('SIGTERM');
		const stopping = await rcv.next(/^STOPPING=1$/m);
		assert.ok(stopping.t >= ready.t);
		assert.deepEqual(await d.exited, { code: 0, signal: null });
		// READY=1 again after the reload, before STOPPING=1
		const readies = rcv.msgs.filter((m) => /^READY=1$/m.test(m.msg || ''));
		assert.equal(readies.length, 2, JSON.stringify(rcv.msgs));
	});

	it('a long poll of the event feed answers at once when liassed stops', async () => {
		const d = await h.startLiassed({ shutdown_timeout: '20s' });
		const t0 = Date.now();
		const poll = request(d.url, { path: '/api/v1/events?wait=30',
			headers: { Authorization: `Bearer ${s.keyA}` }, timeoutMs: 40000 });
		await sleep(700);
		d.kill('SIGTERM');
		const r = await poll;
		assert.equal(r.status, 200, r.text);
		assert.ok(Date.now() - t0 < 5000, `the long poll answered after ${Date.now() - t0} ms`);
		const st = await within(d.exited, 10000);
		assert.deepEqual(st, { code: 0, signal: null });
		assert.doesNotMatch(d.logs(), /shutdown_timeout .* reached/);
	});

	it('shutdown_timeout bounds the stop: a request that never ends is abandoned, exit 0', async () => {
		const d = await h.startLiassed({ shutdown_timeout: '2s', connection_timeout: '10m' });
		const sock = stalledUpload(d.url, s.keyA);
		await sleep(700);
		const t0 = Date.now();
		d.kill('SIGTERM');
		const st = await within(d.exited, 15000);
		sock.destroy();
		const took = Date.now() - t0;
		assert.deepEqual(st, { code: 0, signal: null }, d.logs());
		assert.ok(took >= 1500 && took < 5000, `stopped after ${took} ms (shutdown_timeout 2s)`);
		assert.match(d.logs(), /shutdown_timeout \(2s\) reached, exiting now; abandoned: 1 request\(s\) in flight/);
	});

	it('shutdown_timeout bounds the stop: a worker stuck in a job is abandoned and named in the log', async () => {
		// A webhook receiver that accepts and never answers.
		const held = [];
		const srv = net.createServer((c) => { held.push(c); c.on('error', () => {}); });
		await new Promise((r) => srv.listen(0, '127.0.0.1', r));
		const conf = h.writeConfig({ database: h.pg.conninfo, webhook_allow_private: 'yes' });
		const w = await h.cli(['webhook', 'add', '--client', 'vendor-a', '--url',
			`http://127.0.0.1:${srv.address().port}/hook`], { config: conf });
		assert.equal(w.code, 0, w.stderr);
		const d = await h.startLiassed({ workers: 1, webhook_allow_private: 'yes', webhook_timeout: '10m',
			shutdown_timeout: '3s' });
		try {
			const r = await d.client(s.keyA).postDocument(docMeta(s.orgA, { title: 'webhook bloqué' }), pdfFile(2000));
			assert.equal(r.status, 201, r.text);
			for (let i = 0; i < 200 && !held.length; i++)
				await sleep(100);
			if (!held.length)
				assert.fail(`the webhook delivery did not start:\n${d.logs()}\n` +
					await h.psql('SELECT kind, run_at, attempts FROM job') + '\n' +
					await h.psql('SELECT * FROM webhook') + '\n' + await h.psql('SELECT * FROM webhook_delivery') +
					'\n' + await h.psql('SELECT id, seq FROM event'));
			const t0 = Date.now();
			d.kill('SIGTERM');
			const st = await within(d.exited, 15000);
			const took = Date.now() - t0;
			assert.deepEqual(st, { code: 0, signal: null }, d.logs());
			assert.ok(took >= 2500 && took < 6000, `stopped after ${took} ms (shutdown_timeout 3s)`);
			assert.match(d.logs(), /shutdown_timeout \(3s\) reached, exiting now; abandoned: 0 request\(s\) in flight, 1 worker\(s\) busy: webhook job \d+$/m);
		} finally {
			for (const c of held)
				c.destroy();
			srv.close();
		}
	});
});
