#!/usr/bin/env bash
# Relay of sealed communications through a hub, with three `entente serve`
# processes on loopback addresses 127.0.0.5, .6, .7 (this test uses loopback
# only: the topology, not the network, is what it tests). A peers only with
# the hub B, B with A and C, C only with B; peering by `peer add --relay` on
# both sides (the identity exchange and relay links of docs/federation.md).
#
# A point of contact on A writes to an organisation homed on C: the message
# reaches C through B, sealed (its plaintext is nowhere in B's database
# files, and B's journal does not hold it: B only carries it in
# federation_relay), C opens it, C acknowledges, and the acknowledgement
# flows back to A through B. A TLP:RED message is relayed the same way.
#
# No fixed waits: every wait is a bounded poll (every 100 ms).
#
# Usage: relay_hub.sh ENTENTE_BINARY
set -euo pipefail
E=$(realpath "$1")
W=$(mktemp -d "${TMPDIR:-/tmp}/entente-relay-XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$W"; else echo "kept $W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
declare -A ADDR=([a]=127.0.0.5 [b]=127.0.0.6 [c]=127.0.0.7) PORT
for n in a b c; do
  PORT[$n]=$(python3 -c "import socket;s=socket.socket();s.bind(('${ADDR[$n]}',0));print(s.getsockname()[1])")
done
echo "network: loopback addresses ${ADDR[a]} ${ADDR[b]} ${ADDR[c]}"
url() { echo "http://${ADDR[$1]}:${PORT[$1]}"; }
ent() { local n=$1; shift; "$E" --data "$W/$n" "$@"; }
q() { sqlite3 "$W/$1/entente.db" "$2"; }
declare -A NAME=([a]="Alpha CERT" [b]="Hub CERT" [c]="Gamma CERT") COUNTRY=([a]=FR [b]=DE [c]=IT)
for n in a b c; do
  ent "$n" init --base-url "$(url "$n")" --org-name "${NAME[$n]}" --country "${COUNTRY[$n]}" >/dev/null
  "$E" --data "$W/$n" serve --listen "${ADDR[$n]}:${PORT[$n]}" --insecure-cookies \
    --jobs-interval 100 --sth-interval 1 >>"$W/$n.log" 2>&1 &
  PIDS+=("$!")
  poll curl -sf "$(url "$n")/api/v1/node" || fail "node $n did not start"
done
declare -A FP ORG
for n in a b c; do
  FP[$n]=$(ent "$n" --json peer self | jq -r .fingerprint)
  ORG[$n]=$(q "$n" "SELECT id FROM orgs LIMIT 1")
done
# Chain A - B - C, each link added on both sides as a relay link (B is the
# hub of A and C; relay offers over other peerings are refused).
for pair in ab ba bc cb; do
  x=${pair:0:1} y=${pair:1:1}
  ent "$x" peer add "$(url "$y")" --fingerprint "${FP[$y]}" --relay >/dev/null ||
    fail "$x could not add $y"
done
[ "$(ent b --json peer list | jq '[.[] | select(.relay)] | length')" = 2 ] ||
  fail "B does not show its two relay links"
[ "$(ent a --json peer list | jq length)" = 1 ] || fail "A has more than one peer"
[ "$(ent c --json peer list | jq length)" = 1 ] || fail "C has more than one peer"
knows() { [ "$(q "$1" "SELECT COUNT(*) FROM orgs WHERE id = '$2'")" = 1 ]; }
poll knows a "${ORG[c]}" || fail "A never learnt C's organisation (through B)"
poll knows c "${ORG[a]}" || fail "C never learnt A's organisation (through B)"
echo "topology: A - B - C; the directory reached A and C through B"

SECRET="relay-secret-$RANDOM$RANDOM"
msg() { # from to tlp summary
  ent "$1" --json msg send --as operator "{\"kind\":\"incident_notification\",\"recipients\":[\"${ORG[$2]}\"],\"tlp\":\"$3\",\"language\":\"en\",\"fields\":{\"urgency\":\"urgent\",\"classification\":{\"class\":\"availability\",\"type\":\"ddos\"},\"summary\":\"$4\",\"description\":\"$4 body\"}}" | jq -r .id
}
AMBER=$(msg a c amber "$SECRET-amber")
RED=$(msg a c red "$SECRET-red")
[ -n "$AMBER" ] && [ "$AMBER" != null ] && [ -n "$RED" ] && [ "$RED" != null ] || fail "messages not sent"
has() { [ "$(q "$1" "SELECT COUNT(*) FROM journal WHERE id = '$2'")" = 1 ]; }
relays() { [ "$(q "$1" "SELECT COUNT(*) FROM federation_relay WHERE id = '$2'")" = 1 ]; }
poll has c "$AMBER" || fail "the amber message did not reach C"
poll has c "$RED" || fail "the TLP:RED message did not reach C"
relays b "$AMBER" && relays b "$RED" || fail "B did not carry the messages in its relay table"
has b "$AMBER" && fail "B recorded the amber message in its journal"
has b "$RED" && fail "B recorded the TLP:RED message in its journal"
[ "$(q b "SELECT COUNT(*) FROM message_recipients WHERE message_id IN ('$AMBER', '$RED')")" = 0 ] || fail "B applied a relayed message"
# Sealed: the plaintext is nowhere in B's files; the relayed envelope holds ciphertext.
q b "SELECT envelope FROM federation_relay WHERE id = '$AMBER'" | jq -e '.sealed.ciphertext | length > 0' >/dev/null || fail "relayed envelope is not sealed"
if grep -rqa "$SECRET" "$W/b"; then fail "B's files contain the plaintext"; fi
# C opens it.
ent c --json msg show --as operator "$AMBER" >"$W/show" || fail "C cannot open the message: $(cat "$W/show")"
grep -q "$SECRET-amber" "$W/show" || fail "C's copy does not open to the plaintext"
echo "messages A -> C relayed sealed by B (plaintext not in B's files), opened on C"

# C acknowledges both; the events flow back to A through B.
ent c msg ack --as operator "$AMBER" >/dev/null || fail "C could not acknowledge"
ent c msg ack --as operator "$RED" >/dev/null || fail "C could not acknowledge the RED message"
ackd() { [ "$(q a "SELECT state FROM message_recipients WHERE message_id = '$1'")" = acknowledged ]; }
poll ackd "$AMBER" || fail "the acknowledgement did not flow back to A"
poll ackd "$RED" || fail "the RED acknowledgement did not flow back to A"
[ "$(q b "SELECT COUNT(*) FROM journal WHERE type = 'comms.event' AND subject IN ('$AMBER', '$RED')")" = 0 ] ||
  fail "B recorded events of the relayed messages"
for n in a b c; do
  [ -z "$(q "$n" "SELECT id FROM journal GROUP BY id HAVING COUNT(*) > 1")" ] || fail "duplicates on $n"
done
# Nothing rejected on the way.
for n in a b c; do
  R=$(ent "$n" --json peer list | jq '[.[].rejected | to_entries[] | select(.key != "replayed") | .value] | add // 0')
  [ "$R" = 0 ] || fail "rejections on $n: $(ent "$n" --json peer list | jq -c '[.[].rejected]')"
done
echo "acknowledgements C -> A relayed by B, seen on A"
echo "PASS (loopback, sqlite)"
