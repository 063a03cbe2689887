// liasse-statesim's @ctes side, driven by the real curl CLI (libcurl's HTTPS
// and IMAP clients, as liasse's connector uses them): the archive POSTed
// with a client certificate, the ARActe or anomaly that comes back by e-mail
// over IMAP (attachments validated with xmllint against the official ACTES
// XSD), PKCS#7 signatures, every fault, every prefecture letter, the mailbox
// operations (flags, expunge, restart, IMAPS, SASL PLAIN and LOGIN).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixture, skip, sleep, topSrcdir, pdfBytes } from '../lib/harness.mjs';
import { startStatesim, statesimBuilt, statesimBin } from '../lib/statesim.mjs';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
if (!statesimBuilt())
	skip(`${statesimBin} not built`);
if (!has('curl') || !has('openssl') || !has('tar') || !has('gzip') || !has('xmllint'))
	skip('curl, openssl, tar, gzip or xmllint absent');
const xsd = fixture('parapheur-v5/xsd/actesv1_1.xsd');
if (!xsd)
	skip('ACTES XSD fixture absent');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'liasse-statesim-actes-'));
const pki = path.join(tmp, 'pki');
const NS = 'http://www.interieur.gouv.fr/ACTES#v1.1-20040216';
const SIREN = '214502494';
const DEPT = '045';
const DATE = '20260115';
const MAX_SIZE = 5 * 1024 * 1024;   // actes.max_size, 150 MiB by default
const PDF = fs.readFileSync(path.join(topSrcdir, 'contrib', 'samples', 'deliberation-demo.pdf'));
let sim;
let serial = 0;

function curl(args, timeout = 20000) {
	const r = spawnSync('curl', ['-sS', ...args], { timeout });
	return { code: r.status, out: r.stdout, err: r.stderr.toString() };
}

/* ------------------------------------------------------------ archives */

const envelope = ({ siren = SIREN, form, email = 'actes@mairie-test.fr' }) =>
	`<?xml version="1.0" encoding="ISO-8859-1"?>
<actes:EnveloppeCLMISILL xmlns:actes="${NS}" xmlns:insee="http://xml.insee.fr/schema">
 <actes:Emetteur>
  <actes:IDCL insee:SIREN="${siren}" actes:Departement="${DEPT}" actes:Arrondissement="1" actes:Nature="31"/>
  <actes:Referent><actes:Nom>Jeanne Martin</actes:Nom><actes:Email>${email}</actes:Email></actes:Referent>
 </actes:Emetteur>
 <actes:AdressesRetour><actes:Email>${email}</actes:Email></actes:AdressesRetour>
 <actes:FormulairesEnvoyes>
  <actes:Formulaire><actes:NomFichier>${form}</actes:NomFichier></actes:Formulaire>
 </actes:FormulairesEnvoyes>
</actes:EnveloppeCLMISILL>
`;

const acte = ({ numero, doc, signature, matiere = true, annexes = [], papier = 'N', code = 1 }) =>
	`<?xml version="1.0" encoding="ISO-8859-1"?>
<actes:Acte xmlns:actes="${NS}" xmlns:insee="http://xml.insee.fr/schema" actes:Date="2026-01-15" actes:NumeroInterne="${numero}" actes:CodeNatureActe="${code}">
${matiere ? ' <actes:CodeMatiere1 actes:CodeMatiere="1"/>\n' : ''} <actes:CodeMatiere2 actes:CodeMatiere="1"/>
 <actes:Objet>Délibération fixant les tarifs de la cantine (test é à ç)</actes:Objet>
 <actes:ClassificationDateVersion>2017-04-19</actes:ClassificationDateVersion>
 <actes:Document>
  <actes:NomFichier>${doc}</actes:NomFichier>${signature ? `\n  <actes:Signature>${signature}</actes:Signature>` : ''}
 </actes:Document>
 <actes:Annexes actes:Nombre="${annexes.length}">${annexes.map((a) =>
	`<actes:Annexe><actes:NomFichier>${a}</actes:NomFichier></actes:Annexe>`).join('')}</actes:Annexes>
${papier === null ? '' : ` <actes:DocumentPapier>${papier}</actes:DocumentPapier>\n`}</actes:Acte>
`;

// Builds an archive with the tar and gzip CLIs; `tweak` may change the
// files (name -> Buffer) before packing.  Returns {file, name, idacte}.
function makeArchive({ numero, tweak, siren, signature, matiere, archiveName, papier, nature = 'DE' } = {}) {
	const n = ++serial;
	numero = numero || `D2026_${String(n).padStart(3, '0')}`;
	const stem = `${DEPT}-${SIREN}-${DATE}-${numero}-${nature}`;
	const form = `${stem}-1-1_0.xml`;
	const doc = `99_${nature}-${stem}-1-1_1.pdf`;
	const env = `EACT--${SIREN}--${DATE}-${n}.xml`;
	let files = {
		[env]: Buffer.from(envelope({ siren, form }), 'latin1'),
		[form]: Buffer.from(acte({ numero, doc, signature, matiere, papier,
			code: ['DE', 'AR', 'AI', 'CC', 'BF', 'AU'].indexOf(nature) + 1 }), 'latin1'),
		[doc]: PDF,
	};
	if (tweak)
		files = tweak(files, { stem, form, doc, env }) || files;
	const dir = fs.mkdtempSync(path.join(tmp, 'arc-'));
	for (const [n, data] of Object.entries(files))
		fs.writeFileSync(path.join(dir, n), data);
	const name = archiveName || `LSS-${env.replace(/\.xml$/, '')}.tar.gz`;
	const file = path.join(tmp, name);
	const r = spawnSync('tar', ['-C', dir, '-czf', file, ...Object.keys(files)]);
	assert.equal(r.status, 0, r.stderr.toString());
	return { file, name, idacte: stem, stem, env };
}

/* ------------------------------------------------------------ HTTPS */

function post(file, { name = path.basename(file), cert = 'client', timeout = 20000, extra = [] } = {}) {
	const auth = cert ? ['--cert', path.join(pki, `${cert}.pem`), '--key', path.join(pki, `${cert}.key`)] : [];
	return curl(['--cacert', path.join(pki, 'ca.pem'), ...auth, '-o', '-', '-w', '\n%{http_code}',
		'-F', `${name}=@${file};type=application/gzip`, ...extra, sim.urls.actes], timeout);
}

const status = (r) => Number(r.out.toString().trim().split('\n').pop());

/* ------------------------------------------------------------ IMAP */

const imapAuth = ['-u', 'liasse:liasse'];
const inbox = () => `${sim.urls.imap}INBOX`;

function uids(url = inbox(), extra = []) {
	const r = curl([...imapAuth, ...extra, url, '-X', 'UID SEARCH ALL']);
	assert.equal(r.code, 0, r.err);
	const m = /\* SEARCH([ \d]*)/.exec(r.out.toString());
	return m ? m[1].trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

function fetchMail(uid) {
	const r = curl([...imapAuth, `${inbox()};UID=${uid}`]);
	assert.equal(r.code, 0, r.err);
	return r.out.toString('latin1');
}

// A minimal MIME reader: headers, and each attachment's name and bytes.
function parseMail(text) {
	const [head] = text.split('\r\n\r\n', 1);
	const header = (h, n) => (new RegExp(`^${n}:\\s*(.*)$`, 'mi').exec(h) || [])[1];
	const boundary = /boundary="([^"]+)"/.exec(head)[1];
	const parts = text.split(`\r\n--${boundary}`).slice(1).filter((p) => !p.startsWith('--'));
	const attachments = {};
	let html = '';
	for (const p of parts) {
		const i = p.indexOf('\r\n\r\n');
		const ph = p.slice(0, i);
		const data = Buffer.from(p.slice(i + 4).replace(/\s+/g, ''), 'base64');
		const fn = /filename="([^"]+)"/.exec(ph);
		if (fn)
			attachments[fn[1]] = data;
		else
			html = data.toString('utf8');
		assert.match(header(ph, 'Content-Transfer-Encoding'), /base64/);
	}
	return { subject: header(head, 'Subject'), to: header(head, 'To'), html, attachments };
}

// Waits for messages beyond `known` and returns the newest parsed.
async function nextMail(known, { timeoutMs = 8000 } = {}) {
	const t0 = Date.now();
	for (;;) {
		const fresh = uids().filter((u) => !known.includes(u));
		if (fresh.length) {
			assert.equal(fresh.length, 1, `one new message, got ${fresh}`);
			return { uid: fresh[0], ...parseMail(fetchMail(fresh[0])) };
		}
		if (Date.now() - t0 > timeoutMs)
			throw new Error('no e-mail from the @ctes simulator');
		await sleep(100);
	}
}

function validXml(name, data) {
	const f = path.join(tmp, `check-${Date.now()}-${name}`);
	fs.writeFileSync(f, data);
	const r = spawnSync('xmllint', ['--noout', '--schema', xsd, f]);
	assert.equal(r.status, 0, `${name} against the ACTES XSD: ${r.stderr}`);
	const text = data.toString('latin1');
	assert.match(text, /^<\?xml version="1.0" encoding="ISO-8859-1"\?>/);
	return text;
}

async function sendAndRead(arc, expectStatus = 201) {
	const known = uids();
	const r = post(arc.file, { name: arc.name });
	assert.equal(r.code, 0, r.err);
	assert.equal(status(r), expectStatus);
	return nextMail(known);
}

/* ------------------------------------------------------------ tests */

before(async () => {
	const r = spawnSync(path.join(topSrcdir, 'contrib', 'statesim', 'mkcerts.sh'), [pki]);
	assert.equal(r.status, 0, r.stderr.toString());
	sim = await startStatesim({
		dir: path.join(tmp, 'state'),
		args: ['--tls-cert', path.join(pki, 'server.pem'), '--tls-key', path.join(pki, 'server.key'),
			'--tls-ca', path.join(pki, 'ca.pem'), '--set', `actes.xsd=${xsd}`, '--set', 'imap.tls=1',
			'--set', `actes.max_size=${MAX_SIZE}`],
	});
});

after(async () => {
	if (sim)
		await sim.stop();
	if (!process.exitCode)
		fs.rmSync(tmp, { recursive: true, force: true });
});

describe('@ctes: a good archive', () => {
	it('is taken with 201 and acknowledged by an ARActe over IMAP', async () => {
		const arc = makeArchive();
		const mail = await sendAndRead(arc);
		assert.match(mail.subject, new RegExp(`Accuse de reception - acte ${arc.idacte}`));
		assert.equal(mail.to, '<actes@mairie-test.fr>');
		assert.match(mail.html, /accus&eacute; de r&eacute;ception/);
		const names = Object.keys(mail.attachments).sort();
		assert.equal(names.length, 2);
		const ar = names.find((n) => n === `${arc.stem}-1-2_0.xml`);
		const env = names.find((n) => /^EACT--SPREF0451-214502494-\d{8}-\d+\.xml$/.test(n));
		assert.ok(ar && env, names.join(' '));
		const text = validXml(ar, mail.attachments[ar]);
		assert.match(text, /<actes:ARActe /);
		assert.match(text, new RegExp(`actes:IDActe="${arc.idacte}"`));
		assert.match(text, /actes:NumeroInterne="D2026_\d+"/);
		assert.match(text, /<actes:Objet>Délibération fixant les tarifs/, 'ISO-8859-1 text kept');
		const envText = validXml(env, mail.attachments[env]);
		assert.match(envText, /<actes:EnveloppeMISILLCL /);
		assert.match(envText, new RegExp(`<actes:NomFichier>${ar}</actes:NomFichier>`));
		assert.match(envText, /insee:SIREN="214502494"/);
		const counts = await sim.counts();
		assert.equal(counts.actes[arc.name], 1);
		// The archive is kept as received.
		assert.deepEqual(fs.readFileSync(path.join(tmp, 'state', 'actes', 'received', arc.name)),
			fs.readFileSync(arc.file));
	});

	it('with a detached PKCS#7 signature of the PDF: ARActe, a wrong one: AnomalieActe 004', async () => {
		const pdf = path.join(tmp, 'doc.pdf');
		fs.writeFileSync(pdf, PDF);
		const sig = path.join(tmp, 'doc.p7s');
		const r = spawnSync('openssl', ['cms', '-sign', '-binary', '-in', pdf, '-signer',
			path.join(pki, 'client.pem'), '-inkey', path.join(pki, 'client.key'), '-outform', 'DER',
			'-out', sig]);
		assert.equal(r.status, 0, r.stderr.toString());
		const b64 = fs.readFileSync(sig).toString('base64').replace(/(.{76})/g, '$1\n');
		let mail = await sendAndRead(makeArchive({ signature: b64 }));
		assert.match(mail.subject, /Accuse de reception/);
		// The same signature over another PDF does not verify.
		mail = await sendAndRead(makeArchive({
			signature: b64,
			tweak: (files, { doc }) => ({ ...files, [doc]: pdfBytes(3000, 'other') }),
		}));
		assert.match(mail.subject, /Anomalie acte/);
		const ano = Object.keys(mail.attachments).find((n) => n.endsWith('-1-3_0.xml'));
		const text = validXml(ano, mail.attachments[ano]);
		assert.match(text, /<actes:Nature>004<\/actes:Nature>/);
	});

	it('with actes.mail_tgz=1 the files also come as one tar.gz attachment', async () => {
		const main = sim;
		sim = await startStatesim({
			dir: path.join(tmp, 'state-tgz'),
			args: ['--tls-cert', path.join(pki, 'server.pem'), '--tls-key', path.join(pki, 'server.key'),
				'--tls-ca', path.join(pki, 'ca.pem'), '--set', `actes.xsd=${xsd}`, '--set', 'actes.mail_tgz=1'],
		});
		try {
			const arc = makeArchive();
			const mail = await sendAndRead(arc);
			const names = Object.keys(mail.attachments);
			assert.equal(names.length, 3, names.join(' '));
			const tgz = names.find((n) => n.endsWith('.tar.gz'));
			assert.match(tgz, /^EACT--SPREF0451-214502494-\d{8}-\d+\.tar\.gz$/);
			const dir = fs.mkdtempSync(path.join(tmp, 'tgz-'));
			fs.writeFileSync(path.join(dir, tgz), mail.attachments[tgz]);
			const r = spawnSync('tar', ['-xzf', tgz], { cwd: dir });
			assert.equal(r.status, 0, r.stderr.toString());
			for (const n of names.filter((x) => x !== tgz))
				assert.deepEqual(fs.readFileSync(path.join(dir, n)), mail.attachments[n], n);
		} finally {
			await sim.stop();
			sim = main;
		}
	});

	it('refuses a client without a certificate or with one from another CA', async () => {
		const arc = makeArchive();
		for (const cert of [null, 'rogue']) {
			const r = post(arc.file, { cert });
			assert.notEqual(r.code, 0, `curl with ${cert} should fail`);
			assert.notEqual(status(r), 201);
		}
		assert.equal((await sim.counts()).actes?.[arc.name], undefined);
	});
});

describe('@ctes: bad archives are answered by anomalies', () => {
	const enveloppeAno = async (arc, nature, detail) => {
		const mail = await sendAndRead(arc);
		assert.match(mail.subject, /Anomalie enveloppe/);
		const names = Object.keys(mail.attachments);
		assert.equal(names.length, 1);
		assert.match(names[0], /^ANO_/);
		const text = validXml(names[0], mail.attachments[names[0]]);
		assert.match(text, /<actes:AnomalieEnveloppe /);
		assert.match(text, new RegExp(`<actes:Nature>${nature}</actes:Nature>`));
		assert.match(text, detail);
		const name = arc.name.replace(/[.]/g, '[.]');
		assert.match(text, new RegExp(`<actes:Detail>${name} -&gt; `), 'Detail names the archive');
		assert.equal(names[0], arc.name === 'acte.tar.gz' ? 'ANO_archive.xml' : `ANO_${arc.env ||
			arc.name.replace(/^[^-]+-/, '').replace(/\.tar\.gz$/, '.xml')}`);
		return text;
	};
	const acteAno = async (arc, nature, detail) => {
		const mail = await sendAndRead(arc);
		assert.match(mail.subject, new RegExp(`Anomalie acte - ${arc.idacte}`));
		const ano = Object.keys(mail.attachments).find((n) => n === `${arc.stem}-1-3_0.xml`);
		assert.ok(ano, Object.keys(mail.attachments).join(' '));
		const text = validXml(ano, mail.attachments[ano]);
		assert.match(text, /<actes:AnomalieActe /);
		assert.match(text, new RegExp(`<actes:Nature>${nature}</actes:Nature>`));
		assert.match(text, detail);
		assert.match(text, /<actes:ActeRecu /);
		return text;
	};

	it('envelope SIREN different from the archive name', async () => {
		const text = await enveloppeAno(makeArchive({ siren: '210703385' }), '003', /SIREN/);
		assert.match(text, /<actes:EnveloppeRecue>/);
	});
	it('message not valid against the XSD (no CodeMatiere1)', async () => {
		await enveloppeAno(makeArchive({ matiere: false }), '002', /sch\xe9ma ACTES/);
	});
	it('not a gzip file', async () => {
		const file = path.join(tmp, `LSS-EACT--${SIREN}--${DATE}-999.tar.gz`);
		fs.writeFileSync(file, 'this is not gzip');
		await enveloppeAno({ file, name: path.basename(file) }, '001', /gzip/);
	});
	it('a truncated archive', async () => {
		const arc = makeArchive();
		const data = fs.readFileSync(arc.file);
		fs.writeFileSync(arc.file, data.subarray(0, Math.floor(data.length / 2)));
		await enveloppeAno(arc, '001', /tronqu\xe9e/);
	});
	it('an archive with a sub-directory', async () => {
		const arc = makeArchive();
		const dir = fs.mkdtempSync(path.join(tmp, 'sub-'));
		fs.mkdirSync(path.join(dir, 'annexes'));
		fs.writeFileSync(path.join(dir, 'annexes', 'a.pdf'), PDF);
		assert.equal(spawnSync('gzip', ['-d', arc.file]).status, 0);
		const tarFile = arc.file.replace(/\.gz$/, '');
		assert.equal(spawnSync('tar', ['-rf', tarFile, '-C', dir, 'annexes']).status, 0);
		assert.equal(spawnSync('gzip', ['-n', tarFile]).status, 0);
		await enveloppeAno(arc, '001', /\xe0 plat/);
	});
	it('archive name not @ctes', async () => {
		await enveloppeAno(makeArchive({ archiveName: 'acte.tar.gz' }), '001', /nom d'archive invalide/);
	});
	it('an unreferenced file in the archive', async () => {
		await enveloppeAno(makeArchive({ tweak: (f) => ({ ...f, 'extra.txt': Buffer.from('x') }) }),
			'003', /extra\.txt/);
	});
	it('an archive larger than actes.max_size: AnomalieEnveloppe 004; much larger: 413', async () => {
		const noise = (n) => Buffer.concat([Buffer.from('%PDF-1.4\n'), crypto.randomBytes(n)]);
		await enveloppeAno(makeArchive({
			tweak: (files, { doc }) => ({ ...files, [doc]: noise(MAX_SIZE + 50 * 1024) }),
		}), '004', /plus que les 5242880 permis/);
		const huge = makeArchive({ tweak: (files, { doc }) => ({ ...files, [doc]: noise(MAX_SIZE + 600 * 1024) }) });
		const known = uids();
		assert.equal(status(post(huge.file)), 413);
		await sleep(300);
		assert.deepEqual(uids(), known);
		assert.equal((await sim.counts()).actes?.[huge.name], undefined);
	});
	it('an act already acknowledged, sent again: AnomalieActe 005 (doublon)', async () => {
		const first = makeArchive();
		assert.match((await sendAndRead(first)).subject, /Accuse de reception/);
		const again = makeArchive({ numero: first.idacte.split('-')[3] });
		assert.equal(again.idacte, first.idacte);
		await acteAno(again, '005', /doublon/);
		const counts = await sim.counts();
		assert.equal(counts.actes[first.name], 1);
		assert.equal(counts.actes[again.name], 1);
		// the same number and decision date under another nature: still the same act for @ctes
		const other = makeArchive({ numero: first.idacte.split('-')[3], nature: 'AR', papier: 'O' });
		await acteAno(other, '005', /doublon/);
	});
	it('DocumentPapier absent, or neither O nor N: AnomalieEnveloppe 002', async () => {
		await enveloppeAno(makeArchive({ papier: null }), '002', /DocumentPapier absent/);
		await enveloppeAno(makeArchive({ papier: 'oui' }), '002', /DocumentPapier diff/);
	});
	it('the PDF named by the message is missing', async () => {
		await acteAno(makeArchive({
			tweak: (files, { doc }) => { delete files[doc]; return files; },
		}), '003', /absent de l'archive/);
	});
	it('the document is not a PDF', async () => {
		await acteAno(makeArchive({
			tweak: (files, { doc }) => ({ ...files, [doc]: Buffer.from('GIF89a not a pdf') }),
		}), '003', /pas un PDF/);
	});
	it('NumeroInterne of the message different from the file name', async () => {
		await acteAno(makeArchive({
			tweak: (files, { form }) => ({
				...files,
				[form]: Buffer.from(files[form].toString('latin1').replace(/NumeroInterne="[^"]+"/,
					'NumeroInterne="AUTRE_NUM"'), 'latin1'),
			}),
		}), '002', /NumeroInterne/);
	});
});

describe('@ctes faults', () => {
	const noMail = async (known, ms = 600) => {
		await sleep(ms);
		assert.deepEqual(uids(), known, 'no e-mail expected');
	};

	it('refuse: 403, nothing kept, no e-mail', async () => {
		const known = uids();
		const arc = makeArchive();
		await sim.fault('actes', 'refuse');
		const r = post(arc.file);
		assert.equal(status(r), 403);
		await noMail(known);
		assert.equal((await sim.counts()).actes?.[arc.name], undefined);
		assert.equal(status(post(arc.file)), 201, 'the fault is consumed');
		await nextMail(known);
	});

	it('500: the body is read, 500, nothing kept', async () => {
		const known = uids();
		const arc = makeArchive();
		await sim.fault('actes', '500');
		assert.equal(status(post(arc.file)), 500);
		await noMail(known);
		assert.equal((await sim.counts()).actes?.[arc.name], undefined);
	});

	it('hang: no answer until the client gives up', async () => {
		const known = uids();
		const arc = makeArchive();
		await sim.fault('actes', 'hang');
		const t0 = Date.now();
		const r = post(arc.file, { extra: ['-m', '2'] });
		assert.equal(r.code, 28, `curl timeout expected: ${r.err}`);
		assert.ok(Date.now() - t0 >= 1900);
		await noMail(known);
	});

	it('cut: the connection is closed in the middle of the upload', async () => {
		const known = uids();
		// Incompressible, so that the archive is large and the cut lands mid-body.
		const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), crypto.randomBytes(3 * 1024 * 1024)]);
		const arc = makeArchive({ tweak: (files, { doc }) => ({ ...files, [doc]: big }) });
		assert.ok(fs.statSync(arc.file).size > 3 * 1024 * 1024);
		await sim.fault('actes', 'cut');
		const r = post(arc.file);
		assert.notEqual(r.code, 0, 'curl must report the cut connection');
		assert.notEqual(status(r), 201);
		await noMail(known);
		assert.equal((await sim.counts()).actes?.[arc.name], undefined);
	});

	it('delay_ack: 201 at once, the ARActe only after the delay', async () => {
		const known = uids();
		const arc = makeArchive();
		await sim.fault('actes', 'delay_ack', { seconds: 2 });
		const t0 = Date.now();
		assert.equal(status(post(arc.file)), 201);
		assert.ok(Date.now() - t0 < 1500, '201 must not wait for the acknowledgement');
		await noMail(known, 1000);
		const mail = await nextMail(known);
		assert.ok(Date.now() - t0 >= 1900);
		assert.match(mail.subject, new RegExp(arc.idacte));
	});
});

describe('@ctes: prefecture letters', () => {
	let idacte;
	before(async () => {
		const arc = makeArchive();
		await sendAndRead(arc);
		idacte = arc.idacte;
	});

	const kinds = [
		['courrier', '2-1', 'CourrierSimple', /Courrier simple/],
		['pieces', '3-1', 'DemandePieceComplementaire', /Demande de pieces/],
		['observations', '4-1', 'LettreObservations', /Lettre d'observations/],
		['defere', '5-1', 'DefereTA', /Defere au tribunal/],
	];
	for (const [kind, code, root, subject] of kinds) {
		it(`${kind}: ${root} (${code}) with its PDF`, async () => {
			const known = uids();
			const res = await sim.actesSend(kind, idacte);
			assert.equal(res.ok, true);
			const mail = await nextMail(known);
			assert.match(mail.subject, subject);
			const xml = `${idacte}-${code}_0.xml`, pdf = `${idacte}-${code}_1.pdf`;
			const text = validXml(xml, mail.attachments[xml]);
			assert.match(text, new RegExp(`<actes:${root} `));
			assert.match(text, new RegExp(`actes:IDActe="${idacte}"`));
			assert.match(text, new RegExp(`<actes:NomFichier>${pdf}</actes:NomFichier>`));
			assert.equal(mail.attachments[pdf].subarray(0, 5).toString(), '%PDF-');
			const env = Object.keys(mail.attachments).find((n) => n.startsWith('EACT--SPREF'));
			assert.match(validXml(env, mail.attachments[env]), new RegExp(xml));
			assert.equal((await sim.counts()).actes[kind] >= 1, true);
		});
	}

	it('refuses an unknown kind or an act never acknowledged (422)', async () => {
		await assert.rejects(sim.actesSend('annulation', idacte), (e) => e.status === 422);
		await assert.rejects(sim.actesSend('courrier', `${DEPT}-${SIREN}-${DATE}-INCONNU-DE`),
			(e) => e.status === 422 && /no ARActe/.test(e.body.error));
	});
});

describe('IMAP mailbox', () => {
	it('SASL PLAIN (with an initial response); a wrong password is refused', () => {
		let r = curl(['-v', ...imapAuth, inbox(), '-X', 'UID SEARCH ALL']);
		assert.equal(r.code, 0, r.err);
		assert.match(r.err, /> A\d+ AUTHENTICATE PLAIN \S+/, 'libcurl picks SASL PLAIN');
		assert.match(r.out.toString(), /\* SEARCH \d/);
		r = curl(['-u', 'liasse:wrong', inbox(), '-X', 'UID SEARCH ALL']);
		assert.equal(r.code, 67, r.err);
	});

	it('LOGIN when the server offers no SASL mechanism (imap.sasl=0)', async () => {
		const other = await startStatesim({ dir: path.join(tmp, 'state-login'),
			args: ['--set', 'imap.sasl=0', '--set', 'imap.user=poller', '--set', 'imap.password=s3cret'] });
		try {
			const url = `${other.urls.imap}INBOX`;
			let r = curl(['-v', '-u', 'poller:s3cret', url, '-X', 'UID SEARCH ALL']);
			assert.equal(r.code, 0, r.err);
			assert.match(r.err, /> A\d+ LOGIN /);
			assert.doesNotMatch(r.err, /AUTHENTICATE/);
			assert.match(r.out.toString(), /\* SEARCH\r?\n/, 'an empty mailbox');
			r = curl(['-u', 'poller:wrong', url, '-X', 'UID SEARCH ALL']);
			assert.equal(r.code, 67, r.err);
		} finally {
			await other.stop();
		}
	});

	it('FETCH marks \\Seen, STORE \\Deleted + EXPUNGE removes, state survives a restart', async () => {
		const all = uids();
		const [first, second] = all;
		let r = curl([...imapAuth, inbox(), '-X', `UID FETCH ${second} (FLAGS)`]);
		assert.match(r.out.toString(), /FLAGS \(\\Seen\)/, 'fetched earlier: \\Seen');
		r = curl([...imapAuth, inbox(), '-X', `UID STORE ${first} +FLAGS (\\Deleted)`]);
		assert.equal(r.code, 0, r.err);
		assert.match(r.out.toString(), /FLAGS \(\\Seen \\Deleted\)/);
		r = curl([...imapAuth, inbox(), '-X', 'EXPUNGE']);
		assert.equal(r.code, 0, r.err);
		assert.deepEqual(uids(), all.slice(1));

		await sim.stop();
		sim = await startStatesim({
			dir: path.join(tmp, 'state'),
			args: ['--tls-cert', path.join(pki, 'server.pem'), '--tls-key', path.join(pki, 'server.key'),
				'--tls-ca', path.join(pki, 'ca.pem'), '--set', `actes.xsd=${xsd}`, '--set', 'imap.tls=1',
			'--set', `actes.max_size=${MAX_SIZE}`],
		});
		assert.deepEqual(uids(), all.slice(1), 'messages survive a restart');
		r = curl([...imapAuth, inbox(), '-X', `UID FETCH ${second} (FLAGS)`]);
		assert.match(r.out.toString(), /\\Seen/, 'flags survive a restart');
		// New messages get new uids, never a reused one.
		const known = uids();
		const mail = await sendAndRead(makeArchive());
		assert.ok(mail.uid > Math.max(...all));
		assert.ok(!known.includes(mail.uid));
	});

	it('IMAPS with the server certificate', () => {
		const r = curl(['--cacert', path.join(pki, 'ca.pem'), ...imapAuth, `${sim.urls.imaps}INBOX`,
			'-X', 'UID SEARCH ALL']);
		assert.equal(r.code, 0, r.err);
		assert.match(r.out.toString(), /\* SEARCH \d/);
	});

	it('an IMAP fault: the connection is refused once', async () => {
		await sim.fault('imap', 'refuse');
		const r = curl([...imapAuth, inbox(), '-X', 'UID SEARCH ALL']);
		assert.notEqual(r.code, 0);
		assert.ok(uids().length > 0, 'the next connection works');
	});
});
