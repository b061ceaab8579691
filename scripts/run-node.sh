#!/usr/bin/env bash
# Starts a demo node: creates it in ./var on first use (SQLite, fictional demo
# dataset), then serves it on 127.0.0.1 and prints the URL and a login.
# Usage: scripts/run-node.sh PATH_TO_ENTENTE
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/src/app/entente}
DATA=${ENTENTE_DATA:-var}
PORT=${PORT:-8080}
mkdir -p "$DATA"
CREDS="$DATA/operator-credentials"
if [[ ! -f "$DATA/entente.db" ]]; then
  umask 077
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  printf 'user: operator\npassword: %s\n' "$password" >"$CREDS"
  "$BIN" --data "$DATA" init --base-url "http://127.0.0.1:$PORT" \
    --org-name "Demo Node Operators" --org-kind regional_org --country XZ \
    --operator operator --operator-password "$password"
  ENTENTE_PASSWORD="$password" "$BIN" --data "$DATA" demo --file data/demo/directory.json \
    --messages data/demo/messages.json
  # A small DNS abuse dataset (two days of March 2024) and one report routed
  # to the demo registrar Northwind Names Ltd (IANA id 1001).
  for day in 2024-03-01 2024-03-02; do
    "$BIN" --data "$DATA" dns ingest --date "$day" \
      --zone data/demo/dns/arc.zone --zone data/demo/dns/cam.zone \
      --registrations data/demo/dns/registrations.csv --registrars data/demo/dns/registrars.csv \
      --feed "phishing:demo:urls:data/demo/dns/phish-$day.txt" 2>/dev/null
  done
  "$BIN" --data "$DATA" dns route --domain evil.arc --as arcadia-cert.officer >/dev/null
  echo "Demo users: <org key>.admin / .officer / .analyst / .viewer (e.g. arcadia-cert.admin), same password as the operator."
fi
password=$(sed -n 's/^password: //p' "$CREDS")
echo
echo "Entente node:  http://127.0.0.1:$PORT/"
echo "API:           http://127.0.0.1:$PORT/api/v1/openapi.json"
echo "Operator:      operator / $password   (also in $CREDS)"
echo
exec "$BIN" --data "$DATA" serve --listen "127.0.0.1:$PORT"
