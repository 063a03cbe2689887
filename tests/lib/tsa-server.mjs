// A minimal RFC 3161 time-stamping authority over HTTP for tests: each POST of
// an application/timestamp-query is answered by `openssl ts -reply` with the
// test TSA of certs/mkpki.sh.  TEST ONLY.
//
//   import { startTsaServer } from "./tsa-server.mjs";
//   const tsa = await startTsaServer({ config: pki.file("tsa.cnf") });
//   ... tsa.url, tsa.requests ... ; await tsa.stop();
//
// CLI: node tests/lib/tsa-server.mjs PKIDIR   (prints the URL, runs until killed)
// GET /stats answers {"requests":N,"failures":N}.

import http from "node:http";
import { execFile } from "node:child_process";
import { mkdtemp, writeFile, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

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

	async function reply(query) {
		const n = seq++;
		const q = path.join(work, `q${n}.tsq`);
		const r = path.join(work, `r${n}.tsr`);
		await writeFile(q, query);
		try {
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
		try {
			const query = await readBody(req);
			const job = queue.then(() => reply(query));
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
}
