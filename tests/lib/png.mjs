// A PNG of width x height pixels of one colour (8-bit RGB), made here for
// the logo tests (pades-logo, web/pades-pages): each chunk with its CRC,
// the rows deflated by node's zlib.
import zlib from 'node:zlib';

function chunk(type, data) {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(zlib.crc32(td) >>> 0);
	return Buffer.concat([len, td, crc]);
}

export function png(width, height, [r, g, b]) {
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr.set([8, 2, 0, 0, 0], 8);
	const row = Buffer.alloc(1 + 3 * width);
	for (let x = 0; x < width; x++)
		row.set([r, g, b], 1 + 3 * x);
	const raw = Buffer.concat(Array.from({ length: height }, () => row));
	return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
		chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
