#!/usr/bin/env bash
# DNS abuse observatory benchmarks (scripts/bench.sh runs this as
#   bench/run-dnsabuse.sh BUILD_DIR).
#
# Generates the inputs with bench/dnsabuse_gen.cc under
# ${ENTENTE_BENCH_DNS_DIR:-$BUILD_DIR/dnsabuse-data} (kept between runs;
# regenerated when the sizes change):
#   ENTENTE_BENCH_DNS_DOMAINS   delegated domains in the zone (default 20000000;
#                               the issue's realistic scale is 200000000: about
#                               17 GB of zone and 5 GB of registrations on disk,
#                               and some 10 GB of memory for the daily computation)
#   ENTENTE_BENCH_DNS_FEED      feed entries (default 5000000)
#   ENTENTE_BENCH_DNS_SMALL     domains of the smaller zone for ldns-read-zone
#                               (default 1000000)
#   ENTENTE_BENCH_DNS_SQL_DOMAINS
#                               domains for the SQL comparison (default
#                               1000000, with the same number of feed entries
#                               as above; the daily computation is run again on
#                               exactly these inputs for the ratio. Loading
#                               20 M rows into SQLite through the store API
#                               takes more than ten minutes on a shared VM)
#   ENTENTE_BENCH_PG_URL        also run the SQL aggregation on PostgreSQL
# and prints, side by side: zone parse rate vs a plain read loop and `cat`,
# vs ldns-read-zone on the smaller zone; the full daily computation (time,
# peak memory); the same aggregation in SQLite (and PostgreSQL), with ratios.
set -euo pipefail
BUILD=${1:?usage: bench/run-dnsabuse.sh BUILD_DIR}
cmake --build "$BUILD" --target dnsabuse_gen dnsabuse_bench >/dev/null
GEN="$BUILD/bench/dnsabuse_gen"
BENCH="$BUILD/bench/dnsabuse_bench"
N=${ENTENTE_BENCH_DNS_DOMAINS:-20000000}
M=${ENTENTE_BENCH_DNS_FEED:-5000000}
SMALL=${ENTENTE_BENCH_DNS_SMALL:-1000000}
SQLN=${ENTENTE_BENCH_DNS_SQL_DOMAINS:-1000000}
DATA=${ENTENTE_BENCH_DNS_DIR:-$BUILD/dnsabuse-data}

gen() {  # dir domains feed
  mkdir -p "$1"
  if [[ "$(cat "$1/sizes" 2>/dev/null)" != "$2 $3" ]]; then
    echo "generating $2 domains and $3 feed entries in $1 ..." >&2
    "$GEN" "$1" "$2" "$3"
    echo "$2 $3" >"$1/sizes"
  fi
}
gen "$DATA/main" "$N" "$M"
gen "$DATA/small" "$SMALL" 1000
if [[ "$SQLN" != "$N" ]]; then gen "$DATA/sql" "$SQLN" "$M"; SQLDIR="$DATA/sql"; else SQLDIR="$DATA/main"; fi

json() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
now() { date +%s.%N; }

ZONE="$DATA/main/bench.zone"
"$BENCH" read "$ZONE" >/dev/null  # warm the page cache
READ=$("$BENCH" read "$ZONE")
t0=$(now); cat "$ZONE" >/dev/null; t1=$(now)
CAT=$(python3 -c "print($t1 - $t0)")
PARSE=$("$BENCH" parse "$ZONE")
SMALLZ="$DATA/small/bench.zone"
"$BENCH" read "$SMALLZ" >/dev/null
SPARSE=$("$BENCH" parse "$SMALLZ")
LDNS=""
if command -v ldns-read-zone >/dev/null; then
  t0=$(now); ldns-read-zone "$SMALLZ" >/dev/null 2>&1; t1=$(now)
  LDNS=$(python3 -c "print($t1 - $t0)")
fi
DAY=$(/usr/bin/time -f '%M' -o "$DATA/day.rss" "$BENCH" day "$DATA/main")
SQLITE_DB="$DATA/bench.sqlite"
rm -f "$SQLITE_DB"*
SQLITE=$("$BENCH" sql "sqlite:$SQLITE_DB" "$SQLDIR")
rm -f "$SQLITE_DB"*
PG=""
if [[ -n "${ENTENTE_BENCH_PG_URL:-}" ]]; then PG=$("$BENCH" sql "$ENTENTE_BENCH_PG_URL" "$SQLDIR"); fi
if [[ "$SQLDIR" != "$DATA/main" ]]; then SQLDAY=$("$BENCH" day "$SQLDIR"); else SQLDAY="$DAY"; fi

python3 - "$READ" "$CAT" "$PARSE" "$SPARSE" "$LDNS" "$DAY" "$SQLITE" "$PG" "$SQLDAY" "$N" "$M" "$SMALL" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" <<'PY'
import json, sys
read, cat, parse, sparse, ldns, day, sqlite, pg, sqlday = sys.argv[1:10]
n, m, small = sys.argv[10:13]
print(f"(load average {sys.argv[13]} on {sys.argv[14]} cores: on a shared machine the CPU-second figures are the fairer ones)")
read, parse, sparse, day, sqlday = map(json.loads, (read, parse, sparse, day, sqlday))
cat = float(cat)
mb = parse["bytes"] / 1e6
print(f"DNS abuse observatory: zone of {int(n):,} delegations ({mb:,.0f} MB, {parse['records']:,} records), "
      f"{int(m):,} feed entries")
print(f"{'measure':<58} {'entente':>14} {'baseline':>14} {'ratio':>8}")
def row(label, a, b, unit, ratio):
    print(f"{label:<58} {a:>10.0f} {unit:<3} {b:>10.0f} {unit:<3} {ratio:>7.2f}x")
pr = mb / parse["seconds"]
row("zone parse vs read(2) loop with memchr (MB/s)", pr, mb / read["seconds"], "MB/s", pr / (mb / read["seconds"]))
row("zone parse vs cat > /dev/null (MB/s)", pr, mb / cat, "MB/s", pr / (mb / cat))
print(f"{'zone parse: records/s':<58} {parse['records']/parse['seconds']:>14,.0f}")
print(f"{'zone parse per CPU second (user+sys; the machine may be shared)':<58} {mb/parse['cpu_seconds']:>10.0f} MB/s "
      f"{parse['records']/parse['cpu_seconds']:>12,.0f} records/s")
if ldns:
    smb = sparse["bytes"] / 1e6
    row(f"zone parse vs ldns-read-zone, {int(small):,} delegations (MB/s)", smb / sparse["seconds"],
        smb / float(ldns), "MB/s", float(ldns) / sparse["seconds"])
print(f"{'full daily computation (s), peak memory (MB)':<58} {day['seconds']:>10.2f} s   {day['peak_rss_mb']:>10} MB"
      f"   ({day['cpu_seconds']:.2f} CPU s)")
print(f"{'  domains, abused domains, figure rows':<58} {day['domains']:,} / {day['abused']:,} / {day['figures']:,}")
for label, r in (("SQLite", sqlite), ("PostgreSQL", pg)):
    if not r:
        print(f"{label}: skipped (set ENTENTE_BENCH_PG_URL)")
        continue
    r = json.loads(r)
    # Two fair pairs: the query alone against the same aggregation in C++
    # over the same rows already loaded (both start from loaded tables), and
    # load + query against the daily computation (both read the files).
    print(f"{'same aggregation, loaded rows: C++ vs ' + label + ' query (s)':<58} "
          f"{r['cpp_aggregate_seconds']:>10.3f} s   {r['query_seconds']:>10.2f} s   "
          f"{r['query_seconds']/max(r['cpp_aggregate_seconds'], 1e-3):>6.1f}x")
    print(f"{'  ' + label + ' load + query (s) vs daily computation':<58} "
          f"{sqlday['seconds']:>10.2f} s   {r['load_seconds'] + r['query_seconds']:>10.2f} s   "
          f"{(r['load_seconds'] + r['query_seconds'])/sqlday['seconds']:>6.2f}x")
    if r["abused"] != sqlday["abused"]:
        print(f"  MISMATCH: {label} counts {r['abused']} abused domains, the observatory {sqlday['abused']}")
PY
