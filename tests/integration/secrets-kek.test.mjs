// Secrets at rest (issue 16, point 4; doc/secrets.md): the officials'
// PIN-wrapped keys, the TOTP secrets and the webhook secrets are sealed in
// the database under a key-encryption key kept outside it.  A pg_dump yields
// none of them with the PIN alone (tests/unit/dump_open tries, as a thief
// would), and all of them with the key; signing works with a file key and a
// SoftHSM2 key; the key is rotated while liassed runs and signs (SIGHUP and
// `liasse secrets reseal`), the old key then removed; a key file with a wide
// mode, a missing key, a key no longer configured and values moved between
// rows are refused with one clear line.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
	newHarness, docMeta, pdfFile, run, sleep, isRoot, RUN_USER, topBuilddir, OFFICIAL_A, OFFICIAL_B, PASSWORD,
} from '../lib/harness.mjs';
import { makePki } from '../lib/pki.mjs';

const h = newHarness('secrets-kek');
const PIN = '4711-pomme';
const OTHER = 'greffier@saint-essai.test';
const dumpOpen = path.join(topBuilddir, 'tests', 'unit', 'dump_open');
const liassedBin = path.join(topBuilddir, 'src', 'liassed');
const liasseBin = path.join(topBuilddir, 'src', 'liasse');
const SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so';
const HSM_DIR = path.join(h.tmp, 'softhsm');
let s, pki, offA, rx, hookSecret, totpB, totpOther, keyA;

// Every liassed and liasse of this file finds the test token (made below).
process.env.SOFTHSM2_CONF = path.join(HSM_DIR, 'softhsm2.conf');

function totp(secretB32, t = Date.now() / 1000) {
	const key = b32(secretB32);
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
	const mac = crypto.createHmac('sha1', key).update(msg).digest();
	const off = mac[mac.length - 1] & 15;
	return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

function b32(s) {
	const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	const bits = [...s].map((c) => abc.indexOf(c).toString(2).padStart(5, '0')).join('');
	return Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
}

function startReceiver() {
	const got = [];
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			got.push({ headers: req.headers, raw: Buffer.concat(chunks) });
			res.end('ok');
		});
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
		url: `http://127.0.0.1:${server.address().port}`, got, close: () => server.close(),
	})));
}

function signedWith(secret, g) {
	const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(g.headers['liasse-signature'] || '');
	return !!m && crypto.createHmac('sha256', secret).update(`${m[1]}.`).update(g.raw).digest('hex') === m[2];
}

async function waitFor(pred, what, ms = 60000) {
	const t0 = Date.now();
	for (;;) {
		const v = await pred();
		if (v)
			return v;
		if (Date.now() - t0 > ms)
			throw new Error(`timed out waiting for ${what}`);
		await sleep(100);
	}
}

// liassed expected to refuse to start; one that starts anyway is stopped
// after 60 s (and the test fails) rather than left running.
function runLiassed(args) {
	return run(liassedBin, args, { timeout: 60000, killSignal: 'SIGKILL' });
}

// The CLI as the user liassed runs as (the token's files stay its own).
function cliAs(args, conf, input) {
	const cmd = isRoot ? ['runuser', ['-u', RUN_USER, '--', liasseBin, '-c', conf, ...args]]
		: [liasseBin, ['-c', conf, ...args]];
	return run(cmd[0], cmd[1], { input });
}

async function signOne(title) {
	const r = await s.a.postDocument(docMeta(s.orgA, { title }), pdfFile(2500, `${title}.pdf`));
	assert.equal(r.status, 201, r.text);
	const t0 = process.hrtime.bigint();
	const sg = await offA.postJson('/api/v1/queue/sign', { documents: [r.json.id], pin: PIN });
	const ms = Number(process.hrtime.bigint() - t0) / 1e6;
	assert.equal(sg.status, 200, sg.text);
	assert.equal(sg.json.results[0].status, 'signed', sg.text);
	return ms;
}

// Rewrites liassed's configuration, SIGHUP, and waits for the reload.
async function reload(values) {
	const n = (s.d.logs().match(/configuration reloaded/g) || []).length;
	// null: the key set empty (a line left out would keep its value at a reload)
	fs.writeFileSync(s.d.conf, Object.entries({ ...baseConf(), ...values })
		.map(([k, v]) => `${k} = ${v ?? ''}`).join('\n') + '\n');
	process.kill(s.d.pid, 'SIGHUP');
	await waitFor(() => (s.d.logs().match(/configuration reloaded|reload: the key-encryption/g) || []).length > n,
		'the reload');
	assert.doesNotMatch(s.d.logs().split('\n').slice(-5).join('\n'), /reload: the key-encryption/);
}

let conf0;
function baseConf() {
	if (!conf0)
		conf0 = Object.fromEntries(fs.readFileSync(s.d.conf, 'utf8').trim().split('\n')
			.map((l) => l.split(' = ')));
	return conf0;
}

function newKeyFile(name) {
	const f = path.join(h.tmp, name);
	fs.writeFileSync(f, crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
	h.chownRunUser(f);
	return f;
}

// The rows of one table in a plain pg_dump: [{column: text}].
function dumpRows(dump, table) {
	const m = new RegExp(`^COPY public\\.${table} \\(([^)]*)\\) FROM stdin;\\n([\\s\\S]*?)^\\\\\\.$`, 'm').exec(dump);
	assert.ok(m, `${table} in the dump`);
	const cols = m[1].split(', ');
	return m[2].split('\n').filter(Boolean).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v])));
}

const hexOf = (bytea) => bytea.replace(/^\\\\x/, '');

before(async () => {
	s = await h.setup({ webhook_allow_private: 'yes' });
	pki = await makePki();
	await h.mustCli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' });
	await h.mustCli(['person', 'passwd', OFFICIAL_B], { input: PASSWORD + '\n' });
	await h.person({ email: OTHER, name: 'Gaston Greffier', password: PASSWORD });
	const imp = await h.mustCli(['cert', 'import', OFFICIAL_A, pki.signer.p12], { input: pki.password + '\n' });
	await h.mustCli(['cert', 'enrol', OFFICIAL_A], { input: `${imp.stdout.trim()}\n${PIN}\n` });
	offA = await s.d.login(OFFICIAL_A);
	rx = await startReceiver();
	const w = await h.mustCli(['webhook', 'add', '--client', 'vendor-a', '--url', `${rx.url}/hook`],
		{ config: h.writeConfig({ database: h.pg.conninfo, webhook_allow_private: 'yes' }) });
	hookSecret = w.stdout.trim();
	totpB = /secret=([A-Z2-7]+)/.exec((await h.mustCli(['person', 'totp', OFFICIAL_B])).stdout)[1];
	totpOther = /secret=([A-Z2-7]+)/.exec((await h.mustCli(['person', 'totp', OTHER])).stdout)[1];
	keyA = h.kekFile();
});
after(async () => {
	if (rx)
		rx.close();
	await h.stopAll();
});

describe('a database dump', () => {
	let dump, cert, personB, hook;
	before(async () => {
		dump = await h.pgDump();
		[cert] = dumpRows(dump, 'certificate');
		personB = dumpRows(dump, 'person').find((p) => p.email === OFFICIAL_B);
		hook = dumpRows(dump, 'webhook')[0];
	});

	test('holds every secret sealed, none in clear', async () => {
		assert.match(cert.key_blob, /^\\\\x4c4b5331/, 'the key blob starts with LKS1');
		assert.match(personB.totp_secret, /^\\\\x4c4b5331/);
		assert.match(hook.secret, /^lks1:/);
		assert.ok(!dump.includes(hookSecret), 'the webhook secret is not in the dump');
		assert.ok(!dump.includes(b32(totpB).toString('hex')), 'the TOTP secret is not in the dump');
		assert.ok(!dump.includes(hookSecret.slice(6)));
		const st = await h.mustCli(['secrets', 'status']);
		assert.match(st.stdout, /^in clear\t0$/m);
		assert.match(st.stdout, /^sealed under the current key\t4$/m, st.stdout);
	});

	test('with the PIN alone no key unwraps; with the key-encryption key and the PIN it does', async () => {
		const args = ['--value', hexOf(cert.key_blob), '--context', `certificate.key_blob:${hexOf(cert.cert_sha256)}`,
			'--pin', PIN, '--cert-sha256', hexOf(cert.cert_sha256)];
		// the thief's try: the dumped blob unwrapped under the right PIN
		const thief = await run(dumpOpen, ['--value', hexOf(cert.key_blob), '--pin', PIN,
			'--cert-sha256', hexOf(cert.cert_sha256)]);
		assert.equal(thief.code, 1, thief.stdout + thief.stderr);
		assert.match(thief.stderr, /sealed under the key-encryption key [0-9a-f]{16}, which is not configured/);
		const wrong = await run(dumpOpen, [...args, '--kek', newKeyFile('other.key')]);
		assert.equal(wrong.code, 1);
		assert.match(wrong.stderr, /not configured/);
		const owner = await run(dumpOpen, [...args, '--kek', keyA]);
		assert.equal(owner.code, 0, owner.stderr);
		assert.equal(owner.stdout.trim(), 'unwrapped');
		const badPin = await run(dumpOpen, [...args.slice(0, 4), '--pin', '0000-faux', '--cert-sha256',
			hexOf(cert.cert_sha256), '--kek', keyA]);
		assert.equal(badPin.code, 1, 'the PIN still protects the key');
	});

	test('the TOTP and webhook secrets open with the key only', async () => {
		const t = ['--value', hexOf(personB.totp_secret), '--context', `person.totp_secret:${personB.id}`];
		assert.equal((await run(dumpOpen, t)).code, 1);
		const ok = await run(dumpOpen, [...t, '--kek', keyA]);
		assert.equal(ok.stdout.trim(), b32(totpB).toString('hex'), ok.stderr);
		const raw = Buffer.from(hook.secret.slice(5), 'base64').toString('hex');
		const w = ['--value', raw, '--context', `webhook.secret:${hook.id}`];
		assert.equal((await run(dumpOpen, w)).code, 1);
		const wok = await run(dumpOpen, [...w, '--kek', keyA]);
		assert.equal(Buffer.from(wok.stdout.trim(), 'hex').toString(), hookSecret, wok.stderr);
	});
});

describe('liassed with a file key', () => {
	test('signs, checks TOTP codes and signs webhook deliveries', async (t) => {
		const ms = await signOne('Avant rotation');
		t.diagnostic(`one signature with a file key: ${ms.toFixed(0)} ms`);
		const c = await s.d.login(OFFICIAL_B, PASSWORD, totp(totpB));
		assert.ok(c);
		await waitFor(() => rx.got.length > 0, 'a webhook delivery');
		assert.ok(rx.got.every((g) => signedWith(hookSecret, g)), 'deliveries signed with the secret');
	});

	test('a sealed value moved to another row does not open', async () => {
		const saved = await h.psql(`SELECT encode(totp_secret, 'hex') FROM person WHERE email = '${OFFICIAL_B}'`);
		await h.psql(`UPDATE person SET totp_secret = (SELECT totp_secret FROM person WHERE email = '${OTHER}')
			WHERE email = '${OFFICIAL_B}'`);
		// the other person's secret, and the code it gives, do not log in as B
		await assert.rejects(s.d.login(OFFICIAL_B, PASSWORD, totp(totpOther)), /500/);
		await assert.rejects(s.d.login(OFFICIAL_B, PASSWORD, totp(totpB)), /500/);
		const id = await h.psql(`SELECT id FROM person WHERE email = '${OFFICIAL_B}'`);
		assert.match(s.d.logs(), new RegExp(`a sealed secret does not open \\(person\\.totp_secret:${id}\\):` +
			' altered, or moved from another row'));
		// a re-seal under a new key names it and leaves it as it is
		const cli = h.writeConfig({ database: h.pg.conninfo, kek_file: newKeyFile('swap.key'), kek_previous_files: keyA });
		const r = await h.cli(['secrets', 'reseal'], { config: cli });
		assert.equal(r.code, 1);
		assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
		assert.match(r.stderr, new RegExp(`could not be opened; the first: person\\.totp_secret of row ${id}`));
		await h.psql(`UPDATE person SET totp_secret = decode('${saved}', 'hex') WHERE email = '${OFFICIAL_B}'`);
		// back under A: the re-seal above moved the rest under swap.key, which stays readable
		const back = await h.cli(['secrets', 'reseal'], { config: h.writeConfig({ database: h.pg.conninfo,
			kek_file: keyA, kek_previous_files: path.join(h.tmp, 'swap.key') }) });
		assert.equal(back.code, 0, back.stderr);
		await h.psql(`UPDATE person SET totp_secret = decode('${saved}', 'hex') WHERE email = '${OFFICIAL_B}'`);
		assert.ok(await s.d.login(OFFICIAL_B, PASSWORD, totp(totpB)));
	});
});

describe('secrets_require_sealed', () => {
	test('a value written back in clear by SQL: accepted without the option, refused with it, sealed by reseal', async () => {
		const id = await h.psql(`SELECT id FROM person WHERE email = '${OFFICIAL_B}'`);
		const clear = b32(totpB).toString('hex');
		await h.psql(`UPDATE person SET totp_secret = decode('${clear}', 'hex') WHERE id = ${id}`);
		const cli = h.writeConfig({ database: h.pg.conninfo, kek_file: keyA, secrets_require_sealed: 'yes' });
		const st = await h.cli(['secrets', 'status'], { config: cli });
		assert.equal(st.code, 0, st.stderr);
		assert.match(st.stdout, /^in clear\t1$/m, st.stdout);
		assert.match(st.stdout, /^values in clear refused\tyes$/m, st.stdout);
		// without the option (the default): read in clear, as before sealing
		assert.ok(await s.d.login(OFFICIAL_B, PASSWORD, totp(totpB)));
		await reload({ secrets_require_sealed: 'yes' });
		await assert.rejects(s.d.login(OFFICIAL_B, PASSWORD, totp(totpB)), /500/);
		// the log line follows the answer: waited for, not read at once
		await waitFor(() => new RegExp(`the value of person\\.totp_secret in row ${id} is in clear: refused`)
			.test(s.d.logs()), 'the refusal of the TOTP secret in clear, logged');
		const logs = s.d.logs();
		assert.ok(!logs.includes(clear) && !logs.includes(totpB), 'the value is not logged');
		// the reseal still reads it, and seals it: then it is used again
		const r = await h.cli(['secrets', 'reseal'], { config: cli });
		assert.equal(r.code, 0, r.stderr);
		assert.match(r.stdout, /^1 secret\(s\) sealed under the current key/m, r.stdout);
		assert.match(await h.psql(`SELECT encode(totp_secret, 'hex') FROM person WHERE id = ${id}`), /^4c4b5331/);
		assert.ok(await s.d.login(OFFICIAL_B, PASSWORD, totp(totpB)));
		// a text column too: the webhook's secret in clear stops its deliveries, naming the row
		const hookId = await h.psql('SELECT min(id) FROM webhook');
		const sealed = await h.psql(`SELECT secret FROM webhook WHERE id = ${hookId}`);
		await h.psql(`UPDATE webhook SET secret = '${hookSecret}' WHERE id = ${hookId}`);
		const n = rx.got.length;
		await s.a.postDocument(docMeta(s.orgA, { title: 'Webhook en clair' }), pdfFile(1200, 'c.pdf'));
		await waitFor(() => new RegExp(`the value of webhook\\.secret in row ${hookId} is in clear: refused`)
			.test(s.d.logs()), 'the refusal of the webhook secret in clear');
		assert.ok(!s.d.logs().includes(hookSecret), 'the value is not logged');
		await h.psql(`UPDATE webhook SET secret = '${sealed}' WHERE id = ${hookId}`);
		await h.psql("UPDATE job SET run_at = now() WHERE kind = 'webhook' AND done_at IS NULL");
		await waitFor(() => rx.got.length > n, 'the delivery once the secret is sealed again');
		assert.ok(rx.got.slice(n).every((g) => signedWith(hookSecret, g)));
		await reload({ secrets_require_sealed: 'no' });
	});

	test('the option without a current key is refused at start, naming it', async () => {
		const r = await runLiassed(['-c', h.writeConfig({ listen_port: 0, database: h.pg.conninfo,
			...(isRoot ? { user: RUN_USER } : {}), kek_file: null, secrets_require_sealed: 'yes' })]);
		assert.notEqual(r.code, 0);
		assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
		assert.match(r.stderr, /secrets_require_sealed is on but no current key-encryption key is configured/);
	});
});

describe('refusals', () => {
	const daemonConf = (v) => h.writeConfig({ listen_port: 0, database: h.pg.conninfo,
		...(isRoot ? { user: RUN_USER } : {}), ...v });

	test('a key file readable by others: one line, non-zero exit (liassed and liasse)', async () => {
		const wide = newKeyFile('wide.key');
		fs.chmodSync(wide, 0o644);
		const r = await runLiassed(['-c', daemonConf({ kek_file: wide })]);
		assert.notEqual(r.code, 0);
		assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
		assert.match(r.stderr, /key-encryption key file .*wide\.key has mode 644: it must be 0600/);
		const c = await h.cli(['secrets', 'status'], { config: h.writeConfig({ database: h.pg.conninfo, kek_file: wide }) });
		assert.equal(c.code, 1);
		assert.match(c.stderr, /^liasse: .*mode 644/);
		const gone = await runLiassed(['-c', daemonConf({ kek_file: path.join(h.tmp, 'none.key') })]);
		assert.notEqual(gone.code, 0);
		assert.match(gone.stderr, /cannot open the key-encryption key file/);
	});

	test('sealed data and no key, or not its key: liassed refuses to start', async () => {
		const none = await runLiassed(['-c', daemonConf({ kek_file: null })]);
		assert.notEqual(none.code, 0);
		assert.equal(none.stderr.trim().split('\n').length, 1, none.stderr);
		assert.match(none.stderr, /the database holds 4 sealed secret\(s\) and no key-encryption key is configured/);
		const other = await runLiassed(['-c', daemonConf({ kek_file: newKeyFile('stranger.key') })]);
		assert.notEqual(other.code, 0);
		assert.match(other.stderr, /4 secret\(s\) in the database are sealed under the key-encryption key [0-9a-f]{16}, which is not configured/);
	});
});

describe('rotation while liassed runs', () => {
	test('file key A -> file key B: documents signed before, during and after; A removed', async (t) => {
		// secrets written before sealing existed: 300 TOTP secrets in clear
		await h.psql(`INSERT INTO person (email, name, totp_secret) SELECT 'ancien' || g || '@saint-essai.test',
			'Ancien ' || g, decode(md5(g::text) || 'a1b2c3d4', 'hex') FROM generate_series(1, 300) g`);
		const keyB = newKeyFile('kek-b.key');
		await signOne('Avant');
		await reload({ kek_previous_files: keyB });                      // 1. B readable everywhere
		await reload({ kek_file: keyB, kek_previous_files: keyA });      // 2. B current, A readable
		const cli = h.writeConfig({ database: h.pg.conninfo, kek_file: keyB, kek_previous_files: keyA });
		let done = false, during = 0;
		const reseal = cliAs(['secrets', 'reseal', '--batch', '1'], cli).then((r) => { done = true; return r; });
		while (!done || during === 0) {
			await signOne(`Pendant ${during}`);
			during++;
		}
		const r = await reseal;
		assert.equal(r.code, 0, r.stderr);
		assert.match(r.stdout, /^30[4-9] secret\(s\) sealed under the current key/m, r.stdout);
		assert.ok(during >= 1);
		t.diagnostic(`${during} signature(s) during the reseal: ${r.stdout.trim()}`);
		const st = await cliAs(['secrets', 'status'], cli);
		assert.match(st.stdout, /^sealed under a previous key\t0$/m, st.stdout);
		assert.match(st.stdout, /^in clear\t0$/m);
		await reload({ kek_file: keyB, kek_previous_files: null });      // 3. A removed
		await signOne('Après');
		assert.ok(await s.d.login(OFFICIAL_B, PASSWORD, totp(totpB)));
		const n = rx.got.length;
		await s.a.postDocument(docMeta(s.orgA, { title: 'Webhook après' }), pdfFile(1200, 'w.pdf'));
		await waitFor(() => rx.got.length > n, 'a delivery after the rotation');
		assert.ok(rx.got.slice(n).every((g) => signedWith(hookSecret, g)));
		const old = await runLiassed(['-c', h.writeConfig({ listen_port: 0, database: h.pg.conninfo,
			...(isRoot ? { user: RUN_USER } : {}), kek_file: keyA })]);
		assert.notEqual(old.code, 0, 'key A alone no longer opens anything');
		assert.match(old.stderr, /sealed under the key-encryption key/);
		conf0 = { ...baseConf(), kek_file: keyB };
	});
});

describe('a key-encryption key on a PKCS#11 token (SoftHSM2)', () => {
	test('file key -> SoftHSM2 key while liassed runs; signing works; the file key removed', async (t) => {
		if (!fs.existsSync(SOFTHSM)) {
			t.skip(`${SOFTHSM} absent`);
			return;
		}
		const dir = HSM_DIR;
		fs.mkdirSync(path.join(dir, 'tokens'), { recursive: true });
		fs.writeFileSync(path.join(dir, 'softhsm2.conf'),
			`directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`);
		let r = await run('softhsm2-util', ['--init-token', '--free', '--label', 'liasse', '--pin', '123456',
			'--so-pin', '654321']);
		assert.equal(r.code, 0, r.stderr);
		r = await run('pkcs11-tool', ['--module', SOFTHSM, '--token-label', 'liasse', '--login', '--pin', '123456',
			'--keygen', '--key-type', 'AES:32', '--label', 'kek-hsm-1']);
		assert.equal(r.code, 0, r.stderr + r.stdout);
		const pin = path.join(dir, 'pin');
		fs.writeFileSync(pin, '123456\n', { mode: 0o600 });
		if (isRoot)
			await run('chown', ['-R', RUN_USER, dir]);
		const keyB = baseConf().kek_file;
		const token = { kek_pkcs11_module: SOFTHSM, kek_pkcs11_token: 'liasse', kek_pkcs11_pin_file: pin };
		await signOne('Avant HSM');
		await reload({ kek_file: null, ...token, kek_pkcs11_key: 'kek-hsm-1', kek_previous_files: keyB });
		const cli = h.writeConfig({ database: h.pg.conninfo, kek_file: null, ...token, kek_pkcs11_key: 'kek-hsm-1',
			kek_previous_files: keyB });
		const t0 = Date.now();
		r = await cliAs(['secrets', 'reseal', '--batch', '50'], cli);
		assert.equal(r.code, 0, r.stderr);
		t.diagnostic(`reseal under the token: ${r.stdout.trim()} in ${Date.now() - t0} ms`);
		await reload({ kek_file: null, ...token, kek_pkcs11_key: 'kek-hsm-1', kek_previous_files: null });
		const ms = await signOne('Après HSM');
		t.diagnostic(`one signature with a SoftHSM2 key: ${ms.toFixed(0)} ms`);
		assert.ok(await s.d.login(OFFICIAL_B, PASSWORD, totp(totpB)));
		assert.doesNotMatch(s.d.logs(), /is extractable/);
		const st = await cliAs(['secrets', 'status'], h.writeConfig({ database: h.pg.conninfo, kek_file: null,
			...token, kek_pkcs11_key: 'kek-hsm-1' }));
		assert.match(st.stdout, /^sealed under a previous key\t0$/m, st.stdout + st.stderr);
		assert.match(st.stdout, /^in clear\t0$/m);
		// the dump now opens with neither file key
		const dump = await h.pgDump();
		const [cert] = dumpRows(dump, 'certificate');
		const o = await run(dumpOpen, ['--value', hexOf(cert.key_blob), '--context',
			`certificate.key_blob:${hexOf(cert.cert_sha256)}`, '--kek', keyB]);
		assert.equal(o.code, 1);
	});
});
