#!/usr/bin/env bash
# Runs every test: the whole suite (SQLite, PostgreSQL, integration, browser)
# under ASan+UBSan (clang-19) together with each libFuzzer target for a short
# time, and the main (g++, optimised) build's suite on SQLite and the
# backend-independent tests. The PostgreSQL tests run once, in the sanitizer
# suite: they exercise the same code as the SQLite ones on another backend,
# and running them twice cost the most time of the run on two cores.
# Starts a private PostgreSQL for the run and stops it.
# Usage: scripts/test.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SAN_BUILD=${SAN_BUILD:-build-asan}
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

werror=()
if [[ -n "${CI:-}" ]]; then werror=(-DENTENTE_WERROR=ON); fi

PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/entente-pg.XXXXXX")
gxx_pid=
cleanup() {
  if [[ -n "$gxx_pid" ]]; then kill "$gxx_pid" 2>/dev/null || true; wait "$gxx_pid" 2>/dev/null || true; fi
  scripts/pg-test-env.sh stop "$PGDIR" >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap cleanup EXIT
eval "$(scripts/pg-test-env.sh start "$PGDIR")"
export ENTENTE_TEST_PG_URL

./scripts/build-console.sh

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The g++ suite runs while the sanitizer tree compiles at a lower priority:
# most of the suite's time is spent waiting (servers starting, PostgreSQL
# committing, the browser), which the compiler fills.
status=0
GXX_LOG="$PGDIR/ctest-gxx.log"
echo "== test suite (g++, all but the PostgreSQL tests), while the sanitizer tree builds =="
ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS" --label-exclude postgres >"$GXX_LOG" 2>&1 &
gxx_pid=$!

echo "== ASan+UBSan and fuzz build (clang-19) =="
# Unoptimised with line tables: ASan and UBSan check the same at -O0, and the
# tree compiles about three times faster than at -O2 -g (measured on
# src/api/routes_intel.cc: 12.6 against 37.8 CPU seconds).
san_built=1
cmake -S . -B "$SAN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -gline-tables-only" \
  -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_C_COMPILER=clang-19 \
  -DENTENTE_SANITIZE=address,undefined -DENTENTE_FUZZ=ON \
  -DENTENTE_FUZZ_SECONDS="$FUZZ_SECONDS" "${werror[@]}" >/dev/null &&
  nice -n 10 cmake --build "$SAN_BUILD" -j "$JOBS" || san_built=0

wait "$gxx_pid" || status=1
gxx_pid=
echo "== test suite (g++, all but the PostgreSQL tests): results =="
cat "$GXX_LOG"
if [[ $san_built == 0 ]]; then
  echo "the sanitizer build failed" >&2
  exit 1
fi

echo "== whole test suite under ASan+UBSan (SQLite and PostgreSQL), and fuzz targets =="
ctest --test-dir "$SAN_BUILD" --output-on-failure -j "$JOBS" || status=1
exit $status
