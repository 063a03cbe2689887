// The web front end in headless Chromium (Debian's chromium driven by npm's
// playwright-core): logging in (and the session cookie's attributes, a new
// session id at login), the queue with its filters and badge, a batch of
// three signed with one PIN entry, a document rejected with a reason, the
// whole signing path with the keyboard only, an administrator importing a
// certificate, the agents' and administrators' pages; security: CSRF
// refused, a vendor title full of HTML and script shown as text, idle
// expiry, lockout.  A screenshot of each main page is kept under
// $top_builddir/tests/web/artifacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import {
	newHarness, skip, topBuilddir, docMeta, pdfFile, pesFile, OFFICIAL_A, PASSWORD,
} from '../lib/harness.mjs';
import { launchBrowser, loggedIn as login, assertAccessible, shot, ART } from '../lib/browser.mjs';
import { makePki } from '../lib/pki.mjs';


const PIN = 'tulipe-2026';
const ADMIN = 'admin@opsn.test';
const AGENT = 'secretaire@saint-essai.test';
const ADJOINT = 'adjoint@saint-essai.test';
const LOCKME = 'distrait@saint-essai.test';
const TOTPUSER = 'prudent@saint-essai.test';

// RFC 6238 code (HMAC-SHA1, 30 s, 6 digits) of an otpauth:// URI's secret.
function totp(uri, t = Date.now()) {
	const b32 = new URL(uri).searchParams.get('secret').replace(/=+$/, '');
	let bits = '';
	for (const ch of b32.toUpperCase())
		bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(ch).toString(2).padStart(5, '0');
	const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
	const ctr = Buffer.alloc(8);
	ctr.writeBigUInt64BE(BigInt(Math.floor(t / 30000)));
	const mac = crypto.createHmac('sha1', key).update(ctr).digest();
	const off = mac[19] & 15;
	return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}
const EVIL = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">Délibération & "budget"';

const h = newHarness('web-browser');
const loggedIn = (email, password) => login(browser, base, email, { password });
let s, pki, browser, base;
const docs = {};

async function post(meta, file) {
	const r = await s.a.postDocument(meta, file);
	assert.equal(r.status, 201, r.text);
	return r.json.id;
}

async function vendorView(id) {
	const r = await s.a.get(`/api/v1/documents/${id}`);
	assert.equal(r.status, 200, r.text);
	return r.json;
}

before(async () => {
	s = await h.setup();
	base = s.d.url.replace('127.0.0.1', 'localhost');
	pki = await makePki();
	assert.equal((await h.cli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' })).code, 0);
	await h.enrol(OFFICIAL_A, pki.signer.p12, pki.password, PIN);
	await h.person({ email: ADMIN, name: 'Alice Opératrice', password: PASSWORD, operator: true });
	await h.person({ email: AGENT, name: 'Sophie Secrétaire', password: PASSWORD,
		roles: [{ org: s.orgA, role: 'agent' }] });
	await h.person({ email: ADJOINT, name: 'Jean Adjoint', password: PASSWORD,
		roles: [{ org: s.orgA, role: 'signer', function: 'adjoint' }] });
	await h.person({ email: LOCKME, name: 'Léa Distraite', password: PASSWORD,
		roles: [{ org: s.orgA, role: 'agent' }] });
	await h.person({ email: TOTPUSER, name: 'Paul Prudent', password: PASSWORD,
		roles: [{ org: s.orgA, role: 'agent' }] });
	docs.batch = [];
	for (let i = 1; i <= 3; i++)
		docs.batch.push(await post(docMeta(s.orgA, { title: `Convention ${i}`, due_date: `2030-0${i}-15` }),
			pdfFile(3000, `convention-${i}.pdf`)));
	docs.reject = await post(docMeta(s.orgA, { title: 'Marché à refuser', due_date: '2031-01-01' }), pdfFile());
	docs.keyboard = await post(docMeta(s.orgA, { title: 'Arrêté clavier', due_date: '2031-02-01' }), pdfFile());
	docs.evil = await post(docMeta(s.orgA, { title: EVIL, due_date: '2031-03-01' }), pdfFile());
	if (pesFile())
		docs.pes = await post({ kind: 'pes', organisation: s.orgA, title: 'Mandats de juillet',
			transmit: false }, pesFile('WEBPES0001'));
	browser = await launchBrowser();
});

after(async () => {
	if (browser)
		await browser.close();
	await h.stopAll();
	if (pki)
		await pki.cleanup();
});

test('log in: cookie attributes, a new session id at login, wrong password, logout', async () => {
	const ctx = await browser.newContext({ locale: 'fr-FR', baseURL: base });
	const page = await ctx.newPage();
	// a session id planted by an attacker before login
	await ctx.addCookies([{ name: 'liasse_session', value: 'lss_planted-by-attacker', url: base }]);
	await page.goto('/parapheur');
	assert.match(page.url(), /\/connexion\?suite=\/parapheur$/, 'not logged in: sent to the login form');
	await assertAccessible(page, 'login');
	await shot(page, 'connexion');
	await page.getByLabel('Adresse électronique').fill(OFFICIAL_A);
	await page.getByLabel('Mot de passe').fill('not the password');
	await page.getByRole('button', { name: 'Se connecter' }).click();
	await page.getByRole('alert').filter({ hasText: 'mot de passe incorrect' }).waitFor();
	await page.getByLabel('Mot de passe').fill(PASSWORD);
	await page.getByRole('button', { name: 'Se connecter' }).click();
	await page.waitForURL('**/parapheur');
	const c = (await ctx.cookies()).find((x) => x.name === 'liasse_session');
	assert.ok(c, 'a session cookie');
	assert.notEqual(c.value, 'lss_planted-by-attacker', 'the session id changes at login (no fixation)');
	assert.equal(c.httpOnly, true);
	assert.equal(c.secure, true);
	assert.equal(c.sameSite, 'Strict');
	// the planted id does not authenticate
	const planted = await browser.newContext({ locale: 'fr-FR', baseURL: base });
	await planted.addCookies([{ name: 'liasse_session', value: 'lss_planted-by-attacker', url: base }]);
	const pp = await planted.newPage();
	await pp.goto('/parapheur');
	assert.match(pp.url(), /\/connexion/);
	await planted.close();
	await page.getByRole('button', { name: 'Se déconnecter' }).click();
	await page.waitForURL('**/connexion');
	await page.goto('/parapheur');
	assert.match(page.url(), /\/connexion/, 'logged out: the session is gone');
	await ctx.close();
});

test('log in with a second factor (TOTP)', async () => {
	const r = await h.cli(['person', 'totp', TOTPUSER]);
	assert.equal(r.code, 0, r.stderr);
	const uri = r.stdout.trim();
	const ctx = await browser.newContext({ locale: 'fr-FR', baseURL: base });
	const page = await ctx.newPage();
	await page.goto('/connexion');
	await page.getByLabel('Adresse électronique').fill(TOTPUSER);
	await page.getByLabel('Mot de passe').fill(PASSWORD);
	await page.getByRole('button', { name: 'Se connecter' }).click();
	await page.getByRole('alert').filter({ hasText: 'code à usage unique' }).waitFor();
	assert.match(page.url(), /\/connexion$/, 'the password alone is not enough');
	await page.getByLabel('Mot de passe').fill(PASSWORD);
	await page.getByLabel(/Code à usage unique/).fill(totp(uri));
	await page.getByRole('button', { name: 'Se connecter' }).click();
	await page.waitForURL('**/suivi');
	await ctx.close();
});

test('Mon parapheur: badge, order, filters, tablet and phone layouts', async () => {
	const { ctx, page } = await loggedIn(OFFICIAL_A);
	await page.goto('/parapheur');
	const total = 6 + (docs.pes ? 1 : 0);
	assert.equal((await page.locator('.badge').textContent()).trim(), String(total), 'count badge');
	await assertAccessible(page, 'queue');
	const titles = await page.locator('tbody tr td:nth-child(2) a').allTextContents();
	assert.deepEqual(titles.slice(0, 3), ['Convention 1', 'Convention 2', 'Convention 3'], 'by due date');
	await shot(page, 'parapheur');
	if (docs.pes) {
		await page.getByLabel('Type').selectOption('pes');
		await page.getByRole('button', { name: 'Filtrer' }).click();
		await page.waitForURL(/type=pes/);
		assert.deepEqual(await page.locator('tbody tr td:nth-child(2) a').allTextContents(), ['Mandats de juillet']);
	}
	await page.goto('/parapheur?echeance=2030-02-28');
	assert.equal(await page.locator('tbody tr').count(), 2, 'due date filter');
	await page.goto('/parapheur?editeur=vendor-b');
	assert.equal(await page.locator('tbody tr').count(), 0, 'vendor filter');
	await page.goto('/parapheur');
	for (const [w, hgt, name] of [[768, 1024, 'tablette-portrait'], [1024, 768, 'tablette-paysage'], [375, 740, 'telephone']]) {
		await page.setViewportSize({ width: w, height: hgt });
		await assertAccessible(page, `queue at ${w}x${hgt}`);
		await shot(page, `parapheur-${name}`);
	}
	await ctx.close();
});

test('a vendor title full of HTML and script is shown as text', async () => {
	const { ctx, page } = await loggedIn(OFFICIAL_A);
	await page.goto('/parapheur');
	await page.goto(`/documents/${docs.evil}`);
	assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
	assert.equal(await page.locator('h1').textContent(), EVIL, 'the title reads as typed');
	assert.equal(await page.locator('main img[src="x"]').count(), 0, 'no element made from the title');
	await page.goto('/parapheur');
	assert.equal(await page.evaluate(() => window.__pwned), undefined, 'nor in the queue');
	assert.ok((await page.content()).includes('&lt;script&gt;window.__pwned=1&lt;/script&gt;'));
	await ctx.close();
});

test('CSRF: a form without the session token is refused', async () => {
	const { ctx, page } = await loggedIn(OFFICIAL_A);
	for (const form of [{ motif: 'forgé' }, { motif: 'forgé', csrf: 'not-the-token' }]) {
		const r = await page.request.post(`/documents/${docs.reject}/refus`, { form, maxRedirects: 0 });
		assert.equal(r.status(), 403, 'refused');
	}
	const r = await page.request.post('/parapheur/signer', { form: { doc: docs.reject, pin: PIN }, maxRedirects: 0 });
	assert.equal(r.status(), 403);
	assert.equal((await vendorView(docs.reject)).state, 'pending_signature', 'nothing changed');
	await ctx.close();
});

test('sign a batch of three with one PIN entry: progress and a result per document', async () => {
	const { ctx, page } = await loggedIn(OFFICIAL_A);
	await page.goto('/parapheur');
	for (let i = 1; i <= 3; i++)
		await page.getByLabel(`Sélectionner « Convention ${i} »`).check();
	assert.match(await page.locator('#selcount').textContent(), /^3 documents sélectionnés/);
	await page.getByLabel('Code PIN de signature').fill('0000-wrong');
	await page.getByRole('button', { name: 'Signer la sélection' }).click();
	await page.locator('#progression [role="status"]').filter({ hasText: 'Code PIN incorrect' }).waitFor();
	assert.equal(await page.locator('#progression progress').evaluate((e) => e.value), 0,
		'nothing signed: the bar stays empty');
	await page.reload();
	const badge = Number((await page.locator('.badge').textContent()).trim());
	for (let i = 1; i <= 3; i++)
		await page.getByLabel(`Sélectionner « Convention ${i} »`).check();
	await page.getByLabel('Code PIN de signature').fill(PIN);
	await page.getByRole('button', { name: 'Signer la sélection' }).click();
	await page.locator('#progression [role="status"]').filter({ hasText: '3 documents signés sur 3.' }).waitFor({ timeout: 60000 });
	assert.equal(await page.locator('#progression progress').evaluate((e) => e.value), 3);
	assert.equal(await page.locator('ul.results li.res-ok').count(), 3);
	// signed documents leave the queue and the badge at once, without reloading
	for (let i = 1; i <= 3; i++)
		assert.equal(await page.getByLabel(`Sélectionner « Convention ${i} »`).count(), 0, `row ${i} gone`);
	assert.equal((await page.locator('.badge').textContent()).trim(), String(badge - 3), 'the badge counts 3 less');
	await shot(page, 'signature-lot');
	for (const id of docs.batch) {
		const d = await vendorView(id);
		assert.equal(d.state, 'signed', 'the vendor sees it signed');
		assert.ok(d.files.some((f) => f.role === 'signature'), 'with its signature file');
	}
	await page.goto('/signes');
	await assertAccessible(page, 'signed');
	assert.equal(await page.locator('tbody tr').count(), 3, 'what I signed');
	await shot(page, 'signes');
	await ctx.close();
});

test('document page: PDF in the page, PES summary, history; reject with a reason', async () => {
	const { ctx, page } = await loggedIn(OFFICIAL_A);
	const resp = await page.goto(`/documents/${docs.reject}`);
	assert.match(resp.headers()['content-security-policy'], /frame-ancestors 'self'/);
	await assertAccessible(page, 'document');
	const src = await page.locator('iframe.viewer').getAttribute('src');
	const f = await page.request.get(src);
	assert.equal(f.status(), 200);
	assert.equal(f.headers()['content-type'], 'application/pdf');
	assert.match(f.headers()['content-disposition'], /^inline/);
	assert.equal((await f.body()).subarray(0, 5).toString(), '%PDF-');
	await shot(page, 'document');
	if (docs.pes) {
		await page.goto(`/documents/${docs.pes}`);
		await page.getByRole('heading', { name: 'Flux comptable PES' }).waitFor();
		assert.ok(await page.getByText('Bordereau de dépense n° 12345 — exercice 2009').isVisible());
		assert.ok(await page.getByText('TEST HOMOLOGATION').isVisible());
		await shot(page, 'document-pes');
	}
	await page.goto(`/documents/${docs.reject}`);
	await page.getByLabel('Motif du refus').fill('Montant erroné : <b>à revoir</b>');
	await page.getByRole('button', { name: 'Refuser le document' }).click();
	await page.getByRole('status').filter({ hasText: 'a été refusé' }).waitFor();
	const d = await vendorView(docs.reject);
	assert.equal(d.state, 'rejected');
	assert.equal(d.reason, 'Montant erroné : <b>à revoir</b>', 'the vendor gets the reason');
	assert.ok(await page.getByRole('cell', { name: 'Refusé' }).first().isVisible(), 'in the history');
	await ctx.close();
});

test('the whole signing path with the keyboard only, focus visible', async () => {
	const ctx = await browser.newContext({ locale: 'fr-FR', baseURL: base, viewport: { width: 1024, height: 768 } });
	const page = await ctx.newPage();
	const tabTo = async (pred, what, arg) => {
		for (let i = 0; i < 80; i++) {
			await page.keyboard.press('Tab');
			const hit = await page.evaluate(pred, arg);
			if (hit) {
				const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
				assert.notEqual(outline, 'none', `focus is visible on ${what}`);
				return;
			}
		}
		assert.fail(`Tab never reached ${what}`);
	};
	await page.goto('/connexion');
	await page.keyboard.type(OFFICIAL_A);              // the address field has the focus
	await tabTo(() => document.activeElement.id === 'password', 'password');
	await page.keyboard.type(PASSWORD);
	await tabTo(() => document.activeElement.type === 'submit', 'login button');
	await page.keyboard.press('Enter');
	await page.waitForURL('**/parapheur');
	await tabTo(() => document.activeElement.classList.contains('skip'), 'skip link');
	await page.keyboard.press('Enter');
	const id = docs.keyboard;
	await tabTo((i) => document.activeElement.id === `d-${i}`, 'the document checkbox', id);
	await page.keyboard.press('Space');
	assert.ok(await page.locator(`#d-${id}`).isChecked());
	await tabTo(() => document.activeElement.id === 'pin', 'PIN');
	await page.keyboard.type(PIN);
	await tabTo(() => document.activeElement.hasAttribute('data-sign'), 'sign button');
	await shot(page, 'clavier-focus');
	await page.keyboard.press('Enter');
	await page.locator('#progression [role="status"]').filter({ hasText: '1 document signé sur 1.' }).waitFor({ timeout: 60000 });
	assert.equal(await page.evaluate(() => document.activeElement.id), 'recharger', 'focus moves to the next action');
	assert.equal((await vendorView(id)).state, 'signed');
	await ctx.close();
});

test('an administrator imports a certificate (PKCS#12) and sees it by expiry', async () => {
	const { ctx, page } = await loggedIn(ADMIN);
	assert.match(page.url(), /\/admin$/);
	await assertAccessible(page, 'admin organisations');
	assert.ok(await page.getByRole('link', { name: 'Commune de Saint-Essai' }).isVisible());
	await shot(page, 'admin-organisations');
	await page.goto('/admin/certificats');
	await page.getByLabel('Adresse électronique du titulaire').fill(ADJOINT);
	await page.getByLabel('Fichier PKCS#12').setInputFiles(pki.signer2.p12);
	await page.getByLabel('Mot de passe du fichier').fill(pki.password);
	await page.getByRole('button', { name: 'Importer' }).click();
	const flash = await page.locator('.flash.ok').textContent();
	assert.match(flash, /Certificat importé pour adjoint@saint-essai\.test\. Code d’enrôlement .* : \S+/);
	const row = page.locator('tbody tr', { hasText: 'Jean Adjoint' });
	assert.match(await row.textContent(), /en attente d’enrôlement/);
	await assertAccessible(page, 'admin certificates');
	await shot(page, 'admin-certificats');
	// the official exchanges the code for a PIN of their own, in the web pages
	const code = flash.trim().split(' ').pop();
	const off = await loggedIn(ADJOINT);
	await off.page.goto('/certificat');
	await off.page.getByLabel('Code d’enrôlement remis par l’administrateur').fill(code);
	await off.page.getByLabel('Nouveau code PIN', { exact: true }).fill('781-jonquille');
	await off.page.getByLabel('Nouveau code PIN, à nouveau').fill('781-jonquille');
	await off.page.getByRole('button', { name: 'Enregistrer mon code PIN' }).click();
	await off.page.locator('.flash.ok').filter({ hasText: 'Votre code PIN est enregistré' }).waitFor();
	assert.match(await off.page.locator('main').textContent(), /État\s*actif/);
	await assertAccessible(off.page, 'my certificate');
	await shot(off.page, 'mon-certificat');
	await off.ctx.close();
	await page.goto('/admin/certificats');
	assert.match(await page.locator('tbody tr', { hasText: 'Jean Adjoint' }).textContent(), /actif/);
	// connector settings (secrets masked) and "test the connection"
	await page.goto('/admin/connecteurs');
	await page.getByLabel('SIREN de l’organisation').fill(s.orgA);
	await page.getByLabel('Connecteur').selectOption('helios');
	await page.getByLabel(/Réglages, un par ligne/).fill('url = ftp://127.0.0.1:1/\npassword_file = /run/s3cret-ftp');
	await page.getByRole('button', { name: 'Enregistrer' }).click();
	await page.locator('.flash.ok').waitFor();
	const conn = await page.locator('tbody tr', { hasText: 'helios' }).textContent();
	assert.match(conn, /ftp:\/\/127\.0\.0\.1:1\//);
	assert.ok(!conn.includes('s3cret-ftp') && !(await page.content()).includes('s3cret-ftp'), 'secrets are masked');
	// a key the connector does not take is refused, naming the ones it takes
	await page.getByLabel('SIREN de l’organisation').fill(s.orgA);
	await page.getByLabel('Connecteur').selectOption('helios');
	await page.getByLabel(/Réglages, un par ligne/).fill('colour = bleu');
	await page.getByRole('button', { name: 'Enregistrer' }).click();
	assert.match(await page.locator('.flash.error').textContent(), /no setting "colour".*password_file/);
	await page.getByRole('button', { name: /Tester la connexion/ }).click();
	await page.locator('section[role="status"] li.res-error', { hasText: 'helios' }).waitFor({ timeout: 60000 });
	assert.match(await page.locator('section[role="status"]').textContent(), /Au moins une vérification a échoué/);
	await assertAccessible(page, 'connectors');
	await shot(page, 'admin-connecteurs');
	for (const [p, name] of [['/admin/personnes', 'admin-personnes'], ['/admin/clients', 'admin-clients'],
		['/admin/journal', 'admin-journal'], ['/admin/taches', 'admin-taches']]) {
		await page.goto(p);
		await assertAccessible(page, p);
		await shot(page, name);
	}
	await page.goto('/admin/journal?verifier=1');
	assert.match(await page.locator('.flash').textContent(), /Chaîne intègre : \d+ entrées vérifiées/);
	await ctx.close();
});

test('agents follow their organisation\'s documents, rejected ones with the reason', async () => {
	const { ctx, page } = await loggedIn(AGENT);
	assert.match(page.url(), /\/suivi$/);
	await assertAccessible(page, 'follow-up');
	const row = page.locator('tbody tr', { hasText: 'Marché à refuser' });
	assert.match(await row.textContent(), /Refusé.*Motif : Montant erroné/);
	await shot(page, 'suivi');
	const r = await page.request.get('/parapheur', { maxRedirects: 0 });
	assert.equal(r.status(), 403, 'an agent has no queue');
	await ctx.close();
});

test('idle sessions expire; repeated failures lock the login', async () => {
	const { ctx, page } = await loggedIn(AGENT);
	await h.psql("UPDATE session SET last_seen_at = now() - interval '2 hours'");
	await page.goto('/suivi');
	assert.match(page.url(), /\/connexion/, 'an idle session leads back to the login form');
	await ctx.close();
	const c2 = await browser.newContext({ locale: 'fr-FR', baseURL: base });
	const p2 = await c2.newPage();
	for (let i = 0; i < 6; i++) {
		await p2.goto('/connexion');
		await p2.getByLabel('Adresse électronique').fill(LOCKME);
		await p2.getByLabel('Mot de passe').fill(i < 5 ? `wrong ${i}` : PASSWORD);
		await p2.getByRole('button', { name: 'Se connecter' }).click();
		await p2.getByRole('alert').waitFor();
	}
	assert.match(await p2.getByRole('alert').textContent(), /verrouillée/, 'locked, even with the right password');
	await c2.close();
});

test('a long queue comes in pages of 100, counts over all of it', async () => {
	await h.psql(`INSERT INTO document (org_id, client_id, kind, state, title, want_sign, want_transmit,
			due_date, signer_id)
		SELECT o.id, c.id, 'document', 'pending_signature', 'Lot ' || lpad(g::text, 3, '0'), true, false,
			date '2032-01-01' + g, p.id
		FROM generate_series(1, 150) g, organisation o, api_client c, person p
		WHERE o.siren = '${s.orgA}' AND c.name = 'vendor-a' AND p.email = '${ADJOINT}'`);
	const { ctx, page } = await loggedIn(ADJOINT);
	await page.goto('/parapheur');
	assert.equal((await page.locator('.badge').textContent()).trim(), '150');
	assert.equal(await page.locator('tbody tr').count(), 100);
	assert.match(await page.locator('nav.pager').textContent(), /Documents 1 à 100 sur 150/);
	await page.getByRole('link', { name: 'Page suivante' }).click();
	await page.waitForURL(/apres=/);
	assert.equal(await page.locator('tbody tr').count(), 50);
	assert.match(await page.locator('nav.pager').textContent(), /Documents 101 à 150 sur 150/);
	assert.equal(await page.locator('tbody tr td:nth-child(2) a').first().textContent(), 'Lot 101');
	assert.ok(await page.getByRole('link', { name: 'Page précédente' }).isVisible());
	await ctx.close();
});

test('an administrator adds a person and a role; an official delegates, then revokes', async () => {
	const NEW = 'conseillere@saint-essai.test';
	const admin = await loggedIn(ADMIN);
	await admin.page.goto('/admin/personnes');
	await admin.page.locator('#pe-email').fill(NEW);
	await admin.page.getByLabel('Nom', { exact: true }).fill('Claire Conseillère');
	await admin.page.getByLabel(/Mot de passe initial/).fill(PASSWORD);
	await admin.page.getByRole('button', { name: 'Créer la personne' }).click();
	await admin.page.locator('.flash.ok').filter({ hasText: 'Personne créée' }).waitFor();
	await admin.page.locator('#ro-email').fill(NEW);
	await admin.page.getByLabel('SIREN de l’organisation').fill(s.orgA);
	await admin.page.getByLabel('Rôle').selectOption('signer');
	await admin.page.getByLabel(/Fonction du signataire/).fill('adjoint');
	await admin.page.getByRole('button', { name: 'Attribuer le rôle' }).click();
	await admin.page.locator('.flash.ok').filter({ hasText: 'Rôle attribué' }).waitFor();
	assert.match(await admin.page.locator('tbody tr', { hasText: NEW }).textContent(),
		/Signataire — Commune de Saint-Essai \(adjoint\)/);
	await admin.ctx.close();

	// dates are typed the French way, whatever the browser's language
	const fr = (t) => new Date(t).toISOString().slice(0, 10).split('-').reverse().join('/');
	const today = fr(Date.now());
	const later = fr(Date.now() + 7 * 86400000);
	const off = await loggedIn(OFFICIAL_A);
	await off.page.goto('/delegations');
	await off.page.getByLabel('Adresse électronique du délégataire').fill(NEW);
	await off.page.getByLabel('Début de la délégation').fill(today);
	await off.page.getByLabel('Fin de la délégation (jour inclus)').fill(later);
	await off.page.getByRole('button', { name: 'Déléguer' }).click();
	await off.page.waitForURL('**/delegations');
	assert.match(await off.page.locator('table', { hasText: 'Claire Conseillère' }).textContent(), /en cours/);
	await assertAccessible(off.page, 'delegations');
	await shot(off.page, 'delegations');

	const dlg = await loggedIn(NEW);
	await dlg.page.goto('/parapheur');
	const rows = dlg.page.locator('tbody tr');
	assert.ok(await rows.count() >= 1, 'the delegate sees the delegator\'s queue');
	assert.match(await rows.first().textContent(), /par délégation de Marie Ordonnatrice/);

	await off.page.getByRole('button', { name: /Révoquer/ }).click();
	await off.page.waitForURL('**/delegations');
	assert.match(await off.page.locator('main').textContent(), /Délégations que j’ai données : aucune/);
	await dlg.page.goto('/parapheur');
	assert.equal(await dlg.page.locator('tbody tr').count(), 0, 'revoked: nothing left to sign');
	await off.ctx.close();
	await dlg.ctx.close();
});

test('administrator: a vendor client created then revoked, a failed job retried, journal filters', async () => {
	const { ctx, page } = await loggedIn(ADMIN);
	page.on('dialog', (d) => d.accept());
	await page.goto('/admin/clients');
	await page.getByLabel(/Nom du logiciel/).fill('editeur-web');
	await page.getByLabel(/SIREN des organisations/).fill(s.orgA);
	await page.getByRole('button', { name: 'Créer le client' }).click();
	const flash = await page.locator('.flash.ok').textContent();
	const key = (flash.match(/lsk_[A-Za-z0-9_-]{43}/) || [])[0];
	assert.ok(key, `the key is shown once: ${flash}`);
	const vendor = s.d.client(key);
	assert.equal((await vendor.get('/api/v1/documents')).status, 200, 'the new key works');
	await page.goto('/admin/clients');
	await page.locator('tbody tr', { hasText: 'editeur-web' }).getByRole('button', { name: /Révoquer/ }).click();
	await page.locator('.flash.ok').filter({ hasText: 'révoqué' }).waitFor();
	assert.equal((await vendor.get('/api/v1/documents')).status, 401, 'revoked: the key no longer works');
	assert.equal(await h.psql(`SELECT string_agg(actor || ' ' || action, ',' ORDER BY seq) FROM journal
		WHERE action LIKE 'client.%' AND detail->>'name' = 'editeur-web'`),
	`person:${ADMIN} client.created,person:${ADMIN} client.revoked`,
	'one journal entry for the creation and one for the revocation, both the logged-in administrator\'s');
	await page.goto('/admin/clients');
	await page.getByLabel(/Nom du logiciel/).fill('editeur-web');
	await page.getByLabel(/SIREN des organisations/).fill(s.orgA);
	const again = page.waitForResponse((r) => r.url().endsWith('/admin/clients') && r.request().method() === 'POST');
	await page.getByRole('button', { name: 'Créer le client' }).click();
	assert.equal((await again).status(), 409, 'a name taken: 409, as the API would answer');
	assert.match(await page.locator('.flash.error').textContent(), /n’a pas été créé.*exists already/);

	const job = await h.psql(`INSERT INTO job (kind, doc_id, run_at, attempts, last_error)
		VALUES ('transmit', '${docs.evil}', now() + interval '1 hour', 3, 'FTP: connexion refusée') RETURNING id`);
	await page.goto('/admin/taches');
	const row = page.locator('tbody tr', { hasText: 'FTP: connexion refusée' });
	assert.match(await row.textContent(), new RegExp(`${job} transmit`));
	await row.getByRole('button', { name: 'Relancer maintenant' }).click();
	await page.locator('.flash.ok').filter({ hasText: 'relancée' }).waitFor();
	assert.equal(await h.psql(`SELECT run_at <= now() FROM job WHERE id = ${job}`), 't', 'due now');
	await h.psql(`UPDATE job SET done_at = now() WHERE id = ${job}`);

	await page.goto(`/admin/journal?acteur=${encodeURIComponent('person:' + ADMIN)}`);
	const actions = await page.locator('tbody tr td:nth-child(4)').allTextContents();
	assert.ok(actions.includes('job.retried') && actions.includes('client.created'), actions.join(' '));
	const actors = await page.locator('tbody tr td:nth-child(3)').allTextContents();
	assert.ok(actors.every((a) => a === `person:${ADMIN}`), 'only that actor');
	// a part of the person's name (any case) names the same actor
	await page.goto(`/admin/journal?acteur=${encodeURIComponent('ALICE Opé')}`);
	const byName = await page.locator('tbody tr td:nth-child(3)').allTextContents();
	assert.ok(byName.length && byName.every((a) => a === `person:${ADMIN}`), byName.join(' '));
	// "%" is a character, not a wildcard
	await page.goto(`/admin/journal?acteur=${encodeURIComponent('%')}`);
	assert.equal(await page.locator('tbody tr').count(), 0, 'no actor contains "%"');
	await ctx.close();
});

test('agents see the prefecture\'s letters on an act', async () => {
	await h.psql(`WITH b AS (INSERT INTO blob (sha256, size, nchunks)
			VALUES (sha256('%PDF-1.4 lettre'::bytea), 15, 1) RETURNING id),
		c AS (INSERT INTO blob_chunk (blob_id, seq, data) SELECT id, 0, '%PDF-1.4 lettre'::bytea FROM b)
		INSERT INTO document_file (doc_id, n, role, name, media_type, blob_id)
		SELECT '${docs.reject}', 1, 'letter', 'lettre-observations.pdf', 'application/pdf', id FROM b`);
	const { ctx, page } = await loggedIn(AGENT);
	const row = page.locator('tbody tr', { hasText: 'Marché à refuser' });
	const link = row.getByRole('link', { name: 'lettre-observations.pdf' });
	const r = await page.request.get(await link.getAttribute('href'));
	assert.equal(r.status(), 200);
	assert.equal((await r.body()).toString(), '%PDF-1.4 lettre');
	await page.goto(`/documents/${docs.reject}`);
	assert.ok(await page.getByText('Courrier de la préfecture').isVisible());
	await ctx.close();
});

test('an agent answers a demande de pièces complémentaires in the browser, with the pieces', async () => {
	const lid = await h.psql(`SELECT letter_add('${docs.reject}', '3-1', 'X-3-1_0.xml', 'X', '2026-11-20',
		'Le plan annexé à la délibération', '{}')`);
	const { ctx, page } = await loggedIn(AGENT);
	const row = page.locator('tbody tr', { hasText: 'Marché à refuser' });
	const link = row.getByRole('link', { name: 'Demande de pièces complémentaires' });
	assert.match(await row.textContent(), /à répondre avant le 20\/01\/2027/);
	await link.click();
	await page.waitForURL(new RegExp(`/courriers/${lid}$`));
	await assertAccessible(page, 'letter');
	assert.match(await page.locator('main').textContent(), /avant le 20\/01\/2027.*refus implicite/s);
	assert.ok(await page.getByText('Le plan annexé à la délibération').isVisible());
	// a file that is not a PDF is refused, nothing recorded
	await page.getByLabel('Réponse').selectOption('3-2');
	await page.getByLabel(/Fichier PDF/).setInputFiles([{ name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') }]);
	await page.getByRole('button', { name: 'Envoyer la réponse' }).click();
	assert.match(await page.locator('main').textContent(), /note\.txt is not a PDF/);
	assert.equal(await h.psql(`SELECT answer_state FROM letter WHERE id = ${lid}`), 'none');
	await page.goto(`/documents/${docs.reject}/courriers/${lid}`);
	await page.getByLabel('Réponse').selectOption('3-2');
	await page.getByLabel(/Fichier PDF/).setInputFiles([
		{ name: 'plan.pdf', mimeType: 'application/pdf', buffer: pdfFile(1800, 'plan.pdf').data },
		{ name: 'deliberation.pdf', mimeType: 'application/pdf', buffer: pdfFile(2200, 'deliberation.pdf').data }]);
	await shot(page, 'courrier');
	await page.getByRole('button', { name: 'Envoyer la réponse' }).click();
	await page.waitForURL(/repondu=1/);
	assert.match(await page.locator('main').textContent(), /Transmission de pièces complémentaires \(3-2\)/);
	const [code, by, files] = (await h.psql(`SELECT answer_code, answer_by,
		(SELECT string_agg(name, ',' ORDER BY n) FROM letter_answer_file WHERE letter_id = ${lid})
		FROM letter WHERE id = ${lid}`)).split('|');
	assert.equal(code, '3-2');
	assert.equal(by, `person:${AGENT}`);
	assert.equal(files, 'plan.pdf,deliberation.pdf');
	// the vendor sees the same answer
	const v = await s.a.get(`/api/v1/documents/${docs.reject}/letters/${lid}`);
	assert.equal(v.json.answer.code, '3-2', v.text);
	// a signer who is no agent of the organisation cannot open it
	await ctx.close();
	const other = await loggedIn(ADJOINT);
	const r = await other.page.request.get(`/documents/${docs.reject}/courriers/${lid}`, { maxRedirects: 0 });
	assert.equal(r.status(), 403);
	await other.ctx.close();
});

test('what a newcomer tripped over: French words, dates, plurals, the CSP', async () => {
	// an English browser still gets French dates: the fields are not native date inputs
	const ctx = await browser.newContext({ locale: 'en-US', baseURL: base, viewport: { width: 1280, height: 900 } });
	const page = await ctx.newPage();
	const violations = [];
	page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
	await page.goto('/connexion');
	assert.equal(await page.locator('[style]').count(), 0, 'no inline style on the login page');
	await page.getByLabel('Adresse électronique').fill(OFFICIAL_A);
	await page.getByLabel('Mot de passe').fill(PASSWORD);
	await page.getByRole('button', { name: 'Se connecter' }).click();
	await page.waitForURL((u) => !u.pathname.startsWith('/connexion'));
	await page.goto('/parapheur');
	const due = page.getByLabel('Échéance au plus tard le');
	assert.equal(await due.getAttribute('type'), 'text');
	assert.equal(await due.getAttribute('placeholder'), 'jj/mm/aaaa');
	await due.fill('28/02/2030');
	await page.getByRole('button', { name: 'Filtrer' }).click();
	await page.waitForURL(/echeance=28%2F02%2F2030/);
	assert.equal(await page.getByLabel('Échéance au plus tard le').inputValue(), '28/02/2030', 'shown back in French');
	await page.goto('/parapheur?echeance=31/02/2030');
	assert.equal(await page.getByLabel('Échéance au plus tard le').inputValue(), '', 'not a date: no filter');
	assert.deepEqual(violations, [], 'nothing blocked by the site\'s own CSP');

	// the history of a signed document in words, the signed PES summarised as signed
	const signed = (await vendorView(docs.batch[0]));
	await page.goto(`/documents/${signed.id}`);
	const hist = await page.locator('table', { hasText: 'Historique' }).or(page.locator('h2:has-text("Historique") + table')).first().textContent();
	assert.match(hist, /Reçu de l’éditeur/);
	assert.match(hist, /État : Signé/);
	assert.doesNotMatch(hist, /document\.|[{}]|"from"/, 'no raw codes nor JSON');
	assert.match(hist, /État précédent : À signer/);
	await ctx.close();

	// once signed, a PES page summarises the signed file: "signé", not "non signé"
	if (docs.pes) {
		const off = await loggedIn(OFFICIAL_A);
		await off.page.goto(`/documents/${docs.pes}`);
		assert.match(await off.page.locator('main').textContent(), /Signature\s*non signé/, 'before');
		await off.page.getByLabel('Code PIN de signature').fill(PIN);
		await off.page.getByRole('button', { name: 'Signer ce document' }).click();
		await off.page.getByRole('status').filter({ hasText: 'signé sur 1.' }).waitFor({ timeout: 60000 });
		await off.page.goto(`/documents/${docs.pes}`);
		const main = await off.page.locator('main').textContent();
		assert.match(main, /Signature\s*signé/, 'after');
		assert.doesNotMatch(main, /non signé/);
		await off.ctx.close();
	}

	// certificate issuers in UTF-8, not RFC 2253 escapes
	const admin = await loggedIn(ADMIN);
	await admin.page.goto('/admin/certificats');
	const certs = await admin.page.locator('main').textContent();
	assert.match(certs, /Autorité de test/);
	assert.doesNotMatch(certs, /\\C3\\A9/);
	await admin.ctx.close();
});

test('an operator creates an organisation and sets its Hélios identifiers in the browser', async () => {
	const { ctx, page } = await loggedIn(ADMIN);
	await page.goto('/admin');
	await page.getByLabel('SIREN (9 chiffres)').fill('200066777');
	await page.getByLabel('Nom', { exact: true }).fill('Communauté de communes du Val d’Essai');
	await page.getByLabel('Organisation parente').selectOption(s.orgA);
	await page.getByLabel(/Département/).fill('045');
	await page.getByRole('button', { name: 'Créer l’organisation' }).click();
	await page.locator('.flash.ok').filter({ hasText: 'Organisation « Communauté de communes du Val d’Essai » créée' }).waitFor();
	await assertAccessible(page, 'admin organisations');
	// the same SIREN again: refused with the reason, nothing created
	await page.getByLabel('SIREN (9 chiffres)').fill('200066777');
	await page.getByLabel('Nom', { exact: true }).fill('Doublon');
	const again = page.waitForResponse((r) => r.url().endsWith('/admin') && r.request().method() === 'POST');
	await page.getByRole('button', { name: 'Créer l’organisation' }).click();
	assert.equal((await again).status(), 409);
	assert.match(await page.locator('.flash.error').textContent(), /n’a pas été créée.*exists already/);
	assert.equal(await h.psql("SELECT count(*) FROM organisation WHERE siren = '200066777'"), '1');
	assert.equal(await h.psql(`SELECT actor FROM journal WHERE action = 'organisation.created'
		AND detail->>'siren' = '200066777'`), `person:${ADMIN}`, 'journaled with its real actor');

	await page.getByRole('link', { name: 'Communauté de communes du Val d’Essai' }).click();
	await page.getByLabel(/IdColl/).fill('20006677700019');
	await page.getByLabel(/CodCol/).fill('123');
	await page.getByLabel(/IdPost/).fill('045000');
	await page.getByLabel(/Budgets/).fill('01,AB!');
	await page.getByRole('button', { name: 'Enregistrer' }).click();
	assert.match(await page.locator('.flash.error').textContent(), /n’ont pas été enregistrés/);
	await page.getByLabel(/Budgets/).fill('01,02');
	await page.getByLabel(/Archiver/).fill('dans longtemps');
	await page.getByRole('button', { name: 'Enregistrer' }).click();
	assert.match(await page.locator('.flash.error').textContent(), /archive_after .*not a positive duration/);
	await page.getByLabel(/Archiver/).fill('10 years');
	await page.getByLabel('Commune, pour le lieu des signatures').fill('Val-d’Essai');
	await page.getByRole('button', { name: 'Enregistrer' }).click();
	await page.locator('.flash.ok').filter({ hasText: 'Réglages enregistrés' }).waitFor();
	assert.equal(await h.psql(`SELECT concat_ws(' ', idcoll, codcol, idpost, array_to_string(codbuds, ','),
		archive_after::text) FROM organisation WHERE siren = '200066777'`),
	'20006677700019 123 045000 01,02 10 years');
	assert.equal(await page.getByLabel(/Budgets/).inputValue(), '01,02', 'shown back');
	assert.equal(await h.psql("SELECT city FROM organisation WHERE siren = '200066777'"), 'Val-d’Essai');
	await assertAccessible(page, 'admin organisation');
	// who holds which office, in an organisation with people
	await page.goto(`/admin/organisations/${s.orgA}`);
	const offices = await page.locator('table', { hasText: 'Titulaire' }).textContent();
	assert.match(offices, new RegExp(OFFICIAL_A.replace('.', '\\.')));
	assert.match(offices, /Signataire/);
	await ctx.close();
});

// Issue 15, "done when": a mayor signs an arrêté in the browser and the
// vendor gets back the PDF signed in PAdES with its visible block, which
// poppler's pdfsig reports valid with the mayor's name.
test('a mayor signs an arrêté in PAdES in the browser: the vendor gets the signed PDF', async () => {
	const { spawnSync } = await import('node:child_process');
	const { makePdf } = await import('../lib/pdf.mjs');
	if (spawnSync('pdfsig', ['-v']).error)
		return;
	const today = new Date().toISOString().slice(0, 10);
	const id = await post({ kind: 'acte', organisation: s.orgA, title: 'Arrêté de voirie', sign: true,
		transmit: false, signature_profile: 'pades', acte: { nature: 2, numero_interne: 'AV2026_01',
			objet: 'Circulation rue Haute', date_decision: today, classification: '7.1' } },
	{ name: 'arrete-voirie.pdf', type: 'application/pdf', data: makePdf({ text: 'Arrete de voirie' }) });
	const { ctx, page } = await loggedIn(OFFICIAL_A);
	await page.goto('/parapheur');
	await page.getByLabel('Sélectionner « Arrêté de voirie »').check();
	await page.getByLabel('Code PIN de signature').fill(PIN);
	await page.getByRole('button', { name: 'Signer la sélection' }).click();
	await page.locator('#progression [role="status"]').filter({ hasText: '1 document signé sur 1.' }).waitFor({ timeout: 60000 });
	await ctx.close();
	const d = await vendorView(id);
	assert.equal(d.state, 'signed');
	const f = d.files.find((x) => x.role === 'signed');
	assert.ok(f, JSON.stringify(d.files));
	const pdf = (await s.a.get(f.href)).body;
	const file = path.join(ART, 'arrete-pades.pdf');
	fs.writeFileSync(file, pdf);
	const sig = spawnSync('pdfsig', ['-nocert', file]).stdout.toString();
	assert.match(sig, /Signer Certificate Common Name: Jeanne Martin/);
	assert.match(sig, /Signature Type: ETSI\.CAdES\.detached/);
	assert.match(sig, /Signature Validation: Signature is Valid\./);
	const txt = spawnSync('pdftotext', [file, '-']).stdout.toString().replace(/\s+/g, ' ');
	assert.match(txt, /Signé par Jeanne Martin, Maire de .*, le \d\d\/\d\d\/20\d\d à \d\d:\d\d/);
});
