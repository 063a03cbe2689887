// Issue 16: XML amplification and attribute bombs sent to POST /api/v1/verify
// and POST /api/v1/documents are answered in bounded time and memory
// (liassed's peak RSS is read from /proc), and request smuggling framings
// (two Content-Length, Transfer-Encoding with Content-Length) are refused
// with 400 on a raw socket, the connection closed so that nothing smuggled
// in the body is ever read as a request.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { newHarness, multipart, assertProblem, assertSameCounts, smallPes } from '../lib/harness.mjs';

const h = newHarness('api-bombs');

const pes = (o = {}) => smallPes({ nomfic: 'NOMFICBOMB', ...o });

// The billion laughs of the issue: 11 MB, most of it references.
function billionLaughs() {
	let ents = '<!ENTITY l0 "lol">';
	for (let i = 1; i <= 9; i++)
		ents += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
	return pes({ doctype: `<!DOCTYPE n:PES_Aller [${ents}]>\n`, pad: `<Note>${'&l9;'.repeat(11 * 1024 * 1024 / 4)}</Note>` });
}

// One element with n attributes (100,000: 1 MB, 17 s in libxml2 before).
function attributeBomb(n) {
	let a = '';
	for (let i = 0; i < n; i++)
		a += ` a${i}=""`;
	return pes({ extra: `<Bomb${a}/>` });
}

let s;

before(async () => {
	// /api/v1/verify needs trust anchors; none are needed to refuse a bomb.
	const trust = path.join(h.tmp, 'trust');
	fs.mkdirSync(trust, { mode: 0o755 });
	s = await h.setup({ max_request_size: '40M', verify_max_size: '32M', trust_dir: trust });
});
after(() => h.stopAll());

describe('XML bombs', () => {

	function verify(data) {
		const mp = multipart([{ name: 'file', filename: 'pes.xml', type: 'application/xml', data }]);
		return s.a.post('/api/v1/verify', mp.body, { 'Content-Type': mp.contentType });
	}

	// Runs f, returns [answer, ms, peak RSS growth in kB].
	async function measured(f) {
		const hwm0 = s.d.procStatus('VmHWM');
		const t0 = Date.now();
		const r = await f();
		return [r, Date.now() - t0, s.d.procStatus('VmHWM') - hwm0];
	}

	const cases = {
		'billion laughs of 11 MB': { data: billionLaughs, check: /DTD|DOCTYPE/ },
		'100,000 attributes on one element': { data: () => attributeBomb(100000), check: /attributes/ },
	};

	for (const [what, c] of Object.entries(cases)) {
		it(`/api/v1/verify: ${what} is reported in bounded time and memory`, async () => {
			const data = c.data();
			const [r, ms, kb] = await measured(() => verify(data));
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.valid, false, r.text);
			const xml = r.json.checks.find((k) => k.id === 'xml');
			assert.ok(xml && !xml.ok, `the xml check fails: ${r.text}`);
			assert.match(xml.reason_en, c.check, 'the reason names what is wrong');
			console.log(`# verify, ${what} (${data.length} bytes): ${ms} ms, peak RSS +${kb} kB`);
			assert.ok(ms < 10000, `answered in ${ms} ms`);
			assert.ok(kb < 128 * 1024, `peak RSS grew by ${kb} kB`);
		});

		it(`POST /api/v1/documents: a PES with ${what} is refused (422 on file), nothing stored`, async () => {
			const data = c.data();
			const before = await h.snapshot();
			const [r, ms, kb] = await measured(() => s.a.postDocument(
				{ kind: 'pes', organisation: s.orgA, title: 'bomb' },
				{ name: 'pes.xml', type: 'application/xml', data }));
			assertProblem(assert, r, { status: 422, field: 'file', detail: c.check });
			console.log(`# documents, ${what} (${data.length} bytes): ${ms} ms, peak RSS +${kb} kB`);
			assert.ok(ms < 10000, `answered in ${ms} ms`);
			assert.ok(kb < 128 * 1024, `peak RSS grew by ${kb} kB`);
			assertSameCounts(assert, before, await h.snapshot(), what);
		});
	}

	it('liassed still answers', async () => {
		assert.equal((await s.a.get('/healthz')).status, 200);
	});
});

// Sends raw bytes, reads until the server closes (or 5 s): the text.
function raw(url, text) {
	const u = new URL(url);
	return new Promise((resolve, reject) => {
		const sock = net.connect(Number(u.port), u.hostname);
		const chunks = [];
		let closed = false;
		const timer = setTimeout(() => {
			sock.destroy();
			resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
		}, 5000);
		sock.on('data', (d) => chunks.push(d));
		sock.on('error', (e) => {
			if (e.code !== 'ECONNRESET')
				reject(e);
		});
		sock.on('close', () => {
			closed = true;
			clearTimeout(timer);
			resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
		});
		sock.write(text);
	});
}

describe('request smuggling', () => {
	const smuggled = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
	const cases = {
		'two Content-Length (different)': 'Content-Length: 5\r\nContent-Length: 40\r\n',
		'two Content-Length (same value)': 'Content-Length: 40\r\nContent-Length: 40\r\n',
		'Transfer-Encoding and Content-Length': 'Transfer-Encoding: chunked\r\nContent-Length: 40\r\n',
		'Content-Length and Transfer-Encoding': 'Content-Length: 40\r\nTransfer-Encoding: chunked\r\n',
		'two Transfer-Encoding': 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n',
		'Transfer-Encoding other than chunked': 'Transfer-Encoding: gzip, chunked\r\n',
	};
	for (const [what, headers] of Object.entries(cases)) {
		it(`${what}: 400 problem+json, the connection closed, nothing smuggled`, async () => {
			const body = `0\r\n\r\n${smuggled}`;
			const r = await raw(s.d.url, `POST /api/v1/verify HTTP/1.1\r\nHost: x\r\n${headers}\r\n${body}`);
			const statuses = [...r.text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
			assert.deepEqual(statuses, [400], `one answer, 400: ${r.text}`);
			assert.match(r.text, /content-type: application\/problem\+json/i, r.text);
			assert.match(r.text, /"detail":"[^"]*(Content-Length|Transfer-Encoding)/, r.text);
			assert.ok(r.closed, 'liassed closed the connection');
		});
	}

	// libmicrohttpd refuses this one itself, before liassed sees it, with
	// its own HTML 400 (sent twice by 0.9.75), and closes the connection.
	it('a Content-Length list: 400 from libmicrohttpd, the connection closed, nothing smuggled', async () => {
		const r = await raw(s.d.url, 'POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 40, 40\r\n\r\n' +
			`0\r\n\r\n${smuggled}`);
		const statuses = [...r.text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
		assert.ok(statuses.length > 0 && statuses.every((x) => x === 400), r.text);
		assert.ok(r.closed, 'liassed closed the connection');
	});

	it('a GET with Transfer-Encoding and Content-Length is refused too', async () => {
		const r = await raw(s.d.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n' +
			`Content-Length: 40\r\n\r\n0\r\n\r\n${smuggled}`);
		const statuses = [...r.text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
		assert.deepEqual(statuses, [400], r.text);
		assert.ok(r.closed, 'liassed closed the connection');
	});

	it('one Content-Length, or chunked alone, still work (401 without a key)', async () => {
		for (const headers of ['Content-Length: 2\r\n', 'Transfer-Encoding: chunked\r\n']) {
			const body = headers.startsWith('Transfer') ? '2\r\n{}\r\n0\r\n\r\n' : '{}';
			const r = await raw(s.d.url, `POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\n${body}`);
			const statuses = [...r.text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
			assert.deepEqual(statuses, [401], `${headers}: ${r.text}`);
		}
	});
});
