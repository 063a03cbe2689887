#!/bin/sh
# doc_check.sh - the documentation in doc/ agrees with the code and is well formed:
#  - liasse.conf.5 documents every key of src/core/config_keys.def (and no other),
#    with its type, its default and its reload flag;
#  - liasse.1 documents every command of the admin CLI;
#  - the man pages pass "mandoc -T lint -W warning" (when mandoc is installed);
#  - doc/openapi.json is OpenAPI 3.1 JSON in its canonical layout (2-space
#    indentation, as JSON.stringify writes it), every $ref resolves and every
#    operationId is unique (when node is installed);
#  - schemas/Makefile.inc installs every file of schemas/sql.
# Output is TAP; the exit status is what make check reads.
set -u

top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
doc=$top/doc
def=$top/src/core/config_keys.def
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # skip $1"; }

# Lines of one key's entry in liasse.conf.5: from ".It Cm KEY " to the next entry.
conf_entry() {
	awk -v k="$1" '
		$1 == ".It" && $2 == "Cm" { on = ($3 == k) }
		/^\.(El|Ss|Sh)/ && !/^\.El$/ { on = 0 }
		on { print }' "$doc/liasse.conf.5"
}

type_word() {
	case $1 in
	STR) echo string ;; INT) echo integer ;; SIZE) echo size ;;
	SECS) echo duration ;; BOOL) echo boolean ;; *) echo "?$1" ;;
	esac
}

check_key() {	# name type default reloadable
	entry=$(conf_entry "$1")
	if [ -z "$entry" ]; then
		not_ok "liasse.conf.5 documents $1 (add an .It Cm $1 entry under KEYS)"
		return
	fi
	head=$(printf '%s\n' "$entry" | head -n 1)
	want=".It Cm $1 No = Ar $(type_word "$2")"
	[ "$4" = 1 ] && want="$want Pq reload"
	if [ "$head" != "$want" ]; then
		not_ok "liasse.conf.5: $1 entry reads \"$head\", expected \"$want\""
		return
	fi
	if [ -z "$3" ]; then
		printf '%s\n' "$entry" | grep -q '^Default: empty\.$' ||
			{ not_ok "liasse.conf.5: $1 should say \"Default: empty.\""; return; }
	elif [ "$3" = "${3%% *}" ]; then
		printf '%s\n' "$entry" | grep -qxF -e ".Ql $3 ." -e "$3" ||
			{ not_ok "liasse.conf.5: $1 should say \"Default: .Ql $3 .\""; return; }
	else
		for w in $3; do
			printf '%s\n' "$entry" | grep -qF -- "$w" ||
				{ not_ok "liasse.conf.5: $1 default \"$3\" not shown"; return; }
		done
	fi
	ok "liasse.conf.5 documents $1"
}

# Keys of the table: "name|TYPE|default|reloadable".
keys=$(sed -n 's/^KEY(\([a-z0-9_]*\), *\([A-Z]*\), *"\([^"]*\)", *\([01]\),.*/\1|\2|\3|\4/p' "$def")
if [ -z "$keys" ]; then
	not_ok "read the keys of $def"
else
	printf '%s\n' "$keys" > "${TMPDIR:-/tmp}/doc_check.$$"
	while IFS='|' read -r name type dflt reload; do
		check_key "$name" "$type" "$dflt" "$reload"
	done < "${TMPDIR:-/tmp}/doc_check.$$"
	rm -f "${TMPDIR:-/tmp}/doc_check.$$"
	names=$(printf '%s\n' "$keys" | cut -d'|' -f1)
	stale=
	for k in $(awk '$1 == ".It" && $2 == "Cm" { print $3 }' "$doc/liasse.conf.5"); do
		printf '%s\n' "$names" | grep -qx -- "$k" || stale="$stale $k"
	done
	if [ -z "$stale" ]; then
		ok "liasse.conf.5 documents only keys of config_keys.def"
	else
		not_ok "liasse.conf.5 documents keys that do not exist:$stale"
	fi
fi

# Every command of the admin CLI (the contract's, and every one in the command
# table of src/liasse.c) has its entry in liasse.1.
cmds=$({
	printf '%s\n' "db migrate" "org add" "org list" "client add" "client list" \
	    "client revoke" "doc show" "sign" "verify"
	sed -n 's/^[[:space:]]*{ "\([a-z]*\)", \("\([a-z]*\)"\|NULL\), cli_.*/\1 \3/p' \
	    "$top/src/liasse.c" | sed 's/ $//'
} | sort -u)
while read -r c; do
	if grep -q "^\.\(It \)\{0,1\}Ic $c\( \|$\)" "$doc/liasse.1"; then
		ok "liasse.1 documents \"$c\""
	else
		not_ok "liasse.1 documents \"$c\" (add an .It Ic $c entry)"
	fi
done <<EOF
$cmds
EOF

if command -v mandoc >/dev/null 2>&1; then
	for m in liassed.8 liasse.1 liasse.conf.5; do
		if out=$(mandoc -T lint -W warning "$doc/$m" 2>&1) && [ -z "$out" ]; then
			ok "mandoc lint $m"
		else
			not_ok "mandoc lint $m"
			printf '%s\n' "$out" | sed 's/^/# /'
		fi
	done
else
	skip "mandoc not installed (contrib/install-deps installs it)"
fi

if command -v node >/dev/null 2>&1; then
	if out=$(node - "$doc/openapi.json" 2>&1 <<'EOF'
const fs = require("fs");
const text = fs.readFileSync(process.argv[2], "utf8");
const doc = JSON.parse(text);
const errs = [];
if (doc.openapi !== "3.1.0")
	errs.push("openapi is not 3.1.0");
if (JSON.stringify(doc, null, 2) + "\n" !== text)
	errs.push("not in canonical layout: rewrite with JSON.stringify(doc, null, 2) plus a newline");
const ids = new Set();
(function walk(o, where) {
	if (!o || typeof o !== "object")
		return;
	for (const [k, v] of Object.entries(o)) {
		if (k === "$ref") {
			let t = doc;
			for (const p of String(v).replace(/^#\//, "").split("/"))
				t = t === undefined ? t : t[p.replace(/~1/g, "/").replace(/~0/g, "~")];
			if (!String(v).startsWith("#/") || t === undefined)
				errs.push(`unresolved $ref ${v} at ${where}`);
		} else if (k === "operationId" && typeof v === "string") {
			if (ids.has(v))
				errs.push(`duplicate operationId ${v}`);
			ids.add(v);
		} else {
			walk(v, `${where}/${k}`);
		}
	}
})(doc, "#");
for (const [p, item] of Object.entries(doc.paths || {}))
	for (const m of ["get", "put", "post", "delete", "patch", "head"])
		if (item[m] && !item[m].operationId)
			errs.push(`${m.toUpperCase()} ${p} has no operationId`);
if (errs.length) {
	console.log(errs.join("\n"));
	process.exit(1);
}
EOF
	); then
		ok "openapi.json: canonical JSON, references resolve, operationIds unique"
	else
		not_ok "openapi.json: canonical JSON, references resolve, operationIds unique"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
else
	skip "node not installed"
fi

# Every migration and function file is installed (schemas/Makefile.inc): a
# file only the tests read would be missing from an installed liassed.
missing=
for f in "$top"/schemas/sql/*.sql "$top"/schemas/sql/functions/*.sql; do
	rel=${f#"$top"/}
	grep -q "$rel" "$top/schemas/Makefile.inc" || missing="$missing $rel"
done
if [ -z "$missing" ]; then
	ok "schemas/Makefile.inc installs every SQL file"
else
	not_ok "schemas/Makefile.inc does not install:$missing"
fi

echo "1..$n"
[ "$failed" = 0 ]
