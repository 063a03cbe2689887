// contrib/run-demo, as the README runs it but without a terminal: it sets up
// the demo (PostgreSQL, simulator, seed, test PKI) with the binaries already
// built (LIASSE_DEMO_NO_BUILD=1), POST /api/v1/verify checks a signature
// against the demo CA (trust_dir), and Ctrl-C (SIGINT to its process group)
// stops liassed, the simulator and the demo's PostgreSQL: none of its
// processes remains.  Needs a build in the source tree (run-demo uses
// src/liasse and src/liassed next to it).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { newHarness, topSrcdir, topBuilddir, skip, multipart, request, sleep, fixture } from '../lib/harness.mjs';

if (fs.realpathSync(topSrcdir) !== fs.realpathSync(topBuilddir))
	skip('contrib/run-demo runs the binaries of the source tree; this is a VPATH build');

const h = newHarness('run-demo');

// The promise's value, or 'timeout' after ms (the timer does not keep node alive).
function within(promise, ms) {
	let t;
	const timeout = new Promise((resolve) => { t = setTimeout(() => resolve('timeout'), ms); });
	return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}

const data = path.join(h.tmp, 'demo');

function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer().listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
		srv.on('error', reject);
	});
}

// Processes whose command line names the demo's directory (postgres -D,
// liasse-statesim --dir, liassed -c).
function demoProcesses() {
	const found = [];
	for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
		let cmd;
		try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { continue; }
		if (cmd.includes(data) && Number(pid) !== process.pid)
			found.push(`${pid}: ${cmd}`);
	}
	return found;
}

// The demo's circuit (doc/circuits.md): the DGS logs in with the mayor's
// password, the circuit "deliberation" (visa by the DGS, then the mayor's
// signature) takes délibérations, and the mayor's certificate bears her name.
async function demoCircuit(url, key) {
	const login = async (email) => {
		const r = await request(url, { method: 'POST', path: '/api/v1/session',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ email, password: 'demo-liasse-2026' }) });
		assert.equal(r.status, 201, `${email}: ${r.text}`);
		return { Authorization: `Bearer ${r.json.token}` };
	};
	const dgs = await login('dgs@saint-eloi.demo');
	const admin = await login('admin@opsn.demo');
	const maire = await login('maire@saint-eloi.demo');
	const c = await request(url, { path: '/api/v1/admin/circuits?organisation=214500999', headers: admin });
	assert.equal(c.status, 200, c.text);
	assert.deepEqual(c.json.map((x) => [x.name, x.steps.map((st) => [st.action, st.resolves_to.email]),
		x.routing]), [['deliberation', [['visa', 'dgs@saint-eloi.demo'], ['signature', 'maire@saint-eloi.demo']],
		[{ kind: 'acte', nature: 1 }]]]);
	const meta = { kind: 'acte', organisation: '214500999', title: 'Tarifs de la cantine', sign: true,
		transmit: false, acte: { nature: 1, numero_interne: 'DEMO_CIRC_1', objet: 'Tarifs de la cantine',
			date_decision: new Date().toISOString().slice(0, 10), classification: '7.1' } };
	const mp = multipart([{ name: 'metadata', type: 'application/json', data: JSON.stringify(meta) },
		{ name: 'file', filename: 'deliberation.pdf', type: 'application/pdf',
			data: fs.readFileSync(path.join(topSrcdir, 'contrib', 'samples', 'deliberation-demo.pdf')) }]);
	const d = await request(url, { method: 'POST', path: '/api/v1/documents',
		headers: { Authorization: `Bearer ${key}`, 'Content-Type': mp.contentType }, body: mp.body });
	assert.equal(d.status, 201, d.text);
	assert.deepEqual([d.json.circuit.name, d.json.circuit.action, d.json.assigned_to.email],
		['deliberation', 'visa', 'dgs@saint-eloi.demo']);
	const q = await request(url, { path: '/api/v1/queue', headers: dgs });
	assert.ok(q.json.items.some((x) => x.id === d.json.id), 'the délibération waits for the DGS\'s visa');
	const me = await request(url, { path: '/api/v1/me', headers: maire });
	const cert = await request(url, { path: '/api/v1/me/certificate', headers: maire });
	assert.equal(cert.status, 200, cert.text);
	assert.ok(cert.text.includes(`CN=${me.json.name}`), `the mayor's certificate bears her name (${me.json.name}): ${cert.text}`);
}

describe('contrib/run-demo', () => {
	let demo, out = '';

	after(() => {
		if (demo && demo.exitCode === null && demo.signalCode === null)
			try { process.kill(-demo.pid, 'SIGKILL'); } catch { /* gone */ }
		spawnSync(path.join(topSrcdir, 'contrib', 'pgtmp'), ['stop', data]);
	});

	it('sets up, verifies a signature with the demo CA, and Ctrl-C stops everything', async () => {
		const port = await freePort();
		demo = spawn('sh', [path.join(topSrcdir, 'contrib', 'run-demo')], {
			detached: true,		// its own process group, as in a terminal
			stdio: ['ignore', 'pipe', 'pipe'],
			env: { ...process.env, LIASSE_DEMO_NO_BUILD: '1', LIASSE_DEMO_DIR: data, LIASSE_DEMO_PORT: String(port) },
		});
		const exited = new Promise((resolve) => demo.on('exit', (code, signal) => resolve({ code, signal })));
		demo.stdout.on('data', (d) => { out += d; });
		demo.stderr.on('data', (d) => { out += d; });
		const t0 = Date.now();
		while (!/listening on http/.test(out)) {
			assert.ok(Date.now() - t0 < 90000, `run-demo did not start liassed within 90 s:\n${out}`);
			assert.equal(demo.exitCode, null, `run-demo exited:\n${out}`);
			await sleep(200);
		}
		for (const step of ['starting a private PostgreSQL', 'starting the state-platform simulator',
			'making the demo\'s test PKI', 'migrating the database', 'seeding the demo'])
			assert.ok(out.includes(`run-demo: ${step}`), `progress message "${step}" in:\n${out}`);

		// The official PES schema, when the fixtures have it (issue 12, point 7).
		const conf = path.join(data, 'liasse.conf');
		const xsd = fixture('parapheur-v5/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd');
		if (xsd) {
			assert.match(fs.readFileSync(conf, 'utf8'), /^pes_xsd = \/.*\/PES_V2\/Rev0\/PES_Aller\.xsd$/m);
			assert.ok(out.includes('PES schema loaded from'), `liassed loads the PES schema:\n${out}`);
		}

		// A PES signed with the mayor's test certificate, verified by liassed.
		const signed = path.join(h.tmp, 'pes-signed.xml');
		const sg = spawnSync(path.join(topBuilddir, 'src', 'liasse'), ['-c', conf, 'sign', '--profile', 'pes',
			'--p12', path.join(data, 'pki', 'signer.p12'), '--pass-file', path.join(data, 'pki', 'signer.pass'),
			path.join(topSrcdir, 'contrib', 'samples', 'pes-demo.xml'), signed], { encoding: 'utf8' });
		assert.equal(sg.status, 0, sg.stderr);
		const key = fs.readFileSync(path.join(data, 'demo-vendor.key'), 'utf8').trim();
		const mp = multipart([{ name: 'file', filename: 'pes.xml', type: 'application/xml', data: fs.readFileSync(signed) }]);
		const r = await request(`http://127.0.0.1:${port}`, { method: 'POST', path: '/api/v1/verify',
			headers: { Authorization: `Bearer ${key}`, 'Content-Type': mp.contentType }, body: mp.body });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.valid, true, r.text);
		assert.ok(r.json.checks.some((c) => c.id === 'chain' && c.ok), r.text);

		// i-Parapheur's WSDL, served with the demo's own address, when the fixtures have it.
		if (fixture('iparapheur-ws/iparapheur.wsdl')) {
			const w = await request(`http://127.0.0.1:${port}`, { path: '/ws-iparapheur?wsdl' });
			assert.equal(w.status, 200, w.text);
			assert.match(w.text, new RegExp(`soap:address location="http://127\\.0\\.0\\.1:${port}/ws-iparapheur"`));
		}
		await demoCircuit(`http://127.0.0.1:${port}`, key);
		// Its secrets are sealed under a 0600 key-encryption key file (doc/secrets.md).
		const kek = path.join(data, 'kek.key');
		assert.ok(out.includes('run-demo: making the key-encryption key'), out);
		assert.equal(fs.statSync(kek).mode & 0o777, 0o600);
		assert.match(fs.readFileSync(conf, 'utf8'), new RegExp(`^kek_file = ${kek}$`, 'm'));
		const ss = spawnSync(path.join(topBuilddir, 'src', 'liasse'), ['-c', conf, 'secrets', 'status'],
			{ encoding: 'utf8' });
		assert.equal(ss.status, 0, ss.stderr);
		assert.match(ss.stdout, /^current key\t[0-9a-f]{16}$/m, ss.stdout);
		assert.match(ss.stdout, /^in clear\t0$/m, ss.stdout);

		assert.ok(demoProcesses().some((p) => /postgres/.test(p)), 'the demo\'s PostgreSQL runs');
		process.kill(-demo.pid, 'SIGINT');	// Ctrl-C
		const st = await within(exited, 60000);
		assert.notEqual(st, 'timeout', `run-demo still running 60 s after Ctrl-C:\n${out}`);
		assert.ok(out.includes('run-demo: stopping the demo\'s PostgreSQL'), out);
		let left = demoProcesses();
		for (let i = 0; i < 25 && left.length; i++) {
			await sleep(200);
			left = demoProcesses();
		}
		assert.deepEqual(left, [], 'no process of the demo remains');
		assert.ok(!fs.existsSync(path.join(data, 'pg', 'postmaster.pid')), 'PostgreSQL stopped cleanly');
	});
});
