package e2e

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawRequest sends target as the request line's target, byte for byte (Go's
// client would strip a '#' and re-encode), over plain HTTP, and reads the
// response.
func rawRequest(t *testing.T, p *proxy, method, target, user, pass string) result {
	t.Helper()
	addr := strings.TrimPrefix(p.URL, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	if _, err := fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\nConnection: close\r\n\r\n", method, target, addr, auth); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %.60s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// TestQueryStringSmuggling: the query string reaches the cluster as the
// proxy read it. The cluster splits parameters at ';' as well as '&' and
// stops reading at a raw '#'; Go's ReverseProxy drops every parameter of a
// query with more than 10000 parts. Each probe names the reader's own index
// in ?index= (the search API reads its indices from there) and would, if
// the cluster lost that parameter, search every index: the canary lives
// only in an index the reader may not read.
func TestQueryStringSmuggling(t *testing.T) {
	os_ := openSearchURL(t)
	o, u := superuserOpts(t, os_)
	o.Users += "reader:" + u.Password + "\n"
	o.UsersRoles += "e2e_reader:reader\n"
	o.Roles = "e2e_reader:\n  indices:\n    - names: [\"e2e-qvisible-*\"]\n      privileges: [read]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	n := time.Now().UnixNano()
	visible, secret := fmt.Sprintf("e2e-qvisible-%d", n), fmt.Sprintf("e2e-qsecret-%d", n)
	const canary = "CANARY-QSMUGGLE-41b7"
	json := map[string]string{"Content-Type": "application/json"}
	for _, doc := range []struct{ path, body string }{
		{"/" + secret + "/_doc/s1?refresh=true", `{"note":"` + canary + `"}`},
		{"/" + visible + "/_doc/v1?refresh=true", `{"note":"visible"}`},
	} {
		if r := do(t, c, "PUT", p.URL+doc.path, u.Name, u.Password, strings.NewReader(doc.body), json); r.Status >= 300 {
			t.Fatalf("seeding %s: %d %s", doc.path, r.Status, r.Body)
		}
	}
	t.Cleanup(func() {
		do(t, c, "DELETE", p.URL+"/"+visible+","+secret, u.Name, u.Password, nil, nil)
	})
	// Control: the reader's own search works and does not see the canary.
	if r := rawRequest(t, p, "GET", "/_search?index="+visible+"&size=50", "reader", u.Password); r.Status != 200 || !strings.Contains(r.Body, `"_id":"v1"`) || strings.Contains(r.Body, canary) {
		t.Fatalf("control: %d %s", r.Status, r.Body)
	}
	probes := map[string]string{
		"more than 10000 parts":   "/_search?index=" + visible + "&size=50" + strings.Repeat("&", 10001),
		"hash ends the query":     "/_search?size=50#&index=" + visible,
		"semicolon separator":     "/_search?size=50&pretty=true;index=" + secret,
		"semicolon hides a value": "/_search?index=" + visible + ";index=" + secret + "&size=50",
	}
	for name, target := range probes {
		r := rawRequest(t, p, "GET", target, "reader", u.Password)
		if strings.Contains(r.Body, canary) {
			t.Errorf("%s: the forbidden index leaked: %d %.300s", name, r.Status, r.Body)
		}
		if r.Status != 400 {
			t.Errorf("%s: status %d, want 400 (ambiguous query string): %.300s", name, r.Status, r.Body)
		}
	}
}

// TestHTTP2BodyWithoutLength: an HTTP/2 request body sent without a
// content-length header (DATA frames only) is read and decided like any
// other. It used to be forwarded unread: a terms lookup into a forbidden
// index ran, and index settings only full-access users may set (a default
// pipeline) were applied.
func TestHTTP2BodyWithoutLength(t *testing.T) {
	os_ := openSearchURL(t)
	o, u := superuserOpts(t, os_)
	o.TLS = true
	o.Users += "reader:" + u.Password + "\n"
	o.UsersRoles += "e2e_reader:reader\n"
	o.Roles = "e2e_reader:\n  indices:\n    - names: [\"e2e-h2visible-*\"]\n      privileges: [read, manage]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	n := time.Now().UnixNano()
	visible, secret := fmt.Sprintf("e2e-h2visible-%d", n), fmt.Sprintf("e2e-h2secret-%d", n)
	json := map[string]string{"Content-Type": "application/json"}
	for _, doc := range []struct{ path, body string }{
		{"/" + secret + "/_doc/s1?refresh=true", `{"allowed_users":["CANARY-H2LEN-90ce"]}`},
		{"/" + visible + "/_doc/v1?refresh=true", `{"user":"CANARY-H2LEN-90ce","text":"hello"}`},
		{"/" + visible + "/_doc/v2?refresh=true", `{"user":"someone-else","text":"hello"}`},
	} {
		if r := do(t, c, "PUT", p.URL+doc.path, u.Name, u.Password, strings.NewReader(doc.body), json); r.Status >= 300 {
			t.Fatalf("seeding %s: %d %s", doc.path, r.Status, r.Body)
		}
	}
	t.Cleanup(func() {
		do(t, c, "DELETE", p.URL+"/"+visible+","+secret, u.Name, u.Password, nil, nil)
	})
	send := func(method, path, body string) result {
		t.Helper()
		req, err := http.NewRequest(method, p.URL+path, io.NopCloser(strings.NewReader(body))) // length unknown
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("reader", u.Password)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("%s %s went over %s, not HTTP/2", method, path, resp.Proto)
		}
		b, _ := io.ReadAll(resp.Body)
		return result{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	}
	lookup := `{"query":{"terms":{"user.keyword":{"index":"` + secret + `","id":"s1","path":"allowed_users"}}}}`
	if r := send("POST", "/"+visible+"/_search", lookup); r.Status != 403 || strings.Contains(r.Body, `"_id":"v1"`) {
		t.Errorf("terms lookup into the forbidden index: %d %.300s", r.Status, r.Body)
	}
	if r := send("PUT", "/"+visible+"/_settings", `{"index":{"default_pipeline":"e2e-no-such-pipeline"}}`); r.Status < 400 {
		t.Errorf("default_pipeline set by a user who may not name pipelines: %d %.300s", r.Status, r.Body)
	}
	settings := do(t, c, "GET", p.URL+"/"+visible+"/_settings", u.Name, u.Password, nil, nil)
	if strings.Contains(settings.Body, "e2e-no-such-pipeline") {
		t.Errorf("the setting reached the cluster: %s", settings.Body)
	}
	// Control: an ordinary unknown-length body is read and forwarded.
	if r := send("POST", "/"+visible+"/_search", `{"query":{"term":{"user.keyword":"someone-else"}}}`); r.Status != 200 || !strings.Contains(r.Body, `"_id":"v2"`) || strings.Contains(r.Body, `"_id":"v1"`) {
		t.Errorf("control search: %d %.300s", r.Status, r.Body)
	}
}

// TestScrollIDInQuery: ?scroll_id= is a scroll id like the body's and the
// path's. The owner continues with it; another user's id in the query is a
// missing context, and the hidden documents stay hidden.
func TestScrollIDInQuery(t *testing.T) {
	f := startDLSFixture(t)
	ix := "/" + f.index
	secrets := []string{canaryHiddenDoc, canarySecretField, canarySSN}
	r := f.req(t, f.su, "POST", ix+"/_search?scroll=1m", `{"size":1,"sort":["_doc"]}`)
	suScroll := jsonString(t, r.Body, "_scroll_id")
	if r.Status != 200 || !strings.HasPrefix(suScroll, "pc1") {
		t.Fatalf("scroll start: %d %s", r.Status, r.Body)
	}
	if r = f.req(t, "dls", "GET", "/_search/scroll?scroll=1m&scroll_id="+suScroll, "", secrets...); r.Status != 404 {
		t.Fatalf("another user's scroll id in the query: want 404, got %d %s", r.Status, r.Body)
	}
	if r = f.req(t, f.su, "GET", "/_search/scroll?scroll=1m&scroll_id="+suScroll, ""); r.Status != 200 || len(hitIDs(t, r.Body)) != 1 {
		t.Fatalf("the owner continues with ?scroll_id=: %d %s", r.Status, r.Body)
	}
	if r = f.req(t, f.su, "DELETE", "/_search/scroll?scroll_id="+suScroll, ""); r.Status != 200 || !strings.Contains(r.Body, `"num_freed":1`) {
		t.Fatalf("the owner clears with ?scroll_id=: %d %s", r.Status, r.Body)
	}
}
