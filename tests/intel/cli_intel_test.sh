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

echo "cli_intel: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
