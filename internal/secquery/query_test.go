package secquery

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// queryTestNow is "now" for the query tests: 2026-03-10T12:00:00Z.
var queryTestNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func ms(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

// testSchema is the query API key API's (apikey.QuerySchema), repeated
// here so that the engine's tests do not depend on the key store.
func testSchema() *Schema {
	return &Schema{Noun: "API Key", Fields: map[string]Kind{
		"name": Keyword, "type": Keyword, "username": Keyword, "realm_name": Keyword,
		"creation": Date, "expiration": Date, "invalidated": Bool, "invalidation": Date,
	}, Flattened: []string{"metadata"}}
}

// testKey is the part of an API key the queries see.
type testKey struct {
	ID, Name, Username, Realm string
	Creation, Expiration      int64
	Invalidated               bool
	Invalidation              int64
	Metadata                  map[string]any
}

func (k testKey) doc() Doc {
	d := Doc{ID: k.ID, Values: map[string][]any{"name": {k.Name}, "type": {"rest"}, "username": {k.Username},
		"realm_name": {k.Realm}, "creation": {k.Creation}, "invalidated": {k.Invalidated}}}
	if k.Expiration != 0 {
		d.Values["expiration"] = []any{k.Expiration}
	}
	if k.Invalidation != 0 {
		d.Values["invalidation"] = []any{k.Invalidation}
	}
	d.AddFlattened("metadata", k.Metadata)
	return d
}

// queryTestKeys: k1 alice's active key, k2 alice's expired one, k3 bob's
// invalidated key, k4 a managed alerting key of carol in another realm.
func queryTestKeys() []Doc {
	var docs []Doc
	for _, k := range []testKey{
		{ID: "k1", Name: "ingest-prod", Username: "alice", Realm: "file1", Creation: ms("2026-03-01T00:00:00Z"), Expiration: ms("2026-04-01T00:00:00Z"),
			Metadata: map[string]any{"env": "prod", "tags": []any{"a", "b"}, "team": map[string]any{"name": "ops"}}},
		{ID: "k2", Name: "ingest-dev", Username: "alice", Realm: "file1", Creation: ms("2026-02-01T00:00:00Z"), Expiration: ms("2026-03-09T00:00:00Z"),
			Metadata: map[string]any{"env": "dev"}},
		{ID: "k3", Name: "Backup", Username: "bob", Realm: "file1", Creation: ms("2026-03-10T08:00:00Z"), Invalidated: true, Invalidation: ms("2026-03-10T09:00:00Z")},
		{ID: "k4", Name: "Alerting: .es-query/rule", Username: "carol", Realm: "oidc1", Creation: ms("2025-12-31T23:00:00Z"),
			Metadata: map[string]any{"managed": true}},
	} {
		docs = append(docs, k.doc())
	}
	return docs
}

func TestQuerySelectsKeys(t *testing.T) {
	tests := []struct {
		name, query string
		want        []string
	}{
		{"match_all", `{"match_all":{}}`, []string{"k1", "k2", "k3", "k4"}},
		{"term shorthand", `{"term":{"username":"alice"}}`, []string{"k1", "k2"}},
		{"term object, case-sensitive", `{"term":{"name":{"value":"backup"}}}`, nil},
		{"term case_insensitive", `{"term":{"name":{"value":"backup","case_insensitive":true}}}`, []string{"k3"}},
		{"term on a boolean", `{"term":{"invalidated":false}}`, []string{"k1", "k2", "k4"}},
		{"match on a boolean (Kibana)", `{"match":{"invalidated":false}}`, []string{"k1", "k2", "k4"}},
		{"terms", `{"terms":{"username":["bob","carol"]}}`, []string{"k3", "k4"}},
		{"realm_name", `{"term":{"realm_name":"oidc1"}}`, []string{"k4"}},
		{"type", `{"term":{"type":"rest"}}`, []string{"k1", "k2", "k3", "k4"}},
		{"ids", `{"ids":{"values":["k2","k4","nope"]}}`, []string{"k2", "k4"}},
		{"prefix (Kibana's alerting filter)", `{"prefix":{"name":{"value":"Alerting: "}}}`, []string{"k4"}},
		{"wildcard", `{"wildcard":{"name":"ingest-*"}}`, []string{"k1", "k2"}},
		{"wildcard ?", `{"wildcard":{"name":{"value":"ingest-?ev"}}}`, []string{"k2"}},
		{"wildcard escape", `{"wildcard":{"name":"Alerting\\: *"}}`, []string{"k4"}},
		{"exists expiration", `{"exists":{"field":"expiration"}}`, []string{"k1", "k2"}},
		{"exists invalidation", `{"exists":{"field":"invalidation"}}`, []string{"k3"}},
		{"metadata leaf", `{"term":{"metadata.env":"prod"}}`, []string{"k1"}},
		{"metadata array", `{"term":{"metadata.tags":"b"}}`, []string{"k1"}},
		{"metadata nested", `{"term":{"metadata.team.name":"ops"}}`, []string{"k1"}},
		{"metadata root matches any leaf", `{"term":{"metadata":"dev"}}`, []string{"k2"}},
		{"metadata boolean (Kibana's managed filter)", `{"term":{"metadata.managed":true}}`, []string{"k4"}},
		{"expired (Kibana)", `{"range":{"expiration":{"lte":"now"}}}`, []string{"k2"}},
		{"range epoch millis", `{"range":{"creation":{"gte":` + jsonInt(ms("2026-03-01T00:00:00Z")) + `}}}`, []string{"k1", "k3"}},
		{"range ISO date", `{"range":{"creation":{"lt":"2026-02-15"}}}`, []string{"k2", "k4"}},
		{"range date math rounding gt rounds up", `{"range":{"creation":{"gt":"now/d"}}}`, nil},
		{"range date math", `{"range":{"creation":{"gt":"now-1d/d"}}}`, []string{"k3"}},
		{"range date math rounding gte", `{"range":{"creation":{"gte":"now/d"}}}`, []string{"k3"}},
		{"range anchored math", `{"range":{"creation":{"gte":"2026-02-28||+1d"}}}`, []string{"k1", "k3"}},
		{"range on keyword", `{"range":{"username":{"gt":"alice"}}}`, []string{"k3", "k4"}},
		{"range from/to", `{"range":{"creation":{"from":"2026-02-01","to":"2026-03-01","include_upper":false}}}`, []string{"k2"}},
		{"bool must/must_not", `{"bool":{"must":[{"term":{"username":"alice"}}],"must_not":{"term":{"metadata.env":"dev"}}}}`, []string{"k1"}},
		{"bool should alone needs one", `{"bool":{"should":[{"term":{"username":"bob"}},{"term":{"username":"carol"}}]}}`, []string{"k3", "k4"}},
		{"bool should beside filter is optional", `{"bool":{"filter":{"term":{"username":"alice"}},"should":{"term":{"username":"bob"}}}}`, []string{"k1", "k2"}},
		{"bool minimum_should_match", `{"bool":{"filter":{"term":{"username":"alice"}},"should":[{"term":{"metadata.env":"prod"}},{"term":{"name":"x"}}],"minimum_should_match":1}}`, []string{"k1"}},
		{"Kibana active keys", `{"bool":{"must":[{"bool":{"should":[{"range":{"expiration":{"gt":"now"}}},{"bool":{"must_not":{"exists":{"field":"expiration"}}}}],"minimum_should_match":1}}]}}`, []string{"k1", "k3", "k4"}},
		{"simple_query_string all fields", `{"simple_query_string":{"query":"alice"}}`, []string{"k1", "k2"}},
		{"simple_query_string prefix", `{"simple_query_string":{"query":"ingest*"}}`, []string{"k1", "k2"}},
		{"simple_query_string negation", `{"simple_query_string":{"query":"ingest* -ingest-dev"}}`, []string{"k1"}},
		{"simple_query_string or", `{"simple_query_string":{"query":"bob carol"}}`, []string{"k3", "k4"}},
		{"simple_query_string and", `{"simple_query_string":{"query":"alice prod","default_operator":"and"}}`, []string{"k1"}},
		{"simple_query_string phrase", `{"simple_query_string":{"query":"\"Alerting: .es-query/rule\""}}`, []string{"k4"}},
		{"simple_query_string fields", `{"simple_query_string":{"query":"alice","fields":["name^2"]}}`, nil},
		{"simple_query_string disallowed fields match nothing", `{"simple_query_string":{"query":"k1","fields":["hash","owner*"]}}`, nil},
		{"simple_query_string pattern", `{"simple_query_string":{"query":"bob","fields":["user*"]}}`, []string{"k3"}},
		{"simple_query_string pattern matches the flattened root", `{"simple_query_string":{"query":"ops","fields":["meta*"]}}`, []string{"k1"}},
		{"simple_query_string never searches the id", `{"simple_query_string":{"query":"k1"}}`, nil},
	}
	keys := queryTestKeys()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSearch(testSchema(), []byte(`{"query":`+tt.query+`,"size":100}`), queryTestNow)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range mustRun(t, s, keys, false).Hits {
				got = append(got, keys[h.Index].ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestQueryRefusesWhatElasticsearchRefuses: fields outside the public ones
// (the hash, the owner's roles, the role descriptors) and query types the
// API does not allow are errors, never ignored.
func TestQueryRefusesWhatElasticsearchRefuses(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"the hash", `{"query":{"term":{"hash":"x"}}}`, "Field [hash] is not allowed"},
		{"owner roles", `{"query":{"exists":{"field":"owner_roles"}}}`, "Field [owner_roles] is not allowed"},
		{"role descriptors", `{"query":{"wildcard":{"role_descriptors":"*"}}}`, "Field [role_descriptors] is not allowed"},
		{"id outside ids", `{"query":{"term":{"id":"k1"}}}`, "Field [id] is not allowed"},
		{"field pattern", `{"query":{"exists":{"field":"meta*"}}}`, "Field name pattern [meta*] is not allowed"},
		{"sort on the hash", `{"sort":["hash"]}`, "Field [hash] is not allowed"},
		{"aggregation on the hash", `{"aggs":{"h":{"terms":{"field":"hash"}}}}`, "Field [hash] is not allowed"},
		{"query_string", `{"query":{"query_string":{"query":"*"}}}`, "Query type [query_string] is not supported"},
		{"script", `{"query":{"script":{"script":"true"}}}`, "Query type [script] is not supported"},
		{"terms lookup", `{"query":{"terms":{"name":{"index":"i","id":"1","path":"p"}}}}`, "terms lookup is not supported"},
		{"range relation", `{"query":{"range":{"creation":{"gte":0,"relation":"within"}}}}`, "relation is not supported"},
		{"unknown option", `{"query":{"term":{"name":{"value":"a","fuzziness":2}}}}`, "does not support [fuzziness]"},
		{"two fields", `{"query":{"term":{"name":"a","username":"b"}}}`, "multiple fields"},
		{"unknown body member", `{"query":{"match_all":{}},"_source":true}`, "unknown field [_source]"},
		{"window", `{"from":9999,"size":2}`, "Result window is too large"},
		{"window overflowing int", `{"from":9223372036854775807,"size":1}`, "but was [9223372036854775808]"},
		{"size overflowing int", `{"from":1,"size":9223372036854775807}`, "Result window is too large"},
		{"unsupported aggregation", `{"aggs":{"c":{"composite":{"sources":[]}}}}`, "[composite] is not supported"},
		{"bad boolean", `{"query":{"term":{"invalidated":"maybe"}}}`, "Can't parse boolean value [maybe]"},
		{"bad date", `{"query":{"range":{"creation":{"gte":"yesterday"}}}}`, "failed to parse date field [yesterday]"},
		{"search_after with from", `{"from":1,"sort":["name"],"search_after":["a"]}`, "[from] parameter must be set to 0"},
		{"deep nesting", `{"query":` + strings.Repeat(`{"bool":{"must":`, 25) + `{"match_all":{}}` + strings.Repeat(`}}`, 25) + `}`, "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSearch(testSchema(), []byte(tt.body), queryTestNow)
			var qe *QueryError
			if !errors.As(err, &qe) || !strings.Contains(qe.Reason, tt.want) {
				t.Fatalf("error %v, want a QueryError containing %q", err, tt.want)
			}
		})
	}
}

func TestQuerySortAndPage(t *testing.T) {
	keys := queryTestKeys()
	run := func(body string) (ids []string, sorts [][]any, total int) {
		t.Helper()
		s, err := ParseSearch(testSchema(), []byte(body), queryTestNow)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Run(keys, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			ids = append(ids, keys[h.Index].ID)
			sorts = append(sorts, h.JSONSort())
		}
		return ids, sorts, res.Total
	}
	if ids, _, total := run(``); !slices.Equal(ids, []string{"k1", "k2", "k3", "k4"}) || total != 4 {
		t.Errorf("no body: %v total %d", ids, total)
	}
	if ids, sorts, _ := run(`{"sort":[{"creation":{"order":"desc"}}]}`); !slices.Equal(ids, []string{"k3", "k1", "k2", "k4"}) || len(sorts[0]) != 1 {
		t.Errorf("creation desc: %v %v", ids, sorts)
	}
	// Keys without an expiration sort last in both directions.
	if ids, _, _ := run(`{"sort":[{"expiration":"desc"},"name"]}`); !slices.Equal(ids, []string{"k1", "k2", "k4", "k3"}) {
		t.Errorf("expiration desc, name: %v", ids)
	}
	if ids, _, total := run(`{"query":{"term":{"username":"alice"}},"from":1,"size":1,"sort":"name"}`); !slices.Equal(ids, []string{"k1"}) || total != 2 {
		t.Errorf("page 2 of alice's keys by name: %v total %d", ids, total)
	}
	if ids, _, total := run(`{"size":0}`); ids != nil || total != 4 {
		t.Errorf("size 0: %v total %d", ids, total)
	}
	_, sorts, _ := run(`{"sort":["creation"],"size":2}`)
	after, _ := json.Marshal(sorts[1])
	if ids, _, _ := run(`{"sort":["creation"],"search_after":` + string(after) + `}`); !slices.Equal(ids, []string{"k1", "k3"}) {
		t.Errorf("search_after %s: %v", after, ids)
	}
}

// TestQueryAggregations runs Kibana's API key page aggregations.
func TestQueryAggregations(t *testing.T) {
	body := `{"size":0,"query":{"match":{"invalidated":false}},"aggs":{
		"usernames":{"terms":{"field":"username"}},
		"types":{"terms":{"field":"type"}},
		"expired":{"filter":{"range":{"expiration":{"lte":"now"}}}},
		"managed":{"filters":{"filters":{"metadataBased":{"term":{"metadata.managed":true}},"namePrefixBased":{"prefix":{"name":{"value":"Alerting: "}}}}}},
		"no_expiry":{"missing":{"field":"expiration"}},
		"realms":{"cardinality":{"field":"realm_name"}},
		"invalid":{"terms":{"field":"invalidated"}}}}`
	s, err := ParseSearch(testSchema(), []byte(body), queryTestNow)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(queryTestKeys(), true)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(res.Aggregations)
	want := `{"cardinality#realms":{"value":2},` +
		`"filter#expired":{"doc_count":1},` +
		`"filters#managed":{"buckets":{"metadataBased":{"doc_count":1},"namePrefixBased":{"doc_count":1}}},` +
		`"lterms#invalid":{"buckets":[{"doc_count":3,"key":0,"key_as_string":"false"}],"doc_count_error_upper_bound":0,"sum_other_doc_count":0},` +
		`"missing#no_expiry":{"doc_count":1},` +
		`"sterms#types":{"buckets":[{"doc_count":3,"key":"rest"}],"doc_count_error_upper_bound":0,"sum_other_doc_count":0},` +
		`"sterms#usernames":{"buckets":[{"doc_count":2,"key":"alice"},{"doc_count":1,"key":"carol"}],"doc_count_error_upper_bound":0,"sum_other_doc_count":0}}`
	if string(got) != want {
		t.Errorf("aggregations\n got %s\nwant %s", got, want)
	}
	if res.Total != 3 || res.Hits != nil {
		t.Errorf("total %d hits %v", res.Total, res.Hits)
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"a*", "abc", true}, {"*c", "abc", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"*b*", "abc", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
		{`a\*`, "a*", true}, {`a\*`, "ab", false}, {`a\?`, "a?", true}, {`a\`, `a\`, true},
		{"ü?", "üx", true}, {"", "", true}, {"", "a", false},
		{strings.Repeat("*a", 50) + "b", strings.Repeat("a", 200), false},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// FuzzParseSearch: any body either parses or is a QueryError, and a parsed
// search runs over keys without panicking.
func FuzzParseSearch(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `{"query":{"bool":{"should":[{"term":{"name":"a"}}],"minimum_should_match":"-1"}}}`,
		`{"query":{"range":{"creation":{"gt":"now-1d/d","lte":"2026-01-01||+1M/M"}}},"sort":["name",{"creation":"desc"}],"search_after":["a",1]}`,
		`{"query":{"simple_query_string":{"query":"+a -\"b c\" d*|(e)","fields":["na*^2"]}}}`,
		`{"size":0,"aggs":{"x":{"terms":{"field":"metadata.a"},"aggs":{"y":{"filters":{"filters":[{"wildcard":{"name":"a\\*?"}}]}}}}}}`,
	} {
		f.Add(seed)
	}
	keys := queryTestKeys()
	f.Fuzz(func(t *testing.T, body string) {
		s, err := ParseSearch(testSchema(), []byte(body), queryTestNow)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("%q: error %v is not a QueryError", body, err)
			}
			return
		}
		res := mustRun(t, s, keys, true)
		if res.Total > len(keys) || len(res.Hits) > res.Total {
			t.Fatalf("%q: total %d hits %d", body, res.Total, len(res.Hits))
		}
	})
}

// TestQuerySortsMultiValuedFields: a field with several values sorts by
// its least value ascending and its greatest descending.
func TestQuerySortsMultiValuedFields(t *testing.T) {
	keys := []Doc{
		testKey{ID: "x", Metadata: map[string]any{"t": []any{"m", "a"}}}.doc(),
		testKey{ID: "y", Metadata: map[string]any{"t": []any{"b", "z"}}}.doc(),
	}
	for _, tc := range []struct{ sort, want string }{{`"metadata.t"`, "x=a,y=b"}, {`{"metadata.t":"desc"}`, "y=z,x=m"}} {
		s, err := ParseSearch(testSchema(), []byte(`{"sort":[`+tc.sort+`]}`), queryTestNow)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range mustRun(t, s, keys, false).Hits {
			ids = append(ids, keys[h.Index].ID+"="+h.JSONSort()[0].(string))
		}
		if got := strings.Join(ids, ","); got != tc.want {
			t.Errorf("sort %s: %s, want %s", tc.sort, got, tc.want)
		}
	}
}

// mustRun runs s over docs and fails the test on an error.
func mustRun(t *testing.T, s *Search, docs []Doc, typedKeys bool) Result {
	t.Helper()
	res, err := s.Run(docs, typedKeys)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
