#!/usr/bin/env bash
# `entente match` and `entente feed` from the node's stored intelligence:
# a node with one organisation imports indicators (one TLP:RED, one expired,
# one PAP:RED); `match --from-store --org ID` finds the hits with their
# context, reports nothing to the node unless --report-sightings is given,
# and then one sighting per indicator counting the values that hit it;
# re-running the same scan changes nothing (idempotent per day); `feed rpz
# --from-store` leaves TLP:RED, PAP:RED (blocking) and expired indicators
# out; bad combinations of options exit 1 with a one-line error.
# Usage: cli_store_test.sh ENTENTE_BINARY [DB_URL]
set -uo pipefail
BIN=$1
DB=${2:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/entente-match-store.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
passed=0
failed=0
check() {  # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name" >&2; fi
}
E=("$BIN" --data "$WORK/var")
[[ -n "$DB" ]] && E+=(--db "$DB")

ENTENTE_OPERATOR_PASSWORD=correct-horse-battery-42 "${E[@]}" init --org-name "CERT Test" --country FR >/dev/null 2>&1
check "init" test $? -eq 0
ORG=$("${E[@]}" --json org list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
check "org id" test -n "$ORG"

cat >bundle.json <<'JSON'
{"type": "bundle", "id": "bundle--11111111-2222-4333-8444-555555555555", "objects": [
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000001",
  "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
  "pattern": "[domain-name:value = 'bad.example' OR domain-name:value = 'worse.example']", "pattern_type": "stix",
  "valid_from": "2024-01-01T00:00:00Z", "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000002",
  "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
  "pattern": "[domain-name:value = 'red.example']", "pattern_type": "stix",
  "valid_from": "2024-01-01T00:00:00Z", "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000003",
  "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
  "pattern": "[domain-name:value = 'old.example']", "pattern_type": "stix",
  "valid_from": "2024-01-01T00:00:00Z", "valid_until": "2024-02-01T00:00:00Z"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000004",
  "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
  "pattern": "[domain-name:value = 'quiet.example']", "pattern_type": "stix", "x_entente_pap": "red",
  "valid_from": "2024-01-01T00:00:00Z", "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
]}
JSON
"${E[@]}" intel import bundle.json >/dev/null
check "import" test $? -eq 0

printf 'bad.example\nworse.example\nBAD.example.\nred.example\nold.example\nquiet.example\nfine.example\n' >values.txt
sightings() { "${E[@]}" intel export --type sighting | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("objects", [])))'; }

"${E[@]}" match --from-store --org "$ORG" --format plain --no-progress values.txt >hits.jsonl 2>err.txt
check "match exit 0" test $? -eq 0
check "hits: bad, worse, BAD, red (own TLP:RED), quiet (PAP:RED is fine for logs)" test "$(wc -l <hits.jsonl)" -eq 5
check "expired left out" bash -c '! grep -q old.example hits.jsonl'
check "context in hits" grep -q '"tlp":"red"' hits.jsonl
check "no sightings without the flag" test "$(sightings)" -eq 0

"${E[@]}" --json match --from-store --org "$ORG" --format plain --no-progress --report-sightings values.txt >/dev/null 2>err.txt
check "report exit 0" test $? -eq 0
check "report summary" grep -q '"sightings":{"added":3' err.txt
check "three sightings" test "$(sightings)" -eq 3
count=$("${E[@]}" intel export --type sighting | python3 -c 'import json,sys; print(max(o["count"] for o in json.load(sys.stdin)["objects"]))')
check "bad.example/worse.example/BAD: one indicator counting 3 values" test "$count" -eq 3
"${E[@]}" --json match --from-store --org "$ORG" --format plain --no-progress --report-sightings --out csv values.txt >hits.csv 2>err.txt
check "again (CSV): nothing added (merged into the day's sightings)" grep -q '"added":0,"indicators":3' err.txt
check "still three sightings" test "$(sightings)" -eq 3

"${E[@]}" feed rpz --from-store --org "$ORG" -o feed.rpz 2>err.txt
check "feed exit 0" test $? -eq 0
check "feed has bad.example" grep -q '^bad.example' feed.rpz
check "feed has worse.example" grep -q '^worse.example' feed.rpz
check "feed without TLP:RED" bash -c '! grep -q red.example feed.rpz'
check "feed without PAP:RED" bash -c '! grep -q quiet.example feed.rpz'
check "feed without expired" bash -c '! grep -q old.example feed.rpz'

"${E[@]}" match --from-store values.txt >/dev/null 2>err.txt
check "--from-store needs --org" test $? -eq 1
check "one-line error" grep -q "needs --org" err.txt
"${E[@]}" match values.txt >/dev/null 2>err.txt
check "no source: exit 1" test $? -eq 1
"${E[@]}" match -i values.txt --report-sightings values.txt >/dev/null 2>err.txt
check "--report-sightings needs --from-store" grep -q "needs --from-store" err.txt
"${E[@]}" match --from-store --org 00000000-0000-4000-8000-000000000000 values.txt >/dev/null 2>err.txt
check "unknown organisation: exit 1" test $? -eq 1

echo "passed: $passed, failed: $failed"
[[ $failed -eq 0 ]]
