#!/usr/bin/env bash
# The matching engine's benchmarks (bench/match_bench.cc), run by
# scripts/bench.sh with the build directory as $1:
#   - index build time and bytes per indicator for ENTENTE_MATCH_BENCH_INDICATORS
#     (default 10,000,000) synthetic indicators of mixed kinds, and lookups
#     per second per core for each kind;
#   - scanning a generated Unbound query log of ENTENTE_MATCH_BENCH_LOG_MB
#     (default 1000) MB against ENTENTE_MATCH_BENCH_DOMAINS (default
#     1,000,000) domain indicators, beside grep -F -f and grep -F -w -f on the
#     same files, with hit counts (generated once under $TMPDIR);
#   - RPZ generation for those domains and Unbound's load time for the zone.
set -euo pipefail
BUILD=${1:?usage: bench/run-match.sh BUILD_DIR}
cd "$(dirname "$0")/.."
cmake --build "$BUILD" --target match_bench >/dev/null
BENCH="$BUILD/bench/match_bench"
N=${ENTENTE_MATCH_BENCH_INDICATORS:-10000000}
MB=${ENTENTE_MATCH_BENCH_LOG_MB:-1000}
D=${ENTENTE_MATCH_BENCH_DOMAINS:-1000000}
DIR=${TMPDIR:-/tmp}/entente-match-bench-$MB-$D
export LC_ALL=C

now() { date +%s.%N; }
json() { python3 -c "import json,sys; print(json.loads(sys.argv[1])$2)" "$1"; }

echo "Matching engine: $N synthetic indicators (domains 50%, IPv4 20%, IPv6 5%, URLs 10%, emails 5%, hashes 10%)"
idx=$("$BENCH" index "$N")
python3 - "$idx" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
n = r["indicators"]
print(f"  index build: {r['build_s']:.2f} s wall, {r['build_cpu_s']:.2f} s CPU ({n / r['build_cpu_s'] / 1e6:.2f} M indicators per CPU second)")
print(f"  memory: {r['total_bytes'] / n:.1f} bytes/indicator in all "
      f"(lookup structure {r['lookup_bytes'] / n:.1f}, metadata {r['meta_bytes'] / n:.1f}, ids {r['id_bytes'] / n:.1f}); "
      f"raw values {r['raw_value_bytes'] / n:.1f} bytes/indicator")
print(f"  lookup structure / raw values: {r['lookup_bytes_per_value_byte']:.2f}x (target <= 1.5x)")
print(f"  {'lookups per CPU second, one core':<40} {'entente':>14}")
for k, v in r["lookups_per_s"].items():
    print(f"  {k:<40} {v:>14,.0f}")
PY

mkdir -p "$DIR"
if [[ ! -f "$DIR/done" ]]; then
  echo "  generating $MB MB query log and $D domain indicators in $DIR (once)"
  "$BENCH" gen "$DIR" "$MB" "$D" >"$DIR/gen.json"
  touch "$DIR/done"
fi
gen=$(cat "$DIR/gen.json")
LOG="$DIR/queries.log"
LIST="$DIR/domains.txt"
cat "$LOG" >/dev/null  # into the page cache
# Wall-clock and CPU seconds of a command (CPU: user + system of the child),
# and its output.
timed() {
  python3 - "$@" <<'PY'
import json, resource, subprocess, sys, time
t = time.time()
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)
wall = time.time() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": wall, "cpu_s": r.ru_utime + r.ru_stime, "out": p.stdout.strip()}))
PY
}
cat_t=$(timed sh -c 'cat "$0" >/dev/null' "$LOG")
scan2=$("$BENCH" scan "$LIST" "$LOG" 0)
scan1=$("$BENCH" scan "$LIST" "$LOG" 1)
scang=$("$BENCH" scan "$LIST" "$LOG" 1 generic)
grep_f=$(timed grep -F -c -f "$LIST" "$LOG")
grep_w=$(timed grep -F -w -c -f "$LIST" "$LOG")
# grep as a user runs it in a UTF-8 locale (the usual default), beside C.
grep_fu=$(timed env LC_ALL=C.UTF-8 grep -F -c -f "$LIST" "$LOG")
grep_wu=$(timed env LC_ALL=C.UTF-8 grep -F -w -c -f "$LIST" "$LOG")
python3 - "$gen" "$scan2" "$scan1" "$cat_t" "$grep_f" "$grep_w" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$scang" "$grep_fu" "$grep_wu" <<'PY'
import json, sys
gen, s2, s1, cat, gf, gw = (json.loads(x) for x in sys.argv[1:7])
cores, load = sys.argv[7], sys.argv[8]
sg, gfu, gwu = (json.loads(x) for x in sys.argv[9:12])
mb = gen["bytes"] / 1e6
print(f"\nScanning a {mb:,.0f} MB Unbound query log ({gen['lines']:,} lines) against {gen['indicators']:,} domains "
      f"(load average {load} on {cores} cores; ratios against grep -F in LC_ALL=C)")
print(f"  {'':<36} {'wall s':>8} {'MB/s':>8} {'CPU s':>8} {'MB/CPU-s':>9} {'hit lines':>10} {'wall vs grep -F':>16} {'CPU vs grep -F':>15}")
gfw, gfc = gf["wall_s"], gf["cpu_s"]
rows = [(f"entente match ({cores} threads)", s2["scan_s"], s2["scan_cpu_s"], s2["hit_lines"]),
        ("entente match (1 thread)", s1["scan_s"], s1["scan_cpu_s"], s1["hit_lines"]),
        ("  generic reader, no fast path (1 thr.)", sg["scan_s"], sg["scan_cpu_s"], sg["hit_lines"]),
        ("grep -F -f (LC_ALL=C)", gfw, gfc, int(gf["out"] or 0)),
        ("grep -F -w -f (LC_ALL=C)", gw["wall_s"], gw["cpu_s"], int(gw["out"] or 0)),
        ("grep -F -f (C.UTF-8)", gfu["wall_s"], gfu["cpu_s"], int(gfu["out"] or 0)),
        ("grep -F -w -f (C.UTF-8)", gwu["wall_s"], gwu["cpu_s"], int(gwu["out"] or 0)),
        ("cat (reading the cached file)", cat["wall_s"], cat["cpu_s"], None)]
for name, w, c, hits in rows:
    h = f"{hits:,}" if hits is not None else "-"
    print(f"  {name:<36} {w:>8.2f} {mb / w:>8.1f} {c:>8.2f} {mb / max(c, 1e-9):>9.1f} {h:>10} {gfw / w:>15.1f}x {gfc / max(c, 1e-9):>14.1f}x")
print(f"  index for the scan: load + build {s2['load_and_build_s']:.2f} s; lookup structure "
      f"{s2['lookup_bytes'] / s2['raw_value_bytes']:.2f}x the raw indicator values "
      f"(+ {s2['filter_bytes'] / s2['raw_value_bytes']:.2f}x for the domain pre-filter), "
      f"{s2['total_index_bytes'] / s2['raw_value_bytes']:.2f}x with metadata and ids")
ours = s2["hit_lines"]
gfh, gwh = int(gf["out"] or 0), int(gw["out"] or 0)
print(f"  planted: {gen['planted_hits']:,} lines with a listed name or a subdomain of one, "
      f"{gen['planted_substring_only']:,} with a listed name inside a longer label ('x' + name)")
print(f"  against grep in C.UTF-8: {gfu['wall_s'] / s2['scan_s']:.1f}x (wall), {gfu['cpu_s'] / max(s2['scan_cpu_s'], 1e-9):.1f}x (CPU) for grep -F; "
      f"{gwu['wall_s'] / s2['scan_s']:.1f}x, {gwu['cpu_s'] / max(s2['scan_cpu_s'], 1e-9):.1f}x for grep -F -w")
print(f"  grep -F also counts the substring-only lines ({gfh:,} = {ours:,} + {gfh - ours:,}); "
      f"grep -F -w and entente match at label boundaries ({gwh:,} vs {ours:,})")
PY

echo
rpz=$("$BENCH" rpz "$LIST" "$DIR/rpz.zone")
python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(f\"RPZ zone for {r['written']:,} domains: generated in {r['rpz_s']:.2f} s ({r['bytes']/1e6:.0f} MB)\")" "$rpz"
if [[ -x /usr/sbin/unbound ]] && command -v dig >/dev/null; then
  U=$(mktemp -d)
  PORT=$(python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
  cat >"$U/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: $PORT
  directory: "$U"
  chroot: ""
  username: ""
  pidfile: "$U/unbound.pid"
  use-syslog: no
  logfile: "$U/unbound.log"
  do-daemonize: no
  num-threads: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  module-config: "respip iterator"
  local-zone: "test." nodefault
rpz:
  name: rpz.entente.invalid
  zonefile: "$DIR/rpz.zone"
auth-zone:
  name: "test."
  zonefile: "$U/test.zone"
  for-upstream: yes
  for-downstream: no
CONF
  printf '$ORIGIN test.\n$TTL 60\n@ SOA ns.test. h.test. 1 3600 600 86400 60\n@ NS ns.test.\nns A 127.0.0.1\ngood A 192.0.2.20\n' >"$U/test.zone"
  t0=$(now)
  /usr/sbin/unbound -d -c "$U/unbound.conf" &
  UPID=$!
  until dig @127.0.0.1 -p "$PORT" good.test +time=1 +tries=1 +short 2>/dev/null | grep -q 192.0.2.20; do
    kill -0 $UPID 2>/dev/null || { echo "unbound failed:"; cat "$U/unbound.log"; break; }
  done
  t1=$(now)
  first=$(head -1 "$LIST")
  status=$(dig @127.0.0.1 -p "$PORT" "$first" +time=2 +tries=1 | grep -o 'status: [A-Z]*' || true)
  kill $UPID; wait $UPID 2>/dev/null || true
  python3 -c "print(f'Unbound: loads it and answers in {$t1 - $t0:.2f} s (listed $first -> $status)')"
  rm -rf "$U"
fi
