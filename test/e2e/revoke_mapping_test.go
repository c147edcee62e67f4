package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestFLSStaleMappingAlias: field-level security resolves field aliases
// (and copy_to targets, multi-fields) with the index's mapping, which the
// proxy caches. A field alias added to the mapping after the proxy cached
// it pointed at the hidden field under a name the cache did not know, so
// the proxy took it for an ordinary granted field: a terms aggregation on
// it returned the hidden values for as long as the cached mapping lived
// (30 s). A mapping change made through the proxy now drops what it
// cached, so the next search sees the alias for what it is.
func TestFLSStaleMappingAlias(t *testing.T) {
	const canary = "CANARY-stale-alias-7d1f"
	f := newOneRoleProxy(t, "revmap", "  indices:\n    - names: [\"revmap-*\"]\n      privileges: [read]\n      field_security: {grant: [\"*\"], except: [secret]}\n    - names: [\"revmap-*\"]\n      privileges: [manage]\n")
	f.cleanup(nil, "revmap-1")
	f.setup("create", "PUT", "/revmap-1", `{"mappings":{"properties":{"secret":{"type":"keyword"},"pub":{"type":"keyword"}}}}`)
	f.setup("seed", "PUT", "/revmap-1/_doc/1?refresh=true", `{"secret":"`+canary+`","pub":"visible"}`)

	// The user's first search makes the proxy cache the mapping.
	if r := f.asUser("POST", "/revmap-1/_search", `{"aggs":{"v":{"terms":{"field":"pub"}}}}`); r.Status != 200 || strings.Contains(r.Body, canary) {
		t.Fatalf("first search: %d %s", r.Status, r.Body)
	}
	// The user may change the mapping (manage, granted without FLS, as
	// an index administrator's): a field alias of the hidden field, under
	// a name the FLS grant of read covers.
	if r := f.asUser("PUT", "/revmap-1/_mapping", `{"properties":{"leak":{"type":"alias","path":"secret"}}}`); r.Status != 200 {
		t.Fatalf("put mapping: %d %s", r.Status, r.Body)
	}
	if r := f.asUser("POST", "/revmap-1/_search", `{"aggs":{"v":{"terms":{"field":"leak"}}}}`); r.Status != 200 || strings.Contains(r.Body, canary) {
		t.Fatalf("the hidden field was read through an alias added after the mapping was cached: %d %s", r.Status, r.Body)
	}
	for _, query := range []string{`{"term":{"leak":"` + canary + `"}}`, `{"exists":{"field":"leak"}}`} {
		r := f.asUser("POST", "/revmap-1/_search", `{"query":`+query+`}`)
		if r.Status != 200 || !strings.Contains(r.Body, `"total":{"value":0`) {
			t.Fatalf("the alias of the hidden field answered a query on it: %s -> %d %s", query, r.Status, r.Body)
		}
	}
}

// TestFLSMappingChangedOnAnotherReplica: replicas share the cluster, not
// their mapping caches. A field alias of the hidden field added through
// replica A was unknown to replica B until its cached mapping expired (30
// s by default; here an hour), and B answered aggregations on the alias
// with the hidden values. B now also follows each index's mapping version,
// which its periodic metadata refresh reads, and sees the alias within a
// refresh.
func TestFLSMappingChangedOnAnotherReplica(t *testing.T) {
	const canary = "CANARY-replica-alias-52ce"
	cluster := openSearchURL(t)
	o, su := superuserOpts(t, cluster)
	o.Users += "revrep:" + su.Password + "\n"
	o.UsersRoles += "e2e_revrep:revrep\n"
	o.Roles = "e2e_revrep:\n  indices:\n    - names: [\"revrep-*\"]\n      privileges: [read]\n      field_security: {grant: [\"*\"], except: [secret]}\n"
	longCache := func(string) string { return "  dls_fls:\n    mapping_ttl: 1h\n" }
	a, b := startProxyWith(t, o, longCache), startProxyWith(t, o, longCache)
	a.waitReady()
	b.waitReady()
	ca, cb := a.client(nil), b.client(nil)
	json := map[string]string{"Content-Type": "application/json"}
	admin := func(method, path, body string) {
		t.Helper()
		if r := do(t, ca, method, a.URL+path, su.Name, su.Password, strings.NewReader(body), json); r.Status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { dropIndices(t, ca, cluster, "revrep-1") })
	admin("PUT", "/revrep-1", `{"mappings":{"properties":{"secret":{"type":"keyword"},"pub":{"type":"keyword"}}}}`)
	admin("PUT", "/revrep-1/_doc/1?refresh=true", `{"secret":"`+canary+`","pub":"visible"}`)
	onB := func(field string) result {
		t.Helper()
		return do(t, cb, "POST", b.URL+"/revrep-1/_search", "revrep", su.Password, strings.NewReader(`{"aggs":{"v":{"terms":{"field":"`+field+`"}}}}`), json)
	}
	if r := onB("pub"); r.Status != 200 || strings.Contains(r.Body, canary) || !strings.Contains(r.Body, "visible") {
		t.Fatalf("first search on B: %d %s", r.Status, r.Body)
	}
	admin("PUT", "/revrep-1/_mapping", `{"properties":{"leak":{"type":"alias","path":"secret"}}}`)
	if !eventually(60*time.Second, func() bool {
		r := onB("leak")
		return r.Status == 200 && !strings.Contains(r.Body, canary)
	}) {
		t.Fatalf("replica B kept answering with the mapping it cached before the alias was added: %s", onB("leak").Body)
	}
}
