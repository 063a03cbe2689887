// The S²LOW-compatible API (issue 14, points 2-4; doc/compat.md) behind a
// real nginx terminating TLS with the shipped contrib/nginx/liasse.conf.
// The calls Pastell's S²LOW connector makes (connecteur/s2low/S2low.php:
// the same paths, field names and file fields) are replayed with the curl
// CLI presenting a client certificate; an act (routed to the official's
// queue, signed there) and a PES (transmitted at once) go to the state
// simulator and are followed, through S²LOW's status calls, to their
// acknowledgement.  Without a certificate, with an unbound one, or with
// the certificate header sent to liassed around the proxy, the call is
// refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import {
	newHarness, pdfFile, pesFile, acteMeta, siren, isRoot, runUserIds, RUN_USER, topSrcdir, topBuilddir, skip, sleep,
	OFFICIAL_A, PASSWORD, run,
} from '../lib/harness.mjs';
import { makePki, freePort } from '../lib/pki.mjs';
import { makePdf } from '../lib/pdf.mjs';
import { requireStatesim, startStatesim, configureActes, configureHelios, makeTls, waitState, FAST } from './transmit-common.mjs';

requireStatesim();
if (!pesFile())
	skip('PES fixture absent (LIASSE_FIXTURES)');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
if (!NGINX)
	skip('nginx is not installed (contrib/install-deps installs it)');

const h = newHarness('compat-s2low');
const PIN = 'tulipe-2026';
const PROXY_ADDR = '127.0.0.2';     // nginx connects to liassed from here (trusted_proxies)
let env, sim, tls, nginx, base, n = 0;

/* ------------------------------------------------------------ nginx */

// The shipped configuration with this test's ports, certificates and
// paths; nginx's own settings (pid, logs, temporary files) in the prefix.
function nginxConfig(dir, port, upstreamPort) {
	let conf = fs.readFileSync(path.join(topSrcdir, 'contrib/nginx/liasse.conf'), 'utf8');
	const swap = (from, to) => {
		assert.ok(conf.includes(from), `contrib/nginx/liasse.conf has "${from}"`);
		conf = conf.replace(from, to);
	};
	swap('server 127.0.0.1:8080;', `server 127.0.0.1:${upstreamPort};`);
	swap('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`);
	swap('/etc/liasse/tls/server.pem', tls.serverCert);
	swap('/etc/liasse/tls/server.key', tls.serverKey);
	swap('/etc/liasse/tls/client-ca.pem', tls.ca);
	fs.writeFileSync(path.join(dir, 'liasse.conf'), conf);
	const main = `${isRoot ? `user ${RUN_USER};\n` : ''}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
	access_log ${dir}/access.log;
	client_body_temp_path ${dir}/body;
	proxy_temp_path ${dir}/proxy;
	fastcgi_temp_path ${dir}/fastcgi;
	uwsgi_temp_path ${dir}/uwsgi;
	scgi_temp_path ${dir}/scgi;
	proxy_bind ${PROXY_ADDR};
	include ${dir}/liasse.conf;
}
`;
	fs.writeFileSync(path.join(dir, 'nginx.conf'), main);
	return path.join(dir, 'nginx.conf');
}

async function startNginx(upstreamPort) {
	const dir = path.join(h.tmp, 'nginx');
	fs.mkdirSync(dir, { recursive: true });
	for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
		fs.mkdirSync(path.join(dir, d), { recursive: true });
	if (isRoot) {
		const { uid, gid } = runUserIds();
		for (const d of ['', 'body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
			fs.chownSync(path.join(dir, d), uid, gid);
	}
	const port = await freePort();
	const conf = nginxConfig(dir, port, upstreamPort);
	const proc = spawn(NGINX, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')],
		{ stdio: ['ignore', 'pipe', 'pipe'] });
	const out = [];
	proc.stderr.on('data', (d) => out.push(d));
	process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
	for (let i = 0; ; i++) {
		if (proc.exitCode !== null)
			throw new Error(`nginx exited: ${Buffer.concat(out)}${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
		const up = await new Promise((resolve) => {
			const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
			s.on('error', () => resolve(false));
		});
		if (up)
			break;
		if (i > 300)
			throw new Error('nginx did not listen');
		await sleep(100);
	}
	return { proc, port, dir, stop: () => proc.kill('SIGQUIT') };
}

/* ------------------------------------------------------------- curl */

// curl(path, {cert: 'client'|'other'|null, form: [[name, value]...], headers,
// direct: true (to liassed, around the proxy), basic: 'user:pass'})
// -> {status, body (Buffer), text (latin1), headers}
async function curl(p, { cert = 'client', form, headers = {}, direct = false, basic, raw } = {}) {
	const out = path.join(h.tmp, `curl-${++n}.out`);
	const hdr = path.join(h.tmp, `curl-${n}.hdr`);
	const args = ['-sS', '-o', out, '-D', hdr, '-w', '%{http_code}', '--max-time', '120'];
	if (direct) {
		args.push(`${env.d.url}${p}`);
	} else {
		args.push('--cacert', tls.ca, `${base}${p}`);
		if (cert)
			args.push('--cert', path.join(tls.dir, `${cert}.pem`), '--key', path.join(tls.dir, `${cert}.key`));
	}
	for (const [k, v] of form || [])
		args.push('-F', `${k}=${v}`);
	if (raw)
		args.push('--data-binary', `@${raw}`);
	for (const [k, v] of Object.entries(headers))
		args.push('-H', `${k}: ${v}`);
	if (basic)
		args.push('-u', basic);
	const status = await new Promise((resolve, reject) => {
		const c = spawn('curl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
		const so = [], se = [];
		c.stdout.on('data', (d) => so.push(d));
		c.stderr.on('data', (d) => se.push(d));
		c.on('error', reject);
		c.on('close', (code) => (code === 0 ? resolve(Number(Buffer.concat(so).toString())) :
			reject(new Error(`curl ${args.join(' ')}: ${code} ${Buffer.concat(se)}`))));
	});
	const body = fs.readFileSync(out);
	const headersOut = {};
	for (const line of fs.readFileSync(hdr, 'latin1').split('\r\n').slice(1))
		if (line.includes(':'))
			headersOut[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
	return { status, body, text: body.toString('latin1'), utf8: body.toString('utf8'), headers: headersOut };
}

// A file for curl's -F name=@file (or name=<file: the field's value from a file).
function file(name, data) {
	const p = path.join(h.tmp, name);
	fs.writeFileSync(p, data);
	return p;
}

// The fields Pastell's S2low::sendActes() posts, in its order.
// more: further annexes, [[filename, path, type]].
function acteForm(number, pdf, { annexe, more = [], subject = 'Délibération budgétaire' } = {}) {
	const today = new Date().toISOString().slice(0, 10);
	const form = [['api', '1'], ['nature_code', '1'], ['number', number],
		['subject', `<${file(`subject-${number}`, Buffer.from(subject, 'latin1'))}`],
		['decision_date', today], ['en_attente', '0'], ['document_papier', '0'], ['type_acte', '99_DE']];
	if (annexe)
		form.push(['type_pj[]', '99_AU']);
	for (let i = 0; i < more.length; i++)
		form.push(['type_pj[]', '99_AU']);
	form.push(['acte_pdf_file', `@${pdf};filename=deliberation.pdf;type=application/pdf`]);
	if (annexe)
		form.push(['acte_attachments[]', `@${annexe};filename=annexe.pdf;type=application/pdf`]);
	for (const [name, p, type] of more)
		form.push(['acte_attachments[]', `@${p};filename=${name};type=${type}`]);
	form.push(['classif1', '7'], ['classif2', '1']);
	return form;
}

async function waitFor(what, fn, timeoutMs = 120000) {
	const t0 = Date.now();
	let last;
	while (Date.now() - t0 < timeoutMs) {
		last = await fn();
		if (last.done)
			return last;
		await sleep(300);
	}
	throw new Error(`${what}: not reached in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/* ------------------------------------------------------------ setup */

test.before(async () => {
	env = await h.setup({ ...FAST, trusted_proxies: `${PROXY_ADDR}, ::1/128` });
	tls = makeTls(h);
	sim = await startStatesim(h, { tls, set: { 'helios.p_dest': 'DGFIP-TEST', 'helios.p_appli': 'GHELPES2' } });
	await configureActes(h, env.orgA, sim, tls);
	await configureHelios(h, env.orgA, sim);
	// The vendor's certificate, bound to its client (and so to organisation A).
	const add = await h.cli(['client', 'cert', 'add', 'vendor-a', tls.cert]);
	assert.equal(add.code, 0, add.stderr);
	assert.match(add.stdout, /^[0-9a-f]{64}\tCN=liasse transmitter\n$/);
	// PES are not routed to the official here: transmitted at once.
	await h.psql(`DELETE FROM routing_rule WHERE kind = 'pes'`);
	const pki = await makePki();
	assert.equal((await h.cli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' })).code, 0);
	await h.enrol(OFFICIAL_A, pki.signer.p12, pki.password, PIN);
	nginx = await startNginx(Number(new URL(env.d.url).port));
	base = `https://127.0.0.1:${nginx.port}`;
});

test.after(async () => {
	if (nginx)
		nginx.stop();
	if (sim)
		sim.stop();
	await h.stopAll();
});

/* ------------------------------------------------------------ tests */

test('liasse client cert list and remove; a second binding is refused', async () => {
	const l = await h.cli(['client', 'cert', 'list']);
	assert.equal(l.code, 0, l.stderr);
	const [client, sha, subject, org] = l.stdout.trim().split('\t');
	assert.deepEqual([client, subject, org], ['vendor-a', 'CN=liasse transmitter', '-']);
	const again = await h.cli(['client', 'cert', 'add', 'vendor-b', tls.cert]);
	assert.equal(again.code, 1);
	assert.match(again.stderr, /already bound/);
	const other = path.join(tls.dir, 'other.pem');
	assert.equal((await h.cli(['client', 'cert', 'add', 'vendor-b', other, '--org', env.orgA])).code, 1,
		'an organisation the client does not serve is refused');
	const bad = await h.cli(['client', 'cert', 'add', 'vendor-b', path.join(tls.dir, 'client.key')]);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /not a PEM certificate/);
	const added = await h.cli(['client', 'cert', 'add', 'vendor-b', other]);
	assert.equal(added.code, 0, added.stderr);
	const osha = added.stdout.split('\t')[0];
	assert.equal((await h.cli(['client', 'cert', 'remove', 'vendor-b', osha])).code, 0);
	assert.equal((await h.cli(['client', 'cert', 'remove', 'vendor-b', osha])).code, 1);
	assert.equal((await h.cli(['client', 'cert', 'list', 'vendor-b'])).stdout, '');
	assert.match(sha, /^[0-9a-f]{64}$/);
	const j = await h.psql(`SELECT count(*) FROM journal WHERE action IN ('client.cert_added', 'client.cert_removed')`);
	assert.equal(j, '3');
});

test('trusted_proxies: addresses and CIDR blocks, anything else refused by --check-config', async () => {
	const liassed = path.join(topBuilddir, 'src', 'liassed');
	for (const [value, good] of [['127.0.0.1, 10.0.0.0/8 fd00::/8', true], ['10.0.0.0/33', false],
		['localhost', false], ['127.0.0.1,, ::1', true]]) {
		const conf = h.writeConfig({ listen_port: 0, database: h.pg.conninfo, user: RUN_USER, trusted_proxies: value });
		const r = await run(liassed, ['-c', conf, '--check-config']);
		assert.equal(r.code === 0, good, `${value}: ${r.stderr}`);
		if (!good) {
			assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
			assert.match(r.stderr, /trusted_proxies|not an address or CIDR block/);
		}
	}
});

test('test-connexion through nginx: the certificate authenticates; no certificate, an unbound one, or a forged header do not', async () => {
	const ok = await curl('/api/test-connexion.php');
	assert.equal(ok.status, 200);
	assert.equal(ok.utf8, 'OK');
	for (const opts of [{ cert: null }, { cert: 'other' },
		// a client forging the proxy's headers: nginx overwrites them
		{ cert: null, headers: { 'X-SSL-Client-Cert': encodeURIComponent(fs.readFileSync(tls.cert, 'latin1')),
			'X-SSL-Client-Verify': 'SUCCESS' } }]) {
		const r = await curl('/api/test-connexion.php', opts);
		assert.equal(r.status, 200, 'S²LOW answers a refusal with 200');
		assert.equal(r.text, "KO\nÉchec de l'authentification\n", JSON.stringify(opts));
	}
	// HTTP Basic (client name, API key), as Pastell sends user_login
	const basic = await curl('/api/test-connexion.php', { cert: null, basic: `vendor-a:${env.keyA}` });
	assert.equal(basic.utf8, 'OK');
});

test('the certificate header sent to liassed around the proxy is refused with a problem and logged', async () => {
	const pem = encodeURIComponent(fs.readFileSync(tls.cert, 'latin1'));
	const before = await h.snapshot();
	const r = await curl('/api/test-connexion.php', { direct: true,
		headers: { 'X-SSL-Client-Cert': pem, 'X-SSL-Client-Verify': 'SUCCESS' } });
	assert.equal(r.status, 403);
	assert.match(r.headers['content-type'], /application\/problem\+json/);
	const p = JSON.parse(r.utf8);
	assert.match(p.title || p.detail || '', /untrusted address/);
	assert.match(env.d.logs(), /X-SSL-Client-Cert header from 127\.0\.0\.1, which is not one of trusted_proxies/);
	// the same on the native API, a person's route and a web page
	for (const p of ['/api/v1/documents', '/api/v1/me', '/connexion']) {
		const api = await curl(p, { direct: true,
			headers: { 'X-SSL-Client-Cert': pem, 'X-SSL-Client-Verify': 'SUCCESS' } });
		assert.equal(api.status, 403, p);
	}
	const post = await curl('/modules/actes/actes_transac_create.php', { direct: true,
		headers: { 'X-SSL-Client-Cert': pem, 'X-SSL-Client-Verify': 'SUCCESS' },
		form: acteForm('AROUND1', file('around.pdf', pdfFile(2000).data)) });
	assert.equal(post.status, 403);
	assert.deepEqual(await h.snapshot(), before, 'nothing written');
	// through the proxy the certificate is believed, also on the native API
	const list = await curl('/api/v1/documents');
	assert.equal(list.status, 200, list.utf8);
});

test('refusals of the door come back as S²LOW words them, and write nothing', async () => {
	const pdf = file('refus.pdf', pdfFile(2000, 'refus.pdf').data);
	const number = `S2L${process.pid % 1000}D`;
	const first = await curl('/modules/actes/actes_transac_create.php', { form: acteForm(number, pdf) });
	assert.match(first.text, /^OK\n\d+\n\n$/);
	const before = await h.snapshot();
	const dup = await curl('/modules/actes/actes_transac_create.php', { form: acteForm(number, pdf) });
	assert.equal(dup.status, 200);
	assert.equal(dup.text, 'KO\nUn acte portant le même numéro interne existe déjà dans la base de données.\n' +
		'Il faut peut-être ajouter un suffixe au numéro.\n');
	const notPdf = await curl('/modules/actes/actes_transac_create.php',
		{ form: acteForm(`${number}X`, file('x.pdf', 'pas un PDF')) });
	assert.equal(notPdf.text, "KO\nErreur de validation du fichier de l'acte :\nLe fichier n'est pas un PDF\n\n");
	const noFile = await curl('/modules/actes/actes_transac_create.php',
		{ form: acteForm(`${number}Y`, pdf).filter(([k]) => k !== 'acte_pdf_file') });
	assert.equal(noFile.text, "KO\nAucun fichier acte n'a été posté \n");
	const badNumber = await curl('/modules/actes/actes_transac_create.php', { form: acteForm('bad number!', pdf) });
	assert.equal(badNumber.text, "KO\nLe numéro n'est pas correct\n");
	const unknown = await curl('/modules/actes/actes_transac_get_status.php?transaction=999999');
	assert.equal(unknown.utf8, 'KO\nNuméro de transaction invalide.');
	const noCert = await curl('/modules/actes/actes_transac_create.php', { cert: null, form: acteForm(`${number}Z`, pdf) });
	assert.equal(noCert.text, "KO\nÉchec de l'authentification\n");
	const notAck = await curl('/modules/actes/actes_transac_cancel.php', { form: [['api', '1'], ['id', /^OK\n(\d+)/.exec(first.text)[1]]] });
	assert.match(notAck.text, /^KO\nImpossible d'annuler une transaction qui n'est pas en état « Acquittement reçu »\.\n$/);
	assert.deepEqual(await h.snapshot(), before, 'nothing written');
});

// Pastell's CurlWrapper builds the body itself when two fields share a name
// (type_pj[], acte_attachments[]: curlSetPostDataWithSimilarFilename()):
// unquoted names, CRLF lines, "Expect: 100-continue".
test('an act with several annexes, in the body Pastell writes by hand for them', async () => {
	const boundary = '----------------------------0123456789ab';
	const number = `S2L${process.pid % 1000}M`;
	const today = new Date().toISOString().slice(0, 10);
	const parts = [];
	for (const [k, v] of [['api', '1'], ['nature_code', '3'], ['number', number], ['subject', 'Arrêté'],
		['decision_date', today], ['en_attente', '0'], ['document_papier', '0'], ['type_acte', '99_AI'],
		['type_pj[]', '99_AU'], ['type_pj[]', '99_AU']])
		parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name=${k}\r\n\r\n`, 'latin1'),
			Buffer.from(v, 'latin1'), Buffer.from('\r\n'));
	for (const [k, name, data] of [['acte_pdf_file', 'arrete.pdf', pdfFile(2500, 'arrete.pdf').data],
		['acte_attachments[]', 'plan.pdf', pdfFile(1200, 'plan.pdf').data],
		['acte_attachments[]', 'avis.pdf', pdfFile(1300, 'avis.pdf').data]])
		parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name=${k}; filename="${name}"\r\n` +
			'Content-Type: application/octet-stream\r\n\r\n'), data, Buffer.from('\r\n'));
	for (const [k, v] of [['classif1', '7'], ['classif2', '1']])
		parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name=${k}\r\n\r\n${v}\r\n`));
	parts.push(Buffer.from(`--${boundary}--\r\n`));
	const r = await curl('/modules/actes/actes_transac_create.php', { raw: file('pastell-body', Buffer.concat(parts)),
		headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, Expect: '100-continue' } });
	const m = /^OK\n(\d+)\n\n$/.exec(r.text);
	assert.ok(m, r.text);
	const docId = await h.psql(`SELECT doc_id FROM s2low_transaction WHERE id = ${m[1]}`);
	const doc = (await env.a.get(`/api/v1/documents/${docId}`)).json;
	assert.deepEqual(doc.files.map((f) => f.name), ['arrete.pdf', 'plan.pdf', 'avis.pdf']);
	assert.equal(doc.acte.objet, 'Arrêté');
	assert.deepEqual(doc.acte.annexes_types, ['99_AU', '99_AU']);
});

test('an act posted as Pastell posts it goes to the official\'s queue, is signed, transmitted and acknowledged', async () => {
	// a real PDF (tests/lib/pdf.mjs): liasse stamps it when the ARActe comes (transmit/stamp.c)
	const pdf = file('deliberation.pdf', makePdf({ text: 'Deliberation budgetaire' }));
	const annexe = file('annexe.pdf', makePdf({ text: 'Annexe budgetaire' }));
	const number = `S2L${process.pid % 1000}A`;
	// and two annexes S²LOW serves as posted with tampon=true: a PNG, a PDF no library reads
	const png = file('photo.png', Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'));
	const casse = file('casse.pdf', Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R\nendobj\ntrailer <<>>\n%%EOF\n'));
	const more = [['photo.png', png, 'image/png'], ['casse.pdf', casse, 'application/pdf']];
	const r = await curl('/modules/actes/actes_transac_create.php', { form: acteForm(number, pdf, { annexe, more }) });
	assert.equal(r.status, 200);
	assert.match(r.headers['content-type'], /ISO-8859-1/);
	const m = /^OK\n(\d+)\n\n$/.exec(r.text);
	assert.ok(m, JSON.stringify(r.text));
	const tx = m[1];
	// an ordinary liasse document: its subject read as ISO-8859-1, the client as actor
	const docId = await h.psql(`SELECT doc_id FROM s2low_transaction WHERE id = ${tx}`);
	const doc = (await env.a.get(`/api/v1/documents/${docId}`)).json;
	assert.equal(doc.state, 'pending_signature');
	assert.equal(doc.acte.objet, 'Délibération budgétaire');
	assert.equal(doc.acte.numero_interne, number);
	assert.equal(doc.acte.classification, '7.1');
	assert.deepEqual(doc.files.map((f) => [f.role, f.name]), [['main', 'deliberation.pdf'], ['annexe', 'annexe.pdf'],
		['annexe', 'photo.png'], ['annexe', 'casse.pdf']]);
	assert.equal(await h.psql(`SELECT actor FROM journal WHERE doc_id = '${docId}' AND action = 'document.received'`),
		'client:vendor-a');
	// S²LOW's status 18: en attente d'être signée
	let st = await curl(`/modules/actes/actes_transac_get_status.php?transaction=${tx}`);
	assert.equal(st.text, 'OK\n18\n');
	// the official signs it from the queue
	const off = await env.d.login(OFFICIAL_A);
	const signed = await off.postJson('/api/v1/queue/sign', { documents: [docId], pin: PIN });
	assert.equal(signed.status, 200, signed.text);
	st = await waitFor('status 4', async () => {
		const x = await curl(`/modules/actes/actes_transac_get_status.php?transaction=${tx}`);
		return { done: /^OK\n(4|6|-1)\n/.test(x.text), x };
	});
	// 4, with the ARActe itself after the status line, as S2low::getStatus() reads it
	assert.match(st.x.text, /^OK\n4\n<\?xml[^]*ARActe/, st.x.text);
	const ar = await curl(`/modules/actes/actes_transac_get_ARActe.php?id=${tx}`);
	assert.equal(ar.status, 200);
	assert.match(ar.text, /ARActe/);
	// the stamped act as Pastell's S2low::getActeTamponne() fetches it: the files list
	// (json_encode()d rows, the act second), then file [1] with tampon=true
	const fl = await curl(`/modules/actes/actes_transac_get_files_list.php?transaction=${tx}`);
	assert.equal(fl.status, 200);
	assert.match(fl.text, /"mimetype":"application\\\/pdf"/, 'PHP\'s json_encode() escapes "/"');
	const list = JSON.parse(fl.text);
	assert.deepEqual(list.map((f) => [f.posted_filename, f.mimetype, f.code_pj]),
		[[list[0].posted_filename, list[0].mimetype, null], ['deliberation.pdf', 'application/pdf', '99_DE'],
			['annexe.pdf', 'application/pdf', '99_AU'], ['photo.png', 'image/png', '99_AU'],
			['casse.pdf', 'application/pdf', '99_AU']]);
	assert.ok(list.every((f) => typeof f.id === 'string' && typeof f.size === 'string' && f.sign === null));
	const acked = (await env.a.get(`/api/v1/documents/${docId}`)).json;
	const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
	const byRole = (role) => acked.files.find((f) => f.role === role);
	assert.ok(byRole('acte_tamponne'), JSON.stringify(acked.files));
	const stamped = await curl(`/modules/actes/actes_download_file.php?file=${list[1].id}&tampon=true`);
	assert.equal(stamped.status, 200);
	assert.equal(sha(stamped.body), byRole('acte_tamponne').sha256, 'tampon=true: the stamped act');
	const pdftext = spawnSync('pdftotext', ['-', '-'], { input: stamped.body, encoding: 'utf8' });
	assert.match(pdftext.stdout, /Reçu en préfecture le/);
	const plain = await curl(`/modules/actes/actes_download_file.php?file=${list[1].id}`);
	assert.equal(sha(plain.body), byRole('main').sha256, 'without tampon: the act as posted');
	// a PDF annex with tampon=true, as Pastell's getAnnexesTamponnees() fetches [2..]: its
	// stamped copy (role annexe_tamponnee, "stamps" the annex), as S²LOW stamps every PDF;
	// without tampon, the annex as posted
	const annexStamp = acked.files.find((f) => f.role === 'annexe_tamponnee');
	assert.equal(annexStamp.stamps, byRole('annexe').id, JSON.stringify(acked.files));
	assert.ok(!list.some((f) => f.posted_filename === annexStamp.name), 'the files list shows the annex once');
	const annexDl = await curl(`/modules/actes/actes_download_file.php?file=${list[2].id}&tampon=true`);
	assert.equal(annexDl.status, 200);
	assert.equal(sha(annexDl.body), annexStamp.sha256, 'tampon=true: the stamped annex');
	const annexText = spawnSync('pdftotext', ['-', '-'], { input: annexDl.body, encoding: 'utf8' }).stdout;
	assert.match(annexText, /Reçu en préfecture le \d\d\/\d\d\/20\d\d/);
	assert.ok(annexText.includes(`-${env.orgA}-`), annexText);
	assert.match(annexText, /Annexe budgetaire/);
	assert.equal(sha((await curl(`/modules/actes/actes_download_file.php?file=${list[2].id}`)).body),
		byRole('annexe').sha256, 'without tampon: the annex as posted');
	// tampon=true&date_affichage=Y-m-d, as Pastell's getActeTamponne($id, $date_affichage) asks
	// (S²LOW's actes_download_file.php hands date_affichage to setTampon()): stamped now with
	// "Publié le", nothing recorded; a date that is not one sends the browser home.
	const day = new Date().toISOString().slice(0, 10);
	const pub = await curl(`/modules/actes/actes_download_file.php?file=${list[1].id}&tampon=true&date_affichage=${day}`);
	assert.equal(pub.status, 200);
	assert.match(pub.headers['content-type'], /application\/pdf/);
	const pubText = spawnSync('pdftotext', ['-', '-'], { input: pub.body, encoding: 'utf8' }).stdout;
	assert.ok(pubText.includes(`Publié le ${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`), pubText);
	assert.match(pubText, /Reçu en préfecture le/);
	const annexPub = await curl(`/modules/actes/actes_download_file.php?file=${list[2].id}&tampon=true&date_affichage=${day}`);
	assert.equal(annexPub.status, 200);
	const annexPubText = spawnSync('pdftotext', ['-', '-'], { input: annexPub.body, encoding: 'utf8' }).stdout;
	assert.ok(annexPubText.includes(`Publié le ${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`), annexPubText);
	assert.match(annexPubText, /Annexe budgetaire/);
	// the PNG and the PDF that cannot be stamped: as posted, with or without date_affichage
	for (const [i, name] of [[3, 'photo.png'], [4, 'casse.pdf']]) {
		const posted = acked.files.find((f) => f.role === 'annexe' && f.name === name);
		assert.ok(!acked.files.some((f) => f.stamps === posted.id), `${name} has no stamped copy`);
		for (const q of ['&tampon=true', `&tampon=true&date_affichage=${day}`]) {
			const x = await curl(`/modules/actes/actes_download_file.php?file=${list[i].id}${q}`);
			assert.equal(x.status, 200, `${name}${q}`);
			assert.equal(sha(x.body), posted.sha256, `${name}${q}: as posted`);
		}
	}
	assert.equal((await env.a.get(`/api/v1/documents/${docId}`)).json.publication_date, null, 'nothing recorded');
	assert.equal(sha((await curl(`/modules/actes/actes_download_file.php?file=${list[2].id}&tampon=true`)).body),
		annexStamp.sha256, 'the stored stamped annex unchanged');
	assert.equal(sha((await curl(`/modules/actes/actes_download_file.php?file=${list[1].id}&tampon=true`)).body),
		byRole('acte_tamponne').sha256, 'the stored stamped act unchanged');
	assert.equal((await curl(`/modules/actes/actes_download_file.php?file=${list[1].id}&tampon=true&date_affichage=18/02/2022`)).status, 302);
	for (const bad of [`${tx}999`, '0', 'abc'])
		assert.equal((await curl(`/modules/actes/actes_download_file.php?file=${bad}`)).status, 302);
	assert.equal((await curl('/modules/actes/actes_transac_get_files_list.php?transaction=999999')).utf8,
		'KO\nNuméro de transaction invalide.');

	// the prefecture writes (a courrier simple through @ctes): Pastell's getListDocumentPrefecture()
	const key = await h.psql(`SELECT match_key FROM transmission WHERE doc_id = '${docId}'`);
	assert.equal((await sim.actesSend('courrier', key)).status, 200);
	const letters = await waitFor('the letter', async () => {
		const x = await env.a.get(`/api/v1/documents/${docId}/letters`);
		return { done: x.json.items.length === 1, items: x.json.items };
	});
	let pl = await curl('/modules/actes/api/list_document_prefecture.php');
	assert.equal(pl.status, 200);
	const rows = JSON.parse(pl.utf8);
	assert.equal(rows.length, 1, pl.utf8);
	const courrier = rows[0].id;
	assert.deepEqual(rows[0], { id: courrier, type: '2', related_transaction_id: tx, number, unique_id: key,
		last_status_id: '21' });
	assert.notEqual(courrier, tx);
	// the act's documents as "type-status-id" lines, then the letter's envelope (a .tar.gz)
	const lines = await curl(`/modules/actes/actes_transac_get_document.php?id=${tx}`);
	assert.equal(lines.utf8, `2-21-${courrier}\n`);
	const redir = await curl(`/modules/actes/actes_transac_get_document.php?id=${courrier}`);
	assert.equal(redir.status, 302);
	assert.equal(redir.headers.location, `actes_download_file.php?env=${courrier}`);
	const tgz = await curl(`/modules/actes/${redir.headers.location}`);
	assert.equal(tgz.status, 200);
	const names = execFileSync('tar', ['-tzf', file('courrier.tar.gz', tgz.body)], { encoding: 'utf8' }).trim().split('\n');
	assert.ok(names.includes(letters.items[0].form), names.join(' '));
	assert.equal(names.length, letters.items[0].files.length, JSON.stringify(letters.items[0].files));
	assert.equal((await curl('/modules/actes/actes_transac_get_document.php?id=999999')).utf8,
		'KO\nNuméro de transaction invalide.');
	assert.equal((await curl(`/modules/actes/actes_download_file.php?env=${tx}`)).status, 302, 'an act is no envelope');
	assert.equal((await curl('/modules/actes/api/list_document_prefecture.php', { cert: null })).utf8,
		"KO\nÉchec de l'authentification");
	// the answer, as Pastell's sendReponseType() posts it (api=1 in the body): "OK\n<id>\n\n"
	const reponse = file('reponse.pdf', pdfFile(1800, 'reponse.pdf').data);
	const answerForm = (id, over = {}) => Object.entries({ type_acte: '99_AU', id, api: '1', type_envoie: '4',
		acte_pdf_file: `@${reponse};filename=reponse.pdf;type=application/pdf`, ...over })
		.filter(([, v]) => v !== null);
	const api = '/modules/actes/actes_transac_reponse_create.php?api=1';
	for (const [form, p, want] of [
		[answerForm(courrier, { type_acte: null }), api, 'KO\nErreur lors de la réception du fichier : typologie absente\n'],
		[answerForm(courrier, { acte_pdf_file: null }), api, 'KO : Envoi de fichier illégal.'],
		[answerForm(courrier, { acte_pdf_file: `@${file('pas-pdf.pdf', 'bonjour')};filename=pas-pdf.pdf` }), api,
			"KO : Erreur de validation du fichier de l'acte :\nLe fichier pas-pdf.pdf n'est pas un PDF\n"],
		[answerForm(tx), api, "KO : Erreur lors de l'enregistrement de la transaction :\nla transaction n'existe pas"],
		[answerForm('999999'), '/modules/actes/actes_transac_reponse_create.php',
			"KO\nErreur lors de l'enregistrement de la transaction :\nla transaction n'existe pas\n"]]) {
		const k = await curl(p, { form });
		assert.equal(k.status, 200);
		// Helpers::returnAndExit() answers in ISO-8859-1, sortir_atrc() echoes UTF-8
		assert.equal(want.startsWith('KO\n') ? k.text : k.utf8, want);
	}
	assert.equal(await h.psql(`SELECT answer_state FROM letter WHERE doc_id = '${docId}'`), 'none', 'nothing written');
	const ok = await curl('/modules/actes/actes_transac_reponse_create.php', { form: answerForm(courrier) });
	const om = /^OK\n(\d+)\n\n$/.exec(ok.text);
	assert.ok(om, ok.text);
	assert.ok(![tx, courrier].includes(om[1]), 'the answer is a transaction of its own');
	const sent = await waitFor('the answer sent', async () => {
		const x = await env.a.get(`/api/v1/documents/${docId}/letters/${letters.items[0].id}`);
		return { done: ['sent', 'refused'].includes(x.json.answer?.state), x: x.json };
	});
	assert.equal(sent.x.answer.state, 'sent', JSON.stringify(sent.x));
	assert.equal(sent.x.answer.code, '2-2');
	assert.equal(sent.x.answer.by, 'client:vendor-a');
	const twice = await curl(api, { form: answerForm(courrier) });
	assert.match(twice.utf8, /^KO : Erreur lors de l'enregistrement de la transaction :\n.*answered already/);
	// read: no longer listed; S²LOW says ok whatever the id
	for (const id of [courrier, '999999'])
		assert.equal((await curl(`/modules/actes/api/document_prefecture_mark_as_read.php?transaction_id=${id}`)).utf8,
			'{"result":"ok"}');
	pl = await curl('/modules/actes/api/list_document_prefecture.php');
	assert.equal(pl.utf8, '[]');

	// cancelled as S²LOW does: an annulation transaction of its own
	const c = await curl('/modules/actes/actes_transac_cancel.php', { form: [['api', '1'], ['id', tx]] });
	const cm = /^OK\n(\d+)\n\n$/.exec(c.text);
	assert.ok(cm, c.text);
	assert.notEqual(cm[1], tx);
	const again = await curl('/modules/actes/actes_transac_cancel.php', { form: [['api', '1'], ['id', tx]] });
	assert.equal(again.text, "KO\nUne demande d'annulation est déjà en cours pour cette transaction.\n");
	const ann = await curl(`/modules/actes/actes_transac_get_status.php?transaction=${cm[1]}`);
	assert.match(ann.text, /^OK\n[34]\n/);
});

test('a PES posted as "enveloppe" is transmitted and its PES_Acquit downloaded', async () => {
	const pes = pesFile(`S2LOWPES${process.pid}`);
	const p = file('pes-aller.xml', pes.data);
	const r = await curl('/modules/helios/api/helios_importer_fichier.php', { form: [['enveloppe', `@${p};filename=PES_ALLER.xml`]] });
	assert.equal(r.status, 200);
	const id = /<id>(\d+)<\/id>/.exec(r.utf8);
	assert.ok(id && /<resultat>OK<\/resultat>/.test(r.utf8), r.utf8);
	const docId = await h.psql(`SELECT doc_id FROM s2low_transaction WHERE id = ${id[1]}`);
	assert.equal((await env.a.get(`/api/v1/documents/${docId}`)).json.title, 'PES_ALLER.xml');
	const st = await waitFor('PES status 4', async () => {
		const x = await curl(`/modules/helios/api/helios_transac_get_status.php?transaction=${id[1]}`);
		return { done: /<status>(4|6|-1)<\/status>/.test(x.text), x };
	});
	assert.match(st.x.text, /^<\?xml version="1.0" encoding="ISO-8859-1"\?>\n<transaction >/);
	assert.match(st.x.text, /<resultat>OK<\/resultat><message>Acquittement re\xe7u<\/message><status>4<\/status>/);
	const ack = await curl(`/modules/helios/helios_download_acquit.php?id=${id[1]}`);
	assert.equal(ack.status, 200);
	assert.match(ack.text, /PES_ACK|EtatAck/);
	// the same PES again: refused as S²LOW refuses a duplicate, in the importer's XML
	const dup = await curl('/modules/helios/api/helios_importer_fichier.php', { form: [['enveloppe', `@${p};filename=PES_ALLER.xml`]] });
	assert.match(dup.utf8, /<resultat>KO<\/resultat>/);
	assert.match(Buffer.from(dup.utf8, 'utf8').toString('utf8'), /doublon/);
	// any field but "enveloppe" is not read
	const other = await curl('/modules/helios/api/helios_importer_fichier.php', { form: [['fichier', `@${p}`]] });
	assert.match(other.utf8, /<resultat>KO<\/resultat>/);
	const noAck = await curl('/modules/helios/helios_download_acquit.php?id=999999');
	assert.equal(noAck.status, 302);
	// a PES_Retour liasse collected for organisation A: listed, then fetched
	const retourId = await h.psql(`SELECT org_return_add((SELECT id FROM organisation WHERE siren = '${env.orgA}'),
		'PES_Retour', 'PES_RETOUR_S2LOW.xml', 'application/xml', convert_to('<PES_Retour/>', 'UTF8'), 'test')`);
	const list = await curl('/modules/helios/api/helios_get_list.php');
	assert.match(list.utf8, /^<\?xml version="1.0"\?>\n<liste>\n/);
	assert.match(list.utf8, new RegExp(`<pes_retour>\\n    <id>${retourId}</id>\\n    <nom>PES_RETOUR_S2LOW.xml</nom>`));
	const got = await curl(`/modules/helios/api/helios_get_retour.php?id=${retourId}`);
	assert.equal(got.utf8, '<PES_Retour/>');
	const read = await curl(`/modules/helios/api/helios_change_status.php?id=${retourId}`);
	assert.match(read.utf8, /<resultat>OK<\/resultat>/);
	const readNone = await curl('/modules/helios/api/helios_change_status.php?id=999999');
	assert.match(readNone.utf8, /<resultat>KO<\/resultat>\n  <message>Changement de status est echoué\.<\/message>/);
	const none = await curl('/modules/helios/api/helios_get_retour.php?id=999999');
	assert.match(none.utf8, /<get_retour>[^]*<resultat>KO<\/resultat>\n  <message>retour id n&#039;est pas correcte<\/message>/);
});

test('liasse\'s own S²LOW client talks to liasse\'s S²LOW-compatible API', async () => {
	// organisation B's connector is S²LOW at the nginx address, with
	// vendor-a's certificate: the connection test and the classification
	const r = await h.cli(['connector', 'set', '--org', env.orgB, '--kind', 's2low', `url=${base}/`,
		`cert=${tls.cert}`, `key=${tls.key}`, `cacert=${tls.ca}`]);
	assert.equal(r.code, 0, r.stderr);
	const t = await h.cli(['connector', 'test', '--org', env.orgB]);
	assert.match(t.stdout + t.stderr, /s2low: ok/, t.stdout + t.stderr);
});

// liasse as its own S²LOW: organisation B's connector is S²LOW at this API,
// with the certificate of a client "relay" that serves organisation C, whose
// connector is @ctes.  An act of B goes out through liasse's S²LOW client,
// becomes C's document through the S²LOW-compatible API, reaches the
// simulator, and its ARActe comes back the same way and acknowledges B's.
test('an act relayed through liasse\'s S²LOW client and liasse\'s S²LOW API is acknowledged at both ends', async () => {
	const orgC = siren('21450303');
	await h.addOrg(orgC, { name: 'Commune relais', departement: '045', arrondissement: 1, natureActes: 3 });
	await h.addClient('relay', [orgC]);
	await configureActes(h, orgC, sim, tls);
	const bound = await h.cli(['client', 'cert', 'add', 'relay', path.join(tls.dir, 'other.pem')]);
	assert.equal(bound.code, 0, bound.stderr);
	const r = await h.cli(['connector', 'set', '--org', env.orgB, '--kind', 's2low', `url=${base}/`,
		`cert=${path.join(tls.dir, 'other.pem')}`, `key=${path.join(tls.dir, 'other.key')}`, `cacert=${tls.ca}`]);
	assert.equal(r.code, 0, r.stderr);
	const meta = acteMeta(env.orgB, `RELAY${process.pid % 1000}`, { sign: false, transmit: true });
	const posted = await env.b.postDocument(meta, pdfFile(2500, 'relais.pdf'));
	assert.equal(posted.status, 201, posted.text);
	const done = await waitState(env.b, posted.json.id, ['acknowledged', 'refused', 'failed'], 120000);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const relayed = await h.psql(`SELECT d.state FROM s2low_transaction t JOIN document d ON d.id = t.doc_id
		JOIN organisation o ON o.id = d.org_id WHERE o.siren = '${orgC}'`);
	assert.equal(relayed, 'acknowledged');
	assert.ok(done.files.some((f) => f.role === 'ack'), JSON.stringify(done.files));
});
