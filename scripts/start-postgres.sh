#!/usr/bin/env bash
# Start / stop a local PostgreSQL server on loopback (127.0.0.1 only), for tests and
# local use of the state store's PostgreSQL backend ([state] url).
#
#   start-postgres.sh start  [-d DIR] [-p PORT]   # quiet; exits 0 once the server accepts connections
#   start-postgres.sh stop   [-d DIR]             # fast shutdown; exits 0 when nothing runs
#   start-postgres.sh status [-d DIR]             # prints "up URL" (exit 0) or "down" (exit 3)
#
# Defaults: DIR=/tmp/postgres-local, PORT=5432 (or the port saved in DIR/port by the last start).
# Layout: cluster DIR/data, log DIR/postgres.log, Unix socket in DIR, URL in DIR/url:
#   postgres://postgres@127.0.0.1:PORT/postgres
# Authentication is trust, on the Unix socket and 127.0.0.1 only: for tests, never for production.
# Binaries: $PG_BIN, else initdb/pg_ctl on PATH, else the newest /usr/lib/postgresql/<ver>/bin;
# when none is found, Debian's `postgresql` package is installed (apt-get, `sudo -n` when not root).
# Run as root, the server runs as $PG_RUN_AS (default `postgres`, else `nobody`) and DIR is
# chowned to that user: PostgreSQL refuses to run as root.
set -euo pipefail

CMD="${1:-start}"; [ $# -gt 0 ] && shift
usage() { sed -n '2,17p' "$0"; }
case "$CMD" in -h|--help|help) usage; exit 0 ;; esac
DIR=/tmp/postgres-local; PORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    -d) [ $# -ge 2 ] || { echo "-d needs a directory" >&2; exit 2; }; DIR="$2"; shift 2 ;;
    -p) [ $# -ge 2 ] || { echo "-p needs a port" >&2; exit 2; }; PORT="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -n "$PORT" ] && ! [[ "$PORT" =~ ^[0-9]+$ && "$PORT" -ge 1 && "$PORT" -le 65535 ]]; then
  echo "bad port: $PORT" >&2; exit 2
fi

# The directory holding initdb, pg_ctl and postgres; empty when none is installed.
find_bin() {
  if [ -n "${PG_BIN:-}" ]; then [ -x "$PG_BIN/initdb" ] && echo "$PG_BIN"; return 0; fi
  local d
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    d="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
    [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  done
  return 0
}

install_postgres() {
  local s=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "PostgreSQL is not installed and there is no sudo: install the postgresql package" >&2; return 1; }
    s="sudo -n"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The package's own cluster is not needed: keep apt from starting it where possible.
  { $s apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 \
      || { $s apt-get update -qq >/dev/null 2>&1 && $s apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }; } \
    || { echo "could not install the postgresql package (apt-get install -y postgresql)" >&2; return 1; }
}

bin_dir() {
  local b; b="$(find_bin)"
  if [ -z "$b" ]; then install_postgres >&2; b="$(find_bin)"; fi
  [ -n "$b" ] || { echo "PostgreSQL binaries not found (initdb, pg_ctl, postgres); set PG_BIN" >&2; return 1; }
  echo "$b"
}

# Root runs the server's commands as an unprivileged user.
RUN_AS=""
if [ "$(id -u)" = 0 ]; then
  RUN_AS="${PG_RUN_AS:-}"
  if [ -z "$RUN_AS" ]; then
    if id postgres >/dev/null 2>&1; then RUN_AS=postgres; else RUN_AS=nobody; fi
  fi
fi
as_server() {
  if [ -z "$RUN_AS" ]; then "$@"
  elif command -v runuser >/dev/null 2>&1; then runuser -u "$RUN_AS" -- "$@"
  else su -s /bin/sh "$RUN_AS" -c "$(printf '%q ' "$@")"
  fi
}

# Whether the server of DIR/data runs (its postmaster.pid names a live process).
running() {
  [ -f "$DIR/data/postmaster.pid" ] || return 1
  local pid; pid="$(head -1 "$DIR/data/postmaster.pid" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

url() { echo "postgres://postgres@127.0.0.1:$1/postgres"; }

# Waits until the server accepts connections on its TCP port.
wait_ready() {
  local bin="$1" port="$2" deadline=$((SECONDS + 60))
  until as_server "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres >/dev/null 2>&1; do
    if ! running; then
      echo "postgres exited; last log lines ($DIR/postgres.log):" >&2; tail -20 "$DIR/postgres.log" >&2 || true; return 1
    fi
    [ $SECONDS -ge $deadline ] && { echo "postgres not ready after 60s (see $DIR/postgres.log)" >&2; return 1; }
    sleep 0.1
  done
}

do_start() {
  local bin; bin="$(bin_dir)"
  mkdir -p "$DIR"; DIR="$(cd "$DIR" && pwd)"
  if [ -z "$PORT" ]; then PORT="$(cat "$DIR/port" 2>/dev/null || echo 5432)"; fi
  # The Unix socket path must fit in sockaddr_un (107 bytes).
  [ ${#DIR} -le 90 ] || { echo "directory path too long for the server's socket: $DIR" >&2; return 1; }
  case "$DIR" in *[[:space:]\'\"]*) echo "the directory path may not hold spaces or quotes: $DIR" >&2; return 1 ;; esac
  if [ -n "$RUN_AS" ]; then
    chown "$RUN_AS" "$DIR"
    [ -d "$DIR/data" ] && chown -R "$RUN_AS" "$DIR/data"
  fi
  chmod 700 "$DIR"
  if running; then
    local was; was="$(cat "$DIR/port" 2>/dev/null || true)"
    if [ "$was" != "$PORT" ]; then
      echo "a server already runs in $DIR on port $was (stop it first)" >&2; return 1
    fi
    wait_ready "$bin" "$PORT"; url "$PORT" > "$DIR/url"; return 0
  fi
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    rm -rf "$DIR/data"   # a half-made cluster from an interrupted initdb
    as_server "$bin/initdb" -D "$DIR/data" -U postgres -E UTF8 --locale=C --no-sync \
        --auth-local=trust --auth-host=trust >"$DIR/initdb.log" 2>&1 \
      || { echo "initdb failed ($DIR/initdb.log):" >&2; tail -20 "$DIR/initdb.log" >&2; return 1; }
    # Trust on the socket and loopback only; everything else is refused.
    printf '%s\n' \
      'local all         all               trust' \
      'host  all         all 127.0.0.1/32  trust' \
      'local replication all               trust' \
      'host  replication all 127.0.0.1/32  trust' | as_server tee "$DIR/data/pg_hba.conf" >/dev/null
  fi
  echo "$PORT" > "$DIR/port"
  rm -f "$DIR/url"
  touch "$DIR/postgres.log"
  if [ -n "$RUN_AS" ]; then chown "$RUN_AS" "$DIR/port" "$DIR/postgres.log"; fi
  as_server "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t 60 -s \
      -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
      start >/dev/null 2>&1 \
    || { echo "pg_ctl start failed; last log lines ($DIR/postgres.log):" >&2; tail -20 "$DIR/postgres.log" >&2 || true; return 1; }
  wait_ready "$bin" "$PORT"
  url "$PORT" > "$DIR/url"
}

do_stop() {
  [ -d "$DIR/data" ] || return 0
  rm -f "$DIR/url"
  running || return 0
  local bin; bin="$(find_bin)"
  if [ -n "$bin" ] && as_server "$bin/pg_ctl" -D "$DIR/data" -m fast -w -t 30 -s stop >/dev/null 2>&1; then
    return 0
  fi
  # pg_ctl is gone or the server does not stop: end the postmaster itself.
  local pid; pid="$(head -1 "$DIR/data/postmaster.pid" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]]; then
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

case "$CMD" in
  start) do_start ;;
  stop) do_stop ;;
  status)
    port="$(cat "$DIR/port" 2>/dev/null || echo "${PORT:-5432}")"
    if running; then echo "up $(url "$port")"; else echo "down"; exit 3; fi ;;
  *) echo "unknown command: $CMD (start|stop|status)" >&2; exit 2 ;;
esac
