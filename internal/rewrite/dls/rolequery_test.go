package dls

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

func TestCacheQuery(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"object", `{"term":{"tenant":"acme"}}`, `{"term":{"tenant":"acme"}}`},
		{"string holding a query", `"{\"term\": {\"tenant\": \"acme\"}}"`, `{"term":{"tenant":"acme"}}`},
		{"template with a string source", `{"template":{"source":"{\"term\":{\"owner\":\"{{_user.username}}\"}}"}}`, `{"term":{"owner":"alice"}}`},
		{"template with an object source", `{"template":{"source":{"term":{"owner":"{{_user.username}}"}}}}`, `{"term":{"owner":"alice"}}`},
		{"template in a string", `"{\"template\":{\"source\":{\"term\":{\"owner\":\"{{_user.email}}\"}}}}"`, `{"term":{"owner":"alice@example.com"}}`},
		{"template params", `{"template":{"source":"{\"term\":{\"{{f}}\":\"{{_user.metadata.tenant}}\"}}","params":{"f":"tenant"},"lang":"mustache"}}`, `{"term":{"tenant":"acme"}}`},
		{"template toJson", `{"template":{"source":"{\"terms\":{\"group\":{{#toJson}}_user.metadata.groups{{/toJson}}}}"}}`, `{"terms":{"group":["g1","g2"]}}`},
		{"json content type option", `{"template":{"source":"{\"match_all\":{}}","options":{"content_type":"application/json"}}}`, `{"match_all":{}}`},
		{"user query constructs are fine in roles", `{"bool":{"filter":[{"nested":{"path":"a","query":{"term":{"a.b":1}}}}],"must_not":{"range":{"d":{"gte":"2020-01-01||+1d"}}}}}`, `{"bool":{"filter":[{"nested":{"path":"a","query":{"term":{"a.b":1}}}}],"must_not":{"range":{"d":{"gte":"2020-01-01||+1d"}}}}}`},
	}
	c := NewCache(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i < 2; i++ { // the second time from the cache
				q, err := c.Query(json.RawMessage(tt.raw), testUser)
				if err != nil {
					t.Fatalf("Query: %v", err)
				}
				if got := encode(t, q); got != tt.want {
					t.Fatalf("Query = %s, want %s", got, tt.want)
				}
			}
		})
	}
}

func TestCacheQueryRefusals(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"not JSON", `{"term":`, "not valid JSON"},
		{"string not JSON", `"{nope"`, "not valid JSON"},
		{"array", `[{"match_all":{}}]`, "must be a JSON object"},
		{"stored script", `{"template":{"id":"my-script"}}`, "stored script"},
		{"template and more", `{"template":{"source":"{}"},"x":1}`, "only member"},
		{"other lang", `{"template":{"source":"{}","lang":"painless"}}`, "mustache"},
		{"text content type", `{"template":{"source":"{}","options":{"content_type":"text/plain"}}}`, "application/json"},
		{"inline", `{"template":{"inline":"{}"}}`, "not supported"},
		{"rendered duplicate keys", `{"template":{"source":"{\"term\":{\"a\":1,\"a\":2}}"}}`, "Duplicate field"},
		{"rendered not JSON", `{"template":{"source":"{\"term\":{\"a\":{{_user.username}}}}"}}`, "not valid JSON"},
		{"two query types", `{"term":{"a":1},"match_all":{}}`, "exactly one query type"},
		{"empty", `{}`, "exactly one query type"},
		{"terms lookup", `{"terms":{"owner":{"index":"users","id":"1","path":"o"}}}`, "terms lookup"},
		{"has_child", `{"has_child":{"type":"c","query":{"match_all":{}}}}`, "has_child"},
		{"has_parent", `{"bool":{"should":[{"has_parent":{"parent_type":"p","query":{"match_all":{}}}}]}}`, "has_parent"},
		{"percolate", `{"percolate":{"field":"q","document":{}}}`, "percolate"},
		{"indexed shape", `{"geo_shape":{"loc":{"indexed_shape":{"index":"s","id":"1"}}}}`, "indexed shapes"},
		{"now", `{"range":{"@timestamp":{"gte":"now-1d"}}}`, "now"},
		{"script", `{"script":{"script":"true"}}`, "scripts"},
		{"unknown type", `{"frobnicate":{}}`, "not supported"},
		{"triple mustache", `{"template":{"source":"{\"term\":{\"a\":\"{{{_user.username}}}\"}}"}}`, "unescaped"},
	}
	c := NewCache(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Query(json.RawMessage(tt.raw), testUser)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Query error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCacheQueriesAreCopies(t *testing.T) {
	c := NewCache(0)
	raws := []json.RawMessage{json.RawMessage(`{"term":{"tenant":"acme"}}`)}
	first, err := c.Queries(raws, testUser)
	if err != nil {
		t.Fatal(err)
	}
	first[0].(*esbody.Object).Set("term", mustParse(t, `{"tenant":"globex"}`))
	again, err := c.Queries(raws, testUser)
	if err != nil {
		t.Fatal(err)
	}
	if got := encode(t, again[0]); got != `{"term":{"tenant":"acme"}}` {
		t.Fatalf("cached query was modified through a copy: %s", got)
	}
}

func TestGenerationsBound(t *testing.T) {
	var g generations[int]
	for i := 0; i < 100; i++ {
		g.put(string(rune('a'+i%26))+itoa(i), i, 10)
	}
	if n := len(g.cur) + len(g.prev); n > 10 {
		t.Fatalf("cache holds %d entries, bound 10", n)
	}
	if v, ok := g.get("v99"); !ok || v != 99 {
		t.Fatalf("latest entry lost: %v %v", v, ok)
	}
}

func TestStoredScriptIsDistinct(t *testing.T) {
	cq := compileRoleQuery([]byte(`{"template":{"id":"x"}}`))
	if !errors.Is(cq.err, errStoredScript) {
		t.Fatalf("err = %v", cq.err)
	}
}
