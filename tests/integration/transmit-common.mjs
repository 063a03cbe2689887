// Shared by the transmit-*.test.mjs files: a TLS setup for @ctes (a CA, the
// platform's server certificate, liasse's client certificate, the server
// key's pin), the state-platform simulator (contrib/liasse-statesim) on free
// ports, and the connectors of an organisation pointed at it.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { topBuilddir, sleep, isRoot, runUserIds, skip } from '../lib/harness.mjs';

const statesimBin = path.join(topBuilddir, 'contrib', 'liasse-statesim');

export function requireStatesim() {
	if (!fs.existsSync(statesimBin))
		skip(`${statesimBin} not built`);
}

function own(h, p, mode) {
	fs.chmodSync(p, mode);
	if (isRoot) {
		const { uid, gid } = runUserIds();
		fs.chownSync(p, uid, gid);
	}
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, with
// openssl(1).  pin: "sha256//<base64>" of the server's public key.
export function makeTls(h) {
	const dir = path.join(h.tmp, 'tls');
	fs.mkdirSync(dir, { recursive: true });
	const f = (n) => path.join(dir, n);
	const ossl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
	ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
		'-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '30', '-subj', '/CN=Test ministry CA');
	for (const [name, subj, ext] of [
		['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
		['client', '/CN=liasse transmitter', 'extendedKeyUsage=clientAuth\n'],
		['other', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\n'],
	]) {
		fs.writeFileSync(f(`${name}.ext`), ext);
		ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f(`${name}.key`),
			'-out', f(`${name}.csr`), '-subj', subj);
		ossl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
			'-CAcreateserial', '-days', '30', '-out', f(`${name}.pem`), '-extfile', f(`${name}.ext`));
	}
	const pinOf = (pem) => {
		const pub = ossl('x509', '-in', pem, '-pubkey', '-noout');
		const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
		const dg = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der });
		return `sha256//${dg.toString('base64')}`;
	};
	for (const n of fs.readdirSync(dir))
		own(h, f(n), 0o600);
	own(h, dir, 0o700);
	return { dir, ca: f('ca.pem'), cert: f('client.pem'), key: f('client.key'), serverCert: f('server.pem'),
		serverKey: f('server.key'), pin: pinOf(f('server.pem')), otherPin: pinOf(f('other.pem')) };
}

// liasse-statesim on free ports; resolves {helios, actes, imap, control,
// counts(), fault(), actesSend(), reset(), stop(), dir}.
export async function startStatesim(h, { tls, set = {}, pesXsd } = {}) {
	const dir = path.join(h.tmp, 'statesim');
	fs.mkdirSync(dir, { recursive: true });
	const args = ['--dir', dir];
	if (tls)
		args.push('--tls-cert', tls.serverCert, '--tls-key', tls.serverKey, '--tls-ca', tls.ca);
	if (pesXsd)
		args.push('--pes-xsd', pesXsd);
	for (const [k, v] of Object.entries(set))
		args.push('--set', `${k}=${v}`);
	const logf = path.join(h.tmp, 'statesim.log');
	const proc = spawn(statesimBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	const urls = {};
	proc.stderr.on('data', (d) => fs.appendFileSync(logf, d));
	await new Promise((resolve, reject) => {
		let pending = '';
		const timer = setTimeout(() => reject(new Error('statesim did not get ready')), 20000);
		proc.on('exit', (c) => reject(new Error(`statesim exited ${c}: ${fs.readFileSync(logf, 'utf8')}`)));
		proc.stdout.on('data', (d) => {
			pending += d.toString();
			for (const line of pending.split('\n').slice(0, -1)) {
				const [k, v] = line.trim().split(/\s+/);
				if (k === 'ready') {
					clearTimeout(timer);
					resolve();
				} else if (v) {
					urls[k] = v;
				}
			}
			pending = pending.slice(pending.lastIndexOf('\n') + 1);
		});
	});
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	const control = async (method, p) => {
		const r = await fetch(new URL(p, urls.control), { method });
		const text = await r.text();
		let json;
		try { json = JSON.parse(text); } catch (e) { json = undefined; }
		return { status: r.status, text, json };
	};
	return {
		...urls, dir, proc,
		async counts() { return (await control('GET', '/counts')).json; },
		async fault(service, mode, count = 1, seconds) {
			const q = new URLSearchParams({ service, mode, count: String(count) });
			if (seconds !== undefined)
				q.set('seconds', String(seconds));
			const r = await control('POST', `/fault?${q}`);
			if (r.status !== 200 && r.status !== 204)
				throw new Error(`fault ${service} ${mode}: ${r.status} ${r.text}`);
		},
		async actesSend(kind, idacte) {
			return control('POST', `/actes/send?${new URLSearchParams({ kind, idacte })}`);
		},
		async reset() { return control('POST', '/reset'); },
		stop() { try { proc.kill('SIGTERM'); } catch (e) { /* gone */ } },
	};
}

// A file liassed (user liasse when root) may read as a secret.
export function secretFile(h, name, text) {
	const p = path.join(h.tmp, name);
	fs.writeFileSync(p, `${text}\n`, { mode: 0o600 });
	own(h, p, 0o600);
	return p;
}

export async function connectorSet(h, siren, kind, settings) {
	const args = ['connector', 'set', '--org', siren, '--kind', kind];
	for (const [k, v] of Object.entries(settings))
		args.push(`${k}=${v}`);
	return h.mustCli(args);
}

export async function configureHelios(h, siren, sim, extra = {}) {
	return connectorSet(h, siren, 'helios', { url: sim.helios, p_dest: 'DGFIP-TEST', appli: 'GHELPES2',
		...extra });
}

export async function configureActes(h, siren, sim, tls, extra = {}) {
	const pw = secretFile(h, 'imap.pass', 'liasse');
	return connectorSet(h, siren, 'actes', {
		url: `${sim.actes.replace(/\/$/, '')}/`, cert: tls.cert, key: tls.key, cacert: tls.ca, pin: tls.pin,
		trigramme: 'LIA', email: 'actes@saint-essai.example.org', referent_nom: 'Jeanne Secrétaire',
		imap_url: `${sim.imap.replace(/\/$/, '')}/INBOX`, imap_user: 'liasse', imap_password_file: pw,
		...extra });
}

// Polls GET /api/v1/documents/{id} until its state is one of states.
export async function waitState(client, id, states, timeoutMs = 90000) {
	const want = Array.isArray(states) ? states : [states];
	const t0 = Date.now();
	let last;
	while (Date.now() - t0 < timeoutMs) {
		const r = await client.get(`/api/v1/documents/${id}`);
		last = r.json;
		if (r.status === 200 && want.includes(r.json.state))
			return r.json;
		await sleep(250);
	}
	throw new Error(`document ${id} did not reach ${want.join('|')} in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

// The liassed settings that make transmission tests quick.
export const FAST = {
	workers: 2, transmit_poll_interval: '1s', transmit_retry_base: '1s', transmit_retry_cap: '2s',
	transmit_timeout: '8s', transmit_reconcile_wait: '3s', transmit_max_tries: 6,
};
