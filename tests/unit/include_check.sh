#!/bin/sh
# include_check.sh - the module boundaries of CONVENTIONS.md, on the #include
# lines of src/: libpq only in store/, xmlsec only in sign/, curl only in
# transmit/ (webhook.c, the webhook sender, is there), microhttpd only in
# http/.  Every offending file is named with its line.
# Then the rule proves itself on a scratch tree with planted stray includes:
# the scan must name each of them (and not the allowed ones), and the include
# fence (src/fence/, the flags every module but transmit/ and http/ compiles
# with) must stop each stray curl or microhttpd include from compiling.
# Output is TAP; the exit status is what make check reads.
#   include_check.sh            check $top_srcdir/src, then the self-test
#   include_check.sh DIR        only scan DIR (laid out like src/)
set -u

top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# header pattern (ERE, after "#include <" or "#include \"") and its module
RULES='libpq-fe\.h|libpq/|pg_config|postgres_ext\.h store libpq
xmlsec/ sign xmlsec
curl/ transmit libcurl
microhttpd\.h http libmicrohttpd
mupdf/ pdf libmupdf'

# scan DIR: prints one line per offending include, returns 1 if any.
scan() {
	dir=${1%/}
	out=$(echo "$RULES" | while read -r pat mod lib; do
		grep -rnE --include='*.c' --include='*.h' \
			"^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pat)" "$dir" 2>/dev/null |
		while IFS= read -r hit; do
			case $hit in
			"$dir/$mod/"*) ;;
			*) file=${hit%%:*}; rest=${hit#*:}; line=${rest%%:*}
			   hdr=$(echo "${rest#*:}" | sed 's/^[^<"]*\([<"][^>"]*[>"]\).*/\1/')
			   echo "$file:$line: $hdr outside src/$mod/: only $mod/ may use $lib";;
			esac
		done
	done)
	[ -z "$out" ] && return 0
	echo "$out"
	return 1
}

if [ $# -gt 0 ]; then
	scan "$1"
	exit $?
fi

echo "1..5"
if res=$(scan "$top/src"); then
	ok "src/: libpq, xmlsec, curl, microhttpd and MuPDF stay in their modules"
else
	echo "$res" | sed 's/^/# /'
	not_ok "src/: libpq, xmlsec, curl, microhttpd and MuPDF stay in their modules"
fi

# The self-test: a scratch tree with one stray include per library.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/liasse-include-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/web" "$tmp/flow" "$tmp/http" "$tmp/store" "$tmp/transmit" "$tmp/sign"
printf '#include "core/log.h"\n#include <curl/curl.h>\n' > "$tmp/web/stray_curl.c"
printf '  #  include   <microhttpd.h>\n' > "$tmp/flow/stray_mhd.h"
printf '#include "libpq-fe.h"\n' > "$tmp/http/stray_pq.c"
printf '#include <xmlsec/xmlsec.h>\n' > "$tmp/store/stray_xmlsec.c"
printf '#include <curl/curl.h>\n' > "$tmp/transmit/ok.c"
printf '#include <xmlsec/xmldsig.h>\n' > "$tmp/sign/ok.h"
res=$(scan "$tmp")
missed=
for f in web/stray_curl.c:2 flow/stray_mhd.h:1 http/stray_pq.c:1 store/stray_xmlsec.c:1; do
	echo "$res" | grep -q "^$tmp/$f: " || missed="$missed $f"
done
echo "$res" | grep -q '/ok\.[ch]:' && missed="$missed (an allowed include was reported)"
if [ -z "$missed" ] && ! scan "$tmp" >/dev/null; then
	ok "planted stray includes are named, allowed ones are not"
else
	echo "$res" | sed 's/^/# /'
	not_ok "planted stray includes are named, allowed ones are not:$missed"
fi

# The fence: the real headers compile, the same include with the flags of
# every module (AM_CPPFLAGS, from make check) does not.
cc=${CC:-cc}
flags=${LIASSE_AM_CPPFLAGS:-"-I$top/src/fence/nocurl -I$top/src/fence/nomhd -I$top/src/fence/nomupdf"}
fence_case() {   # header, description
	printf '#include <%s>\nint x;\n' "$1" > "$tmp/fence.c"
	if ! $cc -fsyntax-only -c "$tmp/fence.c" -o /dev/null 2>/dev/null; then
		echo "ok $((n = n + 1)) # skip $1 is not installed"
		return
	fi
	# shellcheck disable=SC2086
	if err=$($cc -fsyntax-only $flags -c "$tmp/fence.c" -o /dev/null 2>&1); then
		not_ok "the include fence stops $2"
	elif echo "$err" | grep -q 'src/fence/README'; then
		ok "the include fence stops $2"
	else
		echo "$err" | sed 's/^/# /'
		not_ok "the include fence stops $2 (another error)"
	fi
}
fence_case curl/curl.h "<curl/curl.h> outside transmit/"
fence_case microhttpd.h "<microhttpd.h> outside http/"
fence_case mupdf/fitz.h "<mupdf/fitz.h> outside pdf/"
exit $((failed > 0))
