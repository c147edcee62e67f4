#!/usr/bin/env bash
# bench/dlsfls.sh — cost of document- and field-level security (issue #4).
#
# One run, one proxy, one real OpenSearch, the same searches: a superuser
# (no DLS/FLS) against a user whose role has a DLS query (half the
# documents) and FLS (3 of 7 fields), each driven by wrk for DURATION,
# interleaved ROUNDS times; the median req/s of each and their ratio are
# reported. Target: the DLS+FLS user at >= 0.8x the superuser.
#
# The index holds DOCS documents (default 100000), seeded straight into the
# backend once (kept between runs; BENCH_RESEED=1 seeds again).
# Usage: OS_URL=http://127.0.0.1:9201 bench/dlsfls.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib-proxy.sh
. scripts/lib-proxy.sh

OS_URL=${OS_URL:-http://127.0.0.1:9201}
DOCS=${DOCS:-100000}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-16}
PORT=${PORT:-18290}
INDEX=bench-dlsfls
PASSWORD=bench-Pa55-word

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
curl -sf "$OS_URL" >/dev/null || { echo "dlsfls: no backend at $OS_URL (scripts/opensearch.sh start)" >&2; exit 1; }
[ -x bin/proxy ] || make -s build

# ---- seed ------------------------------------------------------------------
have=$(curl -s "$OS_URL/$INDEX/_count" | jq -r '.count // 0')
if [ "${BENCH_RESEED:-0}" = 1 ] || [ "$have" != "$DOCS" ]; then
  echo "dlsfls: seeding $DOCS documents into $INDEX" >&2
  curl -s -XDELETE "$OS_URL/$INDEX" >/dev/null
  curl -sf -XPUT "$OS_URL/$INDEX" -H 'Content-Type: application/json' -d '{
    "settings":{"number_of_shards":1,"number_of_replicas":0,"refresh_interval":"-1"},
    "mappings":{"properties":{"tenant":{"type":"keyword"},"message":{"type":"text"},"secret":{"type":"text"},
      "salary":{"type":"long"},"user":{"properties":{"name":{"type":"keyword"},"email":{"type":"keyword"}}},"ts":{"type":"date"}}}}' >/dev/null
  python3 - "$OS_URL" "$INDEX" "$DOCS" <<'PY'
import json, random, sys, urllib.request
url, index, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau".split()
rnd = random.Random(42)
for start in range(0, n, 5000):
    lines = []
    for i in range(start, min(n, start + 5000)):
        lines.append(json.dumps({"index": {"_id": str(i)}}))
        lines.append(json.dumps({"tenant": "acme" if i % 2 == 0 else "globex",
            "message": " ".join(rnd.choice(words) for _ in range(12)), "secret": "CANARY-BENCH-%d" % i,
            "salary": rnd.randint(1000, 9000), "user": {"name": "u%d" % (i % 1000), "email": "u%d@example.com" % i},
            "ts": 1700000000000 + i * 1000}))
    req = urllib.request.Request(f"{url}/{index}/_bulk", data=("\n".join(lines) + "\n").encode(),
                                 headers={"Content-Type": "application/x-ndjson"}, method="POST")
    out = json.load(urllib.request.urlopen(req))
    assert not out["errors"], "bulk errors"
PY
  curl -sf -XPOST "$OS_URL/$INDEX/_refresh" >/dev/null
  curl -sf -XPUT "$OS_URL/$INDEX/_settings" -H 'Content-Type: application/json' -d '{"index":{"refresh_interval":"1s"}}' >/dev/null
fi

# ---- proxy -----------------------------------------------------------------
run=$(mktemp -d)
proxy_pid=
cleanup() { [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null; rm -rf "$run"; }
trap cleanup EXIT
hash=$(printf '%s' "$PASSWORD" | bin/proxy users hash)
printf 'bench:%s\nlimited:%s\n' "$hash" "$hash" >"$run/users"
printf 'superuser:bench\nbench_dlsfls:limited\n' >"$run/users_roles"
cat >"$run/roles.yml" <<YAML
bench_dlsfls:
  indices:
    - names: ["$INDEX"]
      privileges: [read]
      query: '{"term":{"tenant":"acme"}}'
      field_security:
        grant: ["tenant", "message", "user.name"]
YAML
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext 'subjectAltName=IP:127.0.0.1' -keyout "$run/key.pem" -out "$run/cert.pem" 2>/dev/null
write_proxy_config "$run" "$PORT" "$((PORT + 1))" "$OS_URL"
bin/proxy serve --config "$run/config.yaml" >"$run/proxy.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((PORT + 1))/readyz" >/dev/null && break; sleep 0.2; done

# The same search for both users: a full-text match, 10 hits with _source.
cat >"$run/search.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"size":10,"query":{"match":{"message":"gamma delta"}},"aggs":{"t":{"terms":{"field":"tenant"}}}}'
wrk.headers["Content-Type"] = "application/json"
LUA
check() { # user: one search must succeed, and the limited user's must carry no secret
  local out; out=$(curl -sk -u "$1:$PASSWORD" -H 'Content-Type: application/json' "https://127.0.0.1:$PORT/$INDEX/_search" -d '{"size":10,"query":{"match":{"message":"gamma delta"}}}')
  echo "$out" | jq -e '.hits.hits | length == 10' >/dev/null || { echo "dlsfls: search as $1 failed: $out" >&2; exit 1; }
  if [ "$1" = limited ] && echo "$out" | grep -q CANARY-BENCH; then echo "dlsfls: LEAK in the limited user's answer" >&2; exit 1; fi
}
check bench; check limited

rps() { # user -> req/s of one wrk run
  local auth; auth=$(printf '%s:%s' "$1" "$PASSWORD" | base64 -w0)
  wrk -t1 -c"$CONNS" -d"$DURATION" -H "Authorization: Basic $auth" -s "$run/search.lua" "https://127.0.0.1:$PORT/$INDEX/_search" |
    awk '/Requests\/sec/ {print $2}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
wrk -t1 -c"$CONNS" -d3s -H "Authorization: Basic $(printf 'bench:%s' "$PASSWORD" | base64 -w0)" -s "$run/search.lua" "https://127.0.0.1:$PORT/$INDEX/_search" >/dev/null
su=() li=()
for _ in $(seq 1 "$ROUNDS"); do
  su+=("$(rps bench)"); li+=("$(rps limited)")
done
su_m=$(printf '%s\n' "${su[@]}" | median); li_m=$(printf '%s\n' "${li[@]}" | median)
printf 'dlsfls: %s docs, %s conns, %s x %s per user\n' "$DOCS" "$CONNS" "$ROUNDS" "$DURATION"
printf '  superuser        req/s: %s  (runs: %s)\n' "$su_m" "${su[*]}"
printf '  DLS+FLS user     req/s: %s  (runs: %s)\n' "$li_m" "${li[*]}"
awk -v a="$li_m" -v b="$su_m" 'BEGIN {printf "  ratio DLS+FLS / superuser: %.2f (target >= 0.80)\n", a / b}'
