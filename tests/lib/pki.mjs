// Test PKI helpers: run certs/mkpki.sh into a temporary directory, and start
// the local RFC 3161 (tsa-server.mjs) and OCSP (`openssl ocsp`) responders on
// free loopback ports.  TEST ONLY.
//
//   const pki = await makePki();      // pki.dir, pki.trust, pki.pass, pki.password,
//                                     // pki.signer.{key,pem,p12}, ..., pki.file(name)
//   const tsa = await startTsa(pki);  // { url, stop(), async requests() }
//   const ocsp = await startOcsp(pki);// { url, stop() }
//   await renewCrl(pki, file);        // a CRL issued now
//   ...; await tsa.stop(); await ocsp.stop(); await pki.cleanup();

import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startTsaServer } from "./tsa-server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const srcdir = process.env.top_srcdir || path.resolve(here, "../..");

export const IDENTITIES = ["signer", "signer2", "revoked", "expired", "nonrep",
	"untrusted", "tsa", "ocsp", "root-ca", "inter-ca", "other-ca"];

function execp(cmd, args, opts = {}) {
	return new Promise((resolve, reject) => {
		execFile(cmd, args, { maxBuffer: 1 << 24, ...opts }, (err, stdout, stderr) => {
			if (err) {
				err.message += `\n${stderr}`;
				reject(err);
			} else {
				resolve({ stdout, stderr });
			}
		});
	});
}

// makePki({ dir }) generates the PKI into dir (default: a new temp dir, which
// cleanup() removes).
export async function makePki(options = {}) {
	const own = !options.dir;
	const dir = options.dir || await mkdtemp(path.join(tmpdir(), "liasse-pki-"));
	await execp("sh", [path.join(srcdir, "certs", "mkpki.sh"), dir]);
	const file = (name) => path.join(dir, name);
	const pki = {
		dir,
		file,
		trust: file("trust"),
		chain: file("chain.pem"),
		crl: file("inter-ca.crl"),
		pass: file("signer.pass"),
		password: (await readFile(file("signer.pass"), "utf8")).trim(),
		tsaConfig: file("tsa.cnf"),
		async cleanup() {
			if (own)
				await rm(dir, { recursive: true, force: true });
		},
	};
	for (const id of IDENTITIES)
		pki[id] = { key: file(`${id}.key`), pem: file(`${id}.pem`), p12: file(`${id}.p12`) };
	return pki;
}

// The TSA runs in a child process by default, so that a test blocked in
// spawnSync/execFileSync (e.g. running `liasse sign --tsa`) still gets its
// answer; { inProcess: true } keeps it in this process.  requests() and
// failures() are async: they read GET /stats.
// Issues a fresh CRL of the intermediate CA (thisUpdate = now) into outFile,
// as a CA refreshing its CRL after a signature was made would.
export async function renewCrl(pki, outFile) {
	await execp(process.env.OPENSSL || "openssl", ["ca", "-config", path.join(srcdir, "certs", "openssl.cnf"),
		"-name", "inter_ca", "-batch", "-gencrl", "-out", outFile],
	{ env: { ...process.env, PKI_DIR: pki.dir } });
	return outFile;
}

export async function startTsa(pki, options = {}) {
	if (options.inProcess) {
		const t = await startTsaServer({ config: pki.tsaConfig });
		return { url: t.url, port: t.port, stop: () => t.stop(),
			requests: async () => t.requests, failures: async () => t.failures };
	}
	const child = spawn(process.execPath, [path.join(here, "tsa-server.mjs"), pki.dir],
		{ stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LIASSE_TSA_PARENT: String(process.pid) } });
	let out = "", err = "";
	child.stderr.on("data", (d) => { err += d; });
	let exited = false;
	child.once("exit", () => { exited = true; });
	const kill = () => { if (!exited) child.kill("SIGTERM"); };
	process.once("exit", kill);
	const url = await new Promise((resolve, reject) => {
		child.stdout.on("data", (d) => {
			out += d;
			const m = /^(http:\S+)$/m.exec(out);
			if (m)
				resolve(m[1]);
		});
		child.once("exit", (code) => reject(new Error(`tsa-server exited (${code}): ${err}`)));
	});
	// Do not keep this process alive for the child; "exit" kills it.
	child.unref();
	child.stdout.unref?.();
	child.stderr.unref?.();
	const base = url.replace(/\/tsa$/, "");
	const stats = async () => (await fetch(`${base}/stats`)).json();
	return {
		url,
		pid: child.pid,
		requests: async () => (await stats()).requests,
		failures: async () => (await stats()).failures,
		async stop() {
			process.removeListener("exit", kill);
			if (exited)
				return;
			const done = new Promise((r) => child.once("exit", r));
			child.ref();   // unref'd above: wait for it, or node ends with the promise pending
			child.kill("SIGTERM");
			await done;
		},
	};
}

export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.once("error", reject);
		srv.listen(0, "127.0.0.1", () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

// An `openssl ocsp` responder for the intermediate CA's database, signed by
// the OCSP responder certificate.  Killed by stop() (and on process exit).
// OpenSSL 3.0 cannot bind it to one address: it listens on every interface.
const WATCHDOG = 'p=$1; shift; "$@" & c=$!; trap \'kill $c 2>/dev/null; exit 0\' TERM INT; ' +
	'while kill -0 "$p" 2>/dev/null && kill -0 $c 2>/dev/null; do sleep 0.2; done; kill $c 2>/dev/null';

export async function startOcsp(pki) {
	for (let attempt = 0; attempt < 5; attempt++) {
		const port = await freePort();
		// A shell watchdog ends the responder when this process is gone,
		// even if it is killed before stop() runs.
		const child = spawn("sh", ["-c", WATCHDOG, "sh", String(process.pid),
			process.env.OPENSSL || "openssl", "ocsp",
			"-index", pki.file("db/inter/index.txt"), "-port", String(port),
			"-CA", pki.file("inter-ca.pem"), "-rsigner", pki.ocsp.pem,
			"-rkey", pki.ocsp.key, "-nmin", "60", "-ignore_err"],
			{ stdio: ["ignore", "ignore", "pipe"] });
		let stderr = "";
		child.stderr.on("data", (d) => { stderr += d; });
		let exited = false;
		child.once("exit", () => { exited = true; });
		const kill = () => { if (!exited) child.kill("SIGTERM"); };
		process.once("exit", kill);
		// Probing the port with a connection would wedge the single-threaded
		// responder, so wait for its "waiting for ... connections" line.
		for (let i = 0; i < 200 && !exited; i++) {
			if (/waiting for OCSP client connections/.test(stderr)) {
				return {
					url: `http://127.0.0.1:${port}`,
					port,
					pid: child.pid,
					async stop() {
						process.removeListener("exit", kill);
						if (exited)
							return;
						const done = new Promise((r) => child.once("exit", r));
						child.kill("SIGTERM");
						await done;
					},
				};
			}
			await new Promise((r) => setTimeout(r, 25));
		}
		kill();
		if (!/bind|address/i.test(stderr))
			throw new Error(`openssl ocsp did not start: ${stderr}`);
	}
	throw new Error("openssl ocsp: no free port");
}
