#!/bin/sh
# bench/journal/run.sh [N] [ROUNDS] - see bench/journal/verify.mjs and bench/README.
# Run from the build directory (liasse built there).
set -e
src=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=${top_builddir:-$PWD} top_srcdir=${top_srcdir:-$src} \
LIASSE_SQLDIR=${LIASSE_SQLDIR:-$src/schemas/sql} \
	exec node "$src/bench/journal/verify.mjs" "${1:-10000000}" "${2:-3}"
