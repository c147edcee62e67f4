package server

import (
	"bytes"
	"strings"
	"testing"
)

// TestDropNodeAddresses: the nodes of a task list lose their transport
// address and nothing else; an empty "nodes" stays, as the cluster sends
// it; a broken answer is an error.
func TestDropNodeAddresses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"nodes":{"n1":{"name":"a","transport_address":"10.0.0.1:9300","host":"10.0.0.1","ip":"10.0.0.1:9300","tasks":{"n1:1":{"node":"n1","ip":"x"}}}}}`,
			`{"nodes":{"n1":{"name":"a","host":"10.0.0.1","tasks":{"n1:1":{"node":"n1","ip":"x"}}}}}`},
		{`{"nodes":{}}`, `{"nodes":{}}`},
		{`{"tasks":[{"node":"n1","ip":"kept"}]}`, `{"tasks":[{"node":"n1","ip":"kept"}]}`},
		{`{"node_failures":[],"nodes":{"n1":{"transport_address":"10.0.0.1:9300"}}}`, `{"node_failures":[],"nodes":{"n1":{}}}`},
	} {
		var out bytes.Buffer
		if err := dropNodeAddresses(&out, strings.NewReader(tc.in)); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := strings.TrimSpace(out.String()); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{`{"nodes":{"n1":{"ip":"10.0.0.1:9300"}}`, `{"nodes":{}}{}`, ``} {
		if err := dropNodeAddresses(&bytes.Buffer{}, strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// TestCatShowsPort: the port column of _cat/tasks, by name, alias or
// wildcard, in any case; other columns and other _cat APIs pass.
func TestCatShowsPort(t *testing.T) {
	for h, want := range map[string]bool{
		"port": true, "po": true, "*": true, "p*": true, "ip, PORT": true, "*rt": true, "node,p*o*": true,
		"ip": false, "node,action": false, "pa*": false, "": false, "ports": false,
	} {
		if got := catShowsPort("cat.tasks", map[string]string{"h": h}); got != want {
			t.Errorf("h=%q: %v, want %v", h, got, want)
		}
	}
	if catShowsPort("cat.tasks", map[string]string{}) || catShowsPort("cat.indices", map[string]string{"h": "*"}) {
		t.Error("refused without a port column")
	}
}
