// File download: bytes, ETag, If-None-Match, Range (a-b, a-, -n), 416.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newHarness, docMeta, acteMeta, pdfFile, sha256, assertProblem } from '../lib/harness.mjs';

const h = newHarness('api-files');

describe('file download', () => {
	let s, doc, main, annexe, href, size;

	before(async () => {
		s = await h.setup();
		main = pdfFile(10000, 'délibération n°1.pdf');
		annexe = pdfFile(3333, 'annexe.pdf');
		const r = await s.a.postDocument(acteMeta(s.orgA, 'F2026_001'), main, [annexe]);
		assert.equal(r.status, 201, r.text);
		doc = r.json;
		href = doc.files[0].href;
		size = main.data.length;
	});
	after(() => h.stopAll());

	it('returns the bytes with ETag, type, disposition and Accept-Ranges', async () => {
		const r = await s.a.get(href);
		assert.equal(r.status, 200);
		assert.ok(r.body.equals(main.data), 'same bytes');
		assert.equal(r.headers.etag, `"${sha256(main.data)}"`);
		assert.equal(r.headers.etag, `"${doc.files[0].sha256}"`);
		assert.match(r.headers['content-type'], /^application\/pdf/);
		assert.equal(r.headers['accept-ranges'], 'bytes');
		assert.equal(Number(r.headers['content-length']), size);
		assert.match(r.headers['content-disposition'], /^attachment;/);
		assert.ok(r.headers['content-disposition'].includes(
			`filename*=UTF-8''${encodeURIComponent('délibération n°1.pdf')}`) ||
			r.headers['content-disposition'].includes("filename*=UTF-8''d%C3%A9lib%C3%A9ration%20n%C2%B01.pdf"),
		r.headers['content-disposition']);
	});

	it('serves the annexe as file 1, and 404 past the last file', async () => {
		const r = await s.a.get(doc.files[1].href);
		assert.equal(r.status, 200);
		assert.ok(r.body.equals(annexe.data));
		assert.equal(r.headers.etag, `"${sha256(annexe.data)}"`);
		for (const n of ['2', '99', '-1', 'x'])
			assertProblem(assert, await s.a.get(`/api/v1/documents/${doc.id}/files/${n}`), { status: 404 });
	});

	it('If-None-Match with the ETag answers 304 without a body; another tag 200', async () => {
		const etag = `"${sha256(main.data)}"`;
		const r = await s.a.get(href, { 'If-None-Match': etag });
		assert.equal(r.status, 304);
		assert.equal(r.body.length, 0);
		assert.equal(r.headers.etag, etag);
		const r2 = await s.a.get(href, { 'If-None-Match': `W/"x", ${etag}` });
		assert.equal(r2.status, 304, 'a list containing the tag');
		const r3 = await s.a.get(href, { 'If-None-Match': '"0000"' });
		assert.equal(r3.status, 200);
		assert.equal(r3.body.length, size);
		const r4 = await s.a.get(href, { 'If-None-Match': '*' });
		assert.equal(r4.status, 304, 'If-None-Match: * matches any current representation');
	});

	it('Range bytes=a-b, a-, -n answer 206 with Content-Range', async () => {
		const cases = [
			['bytes=0-9', 0, 9],
			['bytes=100-199', 100, 199],
			[`bytes=${size - 10}-`, size - 10, size - 1],
			['bytes=-50', size - 50, size - 1],
			[`bytes=9000-${size + 500}`, 9000, size - 1],
			[`bytes=-${size + 10}`, 0, size - 1],
		];
		for (const [range, a, b] of cases) {
			const r = await s.a.get(href, { Range: range });
			assert.equal(r.status, 206, `${range}: ${r.status}`);
			assert.equal(r.headers['content-range'], `bytes ${a}-${b}/${size}`, range);
			assert.equal(Number(r.headers['content-length']), b - a + 1, range);
			assert.ok(r.body.equals(main.data.subarray(a, b + 1)), `${range}: bytes`);
			assert.equal(r.headers.etag, `"${sha256(main.data)}"`, `${range}: etag`);
		}
	});

	it('an unsatisfiable range answers 416 with Content-Range: bytes */size', async () => {
		for (const range of [`bytes=${size}-`, `bytes=${size + 100}-${size + 200}`]) {
			const r = await s.a.get(href, { Range: range });
			assert.equal(r.status, 416, `${range}: ${r.status} ${r.text}`);
			assert.equal(r.headers['content-range'], `bytes */${size}`);
			if (r.body.length)
				assertProblem(assert, r, { status: 416, type: 'range-not-satisfiable' });
		}
	});

	it('a malformed Range is ignored (200 with the whole file) or refused, never garbled', async () => {
		for (const range of ['bytes=abc', 'items=0-5', 'bytes=9-2']) {
			const r = await s.a.get(href, { Range: range });
			assert.ok([200, 416].includes(r.status), `${range}: ${r.status}`);
			if (r.status === 200)
				assert.ok(r.body.equals(main.data), `${range}: whole file`);
		}
	});

	it('needs authentication', async () => {
		const r = await s.d.client(null).get(href);
		assertProblem(assert, r, { status: 401 });
	});

	it('two documents with the same bytes share nothing visible: each serves its own name', async () => {
		const r = await s.a.postDocument(docMeta(s.orgA, { title: 'copie' }),
			{ name: 'copie.pdf', type: 'application/pdf', data: main.data });
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.files[0].sha256, doc.files[0].sha256);
		const f = await s.a.get(r.json.files[0].href);
		assert.ok(f.body.equals(main.data));
		assert.match(f.headers['content-disposition'], /copie\.pdf/);
	});
});
