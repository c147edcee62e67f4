#!/usr/bin/env bash
# End-to-end tests of Portcullis with the official client libraries
# (test/clients/): starts bin/proxy over TLS in front of a real backend, with a
# superuser and a user without privileges on the test indices, and runs
#   python  opensearch-py + elasticsearch-py 7.13  (pytest, venv in .run/clients-venv)
#   js      @opensearch-project/opensearch + @elastic/elasticsearch 7.13  (node --test)
#   go      opensearch-go/v4  (go test, separate module test/clients/go)
# Clients verify the proxy's certificate against the generated CA file and use
# HTTP Basic. Exits non-zero if any suite fails.
#
# Usage: BACKEND_URL=http://127.0.0.1:9201 scripts/clients.sh [python] [js] [go]
# Environment: CLIENTS_SUITES (default "python js go"), CLIENTS_VERBOSE=1 (print full output).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib-proxy.sh
. scripts/lib-proxy.sh
: "${BACKEND_URL:?set BACKEND_URL to the backend (e.g. from scripts/opensearch.sh start)}"
suites=${*:-${CLIENTS_SUITES:-python js go}}
start=$SECONDS

apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
for tool in curl openssl python3; do command -v "$tool" >/dev/null || apt_install "$tool"; done

# The proxy under test: built when missing, rebuilt when older than its sources
# (if that rebuild fails, say so loudly and test the binary there is: `make e2e`
# builds first and fails on a broken build anyway).
if [ ! -x bin/proxy ]; then
  make -s build
elif [ -n "$(find cmd internal go.mod go.sum -newer bin/proxy -print -quit)" ]; then
  make -s build || echo "clients: WARNING: rebuilding bin/proxy failed; testing the existing, older bin/proxy" >&2
fi

run=$(mktemp -d)
proxy_pid=
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid" 2>/dev/null || true; wait "$proxy_pid" 2>/dev/null || true; fi
  rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- certificates: a CA and a server certificate for 127.0.0.1/localhost signed by it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=Portcullis clients test CA' \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
  -keyout "$run/ca-key.pem" -out "$run/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
  -keyout "$run/key.pem" -out "$run/server.csr" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$run/server.ext"
openssl x509 -req -in "$run/server.csr" -CA "$run/ca.pem" -CAkey "$run/ca-key.pem" -CAcreateserial -days 2 \
  -extfile "$run/server.ext" -out "$run/cert.pem" 2>/dev/null

# --- users (fresh random passwords, hashed by the proxy's own CLI), roles.
admin_user=clients_admin reader_user=clients_reader
admin_pass=$(openssl rand -hex 16) reader_pass=$(openssl rand -hex 16)
{
  echo "$admin_user:$(printf '%s\n' "$admin_pass" | bin/proxy users hash)"
  echo "$reader_user:$(printf '%s\n' "$reader_pass" | bin/proxy users hash)"
} >"$run/users"
cat >"$run/users_roles" <<EOF
superuser:$admin_user
clients_public_reader:$reader_user
EOF
# The reader may read only public-*; the suites' indices are clients-*.
cat >"$run/roles.yml" <<'YAML'
clients_public_reader:
  cluster: [ ]
  indices:
    - names: [ 'public-*' ]
      privileges: [ 'read' ]
YAML

ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
read -r port mport <<<"$ports"
write_proxy_config "$run" "$port" "$mport" "$BACKEND_URL"

# --- client dependencies, cached: reinstalled only when the pinned lists change.
venv=.run/clients-venv
py_stamp=$(sha256sum test/clients/python/requirements.txt | cut -c1-64)
t0=$SECONDS
if [ "$(cat "$venv/.portcullis-stamp" 2>/dev/null)" != "$py_stamp" ] && [[ " $suites " == *" python "* ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv" 2>/dev/null || {
    rm -rf "$venv"
    apt_install "python3-venv" || apt_install "python$(python3 -c 'import sys;print("%d.%d"%sys.version_info[:2])')-venv"
    python3 -m venv "$venv"
  }
  "$venv/bin/pip" install -q --disable-pip-version-check -r test/clients/python/requirements.txt
  echo "$py_stamp" >"$venv/.portcullis-stamp"
  echo "clients: installed the Python clients into $venv ($((SECONDS - t0))s)"
fi
js=test/clients/js
js_stamp=$(sha256sum "$js/package-lock.json" | cut -c1-64)
t0=$SECONDS
if [ "$(cat "$js/node_modules/.portcullis-stamp" 2>/dev/null)" != "$js_stamp" ] && [[ " $suites " == *" js "* ]]; then
  command -v npm >/dev/null || apt_install nodejs npm
  (cd "$js" && npm ci --silent --no-audit --no-fund)
  echo "$js_stamp" >"$js/node_modules/.portcullis-stamp"
  echo "clients: installed the JavaScript clients into $js/node_modules ($((SECONDS - t0))s)"
fi

# --- the proxy.
bin/proxy serve --config "$run/config.yaml" >"$run/proxy.log" 2>&1 &
proxy_pid=$!
ready=
for _ in $(seq 1 150); do
  if curl -sf "http://127.0.0.1:$mport/readyz" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$proxy_pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "clients: the proxy did not become ready"; cat "$run/proxy.log"; exit 1
fi

export PROXY_URL="https://127.0.0.1:$port" PROXY_CA_FILE="$run/ca.pem" \
  ADMIN_USER="$admin_user" ADMIN_PASSWORD="$admin_pass" READER_USER="$reader_user" READER_PASSWORD="$reader_pass" \
  CLIENTS_RUN_ID="$$-$RANDOM"

# --- the suites. Each prints its runner's summary; counts add up into the last line.
passed=0 failed=0 rc=0
for s in $suites; do
  t0=$SECONDS
  log="$run/$s.log"
  set +e
  case $s in
    python) PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest -p no:cacheprovider -q -rfE test/clients/python >"$log" 2>&1 ;;
    js) (cd "$js" && node --test --test-reporter=spec test/ >"$log" 2>&1) ;;
    go) (cd test/clients/go && go test -count=1 -v ./... >"$log" 2>&1) ;;
    *) echo "unknown suite $s" >"$log"; false ;;
  esac
  src=$?
  set -e
  case $s in
    python)
      summary=$(grep -E '^=*[ ]*[0-9]+ (passed|failed)|(passed|failed|error)[^ ]* in [0-9.]+s' "$log" | tail -1 | tr -d '=' | sed 's/^ *//;s/ *$//')
      p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
      f=$(($(grep -oE '[0-9]+ (failed|error)' <<<"$summary" | grep -oE '[0-9]+' | paste -sd+ - || true)+0)) ;;
    js)
      p=$(sed -nE 's/^ℹ pass ([0-9]+)$/\1/p' "$log" | tail -1); p=${p:-0}
      f=$(sed -nE 's/^ℹ fail ([0-9]+)$/\1/p' "$log" | tail -1); f=${f:-0}
      summary="node --test: pass $p, fail $f" ;;
    go)
      p=$(grep -cE '^\s*--- PASS' "$log" || true)
      f=$(grep -cE '^\s*--- FAIL' "$log" || true)
      summary="go test: $(grep -E '^(ok|FAIL|---)\s' "$log" | grep -vE '^\s*--- (PASS|SKIP)' | tail -1) ($p passed, $f failed incl. subtests)" ;;
    *) p=0 f=1 summary="unknown suite" ;;
  esac
  if [ "$src" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)) failed=$((failed + f))
  if [ "$src" -ne 0 ] || [ "${CLIENTS_VERBOSE:-0}" = 1 ]; then cat "$log"; fi
  if [ "$src" -eq 0 ]; then status=PASS; else status=FAIL; rc=1; fi
  printf 'clients %-6s %s  %s  (%ds)\n' "$s" "$status" "$summary" $((SECONDS - t0))
done
if [ "$rc" -ne 0 ]; then echo "--- proxy log (tail)"; tail -n 30 "$run/proxy.log"; fi
echo "clients ($((SECONDS - start))s): $passed passed, $failed failed"
exit $rc
