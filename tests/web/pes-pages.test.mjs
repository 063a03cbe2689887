// The agents' pages of issue 12 in headless Chromium (Debian's chromium
// driven by npm's playwright-core), as tests/web/browser.test.mjs does:
// "Retours Hélios" lists the PES_Retour files of the agent's organisations
// with download links (point 3); the document page shows the signatures a
// PES carried when it arrived (point 2) and its XSD deviations in French
// (point 7).  Screenshots under $top_builddir/tests/web/artifacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	newHarness, skip, topBuilddir, fixture, pesFile, pesFor, ORG_A, PASSWORD, sleep,
} from '../lib/harness.mjs';
import { launchBrowser, loggedIn as login, assertAccessible, shot, ART } from '../lib/browser.mjs';
import { makePki } from '../lib/pki.mjs';

const XSD = fixture('parapheur-v5/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd');
const RETOUR = fixture('s2low/helios/fixtures/pes_retour.xml');
const DEVIANT = fixture('s2low/helios/fixtures/pes_aller.xml');
if (!XSD || !RETOUR || !DEVIANT || !pesFile())
	skip('fixtures absent');

const AGENT_A = 'comptable@saint-essai.test';
const AGENT_B = 'comptable@cc-temoin.test';

const h = newHarness('web-pes');
const loggedIn = (email, password) => login(browser, base, email, { password, acceptDownloads: true });
let s, pki, browser, base, work;
const ids = {};

async function addReturn(siren, name, bytes) {
	const id = await h.psql(`SELECT org_return_add((SELECT id FROM organisation WHERE siren = '${siren}'),
		'PES_Retour', '${name}', 'application/xml', decode('${bytes.toString('hex')}', 'hex'), 'helios:test')`);
	return id.trim();
}

// pes_aller_ok.xml with a second bordereau, both signed by `liasse sign`,
// then the second signature removed: partly signed.
async function partlySigned() {
	const text = pesFile('WEBPARTIAL1').data.toString('latin1');
	const start = text.indexOf('<Bordereau Id="BORD1093357910">');
	const end = text.indexOf('</Bordereau>') + '</Bordereau>'.length;
	const second = text.slice(start, end).replace('Id="BORD1093357910"', 'Id="BORD2"')
		.replace('<IdBord V="12345"/>', '<IdBord V="12346"/>');
	const input = path.join(work, 'two.xml'), output = path.join(work, 'two-signed.xml');
	fs.writeFileSync(input, Buffer.from(text.slice(0, end) + '\n  ' + second + text.slice(end), 'latin1'));
	const r = await h.cli(['sign', '--profile', 'pes', '--p12', pki.signer.p12, '--pass-file', pki.pass,
		input, output]);
	assert.equal(r.code, 0, r.stderr);
	const both = fs.readFileSync(output).toString('latin1');
	const b2 = both.indexOf('<Bordereau Id="BORD2">');
	const from = both.indexOf('<ds:Signature', b2), to = both.indexOf('</ds:Signature>', from) + 15;
	return Buffer.from(both.slice(0, from) + both.slice(to), 'latin1');
}

async function xsdDone(id) {
	for (let i = 0; i < 300; i++) {
		if (await h.psql(`SELECT count(*) FROM job WHERE doc_id = '${id}' AND kind = 'pes.xsd' AND done_at IS NOT NULL`) === '1')
			return;
		await sleep(100);
	}
	throw new Error(`the XSD job of ${id} never finished`);
}

before(async () => {
	pki = await makePki();
	work = fs.mkdtempSync(path.join(h.tmp, 'work-'));
	const trust = path.join(h.tmp, 'trust');	// readable by liassed's user
	fs.mkdirSync(trust);
	for (const f of fs.readdirSync(pki.trust))
		fs.copyFileSync(path.join(pki.trust, f), path.join(trust, f));
	s = await h.setup({ pes_xsd: XSD, workers: 2, trust_dir: trust });
	base = s.d.url.replace('127.0.0.1', 'localhost');
	await h.person({ email: AGENT_A, name: 'Claire Comptable', password: PASSWORD,
		roles: [{ org: s.orgA, role: 'agent' }] });
	await h.person({ email: AGENT_B, name: 'Bruno Comptable', password: PASSWORD,
		roles: [{ org: s.orgB, role: 'agent' }] });
	const retour = fs.readFileSync(RETOUR);
	ids.retA = await addReturn(s.orgA, 'PES_RETOUR_DEP_20260115.xml', retour);
	ids.retB = await addReturn(s.orgB, 'PES_RETOUR_B.xml', retour);
	let r = await s.a.postDocument({ kind: 'pes', organisation: s.orgA, title: 'Mandats partiellement signés' },
		{ name: 'partiel.xml', type: 'application/xml', data: await partlySigned() });
	assert.equal(r.status, 201, r.text);
	ids.partial = r.json.id;
	const dev = fs.readFileSync(DEVIANT).toString('latin1').replace(/<NomFic V="[^"]*"/, '<NomFic V="WEBXSD1"');
	r = await s.a.postDocument({ kind: 'pes', organisation: s.orgA, title: 'Mandats hors schéma' },
		pesFor({ name: 'ecart.xml', type: 'application/xml', data: Buffer.from(dev, 'latin1') }, ORG_A));
	assert.equal(r.status, 201, r.text);
	ids.deviant = r.json.id;
	await xsdDone(ids.deviant);
	browser = await launchBrowser();
});

after(async () => {
	if (browser)
		await browser.close();
	await h.stopAll();
	if (pki)
		await pki.cleanup();
});

test('Retours Hélios: the agent lists the PES_Retour of their organisation and downloads it', async () => {
	const { ctx, page } = await loggedIn(AGENT_A);
	await page.getByRole('link', { name: 'Retours Hélios' }).click();
	await page.getByRole('heading', { name: 'Retours Hélios', level: 1 }).waitFor();
	const row = page.locator('tbody tr', { hasText: 'PES_RETOUR_DEP_20260115.xml' });
	assert.match(await row.textContent(), /Commune de Saint-Essai.*Retour de paiement \(PES_Retour\)/);
	assert.equal(await page.locator('tbody tr', { hasText: 'PES_RETOUR_B.xml' }).count(), 0,
		'another organisation\'s return is not listed');
	await page.screenshot({ path: path.join(ART, 'retours.png'), fullPage: true });
	const [dl] = await Promise.all([page.waitForEvent('download'),
		row.getByRole('link', { name: 'PES_RETOUR_DEP_20260115.xml' }).click()]);
	assert.equal(dl.suggestedFilename(), 'PES_RETOUR_DEP_20260115.xml');
	assert.deepEqual(fs.readFileSync(await dl.path()), fs.readFileSync(RETOUR), 'the bytes Hélios wrote');
	const j = await h.psql(`SELECT count(*) FROM journal WHERE action = 'return.downloaded'
		AND detail->>'return' = '${ids.retA}'`);
	assert.equal(j, '1', 'the download is journalled');
	const other = await page.request.get(`/retours/${ids.retB}/fichier`, { maxRedirects: 0 });
	assert.equal(other.status(), 404, 'another organisation\'s return cannot be downloaded');
	const api = await s.a.get(`/api/v1/organisations/${s.orgA}/returns`);
	assert.deepEqual(api.json.items.map((x) => x.id), [ids.retA], 'the vendor lists the same file');
	await ctx.close();
});

test('the document page shows the signatures a PES carried when it arrived', async () => {
	const { ctx, page } = await loggedIn(AGENT_A);
	await page.goto(`/documents/${ids.partial}`);
	const sec = page.locator('section.signatures-existantes');
	await sec.getByRole('heading', { name: 'Signatures présentes à la réception' }).waitFor();
	const text = await sec.textContent();
	assert.match(text, /une partie des bordereaux est signée : l'élu signe les autres \(2 bordereau\(x\), dont 1 non signé\(s\)\)/);
	assert.match(text, /Signature 1 : .*CN=.*valide/);
	assert.match(text, /valide\s*le bordereau 2 \(Id BORD2\) n'est pas signé/, 'a check of the whole file');
	await page.screenshot({ path: path.join(ART, 'document-pes-partiel.png'), fullPage: true });
	await ctx.close();
});

test('the document page shows each XSD deviation in French beside libxml2\'s text', async () => {
	const { ctx, page } = await loggedIn(AGENT_A);
	await page.goto(`/documents/${ids.deviant}`);
	await page.getByRole('heading', { name: 'Avertissements' }).waitFor();
	const w = page.locator('li.warn', { hasText: 'XSD, ligne 52' });
	assert.match(await w.textContent(), /^XSD, ligne 52, élément « IdBord », attribut V : la valeur « 1093357910 » a trop de chiffres : 7 au plus\. \[libxml2, line 52: Element 'IdBord'/);
	await page.screenshot({ path: path.join(ART, 'document-pes-xsd.png'), fullPage: true });
	await ctx.close();
});
