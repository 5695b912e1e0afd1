#!/usr/bin/env bash
# The API contract, checked by Schemathesis: starts the simulator, syncs it, starts
# `jira-index serve` with an API key, and runs Schemathesis (pinned) against
# schemas/serve-openapi.json twice, with credentials and without them, with positive
# and negative data and a fixed seed. Without credentials, no operation the document
# does not mark public may answer 2xx (scripts/schemathesis_hooks.py). Exit status 0
# only when both runs find no failure. Usage: scripts/api-contract.sh [jira-index binary]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${1:-$ROOT/target/debug/jira-index}
ST_VERSION=4.32.5
VENV=${ST_VENV:-$ROOT/target/schemathesis-venv}
SEED=${ST_SEED:-20261205}
EXAMPLES=${ST_MAX_EXAMPLES:-40}
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance

if [ ! -x "$VENV/bin/schemathesis" ] || ! "$VENV/bin/schemathesis" --version | grep -q "$ST_VERSION"; then
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    S=; [ "$(id -u)" = 0 ] || S="sudo -n"
    $S apt-get install -y -qq python3-venv >/dev/null 2>&1 \
      || { $S apt-get update -qq && $S apt-get install -y -qq python3-venv; }
    rm -rf "$VENV"; python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q "schemathesis==$ST_VERSION"
fi
[ -x "$BIN" ] || cargo build -q --bin jira-index
BIN=$(readlink -f "$BIN")

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
  python3 - "$1" <<'PY'
import sys, time, urllib.request
for _ in range(600):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1).close()
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit(f"== {sys.argv[1]} did not come up")
PY
}

SIM_PORT=$(free_port)
"$BIN" sim --preset skeleton --seed 7 --port "$SIM_PORT" >"$WORK/sim.log" 2>&1 &
PIDS+=($!)
python3 - "$SIM_PORT" <<'PY'
import socket, sys, time
for _ in range(300):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit("== the simulator did not come up")
PY

SERVE_PORT=$(free_port)
KEY="contract-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
cat >"$WORK/jira-index.toml" <<TOML
[jira]
base_url = "http://127.0.0.1:$SIM_PORT"
email = "admin@example.com"
api_token = "sim-api-token"

[data]
dir = "data"

[embedding]
enabled = false

[serve]
listen = "127.0.0.1:$SERVE_PORT"
sync_interval_minutes = 0

[[serve.api_keys]]
name = "contract"
sha256 = "$HASH"
email = "alice@example.com"
scopes = ["search", "impersonate", "admin", "metrics"]
TOML
"$BIN" --config "$WORK/jira-index.toml" sync --progress off >"$WORK/sync.log" 2>&1
"$BIN" --config "$WORK/jira-index.toml" serve >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SERVE_PORT/healthz"

run_st() {
  local name=$1; shift
  echo "== schemathesis $ST_VERSION, $name"
  SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$ROOT/scripts" \
    "$VENV/bin/schemathesis" run schemas/serve-openapi.json \
    --url "http://127.0.0.1:$SERVE_PORT" --mode all --seed "$SEED" \
    --max-examples "$EXAMPLES" --workers 1 --no-color \
    --suppress-health-check all \
    --report junit --report-junit-path "$ROOT/target/schemathesis-$name.xml" "$@"
}
status=0
run_st with-credentials --checks "$CHECKS" -H "Authorization: Bearer $KEY" || status=1
run_st without-credentials --checks "$CHECKS,no_success_without_credentials" || status=1
if [ $status -ne 0 ]; then
  echo "== serve log (tail)"; tail -40 "$WORK/serve.log"
fi
exit $status
