package e2e

// Sending each spelling of the classification differential to the node
// directly and through the proxy, and what the classifier says of it.

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// dfxResult is what one mutation produced.
type dfxResult struct {
	class        *esapi.Classification
	classOK      bool
	directStatus int
	directBody   string
	handler      string // the node's REST handler; empty when none ran
	proxyStatus  int
	proxyBody    string
	dlsStatus    int // the DLS/FLS user's answer through the proxy
	dlsBody      string
	err          string
}

func (f *dfxFixture) expand(target string) string {
	r := strings.NewReplacer("%s", f.S, "%a", f.A, "%l", f.Alias)
	// Only the query placeholders: the path has real '%' escapes.
	pth, q, ok := strings.Cut(target, "?")
	if !ok {
		return target
	}
	return pth + "?" + r.Replace(q)
}

// usage returns the node's REST handler usage counters.
func (f *dfxFixture) usage(t *testing.T) map[string]int {
	t.Helper()
	st, b, err := rawHTTP(f.nodeAddr, "GET", "/_nodes/_local/usage/rest_actions", "", "", nil, "", false)
	if err != nil || st != 200 {
		t.Fatalf("node usage: %d %v %.200s", st, err, b)
	}
	var v struct {
		Nodes map[string]struct {
			RestActions map[string]int `json:"rest_actions"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(b), &v); err != nil || len(v.Nodes) != 1 {
		t.Fatalf("node usage: %v %.200s", err, b)
	}
	for _, n := range v.Nodes {
		return n.RestActions
	}
	return nil
}

// direct sends m to the node and records its answer and the handler that
// ran it (from the usage counters before and after); it returns the
// counters after.
func (f *dfxFixture) direct(t *testing.T, m dfxMutation, r *dfxResult, before map[string]int) map[string]int {
	t.Helper()
	st, b, err := rawHTTP(f.nodeAddr, m.Method, f.expand(m.Target), "", "", m.Header, m.Base.Body, m.Base.NDJSON)
	if err != nil {
		r.err = "node: " + err.Error()
		return before
	}
	r.directStatus, r.directBody = st, b
	after := f.usage(t)
	var ran []string
	for h, v := range after {
		d := v - before[h]
		if h == "nodes_usage_action" {
			d-- // the usage request itself
		}
		if d > 0 {
			ran = append(ran, h)
		}
	}
	switch len(ran) {
	case 0:
	case 1:
		r.handler = ran[0]
	default:
		r.handler = dfxAmbiguous
	}
	return after
}

// viaProxyDLS sends m through the proxy as the user whose role query and
// field security restrict A.
func (f *dfxFixture) viaProxyDLS(m dfxMutation, r *dfxResult) {
	st, b, err := rawHTTP(f.proxyAddr, m.Method, f.expand(m.Target), "dfxdls", f.pass, m.Header, m.Base.Body, m.Base.NDJSON)
	if err != nil {
		r.err = "proxy (dls): " + err.Error()
		return
	}
	r.dlsStatus, r.dlsBody = st, b
}

// viaProxy sends m through the proxy as the restricted user.
func (f *dfxFixture) viaProxy(m dfxMutation, r *dfxResult) {
	st, b, err := rawHTTP(f.proxyAddr, m.Method, f.expand(m.Target), f.user, f.pass, m.Header, m.Base.Body, m.Base.NDJSON)
	if err != nil {
		r.err = "proxy: " + err.Error()
		return
	}
	r.proxyStatus, r.proxyBody = st, b
}

// classify classifies a request target the way the server does: the
// escaped path and raw query of Go's parsed request URI.
func (f *dfxFixture) classify(method, target string) (*esapi.Classification, bool) {
	if !strings.HasPrefix(target, "/") {
		return nil, false
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, false
	}
	c, err := esapi.ClassifyURL(method, u.EscapedPath(), u.RawQuery)
	if err != nil || c.Denied != "" {
		return nil, false
	}
	return c, true
}

// dfxSafeDirect reports whether m may be sent to the node directly: reads,
// and the base's own writes (all on the scratch index).
func dfxSafeDirect(m dfxMutation, c *esapi.Classification) bool {
	if m.Method == m.Base.Method && c.Action == m.Base.Action && slices.Equal(c.Indices, m.Base.Indices) {
		// The base's own write, on the base's own index (a write to any
		// other spelling would auto-create an index on the node).
		return true
	}
	return strings.HasPrefix(c.Action, "indices:data/read/") || strings.HasPrefix(c.Action, "indices:admin/get") ||
		strings.HasPrefix(c.Action, "indices:admin/mappings/get") || strings.HasPrefix(c.Action, "indices:monitor/") ||
		strings.HasPrefix(c.Action, "indices:admin/mappings/fields/get") || strings.HasPrefix(c.Action, "indices:admin/validate/") ||
		strings.HasPrefix(c.Action, "indices:admin/aliases/get") || strings.HasPrefix(c.Action, "cluster:monitor/")
}

// covers reports whether the classification of m names the secret index:
// in its index expressions, implicitly (all indices), or in the body.
func (f *dfxFixture) covers(c *esapi.Classification, m dfxMutation) bool {
	switch c.IndicesFrom {
	case esapi.IndicesAllImplicit:
		return true
	case esapi.IndicesBody, esapi.IndicesCursor, esapi.IndicesNone:
		return strings.Contains(m.Base.Body, f.S)
	}
	for _, e := range c.Expressions {
		if e.All {
			return true
		}
		pattern := e.Name
		if e.DateMath {
			resolved, err := authz.ResolveDateMath(e.Name, time.Now())
			if err != nil {
				return true // refused by the proxy; nothing to compare
			}
			pattern = resolved
		}
		for _, name := range []string{f.S, f.Alias} {
			if ok, _ := path.Match(pattern, name); ok {
				return true
			}
		}
	}
	return false
}

// rawHTTP sends one request with target byte for byte and reads the
// response (Basic credentials when user is set).
func rawHTTP(addr, method, target, user, pass string, hdr map[string]string, body string, ndjson bool) (int, string, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	if user != "" {
		fmt.Fprintf(&b, "Authorization: Basic %s\r\n", base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	keys := make([]string, 0, len(hdr))
	for k := range hdr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\r\n", k, hdr[k])
	}
	if body != "" {
		ct := "application/json"
		if ndjson {
			ct = "application/x-ndjson"
		}
		fmt.Fprintf(&b, "Content-Type: %s\r\nContent-Length: %d\r\n", ct, len(body))
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: strings.ToUpper(method)})
	if err != nil {
		return 0, "", fmt.Errorf("%s %.80s: %w", method, target, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(rb), nil
}
