#!/usr/bin/env bash
# The RPZ feed over HTTP into a real Unbound, as an operator would wire it:
# a fresh node (SQLite) imports indicators (bad.test and its subdomains by
# x_entente_subdomains, later exact.test exactly; one TLP:RED and one
# revoked that must not reach the resolver); a real
# `entente serve` (port 0: the kernel picks a free one, read from its
# "serving on" line) answers `GET /api/v1/feeds/rpz` to an analyst's API
# token with a strong ETag, and the same request with If-None-Match answers
# 304 with no body; an import then changes the ETag and the old one gets
# 200 again. The fetched zone is written where a real Unbound (Debian
# package, started by the test on a private port with its `rpz:` module and
# an `auth-zone` for-upstream serving the test names) loads it: listed names
# get NXDOMAIN, an unlisted one resolves from the auth-zone, and rpz-log
# shows each rewrite. No sleeps: every wait is a bounded blocking read (the
# serve line from a FIFO, DNS answers with dig's own timeout).
# Usage: rpz_http_unbound_test.sh ENTENTE_BINARY
set -uo pipefail
BIN=$(realpath "$1")
for tool in /usr/sbin/unbound /usr/sbin/unbound-checkconf dig curl sqlite3; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (scripts/setup.sh)" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/entente-rpz-http.XXXXXX")
SERVE_PID=
UNBOUND_PID=
cleanup() {
  for p in "$SERVE_PID" "$UNBOUND_PID"; do
    if [ -n "$p" ]; then kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; fi
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
passed=0
failed=0
check() { # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name" >&2; fi
}
die() {
  echo "$*" >&2
  exit 1
}
E() { "$BIN" --data "$W/var" "$@"; }
PASSWORD="rpz http test password"

E init --org-name "Alpha CERT" --country FR --operator-password "$PASSWORD" >/dev/null || die "init failed"
ORG=$(sqlite3 "$W/var/entente.db" "SELECT id FROM orgs LIMIT 1")
E user create --org "$ORG" --username resolver-feed --role analyst --password "$PASSWORD" >/dev/null ||
  die "user create failed"
TOKEN=$(E token create --username resolver-feed --name unbound --scope read) || die "token create failed"

indicator() { # indicator N DOMAIN [EXTRA-JSON]
  printf '{"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-%012d",
  "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
  "pattern": "[domain-name:value = '"'"'%s'"'"']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"%s}' "$1" "$2" "${3:-}"
}
GREEN=', "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]'
RED=', "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]'
{
  echo '{"type": "bundle", "id": "bundle--11111111-2222-4333-8444-555555555555", "objects": ['
  indicator 1 bad.test "$GREEN"', "x_entente_subdomains": true'
  echo ,
  indicator 2 secret.test "$RED"
  echo ,
  indicator 3 revoked.test "$GREEN"', "revoked": true'
  echo ']}'
} >"$W/first.json"
E intel import "$W/first.json" >/dev/null || die "import failed"

# The node, on a port the kernel picks; its first stdout line says which.
mkfifo "$W/serve.out"
"$BIN" --data "$W/var" serve --listen 127.0.0.1:0 >"$W/serve.out" 2>"$W/serve.err" &
SERVE_PID=$!
exec 3<"$W/serve.out"
IFS= read -r -t 60 -u 3 line || die "serve did not start: $(cat "$W/serve.err")"
cat <&3 >"$W/serve.stdout" &
URL=$(sed -n 's|.* serving on \(http://[^ ]*\)$|\1|p' <<<"$line")
[ -n "$URL" ] || die "no address in '$line'"
FEED="$URL/api/v1/feeds/rpz"

# First fetch: 200, a strong ETag, the zone.
code=$(curl -sS -D "$W/h1" -o "$W/rpz.zone" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$FEED")
check "first fetch: 200" test "$code" = 200
ETAG=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "$W/h1")
check "strong ETag" grep -qE '^"sha256-[0-9a-f]{32}"$' <<<"$ETAG"
check "zone has bad.test" grep -q '^bad\.test\.\? ' "$W/rpz.zone"
check "zone has *.bad.test" grep -q '^\*\.bad\.test\.\? ' "$W/rpz.zone"
check "no TLP:RED in the feed" bash -c "! grep -q secret.test '$W/rpz.zone'"
check "no revoked in the feed" bash -c "! grep -q revoked.test '$W/rpz.zone'"
check "no token: 401" test "$(curl -s -o /dev/null -w '%{http_code}' "$FEED")" = 401

# Second fetch with If-None-Match: 304, no body, same ETag.
code=$(curl -sS -D "$W/h2" -o "$W/body2" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  -H "If-None-Match: $ETAG" "$FEED")
check "If-None-Match: 304" test "$code" = 304
check "304 without a body" test ! -s "$W/body2"
check "304 repeats the ETag" grep -qiF "etag: $ETAG" "$W/h2"

# An import changes the feed: the old ETag now gets 200 and a new ETag.
{
  echo '{"type": "bundle", "id": "bundle--11111111-2222-4333-8444-555555555556", "objects": ['
  indicator 4 exact.test "$GREEN"
  echo ']}'
} >"$W/second.json"
E intel import "$W/second.json" >/dev/null || die "second import failed"
code=$(curl -sS -D "$W/h3" -o "$W/rpz.zone" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  -H "If-None-Match: $ETAG" "$FEED")
check "after an import: 200 for the old ETag" test "$code" = 200
ETAG2=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "$W/h3")
check "new ETag" test -n "$ETAG2" -a "$ETAG2" != "$ETAG"
check "zone now has exact.test" grep -q '^exact\.test\.\? ' "$W/rpz.zone"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "If-None-Match: $ETAG2" "$FEED")
check "new ETag: 304" test "$code" = 304

# A real Unbound on a private port loads the fetched zone.
UPORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$W/test.zone" <<'ZONE'
$ORIGIN test.
$TTL 60
@ SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@ NS ns.test.
ns A 127.0.0.1
bad A 192.0.2.10
www.bad A 192.0.2.11
exact A 192.0.2.30
sub.exact A 192.0.2.31
good A 192.0.2.20
secret A 192.0.2.40
revoked A 192.0.2.50
ZONE
cat >"$W/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: $UPORT
  directory: "$W"
  chroot: ""
  username: ""
  pidfile: "$W/unbound.pid"
  use-syslog: no
  logfile: "$W/unbound.log"
  log-time-ascii: yes
  verbosity: 1
  do-daemonize: no
  num-threads: 1
  do-ip6: no
  do-tcp: no
  so-reuseport: no
  access-control: 127.0.0.0/8 allow
  module-config: "respip iterator"
  local-zone: "test." nodefault
rpz:
  name: rpz.entente.invalid
  zonefile: "$W/rpz.zone"
  rpz-log: yes
  rpz-log-name: "entente"
auth-zone:
  name: "test."
  zonefile: "$W/test.zone"
  for-upstream: yes
  for-downstream: no
  fallback-enabled: no
CONF
/usr/sbin/unbound-checkconf "$W/unbound.conf" >"$W/checkconf.out" 2>&1
check "unbound-checkconf" test $? -eq 0
/usr/sbin/unbound -d -c "$W/unbound.conf" >"$W/unbound.stderr" 2>&1 &
UNBOUND_PID=$!
q() { dig @127.0.0.1 -p "$UPORT" +tries=1 +time=1 "$@"; }
rcode() { q "$1" A | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
# Bounded wait (30 s): each dig blocks for at most a second for its answer.
up=0
deadline=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ]; do
  kill -0 "$UNBOUND_PID" 2>/dev/null || break
  if [ -n "$(rcode good.test)" ]; then up=1; break; fi
done
[ $up = 1 ] || die "unbound did not answer: $(cat "$W/unbound.stderr" "$W/unbound.log" 2>/dev/null)"

check "good.test resolves" test "$(dig @127.0.0.1 -p "$UPORT" +tries=1 +time=5 +short good.test A)" = 192.0.2.20
check "bad.test: NXDOMAIN" test "$(rcode bad.test)" = NXDOMAIN
check "www.bad.test: NXDOMAIN" test "$(rcode www.bad.test)" = NXDOMAIN
check "exact.test (second import): NXDOMAIN" test "$(rcode exact.test)" = NXDOMAIN
check "sub.exact.test (exact only) resolves" test "$(dig @127.0.0.1 -p "$UPORT" +tries=1 +time=5 +short sub.exact.test A)" = 192.0.2.31
check "TLP:RED name resolves" test "$(dig @127.0.0.1 -p "$UPORT" +tries=1 +time=5 +short secret.test A)" = 192.0.2.40
check "revoked name resolves" test "$(dig @127.0.0.1 -p "$UPORT" +tries=1 +time=5 +short revoked.test A)" = 192.0.2.50

# rpz-log: each rewrite is in unbound's log (written by another process:
# bounded re-reads, each after a query that makes unbound log again).
logged=0
for _ in $(seq 50); do
  if grep -q 'exact.test. A IN' "$W/unbound.log" 2>/dev/null; then logged=1; break; fi
  rcode good.test >/dev/null
done
check "rpz-log written" test $logged = 1
check "rpz-log: bad.test" grep -q 'rpz: applied \[entente\] bad.test. rpz-nxdomain 127.0.0.1@[0-9]* bad.test. A IN' "$W/unbound.log"
check "rpz-log: *.bad.test" grep -q 'rpz: applied \[entente\] \*.bad.test. rpz-nxdomain 127.0.0.1@[0-9]* www.bad.test. A IN' "$W/unbound.log"
check "rpz-log: nothing for good.test" bash -c "! grep -q 'applied \[entente\] good.test' '$W/unbound.log'"

echo "passed: $passed, failed: $failed"
if [ $failed -ne 0 ]; then
  echo "--- rpz.zone" >&2
  cat "$W/rpz.zone" >&2
  echo "--- unbound.log" >&2
  tail -30 "$W/unbound.log" >&2
  echo "--- serve.err" >&2
  tail -20 "$W/serve.err" >&2
fi
[ $failed -eq 0 ]
