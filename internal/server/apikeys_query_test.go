package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// TestAPIKeyQuery: the query API key API is answered from the proxy's
// store and never forwarded; manage_own_api_key sees only the caller's
// keys in the hits, the totals and the aggregations; read_security sees
// them all; Kibana's API key page requests work; refused queries say why.
func TestAPIKeyQuery(t *testing.T) {
	kt := newAPIKeyTest(t, "own:\n  cluster: [manage_own_api_key]\nreader:\n  cluster: [read_security]\nnone:\n  cluster: [monitor]\n")
	serve := kt.serve
	alice := &authn.Principal{Username: "alice", Realm: "default_file", RealmType: "file", Roles: []string{"own"}}
	bob := &authn.Principal{Username: "bob", Realm: "default_file", RealmType: "file", Roles: []string{"own"}}
	auditor := &authn.Principal{Username: "auditor", Realm: "default_file", RealmType: "file", Roles: []string{"reader"}}
	carol := &authn.Principal{Username: "carol", Realm: "default_file", RealmType: "file", Roles: []string{"none"}}

	create := func(p *authn.Principal, body string) string {
		t.Helper()
		code, out := serve(p, "POST", "/_security/api_key", body)
		var resp struct{ ID string }
		if code != 200 || json.Unmarshal([]byte(out), &resp) != nil {
			t.Fatalf("creating %s: %d %s", body, code, out)
		}
		return resp.ID
	}
	aliceKey := create(alice, `{"name":"alice-ingest","metadata":{"env":"prod"}}`)
	create(alice, `{"name":"alice-dev","metadata":{"env":"dev"},"expiration":"1d"}`)
	// Bob's key carries canaries in its name and metadata.
	bobKey := create(bob, `{"name":"CANARY-bob-key","metadata":{"env":"prod","secret":"CANARY-bob-meta"}}`)

	type answer struct {
		Total, Count int
		APIKeys      []struct {
			ID, Name string
			Sort     []any `json:"_sort"`
		} `json:"api_keys"`
		Aggregations map[string]json.RawMessage
	}
	query := func(p *authn.Principal, target, body string) (int, string, answer) {
		t.Helper()
		code, out := serve(p, "POST", target, body)
		var a answer
		if code == 200 {
			if err := json.Unmarshal([]byte(out), &a); err != nil {
				t.Fatalf("%s: %v: %s", body, err, out)
			}
		}
		return code, out, a
	}

	// Alice's own view: whatever she asks, bob's key is not in it.
	for _, body := range []string{
		``, `{}`, `{"query":{"match_all":{}},"size":100}`,
		`{"query":{"term":{"username":"bob"}}}`,
		`{"query":{"term":{"metadata.env":"prod"}}}`,
		`{"query":{"simple_query_string":{"query":"CANARY*"}}}`,
		`{"size":0,"aggs":{"u":{"terms":{"field":"username"}},"n":{"terms":{"field":"name"}},"m":{"terms":{"field":"metadata"}},"c":{"cardinality":{"field":"username"}}}}`,
	} {
		code, out, a := query(alice, "/_security/_query/api_key", body)
		if code != 200 {
			t.Fatalf("alice %s: %d %s", body, code, out)
		}
		if strings.Contains(out, "CANARY") || strings.Contains(out, bobKey) || strings.Contains(out, `"bob"`) {
			t.Errorf("alice's query %s shows bob's key: %s", body, out)
		}
		if a.Total > 2 {
			t.Errorf("alice's query %s counts %d keys; she owns 2", body, a.Total)
		}
	}
	if _, out, a := query(alice, "/_security/_query/api_key", `{"query":{"term":{"metadata.env":"prod"}}}`); a.Total != 1 || a.Count != 1 || a.APIKeys[0].ID != aliceKey {
		t.Errorf("alice's prod keys: %s", out)
	}

	// read_security sees every key; Kibana's list request (sorted, paged).
	kibanaList := `{"query":{"bool":{"must":[{"term":{"invalidated":false}},{"bool":{"must":[{"bool":{"should":[{"range":{"expiration":{"gt":"now"}}},{"bool":{"must_not":{"exists":{"field":"expiration"}}}}],"minimum_should_match":1}}]}}],"should":[],"must_not":[]}},"sort":[{"creation":{"order":"desc"}}],"size":25,"from":0}`
	code, out, a := query(auditor, "/_security/_query/api_key", kibanaList)
	if code != 200 || a.Total != 3 || a.Count != 3 || !strings.Contains(out, bobKey) {
		t.Fatalf("Kibana's list as read_security: %d %s", code, out)
	}
	// Newest first (keys made in the same millisecond tie).
	for i, k := range a.APIKeys {
		if len(k.Sort) != 1 || i > 0 && k.Sort[0].(float64) > a.APIKeys[i-1].Sort[0].(float64) {
			t.Fatalf("not sorted by creation, newest first: %s", out)
		}
	}
	if strings.Contains(out, `"hash"`) || strings.Contains(out, "owner_roles") {
		t.Errorf("the answer shows stored secrets: %s", out)
	}
	// Kibana's aggregation request, with its filter_path and typed names off.
	kibanaAggs := `{"size":0,"query":{"match":{"invalidated":false}},"aggs":{"usernames":{"terms":{"field":"username"}},"types":{"terms":{"field":"type"}},"expired":{"filter":{"range":{"expiration":{"lte":"now"}}}},"managed":{"filters":{"filters":{"metadataBased":{"term":{"metadata.managed":true}},"namePrefixBased":{"prefix":{"name":{"value":"Alerting: "}}}}}}}}`
	code, out, a = query(auditor, "/_security/_query/api_key?filter_path=total,aggregations.usernames.buckets.key", kibanaAggs)
	if code != 200 || a.Total != 3 || !strings.Contains(string(a.Aggregations["usernames"]), `"key":"alice"`) || !strings.Contains(string(a.Aggregations["usernames"]), `"key":"bob"`) {
		t.Fatalf("Kibana's aggregations as read_security: %d %s", code, out)
	}
	if code, out, a := query(auditor, "/_security/_query/api_key?typed_keys=true", `{"size":0,"aggs":{"u":{"terms":{"field":"username"}}}}`); code != 200 || a.Aggregations["sterms#u"] == nil {
		t.Errorf("typed_keys: %d %s", code, out)
	}

	// Refusals: no privilege, a key principal, forbidden fields, unsupported parameters.
	if code, _, _ := query(carol, "/_security/_query/api_key", `{}`); code != 403 {
		t.Errorf("carol without an API key privilege: %d, want 403", code)
	}
	asKey := &authn.Principal{Username: "alice", Realm: authn.APIKeyRealm, RealmType: authn.APIKeyRealm, Roles: []string{"own"}, APIKey: &authn.APIKeyRef{ID: aliceKey, Name: "alice-ingest"}}
	if code, _, _ := query(asKey, "/_security/_query/api_key", `{}`); code != 403 {
		t.Errorf("an API key querying keys: %d, want 403", code)
	}
	for _, tc := range []struct{ target, body, want string }{
		{"/_security/_query/api_key", `{"query":{"wildcard":{"hash":"*"}}}`, "Field [hash] is not allowed for querying or aggregation"},
		{"/_security/_query/api_key", `{"query":{"query_string":{"query":"*"}}}`, "Query type [query_string] is not supported"},
		{"/_security/_query/api_key?with_limited_by=true", `{}`, "with_limited_by"},
	} {
		code, out, _ := query(auditor, tc.target, tc.body)
		if code != 400 || !strings.Contains(out, tc.want) {
			t.Errorf("%s %s: %d %s, want 400 %q", tc.target, tc.body, code, out, tc.want)
		}
	}
	if n := kt.forwarded.Load(); n != 0 {
		t.Fatalf("%d API key requests reached the cluster", n)
	}
}
