#!/usr/bin/env bash
# Dex (OIDC provider) for the OIDC end-to-end test (test/oidc).
#
# Builds Dex v2.45.1 from the Go module proxy at its canonical pseudo-version
# (the proxy serves nothing else; see shared reference infra-recipes §1a) in a
# separate tools module under .run/dex/, so Dex's dependencies never touch the
# proxy's go.mod. The binary is cached at .run/dex/bin/dex.
#
# Usage:
#   scripts/dex.sh start    build if needed, render .run/dex/dex.yaml from
#                           test/oidc/dex.yaml.tmpl, start on 127.0.0.1, wait for
#                           discovery, print the issuer and `export` lines
#   scripts/dex.sh stop     stop by pid file
#   scripts/dex.sh status   running or not
#   scripts/dex.sh build    build only
#   scripts/dex.sh env      print the export lines (eval "$(scripts/dex.sh env)")
#
# Environment: DEX_PORT (5556), DEX_TELEMETRY_PORT (5558),
#              DEX_CLIENT_ID (portcullis), DEX_CLIENT_SECRET (portcullis-secret),
#              DEX_ID_TOKENS_EXPIRY (1h; ID and access token lifetime).
# A Dex on another port than 5556 keeps its own pid, log and config files
# (.run/dex/dex-<port>.*), so several can run side by side. The client
# portcullis-web (secret portcullis-web-secret) is the browser login's
# (test/browser).
# Static users (password "password"): alice@example.com in groups
# logs-readers, team-a; admin@example.com in group admins.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

DEX_MODULE=github.com/dexidp/dex
DEX_PSEUDO=v0.0.0-20260303133905-11d2eeb52b42   # Dex v2.45.1 (commit 11d2eeb52b42)
port=${DEX_PORT:-5556}
tport=${DEX_TELEMETRY_PORT:-5558}
client_id=${DEX_CLIENT_ID:-portcullis}
client_secret=${DEX_CLIENT_SECRET:-portcullis-secret}
issuer="http://127.0.0.1:${port}/dex"
dir=$root/.run/dex
bin=$dir/bin/dex
id_tokens_expiry=${DEX_ID_TOKENS_EXPIRY:-1h}
suffix=; [ "$port" = 5556 ] || suffix=-$port
pidfile=$dir/dex$suffix.pid
log=$dir/dex$suffix.log
conf=$dir/dex$suffix.yaml

build() {
  if [ -x "$bin" ] && [ -f "$dir/bin/version" ] && [ "$(cat "$dir/bin/version")" = "$DEX_PSEUDO" ]; then
    return 0
  fi
  command -v go >/dev/null || { echo "dex.sh: go not found" >&2; exit 1; }
  local t0=$SECONDS mod=$dir/tools
  mkdir -p "$mod" "$dir/bin"
  if [ ! -f "$mod/go.mod" ]; then
    (cd "$mod" && go mod init portcullis.local/tools/dex >/dev/null 2>&1)
  fi
  echo "dex.sh: building Dex ($DEX_MODULE/cmd/dex@$DEX_PSEUDO; ~2 min cold)..." >&2
  (cd "$mod" && GOFLAGS=-mod=mod go get -tool "$DEX_MODULE/cmd/dex@$DEX_PSEUDO" \
     && GOFLAGS=-mod=mod go build -o "$bin" "$DEX_MODULE/cmd/dex")
  echo "$DEX_PSEUDO" >"$dir/bin/version"
  echo "dex.sh: built $bin in $((SECONDS - t0)) s" >&2
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

print_env() {
  echo "export DEX_ISSUER=$issuer"
  echo "export DEX_CLIENT_ID=$client_id"
  echo "export DEX_CLIENT_SECRET=$client_secret"
  echo "export DEX_USERNAME=alice@example.com DEX_PASSWORD=password"
}

start() {
  if running; then
    echo "dex.sh: already running (pid $(cat "$pidfile"))" >&2
    echo "$issuer"; print_env; return 0
  fi
  build
  sed -e "s#@ISSUER@#$issuer#" -e "s#@HTTP@#127.0.0.1:$port#" -e "s#@TELEMETRY@#127.0.0.1:$tport#" \
      -e "s#@CLIENT_ID@#$client_id#" -e "s#@CLIENT_SECRET@#$client_secret#" -e "s#@ID_TOKENS_EXPIRY@#$id_tokens_expiry#" \
      test/oidc/dex.yaml.tmpl >"$conf"
  "$bin" serve "$conf" >"$log" 2>&1 &
  echo $! >"$pidfile"
  local i
  for i in $(seq 1 200); do
    if curl -sf "$issuer/.well-known/openid-configuration" >/dev/null 2>&1; then
      echo "dex.sh: Dex ready (pid $(cat "$pidfile"), log $log)" >&2
      echo "$issuer"; print_env; return 0
    fi
    if ! running; then break; fi
    sleep 0.1
  done
  echo "dex.sh: Dex did not become ready; last log lines:" >&2
  tail -20 "$log" >&2 || true
  stop || true
  exit 1
}

stop() {
  if [ -f "$pidfile" ]; then
    local pid; pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    echo "dex.sh: stopped" >&2
  else
    echo "dex.sh: not running" >&2
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running (pid $(cat "$pidfile")) $issuer"; else echo "stopped"; exit 3; fi ;;
  build) build ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|status|build|env" >&2; exit 2 ;;
esac
