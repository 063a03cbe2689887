// Reference verdicts on real signed files (../shared/fixtures): the
// independent verifier (npm xml-crypto + explicit XAdES checks) and the
// xmlsec1 command must both reach the expected verdict.  liasse's own
// verifier is compared with these verdicts in xades-interop.test.mjs.
// Exit 77 (skip) without fixtures or without tests/node_modules.

import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const fixtures = process.env.LIASSE_FIXTURES;
if (!fixtures || !existsSync(path.join(fixtures, "s2low"))) {
	console.log("1..0 # SKIP LIASSE_FIXTURES/s2low absent");
	process.exit(77);
}
let V;
try {
	V = await import("../js/verify-xades.mjs");
} catch (e) {
	if (e.code === "ERR_MODULE_NOT_FOUND" && /Cannot find package/.test(e.message)) {
		console.log(`1..0 # SKIP tests/node_modules missing (cd tests && npm install): ${e.message}`);
		process.exit(77);
	}
	throw e;
}
const { test } = await import("node:test");
const assert = (await import("node:assert/strict")).default;
const { xmlsecVerify, cmsVerify, have } = await import("../js/tools.mjs");

const S = path.join(fixtures, "s2low");
const LIB = path.join(S, "lib/fixtures");
const ADULLACT = [path.join(LIB, "validca_for_xades/AC_ADULLACT_ROOT_G3.pem"),
	path.join(LIB, "validca/AC_ADULLACT_Utilisateurs_G3.pem")];
const HELIOS_POLICIES = ["urn:oid:1.2.250.1.131.1.5.18.21.1.4", "urn:oid:1.2.250.1.131.1.5.18.21.1.7"];
const PDFDIR = path.join(fixtures, "parapheur-v5/files/formats/PDF_sans_tags");
const LIBRICIEL = ["ca-root.pem", "ca-intermediate.pem"].map((f) =>
	path.join(fixtures, "parapheur-v5/files/certificates/signature", f));
const xmlsec = have("xmlsec1");

function verify(file, extra = {}) {
	return V.verifyXades(readFileSync(file), { policies: HELIOS_POLICIES, trust: ADULLACT, ...extra });
}

function failed(sig) {
	return sig.checks.filter((c) => c.status === "fail").map((c) => `${c.check}: ${c.reason}`);
}

function check(sig, name) {
	return sig.checks.find((c) => c.check === name);
}

function assertAllValid(file, r, n) {
	assert.equal(r.error, null, r.error);
	assert.equal(r.signatures.length, n, `${file}: ${n} signatures expected`);
	for (const s of r.signatures)
		assert.ok(s.valid, `${file} ${s.id}: ${failed(s).join("; ")}`);
	assert.ok(r.valid);
}

function signingTime(s) {
	return new Date(check(s, "signing-time").reason.replace("SigningTime ", ""));
}

function assertXmlsecValid(file, r) {
	for (const s of r.signatures) {
		const x = xmlsecVerify(file, { signatureId: s.id, trusted: [ADULLACT[0]],
			untrusted: [ADULLACT[1]], at: signingTime(s) });
		assert.ok(x.ok, `xmlsec1 ${s.id}: ${x.out}`);
		assert.match(x.out, /SignedInfo References \(ok\/all\): 2\/2/);
	}
}

test("signature_bordereau_double.xml: Bordereau and PES_Aller signatures both valid", (t) => {
	const file = path.join(LIB, "signature_bordereau_double.xml");
	const r = verify(file);
	assertAllValid(file, r, 2);
	const [bord, root] = r.signatures;
	assert.equal(bord.id, "BORD5397_SIG_1");
	assert.equal(root.id, "ID1621526490_SIG_1");
	assert.equal(bord.version, "1.1.1");
	assert.match(check(bord, "pes-target").reason, /Bordereau/);
	assert.match(check(root, "pes-target").reason, /PES_Aller/);
	assert.equal(check(bord, "chain").status, "pass");
	assert.equal(check(bord, "algorithms").status, "warn", "SHA-1 accepted with a warning");
	assert.equal(check(bord, "cert-digest-namespace").status, "pass");
	if (!xmlsec)
		return t.skip("xmlsec1 not installed");
	assertXmlsecValid(file, r);
});

test("signature_bordereau2.xml: XAdES 1.2.2 RSA-SHA256 policy 1.7 valid", (t) => {
	const file = path.join(LIB, "signature_bordereau2.xml");
	const r = verify(file, { policies: [V.PES_POLICY], requireSha256: true });
	assertAllValid(file, r, 1);
	assert.equal(r.signatures[0].version, "1.2.2");
	assert.match(check(r.signatures[0], "policy").reason, /1\.7$/);
	if (!xmlsec)
		return t.skip("xmlsec1 not installed");
	assertXmlsecValid(file, r);
});

for (const rel of ["lib/fixtures/signature_bordereau.xml", "lib/fixtures/plusieurs_signatures.xml",
	"class/fixtures/pes_signe_bordereau.xml", "class/fixtures/pes_no_id.xml"]) {
	test(`${path.basename(rel)}: every signature fails core verification`, (t) => {
		const file = path.join(S, rel);
		const r = verify(file);
		assert.equal(r.error, null);
		assert.ok(r.signatures.length >= 2);
		assert.equal(r.valid, false);
		for (const s of r.signatures) {
			assert.equal(s.valid, false);
			assert.equal(check(s, "references").status, "fail", `${s.id}: reference digest mismatch expected`);
		}
		if (!xmlsec)
			return t.skip("xmlsec1 not installed");
		for (const s of r.signatures) {
			const x = xmlsecVerify(file, { signatureId: s.id, insecure: true });
			assert.equal(x.ok, false, `xmlsec1 accepted ${s.id}: ${x.out}`);
			assert.match(x.out, /FAIL|ERROR|failed/);
		}
	});
}

test("signature_xades.xml (parapheur, detached XAdES 1.3.2) valid over the PDF only", () => {
	const file = path.join(PDFDIR, "signature_xades.xml");
	const pdf = readFileSync(path.join(PDFDIR, "PDF_sans_tags.pdf"));
	const opts = { policies: [], trust: LIBRICIEL };
	const r = V.verifyXades(readFileSync(file), { ...opts, data: pdf });
	assertAllValid(file, r, 1);
	assert.equal(r.signatures[0].version, "1.3.2");
	assert.equal(check(r.signatures[0], "issuer-serial").status, "pass");
	assert.equal(check(r.signatures[0], "data-object-format").status, "pass");
	// Its data reference has no URI: xmlsec1 cannot be given the data, so
	// only the digest is cross-checked here, by hand.
	const doc = readFileSync(file, "utf8");
	const digest = /<ds:Reference Id="[^"]*"><ds:DigestMethod[^>]*\/><ds:DigestValue>([^<]+)</.exec(doc)[1];
	assert.equal(createHash("sha256").update(pdf).digest("base64"), digest);
	const none = V.verifyXades(readFileSync(file), opts);
	assert.equal(none.valid, false, "a detached signature without its data is not valid");
	const other = V.verifyXades(readFileSync(file), { ...opts, data: Buffer.concat([pdf, Buffer.from("\n")]) });
	assert.equal(other.valid, false);
	assert.match(check(other.signatures[0], "data-reference").reason, /digest/);
});

test("signature_cades.p7s verifies with openssl cms over the PDF, not over other data", () => {
	const dir = mkdtempSync(path.join(tmpdir(), "xades-fixtures-"));
	try {
		const ca = path.join(dir, "libriciel.pem");
		writeFileSync(ca, LIBRICIEL.map((f) => readFileSync(f, "utf8")).join("\n"));
		const at = new Date("2022-02-15T08:35:44Z"); // its signingTime; the signer has since expired
		const sig = path.join(PDFDIR, "signature_cades.p7s");
		const ok = cmsVerify(sig, path.join(PDFDIR, "PDF_sans_tags.pdf"), { caFile: ca, at });
		assert.ok(ok.ok, ok.out);
		const other = path.join(dir, "other.pdf");
		writeFileSync(other, Buffer.concat([readFileSync(path.join(PDFDIR, "PDF_sans_tags.pdf")), Buffer.from(" ")]));
		assert.equal(cmsVerify(sig, other, { caFile: ca, at }).ok, false);
		assert.equal(cmsVerify(sig, path.join(PDFDIR, "PDF_sans_tags.pdf"), { caFile: ca }).ok, false,
			"today the signer certificate has expired");
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

// The verifier must catch attacks on a file that is otherwise valid.
test("the independent verifier rejects tampered copies of signature_bordereau2.xml", () => {
	const file = path.join(LIB, "signature_bordereau2.xml");
	const orig = readFileSync(file, "latin1");
	const run = (text) => V.verifyXades(Buffer.from(text, "latin1"), { policies: [V.PES_POLICY], trust: ADULLACT });
	assert.ok(run(orig).valid);

	const amount = /<MtBordHT V="([^"]+)"/.exec(orig);
	assert.ok(amount, "fixture has MtBordHT");
	const tampered = run(orig.replace(amount[0], `<MtBordHT V="${amount[1]}1"`));
	assert.equal(tampered.valid, false);
	assert.equal(check(tampered.signatures[0], "data-reference").status, "fail");

	// Signature wrapping: a second element with the signed Id.
	const wrapped = run(orig.replace("<EnTetePES>", '<EnTetePES><Bordereau Id="BORD548385"/>'));
	assert.equal(wrapped.valid, false);
	assert.equal(check(wrapped.signatures[0], "unique-ids").status, "fail");

	// QualifyingProperties that targets another signature.
	const retarget = run(orig.replace('Target="#BORD548385_SIG_1"', 'Target="#OTHER"'));
	assert.equal(retarget.valid, false);
	assert.equal(check(retarget.signatures[0], "qualifying-properties").status, "fail");

	// CertDigest of another certificate.
	const cd = run(orig.replace("/bKFymy8wt5ULAJ7BGw9MFA43fE=", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="));
	assert.equal(cd.valid, false);
	assert.equal(check(cd.signatures[0], "cert-digest").status, "fail");

	// Untrusted: no anchors but an unrelated one.
	const untrusted = V.verifyXades(Buffer.from(orig, "latin1"), { policies: [V.PES_POLICY], trust: [LIBRICIEL[0]] });
	assert.equal(untrusted.valid, false);
	assert.equal(check(untrusted.signatures[0], "chain").status, "fail");

	// Wrong policy.
	const pol = V.verifyXades(Buffer.from(orig, "latin1"), { policies: ["urn:oid:1.2.3"], trust: ADULLACT });
	assert.equal(check(pol.signatures[0], "policy").status, "fail");

	// DOCTYPE / entities are refused before parsing.
	const xxe = run(orig.replace("?>", '?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'));
	assert.equal(xxe.valid, false);
	assert.match(xxe.error, /DOCTYPE/);
});
