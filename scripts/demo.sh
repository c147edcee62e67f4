#!/usr/bin/env bash
# The demo stack: a real OpenSearch with sample data, Portcullis in front of
# it with TLS, demo users and roles. Ctrl-C stops everything it started.
#   DEMO_PORT (9243)  DEMO_METRICS_PORT (9464)  DEMO_OPENSEARCH_PORT (9211)
# The demo's OpenSearch has its own port and data directory (.run/demo/opensearch),
# so the test suites' node (9201) and the indices they leave behind stay out of it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
run="$root/.run/demo"
mkdir -p "$run/tls"
export DEMO_PORT=${DEMO_PORT:-9243} DEMO_METRICS_PORT=${DEMO_METRICS_PORT:-9464}
export OPENSEARCH_PORT=${DEMO_OPENSEARCH_PORT:-9211} OPENSEARCH_HOME=$run/opensearch

started_os=0 proxy_pid=
cleanup() {
  trap - EXIT INT TERM
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null || true
  if [ "$started_os" = 1 ]; then scripts/opensearch.sh stop >/dev/null || true; fi
  echo; echo "demo stopped."
}
trap cleanup EXIT INT TERM

[ -x bin/proxy ] || make -s build
scripts/install-deps.sh

if ! scripts/opensearch.sh status >/dev/null 2>&1; then started_os=1; fi
upstream=$(scripts/opensearch.sh start | tail -1)
export DEMO_UPSTREAM="$upstream"

# Sample data, loaded straight into the cluster (the proxy's job is to guard it).
if [ "$(curl -s -o /dev/null -w '%{http_code}' "$upstream/orders")" != 200 ]; then
  echo "loading sample data into $upstream"
  curl -sf -H 'Content-Type: application/x-ndjson' -X POST "$upstream/_bulk?refresh=true" \
    --data-binary @demo/sample-data.ndjson >/dev/null
fi

# A self-signed certificate for 127.0.0.1.
if [ ! -s "$run/tls/cert.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=127.0.0.1 \
    -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' -keyout "$run/tls/key.pem" -out "$run/tls/cert.pem" 2>/dev/null
fi

# Users with bcrypt hashes, made by the proxy itself (what elasticsearch-users does).
: >"$run/users"
grep -v '^#' demo/passwords | while IFS=: read -r user pass; do
  printf '%s:%s\n' "$user" "$(printf '%s\n' "$pass" | bin/proxy users hash)" >>"$run/users"
done
chmod 600 "$run/users"
cp demo/users_roles.template "$run/users_roles"
cp demo/roles.yml "$run/roles.yml"
cp demo/config.yaml "$run/config.yaml"

bin/proxy check --config "$run/config.yaml"
bin/proxy serve --config "$run/config.yaml" 2>>"$run/proxy.log" &
proxy_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$DEMO_METRICS_PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$proxy_pid" 2>/dev/null || { echo "proxy exited; see $run/proxy.log" >&2; tail -20 "$run/proxy.log" >&2; exit 1; }
  sleep 0.2
done

p="https://127.0.0.1:$DEMO_PORT"
cat <<MSG

Portcullis is running at $p (TLS) in front of OpenSearch at $upstream.
Logs: $run/proxy.log    Metrics: http://127.0.0.1:$DEMO_METRICS_PORT/metrics

Try (the certificate is self-signed; --cacert trusts it):

  # allowed: admin is a superuser
  curl --cacert $run/tls/cert.pem -u admin:admin-demo-pass '$p/orders/_search?size=1&pretty'

  # alice may read logs-* only: a search over everything is narrowed to logs-web
  curl --cacert $run/tls/cert.pem -u alice:alice-demo-pass '$p/_search?size=1&pretty'

  # refused with Elasticsearch's 403: alice names an index she may not read
  curl --cacert $run/tls/cert.pem -u alice:alice-demo-pass '$p/hr-employees/_search?pretty'

  # document- and field-level security: bob sees only EMEA orders, without customer.card_number
  curl --cacert $run/tls/cert.pem -u bob:bob-demo-pass '$p/orders/_search?pretty'

  # API keys: alice makes a key limited to logs-web (the answer's "encoded" is the key) ...
  curl --cacert $run/tls/cert.pem -u alice:alice-demo-pass -H 'Content-Type: application/json' -X POST '$p/_security/api_key?pretty' \
    -d '{"name":"demo","role_descriptors":{"logs_web":{"indices":[{"names":["logs-web"],"privileges":["read"]}]}}}'
  # ... and uses it instead of her password
  curl --cacert $run/tls/cert.pem -H "Authorization: ApiKey <encoded>" '$p/logs-web/_search?size=1&pretty'

  # refused with 401: wrong password / no credentials
  curl --cacert $run/tls/cert.pem -u admin:wrong '$p/?pretty'
  curl --cacert $run/tls/cert.pem '$p/?pretty'

Press Ctrl-C to stop.
MSG
wait "$proxy_pid"
