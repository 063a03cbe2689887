// Administration without a command line (issue 13, point 4), in headless
// Chromium: an organisation's administrator manages the people and roles,
// the circuits and the routing rules of their organisation only (403 on
// another's), the circuit editor is driven with the keyboard alone (plain
// form buttons, no JavaScript needed), the API's refusals are shown in
// French, and a routing rule added in the pages sends a posted délibération
// along the circuit.  Every change is journaled with its real actor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	newHarness, skip, topBuilddir, acteMeta, pdfFile, OFFICIAL_A, PASSWORD,
} from '../lib/harness.mjs';
import { launchBrowser, loggedIn as login, assertAccessible, shot, ART } from '../lib/browser.mjs';


const ADMIN = 'admin@opsn.test';
const ORGADMIN = 'dsi@saint-essai.test';
const DGS = 'dgs@saint-essai.test';

const h = newHarness('web-admin-pages');
const loggedIn = (email, password) => login(browser, base, email, { password, width: 1024 });
let s, browser, base;

// The accessibility facts at the phone, tablet and desktop widths.
async function accessibleAtAllWidths(page, what) {
	for (const width of [375, 768, 1024]) {
		await page.setViewportSize({ width, height: 900 });
		await assertAccessible(page, `${what} at ${width} px`);
		await page.screenshot({ path: path.join(ART, `${what.replace(/\W+/g, '-')}-${width}.png`), fullPage: true });
	}
	await page.setViewportSize({ width: 1024, height: 900 });
}

const journalActor = (action, extra = '') => h.psql(`SELECT string_agg(DISTINCT actor, ',') FROM journal
	WHERE action = '${action}' ${extra}`);

before(async () => {
	s = await h.setup();
	base = s.d.url.replace('127.0.0.1', 'localhost');
	await h.person({ email: ADMIN, name: 'Alice Opératrice', password: PASSWORD, operator: true });
	await h.person({ email: ORGADMIN, name: 'Denis Informaticien', password: PASSWORD,
		roles: [{ org: s.orgA, role: 'org_admin' }] });
	browser = await launchBrowser();
});

after(async () => {
	if (browser)
		await browser.close();
	await h.stopAll();
});

test('an organisation administrator sees and edits only their organisation', async () => {
	const { ctx, page } = await loggedIn(ORGADMIN);
	await page.getByRole('link', { name: 'Administration' }).click();
	await page.waitForURL('**/admin');
	const home = await page.locator('main').textContent();
	assert.match(home, /Commune de Saint-Essai/);
	assert.doesNotMatch(home, /Communauté de communes témoin/, 'another organisation is not listed');
	await accessibleAtAllWidths(page, 'admin mes organisations');

	// people and roles of their organisation: a new person (the DGS) as a signer holding an office
	await page.getByRole('link', { name: 'personnes et rôles' }).click();
	await page.getByLabel('Adresse électronique', { exact: true }).fill(DGS);
	await page.getByLabel('Rôle', { exact: true }).selectOption('signer');
	await page.getByLabel(/Fonction du signataire/).fill('dgs');
	await page.getByRole('button', { name: 'Attribuer le rôle' }).click();
	assert.match(await page.locator('.flash.error').textContent(), /indiquez son nom et un mot de passe initial/);
	assert.equal(await h.psql(`SELECT count(*) FROM person WHERE email = '${DGS}'`), '0', 'nothing half-written');
	// a new person whose role is refused: no account left behind (one transaction)
	await page.getByLabel('Adresse électronique', { exact: true }).fill('stagiaire@saint-essai.test');
	await page.getByLabel('Rôle', { exact: true }).selectOption('agent');
	await page.getByLabel(/Fonction du signataire/).fill('dgs');
	await page.getByLabel(/Nom \(nouvelle personne\)/).fill('Sam Stagiaire');
	await page.getByLabel(/Mot de passe initial/).fill(PASSWORD);
	await page.getByRole('button', { name: 'Attribuer le rôle' }).click();
	assert.match(await page.locator('.flash.error').textContent(), /une fonction .* ne se donne qu’à un signataire/);
	assert.equal(await h.psql("SELECT count(*) FROM person WHERE email = 'stagiaire@saint-essai.test'"), '0',
		'no account without its role');
	await page.getByLabel('Adresse électronique', { exact: true }).fill(DGS);
	await page.getByLabel('Rôle', { exact: true }).selectOption('signer');
	await page.getByLabel(/Fonction du signataire/).fill('dgs');
	await page.getByLabel(/Nom \(nouvelle personne\)/).fill('Dominique Générale');
	await page.getByLabel(/Mot de passe initial/).fill(PASSWORD);
	await page.getByRole('button', { name: 'Attribuer le rôle' }).click();
	await page.locator('.flash.ok').filter({ hasText: 'Rôle attribué' }).waitFor();
	const people = await page.locator('table').textContent();
	assert.match(people, /Dominique Générale/);
	assert.match(people, /Marie Ordonnatrice/);
	assert.doesNotMatch(people, /Paul Président/, 'only the people of the organisation');
	assert.equal(await journalActor('person.role', `AND detail->>'email' = '${DGS}'`), `person:${ORGADMIN}`);
	assert.equal(await journalActor('person.created', `AND detail->>'email' = '${DGS}'`), `person:${ORGADMIN}`);
	await accessibleAtAllWidths(page, 'admin personnes organisation');

	// another organisation: refused, whatever the page or the method
	for (const p of ['personnes', 'routage', 'circuits']) {
		const r = await page.goto(`/admin/organisations/${s.orgB}/${p}`);
		assert.equal(r.status(), 403, `GET ${p} of another organisation`);
	}
	await page.goto(`/admin/organisations/${s.orgA}/routage`);
	const csrf = await page.locator('input[name="csrf"]').first().inputValue();
	const post = await page.request.post(`/admin/organisations/${s.orgB}/routage`,
		{ form: { csrf, op: 'ajouter', type: 'document', nature: '0', cible: `personne:${ORGADMIN}` } });
	assert.equal(post.status(), 403, 'POST to another organisation');
	assert.equal(await h.psql(`SELECT count(*) FROM routing_rule r JOIN organisation o ON o.id = r.org_id
		WHERE o.siren = '${s.orgB}' AND r.kind = 'document'`), '1', 'its rules unchanged');
	for (const p of ['/admin/personnes', '/admin/clients', `/admin/organisations/${s.orgA}`])
		assert.equal((await page.goto(p)).status(), 403, `${p} is the operator's`);
	await ctx.close();

	// the operator sees every organisation's pages
	const op = await loggedIn(ADMIN);
	assert.equal((await op.page.goto(`/admin/organisations/${s.orgB}/circuits`)).status(), 200);
	await op.page.goto(`/admin/organisations/${s.orgB}`);
	await op.page.getByRole('link', { name: 'Aiguillage' }).click();
	assert.match(await op.page.locator('table').textContent(), /Paul Président/);
	await op.ctx.close();
});

test('the circuit editor with the keyboard only: steps added, moved, removed; French refusals; versions', async () => {
	const { ctx, page } = await loggedIn(ORGADMIN);
	const focused = () => page.evaluate(() => document.activeElement.id);
	const tabTo = async (id) => {
		for (let i = 0; i < 120; i++) {
			await page.keyboard.press('Tab');
			if (await focused() === id) {
				const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
				assert.notEqual(outline, 'none', `focus is visible on ${id}`);
				return;
			}
		}
		assert.fail(`Tab never reached ${id}`);
	};
	// a select changed with the arrow keys until it shows the option wanted
	const choose = async (id, value) => {
		await tabTo(id);
		for (const key of ['Home', ...Array(30).fill('ArrowDown')]) {
			if (await page.locator(`#${id}`).inputValue() === value)
				return;
			await page.keyboard.press(key);
		}
		assert.equal(await page.locator(`#${id}`).inputValue(), value, `${id} reached ${value}`);
	};
	const press = async (id) => {
		await tabTo(id);
		await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
	};
	page.on('dialog', (d) => d.accept());
	await page.goto(`/admin/organisations/${s.orgA}/circuits`);
	assert.match(await page.locator('table').textContent(), /Aucun circuit/);
	await tabTo('c-name');
	await page.keyboard.type('deliberation');
	await choose('qui0', 'fonction:maire');
	await press('ajouter');                                 // a visa before the signature
	assert.equal(await focused(), 'action0', 'the new step has the focus');
	assert.equal(await page.locator('#action0').inputValue(), 'visa');
	assert.equal(await page.locator('#qui1').inputValue(), 'fonction:maire', 'the signature moved down');
	assert.equal(await page.locator('#c-name').inputValue(), 'deliberation', 'what was typed is kept');
	await choose('qui0', 'fonction:dgs');
	await press('ajouter');                                 // a third step, removed again
	assert.equal(await page.locator('fieldset.step').count(), 3);
	await press('retirer1');
	assert.equal(await page.locator('fieldset.step').count(), 2);
	assert.equal(await focused(), 'ajouter');
	await press('descendre0');                              // the signature first: refused, in French
	assert.equal(await focused(), 'monter1', 'the focus follows the step');
	assert.equal(await page.locator('#action1').inputValue(), 'visa');
	await tabTo('c-name');
	const refused = page.waitForResponse((r) => r.request().method() === 'POST');
	await page.keyboard.press('Enter');                     // Enter in a field saves
	assert.equal((await refused).status(), 422);
	assert.match(await page.locator('.flash.error').textContent(),
		/n’a pas été enregistré : Étape 1 : la signature doit être la dernière étape/);
	assert.equal(await h.psql('SELECT count(*) FROM circuit'), '0', 'nothing written');
	await accessibleAtAllWidths(page, 'admin circuit editor');
	await press('monter1');
	assert.deepEqual([await page.locator('#action0').inputValue(), await page.locator('#qui0').inputValue(),
		await page.locator('#action1').inputValue(), await page.locator('#qui1').inputValue()],
	['visa', 'fonction:dgs', 'signature', 'fonction:maire']);
	await tabTo('qui0');
	await press('enregistrer-circuit');
	await page.locator('.flash.ok').filter({ hasText: 'Circuit « deliberation » enregistré' }).waitFor();
	const row = await page.locator('tr', { hasText: 'deliberation' }).textContent();
	assert.match(row, /Visa — fonction « dgs » \(Dominique Générale\).*Signature — fonction « maire » \(Marie Ordonnatrice\)/);
	const api = JSON.parse(await h.psql(`SELECT circuits_json('${s.orgA}')::text`));
	assert.deepEqual(api[0].steps.map((x) => [x.action, x.office]), [['visa', 'dgs'], ['signature', 'maire']]);
	assert.equal(api[0].version, 1);
	assert.equal(await journalActor('circuit.created'), `person:${ORGADMIN}`);

	// edit: a new version; an office nobody holds is refused in French
	await page.goto(`/admin/organisations/${s.orgA}/circuits`);
	await press('modifier-deliberation');
	assert.equal(await page.locator('#qui0').inputValue(), 'fonction:dgs', 'the editor shows the stored steps');
	await choose('qui0', `personne:${OFFICIAL_A}`);
	await press('enregistrer-circuit');
	await page.locator('.flash.ok').waitFor();
	const v2 = JSON.parse(await h.psql(`SELECT circuits_json('${s.orgA}')::text`));
	assert.equal(v2[0].version, 2, 'an edit makes a new version');
	assert.equal(v2[0].steps[0].person.email, OFFICIAL_A);
	assert.equal(await journalActor('circuit.edited'), `person:${ORGADMIN}`);
	// back to the DGS (version 3) for the routing test
	await page.goto(`/admin/organisations/${s.orgA}/circuits?modifier=${v2[0].id}`);
	await choose('qui0', 'fonction:dgs');
	await press('enregistrer-circuit');
	await page.locator('.flash.ok').waitFor();

	// a second circuit with the same name: refused in French; then one retired
	await page.goto(`/admin/organisations/${s.orgA}/circuits`);
	await tabTo('c-name');
	await page.keyboard.type('deliberation');
	await choose('qui0', 'fonction:maire');
	await press('enregistrer-circuit');
	assert.match(await page.locator('.flash.error').textContent(), /a déjà un circuit de ce nom/);
	await tabTo('c-name');
	await page.keyboard.press('Control+A');
	await page.keyboard.type('essai');
	await press('enregistrer-circuit');
	await page.locator('.flash.ok').filter({ hasText: 'Circuit « essai » enregistré' }).waitFor();
	await press('retirer-circuit-essai');
	await page.locator('.flash.ok').filter({ hasText: 'Circuit retiré' }).waitFor();
	assert.equal(await h.psql("SELECT retired_at IS NOT NULL FROM circuit WHERE name = 'essai'"), 't');
	assert.equal(await journalActor('circuit.retired'), `person:${ORGADMIN}`);
	await ctx.close();
});

test('a routing rule added in the pages sends a posted délibération along the circuit', async () => {
	const { ctx, page } = await loggedIn(ORGADMIN);
	page.on('dialog', (d) => d.accept());                  // "Supprimer la règle … ?"
	await page.goto(`/admin/organisations/${s.orgA}/routage`);
	const table = page.locator('table');
	assert.match(await table.textContent(), /Acte, toutes les natures\s*Marie Ordonnatrice/, 'the rules set by the CLI are listed');
	// a nature for PES: refused with the reason, in French
	await page.getByLabel('Type de document').selectOption('pes');
	await page.getByLabel('Nature de l’acte').selectOption('3');
	await page.getByLabel('Vers').selectOption(`personne:${OFFICIAL_A}`);
	const refused = page.waitForResponse((r) => r.request().method() === 'POST');
	await page.getByRole('button', { name: 'Enregistrer la règle' }).click();
	assert.equal((await refused).status(), 422);
	assert.match(await page.locator('.flash.error').textContent(), /Règle refusée : Une nature ne précise que l’aiguillage des actes/);
	// délibérations (nature 1) along the circuit
	await page.getByLabel('Type de document').selectOption('acte');
	await page.getByLabel('Nature de l’acte').selectOption('1');
	await page.getByLabel('Vers').selectOption('circuit:deliberation');
	await page.getByRole('button', { name: 'Enregistrer la règle' }).click();
	await page.locator('.flash.ok').filter({ hasText: 'Règle enregistrée' }).waitFor();
	assert.match(await table.textContent(), /Acte, Délibérations\s*circuit « deliberation »/);
	assert.equal(await journalActor('routing.set', "AND detail->>'circuit' = 'deliberation'"), `person:${ORGADMIN}`);
	await accessibleAtAllWidths(page, 'admin aiguillage');

	const d = await s.a.postDocument(acteMeta(s.orgA, 'ROUTE01', { sign: true, transmit: false }), pdfFile(1500));
	assert.equal(d.status, 201, d.text);
	assert.deepEqual([d.json.circuit?.name, d.json.circuit?.step, d.json.assigned_to?.email], ['deliberation', 1, DGS]);
	const other = await s.a.postDocument(acteMeta(s.orgA, 'ROUTE02', { sign: true, transmit: false }, { nature: 3 }),
		pdfFile(1500));
	assert.equal(other.status, 201, other.text);
	assert.equal(other.json.assigned_to.email, OFFICIAL_A, 'other natures keep the rule of the kind');

	// removed: délibérations go back to the rule of the kind
	await page.getByRole('button', { name: 'Supprimer la règle Acte, Délibérations' }).click();
	await page.locator('.flash.ok').filter({ hasText: 'Règle supprimée' }).waitFor();
	assert.doesNotMatch(await table.textContent(), /deliberation/);
	assert.equal(await journalActor('routing.removed'), `person:${ORGADMIN}`);
	const again = await s.a.postDocument(acteMeta(s.orgA, 'ROUTE03', { sign: true, transmit: false }), pdfFile(1500));
	assert.equal(again.status, 201, again.text);
	assert.equal(again.json.circuit, null);
	assert.equal(again.json.assigned_to.email, OFFICIAL_A);
	// the same from the command line: a rule that is not there is one line on stderr
	const none = await h.cli(['routing', 'remove', '--org', s.orgA, '--kind', 'acte', '--nature', '1']);
	assert.notEqual(none.code, 0);
	assert.match(none.stderr.trim(), /^[^\n]*no routing rule for acte documents of nature 1[^\n]*$/);
	assert.match(await table.textContent(), /Document\s*Marie Ordonnatrice/);
	const cli = await h.cli(['routing', 'remove', '--org', s.orgA, '--kind', 'document']);
	assert.equal(cli.code, 0, cli.stderr);
	await page.reload();
	assert.doesNotMatch(await table.textContent(), /Document\s*Marie Ordonnatrice/);
	assert.equal(await journalActor('routing.removed', "AND detail->>'kind' = 'document'"), 'cli');
	await ctx.close();
});
