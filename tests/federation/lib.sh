# Shared by the federation test scripts (three_nodes.sh, relay_hub.sh); they
# source it after setting W, the work directory holding each node's log
# (a.log, b.log, c.log).
export ENTENTE_OPERATOR_PASSWORD="correct horse battery staple"

# fail MESSAGE: prints it and the end of each node's log, and exits 1.
fail() { echo "FAIL: $*" >&2; for n in a b c; do echo "--- log $n"; tail -20 "$W/$n.log" >&2 || true; done; exit 1; }

# poll CMD... : runs CMD until it succeeds, at most ~60 s (600 tries).
poll() {
  local i
  for i in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}
