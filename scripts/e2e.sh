#!/usr/bin/env bash
# End-to-end tests against real components: starts OpenSearch (and
# Elasticsearch where its launcher works here), runs test/e2e and the
# security corpus against each, builds and runs the container image against
# OpenSearch (scripts/image.sh), smoke-tests the demo (scripts/demo-check.sh),
# and stops what it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

started=()
stop_cmds=() # commands that stop what was started with settings (eval'ed)
cleanup() {
  for s in "${started[@]}"; do "scripts/$s.sh" stop >/dev/null 2>&1 || true; done
  for c in "${stop_cmds[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT INT TERM

# The OpenID providers (Dex, built from the Go module proxy on first use):
# the main one on 5556, and a second, independent one on 5571 (its own
# signing keys) for the multi-issuer tests of test/oidc and for the browser
# login below, whose tokens live 20 s (so that refreshes happen).
if ! scripts/dex.sh status >/dev/null 2>&1; then started+=(dex); fi
scripts/dex.sh start >/dev/null
eval "$(scripts/dex.sh env)"
if ! DEX_PORT=5571 scripts/dex.sh status >/dev/null 2>&1; then stop_cmds+=("DEX_PORT=5571 scripts/dex.sh stop"); fi
DEX_PORT=5571 DEX_TELEMETRY_PORT=5572 DEX_ID_TOKENS_EXPIRY=20s scripts/dex.sh start >/dev/null
export DEX_ISSUER_2=http://127.0.0.1:5571/dex
export OIDC_E2E_REQUIRED=1
go test -count=1 ./test/oidc/

# Browser login (test/browser, its own module): headless Chromium through
# the proxy to the second Dex (started above; its tokens live 20 s, so
# refreshes happen), and Redis (sessions shared by two replicas; the test
# stops and restarts it to check that sessions fail closed while Basic and
# bearer work).
command -v chromium >/dev/null && command -v redis-server >/dev/null || scripts/install-deps.sh
if ! scripts/redis.sh status >/dev/null 2>&1; then started+=(redis); fi
redis_addr=$(scripts/redis.sh start | tail -1)
REDIS_ADDR=$redis_addr SESSION_REDIS_REQUIRED=1 go test -count=1 ./internal/authn/session/
(cd test/browser && BROWSER_E2E_REQUIRED=1 BROWSER_DEX_ISSUER=http://127.0.0.1:5571/dex BROWSER_DEX_TOKEN_TTL=20s \
  REDIS_ADDR=$redis_addr go test -count=1 -timeout 10m ./)

# Elasticsearch 7.17 runs here without painless and analysis-common (their
# jars are not on Maven Central; test/elasticsearch/STATUS.md): the Go suite
# runs against it, the corpus (its fixture needs mustache scripts) and the
# OpenSearch clients against OpenSearch only.
backends=${E2E_BACKENDS:-opensearch elasticsearch}
for b in $backends; do
  if ! "scripts/$b.sh" status >/dev/null 2>&1; then started+=("$b"); fi
  url=$("scripts/$b.sh" start | tail -1)
  echo "e2e: $b at $url"
  E2E_REQUIRED=1 E2E_OPENSEARCH_URL="$url" E2E_BACKEND="$b" \
    go test -count=1 -timeout 15m ./test/e2e/ "$@"
  # The rewrite packages' checks against the real cluster (DLS filters and
  # wrapping, FLS neutralisation, cursor ids).
  if [ "$b" = opensearch ]; then
    PORTCULLIS_TEST_OPENSEARCH="$url" E2E_OPENSEARCH_URL="$url" go test -count=1 ./internal/rewrite/...
    CORPUS_STRICT=${CORPUS_STRICT:-1} BACKEND_URL="$url" scripts/corpus.sh
    BACKEND_URL="$url" scripts/clients.sh
    scripts/image.sh check "$url"
  else
    PORTCULLIS_TEST_ELASTICSEARCH="$url" go test -count=1 ./internal/rewrite/dls/
  fi
done

# The README's first command, `make demo`, as a newcomer runs it: its own
# OpenSearch, the printed curl commands, Ctrl-C.
scripts/demo-check.sh
