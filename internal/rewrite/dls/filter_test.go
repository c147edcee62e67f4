package dls

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

func raws(qs ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(qs))
	for i, q := range qs {
		out[i] = json.RawMessage(q)
	}
	return out
}

const (
	acme   = `{"term":{"tenant":"acme"}}`
	globex = `{"term":{"tenant":"globex"}}`
)

func TestFilter(t *testing.T) {
	tests := []struct {
		name    string
		indices []IndexDLS
		want    string // "" for nil
	}{
		{
			name:    "one index, one query",
			indices: []IndexDLS{{Index: "logs-1", Queries: raws(acme)}},
			want:    `{"bool":{"should":[{"bool":{"filter":[{"terms":{"_index":["logs-1"]}},` + acme + `]}}],"minimum_should_match":1}}`,
		},
		{
			name:    "several queries are OR-ed",
			indices: []IndexDLS{{Index: "logs-1", Queries: raws(acme, globex)}},
			want: `{"bool":{"should":[{"bool":{"filter":[{"terms":{"_index":["logs-1"]}},` +
				`{"bool":{"should":[` + acme + `,` + globex + `],"minimum_should_match":1}}]}}],"minimum_should_match":1}}`,
		},
		{
			name: "identical sets share a clause, whatever the order and duplicates",
			indices: []IndexDLS{
				{Index: "a", Queries: raws(acme, globex)},
				{Index: "b", Queries: raws(`"{\"term\": {\"tenant\": \"globex\"}}"`, acme, acme)},
				{Index: "c", Queries: raws(globex)},
			},
			want: `{"bool":{"should":[` +
				`{"bool":{"filter":[{"terms":{"_index":["a","b"]}},{"bool":{"should":[` + acme + `,` + globex + `],"minimum_should_match":1}}]}},` +
				`{"bool":{"filter":[{"terms":{"_index":["c"]}},` + globex + `]}}` +
				`],"minimum_should_match":1}}`,
		},
		{
			name: "unrestricted indices in one terms clause",
			indices: []IndexDLS{
				{Index: "a", Queries: raws(acme)},
				{Index: "open-1"},
				{Index: "open-2"},
			},
			want: `{"bool":{"should":[{"bool":{"filter":[{"terms":{"_index":["a"]}},` + acme + `]}},` +
				`{"terms":{"_index":["open-1","open-2"]}}],"minimum_should_match":1}}`,
		},
		{
			name:    "no DLS anywhere",
			indices: []IndexDLS{{Index: "a"}, {Index: "b"}},
			want:    "",
		},
		{
			name:    "nothing reached matches nothing",
			indices: nil,
			want:    `{"match_none":{}}`,
		},
		{
			name:    "same index twice with the same queries",
			indices: []IndexDLS{{Index: "a", Queries: raws(acme)}, {Index: "a", Queries: raws(acme)}},
			want:    `{"bool":{"should":[{"bool":{"filter":[{"terms":{"_index":["a"]}},` + acme + `]}}],"minimum_should_match":1}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Filter(tt.indices)
			if err != nil {
				t.Fatalf("Filter: %v", err)
			}
			if tt.want == "" {
				if got != nil {
					t.Fatalf("Filter = %s, want nil", encode(t, got))
				}
				return
			}
			if s := encode(t, got); s != canonical(t, tt.want) {
				t.Fatalf("Filter =\n%s\nwant\n%s", s, canonical(t, tt.want))
			}
		})
	}
}

func TestFilterRefusals(t *testing.T) {
	tests := []struct {
		name    string
		indices []IndexDLS
	}{
		{"alias-like pattern", []IndexDLS{{Index: "logs-*", Queries: raws(acme)}}},
		{"remote index", []IndexDLS{{Index: "remote:logs", Queries: raws(acme)}}},
		{"list", []IndexDLS{{Index: "a,b", Queries: raws(acme)}}},
		{"empty name", []IndexDLS{{Index: "", Queries: raws(acme)}}},
		{"exclusion", []IndexDLS{{Index: "-a", Queries: raws(acme)}}},
		{"underscore", []IndexDLS{{Index: "_all", Queries: raws(acme)}}},
		{"pattern among unrestricted", []IndexDLS{{Index: "a", Queries: raws(acme)}, {Index: "b?"}}},
		{"conflicting duplicate", []IndexDLS{{Index: "a", Queries: raws(acme)}, {Index: "a", Queries: raws(globex)}}},
		{"template needs a user", []IndexDLS{{Index: "a", Queries: raws(`{"template":{"source":"{\"match_all\":{}}"}}`)}}},
		{"invalid query", []IndexDLS{{Index: "a", Queries: raws(`{"terms":{"x":{"index":"i","id":"1","path":"p"}}}`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Filter(tt.indices)
			wantRefusal(t, err, http.StatusForbidden, "cannot be applied")
		})
	}
	_, err := Filter([]IndexDLS{{Index: "a", Queries: raws(`{"template":{"source":"{}"}}`)}})
	if !errors.Is(err, errTemplateNotRendered) {
		t.Fatalf("template error = %v, want errTemplateNotRendered in the chain", err)
	}
}

func TestCacheFilterRendersPerUser(t *testing.T) {
	c := NewCache(16)
	owner := `{"template":{"source":{"term":{"owner":"{{_user.username}}"}}}}`
	indices := []IndexDLS{{Index: "docs", Queries: raws(owner)}, {Index: "open"}}
	for _, user := range []string{"alice", "bob", "alice"} {
		f, err := c.Filter(User{Username: user}, indices)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"bool":{"should":[{"bool":{"filter":[{"terms":{"_index":["docs"]}},{"term":{"owner":"` + user +
			`"}}]}},{"terms":{"_index":["open"]}}],"minimum_should_match":1}}`
		if got := encode(t, f); got != want {
			t.Fatalf("filter for %s = %s", user, got)
		}
	}
	rendered, err := c.Render(User{Username: "carol"}, indices)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rendered[0].Queries[0]); got != `{"term":{"owner":"carol"}}` || len(rendered[1].Queries) != 0 {
		t.Fatalf("Render = %s / %v", got, rendered[1].Queries)
	}
	// What Render returns, Filter accepts.
	if _, err := Filter(rendered); err != nil {
		t.Fatalf("Filter(Render(…)): %v", err)
	}
}

func TestFromAccess(t *testing.T) {
	access := []authz.IndexAccess{{Index: "a", Queries: raws(acme)}, {Index: "b"}}
	got := FromAccess(access)
	if len(got) != 2 || got[0].Index != "a" || string(got[0].Queries[0]) != acme || got[1].Queries != nil {
		t.Fatalf("FromAccess = %+v", got)
	}
	if !Restricted(got) || Restricted(got[1:]) {
		t.Fatal("Restricted is wrong")
	}
}

// TestCacheConcurrent exercises the cache from several goroutines (run
// with -race): each must get its own user's filter.
func TestCacheConcurrent(t *testing.T) {
	c := NewCache(8) // small: generations rotate during the test
	owner := `{"template":{"source":{"term":{"owner":"{{_user.username}}"}}}}`
	indices := []IndexDLS{{Index: "docs", Queries: raws(owner, acme)}}
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 200; i++ {
				user := "user" + itoa((g*200+i)%37)
				f, err := c.Filter(User{Username: user}, indices)
				if err != nil {
					done <- err
					return
				}
				b, _ := json.Marshal(user)
				s, err := esbody.Encode(f)
				if err != nil || !strings.Contains(string(s), `{"term":{"owner":`+string(b)+`}}`) {
					done <- fmt.Errorf("wrong filter for %s: %s (%v)", user, s, err)
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
