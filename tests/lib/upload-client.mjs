// A vendor client in its own process, so that a test can kill it in the
// middle of an upload: node upload-client.mjs URL KEY METADATA-JSON SIZE BYTES-PER-S
// Prints "sent N" about every MiB, then "status S".
import { streamDocument, streamedPdf } from './harness.mjs';

const [url, key, meta, size, throttle] = process.argv.slice(2);
let last = 0;
const r = await streamDocument(url, key, JSON.parse(meta), streamedPdf(Number(size), 'killed'), {
	throttle: Number(throttle),
	onProgress: (n) => {
		if (n - last >= 1 << 20) {
			last = n;
			process.stdout.write(`sent ${n}\n`);
		}
	},
});
process.stdout.write(`status ${r.status}\n`);
