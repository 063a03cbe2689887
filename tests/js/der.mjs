// Minimal DER reader for the independent verifier: enough to read X.509
// certificates (issuer, serial, validity, key usage), RFC 3161 tokens and
// XAdES IssuerSerialV2.  Written for the tests; not shared with liasse.

export function tlv(buf, off = 0) {
	if (off + 2 > buf.length)
		throw new Error("DER: truncated");
	const tag = buf[off];
	let len = buf[off + 1];
	let p = off + 2;
	if (len & 0x80) {
		const n = len & 0x7f;
		if (n === 0 || n > 4)
			throw new Error("DER: bad length");
		len = 0;
		for (let i = 0; i < n; i++)
			len = len * 256 + buf[p++];
	}
	if (p + len > buf.length)
		throw new Error("DER: length beyond the buffer");
	return { tag, start: p, end: p + len, off, buf,
		get raw() { return buf.subarray(off, p + len); },
		get value() { return buf.subarray(p, p + len); } };
}

export function kids(node) {
	const out = [];
	for (let p = node.start; p < node.end;) {
		const c = tlv(node.buf, p);
		out.push(c);
		p = c.end;
	}
	return out;
}

export function oid(node) {
	const v = node.value;
	const parts = [];
	let n = 0n;
	for (let i = 0; i < v.length; i++) {
		n = (n << 7n) | BigInt(v[i] & 0x7f);
		if (!(v[i] & 0x80)) {
			if (parts.length === 0) {
				const first = n < 80n ? n / 40n : 2n;
				parts.push(first, n - first * 40n);
			} else {
				parts.push(n);
			}
			n = 0n;
		}
	}
	return parts.join(".");
}

export function integer(node) {
	const v = node.value;
	let n = 0n;
	for (const b of v)
		n = (n << 8n) | BigInt(b);
	if (v.length && (v[0] & 0x80))
		n -= 1n << BigInt(8 * v.length);
	return n;
}

export function string(node) {
	const v = node.value;
	switch (node.tag) {
	case 0x0c: return v.toString("utf8");
	case 0x1e: { // BMPString, big-endian UCS-2
		let s = "";
		for (let i = 0; i + 1 < v.length; i += 2)
			s += String.fromCharCode(v[i] * 256 + v[i + 1]);
		return s;
	}
	case 0x14: return v.toString("latin1");
	default: return v.toString("latin1"); // Printable, IA5, Visible...
	}
}

export function time(node) {
	const s = node.value.toString("latin1");
	const m = node.tag === 0x17
		? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s)
		: /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\.\d+)?Z$/.exec(s);
	if (!m)
		throw new Error(`DER: unsupported time ${s}`);
	let y = Number(m[1]);
	if (node.tag === 0x17)
		y += y < 50 ? 2000 : 1900;
	const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
	return new Date(Date.UTC(y, m[2] - 1, m[3], m[4], m[5], m[6], ms));
}

// A Name as a list of RDNs (DER order), each a list of {oid, value}.
export function name(node) {
	return kids(node).map((set) => kids(set).map((atv) => {
		const [t, v] = kids(atv);
		return { oid: oid(t), value: string(v) };
	}));
}

// The parts of a certificate the verifier needs.
export function certificate(der) {
	const cert = tlv(der);
	const tbs = kids(cert)[0];
	const f = kids(tbs);
	let i = 0;
	if (f[0].tag === 0xa0)
		i++;
	const serial = integer(f[i]);
	const issuer = f[i + 2];
	const [nb, na] = kids(f[i + 3]);
	const subject = f[i + 4];
	const out = {
		serial,
		issuerDer: Buffer.from(issuer.raw),
		issuer: name(issuer),
		subject: name(subject),
		notBefore: time(nb),
		notAfter: time(na),
		keyUsage: null,
		extKeyUsage: null,
	};
	for (const ext of f.slice(i + 6)) {
		if (ext.tag !== 0xa3)
			continue;
		for (const e of kids(kids(ext)[0])) {
			const parts = kids(e);
			const id = oid(parts[0]);
			const val = tlv(parts[parts.length - 1].value);
			if (id === "2.5.29.15")
				out.keyUsage = keyUsage(val);
			else if (id === "2.5.29.37")
				out.extKeyUsage = kids(val).map(oid);
		}
	}
	return out;
}

const KU = ["digitalSignature", "nonRepudiation", "keyEncipherment",
	"dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign",
	"encipherOnly", "decipherOnly"];

function keyUsage(bits) {
	const v = bits.value;
	const set = [];
	for (let b = 0; b < KU.length; b++) {
		const byte = 1 + (b >> 3);
		if (byte < v.length && (v[byte] & (0x80 >> (b & 7))))
			set.push(KU[b]);
	}
	return set;
}

// RFC 3161 TimeStampToken (CMS ContentInfo) -> TSTInfo fields.
export function timeStampToken(der) {
	const ci = tlv(der);
	const [type, content] = kids(ci);
	if (oid(type) !== "1.2.840.113549.1.7.2")
		throw new Error("time-stamp token is not CMS SignedData");
	const sd = kids(kids(content)[0]);
	const eci = kids(sd[2]);
	if (oid(eci[0]) !== "1.2.840.113549.1.9.16.1.4")
		throw new Error("time-stamp token does not hold a TSTInfo");
	const tst = tlv(Buffer.from(kids(eci[1])[0].value));
	const f = kids(tst);
	const [alg, hashed] = kids(f[2]);
	return {
		policy: oid(f[1]),
		hashOid: oid(kids(alg)[0]),
		imprint: Buffer.from(hashed.value),
		serial: integer(f[3]),
		genTime: time(f[4]),
	};
}

// XAdES IssuerSerialV2: DER IssuerSerial { GeneralNames issuer, serial }.
export function issuerSerialV2(der) {
	const [names, serial] = kids(tlv(der));
	const dirNames = kids(names).filter((g) => g.tag === 0xa4);
	return {
		issuers: dirNames.map((g) => Buffer.from(kids(g)[0].raw)),
		serial: integer(serial),
	};
}

export const HASH_OIDS = {
	"1.3.14.3.2.26": "sha1",
	"2.16.840.1.101.3.4.2.1": "sha256",
	"2.16.840.1.101.3.4.2.2": "sha384",
	"2.16.840.1.101.3.4.2.3": "sha512",
};
