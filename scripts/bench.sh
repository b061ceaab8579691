#!/usr/bin/env bash
# Builds the benchmarks (Release) and runs them, printing each Entente
# implementation beside the alternative a user would otherwise use, with the
# ratio: canonical JSON (bench/jcs_bench.cc) and the Merkle log
# (bench/log_bench.cc). Usage: scripts/bench.sh   (make bench)
# BENCH_BUILD=dir picks the build directory (default build-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BENCH_BUILD:-build-bench}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DENTENTE_BENCH=ON >/dev/null
cmake --build "$BUILD" --target jcs_bench log_bench comms_bench
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

# The verifiable record (bench/log_bench.cc): appends per second, and proofs
# from stored subtrees vs recomputing from every leaf at 1 K, 1 M and 10 M
# leaves (logs built once under $TMPDIR/entente-log-bench). Set
# ENTENTE_BENCH_PG_URL to measure appends on PostgreSQL too.
out=$(mktemp)
"$BUILD/bench/log_bench" --benchmark_format=json >"$out"
python3 - "$out" <<'PY'
import json, sys
runs = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    runs[b["name"].split("/iterations")[0].split("/real_time")[0]] = b
def us(b):
    return b["real_time"] * {"ns": 1e-3, "us": 1, "ms": 1e3}[b["time_unit"]]
print(f"\n{'Merkle log appends':<44} {'appends/s':>12} {'bytes/leaf':>11}")
for name, label in [("BM_Append_InMemory", "hashing only (leaf + subtrees, in memory)"),
                    ("BM_Sync_Sqlite", "Log::Sync, SQLite"), ("BM_Sync_Postgres", "Log::Sync, PostgreSQL")]:
    b = runs.get(name)
    if not b or b.get("error_occurred"):
        print(f"{label:<44} {'(skipped)':>12}")
        continue
    per_leaf = f"{b['bytes_per_leaf']:.0f}" if "bytes_per_leaf" in b else "-"
    print(f"{label:<44} {b['appends_per_s']:>12,.0f} {per_leaf:>11}")
print(f"\n{'Merkle log, SQLite':<24} {'leaves':>11} {'stored':>12} {'naive':>12} {'ratio':>9} {'rows read':>17}")
for what in ["InclusionProof", "Root"]:
    for n in [1000, 1000000, 10000000]:
        a, b = runs.get(f"BM_{what}_Stored/{n}"), runs.get(f"BM_{what}_Naive/{n}")
        if not a or not b:
            continue
        ta, tb = us(a), us(b)
        print(f"{what:<24} {n:>11,} {ta:>9.1f} us {tb/1e3:>9.1f} ms {tb/ta:>8.0f}x "
              f"{int(a['nodes_read']):>6} vs {int(b['nodes_read']):>8,}")
PY
rm -f "$out"

# Communications (bench/comms_bench.cc): messages per second end to end on a
# whole node vs a plain insert of the same JSON, and sealing per recipient.
out=$(mktemp)
"$BUILD/bench/comms_bench" --benchmark_format=json >"$out"
python3 - "$out" <<'PY2'
import json, sys
runs = {b["name"].split("/min_time")[0]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
print(f"\n{'Messages (compose, seal, sign, store, deliver, open)':<56} {'msg/s':>10} {'plain insert':>13} {'ratio':>7}")
for name, label in [("EndToEnd", "one at a time"), ("EndToEndBatch", "10 sent, one worker pass, 10 opened")]:
    for backend in ["sqlite", "postgres"]:
        a, b = runs.get(f"BM_Message_{name}/{backend}"), runs.get(f"BM_Message_PlainInsert/{backend}")
        row = f"{backend}, {label}"
        if not a or a.get("error_occurred") or not b or b.get("error_occurred"):
            print(f"{row:<56} {'(skipped: set ENTENTE_BENCH_PG_URL)':>10}")
            continue
        print(f"{row:<56} {a['messages_per_s']:>10,.0f} {b['messages_per_s']:>13,.0f} {b['messages_per_s']/a['messages_per_s']:>6.1f}x")
print(f"\n{'Sealing, per recipient':<40} {'content key':>14} {'box per recipient':>18} {'ratio':>7}")
for size in [4096, 262144]:
    for n in [1, 10, 100]:
        a, b = runs.get(f"BM_Seal_ContentKey/{n}/{size}"), runs.get(f"BM_Seal_PerRecipientBox/{n}/{size}")
        if a and b:
            label = f"{size // 1024} KB body, {n} recipients"
            print(f"{label:<40} {a['us_per_recipient']*1e6:>11.1f} us {b['us_per_recipient']*1e6:>15.1f} us {b['real_time']/a['real_time']:>6.2f}x")
PY2
rm -f "$out"

# The later modules' benchmarks: bench/run-<module>.sh, each given the build
# directory as $1 (it builds its own targets there).
for m in intel taxii match dnsabuse federation; do
  if [[ -f bench/run-$m.sh ]]; then
    echo
    bash "bench/run-$m.sh" "$BUILD"
  fi
done
