package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestSecurityQueryAPIKeys: POST/GET /_security/_query/api_key through the
// real binary. alice (manage_own_api_key) sees only her own keys whatever
// the body (as GET with a body, as ?source=, with typed_keys, with
// aggregations over every field); bob's key carries canaries in its name
// and metadata that must never appear in her answers; an aggregation
// whose buckets multiply by her own key's metadata leaves is refused with
// Elasticsearch's too_many_buckets_exception (it used to pin the proxy's
// CPU and memory: the client timed out), and the proxy keeps answering.
// The proxy answers these itself, so the test does not depend on the
// backend.
func TestSecurityQueryAPIKeys(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	o.Users += "alice:" + su.Password + "\nbob:" + su.Password + "\nsam:" + su.Password + "\n"
	o.UsersRoles += "e2e_sq_own:alice,bob\ne2e_sq_read:sam\n"
	o.Roles = "e2e_sq_own:\n  cluster: [manage_own_api_key]\ne2e_sq_read:\n  cluster: [read_security]\n"
	p := startProxyWith(t, o, func(string) string { return "  api_keys:\n    file: api_keys.json\n" })
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	call := func(user, method, path, body string) result {
		t.Helper()
		if body == "" {
			return do(t, c, method, p.URL+path, user, su.Password, nil, hj)
		}
		return do(t, c, method, p.URL+path, user, su.Password, strings.NewReader(body), hj)
	}
	const canary = "CANARY-SQ-BOB"
	var leaves []string
	for i := range 30 {
		leaves = append(leaves, fmt.Sprintf(`"k%d":"v%d"`, i, i))
	}
	for _, k := range []struct{ user, body string }{
		{"alice", `{"name":"alice-wide","metadata":{` + strings.Join(leaves, ",") + `}}`},
		{"bob", `{"name":"` + canary + `-name","metadata":{"env":"prod","secret":"` + canary + `-meta","k0":"v0"}}`},
	} {
		if r := call(k.user, "POST", "/_security/api_key", k.body); r.Status != 200 {
			t.Fatalf("%s creating a key: %d %s", k.user, r.Status, r.Body)
		}
	}

	bodies := []string{
		``,
		`{"query":{"term":{"username":"bob"}}}`,
		`{"query":{"simple_query_string":{"query":"CANARY*"}}}`,
		`{"query":{"wildcard":{"metadata":"*CANARY*"}}}`,
		`{"query":{"bool":{"should":[{"prefix":{"name":"CANARY"}},{"term":{"metadata.env":"prod"}}]}}}`,
		`{"size":0,"aggs":{"u":{"terms":{"field":"username","size":100}},"n":{"terms":{"field":"name"}},"m":{"terms":{"field":"metadata","size":1000}},"r":{"cardinality":{"field":"realm_name"}},"v":{"value_count":{"field":"metadata"}},"f":{"filters":{"filters":{"other":{"term":{"username":"bob"}}}}}}}`,
		`{"sort":[{"name":"desc"}],"search_after":["~"]}`,
	}
	for _, body := range bodies {
		answers := []result{
			call("alice", "POST", "/_security/_query/api_key?typed_keys=true", body),
			call("alice", "GET", "/_security/_query/api_key", body),
		}
		if body != "" {
			answers = append(answers, call("alice", "GET", "/_security/_query/api_key?source_content_type=application/json&source="+url.QueryEscape(body), ""))
		}
		for _, r := range answers {
			if r.Status != 200 {
				t.Fatalf("alice's query %s: %d %s", body, r.Status, r.Body)
			}
			if strings.Contains(r.Body, canary) || strings.Contains(r.Body, `"bob"`) || strings.Contains(r.Body, `"doc_count":2`) {
				t.Fatalf("alice's query %s shows bob's key: %s", body, r.Body)
			}
		}
	}
	// Positive control: read_security sees bob's key.
	if r := call("sam", "POST", "/_security/_query/api_key", `{"query":{"term":{"username":"bob"}}}`); r.Status != 200 || !strings.Contains(r.Body, canary) {
		t.Fatalf("sam (read_security) on bob's key: %d %s", r.Status, r.Body)
	}

	agg := `{"terms":{"field":"metadata","size":1000}}`
	for range 7 {
		agg = `{"terms":{"field":"metadata","size":1000},"aggs":{"a":` + agg + `}}`
	}
	r := call("alice", "POST", "/_security/_query/api_key", `{"size":0,"aggs":{"a":`+agg+`}}`)
	if r.Status != 400 || !strings.Contains(r.Body, `"type":"too_many_buckets_exception"`) {
		t.Fatalf("nested terms over 30 leaves, 8 deep: %d %.300s", r.Status, r.Body)
	}
	r = call("alice", "POST", "/_security/_query/api_key", `{"query":{"bool":{"should":[`+strings.TrimSuffix(strings.Repeat(`{"term":{"name":"x"}},`, 5000), ",")+`]}}}`)
	if r.Status != 400 || !strings.Contains(r.Body, `"type":"too_many_nested_clauses"`) {
		t.Fatalf("5000 should clauses: %d %.300s", r.Status, r.Body)
	}
	if r := call("alice", "POST", "/_security/_query/api_key", `{"query":{"term":{"metadata.k29":"v29"}}}`); r.Status != 200 || !strings.Contains(r.Body, `"total":1`) {
		t.Fatalf("the proxy after the refusals: %d %s", r.Status, r.Body)
	}
}
