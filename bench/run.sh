#!/usr/bin/env bash
# bench/run.sh — throughput/latency/CPU/RSS of Portcullis against baselines.
#
# One run, same machine, same upstream, same concurrency:
#   direct           wrk -> upstream
#   bare-go-proxy    wrk -> bench/bareproxy (httputil.ReverseProxy) -> upstream
#   nginx            wrk -> private nginx instance (upstream keepalive) -> upstream
#   portcullis-http  wrk -> bin/proxy (plain HTTP, Basic auth, warm cache) -> upstream
#   portcullis-tls   wrk -> bin/proxy (TLS 1.2+, Basic auth, warm cache) -> upstream
#   portcullis-noaudit  as portcullis-http, but access_granted not audited (no fsync per forwarded request)
#   portcullis-prealloc as portcullis-http, with audit.preallocate_bytes (64 MiB): fdatasync of
#                       overwritten zeros instead of appends (fast set only; not in the default rows)
# for two upstreams: the fast static bench/esupstream, and a real OpenSearch
# started with scripts/opensearch.sh (skipped when unavailable).
#
# Then every target is driven at one constant (open-loop) rate with
# bench/rateload to get the latency a proxy adds at half load.
#
# All traffic stays on 127.0.0.1; every load run is bounded in time; every
# process this script starts is killed on exit. See bench/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

# ---- knobs (env) -----------------------------------------------------------
DURATION=${DURATION:-10s}         # wrk -d per measured row
WARMUP=${WARMUP:-2s}              # wrk -d warm-up per row (not counted)
CONNS=${CONNS:-16}                # wrk -c, also bareproxy -conns, nginx keepalive
THREADS=${THREADS:-1}             # wrk -t
ROUNDS=${ROUNDS:-1}               # rounds over all rows (interleaved); median is reported
RATE=${RATE:-}                    # constant rate for the latency phase; default: half the lowest peak of the set
RATE_DURATION=${RATE_DURATION:-10s}
RATE_PHASE=${RATE_PHASE:-1}       # 0 skips the constant-rate phase
PIN=${PIN:-0}                     # 1: load generators on CPU 0, servers on CPU 1
OPENSEARCH=${OPENSEARCH:-1}       # 0 skips the OpenSearch rows
OS_URL=${OS_URL:-http://127.0.0.1:9201}
OS_PATH=${OS_PATH:-/}             # e.g. /_cluster/health
OS_KEEP=${OS_KEEP:-0}             # 1: leave an OpenSearch we started running
OS_WARMUP=${OS_WARMUP:-20s}       # extra JIT warm-up load on OpenSearch before its rows
OS_START_TIMEOUT=${OS_START_TIMEOUT:-600} # bound on `scripts/opensearch.sh start` (may build its launcher)
PORTCULLIS=${PORTCULLIS:-1}       # 0 skips the Portcullis rows
TARGETS=${TARGETS:-}              # rows to measure, e.g. "portcullis-http portcullis-noaudit" (default: all)
NGINX_WORKERS=${NGINX_WORKERS:-auto}
BENCH_USER=bench
BENCH_PASSWORD=${BENCH_PASSWORD:-bench-Pa55-word}
PORT_BASE=${PORT_BASE:-18200}
READY_TIMEOUT=${READY_TIMEOUT:-30} # seconds to wait for a server to answer

STAMP=$(date +%Y%m%d-%H%M%S)
OUT="$HERE/out/$STAMP"
RAW="$OUT/raw"
LOGS="$OUT/logs"
mkdir -p "$RAW" "$LOGS" "$OUT/bin"
ln -sfn "$STAMP" "$HERE/out/latest"
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")

PIDS=()           # every process we started
OS_STARTED=0
os_port=9201
CLK_TCK=$(getconf CLK_TCK)

log()  { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[bench %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local rc=$?
  set +e
  local pid i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[i]}
    kill -TERM "$pid" 2>/dev/null
  done
  for _ in $(seq 1 50); do           # up to 5 s for a clean exit
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  if [[ $OS_STARTED == 1 && $OS_KEEP != 1 ]]; then
    log "stopping the OpenSearch this run started"
    (cd "$ROOT" && OPENSEARCH_PORT=$os_port timeout 90 bash scripts/opensearch.sh stop) >"$LOGS/opensearch-stop.log" 2>&1
  fi
  rm -rf "$TMPD"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

secs() { # 10s / 2m / 500ms / 10 -> whole seconds (rounded up)
  local d=$1
  case $d in
    *ms) echo $(( (${d%ms} + 999) / 1000 )) ;;
    *s)  echo "${d%s}" ;;
    *m)  echo $(( ${d%m} * 60 )) ;;
    *)   echo "$d" ;;
  esac
}
DUR_S=$(secs "$DURATION"); WARM_S=$(secs "$WARMUP"); RATE_S=$(secs "$RATE_DURATION")
[[ $DUR_S -ge 1 && $DUR_S -le 300 ]] || die "DURATION must be 1s..300s"
[[ $WARM_S -ge 0 && $WARM_S -le 300 ]] || die "WARMUP must be 0..300s"
[[ $RATE_S -ge 1 && $RATE_S -le 300 ]] || die "RATE_DURATION must be 1s..300s"

# ---- prerequisites ---------------------------------------------------------
ensure_packages() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v curl >/dev/null || missing+=(curl)
  [[ ${#missing[@]} == 0 ]] && return 0
  [[ $(id -u) == 0 ]] || die "missing packages (${missing[*]}) and not root; install them with apt-get"
  log "installing Debian packages: ${missing[*]}"
  apt-get update >"$LOGS/apt.log" 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >>"$LOGS/apt.log" 2>&1
}
ensure_packages
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
command -v go >/dev/null || die "go not found"

log "building bench tools"
(cd "$ROOT" && for t in esupstream bareproxy rateload; do
   go build -o "$OUT/bin/$t" "./bench/$t" || exit 1
 done) >"$LOGS/build-bench.log" 2>&1 || { cat "$LOGS/build-bench.log" >&2; die "building bench tools failed"; }

PORTCULLIS_SKIP=""
if [[ $PORTCULLIS != 1 ]]; then
  PORTCULLIS_SKIP="disabled (PORTCULLIS=0)"
elif [[ ! -d "$ROOT/cmd/proxy" ]] || ! compgen -G "$ROOT/cmd/proxy/*.go" >/dev/null; then
  PORTCULLIS_SKIP="./cmd/proxy has no Go files yet"
else
  log "building Portcullis: go build -o bin/proxy ./cmd/proxy"
  if ! (cd "$ROOT" && go build -o bin/proxy ./cmd/proxy) >"$LOGS/build-proxy.log" 2>&1; then
    PORTCULLIS_SKIP="./cmd/proxy does not build yet (see $LOGS/build-proxy.log)"
  fi
fi
[[ -n $PORTCULLIS_SKIP ]] && warn "skipping Portcullis rows: $PORTCULLIS_SKIP"
PROXY_BIN="$ROOT/bin/proxy"

# ---- helpers ---------------------------------------------------------------
NEXT_PORT=$PORT_BASE
FREE_PORT=""
free_port() { # sets FREE_PORT to a loopback TCP port nobody listens on (no subshell: NEXT_PORT must advance)
  local p=$NEXT_PORT
  for _ in $(seq 1 500); do
    if [[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; then
      NEXT_PORT=$((p + 1)); FREE_PORT=$p; return 0
    fi
    p=$((p + 1))
  done
  die "no free port near $NEXT_PORT"
}

SERVER_CPU=""; LOADGEN_CPU=""
if [[ $PIN == 1 ]]; then
  command -v taskset >/dev/null || die "PIN=1 needs taskset (util-linux)"
  LOADGEN_CPU="taskset -c 0"; SERVER_CPU="taskset -c 1"
  [[ $NGINX_WORKERS == auto ]] && NGINX_WORKERS=1
fi

LAST_PID=""
start_bg() { # name cmd... ; sets LAST_PID
  local name=$1; shift
  # shellcheck disable=SC2086
  $SERVER_CPU "$@" >"$LOGS/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

wait_http() { # url pid [curl args...] -> 0 once the URL gives any HTTP answer
  local url=$1 pid=$2; shift 2
  local deadline=$((SECONDS + READY_TIMEOUT)) code
  while ((SECONDS < deadline)); do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    code=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "$@" "$url" 2>/dev/null || true)
    [[ $code != 000 && -n $code ]] && return 0
    sleep 0.2
  done
  return 1
}

http_code() { curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$@" 2>/dev/null || true; }

pid_tree() { # pid and its direct children (nginx master + workers)
  echo "$1"
  pgrep -P "$1" 2>/dev/null || true
}

cpu_ticks() { # sum of utime+stime over pids (field 14+15 of /proc/PID/stat)
  local t=0 pid s rest
  for pid in "$@"; do
    s=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    rest=${s##*) }                         # comm may contain spaces
    # rest starts at field 3 (state); utime = field 14 -> index 11 here
    read -r -a f <<<"$rest"
    t=$((t + f[11] + f[12]))
  done
  echo "$t"
}

rss_kb() { # sum of VmHWM (peak RSS) over pids
  local t=0 pid v
  for pid in "$@"; do
    v=$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
    t=$((t + ${v:-0}))
  done
  echo "$t"
}

to_us() { # wrk latency "611.00us" / "1.59ms" / "1.02s" / "1.50m" -> microseconds
  awk -v v="$1" 'BEGIN{
    n=v; sub(/[a-z]+$/,"",n); u=v; sub(/^[0-9.]+/,"",u);
    m=(u=="us")?1:(u=="ms")?1000:(u=="s")?1e6:(u=="m")?6e7:(u=="h")?3.6e9:1;
    printf "%.1f", n*m }'
}

median() { # numbers... (non-numeric ignored) -> median or "-"
  printf '%s\n' "$@" | awk '/^-?[0-9.]+$/' | sort -g |
    awk '{a[NR]=$1} END{ if(NR==0)print "-"; else if(NR%2)print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# CPU noise from other tenants of the machine during a run: machine-wide busy
# ticks (/proc/stat, incl. steal) minus the ticks of everything this run owns
# (its servers + the finished load generator, via the shell's `times`).
machine_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
OWN_EXTRA_PIDS=()  # e.g. an OpenSearch we did not start
OWN_TICKS=0
own_ticks() { # sets OWN_TICKS; must not run in a subshell, or `times` misses wrk
  local pid all=()
  for pid in "${PIDS[@]}" "${OWN_EXTRA_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    mapfile -t -O "${#all[@]}" all < <(pid_tree "$pid")
  done
  local t; t=$(cpu_ticks "${all[@]}")
  times >"$TMPD/times"   # builtin in this shell: 2nd line = its reaped children (wrk)
  OWN_TICKS=$(awk -v t="$t" -v hz="$CLK_TCK" 'NR==2{
      split($1,a,/[ms]/); split($2,b,/[ms]/);
      printf "%d", t + (a[1]*60+a[2] + b[1]*60+b[2])*hz }' "$TMPD/times")
}
now_ns() { date +%s%N; }

AUTH_HEADER="Authorization: Basic $(printf '%s:%s' "$BENCH_USER" "$BENCH_PASSWORD" | base64 -w0)"

# ---- results store ---------------------------------------------------------
declare -A R          # R[set|row|field] = "v1 v2 ..." (one value per round)
declare -A URL PIDSPEC SKIP
declare -a ORDER=()   # "set|row" in table order
add() { R[$1]="${R[$1]:-} $2"; }

# ---- targets ---------------------------------------------------------------
gen_cert() {
  [[ -f $TMPD/cert.pem ]] && return 0
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
    -keyout "$TMPD/key.pem" -out "$TMPD/cert.pem" >"$LOGS/openssl.log" 2>&1
}

bcrypt_hash() { # password on stdin -> hash on stdout
  local pw h=""
  pw=$(cat)
  if [[ -x $PROXY_BIN ]]; then
    h=$(printf '%s' "$pw" | timeout 20 "$PROXY_BIN" users hash 2>>"$LOGS/users-hash.log" | tr -d '\r' |
        grep -Eo '\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}' | tail -n1 || true)
  fi
  if [[ -z $h ]] && command -v htpasswd >/dev/null; then
    h=$(htpasswd -nbBC 10 x "$pw" | head -n1 | cut -d: -f2-)
  fi
  if [[ -z $h ]] && command -v python3 >/dev/null; then
    h=$(BPW="$pw" python3 -c 'import bcrypt,os;print(bcrypt.hashpw(os.environ["BPW"].encode(),bcrypt.gensalt(10)).decode())' 2>/dev/null || true)
  fi
  [[ -n $h ]] || return 1
  echo "$h"
}

start_nginx() { # set upstream_hostport -> registers row
  local set=$1 up=$2 d="$TMPD/nginx-$1" port user_line=""
  free_port; port=$FREE_PORT
  mkdir -p "$d"
  [[ $(id -u) == 0 ]] && user_line="user root root;"
  local ka=$(( CONNS > 32 ? CONNS : 32 ))
  cat >"$d/nginx.conf" <<EOF
$user_line
worker_processes $NGINX_WORKERS;
daemon off;
master_process on;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/client_body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  upstream es_upstream {
    server $up;
    keepalive $ka;
  }
  server {
    listen 127.0.0.1:$port;
    location / {
      proxy_pass http://es_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
  cp "$d/nginx.conf" "$OUT/nginx-$set.conf"
  if ! "$NGINX_BIN" -t -p "$d/" -e "$d/error.log" -c "$d/nginx.conf" >"$LOGS/nginx-$set-test.log" 2>&1; then
    SKIP["$set|nginx"]="nginx -t failed (see $LOGS/nginx-$set-test.log)"; return 0
  fi
  start_bg "nginx-$set" "$NGINX_BIN" -p "$d/" -e "$d/error.log" -c "$d/nginx.conf"
  local pid=$LAST_PID
  if ! wait_http "http://127.0.0.1:$port/" "$pid"; then
    SKIP["$set|nginx"]="nginx did not come up (see $d/error.log)"; return 0
  fi
  URL["$set|nginx"]="http://127.0.0.1:$port"
  PIDSPEC["$set|nginx"]="tree:$pid"
}

start_bare() {
  local set=$1 upurl=$2 port
  free_port; port=$FREE_PORT
  start_bg "bareproxy-$set" "$OUT/bin/bareproxy" -listen "127.0.0.1:$port" -upstream "$upurl" -conns "$CONNS"
  local pid=$LAST_PID
  if ! wait_http "http://127.0.0.1:$port/" "$pid"; then
    SKIP["$set|bare-go-proxy"]="bareproxy did not come up (see $LOGS/bareproxy-$set.log)"; return 0
  fi
  URL["$set|bare-go-proxy"]="http://127.0.0.1:$port"
  PIDSPEC["$set|bare-go-proxy"]="pid:$pid"
}

PORTCULLIS_FILES_DONE=0
portcullis_files() {
  [[ $PORTCULLIS_FILES_DONE == 1 ]] && return 0
  local h
  h=$(printf '%s' "$BENCH_PASSWORD" | bcrypt_hash) || { PORTCULLIS_SKIP="could not make a bcrypt hash"; return 1; }
  printf '%s:%s\n' "$BENCH_USER" "$h" >"$TMPD/users"
  printf 'superuser:%s\n' "$BENCH_USER" >"$TMPD/users_roles"
  printf '{}\n' >"$TMPD/roles.yml"
  gen_cert || { PORTCULLIS_SKIP="openssl could not make a certificate"; return 1; }
  PORTCULLIS_FILES_DONE=1
}

start_portcullis() { # set upstream_url mode(http|tls)
  local set=$1 upurl=$2 mode=$3 row="portcullis-$3" port mport cfg scheme
  if [[ -n $PORTCULLIS_SKIP ]]; then SKIP["$set|$row"]=$PORTCULLIS_SKIP; return 0; fi
  portcullis_files || { SKIP["$set|$row"]=$PORTCULLIS_SKIP; return 0; }
  free_port; port=$FREE_PORT; free_port; mport=$FREE_PORT
  cfg="$TMPD/portcullis-$set-$mode.yaml"
  local ka=$(( CONNS > 64 ? CONNS : 64 ))
  {
    echo "listen: \"127.0.0.1:$port\""
    if [[ $mode == http || $mode == noaudit || $mode == prealloc ]]; then
      echo "insecure_http: true"
    else
      echo "tls: {cert_file: \"$TMPD/cert.pem\", key_file: \"$TMPD/key.pem\", min_version: \"1.2\"}"
    fi
    cat <<EOF
upstream:
  nodes: ["$upurl"]
  max_idle_conns_per_host: $ka
security:
  users: $TMPD/users
  users_roles: $TMPD/users_roles
  roles: $TMPD/roles.yml
audit:
  file: $TMPD/audit-$set-$mode.log
  exclude: [$([[ $mode == noaudit ]] && echo access_granted)]
$([[ $mode == prealloc ]] && echo "  preallocate_bytes: 67108864")
metrics:
  listen: "127.0.0.1:$mport"
EOF
  } >"$cfg"
  cp "$cfg" "$OUT/portcullis-$set-$mode.yaml"
  start_bg "portcullis-$set-$mode" "$PROXY_BIN" serve --config "$cfg"
  local pid=$LAST_PID
  scheme=http; [[ $mode == tls ]] && scheme=https
  local deadline=$((SECONDS + READY_TIMEOUT)) ready=0
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || break
    [[ $(http_code "http://127.0.0.1:$mport/readyz") == 200 ]] && { ready=1; break; }
    local c; c=$(http_code -k "$scheme://127.0.0.1:$port/")
    [[ $c != 000 && -n $c ]] && { ready=1; break; }
    sleep 0.2
  done
  if [[ $ready != 1 ]]; then
    if kill -0 "$pid" 2>/dev/null; then
      SKIP["$set|$row"]="Portcullis ($mode) did not become ready in ${READY_TIMEOUT}s (see $LOGS/portcullis-$set-$mode.log)"
    else
      SKIP["$set|$row"]="Portcullis ($mode) exited at start: $(tail -n1 "$LOGS/portcullis-$set-$mode.log" | tr '|' '/' | cut -c1-160) (see $LOGS/portcullis-$set-$mode.log)"
    fi
    return 0
  fi
  local path=$FAST_PATH; [[ $set == opensearch ]] && path=$OS_PATH
  local code; code=$(http_code -k -H "$AUTH_HEADER" "$scheme://127.0.0.1:$port$path")
  if [[ $code != 200 ]]; then
    SKIP["$set|$row"]="Portcullis ($mode) answers HTTP $code with valid Basic auth, not 200 (see $LOGS/portcullis-$set-$mode.log)"
    return 0
  fi
  URL["$set|$row"]="$scheme://127.0.0.1:$port"
  PIDSPEC["$set|$row"]="pid:$pid"
}

pids_of() { # pidspec -> pids
  local spec=$1
  case $spec in
    pid:*)  echo "${spec#pid:}" ;;
    tree:*) pid_tree "${spec#tree:}" ;;
    *)      ;;
  esac
}

port_pid() { # pid listening on 127.0.0.1:PORT (for an OpenSearch we did not start)
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2
}

ROWS=(direct bare-go-proxy nginx portcullis-http portcullis-tls portcullis-noaudit)
[[ -z $TARGETS ]] || read -r -a ROWS <<<"$TARGETS"

# ---- measurement -----------------------------------------------------------
run_wrk_row() { # set row path round
  local set=$1 row=$2 path=$3 round=$4 key="$1|$2"
  local url="${URL[$key]}$path" f="$RAW/wrk-$set-$row-r$round.txt"
  local pids; mapfile -t pids < <(pids_of "${PIDSPEC[$key]:-}")
  log "wrk  $set/$row  round $round  $url"
  if [[ $WARM_S -gt 0 ]]; then
    # shellcheck disable=SC2086
    timeout $((WARM_S + 30)) $LOADGEN_CPU wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -H "$AUTH_HEADER" "$url" \
      >"$RAW/warmup-$set-$row-r$round.txt" 2>&1 || true
  fi
  local l t0 t1 m0 m1 o0 o1 n0 n1
  l=$(load1)
  t0=$(cpu_ticks "${pids[@]}"); m0=$(machine_busy); own_ticks; o0=$OWN_TICKS; n0=$(now_ns)
  # shellcheck disable=SC2086
  if ! timeout $((DUR_S + 30)) $LOADGEN_CPU wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
        -H "$AUTH_HEADER" "$url" >"$f" 2>&1; then
    warn "wrk failed for $set/$row (see $f)"
  fi
  t1=$(cpu_ticks "${pids[@]}"); m1=$(machine_busy); own_ticks; o1=$OWN_TICKS; n1=$(now_ns)
  local other
  other=$(awk -v m="$((m1 - m0))" -v o="$((o1 - o0))" -v ns="$((n1 - n0))" -v hz="$CLK_TCK" \
          'BEGIN{ v=(m-o)/hz/(ns/1e9); if (v<0) v=0; printf "%.2f", v }')
  local rps reqs p50 p99 nerr sock cpu rss
  rps=$(awk '/^Requests\/sec:/{print $2}' "$f"); rps=${rps:-0}
  reqs=$(awk '/ requests in /{print $1; exit}' "$f"); reqs=${reqs:-0}
  p50=$(awk '$1=="50%"{print $2}' "$f"); p99=$(awk '$1=="99%"{print $2}' "$f")
  nerr=$(awk '/Non-2xx or 3xx responses:/{print $NF}' "$f"); nerr=${nerr:-0}
  sock=$(awk -F'[ ,]+' '/Socket errors:/{print $4+$6+$8+$10}' "$f"); sock=${sock:-0}
  if [[ ${#pids[@]} -gt 0 && $reqs -gt 0 ]]; then
    cpu=$(awk -v a="$t0" -v b="$t1" -v n="$reqs" -v hz="$CLK_TCK" 'BEGIN{printf "%.1f", (b-a)*1e6/hz/n}')
    rss=$(awk -v k="$(rss_kb "${pids[@]}")" 'BEGIN{printf "%.1f", k/1024}')
  else
    cpu=-; rss=-
  fi
  add "$key|rps" "$rps"
  add "$key|p50" "$( [[ -n $p50 ]] && to_us "$p50" || echo -)"
  add "$key|p99" "$( [[ -n $p99 ]] && to_us "$p99" || echo -)"
  add "$key|cpu" "$cpu"
  add "$key|rss" "$rss"
  add "$key|err" "$((nerr + sock))"
  add "$key|load" "$l"
  add "$key|other" "$other"
  printf '%s/%s round %s: %s req/s, p50 %s, p99 %s, cpu %s us/req, rss %s MiB, errors %s, load1 %s, other-cpu %s cores (ticks: machine %s, ours %s, target %s; %s ms)\n' \
    "$set" "$row" "$round" "$rps" "${p50:--}" "${p99:--}" "$cpu" "$rss" "$((nerr + sock))" "$l" "$other" \
    "$((m1 - m0))" "$((o1 - o0))" "$((t1 - t0))" "$(((n1 - n0) / 1000000))" >>"$OUT/summary.log"
}

run_rate_row() { # set row path rate round
  local set=$1 row=$2 path=$3 rate=$4 round=$5 key="$1|$2"
  local url="${URL[$key]}$path" f="$RAW/rate-$set-$row-r$round.txt" ins=()
  [[ $url == https://* ]] && ins=(-insecure)
  log "rate $set/$row  round $round  $rate req/s  $url"
  local m0 m1 o0 o1 n0 n1
  m0=$(machine_busy); own_ticks; o0=$OWN_TICKS; n0=$(now_ns)
  # shellcheck disable=SC2086
  timeout $((RATE_S + 30)) $LOADGEN_CPU "$OUT/bin/rateload" -url "$url" -rate "$rate" -d "$RATE_DURATION" \
    -c "$CONNS" -H "$AUTH_HEADER" "${ins[@]}" >"$f" 2>&1 || warn "rateload failed for $set/$row (see $f)"
  m1=$(machine_busy); own_ticks; o1=$OWN_TICKS; n1=$(now_ns)
  # The same noise measure as the closed loop: a tail can come from
  # another tenant rather than from the target.
  add "$key|rother" "$(awk -v m="$((m1 - m0))" -v o="$((o1 - o0))" -v ns="$((n1 - n0))" -v hz="$CLK_TCK" \
    'BEGIN{ v=(m-o)/hz/(ns/1e9); if (v<0) v=0; printf "%.2f", v }')"
  local line; line=$(grep '^RESULT' "$f" || true)
  kv() { local v; v=$(sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"); echo "${v:-$2}"; }
  local p50 p99; p50=$(kv p50_us -); p99=$(kv p99_us -)
  [[ $p50 == -1.0 ]] && p50=-; [[ $p99 == -1.0 ]] && p99=-
  add "$key|rp50" "$p50"; add "$key|rp99" "$p99"
  add "$key|rbad" "$(( $(kv errors 0) + $(kv non2xx 0) + $(kv late 0) ))"
}

run_set() { # set upstream_url path
  local set=$1 upurl=$2 path=$3 row round
  local active=()
  for row in "${ROWS[@]}"; do
    ORDER+=("$set|$row")
    [[ -n ${URL["$set|$row"]:-} ]] && active+=("$row")
  done
  for ((round = 1; round <= ROUNDS; round++)); do
    for row in "${active[@]}"; do run_wrk_row "$set" "$row" "$path" "$round"; done
  done
  [[ $RATE_PHASE == 1 ]] || return 0
  local rate=$RATE
  if [[ -z $rate ]]; then
    local peaks=()
    for row in "${active[@]}"; do peaks+=("$(median ${R["$set|$row|rps"]})"); done
    rate=$(printf '%s\n' "${peaks[@]}" | awk '/^[0-9.]+$/ && $1>0' | sort -g | head -n1 |
           awk '{r=int($1/2/100)*100; if (r<100) r=100; print r}')
  fi
  [[ -n $rate ]] || { warn "no peak measured for $set; skipping constant-rate phase"; return 0; }
  RATE_USED[$set]=$rate
  for ((round = 1; round <= ROUNDS; round++)); do
    for row in "${active[@]}"; do run_rate_row "$set" "$row" "$path" "$rate" "$round"; done
  done
}
declare -A RATE_USED

stop_pids() { # kill these pids now (they stay in PIDS; killing twice is harmless)
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    local alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && return 0
    sleep 0.1
  done
  for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# ---- environment record ----------------------------------------------------
{
  echo "date:        $(date -Is)"
  echo "host:        $(nproc) CPUs, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
  echo "memory:      $(free -g | awk '/^Mem:/{print $2" GiB total, "$7" GiB available"}')"
  echo "kernel:      $(uname -r)"
  echo "go:          $(go version)"
  echo "wrk:         $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2)"
  echo "nginx:       $("$NGINX_BIN" -v 2>&1)"
  echo "commit:      $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo n/a)$(cd "$ROOT" && git diff --quiet 2>/dev/null || echo ' (dirty tree)')"
  echo "load:        THREADS=$THREADS CONNS=$CONNS DURATION=$DURATION WARMUP=$WARMUP ROUNDS=$ROUNDS PIN=$PIN RATE=${RATE:-auto} RATE_DURATION=$RATE_DURATION"
  echo "loadavg:     $(cat /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

# ---- set 1: fast static upstream -------------------------------------------
FAST_PATH=/
free_port; ES_PORT=$FREE_PORT
start_bg esupstream "$OUT/bin/esupstream" -listen "127.0.0.1:$ES_PORT"
ES_PID=$LAST_PID
wait_http "http://127.0.0.1:$ES_PORT/" "$ES_PID" || die "esupstream did not start (see $LOGS/esupstream.log)"
URL["fast|direct"]="http://127.0.0.1:$ES_PORT"; PIDSPEC["fast|direct"]="pid:$ES_PID"
start_bare fast "http://127.0.0.1:$ES_PORT"
start_nginx fast "127.0.0.1:$ES_PORT"
start_portcullis fast "http://127.0.0.1:$ES_PORT" http
start_portcullis fast "http://127.0.0.1:$ES_PORT" tls
start_portcullis fast "http://127.0.0.1:$ES_PORT" noaudit
[[ " ${ROWS[*]} " == *" portcullis-prealloc "* ]] && start_portcullis fast "http://127.0.0.1:$ES_PORT" prealloc
run_set fast "http://127.0.0.1:$ES_PORT" "$FAST_PATH"
FAST_PIDS=("${PIDS[@]}")
stop_pids "${FAST_PIDS[@]}"   # keep the fast stack out of the OpenSearch runs

# ---- set 2: real OpenSearch ------------------------------------------------
OS_SKIP=""
if [[ $OPENSEARCH != 1 ]]; then
  OS_SKIP="disabled (OPENSEARCH=0)"
elif [[ $(http_code "$OS_URL/") =~ ^[1-5] ]]; then
  log "using the OpenSearch already running at $OS_URL"
elif [[ ! -f $ROOT/scripts/opensearch.sh ]]; then
  OS_SKIP="scripts/opensearch.sh does not exist yet"
else
  log "starting OpenSearch: scripts/opensearch.sh start (up to ${OS_START_TIMEOUT}s)"
  os_port=${OS_URL##*:}; os_port=${os_port%%/*}
  if (cd "$ROOT" && OPENSEARCH_PORT=$os_port timeout "$OS_START_TIMEOUT" bash scripts/opensearch.sh start) \
       >"$LOGS/opensearch-start.log" 2>&1; then
    OS_STARTED=1
    u=$(grep -Eo 'https?://(127\.0\.0\.1|localhost):[0-9]+' "$LOGS/opensearch-start.log" | tail -n1 || true)
    [[ -n $u ]] && OS_URL=${u/localhost/127.0.0.1}
    READY_TIMEOUT=120 wait_http "$OS_URL/" "" || OS_SKIP="OpenSearch did not answer at $OS_URL"
  else
    OS_STARTED=1
    OS_SKIP="scripts/opensearch.sh start failed (see $LOGS/opensearch-start.log)"
  fi
fi
if [[ -z $OS_SKIP ]]; then
  [[ $OS_URL == http://127.0.0.1:* ]] || OS_SKIP="OpenSearch URL $OS_URL is not plain http on 127.0.0.1"
fi
if [[ -z $OS_SKIP ]]; then
  code=$(http_code -H "$AUTH_HEADER" "$OS_URL$OS_PATH")
  [[ $code == 200 ]] || OS_SKIP="OpenSearch answers HTTP $code on $OS_PATH"
fi
if [[ -n $OS_SKIP ]]; then
  warn "skipping OpenSearch rows: $OS_SKIP"
  for row in "${ROWS[@]}"; do ORDER+=("opensearch|$row"); SKIP["opensearch|$row"]=$OS_SKIP; done
else
  OS_HP=${OS_URL#http://}; OS_HP=${OS_HP%%/*}
  URL["opensearch|direct"]=$OS_URL
  ospid=$(port_pid "${OS_HP##*:}" || true)
  [[ -n $ospid ]] && { PIDSPEC["opensearch|direct"]="pid:$ospid"; OWN_EXTRA_PIDS+=("$ospid"); }
  start_bare opensearch "$OS_URL"
  start_nginx opensearch "$OS_HP"
  start_portcullis opensearch "$OS_URL" http
  start_portcullis opensearch "$OS_URL" tls
  start_portcullis opensearch "$OS_URL" noaudit
  log "warming up the OpenSearch JVM for $OS_WARMUP"
  # shellcheck disable=SC2086
  timeout $(( $(secs "$OS_WARMUP") + 30 )) $LOADGEN_CPU wrk -t"$THREADS" -c"$CONNS" -d"$OS_WARMUP" \
    -H "$AUTH_HEADER" "$OS_URL$OS_PATH" >"$RAW/warmup-opensearch-jvm.txt" 2>&1 || true
  run_set opensearch "$OS_URL" "$OS_PATH"
fi

# ---- report ----------------------------------------------------------------
fmt_ms() { awk -v v="$1" 'BEGIN{ if (v=="-"||v=="") print "-"; else printf "%.3f", v/1000 }'; }
report() {
  echo "## Portcullis benchmark — $(date -Is)"
  echo
  echo '```'
  cat "$OUT/env.txt"
  echo '```'
  echo
  echo "Closed loop: \`wrk -t$THREADS -c$CONNS -d$DURATION --latency\` after a $WARMUP warm-up; median of $ROUNDS round(s)."
  echo "CPU = target process utime+stime during the measured run / requests; RSS = VmHWM at the end (nginx: master + workers)."
  echo "other CPU = cores used by processes outside this run (plus hypervisor steal) during the measured run: the noise."
  echo
  echo "| upstream | target | req/s | vs bare Go | p50 ms | p99 ms | CPU µs/req | RSS MiB | errors | other CPU |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  local key set row rps bare ratio
  for key in "${ORDER[@]}"; do
    set=${key%%|*}; row=${key#*|}
    if [[ -n ${SKIP[$key]:-} || -z ${R["$key|rps"]:-} ]]; then
      echo "| $set | $row | skipped: ${SKIP[$key]:-not measured} | | | | | | | |"
      continue
    fi
    rps=$(median ${R["$key|rps"]})
    bare=$(median ${R["$set|bare-go-proxy|rps"]:-})
    ratio=$(awk -v a="$rps" -v b="$bare" 'BEGIN{ if (b=="-"||b==0) print "-"; else printf "%.2f", a/b }')
    printf '| %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n' "$set" "$row" "$rps" "$ratio" \
      "$(fmt_ms "$(median ${R["$key|p50"]})")" "$(fmt_ms "$(median ${R["$key|p99"]})")" \
      "$(median ${R["$key|cpu"]})" "$(median ${R["$key|rss"]})" \
      "$(printf '%s\n' ${R["$key|err"]} | awk '{s+=$1} END{print s+0}')" "$(median ${R["$key|other"]})"
  done
  if [[ $RATE_PHASE == 1 ]]; then
    echo
    echo "Open loop (bench/rateload, latency from the intended send time): every target of a set at the same constant rate for $RATE_DURATION;"
    echo "added = target − direct at that rate."
    echo
    echo "| upstream | target | rate req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | errors+late | other CPU (max) |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    local p50 p99 d50 d99
    for key in "${ORDER[@]}"; do
      set=${key%%|*}; row=${key#*|}
      [[ -n ${R["$key|rp99"]:-} ]] || continue
      p50=$(median ${R["$key|rp50"]}); p99=$(median ${R["$key|rp99"]})
      d50=$(median ${R["$set|direct|rp50"]:-}); d99=$(median ${R["$set|direct|rp99"]:-})
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s (%s) |\n' "$set" "$row" "${RATE_USED[$set]}" \
        "$(fmt_ms "$p50")" "$(fmt_ms "$p99")" \
        "$(awk -v a="$p50" -v b="$d50" 'BEGIN{ if (a=="-"||b=="-") print "-"; else printf "%+.3f", (a-b)/1000 }')" \
        "$(awk -v a="$p99" -v b="$d99" 'BEGIN{ if (a=="-"||b=="-") print "-"; else printf "%+.3f", (a-b)/1000 }')" \
        "$(printf '%s\n' ${R["$key|rbad"]} | awk '{s+=$1} END{print s+0}')" \
        "$(median ${R["$key|rother"]:-})" "$(printf '%s\n' ${R["$key|rother"]:-} | awk 'NF{if ($1>m) m=$1} END{printf "%.2f", m+0}')"
    done
  fi
  echo
  echo "Raw outputs: $OUT"
}
report | tee "$OUT/results.md"
