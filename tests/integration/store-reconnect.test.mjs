// The connection pool after a PostgreSQL restart (issue 16, point 5, its
// store/conn.c part): the idle connections the pool holds are dead, yet
// libpq still calls them CONNECTION_OK until they are used.  The pool must
// find out before handing one out, so that the first requests after the
// restart succeed instead of failing with 503.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { newHarness } from '../lib/harness.mjs';

const h = newHarness('store-reconnect');
const POOL = 4;
let s;

// Enough requests at once that every pooled connection is opened.
async function fillPool() {
	const rs = await Promise.all(Array.from({ length: POOL * 3 }, () => s.a.get('/api/v1/documents')));
	for (const r of rs)
		assert.equal(r.status, 200, r.text);
}

describe('connection pool and a PostgreSQL restart', () => {
	before(async () => {
		s = await h.setup({ db_pool_size: POOL });
	});
	after(() => h.stopAll());

	for (const mode of ['fast', 'immediate']) {
		it(`after ${mode === 'fast' ? 'a' : 'an'} ${mode} restart, the next requests succeed`, async () => {
			await fillPool();
			await h.pg.stop(mode);
			await h.pg.start();
			const statuses = [];
			for (let i = 0; i < POOL + 2; i++)
				statuses.push((await s.a.get('/api/v1/documents')).status);
			assert.deepEqual(statuses, Array(POOL + 2).fill(200), statuses.join(' '));
			await fillPool();
		});
	}

	it('while PostgreSQL is down, requests get 503, and succeed once it is back', async () => {
		await fillPool();
		await h.pg.stop('fast');
		try {
			const r = await s.a.get('/api/v1/documents');
			assert.equal(r.status, 503, r.text);
		} finally {
			await h.pg.start();
		}
		const r = await s.a.get('/api/v1/documents');
		assert.equal(r.status, 200, r.text);
	});
});
