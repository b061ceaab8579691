#!/usr/bin/env bash
# Builds the benchmarks (Release) and runs them, printing each Entente
# implementation beside the alternative a user would otherwise use, with the
# ratio. Usage: scripts/bench.sh   (make bench)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BENCH_BUILD:-build-bench}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DENTENTE_BENCH=ON >/dev/null
cmake --build "$BUILD" --target jcs_bench
out=$(mktemp)
"$BUILD/bench/jcs_bench" --benchmark_format=json --benchmark_min_time=1 >"$out"
python3 - "$out" <<'PY'
import json, sys
runs = {b["name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
pairs = [("BM_Canonicalize_Entente", "BM_Canonicalize_NlohmannDump", "RFC 8785 canonicalization vs nlohmann dump()"),
         ("BM_Parse_EntenteUntrusted", "BM_Parse_NlohmannPlain", "strict untrusted parse vs plain nlohmann parse()")]
print(f"{'comparison':<52} {'entente':>12} {'baseline':>12} {'ratio':>7}")
for ours, base, label in pairs:
    a, b = runs[ours], runs[base]
    ta, tb = a["real_time"], b["real_time"]
    print(f"{label:<52} {ta/1e3:>9.1f} us {tb/1e3:>9.1f} us {ta/tb:>6.2f}x  "
          f"({a['bytes_per_second']/1e6:.0f} vs {b['bytes_per_second']/1e6:.0f} MB/s)")
PY
rm -f "$out"
