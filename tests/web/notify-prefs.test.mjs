// The notification preference set in the browser (headless Chromium, the
// "Mon compte" page) changes what liassed sends: one e-mail per document
// while "Un message pour chaque document" is chosen, none once "Un
// récapitulatif par jour" is, the waiting documents then coming in the
// daily digest.  The mail server is the test's own (tests/lib/smtp-server.mjs),
// here without TLS (notify_smtp_starttls = no: STARTTLS only when offered).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, skip, topBuilddir, docMeta, pdfFile, OFFICIAL_A, OFFICIAL_B, PASSWORD } from '../lib/harness.mjs';
import { launchBrowser, loggedIn as login, assertAccessible, shot, ART } from '../lib/browser.mjs';
import { startSmtp, parseMail } from '../lib/smtp-server.mjs';


const BASE = 'https://parapheur.opsn.test';
const h = newHarness('web-notify');
const loggedIn = (email, password) => login(browser, base, email, { password });
let s, smtp, browser, conf;

const linkTo = (id) => (m) => (parseMail(m.data).text || '').includes(`${BASE}/documents/${id}`);
const to = (email) => (m) => m.rcpt.includes(email);

async function post(client, org, title) {
	const r = await client.postDocument(docMeta(org, { title }), pdfFile(3000, 'c.pdf'));
	assert.equal(r.status, 201, r.text);
	return r.json.id;
}

before(async () => {
	smtp = await startSmtp({});
	conf = { notify_smtp_url: smtp.url, notify_smtp_starttls: 'no', notify_from: 'parapheur@opsn.test',
		public_url: BASE, notify_timezone: 'UTC', notify_digest_hour: (new Date().getUTCHours() + 12) % 24 };
	s = await h.setup(conf);
	for (const e of [OFFICIAL_A, OFFICIAL_B])
		assert.equal((await h.cli(['person', 'passwd', e], { input: PASSWORD + '\n' })).code, 0);
	browser = await launchBrowser();
});

after(async () => {
	if (browser)
		await browser.close();
	await h.stopAll();
	if (smtp)
		await smtp.stop();
});

test('"Mon compte": the choice made in the browser decides between one e-mail per document and the digest', async () => {
	const first = await post(s.a, s.orgA, 'Avant le changement');
	const m1 = await smtp.waitFor(linkTo(first));
	assert.equal(m1.tls, false, 'no STARTTLS offered, none required');
	assert.equal(parseMail(m1.data).subject, 'Document à signer : Avant le changement');

	const ctx = await browser.newContext({ locale: 'fr-FR', baseURL: s.d.url.replace('127.0.0.1', 'localhost') });
	const page = await ctx.newPage();
	await page.goto('/connexion');
	await page.getByLabel('Adresse électronique').fill(OFFICIAL_A);
	await page.getByLabel('Mot de passe').fill(PASSWORD);
	await page.getByRole('button', { name: 'Se connecter' }).click();
	await page.waitForURL((u) => !u.pathname.startsWith('/connexion'));
	await page.getByRole('link', { name: 'Mon compte' }).click();
	await page.waitForURL('**/compte');
	const each = page.getByRole('radio', { name: /Un message pour chaque document/ });
	const daily = page.getByRole('radio', { name: /Un récapitulatif par jour/ });
	assert.equal(await each.isChecked(), true, 'the default: one e-mail per document');
	// with the keyboard: focus the choice, arrow to the digest, submit
	await each.focus();
	await page.keyboard.press('ArrowDown');
	assert.equal(await daily.isChecked(), true);
	await page.getByRole('button', { name: 'Enregistrer mes préférences' }).click();
	await page.getByText('Vos préférences sont enregistrées.').waitFor();
	await page.screenshot({ path: path.join(ART, 'compte.png'), fullPage: true });
	await page.reload();
	assert.equal(await page.getByRole('radio', { name: /Un récapitulatif par jour/ }).isChecked(), true);
	assert.equal(await h.psql(`SELECT notify_mode FROM person WHERE email = '${OFFICIAL_A}'`), 'digest');
	await ctx.close();

	// now no e-mail per document: B's later one arrives, A's does not
	const second = await post(s.a, s.orgA, 'Après le changement');
	const witness = await post(s.b, s.orgB, 'Témoin');
	await smtp.waitFor(linkTo(witness));
	assert.equal(smtp.messages.filter(linkTo(second)).length, 0, 'no immediate e-mail after choosing the digest');
	assert.equal(await h.psql(`SELECT count(*) FROM notification WHERE doc_id = '${second}'`), '0');

	// the digest, at its hour, lists both waiting documents
	await s.d.stop();
	await h.startLiassed({ ...conf, notify_digest_hour: new Date().getUTCHours() });
	const d = await smtp.waitFor((m) => to(OFFICIAL_A)(m) && /Récapitulatif/.test(parseMail(m.data).subject));
	const p = parseMail(d.data);
	assert.equal(p.subject, 'Récapitulatif : 2 documents vous attendent dans votre parapheur');
	assert.ok(p.text.includes(`${BASE}/documents/${first}`) && p.text.includes(`${BASE}/documents/${second}`));
});
