#!/usr/bin/env bash
# bench/oidc.sh — bearer-token (OIDC) throughput: Portcullis vs oauth2-proxy.
#
# One run, one machine, one upstream (bench/esupstream), one Dex ID token
# (password grant), the same wrk load for every row:
#   direct              wrk -> upstream
#   bare-go-proxy       wrk -> bench/bareproxy (httputil.ReverseProxy) -> upstream
#   oauth2-proxy        wrk -> oauth2-proxy v7.15.6 (skip_jwt_bearer_tokens) -> upstream
#   portcullis          wrk -> bin/proxy: bearer auth against Dex, a role mapped
#                       from the token's groups authorizes the request, every
#                       request audited (access_granted fsync'ed before forwarding)
#   portcullis-noaudit  the same with audit.exclude: [access_granted]
# Rows are interleaved ROUNDS times; medians and ratios are reported
# (target: portcullis >= 3x oauth2-proxy). Every process this script starts
# listens on 127.0.0.1 (ports PORT_BASE.., Dex on DEX_PORT) and is stopped
# on exit. See bench/README.md ("OIDC bearer benchmark").
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"

# ---- knobs (env) -----------------------------------------------------------
DURATION=${DURATION:-10s}       # measured wrk run per row and round
WARMUP=${WARMUP:-2s}            # unmeasured wrk run before each measured one
CONNS=${CONNS:-16}              # wrk -c (also bareproxy -conns)
THREADS=${THREADS:-1}           # wrk -t
ROUNDS=${ROUNDS:-3}
TARGETS=${TARGETS:-direct bare-go-proxy oauth2-proxy portcullis portcullis-noaudit}
BENCH_PATH=${BENCH_PATH:-/}     # request path (GET); the bench role grants it
PORT_BASE=${PORT_BASE:-18520}   # first port tried for the servers started here
DEX_PORT=${DEX_PORT:-18510}     # Dex (scripts/dex.sh); telemetry on DEX_PORT+1
PROFILE=${PROFILE:-0}           # 1: CPU profile of the portcullis row (last round) via metrics.pprof
PROFILE_SECONDS=${PROFILE_SECONDS:-8}
OAUTH2_PROXY_VERSION=v7.15.6
READY_TIMEOUT=${READY_TIMEOUT:-30}

STAMP=$(date +%Y%m%d-%H%M%S)
OUT="$HERE/out/oidc-$STAMP"
mkdir -p "$OUT/raw" "$OUT/logs" "$OUT/bin"
ln -sfn "oidc-$STAMP" "$HERE/out/latest-oidc"
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench-oidc.XXXXXX")
CLK_TCK=$(getconf CLK_TCK)

PIDS=()
DEX_STARTED=0
log() { printf '[oidc-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[oidc-bench] ERROR: %s\n' "$*" >&2; exit 1; }
cleanup() {
  local rc=$? pid
  set +e
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  [[ $DEX_STARTED == 1 ]] && DEX_PORT=$DEX_PORT scripts/dex.sh stop >/dev/null 2>&1
  rm -rf "$TMPD"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites and builds ----------------------------------------------
for c in wrk curl jq go; do
  command -v "$c" >/dev/null && continue
  [[ $c == go ]] && die "go not found"
  [[ $(id -u) == 0 ]] || die "$c is missing (apt-get install $c)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$c" >/dev/null
done

log "building bench tools and the proxy"
for t in esupstream bareproxy; do go build -o "$OUT/bin/$t" "./bench/$t"; done
go build -o "$OUT/bin/proxy" ./cmd/proxy

# oauth2-proxy from the Go module proxy, in its own scratch module under
# .run/ (never the product's go.mod); the binary is cached.
O2P_DIR=$ROOT/.run/oauth2-proxy
O2P_BIN=$O2P_DIR/bin/oauth2-proxy
if [[ ! -x $O2P_BIN || $(cat "$O2P_DIR/bin/version" 2>/dev/null) != "$OAUTH2_PROXY_VERSION" ]]; then
  log "building oauth2-proxy $OAUTH2_PROXY_VERSION (about 1-4 min cold)"
  mkdir -p "$O2P_DIR/tools" "$O2P_DIR/bin"
  [[ -f $O2P_DIR/tools/go.mod ]] || (cd "$O2P_DIR/tools" && go mod init portcullis.local/tools/oauth2-proxy >/dev/null 2>&1)
  (cd "$O2P_DIR/tools" && GOFLAGS=-mod=mod go get -tool "github.com/oauth2-proxy/oauth2-proxy/v7@$OAUTH2_PROXY_VERSION" &&
     GOFLAGS=-mod=mod go build -o "$O2P_BIN" github.com/oauth2-proxy/oauth2-proxy/v7) >"$OUT/logs/build-oauth2-proxy.log" 2>&1 ||
    { cat "$OUT/logs/build-oauth2-proxy.log" >&2; die "building oauth2-proxy failed"; }
  echo "$OAUTH2_PROXY_VERSION" >"$O2P_DIR/bin/version"
fi

# ---- helpers ---------------------------------------------------------------
NEXT_PORT=$PORT_BASE
FREE_PORT=""
free_port() { # sets FREE_PORT (no subshell: NEXT_PORT must advance)
  local p=$NEXT_PORT
  while [[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; do
    p=$((p + 1))
    ((p <= PORT_BASE + 79)) || die "no free port in $PORT_BASE..$((PORT_BASE + 79))"
  done
  NEXT_PORT=$((p + 1)); FREE_PORT=$p
}
start_bg() { # name cmd... ; appends to PIDS
  local name=$1; shift
  "$@" >"$OUT/logs/$name.log" 2>&1 &
  PIDS+=("$!")
}
code_of() { curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$@" 2>/dev/null || true; }
wait_code() { # url want [curl args]
  local url=$1 want=$2; shift 2
  local deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    [[ $(code_of "$@" "$url") == "$want" ]] && return 0
    sleep 0.2
  done
  return 1
}
cpu_ticks() { # utime+stime of a pid
  local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  local rest=${s##*) }; local f; read -r -a f <<<"$rest"
  echo $((f[11] + f[12]))
}
to_us() { # wrk latency "611.00us" / "1.59ms" / "1.02s" -> microseconds
  awk -v v="$1" 'BEGIN{ n=v; sub(/[a-z]+$/,"",n); u=v; sub(/^[0-9.]+/,"",u);
    m=(u=="us")?1:(u=="ms")?1000:(u=="s")?1e6:(u=="m")?6e7:1; printf "%.1f", n*m }'
}
# Noise: machine-wide busy ticks (/proc/stat, steal included) minus the
# ticks of everything this run owns (its servers, and wrk and curl through
# the shell's `times`), in cores, during a measured run.
machine_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
OWN_TICKS=0
own_ticks() { # sets OWN_TICKS; must not run in a subshell, or `times` misses wrk
  local t=0 pid
  for pid in "${PIDS[@]}"; do t=$((t + $(cpu_ticks "$pid"))); done
  times >"$TMPD/times"
  OWN_TICKS=$(awk -v t="$t" -v hz="$CLK_TCK" 'NR==2{ split($1,a,/[ms]/); split($2,b,/[ms]/);
    printf "%d", t + (a[1]*60+a[2] + b[1]*60+b[2])*hz }' "$TMPD/times")
}
median() { printf '%s\n' "$@" | awk '/^-?[0-9.]+$/' | sort -g |
  awk '{a[NR]=$1} END{ if(NR==0)print "-"; else if(NR%2)print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }

# ---- Dex and the token -----------------------------------------------------
ISSUER=http://127.0.0.1:$DEX_PORT/dex
if ! DEX_PORT=$DEX_PORT scripts/dex.sh status >/dev/null 2>&1; then
  DEX_STARTED=1
  DEX_PORT=$DEX_PORT DEX_TELEMETRY_PORT=$((DEX_PORT + 1)) scripts/dex.sh start >"$OUT/logs/dex-start.log" 2>&1 ||
    { cat "$OUT/logs/dex-start.log" >&2; die "Dex did not start"; }
fi
CLIENT_ID=portcullis CLIENT_SECRET=portcullis-secret
TOKEN=$(curl -sf -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=password -d username=alice@example.com -d password=password \
  --data-urlencode 'scope=openid email profile groups' "$ISSUER/token" | jq -r .id_token)
[[ $TOKEN == *.*.* ]] || die "no ID token from Dex at $ISSUER"
AUTH="Authorization: Bearer $TOKEN"
log "Dex ID token for alice@example.com: ${#TOKEN} bytes, claims $(cut -d. -f2 <<<"$TOKEN" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -c '{iss,aud,groups}' 2>/dev/null || echo '?')"

# ---- servers ---------------------------------------------------------------
declare -A URL PID
free_port; UP_PORT=$FREE_PORT
start_bg esupstream "$OUT/bin/esupstream" -listen "127.0.0.1:$UP_PORT"
URL[direct]=http://127.0.0.1:$UP_PORT PID[direct]=${PIDS[-1]}
UPSTREAM=${URL[direct]}

free_port
start_bg bareproxy "$OUT/bin/bareproxy" -listen "127.0.0.1:$FREE_PORT" -upstream "$UPSTREAM" -conns "$CONNS"
URL[bare-go-proxy]=http://127.0.0.1:$FREE_PORT PID[bare-go-proxy]=${PIDS[-1]}

free_port
cat >"$TMPD/oauth2-proxy.cfg" <<EOF
http_address = "127.0.0.1:$FREE_PORT"
upstreams = [ "$UPSTREAM/" ]
provider = "oidc"
oidc_issuer_url = "$ISSUER"
client_id = "$CLIENT_ID"
client_secret = "$CLIENT_SECRET"
redirect_url = "http://127.0.0.1:$FREE_PORT/oauth2/callback"
scope = "openid email profile groups"
oidc_groups_claim = "groups"
email_domains = [ "*" ]
cookie_secret = "$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_')"
cookie_secure = false
skip_jwt_bearer_tokens = true
pass_authorization_header = true
set_xauthrequest = true
skip_provider_button = true
approval_prompt = "auto"
code_challenge_method = "S256"
request_logging = false
EOF
cp "$TMPD/oauth2-proxy.cfg" "$OUT/oauth2-proxy.cfg"
start_bg oauth2-proxy "$O2P_BIN" --config "$TMPD/oauth2-proxy.cfg"
URL[oauth2-proxy]=http://127.0.0.1:$FREE_PORT PID[oauth2-proxy]=${PIDS[-1]}

# Portcullis: no file users; alice's groups (logs-readers) map to a role
# whose cluster privilege grants GET / (cluster:monitor/main) and whose
# index privilege grants read on logs-*.
: >"$TMPD/users"; : >"$TMPD/users_roles"
cat >"$TMPD/roles.yml" <<'EOF'
bench_reader:
  cluster: [monitor]
  indices:
    - names: ["logs-*"]
      privileges: [read]
EOF
cat >"$TMPD/role_mapping.yml" <<'EOF'
bench-readers:
  enabled: true
  roles: [bench_reader]
  rules:
    all:
      - field: {realm.name: oidc1}
      - field: {groups: logs-readers}
EOF
start_portcullis() { # row audit(on|off)
  local row=$1 audit=$2 port mport cfg
  free_port; port=$FREE_PORT; free_port; mport=$FREE_PORT
  cfg=$TMPD/$row.yaml
  cat >"$cfg" <<EOF
listen: "127.0.0.1:$port"
insecure_http: true
upstream:
  nodes: ["$UPSTREAM"]
  max_idle_conns_per_host: $(( CONNS > 64 ? CONNS : 64 ))
security:
  users: $TMPD/users
  users_roles: $TMPD/users_roles
  roles: $TMPD/roles.yml
  oidc:
    enabled: true
    realm_name: oidc1
    realm_type: oidc
    issuers: ["$ISSUER"]
    audiences: ["$CLIENT_ID"]
    claims: {principal: email, groups: groups, mail: email, name: name}
    role_mapping: $TMPD/role_mapping.yml
audit:
  file: $TMPD/audit-$row.json
  exclude: [$([[ $audit == off ]] && echo access_granted)]
metrics:
  listen: "127.0.0.1:$mport"
  pprof: $([[ $PROFILE == 1 ]] && echo true || echo false)
EOF
  cp "$cfg" "$OUT/$row.yaml"
  start_bg "$row" "$OUT/bin/proxy" serve --config "$cfg"
  URL[$row]=http://127.0.0.1:$port PID[$row]=${PIDS[-1]}
  METRICS[$row]=http://127.0.0.1:$mport
}
declare -A METRICS
start_portcullis portcullis on
start_portcullis portcullis-noaudit off

# ---- checks: every row answers 200 with the token, and the authenticating
# rows refuse requests without it (so authentication is really on).
for row in $TARGETS; do
  [[ -n ${URL[$row]:-} ]] || die "unknown target $row (known: ${!URL[*]})"
  wait_code "${URL[$row]}$BENCH_PATH" 200 -H "$AUTH" ||
    die "$row does not answer 200 on $BENCH_PATH with the token (logs: $OUT/logs/$row.log)"
done
for row in oauth2-proxy portcullis portcullis-noaudit; do
  c=$(code_of "${URL[$row]}$BENCH_PATH")
  [[ $c != 200 ]] || die "$row answers 200 without a token"
  log "check: $row without a token -> HTTP $c"
done
c=$(code_of -H "$AUTH" "${URL[portcullis]}/secret-index/_search")
[[ $c == 403 ]] || die "portcullis answers $c (not 403) for an index the role does not grant"
log "check: portcullis with the token on an index its role does not grant -> HTTP 403"

# ---- measurement -----------------------------------------------------------
declare -A R # R[row|field] = values, one per round
add() { R[$1]="${R[$1]:-} $2"; }
measure() { # round row
  local round=$1 row=$2 url=${URL[$2]}$BENCH_PATH pid=${PID[$2]} raw="$OUT/raw/$2-r$1.txt"
  wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -H "$AUTH" "$url" >"$OUT/raw/warmup-$row-r$round.txt" 2>&1 || true
  local prof_pid=""
  if [[ $PROFILE == 1 && $row == portcullis && $round == "$ROUNDS" ]]; then
    curl -s --max-time $((PROFILE_SECONDS + 10)) -o "$OUT/portcullis.cpu.pprof" \
      "${METRICS[$row]}/debug/pprof/profile?seconds=$PROFILE_SECONDS" &
    prof_pid=$!
  fi
  local t0 t1 busy0 busy1 own0 ns0 ns1
  own_ticks; own0=$OWN_TICKS; busy0=$(machine_busy); ns0=$(date +%s%N); t0=$(cpu_ticks "$pid")
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "$AUTH" "$url" >"$raw" 2>&1 || true
  t1=$(cpu_ticks "$pid"); ns1=$(date +%s%N); busy1=$(machine_busy); own_ticks
  local other; other=$(awk -v b=$((busy1 - busy0)) -v o=$((OWN_TICKS - own0)) -v hz="$CLK_TCK" -v ns=$((ns1 - ns0)) \
    'BEGIN{ v=(b-o)/hz/(ns/1e9); if (v<0) v=0; printf "%.2f", v }')
  add "$row|other" "$other"
  [[ -n $prof_pid ]] && wait "$prof_pid" || true
  local rps reqs p50 p99 bad
  rps=$(awk '/^Requests\/sec/{print $2}' "$raw")
  reqs=$(awk '/requests in/{print $1}' "$raw")
  p50=$(to_us "$(awk '$1=="50%"{print $2}' "$raw")")
  p99=$(to_us "$(awk '$1=="99%"{print $2}' "$raw")")
  bad=$(awk '/Non-2xx/{n+=$NF} /Socket errors/{gsub(/,/,""); n+=$4+$6+$8+$10} END{print n+0}' "$raw")
  add "$row|rps" "${rps:-0}"; add "$row|p50" "$p50"; add "$row|p99" "$p99"; add "$row|bad" "$bad"
  add "$row|cpu" "$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="${reqs:-0}" 'BEGIN{ if (n>0) printf "%.1f", d*1e6/hz/n; else print "-" }')"
  printf '%s round %s %-20s %9s req/s  p50 %s us  p99 %s us  errors %s  other CPU %s  load %s\n' "$(date +%T)" "$round" "$row" \
    "${rps:-?}" "$p50" "$p99" "$bad" "$other" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/summary.log" >&2
}
{
  echo "date: $(date -Is)"; echo "commit: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
  echo "cpu: $(nproc) x $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"; echo "go: $(go version)"
  echo "wrk: $(wrk -v 2>&1 | head -1)"; echo "oauth2-proxy: $OAUTH2_PROXY_VERSION ($O2P_BIN)"
  echo "load: wrk -t$THREADS -c$CONNS -d$DURATION (warm-up $WARMUP) GET $BENCH_PATH, rounds $ROUNDS"
  echo "token: Dex ID token, ${#TOKEN} bytes, issuer $ISSUER"; echo "loadavg at start: $(cat /proc/loadavg)"
} >"$OUT/env.txt"
for round in $(seq 1 "$ROUNDS"); do
  for row in $TARGETS; do measure "$round" "$row"; done
done
grep -q '"access_granted"' "$TMPD/audit-portcullis.json" || die "the audited Portcullis wrote no access_granted record"
AUDITED=$(grep -c '"access_granted"' "$TMPD/audit-portcullis.json")

# ---- report ----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b=="-"||b==""||b==0||a=="-"||a=="") print "-"; else printf "%.2f", a/b }'; }
per_round_ratio() { # rowA rowB -> median of the per-round ratios
  local a=(${R[$1|rps]:-}) b=(${R[$2|rps]:-}) out=() i
  for i in "${!a[@]}"; do out+=("$(ratio "${a[i]}" "${b[i]:-}")"); done
  median "${out[@]}"
}
report() {
  echo "## OIDC bearer benchmark — $(date -Is)"
  echo
  echo '```'; cat "$OUT/env.txt"; echo '```'
  echo
  echo "Closed loop, medians of $ROUNDS interleaved rounds. CPU = the target process's utime+stime during the measured run / requests."
  echo "other CPU = cores used outside this run (other tenants, hypervisor steal) during the measured run: the noise (median; max in brackets)."
  echo
  echo "| target | req/s (median) | rounds | vs bare Go | vs oauth2-proxy | p50 ms | p99 ms | CPU µs/req | errors | other CPU |"
  echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
  local row m
  local bare; bare=$(median ${R[bare-go-proxy|rps]:-})
  local o2p; o2p=$(median ${R[oauth2-proxy|rps]:-})
  for row in $TARGETS; do
    m=$(median ${R[$row|rps]})
    printf '| %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s (%s) |\n' "$row" "$m" "$(echo ${R[$row|rps]} | tr ' ' '/')" \
      "$(ratio "$m" "$bare")" "$(ratio "$m" "$o2p")" \
      "$(awk -v v="$(median ${R[$row|p50]})" 'BEGIN{printf "%.3f", v/1000}')" \
      "$(awk -v v="$(median ${R[$row|p99]})" 'BEGIN{printf "%.3f", v/1000}')" \
      "$(median ${R[$row|cpu]})" "$(printf '%s\n' ${R[$row|bad]} | awk '{s+=$1} END{print s+0}')" \
      "$(median ${R[$row|other]})" "$(printf '%s\n' ${R[$row|other]} | sort -g | tail -1)"
  done
  echo
  for row in portcullis portcullis-noaudit; do
    [[ -n ${R[$row|rps]:-} && -n ${R[oauth2-proxy|rps]:-} ]] || continue
    echo "- $row / oauth2-proxy: **$(ratio "$(median ${R[$row|rps]})" "$o2p")×** req/s (ratio of medians; median of per-round ratios $(per_round_ratio "$row" oauth2-proxy)×; target ≥ 3×);" \
      "CPU per request $(ratio "$(median ${R[oauth2-proxy|cpu]})" "$(median ${R[$row|cpu]})")× less than oauth2-proxy"
  done
  echo "- access_granted records written by the audited Portcullis: $AUDITED"
  [[ -s $OUT/portcullis.cpu.pprof ]] && echo "- CPU profile of the portcullis row (last round): $OUT/portcullis.cpu.pprof (go tool pprof -top $OUT/bin/proxy …)"
  echo
  echo "Raw outputs: $OUT"
}
report | tee "$OUT/results.md"
