// Command-line verifiers the tests compare with: xmlsec1, openssl cms,
// xmllint.  Each returns { ok, out } and never throws on a verification
// failure.

import { spawnSync } from "node:child_process";

export function run(cmd, args, opts = {}) {
	const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26, ...opts });
	if (r.error)
		return { ok: false, status: null, out: String(r.error.message), missing: r.error.code === "ENOENT" };
	return { ok: r.status === 0, status: r.status, out: `${r.stdout || ""}${r.stderr || ""}` };
}

export function have(cmd, args = ["--version"]) {
	return !run(cmd, args).missing;
}

const XADES_NS = ["http://uri.etsi.org/01903/v1.1.1#", "http://uri.etsi.org/01903/v1.2.2#",
	"http://uri.etsi.org/01903/v1.3.2#"];
const PES_ALLER_NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller";

// xmlsec1 --verify of one ds:Signature (by its Id, else the first one).
// options: signatureId, trusted [], untrusted [], at (Date),
// insecure (core only: no certificate check), idAttrs [[attr, node]], cwd.
// (Debian 12's xmlsec1 command takes no CRL: revocation is not checked.)
export function xmlsecVerify(file, o = {}) {
	const args = ["--verify"];
	const ids = [["Id", "Bordereau"], ["Id", `${PES_ALLER_NS}:PES_Aller`], ["Id", "PES_Aller"],
		...XADES_NS.map((ns) => ["Id", `${ns}:SignedProperties`]), ...(o.idAttrs || [])];
	for (const [attr, node] of ids)
		args.push(`--id-attr:${attr}`, node);
	if (o.insecure)
		args.push("--insecure");
	for (const f of o.trusted || [])
		args.push("--trusted-pem", f);
	for (const f of o.untrusted || [])
		args.push("--untrusted-pem", f);
	if (o.at)
		args.push("--verification-gmt-time", o.at.toISOString().replace("T", " ").replace(/\.\d+Z$/, ""));
	if (o.signatureId)
		args.push("--node-xpath", `//*[local-name()='Signature' and @Id='${o.signatureId}']`);
	args.push(file);
	const r = run("xmlsec1", args, { cwd: o.cwd });
	// xmlsec1 exits 0 only on success; require its own "OK" line too.
	r.ok = r.ok && /^OK$/m.test(r.out);
	return r;
}

// openssl cms -verify of a detached CMS signature over data.
export function cmsVerify(sigFile, dataFile, o = {}) {
	const args = ["cms", "-verify", "-binary", "-inform", o.inform || "PEM", "-in", sigFile,
		"-content", dataFile, "-out", "/dev/null"];
	if (o.caFile)
		args.push("-CAfile", o.caFile);
	if (o.at)
		args.push("-attime", String(Math.floor(o.at.getTime() / 1000)));
	if (o.crlCheck)
		args.push("-crl_check");
	if (o.purpose)
		args.push("-purpose", o.purpose);
	const r = run(process.env.OPENSSL || "openssl", args);
	r.ok = r.ok && /Verification successful/.test(r.out);
	return r;
}

export function xmllintSchema(file, xsd) {
	const r = run("xmllint", ["--noout", "--nonet", "--schema", xsd, file]);
	r.ok = r.ok && /validates$/m.test(r.out);
	return r;
}
