#!/usr/bin/env bash
# Two processes deliver the same node's messages at once (two `entente msg
# run-jobs` on one database, as two `serve` processes would), with email
# notices through a real SMTP server (aiosmtpd): every recipient is delivered
# exactly once, no email is sent twice, and nothing is left pending.
# Usage: comms_workers_test.sh ENTENTE_BINARY SOURCE_DIR [DB_URL]
set -uo pipefail
BIN=$1
SRC=$2
DB=${3:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/entente-workers.XXXXXX")
SINK_PID=
cleanup() {
  [[ -n "$SINK_PID" ]] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }
DBARGS=()
if [[ -n "$DB" ]]; then DBARGS=(--db "$DB"); fi
E() { "$BIN" --data "$WORK/var" "${DBARGS[@]}" "$@"; }
PASSWORD="integration test password"

E init --org-name "Test Operators" --country XA --operator-password "$PASSWORD" >/dev/null || fail init
ENTENTE_PASSWORD="$PASSWORD" E demo --file "$SRC/data/demo/directory.json" >/dev/null || fail demo

# The SMTP server: prints its port once it accepts connections, runs until
# its stdin closes (a fifo held open by this shell).
mkdir -p "$WORK/mail"
mkfifo "$WORK/sink-in"
PYTHON=${ENTENTE_TEST_PYTHON:-/usr/bin/python3}
: >"$WORK/sink-port"  # exists before tail -f opens it (the redirect below waits for the FIFO)
"$PYTHON" "$SRC/tests/mail/smtp_sink.py" --dir "$WORK/mail" <"$WORK/sink-in" >"$WORK/sink-port" 2>"$WORK/sink-log" &
SINK_PID=$!
exec 3>"$WORK/sink-in"
read -r -t 30 port < <(tail -f "$WORK/sink-port" | head -1) || fail "SMTP server did not start: $(cat "$WORK/sink-log")"
SMTP="smtp://127.0.0.1:$port?from=notices@node.example.org"

# Messages from Arcadia's CERT to every other organisation, ten times.
ids=$(E --json org list | python3 -c 'import json,sys; print(" ".join(o["id"] for o in json.load(sys.stdin) if not o["names"]["en"].startswith(("Test", "CERT-Arcadia"))))')
recipients=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1].split()))' "$ids")
count=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$recipients")
[[ $count -ge 5 ]] || fail "expected several recipients, got $count"
for i in $(seq 1 10); do
  cat >"$WORK/m$i.json" <<JSON
{"kind": "free_form", "recipients": $recipients, "tlp": "green", "language": "en",
 "fields": {"urgency": "routine", "summary": "Message $i to everyone"}}
JSON
  E msg send --as arcadia-cert.officer "@$WORK/m$i.json" >>"$WORK/sent" || fail "send $i"
done
deliveries=$((10 * count))

# Two workers at once.
E msg run-jobs --smtp "$SMTP" >"$WORK/w1" 2>&1 &
w1=$!
E msg run-jobs --smtp "$SMTP" >"$WORK/w2" 2>&1 &
w2=$!
wait $w1 || fail "worker 1: $(cat "$WORK/w1")"
wait $w2 || fail "worker 2: $(cat "$WORK/w2")"
ran1=$(sed -n 's/^ran \([0-9]*\) jobs/\1/p' "$WORK/w1")
ran2=$(sed -n 's/^ran \([0-9]*\) jobs/\1/p' "$WORK/w2")
echo "worker 1 ran $ran1 jobs, worker 2 ran $ran2 (of $deliveries deliveries)"
[[ $((ran1 + ran2)) -eq $deliveries ]] || fail "together the workers ran $((ran1 + ran2)) jobs, expected $deliveries"

# Every recipient delivered exactly once (one signed delivered event each).
for id in $(sed -n 's/^sent //p' "$WORK/sent"); do
  E --json msg show --as arcadia-cert.officer "$id" | python3 -c '
import json, sys
m = json.load(sys.stdin)
states = {r["state"] for r in m["recipients"]}
assert states == {"delivered"}, states
delivered = [e["org"] for e in m["timeline"] if e["action"] == "delivered"]
assert len(delivered) == len(set(delivered)) == len(m["recipients"]), delivered
' || fail "message $id"
done

# No email twice: each (message link, recipients) pair once.
python3 - "$WORK/mail" "$deliveries" <<'PY' || fail "emails"
import json, os, re, sys
seen = {}
for name in os.listdir(sys.argv[1]):
    if not name.endswith(".json"):
        continue
    m = json.load(open(os.path.join(sys.argv[1], name)))
    link = re.search(r"#/messages/([0-9a-f-]+)", m["body"]).group(1)
    for rcpt in m["rcpt_tos"]:
        key = (link, rcpt)
        seen[key] = seen.get(key, 0) + 1
dups = {k: v for k, v in seen.items() if v > 1}
assert not dups, dups
assert seen, "no email arrived"
print(f"{len(seen)} notices, none twice")
PY
E --json msg run-jobs | grep -q 'ran 0 jobs' || fail "jobs left after both workers"
echo "comms workers: passed"
