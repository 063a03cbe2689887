// The S²LOW-compatible TdT client against a small fake S²LOW written here
// (no real S²LOW can run in the tests: it is a PHP application with its own
// database and workers).  The fake speaks the API calls liasse uses, over
// HTTPS with a required client certificate: acts created, their status
// followed, the ARActe fetched; PES imported, status, PES_Acquit.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import { newHarness, acteMeta, pdfFile, pesFile, fixture, skip } from '../lib/harness.mjs';
import { connectorSet, makeTls, waitState, FAST } from './transmit-common.mjs';

const acquitFixture = fixture('s2low/helios/fixtures/pes_acquit.xml');
if (!pesFile() || !acquitFixture)
	skip('fixtures absent (LIASSE_FIXTURES)');
const h = newHarness('transmit-s2low');
let env, tls, fake;

// The fake S²LOW: transactions answered 3 (transmis), then 4 (acquitté) on
// the next status query; an act numbered REFUS* is answered 6 (refusé).
function startFake(tlsFiles) {
	const tx = new Map();
	const posts = { actes: {}, helios: {} };
	const clientNames = new Set();
	let next = 41;
	const server = https.createServer({
		key: fs.readFileSync(tlsFiles.serverKey), cert: fs.readFileSync(tlsFiles.serverCert),
		ca: fs.readFileSync(tlsFiles.ca), requestCert: true, rejectUnauthorized: true,
	}, (req, res) => {
		clientNames.add(req.socket.getPeerCertificate().subject.CN);
		const chunks = [];
		req.on('data', (d) => chunks.push(d));
		req.on('end', () => {
			const body = Buffer.concat(chunks).toString('latin1');
			const u = new URL(req.url, 'https://x');
			const field = (name) => {
				const m = body.match(new RegExp(`name="${name.replace(/[[\]]/g, '\\$&')}"\\r\\n\\r\\n([^\\r]*)`));
				return m ? m[1] : null;
			};
			const reply = (text) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end(text); };
			if (u.pathname === '/modules/actes/actes_transac_create.php' && req.method === 'POST') {
				const number = field('number');
				if (field('api') !== '1' || !/name="acte_pdf_file"; filename="[^"]+"/.test(body) || !number)
					return reply('KO\nChamps manquants');
				posts.actes[number] = (posts.actes[number] || 0) + 1;
				if (posts.actes[number] > 1)
					return reply('KO\nUn acte portant le même numéro interne existe déjà');
				const id = next++;
				tx.set(String(id), { kind: 'acte', number, polls: 0, fields: { nature: field('nature_code'),
					classif1: field('classif1'), classif2: field('classif2'), date: field('decision_date') } });
				return reply(`OK\n${id}`);
			}
			if (u.pathname === '/modules/helios/api/helios_importer_fichier.php' && req.method === 'POST') {
				const m = body.match(/name="enc_file"; filename="([^"]+)"/);
				if (!m)
					return reply('<import><id></id><resultat>KO</resultat><message>Pas de fichier</message></import>');
				const id = next++;
				posts.helios[id] = 1;
				tx.set(String(id), { kind: 'pes', polls: 0 });
				return reply(`<import><id>${id}</id><resultat>OK</resultat><message>Fichier importé</message></import>`);
			}
			const t = tx.get(u.searchParams.get('transaction') || u.searchParams.get('id') || '');
			if (!t) {
				res.writeHead(404);
				return res.end('KO\nNuméro de transaction invalide.');
			}
			const status = t.number && t.number.startsWith('REFUS') ? 6 : (t.polls++ ? 4 : 3);
			if (u.pathname === '/modules/actes/actes_transac_get_status.php')
				return reply(`OK\n${status}\n${status === 6 ? 'Acte refusé par la préfecture' : ''}`);
			if (u.pathname === '/modules/actes/actes_transac_get_ARActe.php')
				return reply(`<?xml version="1.0" encoding="ISO-8859-1"?>\n<actes:ARActe xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216" actes:IDActe="fake-${t.number}"/>\n`);
			if (u.pathname === '/modules/helios/api/helios_transac_get_status.php')
				return reply(`<transaction><id>x</id><resultat>OK</resultat><message>ok</message><status>${status}</status></transaction>`);
			if (u.pathname === '/modules/helios/helios_download_acquit.php') {
				res.writeHead(200, { 'Content-Type': 'application/xml' });
				return res.end(fs.readFileSync(acquitFixture));
			}
			res.writeHead(404);
			res.end();
		});
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
		url: `https://127.0.0.1:${server.address().port}/`, posts, tx, clientNames,
		close: () => server.close(),
	})));
}

test.before(async () => {
	env = await h.setup(FAST);
	tls = makeTls(h);
	fake = await startFake(tls);
	await connectorSet(h, env.orgA, 's2low', { url: fake.url, cert: tls.cert, key: tls.key, cacert: tls.ca,
		pin: tls.pin });
});

test.after(async () => {
	fake.close();
	await h.stopAll();
});

test('an act goes to S²LOW with its fields, its ARActe comes back, the act is acknowledged', async () => {
	const r = await env.a.postDocument(acteMeta(env.orgA, 'S2L_1', { sign: false, transmit: true }),
		pdfFile(2000, 'acte.pdf'), [pdfFile(1000, 'annexe.pdf')]);
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.a, r.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	assert.equal(fake.posts.actes.S2L_1, 1);
	const t = [...fake.tx.values()].find((x) => x.number === 'S2L_1');
	assert.deepEqual(t.fields, { nature: '1', classif1: '7', classif2: '1', date: r.json.acte.date_decision });
	const ack = done.files.find((f) => f.role === 'ack');
	assert.match(ack.name, /^ARActe-\d+\.xml$/);
	assert.ok(fake.clientNames.has('liasse transmitter'), 'the client certificate was presented');
	const id = await h.psql(`SELECT remote_id FROM transmission WHERE doc_id = '${r.json.id}'`);
	assert.equal(ack.name, `ARActe-${id}.xml`);
});

test('a PES imported into S²LOW, acknowledged by its PES_Acquit', async () => {
	const r = await env.a.postDocument({ kind: 'pes', organisation: env.orgA, title: 'PES S²LOW', sign: false,
		transmit: true }, pesFile(`s2low-${process.pid}`));
	assert.equal(r.status, 201, r.text);
	const done = await waitState(env.a, r.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'acknowledged', JSON.stringify(done));
	assert.ok(done.files.find((f) => f.role === 'ack' && /^PES_Acquit-\d+\.xml$/.test(f.name)));
});

test('an act S²LOW reports refused: refused with S²LOW\'s message', async () => {
	const r = await env.a.postDocument(acteMeta(env.orgA, 'REFUS_1', { sign: false, transmit: true }),
		pdfFile(2000, 'acte.pdf'));
	const done = await waitState(env.a, r.json.id, ['acknowledged', 'refused', 'failed']);
	assert.equal(done.state, 'refused');
	assert.match(done.reason, /refused: Acte refusé par la préfecture/);
});
