#!/usr/bin/env bash
# Real single-node Elasticsearch for Portcullis tests, run in-process in one JVM from Maven
# Central jars (launcher: test/elasticsearch/). No download of a distribution.
#
#   scripts/elasticsearch.sh start    build launcher if needed, start, wait for yellow/green, print URL
#   scripts/elasticsearch.sh stop     SIGTERM the node from the pid file (SIGKILL after 30 s)
#   scripts/elasticsearch.sh status   print running/stopped; exit 0 if running, 1 if not
#
# Two lines (see test/elasticsearch/STATUS.md):
#   ELASTICSEARCH_LINE=7.17 (default)  Elasticsearch 7.17.29: netty4, reindex, mapper-extras,
#                                      parent-join, percolator. NO painless, NO analysis-common
#                                      (their 7.17 jars are not on Maven Central).
#   ELASTICSEARCH_LINE=7.10            Elasticsearch 7.10.2 with painless and analysis-common too.
#
# Environment:
#   ELASTICSEARCH_PORT            HTTP port (default 9202)
#   ELASTICSEARCH_TRANSPORT_PORT  transport port (default ELASTICSEARCH_PORT + 100)
#   ELASTICSEARCH_HOME            data, logs, pid file (default <repo>/.run/elasticsearch-$PORT,
#                                 or <repo>/.run/elasticsearch-7.10-$PORT for the 7.10 line)
#   ELASTICSEARCH_HEAP            -Xms/-Xmx (default 1g)
#   ELASTICSEARCH_JAVA_OPTS       extra JVM options
#   ELASTICSEARCH_START_TIMEOUT   seconds to wait for health (default 180)
#   ELASTICSEARCH_STOP_TIMEOUT    seconds between SIGTERM and SIGKILL (default 30)
#   JAVA_HOME, M2_REPO, MAVEN_OPTS, MAVEN_ARGS   see scripts/lib-jvmnode.sh
# Logs: $ELASTICSEARCH_HOME/elasticsearch.log (node), $ELASTICSEARCH_HOME/stdout.log (JVM console).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
# shellcheck source=lib-jvmnode.sh source-path=SCRIPTDIR
. "$here/lib-jvmnode.sh"

NODE_LABEL=elasticsearch
NODE_SRC="$repo/test/elasticsearch"
NODE_MAIN=EmbeddedElasticsearch
NODE_PORT=${ELASTICSEARCH_PORT:-9202}
NODE_TPORT=${ELASTICSEARCH_TRANSPORT_PORT:-$((NODE_PORT + 100))}
case "${ELASTICSEARCH_LINE:-7.17}" in
  7.17)
    NODE_TARGET="$NODE_SRC/target"
    NODE_MVN_ARGS=
    NODE_HOME=${ELASTICSEARCH_HOME:-$repo/.run/elasticsearch-$NODE_PORT}
    ;;
  7.10)
    NODE_TARGET="$NODE_SRC/target/es-7.10"
    NODE_MVN_ARGS=-Pes-7.10
    NODE_HOME=${ELASTICSEARCH_HOME:-$repo/.run/elasticsearch-7.10-$NODE_PORT}
    ;;
  *)
    printf 'elasticsearch: ELASTICSEARCH_LINE must be 7.17 or 7.10, not %s\n' "$ELASTICSEARCH_LINE" >&2
    exit 2
    ;;
esac
NODE_HEAP=${ELASTICSEARCH_HEAP:-1g}
NODE_JAVA_OPTS=${ELASTICSEARCH_JAVA_OPTS:-}
NODE_START_TIMEOUT=${ELASTICSEARCH_START_TIMEOUT:-180}
NODE_STOP_TIMEOUT=${ELASTICSEARCH_STOP_TIMEOUT:-30}

jvmnode_main "$@"
