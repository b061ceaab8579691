#!/usr/bin/env bash
# `entente intel` as a user runs it: pattern check (normal form, observables,
# one-line errors), validate, import of the official examples, all-or-nothing
# vs --partial (exit codes, one line per rejection on stderr), export that
# re-imports as unchanged.
# Usage: cli_intel_test.sh ENTENTE_BINARY SOURCE_DIR [DB_URL]
set -uo pipefail
BIN=$1
SRC=$2
DB=${3:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/entente-intel-cli.XXXXXX")
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
EX=$SRC/data/stix/examples

out=$("$BIN" intel pattern check "[domain-name:value = 'Evil.Example' AND file:hashes.'SHA-256' = 'AB'] WITHIN 60 SECONDS")
check "pattern check ok" test $? -eq 0
check "pattern normal form" grep -qF "valid: [domain-name:value = 'Evil.Example' AND file:hashes.'SHA-256' = 'AB'] WITHIN 60 SECONDS" <<<"$out"
check "pattern observables" grep -qF "domain-name: evil.example" <<<"$out"
err=$("$BIN" intel pattern check "[a:b = 1" 2>&1 >/dev/null)
check "bad pattern exit 1" test $? -eq 1
check "bad pattern one line with offset" test "$err" = "entente: invalid pattern: offset 8: expected ']', AND or OR, found end of pattern"
json=$("$BIN" --json intel pattern check "[url:value = 'http://x.example/a']")
check "pattern json" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['observables']==[{'type':'url','value':'http://x.example/a'}]" "$json"

"$BIN" intel validate "$EX/infrastructure.json" >/dev/null
check "validate examples" test $? -eq 0

ENTENTE_OPERATOR_PASSWORD=correct-horse-battery-42 "${E[@]}" init --org-name "CERT Test" --country FR >/dev/null 2>&1
check "init" test $? -eq 0
for f in "$EX"/*.json; do
  "${E[@]}" intel import "$f" >/dev/null
  check "import $(basename "$f")" test $? -eq 0
done

python3 - "$EX/indicator-for-c2-ip-address.json" bad.json <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
b["objects"][0]["id"] = "indicator--0b9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f"
good = dict(b["objects"][0])
bad = dict(good, id="indicator--1b9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f", pattern="[ipv4-addr:value = ]")
b["objects"] = [good, bad]
json.dump(b, open(sys.argv[2], "w"))
PY
err=$("${E[@]}" intel import bad.json 2>&1 >/dev/null)
check "rejected bundle exit 1" test $? -eq 1
check "rejection line" test "$err" = "/objects/1/pattern (indicator--1b9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f): invalid STIX pattern: offset 19: expected a literal (string, number, boolean, h'..', b'..', t'..'), found ']'"
n=$("${E[@]}" intel export | python3 -c "import json,sys; print(len(json.load(sys.stdin)['objects']))")
check "nothing of the rejected bundle stored" test "$n" -eq 28
report=$("${E[@]}" --json intel import bad.json --partial 2>/dev/null)
check "partial exit 1" test $? -eq 1
check "partial fates" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['stored'] and [o['fate'] for o in d['objects']]==['added','rejected'], d" "$report"
"${E[@]}" intel export --out all.json
check "export" test $? -eq 0
out=$("${E[@]}" intel import all.json)
check "re-import of the export is unchanged" grep -qF "stored: 0 added, 29 unchanged" <<<"$out"
n=$("${E[@]}" intel export --type indicator | python3 -c "import json,sys; print(len(json.load(sys.stdin)['objects']))")
check "export --type" test "$n" -eq 7
err=$(echo '[1]' >arr.json; "${E[@]}" intel import arr.json 2>&1)
check "malformed bundle one line" test "$err" = "entente: malformed bundle at byte 0: expected '{'"

# Communities of trust (`entente intel community`), acting as organisations of this node.
B=$("${E[@]}" org create '{"kind":"national_csirt","names":{"en":"CERT B"},"country":"DE"}')
C=$("${E[@]}" org create '{"kind":"national_csirt","names":{"en":"CERT C"},"country":"IT"}')
R=$("${E[@]}" org create '{"kind":"registrar","names":{"en":"Registrar R"},"country":"FR"}')
created=$("${E[@]}" --json intel community create --name Health --purpose "Hospitals" --kind national_csirt --max-tlp green)
check "community create" test $? -eq 0
K=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['id'])" "$created")
A=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['created_by'])" "$created")
check "creator is the only member" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert [m['org'] for m in d['members']]==[sys.argv[2]] and d['charter']['vouches_required']==2, d" "$created" "$A"
err=$("${E[@]}" intel community create --name X --purpose Y --kind national_csirt --max-tlp green --vouches 1 2>&1)
check "single sponsor needs the flag" grep -qF "vouches_required" <<<"$err"
"${E[@]}" intel community invite "$K" "$B" >/dev/null
check "invite B (one member: admitted)" test $? -eq 0
"${E[@]}" intel community invite "$K" "$C" >/dev/null
check "invite C" test $? -eq 0
err=$("${E[@]}" intel community vouch "$K" "$C" 2>&1)
check "double vouch refused" grep -qF "already vouched" <<<"$err"
err=$("${E[@]}" intel community invite "$K" "$R" 2>&1)
check "wrong kind refused" grep -qF "registrar" <<<"$err"
"${E[@]}" intel community vouch "$K" "$C" --org "$B" >/dev/null
check "vouch by B" test $? -eq 0
shown=$("${E[@]}" --json intel community show "$K" --org "$C")
check "C admitted" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert sorted(m['status'] for m in d['members'])==['active']*3, d" "$shown"
out=$("${E[@]}" intel community list --org "$B")
check "list" grep -qF "$K  Health  (active)" <<<"$out"
"${E[@]}" intel community remove "$K" "$C" >/dev/null && "${E[@]}" intel community remove "$K" "$C" --org "$B" >/dev/null
check "removal by two votes" test $? -eq 0
err=$("${E[@]}" intel community show "$K" --org "$C" 2>&1)
check "removed member sees nothing" grep -qF "no such community" <<<"$err"
"${E[@]}" intel community leave "$K" --org "$B" >/dev/null
check "leave" test $? -eq 0
python3 - "$EX/indicator-for-c2-ip-address.json" amber.json <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
o = dict(b["objects"][0], id="indicator--2b9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f")
o["object_marking_refs"] = ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]
b["objects"] = [o]
json.dump(b, open(sys.argv[2], "w"))
PY
err=$("${E[@]}" intel import amber.json --community "$K" 2>&1 >/dev/null)
check "import above the charter's TLP refused" grep -qF "/objects/0/object_marking_refs (indicator--2b9e2f0c-3d0e-4c4f-8d3e-1a2b3c4d5e6f): TLP:amber is above TLP:green" <<<"$err"
err=$("${E[@]}" intel import amber.json --community 01234567-89ab-7def-8123-456789abcdef 2>&1 >/dev/null)
check "import into an unknown community refused" grep -qF "no such community" <<<"$err"

echo "cli_intel: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
