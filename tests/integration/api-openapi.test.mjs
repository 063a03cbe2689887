// The answers of a real liassed conform to doc/openapi.json: every status is
// one the document lists for that operation, with the documented media type,
// and every JSON body validates against the documented schema (Document,
// DocumentList, Problem, VerificationReport, ...).  Every operation of the
// document is exercised.  The schema checker below covers the JSON Schema
// keywords the document uses, so the test needs no npm package.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	newHarness, topSrcdir, fixture, Client, docMeta, acteMeta, pdfFile, pesFile, multipart, PASSWORD, OFFICIAL_A, request,
} from '../lib/harness.mjs';

const api = JSON.parse(fs.readFileSync(path.join(topSrcdir, 'doc', 'openapi.json'), 'utf8'));

/* ------------------------------------------------------- schema checking */

function deref(node) {
	while (node && node.$ref) {
		let t = api;
		for (const p of node.$ref.replace(/^#\//, '').split('/'))
			t = t[p];
		if (!t)
			throw new Error(`unresolved ${node.$ref}`);
		const { $ref, ...rest } = node;
		node = Object.keys(rest).length ? { ...t, ...rest, $ref: undefined } : t;
		if (node.$ref === undefined)
			delete node.$ref;
	}
	return node;
}

function typeOf(v) {
	if (v === null)
		return 'null';
	if (Array.isArray(v))
		return 'array';
	if (typeof v === 'number')
		return Number.isInteger(v) ? 'integer' : 'number';
	return typeof v;
}

const formats = {
	'date-time': (s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s),
	date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s),
	uuid: (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s),
	'uri-reference': (s) => typeof s === 'string',
};

// Returns a list of "path: message" errors (empty when value conforms).
function check(schema, value, at = '$') {
	const s = deref(schema);
	const errs = [];
	const fail = (m) => errs.push(`${at}: ${m}`);
	const t = typeOf(value);

	if (s.type) {
		const types = Array.isArray(s.type) ? s.type : [s.type];
		if (!types.includes(t) && !(t === 'integer' && types.includes('number')))
			return [`${at}: ${JSON.stringify(value)} is ${t}, not ${types.join('|')}`];
	}
	if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value))
		fail(`must be ${JSON.stringify(s.const)}`);
	if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
		fail(`${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
	if (t === 'string') {
		const n = [...value].length;
		if (s.minLength !== undefined && n < s.minLength)
			fail(`shorter than ${s.minLength}`);
		if (s.maxLength !== undefined && n > s.maxLength)
			fail(`longer than ${s.maxLength}`);
		if (s.pattern && !new RegExp(s.pattern, 'u').test(value))
			fail(`${JSON.stringify(value)} does not match ${s.pattern}`);
		if (s.format && formats[s.format] && !formats[s.format](value))
			fail(`${JSON.stringify(value)} is not a ${s.format}`);
	}
	if (t === 'integer' || t === 'number') {
		if (s.minimum !== undefined && value < s.minimum)
			fail(`below ${s.minimum}`);
		if (s.maximum !== undefined && value > s.maximum)
			fail(`above ${s.maximum}`);
	}
	if (t === 'array') {
		if (s.maxItems !== undefined && value.length > s.maxItems)
			fail(`more than ${s.maxItems} items`);
		if (s.items)
			value.forEach((v, i) => errs.push(...check(s.items, v, `${at}[${i}]`)));
	}
	if (t === 'object') {
		for (const k of s.required || [])
			if (!(k in value))
				fail(`missing ${k}`);
		for (const [k, v] of Object.entries(value)) {
			if (s.properties && s.properties[k])
				errs.push(...check(s.properties[k], v, `${at}.${k}`));
			else if (s.additionalProperties === false)
				fail(`unexpected ${k}`);
		}
		if (s.maxProperties !== undefined && Object.keys(value).length > s.maxProperties)
			fail(`more than ${s.maxProperties} members`);
	}
	for (const sub of s.allOf || [])
		errs.push(...check(sub, value, at));
	if (s.oneOf && s.oneOf.filter((sub) => check(sub, value, at).length === 0).length !== 1)
		fail('does not match exactly one of oneOf');
	if (s.not && check(s.not, value, at).length === 0)
		fail('matches a "not" schema');
	if (s.if) {
		const branch = check(s.if, value, at).length === 0 ? s.then : s.else;
		if (branch)
			errs.push(...check(branch, value, at));
	}
	return errs;
}

/* --------------------------------------------------- response conformance */

const seen = new Set();

// r: a harness response to METHOD on the documented path template.
function conforms(method, template, r) {
	const op = api.paths[template] && api.paths[template][method.toLowerCase()];
	assert.ok(op, `${method} ${template} is documented`);
	seen.add(`${method} ${template}`);
	const ctx = `${method} ${template} -> ${r.status} ${r.text.slice(0, 300)}`;
	const resp = deref(op.responses[String(r.status)] || {});
	assert.ok(op.responses[String(r.status)], `status ${r.status} is documented: ${ctx}`);
	for (const [name, h] of Object.entries(resp.headers || {})) {
		const v = r.headers[name.toLowerCase()];
		if (v === undefined)
			continue;
		const hs = deref(h).schema;
		const value = hs && hs.type === 'integer' ? Number(v) : v;
		const errs = hs ? check(hs, value, name) : [];
		assert.deepEqual(errs, [], `header ${name}: ${ctx}`);
	}
	if (!resp.content) {
		assert.equal(r.body.length, 0, `no body documented: ${ctx}`);
		return;
	}
	const ctype = String(r.headers['content-type'] || '').split(';')[0].trim();
	const media = resp.content[ctype] || resp.content['*/*'];
	assert.ok(media, `content type ${ctype} is documented (${Object.keys(resp.content)}): ${ctx}`);
	if (/json$/.test(ctype)) {
		assert.ok(r.json !== undefined, `JSON body: ${ctx}`);
		assert.deepEqual(check(media.schema, r.json), [], `body conforms: ${ctx}`);
	}
}

/* ------------------------------------------------------------------ tests */

const h = newHarness('api-openapi');

describe('liassed answers as doc/openapi.json says', () => {
	let s, anon, docId, acteId;

	before(async () => {
		const trust = path.join(h.tmp, 'trust');   // no anchor: signatures verify as not valid

		fs.mkdirSync(trust, { mode: 0o755 });
		s = await h.setup({ trust_dir: trust });
		anon = new Client(s.d.url, null);
	});
	after(() => h.stopAll());

	it('service endpoints', async () => {
		conforms('GET', '/healthz', await anon.get('/healthz'));
		conforms('GET', '/readyz', await anon.get('/readyz'));
		conforms('GET', '/api/v1/openapi.json', await anon.get('/api/v1/openapi.json'));
	});

	it('POST /api/v1/documents: created, replayed, conflicting and refused posts', async () => {
		const p = '/api/v1/documents';
		const main = pdfFile(3000), annexe = pdfFile(1200, 'annexe.pdf');
		let r = await s.a.postDocument(docMeta(s.orgA, { external_ref: 'ref-1' }), main, [annexe],
			{ idempotencyKey: 'openapi-1' });
		conforms('POST', p, r);
		assert.equal(r.status, 201);
		docId = r.json.id;
		r = await s.a.postDocument(docMeta(s.orgA, { external_ref: 'ref-1' }), main, [annexe],
			{ idempotencyKey: 'openapi-1' });
		conforms('POST', p, r);
		assert.equal(r.status, 200);
		r = await s.a.postDocument(docMeta(s.orgA, { title: 'Autre' }), pdfFile(3000), [],
			{ idempotencyKey: 'openapi-1' });
		conforms('POST', p, r);
		assert.equal(r.status, 409);

		r = await s.a.postDocument(acteMeta(s.orgA, 'OA_1', {}, { type_piece: '99_DE' }), pdfFile(2500),
			[pdfFile(1500, 'plan.pdf')]);
		conforms('POST', p, r);
		assert.equal(r.status, 201);
		acteId = r.json.id;
		assert.equal(r.json.acte.nature, 1);

		const pes = pesFile('openapi0123456789abcdef01234567');
		if (pes) {
			r = await s.a.postDocument({ kind: 'pes', organisation: s.orgA, title: 'PES' }, pes);
			conforms('POST', p, r);
			assert.equal(r.status, 201);
			assert.equal(typeof r.json.pes.nomfic, 'string');
		}

		conforms('POST', p, await anon.postDocument(docMeta(s.orgA), pdfFile(1000)));           // 401
		conforms('POST', p, await s.a.postDocument(docMeta(s.orgB), pdfFile(1000)));             // 403
		conforms('POST', p, await s.a.postDocument(acteMeta(s.orgA, 'bad-number'), pdfFile(1000))); // 422
		conforms('POST', p, await s.a.postParts([{ name: 'metadata', type: 'application/json', data: '{' }]));
		conforms('POST', p, await s.a.post(p, Buffer.from('hello'), { 'Content-Type': 'text/plain' })); // 415
		const big = multipart([{ name: 'metadata', type: 'application/json',
			data: JSON.stringify({ ...docMeta(s.orgA), title: 'x'.repeat(70000) }) }]);
		conforms('POST', p, await s.a.post(p, big.body, { 'Content-Type': big.contentType })); // 413
	});

	it('GET /api/v1/documents and /api/v1/documents/{id}', async () => {
		let r = await s.a.get('/api/v1/documents?limit=1');
		conforms('GET', '/api/v1/documents', r);
		assert.equal(r.status, 200);
		assert.equal(typeof r.json.next_cursor, 'string');
		conforms('GET', '/api/v1/documents', await s.a.get(`/api/v1/documents?limit=200&cursor=${r.json.next_cursor}`));
		conforms('GET', '/api/v1/documents', await s.a.get('/api/v1/documents?limit=0'));
		conforms('GET', '/api/v1/documents', await anon.get('/api/v1/documents'));
		r = await s.a.get(`/api/v1/documents/${acteId}`);
		conforms('GET', '/api/v1/documents/{id}', r);
		assert.equal(r.status, 200);
		conforms('GET', '/api/v1/documents/{id}', await s.b.get(`/api/v1/documents/${acteId}`));
		conforms('GET', '/api/v1/documents/{id}', await s.a.get('/api/v1/documents/not-a-uuid'));
	});

	it('GET /api/v1/documents/{id}/files/{n}: whole, range, not modified, unsatisfiable', async () => {
		const p = '/api/v1/documents/{id}/files/{n}';
		const url = `/api/v1/documents/${docId}/files/0`;
		const r = await s.a.get(url);
		conforms('GET', p, r);
		assert.equal(r.status, 200);
		const etag = r.headers.etag;
		conforms('GET', p, await s.a.get(url, { Range: 'bytes=10-19' }));
		conforms('GET', p, await s.a.get(url, { Range: 'bytes=-5' }));
		conforms('GET', p, await s.a.get(url, { 'If-None-Match': etag }));
		conforms('GET', p, await s.a.get(url, { Range: 'bytes=999999-' }));
		conforms('GET', p, await s.a.get(`/api/v1/documents/${docId}/files/9`));
	});

	it('POST /api/v1/documents/{id}/cancel', async () => {
		const p = '/api/v1/documents/{id}/cancel';
		let r = await s.a.post(`/api/v1/documents/${docId}/cancel`);
		conforms('POST', p, r);
		assert.equal(r.status, 200);
		assert.equal(r.json.state, 'cancelled');
		r = await s.a.post(`/api/v1/documents/${docId}/cancel`);
		conforms('POST', p, r);
		conforms('POST', p, await s.b.post(`/api/v1/documents/${docId}/cancel`));
	});

	it('POST /api/v1/verify', async () => {
		const p = '/api/v1/verify';
		const unsigned = multipart([{ name: 'file', filename: 'a.xml', type: 'text/xml',
			data: '<?xml version="1.0"?><a Id="x">plain</a>' }]);
		let r = await s.a.post(p, unsigned.body, { 'Content-Type': unsigned.contentType });
		conforms('POST', p, r);
		assert.equal(r.status, 200);
		assert.equal(r.json.valid, false);
		const signed = fixture('s2low/lib/fixtures/signature_bordereau2.xml');
		if (signed) {
			const m = multipart([{ name: 'file', filename: 'pes.xml', type: 'text/xml',
				data: fs.readFileSync(signed) }]);
			r = await s.a.post(p, m.body, { 'Content-Type': m.contentType });
			conforms('POST', p, r);
			assert.equal(r.json.signatures.length, 1);
		}
		const stray = multipart([{ name: 'other', data: 'x' }]);
		conforms('POST', p, await s.a.post(p, stray.body, { 'Content-Type': stray.contentType }));
		conforms('POST', p, await s.a.post(p, Buffer.from('x'), { 'Content-Type': 'text/plain' }));
		conforms('POST', p, await anon.post(p, unsigned.body, { 'Content-Type': unsigned.contentType }));
	});

	it('the person API: session, me, queue, delegations, rejection, administration', async () => {
		const { OFFICIAL_A, PASSWORD } = await import('../lib/harness.mjs');
		await h.mustCli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' });
		await h.person({ email: 'adjoint@openapi.test', name: 'Adjoint', password: PASSWORD,
			roles: [{ org: s.orgA, role: 'signer', function: 'adjoint' }] });
		await h.person({ email: 'ops@openapi.test', name: 'Ops', password: PASSWORD, operator: true });
		const json = (o) => Buffer.from(JSON.stringify(o));
		const jh = { 'Content-Type': 'application/json' };
		conforms('POST', '/api/v1/session', await anon.post('/api/v1/session', json({ email: OFFICIAL_A, password: 'nope' }), jh));
		conforms('POST', '/api/v1/session', await anon.post('/api/v1/session', json({ email: OFFICIAL_A }), jh));
		conforms('POST', '/api/v1/session', await anon.post('/api/v1/session', Buffer.from('{'), jh));
		const me = await s.d.login(OFFICIAL_A);
		const ops = await s.d.login('ops@openapi.test');
		conforms('GET', '/api/v1/me', await me.get('/api/v1/me'));
		conforms('GET', '/api/v1/me', await anon.get('/api/v1/me'));
		const d = await s.a.postDocument(docMeta(s.orgA, { title: 'queued' }), pdfFile(1000));
		conforms('GET', '/api/v1/queue', await me.get('/api/v1/queue'));
		conforms('GET', '/api/v1/queue', await me.get('/api/v1/queue?kind=x'));
		conforms('GET', '/api/v1/queue/{id}', await me.get(`/api/v1/queue/${d.json.id}`));
		conforms('GET', '/api/v1/queue/{id}', await me.get('/api/v1/queue/not-a-uuid'));
		conforms('GET', '/api/v1/queue/{id}/files/{n}', await me.get(`/api/v1/queue/${d.json.id}/files/0`));
		conforms('GET', '/api/v1/queue/{id}/files/{n}', await me.get(`/api/v1/queue/${d.json.id}/files/7`));
		const ends = new Date(Date.now() + 86400e3).toISOString();
		let r = await me.postJson('/api/v1/me/delegations', { to: 'adjoint@openapi.test', ends_at: ends });
		conforms('POST', '/api/v1/me/delegations', r);
		conforms('POST', '/api/v1/me/delegations', await me.postJson('/api/v1/me/delegations', { to: 'nobody@x.test', ends_at: ends }));
		conforms('GET', '/api/v1/me/delegations', await me.get('/api/v1/me/delegations'));
		conforms('DELETE', '/api/v1/me/delegations/{id}', await me.delete(`/api/v1/me/delegations/${r.json.id}`));
		conforms('DELETE', '/api/v1/me/delegations/{id}', await me.delete('/api/v1/me/delegations/999999'));
		conforms('POST', '/api/v1/queue/{id}/reject', await me.postJson(`/api/v1/queue/${d.json.id}/reject`, {}));
		conforms('POST', '/api/v1/queue/{id}/reject', await me.postJson(`/api/v1/queue/${d.json.id}/reject`, { reason: 'Erreur de montant' }));
		conforms('POST', '/api/v1/queue/{id}/reject', await me.postJson(`/api/v1/queue/${d.json.id}/reject`, { reason: 'again' }));
		conforms('GET', '/api/v1/admin/people', await ops.get('/api/v1/admin/people'));
		conforms('GET', '/api/v1/admin/people', await me.get('/api/v1/admin/people'));
		conforms('POST', '/api/v1/admin/people', await ops.postJson('/api/v1/admin/people', { email: 'new@openapi.test', name: 'New' }));
		conforms('POST', '/api/v1/admin/people', await ops.postJson('/api/v1/admin/people', { email: 'bad', name: 'Bad' }));
		conforms('POST', '/api/v1/admin/people/{email}/roles', await ops.postJson('/api/v1/admin/people/new@openapi.test/roles', { organisation: s.orgA, role: 'agent' }));
		conforms('POST', '/api/v1/admin/people/{email}/roles', await ops.postJson('/api/v1/admin/people/new@openapi.test/roles', { organisation: s.orgA, role: 'king' }));
		conforms('GET', '/api/v1/admin/routing', await ops.get('/api/v1/admin/routing'));
		conforms('POST', '/api/v1/admin/routing', await ops.postJson('/api/v1/admin/routing', { organisation: s.orgA, kind: 'pes', signer: 'adjoint@openapi.test' }));
		conforms('POST', '/api/v1/admin/routing', await ops.postJson('/api/v1/admin/routing', { organisation: s.orgA, kind: 'pes', signer: 'new@openapi.test' }));
		// e-mail notifications (h5, issue 13 point 3): one's preference, the failed ones
		const { request } = await import('../lib/harness.mjs');
		const put = (c, o) => request(c.url, { method: 'PUT', path: '/api/v1/me/notifications', body: json(o),
			headers: c.headers({ ...jh, 'Content-Length': json(o).length }) });
		conforms('GET', '/api/v1/me/notifications', await me.get('/api/v1/me/notifications'));
		conforms('GET', '/api/v1/me/notifications', await anon.get('/api/v1/me/notifications'));
		conforms('PUT', '/api/v1/me/notifications', await put(me, { mode: 'digest' }));
		conforms('PUT', '/api/v1/me/notifications', await put(me, { mode: 'weekly' }));
		conforms('PUT', '/api/v1/me/notifications', await put(me, {}));
		// one refused for good (5xx) and one retried, both shapes against the schema
		await h.psql(`WITH j AS (INSERT INTO job (kind, last_error, run_at) VALUES ('openapi-test',
				'RCPT failed: 451 (SMTP 451)', now() + interval '1 day') RETURNING id)
			INSERT INTO notification (person_id, kind, day, job_id, attempts)
			SELECT (SELECT min(id) FROM person), 'digest', current_date - 10, j.id, 1 FROM j`);
		await h.psql(`INSERT INTO notification (person_id, kind, day, attempts, failed_at, done_at, error)
			VALUES ((SELECT min(id) FROM person), 'digest', current_date - 11, 1, now(), now(),
				'RCPT failed: 550 (SMTP 550); the server answered: 550 5.1.1 User unknown')`);
		const failed = await ops.get('/api/v1/admin/notifications');
		assert.deepEqual(failed.json.map((x) => x.state).sort(), ['failed', 'retrying'], failed.text);
		conforms('GET', '/api/v1/admin/notifications', failed);
		conforms('GET', '/api/v1/admin/notifications', await me.get('/api/v1/admin/notifications'));
		const R = '/api/v1/admin/notifications/{id}/resend';
		const resend = (c, id) => c.post(`/api/v1/admin/notifications/${id}/resend`, '');
		const refused = failed.json.find((x) => x.state === 'failed').id;
		const retried = failed.json.find((x) => x.state === 'retrying').id;
		conforms('POST', R, await resend(me, refused));          // 403
		conforms('POST', R, await resend(ops, 987654));          // 404
		conforms('POST', R, await resend(ops, retried));         // 409
		conforms('POST', R, await resend(ops, refused));         // 204
		conforms('DELETE', '/api/v1/session', await me.delete('/api/v1/session'));
		conforms('DELETE', '/api/v1/session', await me.delete('/api/v1/session'));
	});

	it('circuits: administration, visa, droit de remords (doc/circuits.md)', async () => {
		const { OFFICIAL_A, PASSWORD, request } = await import('../lib/harness.mjs');
		await h.person({ email: 'dgs@openapi.test', name: 'DGS', password: PASSWORD,
			roles: [{ org: s.orgA, role: 'signer', function: 'dgs' }] });
		const ops = await s.d.login('ops@openapi.test');
		const dgs = await s.d.login('dgs@openapi.test');
		const me = await s.d.login(OFFICIAL_A);
		const put = (p, o) => request(ops.url, { method: 'PUT', path: p,
			headers: ops.headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(o) });
		const steps = [{ action: 'visa', office: 'dgs' }, { action: 'signature', person: OFFICIAL_A }];
		const c = await ops.postJson('/api/v1/admin/circuits', { organisation: s.orgA, name: 'deliberation', steps });
		conforms('POST', '/api/v1/admin/circuits', c);
		conforms('POST', '/api/v1/admin/circuits', await ops.postJson('/api/v1/admin/circuits',
			{ organisation: s.orgA, name: 'vide', steps: [] }));
		conforms('POST', '/api/v1/admin/circuits', await ops.postJson('/api/v1/admin/circuits',
			{ organisation: s.orgA, name: 'deliberation', steps }));
		conforms('POST', '/api/v1/admin/circuits', await me.postJson('/api/v1/admin/circuits',
			{ organisation: s.orgA, name: 'x', steps }));
		conforms('GET', '/api/v1/admin/circuits', await ops.get('/api/v1/admin/circuits'));
		conforms('GET', '/api/v1/admin/circuits', await me.get('/api/v1/admin/circuits'));
		conforms('PUT', '/api/v1/admin/circuits/{id}', await put(`/api/v1/admin/circuits/${c.json.id}`, { steps }));
		conforms('PUT', '/api/v1/admin/circuits/{id}', await put(`/api/v1/admin/circuits/${c.json.id}`,
			{ steps: [{ action: 'visa', office: 'dgs' }] }));
		conforms('PUT', '/api/v1/admin/circuits/{id}', await put('/api/v1/admin/circuits/999999', { steps }));
		conforms('POST', '/api/v1/admin/routing', await ops.postJson('/api/v1/admin/routing',
			{ organisation: s.orgA, kind: 'acte', nature: 2, circuit: 'deliberation' }));
		conforms('GET', '/api/v1/admin/routing', await ops.get('/api/v1/admin/routing'));
		// removing a rule (issue 13 point 4): 200 with the rules left, 404 when there is none, 422, 403
		const rm = `/api/v1/admin/routing?organisation=${s.orgA}&kind=acte&nature=2`;
		conforms('DELETE', '/api/v1/admin/routing', await me.delete(rm));
		const gone = await ops.delete(rm);
		conforms('DELETE', '/api/v1/admin/routing', gone);
		assert.equal(gone.status, 200, gone.text);
		assert.ok(!gone.json.some((x) => x.kind === 'acte' && x.nature === 2), 'the rule is gone');
		conforms('DELETE', '/api/v1/admin/routing', await ops.delete(rm));
		conforms('DELETE', '/api/v1/admin/routing', await ops.delete(`/api/v1/admin/routing?organisation=${s.orgA}&kind=acte&nature=9`));
		const d = await s.a.postDocument(docMeta(s.orgA, { title: 'circuit', circuit: 'deliberation' }), pdfFile(1000));
		conforms('POST', '/api/v1/documents', d);
		conforms('POST', '/api/v1/documents', await s.a.postDocument(docMeta(s.orgA, { circuit: 'nope' }), pdfFile(1000)));
		const id = d.json.id;
		conforms('GET', '/api/v1/queue/{id}', await dgs.get(`/api/v1/queue/${id}`));
		conforms('POST', '/api/v1/queue/{id}/visa', await dgs.postJson(`/api/v1/queue/${id}/visa`, { public_annotation: 1 }));
		conforms('POST', '/api/v1/queue/{id}/visa', await dgs.postJson(`/api/v1/queue/${id}/visa`,
			{ public_annotation: 'Vu', private_annotation: 'Pour le maire' }));
		conforms('POST', '/api/v1/queue/{id}/visa', await dgs.postJson(`/api/v1/queue/${id}/visa`, {}));
		conforms('GET', '/api/v1/queue/{id}', await me.get(`/api/v1/queue/${id}`));
		conforms('GET', '/api/v1/documents/{id}', await s.a.get(`/api/v1/documents/${id}`));
		conforms('POST', '/api/v1/queue/{id}/remord', await dgs.postJson(`/api/v1/queue/${id}/remord`, {}));
		conforms('POST', '/api/v1/queue/{id}/remord', await dgs.postJson(`/api/v1/queue/${id}/remord`, {}));
		conforms('POST', '/api/v1/queue/{id}/remord', await dgs.postJson('/api/v1/queue/not-a-uuid/remord', {}));
		conforms('GET', '/api/v1/events', await s.a.get('/api/v1/events?limit=500'));
		conforms('DELETE', '/api/v1/admin/circuits/{id}', await ops.delete(`/api/v1/admin/circuits/${c.json.id}`));
		conforms('DELETE', '/api/v1/admin/circuits/{id}', await ops.delete(`/api/v1/admin/circuits/${c.json.id}`));
		conforms('DELETE', '/api/v1/admin/circuits/{id}', await me.delete(`/api/v1/admin/circuits/${c.json.id}`));
	});

	it('signing from the queue and certificates (custody)', async () => {
		const { OFFICIAL_A, PASSWORD } = await import('../lib/harness.mjs');
		const { makePki } = await import('../lib/pki.mjs');
		const pki = await makePki();
		try {
			const me = await s.d.login(OFFICIAL_A, PASSWORD);
			const ops = await s.d.login('ops@openapi.test', PASSWORD);
			const imp = (password) => {
				const m = multipart([{ name: 'person', data: OFFICIAL_A },
					{ name: 'file', filename: 'c.p12', data: fs.readFileSync(pki.signer.p12) },
					{ name: 'password', data: password }]);
				return ops.post('/api/v1/admin/certificates', m.body, { 'Content-Type': m.contentType });
			};
			conforms('POST', '/api/v1/admin/certificates', await imp('wrong'));
			const r = await imp(pki.password);
			conforms('POST', '/api/v1/admin/certificates', r);
			assert.equal(r.status, 201, r.text);
			conforms('GET', '/api/v1/admin/certificates', await ops.get('/api/v1/admin/certificates'));
			conforms('GET', '/api/v1/admin/certificates', await me.get('/api/v1/admin/certificates'));
			const enrol = '/api/v1/me/certificate/enrol';
			conforms('POST', enrol, await me.postJson(enrol, { code: 'ABCD-EFGH-JKLM-NPQR', pin: 'tulipe-42' }));
			conforms('POST', enrol, await me.postJson(enrol, { code: r.json.enrolment_code, pin: '000000' }));
			conforms('POST', enrol, await me.postJson(enrol, { code: r.json.enrolment_code, pin: 'tulipe-42' }));
			conforms('POST', enrol, await me.postJson(enrol, { code: r.json.enrolment_code, pin: 'tulipe-42' }));
			conforms('GET', '/api/v1/me/certificate', await me.get('/api/v1/me/certificate'));
			const d = await s.a.postDocument(docMeta(s.orgA, { title: 'to sign' }), pdfFile(1000));
			const sign = '/api/v1/queue/sign';
			conforms('POST', sign, await me.postJson(sign, { documents: [d.json.id], pin: 'wrong-pin-1' }));
			conforms('POST', sign, await me.postJson(sign, { documents: [] }));
			const ok = await me.postJson(sign, { documents: [d.json.id, 'nope'], pin: 'tulipe-42' });
			conforms('POST', sign, ok);
			assert.equal(ok.json.results[0].status, 'signed', ok.text);
			const id = (await ops.get('/api/v1/admin/certificates')).json.certificates[0].id;
			conforms('POST', '/api/v1/admin/certificates/{id}/unlock', await ops.post(`/api/v1/admin/certificates/${id}/unlock`));
			conforms('POST', '/api/v1/admin/certificates/{id}/unlock', await ops.post('/api/v1/admin/certificates/99999/unlock'));
			conforms('POST', '/api/v1/admin/certificates/{id}/revoke', await ops.post(`/api/v1/admin/certificates/${id}/revoke`));
		} finally {
			await pki.cleanup();
		}
	});

	it("an organisation's returns", async () => {
		const base = `/api/v1/organisations/${s.orgA}/returns`;
		conforms('GET', '/api/v1/organisations/{siren}/returns', await s.a.get(base));     // empty
		const id = await h.psql(`SELECT org_return_add((SELECT id FROM organisation WHERE siren = '${s.orgA}'),
			'PES_Retour', 'PES_RETOUR_1.xml', 'application/xml', convert_to('<n:PES_Retour/>', 'UTF8'), 'test')`);
		const list = await s.a.get(base);
		conforms('GET', '/api/v1/organisations/{siren}/returns', list);
		assert.equal(list.json.items[0].href, `${base}/${id}`);
		conforms('GET', '/api/v1/organisations/{siren}/returns', await s.b.get(base));     // 404
		conforms('GET', '/api/v1/organisations/{siren}/returns', await anon.get(base));    // 401
		conforms('GET', '/api/v1/organisations/{siren}/returns/{id}', await s.a.get(`${base}/${id}`));
		conforms('GET', '/api/v1/organisations/{siren}/returns/{id}', await s.b.get(`${base}/${id}`));  // 404
		conforms('GET', '/api/v1/organisations/{siren}/returns/{id}', await s.a.get(`${base}/999999`));
	});

	it('the change feed and webhooks', async () => {
		const jh = { 'Content-Type': 'application/json' };
		conforms('GET', '/api/v1/events', await s.a.get('/api/v1/events?after=0&limit=5'));
		conforms('GET', '/api/v1/events', await s.a.get('/api/v1/events?after=-1'));
		conforms('GET', '/api/v1/events', await anon.get('/api/v1/events'));
		const w = await s.a.post('/api/v1/webhooks', Buffer.from(JSON.stringify({ url: 'https://hooks.example.com/liasse' })), jh);
		conforms('POST', '/api/v1/webhooks', w);
		assert.equal(w.status, 201, w.text);
		conforms('POST', '/api/v1/webhooks', await s.a.post('/api/v1/webhooks', Buffer.from(JSON.stringify({ url: 'http://127.0.0.1/x' })), jh));
		conforms('GET', '/api/v1/webhooks', await s.a.get('/api/v1/webhooks'));
		conforms('GET', '/api/v1/webhooks/{id}/deliveries', await s.a.get(`/api/v1/webhooks/${w.json.id}/deliveries`));
		conforms('GET', '/api/v1/webhooks/{id}/deliveries', await s.b.get(`/api/v1/webhooks/${w.json.id}/deliveries`));
		conforms('DELETE', '/api/v1/webhooks/{id}', await s.b.delete(`/api/v1/webhooks/${w.json.id}`));
		conforms('DELETE', '/api/v1/webhooks/{id}', await s.a.delete(`/api/v1/webhooks/${w.json.id}`));
	});

	it("an organisation's classification", async () => {
		const g = '/api/v1/organisations/{siren}/classification';
		const url = `/api/v1/organisations/${s.orgA}/classification`;
		let r = await s.a.get(url);
		conforms('GET', g, r);
		assert.equal(r.status, 404);
		r = await s.a.post(`${url}/request`, Buffer.alloc(0), { 'Content-Type': 'application/json' });
		conforms('POST', `${g}/request`, r);
		assert.equal(r.status, 202, r.text);
		await h.psql(`UPDATE organisation SET classification_at = now(), classification_date = '2004-04-01',
			classification_json = '{"date": "2004-04-01", "natures": [{"code": 1, "type_abrege": "DE",
			"libelle": "Deliberations", "typologies": [{"code": "99_DE", "libelle": "Délibération"}]}],
			"matieres": [{"code": "7", "libelle": "Finances locales"}, {"code": "7.1", "libelle": "Decisions budgetaires"}]}'
			WHERE siren = '${s.orgA}'`);
		r = await s.a.get(url);
		conforms('GET', g, r);
		assert.equal(r.status, 200, r.text);
		conforms('GET', g, await s.b.get(url));
		await h.psql(`UPDATE organisation SET classification_json = NULL, classification_date = NULL,
			classification_wanted = NULL WHERE siren = '${s.orgA}'`);
	});

	it('the prefecture\'s letters about an act and the answer to one', async () => {
		const g = '/api/v1/documents/{id}/letters';
		const url = `/api/v1/documents/${acteId}/letters`;
		let r = await s.a.get(url);
		conforms('GET', g, r);
		assert.deepEqual(r.json.items, []);
		conforms('GET', g, await s.b.get(url));   // 404: not vendor B's
		const lid = await h.psql(`SELECT letter_add('${acteId}', '2-1', 'X-2-1_0.xml', 'X', '2026-01-05', NULL, '{}')`);
		r = await s.a.get(url);
		conforms('GET', g, r);
		assert.equal(r.json.items.length, 1);
		conforms('GET', `${g}/{lid}`, await s.a.get(`${url}/${lid}`));
		conforms('GET', `${g}/{lid}`, await s.a.get(`${url}/999999`));
		const post = (code, data) => {
			const mp = multipart([{ name: 'code', data: code }, { name: 'file', filename: 'r.pdf', type: 'application/pdf', data }]);
			return s.a.post(`${url}/${lid}/answer`, mp.body, { 'Content-Type': mp.contentType });
		};
		const pdf = pdfFile(900).data;
		r = await post('3-2', pdf);
		conforms('POST', `${g}/{lid}/answer`, r);
		assert.equal(r.status, 422, r.text);
		r = await post('2-2', pdf);
		conforms('POST', `${g}/{lid}/answer`, r);
		assert.equal(r.status, 202, r.text);
		r = await post('2-2', pdf);
		conforms('POST', `${g}/{lid}/answer`, r);
		assert.equal(r.status, 409, r.text);
	});

	it('the i-Parapheur web services (described in doc/compat.md)', async () => {
		const env = '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
			'<soap:Body><ns:echoRequest xmlns:ns="http://www.adullact.org/spring-ws/iparapheur/1.0">bonjour' +
			'</ns:echoRequest></soap:Body></soap:Envelope>';
		const anon = new Client(s.d.url, null);
		conforms('GET', '/ws-iparapheur', await anon.get('/ws-iparapheur?wsdl'));   /* none installed: 404 */
		conforms('GET', '/ws-iparapheur', await anon.get('/ws-iparapheur?xsd=xmlmime'));
		const x = { 'Content-Type': 'text/xml; charset=utf-8' };
		for (const p of ['/ws-iparapheur', '/ws-iparapheur-no-mtom']) {
			let r = await s.a.post(p, Buffer.from(env), x);
			conforms('POST', p, r);
			assert.equal(r.status, 200, r.text);
			r = await s.a.post(p, Buffer.from('<nope/>'), x);
			conforms('POST', p, r);
			assert.equal(r.status, 500, r.text);
			conforms('POST', p, await anon.post(p, Buffer.from(env), x));
		}
	});

	it('organisations for the administrators (issue 13, point 4)', async () => {
		await h.person({ email: 'ops-org@openapi.test', name: 'Ops', password: PASSWORD, operator: true });
		await h.person({ email: 'admin-a@openapi.test', name: 'Admin A', password: PASSWORD,
			roles: [{ org: s.orgA, role: 'org_admin' }] });
		const ops = await s.d.login('ops-org@openapi.test');
		const adm = await s.d.login('admin-a@openapi.test');
		const me = await s.d.login(OFFICIAL_A);
		const put = (who, siren, o) => request(who.url, { method: 'PUT', path: `/api/v1/admin/organisations/${siren}`,
			headers: who.headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(o) });
		const P = '/api/v1/admin/organisations';
		let r = await ops.postJson(P, { siren: '200066788', name: 'Syndicat des eaux', parent: s.orgA,
			departement: '045', helios: { budgets: ['01', '02'] }, archive_after: '10 years' });
		conforms('POST', P, r);
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.parent, s.orgA);
		assert.deepEqual(r.json.helios.budgets, ['01', '02']);
		assert.equal(r.json.archive_after, '10 years');
		conforms('POST', P, await ops.postJson(P, { siren: '200066788', name: 'Doublon' }));    // 409
		conforms('POST', P, await ops.postJson(P, { siren: '200066789', name: 'X', parent: '999999999' }));   // 404
		conforms('POST', P, await ops.postJson(P, { siren: '200066789', name: 'X', arrondissement: 12 }));   // 422
		conforms('POST', P, await adm.postJson(P, { siren: '200066789', name: 'X' }));   // 403: operators only
		r = await adm.get(P);
		conforms('GET', P, r);
		assert.deepEqual(r.json.map((o) => o.siren), [s.orgA], 'an organisation administrator sees theirs');
		conforms('GET', P, await me.get(P));   // 403
		assert.ok((await ops.get(P)).json.length >= 3, 'an operator sees every one');
		const E = '/api/v1/admin/organisations/{siren}';
		r = await put(adm, s.orgA, { arrondissement: 2, city: 'Saint-Essai', helios: { idcoll: '21450099900012', codcol: '123', idpost: '045000', budgets: ['01'] }, archive_after: null });
		conforms('PUT', E, r);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.arrondissement, 2);
		assert.equal(r.json.helios.idcoll, '21450099900012');
		assert.equal(r.json.archive_after, null);
		assert.equal(await h.psql(`SELECT actor FROM journal WHERE action = 'organisation.updated' ORDER BY id DESC LIMIT 1`),
			'person:admin-a@openapi.test', 'journaled with the real actor');
		conforms('PUT', E, await put(adm, s.orgB, { city: 'Ailleurs' }));     // 403: not theirs
		conforms('PUT', E, await put(adm, s.orgA, { parent: s.orgB }));       // 422: no move in the tree
		conforms('PUT', E, await put(adm, s.orgA, { helios: { budgets: ['ABC'] } }));   // 422
		conforms('PUT', E, await put(ops, '999999999', { city: 'Nulle part' }));         // 404
		// the logo of the PAdES block (issue 15): a 1x1 PNG
		const L = '/api/v1/admin/organisations/{siren}/logo';
		const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC', 'base64');
		const putLogo = (who, siren, body) => request(who.url, { method: 'PUT', path: `/api/v1/admin/organisations/${siren}/logo`,
			headers: who.headers({ 'Content-Type': 'image/png', 'Content-Length': body.length }), body });
		conforms('GET', L, await adm.get(`/api/v1/admin/organisations/${s.orgA}/logo`));     // 404: none yet
		r = await putLogo(adm, s.orgA, png);
		conforms('PUT', L, r);
		assert.equal(r.status, 200, r.text);
		conforms('PUT', L, await putLogo(adm, s.orgA, Buffer.from('not an image')));   // 422
		conforms('PUT', L, await putLogo(adm, s.orgB, png));                           // 403
		conforms('PUT', L, await putLogo(ops, s.orgA, Buffer.alloc(1536 * 1024, 1)));  // 413
		r = await adm.get(`/api/v1/admin/organisations/${s.orgA}/logo`);
		conforms('GET', L, r);
		assert.equal(r.status, 200);
		conforms('GET', L, await me.get(`/api/v1/admin/organisations/${s.orgA}/logo`));   // 403
		r = await adm.delete(`/api/v1/admin/organisations/${s.orgA}/logo`);
		conforms('DELETE', L, r);
		assert.equal(r.status, 204);
		conforms('DELETE', L, await adm.delete(`/api/v1/admin/organisations/${s.orgA}/logo`));   // 404
	});

	it('the publication date of an act (issue 15)', async () => {
		const P = '/api/v1/documents/{id}/publication';
		const pub = (id, body) => request(s.a.url, { method: 'PUT', path: `/api/v1/documents/${id}/publication`,
			headers: s.a.headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body) });
		const d = await s.a.postDocument(acteMeta(s.orgA, 'PUB2026_1', { sign: true, transmit: false }),
			pdfFile());
		assert.equal(d.status, 201, d.text);
		const today = new Date().toISOString().slice(0, 10);
		conforms('PUT', P, await pub(d.json.id, { date: today }));           // 409: not acknowledged
		conforms('PUT', P, await pub(d.json.id, { date: 'demain' }));        // 422
		conforms('PUT', P, await pub('00000000-0000-4000-8000-000000000000', { date: today }));   // 404
		const bad = await request(s.a.url, { method: 'PUT', path: `/api/v1/documents/${d.json.id}/publication`,
			headers: s.a.headers({ 'Content-Type': 'application/json' }), body: '{nope' });
		conforms('PUT', P, bad);                                             // 400
	});

	it('every documented operation was exercised', () => {
		const all = [];
		for (const [p, item] of Object.entries(api.paths))
			for (const m of ['get', 'post', 'put', 'patch', 'delete'])
				if (item[m])
					all.push(`${m.toUpperCase()} ${p}`);
		assert.deepEqual(all.filter((op) => !seen.has(op)), []);
	});
});
