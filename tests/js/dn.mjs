// RFC 2253/4514 distinguished-name strings (ds:X509IssuerName) parsed into
// {oid, value} attributes and compared with a certificate's DER Name.

import { tlv, string } from "./der.mjs";

const NAMES = {
	CN: "2.5.4.3", SN: "2.5.4.4", SURNAME: "2.5.4.4", SERIALNUMBER: "2.5.4.5",
	C: "2.5.4.6", L: "2.5.4.7", ST: "2.5.4.8", S: "2.5.4.8", STREET: "2.5.4.9",
	O: "2.5.4.10", OU: "2.5.4.11", T: "2.5.4.12", TITLE: "2.5.4.12",
	POSTALCODE: "2.5.4.17", GN: "2.5.4.42", G: "2.5.4.42",
	GIVENNAME: "2.5.4.42", INITIALS: "2.5.4.43", DNQUALIFIER: "2.5.4.46",
	PSEUDONYM: "2.5.4.65", ORGANIZATIONIDENTIFIER: "2.5.4.97",
	DC: "0.9.2342.19200300.100.1.25", UID: "0.9.2342.19200300.100.1.1",
	E: "1.2.840.113549.1.9.1", EMAIL: "1.2.840.113549.1.9.1",
	EMAILADDRESS: "1.2.840.113549.1.9.1",
};

function typeOid(t) {
	const s = t.trim().replace(/^oid\./i, "");
	if (/^\d+(\.\d+)+$/.test(s))
		return s;
	const o = NAMES[s.toUpperCase()];
	if (!o)
		throw new Error(`unknown attribute type "${t}"`);
	return o;
}

function hexValue(hex) {
	const der = Buffer.from(hex, "hex");
	return string(tlv(der));
}

// Unescapes one attribute value (after the '=').
function value(raw) {
	const s = raw.trim();
	if (s.startsWith("#"))
		return hexValue(s.slice(1));
	const bytes = [];
	const enc = new TextEncoder();
	for (let i = 0; i < s.length; i++) {
		const c = s[i];
		if (c === "\\" && i + 1 < s.length) {
			const h = s.slice(i + 1, i + 3);
			if (/^[0-9a-fA-F]{2}$/.test(h)) {
				bytes.push(parseInt(h, 16));
				i += 2;
			} else {
				bytes.push(...enc.encode(s[i + 1]));
				i++;
			}
		} else if (c === '"') {
			continue;
		} else {
			bytes.push(...enc.encode(c));
		}
	}
	return Buffer.from(bytes).toString("utf8");
}

// Splits on an unescaped separator character set.
function split(s, seps) {
	const out = [];
	let cur = "";
	let quoted = false;
	for (let i = 0; i < s.length; i++) {
		const c = s[i];
		if (c === "\\" && i + 1 < s.length) {
			cur += c + s[i + 1];
			i++;
		} else if (c === '"') {
			quoted = !quoted;
			cur += c;
		} else if (!quoted && seps.includes(c)) {
			out.push(cur);
			cur = "";
		} else {
			cur += c;
		}
	}
	out.push(cur);
	return out;
}

// "CN=x,O=y" -> RDNs in string order (the reverse of DER order).
export function parseDn(s) {
	if (!s.trim())
		return [];
	return split(s, ",;").map((rdn) => split(rdn, "+").map((atv) => {
		const eq = atv.indexOf("=");
		if (eq < 0)
			throw new Error(`no "=" in "${atv}"`);
		return { oid: typeOid(atv.slice(0, eq)), value: value(atv.slice(eq + 1)) };
	}));
}

const norm = (v) => v.normalize("NFC").replace(/\s+/g, " ").trim();

function sameRdn(a, b, loose) {
	if (a.length !== b.length)
		return false;
	const eq = loose
		? (x, y) => x.oid === y.oid && norm(x.value).toLowerCase() === norm(y.value).toLowerCase()
		: (x, y) => x.oid === y.oid && x.value === y.value;
	return a.every((x) => b.some((y) => eq(x, y)));
}

function sameList(a, b, loose) {
	return a.length === b.length && a.every((r, i) => sameRdn(r, b[i], loose));
}

// Compares an X509IssuerName string with a certificate Name (DER order).
// Returns {ok, how} where how is "exact", "loose" (case/space), "order"
// (the string lists the RDNs in DER order, not RFC 2253 order) or a reason.
export function compareDn(str, derName) {
	let parsed;
	try {
		parsed = parseDn(str);
	} catch (e) {
		return { ok: false, how: `cannot parse "${str}": ${e.message}` };
	}
	const rfc = [...derName].reverse();
	if (sameList(parsed, rfc, false))
		return { ok: true, how: "exact" };
	if (sameList(parsed, rfc, true))
		return { ok: true, how: "loose" };
	if (sameList(parsed, derName, true))
		return { ok: true, how: "order" };
	return { ok: false, how: "different names" };
}

export function formatDn(derName) {
	const rev = Object.fromEntries(Object.entries(NAMES).reverse().map(([k, v]) => [v, k]));
	return [...derName].reverse().map((rdn) => rdn.map((a) =>
		`${rev[a.oid] || a.oid}=${a.value.replace(/([,+"\\<>;])/g, "\\$1")}`).join("+")).join(",");
}
