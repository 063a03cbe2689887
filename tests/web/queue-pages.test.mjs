// "Mon parapheur" paged by keyset cursor (issue 17, point 3): the page uses
// the order and cursor of GET /api/v1/queue (SQL queue_slice()), with "Page
// suivante" / "Page précédente" links that keep the filters and counts over
// the whole queue.  In Chromium: a queue of three pages walked forward and
// back while documents of the first page are signed through the API in
// between; every pending document appears exactly once on each walk, none
// skipped.  Then "Tout sélectionner" and one PIN on a filtered page, and over
// plain HTTP the links themselves (filters kept, a broken cursor refused).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newHarness, docMeta, pdfFile, request, OFFICIAL_A, PASSWORD } from '../lib/harness.mjs';
import { launchBrowser, loggedIn, assertAccessible, shot } from '../lib/browser.mjs';
import { makePki } from '../lib/pki.mjs';

const PIN = 'glycine-2026';
const REAL = 20;          // uploaded (with a PDF: they can be signed), due first
const FILLER = 230;       // inserted in SQL behind them (never signed)
const h = newHarness('web-queue-pages');
let s, pki, browser, base, off;
const real = [];

before(async () => {
	s = await h.setup();
	base = s.d.url.replace('127.0.0.1', 'localhost');
	pki = await makePki();
	assert.equal((await h.cli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' })).code, 0);
	await h.enrol(OFFICIAL_A, pki.signer.p12, pki.password, PIN);
	for (let i = 1; i <= REAL; i++) {
		const day = String(i).padStart(2, '0');
		const r = await s.a.postDocument(docMeta(s.orgA, { title: `Convention ${day}`, due_date: `2030-01-${day}` }),
			pdfFile(1500, `convention-${day}.pdf`));
		assert.equal(r.status, 201, r.text);
		real.push(r.json.id);
	}
	await h.psql(`INSERT INTO document (org_id, client_id, kind, state, title, want_sign, want_transmit,
			due_date, signer_id)
		SELECT o.id, c.id, 'document', 'pending_signature', 'Pièce n° ' || g, true, false,
			DATE '2031-01-01' + (g % 40), p.id
		FROM generate_series(1, ${FILLER}) g, organisation o, api_client c, person p
		WHERE o.siren = '${s.orgA}' AND c.name = 'vendor-a' AND p.email = '${OFFICIAL_A}'`);
	off = await s.d.login(OFFICIAL_A);
	browser = await launchBrowser();
});

after(async () => {
	if (browser)
		await browser.close();
	await h.stopAll();
	if (pki)
		await pki.cleanup();
});

// The documents the official may sign now, in queue order (the API's pages).
async function pendingNow() {
	const ids = [];
	let cursor = null;
	do {
		const r = await off.get(`/api/v1/queue?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
		assert.equal(r.status, 200, r.text);
		ids.push(...r.json.items.map((d) => d.id));
		cursor = r.json.next_cursor;
	} while (cursor);
	return ids;
}

async function signApi(ids) {
	const r = await off.postJson('/api/v1/queue/sign', { documents: ids, pin: PIN });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.results.filter((x) => x.status === 'signed').length, ids.length, r.text);
}

const rowsOf = (page) => page.locator('tbody input[name="doc"]').evaluateAll((els) => els.map((e) => e.value));
const rangeOf = async (page) => (await page.locator('nav.pager p').textContent()).trim();

// Follows a pager link and waits for the page it leads to.
async function follow(page, name) {
	const from = page.url();
	await page.getByRole('link', { name }).click();
	await page.waitForURL((u) => u.href !== from);
}

function once(ids, what) {
	const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
	assert.deepEqual(dup, [], `${what}: no document twice`);
}

test('walk forward and back while documents of page 1 are signed: each pending document once', async () => {
	const { ctx, page } = await loggedIn(browser, base, OFFICIAL_A);
	const start = await pendingNow();
	assert.equal(start.length, REAL + FILLER);
	await page.goto('/parapheur');
	await assertAccessible(page, 'queue, first page');
	assert.equal(await page.getByRole('link', { name: 'Page précédente' }).count(), 0, 'no page before the first');
	assert.equal(await rangeOf(page), `Documents 1 à 100 sur ${REAL + FILLER}.`);
	const p1 = await rowsOf(page);
	assert.deepEqual(p1, start.slice(0, 100), 'page 1: the API\'s first 100, in the same order');

	// rows before the cursor leave the queue: the next page starts after
	// the last row shown, not 10 rows further
	const signed1 = real.slice(0, 10);
	await signApi(signed1);
	await follow(page, 'Page suivante');
	const p2 = await rowsOf(page);
	assert.deepEqual(p2, start.slice(100, 200), 'page 2 follows page 1\'s last row: none skipped');
	assert.match(page.url(), /\/parapheur\?apres=/);
	assert.equal(await rangeOf(page), `Documents 91 à 190 sur ${REAL + FILLER - 10}.`, 'positions over the queue now');
	assert.match(await page.locator('p.lead').textContent(), new RegExp(`${REAL + FILLER - 10} documents en attente`));

	const signed2 = real.slice(10, 15);
	await signApi(signed2);
	await follow(page, 'Page suivante');
	const p3 = await rowsOf(page);
	assert.deepEqual(p3, start.slice(200), 'page 3: the rest');
	assert.equal(await page.getByRole('link', { name: 'Page suivante' }).count(), 0, 'no page after the last');
	await shot(page, 'parapheur-page-3');
	const forward = [...p1, ...p2, ...p3];
	once(forward, 'forward');
	assert.deepEqual([...forward].sort(), [...start].sort(), 'forward: every document pending at the start, none skipped');

	// back: each page ends right before the one it came from
	const now = await pendingNow();
	assert.equal(now.length, REAL + FILLER - 15);
	await follow(page, 'Page précédente');
	const b2 = await rowsOf(page);
	assert.equal(b2.length, 100);
	assert.deepEqual(b2, now.slice(now.indexOf(p3[0]) - 100, now.indexOf(p3[0])), 'the 100 before page 3');
	const signed3 = real.slice(15, 17);   // on the page before this one
	assert.ok(!b2.includes(signed3[0]));
	await signApi(signed3);
	await follow(page, 'Page précédente');
	const b1 = await rowsOf(page);
	const after = await pendingNow();
	assert.deepEqual(b1, after.slice(0, after.indexOf(b2[0])), 'the first page: what is left before');
	assert.equal(await page.getByRole('link', { name: 'Page précédente' }).count(), 0, 'back at the start');
	assert.equal(await rangeOf(page), `Documents 1 à ${b1.length} sur ${after.length}.`);
	const backward = [...b1, ...b2, ...p3];
	once(backward, 'backward');
	assert.deepEqual([...backward].sort(), [...after].sort(), 'backward: every pending document, none skipped');
	for (const id of [...signed1, ...signed2, ...signed3])
		assert.ok(!b1.includes(id) && !b2.includes(id), 'signed documents are gone');
	await ctx.close();
});

test('a filtered page: "Tout sélectionner" and one PIN sign the page', async () => {
	const { ctx, page } = await loggedIn(browser, base, OFFICIAL_A);
	const left = (await pendingNow()).filter((id) => real.includes(id));
	assert.equal(left.length, 3, 'Conventions 18 to 20 are still there');
	await page.goto('/parapheur?echeance=31/01/2030');
	assert.equal(await page.locator('tbody tr').count(), 3);
	assert.equal(await page.locator('nav.pager').count(), 0, 'one page: no pager');
	await page.getByLabel('Tout sélectionner').check();
	assert.match(await page.locator('#selcount').textContent(), /^3 documents sélectionnés/);
	await page.getByLabel('Code PIN de signature').fill(PIN);
	await page.getByRole('button', { name: 'Signer la sélection' }).click();
	await page.locator('#progression [role="status"]').filter({ hasText: '3 documents signés sur 3.' })
		.waitFor({ timeout: 60000 });
	assert.equal((await pendingNow()).filter((id) => real.includes(id)).length, 0, 'all signed');
	await ctx.close();
});

test('plain HTTP: the links keep the filters; a cursor that is not one is refused', async () => {
	const get = async (p) => {
		const r = await request(s.d.url, { path: p, headers: { Cookie: off.cookie } });
		assert.equal(r.status, 200, `${p}: ${r.status} ${r.text.slice(0, 300)}`);
		return r.text;
	};
	const links = (html) => Object.fromEntries([...html.matchAll(/<a class="button secondary" href="([^"]+)" rel="(next|prev)"/g)]
		.map((m) => [m[2], m[1].replaceAll('&amp;', '&')]));
	const ids = (html) => [...html.matchAll(/name="doc" value="([0-9a-f-]{36})"/g)].map((m) => m[1]);
	const filt = 'type=document&editeur=vendor-a&echeance=2031-01-20';
	const first = await get(`/parapheur?${filt}`);
	const l1 = links(first);
	assert.equal(l1.prev, undefined);
	assert.match(l1.next, /^\/parapheur\?apres=[A-Za-z0-9_-]+&org=&type=document&editeur=vendor-a&echeance=2031-01-20$/,
		'"Page suivante" keeps the filters');
	const second = await get(l1.next);
	const l2 = links(second);
	assert.match(l2.prev, /^\/parapheur\?avant=[A-Za-z0-9_-]+&org=&type=document&editeur=vendor-a&echeance=2031-01-20$/,
		'"Page précédente" keeps them too');
	const back = await get(l2.prev);
	assert.deepEqual(ids(back), ids(first), 'back to the same first page');
	assert.equal(new Set([...ids(first), ...ids(second)]).size, ids(first).length + ids(second).length);
	const filler = Number(await h.psql(`SELECT count(*) FROM document WHERE title LIKE 'Pièce%'
		AND due_date <= '2031-01-20'`));
	assert.equal(ids(first).length + ids(second).length + (l2.next ? ids(await get(l2.next)).length : 0), filler,
		'the filtered pages hold the filtered queue');
	assert.match(first, new RegExp(`dont <strong>${filler}</strong> avec ces filtres`), 'the count over the filtered queue');
	// a cursor that is not one: a clear page, not a database error
	for (const bad of ['apres=%3Cscript%3E', 'avant=bm90LWEtY3Vyc29y', `apres=${'A'.repeat(300)}`]) {
		const r = await request(s.d.url, { path: `/parapheur?${bad}`, headers: { Cookie: off.cookie } });
		assert.equal(r.status, 400, `${bad}: ${r.status}`);
		assert.match(r.text, /revenez/i, 'says how to go on');
	}
	// the old ?page=N is not an offset any more: the first page
	assert.deepEqual(ids(await get(`/parapheur?page=2&${filt}`)), ids(first));
});
