#!/usr/bin/env bash
# Three Entente nodes as separate `entente serve` processes, each in its own
# network namespace (made by this test: namespaces joined by veth pairs to a
# bridge in a fourth, "switch" namespace; nothing changes in the host's own
# network), peered with each other: random writes on every node, a partition
# (node C's link taken down), kill -9 of node B in the middle of a sync,
# restart, heal (link up); then every node holds exactly what its policies
# allow, without duplicates or losses; a TLP:RED message never reaches C;
# forged and replayed requests are refused and counted. Namespaces, links and
# processes are removed on every exit path, and the test checks that none is
# left behind.
#
# When namespaces cannot be made (no privileges, no iproute2) or
# ENTENTE_FED_NETWORK=loopback, the nodes run on loopback addresses
# 127.0.0.2, .3, .4 and the partition is made by suspending the peerings on
# both sides; the test prints which network it used.
#
# Backend: sqlite (a file per node) or postgres (a database per node on a
# private PostgreSQL server the test starts with scripts/pg-test-env.sh and
# stops; nodes reach it over its unix socket, which the partition does not
# cut).
#
# No fixed waits: every wait is a bounded poll (every 100 ms) on the
# condition awaited.
#
# Usage: three_nodes.sh ENTENTE_BINARY [sqlite|postgres]
set -euo pipefail
E=$(realpath "$1")
BACKEND=${2:-sqlite}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
case "$BACKEND" in sqlite | postgres) ;; *) echo "unknown backend $BACKEND" >&2; exit 2 ;; esac
W=$(mktemp -d "${TMPDIR:-/tmp}/entente-3nodes-XXXXXX")
NSP="e3n$$"          # namespace names: $NSP-a, -b, -c and the switch $NSP-sw
NETWORK=loopback
PGD=""
PIDS=()
CLEANED=0
cleanup() {
  [ "$CLEANED" = 1 ] && return 0
  CLEANED=1
  local p n
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$NETWORK" = netns ]; then
    for n in a b c sw; do
      # Anything still running in a namespace this test made (by id).
      for p in $(ip netns pids "$NSP-$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
      ip netns del "$NSP-$n" 2>/dev/null || true
    done
  fi
  if [ -n "$PGD" ]; then
    "$ROOT/scripts/pg-test-env.sh" stop "$PGD" >/dev/null 2>&1 || true
    rm -rf "$PGD"
  fi
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$W"; else echo "kept $W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---- network --------------------------------------------------------------
declare -A ADDR PORT PID
make_netns() {
  command -v ip >/dev/null 2>&1 || return 1
  ip netns add "$NSP-sw" 2>/dev/null || return 1
  NETWORK=netns  # from here on, cleanup removes the namespaces
  local n i=1
  ip -n "$NSP-sw" link add br0 type bridge || return 1
  ip -n "$NSP-sw" link set dev br0 up || return 1
  for n in a b c; do
    ip netns add "$NSP-$n" || return 1
    ip link add eth0 netns "$NSP-$n" type veth peer name "port-$n" netns "$NSP-sw" || return 1
    ip -n "$NSP-sw" link set dev "port-$n" master br0 || return 1
    ip -n "$NSP-sw" link set dev "port-$n" up || return 1
    ip -n "$NSP-$n" link set dev lo up || return 1
    ip -n "$NSP-$n" addr add "10.213.0.$i/24" dev eth0 || return 1
    ip -n "$NSP-$n" link set dev eth0 up || return 1
    ADDR[$n]=10.213.0.$i
    PORT[$n]=8080
    i=$((i + 1))
  done
}
if [ "${ENTENTE_FED_NETWORK:-netns}" != loopback ] && make_netns; then
  echo "network: network namespaces $NSP-a, $NSP-b, $NSP-c (${ADDR[a]}, ${ADDR[b]}, ${ADDR[c]}), veth pairs to a bridge in $NSP-sw"
else
  if [ "$NETWORK" = netns ]; then
    for n in a b c sw; do ip netns del "$NSP-$n" 2>/dev/null || true; done
    NETWORK=loopback
  fi
  # Linux routes all of 127.0.0.0/8 to the loopback interface.
  ADDR=([a]=127.0.0.2 [b]=127.0.0.3 [c]=127.0.0.4)
  for n in a b c; do
    PORT[$n]=$(python3 -c "import socket;s=socket.socket();s.bind(('${ADDR[$n]}',0));print(s.getsockname()[1])")
  done
  echo "network: loopback addresses ${ADDR[a]} ${ADDR[b]} ${ADDR[c]} (network namespaces unavailable or not asked for); partition by suspending peerings"
fi
# inns N CMD... : runs CMD in node N's namespace (as is on loopback).
inns() {
  local n=$1
  shift
  if [ "$NETWORK" = netns ]; then ip netns exec "$NSP-$n" "$@"; else "$@"; fi
}
url() { echo "http://${ADDR[$1]}:${PORT[$1]}"; }

# ---- databases ------------------------------------------------------------
declare -A DB
if [ "$BACKEND" = postgres ]; then
  PGD=$(mktemp -d "${TMPDIR:-/tmp}/entente-3n-pg-XXXXXX")
  eval "$("$ROOT/scripts/pg-test-env.sh" start "$PGD")"
  PGPORT_=$(cat "$PGD/port")
  for n in a b c; do
    psql -h "$PGD/sock" -p "$PGPORT_" -U entente -d postgres -qc "CREATE DATABASE entente_$n" >/dev/null
    DB[$n]="postgresql://entente@/entente_$n?host=$PGD/sock&port=$PGPORT_"
  done
  q() { psql -h "$PGD/sock" -p "$PGPORT_" -U entente -d "entente_$1" -Atqc "$2"; }
  echo "backend: PostgreSQL (private server, a database per node, over its unix socket)"
else
  for n in a b c; do DB[$n]=""; done
  q() { sqlite3 "$W/$1/entente.db" "$2"; }
  echo "backend: SQLite"
fi
# entente N ARGS... : the entente binary for node N, in N's namespace.
ent() {
  local n=$1
  shift
  local db=()
  [ -n "${DB[$n]}" ] && db=(--db "${DB[$n]}")
  inns "$n" "$E" --data "$W/$n" "${db[@]}" "$@"
}

start() {
  local n=$1
  # The binary itself in the background (`ip netns exec` execs it without
  # forking), so that $! is the node and kill -9 reaches it.
  local db=() ns=()
  [ -n "${DB[$n]}" ] && db=(--db "${DB[$n]}")
  # Not through the inns function: its subshell would be what $! names.
  [ "$NETWORK" = netns ] && ns=(ip netns exec "$NSP-$n")
  "${ns[@]}" "$E" --data "$W/$n" "${db[@]}" serve --listen "${ADDR[$n]}:${PORT[$n]}" \
    --insecure-cookies --jobs-interval 100 --sth-interval 1 >>"$W/$n.log" 2>&1 &
  PID[$n]=$!
  PIDS+=("$!")
  poll inns "$n" curl -sf "$(url "$n")/api/v1/node" || fail "node $n did not start"
  [ "$(cat "/proc/${PID[$n]}/comm")" = entente ] || fail "\$! is not the node process"
}

declare -A NAME=([a]="Alpha CERT" [b]="Beta CERT" [c]="Gamma CERT")
declare -A COUNTRY=([a]=FR [b]=DE [c]=IT)
for n in a b c; do
  ent "$n" init --base-url "$(url "$n")" --org-name "${NAME[$n]}" --country "${COUNTRY[$n]}" >/dev/null
  start "$n"
done
declare -A FP ORG
for n in a b c; do
  FP[$n]=$(ent "$n" --json peer self | jq -r .fingerprint)
  ORG[$n]=$(q "$n" "SELECT id FROM orgs LIMIT 1")
done
# A wrong fingerprint is refused: nothing pinned, nothing introduced.
if ent a peer add "$(url b)" --fingerprint "${FP[c]}" 2>"$W/err"; then fail "wrong fingerprint accepted"; fi
grep -q "not the one given" "$W/err" || fail "unclear error: $(cat "$W/err")"
[ "$(ent a --json peer list | jq length)" = 0 ] || fail "a peer was pinned with a wrong fingerprint"
[ "$(ent b --json peer introductions | jq length)" = 0 ] || fail "B got an introduction from a refused peering"
echo "identity: a wrong fingerprint is refused, nothing pinned or introduced"

# Identity exchange: A pins B and introduces itself; B records the
# introduction as pending (id, key, name, URL), which grants nothing until
# B's operator adds A with the fingerprint read on A.
ent a peer add "$(url b)" --fingerprint "${FP[b]}" >"$W/out" || fail "A could not add B"
grep -q "pending until its operator runs" "$W/out" || fail "A was not told its introduction is pending: $(cat "$W/out")"
ent b --json peer introductions >"$W/intro"
jq -e --arg fp "${FP[a]}" --arg url "$(url a)" --arg name "${NAME[a]}" \
  'length == 1 and .[0].fingerprint == $fp and .[0].state == "pending" and .[0].base_url == $url and .[0].name == $name' \
  "$W/intro" >/dev/null || fail "B's introductions: $(cat "$W/intro")"
ent b peer introductions | grep -q "pending" || fail "peer introductions does not show the pending one"
[ "$(ent b --json peer list | jq length)" = 0 ] || fail "an introduction pinned a peer on B"
if ent a peer sync "${FP[b]}" >"$W/out" 2>&1; then fail "A pulled from B before B peered with A"; fi
grep -q "not an active peer" "$W/out" || fail "unclear refusal: $(cat "$W/out")"
ent b peer add "$(url a)" --fingerprint "${FP[a]}" >"$W/out" || fail "B could not add A"
grep -q "already peers with this node" "$W/out" || fail "B's introduction not accepted by A: $(cat "$W/out")"
ent b --json peer introductions | jq -e 'length == 1 and .[0].state == "accepted"' >/dev/null ||
  fail "A's introduction is not accepted on B"
ent a --json peer introductions | jq -e --arg fp "${FP[b]}" 'length == 1 and .[0].fingerprint == $fp and .[0].state == "accepted"' >/dev/null ||
  fail "B's introduction is not recorded as accepted on A"
echo "identity: A added B (introduction pending on B), B added A (accepted on both)"
for x in a b c; do
  for y in a b c; do
    [ "$x" = "$y" ] && continue
    case "$x$y" in ab | ba) continue ;; esac
    ent "$x" peer add "$(url "$y")" --fingerprint "${FP[$y]}" >/dev/null
  done
done

# Random writes on every node.
mkorgs() { # node count prefix
  local i
  for i in $(seq "$2"); do
    ent "$1" org create "{\"kind\":\"ci_operator\",\"names\":{\"en\":\"$3 $i $RANDOM\"},\"country\":\"${COUNTRY[$1]}\"}" >/dev/null
  done
}
for n in a b c; do mkorgs "$n" $((3 + RANDOM % 5)) "org-$n"; done
msg() { # from to tlp
  ent "$1" --json msg send --as operator "{\"kind\":\"incident_notification\",\"recipients\":[\"${ORG[$2]}\"],\"tlp\":\"$3\",\"language\":\"en\",\"fields\":{\"urgency\":\"urgent\",\"classification\":{\"class\":\"availability\",\"type\":\"ddos\"},\"summary\":\"$3 from $1\",\"description\":\"test\"}}" | jq -r .id
}
# A node can address an organisation once the directory entry has replicated
# to it (otherwise: "no such organisation").
knows() { [ "$(q "$1" "SELECT COUNT(*) FROM orgs WHERE id = '$2'")" = 1 ]; }
poll knows a "${ORG[b]}" || fail "A never learnt B's organisation"
poll knows c "${ORG[a]}" || fail "C never learnt A's organisation"
RED=$(msg a b red)
AMBER=$(msg c a amber)

orgs() { q "$1" "SELECT id FROM orgs ORDER BY id"; }
same_orgs() { [ "$(orgs a)" = "$(orgs b)" ] && [ "$(orgs b)" = "$(orgs c)" ]; }
has() { [ "$(q "$1" "SELECT COUNT(*) FROM journal WHERE id = '$2'")" = 1 ]; }
poll same_orgs || fail "directories did not converge"
poll has b "$RED" || fail "TLP:RED message did not reach B"
poll has a "$AMBER" || fail "amber message did not reach A"
echo "converged: $(orgs a | wc -l) organisations on every node"

# B's officer (the operator here) acknowledges; the event flows back to A.
poll ent b msg ack --as operator "$RED" || fail "B could not acknowledge"
ackd() { [ "$(q a "SELECT state FROM message_recipients WHERE message_id = '$RED'")" = acknowledged ]; }
poll ackd || fail "the acknowledgement did not flow back to A"
echo "message A -> B delivered, acknowledged on B, acknowledgement seen on A"

# Partition: C is cut off.
reach() { inns "$1" curl -s -o /dev/null --max-time 2 "$(url "$2")/api/v1/node"; }
if [ "$NETWORK" = netns ]; then
  ip -n "$NSP-sw" link set dev port-c down
  reach a c && fail "A still reaches C with C's link down"
  reach c b && fail "C still reaches B with C's link down"
  echo "partition: C's link is down (ip link set port-c down)"
else
  for x in a b; do ent "$x" peer suspend "${FP[c]}" >/dev/null; ent c peer suspend "${FP[$x]}" >/dev/null; done
  echo "partition: C suspended by A and B and suspending them"
fi
mkorgs a 5 "partitioned-a"
mkorgs c 5 "partitioned-c"
NEWA=$(q a "SELECT id FROM orgs WHERE CAST(names AS TEXT) LIKE '%partitioned-a 5 %'")
NEWC=$(q c "SELECT id FROM orgs WHERE CAST(names AS TEXT) LIKE '%partitioned-c 5 %'")
org_on() { [ "$(q "$1" "SELECT COUNT(*) FROM orgs WHERE id = '$2'")" = 1 ]; }
poll org_on b "$NEWA" || fail "B did not get A's writes during the partition"
if org_on c "$NEWA"; then fail "C received A's writes while partitioned"; fi
if org_on a "$NEWC" || org_on b "$NEWC"; then fail "C's writes left C while partitioned"; fi
echo "partition: A and B exchange, C receives nothing and sends nothing"

# kill -9 of B in the middle of a sync: many writes on A, B killed once it
# has started taking them.
BEFORE=$(q b "SELECT COUNT(*) FROM orgs")
mkorgs a 60 "burst-a" &
BURST=$!
started() { [ "$(q b "SELECT COUNT(*) FROM orgs")" -gt "$BEFORE" ]; }
poll started || fail "B did not start syncing the burst"
kill -9 "${PID[b]}"
wait "${PID[b]}" 2>/dev/null || true
if kill -0 "${PID[b]}" 2>/dev/null; then fail "B is still running after kill -9"; fi
echo "killed B (kill -9) with $(q b "SELECT COUNT(*) FROM orgs") of $((BEFORE + 60)) organisations"
wait "$BURST"
start b
# Heal.
if [ "$NETWORK" = netns ]; then
  ip -n "$NSP-sw" link set dev port-c up
  poll reach a c || fail "A does not reach C after the link came back"
  echo "heal: C's link is up again"
else
  for x in a b; do ent "$x" peer resume "${FP[c]}" >/dev/null; ent c peer resume "${FP[$x]}" >/dev/null; done
fi
# The pullers of C (and of A and B towards C) may be backing off (at most
# 30 s between attempts): allow two of those.
poll2() { poll "$@" || poll "$@"; }
poll2 same_orgs || fail "no convergence after restart and heal"
echo "healed: $(orgs a | wc -l) organisations on every node"

# Exactly what policy allows: every directory envelope everywhere, no
# duplicates, the TLP:RED message only on A and B, the amber one only on A and C.
dir_ids() { q "$1" "SELECT id FROM journal WHERE type LIKE 'directory.%' ORDER BY id"; }
[ "$(dir_ids a)" = "$(dir_ids b)" ] && [ "$(dir_ids b)" = "$(dir_ids c)" ] || fail "directory journals differ"
for n in a b c; do
  [ -z "$(q "$n" "SELECT id FROM journal GROUP BY id HAVING COUNT(*) > 1")" ] || fail "duplicates on $n"
  [ "$(q "$n" "SELECT COUNT(*) FROM federation_pending")" = 0 ] || fail "envelopes left pending on $n"
done
has c "$RED" && fail "TLP:RED message leaked to C"
has b "$AMBER" && fail "message to A leaked to B"
[ -z "$(q c "SELECT id FROM journal WHERE type = 'comms.event' AND subject = '$RED'")" ] || fail "events of the RED message leaked to C"
echo "policy: TLP:RED only on A and B; no duplicates; nothing pending"

# Forged and replayed requests (sent from B's namespace) are refused and counted.
T="/federation/v1/feed?after=0&limit=1"
ent b peer sign-request "${FP[a]}" "$T" | sed 's/^/-H\n/' >"$W/h"
mapfile -t H <"$W/h"
code() { inns b curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "${H[@]}" "$(url a)$T")" = 200 ] || fail "a signed request was refused"
[ "$(code "${H[@]}" "$(url a)$T")" = 401 ] || fail "a replayed request was accepted"
ent b peer sign-request "${FP[a]}" "$T" | sed 's/^Entente-Date: .*/Entente-Date: 1/; s/^/-H\n/' >"$W/h2"
mapfile -t H2 <"$W/h2"
[ "$(code "${H2[@]}" "$(url a)$T")" = 401 ] || fail "a forged request was accepted"
[ "$(code "$(url a)$T")" = 401 ] || fail "an unsigned request was accepted"
REJ=$(ent a --json peer show "${FP[b]}" | jq -c .rejected)
echo "rejections counted on A for B: $REJ"
[ "$(echo "$REJ" | jq '.request_replayed')" -ge 1 ] || fail "replay not counted"
[ "$(echo "$REJ" | jq '.request_signature')" -ge 1 ] || fail "forgery not counted"
# No gossip alert: every node showed one history.
for n in a b c; do
  [ "$(ent "$n" --json peer alerts | jq length)" = 0 ] || fail "unexpected gossip alert on $n"
done

# Nothing left behind: processes, namespaces.
LIVE=("${PID[@]}")
cleanup
for p in "${LIVE[@]}"; do
  if kill -0 "$p" 2>/dev/null; then echo "FAIL: node process $p left running" >&2; exit 1; fi
done
if [ "$NETWORK" = netns ] && ip netns list | grep -q "^$NSP-"; then
  echo "FAIL: namespaces left behind: $(ip netns list | grep "^$NSP-")" >&2
  exit 1
fi
echo "cleanup: no node process, no namespace left"
echo "PASS ($NETWORK, $BACKEND)"
