// Package e2e runs the real proxy binary against real components: an
// OpenSearch node started by scripts/opensearch.sh (E2E_OPENSEARCH_URL),
// local Go upstreams where a test must see exactly what reaches the cluster,
// and real TLS clients. scripts/e2e.sh sets everything up; without
// E2E_OPENSEARCH_URL the tests that need the cluster are skipped, unless
// E2E_REQUIRED=1, when they fail.
package e2e
