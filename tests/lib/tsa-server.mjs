// A minimal RFC 3161 time-stamping authority over HTTP for tests: each POST of
// an application/timestamp-query is answered by `openssl ts -reply` with the
// test TSA of certs/mkpki.sh.  TEST ONLY.
//
//   import { startTsaServer } from "./tsa-server.mjs";
//   const tsa = await startTsaServer({ config: pki.file("tsa.cnf") });
//   ... tsa.url, tsa.requests ... ; await tsa.stop();
//
// Misbehaving modes, by URL path: URL + "/wrong-nonce" (a token for the same
// imprint with another nonce), "/wrong-imprint" (a token for other data),
// "/error" (HTTP 500), "/garbage" (200 with a reply that is not a token).
//
// CLI: node tests/lib/tsa-server.mjs PKIDIR   (prints the URL, runs until killed,
// or until the process LIASSE_TSA_PARENT names is gone)
// GET /stats answers {"requests":N,"failures":N}.

import http from "node:http";
import { execFile } from "node:child_process";
import { mkdtemp, writeFile, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createHash } from "node:crypto";

const MAX_QUERY = 64 * 1024;

function run(cmd, args) {
	return new Promise((resolve, reject) => {
		execFile(cmd, args, { encoding: "buffer" }, (err, stdout, stderr) => {
			if (err) {
				err.message += ": " + stderr.toString();
				reject(err);
			} else {
				resolve(stdout);
			}
		});
	});
}

const HASHES = { "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256",
	"2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512" };

// TimeStampReq ::= SEQUENCE { version, messageImprint SEQUENCE { AlgorithmId,
// OCTET STRING }, ... }: just enough DER to read the imprint.
function queryImprint(der) {
	const tlv = (b, o) => {
		let len = b[o + 1], p = o + 2;
		if (len & 0x80) {
			const n = len & 0x7f;
			len = 0;
			for (let i = 0; i < n; i++)
				len = len * 256 + b[p++];
		}
		return { start: p, end: p + len };
	};
	const req = tlv(der, 0);
	const version = tlv(der, req.start);
	const mi = tlv(der, version.end);
	const alg = tlv(der, mi.start);
	const oid = tlv(der, alg.start);
	const octets = tlv(der, alg.end);
	const o = der.subarray(oid.start, oid.end);
	const parts = [Math.floor(o[0] / 40), o[0] % 40];
	for (let i = 1, n = 0; i < o.length; i++) {
		n = n * 128 + (o[i] & 0x7f);
		if (!(o[i] & 0x80)) {
			parts.push(n);
			n = 0;
		}
	}
	const name = HASHES[parts.join(".")];
	if (!name)
		throw new Error(`unknown hash ${parts.join(".")}`);
	return { alg: name, hex: der.subarray(octets.start, octets.end).toString("hex") };
}

function readBody(req) {
	return new Promise((resolve, reject) => {
		const parts = [];
		let size = 0;
		req.on("data", (c) => {
			size += c.length;
			if (size > MAX_QUERY) {
				reject(new Error("query too large"));
				req.destroy();
				return;
			}
			parts.push(c);
		});
		req.on("end", () => resolve(Buffer.concat(parts)));
		req.on("error", reject);
	});
}

// options: config (tsa.cnf path, required), openssl (command), host.
// The serial file of openssl ts is not safe for concurrent use, so requests
// are answered one at a time.
export async function startTsaServer(options) {
	const openssl = options.openssl || process.env.OPENSSL || "openssl";
	const work = await mkdtemp(path.join(tmpdir(), "liasse-tsa-"));
	let queue = Promise.resolve();
	let seq = 0;
	const state = { requests: 0, failures: 0 };

	// A query for another request: the same imprint and a different nonce
	// ("wrong-nonce"), or another imprint ("wrong-imprint").
	async function otherQuery(query, mode, q) {
		const imprint = queryImprint(query);
		const digest = mode === "wrong-imprint"
			? createHash(imprint.alg).update("not the signature value").digest("hex")
			: imprint.hex;
		await run(openssl, ["ts", "-query", `-${imprint.alg}`, "-digest", digest, "-cert", "-out", q]);
	}

	async function reply(query, mode) {
		const n = seq++;
		const q = path.join(work, `q${n}.tsq`);
		const r = path.join(work, `r${n}.tsr`);
		try {
			if (mode === "wrong-nonce" || mode === "wrong-imprint")
				await otherQuery(query, mode, q);
			else
				await writeFile(q, query);
			await run(openssl, ["ts", "-reply", "-config", options.config,
				"-queryfile", q, "-out", r]);
			return await readFile(r);
		} finally {
			await rm(q, { force: true });
			await rm(r, { force: true });
		}
	}

	const server = http.createServer(async (req, res) => {
		if (req.method === "GET" && req.url === "/stats") {
			res.writeHead(200, { "content-type": "application/json" });
			res.end(JSON.stringify(state));
			return;
		}
		state.requests++;
		const type = (req.headers["content-type"] || "").split(";")[0].trim();
		if (req.method !== "POST" || type !== "application/timestamp-query") {
			state.failures++;
			res.writeHead(req.method === "POST" ? 415 : 405, { "content-type": "text/plain" });
			res.end("POST an application/timestamp-query\n");
			return;
		}
		const mode = (req.url || "").split("?")[0].replace(/^\/tsa\/?/, "") || "ok";
		if (mode === "error") {
			state.failures++;
			res.writeHead(500, { "content-type": "text/plain" });
			res.end("simulated TSA failure\n");
			return;
		}
		if (mode === "garbage") {
			res.writeHead(200, { "content-type": "application/timestamp-reply" });
			res.end(Buffer.from("3003020100", "hex"));
			return;
		}
		try {
			const query = await readBody(req);
			const job = queue.then(() => reply(query, mode));
			queue = job.catch(() => {});
			const answer = await job;
			res.writeHead(200, {
				"content-type": "application/timestamp-reply",
				"content-length": answer.length,
			});
			res.end(answer);
		} catch (e) {
			state.failures++;
			res.writeHead(500, { "content-type": "text/plain" });
			res.end(String(e.message) + "\n");
		}
	});
	await new Promise((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, options.host || "127.0.0.1", resolve);
	});
	const { address, port } = server.address();
	return {
		url: `http://${address}:${port}/tsa`,
		port,
		get requests() { return state.requests; },
		get failures() { return state.failures; },
		async stop() {
			server.closeAllConnections?.();
			await new Promise((resolve) => server.close(() => resolve()));
			await rm(work, { recursive: true, force: true });
		},
	};
}

if (import.meta.url === pathToFileURL(process.argv[1] || "").href) {
	const dir = process.argv[2];
	if (!dir) {
		console.error("usage: node tsa-server.mjs PKIDIR");
		process.exit(2);
	}
	const tsa = await startTsaServer({ config: path.join(dir, "tsa.cnf") });
	console.log(tsa.url);
	const quit = async () => { await tsa.stop(); process.exit(0); };
	process.on("SIGTERM", quit);
	process.on("SIGINT", quit);
	// Started by tests/lib/pki.mjs: end with the test process.
	const parent = Number(process.env.LIASSE_TSA_PARENT || 0);
	if (parent) {
		setInterval(() => {
			try {
				process.kill(parent, 0);
			} catch {
				quit();
			}
		}, 300);
	}
}
