// Signing from the queue: a batch of 100 PES signed in one action with one
// PIN, each result verified on its own by the independent verifier
// (tests/js/verify-xades.mjs); two sessions signing the same documents at
// once sign each once; per-document refusals (unknown, not yours) do not
// fail the batch; delegation is recorded "par délégation de"; actes get a
// detached CMS, generic documents a detached XAdES B-B; with transmission
// wanted the document is queued with a transmit job.  Groups are recorded
// set-based, with the journal entries and events of the one-by-one path, and
// a group that cannot be recorded at once falls back to one document at a
// time, so that one bad document does not fail the others.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	newHarness, docMeta, acteMeta, pdfFile, pesFile, OFFICIAL_A, OFFICIAL_B, PASSWORD,
} from '../lib/harness.mjs';
import { makePki } from '../lib/pki.mjs';

let V = null;
try {
	V = await import('../js/verify-xades.mjs');
} catch (e) {
	if (!(e.code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package/.test(e.message)))
		throw e;
}
const { cmsVerify } = await import('../js/tools.mjs');

const h = newHarness('queue-sign');
const PIN = 'tulipe-2026';
const DELEGATE = 'adjoint@saint-essai.test';
let s, pki, offA, offB, deleg;

async function enrol(email, p12) {
	await h.enrol(email, p12, pki.password, PIN);
}

async function postPes(n, extra = {}) {
	const meta = { kind: 'pes', organisation: s.orgA, title: `PES ${n}`, transmit: false, ...extra };
	const r = await s.a.postDocument(meta, pesFile(`BATCH${String(n).padStart(4, '0')}${extra.transmit ? 'T' : ''}`));
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.state, 'pending_signature');
	return r.json.id;
}

async function fileOf(id, role) {
	const d = await s.a.get(`/api/v1/documents/${id}`);
	assert.equal(d.status, 200, d.text);
	const f = d.json.files.find((x) => x.role === role);
	assert.ok(f, `document ${id} has a ${role} file: ${JSON.stringify(d.json.files)}`);
	const r = await s.a.get(f.href);
	assert.equal(r.status, 200);
	return { doc: d.json, file: f, bytes: r.body };
}

const sign = (who, ids, pin = PIN) => who.postJson('/api/v1/queue/sign', { documents: ids, pin });
// A group is recorded set-based; PostgreSQL's log says when it fell back to
// one document at a time (sign_finish_many, functions/50_certificate.sql).
const fellBack = () => /one by one now/.test(fs.readFileSync(path.join(h.tmp, 'postgres.log'), 'latin1'));

before(async () => {
	s = await h.setup();
	pki = await makePki();
	for (const e of [OFFICIAL_A, OFFICIAL_B])
		assert.equal((await h.cli(['person', 'passwd', e], { input: PASSWORD + '\n' })).code, 0);
	await h.person({ email: DELEGATE, name: 'Jean Adjoint', password: PASSWORD,
		roles: [{ org: s.orgA, role: 'signer', function: 'adjoint' }] });
	await enrol(OFFICIAL_A, pki.signer.p12);
	await enrol(OFFICIAL_B, pki.signer2.p12);
	await enrol(DELEGATE, pki.signer2.p12);
	offA = await s.d.login(OFFICIAL_A);
	offB = await s.d.login(OFFICIAL_B);
	deleg = await s.d.login(DELEGATE);
});

after(async () => {
	await h.stopAll();
	if (pki)
		await pki.cleanup();
});

describe('a batch of 100 PES', { skip: !pesFile() && 'fixtures absent' }, () => {
	test('signed in one action, each verified independently', { skip: !V && 'tests/node_modules missing' }, async () => {
		const ids = [];
		for (let i = 0; i < 100; i++)
			ids.push(await postPes(i));
		const t0 = Date.now();
		const r = await sign(offA, ids);
		const ms = Date.now() - t0;
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.results.length, 100);
		assert.equal(r.json.signed, 100);
		for (const [i, res] of r.json.results.entries()) {
			assert.equal(res.id, ids[i]);
			assert.equal(res.status, 'signed', JSON.stringify(res));
			assert.equal(res.state, 'signed');
		}
		console.log(`# 100 PES signed through POST /api/v1/queue/sign in ${ms} ms`);
		// One PIN derivation for the batch: one reservation, cleared.
		assert.equal(await h.psql(`SELECT pin_failures FROM certificate WHERE person_id =
			(SELECT id FROM person WHERE email = '${OFFICIAL_A}')`), '0');
		for (const id of ids) {
			const { doc, file, bytes } = await fileOf(id, 'signed');
			assert.equal(doc.state, 'signed');
			assert.equal(doc.signature.by.email, OFFICIAL_A);
			assert.equal(doc.signature.on_behalf_of, null);
			assert.equal(file.name, 'pes_aller.xml');
			assert.match(bytes.subarray(0, 60).toString('latin1'), /encoding="ISO-8859-1"/);
			const v = V.verifyXades(bytes, { trust: [pki.trust], requireSha256: true, requireExcC14n: true });
			assert.equal(v.error, null, v.error);
			assert.equal(v.signatures.length, 1);
			const sig = v.signatures[0];
			assert.ok(sig.valid, sig.checks.filter((c) => c.status === 'fail').map((c) => `${c.check}: ${c.reason}`).join('; '));
			const role = sig.checks.find((c) => c.check === 'claimed-role');
			assert.equal(role.status, 'pass');
			assert.match(role.reason, /Maire/);
			const place = sig.checks.find((c) => c.check === 'production-place');
			assert.match(place.reason, /City=Orléans PostalCode=45000/);
		}
		const journal = await h.psql(`SELECT count(*) FROM journal WHERE action = 'document.signed'
			AND actor = 'person:${OFFICIAL_A}' AND doc_id = ANY('{${ids.join(',')}}'::uuid[])`);
		assert.equal(journal, '100');
		// Recorded set-based, with the entries and events of the one-by-one path.
		assert.equal(fellBack(), false, 'the batch was recorded one document at a time');
		const detail = JSON.parse(await h.psql(`SELECT detail - 'certificate' FROM journal
			WHERE action = 'document.signed' AND doc_id = '${ids[42]}'`));
		assert.deepEqual(detail, { from: 'pending_signature', event: 'sign', reason: null, file: 1,
			profile: 'pes-xades-epes', file_role: 'signed', signed_by: OFFICIAL_A });
		const events = await h.psql(`SELECT count(*) FROM event WHERE state = 'signed'
			AND doc_id = ANY('{${ids.join(',')}}'::uuid[])`);
		assert.equal(events, '100');
	});
});

describe('recording a group', { skip: !pesFile() && 'fixtures absent' }, () => {
	test('a document that cannot be recorded does not fail the others', async () => {
		const ids = [await postPes(300), await postPes(301), await postPes(302)];
		await h.psql(`SELECT document_apply('${ids[1]}', 'reject', 'test')`);
		const out = await h.psql(`SELECT string_agg(f.ord || ':' || coalesce(f.state, '') || ':' ||
			coalesce(f.code, ''), ',' ORDER BY f.ord) FROM person p, LATERAL sign_finish_many(p.id,
			'person:${OFFICIAL_A}', (SELECT jsonb_agg(jsonb_build_object('id', x.id, 'for', p.id,
				'role', 'signed', 'name', 'x.xml', 'media_type', 'application/xml') ORDER BY x.o)
			 FROM unnest('{${ids.join(',')}}'::uuid[]) WITH ORDINALITY x(id, o)),
			ARRAY[convert_to('a', 'UTF8'), convert_to('b', 'UTF8'), convert_to('c', 'UTF8')]) f
			WHERE p.email = '${OFFICIAL_A}'`);
		assert.equal(out, '1:signed:,2::LQ409,3:signed:');
		assert.equal(fellBack(), true);
		const journal = await h.psql(`SELECT string_agg(action, ',' ORDER BY doc_id = '${ids[2]}', id)
			FROM journal WHERE doc_id IN ('${ids[0]}', '${ids[2]}') AND action = 'document.signed'`);
		assert.equal(journal, 'document.signed,document.signed');
	});
});

describe('concurrency', { skip: !pesFile() && 'fixtures absent' }, () => {
	test('two sessions signing the same documents at once sign each once', async () => {
		const ids = [];
		for (let i = 0; i < 20; i++)
			ids.push(await postPes(200 + i));
		const other = await s.d.login(OFFICIAL_A);
		const [r1, r2] = await Promise.all([sign(offA, ids), sign(other, [...ids].reverse())]);
		assert.equal(r1.status, 200, r1.text);
		assert.equal(r2.status, 200, r2.text);
		for (const id of ids) {
			const a = r1.json.results.find((x) => x.id === id);
			const b = r2.json.results.find((x) => x.id === id);
			const won = [a, b].filter((x) => x.status === 'signed');
			assert.equal(won.length, 1, `${id}: ${JSON.stringify([a, b])}`);
			const lost = [a, b].find((x) => x.status !== 'signed');
			assert.equal(lost.problem.status, 409);
			assert.match(lost.problem.title, /already signed/);
		}
		assert.equal(r1.json.signed + r2.json.signed, 20);
		const files = await h.psql(`SELECT count(*) FROM document_file WHERE role = 'signed'
			AND doc_id = ANY('{${ids.join(',')}}'::uuid[])`);
		assert.equal(files, '20');
		const journal = await h.psql(`SELECT count(*) FROM journal WHERE action = 'document.signed'
			AND doc_id = ANY('{${ids.join(',')}}'::uuid[])`);
		assert.equal(journal, '20');
	});
});

describe('per-document results', () => {
	test('unknown, foreign and already signed documents do not fail the batch', async () => {
		const mine = (await s.a.postDocument(docMeta(s.orgA), pdfFile(2500, 'c.pdf'))).json.id;
		const theirs = (await s.b.postDocument(docMeta(s.orgB), pdfFile(2500, 'd.pdf'))).json.id;
		const r = await sign(offA, [mine, theirs, '00000000-0000-4000-8000-000000000000', 'pas-un-id', mine]);
		assert.equal(r.status, 200, r.text);
		const st = r.json.results.map((x) => x.status === 'signed' ? 'signed' : x.problem.status);
		assert.deepEqual(st, ['signed', 404, 404, 404, 409]);
		assert.equal(await h.psql(`SELECT state FROM document WHERE id = '${theirs}'`), 'pending_signature');
		// B's official sees the document B's vendor sent, A's does not.
		const rb = await sign(offB, [theirs]);
		assert.equal(rb.json.results[0].status, 'signed', rb.text);
	});

	test('a document in the queue of another official of the same organisation: 403', async () => {
		const id = (await s.a.postDocument(docMeta(s.orgA, { signer: 'adjoint' }), pdfFile(2500, 'e.pdf'))).json.id;
		const r = await sign(offA, [id]);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.results[0].status, 'error');
		assert.ok([403, 404].includes(r.json.results[0].problem.status), r.text);
		const ok = await sign(deleg, [id]);
		assert.equal(ok.json.results[0].status, 'signed', ok.text);
	});

	test('the request is checked: no documents, no PIN', async () => {
		assert.equal((await offA.postJson('/api/v1/queue/sign', { documents: [], pin: PIN })).status, 422);
		assert.equal((await offA.postJson('/api/v1/queue/sign', { documents: ['x'] })).status, 422);
		assert.equal((await s.a.postJson('/api/v1/queue/sign', { documents: ['x'], pin: PIN })).status, 401);
	});
});

describe('profiles and delegation', () => {
	test('acte: detached CMS that openssl verifies over the PDF', async () => {
		const pdf = pdfFile(4000, 'deliberation.pdf');
		const r = await s.a.postDocument(acteMeta(s.orgA, 'DEL2026_001', { sign: true, transmit: false }), pdf);
		assert.equal(r.status, 201, r.text);
		const sr = await sign(offA, [r.json.id]);
		assert.equal(sr.json.results[0].status, 'signed', sr.text);
		const { file, bytes } = await fileOf(r.json.id, 'signature');
		assert.equal(file.name, 'deliberation.pdf.p7s');
		assert.equal(file.media_type, 'application/pkcs7-signature');
		const dir = fs.mkdtempSync(path.join(h.tmp, 'cms-'));
		fs.writeFileSync(path.join(dir, 'sig.p7s'), bytes);
		fs.writeFileSync(path.join(dir, 'data.pdf'), pdf.data);
		const v = cmsVerify(path.join(dir, 'sig.p7s'), path.join(dir, 'data.pdf'), { caFile: pki.chain, inform: 'DER' });
		assert.ok(v.ok, v.out);
	});

	test('document: detached XAdES B-B over the PDF', { skip: !V && 'tests/node_modules missing' }, async () => {
		const pdf = pdfFile(5000, 'convention.pdf');
		const id = (await s.a.postDocument(docMeta(s.orgA), pdf)).json.id;
		const sr = await sign(offA, [id]);
		assert.equal(sr.json.results[0].status, 'signed', sr.text);
		const { doc, file, bytes } = await fileOf(id, 'signature');
		assert.equal(doc.state, 'signed');
		assert.equal(file.name, 'convention.pdf.xades.xml');
		const v = V.verifyXades(bytes, { trust: [pki.trust], data: pdf.data, profile: 'xades' });
		assert.ok(v.valid, JSON.stringify(v.signatures.map((x) => x.checks.filter((c) => c.status === 'fail'))));
	});

	test('document: enveloped XAdES for XML when the metadata asks', { skip: !V && 'tests/node_modules missing' }, async () => {
		const xml = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<deliberation xmlns="urn:example:liasse"><objet>Budget</objet></deliberation>\n');
		const r = await s.a.postDocument(docMeta(s.orgA, { title: 'XML' }),
			{ name: 'deliberation.xml', type: 'application/xml', data: xml });
		assert.equal(r.status, 201, r.text);
		// The upload API has no field for it yet: the option is set as the
		// vendor's metadata would carry it.
		await h.psql(`UPDATE document SET meta = '{"signature": "enveloped"}' WHERE id = '${r.json.id}'`);
		const sr = await sign(offA, [r.json.id]);
		assert.equal(sr.json.results[0].status, 'signed', sr.text);
		const { file, bytes } = await fileOf(r.json.id, 'signed');
		assert.equal(file.name, 'deliberation.xml');
		const v = V.verifyXades(bytes, { trust: [pki.trust], profile: 'xades' });
		assert.ok(v.valid, JSON.stringify(v.signatures.map((x) => x.checks.filter((c) => c.status === 'fail'))));
		assert.match(bytes.toString(), /<objet>Budget<\/objet>.*<ds:Signature/s);
	});

	test('under delegation: signed by the delegate for the delegator, journaled "par délégation de"', async () => {
		const r = await h.cli(['delegation', 'add', '--from', OFFICIAL_A, '--to', DELEGATE,
			'--ends', new Date(Date.now() + 86400e3).toISOString()]);
		assert.equal(r.code, 0, r.stderr);
		const id = (await s.a.postDocument(docMeta(s.orgA, { title: 'Arrêté' }), pdfFile(2500, 'f.pdf'))).json.id;
		const sr = await sign(deleg, [id]);
		assert.equal(sr.json.results[0].status, 'signed', sr.text);
		const d = await s.a.get(`/api/v1/documents/${id}`);
		assert.equal(d.json.signature.by.email, DELEGATE);
		assert.equal(d.json.signature.on_behalf_of.email, OFFICIAL_A);
		const detail = await h.psql(`SELECT detail->>'delegation' FROM journal
			WHERE action = 'document.signed' AND doc_id = '${id}'`);
		assert.equal(detail, 'par délégation de Marie Ordonnatrice');
	});

	test('transmission wanted: signed, then queued with a transmit job', { skip: !pesFile() && 'fixtures absent' }, async () => {
		const id = await postPes(900, { transmit: true });
		const sr = await sign(offA, [id]);
		assert.equal(sr.json.results[0].status, 'signed', sr.text);
		assert.equal(sr.json.results[0].state, 'queued');
		assert.equal(await h.psql(`SELECT count(*) FROM job WHERE kind = 'transmit' AND doc_id = '${id}'`), '1');
		const acts = await h.psql(`SELECT string_agg(action, ',' ORDER BY id) FROM journal WHERE doc_id = '${id}'`);
		assert.match(acts, /document\.signed,document\.queued/);
	});
});
