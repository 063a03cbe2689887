// Runs every case of tests/data/api/*.case (format in tests/data/api/README)
// against a real liassed: validation refusals and acceptances of
// POST /api/v1/documents.  After every refusal the database must be exactly
// as before (row counts of every table); after an acceptance the stored
// document must read back the same through GET.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	newHarness, topSrcdir, seedTwoOrgs, assertProblem, assertSameCounts, sha256, Client,
} from '../lib/harness.mjs';
import { parseCase, buildRequest, substitute, jsonPath } from '../lib/cases.mjs';

const h = newHarness('api-cases');
const dataDir = path.join(topSrcdir, 'tests', 'data', 'api');
const cases = fs.readdirSync(dataDir).filter((f) => f.endsWith('.case')).sort()
	.map((f) => parseCase(path.join(dataDir, f)));

describe('API cases from tests/data/api', () => {
	let d, seed, vars;
	const clients = {};
	const noHint = [];

	before(async () => {
		await h.startPostgres();
		d = await h.startLiassed({ document_max_size: '1M' });
		seed = await seedTwoOrgs(h);
		vars = {
			org: seed.orgA, org_b: seed.orgB,
			orghex: Buffer.from(seed.orgA).toString('hex'),
		};
		clients.a = d.client(seed.keyA);
		clients.b = d.client(seed.keyB);
		clients.none = new Client(d.url, null);
	});
	after(() => h.stopAll());

	for (const c of cases) {
		const skip = c.missingFixtures.length ? `fixture ${c.missingFixtures.join(', ')} absent` : false;
		it(`${c.file}: ${c.name}`, { skip }, async () => {
			const client = clients[c.options.auth || 'a'];
			const req = buildRequest(c, vars);
			const before = await h.snapshot();
			const r = await client.post('/api/v1/documents', req.body, req.headers);
			const statuses = c.expect.status.split('|').map(Number);
			const ctx = `${c.file}: ${r.status} ${r.text.slice(0, 600)}`;
			assert.ok(statuses.includes(r.status), `status ${c.expect.status} expected; ${ctx}`);
			for (const hl of c.expect.header) {
				const m = hl.match(/^([^:]+):\s*(.*)$/);
				assert.match(String(r.headers[m[1].toLowerCase()]), new RegExp(substitute(m[2], vars)),
					`header ${m[1]}; ${ctx}`);
			}
			if (r.status >= 400) {
				assertProblem(assert, r, {
					field: c.expect.field ? c.expect.field.split('|') : undefined,
					detail: c.expect.detail ? new RegExp(c.expect.detail, 'i') : undefined,
					type: c.expect.type,
				});
				if (!(typeof r.json.hint === 'string' && r.json.hint.length > 0))
					noHint.push(`${c.file}: ${r.text.slice(0, 160)}`);
				assertSameCounts(assert, before, await h.snapshot(), c.file);
				return;
			}
			await checkStored(c, r, req, before, client);
		});
	}

	// The contract's problem body has a hint ("what to do") beside the field.
	it('every refusal above carries a hint saying what to do', () => {
		assert.deepEqual(noHint, [], `refusals without a hint:\n${noHint.join('\n')}`);
	});

	async function checkStored(c, r, req, before, client) {
		const ctx = `${c.file}: ${r.text.slice(0, 600)}`;
		for (const jl of c.expect.json) {
			const m = jl.match(/^(\S+)\s*(=|~)\s*(.*)$/);
			const got = jsonPath(r.json, m[1]);
			if (m[2] === '~') {
				const flags = m[3].startsWith('(?i)') ? 'i' : '';
				assert.match(JSON.stringify(got), new RegExp(m[3].replace(/^\(\?i\)/, ''), flags),
					`${m[1]}; ${ctx}`);
			} else {
				assert.deepEqual(got, JSON.parse(substitute(m[3], vars)), `${m[1]}; ${ctx}`);
			}
		}
		const ts = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/;
		assert.match(r.json.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
		assert.match(r.json.created_at, ts, 'created_at is RFC 3339 UTC');
		assert.match(r.json.updated_at, ts, 'updated_at is RFC 3339 UTC');
		assert.ok(Array.isArray(r.json.warnings), 'warnings is an array');
		assert.equal(r.json.state, r.json.sign ? 'pending_signature' : 'queued',
			'a document to sign waits in its official\'s queue; one only to transmit is queued');
		const after = await h.snapshot();
		assert.equal(after['public.document'], before['public.document'] + 1, 'one document stored');
		assert.equal(r.headers.location, `/api/v1/documents/${r.json.id}`, 'Location header');
		const g = await client.get(`/api/v1/documents/${r.json.id}`);
		assert.equal(g.status, 200);
		assert.deepEqual(g.json, r.json, 'GET returns the document as created');
		const fileParts = req.parts.filter((p) => p.name === 'file' || p.name === 'annexe');
		assert.equal(r.json.files.length, fileParts.length, 'one file entry per file part');
		fileParts.forEach((p, i) => {
			assert.equal(r.json.files[i].sha256, sha256(p.data), `sha256 of file ${i}`);
			assert.equal(r.json.files[i].size, p.data.length, `size of file ${i}`);
			assert.equal(r.json.files[i].href, `/api/v1/documents/${r.json.id}/files/${i}`);
		});
	}
});
