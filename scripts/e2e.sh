#!/usr/bin/env bash
# End-to-end tests against real components: starts OpenSearch (and
# Elasticsearch where its launcher works here), runs test/e2e and the
# security corpus against each, and stops what it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

started=()
cleanup() {
  for s in "${started[@]}"; do "scripts/$s.sh" stop >/dev/null 2>&1 || true; done
}
trap cleanup EXIT INT TERM

# The OpenID provider (Dex, built from the Go module proxy on first use).
if ! scripts/dex.sh status >/dev/null 2>&1; then started+=(dex); fi
scripts/dex.sh start >/dev/null
eval "$(scripts/dex.sh env)"
export OIDC_E2E_REQUIRED=1
go test -count=1 ./test/oidc/

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
  if [ "$b" = opensearch ]; then
    BACKEND_URL="$url" scripts/corpus.sh
    BACKEND_URL="$url" scripts/clients.sh
  fi
done
