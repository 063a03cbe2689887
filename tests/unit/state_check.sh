#!/bin/sh
# state_check.sh - document.state has one writer, SQL document_apply() in
# schemas/sql/functions/30_state.sql (the table of transitions is there),
# and its set form document_apply_many() beside it:
#  - no C string under src/ updates document.state or inserts a document with
#    a state (adjacent string literals are joined first, as the compiler does);
#  - no C code lists states to move a document between (store_doc_event()
#    names an event) and only src/store/doc.c calls document_apply();
#  - no SQL file but 30_state.sql updates document.state, and only
#    20_document.sql (document_create) inserts a document with one.
# The migrated schema is checked the same way by tests/unit/test_store.c.
# Output is TAP; the exit status is what make check reads.
set -u

top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() {	# description, offending lines (empty: pass)
	if [ -z "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}

if ! command -v perl >/dev/null 2>&1; then
	echo "1..0 # skip perl not installed"
	exit 77
fi

# C: string literals joined across lines (and macro continuations), then
# searched; prints file: statement for each offence.
c_writes=$(find "$top/src" -name '*.c' -o -name '*.h' -o -name '*.inc' | sort | xargs perl -0777 -ne '
	s/"\s*\\?\n\s*"//g;
	while (/(UPDATE\s+document\b(?:\s+(?:AS\s+)?\w+)?\s+SET\b(?:(?!\bWHERE\b|\bFROM\b|\bRETURNING\b)[^";])*\bstate\s*=[^"]*)/gi) {
		print "$ARGV: $1\n";
	}
	while (/(INSERT\s+INTO\s+document\s*\([^)"]*\bstate\b[^"]*)/gi) {
		print "$ARGV: $1\n";
	}')
check "no C string writes document.state" "$c_writes"

c_lists=$(grep -rn --include='*.[ch]' --include='*.inc' 'store_doc_transition\|document_apply' "$top/src" |
	grep -v "^$top/src/store/doc.c:" |
	grep -v '^[^:]*:[0-9]*:\s*\(/\?\*\|//\)')
check "C callers name events: no store_doc_transition(), document_apply() only in store/doc.c" "$c_lists"

sql_writes=$(cd "$top/schemas/sql" && perl -0777 -ne '
	while (/(UPDATE\s+document\b(?:\s+(?:AS\s+)?\w+)?\s+SET\b(?:(?!\bWHERE\b|\bFROM\b|\bRETURNING\b)[^;])*\bstate\s*=)/gi) {
		print "$ARGV: $1\n" unless $ARGV eq "functions/30_state.sql";
	}
	while (/(INSERT\s+INTO\s+document\s*\([^)]*\bstate\b)/gi) {
		print "$ARGV: $1\n" unless $ARGV eq "functions/20_document.sql";
	}' *.sql functions/*.sql)
check "no SQL file but functions/30_state.sql writes document.state" "$sql_writes"

one=$(cd "$top/schemas/sql" && perl -0777 -ne '
	$n++ while /UPDATE\s+document\s+SET\s+state\s*=/gi; END { print $n + 0 }' functions/30_state.sql)
[ "$one" = 2 ] && ok "document_apply() and document_apply_many() are found by the same pattern" ||
	not_ok "document_apply() and document_apply_many() are found by the same pattern ($one, not 2)"

echo "1..$n"
[ $failed -eq 0 ]
