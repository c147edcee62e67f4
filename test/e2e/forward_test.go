package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func superuserOpts(t *testing.T, upstreams ...string) (proxyOpts, hashedUser) {
	us := allHashFormats(t)
	u := us[len(us)-1] // plain: cheap to verify
	return proxyOpts{Upstreams: upstreams, Users: u.Line + "\n", UsersRoles: "superuser:" + u.Name + "\n"}, u
}

// TestHeaderHygiene: identity-carrying headers never reach the cluster; the
// caller's Authorization is stripped; X-Opaque-Id is kept; X-Forwarded-For
// is the real peer.
func TestHeaderHygiene(t *testing.T) {
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	p := startProxy(t, o)
	forbidden := map[string]string{
		"es-security-runas-user": "elastic", "X-Forwarded-User": "admin", "X-Forwarded-Email": "a@b",
		"X-Forwarded-Groups": "admins", "X-Proxy-User": "admin", "X-Proxy-Roles": "superuser",
		"X-Remote-User": "admin", "Remote-User": "admin", "Proxy-Authorization": "Basic eDp5",
		"X-Auth-Request-User": "admin",
	}
	// run_as is decided by the proxy (runas_test.go): here the superuser runs
	// as itself, and the header must not reach the cluster either.
	forbidden["es-security-runas-user"] = u.Name
	hdr := map[string]string{"X-Opaque-Id": "my-task-42", "X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "gopher"}
	for k, v := range forbidden {
		hdr[k] = v
	}
	r := do(t, p.client(nil), "GET", p.URL+"/_cluster/health", u.Name, u.Password, nil, hdr)
	if r.Status != 200 {
		t.Fatalf("status %d %s", r.Status, r.Body)
	}
	got := up.Last()
	for k := range forbidden {
		if v := got.Header.Get(k); v != "" {
			t.Errorf("header %s reached the upstream: %q", k, v)
		}
	}
	if a := got.Header.Get("Authorization"); a != "" {
		t.Errorf("caller's Authorization reached the upstream: %q", a)
	}
	if got.Header.Get("X-Opaque-Id") != "my-task-42" {
		t.Errorf("X-Opaque-Id not kept: %q", got.Header.Get("X-Opaque-Id"))
	}
	if xff := got.Header.Get("X-Forwarded-For"); xff != "127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want the real peer 127.0.0.1", xff)
	}
	if xfp := got.Header.Get("X-Forwarded-Proto"); xfp != "http" {
		t.Errorf("X-Forwarded-Proto = %q", xfp)
	}
}

// TestRefusedFraming: upgrades and method overrides never reach the cluster.
func TestRefusedFraming(t *testing.T) {
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	p := startProxy(t, o)
	for name, h := range map[string]map[string]string{
		"h2c upgrade":     {"Upgrade": "h2c", "Connection": "Upgrade, HTTP2-Settings", "HTTP2-Settings": "AAMAAABkAARAAAAAAAIAAAAA"},
		"method override": {"X-HTTP-Method-Override": "DELETE"},
	} {
		r := do(t, p.client(nil), "GET", p.URL+"/", u.Name, u.Password, nil, h)
		if r.Status != 400 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if up.Count() != 0 {
		t.Fatal("refused request reached the upstream")
	}
}

// TestBodyLimit: bodies above max_request_body_bytes get 413, with a
// Content-Length and when chunked.
func TestBodyLimit(t *testing.T) {
	up := newEchoUpstream(t)
	up.setHandler(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) })
	o, u := superuserOpts(t, up.URL)
	o.MaxBody = 1024
	p := startProxy(t, o)
	c := p.client(nil)
	r := do(t, c, "POST", p.URL+"/i/_doc", u.Name, u.Password, bytes.NewReader(make([]byte, 2048)), map[string]string{"Content-Type": "application/json"})
	if r.Status != 413 || parseESError(t, r.Body).Status != 413 {
		t.Fatalf("content-length: %d %s", r.Status, r.Body)
	}
	chunked := io.MultiReader(strings.NewReader(strings.Repeat("x", 2048))) // unknown length → chunked
	r = do(t, c, "POST", p.URL+"/i/_doc", u.Name, u.Password, chunked, map[string]string{"Content-Type": "application/json"})
	if r.Status != 413 {
		t.Fatalf("chunked: %d %s", r.Status, r.Body)
	}
	r = do(t, c, "POST", p.URL+"/i/_doc", u.Name, u.Password, strings.NewReader("{}"), map[string]string{"Content-Type": "application/json"})
	if r.Status != 200 {
		t.Fatalf("small body: %d %s", r.Status, r.Body)
	}
}

// TestStreamingLargeResponse: a large search response from the real cluster
// arrives through the proxy byte-identical to the direct answer.
func TestStreamingLargeResponse(t *testing.T) {
	os := openSearchURL(t)
	o, u := superuserOpts(t, os)
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	idx := fmt.Sprintf("e2e-stream-%d", time.Now().UnixNano())
	var bulk bytes.Buffer
	blob := strings.Repeat("lorem ipsum dolor sit amet ", 4000) // ~108 KB per document
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&bulk, "{\"index\":{\"_index\":%q,\"_id\":\"%d\"}}\n{\"n\":%d,\"text\":%q}\n", idx, i, i, blob)
	}
	r := do(t, c, "POST", p.URL+"/_bulk?refresh=true", u.Name, u.Password, &bulk, map[string]string{"Content-Type": "application/x-ndjson"})
	if r.Status != 200 || strings.Contains(r.Body, `"errors":true`) {
		t.Fatalf("bulk through the proxy: %d %.300s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+idx, u.Name, u.Password, nil, nil) })
	q := "/" + idx + "/_search?size=150&sort=n:asc"
	via := do(t, c, "GET", p.URL+q, u.Name, u.Password, nil, nil)
	direct := do(t, http.DefaultClient, "GET", os+q, "", "", nil, nil)
	if via.Status != 200 || len(via.Body) < 15<<20 {
		t.Fatalf("via proxy: %d, %d bytes", via.Status, len(via.Body))
	}
	// "took" differs between the two; compare the hits.
	hv, hd := sha256.Sum256([]byte(hitsOf(via.Body))), sha256.Sum256([]byte(hitsOf(direct.Body)))
	if hv != hd {
		t.Fatal("response through the proxy differs from the direct one")
	}
}

func hitsOf(body string) string {
	i := strings.Index(body, `"hits":{`)
	if i < 0 {
		return ""
	}
	return body[i:]
}

// TestUpstreamFailures: a dead cluster gives 502/503 and a slow one 504, with
// Elastic-shaped bodies.
func TestUpstreamFailures(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	o, u := superuserOpts(t, dead)
	p := startProxy(t, o)
	r := do(t, p.client(nil), "GET", p.URL+"/", u.Name, u.Password, nil, nil)
	if r.Status != 502 && r.Status != 503 {
		t.Fatalf("dead upstream: %d %s", r.Status, r.Body)
	}
	if e := parseESError(t, r.Body); e.Status != r.Status {
		t.Fatalf("body status %d != %d", e.Status, r.Status)
	}
	resp, err := http.Get(p.Metrics + "/readyz")
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("readyz with a dead upstream: %v %v", resp, err)
	}
	resp.Body.Close()

	slow := newEchoUpstream(t)
	slow.setHandler(func(w http.ResponseWriter, r *http.Request) { time.Sleep(5 * time.Second) })
	o2, u2 := superuserOpts(t, slow.URL)
	o2.ResponseHeaderTimeout = 2 * time.Second
	p2 := startProxy(t, o2)
	r = do(t, p2.client(nil), "GET", p2.URL+"/_search", u2.Name, u2.Password, nil, nil)
	if r.Status != 504 || parseESError(t, r.Body).Status != 504 {
		t.Fatalf("slow upstream: %d %s", r.Status, r.Body)
	}
}

// TestGracefulShutdown: SIGTERM lets an in-flight request finish, refuses
// new connections, and exits 0.
func TestGracefulShutdown(t *testing.T) {
	up := newEchoUpstream(t)
	started := make(chan struct{}, 1)
	up.setHandler(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		time.Sleep(1500 * time.Millisecond)
		_, _ = w.Write([]byte(`{"done":true}`))
	})
	o, u := superuserOpts(t, up.URL)
	p := startProxy(t, o)
	var wg sync.WaitGroup
	var res result
	wg.Add(1)
	go func() {
		defer wg.Done()
		res = do(t, p.client(nil), "GET", p.URL+"/slow", u.Name, u.Password, nil, nil)
	}()
	<-started
	p.signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(p.URL, "http://"), time.Second); err == nil {
		t.Error("new connections still accepted after SIGTERM")
	}
	wg.Wait()
	if res.Status != 200 || res.Body != `{"done":true}` {
		t.Fatalf("in-flight request: %d %s", res.Status, res.Body)
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// TestMetrics: the operations listener exposes the documented series.
func TestMetrics(t *testing.T) {
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	p := startProxy(t, o)
	c := p.client(nil)
	do(t, c, "GET", p.URL+"/_cluster/health", u.Name, u.Password, nil, nil)
	do(t, c, "GET", p.URL+"/_cluster/health", u.Name, u.Password, nil, nil)
	do(t, c, "GET", p.URL+"/", u.Name, "wrong", nil, nil)
	r := do(t, http.DefaultClient, "GET", p.Metrics+"/metrics", "", "", nil, nil)
	for _, want := range []string{
		`portcullis_requests_total{code="200",decision="allow",method="GET",route="cluster",site=""} 2`,
		`portcullis_requests_total{code="401",decision="unauthenticated",method="GET",route="root",site=""} 1`,
		`portcullis_request_duration_seconds_bucket`,
		`portcullis_upstream_duration_seconds_bucket`,
		`portcullis_upstream_node_healthy{node=`,
		`portcullis_auth_cache_hits_total{realm="default_file"} 1`,
		`portcullis_auth_cache_misses_total{realm="default_file"}`,
		`portcullis_failed_logins_total{realm="default_file"`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
