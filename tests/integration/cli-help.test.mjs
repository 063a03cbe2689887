// liasse help, liasse GROUP, liasse ... --help: all generated from the one
// command table of src/liasse.c; every command listed is in doc/liasse.1.
// No database: help never opens one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { topSrcdir, topBuilddir } from '../lib/harness.mjs';

const bin = path.join(topBuilddir, 'src', 'liasse');
// A configuration that would fail if read: help must not need one.
const cli = (...args) => {
	const r = spawnSync(bin, ['-c', '/nonexistent/liasse.conf', ...args], { encoding: 'utf8' });
	return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lines = (s) => s.split('\n').filter((l) => l.length);

// "  org add            add an organisation ..." -> "org add"
function listed(text) {
	return lines(text).filter((l) => /^  [a-z]/.test(l)).map((l) => l.trim().split(/\s{2,}/)[0]);
}

describe('liasse help', () => {
	const all = cli('help');

	it('liasse help and --help list every command with a description, exit 0', () => {
		assert.equal(all.code, 0, all.stderr);
		assert.equal(all.stderr, '');
		for (const c of ['db migrate', 'org add', 'org list', 'client add', 'sign', 'verify', 'cert enrol',
			'person add', 'connector test', 'delegation add', 'help'])
			assert.ok(listed(all.stdout).includes(c), `${c} in:\n${all.stdout}`);
		for (const l of lines(all.stdout).filter((x) => /^  [a-z]/.test(x)))
			assert.match(l, /^  \S+( \S+)?\s{2,}\S/, `a description for: ${l}`);
		for (const opt of ['--help', '-h']) {
			const r = cli(opt);
			assert.equal(r.code, 0);
			assert.equal(r.stdout, all.stdout);
		}
	});

	it('every command is documented in liasse(1)', () => {
		const man = fs.readFileSync(path.join(topSrcdir, 'doc', 'liasse.1'), 'utf8');
		for (const c of listed(all.stdout))
			assert.match(man, new RegExp(`\\b(Ic|Cm) ${c}(\\s|$)`, 'm'), `${c} missing from doc/liasse.1`);
	});

	it('liasse GROUP alone: its commands on stderr, exit 2', () => {
		const r = cli('org');
		assert.equal(r.code, 2);
		assert.equal(r.stdout, '');
		assert.match(r.stderr, /^usage: liasse org COMMAND/);
		assert.deepEqual(listed(r.stderr), ['org add', 'org list', 'org set']);
	});

	it('liasse help GROUP and liasse GROUP --help: on stdout, exit 0', () => {
		for (const args of [['help', 'cert'], ['cert', '--help'], ['cert', '-h']]) {
			const r = cli(...args);
			assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
			assert.deepEqual(listed(r.stdout), ['cert import', 'cert list', 'cert enrol', 'cert unlock', 'cert revoke']);
		}
	});

	it('--help on every command prints its usage and runs nothing', () => {
		for (const c of listed(all.stdout).filter((x) => x !== 'help')) {
			const r = cli(...c.split(' '), '--help');
			assert.equal(r.code, 0, `${c} --help: ${r.stderr}`);
			assert.match(r.stdout, new RegExp(`^usage: liasse ${c}\\b`), `${c} --help`);
			assert.equal(lines(r.stdout).length, 2);
		}
		// anywhere among the arguments
		const r = cli('org', 'add', '--siren', '200000013', '--help');
		assert.equal(r.code, 0, r.stderr);
		assert.match(r.stdout, /^usage: liasse org add --siren/);
		const h = cli('help', 'org', 'add');
		assert.equal(h.code, 0);
		assert.match(h.stdout, /org add\s+add an organisation/);
	});

	it('unknown commands: one line on stderr, exit 2', () => {
		for (const args of [['frobnicate'], ['org', 'frobnicate'], ['help', 'frobnicate'], ['help', 'org', 'nope']]) {
			const r = cli(...args);
			assert.equal(r.code, 2, args.join(' '));
			assert.equal(lines(r.stderr).length, 1, r.stderr);
			assert.match(r.stderr, /unknown command .*liasse help/);
		}
		const none = cli();
		assert.equal(none.code, 2);
		assert.match(none.stderr, /^usage: liasse/);
	});
});
