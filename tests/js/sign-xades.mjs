// A second, independent PES XAdES-EPES (1.1.1) signer for the tests, built
// on node:crypto and xml-crypto's exclusive C14N: it lets the tests hand
// liasse verify signatures liasse did not make (including ones liasse sign
// refuses to make, e.g. with an expired certificate).  TEST ONLY.
//
//   signPes(bytes, { keyPem, certPem, signingTime, targetId, policy... })
//     -> Buffer (the document, re-serialised by xmldom, same encoding)

import { createHash, createSign, X509Certificate } from "node:crypto";
import { DOMParser, XMLSerializer } from "@xmldom/xmldom";
import { ExclusiveCanonicalization } from "xml-crypto";
import { decodeXml, PES_POLICY } from "./verify-xades.mjs";
import { certificate } from "./der.mjs";
import { formatDn } from "./dn.mjs";

const EXC = "http://www.w3.org/2001/10/xml-exc-c14n#";
const X111 = "http://uri.etsi.org/01903/v1.1.1#";

function c14n(el) {
	return new ExclusiveCanonicalization().process(el, { ancestorNamespaces: [] }).toString();
}

function digest(o, s) {
	return createHash(o.sha1 ? "sha1" : "sha256").update(s).digest("base64");
}

function esc(s) {
	return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// Options that make a signature cryptographically valid but wrong, for
// testing verifiers: qpTarget (QualifyingProperties Target), spRefTo (Id the
// SignedProperties reference designates), certDigestPem (CertDigest of
// another certificate), extraRef ({ uri, data }: a further reference),
// sha1 (rsa-sha1 and sha1 digests), noPolicy, policy (identifier).
function template(o) {
	const id = `${o.targetId}_SIG_1`;
	const der = new X509Certificate(o.certPem).raw;
	const digestCert = o.certDigestPem ? new X509Certificate(o.certDigestPem).raw : der;
	const info = certificate(der);
	const h = o.sha1 ? "http://www.w3.org/2000/09/xmldsig#sha1" : "http://www.w3.org/2001/04/xmlenc#sha256";
	const extra = o.extraRef
		? `<ds:Reference URI="${esc(o.extraRef.uri)}"><ds:DigestMethod Algorithm="${h}"/><ds:DigestValue/></ds:Reference>` : "";
	return `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="${id}">` +
		`<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${EXC}"/>` +
		`<ds:SignatureMethod Algorithm="${o.sha1 ? "http://www.w3.org/2000/09/xmldsig#rsa-sha1" : "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"}"/>` +
		`<ds:Reference URI="#${o.targetId}"><ds:Transforms>` +
		'<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>' +
		`<ds:Transform Algorithm="${EXC}"/></ds:Transforms>` +
		`<ds:DigestMethod Algorithm="${h}"/><ds:DigestValue/></ds:Reference>` +
		`<ds:Reference Type="${X111}SignedProperties" URI="#${o.spRefTo || `${id}_SP`}"><ds:Transforms>` +
		`<ds:Transform Algorithm="${EXC}"/></ds:Transforms>` +
		`<ds:DigestMethod Algorithm="${h}"/><ds:DigestValue/></ds:Reference>${extra}` +
		`</ds:SignedInfo><ds:SignatureValue Id="${id}_SV"/>` +
		`<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${der.toString("base64")}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
		`<ds:Object><xad:QualifyingProperties xmlns:xad="${X111}" Target="${o.qpTarget || `#${id}`}">` +
		`<xad:SignedProperties Id="${id}_SP"><xad:SignedSignatureProperties>` +
		`<xad:SigningTime>${o.signingTime.toISOString().replace(/\.\d+Z$/, "Z")}</xad:SigningTime>` +
		"<xad:SigningCertificate><xad:Cert><xad:CertDigest>" +
		'<xad:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>' +
		`<xad:DigestValue>${createHash("sha256").update(digestCert).digest("base64")}</xad:DigestValue></xad:CertDigest>` +
		`<xad:IssuerSerial><ds:X509IssuerName>${esc(formatDn(info.issuer))}</ds:X509IssuerName>` +
		`<ds:X509SerialNumber>${info.serial}</ds:X509SerialNumber></xad:IssuerSerial>` +
		"</xad:Cert></xad:SigningCertificate>" +
		(o.noPolicy ? "" : "<xad:SignaturePolicyIdentifier><xad:SignaturePolicyId><xad:SigPolicyId>" +
		`<xad:Identifier>${esc(o.policy || PES_POLICY)}</xad:Identifier></xad:SigPolicyId>` +
		'<xad:SigPolicyHash><xad:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>' +
		`<xad:DigestValue>${o.policyHash || "roF9+cfRHNPtVJolhdqfIqGMVuUXX8aR4rpiquf0u5E="}</xad:DigestValue></xad:SigPolicyHash>` +
		"</xad:SignaturePolicyId></xad:SignaturePolicyIdentifier>") +
		"<xad:SignatureProductionPlace><xad:City>Céret</xad:City><xad:PostalCode>66400</xad:PostalCode>" +
		"<xad:CountryName>France</xad:CountryName></xad:SignatureProductionPlace>" +
		"<xad:SignerRole><xad:ClaimedRoles><xad:ClaimedRole>Ordonnateur</xad:ClaimedRole></xad:ClaimedRoles></xad:SignerRole>" +
		"</xad:SignedSignatureProperties></xad:SignedProperties></xad:QualifyingProperties></ds:Object></ds:Signature>";
}

function byId(doc, id) {
	const all = doc.getElementsByTagName("*");
	for (let i = 0; i < all.length; i++)
		if (all.item(i).getAttribute("Id") === id)
			return all.item(i);
	return null;
}

function child(el, local) {
	for (let c = el.firstChild; c; c = c.nextSibling)
		if (c.nodeType === 1 && c.localName === local)
			return c;
	return null;
}

export function signPes(bytes, o) {
	const text = decodeXml(bytes);
	const latin1 = /^<\?xml[^>]*encoding\s*=\s*["']ISO-8859-1["']/i.test(text);
	const doc = new DOMParser().parseFromString(text, "text/xml");
	const target = byId(doc, o.targetId);
	if (!target)
		throw new Error(`no element with Id ${o.targetId}`);
	// addId: { local, id } gives another element an Id (a decoy to point at).
	if (o.addId) {
		const el = doc.getElementsByTagName(o.addId.local).item(0);
		el.setAttribute("Id", o.addId.id);
	}
	const frag = new DOMParser().parseFromString(template(o), "text/xml").documentElement;
	const sig = doc.importNode(frag, true);
	// Digest of the target without the signature (enveloped transform).
	const dataDigest = digest(o, c14n(target));
	target.appendChild(sig);
	const si = child(sig, "SignedInfo");
	const refs = [];
	for (let c = si.firstChild; c; c = c.nextSibling)
		if (c.nodeType === 1 && c.localName === "Reference")
			refs.push(c);
	const [dataRef, spRef, extraRef] = refs;
	const sp = byId(doc, o.spRefTo || `${o.targetId}_SIG_1_SP`);
	if (!sp)
		throw new Error("the SignedProperties reference designates nothing");
	child(dataRef, "DigestValue").appendChild(doc.createTextNode(dataDigest));
	child(spRef, "DigestValue").appendChild(doc.createTextNode(digest(o, c14n(sp))));
	if (extraRef)
		child(extraRef, "DigestValue").appendChild(doc.createTextNode(digest(o, o.extraRef.data)));
	const signer = createSign(o.sha1 ? "RSA-SHA1" : "RSA-SHA256");
	signer.update(c14n(si));
	const value = signer.sign(o.keyPem, "base64");
	child(sig, "SignatureValue").appendChild(doc.createTextNode(value));
	const out = new XMLSerializer().serializeToString(doc);
	return Buffer.from(out, latin1 ? "latin1" : "utf8");
}
