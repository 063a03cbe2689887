// Integration test harness: a private PostgreSQL cluster, a real liassed on a
// free port, the admin CLI, and HTTP helpers.  Every test file creates one
// harness (newHarness), which owns a temporary directory and every process it
// starts.  The directory is removed when the file passes and kept (its path
// printed) when it fails, like PostgreSQL's tmp_check.  Processes are killed
// at exit whatever happens.
//
// Node 18 compatible on purpose (Debian 12): node:test, global fetch, no
// newer API.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const topSrcdir = process.env.top_srcdir || path.resolve(here, '../..');
export const topBuilddir = process.env.top_builddir || process.cwd();
export const fixturesDir = process.env.LIASSE_FIXTURES ||
	path.resolve(topSrcdir, '../shared/fixtures');
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
export const RUN_USER = 'liasse';
export const KEY_RE = /^lsk_[A-Za-z0-9_-]{43}$/;

const liassedBin = path.join(topBuilddir, 'src', 'liassed');
const liasseBin = path.join(topBuilddir, 'src', 'liasse');
const sqlDir = process.env.LIASSE_SQLDIR || path.join(topSrcdir, 'schemas', 'sql');
const openapi = process.env.LIASSE_OPENAPI || path.join(topSrcdir, 'doc', 'openapi.json');
// What liassed and liasse need to run from the build tree.
const buildTreeEnv = { LIASSE_SQLDIR: sqlDir, LIASSE_OPENAPI: openapi };

/* ---------------------------------------------------------------- skipping */

export function skip(reason) {
	process.stdout.write(`1..0 # SKIP ${reason}\n`);
	process.exit(77);
}

export function fixture(rel) {
	const p = path.join(fixturesDir, rel);
	return fs.existsSync(p) ? p : null;
}

function pgBindir() {
	const base = '/usr/lib/postgresql';
	let versions = [];
	try {
		versions = fs.readdirSync(base).filter((v) => /^\d+$/.test(v) &&
			fs.existsSync(path.join(base, v, 'bin', 'initdb')));
	} catch (e) { /* none */ }
	if (!versions.length)
		return null;
	versions.sort((a, b) => Number(b) - Number(a));
	return path.join(base, versions[0], 'bin');
}

// Exit 77 (automake's skip) when the daemon or PostgreSQL is not available.
export function requireEnvironment() {
	if (!fs.existsSync(liassedBin) || !fs.existsSync(liasseBin))
		skip(`${liassedBin} or ${liasseBin} not built`);
	if (!pgBindir())
		skip('PostgreSQL server binaries (initdb, pg_ctl) not found');
	if (isRoot && !ensureRunUser())
		skip(`running as root and no user ${RUN_USER} could be created`);
}

function ensureRunUser() {
	if (spawnSync('id', ['-u', RUN_USER]).status === 0)
		return true;
	spawnSync('useradd', ['--system', '--home-dir', '/nonexistent',
		'--shell', '/usr/sbin/nologin', RUN_USER]);
	return spawnSync('id', ['-u', RUN_USER]).status === 0;
}

export function runUserIds() {
	const uid = Number(spawnSync('id', ['-u', RUN_USER]).stdout.toString());
	const gid = Number(spawnSync('id', ['-g', RUN_USER]).stdout.toString());
	return { uid, gid };
}

/* ------------------------------------------------- process bookkeeping */

const live = new Set();		// child processes to kill at exit
const clusters = new Set();	// data directories of running clusters
const tempDirs = new Set();

function cleanupAtExit(code) {
	for (const p of live) {
		try { p.kill('SIGKILL'); } catch (e) { /* gone */ }
	}
	for (const c of clusters)
		spawnSync(c.pgctl[0], [...c.pgctl.slice(1), '-D', c.data, '-m', 'immediate', '-w', 'stop'],
			{ stdio: 'ignore' });
	const failed = code !== 0 || (process.exitCode && process.exitCode !== 0);
	for (const d of tempDirs) {
		if (failed)
			printLogTails(d);
		if (failed || process.env.LIASSE_KEEP_TMP)
			process.stderr.write(`# test data and logs kept in ${d}\n`);
		else
			fs.rmSync(d, { recursive: true, force: true });
	}
}
// The end of each log of a failed run, for CI where the directory is lost.
function printLogTails(dir) {
	let names = [];
	try { names = fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort(); } catch (e) { /* gone */ }
	for (const n of names) {
		let text = '';
		try { text = fs.readFileSync(path.join(dir, n), 'utf8'); } catch (e) { continue; }
		const tail = text.split('\n').filter(Boolean).slice(-25);
		if (tail.length)
			process.stderr.write(`# ---- last lines of ${n}\n${tail.map((l) => `# ${l}`).join('\n')}\n`);
	}
}
process.on('exit', cleanupAtExit);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
	process.on(sig, () => process.exit(128 + os.constants.signals[sig]));

function track(proc) {
	live.add(proc);
	proc.on('exit', () => live.delete(proc));
	return proc;
}

// Runs a command to completion; resolves {code, signal, stdout, stderr}.
export function run(cmd, args, opts = {}) {
	return new Promise((resolve, reject) => {
		const p = track(spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts }));
		const out = [], err = [];
		p.stdout.on('data', (d) => out.push(d));
		p.stderr.on('data', (d) => err.push(d));
		p.on('error', reject);
		// A child that exits before reading its input (a refusal, a usage
		// error) closes the pipe: EPIPE there is not the test's failure, its
		// exit status is.
		p.stdin.on('error', () => {});
		p.on('close', (code, signal) => resolve({
			code, signal,
			stdout: Buffer.concat(out).toString(),
			stderr: Buffer.concat(err).toString(),
		}));
		if (opts.input !== undefined)
			p.stdin.end(opts.input);
		else
			p.stdin.end();
	});
}

function asRunUser(cmd, args) {
	return isRoot ? ['runuser', ['-u', RUN_USER, '--', cmd, ...args]] : [cmd, args];
}

async function mustRun(cmd, args, opts) {
	const r = await run(cmd, args, opts);
	if (r.code !== 0)
		throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
	return r;
}

export function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

/* -------------------------------------------------------------- harness */

let harnessCount = 0;

// One harness per test file: newHarness('api-cases').
export function newHarness(name) {
	requireEnvironment();
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `liasse-${name}-`));
	fs.chmodSync(tmp, 0o755);	// PostgreSQL and liassed run as another user
	tempDirs.add(tmp);
	return new Harness(name, tmp, ++harnessCount);
}

class Harness {
	constructor(name, tmp) {
		this.name = name;
		this.tmp = tmp;
		this.pg = null;
		this.daemons = [];
		this.confCount = 0;
	}

	chownRunUser(p) {
		if (isRoot) {
			const { uid, gid } = runUserIds();
			fs.chownSync(p, uid, gid);
		}
	}

	/* PostgreSQL: a private cluster on a unix socket only. */
	// durable: PostgreSQL's own settings (fsync, full_page_writes and
	// synchronous_commit on), as a deployment has them; the tests turn them
	// off, the benchmarks that compare with raw PostgreSQL may not.
	// settings: more -c name=value (e.g. { shared_preload_libraries: 'pg_stat_statements' }).
	async startPostgres({ durable = false, settings = {} } = {}) {
		const bindir = pgBindir();
		const data = path.join(this.tmp, 'pg');
		const sock = path.join(this.tmp, 'sock');
		const logf = path.join(this.tmp, 'postgres.log');
		fs.mkdirSync(data, { mode: 0o700 });
		fs.mkdirSync(sock, { mode: 0o755 });
		fs.writeFileSync(logf, '');
		for (const p of [data, sock, logf])
			this.chownRunUser(p);
		const [c1, a1] = asRunUser(path.join(bindir, 'initdb'),
			['-D', data, '-A', 'trust', '-U', RUN_USER, '--no-sync', '-E', 'UTF8', '--locale=C']);
		await mustRun(c1, a1);
		const pgctl = asRunUser(path.join(bindir, 'pg_ctl'), []);
		const cluster = { data, pgctl: [pgctl[0], ...pgctl[1]] };
		const opts = () => `-k ${sock} -c listen_addresses='' -c max_connections=100` +
			(self.pg.durable ? '' : ' -c fsync=off -c full_page_writes=off -c synchronous_commit=off') +
			Object.entries(settings).map(([k, v]) => ` -c ${k}=${v}`).join('');
		const self = this;
		this.pg = {
			bindir, data, sock, logf,
			conninfo: `host=${sock} dbname=liasse user=${RUN_USER}`,
			running: false, durable,
			async start() {
				await mustRun(cluster.pgctl[0], [...cluster.pgctl.slice(1), '-D', data, '-l', logf,
					'-w', '-t', '60', '-o', opts(), 'start']);
				clusters.add(cluster);
				this.running = true;
			},
			async stop(mode = 'fast') {
				await mustRun(cluster.pgctl[0], [...cluster.pgctl.slice(1), '-D', data,
					'-m', mode, '-w', 'stop']);
				clusters.delete(cluster);
				this.running = false;
			},
			psql: (sql, db = 'liasse') => self.psql(sql, db),
		};
		await this.pg.start();
		await this.psql('CREATE DATABASE liasse', 'postgres');
		return this.pg;
	}

	// Runs SQL on the private cluster; resolves the unaligned, tuples-only output.
	async psql(sql, db = 'liasse') {
		const r = await run(path.join(this.pg.bindir, 'psql'), ['-X', '-q', '-A', '-t',
			'-v', 'ON_ERROR_STOP=1', '-h', this.pg.sock, '-U', RUN_USER, '-d', db, '-c', sql]);
		if (r.code !== 0)
			throw new Error(`psql: ${sql}: ${r.stderr}`);
		return r.stdout.replace(/\n$/, '');
	}

	async pgDump() {
		const r = await run(path.join(this.pg.bindir, 'pg_dump'),
			['-h', this.pg.sock, '-U', RUN_USER, 'liasse']);
		if (r.code !== 0)
			throw new Error(`pg_dump: ${r.stderr}`);
		return r.stdout;
	}

	// Row count of every table of the liasse database: a refused request
	// must leave all of them unchanged.  The workers' jobs for earlier
	// documents (an act's transmission attempt journals and raises an event)
	// are let finish first, so that they do not land between two snapshots:
	// it waits, up to 20 s, until no job is due (a job being worked on is
	// due until it is done or rescheduled).  A test whose jobs stay due (no
	// worker running) still gets its counts after the wait.
	async snapshot() {
		for (let t0 = Date.now(); Date.now() - t0 < 20000; await sleep(50))
			if (await this.psql('SELECT count(*) FROM job WHERE done_at IS NULL AND run_at <= now()') === '0')
				break;
		const out = await this.psql(
			"SELECT table_schema || '.' || table_name, " +
			"(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', " +
			"table_schema, table_name), false, true, '')))[1]::text " +
			"FROM information_schema.tables WHERE table_type = 'BASE TABLE' " +
			"AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1");
		const snap = {};
		for (const line of out.split('\n').filter(Boolean)) {
			const [t, c] = line.split('|');
			// what the workers do for earlier documents in the background
			if (/^public\.(transmission|transmit_)/.test(t))
				continue;
			snap[t] = Number(c);
		}
		return snap;
	}

	/* The key-encryption key every test runs with (doc/secrets.md): 64 hex
	 * digits, mode 0600, owned by the user liassed runs as. */
	kekFile() {
		if (!this.kek) {
			this.kek = path.join(this.tmp, 'kek.key');
			fs.writeFileSync(this.kek, crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
			this.chownRunUser(this.kek);
		}
		return this.kek;
	}

	// A configuration naming a database seals its secrets with kekFile()
	// unless values say otherwise (kek_file: null leaves the key out).
	writeConfig(values, name) {
		const file = path.join(this.tmp, name || `liasse-${++this.confCount}.conf`);
		if ('database' in values && !('kek_file' in values))
			values = { kek_file: this.kekFile(), ...values };
		const text = Object.entries(values).filter(([, v]) => v !== null && v !== undefined)
			.map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
		fs.writeFileSync(file, text, { mode: 0o644 });
		return file;
	}

	// Configuration of the admin CLI (database only).
	cliConfig() {
		if (!this.cliConf)
			this.cliConf = this.writeConfig({ database: this.pg.conninfo }, 'cli.conf');
		return this.cliConf;
	}

	/* liassed on a free port; config overrides; user = liasse when root. */
	async startLiassed(overrides = {}, opts = {}) {
		const conf = {
			listen_address: '127.0.0.1', listen_port: 0, database: this.pg.conninfo,
			log_level: 'info', db_pool_size: 4, workers: 1, shutdown_timeout: '20s',
			...(isRoot ? { user: RUN_USER } : {}), ...overrides,
		};
		const file = this.writeConfig(conf);
		const d = new Daemon(this, file, opts);
		this.daemons.push(d);
		await d.start();
		return d;
	}

	/* admin CLI */
	// opts.wrap: a command liasse runs under (['/usr/bin/time', '-v']).
	cli(args, opts = {}) {
		const conf = opts.config || this.cliConfig();
		const [cmd, ...pre] = opts.wrap ? [...opts.wrap, liasseBin] : [liasseBin];
		return run(cmd, [...pre, '-c', conf, ...args], {
			env: { ...process.env, ...buildTreeEnv, ...(opts.env || {}) },
			input: opts.input,
		});
	}

	async mustCli(args, opts = {}) {
		const r = await this.cli(args, opts);
		if (r.code !== 0)
			throw new Error(`liasse ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
		return r;
	}

	// An official's certificate imported from a PKCS#12 and enrolled under
	// pin (liasse cert import, then cert enrol with the code it printed).
	async enrol(email, p12, password, pin) {
		const imp = await this.mustCli(['cert', 'import', email, p12], { input: password + '\n' });
		await this.mustCli(['cert', 'enrol', email], { input: `${imp.stdout.trim()}\n${pin}\n` });
	}

	// addOrg('214502494', {name, parent, idcoll, ...}) -> siren
	async addOrg(siren, opts = {}) {
		const args = ['org', 'add', '--siren', siren, '--name', opts.name || `Commune ${siren}`];
		for (const [k, v] of Object.entries(opts)) {
			if (k === 'name' || v === undefined || v === null)
				continue;
			args.push('--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()).replace(/_/g, '-'),
				String(v));
		}
		const r = await this.mustCli(args);
		return r.stdout.trim();
	}

	// addClient('vendor', ['214502494']) -> API key
	async addClient(name, sirens) {
		const args = ['client', 'add', '--name', name];
		for (const s of sirens)
			args.push('--org', s);
		const r = await this.mustCli(args);
		const key = r.stdout.trim();
		if (!KEY_RE.test(key))
			throw new Error(`liasse client add printed ${JSON.stringify(r.stdout)}, not a key`);
		return key;
	}

	// A person: person({email, name, password?, operator?, roles: [{org, role,
	// function?}], routes: [kind...] (routing rules of the first role's
	// organisation to them)}).  Without a password they cannot log in.
	async person(p) {
		const args = ['person', 'add', '--email', p.email, '--name', p.name || p.email];
		if (p.operator)
			args.push('--operator');
		if (!p.password)
			args.push('--no-password');
		const r = await this.cli(args, { input: p.password ? p.password + '\n' : '' });
		if (r.code !== 0)
			throw new Error(`liasse person add failed (${r.code}): ${r.stderr}`);
		for (const role of p.roles || []) {
			const ra = ['role', 'add', p.email, '--org', role.org, '--role', role.role];
			if (role.function)
				ra.push('--function', role.function);
			await this.mustCli(ra);
		}
		for (const kind of p.routes || [])
			await this.mustCli(['routing', 'add', '--org', p.roles[0].org, '--kind', kind,
				'--person', p.email]);
		return p.email;
	}

	// The usual start: cluster, liassed (which migrates), two organisations
	// with one client each.  pg: startPostgres()'s options.
	async setup(overrides = {}, { pg = {} } = {}) {
		await this.startPostgres(pg);
		const d = await this.startLiassed(overrides);
		const seed = await seedTwoOrgs(this);
		return { d, ...seed, a: d.client(seed.keyA), b: d.client(seed.keyB) };
	}

	async stopAll() {
		for (const d of this.daemons)
			if (d.running)
				await d.stop().catch(() => d.kill('SIGKILL'));
		if (this.pg && this.pg.running)
			await this.pg.stop('fast').catch(() => {});
	}
}

/* ------------------------------------------------------------- daemon */

class Daemon {
	constructor(h, conf, opts) {
		this.h = h;
		this.conf = conf;
		this.opts = opts;
		this.url = null;
		this.running = false;
		this.logChunks = [];
		this.logFile = conf.replace(/\.conf$/, '.log');
	}

	start() {
		const args = ['-c', this.conf, ...(this.opts.args || [])];
		const proc = track(spawn(liassedBin, args, {
			env: { ...process.env, ...buildTreeEnv },
			stdio: ['ignore', 'pipe', 'pipe'],
		}));
		this.proc = proc;
		this.pid = proc.pid;
		this.running = true;
		this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
			this.running = false;
			this.exitStatus = { code, signal };
			resolve(this.exitStatus);
		}));
		return new Promise((resolve, reject) => {
			let pending = '';
			const timer = setTimeout(() => {
				reject(new Error(`liassed did not report listening within 30 s:\n${this.logs()}`));
			}, 30000);
			const onData = (d) => {
				fs.appendFileSync(this.logFile, d);
				this.logChunks.push(d);
				if (this.url)
					return;
				pending += d.toString();
				const m = pending.match(/listening on (http:\/\/\S+)/);
				if (m) {
					this.url = m[1].replace(/\/$/, '');
					clearTimeout(timer);
					resolve(this);
				}
			};
			proc.stderr.on('data', onData);
			proc.stdout.on('data', onData);
			this.exited.then(({ code, signal }) => {
				clearTimeout(timer);
				if (!this.url)
					reject(new Error(`liassed exited (${code ?? signal}) before listening:\n${this.logs()}`));
			});
		});
	}

	logs() {
		return Buffer.concat(this.logChunks).toString();
	}

	kill(sig = 'SIGKILL') {
		try { this.proc.kill(sig); } catch (e) { /* gone */ }
	}

	// SIGTERM and wait; resolves {code, signal}.
	async stop(timeoutMs = 30000) {
		if (!this.running)
			return this.exitStatus;
		this.kill('SIGTERM');
		let timer;
		const t = new Promise((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
		const r = await Promise.race([this.exited, t]);
		clearTimeout(timer);   // a pending timer would keep node alive for timeoutMs
		if (r === 'timeout') {
			this.kill('SIGKILL');
			throw new Error(`liassed did not stop within ${timeoutMs} ms after SIGTERM`);
		}
		return r;
	}

	// /proc/<pid>/status field in kB (VmHWM, VmRSS) or raw line (Uid, Gid).
	procStatus(field) {
		const text = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
		const m = text.match(new RegExp(`^${field}:\\s*(.*)$`, 'm'));
		if (!m)
			return null;
		return /kB$/.test(m[1]) ? Number(m[1].replace(/\s*kB$/, '')) : m[1];
	}

	client(key) {
		return new Client(this.url, key);
	}

	// Logs a person in: a Client carrying their session token, plus the
	// login answer (csrf, cookie).  Throws unless the login succeeds.
	async login(email, password = PASSWORD, totp) {
		const body = JSON.stringify({ email, password, ...(totp ? { totp } : {}) });
		const r = await request(this.url, { method: 'POST', path: '/api/v1/session',
			headers: { 'Content-Type': 'application/json' }, body });
		if (r.status !== 201)
			throw new Error(`login of ${email} answered ${r.status}: ${r.text}`);
		const c = new Client(this.url, r.json.token);
		c.session = r.json;
		c.cookie = String(r.headers['set-cookie']).split(';')[0];
		return c;
	}
}

/* ------------------------------------------------------------ helpers */

// A Luhn-valid SIREN from an 8-digit prefix (real SIRENs carry a Luhn key).
export function siren(prefix8) {
	const d = String(prefix8).padStart(8, '0').slice(0, 8);
	for (let k = 0; k < 10; k++) {
		const s = d + k;
		let sum = 0;
		for (let i = 0; i < 9; i++) {
			let x = Number(s[8 - i]);
			if (i % 2 === 1) {
				x *= 2;
				if (x > 9)
					x -= 9;
			}
			sum += x;
		}
		if (sum % 10 === 0)
			return s;
	}
	throw new Error('unreachable');
}

// The organisation of the Hélios fixtures (IdColl, CodCol, IdPost, CodBud of
// s2low/helios/fixtures/pes_aller_ok.xml) and an unrelated one.
export const ORG_A = {
	siren: '214502494', name: 'Commune de Saint-Essai', departement: '045', arrondissement: 1,
	natureActes: 3, idcoll: '12345678912345', codcol: '123', idpost: '034000', codbud: '12',
	city: 'Orléans', postalCode: '45000',
};
export const ORG_B = {
	siren: siren('20004910'), name: 'Communauté de communes témoin', departement: '086',
	idcoll: '20004910400025', codcol: '400', idpost: '086016', codbud: '01',
};

export async function seedTwoOrgs(h) {
	const { siren: a, ...oa } = ORG_A;
	const { siren: b, ...ob } = ORG_B;
	await h.addOrg(a, oa);
	await h.addOrg(b, ob);
	const keyA = await h.addClient('vendor-a', [a]);
	const keyB = await h.addClient('vendor-b', [b]);
	// One official per organisation, who signs everything by default.
	await h.person({ email: OFFICIAL_A, name: 'Marie Ordonnatrice',
		roles: [{ org: a, role: 'signer', function: 'maire' }], routes: ['pes', 'acte', 'document'] });
	await h.person({ email: OFFICIAL_B, name: 'Paul Président',
		roles: [{ org: b, role: 'signer', function: 'president' }], routes: ['pes', 'acte', 'document'] });
	return { orgA: a, orgB: b, keyA, keyB };
}

export const OFFICIAL_A = 'maire@saint-essai.test';
export const OFFICIAL_B = 'president@cc-temoin.test';
export const PASSWORD = 'correct horse battery staple';

// Metadata and files of valid documents.
export function docMeta(org, extra = {}) {
	return { kind: 'document', organisation: org, title: 'Convention', ...extra };
}

export function acteMeta(org, numero, extra = {}, acte = {}) {
	const today = new Date().toISOString().slice(0, 10);
	return {
		kind: 'acte', organisation: org, title: `Délibération ${numero}`, ...extra,
		acte: { nature: 1, numero_interne: numero, objet: 'Vote du budget', date_decision: today,
			classification: '7.1', ...acte },
	};
}

export function pdfFile(size = 2000, name = 'acte.pdf') {
	return { name, type: 'application/pdf', data: pdfBytes(size, name) };
}

// pes_aller_ok.xml with its NomFic replaced (NomFic is unique per IdColl and
// CodCol); its header is organisation A's (ORG_A);
// null when the fixture is absent.
export function pesFile(nomfic) {
	const p = fixture('s2low/helios/fixtures/pes_aller_ok.xml');
	if (!p)
		return null;
	const text = fs.readFileSync(p).toString('latin1');
	const data = Buffer.from(nomfic ? text.replace('03f432a4f6d35110bf309fb525eb61f7', nomfic) : text, 'latin1');
	return { name: 'pes_aller.xml', type: 'application/xml', data };
}

// A PES file (as pesFile() returns it) with its header's Hélios identifiers
// replaced by an organisation's ({idcoll, codcol, idpost, codbud}, e.g.
// ORG_B): the door compares them with the organisation's.
export function pesFor(file, ids) {
	if (!file)
		return null;
	let text = file.data.toString('latin1');
	for (const [k, tag] of [['idcoll', 'IdColl'], ['codcol', 'CodCol'], ['idpost', 'IdPost'], ['codbud', 'CodBud']])
		if (ids[k])
			text = text.replace(new RegExp(`<${tag} V="[^"]*"`), `<${tag} V="${ids[k]}"`);
	return { ...file, data: Buffer.from(text, 'latin1') };
}

// A small PES_Aller written here (no fixture needed) with what the platform
// rules need; `doctype` goes between the prolog and the root, `extra` inside
// the bordereau's piece, `pad` after the bordereau (hostile-input tests).
export function smallPes({ nomfic = 'NOMFICSMALL', doctype = '', extra = '', pad = '' } = {}) {
	return Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?>
${doctype}<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller" Id="ID1">
 <Enveloppe><Parametres><Version V="1"/><TypFic V="PESALR2"/><NomFic V="${nomfic}"/></Parametres>
  <Emetteur><Sigle V="EM"/></Emetteur><Recepteur><Sigle V="HELIOS"/></Recepteur></Enveloppe>
 <EnTetePES><DteStr V="2026-01-15"/><IdPost V="034000"/><IdColl V="12345678912345"/>
  <CodCol V="123"/><CodBud V="12"/><LibelleColBud V="COMMUNE"/></EnTetePES>
 <PES_DepenseAller><EnTeteDepense><IdVer V="1"/><InfoDematerialisee V="0"/></EnTeteDepense>
  <Bordereau Id="B1"><BlocBordereau><Exer V="2026"/><IdBord V="42"/><DteBordEm V="2026-01-15"/>
   <TypBord V="01"/><NbrPce V="1"/></BlocBordereau>
   <Piece><BlocPiece><InfoPce><IdPce V="1"/><Obj V="TEST"/></InfoPce></BlocPiece>${extra}</Piece>
  </Bordereau></PES_DepenseAller>${pad}
</n:PES_Aller>
`, 'latin1');
}

/* ---------------------------------------------------------------- HTTP */

export function sha256(buf) {
	return crypto.createHash('sha256').update(buf).digest('hex');
}

// A PDF-looking file of exactly `size` bytes (magic, one object, %%EOF).
export function pdfBytes(size, seed = 'liasse') {
	const head = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 0 >>\nstream\n', 'latin1');
	const tail = Buffer.from('\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
	if (size < head.length + tail.length)
		throw new Error('pdfBytes: size too small');
	const body = Buffer.alloc(size - head.length - tail.length);
	const pattern = Buffer.from(`${seed} filler ${crypto.randomBytes(6).toString('hex')}\n`);
	for (let i = 0; i < body.length; i += pattern.length)
		pattern.copy(body, i, 0, Math.min(pattern.length, body.length - i));
	return Buffer.concat([head, body, tail]);
}

// Builds a multipart/form-data body.  parts: [{name, filename?, type?, data}],
// filename may be a Buffer (raw bytes, e.g. invalid UTF-8).
export function multipart(parts, boundary) {
	boundary = boundary || `liasse-${crypto.randomBytes(12).toString('hex')}`;
	const chunks = [];
	for (const p of parts) {
		chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`));
		if (p.filename !== undefined && p.filename !== null) {
			chunks.push(Buffer.from('; filename="'));
			chunks.push(Buffer.isBuffer(p.filename) ? p.filename : Buffer.from(p.filename));
			chunks.push(Buffer.from('"'));
		}
		chunks.push(Buffer.from('\r\n'));
		if (p.type)
			chunks.push(Buffer.from(`Content-Type: ${p.type}\r\n`));
		chunks.push(Buffer.from('\r\n'));
		const data = p.data === undefined ? '' : p.data;
		chunks.push(Buffer.isBuffer(data) ? data : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)));
		chunks.push(Buffer.from('\r\n'));
	}
	chunks.push(Buffer.from(`--${boundary}--\r\n`));
	return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}`, boundary };
}

// The usual parts of a document post: metadata then the main file then annexes.
export function documentParts(metadata, file, annexes = []) {
	const parts = [{ name: 'metadata', type: 'application/json', data: JSON.stringify(metadata) }];
	if (file)
		parts.push({ name: 'file', filename: file.name, type: file.type, data: file.data });
	for (const a of annexes)
		parts.push({ name: 'annexe', filename: a.name, type: a.type, data: a.data });
	return parts;
}

// Raw HTTP request with node:http: tolerates the server answering early and
// closing (413), bodies given as Buffer or as an async iterable of Buffers.
// Resolves {status, headers, body (Buffer), text, json, written, error}.
export function request(url, { method = 'GET', path: p = '/', headers = {}, body, timeoutMs = 120000 } = {}) {
	return new Promise((resolve, reject) => {
		const u = new URL(p, url);
		let written = 0, settled = false, writeError = null;
		const req = http.request({
			host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers,
			agent: false,
		});
		const timer = setTimeout(() => {
			req.destroy(new Error(`request timed out after ${timeoutMs} ms`));
		}, timeoutMs);
		req.on('response', (res) => {
			const chunks = [];
			res.on('data', (d) => chunks.push(d));
			res.on('end', () => {
				clearTimeout(timer);
				settled = true;
				const buf = Buffer.concat(chunks);
				resolve(makeResponse(res.statusCode, res.headers, buf, { written, writeError }));
			});
			res.on('error', (e) => { if (!settled) { settled = true; clearTimeout(timer); reject(e); } });
		});
		req.on('error', (e) => {
			if (settled)
				return;
			writeError = e;
			// An early answer may still arrive after a write error (EPIPE);
			// give it a moment before failing.
			setTimeout(() => {
				if (!settled) {
					settled = true;
					clearTimeout(timer);
					reject(Object.assign(e, { written }));
				}
			}, 500);
		});
		(async () => {
			try {
				if (body === undefined || body === null) {
					req.end();
				} else if (Buffer.isBuffer(body) || typeof body === 'string') {
					written = Buffer.byteLength(body);
					req.end(body);
				} else {
					for await (const chunk of body) {
						if (req.destroyed || settled)
							break;
						written += chunk.length;
						if (!req.write(chunk))
							await new Promise((r) => {
								const done = () => {
									req.off('drain', done);
									req.off('close', done);
									r();
								};
								req.on('drain', done);
								req.on('close', done);
							});
					}
					if (!req.destroyed && !settled)
						req.end();
				}
			} catch (e) {
				req.destroy(e);
			}
		})();
	});
}

// A large PDF-looking file produced in 1 MiB chunks, never held whole:
// {size, chunks() (async iterable), sha256() after the chunks were read}.
export function streamedPdf(size, seed = 'big') {
	const head = Buffer.from(`%PDF-1.4\n%${seed}\n1 0 obj\n<< /Length 0 >>\nstream\n`);
	const tail = Buffer.from('\nendstream\nendobj\n%%EOF\n');
	const fill = Buffer.alloc(1 << 20, `${seed} 0123456789abcdef\n`);
	const hash = crypto.createHash('sha256');
	let digest = null;
	return {
		size,
		async *chunks() {
			let left = size - head.length - tail.length;
			hash.update(head);
			yield head;
			while (left > 0) {
				const c = left >= fill.length ? fill : fill.subarray(0, left);
				hash.update(c);
				left -= c.length;
				yield c;
			}
			hash.update(tail);
			yield tail;
			digest = hash.digest('hex');
		},
		sha256: () => digest,
	};
}

// Streams a multipart document post whose main file comes from `file`
// ({size, chunks()}, see streamedPdf).  opts: throttle (bytes/s),
// onProgress(written), name, type, headers, timeoutMs, annexes ([file]).
export function streamDocument(url, key, metadata, file, opts = {}) {
	const boundary = `liasse-${crypto.randomBytes(8).toString('hex')}`;
	const pre = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n` +
		`Content-Type: application/json\r\n\r\n${JSON.stringify(metadata)}\r\n` +
		`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${opts.name || 'big.pdf'}"\r\n` +
		`Content-Type: ${opts.type || 'application/pdf'}\r\n\r\n`);
	const post = Buffer.from(`\r\n--${boundary}--\r\n`);
	const annexes = (opts.annexes || []).map((a, i) => ({ file: a, head: Buffer.from(`\r\n--${boundary}\r\n` +
		`Content-Disposition: form-data; name="annexe"; filename="annexe-${i + 1}.pdf"\r\n` +
		'Content-Type: application/pdf\r\n\r\n') }));
	const total = pre.length + file.size + post.length +
		annexes.reduce((n, a) => n + a.head.length + a.file.size, 0);
	async function* body() {
		let sent = 0;
		const t0 = Date.now();
		const parts = [[pre], file.chunks()];
		for (const a of annexes)
			parts.push([a.head], a.file.chunks());
		parts.push([post]);
		for (const part of parts) {
			for await (const c of part) {
				yield c;
				sent += c.length;
				if (opts.onProgress)
					opts.onProgress(sent);
				if (opts.throttle) {
					const due = (sent / opts.throttle) * 1000 - (Date.now() - t0);
					if (due > 0)
						await sleep(due);
				}
			}
		}
	}
	return request(url, {
		method: 'POST', path: '/api/v1/documents', body: body(), timeoutMs: opts.timeoutMs || 600000,
		headers: { Authorization: `Bearer ${key}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`,
			'Content-Length': total, ...(opts.headers || {}) },
	});
}

// Reads a download as a stream: resolves {status, headers, size, sha256}.
export function download(url, key, p) {
	return new Promise((resolve, reject) => {
		const u = new URL(p, url);
		http.get({ host: u.hostname, port: u.port, path: u.pathname, agent: false,
			headers: { Authorization: `Bearer ${key}` } }, (res) => {
			const hash = crypto.createHash('sha256');
			let size = 0;
			res.on('data', (d) => { size += d.length; hash.update(d); });
			res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, size,
				sha256: hash.digest('hex') }));
			res.on('error', reject);
		}).on('error', reject);
	});
}

function makeResponse(status, headers, buf, extra = {}) {
	const text = buf.toString();
	let json;
	try { json = text.length ? JSON.parse(text) : undefined; } catch (e) { json = undefined; }
	return { status, headers, body: buf, text, json, ...extra };
}

// A vendor client bound to one API key.
export class Client {
	constructor(url, key) {
		this.url = url;
		this.key = key;
	}

	headers(extra = {}) {
		return this.key ? { Authorization: `Bearer ${this.key}`, ...extra } : { ...extra };
	}

	get(p, headers = {}) {
		return request(this.url, { path: p, headers: this.headers(headers) });
	}

	// JSON request helpers for the person and admin APIs.
	postJson(p, obj, headers = {}) {
		return this.post(p, Buffer.from(JSON.stringify(obj)),
			{ 'Content-Type': 'application/json', ...headers });
	}

	delete(p, headers = {}) {
		return request(this.url, { method: 'DELETE', path: p, headers: this.headers(headers) });
	}

	post(p, body, headers = {}) {
		const h = this.headers(headers);
		if (body !== undefined && Buffer.isBuffer(body) && h['Content-Length'] === undefined)
			h['Content-Length'] = body.length;
		return request(this.url, { method: 'POST', path: p, headers: h, body });
	}

	// POST /api/v1/documents with multipart parts; opts.idempotencyKey, opts.headers.
	postParts(parts, opts = {}) {
		const mp = multipart(parts, opts.boundary);
		const h = { 'Content-Type': mp.contentType, ...(opts.headers || {}) };
		if (opts.idempotencyKey !== undefined)
			h['Idempotency-Key'] = opts.idempotencyKey;
		return this.post('/api/v1/documents', mp.body, h);
	}

	postDocument(metadata, file, annexes = [], opts = {}) {
		return this.postParts(documentParts(metadata, file, annexes), opts);
	}

	// Follows next_cursor; resolves every item and the pages seen.
	async listAll(query = '', limit = 50) {
		const items = [];
		const pages = [];
		let cursor = null;
		for (let i = 0; i < 1000; i++) {
			const q = new URLSearchParams(query);
			q.set('limit', String(limit));
			if (cursor)
				q.set('cursor', cursor);
			const r = await this.get(`/api/v1/documents?${q}`);
			if (r.status !== 200)
				throw new Error(`listing answered ${r.status}: ${r.text}`);
			pages.push(r.json.items.length);
			items.push(...r.json.items);
			cursor = r.json.next_cursor;
			if (cursor === null || cursor === undefined)
				return { items, pages };
		}
		throw new Error('listing never ended');
	}
}

/* ---------------------------------------------------------- assertions */

// Normalises a problem's field ("$.acte.nature", "metadata.acte.nature",
// "/acte/nature", "acte.annexes_types[0]") to "acte.nature".
export function normField(f) {
	if (typeof f !== 'string')
		return f;
	return f.replace(/^\$\.?/, '').replace(/^\//, '').replace(/\//g, '.')
		.replace(/\[(\d+)\]/g, '.$1').replace(/^metadata\./, '');
}

// Checks that r is a problem+json answer with the given status (number or
// list) and, when given, type, field, a detail matching a regexp and a hint.
export function assertProblem(assert, r, { status, field, detail, type, hint } = {}) {
	const statuses = Array.isArray(status) ? status : [status];
	const ctx = `${r.status} ${r.text}`;
	if (status !== undefined)
		assert.ok(statuses.includes(r.status), `status ${statuses.join('|')} expected, got ${ctx}`);
	assert.match(String(r.headers['content-type']), /^application\/problem\+json/,
		`problem+json content type expected, got ${r.headers['content-type']} (${ctx})`);
	assert.ok(r.json && typeof r.json === 'object', `problem body must be JSON: ${ctx}`);
	assert.equal(r.json.status, r.status, `problem status member matches: ${ctx}`);
	assert.match(String(r.json.type), /^urn:liasse:problem:[a-z-]+$/, `problem type: ${ctx}`);
	assert.ok(typeof r.json.title === 'string' && r.json.title.length > 0, `problem title: ${ctx}`);
	if (type)
		assert.equal(r.json.type, `urn:liasse:problem:${type}`, `problem type: ${ctx}`);
	if (field !== undefined) {
		const fields = Array.isArray(field) ? field : [field];
		assert.ok(fields.map(normField).includes(normField(r.json.field)),
			`field ${fields.join('|')} expected, got ${JSON.stringify(r.json.field)}: ${ctx}`);
	}
	if (detail)
		assert.match(`${r.json.detail || ''} ${r.json.title || ''}`, detail, `detail: ${ctx}`);
	if (hint)
		assert.ok(typeof r.json.hint === 'string' && r.json.hint.length > 0, `a hint says what to do: ${ctx}`);
}

// Compares two snapshots (see Harness.snapshot): nothing stored.
export function assertSameCounts(assert, before, after, what = '') {
	assert.deepEqual(after, before, `nothing must be stored${what ? ' (' + what + ')' : ''}`);
}
