#!/bin/sh
# bench/scale/run.sh [N] [ROUNDS] - see bench/scale/scale.mjs and bench/README.
# Run from the build directory (liassed and liasse built there).
set -e
src=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=${top_builddir:-$PWD} top_srcdir=${top_srcdir:-$src} \
LIASSE_SQLDIR=${LIASSE_SQLDIR:-$src/schemas/sql} \
	exec node "$src/bench/scale/scale.mjs" "${1:-1000000}" "${2:-30}"
