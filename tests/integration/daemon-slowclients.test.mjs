// Slow clients (issue 16): 200 connections trickling a header line every
// second from one address, and uploads that promise a larger Content-Length
// than they send from another.  During the attack /healthz and an API call
// from a third address answer promptly; the slow connections are closed by
// header_timeout and body_timeout (not by the idle timeout); the attack
// stops by itself; nothing is stored.  Loopback only: 127.0.0.2 and
// 127.0.0.3 are other source addresses of the loopback interface.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
	newHarness, request, assertSameCounts, docMeta, pdfFile, documentParts, multipart, sleep, skip,
} from '../lib/harness.mjs';

// Whether this host lets a socket use addr, another loopback address, as its source.
function canUseSource(addr) {
	return new Promise((resolve) => {
		const srv = net.createServer((c) => c.destroy()).listen(0, '127.0.0.1', () => {
			const c = net.connect({ host: '127.0.0.1', port: srv.address().port, localAddress: addr });
			const done = (ok) => { c.destroy(); srv.close(); resolve(ok); };
			c.on('connect', () => done(true));
			c.on('error', () => done(false));
		});
	});
}
for (const a of ['127.0.0.2', '127.0.0.3'])
	if (!(await canUseSource(a)))
		skip(`no loopback source address ${a} here`);

const h = newHarness('daemon-slowclients');

const HEADER_S = 3, BODY_S = 3, PER_ADDRESS = 32;
const TRICKLERS = 200;             // header tricklers from 127.0.0.2
const SHORT_BODIES = 20;           // short bodies from 127.0.0.3
const ATTACK_MS = 9000;            // closed slots are reopened until then
const REOPEN_MS = 1000;
const TICK_MS = 1000;              // one header line (or 16 body bytes) a second
const SERVED_MS = 2500;            // a well-behaved request answers within this
const MARGIN_MS = 4000;            // reaper tick and a loaded machine

// One slow connection: {opened, closed (ms) or null, bytes}.
function slowConnection(port, localAddress, head, tick) {
	const c = { opened: Date.now(), closed: null, sock: null, timer: null };
	const sock = net.connect({ host: '127.0.0.1', port, localAddress });
	c.sock = sock;
	sock.on('connect', () => {
		sock.write(head);
		c.timer = setInterval(() => { if (!sock.destroyed) sock.write(tick()); }, TICK_MS);
	});
	sock.on('data', () => {});
	sock.on('error', () => {});
	sock.on('close', () => {
		c.closed = Date.now();
		clearInterval(c.timer);
	});
	return c;
}

// Keeps n slow connections open until ATTACK_MS, each closed one reopened
// after REOPEN_MS; resolves every connection made.
function attack(port, localAddress, n, head, tick) {
	const all = [];
	const end = Date.now() + ATTACK_MS;
	const slot = () => {
		if (Date.now() >= end)
			return;
		const c = slowConnection(port, localAddress, head, tick);
		all.push(c);
		c.sock.on('close', () => setTimeout(slot, REOPEN_MS));
	};
	for (let i = 0; i < n; i++)
		slot();
	return all;
}

async function timed(fn) {
	const t0 = Date.now();
	const r = await fn();
	return { r, ms: Date.now() - t0 };
}

// Waits until cond() or the deadline; true when cond() held.
async function until(cond, ms) {
	const end = Date.now() + ms;
	while (Date.now() < end) {
		if (cond())
			return true;
		await sleep(100);
	}
	return cond();
}

describe('slow clients', () => {
	let s, port;

	before(async () => {
		s = await h.setup({ header_timeout: `${HEADER_S}s`, body_timeout: `${BODY_S}s`,
			max_connections_per_address: PER_ADDRESS, max_connections: 128,
			connection_timeout: '120s' });
		port = Number(new URL(s.d.url).port);
	});
	after(() => h.stopAll());

	it('trickled headers and short bodies are cut by the deadlines; others are served meanwhile',
		async () => {
			const before = await h.snapshot();
			const t0 = Date.now();
			let line = 0;
			const tricklers = attack(port, '127.0.0.2', TRICKLERS,
				'GET /healthz HTTP/1.1\r\nHost: x\r\n', () => `X-Slow-${line++}: a\r\n`);
			const boundary = 'slowslowslow';
			const bodyHead = `POST /api/v1/documents HTTP/1.1\r\nHost: x\r\n` +
				`Authorization: Bearer ${s.keyA}\r\n` +
				`Content-Type: multipart/form-data; boundary=${boundary}\r\n` +
				`Content-Length: 1000000\r\n\r\n` +
				`--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"kind":`;
			const bodies = attack(port, '127.0.0.3', SHORT_BODIES, bodyHead, () => '                ');

			// Well-behaved requests from 127.0.0.1 while the attack runs.
			await sleep(1500);
			const lat = [];
			while (Date.now() - t0 < ATTACK_MS - 1000) {
				const hz = await timed(() => request(s.d.url, { path: '/healthz', timeoutMs: 10000 }));
				assert.equal(hz.r.status, 200, hz.r.text);
				const api = await timed(() => s.a.get('/api/v1/documents?limit=5'));
				assert.equal(api.r.status, 200, api.r.text);
				lat.push(hz.ms, api.ms);
				await sleep(300);
			}
			const held = tricklers.filter((c) => c.closed === null && Date.now() - c.opened > 1500);
			assert.ok(held.length <= PER_ADDRESS,
				`${held.length} connections of one address held, limit ${PER_ADDRESS}`);
			const worst = Math.max(...lat);
			console.log(`# ${lat.length} requests during the attack, worst ${worst} ms; ` +
				`${tricklers.length} trickling and ${bodies.length} short-body connections made`);
			assert.ok(worst < SERVED_MS, `a well-behaved request took ${worst} ms`);

			// The attack stops reopening at ATTACK_MS; every connection it
			// made is closed by the server within its deadline.
			const all = [...tricklers, ...bodies];
			const closedAll = await until(() => all.every((c) => c.closed !== null),
				ATTACK_MS - (Date.now() - t0) + Math.max(HEADER_S, BODY_S) * 1000 + MARGIN_MS);
			const open = all.filter((c) => c.closed === null);
			for (const c of open)
				c.sock.destroy();
			assert.ok(closedAll, `${open.length} slow connections still open`);
			assert.ok(Date.now() - t0 < 30000, 'the attack ended within 30 s');
			const life = (c) => c.closed - c.opened;
			const longest = Math.max(...tricklers.map(life));
			const longestBody = Math.max(...bodies.map(life));
			console.log(`# longest trickling connection ${longest} ms, longest short body ${longestBody} ms`);
			assert.ok(longest < HEADER_S * 1000 + MARGIN_MS, `a trickler lived ${longest} ms`);
			assert.ok(longest >= HEADER_S * 1000 - 200, `held tricklers were cut before ${HEADER_S} s`);
			assert.ok(longestBody < BODY_S * 1000 + MARGIN_MS + 1000, `a short body lived ${longestBody} ms`);
			assert.ok(bodies.some((c) => life(c) >= BODY_S * 1000 - 200),
				'short bodies were held until their deadline');

			const logs = s.d.logs();
			assert.match(logs, /closed a connection from 127\.0\.0\.2: the request headers not received within 3 s/);
			assert.match(logs, /closed a connection from 127\.0\.0\.3: the next 64 KiB of the body not received within 3 s/);
			// The refusals at the per-address limit are summed up in the log.
			const limitLines = logs.split('\n').filter((l) => /connection limit/.test(l));
			assert.ok(limitLines.length >= 1 && limitLines.length <= 4,
				`${limitLines.length} connection-limit lines:\n${limitLines.slice(0, 5).join('\n')}`);
			console.log(`# ${limitLines[0]}`);
			assertSameCounts(assert, before, await h.snapshot(), 'after the short bodies');
		});

	it('a body that keeps coming is not cut; a kept-alive idle connection is closed after header_timeout',
		async () => {
			// 320 KiB at 64 KiB a second: five parts, longer than body_timeout in all.
			const mp = multipart(documentParts(docMeta(s.orgA, { title: 'lente mais régulière' }),
				pdfFile(320 * 1024)));
			async function* paced() {
				for (let i = 0; i < mp.body.length; i += 32 * 1024) {
					yield mp.body.subarray(i, i + 32 * 1024);
					await sleep(500);
				}
			}
			const t = await timed(() => request(s.d.url, { method: 'POST', path: '/api/v1/documents',
				headers: { Authorization: `Bearer ${s.keyA}`, 'Content-Type': mp.contentType,
					'Content-Length': mp.body.length }, body: paced() }));
			assert.equal(t.r.status, 201, t.r.text);
			assert.ok(t.ms > BODY_S * 1000, `the paced upload took only ${t.ms} ms`);

			const c = slowConnection(port, '127.0.0.1', 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', () => '');
			let answered = '';
			c.sock.on('data', (d) => { answered += d; });
			const ok = await until(() => c.closed !== null, HEADER_S * 1000 + MARGIN_MS);
			if (!ok)
				c.sock.destroy();
			assert.match(answered, /^HTTP\/1\.1 200/);
			assert.ok(ok, 'an idle kept-alive connection stayed open');
		});
});
