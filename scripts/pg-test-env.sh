#!/usr/bin/env bash
# A private, throw-away PostgreSQL server for the tests.
#
#   scripts/pg-test-env.sh start DIR     start (initdb on first use); prints
#                                        ENTENTE_TEST_PG_URL=postgresql://...
#   scripts/pg-test-env.sh stop DIR      stop it (the data stays in DIR)
#   scripts/pg-test-env.sh status DIR    exit 0 and print the URL if it runs
#   scripts/pg-test-env.sh run DIR -- CMD...
#                                        start, run CMD with ENTENTE_TEST_PG_URL
#                                        exported, stop; exits with CMD's status
#
# e.g.  eval "$(scripts/pg-test-env.sh start build-store/pg)"; export ENTENTE_TEST_PG_URL
#       scripts/pg-test-env.sh run build-store/pg -- ctest --test-dir build-store -L postgres
#
# The server: PostgreSQL 15 binaries from /usr/lib/postgresql/15/bin (or
# PG_BIN), cluster in DIR/data made with `initdb -A trust -U entente`, UTF8,
# locale C.UTF-8, listening on 127.0.0.1 only on a free port, its unix socket
# in DIR/sock, fsync off (data may be lost on a crash: tests only). Database
# `entente_test` exists; the `entente` superuser may create more (the test
# fixture makes one per test). PostgreSQL refuses to run as root, so as root
# the server runs as the `postgres` system user (or `entente-pg`, created if
# neither exists) and DIR is chowned to it.
set -euo pipefail

usage() {
  sed -n '2,12p' "$0" >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
cmd=$1
dir=$2
shift 2

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
for tool in initdb pg_ctl pg_isready psql postgres; do
  [[ -x "$PG_BIN/$tool" ]] || { echo "pg-test-env: $PG_BIN/$tool not found (run scripts/setup.sh)" >&2; exit 1; }
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"
sock="$dir/sock"
log="$dir/postgres.log"

# Who runs the server.
as_server=()
server_user=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  if id postgres >/dev/null 2>&1; then
    server_user=postgres
  else
    server_user=entente-pg
    id "$server_user" >/dev/null 2>&1 ||
      useradd --system --no-create-home --shell /usr/sbin/nologin "$server_user"
  fi
  as_server=(runuser -u "$server_user" --)
fi

run_pg() { "${as_server[@]}" "$@"; }

url_for() { echo "postgresql://entente@127.0.0.1:$1/entente_test"; }

running_port() {
  # Prints the port of a live server in DIR, or fails.
  [[ -f "$data/postmaster.pid" && -f "$dir/port" ]] || return 1
  run_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1 || return 1
  cat "$dir/port"
}

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if [[ -z $(ss -Htln "sport = :$p") ]]; then echo "$p"; return; fi
  done
  echo "pg-test-env: no free port found" >&2
  return 1
}

start() {
  local port
  if port=$(running_port); then
    echo "ENTENTE_TEST_PG_URL=$(url_for "$port")"
    return 0
  fi

  mkdir -p "$sock"
  # The socket path must fit in sockaddr_un (107 bytes).
  if (( ${#sock} + 20 > 107 )); then
    echo "pg-test-env: $dir is too long a path for the server's unix socket; use a shorter DIR" >&2
    exit 1
  fi
  if [[ ${#as_server[@]} -gt 0 ]]; then
    chown -R "$server_user" "$dir"
    if ! run_pg test -w "$dir"; then
      echo "pg-test-env: user $server_user cannot reach $dir (a parent directory is not" \
           "searchable); use a DIR under /tmp or open up the parents" >&2
      exit 1
    fi
  fi

  if [[ ! -f "$data/PG_VERSION" ]]; then
    run_pg "$PG_BIN/initdb" -D "$data" -A trust -U entente --no-sync -E UTF8 \
      --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
      echo "pg-test-env: initdb failed:" >&2
      cat "$dir/initdb.log" >&2
      exit 1
    }
  fi

  # Another process may take the chosen port before the server binds it: retry.
  local attempt ready
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    : >"$log"
    [[ ${#as_server[@]} -eq 0 ]] || chown "$server_user" "$log"
    if run_pg "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 30 \
        -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null; then
      # Bounded wait until it accepts TCP connections (30 x up to 1 s).
      ready=0
      for _ in $(seq 1 30); do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; then
          ready=1
          break
        fi
        sleep 0.1
      done
      [[ $ready -eq 1 ]] && break
      run_pg "$PG_BIN/pg_ctl" -D "$data" stop -m immediate >/dev/null 2>&1 || true
    fi
    if ! grep -q "could not bind\|Address already in use" "$log" 2>/dev/null || [[ $attempt -eq 5 ]]; then
      echo "pg-test-env: the server did not start; the end of $log:" >&2
      tail -n 20 "$log" >&2 || true
      exit 1
    fi
  done
  echo "$port" >"$dir/port"

  if [[ -z $("$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U entente -d postgres -Atqc \
        "SELECT 1 FROM pg_database WHERE datname = 'entente_test'") ]]; then
    "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U entente -d postgres -qc "CREATE DATABASE entente_test" >/dev/null
  fi
  echo "ENTENTE_TEST_PG_URL=$(url_for "$port")"
}

stop() {
  if [[ -f "$data/postmaster.pid" ]]; then
    run_pg "$PG_BIN/pg_ctl" -D "$data" stop -m fast -w >/dev/null
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status)
    port=$(running_port) || { echo "pg-test-env: not running in $dir" >&2; exit 1; }
    echo "ENTENTE_TEST_PG_URL=$(url_for "$port")"
    ;;
  run)
    [[ ${1:-} == "--" ]] && shift
    [[ $# -ge 1 ]] || usage
    line=$(start)
    export "${line?}"
    trap stop EXIT
    set +e
    "$@"
    status=$?
    set -e
    exit "$status"
    ;;
  *) usage ;;
esac
