// Archiving (issue 17, point 4): under its organisation's policy (`liasse org
// set --archive-after`), a finished document becomes `archived` (journaled,
// an event for the vendor) and its files leave the hot tables for
// archive_dir, one copy per SHA-256, checked before the chunks go; reading
// them reads the copy back, after checking its digest, so a damaged copy is
// an error and never wrong bytes.  A file shared with a living document keeps
// its chunks until that one is archived too.  The journal still verifies.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { newHarness, docMeta, pdfFile, assertProblem, sha256, sleep } from '../lib/harness.mjs';

const h = newHarness('retention-archive');

async function until(what, pred, seconds = 60) {
	for (let i = 0; i < seconds * 5; i++) {
		if (await pred())
			return;
		await sleep(200);
	}
	throw new Error(`timed out waiting for ${what}`);
}

describe('archiving the files of finished documents', () => {
	let s, dir;
	const shared = pdfFile(3000, 'shared.pdf');           // one chunk, in two documents
	const big = pdfFile(2.5 * 1024 * 1024, 'big.pdf');    // three chunks
	const docs = {};
	const state = async (id) => (await s.a.get(`/api/v1/documents/${id}`)).json.state;
	const copyOf = (file) => {
		const hex = sha256(file.data);
		return path.join(dir, hex.slice(0, 2), hex.slice(2, 4), hex);
	};
	const chunks = (file) => h.psql(`SELECT count(c.*) FROM blob b LEFT JOIN blob_chunk c ON c.blob_id = b.id
		WHERE b.sha256 = '\\x${sha256(file.data)}'`);

	before(async () => {
		dir = path.join(h.tmp, 'archive');
		fs.mkdirSync(dir, { mode: 0o750 });
		h.chownRunUser(dir);
		s = await h.setup({ retention_interval: '1s', archive_dir: dir });
		for (const [name, file] of [['one', shared], ['two', shared], ['big', big]]) {
			const r = await s.a.postDocument(docMeta(s.orgA, { title: name }), file);
			assert.equal(r.status, 201, r.text);
			docs[name] = r.json.id;
		}
		for (const name of ['one', 'big'])
			assert.equal((await s.a.post(`/api/v1/documents/${docs[name]}/cancel`, Buffer.alloc(0))).status, 200);
	});
	after(() => h.stopAll());

	it('an organisation has no policy by default: nothing is archived', async () => {
		await sleep(2500);       // two runs of the workers' retention pass
		assert.equal(await state(docs.one), 'cancelled');
		assert.equal(fs.readdirSync(dir).length, 0, 'nothing written');
	});

	it('the policy is a positive duration or "never"; anything else is one line on stderr', async () => {
		for (const bad of ['soon', '-1 day', '0'])  {
			const r = await h.cli(['org', 'set', s.orgA, '--archive-after', bad]);
			assert.notEqual(r.code, 0, bad);
			assert.match(r.stderr, /archive_after .* not a positive duration/, r.stderr);
			assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
		}
		assert.equal(await h.psql(`SELECT archive_after IS NULL FROM organisation WHERE siren = '${s.orgA}'`), 't');
	});

	it('past the policy, finished documents are archived; their files read back the same', async () => {
		await h.mustCli(['org', 'set', s.orgA, '--archive-after', '1 second']);
		await until('both cancelled documents archived',
			async () => (await state(docs.one)) === 'archived' && (await state(docs.big)) === 'archived');
		assert.equal(await state(docs.two), 'pending_signature', 'a living document stays');

		assert.equal(await chunks(big), '0', 'the big file left the database');
		assert.equal(await chunks(shared), '1', 'the shared file keeps its chunk: document two still lives');
		for (const f of [shared, big])
			assert.ok(fs.readFileSync(copyOf(f)).equals(f.data), 'the copy is the file');
		assert.equal(await h.psql(`SELECT count(*) FROM blob WHERE archived_at IS NOT NULL`), '2');

		const r = await s.a.get(`/api/v1/documents/${docs.big}/files/0`);
		assert.equal(r.status, 200, r.text);
		assert.equal(sha256(r.body), sha256(big.data), 'read back from archive_dir');
		const part = await s.a.get(`/api/v1/documents/${docs.big}/files/0`, { Range: 'bytes=2000000-2100000' });
		assert.equal(part.status, 206);
		assert.ok(part.body.equals(big.data.subarray(2000000, 2100001)), 'a range across chunks');
	});

	it('the vendor is told, the journal says who and still verifies', async () => {
		let items = [];
		await until('the archived events', async () => {
			const r = await s.a.get('/api/v1/events?after=0&limit=100');
			items = r.json.items;
			return items.filter((e) => e.state === 'archived').length === 2;
		});
		assert.equal(await h.psql(`SELECT string_agg(actor, ',') FROM journal
			WHERE action = 'document.archived'`), 'retention,retention');
		const v = await h.cli(['journal', 'verify']);
		assert.equal(v.code, 0, v.stderr);
	});

	it('a damaged copy is an error, never wrong bytes', async () => {
		const p = copyOf(big), good = fs.readFileSync(p), bad = Buffer.from(good);
		bad[100] ^= 1;
		fs.writeFileSync(p, bad);
		const r = await s.a.get(`/api/v1/documents/${docs.big}/files/0`);
		assert.equal(r.status, 500, 'not the damaged bytes');
		assertProblem(assert, r, { status: 500 });
		assert.doesNotMatch(r.text, new RegExp(dir), 'the path stays in the log');
		fs.writeFileSync(p, good);
		assert.equal((await s.a.get(`/api/v1/documents/${docs.big}/files/0`)).status, 200);
	});

	it('the last document of a shared file takes its chunks along', async () => {
		assert.equal((await s.a.post(`/api/v1/documents/${docs.two}/cancel`, Buffer.alloc(0))).status, 200);
		await until('document two archived', async () => (await state(docs.two)) === 'archived');
		assert.equal(await chunks(shared), '0');
		const r = await s.a.get(`/api/v1/documents/${docs.one}/files/0`);
		assert.equal(sha256(r.body), sha256(shared.data));
		assert.equal((await s.a.post(`/api/v1/documents/${docs.two}/cancel`, Buffer.alloc(0))).status, 409, 'archived is final');
	});
});
