// Authentication (401: missing, wrong, malformed, revoked key), service
// endpoints (healthz, readyz, openapi.json) and agreement between the
// OpenAPI document and the routes liassed serves.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
	newHarness, topSrcdir, Client, docMeta, pdfFile, assertProblem, assertSameCounts, request,
} from '../lib/harness.mjs';

const h = newHarness('api-auth');

describe('authentication and service endpoints', () => {
	let s, doc;

	before(async () => {
		s = await h.setup();
		const r = await s.a.postDocument(docMeta(s.orgA), pdfFile(1000));
		assert.equal(r.status, 201, r.text);
		doc = r.json;
	});
	after(() => h.stopAll());

	function withAuth(value) {
		const c = new Client(s.d.url, null);
		c.headers = (extra = {}) => (value === undefined ? { ...extra } : { Authorization: value, ...extra });
		return c;
	}

	const routes = () => [
		['GET', '/api/v1/documents'],
		['GET', `/api/v1/documents/${doc.id}`],
		['GET', `/api/v1/documents/${doc.id}/files/0`],
		['POST', `/api/v1/documents/${doc.id}/cancel`],
		['POST', '/api/v1/documents'],
	];

	async function expect401(c, what) {
		for (const [method, p] of routes()) {
			const r = method === 'GET' ? await c.get(p) : await c.post(p, Buffer.alloc(0));
			assertProblem(assert, r, { status: 401, type: 'unauthenticated' });
			assert.match(String(r.headers['www-authenticate']), /^Bearer/, `${what} ${method} ${p}`);
		}
	}

	it('no Authorization header: 401 with WWW-Authenticate: Bearer on every route', async () => {
		await expect401(withAuth(undefined), 'missing');
	});

	it('an unknown, malformed or non-Bearer key: 401', async () => {
		const fake = 'lsk_' + crypto.randomBytes(32).toString('base64url');
		for (const v of [`Bearer ${fake}`, 'Bearer ', 'Bearer', `Basic ${Buffer.from('a:b').toString('base64')}`,
			`Bearer ${s.keyA}x`, `Bearer ${s.keyA.slice(0, -1)}`, `${s.keyA}`])
			await expect401(withAuth(v), v);
	});

	it('HTTP Basic (RFC 7617) with the client\'s name and key, as i-Parapheur and S2LOW connectors send it', async () => {
		const key = await h.addClient('vendor-basic', [s.orgA]);
		const basic = (u, p) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
		const r = await withAuth(basic('vendor-basic', key)).get('/api/v1/documents');
		assert.equal(r.status, 200, r.text);
		// the key of another client, a wrong name, no password, not base64: refused
		for (const v of [basic('vendor-basic', s.keyA), basic('vendor-other', key), basic('vendor-basic', ''),
			basic('', key), 'Basic !!!', 'Basic '])
			await expect401(withAuth(v), v);
		const u = await withAuth(undefined).get('/api/v1/documents');
		assert.match(String(u.headers['www-authenticate']), /Basic realm="liasse"/, 'Basic is offered');
	});

	it('the scheme is case-insensitive (RFC 7235)', async () => {
		const r = await withAuth(`bearer ${s.keyA}`).get(`/api/v1/documents/${doc.id}`);
		assert.equal(r.status, 200, r.text);
	});

	it('a revoked key is refused at once while the others keep working', async () => {
		const key = await h.addClient('vendor-revoked', [s.orgA]);
		const c = s.d.client(key);
		assert.equal((await c.get(`/api/v1/documents/${doc.id}`)).status, 200);
		const rv = await h.cli(['client', 'revoke', 'vendor-revoked']);
		assert.equal(rv.code, 0, rv.stderr);
		await expect401(c, 'revoked');
		assert.equal((await s.a.get(`/api/v1/documents/${doc.id}`)).status, 200, 'other key still works');
	});

	it('a refused POST stores nothing', async () => {
		const before = await h.snapshot();
		const r = await withAuth('Bearer lsk_nope').postDocument(docMeta(s.orgA), pdfFile(1000));
		assert.equal(r.status, 401);
		assertSameCounts(assert, before, await h.snapshot());
	});

	it('GET /healthz and /readyz need no key', async () => {
		const c = withAuth(undefined);
		const hz = await c.get('/healthz');
		assert.equal(hz.status, 200);
		assert.deepEqual(hz.json, { status: 'ok' });
		const rz = await c.get('/readyz');
		assert.equal(rz.status, 200);
		assert.deepEqual(rz.json, { status: 'ready' });
	});

	it('GET /api/v1/openapi.json serves doc/openapi.json without a key', async () => {
		const r = await withAuth(undefined).get('/api/v1/openapi.json');
		assert.equal(r.status, 200);
		assert.match(String(r.headers['content-type']), /^application\/(vnd\.oai\.openapi\+)?json/);
		const want = JSON.parse(fs.readFileSync(path.join(topSrcdir, 'doc', 'openapi.json'), 'utf8'));
		assert.deepEqual(r.json, want);
		assert.match(r.json.openapi, /^3\.1\./);
	});

	it('every operation of openapi.json is routed, and unknown routes are 404 problems', async () => {
		const api = JSON.parse(fs.readFileSync(path.join(topSrcdir, 'doc', 'openapi.json'), 'utf8'));
		const c = s.a;
		const seen = [];
		for (const [p, ops] of Object.entries(api.paths)) {
			for (const method of Object.keys(ops).filter((m) => /^(get|post|put|delete|patch)$/.test(m))) {
				const url = p.replace(/\{id\}/g, doc.id).replace(/\{[^}]+\}/g, '0');
				// the i-Parapheur web services (doc/compat.md) live at their own paths;
				// their GET needs ?wsdl (which needs iparapheur_wsdl) or ?xsd=xmlmime
				const top = /^\/(api\/|healthz|readyz|ws-iparapheur)/.test(url);
				const full = (top ? url : `/api/v1${url}`) +
					(method === 'get' && p === '/ws-iparapheur' ? '?xsd=xmlmime' : '');
				const r = method === 'get' ? await c.get(full)
					: method === 'delete' ? await c.delete(full)
						: await request(c.url, { method: method.toUpperCase(), path: full, body: Buffer.alloc(0),
							headers: c.headers({ 'Content-Type': 'application/json', 'Content-Length': 0 }) });
				assert.notEqual(r.status, 405, `${method} ${full} is routed`);
				assert.ok(!(r.status === 404 && !/\{/.test(p)), `${method} ${full}: ${r.status} ${r.text}`);
				seen.push(`${method.toUpperCase()} ${p}`);
			}
		}
		for (const must of ['GET /api/v1/documents', 'POST /api/v1/documents', 'GET /api/v1/documents/{id}',
			'GET /api/v1/documents/{id}/files/{n}', 'POST /api/v1/documents/{id}/cancel',
			'GET /healthz', 'GET /readyz', 'GET /api/v1/openapi.json'])
			assert.ok(seen.some((x) => x.replace(/\{[^}]+\}/g, '{}') === must.replace(/\{[^}]+\}/g, '{}')),
				`openapi.json documents ${must}: ${seen.join(', ')}`);
		// (paths outside /api/ are the web pages')
		for (const p of ['/api/v1/nothing', '/api/v2/documents', '/api/', '/api/v1/documents/x/y/z'])
			assertProblem(assert, await c.get(p), { status: 404 });
		const del = await c.get(`/api/v1/documents/${doc.id}`);
		assert.equal(del.status, 200);
	});

	it('a known path with another method: 405 with the methods it takes in Allow', async () => {
		const r = await s.a.post('/healthz', Buffer.alloc(0), { 'Content-Type': 'application/json' });
		assertProblem(assert, r, { status: 405 });
		assert.equal(r.headers.allow, 'GET');
		const cancel = await s.a.get(`/api/v1/documents/${doc.id}/cancel`);
		assertProblem(assert, cancel, { status: 405 });
		assert.equal(cancel.headers.allow, 'POST');
		const list = await request(s.d.url, { method: 'DELETE', path: '/api/v1/documents',
			headers: { Authorization: `Bearer ${s.keyA}` } });
		assert.deepEqual(list.headers.allow.split(', ').sort(), ['GET', 'POST']);
	});

	it('the log has request context and never an API key', async () => {
		const logs = s.d.logs();
		assert.match(logs, /req=\S+/, 'log lines carry a request id');
		for (const k of [s.keyA, s.keyB])
			assert.ok(!logs.includes(k) && !logs.includes(k.slice(4)), 'no API key in the log');
		assert.ok(!/authorization:\s*bearer/i.test(logs), 'no Authorization header in the log');
	});

	it('a wrong method on a known route is 405 (or 404), always a problem', async () => {
		const r = await s.a.post('/healthz', Buffer.alloc(0));
		assertProblem(assert, r, { status: [405, 404] });
		const r2 = await s.a.get(`/api/v1/documents/${doc.id}/cancel`);
		assertProblem(assert, r2, { status: [405, 404] });
	});
});
