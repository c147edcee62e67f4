#!/usr/bin/env bash
# Captures the response fixtures under testdata/captured from a real, unsecured
# OpenSearch (or Elasticsearch) node. Re-run after changing the fixture:
#
#   OPENSEARCH_PORT=9241 scripts/opensearch.sh start
#   internal/rewrite/fls/testdata/capture.sh http://127.0.0.1:9241
#   OPENSEARCH_PORT=9241 scripts/opensearch.sh stop
#
# and the same against Elasticsearch with a file name prefix:
#
#   ELASTICSEARCH_PORT=9241 scripts/elasticsearch.sh start
#   internal/rewrite/fls/testdata/capture.sh http://127.0.0.1:9241 es_
#   ELASTICSEARCH_PORT=9241 scripts/elasticsearch.sh stop
#
# Hidden fields of the test roles carry CANARY-FLS-* strings (and the number
# 987654321 for salary); the tests assert that none survives filtering.
set -euo pipefail
url=${1:?usage: capture.sh <node url> [file name prefix]}
prefix=${2:-}
out=$(cd "$(dirname "$0")" && pwd)/captured
mkdir -p "$out"

req() { # method path [body] -> body on stdout
  local m=$1 p=$2 b=${3:-}
  if [[ -n $b ]]; then
    curl -sS -X "$m" "$url$p" -H 'Content-Type: application/json' --data-binary "$b"
  else
    curl -sS -X "$m" "$url$p"
  fi
}
ndjson() { curl -sS -X POST "$url$1" -H 'Content-Type: application/x-ndjson' --data-binary "$2"; }
save() { # name method path [body]
  local name=$prefix$1; shift
  req "$@" >"$out/$name.json"
  printf '%s\n' "$name"
}

req DELETE /fls-people >/dev/null || true
req DELETE /fls-other >/dev/null || true

req PUT /fls-people '{
  "settings": {"number_of_shards": 1, "number_of_replicas": 0},
  "mappings": {
    "properties": {
      "name": {"type": "text", "fields": {"keyword": {"type": "keyword"}}, "copy_to": ["all_text"]},
      "title": {"type": "text", "fields": {"keyword": {"type": "keyword"}, "raw": {"type": "keyword"}}},
      "salary": {"type": "long", "ignore_malformed": true},
      "pay": {"type": "alias", "path": "salary"},
      "ssn": {"type": "keyword", "copy_to": "all_text"},
      "all_text": {"type": "text", "store": true},
      "bio": {"type": "text", "copy_to": "public_text", "term_vector": "with_positions_offsets"},
      "public_text": {"type": "text"},
      "customer": {"properties": {
        "name": {"type": "keyword"},
        "ssn": {"type": "keyword"},
        "address": {"properties": {"city": {"type": "keyword"}, "street": {"type": "text"}}}
      }},
      "comments": {"type": "nested", "properties": {
        "author": {"type": "keyword"},
        "text": {"type": "text"},
        "secret_note": {"type": "keyword"},
        "votes": {"type": "nested", "properties": {"voter": {"type": "keyword"}, "weight": {"type": "integer"}}}
      }},
      "bank.iban": {"type": "keyword"},
      "tags": {"type": "keyword"},
      "location": {"type": "geo_point"},
      "extra": {"type": "object", "enabled": false},
      "loose": {"type": "object", "dynamic": false, "properties": {"known": {"type": "keyword"}}},
      "suggest_name": {"type": "completion"},
      "created": {"type": "date"}
    }
  }
}' >/dev/null

req PUT /fls-other '{
  "settings": {"number_of_shards": 1, "number_of_replicas": 0},
  "mappings": {"properties": {
    "name": {"type": "keyword"},
    "ssn": {"type": "text"},
    "note": {"type": "text"},
    "tags": {"type": "keyword"}
  }}
}' >/dev/null

# Raw bodies: _source is stored as sent, so escaped keys and flat dotted keys
# come back verbatim.
req PUT '/fls-people/_doc/1?refresh=false' '{
  "name": "Alice Example", "title": "CANARY-FLS-TITLE-1a2b principal engineer",
  "salary": 987654321, "ssn": "CANARY-FLS-SSN-0001",
  "bio": "Alice writes Go", "customer": {"name": "acme", "ssn": "CANARY-FLS-CSSN-0001",
    "address": {"city": "Lyon", "street": "1 rue de la Paix"}},
  "comments": [
    {"author": "bob", "text": "nice work", "secret_note": "CANARY-FLS-NOTE-0001",
     "votes": [{"voter": "carol", "weight": 3}]},
    {"author": "dave", "text": "agreed work", "secret_note": "CANARY-FLS-NOTE-0002",
     "votes": [{"voter": "erin", "weight": 1}, {"voter": "frank", "weight": 2}]}
  ],
  "bank": {"iban": "CANARY-FLS-IBAN-0001"}, "tags": ["a", "b"],
  "location": {"lat": 45.75, "lon": 4.85},
  "extra": {"color": "blue", "hidden_code": "CANARY-FLS-EXTRA-0001"},
  "loose": {"known": "k", "unknown_secret": "CANARY-FLS-LOOSE-0001"},
  "suggest_name": {"input": ["Alice Example"]}, "created": "2024-03-01T10:00:00Z"
}' >/dev/null
req PUT '/fls-people/_doc/2?refresh=false' '{
  "name": "Bob Builder", "title": "CANARY-FLS-TITLE-2c3d builder",
  "sal\u0061ry": "CANARY-FLS-MALFORMED-0002", "ss\u006e": "CANARY-FLS-SSN-0002",
  "bio": "Bob builds work", "customer": {"name": "globex", "ssn": "CANARY-FLS-CSSN-0002"},
  "comments": [{"author": "alice", "text": "great work", "secret_note": "CANARY-FLS-NOTE-0003"}],
  "bank.iban": "CANARY-FLS-IBAN-0002", "tags": "c",
  "location": "POINT (4.85 45.75)",
  "suggest_name": "Bob Builder", "created": "2024-03-02T10:00:00Z"
}' >/dev/null
req PUT '/fls-other/_doc/o1?refresh=false' '{"name": "other work", "ssn": "CANARY-FLS-OSSN-0001", "note": "work note", "tags": ["x"]}' >/dev/null
req POST /fls-people,fls-other/_refresh >/dev/null

# Searches.
save search_full POST '/fls-people/_search?version=true&seq_no_primary_term=true' '{
  "query": {"bool": {"should": [
    {"match": {"bio": "work"}},
    {"nested": {"path": "comments", "query": {"match": {"comments.text": "work"}},
      "inner_hits": {"name": "matching_comments", "highlight": {"fields": {"comments.text": {}, "comments.secret_note": {}}},
        "fields": ["comments.author", "comments.secret_note"], "docvalue_fields": ["comments.secret_note"]}}},
    {"match_all": {}}
  ]}},
  "highlight": {"fields": {"*": {}}, "require_field_match": false},
  "fields": ["name", "title*", "ssn", "customer.*", "comments.*", "bank.iban", "tags", "location", "all_text", "public_text", "created"],
  "docvalue_fields": ["tags", "title.keyword", "ssn", "customer.ssn", "bank.iban"],
  "stored_fields": ["_source", "all_text"],
  "explain": true,
  "sort": [{"_id": "asc"}],
  "aggs": {
    "by_tag": {"terms": {"field": "tags"}, "aggs": {"top": {"top_hits": {"size": 2, "_source": true, "docvalue_fields": ["ssn"]}}}},
    "comments": {"nested": {"path": "comments"}, "aggs": {"top_comments": {"top_hits": {"size": 3}}}}
  }
}'
save search_ignored POST /fls-people/_search '{"query": {"exists": {"field": "_ignored"}}}'
save search_all_fields POST /fls-other/_search '{"fields": ["*"], "highlight": {"fields": {"*": {}}}, "query": {"match": {"note": "work"}}}'
save search_inner_multilevel POST /fls-people/_search '{
  "query": {"nested": {"path": "comments", "inner_hits": {"name": "c"},
    "query": {"nested": {"path": "comments.votes", "inner_hits": {"name": "v"}, "query": {"range": {"comments.votes.weight": {"gte": 1}}}}}}},
  "_source": true
}'
save search_multi_index POST '/fls-people,fls-other/_search' '{"query": {"match_all": {}}, "sort": [{"_index": "asc"}, {"_id": "asc"}]}'
save search_scroll POST '/fls-people/_search?scroll=1m' '{"size": 1, "sort": ["_doc"]}'
scroll_id=$(jq -r ._scroll_id "$out/search_scroll.json")
save search_scroll_next POST /_search/scroll "{\"scroll\": \"1m\", \"scroll_id\": \"$scroll_id\"}"
req DELETE /_search/scroll "{\"scroll_id\": \"$scroll_id\"}" >/dev/null
save search_suggest POST /fls-people/_search '{"size": 0, "suggest": {"names": {"prefix": "ali", "completion": {"field": "suggest_name"}}}}'
# Point in time: OpenSearch's API, or Elasticsearch's.
pit=$(req POST '/fls-people/_search/point_in_time?keep_alive=1m' | jq -r '.pit_id // empty')
if [[ -n $pit ]]; then
  save search_pit POST /_search "{\"size\": 1, \"pit\": {\"id\": \"$pit\", \"keep_alive\": \"1m\"}, \"sort\": [{\"_id\": \"asc\"}]}"
  req DELETE /_search/point_in_time "{\"pit_id\": [\"$pit\"]}" >/dev/null
else
  pit=$(req POST '/fls-people/_pit?keep_alive=1m' | jq -r '.id // empty')
  if [[ -n $pit ]]; then
    save search_pit POST /_search "{\"size\": 1, \"pit\": {\"id\": \"$pit\", \"keep_alive\": \"1m\"}, \"sort\": [{\"_shard_doc\": \"asc\"}]}"
    req DELETE /_pit "{\"id\": \"$pit\"}" >/dev/null
  fi
fi
ndjson /_msearch '{"index": "fls-people"}
{"query": {"match": {"name": "alice"}}}
{"index": "fls-other"}
{"query": {"match_all": {}}}
{"index": "fls-missing"}
{"query": {"match_all": {}}}
' >"$out/${prefix}msearch.json"; echo "${prefix}msearch"

# Documents.
save doc_get GET '/fls-people/_doc/1?stored_fields=_source,all_text'
save doc_get_escaped GET /fls-people/_doc/2
save doc_missing GET /fls-people/_doc/nope
save doc_source GET /fls-people/_source/1
save mget POST /_mget '{"docs": [{"_index": "fls-people", "_id": "1"}, {"_index": "fls-other", "_id": "o1"}, {"_index": "fls-people", "_id": "nope"}, {"_index": "fls-missing", "_id": "x"}]}'
save explain POST '/fls-people/_explain/1?_source=true&stored_fields=all_text' '{"query": {"match": {"bio": "work"}}}'
save termvectors GET '/fls-people/_termvectors/1?fields=*&term_statistics=true'
save mtermvectors POST /_mtermvectors '{"docs": [{"_index": "fls-people", "_id": "1", "fields": ["bio", "ssn", "name", "title"]}, {"_index": "fls-other", "_id": "o1", "fields": ["*"]}]}'

# Metadata.
save mapping GET /fls-people,fls-other/_mapping
save field_mapping GET '/fls-people,fls-other/_mapping/field/*'
save get_index GET /fls-people
save field_caps GET '/fls-people,fls-other/_field_caps?fields=*'
save field_caps_one GET '/fls-people/_field_caps?fields=*'

# Errors pass through.
save error_search POST /fls-missing/_search '{}'

# Elasticsearch runtime fields (7.11+); without a script a runtime field
# reads the source value of its name. A node without them answers an error
# that is simply not captured.
req DELETE /fls-runtime >/dev/null || true
if req PUT /fls-runtime '{"mappings": {"runtime": {"day": {"type": "keyword"}, "ssn_rt": {"type": "keyword"}},
    "properties": {"name": {"type": "keyword"}, "ssn": {"type": "keyword"}}}}' | grep -q '"acknowledged":true'; then
  req PUT '/fls-runtime/_doc/r1?refresh=true' '{"name": "runtime doc", "ssn": "CANARY-FLS-RSSN-0001", "ssn_rt": "CANARY-FLS-RT-0001", "day": "monday"}' >/dev/null
  save mapping_runtime GET /fls-runtime/_mapping
  save search_runtime POST /fls-runtime/_search '{"fields": ["*"], "query": {"term": {"ssn_rt": "CANARY-FLS-RT-0001"}}}'
  save field_caps_runtime GET '/fls-runtime/_field_caps?fields=*'
fi
req DELETE /fls-runtime >/dev/null || true

# OpenSearch derived fields (2.15+); a node without them answers an error
# that is simply not captured.
if req PUT /fls-derived '{"mappings": {"derived": {"name_upper": {"type": "keyword", "script": {"source": "emit(params._source.name)"}}}, "properties": {"name": {"type": "keyword"}, "secret": {"type": "keyword"}}}}' | grep -q '"acknowledged":true'; then
  save mapping_derived GET /fls-derived/_mapping
fi
req DELETE /fls-derived >/dev/null || true
