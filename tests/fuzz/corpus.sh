#!/bin/sh
# corpus.sh TARGET SRCDIR FIXTURES OUTDIR - the seed corpus of one libFuzzer
# target (make fuzz-corpus): the hand-written seeds of tests/fuzz/seeds/TARGET,
# then what the real fixtures give it.  Fixtures that are absent are skipped.
set -eu
t=$1 src=$2 fx=$3 out=$4
mkdir -p "$out"
[ -d "$src/tests/fuzz/seeds/$t" ] && cp "$src/tests/fuzz/seeds/$t"/* "$out"/ 2>/dev/null || true
have() { [ -d "$fx/$1" ]; }

# An e-mail as the prefecture sends it: every file of $1 attached in base64,
# and the directory again as one tar.gz (test-archive-* are archives).
mail() {
	dir=$1 b=liasse-fuzz-boundary
	printf 'From: prefecture@example.gouv.fr\r\nSubject: %s\r\nMIME-Version: 1.0\r\n' "$(basename "$dir")"
	printf 'Content-Type: multipart/mixed; boundary="%s"\r\n\r\nThis is a multi-part message.\r\n' $b
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		printf -- '--%s\r\nContent-Type: application/octet-stream; name="%s"\r\n' $b "$(basename "$f")"
		printf 'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="%s"\r\n\r\n' \
			"$(basename "$f")"
		base64 "$f" | sed 's/$/\r/'
	done
	printf -- '--%s\r\nContent-Type: application/x-gzip; name="retour.tar.gz"\r\n' $b
	printf 'Content-Transfer-Encoding: base64\r\n\r\n'
	(cd "$dir" && tar -cf - --format=ustar -- *.xml 2>/dev/null | gzip -c | base64 | sed 's/$/\r/')
	printf -- '--%s--\r\n' $b
}

case $t in
fuzz_pes_scan|fuzz_sign|fuzz_xmlguard)
	[ -d "$fx" ] && find "$fx" -name '*.xml' -size -64k -exec cp {} "$out"/ ';' ;;
fuzz_acquit)
	have s2low/helios/fixtures && find "$fx/s2low/helios/fixtures" -iname 'pes_acquit*.xml' -size -64k \
		-exec cp {} "$out"/ ';' ;;
fuzz_imap)
	if have s2low/class/fixtures; then
		for d in "$fx"/s2low/class/fixtures/*/; do
			mail "${d%/}" > "$out/mail-$(basename "$d").eml"
		done
	fi ;;
fuzz_pdf)
	# the PDFs of the fixtures: the i-Parapheur source and its PAdES signature
	[ -d "$fx" ] && find "$fx" -iname '*.pdf' -size -512k -exec cp {} "$out"/ ';' ;;
fuzz_meta)
	# the metadata of the API cases (tests/data/api), placeholders filled
	for c in "$src"/tests/data/api/*.case; do
		[ -f "$c" ] || continue
		sed -n '/^--- metadata$/{n;p;q}' "$c" | sed -e 's/{{org}}/213401722/g' \
			-e 's/{{today}}/2026-12-01/g' -e 's/{{[a-z_]*}}/x/g' > "$out/$(basename "$c" .case).json"
		[ -s "$out/$(basename "$c" .case).json" ] || rm -f "$out/$(basename "$c" .case).json"
	done ;;
esac
exit 0
