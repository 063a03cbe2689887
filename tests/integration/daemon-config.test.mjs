// liassed's start-up: --check-config, refusing root without `user`,
// switching to `user` when started as root.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { newHarness, topBuilddir, isRoot, run, runUserIds, RUN_USER } from '../lib/harness.mjs';

const h = newHarness('daemon-config');
const liassed = path.join(topBuilddir, 'src', 'liassed');

function lines(text) {
	return text.split('\n').filter((l) => l.trim() !== '');
}

describe('daemon configuration', () => {
	before(async () => {
		await h.startPostgres();
	});
	after(() => h.stopAll());

	it('--check-config accepts a good file (exit 0)', async () => {
		const conf = h.writeConfig({ listen_port: 0, database: h.pg.conninfo, user: RUN_USER,
			max_request_size: '10M', shutdown_timeout: '5s', log_level: 'debug' });
		const r = await run(liassed, ['-c', conf, '--check-config']);
		assert.equal(r.code, 0, r.stderr);
	});

	for (const [what, text, word] of [
		['an unknown key', 'listen_port = 0\nbogus_key = 1\n', 'bogus_key'],
		['a bad integer', 'listen_port = abc\n', 'listen_port'],
		['a bad size', 'max_request_size = 12Q\n', 'max_request_size'],
		['a line without =', 'listen_port 8080\n', ''],
	]) {
		it(`--check-config rejects ${what} with one line on stderr`, async () => {
			const conf = path.join(h.tmp, `bad-${word || 'syntax'}.conf`);
			(await import('node:fs')).writeFileSync(conf, text);
			const r = await run(liassed, ['-c', conf, '--check-config']);
			assert.notEqual(r.code, 0);
			assert.equal(lines(r.stderr).length, 1, `one line: ${JSON.stringify(r.stderr)}`);
			if (word)
				assert.match(r.stderr, new RegExp(word));
		});
	}

	it('a missing configuration file is one line and a non-zero exit', async () => {
		const r = await run(liassed, ['-c', path.join(h.tmp, 'nope.conf'), '--check-config']);
		assert.notEqual(r.code, 0);
		assert.equal(lines(r.stderr).length, 1, r.stderr);
	});

	it('-o key=value overrides the file (and is checked too)', async () => {
		const conf = h.writeConfig({ listen_port: 0, database: h.pg.conninfo, user: RUN_USER });
		const bad = await run(liassed, ['-c', conf, '-o', 'nope=1', '--check-config']);
		assert.notEqual(bad.code, 0);
		assert.equal(lines(bad.stderr).length, 1, bad.stderr);
		const d = await h.startLiassed({}, { args: ['-o', 'log_level=debug'] });
		assert.equal((await d.client(null).get('/healthz')).status, 200);
		await d.stop();
	});

	it('as root without `user` it refuses to run: one line on stderr, exit 1', { skip: !isRoot && 'not root' },
		async () => {
			const conf = h.writeConfig({ listen_port: 0, database: h.pg.conninfo });
			const r = await run(liassed, ['-c', conf], { timeout: 20000 });
			assert.equal(r.code, 1, `exit ${r.code}: ${r.stderr}`);
			assert.equal(lines(r.stderr).length, 1, `one line: ${JSON.stringify(r.stderr)}`);
			assert.match(r.stderr, /root|user/);
		});

	it('as root with `user = liasse` it runs as that user (uid, gid, groups)', { skip: !isRoot && 'not root' },
		async () => {
			const d = await h.startLiassed({ user: RUN_USER });
			const { uid, gid } = runUserIds();
			const uids = d.procStatus('Uid').split(/\s+/).map(Number);
			const gids = d.procStatus('Gid').split(/\s+/).map(Number);
			const groups = String(d.procStatus('Groups') || '').split(/\s+/).filter(Boolean).map(Number);
			assert.deepEqual(uids, [uid, uid, uid, uid], 'real, effective, saved and fs uid');
			assert.deepEqual(gids, [gid, gid, gid, gid], 'real, effective, saved and fs gid');
			assert.ok(!groups.includes(0), `no root group left: ${groups}`);
			assert.equal((await d.client(null).get('/readyz')).status, 200);
			const st = await d.stop();
			assert.equal(st.code, 0);
		});

	it('an unknown user is one line and a non-zero exit', { skip: !isRoot && 'not root' }, async () => {
		const conf = h.writeConfig({ listen_port: 0, database: h.pg.conninfo, user: 'no-such-user-liasse' });
		const r = await run(liassed, ['-c', conf], { timeout: 20000 });
		assert.notEqual(r.code, 0);
		assert.equal(lines(r.stderr).length, 1, r.stderr);
	});
});
