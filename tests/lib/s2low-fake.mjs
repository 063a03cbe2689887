// A fake S²LOW that answers as S²LOW's own API scripts do (libriciel/s2low,
// public.ssl/...; doc/s2low.md names the file each answer follows): the same
// form field names, the same texts ("OK\n<id>\n", "KO\n<message>\n" in
// ISO-8859-1 for the @ctes scripts, the XML of the Hélios scripts), HTTP 200
// even for a refusal, a redirection (302) from the web pages that are not
// API calls, and whatever S²LOW would refuse is refused: a PES posted in
// any field but "enveloppe", an act without acte_pdf_file or type_acte, an
// annex without its type_pj, a wrong number, a date in the future, an act
// number or a PES (SHA-1) already posted.
//
// Authentication as S²LOW's User::authenticate(): the client certificate
// (here: signed by the test CA, CN "liasse transmitter"), and HTTP basic
// too when given (login "liasse", password "secret").
//
// Each transaction follows a script of statuses, one step per status query;
// the last one stays.
import fs from 'node:fs';
import https from 'node:https';
import crypto from 'node:crypto';

const latin1 = (s) => Buffer.from(s, 'latin1');
const text = (s) => Buffer.from(s, 'utf8');
// PHP's utf8_encode() of a UTF-8 string, as helios_importer_fichier.php does
const utf8Encode = (s) => Buffer.from(Buffer.from(s, 'utf8').toString('latin1'), 'utf8');
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
	.replace(/"/g, '&quot;').replace(/'/g, '&#039;');
const NUMBER = /^[0-9A-Z_]{1,15}$/;             // @ctes NumeroInterne

const ACTES_LABEL = { '-1': 'Erreur', 0: 'Annulé', 1: 'Posté', 2: 'En attente de transmission', 3: 'Transmis',
	4: 'Acquittement reçu', 6: 'Refusé' };

// multipart/form-data: [{ name, filename, data }]
function multipart(req, body) {
	const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers['content-type'] || '');
	if (!m)
		return null;
	const b = Buffer.from(`--${m[1] || m[2]}`);
	const parts = [];
	let at = body.indexOf(b);
	while (at >= 0) {
		const start = at + b.length;
		if (body.subarray(start, start + 2).toString() === '--')
			break;
		const next = body.indexOf(b, start);
		if (next < 0)
			break;
		const part = body.subarray(start + 2, next - 2);
		const sep = part.indexOf('\r\n\r\n');
		const head = part.subarray(0, sep).toString('latin1');
		const name = /name="([^"]*)"/.exec(head);
		const filename = /filename="([^"]*)"/.exec(head);
		parts.push({ name: name ? name[1] : '', filename: filename ? filename[1] : null, data: part.subarray(sep + 4) });
		at = next;
	}
	return parts;
}

export function startS2lowFake(tlsFiles, { acquit, classification, retours = [], login = 'liasse', password = 'secret' } = {}) {
	// PES_Retour S²LOW collected for the organisation: { id, nom, date, file, read }
	const pesRetours = retours.map((r, i) => ({ id: String(900 + i), read: false, ...r }));
	const tx = new Map();
	const requests = [];
	const clientNames = new Set();
	const numbers = new Set();
	const sha1s = new Set();
	let next = 41;

	const newTx = (t) => {
		const id = String(next++);
		tx.set(id, { polls: 0, ...t });
		return id;
	};
	const statusOf = (t) => {
		const s = t.script[Math.min(t.polls, t.script.length - 1)];
		t.polls++;
		t.status = s;
		(t.seen = t.seen || new Set()).add(s);
		return s;
	};

	const server = https.createServer({
		key: fs.readFileSync(tlsFiles.serverKey), cert: fs.readFileSync(tlsFiles.serverCert),
		ca: fs.readFileSync(tlsFiles.ca), requestCert: true, rejectUnauthorized: false,
	}, (req, res) => {
		const chunks = [];
		req.on('data', (d) => chunks.push(d));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			const u = new URL(req.url, 'https://x');
			const peer = req.socket.getPeerCertificate();
			if (peer && peer.subject)
				clientNames.add(peer.subject.CN);
			const parts = req.method === 'POST' && /multipart/.test(req.headers['content-type'] || '') ?
				multipart(req, body) : [];
			const form = req.method === 'POST' && !parts.length ? new URLSearchParams(body.toString('latin1')) :
				new URLSearchParams();
			const field = (n) => {
				const p = parts.find((x) => x.name === n && x.filename === null);
				return p ? p.data.toString('latin1') : form.get(n);
			};
			const fieldAll = (n) => parts.filter((x) => x.name === n && x.filename === null)
				.map((x) => x.data.toString('latin1'));
			const files = (n) => parts.filter((x) => x.name === n && x.filename !== null && x.data.length);
			const api = (field('api') || u.searchParams.get('api')) === '1';
			requests.push({ path: u.pathname, method: req.method, fields: parts.map((p) => p.name) });

			const send = (code, type, buf, headers = {}) => {
				res.writeHead(code, { 'Content-Type': type, ...headers });
				res.end(buf);
			};
			// Helpers::returnAndExit(): OK/KO text for the API, else a redirection
			const returnAndExit = (status, msg, apiMsg) => (api ?
				send(200, 'text/html; charset=ISO-8859-1', latin1(`${status ? 'KO' : 'OK'}\n${apiMsg || esc(msg)}\n`)) :
				send(302, 'text/html', '', { Location: '/' }));
			const echo = (s) => send(200, 'text/html; charset=UTF-8', text(s));
			const heliosXml = (root, fields) => send(200, 'text/xml',
				latin1(`<?xml version="1.0" encoding="ISO-8859-1"?>\n<${root} >\n        ${Object.entries(fields)
					.map(([k, v]) => `<${k}>${esc(v)}</${k}>`).join('')}</${root}>\n`));
			// DOMDocument::save(); the importer utf8_encode()s its (UTF-8) message
			const domXml = (root, fields, utf8Encoded) => send(200, 'text/xml', Buffer.concat([text(`<?xml version="1.0"?>\n<${root}>\n`),
				...Object.entries(fields).map(([k, v]) => Buffer.concat([text(`  <${k}>`), k === 'message' && utf8Encoded ?
					utf8Encode(esc(v)) : text(esc(v)), text(`</${k}>\n`)])), text(`</${root}>\n`)]));

			// User::authenticate()
			const auth = req.headers.authorization;
			const authOk = req.socket.authorized && peer && peer.subject && peer.subject.CN === 'liasse transmitter' &&
				(!auth || auth === `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`);
			const p = u.pathname;

			if (p === '/api/test-connexion.php')     // it sets $_GET['api'] = 1 itself
				return authOk ? echo('OK') : send(200, 'text/html', latin1("KO\nÉchec de l'authentification\n"));

			if (p === '/modules/actes/actes_classification_fetch.php') {
				if (!authOk)
					return returnAndExit(1, "Échec de l'authentification");
				if (!classification)
					return returnAndExit(1, 'Erreur de récupération de la dernière classification.');
				return send(200, 'text/xml', fs.readFileSync(classification));
			}

			if (p === '/modules/actes/actes_transac_create.php' && req.method === 'POST') {
				if (!parts.length && ![...form.keys()].length)
					return returnAndExit(1, 'La taille totale des fichiers est trop importante (max : 157286400)');
				if (!authOk)
					return returnAndExit(1, "Échec de l'authentification");
				const number = field('number') || '';
				if (!NUMBER.test(number))
					return returnAndExit(1, "Le numéro n'est pas correct");
				const date = field('decision_date') || '';
				if (Date.parse(date) > Date.now())
					return returnAndExit(1, 'La date de décision est une date dans le futur');
				if (numbers.has(number))
					return returnAndExit(1, 'Un acte portant le même numéro interne existe déjà dans la base de données.\n' +
						'Il faut peut-être ajouter un suffixe au numéro.');
				const acte = files('acte_pdf_file');
				if (!acte.length)
					return returnAndExit(1, "Aucun fichier acte n'a été posté ");
				if (!field('type_acte'))
					return returnAndExit(1, `Erreur lors de la réception du fichier ${acte[0].filename} : typologie absente`);
				if (acte[0].data.subarray(0, 5).toString() !== '%PDF-')
					return returnAndExit(1, "Erreur de validation du fichier de l'acte :\nLe fichier n'est pas un PDF\n");
				const annexes = files('acte_attachments[]');
				const typePj = fieldAll('type_pj[]');
				for (let i = 0; i < annexes.length; i++)
					if (!typePj[i])
						return returnAndExit(1, `Erreur lors de la réception du fichier annexe ${annexes[i].filename} : typologie absente`);
				numbers.add(number);
				const fileIds = [acte[0], ...annexes].map(() => String(next++ + 5000));
				const id = newTx({ kind: 'acte', number, pdf: acte[0].data, files: [
					{ id: String(next++ + 5000), name: `${number}.xml`, posted_filename: null, mimetype: 'text/xml' },
					...[acte[0], ...annexes].map((f, i) => ({ id: fileIds[i], name: `${i ? '99_AU' : field('type_acte')}-${number}-${i}.pdf`,
						posted_filename: f.filename, mimetype: 'application/pdf', size: String(f.data.length), sign: null,
						code_pj: i ? typePj[i - 1] : field('type_acte') }))], script: number.startsWith('REFUS') ? [3, 6] :
					number.startsWith('ERR') ? [3, -1] : [1, 3, 4], fields: {
					nature: field('nature_code'), classif1: field('classif1'), classif2: field('classif2'),
					date, subject: field('subject'), type_acte: field('type_acte'), type_pj: typePj,
					annexes: annexes.map((a) => a.filename),
					// $_FILES['acte_attachments_sign']['tmp_name'][$i]: the signature of annex i
					annexe_signs: Object.fromEntries(parts.filter((x) => /^acte_attachments_sign\[\d*\]$/.test(x.name) && x.filename !== null)
						.map((x, k) => [/\[(\d+)\]/.exec(x.name) ? /\[(\d+)\]/.exec(x.name)[1] : String(k), x.data])) } });
				return returnAndExit(0, `Création de l'enveloppe n°${id}. Résultat ok.`, `${id}\n`);
			}

			if (p === '/modules/actes/actes_transac_get_status.php') {
				if (!authOk)
					return echo("KO\nÉchec de l'authentification");
				const t = tx.get(String(parseInt(u.searchParams.get('transaction') || '0', 10)));
				if (!t || t.kind === 'pes')
					return echo('KO\nNuméro de transaction invalide.');
				const s = statusOf(t);
				let flux = '';
				// traitementARAnnulation(): the cancellation transaction 4 with the
				// ARAnnulation as its return, the act's own transaction 0 annulé
				if (s === 4 && t.kind === 'annulation') {
					flux = `<?xml version="1.0" encoding="ISO-8859-1"?>\n<actes:ARAnnulation xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216" actes:IDActe="fake-${t.number}" actes:DateReception="${new Date().toISOString().slice(0, 10)}"/>\n`;
					tx.get(t.related).status = 0;
					return send(200, 'text/html; charset=ISO-8859-1', latin1(`OK\n${s}\n${flux}`));
				}
				if (s === 4)
					flux = `<?xml version="1.0" encoding="ISO-8859-1"?>\n<actes:ARActe xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216" actes:IDActe="fake-${t.number}" actes:DateReception="${new Date().toISOString().slice(0, 10)}"/>\n`;
				if (s === -1)
					flux = 'Erreur lors de la transmission : le ministère a refusé l\'enveloppe';
				if (s === 6)
					flux = 'Acte refusé par la préfecture';
				return send(200, 'text/html; charset=ISO-8859-1', latin1(`OK\n${s}\n${flux}`));
			}

			if (p === '/modules/actes/actes_transac_get_ARActe.php') {
				const t = tx.get(String(parseInt(u.searchParams.get('id') || '0', 10)));
				if (!authOk || !t || t.kind === 'pes' || !(t.status >= 4 && t.status !== 6))
					return returnAndExit(1, "Cette transaction n'existe pas");
				return send(200, 'application/xml', latin1(`<?xml version="1.0" encoding="ISO-8859-1"?>\n<actes:ARActe xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216" actes:IDActe="fake-${t.number}"/>\n`));
			}

			if (p === '/modules/actes/actes_transac_get_files_list.php') {
				if (!authOk)
					return echo("KO\nÉchec de l'authentification");
				const t = tx.get(String(parseInt(u.searchParams.get('transaction') || '0', 10)));
				if (!t || t.kind !== 'acte')
					return echo('KO\nNuméro de transaction invalide.');
				if (![...(t.seen || [])].some((x) => ![1, 2, 3].includes(x)))
					return echo("KO\nPas d'acquittement recu");
				return echo(JSON.stringify(t.files));
			}

			// ActesAPIController::listDocumentPrefectureAction(): the unread
			// documents of types 2-5, as PostgreSQL rows (strings)
			if (p === '/modules/actes/api/list_document_prefecture.php') {
				if (!authOk)
					return echo("KO\nÉchec de l'authentification");
				return echo(JSON.stringify([...tx.entries()].filter(([, t]) => t.kind === 'prefdoc' && !t.lu)
					.map(([id, t]) => ({ id, type: t.type, related_transaction_id: t.related, number: t.number,
						unique_id: t.unique_id, last_status_id: String(t.status) }))));
			}
			if (p === '/modules/actes/api/document_prefecture_mark_as_read.php') {
				if (!authOk)
					return echo("KO\nÉchec de l'authentification");
				const t = tx.get(String(parseInt(u.searchParams.get('transaction_id') || '0', 10)));
				if (t && t.kind === 'prefdoc')
					t.lu = true;
				return echo(JSON.stringify({ result: 'ok' }));      // whatever the id
			}
			// actes_transac_get_document.php: for an act, its documents as
			// "type-status-id" lines; for a document, a redirection to its archive
			if (p === '/modules/actes/actes_transac_get_document.php') {
				if (!authOk)
					return returnAndExit(1, "Échec de l'authentification");
				const id = u.searchParams.get('id');
				const t = tx.get(String(id || ''));
				if (!t)
					return send(200, 'text/plain', text('KO\nNuméro de transaction invalide.'));
				if (t.kind === 'acte')
					return send(200, 'text/plain', text([...tx.entries()].filter(([, x]) => x.kind === 'prefdoc' &&
						x.related === id).map(([i, x]) => `${x.type}-${x.status}-${i}\n`).join('')));
				return send(302, 'text/plain', '', { Location: `actes_download_file.php?env=${t.env}` });
			}

			// actes_download_file.php: an envelope's archive (env=), or one file
			// (file=; tampon=true stamps a PDF, ActeTamponne); a failure redirects
			if (p === '/modules/actes/actes_download_file.php' && u.searchParams.get('env')) {
				const t = [...tx.values()].find((x) => x.env === u.searchParams.get('env'));
				if (!authOk || !t)
					return send(302, 'text/html', '', { Location: '/' });
				return send(200, 'application/x-gzip', t.archive);
			}
			if (p === '/modules/actes/actes_download_file.php') {
				const fileId = u.searchParams.get('file');
				const t = [...tx.values()].find((x) => x.files && x.files.some((f) => f.id === fileId));
				if (!authOk || !t || !/^\d+$/.test(fileId || ''))
					return send(302, 'text/html', '', { Location: '/' });
				const f = t.files.find((x) => x.id === fileId);
				if (f.mimetype !== 'application/pdf' || f !== t.files[1])
					return send(200, f.mimetype, Buffer.from(`fichier ${f.name}`));
				const nl = t.pdf.indexOf(10) + 1;
				const stamp = u.searchParams.get('tampon') ? `% tampon S2LOW transaction ${[...tx.entries()].find(([, x]) => x === t)[0]}\n` : '';
				return send(200, 'application/pdf', Buffer.concat([t.pdf.subarray(0, nl), Buffer.from(stamp), t.pdf.subarray(nl)]));
			}

			// actes_transac_reponse_create.php: api read from the query string
			// only; sortir_atrc() answers "KO : <message>", the typology check
			// Helpers::returnAndExit(); a new transaction of the letter's type
			if (p === '/modules/actes/actes_transac_reponse_create.php' && req.method === 'POST') {
				const apiGet = u.searchParams.get('api') === '1';
				const ko = (msg) => (apiGet ? send(200, 'text/plain', latin1(`KO : ${msg}`)) :
					send(302, 'text/html', '', { Location: '/' }));
				if (!authOk)
					return ko("Échec de l'authentification");
				const rel = tx.get(String(field('id') || ''));
				if (!field('type_acte'))
					return apiGet ? send(200, 'text/html', latin1('KO\nErreur lors de la réception du fichier : typologie absente\n')) :
						send(302, 'text/html', '', { Location: '/' });
				const acte = files('acte_pdf_file');
				if (!acte.length)
					return ko('Envoi de fichier illégal.');
				if (!rel || rel.kind !== 'prefdoc')
					return ko("Erreur lors de l'enregistrement de la transaction :\nla transaction n'existe pas");
				const annexes = files('acte_attachments[]');
				const typePj = fieldAll('type_pj[]');
				for (let i = 0; i < annexes.length; i++)
					if (!typePj[i])
						return apiGet ? send(200, 'text/html', latin1(`KO\nErreur lors de la réception du fichier annexe ${annexes[i].filename} : typologie absente\n`)) :
							send(302, 'text/html', '', { Location: '/' });
				for (const f of [acte[0], ...annexes])
					if (f.data.subarray(0, 5).toString() !== '%PDF-')
						return ko(`Erreur de validation du fichier de l'acte :\nLe fichier ${f.filename} n'est pas un PDF\n`);
				const id = newTx({ kind: 'reponse', related: field('id'), type: rel.type, type_envoie: field('type_envoie'),
					type_acte: field('type_acte'), type_pj: typePj, files: [acte[0], ...annexes].map((f) => f.data),
					number: rel.number, script: [1] });
				return send(200, 'text/plain', latin1(`OK : id généré : ${id}\n`));
			}

			if (p === '/modules/actes/actes_transac_cancel.php' && req.method === 'POST') {
				if (!authOk)
					return returnAndExit(1, "Échec de l'authentification");
				const rel = field('id');
				const t = tx.get(String(rel || ''));
				if (!rel)
					return returnAndExit(1, "Pas d'identifiant de transaction à annuler spécifié.");
				if (!t)
					return returnAndExit(1, "Erreur d'initialisation de la transaction.");
				if (t.kind !== 'acte')
					return returnAndExit(1, 'Ce type de transaction ne peut pas être annulé.');
				if (t.cancelledBy)
					return returnAndExit(1, "Une demande d'annulation est déjà en cours pour cette transaction.");
				if (t.status !== 4)
					return returnAndExit(1, "Impossible d'annuler une transaction qui n'est pas en état « Acquittement reçu ».");
				t.cancelledBy = newTx({ kind: 'annulation', related: rel, number: t.number, script: [3, 4] });
				return returnAndExit(0, 'Création transaction d\'annulation réussie.', `${t.cancelledBy}\n`);
			}

			if (p === '/modules/helios/api/helios_importer_fichier.php' && req.method === 'POST') {
				if (!authOk)
					return echo("KO\nÉchec de l'authentification");
				const f = files('enveloppe');
				if (!f.length)
					return domXml('import', { id: '', resultat: 'KO', message: 'Echec lors du téléchargement du fichier' }, true);
				const sha1 = crypto.createHash('sha1').update(f[0].data).digest('hex');
				if (sha1s.has(sha1))
					return domXml('import', { id: '', resultat: 'KO', message: 'doublon détecté. Ce fichier a déjà été posté' }, true);
				sha1s.add(sha1);
				const nomfic = /NomFic V="([^"]*)"/.exec(f[0].data.toString('latin1'));
				const tag = nomfic ? nomfic[1] : '';
				const id = newTx({ kind: 'pes', filename: f[0].filename, script: tag.startsWith('REFUS') ? [3, 6] :
					tag.startsWith('ERR') ? [2, -1] : [1, 3, 7, 8], refuse: tag.startsWith('REFUS') });
				return domXml('import', { id, resultat: 'OK', message: 'Téléchargement du fichier réussi.' }, true);
			}

			if (p === '/modules/helios/api/helios_transac_get_status.php') {
				const id = parseInt(u.searchParams.get('transaction') || '0', 10);
				const out = { id, resultat: 'KO', message: '', status: '' };
				const t = tx.get(String(id));
				if (!id)
					return heliosXml('transaction', { ...out, message: 'Pas de numéro de transaction.' });
				if (!authOk)
					return heliosXml('transaction', { ...out, message: "Échec de l'authentification" });
				if (!t || t.kind !== 'pes')
					return heliosXml('transaction', { ...out, message: 'Numéro de transaction invalide' });
				const s = statusOf(t);
				const words = { '-1': 'Erreur lors de la transmission : fichier rejeté par la passerelle', 1: 'Fichier bien reçu par la plate-forme Helios',
					3: 'Transmis', 6: 'Refusé', 7: 'En traitement', 8: 'Information disponible' };
				return heliosXml('transaction', { id, resultat: 'OK', message: words[s] || String(s), status: s });
			}

			if (p === '/modules/helios/helios_download_acquit.php') {
				const t = tx.get(String(parseInt(u.searchParams.get('id') || '0', 10)));
				if (!authOk || !t || t.kind !== 'pes' || ![4, 6, 8].includes(t.status))
					return send(302, 'text/html', '', { Location: '/modules/helios/index.php' });
				let x = fs.readFileSync(acquit).toString('latin1');
				if (t.refuse)
					x = x.replace('<EtatAck V="1"/>', '<EtatAck V="0"/><Erreur><NumAnoAck V="42"/><LibelleAnoAck V="Bordereau refusé"/></Erreur>');
				return send(200, 'application/xml', latin1(x), { 'Content-Disposition': `attachment; filename="ACK_${t.filename}"` });
			}
			// HeliosController::getPESRetourListAction(): <resultat> is left
			// empty when the list is given
			if (p === '/modules/helios/api/helios_get_list.php') {
				const head = `<?xml version="1.0"?>\n<liste>\n`;
				if (!authOk)
					return send(200, 'text/xml', text(`${head}  <resultat>KO</resultat>\n  <message>Échec de l'authentification</message>\n</liste>\n`));
				const items = pesRetours.filter((r) => !r.read).map((r) =>
					`  <pes_retour>\n    <id>${r.id}</id>\n    <nom>${esc(r.nom)}</nom>\n    <date>${r.date}</date>\n  </pes_retour>\n`);
				return send(200, 'text/xml', text(`${head}  <idColl>1</idColl>\n  <resultat/>\n  <message>liste réussi</message>\n` +
					`  <dateDemande>${new Date().toISOString().slice(0, 19).replace('T', ' ')}</dateDemande>\n${items.join('')}</liste>\n`));
			}
			if (p === '/modules/helios/api/helios_get_retour.php') {
				const id = u.searchParams.get('id');
				const r = pesRetours.find((x) => x.id === id);
				const ko = (msg) => domXml('get_retour', { id: id || '', resultat: 'KO', message: msg });
				if (!authOk)
					return ko("Échec de l'authentification");
				if (!r)
					return ko("retour id n'est pas correcte");
				return send(200, 'text/xml', fs.readFileSync(r.file), { 'Content-Disposition': `attachment; filename="${r.nom}"` });
			}
			if (p === '/modules/helios/api/helios_change_status.php') {
				const id = u.searchParams.get('id');
				const r = pesRetours.find((x) => x.id === id);
				if (!authOk)
					return domXml('transaction', { idRetour: id || '', resultat: 'KO', message: "Échec de l'authentification" });
				if (!id)
					return domXml('transaction', { idRetour: '', resultat: 'KO', message: 'retour id est vide ou incorrecte.' });
				if (!r)
					return domXml('transaction', { idRetour: id, resultat: 'KO', message: 'Changement de status est echoué.' });
				r.read = true;
				return domXml('transaction', { idRetour: id, resultat: 'OK', message: 'reussi de changer status' });
			}
			send(404, 'text/html', 'Not Found');
		});
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
		url: `https://127.0.0.1:${server.address().port}/`, tx, requests, clientNames, pesRetours,
		// a document from the prefecture (type 2-5) about the act of transaction related
		addPrefDoc: (related, type, archive) => {
			const r = tx.get(related);
			return newTx({ kind: 'prefdoc', related, type: String(type), number: r.number, unique_id: `034-000000000-20260101-${r.number}-DE`,
				status: 7, script: [7], env: String(next + 7000), archive, lu: false });
		},
		close: () => server.close(),
	})));
}
