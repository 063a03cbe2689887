// liasse journal verify: the journal's hash chain, recomputed by the CLI in C,
// holds for an intact journal (including non-ASCII text, document and
// organisation ids, more entries than one batch, a client in another
// encoding) and breaks, naming the first broken entry, when an entry is
// altered, deleted or forged behind the append-only trigger's back.
// Each tampering is undone afterwards from a copy of the table.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newHarness } from '../lib/harness.mjs';

const h = newHarness('cli-journal');

function lines(text) {
	return text.split('\n').filter((l) => l.trim() !== '');
}

// Runs sql as the cluster owner with the append-only trigger disabled.
function behindTrigger(sql) {
	return h.psql('ALTER TABLE journal DISABLE TRIGGER journal_append_only; ' + sql +
		'; ALTER TABLE journal ENABLE TRIGGER journal_append_only');
}

async function verifies(entries, opts) {
	const r = await h.cli(['journal', 'verify'], opts);
	assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
	assert.equal(r.stdout, `journal: ${entries} entries, chain intact\n`);
	assert.equal(r.stderr, '');
}

// The CLI fails with one line on stderr naming entry seq.
async function breaksAt(seq, re) {
	const r = await h.cli(['journal', 'verify']);
	assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}${r.stderr}`);
	assert.equal(r.stdout, '');
	assert.equal(lines(r.stderr).length, 1, JSON.stringify(r.stderr));
	assert.match(r.stderr, new RegExp(`journal broken at entry ${seq}:`), r.stderr);
	assert.match(r.stderr, re, r.stderr);
	return r.stderr;
}

async function append(n, actor = 'agent') {
	await h.psql(`SELECT count(journal_append('${actor}', 'test.entry', NULL, NULL,
		jsonb_build_object('i', g))) FROM generate_series(1, ${n}) g`);
}

describe('liasse journal verify', () => {
	before(async () => {
		await h.startPostgres();
		const r = await h.cli(['db', 'migrate']);
		assert.equal(r.code, 0, r.stderr);
		// Five entries with all the fields the canonical text covers.
		await h.psql(`SELECT journal_append('Élodie Müller', 'document.received',
			'0b8e6f2a-6c1e-4c4e-9d47-3f1f5a2b9c10', 42, '{"reason": "Délibération n°5 — “budget” \\\\ \\"x\\"", "n": [1, 2.50, null]}')`);
		await h.psql(`SELECT journal_append('system', 'login', NULL, NULL, NULL)`);
		await h.psql(`SELECT journal_append('maire@example.fr', 'document.signed',
			'0b8e6f2a-6c1e-4c4e-9d47-3f1f5a2b9c10', NULL, '{"profile": "pes"}')`);
		await h.psql(`SELECT journal_append('a|b', 'x|y', NULL, 7, '{}')`);
		await h.psql(`SELECT journal_append('agent', 'file.download', NULL, NULL, '{"file": 1}')`);
		assert.equal(await h.psql('SELECT count(*) FROM journal WHERE seq IS NULL'), '5', 'not sealed yet');
	});
	after(() => h.stopAll());

	it('an intact journal verifies, after sealing what was not sealed yet', async () => {
		await verifies(5);
		assert.equal(await h.psql('SELECT count(*) FROM journal WHERE seq IS NULL'), '0');
		assert.equal(await h.psql('SELECT max(seq) FROM journal'), '5');
		// A client encoding other than UTF-8 does not change the bytes hashed.
		await verifies(5, { env: { PGCLIENTENCODING: 'LATIN1' } });
		await h.psql('CREATE TABLE journal_copy AS SELECT * FROM journal');
	});

	it('an entry altered behind the trigger\'s back is named', async () => {
		await behindTrigger("UPDATE journal SET actor = 'mallory' WHERE seq = 2");
		await breaksAt(2, /altered: its hash does not match its content/);
		await behindTrigger("UPDATE journal SET actor = 'system' WHERE seq = 2");
		await verifies(5);
		// The JSON detail and the time are covered as well.
		await behindTrigger(`UPDATE journal SET detail = '{"profile": "xades"}' WHERE seq = 3`);
		await breaksAt(3, /altered/);
		await behindTrigger(`UPDATE journal SET detail = '{"profile": "pes"}' WHERE seq = 3`);
		await behindTrigger("UPDATE journal SET at = at + interval '1 microsecond' WHERE seq = 4");
		await breaksAt(4, /altered/);
		await behindTrigger("UPDATE journal SET at = at - interval '1 microsecond' WHERE seq = 4");
		await verifies(5);
	});

	it('a deleted entry is a gap', async () => {
		await behindTrigger('DELETE FROM journal WHERE seq = 2');
		await breaksAt(2, /entry 2 is missing \(deleted\): the chain jumps from 1 to 3/);
		await behindTrigger('DELETE FROM journal WHERE seq = 1');
		await breaksAt(1, /entry 1 is missing/);
		await behindTrigger('INSERT INTO journal OVERRIDING SYSTEM VALUE SELECT * FROM journal_copy ' +
			'WHERE seq IN (1, 2)');
		await verifies(5);
	});

	it('a forged entry re-hashed in SQL is caught at its successor', async () => {
		await behindTrigger(`UPDATE journal SET actor = 'mallory',
			hash = sha256(prev_hash || convert_to(journal_canonical(seq, at, 'mallory', action, doc_id,
				org_id, detail), 'UTF8')) WHERE seq = 2`);
		await breaksAt(3, /entry 3 does not follow entry 2: its prev_hash is not that entry's hash/);
		await behindTrigger('DELETE FROM journal WHERE seq = 2; ' +
			'INSERT INTO journal OVERRIDING SYSTEM VALUE SELECT * FROM journal_copy WHERE seq = 2');
		await verifies(5);
	});

	it('swapped entries are caught', async () => {
		await behindTrigger('UPDATE journal SET seq = -seq WHERE seq IN (3, 4); ' +
			'UPDATE journal SET seq = 7 + seq WHERE seq IN (-3, -4)');
		const msg = await breaksAt(3, /does not follow|altered/);
		assert.ok(msg);
		await behindTrigger('UPDATE journal SET seq = -seq WHERE seq IN (3, 4); ' +
			'UPDATE journal SET seq = 7 + seq WHERE seq IN (-3, -4)');
		await verifies(5);
	});

	it('a chain longer than one batch verifies, and breaks where it is altered', async () => {
		await append(2500);
		await verifies(2505);
		await behindTrigger("UPDATE journal SET action = 'test.forged' WHERE seq = 2222");
		await breaksAt(2222, /altered/);
	});
});
