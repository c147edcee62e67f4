package browser

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// marker is in the document the stand-in cluster returns: a page showing
// it has data that came through the proxy.
const marker = "browser-e2e-document-7f3a"

// upstream is a small Elasticsearch stand-in: enough cluster metadata for
// the proxy (one index, logs-web), a search answer with a document, and a
// record of what reached it.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	Method, Path, Cookie, Authorization string
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("X-elastic-product", "Elasticsearch")
	if ua := r.Header.Get("User-Agent"); ua == "portcullis-healthcheck" || ua == "portcullis-internal" {
		switch {
		case strings.HasPrefix(r.URL.Path, "/_cluster/state"):
			io.WriteString(w, `{"metadata":{"indices":{"logs-web":{"state":"open","settings":{"index":{"hidden":"false"}},"aliases":[]}}}}`)
		case r.URL.Path == "/_alias":
			io.WriteString(w, `{}`)
		default:
			io.WriteString(w, `{"name":"stand-in","cluster_name":"stand-in","version":{"number":"8.15.0"},"tagline":"You Know, for Search"}`)
		}
		return
	}
	u.mu.Lock()
	u.seen = append(u.seen, seenRequest{Method: r.Method, Path: r.URL.Path, Cookie: r.Header.Get("Cookie"), Authorization: r.Header.Get("Authorization")})
	u.mu.Unlock()
	_, _ = io.Copy(io.Discard, r.Body)
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/_search"):
		io.WriteString(w, `{"took":1,"timed_out":false,"hits":{"total":{"value":1,"relation":"eq"},"hits":[`+
			`{"_index":"logs-web","_id":"1","_score":1,"_source":{"message":"`+marker+`"}}]}}`)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/_doc"):
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"_index":"logs-web","_id":"2","result":"created"}`)
	default:
		io.WriteString(w, `{"name":"stand-in","cluster_name":"stand-in","version":{"number":"8.15.0"},"tagline":"You Know, for Search"}`)
	}
}

// requests returns what reached the upstream so far.
func (u *upstream) requests() []seenRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seenRequest(nil), u.seen...)
}

// count is how many requests matched method and path suffix.
func (u *upstream) count(method, suffix string) int {
	n := 0
	for _, r := range u.requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}
