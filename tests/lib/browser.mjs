// What the browser tests (tests/web/*.test.mjs) share: Debian's chromium
// driven by npm's playwright-core (the file is skipped, exit 77, when either
// is missing), a context logged in through the login form, and the
// accessibility facts every page must have.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { skip, topBuilddir, PASSWORD } from './harness.mjs';

export const CHROMIUM = process.env.LIASSE_CHROMIUM || '/usr/bin/chromium';
// Screenshots of the main pages, kept in the build tree.
export const ART = path.join(topBuilddir, 'tests', 'web', 'artifacts');

// Importing this module skips the test file when either is missing.
if (!fs.existsSync(CHROMIUM))
	skip(`${CHROMIUM} not installed (apt-get install chromium)`);
let chromium;
try {
	({ chromium } = await import('playwright-core'));
} catch (e) {
	skip('playwright-core missing: run npm ci in tests/');
}
fs.mkdirSync(ART, { recursive: true });

// Chromium, headless.
export function launchBrowser() {
	return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

// A new context (its own cookies) of browser on base, logged in as email.
export async function loggedIn(browser, base, email, { password = PASSWORD, width = 1280, ...opts } = {}) {
	const ctx = await browser.newContext({ locale: 'fr-FR', baseURL: base, viewport: { width, height: 900 }, ...opts });
	const page = await ctx.newPage();
	await page.goto('/connexion');
	await page.getByLabel('Adresse électronique').fill(email);
	await page.getByLabel('Mot de passe').fill(password);
	await page.getByRole('button', { name: 'Se connecter' }).click();
	await page.waitForURL((u) => !u.pathname.startsWith('/connexion'));
	return { ctx, page };
}

// lang="fr", a title, one h1, a name for every field and button, no
// horizontal scrolling.
export async function assertAccessible(page, what) {
	const facts = await page.evaluate(() => {
		const unlabelled = [...document.querySelectorAll('input, select, textarea, button')]
			.filter((el) => el.type !== 'hidden' && !el.labels?.length && !el.getAttribute('aria-label')
				&& !(el.tagName === 'BUTTON' && el.textContent.trim()))
			.map((el) => el.name || el.id || el.tagName);
		return { lang: document.documentElement.lang, title: document.title,
			h1: document.querySelectorAll('h1').length, unlabelled,
			overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1 };
	});
	assert.equal(facts.lang, 'fr', `${what}: lang="fr"`);
	assert.match(facts.title, /\S+ — liasse$/, `${what}: a page title`);
	assert.equal(facts.h1, 1, `${what}: one h1`);
	assert.deepEqual(facts.unlabelled, [], `${what}: every field and button has a name`);
	assert.equal(facts.overflow, false, `${what}: no horizontal scrolling`);
}

export async function shot(page, name) {
	await page.screenshot({ path: path.join(ART, `${name}.png`), fullPage: true });
}
