// E-mail notifications (issue 13, point 3; doc/notifications.md): a real
// SMTP exchange over loopback, libcurl in liassed as the client and the
// test's ESMTP server (tests/lib/smtp-server.mjs) as the receiver, with
// STARTTLS (a certificate for 127.0.0.1 from makeTls, checked by liassed
// against notify_smtp_ca_file) and AUTH PLAIN or LOGIN with the credentials
// of a 0600 file.  Each message is read back: headers (Date, Message-ID,
// From, To, UTF-8 Subject in RFC 2047 words, no injected header), French
// text with the link to the document, nothing attached.  Immediate
// notifications, the daily digest (once a day, nothing when nothing waits),
// a failing server (retried with backoff, listed for the administrators,
// the signature done meanwhile) and the preference set through the API.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, docMeta, pdfFile, assertProblem, request, OFFICIAL_A, OFFICIAL_B, PASSWORD, isRoot, runUserIds, run, topBuilddir } from '../lib/harness.mjs';
import { makeTls } from './transmit-common.mjs';
import { startSmtp, parseMail, decodeWords } from '../lib/smtp-server.mjs';
import { makePki } from '../lib/pki.mjs';

const h = newHarness('notify-email');
const BASE = 'https://parapheur.opsn.test';
const FROM = 'parapheur@opsn.test';
const SMTP_USER = 'liasse-notify';
const SMTP_PASS = 'mot de passe très secret';
const PIN = 'tulipe-2026';
const IDLE = 'secretaire@saint-essai.test';
let s, smtp, tls, pki, conf;

const nowHour = () => new Date().getUTCHours();

function secretFile(name, text) {
	const f = path.join(h.tmp, name);
	fs.writeFileSync(f, text, { mode: 0o600 });
	if (isRoot) {
		const { uid, gid } = runUserIds();
		fs.chownSync(f, uid, gid);
	}
	return f;
}

async function start(extra = {}) {
	if (s && s.d.running)
		await s.d.stop();
	const d = await h.startLiassed({ ...conf, ...extra });
	s = { ...s, d, a: d.client(s.keyA), b: d.client(s.keyB) };
	return d;
}

const to = (email) => (m) => m.rcpt.includes(email);
const waiting = (id) => (m) => (parseMail(m.data).text || '').includes(`${BASE}/documents/${id}`);

async function post(client, org, title) {
	const r = await client.postDocument(docMeta(org, { title }), pdfFile(3000, 'convention.pdf'));
	assert.equal(r.status, 201, r.text);
	return r.json.id;
}

async function until(what, fn, ms = 90000) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

before(async () => {
	await h.startPostgres();
	tls = makeTls(h);
	smtp = await startSmtp({ tls: { key: fs.readFileSync(tls.serverKey), cert: fs.readFileSync(tls.serverCert) },
		user: SMTP_USER, pass: SMTP_PASS, mechs: ['PLAIN'] });
	conf = {
		notify_smtp_url: smtp.url, notify_smtp_ca_file: tls.ca, notify_from: FROM, public_url: BASE,
		notify_smtp_credentials_file: secretFile('smtp.cred', `${SMTP_USER}\n${SMTP_PASS}\n`),
		notify_timezone: 'UTC', notify_digest_hour: (nowHour() + 12) % 24,   // not due yet
	};
	const d = await h.startLiassed(conf);
	const { seedTwoOrgs } = await import('../lib/harness.mjs');
	const seed = await seedTwoOrgs(h);
	s = { d, ...seed, a: d.client(seed.keyA), b: d.client(seed.keyB) };
	for (const e of [OFFICIAL_A, OFFICIAL_B])
		assert.equal((await h.cli(['person', 'passwd', e], { input: PASSWORD + '\n' })).code, 0);
	await h.person({ email: IDLE, name: 'Sylvie Secrétaire', password: PASSWORD,
		roles: [{ org: s.orgA, role: 'signer', function: 'secretaire' }] });
	await h.person({ email: 'ops@opsn.test', name: 'Opérateur', password: PASSWORD, operator: true });
});

after(async () => {
	await h.stopAll();
	if (smtp)
		await smtp.stop();
	if (pki)
		await pki.cleanup();
});

describe('a circuit (issue 13, points 1-2)', () => {
	test('a visa step asks its person to "viser", the signature step then asks the official to "signer"', async () => {
		const DGS = 'dgs@saint-essai.test';
		await h.person({ email: DGS, name: 'Didier Général', password: PASSWORD,
			roles: [{ org: s.orgA, role: 'signer', function: 'dgs' }] });
		await h.mustCli(['circuit', 'add', '--org', s.orgA, '--name', 'visa-signature', `visa:${DGS}`,
			`signature:${OFFICIAL_A}`]);
		const r = await s.a.postDocument(docMeta(s.orgA, { title: 'Délibération du conseil', circuit: 'visa-signature' }),
			pdfFile(3000, 'deliberation.pdf'));
		assert.equal(r.status, 201, r.text);
		const id = r.json.id;
		const first = parseMail((await smtp.waitFor((x) => to(DGS)(x) && waiting(id)(x))).data);
		assert.equal(first.subject, 'Document à viser : Délibération du conseil');
		assert.match(first.text, /Un document attend que vous le viser/);
		assert.equal(smtp.messages.filter((x) => to(OFFICIAL_A)(x) && waiting(id)(x)).length, 0, 'not the mayor yet');
		const dgs = await s.d.login(DGS);
		assert.equal((await dgs.postJson(`/api/v1/queue/${id}/visa`, {})).status, 200);
		const next = parseMail((await smtp.waitFor((x) => to(OFFICIAL_A)(x) && waiting(id)(x))).data);
		assert.equal(next.subject, 'Document à signer : Délibération du conseil');
	});
});

describe('immediate notification', () => {
	test('a document entering the queue sends one e-mail over STARTTLS with AUTH PLAIN, in French, with a link and no attachment', async () => {
		const title = 'Convention d’occupation du domaine public « Les Étangs »';
		const id = await post(s.a, s.orgA, title);
		const m = await smtp.waitFor((x) => to(OFFICIAL_A)(x) && waiting(id)(x));
		assert.equal(m.tls, true, 'STARTTLS was used before the message');
		assert.equal(m.user, SMTP_USER);
		assert.equal(m.mech, 'PLAIN');
		assert.equal(m.from, FROM);
		assert.deepEqual(m.rcpt, [OFFICIAL_A]);
		const p = parseMail(m.data);
		assert.match(p.header('date'), /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/);
		assert.ok(Math.abs(Date.parse(p.header('date')) - Date.now()) < 600000, p.header('date'));
		assert.match(p.header('message-id'), /^<[0-9a-f]{24}\.\d+@opsn\.test>$/);
		assert.match(p.header('from'), /<parapheur@opsn\.test>$/);
		assert.match(p.header('to'), /<maire@saint-essai\.test>$/);
		assert.equal(p.header('mime-version'), '1.0');
		for (const name of ['date', 'message-id', 'from', 'to', 'subject', 'mime-version'])
			assert.equal(p.headers.filter(([k]) => k === name).length, 1, `one ${name} header`);
		assert.equal(p.header('auto-submitted'), 'auto-generated');
		assert.match(p.header('subject'), /^=\?UTF-8\?B\?/, 'non-ASCII subject as RFC 2047 words');
		assert.equal(p.subject, `Document à signer : ${title}`);
		for (const line of p.rawHead.split('\r\n'))
			assert.ok(line.length <= 998, 'header lines within RFC 5322 limits');
		assert.match(p.text, /^Bonjour Marie Ordonnatrice,/);
		assert.match(p.text, /Un document attend que vous le signer/);
		assert.ok(p.text.includes(title), 'the title in the text');
		assert.ok(p.text.includes(`${BASE}/documents/${id}`), 'the link to the document');
		assert.match(p.text, /Commune de Saint-Essai/);
		assert.match(p.text, /ne sont pas joints|n’y sont pas joints/);
		assert.ok(p.html.includes(`href="${BASE}/documents/${id}"`));
		assert.ok(p.html.includes('« Les Étangs »'));
		for (const part of p.parts) {
			assert.doesNotMatch(part.disposition || '', /attachment/i, 'nothing attached');
			assert.doesNotMatch(part.type + ' ' + (part.disposition || ''), /name=/i, 'no file part');
			assert.match(part.type, /^(multipart\/(mixed|alternative)|text\/(plain|html); charset=utf-8)/i);
		}
		assert.ok(!m.data.includes('%PDF'), 'the PDF is not in the message');
		// recorded after the exchange (outside its transaction): waited for
		const row = () => h.psql(`SELECT sent_at IS NOT NULL, message_id, documents FROM notification WHERE doc_id = '${id}'`);
		await until('the sending recorded', async () => (await row()) === `t|${p.header('message-id')}|1`);
	});

	test('AUTH LOGIN when the server offers only LOGIN', async () => {
		smtp.mechs = ['LOGIN'];
		try {
			const id = await post(s.a, s.orgA, 'Arrêté de voirie');
			const m = await smtp.waitFor((x) => waiting(id)(x));
			assert.equal(m.mech, 'LOGIN');
			assert.equal(m.user, SMTP_USER);
			assert.equal(parseMail(m.data).subject, 'Document à signer : Arrêté de voirie');
		} finally {
			smtp.mechs = ['PLAIN'];
		}
	});

	test('a title or a name with line breaks adds no header', async () => {
		const evil = 'Budget\r\nBcc: espion@evil.test\r\nX-Injected: oui';
		const r = await s.a.postDocument(docMeta(s.orgA, { title: evil }), pdfFile(3000, 'b.pdf'));
		let id;
		if (r.status === 201) {
			id = r.json.id;
		} else {   // the API refuses control characters in titles: put one there as a bug would
			assert.equal(r.status, 422, r.text);
			id = await post(s.a, s.orgA, 'Budget');
			await h.psql(`UPDATE person SET name = 'Marie\r\nBcc: espion@evil.test\r\nX-Injected: oui' WHERE email = '${OFFICIAL_A}'`);
			await h.psql(`UPDATE document SET signer_id = NULL WHERE id = '${id}'`);
			await h.psql(`UPDATE document SET signer_id = (SELECT id FROM person WHERE email = '${OFFICIAL_A}') WHERE id = '${id}'`);
		}
		const m = await smtp.waitFor((x) => waiting(id)(x) && /Bcc|X-Injected/.test(parseMail(x.data).subject + decodeWords(parseMail(x.data).header('to'))));
		const p = parseMail(m.data);
		assert.deepEqual(m.rcpt, [OFFICIAL_A], 'no other recipient');
		assert.equal(p.header('bcc'), undefined);
		assert.equal(p.header('x-injected'), undefined);
		assert.ok(!/\r\n(Bcc|X-Injected):/i.test(p.rawHead));
		await h.psql(`UPDATE person SET name = 'Marie Ordonnatrice' WHERE email = '${OFFICIAL_A}'`);
	});
});

describe('preference through the API', () => {
	test('GET/PUT /api/v1/me/notifications: own session only, bad values refused with a hint', async () => {
		const me = await s.d.login(IDLE);
		const g = await me.get('/api/v1/me/notifications');
		assert.equal(g.status, 200, g.text);
		assert.equal(g.json.mode, 'immediate');
		const put = (mode) => fetchPut(me, { mode });
		const r400 = await put('weekly');
		assert.equal(r400.status, 422);
		assert.equal(r400.headers['content-type'], 'application/problem+json');
		assert.match(r400.json.hint, /digest/);
		const r = await put('digest');
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.mode, 'digest');
		assert.equal(await h.psql(`SELECT notify_mode FROM person WHERE email = '${IDLE}'`), 'digest');
		const noSession = await s.a.get('/api/v1/me/notifications');
		assert.equal(noSession.status, 401);
	});
});

async function fetchPut(client, obj) {
	const { request } = await import('../lib/harness.mjs');
	const body = Buffer.from(JSON.stringify(obj));
	return request(client.url, { method: 'PUT', path: '/api/v1/me/notifications', body,
		headers: client.headers({ 'Content-Type': 'application/json', 'Content-Length': body.length }) });
}

describe('daily digest', () => {
	test('one message at the configured hour listing what waits; never twice a day; nothing when nothing waits', async () => {
		const b = await s.d.login(OFFICIAL_B);
		assert.equal((await fetchPut(b, { mode: 'digest' })).status, 200);
		const ids = [await post(s.b, s.orgB, 'Marché de travaux'), await post(s.b, s.orgB, 'Délibération budgétaire')];
		// A's immediate message for a later document proves B's went through the same trigger without one.
		const later = await post(s.a, s.orgA, 'Témoin');
		await smtp.waitFor(waiting(later));
		assert.equal(smtp.messages.filter(to(OFFICIAL_B)).length, 0, 'no immediate e-mail in digest mode');
		const hour = nowHour();
		await start({ notify_digest_hour: hour });
		const m = await smtp.waitFor(to(OFFICIAL_B));
		const p = parseMail(m.data);
		assert.equal(p.subject, 'Récapitulatif : 2 documents vous attendent dans votre parapheur');
		assert.match(p.text, /^Bonjour Paul Président,/);
		for (const [i, t] of [[0, 'Marché de travaux'], [1, 'Délibération budgétaire']]) {
			assert.ok(p.text.includes(t), t);
			assert.ok(p.text.includes(`${BASE}/documents/${ids[i]}`));
		}
		assert.ok(p.parts.every((x) => !/attachment|name=/i.test((x.disposition || '') + x.type)));
		// Once a day: the plan the workers run finds nothing more to send today.
		await post(s.b, s.orgB, 'Troisième document');
		assert.equal(await h.psql(`SELECT notification_digest_plan(${hour}, 'UTC')`), '0');
		assert.equal(await h.psql(`SELECT count(*) FROM notification n JOIN person p ON p.id = n.person_id
			WHERE p.email = '${OFFICIAL_B}' AND n.kind = 'digest'`), '1');
		// Nothing waits for the secretary (digest mode since the API test): no row, no message.
		assert.equal(await h.psql(`SELECT count(*) FROM notification n JOIN person p ON p.id = n.person_id
			WHERE p.email = '${IDLE}'`), '0');
		assert.equal(smtp.messages.filter(to(IDLE)).length, 0);
		assert.equal(smtp.messages.filter(to(OFFICIAL_B)).length, 1);
	});
});

describe('a failing mail server', () => {
	test('refused or down: retried with backoff, listed for the administrators, the signature is not held up', async () => {
		pki = await makePki();
		await h.enrol(OFFICIAL_A, pki.signer.p12, pki.password, PIN);
		const toSign = await post(s.a, s.orgA, 'À signer pendant la panne');
		await smtp.waitFor(waiting(toSign));
		smtp.fail.data = '451 4.3.0 Mail server temporarily rejected message';
		const id = await post(s.a, s.orgA, 'Envoyé après la panne');
		const ops = await s.d.login('ops@opsn.test');
		const listed = await until('the failure in the admin API', async () => {
			const r = await ops.get('/api/v1/admin/notifications');
			assert.equal(r.status, 200, r.text);
			return r.json.find((x) => x.doc === id);
		});
		assert.equal(listed.person, OFFICIAL_A);
		assert.equal(listed.title, 'Envoyé après la panne');
		assert.match(listed.error, /451/);
		assert.ok(listed.attempts >= 1);
		const page = await fetch(`${s.d.url}/admin/notifications`, { headers: { Cookie: ops.cookie } });
		assert.equal(page.status, 200);
		const html = await page.text();
		assert.match(html, /Envoyé après la panne/);
		assert.match(html, /451/);
		// a person who is not an operator does not see it
		const maire = await s.d.login(OFFICIAL_A);
		assert.equal((await maire.get('/api/v1/admin/notifications')).status, 403);
		// the signature happens while the mail server refuses
		const sig = await maire.postJson('/api/v1/queue/sign', { documents: [toSign], pin: PIN });
		assert.equal(sig.status, 200, sig.text);
		assert.equal((await s.a.get(`/api/v1/documents/${toSign}`)).json.state, 'signed');
		// the server is down: still retried, the error says so
		smtp.fail = {};
		await smtp.stop();
		await until('a connection error listed', async () => {
			const r = await ops.get('/api/v1/admin/notifications');
			const x = r.json.find((y) => y.doc === id);
			return x && !/451/.test(x.error) && x.attempts >= 2 ? x : null;
		}, 120000);
		// back up on the same port: the retry delivers it, the list empties
		smtp = await startSmtp({ port: smtp.port, tls: { key: fs.readFileSync(tls.serverKey), cert: fs.readFileSync(tls.serverCert) },
			user: SMTP_USER, pass: SMTP_PASS, mechs: ['PLAIN'] });
		await h.psql(`UPDATE job SET run_at = now() FROM notification n WHERE n.job_id = job.id AND n.doc_id = '${id}'`);
		const m = await smtp.waitFor(waiting(id), 120000);
		assert.equal(parseMail(m.data).subject, 'Document à signer : Envoyé après la panne');
		// recorded once the worker commits, just after the server's answer
		await until('the list emptied', async () =>
			!(await ops.get('/api/v1/admin/notifications')).json.find((x) => x.doc === id));
		assert.equal(await h.psql(`SELECT sent_at IS NOT NULL FROM notification WHERE doc_id = '${id}'`), 't');
	});
});

describe('sending outside the database transaction (a slow mail server)', () => {
	const heldFor = (id) => () => smtp.held.find((x) => waiting(id)(x));
	const inExchange = (id) => smtp.held.some((x) => waiting(id)(x) && !x.session.closed);
	const row = (id, cols) => h.psql(`SELECT ${cols} FROM notification n LEFT JOIN job j ON j.id = n.job_id
		WHERE n.doc_id = '${id}'`);

	test('no transaction or connection is held during the exchange; a second worker sends nothing while the lease holds', async () => {
		// one database connection in all: held by the exchange, nothing else
		// could run; curl's timeout well beyond the test's waits
		await start({ workers: 2, db_pool_size: 1, notify_smtp_timeout: '300s' });
		smtp.fail = {};
		smtp.hold = true;
		const id = await post(s.a, s.orgA, 'Envoi lent');
		await until('the message held by the server', async () => heldFor(id)());
		const t0 = await h.psql('SELECT clock_timestamp()');
		// the claim is committed (seen from here) and the lease taken ...
		assert.equal(await row(id, "n.lease_until > now() AND n.attempted_at IS NOT NULL AND n.attempts = 1"
			+ " AND j.run_at >= n.lease_until AND n.sent_at IS NULL"), 't');
		assert.ok(Number(await row(id, 'extract(epoch FROM n.lease_until - n.attempted_at)')) >= 60,
			'the lease covers notify_smtp_timeout and a margin');
		// ... and no liassed session sits in a transaction during the exchange
		const idle = () => h.psql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'liasse'
			AND state LIKE 'idle in transaction%' AND state_change < '${t0}'`);
		assert.equal(await idle(), '0', 'a liassed session is idle in transaction during the SMTP exchange');
		// ... nor holds the pool's one connection: the API answers meanwhile
		let timer;
		const r = await Promise.race([s.a.get(`/api/v1/documents/${id}`),
			new Promise((resolve) => { timer = setTimeout(() => resolve({ status: 'no answer within 60 s' }), 60000); })]);
		clearTimeout(timer);
		assert.equal(r.status, 200, 'the API answers during the SMTP exchange with db_pool_size = 1');
		assert.ok(inExchange(id), 'still in the exchange');
		// "Relancer maintenant" during the send: the other worker finds the lease held
		await h.psql(`UPDATE job SET run_at = now() FROM notification n WHERE n.job_id = job.id AND n.doc_id = '${id}'`);
		await until('the second worker to find the lease held', async () =>
			/being sent by another worker/.test(await row(id, "coalesce(j.last_error, '')")));
		assert.equal(await idle(), '0');
		assert.ok(inExchange(id), 'still in the exchange');
		assert.equal(smtp.held.filter((x) => waiting(id)(x)).length, 1, 'one exchange only');
		smtp.release();
		await smtp.waitFor(waiting(id));
		await until('the outcome recorded', async () =>
			(await row(id, 'n.sent_at IS NOT NULL AND n.lease_until IS NULL AND n.done_at IS NOT NULL')) === 't');
		await until('the job done', async () => (await row(id, 'j.done_at IS NOT NULL')) === 't');
		assert.equal(smtp.messages.filter(waiting(id)).length, 1, 'sent once');
		assert.equal(await row(id, 'n.attempts'), '1');
	});

	test('a crash during the exchange: the notification is still to send, and sent when the lease ends', async () => {
		smtp.hold = true;
		const id = await post(s.a, s.orgA, 'Envoi interrompu');
		await until('the message held by the server', async () => heldFor(id)());
		s.d.kill('SIGKILL');
		await s.d.exited;
		// the server sees the connection closed (an event of its own) before it answers
		await until('the dead client\'s connection closed', async () => smtp.held.every((x) => x.session.closed));
		smtp.release();                            // the client is gone: nothing taken
		assert.equal(smtp.messages.filter(waiting(id)).length, 0);
		await start({ workers: 2 });
		assert.equal(await row(id, 'n.sent_at IS NULL AND n.done_at IS NULL AND n.lease_until > now()'), 't',
			'still to send, leased');
		// the lease ends (notify_smtp_timeout + 60 s; shortened here)
		await h.psql(`UPDATE notification SET lease_until = now() WHERE doc_id = '${id}';
			UPDATE job SET run_at = now() FROM notification n WHERE n.job_id = job.id AND n.doc_id = '${id}'`);
		await smtp.waitFor(waiting(id));
		await until('the outcome recorded', async () => (await row(id, 'n.sent_at IS NOT NULL')) === 't');
		assert.equal(await row(id, 'n.attempts'), '2');
		assert.equal(smtp.messages.filter(waiting(id)).length, 1);
	});
});

describe('permanent and temporary refusals', () => {
	test('a 5xx fails at once, with the server\'s answer, not retried; a 4xx keeps the backoff', async () => {
		smtp.fail = { rcpt: '550 5.1.1 <maire>: Recipient address rejected: User unknown in virtual mailbox table' };
		const gone = await post(s.a, s.orgA, 'Refusé pour de bon');
		const ops = await s.d.login('ops@opsn.test');
		const failed = await until('the refusal in the admin API', async () =>
			(await ops.get('/api/v1/admin/notifications')).json.find((x) => x.doc === gone && x.state === 'failed'));
		assert.match(failed.error, /550/);
		assert.match(failed.error, /Recipient address rejected: User unknown/, 'the server\'s answer');
		assert.equal(failed.next_attempt, null);
		assert.ok(failed.failed_at);
		assert.equal(failed.attempts, 1);
		assert.equal(await h.psql(`SELECT j.done_at IS NOT NULL AND n.failed_at IS NOT NULL AND n.attempts = 1
			FROM notification n JOIN job j ON j.id = n.job_id WHERE n.doc_id = '${gone}'`), 't', 'not retried');
		assert.match(s.d.logs(), /notification \d+ refused for good, not retried: .*550/);
		const page = await (await fetch(`${s.d.url}/admin/notifications`, { headers: { Cookie: ops.cookie } })).text();
		assert.match(page, /Refusé pour de bon/);
		assert.match(page, /refusé définitivement/);

		smtp.fail = { rcpt: '451 4.7.1 <maire>: Recipient address rejected: greylisted, try again later' };
		const later = await post(s.a, s.orgA, 'Refusé pour un temps');
		const retrying = await until('the temporary refusal in the admin API', async () =>
			(await ops.get('/api/v1/admin/notifications')).json.find((x) => x.doc === later));
		assert.equal(retrying.state, 'retrying');
		assert.match(retrying.error, /451 4\.7\.1 .*greylisted/);
		assert.ok(retrying.next_attempt, 'tried again');
		assert.equal(await h.psql(`SELECT j.done_at IS NULL AND j.run_at > now() AND n.lease_until IS NULL
			FROM notification n JOIN job j ON j.id = n.job_id WHERE n.doc_id = '${later}'`), 't', 'backoff');
		smtp.fail = {};
		await h.psql(`UPDATE job SET run_at = now() FROM notification n WHERE n.job_id = job.id AND n.doc_id = '${later}'`);
		await smtp.waitFor(waiting(later));
		assert.equal(smtp.messages.filter(waiting(gone)).length, 0, 'the refused one is not sent');
		assert.equal(await h.psql(`SELECT j.done_at IS NOT NULL FROM notification n JOIN job j ON j.id = n.job_id
			WHERE n.doc_id = '${gone}'`), 't');

		// The address fixed, an operator sends the refused one again: from the
		// API (the official may not; a notification not refused is a 409, an
		// unknown one a 404), and from the page's "Renvoyer" button.
		const official = await s.d.login(OFFICIAL_A);
		const resend = (who, id) => who.post(`/api/v1/admin/notifications/${id}/resend`, '');
		assert.equal((await resend(official, failed.id)).status, 403);
		assert.equal((await resend(ops, 999999)).status, 404);
		const notRefused = await h.psql(`SELECT id FROM notification WHERE doc_id = '${later}'`);
		assertProblem(assert, await resend(ops, notRefused), { status: 409, hint: true });
		const r = await resend(ops, failed.id);
		assert.equal(r.status, 204, r.text);
		await smtp.waitFor(waiting(gone));
		assert.equal(await h.psql(`SELECT count(*) FROM journal WHERE action = 'notification.resent'
			AND actor = 'person:ops@opsn.test' AND doc_id = '${gone}'`), '1');
		assert.ok(!(await ops.get('/api/v1/admin/notifications')).json.some((x) => x.id === failed.id),
			'sent: no longer listed');
		smtp.fail = { rcpt: '550 5.1.1 <maire>: Recipient address rejected: User unknown' };
		const again = await post(s.a, s.orgA, 'Refusé puis renvoyé par la page');
		const failed2 = await until('the second refusal', async () =>
			(await ops.get('/api/v1/admin/notifications')).json.find((x) => x.doc === again && x.state === 'failed'));
		const pageOf = () => request(s.d.url, { path: '/admin/notifications', headers: { Cookie: ops.cookie } });
		assert.match((await pageOf()).text, new RegExp(`action="/admin/notifications/${failed2.id}/renvoyer"`));
		smtp.fail = {};
		const form = (body) => request(s.d.url, { method: 'POST', path: `/admin/notifications/${failed2.id}/renvoyer`,
			headers: { Cookie: ops.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
			body: Buffer.from(new URLSearchParams(body).toString()) });
		assert.equal((await form({})).status, 403, 'no CSRF token, nothing sent again');
		const web = await form({ csrf: ops.session.csrf });
		assert.equal(web.status, 200, web.text);
		assert.match(web.text, /Notification renvoyée/);
		await smtp.waitFor(waiting(again));
	});
});

describe('configuration', () => {
	const liassed = path.join(topBuilddir, 'src', 'liassed');
	const good = () => ({ database: h.pg.conninfo, notify_smtp_url: 'smtps://mail.opsn.test:465',
		notify_from: FROM, notify_smtp_credentials_file: secretFile('ok.cred', 'u\np\n') });
	for (const [what, extra, word] of [
		['a URL that is not smtp:// or smtps://', { notify_smtp_url: 'http://mail.opsn.test' }, 'notify_smtp_url'],
		['no sender', { notify_from: null }, 'notify_from'],
		['an hour out of 0-23', { notify_digest_hour: 24 }, 'notify_digest_hour'],
		['an unknown time zone', { notify_timezone: 'Europe/Atlantis' }, 'notify_timezone'],
		['a credentials file readable by others', { notify_smtp_credentials_file: 'OPEN' }, 'chmod 600'],
		['a credentials file without a password', { notify_smtp_credentials_file: 'SHORT' }, 'notify_smtp_credentials_file'],
	]) {
		test(`--check-config refuses ${what} in one line`, async () => {
			const v = { ...good(), ...extra };
			if (v.notify_smtp_credentials_file === 'OPEN') {
				v.notify_smtp_credentials_file = path.join(h.tmp, 'open.cred');
				fs.writeFileSync(v.notify_smtp_credentials_file, 'u\np\n', { mode: 0o644 });
				fs.chmodSync(v.notify_smtp_credentials_file, 0o644);
			} else if (v.notify_smtp_credentials_file === 'SHORT') {
				v.notify_smtp_credentials_file = secretFile('short.cred', 'only-a-user\n');
			}
			const r = await run(liassed, ['-c', h.writeConfig(v), '--check-config']);
			assert.notEqual(r.code, 0);
			assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
			assert.ok(r.stderr.includes(word), r.stderr);
		});
	}
	test('--check-config accepts a complete notification setting', async () => {
		const r = await run(liassed, ['-c', h.writeConfig(good()), '--check-config']);
		assert.equal(r.code, 0, r.stderr);
	});
});
