// Interoperability: signatures made by `liasse sign` with the test PKI of
// certs/mkpki.sh (and the local TSA/OCSP responders of tests/lib/pki.mjs) are
// checked by verifiers liasse did not write: tests/js/verify-xades.mjs
// (npm xml-crypto + explicit XAdES assertions), the xmlsec1 command, xmllint
// with the official PES XSD and `openssl cms -verify`; `liasse verify` must
// reach the same verdicts, valid and invalid.
// Exit 77 (skip) only when the fixtures, tests/node_modules or the `liasse
// sign` command are missing; anything wrong in what liasse produces fails.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";

function skip(why) {
	console.log(`1..0 # SKIP ${why}`);
	process.exit(77);
}

const fixtures = process.env.LIASSE_FIXTURES;
if (!fixtures || !existsSync(path.join(fixtures, "s2low/helios/fixtures/pes_aller_ok.xml")))
	skip("LIASSE_FIXTURES absent");
let V;
try {
	V = await import("../js/verify-xades.mjs");
} catch (e) {
	if (e.code === "ERR_MODULE_NOT_FOUND" && /Cannot find package/.test(e.message))
		skip(`tests/node_modules missing (cd tests && npm install): ${e.message}`);
	throw e;
}
const builddir = process.env.top_builddir || path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const LIASSE = path.join(builddir, "src/liasse");
if (!existsSync(LIASSE))
	skip(`${LIASSE} not built`);
{
	const probe = spawnSync(LIASSE, ["sign", "--help"], { encoding: "utf8" });
	if (/unknown command/i.test(`${probe.stdout}${probe.stderr}`))
		skip("`liasse sign` is not built yet");
}

const { test, before, after } = await import("node:test");
const assert = (await import("node:assert/strict")).default;
const { makePki, startTsa, startOcsp, renewCrl } = await import("../lib/pki.mjs");
const { signPes } = await import("../js/sign-xades.mjs");
const { xmlsecVerify, cmsVerify, xmllintSchema, have } = await import("../js/tools.mjs");

const PES_IN = path.join(fixtures, "s2low/helios/fixtures/pes_aller_ok.xml");
const PDF_IN = path.join(fixtures, "parapheur-v5/files/formats/PDF_sans_tags/PDF_sans_tags.pdf");
const PES_XSD = path.join(fixtures, "parapheur-v5/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd");
const xmlsec = have("xmlsec1");
const PLACE = ["--city", "Céret", "--postal-code", "66400", "--role", "Ordonnateur"];

let pki, tsa, ocsp, work;

before(async () => {
	work = mkdtempSync(path.join(tmpdir(), "xades-interop-"));
	pki = await makePki({ dir: path.join(work, "pki") });
	tsa = await startTsa(pki);
	ocsp = await startOcsp(pki);
	copyFileSync(PDF_IN, path.join(work, "acte.pdf"));
	// Anchors without the CRL, for the OCSP checks.
	mkdirSync(path.join(work, "trust-nocrl"));
	for (const f of ["root-ca.pem", "inter-ca.pem"])
		copyFileSync(path.join(pki.trust, f), path.join(work, "trust-nocrl", f));
});

after(async () => {
	await tsa?.stop();
	await ocsp?.stop();
	if (work && !process.env.KEEP_TMP)
		rmSync(work, { recursive: true, force: true });
	else if (work)
		console.log(`# kept ${work}`);
});

function liasse(args, opts = {}) {
	const r = spawnSync(LIASSE, args, { encoding: "utf8", cwd: work, ...opts });
	return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

function w(name) { return path.join(work, name); }

function sign(profile, who, input, output, extra = []) {
	return liasse(["sign", "--profile", profile, "--p12", pki[who].p12, "--pass-file", pki.pass,
		...extra, input, w(output)]);
}

function signOk(profile, who, input, output, extra) {
	const r = sign(profile, who, input, output, extra);
	assert.equal(r.status, 0, `liasse sign --profile ${profile} failed: ${r.out}`);
	return w(output);
}

function verifyLiasse(file, extra = [], pre = []) {
	return liasse([...pre, "verify", file, "--trust", pki.trust, ...extra]);
}

function failed(sig) {
	return sig.checks.filter((c) => c.status === "fail").map((c) => `${c.check}: ${c.reason}`);
}

function check(sig, name) {
	return sig.checks.find((c) => c.check === name) || { status: "absent", reason: "" };
}

function mine(file, opts = {}) {
	return V.verifyXades(readFileSync(file), { trust: [pki.trust], requireSha256: true,
		requireExcC14n: true, ...opts });
}

function assertMineValid(file, r, n) {
	assert.equal(r.error, null, r.error);
	assert.equal(r.signatures.length, n, `${n} signature(s) expected in ${file}`);
	for (const s of r.signatures) {
		assert.ok(s.valid, `independent verifier, ${s.id}: ${failed(s).join("; ")}`);
		assert.equal(check(s, "chain").status, "pass");
	}
}

function assertXmlsec(file, r, opts = {}) {
	if (!xmlsec)
		return;
	for (const s of r.signatures) {
		// cwd: xmlsec1 opens a detached reference's relative URI from there.
		const x = xmlsecVerify(file, { signatureId: s.id, trusted: [pki["root-ca"].pem],
			untrusted: [pki["inter-ca"].pem], cwd: work, ...opts });
		assert.ok(x.ok, `xmlsec1 ${s.id}: ${x.out}`);
	}
}

function pesChecks(file, version, n = 1) {
	const r = mine(file, { profile: "pes" });
	assertMineValid(file, r, n);
	for (const s of r.signatures) {
		assert.equal(s.version, version);
		assert.equal(check(s, "policy").reason, `policy ${V.PES_POLICY}`);
		assert.equal(check(s, "policy-hash").status, "pass");
		assert.match(check(s, "production-place").reason, /City=Céret PostalCode=66400 CountryName=/);
		assert.equal(check(s, "claimed-role").reason, "Ordonnateur");
		assert.match(check(s, "pes-target").reason, /enveloped in the Bordereau/);
		assert.equal(check(s, "cert-digest").status, "pass");
		assert.equal(check(s, "issuer-serial").status, "pass", check(s, "issuer-serial").reason);
		assert.match(s.id, /_SIG_\d+$/, "Id scheme <target>_SIG_<n>");
	}
	return r;
}

// The bytes outside the signatures are the input's, except InfoDematerialisee.
function assertSpliced(input, output) {
	const a = readFileSync(input).toString("latin1").replace(/<InfoDematerialisee V="0"/, '<InfoDematerialisee V="1"');
	const b = readFileSync(output).toString("latin1").replace(/<ds:Signature[\s>][\s\S]*?<\/ds:Signature>/g, "");
	assert.ok(a === b, "the signed PES differs from the input outside the signatures and InfoDematerialisee");
	assert.match(b, /<InfoDematerialisee V="1"/);
}

function assertPesSchema(file) {
	if (!have("xmllint"))
		return;
	const x = xmllintSchema(file, PES_XSD);
	assert.ok(x.ok, `xmllint --schema PES_Aller.xsd: ${x.out}`);
}

function assertLiasseValid(file, extra = [], pre = []) {
	const v = verifyLiasse(file, extra, pre);
	assert.equal(v.status, 0, `liasse verify says not valid:\n${v.out}`);
	const j = verifyLiasse(file, [...extra, "--json"], pre);
	assert.equal(j.status, 0);
	const report = JSON.parse(j.stdout);
	assert.equal(report.valid, true, "liasse verify --json: valid = true");
}

function assertLiasseInvalid(file, extra = [], pre = [], expect = null) {
	const v = verifyLiasse(file, extra, pre);
	assert.notEqual(v.status, 0, `liasse verify accepted ${path.basename(file)}:\n${v.out}`);
	assert.notEqual(v.status, 2, `usage error: ${v.out}`);
	if (expect)
		assert.match(v.out, expect, v.out);
	return v;
}

for (const version of ["1.1.1", "1.2.2"]) {
	test(`pes XAdES ${version}: independent verifier, xmlsec1, PES XSD and liasse verify agree (valid)`, () => {
		const out = signOk("pes", "signer", PES_IN, `pes-${version}.xml`, ["--xades", version, ...PLACE]);
		const r = pesChecks(out, version);
		if (version === "1.1.1")
			assert.equal(check(r.signatures[0], "cert-digest-namespace").status, "pass");
		assertXmlsec(out, r);
		assertPesSchema(out);
		assertSpliced(PES_IN, out);
		assertLiasseValid(out);
	});
}

test("pes: UTF-8 document keeps its encoding", () => {
	const input = path.join(fixtures, "s2low/helios/fixtures/pes_aller_utf8.xml");
	const out = signOk("pes", "signer", input, "pes-utf8.xml", PLACE);
	const r = pesChecks(out, "1.1.1");
	assertXmlsec(out, r);
	assertPesSchema(out);
	assert.match(readFileSync(out, "utf8"), /^<\?xml version="1.0" encoding="UTF-8"\?>/);
	assert.match(readFileSync(out, "utf8"), /<xad:City>Céret<\/xad:City>|<[a-z]+:City>Céret</);
	assertSpliced(input, out);
	assertLiasseValid(out);
});

test("pes: without Bordereau Ids the PES_Aller Id is signed; without any Id, a refusal", () => {
	const src = readFileSync(PES_IN).toString("latin1").replace(/<Bordereau Id="[^"]+">/, "<Bordereau>");
	const rootId = /<n:PES_Aller[^>]*\sId="([^"]+)"/.exec(src)[1];
	const noBordId = w("pes-root-id.xml");
	writeFileSync(noBordId, Buffer.from(src, "latin1"));
	const out = signOk("pes", "signer", noBordId, "pes-root-signed.xml", PLACE);
	const r = mine(out, { profile: "pes" });
	assertMineValid(out, r, 1);
	assert.equal(r.signatures[0].id, `${rootId}_SIG_1`);
	assert.match(check(r.signatures[0], "pes-target").reason, /PES_Aller/);
	assertXmlsec(out, r);
	assertPesSchema(out);
	assertLiasseValid(out);
	const none = w("pes-no-id.xml");
	const noId = src.replace(new RegExp(`\\s+Id="${rootId}"`), "");
	assert.ok(!/\sId="/.test(noId), "no Id left");
	writeFileSync(none, Buffer.from(noId, "latin1"));
	const refused = sign("pes", "signer", none, "pes-no-id-signed.xml", PLACE);
	assert.equal(refused.status, 1, `a PES without any Id must be refused: ${refused.out}`);
	assert.equal(existsSync(w("pes-no-id-signed.xml")), false);
});

test("pes: two bordereaux get one signature each; signing again is refused", () => {
	const src = readFileSync(PES_IN).toString("latin1");
	const m = /<Bordereau Id="([^"]+)">[\s\S]*?<\/Bordereau>/.exec(src);
	assert.ok(m, "pes_aller_ok.xml has a Bordereau with an Id");
	const second = m[0].replace(`Id="${m[1]}"`, `Id="${m[1]}B"`);
	const two = w("pes-two.xml");
	writeFileSync(two, Buffer.from(src.replace(m[0], `${m[0]}\n${second}`), "latin1"));
	const out = signOk("pes", "signer2", two, "pes-two-signed.xml", PLACE);
	const r = pesChecks(out, "1.1.1", 2);
	assert.deepEqual(r.signatures.map((s) => s.id).sort(), [`${m[1]}B_SIG_1`, `${m[1]}_SIG_1`].sort());
	assertXmlsec(out, r);
	assertPesSchema(out);
	assertLiasseValid(out);
	const again = sign("pes", "signer", out, "pes-two-again.xml", PLACE);
	assert.notEqual(again.status, 0, "signing an already signed bordereau must be refused");
	assert.equal(existsSync(w("pes-two-again.xml")), false, "no output file after a refusal");
});

test("xades-bb detached over a PDF: valid with the data, not without or with other data", () => {
	const out = signOk("xades-bb", "signer", w("acte.pdf"), "acte-bb.xml");
	const pdf = readFileSync(w("acte.pdf"));
	const r = mine(out, { data: pdf, profile: "xades" });
	assertMineValid(out, r, 1);
	const s = r.signatures[0];
	assert.equal(s.version, "1.3.2");
	assert.match(check(s, "data-object-format").reason, /application\/pdf/);
	assert.match(check(s, "cert-digest").reason, /sha256/);
	// xmlsec1 resolves the reference URI next to the signature file.
	assertXmlsec(out, r);
	assertLiasseValid(out, ["--data", w("acte.pdf")]);
	assert.equal(mine(out, { profile: "xades" }).valid, false, "no data: not valid");
	const other = w("other.pdf");
	writeFileSync(other, Buffer.concat([pdf, Buffer.from("%")]));
	assert.equal(mine(out, { data: readFileSync(other), profile: "xades" }).valid, false);
	assertLiasseInvalid(out, ["--data", other]);
	assertLiasseInvalid(out);
});

test("xades-bb --enveloped over an XML document", () => {
	const input = w("doc.xml");
	writeFileSync(input, '<?xml version="1.0" encoding="UTF-8"?>\n<doc xmlns="urn:example:liasse">\n  <texte>Délibération n°1</texte>\n</doc>\n');
	const out = signOk("xades-bb", "signer", input, "doc-env.xml", ["--enveloped"]);
	const r = mine(out, { profile: "xades" });
	assertMineValid(out, r, 1);
	assertXmlsec(out, r, { idAttrs: [["Id", "urn:example:liasse:doc"]] });
	assertLiasseValid(out);
});

test("xades-bt: SignatureTimeStamp from the local TSA over exc-C14N(SignatureValue)", async () => {
	const asked = await tsa.requests();
	const out = signOk("xades-bt", "signer", w("acte.pdf"), "acte-bt.xml", ["--tsa", tsa.url]);
	assert.ok(await tsa.requests() > asked, "the TSA was asked");
	const r = mine(out, { data: readFileSync(w("acte.pdf")), profile: "xades", requireTimestamp: true,
		tsaTrust: [pki.chain] });
	assertMineValid(out, r, 1);
	const s = r.signatures[0];
	assert.equal(check(s, "signature-timestamp").status, "pass");
	assert.equal(check(s, "timestamp-signature").status, "pass", check(s, "timestamp-signature").reason);
	assertXmlsec(out, r);
	assertLiasseValid(out, ["--data", w("acte.pdf")]);
});

test("cades: openssl cms -verify over the PDF; liasse verify agrees", () => {
	const out = signOk("cades", "signer", w("acte.pdf"), "acte.p7s");
	const der = readFileSync(out);
	const inform = der[0] === 0x30 ? "DER" : "PEM";
	const ok = cmsVerify(out, w("acte.pdf"), { caFile: pki.chain, inform });
	assert.ok(ok.ok, ok.out);
	const other = w("other2.pdf");
	writeFileSync(other, Buffer.concat([readFileSync(w("acte.pdf")), Buffer.from("%")]));
	assert.equal(cmsVerify(out, other, { caFile: pki.chain, inform }).ok, false);
	assertLiasseValid(out, ["--data", w("acte.pdf")]);
	assertLiasseInvalid(out, ["--data", other]);
	// The revoked signer: openssl with the CRL says no, and so must liasse.
	const rev = sign("cades", "revoked", w("acte.pdf"), "acte-revoked.p7s");
	if (rev.status === 0) {
		const caCrl = w("chain-crl.pem");
		writeFileSync(caCrl, readFileSync(pki.chain, "utf8") + readFileSync(pki.crl, "utf8"));
		assert.equal(cmsVerify(w("acte-revoked.p7s"), w("acte.pdf"), { caFile: caCrl, inform, crlCheck: true }).ok, false);
		assertLiasseInvalid(w("acte-revoked.p7s"), ["--data", w("acte.pdf")], [], /revo/i);
	}
});

// A certificate liasse must not accept: either `liasse sign` refuses it, or
// the signature it makes fails both the independent verifier and liasse
// verify, for the stated reason.
for (const [who, mineCheck, reason] of [
	["revoked", "revocation", /revo/i],
	["expired", "chain", /expir|valid/i],
	["nonrep", "non-repudiation", /nonRepudiation|key.usage/i],
	["untrusted", "chain", /trust|issuer|anchor/i],
]) {
	test(`pes signed by the ${who} signer is not valid for anyone`, () => {
		const r = sign("pes", who, PES_IN, `pes-${who}.xml`, PLACE);
		if (r.status !== 0) {
			assert.notEqual(r.status, 2, r.out);
			assert.equal(existsSync(w(`pes-${who}.xml`)), false);
			return;
		}
		const out = w(`pes-${who}.xml`);
		const m = mine(out, { profile: "pes" });
		assert.equal(m.valid, false, `independent verifier accepted the ${who} signer`);
		const sig = m.signatures[0];
		const c = check(sig, mineCheck);
		assert.equal(c.status, "fail", `${mineCheck}: ${c.reason}`);
		assertLiasseInvalid(out, [], [], reason);
	});
}

test("OCSP: with anchors but no CRL, liasse asks the OCSP responder", () => {
	const good = signOk("pes", "signer", PES_IN, "pes-ocsp-good.xml", PLACE);
	const bad = sign("pes", "revoked", PES_IN, "pes-ocsp-revoked.xml", PLACE);
	const pre = ["-o", `ocsp_url=${ocsp.url}`];
	const ok = liasse([...pre, "verify", good, "--trust", w("trust-nocrl")]);
	assert.equal(ok.status, 0, ok.out);
	if (bad.status === 0) {
		const v = liasse([...pre, "verify", w("pes-ocsp-revoked.xml"), "--trust", w("trust-nocrl")]);
		assert.notEqual(v.status, 0, `revoked signer accepted with OCSP:\n${v.out}`);
		assert.match(v.out, /revo/i);
		// Without CRL nor OCSP nobody can know.
		const blind = liasse(["verify", w("pes-ocsp-revoked.xml"), "--trust", w("trust-nocrl")]);
		assert.ok(blind.status === 0 || /revocation/i.test(blind.out), blind.out);
	}
});

test("tampered and wrapped copies of a liasse signature fail everywhere", () => {
	const out = signOk("pes", "signer", PES_IN, "pes-base.xml", PLACE);
	const text = readFileSync(out).toString("latin1");
	const bordId = /<Bordereau Id="([^"]+)"/.exec(text)[1];
	const variants = {
		// a value inside the signed Bordereau
		tampered: text.replace(/<MtBordHT V="([^"]+)"/, (all, v) => `<MtBordHT V="${v}1"`),
		// a second element with the signed Id (wrapping)
		wrapped: text.replace("<EnTetePES>", `<EnTetePES><Bordereau Id="${bordId}"/>`),
		// QualifyingProperties retargeted
		retargeted: text.replace(/Target="#[^"]+"/, 'Target="#elsewhere"'),
		// signature moved out of its Bordereau, to the root
		moved: (() => {
			const sig = /<ds:Signature[\s>][\s\S]*?<\/ds:Signature>/.exec(text)[0];
			return text.replace(sig, "").replace("</n:PES_Aller>", `${sig}</n:PES_Aller>`);
		})(),
	};
	assert.notEqual(variants.tampered, text, "the fixture has an MtBordHT to change");
	for (const [name, body] of Object.entries(variants)) {
		const f = w(`pes-${name}.xml`);
		writeFileSync(f, Buffer.from(body, "latin1"));
		const m = mine(f, { profile: "pes" });
		assert.equal(m.valid, false, `independent verifier accepted the ${name} copy`);
		assertLiasseInvalid(f);
		if (xmlsec && name === "tampered") {
			const x = xmlsecVerify(f, { insecure: true });
			assert.equal(x.ok, false, `xmlsec1 accepted the tampered copy: ${x.out}`);
		}
	}
});

test("liasse verify reaches the reference verdicts on the real signed fixtures", () => {
	const lib = path.join(fixtures, "s2low/lib/fixtures");
	const adu = w("adullact");
	mkdirSync(adu, { recursive: true });
	copyFileSync(path.join(lib, "validca_for_xades/AC_ADULLACT_ROOT_G3.pem"), path.join(adu, "root.pem"));
	copyFileSync(path.join(lib, "validca/AC_ADULLACT_Utilisateurs_G3.pem"), path.join(adu, "users.pem"));
	for (const f of ["signature_bordereau_double.xml", "signature_bordereau2.xml"]) {
		const v = liasse(["verify", path.join(lib, f), "--trust", adu]);
		assert.equal(v.status, 0, `${f}:\n${v.out}`);
	}
	for (const f of ["lib/fixtures/signature_bordereau.xml", "lib/fixtures/plusieurs_signatures.xml",
		"class/fixtures/pes_signe_bordereau.xml", "class/fixtures/pes_no_id.xml"]) {
		const v = liasse(["verify", path.join(fixtures, "s2low", f), "--trust", adu]);
		assert.equal(v.status, 1, `${f}:\n${v.out}`);
		assert.match(v.out, /core\s+FAIL/, f);
	}
});

test("the digest in a detached signature is the SHA-256 of the file", () => {
	const out = w("acte-bb.xml");
	if (!existsSync(out))
		signOk("xades-bb", "signer", w("acte.pdf"), "acte-bb.xml");
	const doc = readFileSync(out, "utf8");
	const want = createHash("sha256").update(readFileSync(w("acte.pdf"))).digest("base64");
	assert.ok(doc.includes(`<ds:DigestValue>${want}</ds:DigestValue>`));
});

// Signatures liasse did not make (tests/js/sign-xades.mjs: node:crypto and
// xml-crypto's C14N), so that liasse verify is also tried on foreign input.
function foreignPes(who, signingTime, name) {
	const src = readFileSync(PES_IN);
	const targetId = /<Bordereau Id="([^"]+)"/.exec(src.toString("latin1"))[1];
	const out = w(name);
	writeFileSync(out, signPes(src, { keyPem: readFileSync(pki[who].key), certPem: readFileSync(pki[who].pem),
		signingTime, targetId }));
	return out;
}

test("a PES signed by another implementation: every verifier and liasse verify say valid", () => {
	const out = foreignPes("signer2", new Date(), "foreign-signer2.xml");
	const r = mine(out, { profile: "pes" });
	assertMineValid(out, r, 1);
	assertXmlsec(out, r);
	assertPesSchema(out);
	assertLiasseValid(out);
});

test("expired signer (signed elsewhere, liasse sign refuses it): not valid now", () => {
	const refused = sign("pes", "expired", PES_IN, "pes-expired-2.xml", PLACE);
	assert.notEqual(refused.status, 0, "liasse sign should refuse an expired certificate");
	const out = foreignPes("expired", new Date(), "foreign-expired.xml");
	const r = mine(out, { profile: "pes" });
	assert.equal(r.valid, false);
	assert.match(check(r.signatures[0], "chain").reason, /expired/);
	assertLiasseInvalid(out, [], [], /expir/i);
});

// A CA refreshes its CRL every day: verifying yesterday's signature with
// today's CRL is the normal case.  OpenSSL, asked to check the chain at the
// signing time with that CRL, calls the CRL "not yet valid".
test("a CRL issued after the signature does not make a good signature invalid", async () => {
	const out = signOk("pes", "signer", PES_IN, "pes-before-crl.xml", PLACE);
	await new Promise((r) => setTimeout(r, 1200));
	const trust = w("trust-newcrl");
	mkdirSync(trust);
	for (const f of ["root-ca.pem", "inter-ca.pem"])
		copyFileSync(path.join(pki.trust, f), path.join(trust, f));
	await renewCrl(pki, path.join(trust, "inter-ca.crl"));
	const r = mine(out, { profile: "pes", trust: [trust] });
	assertMineValid(out, r, 1);
	assert.equal(check(r.signatures[0], "revocation").status, "pass");
	const v = liasse(["verify", out, "--trust", trust]);
	assert.equal(v.status, 0, `liasse verify with a CRL newer than the signature:\n${v.out}`);
});

function liasseChecks(file, pre = []) {
	const v = liasse([...pre, "verify", file, "--trust", pki.trust, "--json"]);
	assert.notEqual(v.status, 2, v.out);
	const rep = JSON.parse(v.stdout);
	return { status: v.status, rep, failed: rep.checks.filter((c) => !c.ok).map((c) => c.id),
		warned: rep.checks.filter((c) => c.ok && c.warning).map((c) => c.id) };
}

// Cryptographically valid signatures (made by tests/js/sign-xades.mjs) whose
// XAdES content is wrong: both verifiers must refuse them for that reason.
const FOREIGN_ATTACKS = [
	["QualifyingProperties targets another signature", { qpTarget: "#someone_else" },
		"qualifying-properties", "qualifying_properties"],
	["SignedProperties reference bound to another element",
		{ spRefTo: "DECOY", addId: { local: "EnTetePES", id: "DECOY" } },
		"signed-properties-reference", "signed_properties_reference"],
	["CertDigest of another certificate", { certDigestPem: "signer2" }, "cert-digest", "cert_digest"],
	["a reference to a local file", { extraRef: { uri: "file:///etc/hostname", file: "/etc/hostname" } },
		"data-reference", "references_allowed"],
];

for (const [what, opts, mineCheck, liasseCheck] of FOREIGN_ATTACKS) {
	test(`foreign signature with ${what}: refused by both verifiers`, () => {
		const o = { ...opts };
		if (o.certDigestPem)
			o.certDigestPem = readFileSync(pki[o.certDigestPem].pem);
		if (o.extraRef?.file)
			o.extraRef = { uri: o.extraRef.uri, data: existsSync(o.extraRef.file) ? readFileSync(o.extraRef.file) : Buffer.alloc(0) };
		const src = readFileSync(PES_IN);
		const targetId = /<Bordereau Id="([^"]+)"/.exec(src.toString("latin1"))[1];
		const out = w(`foreign-${mineCheck}.xml`);
		writeFileSync(out, signPes(src, { keyPem: readFileSync(pki.signer.key), certPem: readFileSync(pki.signer.pem),
			signingTime: new Date(), targetId, ...o }));
		// Sanity: the cryptography itself is right (xmlsec1 core check), except
		// for the file reference, which xmlsec1 would fetch.
		if (xmlsec && !o.extraRef) {
			const x = xmlsecVerify(out, { insecure: true, idAttrs: [["Id", "EnTetePES"]] });
			assert.ok(x.ok, `xmlsec1 core check of the crafted signature: ${x.out}`);
		}
		const m = mine(out, { profile: "pes" });
		assert.equal(m.valid, false, `independent verifier accepted: ${what}`);
		assert.ok(m.signatures[0].checks.some((c) => c.check === mineCheck && c.status === "fail"),
			`${mineCheck} should fail: ${failed(m.signatures[0]).join("; ")}`);
		const l = liasseChecks(out);
		assert.equal(l.status, 1, `liasse verify accepted: ${what}`);
		assert.ok(l.failed.includes(liasseCheck), `liasse verify failed ${l.failed.join(", ")}, not ${liasseCheck}`);
	});
}

test("an http reference URI is never fetched by liasse verify", async () => {
	const src = readFileSync(PES_IN);
	const targetId = /<Bordereau Id="([^"]+)"/.exec(src.toString("latin1"))[1];
	const url = tsa.url.replace(/\/tsa$/, "/fetched-by-verifier");
	const out = w("foreign-http.xml");
	writeFileSync(out, signPes(src, { keyPem: readFileSync(pki.signer.key), certPem: readFileSync(pki.signer.pem),
		signingTime: new Date(), targetId, extraRef: { uri: url, data: Buffer.from("POST an application/timestamp-query\n") } }));
	const asked = await tsa.requests();
	const l = liasseChecks(out);
	assert.equal(l.status, 1);
	assert.ok(l.failed.includes("references_allowed"), l.failed.join(", "));
	assert.equal(await tsa.requests(), asked, "liasse verify fetched the reference URI");
	assert.equal(mine(out, { profile: "pes" }).valid, false);
});

test("SHA-1 signatures (old files) are accepted with a warning by both verifiers", () => {
	const out = foreignPes("signer", new Date(), "foreign-sha1-tmp.xml");
	const src = readFileSync(PES_IN);
	const targetId = /<Bordereau Id="([^"]+)"/.exec(src.toString("latin1"))[1];
	writeFileSync(out, signPes(src, { keyPem: readFileSync(pki.signer.key), certPem: readFileSync(pki.signer.pem),
		signingTime: new Date(), targetId, sha1: true }));
	const m = mine(out, { profile: "pes", requireSha256: false });
	assertMineValid(out, m, 1);
	assert.equal(check(m.signatures[0], "algorithms").status, "warn");
	assertXmlsec(out, m);
	const l = liasseChecks(out);
	assert.equal(l.status, 0, l.failed.join(", "));
	assert.ok(l.warned.includes("algorithms"), `liasse warnings: ${l.warned.join(", ")}`);
});

// liasse verify follows DESIGN.md "Verification", which does not list the
// signature policy; the independent verifier checks it for PES files.
test("the independent verifier refuses a PES signature without the Helios policy", () => {
	const src = readFileSync(PES_IN);
	const targetId = /<Bordereau Id="([^"]+)"/.exec(src.toString("latin1"))[1];
	for (const [name, o] of [["nopolicy", { noPolicy: true }], ["otherpolicy", { policy: "urn:oid:1.2.3.4" }]]) {
		const out = w(`foreign-${name}.xml`);
		writeFileSync(out, signPes(src, { keyPem: readFileSync(pki.signer.key), certPem: readFileSync(pki.signer.pem),
			signingTime: new Date(), targetId, ...o }));
		const m = mine(out, { profile: "pes" });
		assert.equal(m.valid, false, name);
		assert.equal(check(m.signatures[0], "policy").status, "fail", name);
		const l = liasseChecks(out);
		if (l.status === 0)
			console.log(`# liasse verify accepts the ${name} PES signature (no policy check in DESIGN.md)`);
	}
});

test("xades-bt with a misbehaving TSA: liasse sign refuses and writes nothing", () => {
	for (const [mode, reason] of [["wrong-nonce", /nonce/i], ["wrong-imprint", /imprint/i],
		["error", /500/], ["garbage", /RFC 3161|reply/i]]) {
		const name = `acte-bt-${mode}.xml`;
		const r = sign("xades-bt", "signer", w("acte.pdf"), name, ["--tsa", `${tsa.url}/${mode}`]);
		assert.equal(r.status, 1, `${mode}: ${r.out}`);
		assert.match(r.out, reason, mode);
		assert.equal(existsSync(w(name)), false, `${mode}: no output file`);
	}
});

// i-Parapheur's detached XAdES names no URI in its data Reference (XMLDSig
// lets the application supply the data); the independent verifier accepts it
// with the PDF given as --data (xades-fixtures.test.mjs).
function libricielTrust() {
	const dir = w("libriciel");
	mkdirSync(dir, { recursive: true });
	for (const f of ["ca-root.pem", "ca-intermediate.pem"])
		copyFileSync(path.join(fixtures, "parapheur-v5/files/certificates/signature", f), path.join(dir, f));
	return dir;
}

test("liasse verify: i-Parapheur's CAdES over the PDF is valid, over other data not", () => {
	const dir = path.join(fixtures, "parapheur-v5/files/formats/PDF_sans_tags");
	const trust = libricielTrust();
	const ok = liasse(["verify", path.join(dir, "signature_cades.p7s"), "--data", path.join(dir, "PDF_sans_tags.pdf"), "--trust", trust]);
	assert.equal(ok.status, 0, ok.out);
	writeFileSync(w("not-the-pdf.bin"), "not the PDF\n");
	const bad = liasse(["verify", path.join(dir, "signature_cades.p7s"), "--data", w("not-the-pdf.bin"), "--trust", trust]);
	assert.equal(bad.status, 1, bad.out);
});

test("liasse verify: i-Parapheur's detached XAdES (Reference without URI) is valid with the PDF, not without", () => {
	const dir = path.join(fixtures, "parapheur-v5/files/formats/PDF_sans_tags");
	const v = liasse(["verify", path.join(dir, "signature_xades.xml"), "--data", path.join(dir, "PDF_sans_tags.pdf"),
		"--trust", libricielTrust()]);
	assert.equal(v.status, 0, v.out);
	const none = liasse(["verify", path.join(dir, "signature_xades.xml"), "--trust", libricielTrust()]);
	assert.equal(none.status, 1, none.out);
	writeFileSync(w("not-the-pdf2.bin"), "not the PDF\n");
	const other = liasse(["verify", path.join(dir, "signature_xades.xml"), "--data", w("not-the-pdf2.bin"),
		"--trust", libricielTrust()]);
	assert.equal(other.status, 1, other.out);
});

// The revoked signer's key was revoked for keyCompromise: whoever holds it
// can claim any SigningTime.  Without a time-stamp proving the signature
// existed before the revocation, a claimed time before it proves nothing
// (EN 319 102-1: no proof of existence), so the signature is not valid.
test("a compromised key with a backdated SigningTime and no time-stamp is not valid", () => {
	const out = foreignPes("revoked", new Date("2025-06-01T10:00:00Z"), "foreign-revoked-backdated.xml");
	const m = mine(out, { profile: "pes" });
	assert.equal(m.valid, false);
	assert.equal(check(m.signatures[0], "revocation").status, "fail");
	const l = liasseChecks(out);
	assert.equal(l.status, 1, `liasse verify accepted a backdated signature by a compromised key (warnings: ${l.warned.join(", ")})`);
});
