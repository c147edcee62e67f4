#!/usr/bin/env bash
# bench/auditcost.sh — where the audit trail's cost per request goes.
#
# Runs the fast upstream (bench/esupstream) and, one after the other, each
# MODE behind the same closed loop (wrk -t1 -c$CONNS), and prints per mode:
# requests/s, the proxy's CPU per request (utime+stime from /proc), its
# threads' voluntary context switches per request, and for audited modes
# the records per fsync, the fsyncs and their mean duration
# (portcullis_audit_group_size, portcullis_audit_fsync_seconds).
#
#   bare      bench/bareproxy (httputil.ReverseProxy), for scale
#   noaudit   Portcullis with access_granted excluded (no record per request)
#   disk      Portcullis audited to a file next to this script's temp dir (the real cost)
#   shm       Portcullis audited to /dev/shm (tmpfs: the same pipeline, fsync nearly free)
#   prealloc  as disk, with audit.preallocate_bytes (fdatasync without a size change)
#
# disk − shm is what durability costs (the fsync and the scheduling around
# waiting for it); shm − noaudit is the pipeline (event, encoding, chain
# hash, hand-offs to the writer). Usage:
#   bench/auditcost.sh [MODE...]          (default: bare noaudit disk shm prealloc)
#   CONNS=64 DUR=10 bench/auditcost.sh disk noaudit
#   PROFILE=1 bench/auditcost.sh prealloc   (CPU profile of each measured run:
#     bench/out/auditcost-MODE.pprof; go tool pprof -top bench/out/auditcost-bin/proxy FILE)
# Ports: BASE_PORT (default 9461) to BASE_PORT+2; loopback only. Needs wrk.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CONNS=${CONNS:-16}
PROFILE=${PROFILE:-0}
DUR=${DUR:-10}
BASE_PORT=${BASE_PORT:-9461}
UP=$BASE_PORT PX=$((BASE_PORT + 1)) MX=$((BASE_PORT + 2))
MODES=("$@")
[[ ${#MODES[@]} -gt 0 ]] || MODES=(bare noaudit disk shm prealloc)
command -v wrk >/dev/null || { echo "auditcost: wrk is missing (apt-get install wrk)" >&2; exit 1; }

TMPD=$(mktemp -d)
SHM=$(mktemp -d -p /dev/shm auditcost.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMPD" "$SHM"
}
trap cleanup EXIT

(cd "$ROOT" && go build -o "$TMPD/proxy" ./cmd/proxy && go build -o "$TMPD/esupstream" ./bench/esupstream &&
  go build -o "$TMPD/bareproxy" ./bench/bareproxy)
PASSWORD=bench-Pa55-word
hash=$(printf '%s' "$PASSWORD" | "$TMPD/proxy" users hash | grep -Eo '\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}' | tail -n1)
printf 'bench:%s\n' "$hash" >"$TMPD/users"
printf 'superuser:bench\n' >"$TMPD/users_roles"
printf '{}\n' >"$TMPD/roles.yml"
AUTH="Authorization: Basic $(printf 'bench:%s' "$PASSWORD" | base64 -w0)"

"$TMPD/esupstream" -listen "127.0.0.1:$UP" >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
voluntary_switches() { cat "/proc/$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ {s += $2} END {print s + 0}'; }

echo "wrk -t1 -c$CONNS -d${DUR}s, $(nproc) CPUs, $(date -u +%FT%TZ)"
for mode in "${MODES[@]}"; do
  file=$TMPD/audit-$mode.log exclude="" extra=""
  case $mode in
    bare | disk) ;;
    noaudit) exclude=access_granted ;;
    shm) file=$SHM/audit.log ;;
    prealloc) extra="  preallocate_bytes: 67108864" ;;
    *) echo "auditcost: unknown mode $mode" >&2; exit 2 ;;
  esac
  if [[ $mode == bare ]]; then
    "$TMPD/bareproxy" -listen "127.0.0.1:$PX" -upstream "http://127.0.0.1:$UP" -conns 64 >/dev/null 2>&1 &
  else
    cat >"$TMPD/$mode.yaml" <<YAML
listen: "127.0.0.1:$PX"
insecure_http: true
upstream:
  nodes: ["http://127.0.0.1:$UP"]
  max_idle_conns_per_host: 64
security:
  users: $TMPD/users
  users_roles: $TMPD/users_roles
  roles: $TMPD/roles.yml
audit:
  file: $file
  exclude: [$exclude]
$extra
metrics:
  listen: "127.0.0.1:$MX"
  pprof: $([[ $PROFILE == 1 ]] && echo true || echo false)
YAML
    "$TMPD/proxy" serve --config "$TMPD/$mode.yaml" >"$TMPD/$mode.log" 2>&1 &
  fi
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 50); do curl -s -o /dev/null -H "$AUTH" "http://127.0.0.1:$PX/" && break; sleep 0.1; done
  wrk -t1 -c"$CONNS" -d2s -H "$AUTH" "http://127.0.0.1:$PX/" >/dev/null
  c0=$(cpu_ticks "$pid") x0=$(voluntary_switches "$pid") g0=""
  [[ $mode == bare ]] || g0=$(curl -s "127.0.0.1:$MX/metrics" | awk '/^portcullis_audit_(group_size|fsync_seconds)_(sum|count)/ {printf "%s ", $2}')
  prof=""
  if [[ $PROFILE == 1 && $mode != bare ]]; then
    mkdir -p "$HERE/out/auditcost-bin" && cp "$TMPD/proxy" "$HERE/out/auditcost-bin/proxy"
    curl -s -o "$HERE/out/auditcost-$mode.pprof" "127.0.0.1:$MX/debug/pprof/profile?seconds=$((DUR - 2))" &
    prof=$!
  fi
  out=$(wrk -t1 -c"$CONNS" -d"${DUR}s" -H "$AUTH" "http://127.0.0.1:$PX/")
  [[ -z $prof ]] || wait "$prof"
  c1=$(cpu_ticks "$pid") x1=$(voluntary_switches "$pid") g1=""
  [[ $mode == bare ]] || g1=$(curl -s "127.0.0.1:$MX/metrics" | awk '/^portcullis_audit_(group_size|fsync_seconds)_(sum|count)/ {printf "%s ", $2}')
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  awk -v m="$mode" -v r="$rps" -v n="$n" -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v x=$((x1 - x0)) -v g0="$g0" -v g1="$g1" 'BEGIN {
    split(g0, a, " "); split(g1, b, " "); group = ""
    # a, b: fsync_seconds sum, count, group_size sum, count (in the order of the exposition)
    if (b[4] - a[4] > 0) group = sprintf("  %.1f records/fsync, %d fsyncs of %.0f us", (b[3] - a[3]) / (b[4] - a[4]), b[4] - a[4], (b[1] - a[1]) / (b[2] - a[2]) * 1e6)
    printf "%-9s %8.0f req/s  cpu %6.1f us/req  %.2f voluntary switches/req%s\n", m, r, c / hz * 1e6 / n, x / n, group }'
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
