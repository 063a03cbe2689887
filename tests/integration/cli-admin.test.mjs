// The admin CLI: db migrate, org add|list, client add|list|revoke, doc show;
// one-line errors and exit codes; the API key is printed once and only its
// SHA-256 is stored.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { newHarness, KEY_RE, siren, docMeta, pdfFile, sha256 } from '../lib/harness.mjs';

const h = newHarness('cli-admin');

function lines(text) {
	return text.split('\n').filter((l) => l.trim() !== '');
}

async function failsWithOneLine(args, codes = [1]) {
	const r = await h.cli(args);
	assert.ok(codes.includes(r.code), `liasse ${args.join(' ')}: exit ${r.code} (want ${codes}): ${r.stderr}`);
	assert.equal(lines(r.stderr).length, 1, `liasse ${args.join(' ')}: one line: ${JSON.stringify(r.stderr)}`);
	assert.equal(r.stdout, '', 'nothing on stdout');
	return r;
}

describe('liasse admin CLI', () => {
	before(async () => {
		await h.startPostgres();
	});
	after(() => h.stopAll());

	it('db migrate applies the migrations, and again is a no-op', async () => {
		const r1 = await h.cli(['db', 'migrate']);
		assert.equal(r1.code, 0, r1.stderr);
		const n1 = await h.psql('SELECT count(*) FROM schema_migration');
		assert.ok(Number(n1) >= 1);
		const tables = await h.psql("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM " +
			"information_schema.tables WHERE table_schema = 'public'");
		for (const t of ['organisation', 'api_client', 'document', 'document_file', 'blob', 'blob_chunk', 'job',
			'journal'])
			assert.ok(tables.split(',').includes(t), `table ${t} in ${tables}`);
		const r2 = await h.cli(['db', 'migrate']);
		assert.equal(r2.code, 0, r2.stderr);
		assert.equal(await h.psql('SELECT count(*) FROM schema_migration'), n1);
	});

	it('org add prints the SIREN; org list prints the tree, parents first', async () => {
		const top = siren('25450001'), epci = siren('24450002'), c1 = siren('21450003'),
			c2 = siren('21450004'), other = siren('21330005'), sub = siren('21450006');
		const add = async (s, name, parent, extra = []) => {
			const r = await h.cli(['org', 'add', '--siren', s, '--name', name,
				...(parent ? ['--parent', parent] : []), ...extra]);
			assert.equal(r.code, 0, r.stderr);
			assert.equal(r.stdout, `${s}\n`);
		};
		await add(top, 'Syndicat mixte', null);
		await add(other, 'Autre commune', null);
		await add(epci, 'Communauté de communes', top, ['--departement', '045', '--arrondissement', '1',
			'--nature-actes', '3']);
		await add(c1, 'Commune A', epci, ['--idcoll', '12345678912345', '--codcol', '123', '--idpost', '034000',
			'--codbud', '12', '--city', 'Orléans', '--postal-code', '45000']);
		await add(c2, 'Commune B', epci);
		await add(sub, 'CCAS de A', c1);
		const r = await h.cli(['org', 'list']);
		assert.equal(r.code, 0, r.stderr);
		const rows = lines(r.stdout).map((l) => l.split('\t'));
		assert.ok(rows.every((x) => x.length === 3), r.stdout);
		const pos = Object.fromEntries(rows.map((x, i) => [x[0], i]));
		const parent = Object.fromEntries(rows.map((x) => [x[0], x[2]]));
		assert.deepEqual(parent, { [top]: '-', [other]: '-', [epci]: top, [c1]: epci, [c2]: epci, [sub]: c1 });
		assert.equal(rows.find((x) => x[0] === c1)[1], 'Commune A');
		for (const [child, p] of Object.entries(parent))
			if (p !== '-')
				assert.ok(pos[p] < pos[child], `${p} listed before its child ${child}`);
		// Tree order: a subtree is contiguous.
		const subtree = [epci, c1, c2, sub].map((x) => pos[x]).sort((a, b) => a - b);
		assert.equal(subtree[3] - subtree[0], 3, `subtree of ${epci} is contiguous: ${r.stdout}`);
		const stored = await h.psql(`SELECT idcoll || ' ' || codcol || ' ' || idpost || ' ' ||
			array_to_string(codbuds, ',') || ' ' || city || ' ' || postal_code FROM organisation WHERE siren = '${c1}'`);
		assert.equal(stored, '12345678912345 123 034000 12 Orléans 45000');
	});

	it('an organisation keeps several budgets; org set changes its Hélios identifiers', async () => {
		const s = siren('21450007');
		const budgets = () => h.psql(`SELECT idcoll || ' ' || codcol || ' ' || idpost || ' ' ||
			array_to_string(codbuds, ',') FROM organisation WHERE siren = '${s}'`);
		let r = await h.cli(['org', 'add', '--siren', s, '--name', 'Commune aux budgets annexes',
			'--idcoll', '21450007000019', '--codcol', '045', '--idpost', '045012', '--codbud', '01',
			'--codbud', '02,03']);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(await budgets(), '21450007000019 045 045012 01,02,03');
		r = await h.cli(['org', 'set', s, '--idpost', '045013', '--codbud', '01', '--codbud', '04']);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(await budgets(), '21450007000019 045 045013 01,04', 'the list is replaced, the rest kept');
		assert.equal(await h.psql(`SELECT count(*) FROM journal WHERE action = 'organisation.updated'
			AND detail->>'siren' = '${s}'`), '1');
		await failsWithOneLine(['org', 'set', s, '--codbud', '123'], [1, 2]);
		await failsWithOneLine(['org', 'set', s, '--codbud', '01,01'], [1, 2]);
		await failsWithOneLine(['org', 'set', siren('21990009'), '--codbud', '01']);
		assert.equal(await budgets(), '21450007000019 045 045013 01,04');
	});

	it('org add refuses bad input with one line', async () => {
		await failsWithOneLine(['org', 'add', '--siren', '12345', '--name', 'Trop court'], [1, 2]);
		await failsWithOneLine(['org', 'add', '--siren', 'ABCDEFGHI', '--name', 'Lettres'], [1, 2]);
		await failsWithOneLine(['org', 'add', '--siren', siren('25450001').slice(0, 9), '--name', 'Doublon']);
		await failsWithOneLine(['org', 'add', '--siren', siren('21990001'), '--name', 'Orpheline',
			'--parent', siren('21990002')]);
		await failsWithOneLine(['org', 'add', '--siren', siren('21990003'), '--name', 'X', '--codcol', '1234'],
			[1, 2]);
		await failsWithOneLine(['org', 'add', '--siren', siren('21990004'), '--name', 'X', '--idcoll',
			'123456789012345'], [1, 2]);
		await failsWithOneLine(['org', 'add', '--siren', siren('21990005')], [1, 2]);
		assert.equal(await h.psql(`SELECT count(*) FROM organisation WHERE siren LIKE '2199%'`), '0');
	});

	let key;
	it('client add prints the key once; only its SHA-256 is stored', async () => {
		const org = siren('21450003');
		const r = await h.cli(['client', 'add', '--name', 'logiciel-finances', '--org', org, '--org',
			siren('21450004')]);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(lines(r.stdout).length, 1);
		key = r.stdout.trim();
		assert.match(key, KEY_RE);
		assert.ok(!r.stderr.includes(key), 'the key is not repeated on stderr');
		const dump = await h.pgDump();
		assert.ok(!dump.includes(key), 'the key text appears nowhere in pg_dump');
		assert.ok(!dump.includes(key.slice(4)), 'nor its random part');
		const hashes = [sha256(key), sha256(key.slice(4))];
		assert.ok(hashes.some((x) => dump.includes(x)), 'its SHA-256 is what is stored');
		const list = await h.cli(['client', 'list']);
		assert.equal(list.code, 0, list.stderr);
		assert.match(list.stdout, /logiciel-finances/);
		assert.ok(!list.stdout.includes(key), 'client list does not show the key');
		assert.ok(!list.stdout.includes(key.slice(4, 20)), 'nor part of it');
	});

	it('client add refuses an unknown organisation or a duplicate name with one line', async () => {
		await failsWithOneLine(['client', 'add', '--name', 'fantome', '--org', siren('21880001')]);
		await failsWithOneLine(['client', 'add', '--name', 'logiciel-finances', '--org', siren('21450003')]);
		await failsWithOneLine(['client', 'add', '--name', 'sans-org'], [1, 2]);
		assert.equal(await h.psql("SELECT count(*) FROM api_client WHERE name IN ('fantome', 'sans-org')"), '0');
	});

	it('client revoke marks the client revoked; an unknown name is one line', async () => {
		const k = (await h.cli(['client', 'add', '--name', 'a-revoquer', '--org', siren('21450003')])).stdout;
		assert.match(k.trim(), KEY_RE);
		const r = await h.cli(['client', 'revoke', 'a-revoquer']);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(await h.psql("SELECT revoked_at IS NOT NULL FROM api_client WHERE name = 'a-revoquer'"), 't');
		assert.equal(await h.psql(`SELECT string_agg(actor || ' ' || action, ',' ORDER BY seq) FROM journal
			WHERE detail->>'name' = 'a-revoquer'`), 'cli client.created,cli client.revoked',
		'one journal entry each, credited to the command line');
		await failsWithOneLine(['client', 'revoke', 'personne']);
	});

	it('doc show prints the document as the API shows it', async () => {
		const d = await h.startLiassed();
		await h.person({ email: 'maire@c1.test', name: 'Maire', routes: ['document'],
			roles: [{ org: siren('21450003'), role: 'signer', function: 'maire' }] });
		const r = await d.client(key).postDocument(docMeta(siren('21450003'), { title: 'montré' }), pdfFile(1500));
		assert.equal(r.status, 201, r.text);
		const show = await h.cli(['doc', 'show', r.json.id]);
		assert.equal(show.code, 0, show.stderr);
		assert.deepEqual(JSON.parse(show.stdout), r.json);
		await failsWithOneLine(['doc', 'show', crypto.randomUUID()]);
		await failsWithOneLine(['doc', 'show', 'not-a-uuid'], [1, 2]);
		await d.stop();
	});

	it('usage errors: one line, exit 2', async () => {
		await failsWithOneLine(['frobnicate'], [2]);
		await failsWithOneLine(['org', 'frobnicate'], [2]);
		await failsWithOneLine(['org', 'add', '--bogus-option', 'x'], [2]);
		const none = await h.cli([]);
		assert.equal(none.code, 2);
		assert.ok(lines(none.stderr).length >= 1);
	});

	it('connector set refuses an unknown connector kind or key with one line naming the known ones', async () => {
		const org = siren('25450001').slice(0, 9);
		const r = await failsWithOneLine(['connector', 'set', '--org', org, '--kind', 'ftp', 'url=ftp://h/'], [2]);
		assert.match(r.stderr, /unknown connector kind "ftp" \(known: actes, helios, s2low\)/);
		const k = await failsWithOneLine(['connector', 'set', '--org', org, '--kind', 'helios', 'colour=blue'], [2]);
		assert.match(k.stderr, /no setting "colour".*url, retour, user, password_file/);
		assert.equal(await h.psql(`SELECT count(*) FROM connector`), '0', 'nothing stored');
		const ok = await h.cli(['connector', 'set', '--org', org, '--kind', 'helios', 'url=ftp://h/',
			'password_file=/run/pw']);
		assert.equal(ok.code, 0, ok.stderr);
		const list = await h.cli(['connector', 'list', '--org', org]);
		assert.match(list.stdout, /^\d{9} helios \{.*"url": ?"ftp:\/\/h\/"/m);
		const kinds = await h.cli(['connector', 'kinds']);
		assert.equal(kinds.code, 0, kinds.stderr);
		assert.match(kinds.stdout, /^helios\tHélios \(DGFiP\)\n  documents: pes\n/m);
		assert.match(kinds.stdout, /^s2low\t.*\n  documents: pes, acte\n/m);
		assert.match(kinds.stdout, /^  password_file \(secret\)\t/m);
		await failsWithOneLine(['connector', 'kinds', '--kind', 'ftp'], [2]);
	});

	it('routing add refuses an unknown kind, or a nature for other than acts, to a person or a circuit', async () => {
		const org = siren('21370001');
		await h.mustCli(['org', 'add', '--siren', org, '--name', 'Commune du Routage']);
		assert.equal((await h.cli(['person', 'add', '--email', 'route@routage.test', '--name', 'R', '--no-password'])).code, 0);
		for (const to of [['--person', 'route@routage.test'], ['--circuit', 'visa-maire']]) {
			const k = await failsWithOneLine(['routing', 'add', '--org', org, '--kind', 'courrier', ...to]);
			assert.match(k.stderr, /unknown kind "courrier".*kinds are pes, acte and document/);
			const n = await failsWithOneLine(['routing', 'add', '--org', org, '--kind', 'pes', '--nature', '2', ...to]);
			assert.match(n.stderr, /a nature \(1 to 6\) only refines acte routing.*1 DE, 2 AR/);
		}
		assert.equal(await h.psql(`SELECT count(*) FROM routing_rule r JOIN organisation o ON o.id = r.org_id
			WHERE o.siren = '${org}'`), '0', 'nothing stored');
	});

	it('an unreachable database: one line, exit 1', async () => {
		const conf = h.writeConfig({ database: `host=${h.tmp}/nowhere dbname=liasse connect_timeout=2` });
		const r = await h.cli(['org', 'list'], { config: conf });
		assert.equal(r.code, 1, r.stderr);
		assert.equal(lines(r.stderr).length, 1, JSON.stringify(r.stderr));
	});

	it('an unknown configuration key: one line, non-zero', async () => {
		const conf = h.writeConfig({ database: h.pg.conninfo, bogus_key: 1 });
		const r = await h.cli(['org', 'list'], { config: conf });
		assert.notEqual(r.code, 0);
		assert.equal(lines(r.stderr).length, 1, JSON.stringify(r.stderr));
	});
});
