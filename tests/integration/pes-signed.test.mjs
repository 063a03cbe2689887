// Already-signed PES at the door (issue 12, point 2): the signatures a PES
// carries are verified when it arrives, the report is stored in the
// document's "pes" object, and the file's state decides: fully signed ->
// transmit only (asking to sign is a 422), partly signed -> the official
// signs the unsigned bordereaux only, broken -> a warning, refused when a
// transmission is asked or nothing is left to sign.  InfoDematerialisee must
// agree with the signatures when the file is transmitted as it came.
// Every signed PES of ../shared/fixtures in a table, plus files signed here
// by `liasse sign` (the test PKI).  Skips when the fixtures are absent.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, fixturesDir, pesFile, assertProblem, assertSameCounts, OFFICIAL_A, PASSWORD }
	from '../lib/harness.mjs';
import { makePki } from '../lib/pki.mjs';

const present = fs.existsSync(path.join(fixturesDir, 's2low/lib/fixtures/signature_bordereau2.xml'));
const h = newHarness('pes-signed');
const PIN = 'muguet-2026';
const LIB = 's2low/lib/fixtures';

// The organisation of the 2015 Adullact/S²LOW files (their header).
const ORG_C = { idcoll: '24800053100058', codcol: '119', idpost: '080007', codbud: '50' };

// Each real signed file: its state at the door and the answer per request
// (default = the kind's defaults, sign+transmit; 'sign' = sign only;
// 'transmit' = transmit only; 'signTransmit' = sign: true asked explicitly).
// A string is the field of the 422; 201 an acceptance.
const BROKEN = { default: 'pes.signatures', sign: 'pes.signatures', transmit: 'pes.signatures' };
const TABLE = [
	[`${LIB}/signature_bordereau2.xml`, 'A', 'full', { default: 'pes.infodematerialisee',
		transmit: 'pes.infodematerialisee', signTransmit: 'metadata.sign', sign: 'metadata.sign' }],
	[`${LIB}/signature_bordereau_double.xml`, 'A', 'full', { default: 'pes.infodematerialisee',
		transmit: 'pes.infodematerialisee', signTransmit: 'metadata.sign', sign: 'metadata.sign' }],
	[`${LIB}/signature_bordereau.xml`, 'C', 'broken', BROKEN],
	[`${LIB}/plusieurs_signatures.xml`, 'C', 'broken', BROKEN],
	['s2low/class/fixtures/pes_signe_bordereau.xml', 'C', 'broken', BROKEN],
	['s2low/class/fixtures/pes_no_id.xml', 'C', 'broken', BROKEN],
];

const MODES = {
	default: {}, sign: { sign: true, transmit: false }, transmit: { sign: false, transmit: true },
	signTransmit: { sign: true, transmit: true },
};

describe('already-signed PES at the door', { skip: !present && 'fixtures absent' }, () => {
	let d, pki, work, a, c, orgC, off;
	const orgs = {};

	function liasse(args) {
		return h.cli(args);
	}

	// pes_aller_ok.xml with a second bordereau (Id BORD2, IdBord 12346).
	function twoBordereaux(nomfic) {
		const text = pesFile(nomfic).data.toString('latin1');
		const start = text.indexOf('<Bordereau Id="BORD1093357910">');
		const end = text.indexOf('</Bordereau>') + '</Bordereau>'.length;
		const second = text.slice(start, end).replace('Id="BORD1093357910"', 'Id="BORD2"')
			.replace('<IdBord V="12345"/>', '<IdBord V="12346"/>');
		return text.slice(0, end) + '\n  ' + second + text.slice(end);
	}

	async function signFile(text, name) {
		const input = path.join(work, `${name}.in.xml`), output = path.join(work, `${name}.xml`);
		fs.writeFileSync(input, Buffer.from(text, 'latin1'));
		const r = await liasse(['sign', '--profile', 'pes', '--p12', pki.signer.p12,
			'--pass-file', pki.pass, input, output]);
		assert.equal(r.code, 0, `liasse sign: ${r.stderr}`);
		return fs.readFileSync(output).toString('latin1');
	}

	// The signature inside the second bordereau removed: partly signed.
	function dropSecondSignature(text) {
		const b2 = text.indexOf('<Bordereau Id="BORD2">');
		const s = text.indexOf('<ds:Signature', b2);
		const e = text.indexOf('</ds:Signature>', s) + '</ds:Signature>'.length;
		assert.ok(b2 > 0 && s > b2 && e > s, 'the second bordereau carries a signature');
		return text.slice(0, s) + text.slice(e);
	}

	function post(client, org, name, data, mode, title = 'PES signé') {
		return client.postDocument({ kind: 'pes', organisation: org, title, ...MODES[mode] },
			{ name, type: 'application/xml', data: Buffer.from(data, 'latin1') });
	}

	before(async () => {
		pki = await makePki();
		work = fs.mkdtempSync(path.join(h.tmp, 'work-'));
		const trust = path.join(h.tmp, 'trust');
		fs.mkdirSync(trust);
		for (const f of fs.readdirSync(pki.trust))
			fs.copyFileSync(path.join(pki.trust, f), path.join(trust, f));
		for (const f of ['validca_for_xades/AC_ADULLACT_ROOT_G3.pem', 'validca/AC_ADULLACT_Utilisateurs_G3.pem'])
			fs.copyFileSync(path.join(fixturesDir, LIB, f), path.join(trust, path.basename(f)));
		const s = await h.setup({ trust_dir: trust });
		d = s.d;
		a = s.a;
		orgC = '248000531';
		await h.addOrg(orgC, { name: 'Syndicat 2015', ...ORG_C });
		c = d.client(await h.addClient('vendor-c', [orgC]));
		assert.equal((await h.cli(['person', 'passwd', OFFICIAL_A], { input: PASSWORD + '\n' })).code, 0);
		await h.enrol(OFFICIAL_A, pki.signer.p12, pki.password, PIN);
		off = await d.login(OFFICIAL_A);
		orgs.A = s.orgA;
		orgs.C = orgC;
	});
	after(async () => {
		await h.stopAll();
		if (pki)
			await pki.cleanup();
	});

	it('lists every signed PES of the fixtures', () => {
		const listed = new Set(TABLE.map((r) => r[0]));
		for (const dir of ['s2low/helios/fixtures', LIB, 's2low/class/fixtures', 'parapheur-v5/files/xml']) {
			const full = path.join(fixturesDir, dir);
			for (const f of fs.existsSync(full) ? fs.readdirSync(full) : []) {
				const text = f.endsWith('.xml') ? fs.readFileSync(path.join(full, f)).toString('latin1') : '';
				if (/<(\w+:)?EnTetePES\b/.test(text) && /<(\w+:)?Signature\b/.test(text))
					assert.ok(listed.has(`${dir}/${f}`), `${dir}/${f} is a signed PES: add it to TABLE`);
			}
		}
	});

	for (const [rel, org, state, answers] of TABLE) {
		for (const [mode, want] of Object.entries(answers)) {
			it(`${path.basename(rel)} (${state}), ${mode}: ${want}`, async () => {
				const client = org === 'A' ? a : c;
				const text = fs.readFileSync(path.join(fixturesDir, rel)).toString('latin1');
				const before_ = await h.snapshot();
				const r = await post(client, orgs[org], path.basename(rel), text, mode);
				assertProblem(assert, r, { status: 422, field: want, hint: true });
				if (state === 'broken')
					assert.match(r.json.detail, /core: |digest mismatch/, r.text);
				if (want === 'pes.infodematerialisee')
					assert.match(r.json.title, /signed but its InfoDematerialisee is not 1/);
				assertSameCounts(assert, before_, await h.snapshot(), `${rel} ${mode}`);
			});
		}
	}

	it('a PES fully signed by liasse sign (InfoDematerialisee 1): transmitted as it came, never offered to sign', async () => {
		const signed = await signFile(pesFile(`SIGNEDFULL${process.pid}`).data.toString('latin1'), 'full');
		const bad = await post(a, orgs.A, 'full.xml', signed, 'signTransmit');
		assertProblem(assert, bad, { status: 422, field: 'metadata.sign', hint: true,
			detail: /already signed: every bordereau carries a valid signature/ });
		const r = await post(a, orgs.A, 'full.xml', signed, 'default');
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.sign, false, r.text);
		assert.equal(r.json.transmit, true);
		assert.notEqual(r.json.state, 'pending_signature');
		assert.equal(r.json.pes.signatures.state, 'full');
		assert.equal(r.json.pes.signatures.report.valid, true);
		assert.equal(r.json.pes.signatures.bordereaux, 1);
		assert.equal(r.json.pes.signatures.unsigned, 0);
		const again = await a.get(`/api/v1/documents/${r.json.id}`);
		assert.equal(again.json.pes.signatures.state, 'full', 'the report is stored with the document');
	});

	it('an unsigned PES saying InfoDematerialisee 1, transmitted as it came: refused first', async () => {
		const text = pesFile(`DEMAT1${process.pid}`).data.toString('latin1')
			.replace('<InfoDematerialisee V="0"/>', '<InfoDematerialisee V="1"/>');
		const r = await post(a, orgs.A, 'demat1.xml', text, 'transmit');
		assertProblem(assert, r, { status: 422, field: 'pes.infodematerialisee', hint: true,
			detail: /InfoDematerialisee 1 but carries no signature/ });
	});

	it('a PES partly signed: only its unsigned bordereau is offered, and signing signs only that one', async () => {
		const both = await signFile(twoBordereaux(`PARTIAL${process.pid}`), 'two');
		const partial = dropSecondSignature(both);
		const tOnly = await post(a, orgs.A, 'partial.xml', partial, 'transmit');
		assertProblem(assert, tOnly, { status: 422, field: 'pes.signatures', hint: true,
			detail: /bordereau 2 \(Id BORD2\) is not signed/ });
		const r = await post(a, orgs.A, 'partial.xml', partial, 'default');
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.state, 'pending_signature');
		assert.equal(r.json.pes.signatures.state, 'partial');
		assert.equal(r.json.pes.signatures.bordereaux, 2);
		assert.equal(r.json.pes.signatures.unsigned, 1);
		assert.ok(r.json.warnings.some((w) => /le bordereau 2 \(Id BORD2\) n'est pas signé/.test(w)),
			JSON.stringify(r.json.warnings));
		const s = await off.postJson('/api/v1/queue/sign', { documents: [r.json.id], pin: PIN });
		assert.equal(s.status, 200, s.text);
		assert.equal(s.json.results[0].status, 'signed', JSON.stringify(s.json.results));
		const doc = await a.get(`/api/v1/documents/${r.json.id}`);
		const f = doc.json.files.find((x) => x.role === 'signed');
		assert.ok(f, JSON.stringify(doc.json.files));
		const out = (await a.get(f.href)).body.toString('latin1');
		assert.equal((out.match(/<ds:Signature\b/g) || []).length, 2, 'one signature per bordereau');
		const first = (t) => t.slice(t.indexOf('<ds:Signature'), t.indexOf('</ds:Signature>'));
		assert.equal(first(out), first(partial), 'the existing signature is kept as it was');
		const vpath = path.join(work, 'partial-signed.xml');
		fs.writeFileSync(vpath, Buffer.from(out, 'latin1'));
		const v = await h.cli(['verify', vpath, '--trust', path.join(h.tmp, 'trust')]);
		assert.equal(v.code, 0, v.stdout + v.stderr);
		assert.match(v.stdout, /chaque bordereau est couvert|every bordereau is covered/);
	});

	it('a PES with a broken signature and an unsigned bordereau: refused at the door, and by liasse sign', async () => {
		const both = await signFile(twoBordereaux(`BROKEN${process.pid}`), 'two-b');
		const broken = dropSecondSignature(both).replace('<IdBord V="12345"/>', '<IdBord V="12399"/>');
		const dflt = await post(a, orgs.A, 'broken.xml', broken, 'default');
		assertProblem(assert, dflt, { status: 422, field: 'pes.signatures', hint: true,
			detail: /digest mismatch/ });
		// sign only: the official's signature would be refused (sign_pes
		// verifies the existing ones first), so the door refuses it now
		const r = await post(a, orgs.A, 'broken.xml', broken, 'sign', 'PES au sceau brisé');
		assertProblem(assert, r, { status: 422, field: 'pes.signatures', hint: true, detail: /digest mismatch/ });
		assert.equal((await a.listAll()).items.filter((d) => d.title === 'PES au sceau brisé').length, 0,
			'nothing stored');
		// liasse sign: one line on stderr, non-zero, no output file
		const input = path.join(work, 'broken.in.xml'), output = path.join(work, 'broken.out.xml');
		fs.writeFileSync(input, Buffer.from(broken, 'latin1'));
		const trust = ['--trust', path.join(h.tmp, 'trust')];
		const cli = await liasse(['sign', '--profile', 'pes', '--p12', pki.signer.p12, '--pass-file', pki.pass,
			...trust, input, output]);
		assert.equal(cli.code, 1, cli.stdout + cli.stderr);
		assert.equal(cli.stderr.trim().split('\n').length, 1, cli.stderr);
		assert.match(cli.stderr, /^liasse: the signature Bordereau "BORD1093357910" carries is not valid.*digest mismatch/,
			cli.stderr);
		assert.ok(!fs.existsSync(output), 'nothing written');
		// the same file with its signature intact is signed (only BORD2)
		const partial = dropSecondSignature(both);
		fs.writeFileSync(input, Buffer.from(partial, 'latin1'));
		const untrusted = await liasse(['sign', '--profile', 'pes', '--p12', pki.signer.p12, '--pass-file', pki.pass,
			input, output]);
		assert.equal(untrusted.code, 1, 'without anchors the existing signature cannot be checked');
		assert.match(untrusted.stderr, /^liasse: the signatures the PES carries could not be verified.*--trust DIR/);
		const ok = await liasse(['sign', '--profile', 'pes', '--p12', pki.signer.p12, '--pass-file', pki.pass,
			...trust, input, output]);
		assert.equal(ok.code, 0, ok.stderr);
		assert.equal((fs.readFileSync(output, 'latin1').match(/<ds:Signature\b/g) || []).length, 2);
	});
});
