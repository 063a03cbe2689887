// liasse-statesim's Hélios gateway, driven by the real curl CLI (libcurl's
// FTP client, as liasse's connector uses it): SITE commands before STOR, the
// PESALR2 name, the checks behind each PES_ACQUIT (validated against the
// official acquit XSD), the faults, FTPS and the control interface.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixture, skip, sleep } from '../lib/harness.mjs';
import { startStatesim, statesimBuilt, statesimBin } from '../lib/statesim.mjs';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
if (!statesimBuilt())
	skip(`${statesimBin} not built`);
if (!has('curl') || !has('openssl') || !has('xmlsec1'))
	skip('curl, openssl or xmlsec1 absent');
const pesXsd = fixture('parapheur-v5/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd');
const acqXsd = fixture('parapheur-v5/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_V2_Acquit_Autonome_V2.xsd');
const okPes = fixture('s2low/helios/fixtures/pes_aller_ok.xml');         // valid, unsigned, CodCol 123
const deviant = fixture('s2low/helios/fixtures/pes_aller.xml');          // IdBord of 10 digits
const empty = fixture('s2low/helios/fixtures/pes_aller_empty.xml');      // header only
const notPes = fixture('s2low/lib/fixtures/test.xml');
const badSig = fixture('s2low/lib/fixtures/signature_bordereau.xml');   // demat 1, digests broken
const demat0Signed = fixture('s2low/lib/fixtures/signature_bordereau_double.xml');
if (!pesXsd || !acqXsd || !okPes || !deviant || !empty || !notPes || !badSig || !demat0Signed)
	skip('fixtures absent');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'liasse-statesim-helios-'));
const MSG = 'PES#123#034000#12';       // CodCol, IdPost, CodBud of pes_aller_ok.xml
const AUTH = ['-u', 'dgfip:secret'];
const ROOT_ID = 'c78a9729c1eb89ff9b47401bd7cd9d7e';
const BORD_ID = 'BORD1093357910';

function curl(args, timeout = 20000) {
	const r = spawnSync('curl', ['-sS', ...args], { timeout });
	return { code: r.status, out: r.stdout, err: r.stderr.toString() };
}

function site(msg = MSG, { dest = 'CGF', appli = 'GHELPES2' } = {}) {
	const q = [];
	if (dest !== null)
		q.push('-Q', `SITE P_DEST ${dest}`);
	if (appli !== null)
		q.push('-Q', `SITE P_APPLI ${appli}`);
	if (msg !== null)
		q.push('-Q', `SITE P_MSG ${msg}`);
	return q;
}

let serial = 0;
// The counter zero-padded to three digits, as S²LOW's FichierCompteur writes it.
const pesName = () => `PESALR2_214502494_261128_${String(++serial).padStart(3, '0')}.xml`;
const latin1 = (p) => fs.readFileSync(p).toString('latin1');
// Each upload gets its own NomFic: the gateway refuses a NomFic seen twice.
const nomfic = (text) => text.replace(/<NomFic V="[^"]*"/, `<NomFic V="NF${Date.now()}${++serial}"`);

function upload(sim, name, text, { q = site(), extra = [], auth = AUTH, timeout } = {}) {
	const dir = path.join(tmp, 'up');
	fs.mkdirSync(dir, { recursive: true });
	const file = path.join(dir, name);
	fs.writeFileSync(file, Buffer.from(text, 'latin1'));
	return curl([...auth, ...extra, '-T', file, sim.urls.helios, ...q], timeout);
}

// The acquit as text and its ElementACQUIT, or null when absent.
function acquit(sim, name, extra = []) {
	const r = curl([...AUTH, ...extra, `${sim.urls.helios}retour/ACK_${name}`]);
	if (r.code !== 0)
		return null;
	const text = r.out.toString('latin1');
	const v = (s, el) => (s.match(new RegExp(`<${el} V="([^"]*)"`)) || [])[1];
	const elements = [...text.matchAll(/<ElementACQUIT>([\s\S]*?)<\/ElementACQUIT>/g)].map((m) => ({
		domaine: v(m[1], 'DomaineAck'), etat: v(m[1], 'EtatAck'), numbord: v(m[1], 'NumBord'),
		exer: v(m[1], 'ExerciceBord'), ano: v(m[1], 'NumAnoAck'), libelle: v(m[1], 'LibelleAnoAck'),
		idunique: v(m[1], 'IdUnique'),
		errors: [...m[1].matchAll(/<Erreur>([\s\S]*?)<\/Erreur>/g)].map((x) => [v(x[1], 'NumAnoAck'), v(x[1], 'LibelleAnoAck')]),
	}));
	return { text, raw: r.out, elements, nomfic: v(text, 'NomFic') };
}

// Independent check: the official acquit schema, through xmllint.
function assertValidAcquit(a) {
	if (!has('xmllint'))
		return;
	const f = path.join(tmp, `acq${++serial}.xml`);
	fs.writeFileSync(f, a.raw);
	const r = spawnSync('xmllint', ['--noout', '--nonet', '--schema', acqXsd, f]);
	assert.equal(r.status, 0, `acquit does not validate: ${r.stderr}`);
}

function assertKo(a, domaine, ano) {
	assert.ok(a, 'an acquit is written');
	assertValidAcquit(a);
	assert.equal(a.elements.length, 1);
	assert.equal(a.elements[0].etat, '0');
	assert.equal(a.elements[0].domaine, domaine, a.elements[0].libelle);
	if (ano)
		assert.equal(a.elements[0].ano, ano);
	return a.elements[0];
}

// pes_aller_ok.xml (a dépense) with PJ: [IdUnique, base64 content, RefCompta Domaine].
function withPjs(text, pjs) {
	const pj = ([id, content, domaine]) => `<PJ><Contenu><Fichier MIMEType="application/pdf">${content}</Fichier></Contenu>` +
		`<IdUnique V="${id}"/><NomPJ V="${id}.pdf"/><Description V="Facture ${id}"/><RefCompta><Domaine V="${domaine}"/>` +
		'<Exercice V="2009"/><TypeObjet V="01"/><Identifiant V="12345"/></RefCompta></PJ>';
	return text.replace('</EnTetePES_PJ>', `</EnTetePES_PJ>${pjs.map(pj).join('')}`);
}

/* A test certificate, and PES signed with it by xmlsec1 (not by liasse). */
const key = path.join(tmp, 'signer.key');
const cert = path.join(tmp, 'signer.pem');

function makeCert(keyFile, certFile, cn, ext = []) {
	const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
		'-keyout', keyFile, '-out', certFile, '-subj', `/CN=${cn}`, ...ext]);
	assert.equal(r.status, 0, r.stderr.toString());
}

const template = (id) => '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
	'<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
	'<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>' +
	`<ds:Reference URI="#${id}"><ds:Transforms>` +
	'<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>' +
	'<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>' +
	'<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>' +
	'</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data>' +
	'</ds:KeyInfo></ds:Signature>';

// pes_aller_ok.xml with InfoDematerialisee 1, signed on its bordereau or root.
function signedPes(target, k = key, c = cert) {
	let text = nomfic(latin1(okPes)).replace('<InfoDematerialisee V="0"/>', '<InfoDematerialisee V="1"/>');
	const close = target === 'root' ? '</n:PES_Aller>' : '</Bordereau>';
	const i = text.indexOf(close);
	text = text.slice(0, i) + template(target === 'root' ? ROOT_ID : BORD_ID) + text.slice(i);
	const inFile = path.join(tmp, `tpl${++serial}.xml`);
	const outFile = `${inFile}.signed`;
	fs.writeFileSync(inFile, Buffer.from(text, 'latin1'));
	const r = spawnSync('xmlsec1', ['--sign', '--privkey-pem', `${k},${c}`,
		'--id-attr:Id', 'Bordereau',
		'--id-attr:Id', 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller:PES_Aller',
		'--output', outFile, inFile]);
	assert.equal(r.status, 0, r.stderr.toString());
	return latin1(outFile);
}

describe('liasse-statesim: Hélios over FTP', () => {
	let sim;

	before(async () => {
		makeCert(key, cert, 'Ordonnateur de test');
		sim = await startStatesim({ dir: path.join(tmp, 'sim'), args: ['--pes-xsd', pesXsd,
			'--set', 'helios.user=dgfip', '--set', 'helios.password=secret',
			'--set', 'helios.p_appli=GHELPES2'] });
	});
	after(async () => {
		if (sim)
			assert.equal(await sim.stop(), 0, 'SIGTERM stops it cleanly');
	});

	it('announces its services with their ports', () => {
		assert.match(sim.urls.helios, /^ftp:\/\/127\.0\.0\.1:\d+\/$/);
		assert.match(sim.urls.control, /^http:\/\/127\.0\.0\.1:\d+\/$/);
		assert.notEqual(sim.port('helios'), sim.port('control'));
	});

	it('a valid unsigned PES is received once and acknowledged (EtatAck 1 per bordereau)', async () => {
		const name = pesName();
		const text = nomfic(latin1(okPes));
		const r = upload(sim, name, text);
		assert.equal(r.code, 0, r.err);
		assert.equal((await sim.counts()).helios[name], 1);
		const list = curl([...AUTH, '-l', `${sim.urls.helios}retour/`]);
		assert.ok(list.out.toString().split(/\r?\n/).includes(`ACK_${name}`), list.out.toString());
		const a = acquit(sim, name);
		assertValidAcquit(a);
		assert.deepEqual(a.elements.map((e) => [e.domaine, e.etat, e.numbord, e.exer]),
			[['5', '1', '12345', '2009']]);
		assert.equal(a.nomfic, text.match(/<NomFic V="([^"]*)"/)[1]);
		assert.match(a.text, /^<\?xml version="1.0" encoding="ISO-8859-1"\?>/);
		assert.deepEqual(fs.readFileSync(path.join(tmp, 'sim/helios/in', name)),
			Buffer.from(text, 'latin1'), 'the gateway keeps the bytes it received');
	});

	it('a PES signed on its bordereau (xmlsec1, InfoDematerialisee 1) is acknowledged', () => {
		const name = pesName();
		assert.equal(upload(sim, name, signedPes('bordereau')).code, 0);
		const a = acquit(sim, name);
		assertValidAcquit(a);
		assert.deepEqual(a.elements.map((e) => [e.domaine, e.etat]), [['5', '1']]);
	});

	it('a PES signed on its root is acknowledged', () => {
		const name = pesName();
		assert.equal(upload(sim, name, signedPes('root')).code, 0);
		assert.deepEqual(acquit(sim, name).elements.map((e) => e.etat), ['1']);
	});

	it('a bordereau altered after signing: DomaineAck 3 (signature bordereau)', () => {
		const name = pesName();
		const text = signedPes('bordereau').replace('TEST HOMOLOGATION', 'TEST HOMOLOGATIOX');
		assert.equal(upload(sim, name, text).code, 0);
		const e = assertKo(acquit(sim, name), '3', 'ERREUR_SIGNATURE_BORDEREAU_INVALIDE');
		assert.equal(e.numbord, '12345');
	});

	it('a header altered under a root signature: DomaineAck 2 (signature globale)', () => {
		const name = pesName();
		const text = signedPes('root').replace('<LibelleColBud V="COMMUNE"/>', '<LibelleColBud V="COMMUNF"/>');
		assert.equal(upload(sim, name, text).code, 0);
		assertKo(acquit(sim, name), '2', 'ERREUR_SIGNATURE_INVALIDE');
	});

	it('the s2low sample whose bordereau signatures do not verify: DomaineAck 3', () => {
		const name = pesName();
		assert.equal(upload(sim, name, latin1(badSig), { q: site('PES#119#080007#50') }).code, 0);
		const e = assertKo(acquit(sim, name), '3', 'ERREUR_SIGNATURE_BORDEREAU_INVALIDE');
		assert.equal(e.numbord, '50');
	});

	it('InfoDematerialisee 1 without a signature, or 0 with one: DomaineAck 1', () => {
		const unsigned = pesName();
		const text = nomfic(latin1(okPes)).replace('<InfoDematerialisee V="0"/>', '<InfoDematerialisee V="1"/>');
		assert.equal(upload(sim, unsigned, text).code, 0);
		assert.match(assertKo(acquit(sim, unsigned), '1', 'ERREUR_PES_PARAM_SIGNATURE').libelle,
			/pas sign/);
		const signed0 = pesName();
		assert.equal(upload(sim, signed0, latin1(demat0Signed)).code, 0);
		assertKo(acquit(sim, signed0), '1', 'ERREUR_PES_PARAM_SIGNATURE');
	});

	it('technical refusals: DomaineAck 0 with the reason', () => {
		const cases = [
			[nomfic(latin1(deviant)), 'ERREUR_AUTRE', /validation XSD.*IdBord/],
			[nomfic(latin1(empty)), 'ERREUR_FLUX_VIDE', /aucun bordereau/],
			[latin1(notPes), 'ERREUR_AUTRE', /PES_Aller/],
			['<not xml', 'ERREUR_ENCODING', /illisible/],
			['', 'ERREUR_FLUX_VIDE', /vide/],
		];
		for (const [text, ano, why] of cases) {
			const name = pesName();
			const r = upload(sim, name, text);
			assert.equal(r.code, 0, r.err);
			assert.match(assertKo(acquit(sim, name), '0', ano).libelle, why);
		}
	});

	it('P_MSG not matching the header: DomaineAck 0', () => {
		const name = pesName();
		assert.equal(upload(sim, name, nomfic(latin1(okPes)), { q: site('PES#124#034000#12') }).code, 0);
		assert.match(assertKo(acquit(sim, name), '0', 'ERREUR_CODE_COLLECTIVITE_BUDGET').libelle,
			/PES#123#034000#12/);
	});

	it('the same NomFic twice: the second file is refused, both are counted', async () => {
		const text = nomfic(latin1(okPes));
		const first = pesName();
		const second = pesName();
		assert.equal(upload(sim, first, text).code, 0);
		assert.equal(upload(sim, second, text).code, 0);
		assert.equal(acquit(sim, first).elements[0].etat, '1');
		assert.match(assertKo(acquit(sim, second), '0').libelle, /déjà reçu/);
		const c = await sim.counts();
		assert.equal(c.helios[first], 1);
		assert.equal(c.helios[second], 1);
	});

	it('the same file name twice is counted twice, with two acquits', async () => {
		const name = pesName();
		assert.equal(upload(sim, name, nomfic(latin1(okPes))).code, 0);
		assert.equal(upload(sim, name, nomfic(latin1(okPes))).code, 0);
		assert.equal((await sim.counts()).helios[name], 2);
		assert.ok(acquit(sim, name));
		const r = curl([...AUTH, `${sim.urls.helios}retour/ACK_${name.replace('.xml', '_2.xml')}`]);
		assert.equal(r.code, 0, r.err);
	});

	it('STOR without each SITE command is refused (503) and nothing is received', async () => {
		for (const missing of ['dest', 'appli', 'msg']) {
			const name = pesName();
			const q = site(missing === 'msg' ? null : MSG, { [missing]: null });
			const r = upload(sim, name, nomfic(latin1(okPes)), { q });
			assert.equal(r.code, 25, r.err);
			assert.match(r.err, /503/);
			const c = await sim.counts();
			assert.equal(c.helios?.[name], undefined);
			assert.equal(c['helios.refused'][name], 1);
		}
	});

	it('a bad P_MSG or P_APPLI is refused (501)', () => {
		for (const q of [site('PES#123#034000'), site('123#034000#12'), site(MSG, { appli: 'AUTRE' })]) {
			const r = upload(sim, pesName(), nomfic(latin1(okPes)), { q });
			assert.equal(r.code, 25, r.err);
			assert.match(r.err, /501/);
		}
	});

	it('a name other than PESALR2_<SIREN>_<yymmdd>_<counter>.xml is refused (553)', async () => {
		const bad = ['pes.xml', 'PESALR2_21450249_261128_001.xml', 'PESALR2_214502494_261328_001.xml',
			'PESALR2_214502494_261128_.xml', 'PESALR1_214502494_261128_001.xml',
			'PESALR2_214502494_261128_001.txt', 'PESALR2_214502494_261128_1.xml',
			'PESALR2_214502494_261128_01.xml'];
		for (const name of bad) {
			const r = upload(sim, name, nomfic(latin1(okPes)));
			assert.equal(r.code, 25, `${name}: ${r.err}`);
			assert.match(r.err, /553/);
		}
		assert.deepEqual(Object.keys((await sim.counts()).helios).filter((n) => bad.includes(n)), []);
	});

	it('uploads into /retour are refused; a wrong password is refused', () => {
		const dir = path.join(tmp, 'up');
		const name = pesName();
		fs.writeFileSync(path.join(dir, name), 'x');
		let r = curl([...AUTH, '-T', path.join(dir, name), `${sim.urls.helios}retour/`, ...site()]);
		assert.equal(r.code, 25, r.err);
		r = upload(sim, pesName(), nomfic(latin1(okPes)), { auth: ['-u', 'dgfip:wrong'] });
		assert.equal(r.code, 67, r.err);
	});

	it('an acquit can be deleted once collected', () => {
		const name = pesName();
		assert.equal(upload(sim, name, nomfic(latin1(okPes))).code, 0);
		const r = curl([...AUTH, sim.urls.helios, '-Q', `DELE retour/ACK_${name}`]);
		assert.equal(r.code, 0, r.err);
		assert.equal(acquit(sim, name), null);
	});

	it('fault refuse: the next STOR gets a 553, the one after goes through', async () => {
		await sim.fault('helios', 'refuse');
		const name = pesName();
		const text = nomfic(latin1(okPes));
		let r = upload(sim, name, text);
		assert.equal(r.code, 25);
		assert.match(r.err, /553/);
		assert.equal((await sim.counts()).helios[name], undefined);
		r = upload(sim, name, text);
		assert.equal(r.code, 0, r.err);
		assert.equal((await sim.counts()).helios[name], 1);
	});

	it('fault 500 with count=2: two transient 451 replies, then success', async () => {
		await sim.fault('helios', '500', { count: 2 });
		const name = pesName();
		const text = nomfic(latin1(okPes));
		for (let i = 0; i < 2; i++) {
			const r = upload(sim, name, text);
			assert.equal(r.code, 25);
			assert.match(r.err, /451/);
		}
		assert.equal(upload(sim, name, text).code, 0);
		const c = await sim.counts();
		assert.equal(c.helios[name], 1);
		assert.equal(c['helios.fault']['500'], 2);
	});

	it('fault hang: no reply to STOR until the client gives up; nothing received', async () => {
		await sim.fault('helios', 'hang');
		const name = pesName();
		const t0 = Date.now();
		const r = upload(sim, name, nomfic(latin1(okPes)), { extra: ['-m', '1'] });
		assert.equal(r.code, 28, r.err);
		assert.ok(Date.now() - t0 >= 900);
		assert.equal((await sim.counts()).helios[name], undefined);
		assert.equal(acquit(sim, name), null);
	});

	it('fault cut: the connection is closed mid-transfer; nothing received, nothing left', async () => {
		await sim.fault('helios', 'cut');
		const name = pesName();
		const text = nomfic(latin1(okPes)).replace('</n:PES_Aller>',
			`<!-- ${'x'.repeat(2 * 1024 * 1024)} --></n:PES_Aller>`);
		const r = upload(sim, name, text);
		assert.notEqual(r.code, 0);
		assert.equal((await sim.counts()).helios[name], undefined);
		assert.equal(acquit(sim, name), null);
		assert.deepEqual(fs.readdirSync(path.join(tmp, 'sim/helios/incoming')), []);
	});

	it('fault hang when=after: received and acknowledged, but the 226 never comes', async () => {
		await sim.fault('helios', 'hang', { when: 'after' });
		const name = pesName();
		const r = upload(sim, name, nomfic(latin1(okPes)), { extra: ['-m', '4'] });
		assert.equal(r.code, 28, r.err);
		assert.equal((await sim.counts()).helios[name], 1);
		assert.equal(acquit(sim, name).elements[0].etat, '1');
	});

	it('fault cut when=after: received and acknowledged, then the connection is closed', async () => {
		await sim.fault('helios', 'cut', { when: 'after' });
		const name = pesName();
		const r = upload(sim, name, nomfic(latin1(okPes)));
		assert.notEqual(r.code, 0);
		assert.equal((await sim.counts()).helios[name], 1);
		assert.equal(acquit(sim, name).elements[0].etat, '1');
	});

	it('fault delay_ack: received at once, the acquit appears only after the delay', async () => {
		// 4 s leaves room for a loaded machine between the 226 and the check.
		await sim.fault('helios', 'delay_ack', { seconds: 4 });
		const name = pesName();
		assert.equal(upload(sim, name, nomfic(latin1(okPes))).code, 0);
		const t = Date.now();
		assert.equal((await sim.counts()).helios[name], 1);
		assert.equal(acquit(sim, name), null, 'no acquit yet');
		assert.ok(Date.now() - t < 4000, 'the absence was seen within the delay');
		await sleep(4500 - (Date.now() - t));
		assert.equal(acquit(sim, name).elements[0].etat, '1');
	});

	it('a PJ with an empty file and a foreign RefCompta domain is refused alone: a partial acceptance', async () => {
		const name = pesName();
		const text = withPjs(nomfic(latin1(okPes)), [['PJOK1', 'SGVsbG8=', '01'], ['PJKO2', '', '02']]);
		assert.equal(upload(sim, name, text).code, 0);
		const a = acquit(sim, name);
		assertValidAcquit(a);
		assert.deepEqual(a.elements.map((e) => [e.domaine, e.etat, e.numbord || e.idunique]),
			[['5', '1', '12345'], ['4', '1', 'PJOK1'], ['4', '0', 'PJKO2']]);
		assert.deepEqual(a.elements[2].errors.map((e) => e[0]), ['ERREUR_PJ', 'ERREUR_PJ'], 'one Erreur per fault');
		assert.match(a.elements[2].errors[0][1], /fichier vide/);
		assert.match(a.elements[2].errors[1][1], /Domaine 02/);
		assert.deepEqual(a.elements[1].errors, []);
		assert.equal((await sim.counts())['helios.ack_partial'][name], 1);
	});

	it('control: bad fault parameters are 400, reset clears counts and faults', async () => {
		await assert.rejects(sim.fault('helios', 'explode'), (e) => e.status === 400);
		await assert.rejects(sim.fault('nowhere', 'refuse'), (e) => e.status === 400);
		await assert.rejects(sim.fault('helios', 'hang', { when: 'later' }), (e) => e.status === 400);
		await sim.fault('helios', 'refuse', { count: 5 });
		await sim.reset();
		assert.deepEqual(await sim.counts(), {});
		const name = pesName();
		assert.equal(upload(sim, name, nomfic(latin1(okPes))).code, 0, 'the faults are gone');
		assert.deepEqual(await sim.counts(), { helios: { [name]: 1 }, 'helios.ack_ok': { [name]: 1 } });
	});
});

describe('liasse-statesim: Hélios writing EtatAck as true/false (helios.booleans=words)', () => {
	let sim;

	before(async () => {
		sim = await startStatesim({ dir: path.join(tmp, 'simwords'), args: ['--pes-xsd', pesXsd,
			'--set', 'helios.booleans=words'] });
	});
	after(async () => {
		if (sim)
			await sim.stop();
	});

	it('true for what is accepted, false for what is refused; the acquit stays valid', () => {
		const name = pesName();
		assert.equal(upload(sim, name, withPjs(nomfic(latin1(okPes)), [['PJ1', '', '01']])).code, 0);
		const a = acquit(sim, name);
		assertValidAcquit(a);
		assert.deepEqual(a.elements.map((e) => e.etat), ['true', 'false']);
		const ko = pesName();
		assert.equal(upload(sim, ko, '').code, 0);
		const k = acquit(sim, ko);
		assertValidAcquit(k);
		assert.equal(k.elements[0].etat, 'false');
	});
});

describe('liasse-statesim: Hélios over explicit FTPS, signers chained to helios.trust', () => {
	let sim;
	const skey = path.join(tmp, 'server.key');
	const scert = path.join(tmp, 'server.pem');
	const tls = () => ['--ssl-reqd', '--cacert', scert];

	before(async () => {
		makeCert(skey, scert, '127.0.0.1', ['-addext', 'subjectAltName=IP:127.0.0.1']);
		sim = await startStatesim({ dir: path.join(tmp, 'simtls'), args: ['--pes-xsd', pesXsd,
			'--tls-cert', scert, '--tls-key', skey, '--set', 'helios.require_tls=1',
			'--set', `helios.trust=${cert}`] });
	});
	after(async () => {
		if (sim)
			await sim.stop();
	});

	it('AUTH TLS, PROT P: upload and acquit over TLS with strict verification', () => {
		const tls = ['--ssl-reqd', '--cacert', scert];
		const name = pesName();
		const r = upload(sim, name, nomfic(latin1(okPes)), { auth: [], extra: tls });
		assert.equal(r.code, 0, r.err);
		assert.equal(acquit(sim, name, tls).elements[0].etat, '1');
	});

	it('a signer whose certificate chains to helios.trust is accepted, another gets ERREUR_CERTIFICAT', () => {
		const good = pesName();
		assert.equal(upload(sim, good, signedPes('bordereau'), { auth: [], extra: tls() }).code, 0);
		assert.equal(acquit(sim, good, tls()).elements[0].etat, '1');
		const otherKey = path.join(tmp, 'other.key');
		const otherCert = path.join(tmp, 'other.pem');
		makeCert(otherKey, otherCert, 'Autre signataire');
		const bad = pesName();
		assert.equal(upload(sim, bad, signedPes('bordereau', otherKey, otherCert),
			{ auth: [], extra: tls() }).code, 0);
		const e = assertKo(acquit(sim, bad, tls()), '3', 'ERREUR_CERTIFICAT');
		assert.match(e.libelle, /non reconnu/);
	});

	it('a clear-text login is refused when TLS is required', () => {
		const r = upload(sim, pesName(), nomfic(latin1(okPes)), { auth: [] });
		assert.equal(r.code, 67, r.err);
	});
});

process.on('exit', (code) => {
	if (code === 0 && !process.exitCode)
		fs.rmSync(tmp, { recursive: true, force: true });
	else
		process.stderr.write(`# statesim-helios data and logs kept in ${tmp}\n`);
});
