// Issue 15: the organisation's logo in the visible PAdES block.  Set through
// the admin API (PUT/GET/DELETE /api/v1/admin/organisations/{siren}/logo)
// and the CLI (liasse org set --logo/--no-logo), checked at the door by
// MuPDF (a real PNG or JPEG, 512 KiB, 2048 pixels a side).  A signature of
// an organisation with a logo is checked by verifiers liasse did not write
// (pdfsig, openssl cms over the ByteRange), the block rendered by pdftoppm
// (the logo's red where it was placed) and read by pdftotext.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { newHarness, acteMeta, siren, ORG_A, OFFICIAL_A, PASSWORD, request, assertProblem, multipart } from '../lib/harness.mjs';
import { makePki } from '../lib/pki.mjs';
import { makePdf } from '../lib/pdf.mjs';
import { png } from '../lib/png.mjs';
import { cmsVerify, have } from '../js/tools.mjs';

const h = newHarness('pades-logo');
const PIN = 'pivoine-2026';
const POPPLER = have('pdfsig', ['-v']) && have('pdftotext', ['-v']) && have('pdftoppm', ['-v']);
let s, pki, work, off, ops;

const w = (name) => path.join(work, name);

function run(cmd, args) {
	const r = spawnSync(cmd, args, { maxBuffer: 1 << 26 });
	return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

// Pixels of page 1 rendered at 72 dpi (100 %) inside box (points from the
// bottom left) for which pred(r, g, b) holds.
function pixels(file, box, pred) {
	const base = w(`rgb-${path.basename(file)}`);
	const r = run('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', file, base]);
	assert.equal(r.code, 0, r.stderr);
	const ppm = fs.readFileSync(fs.readdirSync(work).filter((f) => f.startsWith(path.basename(base)) &&
		f.endsWith('.ppm')).map((f) => path.join(work, f))[0]);
	const [, W, H] = ppm.toString('latin1', 0, 40).match(/^P6\s+(\d+)\s+(\d+)\s+255\s/).map(Number);
	const o = ppm.length - W * H * 3;
	let n = 0;
	for (let y = H - box.y - box.h; y < H - box.y; y++)
		for (let x = box.x; x < box.x + box.w; x++) {
			const i = o + 3 * (y * W + x);
			n += pred(ppm[i], ppm[i + 1], ppm[i + 2]) ? 1 : 0;
		}
	return n;
}
const red = (r, g, b) => r > 200 && g < 60 && b < 60;
const blue = (r, g, b) => r < 60 && g < 60 && b > 200;
const dark = (r, g, b) => r < 110 && g < 110 && b < 110;

const LOGO = (siren) => `/api/v1/admin/organisations/${siren}/logo`;
const put = (who, siren, body, type = 'image/png') => request(who.url, { method: 'PUT', path: LOGO(siren),
	headers: who.headers({ 'Content-Type': type, 'Content-Length': body.length }), body });

before(async () => {
	pki = await makePki();
	// pg_stat_statements: the statements that read org_logo, counted by PostgreSQL
	s = await h.setup({}, { pg: { settings: { shared_preload_libraries: 'pg_stat_statements' } } });
	await h.psql('CREATE EXTENSION pg_stat_statements');
	work = fs.mkdtempSync(path.join(h.tmp, 'logo-'));
	assert.equal((await h.cli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' })).code, 0);
	await h.enrol(OFFICIAL_A, pki.signer.p12, pki.password, PIN);
	off = await s.d.login(OFFICIAL_A);
	await h.person({ email: 'ops-logo@logo.test', name: 'Ops', password: PASSWORD, operator: true });
	ops = await s.d.login('ops-logo@logo.test');
});

after(async () => {
	await h.stopAll();
	if (pki)
		await pki.cleanup();
});

describe('the logo through the admin API', () => {
	test('PUT a PNG, GET it back, the journal says who; an official may not', async () => {
		const img = png(60, 30, [255, 0, 0]);
		let r = await put(ops, s.orgA, img);
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json, { organisation: s.orgA, media_type: 'image/png', width: 60, height: 30, size: img.length });
		r = await ops.get(LOGO(s.orgA));
		assert.equal(r.status, 200);
		assert.equal(r.headers['content-type'], 'image/png');
		assert.ok(Buffer.from(r.body).equals(img));
		assert.equal(await h.psql(`SELECT actor FROM journal WHERE action = 'organisation.logo' ORDER BY id DESC LIMIT 1`),
			'person:ops-logo@logo.test');
		assertProblem(assert, await put(off, s.orgA, img), { status: 403 });
		assertProblem(assert, await ops.get(LOGO(s.orgB)), { status: 404, detail: /no logo/ });
	});

	test('refusals: not an image, too big, a corrupt PNG, too many pixels (422, nothing stored)', async () => {
		const before = await h.psql(`SELECT encode(sha256, 'hex') FROM org_logo`);
		const good = png(40, 40, [0, 0, 255]);
		const corrupt = Buffer.from(good);
		const idat = corrupt.indexOf('IDAT') + 4;
		corrupt.fill(0x55, idat + 2, idat + 12);   // the deflate stream broken (its CRC left wrong too)
		const big = Buffer.concat([png(8, 8, [1, 2, 3]), Buffer.alloc(600 * 1024, 7)]);
		const cases = [
			[Buffer.from('GIF89a, or rather some text'), /not a PNG or JPEG image/],
			[big, /more than 512 KiB/],
			[corrupt, /cannot be decoded|damaged/],
			[png(3000, 2, [0, 0, 0]), /3000 x 2 pixels, more than 2048/],
			[Buffer.alloc(0), /no body/],
		];
		for (const [body, re] of cases) {
			const r = await put(ops, s.orgA, body);
			assertProblem(assert, r, { status: 422, field: 'logo' });
			assert.match(r.json.title + ' ' + (r.json.detail || ''), re);
			assert.ok(r.json.hint, r.text);
		}
		assert.equal(await h.psql(`SELECT encode(sha256, 'hex') FROM org_logo`), before, 'nothing stored');
		// the largest taken: 2048 pixels a side, decoded within MuPDF's memory cap
		const t0 = Date.now();
		const r = await put(ops, s.orgA, png(2048, 2048, [0, 128, 0]));
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.width, 2048);
		console.log(`# PUT of a 2048 x 2048 PNG: ${Date.now() - t0} ms`);
	});
});

describe('the logo in the PAdES block', { skip: !POPPLER && 'poppler-utils absent' }, () => {
	test('a signature of an organisation with a red logo: valid for pdfsig and openssl cms, red in the block, text readable', async () => {
		assert.equal((await put(ops, s.orgA, png(60, 30, [255, 0, 0]))).status, 200);
		const meta = acteMeta(s.orgA, 'LOGO2026_1', { sign: true, transmit: false,
			signature_profile: 'pades', signature_position: { page: 1, x: 200, y: 50 } });
		const p = await s.a.postDocument(meta, { name: 'arrete.pdf', type: 'application/pdf', data: makePdf({ text: 'Arrete du maire' }) });
		assert.equal(p.status, 201, p.text);
		const r = await off.postJson('/api/v1/queue/sign', { documents: [p.json.id], pin: PIN });
		assert.equal(r.json.results[0].status, 'signed', JSON.stringify(r.json));
		const d = await s.a.get(`/api/v1/documents/${p.json.id}`);
		const f = d.json.files.find((x) => x.role === 'signed');
		fs.writeFileSync(w('logo.pdf'), (await s.a.get(f.href)).body);
		const ps = run('pdfsig', ['-nocert', w('logo.pdf')]).stdout;
		assert.match(ps, /Signature Validation: Signature is Valid\./, ps);
		assert.match(ps, /Total document signed/, ps);
		// openssl cms over the ByteRange's bytes
		const pdf = fs.readFileSync(w('logo.pdf'));
		const [, a, b, c, e] = pdf.toString('latin1').match(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/).map(Number);
		fs.writeFileSync(w('logo.der'), Buffer.from(pdf.toString('latin1', b + 1, c - 1), 'hex'));
		fs.writeFileSync(w('logo.bin'), Buffer.concat([pdf.subarray(a, b), pdf.subarray(c, c + e)]));
		const v = cmsVerify(w('logo.der'), w('logo.bin'), { caFile: pki.chain, inform: 'DER' });
		assert.ok(v.ok, v.out);
		// The logo (2:1) at the block's left, 54 points high: 108 x 54 from (200, 50).
		const inLogo = pixels(w('logo.pdf'), { x: 202, y: 52, w: 104, h: 50 }, red);
		assert.ok(inLogo > 104 * 50 * 0.9, `red pixels where the logo is: ${inLogo}`);
		assert.equal(pixels(w('logo.pdf'), { x: 312, y: 50, w: 250, h: 54 }, red), 0, 'no red over the text');
		assert.ok(pixels(w('logo.pdf'), { x: 312, y: 50, w: 256, h: 54 }, dark) > 200, 'the text is drawn beside it');
		assert.equal(pixels(w('logo.pdf'), { x: 0, y: 200, w: 590, h: 300 }, red), 0, 'red nowhere else');
		const txt = run('pdftotext', [w('logo.pdf'), '-']).stdout.replace(/\s+/g, ' ');
		assert.match(txt, /Signé par Jeanne Martin, Maire de .*, le \d\d\/\d\d\/20\d\d à \d\d:\d\d/);
	});

	test('without a logo the block is as before (no red)', async () => {
		assert.equal((await ops.delete(LOGO(s.orgA))).status, 204);
		assertProblem(assert, await ops.get(LOGO(s.orgA)), { status: 404 });
		assertProblem(assert, await ops.delete(LOGO(s.orgA)), { status: 404 });
		const meta = acteMeta(s.orgA, 'LOGO2026_2', { sign: true, transmit: false,
			signature_profile: 'pades', signature_position: { page: 1, x: 200, y: 50 } });
		const p = await s.a.postDocument(meta, { name: 'a.pdf', type: 'application/pdf', data: makePdf() });
		const r = await off.postJson('/api/v1/queue/sign', { documents: [p.json.id], pin: PIN });
		assert.equal(r.json.results[0].status, 'signed', JSON.stringify(r.json));
		const d = await s.a.get(`/api/v1/documents/${p.json.id}`);
		fs.writeFileSync(w('nologo.pdf'), (await s.a.get(d.json.files.find((x) => x.role === 'signed').href)).body);
		assert.equal(pixels(w('nologo.pdf'), { x: 200, y: 50, w: 260, h: 54 }, red), 0);
		assert.ok(pixels(w('nologo.pdf'), { x: 200, y: 50, w: 260, h: 54 }, dark) > 200);
	});
});

// One signing batch of documents of two organisations, each with its logo:
// every signed PDF shows its organisation's, and PostgreSQL counted one
// statement reading org_logo per organisation, not one per document.
describe('the logo in a signing batch', { skip: !POPPLER && 'poppler-utils absent' }, () => {
	test('13 PAdES documents of two organisations: each with its logo, the logos read once each', async () => {
		const orgC = await h.addOrg(siren('21450099'), { name: 'Commune de Logo-sur-Loire',
			departement: ORG_A.departement, arrondissement: 1, natureActes: 3, city: 'Orléans', postalCode: '45000' });
		const c = s.d.client(await h.addClient('vendor-logo', [orgC]));
		await h.mustCli(['role', 'add', OFFICIAL_A, '--org', orgC, '--role', 'signer', '--function', 'maire']);
		await h.mustCli(['routing', 'add', '--org', orgC, '--kind', 'acte', '--person', OFFICIAL_A]);
		assert.equal((await put(ops, s.orgA, png(60, 30, [255, 0, 0]))).status, 200);
		assert.equal((await put(ops, orgC, png(60, 30, [0, 0, 255]))).status, 200);
		const docs = [];
		for (let i = 0; i < 13; i++) {
			const [client, org, colour] = i % 4 === 3 ? [c, orgC, blue] : [s.a, s.orgA, red];
			const meta = acteMeta(org, `LOGOBATCH_${i}`, { sign: true, transmit: false,
				signature_profile: 'pades', signature_position: { page: 1, x: 200, y: 50 } });
			const p = await client.postDocument(meta, { name: `b${i}.pdf`, type: 'application/pdf', data: makePdf({ text: `Arrete ${i}` }) });
			assert.equal(p.status, 201, p.text);
			docs.push({ id: p.json.id, client, org, colour });
		}
		await h.psql('SELECT pg_stat_statements_reset()');
		const r = await off.postJson('/api/v1/queue/sign', { documents: docs.map((d) => d.id), pin: PIN });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json.results.map((x) => x.status), docs.map(() => 'signed'), r.text);
		const reads = await h.psql(`SELECT coalesce(sum(calls), 0) || ' ' || coalesce(sum(rows), 0)
			FROM pg_stat_statements WHERE query ~* '^\\s*select' AND query ~ 'org_logo'
			AND query !~ 'pg_stat_statements'`);
		console.log(`# statements reading org_logo in a batch of ${docs.length} documents of 2 organisations: ${reads}`);
		assert.equal(reads, '2 2', 'one read of each organisation\'s logo (calls, rows)');
		for (const [i, d] of docs.entries()) {
			const f = (await d.client.get(`/api/v1/documents/${d.id}`)).json.files.find((x) => x.role === 'signed');
			fs.writeFileSync(w(`batch${i}.pdf`), (await d.client.get(f.href)).body);
			const other = d.colour === red ? blue : red;
			const inLogo = pixels(w(`batch${i}.pdf`), { x: 202, y: 52, w: 104, h: 50 }, d.colour);
			assert.ok(inLogo > 104 * 50 * 0.9, `document ${i} (${d.org}): its logo's pixels ${inLogo}`);
			assert.equal(pixels(w(`batch${i}.pdf`), { x: 0, y: 0, w: 590, h: 800 }, other), 0,
				`document ${i}: not the other organisation's logo`);
		}
		const ps = run('pdfsig', ['-nocert', w('batch12.pdf')]).stdout;
		assert.match(ps, /Signature Validation: Signature is Valid\./, ps);
	});
});

describe('liasse org set --logo / --no-logo', () => {
	test('a JPEG is taken, --no-logo removes it; refusals are one line on stderr', async () => {
		fs.writeFileSync(w('p.pdf'), makePdf({ text: 'JPEG' }));
		if (have('pdftoppm', ['-v'])) {
			assert.equal(run('pdftoppm', ['-r', '20', '-jpeg', '-singlefile', w('p.pdf'), w('logo')]).code, 0);
			const r = await h.cli(['org', 'set', s.orgA, '--logo', w('logo.jpg')]);
			assert.equal(r.code, 0, r.stderr);
			const g = await ops.get(LOGO(s.orgA));
			assert.equal(g.status, 200);
			assert.equal(g.headers['content-type'], 'image/jpeg');
			assert.ok(Buffer.from(g.body).equals(fs.readFileSync(w('logo.jpg'))));
		}
		fs.writeFileSync(w('not.png'), 'not an image at all');
		let r = await h.cli(['org', 'set', s.orgA, '--logo', w('not.png')]);
		assert.equal(r.code, 1);
		assert.match(r.stderr, /^liasse: the logo is not a PNG or JPEG image.*\n$/);
		assert.equal(r.stderr.split('\n').length, 2, 'one line');
		fs.writeFileSync(w('big.png'), Buffer.concat([png(8, 8, [1, 2, 3]), Buffer.alloc(700000, 9)]));
		r = await h.cli(['org', 'set', s.orgA, '--logo', w('big.png')]);
		assert.equal(r.code, 1);
		assert.match(r.stderr, /^liasse: the logo is 700\d\d\d bytes, more than 512 KiB.*\n$/);
		r = await h.cli(['org', 'set', s.orgA, '--logo', w('absent.png')]);
		assert.equal(r.code, 1);
		assert.match(r.stderr, /^liasse: cannot open .*absent\.png.*\n$/);
		r = await h.cli(['org', 'set', s.orgA, '--no-logo']);
		assert.equal(r.code, 0, r.stderr);
		assertProblem(assert, await ops.get(LOGO(s.orgA)), { status: 404 });
		r = await h.cli(['org', 'set', s.orgA, '--no-logo']);
		assert.equal(r.code, 1);
		assert.match(r.stderr, /^liasse: the organisation \d+ has no logo.*\n$/);
		r = await h.cli(['org', 'set', s.orgA, '--logo', w('not.png'), '--no-logo']);
		assert.equal(r.code, 2);
	});
});

describe('the logo on the organisation\'s admin page', () => {
	test('a file input; a PNG taken, a text file refused in French, the logo removed', async () => {
		const ADMIN = 'admin-logo@saint-essai.test';
		await h.person({ email: ADMIN, name: 'Alix Admin', password: PASSWORD, roles: [{ org: s.orgA, role: 'org_admin' }] });
		const adm = await s.d.login(ADMIN);
		const P = `/admin/organisations/${s.orgA}/logo`;
		const get = (p) => request(s.d.url, { path: p, headers: { Cookie: adm.cookie } });
		const post = (parts) => {
			const mp = multipart(parts);
			return request(s.d.url, { method: 'POST', path: P, headers: { Cookie: adm.cookie,
				'Content-Type': mp.contentType, 'Content-Length': mp.body.length }, body: mp.body });
		};
		let r = await get(P);
		assert.equal(r.status, 200, r.text);
		assert.match(r.text, /<input type="file" id="logo" name="logo" accept="image\/png,image\/jpeg" required>/);
		assert.match(r.text, /enctype="multipart\/form-data"/);
		const img = png(120, 40, [255, 0, 0]);
		r = await post([{ name: 'csrf', data: adm.session.csrf },
			{ name: 'logo', filename: 'logo.png', type: 'image/png', data: img }]);
		assert.equal(r.status, 200, r.text);
		assert.match(r.text, /Logo enregistré/);
		assert.match(r.text, /image\/png, 120 × 40 pixels/);
		r = await get(`${P}/image`);
		assert.equal(r.status, 200);
		assert.equal(r.headers['content-type'], 'image/png');
		assert.ok(Buffer.from(r.body).equals(img));
		r = await post([{ name: 'csrf', data: adm.session.csrf },
			{ name: 'logo', filename: 'logo.png', type: 'image/png', data: Buffer.from('pas une image') }]);
		assert.equal(r.status, 422, r.text);
		assert.match(r.text, /Refusé : ce fichier n’est pas une image PNG ou JPEG\./);
		r = await post([{ name: 'csrf', data: adm.session.csrf },
			{ name: 'logo', filename: 'gros.png', type: 'image/png', data: Buffer.concat([img, Buffer.alloc(600 * 1024)]) }]);
		assert.equal(r.status, 422, r.text);
		assert.match(r.text, /Refusé : l’image dépasse 512 Kio/);
		assert.ok(Buffer.from((await ops.get(LOGO(s.orgA))).body).equals(img), 'the refused files changed nothing');
		r = await post([{ name: 'logo', filename: 'logo.png', type: 'image/png', data: img }]);
		assert.equal(r.status, 403, 'no CSRF token');
		r = await post([{ name: 'csrf', data: adm.session.csrf }, { name: 'op', data: 'retirer' }]);
		assert.equal(r.status, 200, r.text);
		assert.match(r.text, /Logo retiré/);
		assertProblem(assert, await ops.get(LOGO(s.orgA)), { status: 404 });
		// another organisation's page: refused
		assert.equal((await get(`/admin/organisations/${s.orgB}/logo`)).status, 403);
	});
});
