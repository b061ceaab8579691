#!/usr/bin/env bash
# Starts a real `entente serve` on a free loopback port over a fresh data
# directory (SQLite), makes three organisations (A and B members of one
# community of trust, C an outsider), their users and API tokens, then runs
# the TAXII 2.1 client written against the specification
# (taxii_client_test.py) against it. The server is stopped on every exit path.
# Usage: taxii_client_test.sh ENTENTE_BINARY SOURCE_DIR
set -euo pipefail
BIN=$(realpath "$1")
SRC=$(realpath "$2")
W=$(mktemp -d "${TMPDIR:-/tmp}/entente-taxii.XXXXXX")
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
E() { "$BIN" --data "$W/var" "$@"; }
PASSWORD="taxii test password"

E init --org-name "Alpha CERT" --country FR --operator-password "$PASSWORD" >/dev/null
ORG_A=$(sqlite3 "$W/var/entente.db" "SELECT id FROM orgs LIMIT 1")
ORG_B=$(E org create '{"kind":"national_csirt","names":{"en":"Beta CERT"},"country":"DE"}')
ORG_C=$(E org create '{"kind":"national_csirt","names":{"en":"Gamma CERT"},"country":"IT"}')

user() { # org username role
  E user create --org "$1" --username "$2" --role "$3" --password "$PASSWORD" >/dev/null
}
token() { # username scope...
  local u=$1
  shift
  local args=()
  for s in "$@"; do args+=(--scope "$s"); done
  E token create --username "$u" --name taxii "${args[@]}"
}
user "$ORG_A" a-analyst analyst
user "$ORG_A" a-analyst2 analyst
user "$ORG_A" a-viewer viewer
user "$ORG_B" b-analyst analyst
user "$ORG_C" c-admin admin
export TOKEN_A=$(token a-analyst read write)
export TOKEN_A2=$(token a-analyst2 read write)
export TOKEN_READONLY=$(token a-analyst read)
export TOKEN_VIEWER=$(token a-viewer read write)
export TOKEN_B=$(token b-analyst read write)
export TOKEN_C=$(token c-admin read write admin)

# The community of trust, made as a user would: A creates it (one sponsor
# admits), invites B; C is never invited.
KIND_A=$(sqlite3 "$W/var/entente.db" "SELECT kind FROM orgs WHERE id = '$ORG_A'")
KINDS=(--kind national_csirt)
[ "$KIND_A" = national_csirt ] || KINDS+=(--kind "$KIND_A")
COMMUNITY=$(E --json intel community create --org "$ORG_A" --name "Test sharing community" \
  --purpose "TAXII test" "${KINDS[@]}" --max-tlp red --single-sponsor |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
E intel community invite "$COMMUNITY" "$ORG_B" --org "$ORG_A" >/dev/null
[ "$(sqlite3 "$W/var/entente.db" "SELECT status FROM community_members WHERE community_id = '$COMMUNITY' AND org_id = '$ORG_B'")" = active ] ||
  { echo "B was not admitted to the community" >&2; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" --data "$W/var" serve --listen "127.0.0.1:$PORT" --insecure-cookies >"$W/serve.log" 2>&1 &
PID=$!
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  kill -0 "$PID" 2>/dev/null || { cat "$W/serve.log" >&2; exit 1; }
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "node did not start" >&2; exit 1; }

export TAXII_BASE="http://127.0.0.1:$PORT" COMMUNITY_ID=$COMMUNITY ORG_A STIX_EXAMPLES="$SRC/data/stix/examples"
python3 "$SRC/tests/taxii/taxii_client_test.py" || { echo "--- server log" >&2; tail -30 "$W/serve.log" >&2; exit 1; }
