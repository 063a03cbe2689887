#!/bin/sh
# bench/run-ingest.sh [ingest options]: creates a private PostgreSQL cluster,
# starts liassed on a free port, adds one organisation and one API client,
# then runs bench/ingest (API ingestion vs raw INSERT+COMMIT in the same run).
# Run it from the build directory (or set BUILDDIR).  Options go to ingest,
# e.g. `-c 8 -d 20`.  BENCH_PG_OPTS adds postgres options (e.g.
# "-c synchronous_commit=off"); the default is PostgreSQL's own settings.
# Set BENCH_KEEP=1 to keep the temporary directory; BENCH_SQL runs SQL after
# liassed has started and migrated (experiments only); BENCH_CONF adds lines
# to liassed's configuration (e.g. "workers = 1").
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$(pwd)}
if [ ! -x "$builddir/src/liassed" ]; then
	echo "run-ingest: no $builddir/src/liassed; run from the build directory or set BUILDDIR" >&2
	exit 1
fi
make -s -C "$builddir" bench/ingest
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "run-ingest: PostgreSQL server binaries not found" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/liasse-bench-XXXXXX")
chmod 755 "$tmp"
mkdir "$tmp/pg" "$tmp/sock"
chmod 700 "$tmp/pg"
as_pg() { "$@"; }
user_line=
if [ "$(id -u)" = 0 ]; then
	id liasse >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin liasse
	chown liasse: "$tmp/pg" "$tmp/sock"
	touch "$tmp/postgres.log"
	chown liasse: "$tmp/postgres.log"
	as_pg() { runuser -u liasse -- "$@"; }
	user_line="user = liasse"
fi
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	as_pg "$bindir/pg_ctl" -D "$tmp/pg" -m fast -w stop >/dev/null 2>&1 || true
	if [ "${BENCH_KEEP:-}" ]; then echo "run-ingest: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT INT TERM

as_pg "$bindir/initdb" -D "$tmp/pg" -A trust -U liasse --no-sync -E UTF8 --locale=C >/dev/null
as_pg "$bindir/pg_ctl" -D "$tmp/pg" -l "$tmp/postgres.log" -w \
	-o "-k $tmp/sock -c listen_addresses='' -c max_connections=200 ${BENCH_PG_OPTS:-}" start >/dev/null
"$bindir/psql" -X -q -h "$tmp/sock" -U liasse -d postgres -c 'CREATE DATABASE liasse'
conninfo="host=$tmp/sock dbname=liasse user=liasse"
cat >"$tmp/liasse.conf" <<CONF
listen_address = 127.0.0.1
listen_port = 0
database = $conninfo
log_level = info
$user_line
${BENCH_CONF:-}
CONF
chmod 644 "$tmp/liasse.conf"
export LIASSE_SQLDIR="${BENCH_SQLDIR:-$srcdir/schemas/sql}" LIASSE_OPENAPI="$srcdir/doc/openapi.json"
"$builddir/src/liasse" -c "$tmp/liasse.conf" db migrate
# log_level = info as deployed (the listening line is an info line).
"$builddir/src/liassed" -c "$tmp/liasse.conf" 2>"$tmp/liassed.log" &
pid=$!
url=
for _ in $(seq 1 300); do
	url=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$tmp/liassed.log" | head -n 1)
	[ -n "$url" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$url" ]; then
	echo "run-ingest: liassed did not start:" >&2
	cat "$tmp/liassed.log" >&2
	exit 1
fi
# Experiments: BENCH_SQL is run once liassed has started, since liassed
# recreates every function, view and trigger when it starts (store_migrate):
# run earlier, a replaced function would be replaced back.
if [ -n "${BENCH_SQL:-}" ]; then
	"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$tmp/sock" -U liasse -d liasse -c "$BENCH_SQL"
fi
org=214502494
"$builddir/src/liasse" -c "$tmp/liasse.conf" org add --siren $org --name "Commune de banc d'essai" >/dev/null
key=$("$builddir/src/liasse" -c "$tmp/liasse.conf" client add --name bench --org $org)
echo "run-ingest: liassed at $url, PostgreSQL at $tmp/sock"
pgpid=$(head -n 1 "$tmp/pg/postmaster.pid")
"$builddir/bench/ingest" -u "$url" -k "$key" -o "$org" -D "$conninfo" -P "$pgpid" -L "$pid" "$@"
