// Test cases as data (tests/data/api/*.case, format in tests/data/api/README):
// parse a case file, build its request, check the answer.
import fs from 'node:fs';
import path from 'node:path';
import { fixture, multipart, pdfBytes, sha256 } from './harness.mjs';

// Splits `a=b c="d e" f` into {a:'b', c:'d e', f:true}; the first bare word is `_`.
function parseAttrs(s) {
	const attrs = {};
	const re = /\s*([A-Za-z_-]+)(?:=("(?:[^"\\]|\\.)*"|\S+))?/g;
	let m;
	while ((m = re.exec(s)) !== null && m[0].trim()) {
		let v = m[2];
		if (v === undefined) {
			if (attrs._ === undefined)
				attrs._ = m[1];
			else
				attrs[m[1]] = true;
			continue;
		}
		if (v.startsWith('"'))
			v = v.slice(1, -1).replace(/\\(.)/g, '$1');
		attrs[m[1]] = v;
	}
	return attrs;
}

export function parseCase(file) {
	const lines = fs.readFileSync(file, 'utf8').split('\n');
	const c = { file: path.basename(file), name: path.basename(file), options: {}, sections: [],
		expect: { json: [], header: [] } };
	let cur = null;
	for (const line of lines) {
		const sec = line.match(/^--- (\S+)(.*)$/);
		if (sec) {
			cur = { kind: sec[1], attrs: parseAttrs(sec[2]), lines: [] };
			c.sections.push(cur);
			continue;
		}
		if (!cur) {
			const m = line.match(/^([a-z-]+):\s*(.*)$/);
			if (m && m[1] === 'name')
				c.name = m[2];
			else if (m)
				c.options[m[1]] = m[2];
			continue;
		}
		cur.lines.push(line);
	}
	for (const s of c.sections) {
		while (s.lines.length && s.lines[s.lines.length - 1] === '')
			s.lines.pop();
		s.text = s.lines.join('\n');
	}
	const exp = c.sections.find((s) => s.kind === 'expect');
	if (!exp)
		throw new Error(`${file}: no --- expect section`);
	for (const line of exp.lines) {
		const m = line.match(/^([a-z]+):\s*(.*)$/);
		if (!m)
			continue;
		if (m[1] === 'json' || m[1] === 'header')
			c.expect[m[1]].push(m[2]);
		else
			c.expect[m[1]] = m[2];
	}
	c.sections = c.sections.filter((s) => s !== exp);
	c.missingFixtures = [];
	for (const s of c.sections) {
		const m = s.text.match(/^@fixture (\S+)/);
		if (m && !fixture(m[1]))
			c.missingFixtures.push(m[1]);
	}
	for (const j of c.expect.json) {
		const m = j.match(/\{\{sha256:([^}]+)\}\}/);
		if (m && !fixture(m[1]))
			c.missingFixtures.push(m[1]);
	}
	return c;
}

function isoDate(offsetDays) {
	const d = new Date(Date.now() + offsetDays * 86400000);
	return d.toISOString().slice(0, 10);
}

// {{org}}, {{org_b}}, {{orghex}}, {{today}}, {{tomorrow}}, {{yesterday}}, {{days:N}},
// {{repeat:N:C}}, {{sha256:FIXTURE}}.
export function substitute(text, vars) {
	return text.replace(/\{\{([^}]+)\}\}/g, (all, k) => {
		if (k === 'today')
			return isoDate(0);
		if (k === 'tomorrow')
			return isoDate(1);
		if (k === 'yesterday')
			return isoDate(-1);
		if (/^days:[+-]?\d+$/.test(k))
			return isoDate(Number(k.slice(5)));
		if (k.startsWith('repeat:')) {
			const [, n, ch] = k.split(':');
			return ch.repeat(Number(n));
		}
		if (k.startsWith('sha256:'))
			return sha256(fs.readFileSync(fixture(k.slice(7))));
		if (k in vars)
			return vars[k];
		throw new Error(`unknown placeholder ${all}`);
	});
}

// The bytes of a section: directives @pdf N, @fixture PATH [replace A B],
// @hex HEX, @empty; otherwise the text itself (placeholders substituted).
function content(s, vars) {
	const t = substitute(s.text, vars);
	let m;
	if ((m = t.match(/^@pdf (\d+)$/)))
		return pdfBytes(Number(m[1]));
	if ((m = t.match(/^@fixture (\S+)(?: replace (\S+) (\S+))?$/))) {
		let buf = fs.readFileSync(fixture(m[1]));
		if (m[2])
			buf = Buffer.from(buf.toString('latin1').split(m[2]).join(m[3]), 'latin1');
		return buf;
	}
	if ((m = t.match(/^@hex ([0-9a-fA-F\s]+)$/)))
		return Buffer.from(m[1].replace(/\s+/g, ''), 'hex');
	if (t === '@empty')
		return Buffer.alloc(0);
	return Buffer.from(s.attrs.crlf ? t.replace(/\n/g, '\r\n') + '\r\n' : t);
}

function fileName(v) {
	if (v === undefined)
		return undefined;
	return v.startsWith('hex:') ? Buffer.from(v.slice(4), 'hex') : v;
}

// Builds {body, headers, parts} of the case's request.
export function buildRequest(c, vars) {
	const headers = {};
	const hs = c.sections.find((s) => s.kind === 'headers');
	if (hs)
		for (const line of substitute(hs.text, vars).split('\n')) {
			const m = line.match(/^([^:]+):\s*(.*)$/);
			if (m)
				headers[m[1]] = m[2];
		}
	const raw = c.sections.find((s) => s.kind === 'body');
	if (raw) {
		if (raw.attrs.type)
			headers['Content-Type'] = raw.attrs.type;
		return { body: content(raw, vars), headers, parts: [] };
	}
	const parts = [];
	for (const s of c.sections) {
		if (s.kind === 'metadata')
			parts.push({ name: 'metadata', type: s.attrs.type || 'application/json', data: content(s, vars) });
		else if (s.kind === 'file' || s.kind === 'annexe')
			parts.push({ name: s.kind, filename: fileName(s.attrs.name), type: s.attrs.type, data: content(s, vars) });
		else if (s.kind === 'part')
			parts.push({ name: s.attrs._, filename: fileName(s.attrs.filename), type: s.attrs.type, data: content(s, vars) });
	}
	const mp = multipart(parts);
	if (!headers['Content-Type'])
		headers['Content-Type'] = mp.contentType;
	return { body: mp.body, headers, parts };
}

// Value at a dotted path (files.0.size).
export function jsonPath(obj, p) {
	let v = obj;
	for (const k of p.split('.')) {
		if (v === null || v === undefined)
			return undefined;
		v = v[/^\d+$/.test(k) && Array.isArray(v) ? Number(k) : k];
	}
	return v;
}
