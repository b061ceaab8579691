#!/usr/bin/env bash
# TAXII 2.1 serving throughput (bench/taxii_bench.cc): pages over loopback vs
# the same pages from memory on the same HTTP server vs the same objects
# straight from SQLite. Usage: bench/run-taxii.sh BUILD_DIR
# TAXII_BENCH_OBJECTS (default 100000) and TAXII_BENCH_PAGE (default 1000).
set -euo pipefail
BUILD=${1:-build-bench}
cmake --build "$BUILD" --target taxii_bench >/dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/taxii_bench" "${TAXII_BENCH_OBJECTS:-100000}" "${TAXII_BENCH_PAGE:-1000}"
