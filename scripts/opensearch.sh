#!/usr/bin/env bash
# Real single-node OpenSearch 2.19 for Portcullis tests, run in-process in one JVM from
# Maven Central jars (launcher: test/opensearch/). No download of a distribution.
#
#   scripts/opensearch.sh start    build launcher if needed, start, wait for yellow/green, print URL
#   scripts/opensearch.sh stop     SIGTERM the node from the pid file (SIGKILL after 30 s)
#   scripts/opensearch.sh status   print running/stopped; exit 0 if running, 1 if not
#
# Environment:
#   OPENSEARCH_PORT            HTTP port (default 9201)
#   OPENSEARCH_TRANSPORT_PORT  transport port (default OPENSEARCH_PORT + 100)
#   OPENSEARCH_HOME            data, logs, pid file (default <repo>/.run/opensearch-$OPENSEARCH_PORT)
#   OPENSEARCH_HEAP            -Xms/-Xmx (default 1g)
#   OPENSEARCH_JAVA_OPTS       extra JVM options
#   OPENSEARCH_START_TIMEOUT   seconds to wait for health (default 180)
#   OPENSEARCH_STOP_TIMEOUT    seconds between SIGTERM and SIGKILL (default 30)
#   OPENSEARCH_PLUGIN_ZIPS     zip-only plugins to add (default: the k-NN plugin, whose Maven zip
#                              carries no native libraries: only its Lucene engine works here;
#                              empty: none)
#   JAVA_HOME, M2_REPO, MAVEN_OPTS, MAVEN_ARGS   see scripts/lib-jvmnode.sh
# Logs: $OPENSEARCH_HOME/opensearch.log (node), $OPENSEARCH_HOME/stdout.log (JVM console).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
# shellcheck source=lib-jvmnode.sh source-path=SCRIPTDIR
. "$here/lib-jvmnode.sh"

NODE_LABEL=opensearch
NODE_SRC="$repo/test/opensearch"
NODE_MAIN=EmbeddedOpenSearch
NODE_PORT=${OPENSEARCH_PORT:-9201}
NODE_TPORT=${OPENSEARCH_TRANSPORT_PORT:-$((NODE_PORT + 100))}
NODE_HOME=${OPENSEARCH_HOME:-$repo/.run/opensearch-$NODE_PORT}
NODE_HEAP=${OPENSEARCH_HEAP:-1g}
NODE_JAVA_OPTS=${OPENSEARCH_JAVA_OPTS:-}
NODE_START_TIMEOUT=${OPENSEARCH_START_TIMEOUT:-180}
NODE_STOP_TIMEOUT=${OPENSEARCH_STOP_TIMEOUT:-30}
NODE_PLUGIN_ZIPS=${OPENSEARCH_PLUGIN_ZIPS-org.opensearch.plugin:opensearch-knn:2.19.1.0}

jvmnode_main "$@"
