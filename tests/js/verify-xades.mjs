#!/usr/bin/env node
// Independent XAdES verifier for liasse's tests (not written by liasse's
// signature engine, shares no code with it).  XMLDSig core validation
// (references and SignatureValue) is done by npm's xml-crypto; the XAdES
// assertions below are explicit.
//
//   node tests/js/verify-xades.mjs FILE [--data DATAFILE] [--json]
//        [--profile auto|pes|xades] [--policy URN ...] [--require-sha256]
//        [--require-timestamp] [--trust PEM|DIR ...] [--crl PEM ...]
//        [--tsa-trust PEM ...] [--tsa-untrusted PEM ...] [--expect-v2]
//
// Exit status: 0 iff the document has at least one ds:Signature and every
// signature passes every check; 1 otherwise; 2 on usage errors.
//
// As a module: verifyXades(bytes, options) -> { valid, signatures: [{ id,
// valid, signer, checks: [{ check, status: pass|fail|warn|skip, reason }] }] }

import { createHash, X509Certificate } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DOMParser } from "@xmldom/xmldom";
import { SignedXml, ExclusiveCanonicalization, C14nCanonicalization } from "xml-crypto";
import * as der from "./der.mjs";
import { compareDn, formatDn } from "./dn.mjs";

export const DS = "http://www.w3.org/2000/09/xmldsig#";
export const XADES = {
	"http://uri.etsi.org/01903/v1.1.1#": "1.1.1",
	"http://uri.etsi.org/01903/v1.2.2#": "1.2.2",
	"http://uri.etsi.org/01903/v1.3.2#": "1.3.2",
};
export const PES_POLICY = "urn:oid:1.2.250.1.131.1.5.18.21.1.7";

const DIGESTS = {
	"http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
	"http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
	"http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
	"http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
};
const C14N = {
	"http://www.w3.org/2001/10/xml-exc-c14n#": ExclusiveCanonicalization,
	"http://www.w3.org/TR/2001/REC-xml-c14n-20010315": C14nCanonicalization,
};
const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SHA256_ALGS = new Set([
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
	"http://www.w3.org/2001/04/xmlenc#sha256",
]);

// ---- DOM helpers ----------------------------------------------------------

function isEl(n) { return n && n.nodeType === 1; }

function kids(el, ns, local) {
	const out = [];
	for (let c = el ? el.firstChild : null; c; c = c.nextSibling) {
		if (isEl(c) && (!local || c.localName === local) &&
		    (ns === null || (Array.isArray(ns) ? ns.includes(c.namespaceURI) : c.namespaceURI === ns)))
			out.push(c);
	}
	return out;
}

function kid(el, ns, local) { return kids(el, ns, local)[0] || null; }

// Follows a path of local names in the given namespace(s).
function walk(el, ns, ...locals) {
	let cur = el;
	for (const l of locals)
		cur = cur ? kid(cur, ns, l) : null;
	return cur;
}

function descendants(root, ns, local) {
	const out = [];
	const list = root.getElementsByTagNameNS(ns, local);
	for (let i = 0; i < list.length; i++)
		out.push(list.item(i));
	return out;
}

function contains(anc, node) {
	for (let n = node; n; n = n.parentNode)
		if (n === anc)
			return true;
	return false;
}

function text(el) { return el ? el.textContent.trim() : null; }

function allElements(doc) {
	const out = [];
	const list = doc.getElementsByTagName("*");
	for (let i = 0; i < list.length; i++)
		out.push(list.item(i));
	return out;
}

// ---- input ----------------------------------------------------------------

// Decodes the document bytes following its XML declaration.
export function decodeXml(bytes) {
	let b = Buffer.from(bytes);
	if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf)
		b = b.subarray(3);
	const head = b.subarray(0, 200).toString("latin1");
	const m = /^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
	const enc = m ? m[1].toLowerCase() : "utf-8";
	if (["iso-8859-1", "latin1", "iso8859-1", "latin-1"].includes(enc))
		return b.toString("latin1");
	if (enc === "utf-8" || enc === "utf8" || enc === "us-ascii")
		return b.toString("utf8");
	return new TextDecoder(enc).decode(b);
}

function parse(xml) {
	const errors = [];
	const doc = new DOMParser({
		errorHandler: {
			warning: () => {},
			error: (m) => errors.push(String(m)),
			fatalError: (m) => errors.push(String(m)),
		},
	}).parseFromString(xml, "text/xml");
	if (errors.length || !doc || !doc.documentElement)
		throw new Error(`not well-formed XML: ${errors[0] || "no root element"}`);
	return doc;
}

// ---- result building ------------------------------------------------------

class Report {
	constructor() { this.checks = []; }
	add(check, status, reason) { this.checks.push({ check, status, reason }); }
	pass(check, reason) { this.add(check, "pass", reason); }
	fail(check, reason) { this.add(check, "fail", reason); }
	warn(check, reason) { this.add(check, "warn", reason); }
	skip(check, reason) { this.add(check, "skip", reason); }
	get valid() { return this.checks.every((c) => c.status !== "fail"); }
}

// ---- XMLDSig core through xml-crypto ---------------------------------------

// xml-crypto resolves only same-document references; a reference without a
// URI or with a non-fragment URI is a detached one, digested here over the
// data given with --data (never fetched).
class DetachedAwareSignedXml extends SignedXml {
	constructor(opts, data, refEls) {
		super(opts);
		this.detachedData = data;
		this.refEls = refEls;
	}

	validateReference(ref, doc) {
		// xml-crypto turns a missing URI into URI="" (the whole document):
		// look at the Reference element itself.
		const refEl = this.refEls[this.references.indexOf(ref)];
		const uri = refEl && refEl.hasAttribute("URI") ? refEl.getAttribute("URI") : null;
		if (uri !== null && (uri === "" || uri.startsWith("#")))
			return super.validateReference(ref, doc);
		if (this.detachedData == null) {
			ref.validationError = new Error(`detached reference ${uri ?? "(no URI)"}: no data given (never fetched)`);
			return undefined;
		}
		if (refEl && kid(refEl, DS, "Transforms")) {
			ref.validationError = new Error("transforms on detached data are not supported");
			return undefined;
		}
		const alg = DIGESTS[ref.digestAlgorithm];
		if (!alg) {
			ref.validationError = new Error(`unsupported digest ${ref.digestAlgorithm}`);
			return undefined;
		}
		const digest = createHash(alg).update(this.detachedData).digest("base64");
		if (digest !== ref.digestValue.replace(/\s+/g, "")) {
			ref.validationError = new Error(`detached data digest is ${digest}, the reference says ${ref.digestValue}`);
			return undefined;
		}
		return `detached:${digest}`;
	}
}

function keyInfoCerts(sig) {
	const out = [];
	for (const x of descendants(sig, DS, "X509Certificate")) {
		const keyInfo = walk(sig, DS, "KeyInfo");
		if (!keyInfo || !contains(keyInfo, x))
			continue;
		const b64 = x.textContent.replace(/\s+/g, "");
		try {
			const raw = Buffer.from(b64, "base64");
			out.push({ raw, x509: new X509Certificate(raw), info: der.certificate(raw) });
		} catch (e) {
			out.push({ error: e.message });
		}
	}
	return out;
}

function pem(raw) {
	return `-----BEGIN CERTIFICATE-----\n${raw.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE-----\n`;
}

// Runs xml-crypto with a given certificate; returns {refs, sigOk, error}.
function xmldsigCore(xml, sig, cert, data) {
	const refEls = kids(walk(sig, DS, "SignedInfo"), DS, "Reference");
	const sx = new DetachedAwareSignedXml({ publicCert: pem(cert.raw) }, data, refEls);
	let error = null;
	let result = false;
	try {
		sx.loadSignature(sig);
		result = sx.checkSignature(xml);
	} catch (e) {
		error = e.message;
	}
	const refs = sx.references.map((r) => ({ uri: r.uri, error: r.validationError?.message || null }));
	// checkSignature() stops before the SignatureValue when a reference
	// fails; check the SignatureValue on its own so both are reported.
	let sigOk = result === true;
	if (!sigOk && refs.length && refs.some((r) => r.error)) {
		try {
			const doc = parse(xml);
			const canon = sx.getCanonSignedInfoXml(doc);
			sigOk = sx.findSignatureAlgorithm(sx.signatureAlgorithm)
				.verifySignature(canon, pem(cert.raw), sx.signatureValue);
		} catch (e) {
			error = error || e.message;
		}
	}
	return { refs, sigOk, error, result: result === true };
}

// ---- XAdES checks ----------------------------------------------------------

function digestOf(el, xadesNs) {
	// DigestMethod/DigestValue: xades:* in 1.1.1, ds:* in 1.2.2 and 1.3.2
	// by their schemas; i-Parapheur writes xades:* in 1.2.2 too.
	const xm = kid(el, xadesNs, "DigestMethod");
	const dm = kid(el, DS, "DigestMethod");
	const m = xm || dm;
	const v = (xm ? kid(el, xadesNs, "DigestValue") : null) || kid(el, DS, "DigestValue");
	if (!m || !v)
		return null;
	return {
		alg: m.getAttribute("Algorithm"),
		hash: DIGESTS[m.getAttribute("Algorithm")],
		value: v.textContent.replace(/\s+/g, ""),
		ns: m.namespaceURI,
	};
}

function checkDigestNs(rep, what, d, version) {
	const want = version === "1.1.1" ? "xades" : "ds";
	const got = d.ns === DS ? "ds" : "xades";
	if (got === want)
		rep.pass(`${what}-namespace`, `${got}:DigestMethod/DigestValue as the XAdES ${version} schema says`);
	else if (version === "1.1.1")
		rep.fail(`${what}-namespace`, `XAdES 1.1.1 needs xades:DigestMethod/DigestValue, found ${got}:`);
	else
		rep.warn(`${what}-namespace`, `the XAdES ${version} schema wants ds:DigestMethod/DigestValue, found ${got}: (as i-Parapheur writes it)`);
}

function checkQualifyingProperties(rep, ctx) {
	const { sig, doc } = ctx;
	const id = sig.getAttribute("Id");
	if (!id) {
		rep.fail("signature-id", "ds:Signature has no Id, so no QualifyingProperties can target it");
		return null;
	}
	const all = [];
	for (const ns of Object.keys(XADES))
		all.push(...descendants(doc, ns, "QualifyingProperties"));
	const targeting = all.filter((q) => q.getAttribute("Target") === `#${id}`);
	const inside = all.filter((q) => contains(sig, q));
	if (targeting.length !== 1) {
		rep.fail("qualifying-properties", `${targeting.length} QualifyingProperties have Target="#${id}" (exactly 1 needed)`);
		return null;
	}
	const qp = targeting[0];
	if (!contains(sig, qp) || inside.length !== 1) {
		rep.fail("qualifying-properties", `the QualifyingProperties targeting #${id} must be the only one inside this ds:Signature (${inside.length} inside)`);
		return null;
	}
	const obj = qp.parentNode;
	if (!isEl(obj) || obj.namespaceURI !== DS || obj.localName !== "Object" || obj.parentNode !== sig) {
		rep.fail("qualifying-properties", "QualifyingProperties is not in a ds:Object child of the signature");
		return null;
	}
	ctx.xadesNs = qp.namespaceURI;
	ctx.version = XADES[qp.namespaceURI];
	rep.pass("qualifying-properties", `one QualifyingProperties (XAdES ${ctx.version}) with Target="#${id}"`);
	return qp;
}

function checkSignedPropertiesRef(rep, ctx, qp, core) {
	const ns = ctx.xadesNs;
	const sps = kids(qp, ns, "SignedProperties");
	if (sps.length !== 1) {
		rep.fail("signed-properties-reference", `${sps.length} SignedProperties in QualifyingProperties`);
		return null;
	}
	const sp = sps[0];
	const spId = sp.getAttribute("Id");
	const refEls = kids(walk(ctx.sig, DS, "SignedInfo"), DS, "Reference");
	const typed = refEls.map((r, i) => ({ r, i })).filter(({ r }) =>
		(r.getAttribute("Type") || "").endsWith("#SignedProperties"));
	if (!spId) {
		rep.fail("signed-properties-reference", "SignedProperties has no Id");
		return sp;
	}
	if (typed.length !== 1) {
		rep.fail("signed-properties-reference", `${typed.length} References with Type ...#SignedProperties (exactly 1 needed)`);
		return sp;
	}
	const { r, i } = typed[0];
	const uri = r.getAttribute("URI");
	if (uri !== `#${spId}`) {
		rep.fail("signed-properties-reference", `the SignedProperties reference points to ${uri}, not #${spId}`);
		return sp;
	}
	const sameId = allElements(ctx.doc).filter((e) => idOf(e) === spId);
	if (sameId.length !== 1 || sameId[0] !== sp) {
		rep.fail("signed-properties-reference", `Id ${spId} does not designate this SignedProperties alone`);
		return sp;
	}
	const type = r.getAttribute("Type");
	const expected = `${ctx.xadesNs.replace(/#$/, "")}#SignedProperties`;
	if (core.refs[i] && core.refs[i].error) {
		rep.fail("signed-properties-reference", `reference to #${spId} does not verify: ${core.refs[i].error}`);
	} else if (type !== expected && type !== "http://uri.etsi.org/01903#SignedProperties") {
		rep.warn("signed-properties-reference", `bound to #${spId} but Type is ${type} (expected ${expected})`);
	} else {
		rep.pass("signed-properties-reference", `Reference Type=${type} URI=#${spId}, digest verified`);
	}
	ctx.spRefIndex = i;
	return sp;
}

function idOf(el) {
	return el.getAttribute("Id") || el.getAttribute("ID") || el.getAttribute("id") || null;
}

function checkDataReferences(rep, ctx, core) {
	const refEls = kids(walk(ctx.sig, DS, "SignedInfo"), DS, "Reference");
	const data = refEls.map((r, i) => ({ r, i })).filter(({ i }) => i !== ctx.spRefIndex);
	if (data.length === 0) {
		rep.fail("data-reference", "no Reference to the signed data");
		return;
	}
	ctx.dataRefs = data.map(({ r }) => r);
	for (const { r, i } of data) {
		const uri = r.hasAttribute("URI") ? r.getAttribute("URI") : null;
		const err = core.refs[i]?.error;
		const label = uri === null ? "(no URI: detached)" : uri;
		const target = uri !== null && uri.startsWith("#")
			? allElements(ctx.doc).filter((e) => idOf(e) === uri.slice(1)) : [];
		if (target.length === 1)
			ctx.signedElements.push(target[0]);
		if (err) {
			rep.fail("data-reference", `${label}: ${err}`);
			continue;
		}
		if (uri !== null && uri.startsWith("#")) {
			if (target.length !== 1) {
				rep.fail("data-reference", `${uri} designates ${target.length} elements`);
				continue;
			}
			const transforms = kids(walk(r, DS, "Transforms"), DS, "Transform").map((t) => t.getAttribute("Algorithm"));
			const env = transforms.includes(ENVELOPED);
			if (env && !contains(target[0], ctx.sig)) {
				rep.fail("data-reference", `${uri} has the enveloped-signature transform but does not contain the signature`);
				continue;
			}
			rep.pass("data-reference", `${uri} -> <${target[0].localName}>${env ? " (enveloped)" : ""}, digest verified`);
		} else if (uri === "") {
			ctx.signedElements.push(ctx.doc.documentElement);
			rep.pass("data-reference", "URI=\"\" (whole document), digest verified");
		} else {
			rep.pass("data-reference", `${label}: digest of the detached data verified`);
		}
	}
}

function checkSignedInfo(rep, ctx, core, cert) {
	if (core.error && !core.refs.length)
		rep.fail("xmldsig-core", `xml-crypto: ${core.error}`);
	if (core.sigOk)
		rep.pass("signature-value", `SignatureValue verifies with the KeyInfo certificate (${ctx.sigAlg})`);
	else
		rep.fail("signature-value", `SignatureValue does not verify with the KeyInfo certificate${core.error ? `: ${core.error}` : ""}`);
	const bad = core.refs.filter((r) => r.error);
	if (core.refs.length && !bad.length && core.result)
		rep.pass("references", `${core.refs.length} references verified by xml-crypto`);
	else if (core.refs.length)
		rep.fail("references", bad.map((r) => r.error).join("; ") || core.error || "xml-crypto refused the signature");
	const algs = [ctx.sigAlg, ...kids(walk(ctx.sig, DS, "SignedInfo"), DS, "Reference")
		.map((r) => walk(r, DS, "DigestMethod")?.getAttribute("Algorithm"))];
	const c14n = walk(ctx.sig, DS, "SignedInfo", "CanonicalizationMethod")?.getAttribute("Algorithm");
	const weak = algs.filter((a) => !SHA256_ALGS.has(a));
	if (ctx.opts.requireSha256 && weak.length)
		rep.fail("algorithms", `not SHA-256: ${weak.join(", ")}`);
	else if (weak.length)
		rep.warn("algorithms", `accepted but not SHA-256: ${[...new Set(weak)].join(", ")}`);
	else
		rep.pass("algorithms", "rsa-sha256 and sha256 digests");
	if (ctx.opts.requireExcC14n && c14n !== "http://www.w3.org/2001/10/xml-exc-c14n#")
		rep.fail("c14n", `SignedInfo canonicalization is ${c14n}, not exclusive C14N`);
}

function checkSigningCertificate(rep, ctx, ssp, cert) {
	const ns = ctx.xadesNs;
	const v1 = kid(ssp, ns, "SigningCertificate");
	const v2 = kid(ssp, ns, "SigningCertificateV2");
	if (!v1 && !v2) {
		rep.fail("cert-digest", "no SigningCertificate(V2)");
		return;
	}
	if (ctx.version === "1.3.2" && !v2)
		rep.fail("signing-certificate-v2", "XAdES baseline (1.3.2) needs SigningCertificateV2");
	if (ctx.opts.expectSigningCertificateV2 && !v2)
		rep.fail("signing-certificate-v2", "SigningCertificateV2 expected");
	const certs = kids(v2 || v1, ns, "Cert");
	let match = null;
	const seen = [];
	for (const c of certs) {
		const d = digestOf(kid(c, ns, "CertDigest"), ns);
		if (!d || !d.hash) {
			seen.push(d ? `unsupported ${d.alg}` : "no digest");
			continue;
		}
		const mine = createHash(d.hash).update(cert.raw).digest("base64");
		seen.push(`${d.hash}:${d.value}`);
		if (mine === d.value) {
			match = { c, d };
			break;
		}
	}
	if (!match) {
		rep.fail("cert-digest", `no CertDigest equals the digest of the KeyInfo certificate (${seen.join(", ")})`);
		return;
	}
	rep.pass("cert-digest", `CertDigest (${match.d.hash}) equals the signer certificate's digest`);
	checkDigestNs(rep, "cert-digest", match.d, ctx.version);
	if (v2) {
		const isv2 = kid(match.c, ns, "IssuerSerialV2");
		if (!isv2) {
			rep.warn("issuer-serial", "no IssuerSerialV2 (optional in SigningCertificateV2)");
			return;
		}
		let parsed;
		try {
			parsed = der.issuerSerialV2(Buffer.from(text(isv2), "base64"));
		} catch (e) {
			rep.fail("issuer-serial", `IssuerSerialV2 is not DER IssuerSerial: ${e.message}`);
			return;
		}
		const nameOk = parsed.issuers.some((n) => n.equals(cert.info.issuerDer));
		const serialOk = parsed.serial === cert.info.serial;
		if (nameOk && serialOk)
			rep.pass("issuer-serial", `IssuerSerialV2 matches (serial ${cert.info.serial})`);
		else
			rep.fail("issuer-serial", `IssuerSerialV2 ${nameOk ? "" : "issuer differs "}${serialOk ? "" : `serial ${parsed.serial} != ${cert.info.serial}`}`);
		return;
	}
	const is = kid(match.c, ns, "IssuerSerial");
	if (!is) {
		rep.fail("issuer-serial", "no IssuerSerial");
		return;
	}
	const iname = text(kid(is, DS, "X509IssuerName"));
	const iserial = text(kid(is, DS, "X509SerialNumber"));
	const problems = [];
	if (iname === null)
		problems.push("no ds:X509IssuerName");
	if (iserial === null || !/^-?\d+$/.test(iserial))
		problems.push(`X509SerialNumber "${iserial}" is not a decimal integer`);
	else if (BigInt(iserial) !== cert.info.serial)
		problems.push(`serial ${iserial} != certificate serial ${cert.info.serial}`);
	let how = "";
	if (iname !== null) {
		const cmp = compareDn(iname, cert.info.issuer);
		how = cmp.how;
		if (!cmp.ok)
			problems.push(`X509IssuerName "${iname}" is not the certificate issuer "${formatDn(cert.info.issuer)}" (${cmp.how})`);
	}
	if (problems.length)
		rep.fail("issuer-serial", problems.join("; "));
	else if (how === "exact")
		rep.pass("issuer-serial", `issuer (RFC 2253) and decimal serial ${iserial} match the certificate`);
	else
		rep.warn("issuer-serial", `serial matches; issuer name matches only ${how === "order" ? "in reverse (non RFC 2253) order" : "ignoring case/spaces"}`);
}

function checkSigningTime(rep, ctx, ssp, cert) {
	const st = text(kid(ssp, ctx.xadesNs, "SigningTime"));
	if (!st) {
		rep.fail("signing-time", "no SigningTime");
		return;
	}
	if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(st)) {
		rep.fail("signing-time", `SigningTime "${st}" is not UTC (YYYY-MM-DDThh:mm:ssZ)`);
		return;
	}
	ctx.signingTime = new Date(st);
	rep.pass("signing-time", `SigningTime ${st}`);
	const t = ctx.signingTime;
	if (t < cert.info.notBefore || t > cert.info.notAfter)
		rep.fail("certificate-validity", `SigningTime ${st} is outside the certificate validity ${cert.info.notBefore.toISOString()} .. ${cert.info.notAfter.toISOString()}`);
	else
		rep.pass("certificate-validity", "SigningTime within the certificate validity");
}

function checkKeyUsage(rep, ctx, cert) {
	const ku = cert.info.keyUsage;
	// RFC 5280: without a keyUsage extension the key is not restricted.
	if (!ku)
		rep.warn("non-repudiation", "the certificate has no keyUsage extension (unrestricted, RFC 5280)");
	else if (ku.includes("nonRepudiation"))
		rep.pass("non-repudiation", `keyUsage ${ku.join(", ")}`);
	else
		rep[ctx.opts.requireNonRepudiation ? "fail" : "warn"]("non-repudiation", `keyUsage ${ku.join(", ")} lacks nonRepudiation`);
}

function checkPolicy(rep, ctx, ssp) {
	const ns = ctx.xadesNs;
	const spi = kid(ssp, ns, "SignaturePolicyIdentifier");
	const pes = ctx.profile === "pes";
	if (!spi) {
		if (pes)
			rep.fail("policy", "PES: no SignaturePolicyIdentifier");
		return;
	}
	const spid = kid(spi, ns, "SignaturePolicyId");
	if (!spid) {
		rep[pes ? "fail" : "pass"]("policy", "SignaturePolicyImplied");
		return;
	}
	const ident = text(walk(spid, ns, "SigPolicyId", "Identifier"));
	const wanted = ctx.opts.policies;
	if (!ident)
		rep.fail("policy", "SigPolicyId/Identifier missing");
	else if (wanted.length && !wanted.includes(ident))
		rep.fail("policy", `policy ${ident}, expected ${wanted.join(" or ")}`);
	else
		rep.pass("policy", `policy ${ident}`);
	const hashEl = kid(spid, ns, "SigPolicyHash");
	const d = hashEl ? digestOf(hashEl, ns) : null;
	if (!d || !d.value)
		rep.fail("policy-hash", "SigPolicyHash with DigestMethod and DigestValue missing");
	else {
		rep.pass("policy-hash", `SigPolicyHash ${d.hash || d.alg} ${d.value}`);
		checkDigestNs(rep, "policy-hash", d, ctx.version);
	}
	const spuri = descendants(spid, ns, "SPURI").map(text);
	if (spuri.length)
		rep.pass("policy-spuri", spuri.join(" "));
	else if (pes)
		rep.warn("policy-spuri", "no SPURI qualifier");
}

function checkPesExtras(rep, ctx, ssp) {
	const ns = ctx.xadesNs;
	const place = kid(ssp, ns, "SignatureProductionPlace");
	if (place)
		rep.pass("production-place", ["City", "PostalCode", "CountryName"].map((l) => `${l}=${text(kid(place, ns, l)) ?? "-"}`).join(" "));
	else
		rep.warn("production-place", "no SignatureProductionPlace");
	const role = text(walk(ssp, ns, "SignerRole", "ClaimedRoles", "ClaimedRole"));
	if (role)
		rep.pass("claimed-role", role);
	else
		rep.warn("claimed-role", "no SignerRole/ClaimedRoles/ClaimedRole");
	const signed = ctx.signedElements[0];
	if (!signed || !["Bordereau", "PES_Aller"].includes(signed.localName))
		rep.fail("pes-target", `PES: the data reference must designate a Bordereau or PES_Aller (got ${signed ? signed.localName : "nothing"})`);
	else if (ctx.sig.parentNode !== signed)
		rep.fail("pes-target", `PES: the signature must be a child of the ${signed.localName} it signs`);
	else if (signed.lastChild && kids(signed, null).pop() !== ctx.sig)
		rep.warn("pes-target", `the signature is not the last child of ${signed.localName}`);
	else
		rep.pass("pes-target", `enveloped in the ${signed.localName} it signs (Id ${idOf(signed)})`);
}

function checkDataObjectFormat(rep, ctx, sp) {
	const ns = ctx.xadesNs;
	const dofs = descendants(sp, ns, "DataObjectFormat");
	for (const r of ctx.dataRefs || []) {
		const rid = r.getAttribute("Id");
		const dof = rid ? dofs.find((d) => d.getAttribute("ObjectReference") === `#${rid}`) : null;
		const mime = dof ? text(kid(dof, ns, "MimeType")) : null;
		if (!dof)
			rep[ctx.version === "1.3.2" ? "fail" : "warn"]("data-object-format", `no DataObjectFormat with ObjectReference="#${rid ?? "(Reference has no Id)"}"`);
		else if (!mime)
			rep.fail("data-object-format", `DataObjectFormat for #${rid} has no MimeType`);
		else
			rep.pass("data-object-format", `#${rid}: ${mime}`);
	}
}

// ---- time-stamp ------------------------------------------------------------

function canonicalize(el, alg) {
	const C = C14N[alg];
	if (!C)
		throw new Error(`unsupported canonicalization ${alg}`);
	return new C().process(el, { ancestorNamespaces: [] }).toString();
}

function openssl(args, opts = {}) {
	return execFileSync(process.env.OPENSSL || "openssl", args,
		{ stdio: ["ignore", "pipe", "pipe"], ...opts }).toString();
}

function checkTimeStamp(rep, ctx, qp) {
	const ns = ctx.xadesNs;
	const usp = walk(qp, ns, "UnsignedProperties", "UnsignedSignatureProperties");
	const sts = usp ? kids(usp, ns, "SignatureTimeStamp") : [];
	if (!sts.length) {
		if (ctx.opts.requireTimestamp)
			rep.fail("signature-timestamp", "no SignatureTimeStamp");
		return;
	}
	for (const ts of sts) {
		const cm = kid(ts, DS, "CanonicalizationMethod");
		// XAdES: without ds:CanonicalizationMethod, inclusive C14N 1.0 applies.
		const alg = cm ? cm.getAttribute("Algorithm") : "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
		const enc = kid(ts, ns, "EncapsulatedTimeStamp");
		if (!enc) {
			rep.fail("signature-timestamp", "SignatureTimeStamp without EncapsulatedTimeStamp");
			continue;
		}
		let tok;
		try {
			const raw = Buffer.from(enc.textContent.replace(/\s+/g, ""), "base64");
			tok = { raw, ...der.timeStampToken(raw) };
		} catch (e) {
			rep.fail("signature-timestamp", `EncapsulatedTimeStamp is not an RFC 3161 token: ${e.message}`);
			continue;
		}
		const hash = der.HASH_OIDS[tok.hashOid];
		const sv = walk(ctx.sig, DS, "SignatureValue");
		let mine;
		try {
			mine = createHash(hash).update(canonicalize(sv, alg), "utf8").digest();
		} catch (e) {
			rep.fail("signature-timestamp", e.message);
			continue;
		}
		if (!mine.equals(tok.imprint)) {
			rep.fail("signature-timestamp", `message imprint ${tok.imprint.toString("hex")} != ${hash} of the C14N (${alg.replace(/.*\//, "")}) of ds:SignatureValue ${mine.toString("hex")}`);
			continue;
		}
		rep.pass("signature-timestamp", `imprint = ${hash}(${cm ? "" : "default "}${alg.replace(/.*\//, "")} ds:SignatureValue); genTime ${tok.genTime.toISOString()}; policy ${tok.policy}`);
		ctx.timestampTime = tok.genTime;
		if (ctx.signingTime && ctx.signingTime.getTime() > tok.genTime.getTime() + 1000)
			rep.fail("timestamp-order", `SigningTime ${ctx.signingTime.toISOString()} is after the time-stamp ${tok.genTime.toISOString()}`);
		if (ctx.opts.tsaTrust.length)
			verifyTokenSignature(rep, tok, mine);
	}
}

function withTemp(fn) {
	const dir = mkdtempSync(path.join(tmpdir(), "verify-xades-"));
	try {
		return fn(dir);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

function verifyTokenSignature(rep, tok, digest) {
	withTemp((dir) => {
		const t = path.join(dir, "token.der");
		const ca = path.join(dir, "ca.pem");
		writeFileSync(t, tok.raw);
		writeFileSync(ca, pemBundle(pemFiles(rep.opts.tsaTrust)));
		const args = ["ts", "-verify", "-digest", digest.toString("hex"), "-in", t,
			"-token_in", "-CAfile", ca];
		if (rep.opts.tsaUntrusted.length) {
			const u = path.join(dir, "untrusted.pem");
			writeFileSync(u, pemBundle(pemFiles(rep.opts.tsaUntrusted)));
			args.push("-untrusted", u);
		}
		try {
			openssl(args);
			rep.pass("timestamp-signature", "openssl ts -verify: imprint and token signature by a trusted TSA");
		} catch (e) {
			rep.fail("timestamp-signature", `openssl ts -verify: ${String(e.stderr || e.message).trim().split("\n").slice(-2).join(" ")}`);
		}
	});
}

// ---- trust (optional chain check with openssl verify) -----------------------

function pemFiles(list) {
	const out = [];
	for (const p of list) {
		if (statSync(p).isDirectory()) {
			for (const f of readdirSync(p).sort())
				if (/\.(pem|crt|cer)$/i.test(f))
					out.push(path.join(p, f));
		} else {
			out.push(p);
		}
	}
	return out;
}

function crlFiles(list, trustList) {
	const out = [...list];
	for (const p of trustList)
		if (statSync(p).isDirectory())
			for (const f of readdirSync(p).sort())
				if (/\.crl$/i.test(f))
					out.push(path.join(p, f));
	return out;
}

function pemBundle(files) {
	return files.map((f) => readFileSync(f, "latin1").replace(/\r/g, "")).join("\n");
}

function opensslError(e) {
	return String(e.stderr || e.stdout || e.message).split("\n").filter((l) => /error/.test(l)).join(" ");
}

// The chain is checked at the time-stamp time, else the claimed signing
// time, without CRLs: a CRL issued after that time is "not yet valid" for
// openssl at that time, although it is the right one to consult.  The
// revocation check then uses the configured CRLs without time checks: a
// listed certificate is refused whatever its revocation date (conservative).
function checkChain(rep, ctx, cert, chainCerts) {
	const { opts } = ctx;
	if (!opts.trust.length) {
		rep.skip("chain", "no --trust given");
		return;
	}
	const at = ctx.timestampTime || ctx.signingTime || new Date();
	withTemp((dir) => {
		const ca = path.join(dir, "ca.pem");
		const leaf = path.join(dir, "leaf.pem");
		const untrusted = path.join(dir, "untrusted.pem");
		writeFileSync(ca, pemBundle(pemFiles(opts.trust)));
		writeFileSync(leaf, pem(cert.raw));
		const base = ["verify", "-CAfile", ca];
		const others = chainCerts.filter((c) => c !== cert && c.raw);
		if (others.length) {
			writeFileSync(untrusted, others.map((c) => pem(c.raw)).join(""));
			base.push("-untrusted", untrusted);
		}
		let chainOk = false;
		try {
			openssl([...base, "-attime", String(Math.floor(at.getTime() / 1000)), leaf]);
			rep.pass("chain", `openssl verify at ${at.toISOString()}: OK`);
			chainOk = true;
		} catch (e) {
			rep.fail("chain", `openssl verify at ${at.toISOString()}: ${opensslError(e) || "failed"}`);
		}
		const crls = crlFiles(opts.crl, opts.trust);
		if (!crls.length) {
			rep.skip("revocation", "no CRL configured");
			return;
		}
		if (!chainOk) {
			rep.skip("revocation", "no valid chain");
			return;
		}
		const args = [...base, "-no_check_time", "-crl_check"];
		for (const c of crls)
			args.push("-CRLfile", c);
		try {
			openssl([...args, leaf]);
			rep.pass("revocation", "not listed in the configured CRL");
		} catch (e) {
			rep.fail("revocation", `openssl verify -crl_check: ${opensslError(e) || "failed"}`);
		}
	});
}

// ---- one signature ---------------------------------------------------------

function signerCert(xml, sig, certs, data) {
	let first = null;
	for (const c of certs) {
		if (c.error)
			continue;
		const core = xmldsigCore(xml, sig, c, data);
		first = first || { cert: c, core };
		if (core.sigOk)
			return { cert: c, core };
	}
	return first;
}

function verifySignature(xml, doc, sig, opts, idCounts) {
	const rep = new Report();
	rep.opts = opts;
	const ctx = { sig, doc, opts, signedElements: [], profile: opts.profile };
	ctx.sigAlg = walk(sig, DS, "SignedInfo", "SignatureMethod")?.getAttribute("Algorithm");
	const out = { id: sig.getAttribute("Id") || null, signer: null, checks: rep.checks };
	const dup = [...idCounts].filter(([, n]) => n > 1).map(([id]) => id);
	if (dup.length)
		rep.fail("unique-ids", `duplicate Id values in the document: ${dup.join(", ")}`);
	else
		rep.pass("unique-ids", "every Id is unique");
	const certs = keyInfoCerts(sig);
	const usable = certs.filter((c) => !c.error);
	if (!usable.length) {
		rep.fail("key-info", certs.length ? `bad X509Certificate: ${certs[0].error}` : "no ds:KeyInfo/X509Data/X509Certificate");
		out.valid = false;
		return out;
	}
	const { cert, core } = signerCert(xml, sig, usable, opts.data);
	out.signer = cert.x509.subject.replace(/\n/g, ", ");
	checkSignedInfo(rep, ctx, core, cert);
	checkKeyUsage(rep, ctx, cert);
	const qp = checkQualifyingProperties(rep, ctx);
	if (qp) {
		const sp = checkSignedPropertiesRef(rep, ctx, qp, core);
		checkDataReferences(rep, ctx, core);
		const ssp = sp ? kid(sp, ctx.xadesNs, "SignedSignatureProperties") : null;
		if (!ssp) {
			rep.fail("signed-signature-properties", "no SignedSignatureProperties");
		} else {
			checkSigningCertificate(rep, ctx, ssp, cert);
			checkSigningTime(rep, ctx, ssp, cert);
			checkPolicy(rep, ctx, ssp);
			if (ctx.profile === "pes")
				checkPesExtras(rep, ctx, ssp);
			else
				checkDataObjectFormat(rep, ctx, sp);
		}
		checkTimeStamp(rep, ctx, qp);
	} else {
		checkDataReferences(rep, ctx, core);
	}
	checkChain(rep, ctx, cert, usable);
	out.version = ctx.version || null;
	out.valid = rep.valid;
	return out;
}

// ---- document ----------------------------------------------------------------

export function verifyXades(bytes, options = {}) {
	const opts = {
		profile: "auto",
		policies: [PES_POLICY],
		requireSha256: false,
		requireExcC14n: false,
		requireTimestamp: false,
		requireNonRepudiation: true,
		expectSigningCertificateV2: false,
		trust: [],
		crl: [],
		tsaTrust: [],
		tsaUntrusted: [],
		data: null,
		...options,
	};
	const result = { valid: false, signatures: [], error: null };
	let xml, doc;
	try {
		xml = decodeXml(bytes);
		if (/<!DOCTYPE/i.test(xml))
			throw new Error("the document has a DOCTYPE (DTDs and entities are refused)");
		doc = parse(xml);
	} catch (e) {
		result.error = e.message;
		return result;
	}
	if (opts.profile === "auto")
		opts.profile = doc.documentElement.localName === "PES_Aller" ? "pes" : "xades";
	result.profile = opts.profile;
	const idCounts = new Map();
	for (const e of allElements(doc)) {
		for (const a of ["Id", "ID", "id"]) {
			const v = e.getAttribute(a);
			if (v)
				idCounts.set(v, (idCounts.get(v) || 0) + 1);
		}
	}
	const sigs = descendants(doc, DS, "Signature");
	if (!sigs.length) {
		result.error = "no ds:Signature in the document";
		return result;
	}
	for (const sig of sigs)
		result.signatures.push(verifySignature(xml, doc, sig, opts, idCounts));
	result.valid = result.signatures.every((s) => s.valid);
	return result;
}

export function formatReport(file, r) {
	const lines = [`${file}: ${r.valid ? "VALID" : "INVALID"}${r.error ? ` (${r.error})` : ""}`];
	r.signatures.forEach((s, i) => {
		lines.push(`signature ${i + 1} Id=${s.id ?? "-"} XAdES ${s.version ?? "-"}: ${s.valid ? "valid" : "INVALID"}; signer ${s.signer ?? "-"}`);
		for (const c of s.checks)
			lines.push(`  [${c.status}] ${c.check}: ${c.reason}`);
	});
	return lines.join("\n");
}

// ---- CLI -------------------------------------------------------------------

function usage() {
	console.error("usage: verify-xades.mjs FILE [--data DATAFILE] [--json] [--profile auto|pes|xades]\n" +
		"       [--policy URN]... [--any-policy] [--require-sha256] [--require-exc-c14n]\n" +
		"       [--require-timestamp] [--no-require-nonrepudiation] [--trust PEM|DIR]...\n" +
		"       [--crl PEM]... [--tsa-trust PEM]... [--tsa-untrusted PEM]... [--expect-v2]");
	process.exit(2);
}

export function parseArgs(argv) {
	const o = { trust: [], crl: [], tsaTrust: [], tsaUntrusted: [], policies: null, json: false };
	let file = null;
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const next = () => { if (i + 1 >= argv.length) usage(); return argv[++i]; };
		switch (a) {
		case "--data": o.data = readFileSync(next()); break;
		case "--json": o.json = true; break;
		case "--profile": o.profile = next(); break;
		case "--policy": (o.policies ||= []).push(next()); break;
		case "--any-policy": o.policies = []; break;
		case "--require-sha256": o.requireSha256 = true; break;
		case "--require-exc-c14n": o.requireExcC14n = true; break;
		case "--require-timestamp": o.requireTimestamp = true; break;
		case "--no-require-nonrepudiation": o.requireNonRepudiation = false; break;
		case "--expect-v2": o.expectSigningCertificateV2 = true; break;
		case "--trust": o.trust.push(next()); break;
		case "--crl": o.crl.push(next()); break;
		case "--tsa-trust": o.tsaTrust.push(next()); break;
		case "--tsa-untrusted": o.tsaUntrusted.push(next()); break;
		default:
			if (a.startsWith("-") || file)
				usage();
			file = a;
		}
	}
	if (!file)
		usage();
	if (o.policies === null)
		delete o.policies;
	return { file, opts: o };
}

if (import.meta.url === pathToFileURL(process.argv[1] || "").href) {
	const { file, opts } = parseArgs(process.argv.slice(2));
	const r = verifyXades(readFileSync(file), opts);
	if (opts.json)
		console.log(JSON.stringify({ file, ...r }, null, 1));
	else
		console.log(formatReport(file, r));
	process.exit(r.valid ? 0 : 1);
}
