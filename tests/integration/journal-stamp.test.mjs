// The head of the journal is time-stamped (RFC 3161) at intervals when a TSA
// is configured, and `liasse journal verify` checks the tokens against the
// chain: removing the most recent entries, which the chain alone cannot
// show, is caught by the stamp of the removed head.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { newHarness, docMeta, pdfFile, sleep } from '../lib/harness.mjs';

const { makePki, startTsa } = await import('../lib/pki.mjs');
const h = newHarness('journal-stamp');
let s, pki, tsa;

function behindTrigger(sql) {
	return h.psql('ALTER TABLE journal DISABLE TRIGGER journal_append_only; ' + sql +
		'; ALTER TABLE journal ENABLE TRIGGER journal_append_only');
}

async function stampsAtLeast(n) {
	for (let i = 0; i < 100; i++) {
		const c = Number(await h.psql('SELECT count(*) FROM journal_stamp'));
		if (c >= n)
			return c;
		await sleep(200);
	}
	throw new Error(`fewer than ${n} journal time-stamps after 20 s`);
}

const verify = () => h.cli(['-o', `trust_dir=${pki.trust}`, 'journal', 'verify']);

describe('journal head time-stamps', () => {
	before(async () => {
		pki = await makePki({ dir: path.join(h.tmp, 'pki') });
		h.chownRunUser(path.join(h.tmp, 'pki'));
		tsa = await startTsa(pki);
		s = await h.setup({ tsa_url: tsa.url, trust_dir: pki.trust, journal_stamp_interval: '1s' });
	});
	after(async () => {
		await h.stopAll();
		await tsa?.stop();
	});

	it('liassed stamps the head as the journal grows; verify checks every token', async () => {
		await stampsAtLeast(1);
		const r1 = await s.a.postDocument(docMeta(s.orgA, { title: 'stamped' }), pdfFile(1000));
		assert.equal(r1.status, 201, r1.text);
		await stampsAtLeast(2);
		const head = await h.psql('SELECT max(seq) FROM journal_stamp');
		const r = await verify();
		assert.equal(r.code, 0, r.stderr);
		assert.match(r.stdout, /chain intact; \d+ time-stamps of its head match it and verify, the latest at entry \d+/);
		assert.ok(Number(/the latest at entry (\d+)/.exec(r.stdout)[1]) >= Number(head));
		assert.ok(await tsa.requests() >= 2, 'the TSA was asked');
	});

	it('nothing new, no new stamp', async () => {
		await sleep(1500);
		const a = await h.psql('SELECT count(*) FROM journal_stamp');
		await sleep(2500);
		const b = await h.psql('SELECT count(*) FROM journal_stamp');
		assert.equal(a, b, 'the same head is not stamped twice');
	});

	it('removing the latest entries, invisible to the chain, breaks the stamp', async () => {
		await s.d.stop();
		const last = await h.psql('SELECT max(seq) FROM journal_stamp');
		await h.psql('CREATE TABLE journal_copy AS SELECT * FROM journal');
		await behindTrigger(`DELETE FROM journal WHERE seq >= ${last}`);
		const r = await verify();
		assert.equal(r.code, 1, r.stdout);
		assert.equal(r.stderr.trim().split('\n').length, 1);
		assert.match(r.stderr, new RegExp(`journal broken at entry ${last}: the time-stamp of .* covers another hash than the chain's`));
		await behindTrigger('DELETE FROM journal; INSERT INTO journal OVERRIDING SYSTEM VALUE SELECT * FROM journal_copy');
		assert.equal((await verify()).code, 0);
	});

	it('a forged token does not verify', async () => {
		const last = await h.psql('SELECT max(seq) FROM journal_stamp');
		// one bit of the TSA's signature value, at the end of the token
		await h.psql(`UPDATE journal_stamp SET token = set_byte(token, length(token) - 5,
			get_byte(token, length(token) - 5) # 1) WHERE seq = ${last}`);
		const r = await verify();
		assert.equal(r.code, 1, r.stdout);
		assert.match(r.stderr, /its time-stamp does not verify/);
	});
});
