#!/usr/bin/env bash
# Redis for the session-store tests (Debian redis-server; installed with
# apt-get when missing). Loopback only, no persistence, no password.
#
#   scripts/redis.sh start    start on 127.0.0.1:$REDIS_PORT, wait for PONG, print host:port
#   scripts/redis.sh stop     stop by pid file
#   scripts/redis.sh status   running or not (exit 3 when stopped)
#   scripts/redis.sh env      print `export` lines (eval "$(scripts/redis.sh env)")
#
# Environment: REDIS_PORT (6391); data, pid and log under .run/redis-$REDIS_PORT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

port=${REDIS_PORT:-6391}
dir=$root/.run/redis-$port
pidfile=$dir/redis.pid
log=$dir/redis.log

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

install() {
  command -v redis-server >/dev/null && return 0
  echo "redis.sh: installing redis-server (Debian)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
}

print_env() { echo "export REDIS_ADDR=127.0.0.1:$port"; }

start() {
  if running; then
    echo "redis.sh: already running (pid $(cat "$pidfile"))" >&2
    echo "127.0.0.1:$port"; return 0
  fi
  install
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes --save '' --appendonly no \
    --daemonize yes --pidfile "$pidfile" --dir "$dir" --logfile "$log"
  local i
  for i in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      echo "redis.sh: Redis ready on 127.0.0.1:$port (pid $(cat "$pidfile"))" >&2
      echo "127.0.0.1:$port"; return 0
    fi
    sleep 0.05
  done
  echo "redis.sh: Redis did not answer; last log lines:" >&2
  tail -20 "$log" >&2 || true
  stop || true
  exit 1
}

stop() {
  if running; then
    local pid; pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    echo "redis.sh: stopped" >&2
  else
    rm -f "$pidfile"
    echo "redis.sh: not running" >&2
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running (pid $(cat "$pidfile")) 127.0.0.1:$port"; else echo "stopped"; exit 3; fi ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
