#!/usr/bin/env bash
# Three Entente nodes as separate `entente serve` processes on separate
# loopback addresses (127.0.0.2, .3, .4), peered with each other:
# random writes on every node, a partition (node C suspended by and
# suspending A and B), kill -9 of node B in the middle of a sync, restart,
# heal; then every node holds exactly what its policies allow, without
# duplicates or losses; a TLP:RED message never reaches C; forged and
# replayed requests are refused and counted. No fixed waits: every wait is
# a bounded poll (every 100 ms, at most 60 s) on the condition awaited.
#
# Usage: three_nodes.sh ENTENTE_BINARY
set -euo pipefail
E=$(realpath "$1")
W=$(mktemp -d "${TMPDIR:-/tmp}/entente-3nodes-XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$W"; else echo "kept $W"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for n in a b c; do echo "--- log $n"; tail -20 "$W/$n.log" >&2 || true; done; exit 1; }
export ENTENTE_OPERATOR_PASSWORD="correct horse battery staple"

# Addresses: network namespaces need privileges this test does not assume;
# Linux routes all of 127.0.0.0/8 to the loopback interface.
declare -A ADDR=([a]=127.0.0.2 [b]=127.0.0.3 [c]=127.0.0.4)
echo "network: loopback addresses ${ADDR[a]} ${ADDR[b]} ${ADDR[c]} (no network namespaces)"
declare -A PORT PID
for n in a b c; do
  PORT[$n]=$(python3 -c "import socket;s=socket.socket();s.bind(('${ADDR[$n]}',0));print(s.getsockname()[1])")
done
url() { echo "http://${ADDR[$1]}:${PORT[$1]}"; }
ent() { local n=$1; shift; "$E" --data "$W/$n" "$@"; }
q() { sqlite3 "$W/$1/entente.db" "$2"; }

# poll CMD... : runs CMD until it succeeds, at most ~60 s (600 tries).
poll() {
  local i
  for i in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

start() {
  local n=$1
  # The binary itself in the background (not the ent function, whose
  # subshell would be what $! names: killing it would leave the node running).
  "$E" --data "$W/$n" serve --listen "${ADDR[$n]}:${PORT[$n]}" --insecure-cookies \
    --jobs-interval 100 --sth-interval 1 >>"$W/$n.log" 2>&1 &
  PID[$n]=$!
  PIDS+=("$!")
  poll curl -sf "$(url "$n")/api/v1/node" || fail "node $n did not start"
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
for x in a b c; do
  for y in a b c; do
    [ "$x" = "$y" ] && continue
    ent "$x" peer add "$(url "$y")" --fingerprint "${FP[$y]}" >/dev/null
  done
done
# A wrong fingerprint is refused.
if ent a peer add "$(url b)" --fingerprint "${FP[c]}" 2>"$W/err"; then fail "wrong fingerprint accepted"; fi
grep -q "not the one given" "$W/err" || fail "unclear error: $(cat "$W/err")"

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

ids() { q "$1" "SELECT id FROM journal ORDER BY id"; }
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

# Partition: C is cut off (suspended on both sides).
for x in a b; do ent "$x" peer suspend "${FP[c]}" >/dev/null; ent c peer suspend "${FP[$x]}" >/dev/null; done
mkorgs a 5 "partitioned-a"
mkorgs c 5 "partitioned-c"
NEWA=$(q a "SELECT id FROM orgs WHERE names LIKE '%partitioned-a 5 %'")
org_on() { [ "$(q "$1" "SELECT COUNT(*) FROM orgs WHERE id = '$2'")" = 1 ]; }
poll org_on b "$NEWA" || fail "B did not get A's writes during the partition"
if org_on c "$NEWA"; then fail "C received A's writes while partitioned"; fi
echo "partition: A and B exchange, C receives nothing"

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
for x in a b; do ent "$x" peer resume "${FP[c]}" >/dev/null; ent c peer resume "${FP[$x]}" >/dev/null; done
poll same_orgs || fail "no convergence after restart and heal"
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

# Forged and replayed requests are refused and counted.
T="/federation/v1/feed?after=0&limit=1"
ent b peer sign-request "${FP[a]}" "$T" | sed 's/^/-H\n/' > "$W/h"
mapfile -t H < "$W/h"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "${H[@]}" "$(url a)$T")" = 200 ] || fail "a signed request was refused"
[ "$(code "${H[@]}" "$(url a)$T")" = 401 ] || fail "a replayed request was accepted"
ent b peer sign-request "${FP[a]}" "$T" | sed 's/^Entente-Date: .*/Entente-Date: 1/; s/^/-H\n/' > "$W/h2"
mapfile -t H2 < "$W/h2"
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
echo "PASS"
