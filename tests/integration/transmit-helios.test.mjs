// Hélios end to end: liassed + liasse-statesim (FTP) + PostgreSQL.  A PES
// to transmit goes out as PESALR2_<SIREN>_<yymmdd>_<nnn>.xml after the SITE
// commands, the PES_Acquit comes back from the response directory and the
// document is acknowledged (or refused with the acquit's reason; or
// acknowledged with the refused PJ in its warnings); every simulator fault
// ends with the file received exactly once, or failed.  The simulator
// writes EtatAck as true/false (an xs:boolean, like 1/0).
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, pesFile, pesFor, ORG_B, fixture, skip, sleep, download } from '../lib/harness.mjs';
import { requireStatesim, startStatesim, configureHelios, waitState, FAST } from './transmit-common.mjs';

requireStatesim();
if (!pesFile())
	skip('PES fixture absent (LIASSE_FIXTURES)');
const h = newHarness('transmit-helios');
let env, sim, n = 0;

async function postPes(client, file) {
	n++;
	const nomfic = `liasse-helios-${process.pid}-${n}`;
	const meta = { kind: 'pes', organisation: env.orgA, title: `Bordereaux ${n}`, sign: false, transmit: true };
	const r = await client.postDocument(meta, file || pesFile(nomfic));
	assert.equal(r.status, 201, r.text);
	return r.json;
}

async function transmission(id) {
	const row = await h.psql(`SELECT state, sends, remote_name, coalesce(last_error, '') FROM transmission WHERE doc_id = '${id}'`);
	const [state, sends, name, error] = row.split('|');
	return { state, sends: Number(sends), name, error };
}

test.before(async () => {
	env = await h.setup(FAST);
	sim = await startStatesim(h, { set: { 'helios.p_dest': 'DGFIP-TEST', 'helios.p_appli': 'GHELPES2',
		'helios.booleans': 'words' },
		pesXsd: fixture('parapheur-v5/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd') || undefined });
	await configureHelios(h, env.orgA, sim);
});

test.after(async () => {
	sim.stop();
	await h.stopAll();
});

test('liasse connector test reaches the Hélios gateway without sending anything', async () => {
	const r = await h.cli(['connector', 'test', '--org', env.orgA]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /helios: ok/);
	assert.deepEqual((await sim.counts()).helios || {}, {});
	const bad = await h.cli(['connector', 'test', '--org', env.orgB]);
	assert.notEqual(bad.code, 0, 'an organisation without connector fails the test');
});

test('a PES goes out with the SITE commands, its PES_Acquit acknowledges it', async () => {
	const doc = await postPes(env.a);
	assert.equal(doc.state, 'queued');
	const done = await waitState(env.a, doc.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const t = await transmission(doc.id);
	// The counter zero-padded to three digits (S²LOW's FichierCompteur): the first is 001.
	assert.match(t.name, new RegExp(`^PESALR2_${env.orgA}_\\d{6}_001\\.xml$`));
	assert.equal(t.sends, 1);
	const counts = await sim.counts();
	assert.equal(counts.helios[t.name], 1, JSON.stringify(counts));
	const log = fs.readFileSync(path.join(h.tmp, 'statesim.log'), 'utf8');
	assert.match(log, new RegExp(`${t.name} received \\(P_DEST DGFIP-TEST, P_APPLI GHELPES2, P_MSG PES#123#034000#12\\)`));
	const ack = done.files.find((f) => f.role === 'ack');
	assert.ok(ack, `the acquit is a file of the document: ${JSON.stringify(done.files)}`);
	assert.equal(ack.name, `ACK_${t.name}`);
	const d = await download(env.d.url, env.keyA, ack.href);
	assert.equal(d.status, 200);
	assert.equal(d.sha256, ack.sha256);
	// Once collected (committed), the acquit is deleted from the response directory.
	const onDisk = path.join(sim.dir, 'helios', 'retour', ack.name);
	for (let i = 0; i < 60 && fs.existsSync(onDisk); i++)
		await sleep(500);
	assert.ok(!fs.existsSync(onDisk), `${ack.name} deleted from the response directory`);
	// The vendor of the other organisation sees none of it.
	assert.equal((await env.b.get(`/api/v1/documents/${doc.id}`)).status, 404);
	// The counter only grows: the next file gets the next number.
	const doc2 = await postPes(env.a);
	await waitState(env.a, doc2.id, 'acknowledged');
	const t2 = await transmission(doc2.id);
	assert.equal(Number(t2.name.split('_')[3].split('.')[0]), Number(t.name.split('_')[3].split('.')[0]) + 1);
});

test('an acquit with EtatAck 0 refuses the document with its reason', async () => {
	// IdBord over the XSD's limit (as in s2low's pes_aller.xml): liasse only
	// warns, the gateway's XSD check refuses it.
	const ok = pesFile(`liasse-ko-${process.pid}`);
	const data = Buffer.from(ok.data.toString('latin1').replace('<IdBord V="12345"/>',
		'<IdBord V="1093357910"/>'), 'latin1');
	const doc = await postPes(env.a, { name: 'pes_ko.xml', type: 'application/xml', data });
	const done = await waitState(env.a, doc.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'refused', JSON.stringify(done));
	const t = await transmission(doc.id);
	assert.equal((await sim.counts())['helios.ack_ko'][t.name], 1, 'the gateway wrote a KO acquit');
	assert.match(done.reason, /^DomaineAck 0 \(Technique\) EtatAck false: ERREUR_AUTRE Erreur de validation XSD/);
	assert.ok(done.files.find((f) => f.role === 'anomaly'), 'the KO acquit is a file of the document');
});

test('a PJ refused alone (partial acceptance): acknowledged, the refused PJ in the warnings', async () => {
	// pes_aller_ok.xml with two PJ; the gateway refuses the second (empty
	// file, RefCompta domain 02 in a dépense file) and takes the rest.
	const pj = ([id, content, domaine]) => `<PJ><Contenu><Fichier MIMEType="application/pdf">${content}</Fichier></Contenu>` +
		`<IdUnique V="${id}"/><NomPJ V="${id}.pdf"/><Description V="Facture ${id}"/><RefCompta><Domaine V="${domaine}"/>` +
		'<Exercice V="2009"/><TypeObjet V="01"/><Identifiant V="12345"/></RefCompta></PJ>';
	const base = pesFile(`liasse-pj-${process.pid}`);
	const data = Buffer.from(base.data.toString('latin1').replace('</EnTetePES_PJ>',
		`</EnTetePES_PJ>${pj(['PJOK1', 'SGVsbG8=', '01'])}${pj(['PJKO2', '', '02'])}`), 'latin1');
	const doc = await postPes(env.a, { name: 'pes_pj.xml', type: 'application/xml', data });
	const done = await waitState(env.a, doc.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	const t = await transmission(doc.id);
	assert.equal((await sim.counts())['helios.ack_partial'][t.name], 1, 'the gateway refused a PJ');
	const refused = done.warnings.filter((w) => w.startsWith('PES_Acquit:'));
	assert.deepEqual(refused, ['PES_Acquit: DomaineAck 4 (PJ) EtatAck false, PJ PJKO2: ERREUR_PJ PJ rejetée : ' +
		'fichier vide | ERREUR_PJ PJ rejetée : RefCompta/Domaine 02, ce flux n\'accepte que 01'], JSON.stringify(done.warnings));
	assert.ok(done.files.find((f) => f.role === 'ack' && f.name === `ACK_${t.name}`), 'the acquit is its ack');
});

for (const [mode, expect] of [['500', 'acknowledged'], ['cut', 'acknowledged'], ['hang', 'acknowledged'],
	['delay_ack', 'acknowledged'], ['refuse', 'failed']]) {
	test(`fault ${mode}: ${expect}, the file received ${expect === 'failed' ? 'never' : 'exactly once'}`, async () => {
		await sim.fault('helios', mode, 1, mode === 'delay_ack' ? 2 : undefined);
		const doc = await postPes(env.a);
		const done = await waitState(env.a, doc.id, ['acknowledged', 'refused', 'failed'], 120000);
		assert.equal(done.state, expect, JSON.stringify(done));
		const t = await transmission(doc.id);
		const counts = await sim.counts();
		if (expect === 'failed') {
			assert.equal((counts.helios || {})[t.name], undefined);
			assert.match(done.reason, /553/, 'the reason says what the gateway answered');
		} else {
			assert.equal(counts.helios[t.name], 1, `${t.name} received once: ${JSON.stringify(counts)}`);
		}
		if (mode === 'cut' || mode === 'hang')
			assert.equal(t.sends, 2, 'sent again only after reconciliation');
		if (mode === '500')
			assert.equal(t.sends, 2, 'a refused STOR (451) is tried again');
	});
}

test('a wrong P_DEST is refused by the gateway: failed with the reason, nothing received', async () => {
	await configureHelios(h, env.orgA, sim, { p_dest: 'NOWHERE' });
	try {
		const doc = await postPes(env.a);
		const done = await waitState(env.a, doc.id, ['acknowledged', 'refused', 'failed'], 120000);
		assert.equal(done.state, 'failed');
		assert.match(done.reason, /refused|501/);
	} finally {
		await configureHelios(h, env.orgA, sim);
	}
});

test('without a connector the PES waits in queued; "connector set" sends it', async () => {
	const src = fixture('s2low/helios/fixtures/pes_aller.xml');   // organisation B's CodCol, not its IdColl
	if (!src)
		return;
	const data = Buffer.from(fs.readFileSync(src).toString('latin1').replace('<IdBord V="1093357910"/>',
		'<IdBord V="12345"/>').replace(/NomFic V="[^"]*"/, `NomFic V="liasse-parked-${process.pid}"`), 'latin1');
	const r = await env.b.postDocument({ kind: 'pes', organisation: env.orgB, title: 'En attente', sign: false,
		transmit: true }, pesFor({ name: 'pes.xml', type: 'application/xml', data }, ORG_B));
	assert.equal(r.status, 201, r.text);
	// Parked by document_create() itself, in the creating transaction: the
	// note the transmit job wrote, and no job (it would only have written it).
	assert.equal((await env.b.get(`/api/v1/documents/${r.json.id}`)).json.state, 'queued');
	assert.equal(await h.psql(`SELECT connector || ': ' || last_error FROM transmission WHERE doc_id = '${r.json.id}'`),
		'helios: no helios connector for this organisation [connector]: a document of kind "pes" goes'
		+ ` through one of: s2low, helios (hint: configure one: liasse connector set --org ${env.orgB} --kind helios url=...)`);
	assert.equal(await h.psql(`SELECT count(*) FROM job WHERE doc_id = '${r.json.id}'`), '0',
		'no job, so no retry loop, while no connector is configured');
	await configureHelios(h, env.orgB, sim);
	const done = await waitState(env.b, r.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
});

test('a crash after the upload, before it was recorded: reconciled, not sent again', async () => {
	const doc = await postPes(env.a);
	await waitState(env.a, doc.id, 'acknowledged');
	const t = await transmission(doc.id);
	// What a kill -9 between the upload and the commit leaves behind.
	await h.psql(`UPDATE transmission SET state = 'sending', holder_pid = 1, holder_start = now(),
		sending_since = now() WHERE doc_id = '${doc.id}';
		UPDATE document SET state = 'transmitting' WHERE id = '${doc.id}';
		INSERT INTO job (kind, doc_id, run_at) VALUES ('transmit', '${doc.id}', now() + interval '1 hour')`);
	await sleep(500);
	await waitState(env.a, doc.id, 'transmitted', 120000);
	const after = await transmission(doc.id);
	assert.equal(after.sends, t.sends, 'not sent again: the acquit proves the gateway has it');
	assert.equal((await sim.counts()).helios[t.name], 1);
});

test('a PES_Retour in the response directory reaches the vendor as a return of the organisation', async () => {
	const src = fixture('s2low/helios/fixtures/pes_retour.xml');
	if (!src)
		return;
	// Read every second even when no acquit is awaited (default 900 s).
	await configureHelios(h, env.orgA, sim, { retour_interval: '1' });
	// The fixture's IdColl (SIRET 12345678900035) made organisation A's; the
	// response directory is shared with B, whose poll must leave it alone.
	const bytes = Buffer.from(fs.readFileSync(src).toString('latin1').replace('<IdColl V="12345678900035"/>',
		`<IdColl V="${env.orgA}00011"/>`), 'latin1');
	const name = `PES_RETOUR_${process.pid}.xml`, retour = path.join(sim.dir, 'helios', 'retour');
	fs.writeFileSync(path.join(sim.dir, name), bytes);
	fs.renameSync(path.join(sim.dir, name), path.join(retour, name));   // whole, at once
	const base = `/api/v1/organisations/${env.orgA}/returns`;
	let item;
	for (let i = 0; i < 120 && !item; i++) {
		const r = await env.a.get(base);
		assert.equal(r.status, 200, r.text);
		item = r.json.items.find((x) => x.name === name);
		if (!item)
			await sleep(250);
	}
	assert.ok(item, `${name} listed in ${base}`);
	assert.equal(item.kind, 'PES_Retour');
	assert.equal(item.sha256, crypto.createHash('sha256').update(bytes).digest('hex'));
	const d = await download(env.d.url, env.keyA, item.href);
	assert.equal(d.status, 200);
	assert.equal(d.sha256, item.sha256, 'the bytes Hélios wrote');
	// Vendor A's feed tells of it.
	let ev;
	for (let i = 0; i < 40 && !ev; i++) {
		ev = (await env.a.get('/api/v1/events?after=0&limit=500')).json.items.find((x) => x.type === 'organisation.return' &&
			x.return && x.return.name === name);
		if (!ev)
			await sleep(250);
	}
	assert.ok(ev, 'an organisation.return event in the feed');
	assert.equal(ev.organisation, env.orgA);
	assert.equal(ev.document, null);
	assert.equal(ev.return.href, item.href);
	// Another vendor sees nothing of it.
	assert.equal((await env.b.get(base)).status, 404);
	assert.equal((await download(env.d.url, env.keyB, item.href)).status, 404);
	assert.ok(!(await env.b.get('/api/v1/events?after=0&limit=500')).json.items.some((x) => x.type === 'organisation.return'));
	// Collected once, then deleted from the response directory like an acquit.
	for (let i = 0; i < 60 && fs.existsSync(path.join(retour, name)); i++)
		await sleep(250);
	assert.ok(!fs.existsSync(path.join(retour, name)), `${name} deleted from the response directory`);
	assert.equal(await h.psql(`SELECT o.siren FROM org_return r JOIN organisation o ON o.id = r.org_id
		WHERE r.name = '${name}'`), env.orgA, 'one return, of organisation A');
});
