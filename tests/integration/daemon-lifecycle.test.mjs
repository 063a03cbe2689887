// liassed's life: restart losing nothing, SIGTERM letting an in-flight
// upload finish, /readyz following the database, two daemons migrating one
// fresh database at the same time.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	newHarness, request, docMeta, acteMeta, pdfFile, pesFile, streamedPdf, streamDocument, download, assertProblem, sleep,
} from '../lib/harness.mjs';

const h = newHarness('daemon-lifecycle');
const MiB = 1024 * 1024;

// True when a new request gets no answer (refused, reset or silence).
async function notServed(url) {
	const r = await request(url, { path: '/healthz', timeoutMs: 2000 }).catch(() => null);
	return r === null;
}

describe('daemon lifecycle', () => {
	let s;

	before(async () => {
		s = await h.setup();
	});
	after(() => h.stopAll());

	it('SIGTERM then a new start loses nothing', async () => {
		const posted = [];
		posted.push(await s.a.postDocument(docMeta(s.orgA, { title: 'avant redémarrage' }), pdfFile(5000),
			[pdfFile(700, 'annexe.pdf')]));
		posted.push(await s.a.postDocument(acteMeta(s.orgA, 'R2026_1'), pdfFile(6000)));
		if (pesFile())
			posted.push(await s.a.postDocument({ kind: 'pes', organisation: s.orgA, title: 'PES' },
				pesFile('NOMFICRESTART')));
		posted.push(await s.b.postDocument(docMeta(s.orgB, { title: 'de B' }), pdfFile(4000)));
		for (const r of posted)
			assert.equal(r.status, 201, r.text);
		await s.a.post(`/api/v1/documents/${posted[1].json.id}/cancel`);
		const listA = (await s.a.listAll()).items;
		const listB = (await s.b.listAll()).items;

		const st = await s.d.stop();
		assert.equal(st.code, 0, `exit status after SIGTERM: ${JSON.stringify(st)}`);
		const d2 = await h.startLiassed();
		s.d = d2;
		const a2 = d2.client(s.keyA), b2 = d2.client(s.keyB);
		assert.deepEqual((await a2.listAll()).items, listA, 'A\'s documents unchanged');
		assert.deepEqual((await b2.listAll()).items, listB, 'B\'s documents unchanged');
		for (const doc of listA)
			for (const f of doc.files) {
				const dl = await download(d2.url, s.keyA, f.href);
				assert.equal(dl.status, 200);
				assert.equal(dl.sha256, f.sha256, `${doc.id} file ${f.id}`);
			}
		s.a = a2;
		s.b = b2;
	});

	it('SIGTERM during an upload: new connections are refused, the upload finishes (201), exit 0',
		async () => {
			let sent = 0;
			const up = streamDocument(s.d.url, s.keyA, acteMeta(s.orgA, 'TERM2026_1'),
				streamedPdf(24 * MiB, 'inflight'), { throttle: 8 * MiB, onProgress: (n) => { sent = n; } });
			while (sent < 4 * MiB)
				await sleep(50);
			const d = s.d;
			d.kill('SIGTERM');
			await sleep(500);
			assert.equal(d.running, true, 'still running while the upload is in flight');
			assert.ok(await notServed(d.url), 'no new request served after SIGTERM');
			const r = await up;
			assert.equal(r.status, 201, `in-flight upload: ${r.status} ${r.text}`);
			const st = await Promise.race([d.exited, sleep(15000).then(() => 'timeout')]);
			assert.deepEqual(st, { code: 0, signal: null }, 'exits 0 once the upload is done');
			const d2 = await h.startLiassed();
			s.d = d2;
			s.a = d2.client(s.keyA);
			const g = await s.a.get(`/api/v1/documents/${r.json.id}`);
			assert.equal(g.status, 200);
			assert.equal(g.json.files[0].size, 24 * MiB);
		});

	it('/readyz is 503 while PostgreSQL is down and 200 again once it is back; /healthz stays 200', async () => {
		assert.equal((await s.a.get('/readyz')).status, 200);
		await h.pg.stop('fast');
		try {
			const r = await s.a.get('/readyz');
			assertProblem(assert, r, { status: 503, type: 'unavailable' });
			const hz = await s.a.get('/healthz');
			assert.equal(hz.status, 200);
			const g = await s.a.get('/api/v1/documents');
			assert.ok([503, 500].includes(g.status), `API without database: ${g.status}`);
			assertProblem(assert, g, {});
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
		const l = await s.a.get('/api/v1/documents');
		assert.equal(l.status, 200, 'the API works again after the database came back');
	});

	it('two daemons started together on a fresh database apply each migration once', async () => {
		await h.psql('CREATE DATABASE liasse_twin', 'postgres');
		const conninfo = h.pg.conninfo.replace('dbname=liasse', 'dbname=liasse_twin');
		const [d1, d2] = await Promise.all([h.startLiassed({ database: conninfo }),
			h.startLiassed({ database: conninfo })]);
		assert.equal((await d1.client(null).get('/readyz')).status, 200);
		assert.equal((await d2.client(null).get('/readyz')).status, 200);
		const tables = await h.psql("SELECT count(*) FROM information_schema.tables WHERE table_name = 'document'",
			'liasse_twin');
		assert.equal(tables, '1');
		const dup = await h.psql('SELECT count(*) - count(DISTINCT name) FROM schema_migration', 'liasse_twin');
		assert.equal(dup, '0', 'no migration recorded twice');
		const n = await h.psql('SELECT count(*) FROM schema_migration', 'liasse_twin');
		assert.ok(Number(n) >= 2, `migrations recorded: ${n}`);
		const st = await Promise.all([d1.stop(), d2.stop()]);
		assert.deepEqual(st.map((x) => x.code), [0, 0]);
	});
});
