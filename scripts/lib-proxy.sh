# Shared by scripts that run bin/proxy in front of a backend for a test run.
# shellcheck shell=bash

# write_proxy_config DIR PORT METRICS_PORT BACKEND_URL: a TLS proxy config
# over DIR/{cert.pem,key.pem,users,users_roles,roles.yml}, audit in DIR.
write_proxy_config() {
  local dir=$1 port=$2 mport=$3 backend=$4
  cat >"$dir/config.yaml" <<YAML
listen: "127.0.0.1:$port"
tls: {cert_file: cert.pem, key_file: key.pem}
upstream:
  nodes: ["$backend"]
  health_check: {interval: 1s}
security:
  users: users
  users_roles: users_roles
  roles: roles.yml
  login_rate_limit: {max_failures: 1000, window: 1m}
audit: {file: audit.json}
metrics: {listen: "127.0.0.1:$mport"}
YAML
}
