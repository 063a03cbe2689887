// The i-Parapheur web services (doc/compat.md, "i-Parapheur"), driven by a
// real client: PHP's own SoapClient (tests/php/ipar-client.php) on the WSDL
// liasse serves at /ws-iparapheur?wsdl, with the vendor client's name and key
// as its login and password (Pastell's connecteur/iParapheur does the same).
// An act PDF with MetaDataTdtACTES (CreerDossier) and a PES (CreerDossierPES)
// become ordinary documents in the official's queue, are signed there, and
// GetDossier hands back the signed PES in FichierPES (xml-crypto verifies it)
// and the act's detached CMS in SignatureDocPrincipal (openssl cms verifies
// it over DocPrincipal); GetHistoDossier gives i-Parapheur's status names; a
// duplicate DossierID and an unknown SousType are MessageRetour KO; an unknown
// operation is a SOAP fault; an MTOM request sent with curl is accepted and
// answered in MTOM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import {
	newHarness, fixture, skip, pdfFile, pesFile, OFFICIAL_A, PASSWORD, request,
} from '../lib/harness.mjs';
import { makePki } from '../lib/pki.mjs';

const WSDL = fixture('iparapheur-ws/iparapheur.wsdl');
if (!WSDL)
	skip('iparapheur-ws/iparapheur.wsdl fixture absent');
if (spawnSync('php', ['-r', 'exit(class_exists("SoapClient") ? 0 : 1);']).status !== 0)
	skip('php-cli with php-soap is not installed');
let V = null;
try {
	V = await import('../js/verify-xades.mjs');
} catch (e) {
	if (!(e.code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package/.test(e.message)))
		throw e;
}
const { cmsVerify } = await import('../js/tools.mjs');

const here = path.dirname(new URL(import.meta.url).pathname);
const CLIENT = path.resolve(here, '../php/ipar-client.php');
const h = newHarness('compat-ipar');
const PIN = 'rose-2026';
const today = new Date().toISOString().slice(0, 10);
let s, pki, official;

const b64 = (buf) => ({ _b64: Buffer.from(buf).toString('base64') });
const bytes = (v) => Buffer.from(v._b64, 'base64');

// The calls through PHP's SoapClient, with the client's name and key.
function php(calls, { login = 'vendor-a', password = s.keyA } = {}) {
	const r = spawnSync('php', [CLIENT], {
		input: JSON.stringify({ wsdl: `${s.d.url}/ws-iparapheur?wsdl`, login, password, calls }),
		encoding: 'utf8', timeout: 900000, maxBuffer: 256 << 20,
	});
	assert.equal(r.status, 0, r.stderr);
	const out = JSON.parse(r.stdout);
	assert.equal(out.length, calls.length, r.stdout);
	return out;
}
const one = (op, arg, o) => php([{ op, arg }], o)[0];

function creerActe(id, pdf, extra = {}) {
	return one('CreerDossier', {
		TypeTechnique: 'ACTES', SousType: 'Délibération', DossierID: id,
		DocumentPrincipal: { _: b64(pdf.data), contentType: 'application/pdf' },
		NomDocPrincipal: pdf.name, VisuelPDF: null, XPathPourSignatureXML: null,
		MetaDataTdtACTES: { nature: 'DE', classification: '7.1', date: today, objet: 'Vote du budget primitif' },
		AnnotationPublique: 'À signer avant le conseil', AnnotationPrivee: null,
		Visibilite: 'SERVICE', DateLimite: '2030-01-31', ...extra,
	});
}

function creerPes(id, pes) {
	return one('CreerDossierPES', {
		TypeTechnique: 'PES', SousType: 'Bordereau', EmailEmetteur: 'compta@saint-essai.test',
		DossierID: id, FichierPES: { _: b64(pes.data), contentType: 'text/xml' },
		VisuelPDF: { _: b64(pdfFile(800, 'visuel.pdf').data), contentType: 'application/pdf' },
		XPathPourSignaturePES: '//Bordereau', AnnotationPublique: null, AnnotationPrivee: null,
		Visibilite: 'SERVICE', DateLimite: null,
	});
}

const retour = (r) => r.result?.MessageRetour;
// liassed's VmHWM (kB), from /proc, or '?'.
function peakRss() {
	try {
		const pid = s.d.proc.pid;
		return /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1];
	} catch {
		return '?';
	}
}
const logs = (r) => [].concat(r.result?.LogDossier ?? []);

before(async () => {
	s = await h.setup({ iparapheur_wsdl: WSDL });
	pki = await makePki();
	assert.equal((await h.cli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' })).code, 0);
	await h.enrol(OFFICIAL_A, pki.signer.p12, pki.password, PIN);
	official = await s.d.login(OFFICIAL_A);
	for (const [type, st, kind] of [['ACTES', 'Délibération', 'acte'], ['PES', 'Bordereau', 'pes']]) {
		const r = await h.cli(['iparapheur', 'add', '--org', s.orgA, '--type', type, '--sous-type', st,
			'--kind', kind]);
		assert.equal(r.code, 0, r.stderr);
	}
});

after(async () => {
	await h.stopAll();
});

test('liasse iparapheur: list, and bad input refused in one line', async () => {
	const l = await h.cli(['iparapheur', 'list']);
	assert.equal(l.code, 0, l.stderr);
	assert.match(l.stdout, new RegExp(`^${s.orgA}\tACTES\tDélibération\tacte\t-$`, 'm'));
	for (const [args, re] of [
		[['--org', '999999999', '--type', 'A', '--sous-type', 'B', '--kind', 'acte'], /no organisation 999999999/],
		[['--org', s.orgA, '--type', 'A', '--sous-type', 'B', '--kind', 'bulletin'], /unknown kind "bulletin"/]]) {
		const r = await h.cli(['iparapheur', 'add', ...args]);
		assert.equal(r.code, 1, r.stdout);
		assert.match(r.stderr, re);
		assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
	}
	const u = await h.cli(['iparapheur', 'add', '--org', s.orgA]);
	assert.equal(u.code, 2);
	const rm = await h.cli(['iparapheur', 'remove', '--org', s.orgA, '--type', 'ACTES', '--sous-type', 'Nope']);
	assert.equal(rm.code, 1);
	assert.match(rm.stderr, /has no type ACTES\/Nope/);
});

test('the WSDL names liasse as the address, and the types are the organisation\'s', async () => {
	const w = await request(s.d.url, { path: '/ws-iparapheur?wsdl' });
	assert.equal(w.status, 200, w.text);
	const text = w.body.toString('utf8');
	assert.ok(text.includes(`location="${s.d.url}/ws-iparapheur"`), 'soap:address is liasse');
	assert.ok(text.includes(`location="${s.d.url}/ws-iparapheur-no-mtom"`));
	assert.ok(!text.includes('cg29.local'));
	const [echo, types, sous, unknownSous] = php([
		{ op: 'echo', arg: 'bonjour' }, { op: 'GetListeTypes', arg: null },
		{ op: 'GetListeSousTypes', arg: 'ACTES' }, { op: 'GetListeSousTypes', arg: 'INCONNU' }]);
	assert.match(echo.result, /\[vendor-a\].*bonjour/);
	assert.deepEqual([].concat(types.result.TypeTechnique).sort(), ['ACTES', 'PES']);
	assert.deepEqual([].concat(sous.result.SousType), ['Délibération']);
	assert.equal(unknownSous.result.SousType, undefined);
	// a type mapped to no circuit: one step, the official the routing picks
	const [circuit, noCircuit] = php([{ op: 'GetCircuit', arg: { TypeTechnique: 'ACTES', SousType: 'Délibération' } },
		{ op: 'GetCircuit', arg: { TypeTechnique: 'ACTES', SousType: 'Inexistant' } }]);
	const steps = [].concat(circuit.result.EtapeCircuit);
	assert.equal(steps.length, 1, JSON.stringify(circuit));
	assert.equal(steps[0].Parapheur, OFFICIAL_A);
	assert.equal(steps[0].Role, 'SIGNATAIRE');
	assert.match(noCircuit.fault, /sous-type Inexistant n'existe pas/);
	const bad = one('echo', 'x', { password: s.keyB });
	assert.ok(bad.fault, 'the key of another client is refused');
});

test('CreerDossier (act) and CreerDossierPES: signed in liasse, given back by GetDossier', async () => {
	const pdf = pdfFile(3000, 'deliberation.pdf');
	const pes = pesFile('IPARPES0001');
	const ra = creerActe('DEL-2026-042', pdf);
	assert.equal(retour(ra)?.codeRetour, 'OK', JSON.stringify(ra));
	const rp = creerPes('PES-2026-7', pes);
	assert.equal(retour(rp)?.codeRetour, 'OK', JSON.stringify(rp));

	// ordinary documents, in the official's queue, with the client as actor
	const list = (await s.a.get('/api/v1/documents')).json;
	const acte = list.items.find((d) => d.external_ref === 'DEL-2026-042');
	const doc = list.items.find((d) => d.external_ref === 'PES-2026-7');
	assert.ok(acte && doc, JSON.stringify(list));
	assert.equal(acte.state, 'pending_signature');
	assert.equal(acte.acte.numero_interne, 'DEL2026042');
	assert.equal(acte.acte.classification, '7.1');
	assert.equal(acte.due_date, '2030-01-31');
	assert.equal(doc.state, 'pending_signature');
	assert.equal(await h.psql(`SELECT actor FROM journal WHERE action = 'document.received' AND doc_id = '${acte.id}'`),
		'client:vendor-a');
	const ev = (await s.a.get('/api/v1/events?after=0&limit=100')).json.items;
	assert.ok(ev.some((e) => e.document === acte.id) && ev.some((e) => e.document === doc.id),
		'the change feed has them');
	const q = (await official.get('/api/v1/queue')).json;
	assert.ok(JSON.stringify(q).includes(acte.id) && JSON.stringify(q).includes(doc.id), 'in the queue');

	let histo = one('GetHistoDossier', 'DEL-2026-042');
	assert.equal(retour(histo).codeRetour, 'OK');
	assert.deepEqual(logs(histo).map((l) => l.status), ['NonLu']);
	assert.equal(logs(histo)[0].annotation, 'À signer avant le conseil');

	const sr = await official.postJson('/api/v1/queue/sign', { documents: [acte.id, doc.id], pin: PIN });
	assert.equal(sr.status, 200, sr.text);

	histo = one('GetHistoDossier', 'DEL-2026-042');
	assert.deepEqual(logs(histo).map((l) => l.status), ['NonLu', 'Signe']);
	assert.deepEqual(logs(one('GetHistoDossier', 'PES-2026-7')).map((l) => l.status), ['NonLu', 'Signe']);
	const found = one('RechercherDossiers', { Status: 'Signe' });
	assert.deepEqual(logs(found).map((l) => l.nom).sort(), ['DEL-2026-042', 'PES-2026-7']);

	// the act: DocPrincipal and its detached CMS in SignatureDocPrincipal
	const ga = one('GetDossier', 'DEL-2026-042');
	assert.equal(retour(ga).codeRetour, 'OK', JSON.stringify(ga));
	assert.equal(ga.result.NomDocPrincipal, 'deliberation.pdf');
	assert.equal(ga.result.AnnotationPublique, 'À signer avant le conseil');
	assert.ok(bytes(ga.result.DocPrincipal._).equals(pdf.data));
	const dir = fs.mkdtempSync(path.join(h.tmp, 'ipar-'));
	fs.writeFileSync(path.join(dir, 'sig.p7s'), bytes(ga.result.SignatureDocPrincipal._));
	fs.writeFileSync(path.join(dir, 'data.pdf'), bytes(ga.result.DocPrincipal._));
	const v = cmsVerify(path.join(dir, 'sig.p7s'), path.join(dir, 'data.pdf'), { caFile: pki.chain, inform: 'DER' });
	assert.ok(v.ok, v.out);

	// the PES: signed, in FichierPES, where Pastell's getSignature() reads it
	const gp = one('GetDossier', 'PES-2026-7');
	assert.equal(retour(gp).codeRetour, 'OK');
	const signed = bytes(gp.result.FichierPES._);
	assert.ok(!signed.equals(pes.data));
	if (V) {
		const x = V.verifyXades(signed, { trust: [pki.trust], requireSha256: true });
		assert.equal(x.error, null, x.error);
		assert.ok(x.signatures.length >= 1 && x.signatures.every((g) => g.valid));
		console.log(`# FichierPES: ${x.signatures.length} XAdES signature(s) verified by xml-crypto`);
	} else {
		console.log('# tests/node_modules missing: the PES signature was not verified');
	}
	assert.equal(retour(one('ArchiverDossier', { DossierID: 'PES-2026-7', ArchivageAction: 'EFFACER' })).codeRetour, 'OK');
});

test('a second CreerDossier with the same DossierID, an unknown SousType: MessageRetour KO', async () => {
	const pdf = pdfFile(2000, 'arrete.pdf');
	assert.equal(retour(creerActe('ARR-1', pdf)).codeRetour, 'OK');
	const before = await h.psql('SELECT count(*) FROM document');
	for (const again of [pdf, pdfFile(2100, 'autre.pdf')]) {
		const dup = creerActe('ARR-1', again);
		assert.equal(retour(dup).codeRetour, 'KO');
		assert.match(retour(dup).message, /ARR-1.*déjà présent/);
	}
	const unknown = creerActe('ARR-2', pdf, { SousType: 'Inexistant' });
	assert.equal(retour(unknown).codeRetour, 'KO');
	assert.match(retour(unknown).message, /sous-type 'Inexistant' n'existe pas/);
	// a door refusal (an act of the future) comes back as a KO, not an HTTP 500
	const future = creerActe('ARR-3', pdf, { MetaDataTdtACTES: { nature: 'AR', classification: '7.1',
		date: '2099-01-01', objet: 'x' } });
	assert.equal(retour(future).codeRetour, 'KO');
	assert.match(retour(future).message, /date_decision/);
	assert.equal(await h.psql('SELECT count(*) FROM document'), before, 'nothing created');
	// ExercerDroitRemordDossier takes the pending dossier back
	assert.equal(retour(one('ExercerDroitRemordDossier', 'ARR-1')).codeRetour, 'OK');
	assert.equal(retour(one('ExercerDroitRemordDossier', 'ARR-1')).codeRetour, 'KO');
	assert.equal(retour(one('GetDossier', 'NOPE')).codeRetour, 'KO');
});

test('an unknown operation is a SOAP fault naming it', async () => {
	const env = '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
		'<soap:Body><ns:SupprimerToutRequest xmlns:ns="http://www.adullact.org/spring-ws/iparapheur/1.0">x' +
		'</ns:SupprimerToutRequest></soap:Body></soap:Envelope>';
	const r = await s.a.post('/ws-iparapheur', Buffer.from(env), { 'Content-Type': 'text/xml; charset=utf-8',
		SOAPAction: '""' });
	assert.equal(r.status, 500);
	const t = r.body.toString('utf8');
	assert.match(t, /<soap:Fault>/);
	assert.match(t, /<faultcode>soap:Client<\/faultcode>/);
	assert.match(t, /SupprimerTout/);
	const dtd = await s.a.post('/ws-iparapheur', Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + env),
		{ 'Content-Type': 'text/xml' });
	assert.equal(dtd.status, 500);
	assert.match(dtd.body.toString('utf8'), /soap:Fault/);
});

test('MTOM: a multipart/related request sent with curl is accepted and answered in MTOM', async () => {
	const pdf = pdfFile(2500, 'mtom.pdf');
	const env = `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.adullact.org/spring-ws/iparapheur/1.0" xmlns:xop="http://www.w3.org/2004/08/xop/include" xmlns:xm="http://www.w3.org/2005/05/xmlmime"><soap:Body><ns:CreerDossierRequest><ns:TypeTechnique>ACTES</ns:TypeTechnique><ns:SousType>Délibération</ns:SousType><ns:DossierID>MTOM-1</ns:DossierID><ns:DocumentPrincipal xm:contentType="application/pdf"><xop:Include href="cid:doc%40client"/></ns:DocumentPrincipal><ns:NomDocPrincipal>mtom.pdf</ns:NomDocPrincipal><ns:MetaDataTdtACTES><ns:nature>1</ns:nature><ns:classification>7.1</ns:classification><ns:date>${today}</ns:date><ns:objet>MTOM</ns:objet></ns:MetaDataTdtACTES><ns:Visibilite>SERVICE</ns:Visibilite></ns:CreerDossierRequest></soap:Body></soap:Envelope>`;
	const B = 'uuid:7c4f1e6a-mtom';
	const body = Buffer.concat([
		Buffer.from(`--${B}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\n` +
			`Content-Transfer-Encoding: binary\r\nContent-ID: <root.message@cxf.apache.org>\r\n\r\n${env}\r\n` +
			`--${B}\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: binary\r\n` +
			`Content-ID: <doc@client>\r\n\r\n`),
		pdf.data, Buffer.from(`\r\n--${B}--\r\n`)]);
	const file = path.join(h.tmp, 'mtom.bin');
	fs.writeFileSync(file, body);
	const ctype = `multipart/related; type="application/xop+xml"; boundary="${B}"; ` +
		'start="<root.message@cxf.apache.org>"; start-info="text/xml"';
	const curl = (f, ct) => spawnSync('curl', ['-sS', '-u', `vendor-a:${s.keyA}`, '-H', `Content-Type: ${ct}`,
		'-H', 'SOAPAction: ""', '--data-binary', `@${f}`, '-D', '-', `${s.d.url}/ws-iparapheur`],
		{ encoding: 'latin1', timeout: 120000 });
	let r = curl(file, ctype);
	assert.equal(r.status, 0, r.stderr);
	assert.match(r.stdout, /^HTTP\/1\.1 200/);
	assert.match(r.stdout, /content-type: multipart\/related; type="application\/xop\+xml"/i);
	assert.match(r.stdout, /<ns:codeRetour>OK<\/ns:codeRetour>/);
	// GetDossier over MTOM: the file comes back as a part the envelope includes
	const get = env.replace(/<ns:CreerDossierRequest>.*<\/ns:CreerDossierRequest>/,
		'<ns:GetDossierRequest>MTOM-1</ns:GetDossierRequest>');
	fs.writeFileSync(file, `--${B}\r\nContent-Type: application/xop+xml; type="text/xml"\r\n` +
		`Content-ID: <root.message@cxf.apache.org>\r\n\r\n${get}\r\n--${B}--\r\n`);
	r = curl(file, ctype);
	assert.match(r.stdout, /^HTTP\/1\.1 200/);
	assert.match(r.stdout, /<ns:DocPrincipal [^>]*><xop:Include [^>]*href="cid:part1@liasse"/);
	const raw = Buffer.from(r.stdout, 'latin1');
	assert.ok(raw.includes(pdf.data), 'the PDF travels as its own part, in binary');
	// the no-MTOM address refuses MTOM
	r = spawnSync('curl', ['-sS', '-u', `vendor-a:${s.keyA}`, '-H', `Content-Type: ${ctype}`,
		'--data-binary', `@${file}`, `${s.d.url}/ws-iparapheur-no-mtom`], { encoding: 'utf8' });
	assert.match(r.stdout, /soap:Fault.*MTOM/s);
});

test('a rejected dossier: RejetSignataire, EffacerDossierRejete; a circuit passed on; XPathPourSignaturePES', async () => {
	// the sub-type names a circuit of the organisation (doc/circuits.md)
	await h.mustCli(['circuit', 'add', '--org', s.orgA, '--name', 'visa-dgs-maire', `signature:${OFFICIAL_A}`]);
	const r = await h.cli(['iparapheur', 'add', '--org', s.orgA, '--type', 'ACTES', '--sous-type', 'Arrêté visé',
		'--kind', 'acte', '--circuit', 'visa-dgs-maire']);
	assert.equal(r.code, 0, r.stderr);
	const c = creerActe('ARR-VISA-1', pdfFile(1500, 'arrete.pdf'), { SousType: 'Arrêté visé' });
	assert.equal(retour(c).codeRetour, 'OK', JSON.stringify(c));
	const list = (await s.a.get('/api/v1/documents')).json.items;
	const d = list.find((x) => x.external_ref === 'ARR-VISA-1');
	assert.equal(retour(one('EffacerDossierRejete', 'ARR-VISA-1')).codeRetour, 'KO', 'not rejected yet');
	const rj = await official.postJson(`/api/v1/queue/${d.id}/reject`, { reason: 'Mauvais montant' });
	assert.equal(rj.status, 200, rj.text);
	const histo = one('GetHistoDossier', 'ARR-VISA-1');
	assert.deepEqual(logs(histo).map((l) => l.status), ['NonLu', 'RejetSignataire']);
	assert.equal(logs(histo)[1].annotation, 'Mauvais montant');
	assert.equal(logs(one('GetStatutTdT', 'ARR-VISA-1'))[0].status, 'RejetSignataire');
	assert.equal(retour(one('EffacerDossierRejete', 'ARR-VISA-1')).codeRetour, 'OK');
	assert.equal((await s.a.get(`/api/v1/documents/${d.id}`)).json.state, 'cancelled');
	// a PES type through CreerDossier, an XPath liasse does not sign: KO
	const wrong = creerActe('PES-X', pdfFile(900), { TypeTechnique: 'PES', SousType: 'Bordereau' });
	assert.match(retour(wrong).message, /CreerDossierPES/);
	const pes = pesFile('IPARPES0002');
	const xp = one('CreerDossierPES', {
		TypeTechnique: 'PES', SousType: 'Bordereau', EmailEmetteur: 'x@saint-essai.test', DossierID: 'PES-XP',
		FichierPES: { _: b64(pes.data), contentType: 'text/xml' },
		VisuelPDF: { _: b64(pdfFile(800).data), contentType: 'application/pdf' },
		XPathPourSignaturePES: '//Piece', AnnotationPublique: null, AnnotationPrivee: null,
		Visibilite: 'SERVICE', DateLimite: null });
	assert.equal(retour(xp).codeRetour, 'KO');
	assert.match(retour(xp).message, /XPathPourSignaturePES/);
	// GetClassificationActesTdt: none received yet, then the 7-2 as the prefecture sent it
	const none = one('GetClassificationActesTdt', { TypeTechnique: 'ACTES', DemanderMiseAJourTdt: null });
	assert.equal(retour(none).codeRetour, 'KO');
	assert.match(retour(none).message, /Aucune classification/);
	const cf = fixture('s2low/class/fixtures/classification.xml');
	if (cf) {
		const xml = fs.readFileSync(cf);
		await h.psql(`UPDATE organisation SET classification = decode('${xml.toString('hex')}', 'hex')
			WHERE siren = '${s.orgA}'`);
		const got = one('GetClassificationActesTdt', { TypeTechnique: 'ACTES', DemanderMiseAJourTdt: null });
		assert.equal(retour(got).codeRetour, 'OK', JSON.stringify(got).slice(0, 300));
		assert.ok(bytes(got.result.classification._).equals(xml));
	}
	assert.equal(retour(one('ForcerEtape', { DossierID: 'ARR-VISA-1', CodeTransition: 'OK',
		AnnotationPublique: null, AnnotationPrivee: null })).codeRetour, 'KO');
});

test('a 24 MiB act: streamed into chunks by the same ingest, inline and as MTOM, given back identical', async () => {
	const pdf = pdfFile(24 << 20, 'gros.pdf');
	let t0 = Date.now();
	const r = creerActe('GROS-1', pdf);
	const inlineMs = Date.now() - t0;
	assert.equal(retour(r).codeRetour, 'OK', JSON.stringify(r).slice(0, 500));
	const doc = (await s.a.get('/api/v1/documents')).json.items.find((d) => d.external_ref === 'GROS-1');
	assert.equal(doc.files[0].size, pdf.data.length);
	assert.equal(doc.files[0].sha256, crypto.createHash('sha256').update(pdf.data).digest('hex'));
	assert.ok(Number(await h.psql(`SELECT nchunks FROM blob WHERE sha256 = '\\x${doc.files[0].sha256}'`)) > 1,
		'stored in chunks');
	// the same size as MTOM, the file in binary beside the envelope (curl)
	const big = pdfFile(24 << 20, 'gros2.pdf');
	const B = 'MIMEBoundary_big';
	const env = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.adullact.org/spring-ws/iparapheur/1.0" xmlns:xop="http://www.w3.org/2004/08/xop/include"><soap:Body><ns:CreerDossierRequest><ns:TypeTechnique>ACTES</ns:TypeTechnique><ns:SousType>Délibération</ns:SousType><ns:DossierID>GROS-2</ns:DossierID><ns:DocumentPrincipal><xop:Include href="cid:gros"/></ns:DocumentPrincipal><ns:NomDocPrincipal>gros2.pdf</ns:NomDocPrincipal><ns:MetaDataTdtACTES><ns:nature>DE</ns:nature><ns:classification>7.1</ns:classification><ns:date>${today}</ns:date><ns:objet>Gros</ns:objet></ns:MetaDataTdtACTES><ns:Visibilite>SERVICE</ns:Visibilite></ns:CreerDossierRequest></soap:Body></soap:Envelope>`;
	const file = path.join(h.tmp, 'big.bin');
	fs.writeFileSync(file, Buffer.concat([
		Buffer.from(`--${B}\r\nContent-Type: application/xop+xml; type="text/xml"\r\nContent-ID: <env>\r\n\r\n${env}\r\n` +
			`--${B}\r\nContent-Type: application/pdf\r\nContent-ID: <gros>\r\n\r\n`), big.data,
		Buffer.from(`\r\n--${B}--\r\n`)]));
	t0 = Date.now();
	const c = spawnSync('curl', ['-sS', '-u', `vendor-a:${s.keyA}`, '-H',
		`Content-Type: multipart/related; type="application/xop+xml"; boundary=${B}; start="<env>"`,
		'--data-binary', `@${file}`, `${s.d.url}/ws-iparapheur`], { encoding: 'utf8', timeout: 900000 });
	const mtomMs = Date.now() - t0;
	assert.match(c.stdout, /<ns:codeRetour>OK<\/ns:codeRetour>/, c.stdout + c.stderr);
	t0 = Date.now();
	const g = one('GetDossier', 'GROS-2');
	const getMs = Date.now() - t0;
	assert.ok(bytes(g.result.DocPrincipal._).equals(big.data), 'GetDossier gives the same bytes back');
	console.log(`# 24 MiB CreerDossier: ${inlineMs} ms inline base64 (PHP SoapClient), ${mtomMs} ms MTOM (curl); ` +
		`GetDossier ${getMs} ms; liassed peak RSS ${peakRss()} kB`);
});

test('a circuit visa then signature: GetCircuit\'s steps, Vise and RejetVisa through the visa', async () => {
	const DGS = 'dgs@saint-essai.test';
	await h.person({ email: DGS, name: 'Denise Générale', password: PASSWORD,
		roles: [{ org: s.orgA, role: 'signer', function: 'dgs' }] });
	const dgs = await s.d.login(DGS);
	await h.mustCli(['circuit', 'add', '--org', s.orgA, '--name', 'visa-puis-signature', 'visa:dgs',
		`signature:${OFFICIAL_A}`]);
	await h.mustCli(['iparapheur', 'add', '--org', s.orgA, '--type', 'ACTES', '--sous-type', 'Délibération visée',
		'--kind', 'acte', '--circuit', 'visa-puis-signature']);
	// the sub-types mapped for the type; GetCircuit: the circuit's steps, whom each resolves to now
	const [sous, circ, routed] = php([{ op: 'GetListeSousTypes', arg: 'ACTES' },
		{ op: 'GetCircuit', arg: { TypeTechnique: 'ACTES', SousType: 'Délibération visée' } },
		{ op: 'GetCircuit', arg: { TypeTechnique: 'ACTES', SousType: 'Délibération' } }]);
	assert.ok([].concat(sous.result.SousType).includes('Délibération visée'), JSON.stringify(sous));
	assert.deepEqual([].concat(circ.result.EtapeCircuit).map((e) => [e.Role, e.Parapheur, e.Prenom, e.Nom]),
		[['VISEUR', DGS, 'Denise', 'Générale'], ['SIGNATAIRE', OFFICIAL_A, 'Marie', 'Ordonnatrice']]);
	assert.deepEqual([].concat(routed.result.EtapeCircuit).map((e) => [e.Role, e.Parapheur]),
		[['SIGNATAIRE', OFFICIAL_A]], 'a type without circuit: the one step the routing picks');

	// a dossier at the visa step: NonLu; after the visa: Vise (history and search); then Signe
	const pdf = pdfFile(1800, 'visee.pdf');
	assert.equal(retour(creerActe('DEL-VISA-1', pdf, { SousType: 'Délibération visée' })).codeRetour, 'OK');
	const items = (await s.a.get('/api/v1/documents')).json.items;
	const d = items.find((x) => x.external_ref === 'DEL-VISA-1');
	assert.equal(d.circuit.action, 'visa');
	assert.deepEqual(logs(one('GetHistoDossier', 'DEL-VISA-1')).map((l) => l.status), ['NonLu']);
	assert.equal(logs(one('GetStatutTdT', 'DEL-VISA-1'))[0].status, 'NonLu');
	const v = await dgs.postJson(`/api/v1/queue/${d.id}/visa`, { public_annotation: 'Vu, bon pour signature' });
	assert.equal(v.status, 200, v.text);
	let histo = one('GetHistoDossier', 'DEL-VISA-1');
	assert.deepEqual(logs(histo).map((l) => l.status), ['NonLu', 'Vise']);
	assert.equal(logs(histo)[1].annotation, 'Vu, bon pour signature');
	assert.equal(logs(one('GetStatutTdT', 'DEL-VISA-1'))[0].status, 'Vise');
	assert.deepEqual(logs(one('RechercherDossiers', { Status: 'Vise' })).map((l) => l.nom), ['DEL-VISA-1']);
	assert.ok(!logs(one('RechercherDossiers', { Status: 'NonLu' })).some((l) => l.nom === 'DEL-VISA-1'));
	const sr = await official.postJson('/api/v1/queue/sign', { documents: [d.id], pin: PIN });
	assert.equal(sr.status, 200, sr.text);
	histo = one('GetHistoDossier', 'DEL-VISA-1');
	assert.deepEqual(logs(histo).map((l) => l.status), ['NonLu', 'Vise', 'Signe']);

	// rejected at the visa step: RejetVisa, which Pastell counts as a rejection
	assert.equal(retour(creerActe('DEL-VISA-2', pdf, { SousType: 'Délibération visée' })).codeRetour, 'OK');
	const d2 = (await s.a.get('/api/v1/documents')).json.items.find((x) => x.external_ref === 'DEL-VISA-2');
	const rj = await dgs.postJson(`/api/v1/queue/${d2.id}/reject`, { reason: 'Pièce manquante' });
	assert.equal(rj.status, 200, rj.text);
	histo = one('GetHistoDossier', 'DEL-VISA-2');
	assert.deepEqual(logs(histo).map((l) => l.status), ['NonLu', 'RejetVisa']);
	assert.equal(logs(histo)[1].annotation, 'Pièce manquante');
	assert.deepEqual(logs(one('RechercherDossiers', { Status: 'RejetVisa' })).map((l) => l.nom), ['DEL-VISA-2']);
	assert.equal(retour(one('EffacerDossierRejete', 'DEL-VISA-2')).codeRetour, 'OK');
});
