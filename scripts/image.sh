#!/usr/bin/env bash
# Builds the container image from the repository's Dockerfile and checks it
# for real: the image runs, as the non-root user, a static binary, and the
# proxy inside it serves a real backend through TLS.
#
#   scripts/image.sh build            build localhost/portcullis:$IMAGE_TAG
#   scripts/image.sh check URL        build, then run the image against the
#                                     backend at URL (e.g. an OpenSearch from
#                                     scripts/opensearch.sh start)
#
# There is no Docker engine on the project's machines, so the image is built
# with buildah and run with podman (runc, cgroupfs), both daemonless (Debian
# packages, installed when missing). The network reaches only loopback and
# the package registries, so the Dockerfile's base images (golang:1.26,
# gcr.io/distroless/static-debian12:nonroot) cannot be pulled: unless they
# are already in local storage, STAND-INS are built under the same names:
#   golang:1.26  the host's Go toolchain (go env GOROOT) with busybox as /bin/sh
#   distroless   /etc/passwd and /etc/group with nonroot (65532), CA bundle, /tmp
# They hold what the Dockerfile relies on and nothing more; the Dockerfile
# itself is built unchanged. On a machine that can pull the real bases,
# PULL_BASES=1 pulls them instead.
#
# Environment: IMAGE_TAG (default test), IMAGE_PORT (default 9280; the
# metrics listener takes IMAGE_PORT+1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tag=localhost/portcullis:${IMAGE_TAG:-test}
golang=docker.io/library/golang:1.26
distroless=gcr.io/distroless/static-debian12:nonroot

say() { echo "image: $*"; }
fail() { echo "image: FAIL: $*" >&2; exit 1; }

install_tools() {
  local missing=()
  for t in buildah podman runc; do command -v "$t" >/dev/null || missing+=("$t"); done
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v readelf >/dev/null || missing+=(binutils)
  [ ${#missing[@]} = 0 ] && return
  say "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# podman on these machines: the cgroup v1/v2 hybrid defeats crun, and
# without CAP_SYS_RESOURCE the runtime may not raise the open-files and
# process limits above the caller's.
podman_run() {
  podman --runtime runc --cgroup-manager cgroupfs run --rm --network host \
    --ulimit "nofile=$(ulimit -n):$(ulimit -Hn)" --ulimit "nproc=4096:4096" "$@"
}

have_image() { buildah inspect --type image "$1" >/dev/null 2>&1; }

standin_golang() {
  local c m
  c=$(buildah from scratch); m=$(buildah mount "$c")
  mkdir -p "$m/bin" "$m/usr/local" "$m/etc/ssl/certs" "$m/tmp" "$m/go"
  chmod 1777 "$m/tmp"
  cp /bin/busybox "$m/bin/busybox"
  for a in sh mkdir cp mv rm ls cat env; do ln -s busybox "$m/bin/$a"; done
  cp -a "$(go env GOROOT)" "$m/usr/local/go"
  cp /etc/ssl/certs/ca-certificates.crt "$m/etc/ssl/certs/"
  buildah umount "$c" >/dev/null
  buildah config --env PATH=/usr/local/go/bin:/go/bin:/bin --env GOPATH=/go --env GOTOOLCHAIN=local \
    --env "GOPROXY=$(go env GOPROXY)" --env "GOSUMDB=$(go env GOSUMDB)" --workingdir /go "$c"
  buildah commit -q --rm "$c" "$golang" >/dev/null
}

standin_distroless() {
  local c m
  c=$(buildah from scratch); m=$(buildah mount "$c")
  mkdir -p "$m/etc/ssl/certs" "$m/tmp" "$m/home/nonroot"
  chmod 1777 "$m/tmp"
  chown 65532:65532 "$m/home/nonroot"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$m/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$m/etc/group"
  cp /etc/ssl/certs/ca-certificates.crt "$m/etc/ssl/certs/"
  buildah umount "$c" >/dev/null
  buildah config --user 65532 --workingdir /home/nonroot "$c"
  buildah commit -q --rm "$c" "$distroless" >/dev/null
}

build() {
  install_tools
  if [ "${PULL_BASES:-0}" = 1 ]; then
    buildah pull -q "$golang" >/dev/null && buildah pull -q "$distroless" >/dev/null
  fi
  have_image "$golang" || { say "stand-in for $golang (see the header of this script)"; standin_golang; }
  have_image "$distroless" || { say "stand-in for $distroless (see the header of this script)"; standin_distroless; }
  local version
  version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
  say "building $tag ($version)"
  buildah bud -q --pull=never --isolation chroot --network host --layers=false \
    --build-arg "VERSION=$version" -t "$tag" . >/dev/null
  podman image prune -f >/dev/null 2>&1 || true # the previous build's image, now untagged
}

check() {
  local backend=$1 port=${IMAGE_PORT:-9280} dir got
  local mport=$((port + 1))
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' RETURN

  # The image's contract: non-root user, the binary is static (no ELF
  # interpreter: distroless/static has no libc), and it answers.
  [ "$(podman image inspect "$tag" --format '{{.Config.User}}')" = nonroot:nonroot ] || fail "image user is not nonroot:nonroot"
  podman create -q --name portcullis-image-check "$tag" >/dev/null
  podman cp portcullis-image-check:/usr/local/bin/proxy "$dir/proxy-from-image" >/dev/null
  podman rm -f portcullis-image-check >/dev/null
  if readelf -l "$dir/proxy-from-image" | grep -q 'Requesting program interpreter'; then fail "the binary in the image is dynamically linked"; fi
  got=$(podman_run "$tag" version) || fail "proxy version in the image"
  [[ $got == portcullis* ]] || fail "proxy version answered: $got"
  say "runs as nonroot, static binary: $got"

  # config.example.yaml, as shipped in the image, validates once the files
  # it names are mounted where it expects them.
  mkdir -p "$dir/etc/tls" "$dir/log"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' -keyout "$dir/etc/tls/tls.key" -out "$dir/etc/tls/tls.crt" 2>/dev/null
  local pass hash
  pass=$(openssl rand -hex 12)
  hash=$(printf '%s' "$pass" | podman_run -i "$tag" users hash) || fail "proxy users hash in the image"
  printf 'imgadmin:%s\n' "$hash" >"$dir/etc/users"
  printf 'superuser:imgadmin\n' >"$dir/etc/users_roles"
  printf 'image_check:\n  cluster: [monitor]\n' >"$dir/etc/roles.yml"
  cp config.example.yaml "$dir/etc/config.yaml"
  chmod -R a+rX "$dir/etc"; chmod 0777 "$dir/log"
  local mounts=(-v "$dir/etc/users:/etc/portcullis/users:ro" -v "$dir/etc/users_roles:/etc/portcullis/users_roles:ro"
    -v "$dir/etc/roles.yml:/etc/portcullis/roles.yml:ro" -v "$dir/etc/tls:/etc/portcullis/tls:ro" -v "$dir/log:/var/log/portcullis")
  podman_run "${mounts[@]}" "$tag" check --config /etc/portcullis/config.yaml >"$dir/check.out" 2>&1 ||
    { cat "$dir/check.out" >&2; fail "the image's config.example.yaml does not validate"; }
  say "config.example.yaml in the image validates"

  # Serve: the example config with only the listeners and the upstream
  # changed, against the real backend, through TLS.
  sed -e "s|^listen: .*|listen: \"127.0.0.1:$port\"|" \
      -e "s|^  listen: \"127.0.0.1:9464\"|  listen: \"127.0.0.1:$mport\"|" \
      -e "s|^    - \"http://127.0.0.1:9200\"|    - \"$backend\"|" config.example.yaml >"$dir/etc/serve.yaml"
  grep -q "$backend" "$dir/etc/serve.yaml" && grep -q "127.0.0.1:$mport" "$dir/etc/serve.yaml" || fail "could not adapt config.example.yaml"
  chmod a+r "$dir/etc/serve.yaml"
  podman --runtime runc --cgroup-manager cgroupfs run -d --name portcullis-image-serve --network host \
    --ulimit "nofile=$(ulimit -n):$(ulimit -Hn)" --ulimit "nproc=4096:4096" "${mounts[@]}" \
    -v "$dir/etc/serve.yaml:/etc/portcullis/serve.yaml:ro" "$tag" serve --config /etc/portcullis/serve.yaml >/dev/null
  # shellcheck disable=SC2064
  trap "podman rm -f portcullis-image-serve >/dev/null 2>&1; rm -rf '$dir'" RETURN
  local ready=0
  for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$mport/readyz" >/dev/null 2>&1; then ready=1; break; fi
    sleep 0.2
  done
  [ $ready = 1 ] || { podman logs portcullis-image-serve >&2 || true; fail "the proxy in the image never became ready"; }
  local code
  code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/_cluster/health")
  [ "$code" = 401 ] || fail "unauthenticated request: $code, want 401"
  code=$(curl -sk -o "$dir/health.json" -w '%{http_code}' -u "imgadmin:$pass" "https://127.0.0.1:$port/_cluster/health")
  [ "$code" = 200 ] && grep -q '"cluster_name"' "$dir/health.json" || fail "authenticated request: $code $(cat "$dir/health.json")"
  grep -q '"event.action":"access_granted"' "$dir/log/audit.json" || fail "no access_granted event in the audit file the container wrote"
  [ "$(stat -c %u "$dir/log/audit.json")" = 65532 ] || fail "the audit file is not owned by the nonroot user"
  say "serves $backend through TLS as nonroot (401 without credentials, 200 with, audited)"
}

case ${1:-} in
  build) build ;;
  check) [ -n "${2:-}" ] || fail "usage: scripts/image.sh check BACKEND_URL"; build; check "$2" ;;
  *) echo "usage: scripts/image.sh build | check BACKEND_URL" >&2; exit 2 ;;
esac
