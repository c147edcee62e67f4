#!/usr/bin/env bash
# Smoke test of a running node (OpenSearch 2.19 or Elasticsearch 7.17):
#   test/opensearch/smoke.sh [URL]        (default http://127.0.0.1:9201)
# Creates and deletes index smoke-<random>*; exits non-zero if any check failed.
# Checks that need lang-painless or analysis-common are skipped (not failed) when the node
# does not list that plugin in _cat/plugins (Elasticsearch 7.17 from Maven Central lacks both).
set -euo pipefail

url=${1:-http://127.0.0.1:9201}
idx="smoke-$RANDOM$RANDOM"
pass=0
fail=0
skip=0

req() { # METHOD PATH [BODY]
  local method=$1 path=$2
  if (($# > 2)); then
    curl -sS --max-time 60 -X "$method" -H 'Content-Type: application/json' "$url$path" -d "$3"
  else
    curl -sS --max-time 60 -X "$method" "$url$path"
  fi
}

check() { # NAME EXPECTED-REGEX BODY
  if [[ $3 =~ $2 ]]; then
    pass=$((pass + 1))
    printf 'ok   %s\n' "$1"
  else
    fail=$((fail + 1))
    printf 'FAIL %s: wanted /%s/, got: %s\n' "$1" "$2" "${3:0:600}"
  fi
}

# needs PLUGIN-CLASS-SUFFIX NAME: true if the node has the plugin, else counts a skip.
needs() {
  if [[ $plugins == *"$1"* ]]; then return 0; fi
  skip=$((skip + 1))
  printf 'skip %s (no %s)\n' "$2" "$1"
  return 1
}

cleanup() { req DELETE "/$idx,$idx-copy,$idx-copy2?ignore_unavailable=true" >/dev/null 2>&1 || true; }
trap cleanup EXIT

plugins=$(req GET '/_cat/plugins?h=component')
check "root" '"number" *: *"[0-9]' "$(req GET /)"
check "health" '"status":"(green|yellow)"' "$(req GET /_cluster/health)"
check "create index" '"acknowledged":true' "$(req PUT "/$idx" '{
  "settings": {"number_of_shards": 1, "number_of_replicas": 0},
  "mappings": {"properties": {
    "title": {"type": "text"}, "genre": {"type": "keyword"}, "pages": {"type": "integer"},
    "words": {"type": "token_count", "analyzer": "standard"},
    "rel": {"type": "join", "relations": {"question": "answer"}}}}}')"
check "index doc 1" '"result":"created"' "$(req PUT "/$idx/_doc/1?refresh=true" \
  '{"title":"Dune","genre":"scifi","pages":412,"words":"a b c"}')"
check "index doc 2" '"result":"created"' "$(req PUT "/$idx/_doc/2?refresh=true" \
  '{"title":"Emma","genre":"classic","pages":300}')"
needs PainlessPlugin "painless update" && check "painless update" '"result":"updated"' "$(req POST "/$idx/_update/1?refresh=true" \
  '{"script":{"lang":"painless","source":"ctx._source.pages += params.n","params":{"n":8}}}')"
needs PainlessPlugin "updated source" && check "updated source" '"pages":420' "$(req GET "/$idx/_doc/1")"
agg=$(req POST "/$idx/_search" '{"size":0,"aggs":{
  "g":{"terms":{"field":"genre"}},
  "avg_pages":{"avg":{"field":"pages"}}}}')
check "terms agg" '"key":"classic","doc_count":1' "$agg"
# 360 = (420 + 300) / 2 after the painless update, 356 = (412 + 300) / 2 without it.
check "avg agg" '"avg_pages":\{"value":3(60|56)\.0\}' "$agg"
if needs PainlessPlugin "script agg"; then
  check "script agg" '"twice":\{"value":1440\.0\}' "$(req POST "/$idx/_search" \
    '{"size":0,"aggs":{"twice":{"sum":{"script":{"source":"doc[\"pages\"].value * 2"}}}}}')"
fi
check "reindex" '"created":2' "$(req POST "/_reindex?refresh=true" \
  "{\"source\":{\"index\":\"$idx\"},\"dest\":{\"index\":\"$idx-copy\"}}")"
check "reindexed count" '"count":2' "$(req GET "/$idx-copy/_count")"
needs PainlessPlugin "scripted reindex" && check "scripted reindex" '"created":2' "$(req POST "/_reindex?refresh=true" \
  "{\"source\":{\"index\":\"$idx\"},\"dest\":{\"index\":\"$idx-copy2\"},\"script\":{\"source\":\"ctx._source.copied = true\"}}")"
needs PainlessPlugin "update_by_query" && check "update_by_query" '"updated":2' "$(req POST "/$idx/_update_by_query?refresh=true&conflicts=proceed" \
  '{"script":{"source":"ctx._source.genre = ctx._source.genre.toUpperCase()"}}')"
check "analyze standard" '"token":"running".*"token":"foxes"' "$(req POST /_analyze \
  '{"analyzer":"standard","text":"The Running Foxes"}')"
needs CommonAnalysisPlugin "analyze snowball" && check "analyze snowball" '"token":"run".*"token":"fox"' "$(req POST /_analyze \
  '{"analyzer":"snowball","text":"The Running Foxes"}')"
needs CommonAnalysisPlugin "analyze predicate_token_filter" && needs PainlessPlugin "analyze predicate_token_filter" &&
  check "analyze predicate_token_filter (painless analysis extension)" '^\{"tokens":\[\{"token":"running".*"token":"foxes"[^]]*\]\}$' \
  "$(req POST /_analyze '{"tokenizer":"whitespace","filter":["lowercase",
    {"type":"predicate_token_filter","script":{"source":"token.getTerm().length() > 3"}}],"text":"The Running Foxes are"}')"
check "has_child query (parent-join)" '"hits":' "$(req POST "/$idx/_search" \
  '{"query":{"has_child":{"type":"answer","query":{"match_all":{}}}}}')"
check "delete index" '"acknowledged":true' "$(req DELETE "/$idx")"

printf '%d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
((fail == 0))
