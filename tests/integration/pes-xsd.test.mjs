// XSD deviations of a PES become warnings the agent can read, never refusals:
// a background job validates the stored file against the official schema.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { newHarness, fixture, skip, sleep, pesFor, ORG_A } from '../lib/harness.mjs';

const xsd = fixture('parapheur-v5/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd');
const deviant = fixture('s2low/helios/fixtures/pes_aller.xml');     // IdBord of 10 digits
const clean = fixture('s2low/helios/fixtures/pes_aller_ok.xml');
if (!xsd || !deviant || !clean)
	skip('fixtures absent');

const h = newHarness('pes-xsd');

function pes(path, nomfic) {
	const text = fs.readFileSync(path).toString('latin1')
		.replace(/<NomFic V="[^"]*"/, `<NomFic V="${nomfic}"`);
	// Organisation A's header (pes_aller.xml carries CodCol 400 and CodBud 01).
	return pesFor({ name: 'pes.xml', type: 'application/xml', data: Buffer.from(text, 'latin1') }, ORG_A);
}

async function jobDone(id) {
	for (let i = 0; i < 100; i++) {
		const n = await h.psql(`SELECT count(*) FROM job WHERE doc_id = '${id}' AND kind = 'pes.xsd' AND done_at IS NOT NULL`);
		if (n === '1')
			return;
		await sleep(100);
	}
	throw new Error(`the XSD job of ${id} never finished`);
}

describe('PES XSD check in the background', () => {
	let s;

	before(async () => { s = await h.setup({ pes_xsd: xsd, workers: 2 }); });
	after(() => h.stopAll());

	it('a deviating PES is accepted, then carries the schema deviation as a warning', async () => {
		const r = await s.a.postDocument({ kind: 'pes', organisation: s.orgA, title: 'Mandats' },
			pes(deviant, 'XSDDEV001'));
		assert.equal(r.status, 201, r.text);
		assert.deepEqual(r.json.warnings, [], 'no warning yet at the door');
		await jobDone(r.json.id);
		const d = await s.a.get(`/api/v1/documents/${r.json.id}`);
		assert.equal(d.json.state, 'pending_signature');
		assert.equal(d.json.warnings.length, 1, JSON.stringify(d.json.warnings));
		assert.match(d.json.warnings[0], /IdBord.*1093357910.*totalDigits|IdBord.*totalDigits.*1093357910/);
		// In French for the agent (element, line, what was expected), libxml2's text beside it.
		assert.match(d.json.warnings[0], /^XSD, ligne 52, élément « IdBord », attribut V : la valeur « 1093357910 » a trop de chiffres : 7 au plus\. \[libxml2, line 52: Element 'IdBord', attribute 'V': \[facet 'totalDigits'\]/);
		assert.ok(d.json.updated_at > r.json.updated_at, 'the change shows in updated_at');
	});

	it('a PES that follows the schema gets no warning', async () => {
		const r = await s.a.postDocument({ kind: 'pes', organisation: s.orgA, title: 'Mandats' },
			pes(clean, 'XSDOK0001'));
		assert.equal(r.status, 201, r.text);
		await jobDone(r.json.id);
		const d = await s.a.get(`/api/v1/documents/${r.json.id}`);
		assert.deepEqual(d.json.warnings, []);
	});

	it('liassed refuses to start with a schema it cannot load, saying which key', async () => {
		await assert.rejects(h.startLiassed({ pes_xsd: '/nonexistent/PES_Aller.xsd' }),
			/exited \(1\) before listening:[\s\S]*cannot load the PES schema[\s\S]*pes_xsd/);
	});
});
