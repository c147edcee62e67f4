#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian machine:
# Debian packages (only those missing), Go modules. Java 17 and Maven are
# expected on the machine; OpenSearch's jars come from Maven Central when
# scripts/opensearch.sh first builds its launcher.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in openssl:openssl curl:curl jq:jq redis-server:redis-server chromium:chromium; do
  cmd=${pair%%:*} pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  echo "install-deps: installing ${need[*]}" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
for cmd in go java mvn; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "install-deps: $cmd is required but not installed" >&2; exit 1; }
done
go mod download
