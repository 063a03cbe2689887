// bench/sign-npm.mjs - the same one-bordereau PES signed by an npm stack
// (xml-crypto's exclusive C14N + node:crypto, tests/js/sign-xades.mjs), for
// comparison with bench/sign.  Not part of make check.
//
//   node bench/sign-npm.mjs PES KEY.pem CERT.pem TARGET_ID [SECONDS]
import { readFileSync } from "node:fs";
import { createPrivateKey } from "node:crypto";
import { signPes } from "../tests/js/sign-xades.mjs";

const [pes, keyFile, certFile, targetId, secs = "3"] = process.argv.slice(2);
if (!targetId) {
	console.error("usage: node bench/sign-npm.mjs PES KEY.pem CERT.pem TARGET_ID [SECONDS]");
	process.exit(2);
}
const bytes = readFileSync(pes);
const keyPem = readFileSync(keyFile, "utf8");
const certPem = readFileSync(certFile, "utf8");
const o = { keyPem: createPrivateKey(keyPem), certPem, targetId, signingTime: new Date() };
const end = process.hrtime.bigint() + BigInt(Math.round(Number(secs) * 1e9));
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
let n = 0;
while (process.hrtime.bigint() < end) {
	signPes(bytes, o);
	n++;
}
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(c0);
console.log(`npm (xml-crypto C14N + node:crypto) one-bordereau PES: ${(n / wall).toFixed(1)} ` +
	`signatures/s (${(n / ((cpu.user + cpu.system) / 1e6)).toFixed(1)} per CPU second)`);
