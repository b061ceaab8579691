#!/usr/bin/env bash
# Federation benchmarks (make bench): objects per second replicated between
# two nodes on loopback and publish->arrival lag (bench/federation_bench.cc),
# beside a naive copy of the same feed pages without verification; then the
# simulator of large federations (bench/federation_sim.cc).
# Usage: bench/run-federation.sh BUILD_DIR
set -euo pipefail
BUILD=$1
cmake --build "$BUILD" --target federation_bench federation_sim >/dev/null
out=$(mktemp)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/federation_bench" "${FED_BENCH_OBJECTS:-5000}" 20 >"$out"
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("Federation: replication A -> B over loopback (SQLite, signed requests)")
print(f"{'':<46} {'entente':>14} {'naive copy':>14} {'ratio':>7}")
e, b = r["replicated_per_second"], r["baseline_per_second"]
print(f"{'objects/s (verify + apply vs store blobs)':<46} {e:>14,.0f} {b:>14,.0f} {b/e:>6.1f}x")
ec, bc = r["replicated_per_cpu_second"], r["baseline_per_cpu_second"]
print(f"{'objects per CPU second (both nodes)':<46} {ec:>14,.0f} {bc:>14,.0f} {bc/ec:>6.1f}x")
print(f"{'wall / CPU seconds':<46} {r['replicate_seconds']:>6.2f} / {r['replicate_cpu_seconds']:<6.2f} "
      f"{r['baseline_seconds']:>6.2f} / {r['baseline_cpu_seconds']:<6.2f}")
print(f"{'target objects/s':<46} {10000:>14,}")
print(f"lag publish->arrival: median {r['lag_median_ms']:.0f} ms, max {r['lag_max_ms']:.0f} ms "
      f"over {r['lag_samples']} samples (target < 1000 ms)")
print(f"feed bytes per object: {r['bytes_per_object']}")
PY
rm -f "$out"
echo
echo "Federation simulator (model; see docs/federation.md)"
"$BUILD/bench/federation_sim" | grep -v '^{'
