// Hostile input: XML with a DTD or external entities (refused and never
// fetched: a local listener counts requests), entity-expansion bombs,
// oversized headers and bodies.  After each refusal nothing is stored and
// liassed still answers.  (Malformed multipart, wrong content types, missing
// parts, bad JSON, unknown fields and bad file names are cases in
// tests/data/api.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
	newHarness, request, multipart, documentParts, docMeta, pdfFile, assertProblem, assertSameCounts, sleep, smallPes,
} from '../lib/harness.mjs';

const h = newHarness('api-badinput');

const pes = (o = {}) => smallPes({ nomfic: 'NOMFICBADINPUT', ...o });

describe('hostile input', () => {
	let s, listener, fetched = [], lport;

	before(async () => {
		listener = http.createServer((req, res) => {
			fetched.push(req.url);
			res.writeHead(200, { 'Content-Type': 'text/plain' });
			res.end('<!ENTITY leak "LEAKED-BY-LIASSE">');
		});
		await new Promise((r) => listener.listen(0, '127.0.0.1', r));
		lport = listener.address().port;
		s = await h.setup({ max_request_size: '2M', document_max_size: '1M', header_limit: '16k' });
	});
	after(async () => {
		listener.close();
		await h.stopAll();
	});

	async function postPes(data, kind = 'pes', type = 'application/xml') {
		return s.a.postDocument({ kind, organisation: s.orgA, title: 'hostile' },
			{ name: 'pes.xml', type, data });
	}

	async function alive() {
		const r = await s.a.get('/healthz');
		assert.equal(r.status, 200, 'liassed still answers');
	}

	it('the small PES used below is accepted without its DTD (control)', async () => {
		const r = await postPes(pes({ nomfic: 'NOMFICCONTROL' }));
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.pes.nomfic, 'NOMFICCONTROL');
		assert.deepEqual(r.json.pes.bordereaux, ['42']);
	});

	const hostile = (p) => ({
		'internal DTD without entities': { doctype: '<!DOCTYPE n:PES_Aller [<!ELEMENT x ANY>]>\n' },
		'external entity over HTTP': {
			doctype: `<!DOCTYPE n:PES_Aller [<!ENTITY xxe SYSTEM "http://127.0.0.1:${p}/xxe">]>\n`,
			extra: '<Note>&xxe;</Note>',
		},
		'external DTD over HTTP': { doctype: `<!DOCTYPE n:PES_Aller SYSTEM "http://127.0.0.1:${p}/dtd">\n` },
		'public DTD over HTTP': {
			doctype: `<!DOCTYPE n:PES_Aller PUBLIC "-//X//Y" "http://127.0.0.1:${p}/public">\n`,
		},
		'external parameter entity': {
			doctype: `<!DOCTYPE n:PES_Aller [<!ENTITY % pe SYSTEM "http://127.0.0.1:${p}/pe"> %pe;]>\n`,
			extra: '<Note>&leak;</Note>',
		},
		'file entity': {
			doctype: '<!DOCTYPE n:PES_Aller [<!ENTITY f SYSTEM "file:///etc/passwd">]>\n',
			extra: '<Note>&f;</Note>',
		},
		'internal entity': {
			doctype: '<!DOCTYPE n:PES_Aller [<!ENTITY e "expanded">]>\n', extra: '<Note>&e;</Note>',
		},
	});

	for (const what of Object.keys(hostile(0))) {
		it(`PES with ${what}: 422 on file, nothing fetched, nothing stored`, async () => {
			const spec = hostile(lport)[what];
			const before = await h.snapshot();
			fetched = [];
			const r = await postPes(pes(spec));
			assertProblem(assert, r, { status: 422, field: 'file', detail: /dtd|doctype|entit/i });
			assert.ok(!r.text.includes('root:') && !r.text.includes('LEAKED'), 'nothing leaks into the answer');
			await sleep(200);
			assert.deepEqual(fetched, [], 'liassed fetched nothing');
			assertSameCounts(assert, before, await h.snapshot(), what);
		});
	}

	it('an XML generic document with an external entity is never fetched', async () => {
		fetched = [];
		const data = Buffer.from(`<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM ` +
			`"http://127.0.0.1:${lport}/doc">]>\n<d>&x;</d>\n`);
		const r = await postPes(data, 'document', 'application/xml');
		assert.ok([201, 422].includes(r.status), `${r.status} ${r.text}`);
		await sleep(200);
		assert.deepEqual(fetched, [], 'liassed fetched nothing');
		await alive();
	});

	it('billion laughs: refused quickly, memory bounded, nothing stored', async () => {
		let ents = '<!ENTITY l0 "lol">';
		for (let i = 1; i <= 12; i++)
			ents += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
		const before = await h.snapshot();
		const t0 = Date.now();
		const r = await postPes(pes({ doctype: `<!DOCTYPE n:PES_Aller [${ents}]>\n`, extra: '<Note>&l12;</Note>' }));
		assertProblem(assert, r, { status: 422, field: 'file' });
		assert.ok(Date.now() - t0 < 5000, `answered in ${Date.now() - t0} ms`);
		assert.ok(s.d.procStatus('VmHWM') < 65536, `peak RSS ${s.d.procStatus('VmHWM')} kB`);
		assertSameCounts(assert, before, await h.snapshot());
		await alive();
	});

	it('quadratic blowup (one big entity referenced many times): refused, memory bounded', async () => {
		const doctype = `<!DOCTYPE n:PES_Aller [<!ENTITY big "${'B'.repeat(20000)}">]>\n`;
		const before = await h.snapshot();
		const r = await postPes(pes({ doctype, extra: `<Note>${'&big;'.repeat(20000)}</Note>` }));
		assertProblem(assert, r, { status: 422, field: 'file' });
		assert.ok(s.d.procStatus('VmHWM') < 65536, `peak RSS ${s.d.procStatus('VmHWM')} kB`);
		assertSameCounts(assert, before, await h.snapshot());
		await alive();
	});

	it('deeply nested elements are refused or accepted without crashing', async () => {
		const deep = '<x>'.repeat(100000) + '</x>'.repeat(100000);
		const r = await postPes(pes({ nomfic: 'NOMFICDEEP', extra: deep }));
		assert.ok([201, 422].includes(r.status), `${r.status}`);
		await alive();
	});

	it('oversized header: 431 or 413, nothing stored', async () => {
		const before = await h.snapshot();
		const mp = multipart(documentParts(docMeta(s.orgA), pdfFile(1000)));
		const r = await request(s.d.url, {
			method: 'POST', path: '/api/v1/documents',
			headers: { Authorization: `Bearer ${s.keyA}`, 'Content-Type': mp.contentType,
				'Content-Length': mp.body.length, 'X-Padding': 'p'.repeat(40000) },
			body: mp.body,
		}).catch((e) => ({ status: 'connection error: ' + e.code }));
		assert.ok([431, 413].includes(r.status), `status ${r.status}`);
		assertSameCounts(assert, before, await h.snapshot());
		await alive();
	});

	it('many headers adding up past header_limit: 431 or 413', async () => {
		const headers = { Authorization: `Bearer ${s.keyA}` };
		for (let i = 0; i < 1500; i++)
			headers[`X-H${i}`] = 'v'.repeat(20);
		const r = await request(s.d.url, { path: '/api/v1/documents', headers })
			.catch((e) => ({ status: 'connection error: ' + e.code }));
		assert.ok([431, 413].includes(r.status), `status ${r.status}`);
		await alive();
	});

	it('overlong URL: 414, 431 or 413', async () => {
		const r = await request(s.d.url, {
			path: `/api/v1/documents?state=${'a'.repeat(40000)}`, headers: { Authorization: `Bearer ${s.keyA}` },
		}).catch((e) => ({ status: 'connection error: ' + e.code }));
		assert.ok([414, 431, 413].includes(r.status), `status ${r.status}`);
		await alive();
	});

	it('Content-Length over max_request_size: 413 before the body is read', async () => {
		const before = await h.snapshot();
		let release;
		const hold = new Promise((r) => { release = r; });
		async function* never() {
			yield Buffer.from('--x\r\n');
			await Promise.race([hold, sleep(8000)]);
		}
		const t0 = Date.now();
		const r = await request(s.d.url, {
			method: 'POST', path: '/api/v1/documents', body: never(),
			headers: { Authorization: `Bearer ${s.keyA}`, 'Content-Type': 'multipart/form-data; boundary=x',
				'Content-Length': 3 * 1024 * 1024 },
		});
		release();
		assertProblem(assert, r, { status: 413, type: 'too-large' });
		assert.ok(Date.now() - t0 < 5000, 'answered without waiting for the body');
		assertSameCounts(assert, before, await h.snapshot());
		await alive();
	});

	it('a chunked body growing past max_request_size: 413, nothing stored', async () => {
		const before = await h.snapshot();
		const mp = multipart(documentParts(docMeta(s.orgA), pdfFile(3 * 1024 * 1024)));
		async function* chunks() {
			for (let i = 0; i < mp.body.length; i += 65536)
				yield mp.body.subarray(i, i + 65536);
		}
		const r = await request(s.d.url, {
			method: 'POST', path: '/api/v1/documents', body: chunks(),
			headers: { Authorization: `Bearer ${s.keyA}`, 'Content-Type': mp.contentType },
		});
		assertProblem(assert, r, { status: 413, type: 'too-large' });
		assertSameCounts(assert, before, await h.snapshot());
		await alive();
	});

	it('a body just under max_request_size is read (not refused for its size)', async () => {
		const r = await s.a.postDocument(docMeta(s.orgA), pdfFile(1000 * 1000));
		assert.equal(r.status, 201, r.text);
	});
});
