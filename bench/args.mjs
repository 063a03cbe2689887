// bench/args.mjs - the numeric options of the node benches: numArg('-n', 100)
// is the number after -n on the command line, or 100.
export function numArg(name, dflt) {
	const args = process.argv.slice(2);
	const i = args.indexOf(name);
	return i >= 0 ? Number(args[i + 1]) : dflt;
}
