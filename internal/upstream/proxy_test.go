package upstream

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestTargetURL(t *testing.T) {
	tests := []struct {
		node, request, want string
	}{
		{"http://es:9200", "/idx/_search?q=a%20b", "/idx/_search?q=a%20b"},
		{"http://es:9200/", "/", "/"},
		{"http://es:9200", "/my%2Findex/_doc/a%2Fb", "/my%2Findex/_doc/a%2Fb"},
		{"http://lb:80/es", "/idx/_search", "/es/idx/_search"},
		{"http://lb:80/es/", "/idx/_search?pretty", "/es/idx/_search?pretty"},
		{"http://lb:80/es", "/", "/es/"},
		{"http://lb:80/es", "/my%2Findex/_doc", "/es/my%2Findex/_doc"},
		{"http://lb:80/e%20s/", "/idx", "/e%20s/idx"},
	}
	for _, tt := range tests {
		t.Run(tt.node+tt.request, func(t *testing.T) {
			nd := newNode(mustParse(t, tt.node))
			got := nd.target(mustParse(t, tt.request))
			if got.RequestURI() != tt.want {
				t.Errorf("RequestURI = %q, want %q", got.RequestURI(), tt.want)
			}
			if got.Host != nd.host || got.Scheme != nd.scheme {
				t.Errorf("target = %s", got)
			}
		})
	}
}

func TestForwardsToNodeWithPrefix(t *testing.T) {
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	rec := &recorder{}
	node := mustParse(t, be.URL+"/es/")
	p := newProxy(t, Config{Nodes: []*url.URL{node}}, rec)

	w := serve(p, httptest.NewRequest(http.MethodPut, "/my%2Findex/_doc/1?refresh=true", strings.NewReader(`{}`)))

	if w.Code != http.StatusCreated {
		t.Fatalf("status %d", w.Code)
	}
	got := be.received()[0]
	if got.RequestURI != "/es/my%2Findex/_doc/1?refresh=true" {
		t.Errorf("upstream RequestURI = %q", got.RequestURI)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.events) != 1 || rec.events[0] != (event{Kind: "request", Node: be.URL + "/es", Status: http.StatusCreated}) {
		t.Errorf("observer events = %+v", rec.events)
	}
}

func TestProtocolUpgradesAreNotRelayed(t *testing.T) {
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		// A node that switches protocols regardless of what was asked.
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		_, _ = io.Copy(io.Discard, brw) // hold the tunnel open until closed
	})
	rec := &recorder{}
	p := newProxy(t, Config{Nodes: []*url.URL{be.url(t)}}, rec)
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)

	req, _ := http.NewRequest(http.MethodGet, front.URL+"/", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status = %d, want 502", resp.StatusCode)
	}
	got := be.received()[0]
	if got.Header.Get("Upgrade") != "" || strings.Contains(strings.ToLower(got.Header.Get("Connection")), "upgrade") {
		t.Errorf("upgrade request forwarded: Upgrade=%q Connection=%q", got.Header.Get("Upgrade"), got.Header.Get("Connection"))
	}
	if errs := rec.errors(""); len(errs) != 1 || errs[0] != KindProtocol {
		t.Errorf("errors = %v, want [protocol]", errs)
	}
}

// TestQueryForwardedVerbatim: the cluster receives the query string the
// proxy classified, byte for byte. httputil.ReverseProxy re-encodes a query
// it cannot parse with url.ParseQuery (a ';', a bad escape, more than 10000
// parts), dropping those parameters or, past 10000, all of them, and a
// request decided on "?index=a" would then search every index.
func TestQueryForwardedVerbatim(t *testing.T) {
	for name, query := range map[string]string{
		"many parts":   "index=logs-a" + strings.Repeat("&", 10001),
		"plus and %20": "q=a+b%20c&index=logs-a",
		"semicolon":    "index=logs-a&pretty=true;x=1",
	} {
		t.Run(name, func(t *testing.T) {
			be := newBackend(t, nil)
			p := newProxy(t, Config{Nodes: []*url.URL{be.url(t)}}, nil)
			w := serve(p, httptest.NewRequest(http.MethodGet, "/_search?"+query, nil))
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			if got := be.received()[0].RequestURI; got != "/_search?"+query {
				t.Errorf("upstream RequestURI = %.80q, want the query unchanged", got)
			}
		})
	}
}
