// Circuits in the browser (issue 13, point 2): in headless Chromium, a visa
// item of the DGS's "Mon parapheur" shows "Viser" instead of a box to sign;
// the visa works from the queue (no PIN) and from the document's page (with
// annotations); the droit de remords from the page; the next person (the
// maire) then finds it to sign, with the private annotation meant for them.
// The circuit is made with the CLI (liasse circuit add).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	newHarness, skip, topBuilddir, acteMeta, pdfFile, OFFICIAL_A, PASSWORD,
} from '../lib/harness.mjs';
import { launchBrowser, loggedIn as login, assertAccessible, shot, ART } from '../lib/browser.mjs';


const DGS = 'dgs@saint-essai.test';
const h = newHarness('web-circuits');
const loggedIn = (email, password) => login(browser, base, email, { password });
let s, browser, base;
const docs = {};

async function postActe(numero, title) {
	const r = await s.a.postDocument(acteMeta(s.orgA, numero, { title, sign: true, transmit: false,
		circuit: 'deliberation' }), pdfFile(2000, `${numero}.pdf`));
	assert.equal(r.status, 201, r.text);
	return r.json.id;
}

const step = async (id) => (await s.a.get(`/api/v1/documents/${id}`)).json.circuit;

before(async () => {
	s = await h.setup();
	base = s.d.url.replace('127.0.0.1', 'localhost');
	assert.equal((await h.cli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' })).code, 0);
	await h.person({ email: DGS, name: 'Denise Générale', password: PASSWORD,
		roles: [{ org: s.orgA, role: 'signer', function: 'dgs' }] });
	const c = await h.cli(['circuit', 'add', '--org', s.orgA, '--name', 'deliberation', 'visa:dgs',
		`signature:${OFFICIAL_A}`]);
	assert.equal(c.code, 0, c.stderr);
	assert.equal(JSON.parse(c.stdout).version, 1);
	docs.queue = await postActe('WEB_C01', 'Tarifs de la cantine');
	docs.page = await postActe('WEB_C02', 'Budget primitif');
	browser = await launchBrowser();
});

after(async () => {
	if (browser)
		await browser.close();
	await h.stopAll();
});

test('the DGS\'s queue shows "Viser" for a visa item, and the visa works from the queue', async () => {
	const { ctx, page } = await loggedIn(DGS);
	await page.goto('/parapheur');
	const viser = page.getByRole('button', { name: 'Viser « Tarifs de la cantine »' });
	await viser.waitFor();
	assert.equal(await page.locator(`input[name="doc"][value="${docs.queue}"]`).count(), 0,
		'a visa item has no box to sign it');
	await assertAccessible(page, 'the queue with visa items');
	await page.screenshot({ path: path.join(ART, 'parapheur-visa.png'), fullPage: true });
	await viser.click();
	await page.waitForURL(new RegExp(`/documents/${docs.queue}\\?vise=1$`));
	await page.getByRole('status').filter({ hasText: 'Le document est visé' }).waitFor();
	const c = await step(docs.queue);
	assert.deepEqual([c.step, c.action, c.person.email], [2, 'signature', OFFICIAL_A]);
	await ctx.close();
});

test('the droit de remords from the document\'s page, then a visa with annotations', async () => {
	const { ctx, page } = await loggedIn(DGS);
	await page.goto(`/documents/${docs.queue}`);
	await page.getByRole('button', { name: 'Reprendre le document' }).click();
	await page.getByRole('status').filter({ hasText: 'Le document est repris' }).waitFor();
	assert.equal((await step(docs.queue)).step, 1);
	await page.goto(`/documents/${docs.page}`);
	await page.getByRole('heading', { name: 'Circuit « deliberation »' }).waitFor();
	await assertAccessible(page, 'a document to visa');
	await page.getByLabel('Annotation publique (facultative)').fill('Vu en commission des finances');
	await page.getByLabel('Annotation privée (facultative)').fill('Le montant de la ligne 12 a changé');
	await page.getByRole('button', { name: 'Viser', exact: true }).click();
	await page.getByRole('status').filter({ hasText: 'Le document est visé' }).waitFor();
	await page.screenshot({ path: path.join(ART, 'document-vise.png'), fullPage: true });
	assert.equal((await step(docs.page)).step, 2);
	await ctx.close();
});

test('the maire finds it to sign, with the annotations and who put the visa', async () => {
	const { ctx, page } = await loggedIn(OFFICIAL_A);
	await page.goto('/parapheur');
	await page.locator(`input[name="doc"][value="${docs.page}"]`).waitFor();
	assert.equal(await page.locator(`input[name="doc"][value="${docs.queue}"]`).count(), 0,
		'the document taken back is no longer the maire\'s');
	assert.equal(await page.getByRole('button', { name: /^Viser/ }).count(), 0);
	await page.goto(`/documents/${docs.page}`);
	const box = page.locator('ol.steps');
	await box.waitFor();
	const text = await box.innerText();
	assert.match(text, /Étape 1 : visa par Denise Générale/);
	assert.match(text, /Vu en commission des finances/);
	assert.match(text, /Le montant de la ligne 12 a changé/);
	await page.getByRole('button', { name: 'Signer ce document' }).waitFor();
	assert.equal(await page.getByRole('button', { name: 'Viser', exact: true }).count(), 0);
	await ctx.close();
});
