// Honest errors (issue 16, point 5): a database that cannot serve answers
// 503 with Retry-After, never 500; the problem's detail names no server
// path or socket; the pool recovers from a PostgreSQL restart; a cursor or
// timestamp out of range is the client's 400; /readyz fails when writes do.
//
// A full disk (53100) and the other resource errors are simulated: a
// trigger raises the SQLSTATE (with PostgreSQL's own wording, file path
// included) on the table a request writes to.  A real full disk needs a
// small filesystem under the data directory, which the harness does not
// have; the mapping tested here is by SQLSTATE, the same either way.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	newHarness, request, docMeta, pdfFile, multipart, documentParts, assertProblem, sleep,
} from '../lib/harness.mjs';

const h = newHarness('api-unavailable');
const MiB = 1024 * 1024;

// What a problem sent to a vendor must not carry: paths, the socket.
const LEAK = /\/|\.s\.PGSQL|base\/\d|No space left|socket/i;

function assertUnavailable(r, what) {
	assertProblem(assert, r, { status: 503, type: 'unavailable' });
	assert.match(String(r.headers['retry-after']), /^\d+$/, `${what}: Retry-After on a 503`);
	assert.doesNotMatch(`${r.json.title} ${r.json.detail || ''} ${r.json.hint || ''}`, LEAK,
		`${what}: no server internals in the problem: ${r.text}`);
}

function b64url(s) {
	return Buffer.from(s).toString('base64url');
}

async function raiseOn(table, state, message) {
	await h.psql(`CREATE OR REPLACE FUNCTION test_raise() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION USING ERRCODE = '${state}', MESSAGE = '${message}'; END $$;
		DROP TRIGGER IF EXISTS test_raise ON ${table};
		CREATE TRIGGER test_raise BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION test_raise()`);
}

async function unraise(table) {
	await h.psql(`DROP TRIGGER IF EXISTS test_raise ON ${table}`);
}

describe('honest errors', () => {
	let s;

	before(async () => {
		s = await h.setup();
	});
	after(() => h.stopAll());

	const resource = [
		['53100', 'could not extend file "base/16384/16385": No space left on device'],
		['53200', 'out of memory'],
		['53300', 'sorry, too many clients already'],
		['57P01', 'terminating connection due to administrator command'],
		['08006', 'could not send data to server: Broken pipe'],
	];
	for (const [state, message] of resource)
		it(`SQLSTATE ${state} on a write is 503 with Retry-After, the database's words only in the log`,
			async () => {
				await raiseOn('document', state, message);
				try {
					const r = await s.a.postDocument(docMeta(s.orgA), pdfFile(3000));
					assertUnavailable(r, state);
				} finally {
					await unraise('document');
				}
				const ok = await s.a.postDocument(docMeta(s.orgA), pdfFile(3000));
				assert.equal(ok.status, 201, ok.text);
				assert.match(s.d.logs(), new RegExp(`req=\\S+.*${state}`), 'the full error is logged with the request');
			});

	it('/readyz writes: 503 while writes fail for lack of disk, 200 again after', async () => {
		assert.equal((await s.a.get('/readyz')).status, 200);
		await raiseOn('ready_probe', '53100', 'could not extend file "base/1/2": No space left on device');
		try {
			assertUnavailable(await s.a.get('/readyz'), 'readyz on a full disk');
			assert.equal((await s.a.get('/healthz')).status, 200, '/healthz does not look at the database');
		} finally {
			await unraise('ready_probe');
		}
		assert.equal((await s.a.get('/readyz')).status, 200);
	});

	it('a cursor or updated_since out of range is 400 naming it, not the database\'s 500', async () => {
		const id = '00000000-0000-4000-8000-000000000000';
		for (const ts of ['99999999999999999999', '9000000000000000000', '999999999999999999']) {
			const r = await s.a.get(`/api/v1/documents?cursor=${b64url(`${ts} ${id}`)}`);
			assertProblem(assert, r, { status: 400, field: 'cursor' });
		}
		for (const t of ['2026-02-31T00:00:00Z', '294277-01-01T00:00:00Z', '2026-01-01T00:00:00+99:00']) {
			const r = await s.a.get(`/api/v1/documents?updated_since=${encodeURIComponent(t)}`);
			assertProblem(assert, r, { status: 400, field: 'updated_since' });
		}
		const ok = await s.a.get(`/api/v1/documents?cursor=${b64url(`1700000000000000 ${id}`)}`);
		assert.equal(ok.status, 200, ok.text);
	});

	it('after a PostgreSQL restart the pool hands out no dead connection', async () => {
		// several idle connections in the pool, all from before the restart
		let open = 0;
		for (let i = 0; i < 20 && open < 3; i++) {
			await Promise.all(Array.from({ length: 8 }, () => s.a.get('/api/v1/documents')));
			open = Number(await h.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'liasse'"));
		}
		assert.ok(open >= 3, `the pool holds ${open} connections`);
		await h.pg.stop('fast');
		await h.pg.start();
		const first = await s.a.get('/api/v1/documents');
		assert.ok([200, 503].includes(first.status), `first request after the restart: ${first.status} ${first.text}`);
		if (first.status === 503)
			assertUnavailable(first, 'first request after the restart');
		for (let i = 0; i < 6; i++) {
			const r = await s.a.get('/api/v1/documents');
			assert.equal(r.status, 200, `request ${i + 2} after the restart: ${r.text}`);
		}
	});

	it('database down: 503 problems with Retry-After, an upload of 1 MiB reads its answer', async () => {
		await h.pg.stop('fast');
		try {
			assertUnavailable(await s.a.get('/readyz'), 'readyz');
			assertUnavailable(await s.a.get('/api/v1/documents'), 'list');
			for (let i = 0; i < 3; i++) {
				const mp = multipart(documentParts(docMeta(s.orgA), pdfFile(MiB)));
				async function* chunks() {	// as a client streams a file
					for (let o = 0; o < mp.body.length; o += 64 * 1024)
						yield mp.body.subarray(o, o + 64 * 1024);
				}
				const r = await request(s.d.url, {
					method: 'POST', path: '/api/v1/documents', body: chunks(),
					headers: { Authorization: `Bearer ${s.keyA}`, 'Content-Type': mp.contentType,
						'Content-Length': mp.body.length },
				});
				assert.equal(r.writeError, null, `the client could send its body: ${r.writeError}`);
				assert.equal(r.written, mp.body.length);
				assertUnavailable(r, 'upload');
			}
		} finally {
			await h.pg.start();
		}
		let st = 0;
		for (let i = 0; i < 50 && st !== 200; i++) {
			st = (await s.a.get('/readyz')).status;
			if (st !== 200)
				await sleep(200);
		}
		assert.equal(st, 200, 'ready again');
	});
});
