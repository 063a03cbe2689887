// A PES for the wrong collectivité is refused as soon as its header has been
// read, while the body streams in (issue 12, point 5): a 100 MB PES of
// organisation A's header posted for organisation B.  Measured: how many
// bytes the client had sent when liassed refused it (its log), how many blob
// chunks it wrote; the client then gets the 422 naming IdColl.  A matching
// 100 MB PES is accepted whole (the early check does not refuse a good file).
// libmicrohttpd 0.9 queues no answer while a body is coming in: the 422
// reaches the client once it has sent the rest, which liassed reads and
// drops without parsing or storing it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newHarness, streamDocument, assertProblem, assertSameCounts, ORG_A } from '../lib/harness.mjs';

const MB = 1000 * 1000;
const h = newHarness('pes-early');

// A PES_Aller of about `size` bytes with organisation A's header: one
// bordereau of many pièces.
function bigPes(size, nomfic) {
	const head = Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?>
<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller" Id="ID1">
 <Enveloppe><Parametres><Version V="1"/><TypFic V="PESALR2"/><NomFic V="${nomfic}"/></Parametres>
  <Emetteur><Sigle V="EM"/></Emetteur><Recepteur><Sigle V="HELIOS"/></Recepteur></Enveloppe>
 <EnTetePES><DteStr V="2026-01-15"/><IdPost V="${ORG_A.idpost}"/><IdColl V="${ORG_A.idcoll}"/>
  <CodCol V="${ORG_A.codcol}"/><CodBud V="${ORG_A.codbud}"/><LibelleColBud V="COMMUNE"/></EnTetePES>
 <PES_DepenseAller><EnTeteDepense><IdVer V="1"/><InfoDematerialisee V="0"/></EnTeteDepense>
  <Bordereau Id="B1"><BlocBordereau><Exer V="2026"/><IdBord V="42"/><DteBordEm V="2026-01-15"/>
   <TypBord V="01"/><NbrPce V="1"/></BlocBordereau>
`, 'latin1');
	const tail = Buffer.from('  </Bordereau></PES_DepenseAller>\n</n:PES_Aller>\n', 'latin1');
	const piece = Buffer.from('   <Piece><BlocPiece><InfoPce><IdPce V="1"/><Obj V="' + 'MANDAT DE TEST '.repeat(4) +
		'"/></InfoPce></BlocPiece></Piece>\n', 'latin1');
	const n = Math.floor((size - head.length - tail.length) / piece.length);
	const block = Buffer.concat(Array(1000).fill(piece));
	return {
		size: head.length + tail.length + n * piece.length,
		async *chunks() {
			yield head;
			let left = n;
			for (; left >= 1000; left -= 1000)
				yield block;
			if (left)
				yield block.subarray(0, left * piece.length);
			yield tail;
		},
	};
}

describe('a PES for another collectivité is refused once its header is read', () => {
	let s;

	before(async () => { s = await h.setup(); });
	after(() => h.stopAll());

	it('100 MB posted for the wrong organisation: refused after the first megabytes, nothing stored', async () => {
		const before_ = await h.snapshot();
		const file = bigPes(100 * MB, 'EARLY100');
		let sent = 0, atRefusal = null;
		const t0 = Date.now();
		let tRefusal = null;
		const watch = setInterval(() => {
			if (atRefusal === null && /POST \/api\/v1\/documents refused: the PES is not organisation/.test(s.d.logs())) {
				atRefusal = sent;
				tRefusal = Date.now() - t0;
			}
		}, 20);
		const r = await streamDocument(s.d.url, s.keyB, { kind: 'pes', organisation: s.orgB, title: 'Mandats' },
			file, { name: 'pes.xml', type: 'application/xml', throttle: 25 * MB, onProgress: (n) => { sent = n; } });
		clearInterval(watch);
		const total = (Date.now() - t0) / 1000;
		assertProblem(assert, r, { status: 422, field: 'pes.idcoll', hint: true,
			detail: new RegExp(`the file says ${ORG_A.idcoll}, organisation ${s.orgB} has `) });
		assert.ok(atRefusal !== null, 'liassed logged the refusal while the body was coming in');
		process.stdout.write(`# ${(file.size / MB).toFixed(0)} MB PES for another organisation: refused by liassed ` +
			`after ${(atRefusal / MB).toFixed(1)} MB sent (${tRefusal} ms); the client's answer after ${total.toFixed(1)} s\n`);
		assert.ok(atRefusal < 8 * MB, `refused after ${atRefusal} bytes, not after the header's megabyte`);
		assertSameCounts(assert, before_, await h.snapshot(), 'nothing stored');
	});

	it('100 MB for its own organisation: accepted whole', async () => {
		const file = bigPes(100 * MB, 'EARLY101');
		const r = await streamDocument(s.d.url, s.keyA, { kind: 'pes', organisation: s.orgA, title: 'Mandats',
			transmit: false }, file, { name: 'pes.xml', type: 'application/xml' });
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.files[0].size, file.size);
	});
});
