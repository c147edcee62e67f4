#!/usr/bin/env bash
# Smoke test of `make demo` (scripts/demo.sh), the README's first command:
# starts the demo stack as a newcomer would, runs the curl commands it
# prints and checks that each answers as the message says (including the
# field- and document-level security canaries), then stops the stack the
# way Ctrl-C does and checks that nothing it started is left running.
# Part of `make test` (scripts/e2e.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

run="$root/.run/demo"
out="$root/.run/demo-check.out"
mkdir -p "$root/.run"
export DEMO_PORT=${DEMO_PORT:-9243} DEMO_METRICS_PORT=${DEMO_METRICS_PORT:-9464}
export DEMO_OPENSEARCH_PORT=${DEMO_OPENSEARCH_PORT:-9211}
os_status() { OPENSEARCH_PORT=$DEMO_OPENSEARCH_PORT OPENSEARCH_HOME=$run/opensearch scripts/opensearch.sh status; }
if os_status >/dev/null 2>&1; then
  echo "demo-check: an OpenSearch already runs on the demo's port $DEMO_OPENSEARCH_PORT; stop it first" >&2
  exit 1
fi

fail() { echo "demo-check: FAIL: $*" >&2; tail -30 "$out" >&2 || true; exit 1; }

# Job control gives the demo its own process group, and signals that a
# non-interactive shell would otherwise leave ignored in a background job.
set -m
scripts/demo.sh >"$out" 2>&1 &
demo=$!
set +m
stop_demo() {
  if kill -0 "$demo" 2>/dev/null; then
    kill -INT "$demo" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$demo" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$demo" 2>/dev/null || true
  fi
}
trap stop_demo EXIT

# The first start may build the OpenSearch launcher; later ones take ~20 s.
for _ in $(seq 1 600); do
  grep -q 'Press Ctrl-C to stop' "$out" 2>/dev/null && break
  kill -0 "$demo" 2>/dev/null || fail "scripts/demo.sh exited before it was ready"
  sleep 1
done
grep -q 'Press Ctrl-C to stop' "$out" || fail "the demo was not ready within 600 s"

p="https://127.0.0.1:$DEMO_PORT"
ca="$run/tls/cert.pem"
# status USER:PASS PATH -> HTTP status (USER:PASS empty: no credentials)
status() {
  local auth=()
  [ -n "$1" ] && auth=(-u "$1")
  curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "${auth[@]}" "$p$2"
}
expect() { # want got what
  [ "$1" = "$2" ] || fail "$3: HTTP $2, want $1"
  echo "demo-check: ok  $3 ($2)"
}

# The commands the demo prints, one by one (TLS verified against its certificate).
expect 200 "$(status admin:admin-demo-pass '/orders/_search?size=1')" "admin reads orders"
expect 403 "$(status alice:alice-demo-pass '/hr-employees/_search')" "alice names hr-employees"
expect 401 "$(status admin:wrong '/')" "wrong password"
expect 401 "$(status '' '/')" "no credentials"

# alice's search over everything is narrowed to logs-*: no hit from another index.
alice=$(curl -sf --cacert "$ca" -u alice:alice-demo-pass "$p/_search?size=100")
echo "$alice" | grep -q '"_index":"logs-web"' || fail "alice's narrowed search returned no logs-web hit"
if echo "$alice" | grep -Eo '"_index":"[^"]*"' | grep -qv '"_index":"logs-'; then
  fail "alice's search over everything returned a hit outside logs-*"
fi
echo "demo-check: ok  alice's search is narrowed to logs-*"

# bob: EMEA orders only, never a card number (the canaries of the sample data).
bob=$(curl -sf --cacert "$ca" -u bob:bob-demo-pass "$p/orders/_search?size=100")
echo "$bob" | grep -Eq '"region": ?"emea"' || fail "bob sees no EMEA order"
echo "$bob" | grep -Eq '"region": ?"(amer|apac)"' && fail "bob sees an order outside EMEA (DLS)"
echo "$bob" | grep -Eq '4111-0000|card_number' && fail "bob sees a card number (FLS)"
echo "demo-check: ok  bob sees EMEA orders without card numbers"

# alice's API key reads logs-web, and nothing alice could not read.
key=$(curl -sf --cacert "$ca" -u alice:alice-demo-pass -H 'Content-Type: application/json' -X POST "$p/_security/api_key" \
  -d '{"name":"demo","role_descriptors":{"logs_web":{"indices":[{"names":["logs-web"],"privileges":["read"]}]}}}' |
  grep -Eo '"encoded":"[^"]+"' | cut -d'"' -f4) || fail "alice could not create an API key"
[ -n "$key" ] || fail "the API key answer had no encoded key"
keystatus() { curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H "Authorization: ApiKey $key" "$p$1"; }
expect 200 "$(keystatus '/logs-web/_search?size=1')" "alice's API key reads logs-web"
expect 403 "$(keystatus '/hr-employees/_search')" "alice's API key names hr-employees"
expect 403 "$(keystatus '/orders/_search')" "alice's API key names orders"

# Ctrl-C stops everything the demo started.
kill -INT "$demo"
for _ in $(seq 1 60); do kill -0 "$demo" 2>/dev/null || break; sleep 0.5; done
kill -0 "$demo" 2>/dev/null && fail "the demo did not stop within 30 s of Ctrl-C"
grep -q 'demo stopped' "$out" || fail "the demo did not report its stop"
os_status >/dev/null 2>&1 && fail "the demo's OpenSearch still runs after Ctrl-C"
curl -s -o /dev/null --max-time 2 "$p/" && fail "the demo's proxy still answers after Ctrl-C"
echo "demo-check: ok  Ctrl-C stopped the proxy and OpenSearch"
