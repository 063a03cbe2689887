#!/bin/sh
# contrib/liassed.service: systemd-analyze verify accepts it (with the paths
# of this build filled in, so that verify finds the binary) and
# systemd-analyze security rates its exposure 2.5 or less ("OK").
# Skipped (77) without systemd-analyze.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
command -v systemd-analyze >/dev/null 2>&1 || { echo "skip: no systemd-analyze"; exit 77; }
[ -x "$top_builddir/src/liassed" ] || { echo "FAIL: build src/liassed first"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/liasse-unit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unit=$tmp/liassed.service
sed -e "s|@bindir@|$top_builddir/src|g" -e "s|@sysconfdir@|$tmp|g" \
	"$top_srcdir/contrib/liassed.service.in" >"$unit"
fail=0

if ! grep -q '@[a-z]*@' "$unit"; then echo "ok 1 - every @variable@ substituted"
else echo "not ok 1 - unsubstituted variables:"; grep '@[a-z]*@' "$unit"; fail=1; fi

# verify prints its complaints and exits 0 on some of them: any output fails.
out=$(systemd-analyze verify --man=no "$unit" 2>&1); rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then echo "ok 2 - systemd-analyze verify"
else echo "not ok 2 - systemd-analyze verify (exit $rc):"; echo "$out" | sed 's/^/# /'; fail=1; fi

out=$(systemd-analyze security --offline=yes --threshold=25 "$unit" 2>&1); rc=$?
level=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: *//p')
if [ $rc = 0 ]; then echo "ok 3 - systemd-analyze security: $level"
else echo "not ok 3 - systemd-analyze security above 2.5 (exit $rc): $level"
	echo "$out" | grep '✗' | sed 's/^/# /'; fail=1; fi

# What the daemon relies on is in the unit, not only what scores.
for want in Type=notify User=liasse StateDirectory=liasse ProtectSystem=strict NoNewPrivileges=yes \
	'CapabilityBoundingSet=$' 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
	'SystemCallFilter=@system-service' MemoryDenyWriteExecute=yes TimeoutStopSec=; do
	grep -q "^$want" "$unit" || { echo "not ok 4 - missing $want"; fail=1; }
done
[ $fail = 1 ] || echo "ok 4 - the expected settings are there"

# TimeoutStopSec leaves room after shutdown_timeout's default (liassed exits by then).
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
dflt=$(sed -n 's/^KEY(shutdown_timeout, SECS, "\([0-9]*\)s".*/\1/p' "$top_srcdir/src/core/config_keys.def")
if [ -n "$stop" ] && [ -n "$dflt" ] && [ "$stop" -gt "$dflt" ]; then
	echo "ok 5 - TimeoutStopSec=${stop}s > shutdown_timeout ${dflt}s"
else echo "not ok 5 - TimeoutStopSec ($stop) must exceed shutdown_timeout ($dflt)"; fail=1; fi
exit $fail
