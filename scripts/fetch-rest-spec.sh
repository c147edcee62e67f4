#!/usr/bin/env bash
# Fetch the REST API specifications (rest-api-spec/api/*.json) of the backends Portcullis
# classifies, from Maven Central with `mvn dependency:copy`, and unpack them into a cache
# directory (never into the repository). Also extracts, when the server jars are in the
# local Maven repository (scripts/opensearch.sh / elasticsearch.sh put them there), the
# routes the RestHandlers really register, for the endpoints the specs do not describe.
#
#   scripts/fetch-rest-spec.sh            fetch into $REST_SPEC_DIR (default ~/.cache/portcullis/rest-api-spec)
#   REST_SPEC_DIR=... go test ./internal/esapi -run TestSpecCoverage -v
#
# What Maven Central serves (checked with a version-range resolution, see below):
#   org.opensearch:rest-api-spec      2.19.0 is the only 2.19.x (then 3.0.0-alpha1, 3.0.0, 3.1.0);
#                                     our backend is 2.19.6, whose extra routes come from its jar.
#   org.elasticsearch:rest-api-spec   7.x up to 7.10.2 (no 7.11+, no 8.x), then 9.1.3 ... 9.5.3.
#                                     7.10.2 stands for 7.17 (plus the 7.17.29 jar's routes);
#                                     9.x stands for 8.x (a superset of the 8.19 APIs).
# Environment:
#   REST_SPEC_DIR        output directory (default ~/.cache/portcullis/rest-api-spec)
#   OPENSEARCH_SPEC      default 2.19.0     ELASTICSEARCH_SPECS   default "7.10.2 9.1.5 9.5.3"
#   M2_REPO, MAVEN_ARGS  as for the other scripts
set -euo pipefail

out=${REST_SPEC_DIR:-$HOME/.cache/portcullis/rest-api-spec}
os_spec=${OPENSEARCH_SPEC:-2.19.0}
es_specs=${ELASTICSEARCH_SPECS:-7.10.2 9.1.5 9.5.3}
dep_plugin=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
mvn_args=(-B -q)
[[ -n ${M2_REPO:-} ]] && mvn_args+=("-Dmaven.repo.local=$M2_REPO")
# shellcheck disable=SC2206
[[ -n ${MAVEN_ARGS:-} ]] && mvn_args+=($MAVEN_ARGS)

log() { printf 'fetch-rest-spec: %s\n' "$*" >&2; }
command -v mvn >/dev/null || { log "mvn not found"; exit 1; }
command -v unzip >/dev/null || { log "unzip not found"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# list_versions GROUP ARTIFACT RANGE: resolve a version range once so Maven downloads the
# artifact's maven-metadata.xml, then print the versions it lists (how the table above was made).
list_versions() {
  local g=$1 a=$2 range=$3 repo
  mkdir -p "$work/range" && cat >"$work/range/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>portcullis</groupId><artifactId>range</artifactId><version>1</version>
<dependencies><dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$range</version></dependency></dependencies>
</project>
POM
  (cd "$work/range" && mvn "${mvn_args[@]}" -U "$dep_plugin:list" >/dev/null 2>&1) || true
  repo=${M2_REPO:-$HOME/.m2/repository}
  cat "$repo/${g//.//}/$a"/maven-metadata*.xml 2>/dev/null | grep -o '<version>[^<]*' | sed 's/<version>//' | sort -uV | tr '\n' ' '
  echo
}

# fetch LABEL GROUP ARTIFACT VERSION: copy the jar and unpack rest-api-spec/api/*.json into $out/LABEL.
fetch() {
  local label=$1 g=$2 a=$3 v=$4
  if [[ -f $out/$label/SOURCE && $(cat "$out/$label/SOURCE") == "$g:$a:$v" ]]; then
    log "$g:$a:$v already in $out/$label"; return 0
  fi
  log "$g:$a:$v -> $out/$label"
  if ! mvn "${mvn_args[@]}" "$dep_plugin:copy" "-Dartifact=$g:$a:$v" "-DoutputDirectory=$work/jars" >"$work/mvn.log" 2>&1; then
    log "not available: $g:$a:$v"; tail -3 "$work/mvn.log" >&2; return 1
  fi
  rm -rf "${out:?}/$label" && mkdir -p "$out/$label"
  unzip -q -o "$work/jars/$a-$v.jar" 'rest-api-spec/api/*' -d "$out/$label"
  printf '%s\n' "$g:$a:$v" >"$out/$label/SOURCE"
  log "$(find "$out/$label" -name '*.json' | wc -l) API files"
}

if [[ ${LIST_VERSIONS:-0} == 1 ]]; then
  log "org.opensearch:rest-api-spec: $(list_versions org.opensearch rest-api-spec '[2.0.0,4.0.0)')"
  log "org.elasticsearch:rest-api-spec: $(list_versions org.elasticsearch rest-api-spec '[7.0.0,10.0.0)')"
fi

status=0
fetch "opensearch-$os_spec" org.opensearch rest-api-spec "$os_spec" || status=1
for v in $es_specs; do
  fetch "elasticsearch-$v" org.elasticsearch rest-api-spec "$v" || status=1
done

# Routes registered by the server jars (METHOD PATH per line), read from the bytecode of the
# RestHandlers' routes(): a Method constant followed by a path literal. Only when javap exists
# and the jars are already in the local repository (fetched by the launchers' builds).
extract_routes() {
  local jar=$1 dest=$2 dir
  [[ -f $jar ]] || return 0
  command -v javap >/dev/null || return 0
  dir="$work/classes-$(basename "$jar" .jar)"
  mkdir -p "$dir" && unzip -q -o "$jar" -d "$dir"
  (cd "$dir" && find . -name '*.class' -path '*rest*' | sed 's#^\./##; s#\.class$##; s#/#.#g' |
    xargs -n 200 javap -c -p -cp . 2>/dev/null |
    awk '/RestRequest\$Method\.[A-Z]+:/ { match($0,/Method\.[A-Z]+:/); m=substr($0,RSTART+7,RLENGTH-8) }
         /\/\/ String \// { s=$0; sub(/.*\/\/ String /,"",s); if (m!="") { print m, s; m="" } }') |
    grep -E ' /(_|\{|favicon|$)' | sort -u >"$dest"
  log "$(wc -l <"$dest") routes from $(basename "$jar") -> $dest"
}
repo=${M2_REPO:-$HOME/.m2/repository}
mkdir -p "$out/jar-routes"
extract_routes "$repo/org/opensearch/opensearch/2.19.6/opensearch-2.19.6.jar" "$out/jar-routes/opensearch-2.19.6.txt"
extract_routes "$repo/org/elasticsearch/elasticsearch/7.17.29/elasticsearch-7.17.29.jar" "$out/jar-routes/elasticsearch-7.17.29.txt"
exit $status
