#!/usr/bin/env bash
# Whole-node test of the `entente` binary as a user runs it: init, demo data,
# listing with --json, bad input (exit code and one line on stderr), rebuild
# giving identical output, `serve` as a real process over HTTP and HTTPS, a
# wrong master key refused, and a database newer than the binary refused.
# Usage: cli_test.sh ENTENTE_BINARY SOURCE_DIR [DB_URL]
set -uo pipefail
BIN=$1
SRC=$2
DB=${3:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/entente-cli.XXXXXX")
SERVER_PID=
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
passed=0
failed=0
check() {  # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $name" >&2
  fi
}

DBARGS=()
if [[ -n "$DB" ]]; then DBARGS=(--db "$DB"); fi
E() { "$BIN" --data "$WORK/var" "${DBARGS[@]}" "$@"; }
PASSWORD="integration test password"

check "init" E init --org-name "Test Operators" --country XA --operator-password "$PASSWORD"
check "master key is 0600" test "$(stat -c %a "$WORK/var/master.key")" = 600
check "init twice is refused" bash -c "! $(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} init --org-name X --operator-password '$PASSWORD' 2>/dev/null"
check "demo data" env ENTENTE_PASSWORD="$PASSWORD" "$BIN" --data "$WORK/var" "${DBARGS[@]}" demo --file "$SRC/data/demo/directory.json"

orgs=$(E --json org list)
check "org list --json parses and has 12 organisations" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert len(d)==12, len(d)" "$orgs"
check "search by text" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} org list --q Borealia | grep -q 'Borealia National CSIRT'"
check "filter by grouping" bash -c "[ \$($(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} --json org list --grouping ASEAN | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') = 2 ]"
check "poc search by language" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} poc list --language ru | grep -q 'Ирина Соколова'"

# Bad input: non-zero exit, exactly one line on stderr, nothing stored.
before=$(E --json org list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
err=$(E org create '{"kind":"state","names":{"en":"X"},"country":"QQQ"}' 2>&1 >/dev/null)
code=$?
check "bad org: non-zero exit" test $code -ne 0
check "bad org: one line naming the field" bash -c "[ \$(printf '%s\n' \"$err\" | wc -l) = 1 ] && printf '%s' \"$err\" | grep -q 'country'"
err=$(E org create 'not json' 2>&1 >/dev/null)
check "malformed JSON: one line" bash -c "[ \$(printf '%s\n' \"$err\" | wc -l) = 1 ]"
after=$(E --json org list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "nothing stored" test "$before" = "$after"
check "unknown subcommand fails" bash -c "! $(printf '%q ' "$BIN") frobnicate 2>/dev/null"

# Rebuild gives identical listings.
snap1=$(E --json org list; E --json poc list)
check "admin rebuild" E admin rebuild
snap2=$(E --json org list; E --json poc list)
check "rebuild identical" test "$snap1" = "$snap2"

# The verifiable record: a receipt verifies offline with only the node key;
# a tampered receipt and a tampered journal are caught.
org_id=$(E --json org list --q Borealia | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["envelope_id"])')
E log receipt "$org_id" >"$WORK/receipt.json"
node_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["node_public_key"])' "$WORK/receipt.json")
check "receipt verifies offline" bash -c "cd / && $(printf '%q' "$BIN") verify receipt $WORK/receipt.json --node-key $node_key | grep -q 'receipt verified'"
sed 's/Borealia/Boreal1a/' "$WORK/receipt.json" >"$WORK/bad-receipt.json"
check "tampered receipt refused" bash -c "! $(printf '%q' "$BIN") verify receipt $WORK/bad-receipt.json --node-key $node_key 2>/dev/null"
check "verify log" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} verify log | grep -q 'log verified'"

# Communications: an urgent notification in French, read with Arabic labels,
# acknowledged; a communication check and its report; the log still verifies.
borealia=$(E --json org list --q "Borealia National CSIRT" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
cat >"$WORK/msg.json" <<EOF
{"kind": "incident_notification", "recipients": ["$borealia"], "tlp": "amber", "language": "fr",
 "fields": {"urgency": "urgent", "classification": {"class": "availability", "type": "ddos"},
            "summary": "Attaque DDoS contre les hôpitaux"}}
EOF
sent=$(E msg send --as arcadia-cert.officer "@$WORK/msg.json" | sed -n 's/^sent //p')
check "msg send" test -n "$sent"
check "msg run-jobs delivers" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} msg run-jobs | grep -q 'ran 1 jobs'"
jobs_json=$(E --json admin jobs --state done)
check "admin jobs lists the done delivery" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['counts']['done']>=1 and any(j['kind']=='comms.deliver' for j in d['jobs']), d" "$jobs_json"
check "admin jobs: a bad state is refused" bash -c "! $(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} admin jobs --state sleeping 2>/dev/null"
check "admin purge-jobs keeps recent done jobs" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} admin purge-jobs --older-than-days 1 | grep -q 'purged 0 done'"
check "admin purge-jobs --older-than-days 0 purges them" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} admin purge-jobs --older-than-days 0 | grep -q 'purged [1-9]'"
check "no done job left, pending ones kept" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['counts']['done']==0 and d['counts']['pending']>=1, d" "$(E --json admin jobs)"
check "msg list inbox" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} msg list --as borealia-cert.officer | grep -q '$sent.*delivered'"
ar_urgent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["urgency"]["urgent"])' "$SRC/data/comms/labels/ar.json")
check "msg show in Arabic" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} msg show --as borealia-cert.officer --lang ar $sent | grep -q '$ar_urgent'"
check "msg show keeps the French text" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} msg show --as borealia-cert.officer $sent | grep -q 'hôpitaux  \[fr\]'"
check "a third organisation cannot open it" bash -c "! $(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} msg show --as dalmora-mfa.officer $sent 2>/dev/null"
check "the sender cannot acknowledge" bash -c "! $(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} msg ack --as arcadia-cert.officer $sent 2>/dev/null"
check "msg ack" E msg ack --as borealia-cert.officer "$sent"
check "timeline shows the acknowledgement" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} --json msg show --as arcadia-cert.officer $sent | python3 -c 'import json,sys; t=json.load(sys.stdin)[\"timeline\"]; assert [e[\"action\"] for e in t]==[\"sent\",\"delivered\",\"acknowledged\"], t'"
check "ack twice is refused" bash -c "! $(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} msg ack --as borealia-cert.officer $sent 2>/dev/null"
sed 's/"urgent"/"whenever"/' "$WORK/msg.json" >"$WORK/bad-msg.json"
err=$(E msg send --as arcadia-cert.officer "@$WORK/bad-msg.json" 2>&1 >/dev/null)
check "bad message names the field" bash -c "printf '%s' \"$err\" | grep -q 'fields.urgency'"
check_id=$(E check start --as arcadia-cert.admin --grouping OSCE --window 30 | sed -n 's/^check \([^ ]*\) sent.*/\1/p')
check "check start" test -n "$check_id"
check "check report csv" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} check report --as arcadia-cert.admin --csv $check_id | head -1 | grep -q '^organisation_id,organisation,country'"
check "check status" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} check status --as arcadia-cert.admin | grep -q '$check_id'"
check "verify log after messages" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} verify log | grep -q 'log verified'"

# The demo's messages (make run loads them): delivered into the inboxes.
check "demo with messages" bash -c "B=$(printf '%q' "$BIN"); \$B --data $WORK/var2 init --org-name X --operator-password '$PASSWORD' >/dev/null && ENTENTE_PASSWORD='$PASSWORD' \$B --data $WORK/var2 demo --file $SRC/data/demo/directory.json --messages $SRC/data/demo/messages.json >/dev/null && \$B --data $WORK/var2 msg list --as borealia-cert.officer | grep -q 'incident_notification.*delivered'"

# Tokens from the CLI work against the served API.
token=$(E token create --username arcadia-cert.analyst --name itest --scope read)
check "token printed" bash -c "[[ '$token' == ent_* ]]"
check "token list --json" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} --json token list --username arcadia-cert.analyst | python3 -c 'import json,sys; t=json.load(sys.stdin); assert t[0][\"name\"]==\"itest\" and \"ent_\" not in json.dumps(t)'"
cert_org=$(E --json org list --q CERT-Arcadia | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
check "user list --json" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} --json user list --org $cert_org | python3 -c 'import json,sys; u=json.load(sys.stdin); assert len(u)==4 and \"password\" not in json.dumps(u)'"

# serve over HTTPS with a self-signed certificate.
openssl req -x509 -newkey ed25519 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
  -subj "/CN=127.0.0.1" -days 1 2>/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Started directly (not through the E function) so that $! is the server itself.
"$BIN" --data "$WORK/var" "${DBARGS[@]}" serve --listen "127.0.0.1:$PORT" \
  --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" --log-format json \
  >"$WORK/serve.log" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 200); do
  curl -skf "https://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.05
done
check "https healthz" bash -c "curl -skf https://127.0.0.1:$PORT/healthz | grep -q ok"
check "plain http refused on the TLS port" bash -c "! curl -sf --max-time 3 http://127.0.0.1:$PORT/healthz >/dev/null 2>&1"
check "token lists organisations" bash -c "curl -skf -H 'Authorization: Bearer $token' https://127.0.0.1:$PORT/api/v1/orgs?limit=200 | python3 -c 'import json,sys; assert len(json.load(sys.stdin)[\"items\"])==12'"
check "no token: 401 problem" bash -c "curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:$PORT/api/v1/orgs | grep -q 401"
curl -sk -o /dev/null -H 'Content-Type: application/json' -d '{"username":"operator","password":"hunter2 \"Zq9\""}' \
  "https://127.0.0.1:$PORT/api/v1/auth/login"
check "secrets never logged" bash -c "! grep -q -e '$token' -e '$PASSWORD' -e 'hunter2' $WORK/serve.log $WORK/serve.err"
check "failed sign-in logged as a JSON line" bash -c "grep -q 'login failed: user=operator' $WORK/serve.err"
check "every log line is JSON" python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]" "$WORK/serve.err"
kill "$SERVER_PID"
wait "$SERVER_PID"
check "serve stops cleanly on SIGTERM" test $? -eq 0
SERVER_PID=

# Editing history is detected by verify log (SQLite: edit the file directly).
if [[ -z "$DB" ]]; then
  python3 - "$WORK/var/entente.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
(env,) = c.execute("SELECT envelope FROM journal WHERE seq = 3").fetchone()
c.execute("UPDATE journal SET envelope = ? WHERE seq = 3", (env.replace('"kind":"', '"kind":"x'),))
c.commit()
PY
  err=$(E verify log 2>&1 >/dev/null)
  check "verify log reports the first bad leaf" bash -c "printf '%s' \"$err\" | grep -q 'failed at leaf 2'"
fi

# A wrong master key is refused at start with a clear message.
err=$(ENTENTE_MASTER_KEY=$(printf '0%.0s' {1..64}) "$BIN" --data "$WORK/var" "${DBARGS[@]}" org list 2>&1 >/dev/null)
check "wrong master key refused" bash -c "printf '%s' \"$err\" | grep -q 'wrong master key'"

# A database newer than the binary is refused.
if [[ -z "$DB" ]]; then
  python3 - "$WORK/var/entente.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 0)"); c.commit()
PY
  err=$(E org list 2>&1 >/dev/null)
  check "newer database refused" bash -c "printf '%s' \"$err\" | grep -q 'newer than this entente binary'"
fi

echo "cli integration: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
