// A PES belongs to its collectivité (issue 12, point 1): every PES fixture of
// ../shared/fixtures posted to an organisation whose Hélios identifiers
// match its header and to organisations that differ in one identifier each,
// the verdict checked per file.  NomFic is unique per IdColl and CodCol
// across organisations.  Skips when the fixtures are absent.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { newHarness, fixturesDir, siren, assertProblem, assertSameCounts } from '../lib/harness.mjs';

// The table: each file and what the door says of it, whatever the
// organisation ('pes': a PES_Aller the door accepts, so that its header
// decides; otherwise the field of the door's refusal).  budgets: the match
// organisation's CodBud list when the file's own cannot be one (3 characters).
// Signed files: the owner is checked first; with its organisation, the
// signatures (unverifiable here: no trust_dir) refuse the transmission
// (pes-signed.test.mjs has their verdicts with trust anchors).
const SIGNED = { match: 'pes.signatures' };
const TABLE = [
	['s2low/helios/fixtures/pes_aller_ok.xml', 'pes'],
	['s2low/helios/fixtures/pes_aller.xml', 'pes'],
	['s2low/helios/fixtures/pes_aller_utf8.xml', 'file'],
	['s2low/helios/fixtures/pes_aller_empty.xml', 'file'],
	['s2low/helios/fixtures/pes_aller_IdColl_trop_long.xml', 'file'],
	['s2low/helios/fixtures/pes_aller_CodColTropLong.xml', 'file'],
	['s2low/helios/fixtures/pes_aller_PasDeNomFic.xml', 'file'],
	['s2low/helios/fixtures/pes_acquit.xml', 'file'],
	['s2low/helios/fixtures/pes_acquit_modif.xml', 'file'],
	['s2low/helios/fixtures/pes_acquit_not_valid.xml', 'file'],
	['s2low/helios/fixtures/pes_acquit_not_valid_without_cod_col.xml', 'file'],
	['s2low/helios/fixtures/pes_acquit_wrongXsd_Not_Linked_To_Transaction.xml', 'file'],
	['s2low/helios/fixtures/PES_ACQUIT_RETOUR.xml', 'file'],
	['s2low/helios/fixtures/pes_retour.xml', 'file'],
	['s2low/helios/fixtures/pes_retour_nonabonne.xml', 'file'],
	['s2low/helios/fixtures/wrong_root.xml', 'file'],
	['s2low/lib/fixtures/HELIOS_SIMU_ALR2_NoCodBud.xml', 'file'],
	['s2low/lib/fixtures/HELIOS_SIMU_ALR2_NoCodColl.xml', 'file'],
	['s2low/lib/fixtures/HELIOS_SIMU_ALR2_NoIdPost.xml', 'file'],
	['s2low/lib/fixtures/PES_ALLER_MauvaisCodBud.xml', 'pes', { budgets: '12', match: 'pes.codbud' }],
	['s2low/lib/fixtures/PES_ALLER_MauvaisCodCol.xml', 'file'],
	['s2low/lib/fixtures/PES_ALLER_MauvaisIdPost.xml', 'pes'],
	['s2low/lib/fixtures/NoEnTete.xml', 'file'],
	['s2low/lib/fixtures/test.xml', 'file'],
	['s2low/lib/fixtures/signature_bordereau.xml', 'pes', SIGNED],
	['s2low/lib/fixtures/signature_bordereau2.xml', 'pes', SIGNED],
	['s2low/lib/fixtures/signature_bordereau_double.xml', 'pes', SIGNED],
	['s2low/lib/fixtures/plusieurs_signatures.xml', 'pes', SIGNED],
	['s2low/class/fixtures/pes_signe_bordereau.xml', 'pes', SIGNED],
	['s2low/class/fixtures/pes_no_id.xml', 'pes', SIGNED],
	['parapheur-v5/files/xml/PESALR1_unsigned.xml', 'file'],
	['parapheur-v5/files/formats/PESALR1_unsigned.xml', 'file'],
];

const present = fs.existsSync(path.join(fixturesDir, 's2low/helios/fixtures/pes_aller_ok.xml'));
const h = newHarness('pes-owner');

function header(text) {
	const v = (t) => (text.match(new RegExp(`<${t} V="([^"]*)"`)) || [])[1];
	return { idcoll: v('IdColl'), codcol: v('CodCol'), idpost: v('IdPost'), codbud: v('CodBud') };
}

// Another value of the same shape.
function other(v) {
	const last = v.slice(-1);
	return v.slice(0, -1) + (/[0-8]/.test(last) ? String(Number(last) + 1) : '0');
}

const FIELDS = ['idcoll', 'codcol', 'idpost', 'codbud'];
let nomfics = 0;

// The file with a NomFic of its own (NomFic is unique per IdColl and CodCol).
function load(rel) {
	const text = fs.readFileSync(path.join(fixturesDir, rel)).toString('latin1');
	const unique = text.replace(/(<NomFic V=")[^"]*"/, (m, a) => `${a}OWNER${process.pid}N${++nomfics}"`);
	return { text, data: Buffer.from(unique, 'latin1') };
}

describe('a PES belongs to its collectivité', { skip: !present && 'fixtures absent' }, () => {
	let d;
	const clients = new Map();   // siren -> Client
	const orgs = new Map();   // key of identifiers -> siren
	let n = 0;

	async function org(ids) {
		const key = JSON.stringify(ids);
		if (!orgs.has(key)) {
			const s = siren(`2199${String(++n).padStart(4, '0')}`);
			const opts = { name: `Commune ${n}` };
			for (const f of ['idcoll', 'codcol', 'idpost'])
				if (ids[f])
					opts[f] = ids[f];
			if (ids.codbuds)
				opts.codbud = ids.codbuds;
			await h.addOrg(s, opts);
			orgs.set(key, s);
		}
		return orgs.get(key);
	}

	function post(siren_, name, data, title = 'PES') {
		return clients.get(siren_).postDocument({ kind: 'pes', organisation: siren_, title, sign: false, transmit: true },
			{ name, type: 'application/xml', data });
	}

	// Each file's organisations: the match and one per differing identifier.
	const plan = [];
	before(async () => {
		await h.startPostgres();
		d = await h.startLiassed();
		for (const [rel, verdict, opt = {}] of TABLE) {
			if (!fs.existsSync(path.join(fixturesDir, rel)))
				continue;
			const { text } = load(rel);
			const hd = header(text);
			// What an organisation can hold (the door refuses longer values first).
			const ids = { idcoll: (hd.idcoll || '12345678912345').slice(0, 14),
				codcol: (hd.codcol || '123').slice(0, 3), idpost: (hd.idpost || '034000').slice(0, 7),
				codbuds: opt.budgets || (hd.codbud || '12').slice(0, 2) };
			const row = { rel, verdict, opt, hd, match: await org(ids), miss: {} };
			for (const f of verdict === 'pes' ? FIELDS : ['idcoll']) {
				const k = f === 'codbud' ? 'codbuds' : f;
				row.miss[f] = await org({ ...ids, [k]: other(ids[k]) });
			}
			plan.push(row);
		}
		await org({ none: true });
		await org({ idcoll: '21450099900012', codcol: '099', idpost: '045012', codbuds: '01' });
		await org({ idcoll: '12345678912345', codcol: '123', idpost: '034000', codbuds: '12,13' });
		await org({ idcoll: '12345678912345', codcol: '123', idpost: '034000', codbuds: '13,12,01' });
		await org({ idcoll: '12345678912345', codcol: '124', idpost: '034000', codbuds: '12' });
		await org({ idcoll: '12345678912345', codcol: '123', idpost: '034000', codbuds: '12' });
		const all = [...orgs.values()];
		for (let i = 0; i < all.length; i += 50) {
			const c = d.client(await h.addClient(`vendor-owner-${i}`, all.slice(i, i + 50)));
			for (const s of all.slice(i, i + 50))
				clients.set(s, c);
		}
	});
	after(() => h.stopAll());

	it('lists every PES-looking fixture', () => {
		const listed = new Set(TABLE.map((r) => r[0]));
		for (const dir of ['s2low/helios/fixtures', 's2low/lib/fixtures', 's2low/class/fixtures',
			'parapheur-v5/files/xml']) {
			const full = path.join(fixturesDir, dir);
			for (const f of fs.existsSync(full) ? fs.readdirSync(full) : []) {
				if (!f.endsWith('.xml'))
					continue;
				const text = fs.readFileSync(path.join(full, f)).toString('latin1');
				if (/<(\w+:)?EnTetePES\b/.test(text))
					assert.ok(listed.has(`${dir}/${f}`), `${dir}/${f} carries a PES header: add it to TABLE`);
			}
		}
	});

	for (const [rel, verdict, opt = {}] of TABLE) {
		it(`${rel}: ${verdict !== 'pes' ? `refused at the door (${verdict})` : opt.match ? `refused for every organisation (${opt.match})` : 'its own organisation only'}`,
			{ skip: !fs.existsSync(path.join(fixturesDir, rel)) && 'fixture absent' }, async () => {
				const row = plan.find((p) => p.rel === rel);
				const name = path.basename(rel);
				const before = await h.snapshot();
				const r = await post(row.match, name, load(rel).data);
				if (verdict !== 'pes' || opt.match) {
					assertProblem(assert, r, { status: 422, field: opt.match || verdict, hint: true });
				} else {
					assert.equal(r.status, 201, `${rel} to its organisation: ${r.text}`);
					assert.equal(r.json.pes.idcoll, row.hd.idcoll);
				}
				for (const f of Object.keys(row.miss)) {
					const b = await h.snapshot();
					const m = await post(row.miss[f], name, load(rel).data);
					const field = verdict === 'pes' ? `pes.${f}` : verdict;
					assertProblem(assert, m, { status: 422, field, hint: true });
					if (verdict === 'pes') {
						assert.match(m.json.detail, new RegExp(`the file says ${row.hd[f]}, organisation ${row.miss[f]} has `),
							`${rel}, ${f}: ${m.text}`);
					}
					assertSameCounts(assert, b, await h.snapshot(), `${rel} refused for ${f}`);
				}
				if (verdict !== 'pes' || opt.match)
					assertSameCounts(assert, before, await h.snapshot(), rel);
			});
	}

	it('the issue\'s case: pes_aller_ok.xml for a commune of another IdColl is refused, naming both', async () => {
		const s = await org({ idcoll: '21450099900012', codcol: '099', idpost: '045012', codbuds: '01' });
		const r = await post(s, 'pes_aller_ok.xml', load('s2low/helios/fixtures/pes_aller_ok.xml').data);
		assertProblem(assert, r, { status: 422, field: 'pes.idcoll', type: 'invalid', hint: true,
			detail: new RegExp(`the file says 12345678912345, organisation ${s} has 21450099900012`) });
	});

	it('an organisation without Hélios identifiers takes no PES', async () => {
		const s = await org({ none: true });
		const r = await post(s, 'pes_aller_ok.xml', load('s2low/helios/fixtures/pes_aller_ok.xml').data);
		assertProblem(assert, r, { status: 422, field: 'metadata.organisation', hint: true,
			detail: /IdColl 12345678912345/ });
		assert.match(r.json.hint, /liasse org set/);
	});

	it('a budget among several: CodBud 12 is accepted by an organisation with budgets 13, 12, 01', async () => {
		const s = await org({ idcoll: '12345678912345', codcol: '123', idpost: '034000', codbuds: '13,12,01' });
		const r = await post(s, 'pes_aller_ok.xml', load('s2low/helios/fixtures/pes_aller_ok.xml').data);
		assert.equal(r.status, 201, r.text);
		const m = await post(s, 'pes_aller.xml', load('s2low/helios/fixtures/pes_aller.xml').data);
		assertProblem(assert, m, { status: 422, field: 'pes.codcol' });
		const miss = await org({ idcoll: '12345678912345', codcol: '123', idpost: '034000', codbuds: '12' });
		const b = load('s2low/helios/fixtures/pes_aller_ok.xml').text.replace('<CodBud V="12"/>', '<CodBud V="01"/>');
		const x = await post(miss, 'pes.xml', Buffer.from(b, 'latin1'));
		assertProblem(assert, x, { status: 422, field: 'pes.codbud', detail: /the file says 01, organisation \d{9} has 12/ });
	});

	it('NomFic is unique per IdColl and CodCol across organisations', async () => {
		const one = await org({ idcoll: '12345678912345', codcol: '123', idpost: '034000', codbuds: '12' });
		const two = await org({ idcoll: '12345678912345', codcol: '123', idpost: '034000', codbuds: '12,13' });
		const text = load('s2low/helios/fixtures/pes_aller_ok.xml').text
			.replace(/(<NomFic V=")[^"]*"/, `$1ACROSS${process.pid}"`);
		const data = Buffer.from(text, 'latin1');
		const first = await post(one, 'a.xml', data, 'premier');
		assert.equal(first.status, 201, first.text);
		const again = await post(two, 'b.xml', data, 'second');
		assertProblem(assert, again, { status: 422, field: 'file', hint: true,
			detail: /NomFic "ACROSS\d+" was already sent for IdColl 12345678912345 and CodCol 123/ });
		// The same NomFic under another CodCol is another file for Hélios.
		const three = await org({ idcoll: '12345678912345', codcol: '124', idpost: '034000', codbuds: '12' });
		const r = await post(three, 'c.xml', Buffer.from(text.replace('<CodCol V="123"/>', '<CodCol V="124"/>'),
			'latin1'), 'troisième');
		assert.equal(r.status, 201, r.text);
	});
});
