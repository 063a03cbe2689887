// POST /api/v1/verify: the verification report of a signed file, over HTTP,
// with the trust anchors the operator configured (here the real AC ADULLACT
// certificates of the s2low fixtures, copied into the test's temp dir).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, fixture, skip, multipart, assertProblem } from '../lib/harness.mjs';

const good = fixture('s2low/lib/fixtures/signature_bordereau2.xml');
const tampered = fixture('s2low/lib/fixtures/signature_bordereau.xml');
const users = fixture('s2low/lib/fixtures/validca/AC_ADULLACT_Utilisateurs_G3.pem');
const root = fixture('s2low/lib/fixtures/validca_for_xades/AC_ADULLACT_ROOT_G3.pem');
if (!good || !tampered || !users || !root)
	skip('fixtures absent');

const h = newHarness('api-verify');

function post(client, parts) {
	const mp = multipart(parts);
	return client.post('/api/v1/verify', mp.body, { 'Content-Type': mp.contentType });
}

describe('POST /api/v1/verify', () => {
	let s;

	before(async () => {
		const trust = path.join(h.tmp, 'trust');
		fs.mkdirSync(trust, { mode: 0o755 });
		fs.copyFileSync(users, path.join(trust, 'users.pem'));
		fs.copyFileSync(root, path.join(trust, 'root.pem'));
		s = await h.setup({ trust_dir: trust });
	});
	after(() => h.stopAll());

	it('a valid XAdES 1.2.2 bordereau signature is reported valid, check by check', async () => {
		const r = await post(s.a, [{ name: 'file', filename: 'pes.xml', type: 'application/xml',
			data: fs.readFileSync(good) }]);
		assert.equal(r.status, 200, r.text);
		assert.match(r.headers['content-type'], /^application\/json/);
		assert.equal(r.json.valid, true, r.text);
		assert.ok(r.json.checks.length >= 5, 'the checks are listed');
		for (const c of r.json.checks) {
			assert.equal(c.ok, true, JSON.stringify(c));
			assert.ok(c.reason_fr && c.reason_en, 'each check explains itself in French and English');
		}
		assert.ok(r.json.checks.some((c) => c.id === 'chain'), 'the chain to the configured anchors is checked');
		assert.ok(r.json.checks.some((c) => c.id === 'coverage' && c.ok), 'every bordereau is covered');
	});

	it('a signature that does not verify is reported invalid with the failing check', async () => {
		const r = await post(s.a, [{ name: 'file', filename: 'pes.xml', type: 'application/xml',
			data: fs.readFileSync(tampered) }]);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.valid, false);
		const failed = r.json.checks.filter((c) => !c.ok);
		assert.ok(failed.length > 0 && failed.some((c) => c.id === 'core'), r.text);
	});

	// Signature wrapping: the signed bordereau still verifies, but what Hélios
	// would also read is not covered (the unit test test_sign builds the same
	// cases from a PES liasse signs itself, and the moved-bordereau case).
	const forged = '<Bordereau Id="BORD999999"><BlocBordereau><MtBordHT V="99999.99"/></BlocBordereau></Bordereau>';
	for (const [what, edit, reasons] of [
		['an extra unsigned bordereau (MtBordHT 99999.99)',
			(t) => t.replace('</PES_DepenseAller>', `${forged}</PES_DepenseAller>`),
			[/bordereau 2 \(Id BORD999999\) is not signed/]],
		['an extra unsigned PES_DepenseAller block',
			(t) => t.replace('</PES_DepenseAller>', `</PES_DepenseAller><PES_DepenseAller>${forged}</PES_DepenseAller>`),
			[/block PES_DepenseAller no\. 2 holds no signed bordereau/, /bordereau 2 \(Id BORD999999\) is not signed/]],
	]) {
		it(`${what}: invalid, the coverage check names it`, async () => {
			const data = Buffer.from(edit(fs.readFileSync(good).toString('latin1')), 'latin1');
			const r = await post(s.a, [{ name: 'file', filename: 'pes.xml', type: 'application/xml', data }]);
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.valid, false, r.text);
			assert.ok(r.json.signatures.every((g) => g.valid), 'the signature itself still verifies');
			const failed = r.json.checks.filter((c) => !c.ok);
			assert.ok(failed.every((c) => c.id === 'coverage'), r.text);
			for (const re of reasons)
				assert.ok(failed.some((c) => re.test(c.reason_en) && c.reason_fr), `${re}: ${r.text}`);
		});
	}

	it('bad requests get problems: no file, wrong content type, no key', async () => {
		assertProblem(assert, await post(s.a, [{ name: 'data', filename: 'x.pdf', data: '%PDF-' }]),
			{ status: 422, field: 'file' });
		assertProblem(assert, await s.a.post('/api/v1/verify', Buffer.from('{}'),
			{ 'Content-Type': 'application/json' }), { status: 415 });
		const anon = await s.d.client(null).post('/api/v1/verify', Buffer.from('x'),
			{ 'Content-Type': 'text/plain' });
		assertProblem(assert, anon, { status: 401 });
	});
});
