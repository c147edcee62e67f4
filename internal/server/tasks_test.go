package server

import (
	"bytes"
	"strings"
	"testing"
)

// TestDropTaskDescriptions: every "description" member goes, at any depth
// (list grouped by node or by parent, one task, its children); the rest is
// kept as it was.
func TestDropTaskDescriptions(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"completed":false,"task":{"node":"n","id":7,"action":"indices:data/read/search","description":"source[{\"query\":{\"term\":{\"t\":\"SECRET\"}}}]","cancellable":true}}`,
			`{"completed":false,"task":{"node":"n","id":7,"action":"indices:data/read/search","cancellable":true}}`},
		{`{"nodes":{"n":{"name":"x","tasks":{"n:1":{"description":"SECRET","children":[{"description":"SECRET","id":2}]}}}}}`,
			`{"nodes":{"n":{"name":"x","tasks":{"n:1":{"children":[{"id":2}]}}}}}`},
		{`{"completed":true,"task":{"description":{"nested":"SECRET"}},"response":{"failures":[]}}`,
			`{"completed":true,"task":{},"response":{"failures":[]}}`},
		{`[1,"description",{"a":null}]`, `[1,"description",{"a":null}]`},
	} {
		var out bytes.Buffer
		if err := dropTaskDescriptions(&out, strings.NewReader(tc.in)); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := strings.TrimSpace(out.String()); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{`{"description":`, `{} {}`, `{"a":1]`} {
		if err := dropTaskDescriptions(&bytes.Buffer{}, strings.NewReader(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
