// Real, well-formed PDFs for the PAdES tests (the harness's pdfBytes() is a
// PDF header around filler, which no PDF library opens), and hostile ones.
// Each is written object by object with a correct cross-reference table.

function build(objects, trailerExtra = '') {
	const parts = ['%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'];
	const offsets = [];
	let len = Buffer.byteLength(parts[0], 'latin1');
	objects.forEach((body, i) => {
		offsets.push(len);
		const s = `${i + 1} 0 obj\n${body}\nendobj\n`;
		parts.push(s);
		len += Buffer.byteLength(s, 'latin1');
	});
	let xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
	for (const o of offsets)
		xref += `${String(o).padStart(10, '0')} 00000 n \n`;
	parts.push(xref, `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra}>>\nstartxref\n${len}\n%%EOF\n`);
	return Buffer.from(parts.join(''), 'latin1');
}

// An A4 PDF of n pages, each saying `${text} page i`; padTo pads page 1's
// content stream (a comment) so that the file reaches about that size.
export function makePdf({ pages = 1, text = 'Arrete municipal', padTo = 0 } = {}) {
	const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '', '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
	const kids = [];
	for (let i = 1; i <= pages; i++) {
		let content = `BT /F1 18 Tf 72 760 Td (${text} page ${i}) Tj ET\n`;
		if (i === 1 && padTo > 0) {
			const line = `% ${'x'.repeat(70)}\n`;
			content += line.repeat(Math.max(0, Math.ceil(padTo / line.length)));
		}
		objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${objs.length + 2} 0 R >>`);
		kids.push(`${objs.length} 0 R`);
		objs.push(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}endstream`);
	}
	objs[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
	return build(objs);
}

// Hostile PDFs: each must be refused with a clear problem, quickly.
export const hostile = {
	// Bytes that start like a PDF and hold nothing.
	malformed: () => Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R\nendobj\ntrailer <<>>\n%%EOF\n'),
	// A standard security handler in the trailer (RC4, empty user password).
	encrypted: () => {
		const base = makePdf().toString('latin1');
		const o = '<' + 'a'.repeat(64) + '>';
		const enc = `/Encrypt << /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O ${o} /U ${o} >> /ID [<0011223344556677> <0011223344556677>] `;
		return Buffer.from(base.replace('/Root 1 0 R ', `/Root 1 0 R ${enc}`), 'latin1');
	},
	// Arrays nested 100,000 deep in the catalog.
	deep: () => {
		const n = 100000;
		return build([`<< /Type /Catalog /Pages 2 0 R /X ${'['.repeat(n)}${']'.repeat(n)} >>`,
			'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
			'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>']);
	},
	// A page tree that claims 10 million pages, and kids that point at themselves.
	pageLoop: () => build(['<< /Type /Catalog /Pages 2 0 R >>',
		'<< /Type /Pages /Kids [2 0 R 2 0 R] /Count 10000000 >>']),
};
