// A small ESMTP server for the tests (TEST ONLY): EHLO, STARTTLS (node's tls
// with the test's certificate), AUTH PLAIN and AUTH LOGIN (RFC 4954, RFC
// 4616; the LOGIN exchange as the draft-murchison-sasl-login and Postfix's
// SASL speak it), MAIL, RCPT, DATA (RFC 5321 dot-stuffing), RSET, NOOP,
// QUIT.  It refuses MAIL before AUTH when credentials are set, and AUTH
// before STARTTLS unless allowPlainAuth.  What it was sent is kept in
// messages[]; fail sets the answer of a command (e.g. { data: '451 4.3.0
// try again later' }) to make a send fail.  hold = true makes it a slow
// server: the answer to the end of DATA waits, the message in held[] ({data,
// at}), until release() answers (or the client is gone meanwhile: then
// nothing is delivered).  parseMail() reads a message:
// headers (unfolded, RFC 2047 words decoded), MIME parts (quoted-printable
// and base64 decoded).
//
//   const smtp = await startSmtp({ tls: {key, cert}, user, pass, mechs: ['PLAIN','LOGIN'] });
//   smtp.url  -> 'smtp://127.0.0.1:PORT'; await smtp.waitFor((m) => ..., ms); await smtp.stop();

import net from 'node:net';
import tls from 'node:tls';

export async function startSmtp(opts = {}) {
	const s = {
		messages: [], sessions: [], fail: opts.fail || {}, mechs: opts.mechs || ['PLAIN', 'LOGIN'],
		starttls: opts.starttls !== false && !!opts.tls, waiters: [], sockets: new Set(),
		hold: false, held: [],
	};
	const server = net.createServer((sock) => session(s, opts, sock));
	await new Promise((resolve) => server.listen(opts.port || 0, '127.0.0.1', resolve));
	s.port = server.address().port;
	s.url = `smtp://127.0.0.1:${s.port}`;
	s.server = server;
	s.waitFor = (pred, ms = 60000) => waitFor(s, pred, ms);
	s.release = () => {
		s.hold = false;
		for (const x of s.held.splice(0))
			x.answer();
	};
	s.stop = () => new Promise((resolve) => {
		for (const k of s.sockets)
			k.destroy();
		server.close(() => resolve());
	});
	return s;
}

function waitFor(s, pred, ms) {
	const found = s.messages.find(pred);
	if (found)
		return Promise.resolve(found);
	return new Promise((resolve, reject) => {
		const w = { pred, resolve };
		w.timer = setTimeout(() => {
			s.waiters = s.waiters.filter((x) => x !== w);
			reject(new Error(`no such message within ${ms} ms; got ${s.messages.length}: ` +
				s.messages.map((m) => parseMail(m.data).subject).join(' | ')));
		}, ms);
		s.waiters.push(w);
	});
}

function delivered(s, msg) {
	s.messages.push(msg);
	for (const w of [...s.waiters]) {
		if (w.pred(msg)) {
			clearTimeout(w.timer);
			s.waiters = s.waiters.filter((x) => x !== w);
			w.resolve(msg);
		}
	}
}

function session(s, opts, raw) {
	const st = { tls: false, authed: false, from: null, rcpt: [], data: null, pending: null, log: [], closed: false };
	s.sessions.push(st);
	let sock = raw;
	let buf = '';
	s.sockets.add(raw);
	raw.on('close', () => { st.closed = true; s.sockets.delete(raw); });
	raw.on('error', () => {});
	const say = (line) => { st.log.push('S: ' + line); sock.write(line + '\r\n'); };
	const onData = (d) => {
		buf += d.toString('latin1');
		let i;
		while ((i = buf.indexOf('\r\n')) >= 0) {
			const line = buf.slice(0, i);
			buf = buf.slice(i + 2);
			if (line === 'STARTTLS' && !st.tls && s.starttls) {
				say('220 2.0.0 Ready to start TLS');
				raw.removeListener('data', onData);
				buf = '';
				sock = new tls.TLSSocket(raw, { isServer: true, key: opts.tls.key, cert: opts.tls.cert });
				sock.on('error', () => {});
				sock.on('data', onData);
				st.tls = true;
				st.authed = false;
				return;
			}
			command(s, opts, st, line, say, () => sock.end());
		}
	};
	raw.on('data', onData);
	say('220 smtp.test ESMTP liasse-test');
}

const b64 = (x) => Buffer.from(x, 'base64').toString('utf8');

function command(s, opts, st, line, say, end) {
	st.log.push('C: ' + (st.pending ? '<auth data>' : line));
	if (st.data !== null) {
		if (line !== '.') {
			st.data.push(line.startsWith('.') ? line.slice(1) : line);
			return;
		}
		const data = Buffer.from(st.data.join('\r\n') + '\r\n', 'latin1').toString('utf8');
		st.data = null;
		const answer = () => {
			if (st.closed)
				return;          // the client went away before the answer: not taken
			if (s.fail.data)
				return say(s.fail.data);
			delivered(s, { from: st.from, rcpt: st.rcpt, data, tls: st.tls, user: st.user, mech: st.mech });
			st.from = null;
			st.rcpt = [];
			return say('250 2.0.0 Ok: queued');
		};
		if (s.hold)
			return s.held.push({ data, rcpt: st.rcpt, at: Date.now(), answer, session: st });
		return answer();
	}
	if (st.pending)
		return st.pending(line);
	const verb = line.split(' ')[0].toUpperCase();
	const arg = line.slice(verb.length + 1);
	const authOk = st.tls || opts.allowPlainAuth;
	switch (verb) {
	case 'EHLO': {
		const ext = ['smtp.test', '8BITMIME', 'SIZE 10485760'];
		if (s.starttls && !st.tls)
			ext.push('STARTTLS');
		if (opts.user && authOk)
			ext.push('AUTH ' + s.mechs.join(' '));
		ext.forEach((x, i) => say(`250${i === ext.length - 1 ? ' ' : '-'}${x}`));
		return;
	}
	case 'HELO':
		return say('250 smtp.test');
	case 'AUTH':
		return auth(s, opts, st, arg, say, authOk);
	case 'MAIL':
		if (opts.user && !st.authed)
			return say('530 5.7.0 Authentication required');
		if (s.fail.mail)
			return say(s.fail.mail);
		st.from = (/<([^>]*)>/.exec(arg) || [])[1];
		return say('250 2.1.0 Ok');
	case 'RCPT':
		if (!st.from)
			return say('503 5.5.1 Error: need MAIL command');
		if (s.fail.rcpt)
			return say(s.fail.rcpt);
		st.rcpt.push((/<([^>]*)>/.exec(arg) || [])[1]);
		return say('250 2.1.5 Ok');
	case 'DATA':
		if (!st.rcpt.length)
			return say('503 5.5.1 Error: need RCPT command');
		st.data = [];
		return say('354 End data with <CR><LF>.<CR><LF>');
	case 'RSET':
		st.from = null;
		st.rcpt = [];
		return say('250 2.0.0 Ok');
	case 'NOOP':
		return say('250 2.0.0 Ok');
	case 'QUIT':
		say('221 2.0.0 Bye');
		return end();
	default:
		return say('502 5.5.2 Error: command not recognized');
	}
}

function auth(s, opts, st, arg, say, authOk) {
	const [mech, initial] = arg.split(' ');
	if (!opts.user || !authOk || !s.mechs.includes((mech || '').toUpperCase()))
		return say('504 5.5.4 Unrecognized authentication type');
	const check = (user, pass) => {
		st.pending = null;
		if (user !== opts.user || pass !== opts.pass)
			return say('535 5.7.8 Error: authentication failed');
		st.authed = true;
		st.user = user;
		st.mech = mech.toUpperCase();
		return say('235 2.7.0 Authentication successful');
	};
	if (mech.toUpperCase() === 'PLAIN') {
		const plain = (x) => { const [, u, p] = b64(x).split('\0'); check(u, p); };
		if (initial)
			return plain(initial);
		st.pending = plain;
		return say('334 ');
	}
	let user = initial ? b64(initial) : null;
	const askPass = () => { st.pending = (x) => check(user, b64(x)); say('334 UGFzc3dvcmQ6'); };
	if (user !== null)
		return askPass();
	st.pending = (x) => { user = b64(x); askPass(); };
	return say('334 VXNlcm5hbWU6');
}

/* ------------------------------------------------------------ reading */

export function decodeWords(v) {
	return v.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=(\s+(?==\?))?/g, (m, cs, enc, t) => {
		const bytes = /b/i.test(enc) ? Buffer.from(t, 'base64') :
			Buffer.from(t.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi,
				(x, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
		return bytes.toString('utf8');
	});
}

export function decodeQp(s) {
	const bytes = Buffer.from(s.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g,
		(m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
	return bytes.toString('utf8');
}

function splitHead(text) {
	const i = text.indexOf('\r\n\r\n');
	const head = i < 0 ? text : text.slice(0, i);
	const body = i < 0 ? '' : text.slice(i + 4);
	const headers = [];
	for (const l of head.split('\r\n')) {
		if (/^[ \t]/.test(l) && headers.length)
			headers[headers.length - 1][1] += ' ' + l.trim();
		else if (l.includes(':'))
			headers.push([l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]);
	}
	return { headers, body, rawHead: head };
}

// { headers: [[name, raw value]], header(name), subject, parts: [{type,
// disposition, headers, text}] (leaves, decoded), raw }
export function parseMail(raw) {
	const top = splitHead(raw);
	const header = (n) => (top.headers.find(([k]) => k === n.toLowerCase()) || [])[1];
	const parts = [];
	const walk = (node) => {
		const h = (n) => (node.headers.find(([k]) => k === n) || [])[1] || '';
		const ct = h('content-type');
		const bm = /boundary="?([^";]+)"?/i.exec(ct);
		if (/^multipart\//i.test(ct) && bm) {
			const chunks = node.body.split('--' + bm[1]);
			for (const c of chunks.slice(1)) {
				if (c.startsWith('--'))
					break;
				walk(splitHead(c.replace(/^\r\n/, '')));
			}
			parts.push({ type: ct, multipart: true, disposition: h('content-disposition'), headers: node.headers });
			return;
		}
		const cte = h('content-transfer-encoding').toLowerCase();
		const text = cte === 'quoted-printable' ? decodeQp(node.body) :
			cte === 'base64' ? Buffer.from(node.body, 'base64').toString('utf8') : node.body;
		parts.push({ type: ct, disposition: h('content-disposition'), headers: node.headers, text });
	};
	walk(top);
	return { headers: top.headers, header, subject: decodeWords(header('subject') || ''), parts,
		text: (parts.find((p) => /^text\/plain/i.test(p.type)) || {}).text,
		html: (parts.find((p) => /^text\/html/i.test(p.type)) || {}).text, raw, rawHead: top.rawHead };
}
