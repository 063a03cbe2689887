#!/bin/sh
# link_check.sh - MuPDF as liassed and liasse are linked with it
# (doc/pdf-library.md): its own static line, its dependencies Debian's
# shared libraries, no hand-written stand-ins, the version it was built with
# printed by --version.  Output is TAP; the exit status is what make check
# reads.  Skips when readelf or nm (binutils) is absent.
set -u

bld=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

for t in readelf nm; do
	command -v $t >/dev/null 2>&1 || { echo "1..0 # SKIP $t (binutils) not installed"; exit 77; }
done

# FZ_VERSION of the headers the build used (mupdf.pc's Version is stale).
fzv=$(printf '#include <mupdf/fitz/version.h>\nFZ_VERSION\n' |
	${CC:-cc} ${LIASSE_MUPDF_CFLAGS:-} -E -P - 2>/dev/null | tr -d '"[:space:]')
check "the MuPDF headers give a version ($fzv)" '[ -n "$fzv" ]'

for prog in liassed liasse; do
	bin=$bld/src/$prog
	v=$("$bin" --version 2>&1)
	check "$prog --version names the MuPDF built in: $v" \
		'case $v in "$prog "*" (MuPDF $fzv, static)") true;; *) false;; esac'

	needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	# MuPDF's dependencies (mupdf.pc's Libs.private, freetype2) come from
	# Debian's shared libraries, updated without rebuilding liasse.
	for lib in libmujs.so libgumbo.so libopenjp2.so libjbig2dec.so libjpeg.so libfreetype.so libz.so; do
		check "$prog needs $lib (shared)" 'echo "$needed" | grep -q "^$lib"'
	done
	# What only a static freetype would need is not a dependency (--as-needed).
	for lib in libpng16.so libbrotlidec.so libgraphite2.so libglib-2.0.so; do
		check "$prog does not need $lib" '! echo "$needed" | grep -q "^$lib"'
	done
	# The JBIG2 and JavaScript entry points MuPDF calls are the libraries'
	# own (undefined in the binary, bound at run time), not stubs.
	for sym in jbig2_ctx_new_imp jbig2_data_in js_newstate js_pcall; do
		check "$prog takes $sym from its library" \
			'nm -D --undefined-only "$bin" | grep -qw "$sym" && ! nm --defined-only "$bin" 2>/dev/null | grep -qw "$sym"'
	done
done

echo "1..$n"
[ "$failed" -eq 0 ]
