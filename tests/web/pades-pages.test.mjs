// Issue 15 in headless Chromium: an organisation's administrator sets the
// logo of the PAdES block with the file input of the "Logo" page (a file
// that is not an image refused in French, nothing stored), removes it; an
// agent gives an acknowledged act's publication date on its page (a date in
// the future refused in French).  Each page is checked for accessibility at
// the phone, tablet and desktop widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, acteMeta, pdfFile, PASSWORD } from '../lib/harness.mjs';
import { launchBrowser, loggedIn as login, assertAccessible, ART } from '../lib/browser.mjs';
import { png } from '../lib/png.mjs';

const ORGADMIN = 'dsi-logo@saint-essai.test';
const AGENT = 'agent-pub@saint-essai.test';
const h = newHarness('web-pades-pages');
const loggedIn = (email) => login(browser, base, email, { password: PASSWORD, width: 1024 });
let s, browser, base, work;

async function accessibleAtAllWidths(page, what) {
	for (const width of [375, 768, 1024]) {
		await page.setViewportSize({ width, height: 900 });
		await assertAccessible(page, `${what} at ${width} px`);
		await page.screenshot({ path: path.join(ART, `${what.replace(/\W+/g, '-')}-${width}.png`), fullPage: true });
	}
	await page.setViewportSize({ width: 1024, height: 900 });
}

before(async () => {
	s = await h.setup();
	base = s.d.url.replace('127.0.0.1', 'localhost');
	work = fs.mkdtempSync(path.join(h.tmp, 'pages-'));
	await h.person({ email: ORGADMIN, name: 'Denise Informaticienne', password: PASSWORD,
		roles: [{ org: s.orgA, role: 'org_admin' }] });
	await h.person({ email: AGENT, name: 'Paul Agent', password: PASSWORD, roles: [{ org: s.orgA, role: 'agent' }] });
	browser = await launchBrowser();
});

after(async () => {
	if (browser)
		await browser.close();
	await h.stopAll();
});

test('the Logo page: a PNG chosen with the file input, a text file refused in French, the logo removed', async () => {
	const { ctx, page } = await loggedIn(ORGADMIN);
	await page.goto(`${base}/admin`);
	await page.getByRole('link', { name: 'logo' }).click();
	await page.waitForURL(`**/admin/organisations/${s.orgA}/logo`);
	assert.match(await page.locator('main').textContent(), /Aucun logo/);
	await accessibleAtAllWidths(page, 'logo page');
	fs.writeFileSync(path.join(work, 'notes.png'), 'ceci n’est pas une image');
	await page.getByLabel('Nouveau logo (PNG ou JPEG)').setInputFiles(path.join(work, 'notes.png'));
	await page.getByRole('button', { name: 'Enregistrer le logo' }).click();
	assert.match(await page.locator('.flash.error').textContent(), /Refusé : ce fichier n’est pas une image PNG ou JPEG/);
	assert.equal(await h.psql('SELECT count(*) FROM org_logo'), '0', 'nothing stored');
	fs.writeFileSync(path.join(work, 'logo.png'), png(90, 30, [0, 90, 200]));
	await page.getByLabel('Nouveau logo (PNG ou JPEG)').setInputFiles(path.join(work, 'logo.png'));
	await page.getByRole('button', { name: 'Enregistrer le logo' }).click();
	assert.match(await page.locator('.flash.ok').textContent(), /Logo enregistré/);
	assert.match(await page.locator('main').textContent(), /image\/png, 90 × 30 pixels/);
	assert.ok(await page.getByRole('img', { name: 'Logo actuel' }).evaluate((i) => i.complete && i.naturalWidth === 90),
		'the current logo is shown');
	await accessibleAtAllWidths(page, 'logo page with a logo');
	assert.equal(await h.psql("SELECT actor FROM journal WHERE action = 'organisation.logo'"), `person:${ORGADMIN}`);
	page.once('dialog', (d) => d.accept());
	await page.getByRole('button', { name: 'Retirer le logo' }).click();
	// the page before had a .flash.ok too ("Logo enregistré"): wait for the new one
	await page.locator('.flash.ok', { hasText: /Logo retiré/ }).waitFor({ timeout: 60000 });
	assert.equal(await h.psql('SELECT count(*) FROM org_logo'), '0');
	await ctx.close();
});

test('an agent gives an acknowledged act\'s publication date on its page', async () => {
	const p = await s.a.postDocument(acteMeta(s.orgA, 'PUBWEB_1', { sign: true, transmit: false }), pdfFile());
	assert.equal(p.status, 201, p.text);
	// acknowledged without a platform (no ARActe: the date is kept, the stamp waits for one)
	await h.psql(`UPDATE document SET state = 'acknowledged' WHERE id = '${p.json.id}'`);
	const { ctx, page } = await loggedIn(AGENT);
	await page.goto(`${base}/documents/${p.json.id}`);
	await accessibleAtAllWidths(page, 'act publication form');
	const future = new Date(Date.now() + 3 * 86400e3);
	const fr = (d) => `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;
	await page.getByLabel('Date de publication (jj/mm/aaaa)').fill(fr(future));
	await page.getByRole('button', { name: 'Enregistrer la date' }).click();
	// the answer's page, waited for (the form's page is still there when click() returns)
	await page.getByText(/la date de publication ne peut pas être dans le futur/).first().waitFor({ timeout: 60000 });
	await page.goto(`${base}/documents/${p.json.id}`);
	await page.getByLabel('Date de publication (jj/mm/aaaa)').fill(fr(new Date()));
	await page.getByRole('button', { name: 'Enregistrer la date' }).click();
	await page.waitForURL(/publie=1/);
	assert.match(await page.locator('.flash.ok').textContent(), /date de publication est enregistrée/);
	assert.match(await page.locator('dl.meta').textContent(), new RegExp(`Publié le${fr(new Date()).replace(/\//g, '\\/')}`));
	assert.equal((await s.a.get(`/api/v1/documents/${p.json.id}`)).json.publication_date, new Date().toISOString().slice(0, 10));
	await ctx.close();
});
