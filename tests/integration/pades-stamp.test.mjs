// Issue 15, point 4: the stamped act.  An arrêté signed in PAdES from the
// queue goes to @ctes as the signed PDF itself; when the simulator's ARActe
// comes back, liasse adds the "acte tamponné" (role acte_tamponne): the
// first page stamped "Envoyé en préfecture le", "Reçu en préfecture le",
// "ID : <IDActe>" in an incremental update, so that the signature still
// verifies (pdfsig) and covers the original revision (liasse verify).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { newHarness, acteMeta, fixture, skip, request, assertProblem, OFFICIAL_A, PASSWORD } from '../lib/harness.mjs';
import { requireStatesim, startStatesim, configureActes, makeTls, waitState, FAST } from './transmit-common.mjs';
import { makePki } from '../lib/pki.mjs';
import { makePdf, hostile } from '../lib/pdf.mjs';
import crypto from 'node:crypto';
import { have } from '../js/tools.mjs';

requireStatesim();
const xsd = fixture('parapheur-v5/xsd/actesv1_1.xsd');
if (!xsd)
	skip('ACTES XSD absent (LIASSE_FIXTURES)');
if (!have('pdfsig', ['-v']) || !have('pdftotext', ['-v']))
	skip('poppler-utils absent');
const h = newHarness('pades-stamp');
const PIN = 'capucine-2026';
let env, sim, tls, pki, off, work;

function run(cmd, args) {
	const r = spawnSync(cmd, args, { maxBuffer: 1 << 26 });
	return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

test.before(async () => {
	pki = await makePki();
	const trust = path.join(h.tmp, 'trust');
	fs.mkdirSync(trust, { recursive: true, mode: 0o755 });
	for (const f of fs.readdirSync(pki.trust))
		fs.copyFileSync(path.join(pki.trust, f), path.join(trust, f));
	env = await h.setup({ ...FAST, trust_dir: trust });
	work = fs.mkdtempSync(path.join(h.tmp, 'stamp-'));
	tls = makeTls(h);
	sim = await startStatesim(h, { tls, set: { 'actes.xsd': xsd } });
	await configureActes(h, env.orgA, sim, tls);
	assert.equal((await h.cli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' })).code, 0);
	const imp = await h.cli(['cert', 'import', OFFICIAL_A, pki.signer.p12], { input: pki.password + '\n' });
	assert.equal(imp.code, 0, imp.stderr);
	assert.equal((await h.cli(['cert', 'enrol', OFFICIAL_A], { input: `${imp.stdout.trim()}\n${PIN}\n` })).code, 0);
	off = await env.d.login(OFFICIAL_A);
});

test.after(async () => {
	sim.stop();
	await h.stopAll();
	await pki.cleanup();
});

let acked;     // the act of the first test, acknowledged: { id, signed }

test('a PAdES-signed act, acknowledged, comes back stamped with its signature intact', async () => {
	const numero = `P${process.pid % 1000}_1`;
	const meta = acteMeta(env.orgA, numero, { sign: true, transmit: true, signature_profile: 'pades' });
	const p = await env.a.postDocument(meta, { name: 'arrete.pdf', type: 'application/pdf', data: makePdf({ text: 'Arrete du maire' }) });
	assert.equal(p.status, 201, p.text);
	const s = await off.postJson('/api/v1/queue/sign', { documents: [p.json.id], pin: PIN });
	assert.equal(s.status, 200, s.text);
	assert.equal(s.json.results[0].status, 'signed', JSON.stringify(s.json));
	const done = await waitState(env.a, p.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const d = (await env.a.get(`/api/v1/documents/${p.json.id}`)).json;
	const get = async (role) => {
		const f = d.files.find((x) => x.role === role);
		assert.ok(f, `${role} in ${JSON.stringify(d.files.map((x) => x.role))}`);
		return (await env.a.get(f.href)).body;
	};
	const signed = await get('signed');
	const stamped = await get('acte_tamponne');
	acked = { id: p.json.id, signed, n: d.files.find((x) => x.role === 'acte_tamponne').id };
	const ack = (await get('ack')).toString('latin1');
	const id = ack.match(/IDActe="([^"]+)"/)[1];
	const [, y, m, dd] = ack.match(/DateReception="(\d{4})-(\d\d)-(\d\d)"/);
	assert.ok(stamped.subarray(0, signed.length).equals(signed), 'the signed revision is kept byte for byte');
	fs.writeFileSync(path.join(work, 'tampon.pdf'), stamped);
	const txt = run('pdftotext', ['-f', '1', '-l', '1', path.join(work, 'tampon.pdf'), '-']).stdout.replace(/\s+/g, ' ');
	assert.match(txt, /Envoyé en préfecture le \d\d\/\d\d\/20\d\d/);
	assert.ok(txt.includes(`Reçu en préfecture le ${dd}/${m}/${y}`), txt);
	assert.ok(txt.includes(`ID : ${id}`), txt);
	assert.match(id, new RegExp(`^045-214502494-\\d{8}-${numero}-[A-Z]{2}$`));
	const ps = run('pdfsig', ['-nocert', path.join(work, 'tampon.pdf')]).stdout;
	assert.match(ps, /Signature Validation: Signature is Valid\./, ps);
	assert.match(ps, /Not total document signed/);
	const v = JSON.parse((await h.cli(['verify', path.join(work, 'tampon.pdf'), '--trust', pki.trust, '--json'])).stdout);
	assert.equal(v.valid, true, JSON.stringify(v.checks));
	const mod = v.checks.find((c) => c.id === 'modified');
	assert.equal(mod.warning, true);
	assert.match(mod.reason_en, new RegExp(`covers the revision of bytes 0 to ${signed.length}`));
	// @ctes got the signed PDF itself, no separate PKCS#7.
	assert.ok(!d.files.find((x) => x.role === 'signature'));
	// The official's web page of the document lists it and serves it.
	const page = await off.get(`/documents/${p.json.id}`, { Cookie: off.cookie });
	assert.equal(page.status, 200);
	const html = page.body.toString('utf8');
	assert.match(html, /Acte tamponné/);
	const n = d.files.find((x) => x.role === 'acte_tamponne').id;
	const link = `/documents/${p.json.id}/fichiers/${n}`;
	assert.ok(html.includes(link), `the page links ${link}`);
	const web = await off.get(link, { Cookie: off.cookie });
	assert.equal(web.status, 200);
	assert.ok(Buffer.from(web.body).equals(stamped), 'the web page serves the stamped act');
});

// "Publié le": the vendor tells liasse the act's publication date; the
// stamped act is made again from the signed original (the same file number),
// the signature still valid and covering its revision.
const dmy = (iso) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
const putPub = (id, body) => request(env.a.url, { method: 'PUT', path: `/api/v1/documents/${id}/publication`,
	headers: env.a.headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body) });

test('the publication date: refused when wrong, then "Publié le" on the stamped act, signature intact', async () => {
	assert.ok(acked, 'the first test acknowledged an act');
	const id = acked.id;
	const today = new Date().toISOString().slice(0, 10);
	const before = (await env.a.get(`/api/v1/documents/${id}`)).json;
	assert.equal(before.publication_date, null);
	const tomorrow = new Date(Date.now() + 2 * 86400e3).toISOString().slice(0, 10);
	for (const [body, re] of [
		[{ date: '2020-01-01' }, /before the decision date/],
		[{ date: tomorrow }, /in the future/],
		[{ date: '06/12/2026' }, /YYYY-MM-DD/],
		[{ date: '2026-02-30' }, /YYYY-MM-DD/],
		[{}, /date must be a string/],
	]) {
		const r = await putPub(id, body);
		assertProblem(assert, r, { status: 422, field: 'date' });
		assert.match(`${r.json.title} ${r.json.detail || ''}`, re);
		assert.ok(r.json.hint, r.text);
	}
	// an act not acknowledged: 409; another client's or no document: 404
	const other = await env.a.postDocument(acteMeta(env.orgA, `P${process.pid % 1000}_2`, { sign: true, transmit: false }),
		{ name: 'a.pdf', type: 'application/pdf', data: makePdf() });
	assertProblem(assert, await putPub(other.json.id, { date: today }), { status: 409 });
	assertProblem(assert, await putPub('00000000-0000-4000-8000-000000000000', { date: today }), { status: 404 });
	assert.equal(await h.psql(`SELECT count(*) FROM journal WHERE action = 'document.published'`), '0', 'nothing recorded');

	const r = await putPub(id, { date: today });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.publication_date, today);
	const f = r.json.files.filter((x) => x.role === 'acte_tamponne');
	assert.equal(f.length, 1, 'the stamped act replaced, not a second one');
	assert.equal(f[0].id, acked.n, 'at the same file number (the same href)');
	const stamped = (await env.a.get(f[0].href)).body;
	assert.ok(stamped.subarray(0, acked.signed.length).equals(acked.signed), 'made from the signed original');
	fs.writeFileSync(path.join(work, 'publie.pdf'), stamped);
	const txt = run('pdftotext', ['-f', '1', '-l', '1', path.join(work, 'publie.pdf'), '-']).stdout.replace(/\s+/g, ' ');
	assert.ok(txt.includes(`Publié le ${dmy(today)}`), txt);
	assert.match(txt, /Reçu en préfecture le \d\d\/\d\d\/20\d\d/);
	assert.match(txt, /ID : 045-214502494-/);
	const ps = run('pdfsig', ['-nocert', path.join(work, 'publie.pdf')]).stdout;
	assert.match(ps, /Signature Validation: Signature is Valid\./, ps);
	assert.match(ps, /Not total document signed/);
	const v = JSON.parse((await h.cli(['verify', path.join(work, 'publie.pdf'), '--trust', pki.trust, '--json'])).stdout);
	assert.equal(v.valid, true, JSON.stringify(v.checks));
	assert.match(v.checks.find((c) => c.id === 'modified').reason_en,
		new RegExp(`covers the revision of bytes 0 to ${acked.signed.length}`));
	// journaled with the vendor as actor, one event document.published
	assert.equal(await h.psql(`SELECT actor FROM journal WHERE doc_id = '${id}' AND action = 'document.published'`),
		'client:vendor-a');
	let items = [];
	for (const t0 = Date.now(); !items.length && Date.now() - t0 < 60000;) {   // sealed within a second or so
		const feed = await env.a.get('/api/v1/events?after=0&limit=200');
		assert.equal(feed.status, 200, feed.text);
		items = feed.json.items.filter((x) => x.document === id && x.type === 'document.published');
		if (!items.length)
			await new Promise((res) => setTimeout(res, 200));
	}
	assert.equal(items.length, 1, 'one event document.published');
	assert.equal(items[0].state, 'acknowledged');
});

test('an agent gives the publication date on the act\'s page; a signer who is not an agent may not', async () => {
	assert.ok(acked, 'the first test acknowledged an act');
	const AGENT = 'agent-publication@saint-essai.test';
	await h.person({ email: AGENT, name: 'Paule Agente', password: PASSWORD, roles: [{ org: env.orgA, role: 'agent' }] });
	const post = (who, body) => request(env.d.url, { method: 'POST', path: `/documents/${acked.id}/publication`,
		headers: { Cookie: who.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
		body: Buffer.from(new URLSearchParams(body).toString()) });
	const page = async (who) => (await request(env.d.url, { path: `/documents/${acked.id}`, headers: { Cookie: who.cookie } })).text;
	const ag = await env.d.login(AGENT);
	assert.match(await page(ag), /Date de publication \(jj\/mm\/aaaa\)/);
	assert.doesNotMatch(await page(off), /Enregistrer la date/, 'the official is not offered the form');
	assert.equal((await post(off, { csrf: off.session.csrf, date: '01/01/2030' })).status, 403);
	const tomorrow = new Date(Date.now() + 2 * 86400e3).toISOString().slice(0, 10);
	let r = await post(ag, { csrf: ag.session.csrf, date: dmy(tomorrow) });
	assert.equal(r.status, 422, r.text);
	assert.match(r.text, /la date de publication ne peut pas être dans le futur/);
	r = await post(ag, { csrf: ag.session.csrf, date: '2020-13-01' });
	assert.equal(r.status, 422);
	assert.match(r.text, /s’écrit jj\/mm\/aaaa/);
	const today = new Date().toISOString().slice(0, 10);
	r = await post(ag, { csrf: ag.session.csrf, date: dmy(today) });
	assert.equal(r.status, 303, r.text);
	assert.equal(await h.psql(`SELECT actor FROM journal WHERE doc_id = '${acked.id}' AND action = 'document.published' ORDER BY id DESC LIMIT 1`),
		`person:${AGENT}`);
	const html = await page(ag);
	assert.ok(html.includes(`<dt>Publié le</dt><dd>${dmy(today)}</dd>`), 'the page shows the date');
	const d = (await env.a.get(`/api/v1/documents/${acked.id}`)).json;
	assert.equal(d.files.filter((x) => x.role === 'acte_tamponne').length, 1);
	const txt = spawnSync('pdftotext', ['-', '-'], { input: (await env.a.get(d.files.find((x) => x.role === 'acte_tamponne').href)).body,
		encoding: 'utf8' }).stdout;
	assert.ok(txt.includes(`Publié le ${dmy(today)}`), txt);
});

// The stamp of a large act goes from file to file as its signature did:
// liassed's peak from the signature to the stamped act (transmission
// included) stays under the PDF's size (it held the PDF and the stamped
// copy before: +149 MiB for 40 MiB).
test('a 40 MiB act with a 24 MiB annex signed, transmitted, acknowledged and stamped within less than the act\'s size of memory', async (t) => {
	const numero = `P${process.pid % 1000}_3`;
	const data = makePdf({ text: 'Gros arrete', padTo: 40 << 20 });
	const meta = acteMeta(env.orgA, numero, { sign: true, transmit: true, signature_profile: 'pades' });
	const annexData = makePdf({ text: 'Grosse annexe', padTo: 24 << 20 });     // stamped too, file to file
	const p = await env.a.postDocument(meta, { name: 'gros.pdf', type: 'application/pdf', data },
		[{ name: 'grosse-annexe.pdf', type: 'application/pdf', data: annexData }]);
	assert.equal(p.status, 201, p.text);
	// The peak from now: VmHWM back to the current RSS (clear_refs 5).
	const resetPeak = () => {
		try {
			fs.writeFileSync(`/proc/${env.d.pid}/clear_refs`, '5');
		} catch { /* the peak since the start counts then */ }
		return env.d.procStatus('VmHWM');
	};
	let base = resetPeak();
	const s = await off.postJson('/api/v1/queue/sign', { documents: [p.json.id], pin: PIN });
	assert.equal(s.json.results[0].status, 'signed', JSON.stringify(s.json));
	const signPeak = env.d.procStatus('VmHWM') - base;
	base = resetPeak();      // the transmission and the stamp, apart
	const done = await waitState(env.a, p.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	let d;
	for (let i = 0; i < 600; i++) {     // the stamp is made with the acknowledgement
		d = (await env.a.get(`/api/v1/documents/${p.json.id}`)).json;
		if (d.files.find((x) => x.role === 'acte_tamponne') && d.files.find((x) => x.role === 'annexe_tamponnee'))
			break;
		await new Promise((r) => setTimeout(r, 100));
	}
	const stampPeak = env.d.procStatus('VmHWM') - base;
	t.diagnostic(`liassed's peak: signature +${signPeak} kB, transmission and stamp +${stampPeak} kB ` +
		`(PDF ${data.length} bytes, annex ${annexData.length} bytes)`);
	// The signature's own bound is pades-large.test.mjs's (64 MiB: its peak
	// includes the PIN's 32 MiB scrypt); this one holds it to twice less
	// than before, where it held the PDF twice.
	assert.ok(signPeak * 1024 < 2 * data.length, `signature: +${signPeak} kB for a ${data.length}-byte PDF`);
	assert.ok(stampPeak * 1024 < data.length, `transmission and stamp: +${stampPeak} kB for a ${data.length}-byte PDF`);
	const f = d.files.find((x) => x.role === 'acte_tamponne');
	assert.ok(f, JSON.stringify(d.files.map((x) => x.role)));
	const stamped = (await env.a.get(f.href)).body;
	assert.ok(stamped.length > data.length);
	fs.writeFileSync(path.join(work, 'gros-tampon.pdf'), stamped);
	const ps = run('pdfsig', ['-nocert', path.join(work, 'gros-tampon.pdf')]).stdout;
	assert.match(ps, /Signature Validation: Signature is Valid\./, ps);
	const txt = run('pdftotext', ['-f', '1', '-l', '1', path.join(work, 'gros-tampon.pdf'), '-']).stdout;
	assert.match(txt.replace(/\s+/g, ' '), /Reçu en préfecture le \d\d\/\d\d\/20\d\d/);
	const a = d.files.find((x) => x.role === 'annexe_tamponnee');
	assert.equal(a.stamps, d.files.find((x) => x.role === 'annexe').id);
	const annexStamped = (await env.a.get(a.href)).body;
	assert.ok(annexStamped.subarray(0, annexData.length).equals(annexData), 'the annex\'s bytes first');
	const atxt = spawnSync('pdftotext', ['-f', '1', '-l', '1', '-', '-'], { input: annexStamped, encoding: 'utf8' }).stdout;
	assert.match(atxt.replace(/\s+/g, ' '), /Reçu en préfecture le \d\d\/\d\d\/20\d\d/);
});

// The annexes, as S²LOW stamps them (ActesIncludedFile::sendFile(): every
// PDF of the act with tampon=true): each PDF annex gets its stamped copy
// (role annexe_tamponnee, "stamps" the annex's file id) beside the
// original, untouched; a PNG annex is not stamped; a PDF annex MuPDF
// cannot open is logged and skipped, the acknowledgement recorded all the
// same; the publication date stamps them again in place.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

test('the PDF annexes stamped beside the originals; a PNG annex and a PDF MuPDF refuses are not', async () => {
	const numero = `P${process.pid % 1000}_4`;
	const posted = {
		'plan.pdf': makePdf({ text: 'Plan de situation', pages: 2 }),
		'photo.png': PNG,
		'avis.pdf': makePdf({ text: 'Avis du service' }),
		'casse.pdf': hostile.malformed(),
	};
	const type = (n) => (n.endsWith('.png') ? 'image/png' : 'application/pdf');
	const p = await env.a.postDocument(acteMeta(env.orgA, numero, { sign: false, transmit: true }),
		{ name: 'deliberation.pdf', type: 'application/pdf', data: makePdf({ text: 'Deliberation' }) },
		Object.entries(posted).map(([name, data]) => ({ name, type: type(name), data })));
	assert.equal(p.status, 201, p.text);
	const done = await waitState(env.a, p.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const d = (await env.a.get(`/api/v1/documents/${p.json.id}`)).json;
	const ack = (await env.a.get(d.files.find((x) => x.role === 'ack').href)).body.toString('latin1');
	const idActe = ack.match(/IDActe="([^"]+)"/)[1];
	const [, y, m, dd] = ack.match(/DateReception="(\d{4})-(\d\d)-(\d\d)"/);
	const annex = (name) => d.files.find((x) => x.role === 'annexe' && x.name === name);
	const stampOf = (f) => d.files.filter((x) => x.role === 'annexe_tamponnee' && x.stamps === f.id);
	assert.equal(d.files.find((x) => x.role === 'acte_tamponne').stamps, d.files.find((x) => x.role === 'main').id);
	assert.equal(d.files.filter((x) => x.role === 'annexe_tamponnee').length, 2, JSON.stringify(d.files));
	for (const name of ['plan.pdf', 'avis.pdf']) {
		const a = annex(name);
		const [st] = stampOf(a);
		assert.ok(st, `${name} has its stamped copy: ${JSON.stringify(d.files)}`);
		assert.equal(st.name, name.replace('.pdf', '-tamponne.pdf'));
		assert.equal(st.media_type, 'application/pdf');
		assert.ok(st.id > a.id);
		const orig = (await env.a.get(a.href)).body;
		assert.equal(sha(orig), sha(posted[name]), `${name} as posted`);
		assert.equal(a.sha256, sha(posted[name]));
		const stamped = (await env.a.get(st.href)).body;
		assert.ok(stamped.subarray(0, orig.length).equals(orig), `${name}: an incremental update over the annex`);
		const txt = spawnSync('pdftotext', ['-f', '1', '-l', '1', '-', '-'], { input: stamped, encoding: 'utf8' })
			.stdout.replace(/\s+/g, ' ');
		assert.ok(txt.includes(`Reçu en préfecture le ${dd}/${m}/${y}`), txt);
		assert.ok(txt.includes(`ID : ${idActe}`), txt);
		assert.match(txt, /Envoyé en préfecture le \d\d\/\d\d\/20\d\d/);
		assert.ok(txt.includes(name === 'plan.pdf' ? 'Plan de situation page 1' : 'Avis du service page 1'), txt);
	}
	// the PNG is not stamped, the PDF MuPDF cannot read is skipped (logged)
	assert.deepEqual(stampOf(annex('photo.png')), []);
	assert.deepEqual(stampOf(annex('casse.pdf')), []);
	assert.equal(sha((await env.a.get(annex('casse.pdf').href)).body), sha(posted['casse.pdf']));
	for (let i = 0; i < 100 && !env.d.logs().includes('(casse.pdf) not stamped'); i++)
		await new Promise((r) => setTimeout(r, 100));
	assert.match(env.d.logs(), new RegExp(`doc=${p.json.id}: file ${annex('casse.pdf').id} \\(casse\\.pdf\\) not stamped`));
	// the act's page lists them beside the stamped act
	const AGENT = 'agent-annexes@saint-essai.test';
	await h.person({ email: AGENT, name: 'Anne Agente', password: PASSWORD, roles: [{ org: env.orgA, role: 'agent' }] });
	const html = (await request(env.d.url, { path: `/documents/${p.json.id}`,
		headers: { Cookie: (await env.d.login(AGENT)).cookie } })).text;
	const items = [...html.matchAll(/<li>([^:<]+) : <a href="[^"]+\/fichiers\/(\d+)">([^<]+)<\/a>/g)].map((x) => [x[1], x[3]]);
	assert.deepEqual(items.slice(-3), [['Acte tamponné (reçu en préfecture)', 'deliberation-tamponne.pdf'],
		['Annexe tamponnée (reçue en préfecture)', 'plan-tamponne.pdf'],
		['Annexe tamponnée (reçue en préfecture)', 'avis-tamponne.pdf']], html);
	// the publication date: the annexes stamped again, in place, with "Publié le"
	const today = new Date().toISOString().slice(0, 10);
	const r = await putPub(p.json.id, { date: today });
	assert.equal(r.status, 200, r.text);
	for (const name of ['plan.pdf', 'avis.pdf']) {
		const st = r.json.files.filter((x) => x.role === 'annexe_tamponnee' && x.stamps === annex(name).id);
		assert.equal(st.length, 1);
		assert.equal(st[0].id, stampOf(annex(name))[0].id, 'replaced at the same number');
		const txt = spawnSync('pdftotext', ['-f', '1', '-l', '1', '-', '-'], { input: (await env.a.get(st[0].href)).body,
			encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
		assert.ok(txt.includes(`Publié le ${dmy(today)}`), txt);
		assert.ok(txt.includes(`ID : ${idActe}`), txt);
	}
	assert.equal(r.json.files.length, d.files.length, 'nothing added');
});
