#!/usr/bin/env bash
# STIX 2.1 import benchmark (make bench): objects per second for a generated
# bundle of INTEL_BENCH_OBJECTS indicators (default 1,000,000) imported with
# every check on SQLite (and PostgreSQL if ENTENTE_BENCH_PG_URL is set),
# beside what a user would otherwise run on the same file: Python's json +
# sqlite3 (load, insert id + text), and a C++ loop parsing each object with
# nlohmann and inserting it with one prepared sqlite3 statement, no checks.
# INTEL_BENCH_THREADS sets ImportOptions::prepare_threads (default: automatic).
# Usage: bench/run-intel.sh BUILD_DIR
set -euo pipefail
BUILD=$1
N=${INTEL_BENCH_OBJECTS:-1000000}
cmake --build "$BUILD" --target intel_bench intel_correlation_bench >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$BUILD/bench/intel_bench" "$N" "$work/bundle.json" "${ENTENTE_BENCH_PG_URL:-}" >"$work/result.json"
python3 - "$work/bundle.json" "$work/py.db" >"$work/python.json" <<'PY'
import json, resource, sqlite3, sys, time
start = time.perf_counter()
cpu = time.process_time()
with open(sys.argv[1], "rb") as f:
    bundle = json.load(f)
db = sqlite3.connect(sys.argv[2])
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE objects (id TEXT PRIMARY KEY, content TEXT NOT NULL)")
with db:
    db.executemany("INSERT INTO objects VALUES (?, ?)",
                   ((o["id"], json.dumps(o)) for o in bundle["objects"]))
elapsed = time.perf_counter() - start
cpu = time.process_time() - cpu
print(json.dumps({"seconds": elapsed, "per_second": len(bundle["objects"]) / elapsed,
                  "per_cpu_second": len(bundle["objects"]) / cpu,
                  "rss_peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
PY
python3 - "$work/result.json" "$work/python.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
n = r["objects"]
print(f"STIX import: bundle of {n:,} indicators, {r['bundle_bytes']/1e6:.0f} MB")
print("(objects/s: wall clock; per CPU-s: objects per second of this process's CPU time,")
print(" which is what the figure would be on an otherwise idle core; ratio = other / entente wall)")
print(f"{'':<52} {'objects/s':>10} {'per CPU-s':>10} {'seconds':>8} {'ratio':>7}")
e = r["sqlite_per_second"]
print(f"{'entente import, SQLite (all checks, versioned, TLP)':<52} {e:>10,.0f} {r['sqlite_per_cpu_second']:>10,.0f} {r['sqlite_seconds']:>8.2f} {'1.00x':>7}")
if "postgres_per_second" in r:
    pg = r["postgres_per_second"]
    print(f"{'entente import, PostgreSQL (CPU: this process only)':<52} {pg:>10,.0f} {r['postgres_per_cpu_second']:>10,.0f} {r['postgres_seconds']:>8.2f} {pg/e:>6.2f}x")
print(f"{'python3 json.load + sqlite3 executemany (no checks)':<52} {p['per_second']:>10,.0f} {p['per_cpu_second']:>10,.0f} {p['seconds']:>8.2f} {p['per_second']/e:>6.2f}x")
print(f"{'C++ nlohmann parse + sqlite3 insert (no checks)':<52} {r['plain_per_second']:>10,.0f} {r['plain_per_cpu_second']:>10,.0f} {r['plain_seconds']:>8.2f} {r['plain_per_second']/e:>6.2f}x")
if "prepare_per_cpu_second" in r:
    print(f"preparation alone, one thread (read, strict parse, validation, canonical JSON): "
          f"{r['prepare_per_cpu_second']:,.0f} objects per CPU-s; with the interpreted schema "
          f"for every object: {r['prepare_interpreted_per_cpu_second']:,.0f}")
print(f"target: >= 100,000 objects/s on SQLite (wall): {'met' if e >= 100000 else 'NOT met'}")
print(f"peak memory: entente process {r['rss_peak_kb']/1024:.0f} MiB "
      f"(of which {r['rss_after_generating_kb']/1024:.0f} MiB is the generated bundle text); "
      f"python3 {p['rss_peak_kb']/1024:.0f} MiB")
print(f"SQLite database: {r['sqlite_db_bytes']/n:.0f} bytes per object")
PY

# Correlation: INTEL_BENCH_OBSERVABLES postings (default 10,000,000) with heavy repetition.
"$BUILD/bench/intel_correlation_bench" "${INTEL_BENCH_OBSERVABLES:-10000000}" 200 >"$work/corr.json"
python3 - "$work/corr.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"Correlation: {r['observables']:,} observables in {r['objects']:,} objects (10 % one value, 40 % 1,000 values), SQLite")
print(f"  load of the postings (raw sqlite3, one transaction): {r['load_seconds']:.1f} s wall, {r['load_cpu_seconds']:.1f} CPU s")
hp = r['hot_plain_seconds']; he = r['hot_entente_seconds']
print(f"  object holding the hottest value: entente {he*1000:.1f} ms ({r['hot_entente_cpu_seconds']*1000:.1f} CPU ms), "
      f"plain self-join {hp*1000:.1f} ms ({r['hot_plain_cpu_seconds']*1000:.1f} CPU ms, {r['hot_plain_pairs']:,} pairs): {hp/he:.1f}x")
n = r['queries']; pn = r['sample_plain_queries']
pe = r['sample_entente_seconds'] / n; pp = r['sample_plain_seconds'] / pn
print(f"  random readable objects: entente {pe*1000:.1f} ms per object ({r['sample_entente_cpu_seconds']/n*1000:.1f} CPU ms, {n} objects), "
      f"plain self-join {pp*1000:.1f} ms ({r['sample_plain_cpu_seconds']/pn*1000:.1f} CPU ms, {pn} objects): {pp/pe:.1f}x")
print(f"  peak memory of the process: {r['rss_peak_kb']/1024:.0f} MiB (SQLite page cache 256 MiB during the load); database {r['db_bytes']/1e6:.0f} MB")
PY
