#!/usr/bin/env bash
# The verifiable record through the `entente` binary, as an auditor uses it:
# a receipt printed by `entente log receipt` verifies offline (no node, no
# data directory) with the node key checked against the node id, every
# tampered receipt is refused, and `entente verify log` (read-only, without
# the master key) reports the first bad leaf after the journal or the log is
# edited, rows deleted or reordered with SQL.
# Usage: log_cli_test.sh ENTENTE_BINARY SOURCE_DIR [POSTGRES_URL]
set -uo pipefail
BIN=$1
SRC=$2
DB=${3:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/entente-log-cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
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
SQL() {  # SQL STATEMENT: runs on the node's database behind its back
  if [[ -n "$DB" ]]; then psql "$DB" -qAtc "$1"; else sqlite3 "$WORK/var/entente.db" "$1"; fi
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

init_out=$(E init --org-name "Log Operators" --country XA --operator-password "log integration password")
node_id=$(printf '%s' "$init_out" | awk '{print $2}')
check "demo data" env ENTENTE_PASSWORD="log integration password" "$BIN" --data "$WORK/var" "${DBARGS[@]}" demo --file "$SRC/data/demo/directory.json"

# A signed tree head on demand.
E log sth >"$WORK/sth.json"
check "log sth prints a head covering the journal" test "$(json "$WORK/sth.json" 'd["tree_size"]')" -gt 20
check "log sth names this node" test "$(json "$WORK/sth.json" 'd["node_id"]')" = "$node_id"

# A receipt, verified offline: from /, without --data, with only the key.
org_env=$(E --json org list --q Borealia | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["envelope_id"])')
E log receipt "$org_env" >"$WORK/receipt.json"
key=$(json "$WORK/receipt.json" 'd["node_public_key"]')
# The key must be the node's: its fingerprint is the node id printed at init.
check "node key matches the node id" python3 -c "
import base64,hashlib,sys
k=sys.argv[1]; raw=base64.urlsafe_b64decode(k+'='*(-len(k)%4))
assert hashlib.sha256(raw).hexdigest()==sys.argv[2]" "$key" "$node_id"
out=$(cd / && "$BIN" verify receipt "$WORK/receipt.json" --node-key "$key")
check "receipt verifies offline" bash -c "printf '%s' '$out' | grep -q 'receipt verified: envelope $org_env'"

refused() {  # refused NAME PYTHON-EDIT: the edited receipt must fail with one line
  local name=$1
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2; json.dump(d,open(sys.argv[2],'w'))" \
    "$WORK/receipt.json" "$WORK/bad.json"
  local err
  err=$(cd / && "$BIN" verify receipt "$WORK/bad.json" --node-key "$key" 2>&1 >/dev/null)
  local code=$?
  check "tampered receipt refused: $name" test $code -ne 0
  check "tampered receipt: one line on stderr: $name" test "$(printf '%s\n' "$err" | wc -l)" = 1
}
refused "envelope body" 'd["envelope"]["body"]["org"]["names"]["en"]="Kingdom of Boreal1a"'
refused "envelope id" 'd["envelope"]["id"]="01890a5d-ac96-774b-bcce-b302099a8057"'
refused "leaf index" 'd["leaf_index"]+=1'
refused "proof hash" 'd["inclusion_proof"][0]=("0" if d["inclusion_proof"][0][0]!="0" else "1")+d["inclusion_proof"][0][1:]'
refused "proof truncated" 'd["inclusion_proof"].pop()'
refused "tree head time" 'd["sth"]["timestamp"]+=1'
refused "tree head size" 'd["sth"]["tree_size"]+=1'
refused "unknown member" 'd["note"]="trust me"'
other_key=$(python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))')
check "another node's key refused" bash -c "! $(printf '%q' "$BIN") verify receipt $WORK/receipt.json --node-key $other_key 2>/dev/null"
check "malformed key refused" bash -c "! $(printf '%q' "$BIN") verify receipt $WORK/receipt.json --node-key nope 2>/dev/null"
echo 'not json' >"$WORK/garbage.json"
check "garbage refused" bash -c "! $(printf '%q' "$BIN") verify receipt $WORK/garbage.json --node-key $key 2>/dev/null"
check "missing file refused" bash -c "! $(printf '%q' "$BIN") verify receipt $WORK/none.json --node-key $key 2>/dev/null"

# verify log: read-only, and the master key is not needed.
mv "$WORK/var/master.key" "$WORK/master.key.away"
check "verify log passes" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} verify log | grep -q 'log verified'"

first_bad() {  # first_bad EXPECTED-LEAF NAME
  local err
  err=$(E verify log 2>&1 >/dev/null)
  local code=$?
  check "verify log fails: $2" test $code -ne 0
  check "verify log reports leaf $1: $2" bash -c "printf '%s' \"\$1\" | grep -q 'failed at leaf $1:'" _ "$err"
}
# Edit a journal row (seq 5 = leaf 4), then put it back.
row=$(SQL "SELECT envelope FROM journal WHERE seq = 5")
SQL "UPDATE journal SET envelope = replace(envelope, '\"v\":1', '\"v\":2') WHERE seq = 5" >/dev/null
first_bad 4 "edited journal row"
SQL "UPDATE journal SET envelope = '$(printf '%s' "$row" | sed "s/'/''/g")' WHERE seq = 5" >/dev/null
check "verify log passes after the row is restored" bash -c "$(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} verify log >/dev/null"
# Reorder two journal rows (swap seq 8 and 9 through a free number).
SQL "UPDATE journal SET seq = 1000000 WHERE seq = 8" >/dev/null
SQL "UPDATE journal SET seq = 8 WHERE seq = 9" >/dev/null
SQL "UPDATE journal SET seq = 9 WHERE seq = 1000000" >/dev/null
first_bad 7 "reordered journal rows"
SQL "UPDATE journal SET seq = 1000000 WHERE seq = 8" >/dev/null
SQL "UPDATE journal SET seq = 8 WHERE seq = 9" >/dev/null
SQL "UPDATE journal SET seq = 9 WHERE seq = 1000000" >/dev/null
# Edit a stored leaf hash of the log.
SQL "UPDATE log_nodes SET hash = '$(printf '0%.0s' {1..64})' WHERE level = 0 AND idx = 11" >/dev/null
first_bad 11 "edited log row"
# Delete a journal row: the earlier edit still counts, the deletion is first.
SQL "DELETE FROM journal WHERE seq = 3" >/dev/null
first_bad 2 "deleted journal row"
mv "$WORK/master.key.away" "$WORK/var/master.key"

# serve: the tree-head interval is validated.
check "serve --sth-interval rejects a negative interval" bash -c "! $(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} serve --sth-interval -1 2>/dev/null"
check "serve --sth-interval rejects more than a day" bash -c "! $(printf '%q ' "$BIN") --data $WORK/var ${DBARGS[*]} serve --sth-interval 86401 2>/dev/null"

echo "log cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
