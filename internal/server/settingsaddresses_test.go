package server

import (
	"bytes"
	"strings"
	"testing"
)

// TestDropAddressSettings: address settings leave the answer, nested,
// flat or mixed, in every section; empty sections and other settings stay.
func TestDropAddressSettings(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"persistent":{},"transient":{}}`, `{"persistent":{},"transient":{}}`},
		{`{"persistent":{"cluster":{"remote":{"r1":{"seeds":["10.0.0.9:9300"],"skip_unavailable":"true"}}}},"transient":{}}`,
			`{"persistent":{"cluster":{"remote":{"r1":{"skip_unavailable":"true"}}}},"transient":{}}`},
		{`{"persistent":{"cluster.remote.r1.seeds":["10.0.0.9:9300"],"cluster.remote.r1.proxy_address":"10.0.0.9:9400"},"transient":{"search.remote.r2.seeds":"x"}}`,
			`{"persistent":{},"transient":{}}`},
		{`{"persistent":{},"transient":{},"defaults":{"cluster":{"name":"c"},"network":{"host":["10.0.0.1"],"tcp":{"no_delay":"true"}},"transport":{"port":"9300","tcp":{"port":"9300-9400","no_delay":"true"},"profiles":{"client":{"port":"9500"}}},"discovery":{"seed_hosts":["10.0.0.2:9300"],"type":"zen"},"http":{"port":"9200","max_content_length":"100mb"}}}`,
			`{"persistent":{},"transient":{},"defaults":{"cluster":{"name":"c"},"network":{"tcp":{"no_delay":"true"}},"transport":{"tcp":{"no_delay":"true"},"profiles":{}},"discovery":{"type":"zen"},"http":{"max_content_length":"100mb"}}}`},
		{`{"defaults":{"transport.port":"9300","network.publish_host":["10.0.0.1"],"cluster.name":"c","discovery.zen.ping.unicast.hosts":[],"Transport.Port":"1"}}`,
			`{"defaults":{"cluster.name":"c"}}`},
		{`{"persistent":{"cluster":{"remote.r1.seeds":["a:1"]}}}`, `{"persistent":{"cluster":{}}}`},
		{`{"persistent":{"discovery.seed_hosts.0":"10.0.0.2:9300","discovery.seed_hosts_x":"kept"}}`, `{"persistent":{"discovery.seed_hosts_x":"kept"}}`},
	} {
		var out bytes.Buffer
		if err := dropAddressSettings(&out, strings.NewReader(tc.in)); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := strings.TrimSpace(out.String()); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{`{"persistent":{"a":1}`, `{}{}`, ``} {
		if err := dropAddressSettings(&bytes.Buffer{}, strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}
