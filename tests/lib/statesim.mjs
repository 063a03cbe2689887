// Starts contrib/liasse-statesim (the state platforms on loopback) for a
// test and drives its control interface.  Node 18 compatible.
//
//   const sim = await startStatesim({ dir, args: ['--set', 'helios.user=u'] });
//   sim.urls.helios      'ftp://127.0.0.1:PORT/'   (also actes, imap, control)
//   await sim.fault('helios', 'refuse', { count: 1 });
//   (await sim.counts()).helios?.['PESALR2_…xml'] === 1
//   await sim.stop();    // SIGTERM, resolves with the exit code
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { topBuilddir, fixturesDir } from './harness.mjs';

export const statesimBin = path.join(topBuilddir, 'contrib', 'liasse-statesim');

// Simulators still running when the test process exits are killed.
const live = new Set();
process.on('exit', () => {
	for (const p of live) {
		try { p.kill('SIGKILL'); } catch (e) { /* gone */ }
	}
});

export function statesimBuilt() {
	return fs.existsSync(statesimBin);
}

// Reads "<service> <url>" lines until "ready"; rejects if it exits first.
export function startStatesim({ dir, args = [], env = {}, timeoutMs = 15000 }) {
	fs.mkdirSync(dir, { recursive: true });
	const log = fs.openSync(path.join(dir, 'statesim.log'), 'a');
	const proc = spawn(statesimBin, ['--dir', dir, ...args], {
		env: { ...process.env, LIASSE_FIXTURES: fixturesDir, ...env },
		stdio: ['ignore', 'pipe', log],
	});
	const urls = {};
	let exited = null;
	live.add(proc);
	const exitP = new Promise((resolve) => proc.on('exit', (code, sig) => {
		live.delete(proc);
		exited = code ?? sig;
		resolve(exited);
	}));
	return new Promise((resolve, reject) => {
		let buf = '';
		const timer = setTimeout(() => {
			proc.kill('SIGKILL');
			reject(new Error(`liasse-statesim not ready after ${timeoutMs} ms (see ${dir}/statesim.log)`));
		}, timeoutMs);
		proc.stdout.on('data', (d) => {
			buf += d.toString();
			let nl;
			while ((nl = buf.indexOf('\n')) >= 0) {
				const line = buf.slice(0, nl).trim();
				buf = buf.slice(nl + 1);
				if (line === 'ready') {
					clearTimeout(timer);
					resolve(handle(proc, urls, exitP, () => exited));
					return;
				}
				const [svc, url] = line.split(' ');
				if (svc && url)
					urls[svc] = url;
			}
		});
		exitP.then((code) => {
			clearTimeout(timer);
			reject(new Error(`liasse-statesim exited (${code}) before ready: ` +
				fs.readFileSync(path.join(dir, 'statesim.log'), 'utf8').slice(-2000)));
		});
	});
}

function handle(proc, urls, exitP, exited) {
	const control = async (method, route) => {
		const r = await fetch(urls.control + route, { method });
		const body = await r.json();
		if (!r.ok)
			throw Object.assign(new Error(`statesim ${route}: ${r.status} ${JSON.stringify(body)}`),
				{ status: r.status, body });
		return body;
	};
	return {
		proc,
		urls,
		port: (svc) => Number(new URL(urls[svc]).port),
		counts: () => control('GET', 'counts'),
		reset: () => control('POST', 'reset'),
		// when: 'after' carries the operation out, then withholds the reply
		// (hang) or cuts the connection (cut).
		fault: (service, mode, { count = 1, seconds, when } = {}) =>
			control('POST', `fault?service=${service}&mode=${mode}&count=${count}` +
				(seconds === undefined ? '' : `&seconds=${seconds}`) +
				(when === undefined ? '' : `&when=${when}`)),
		actesSend: (kind, idacte) =>
			control('POST', `actes/send?kind=${encodeURIComponent(kind)}&idacte=${encodeURIComponent(idacte)}`),
		async stop(signal = 'SIGTERM') {
			if (exited() === null)
				proc.kill(signal);
			return exitP;
		},
	};
}
