package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Request is one request written frame by frame: header fields in order
// (pseudo-headers included, as given), DATA chunks, optional trailer
// fields, and whether END_STREAM ends the HEADERS frame.
type h2Request struct {
	fields   [][2]string
	data     []string
	trailers [][2]string
}

// h2Answer is what came back on the stream: status (0 when none), body,
// and the RST_STREAM code if the stream was reset (-1 when not).
type h2Answer struct {
	status int
	body   string
	reset  int
}

// h2Send writes req on a new HTTP/2 connection to the proxy and reads its
// answer.
func h2Send(t *testing.T, p *proxy, req h2Request) h2Answer {
	t.Helper()
	u, _ := url.Parse(p.URL)
	pool := x509.NewCertPool()
	pool.AddCert(p.CA.Cert)
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: pool, ServerName: u.Hostname(), NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if np := conn.ConnectionState().NegotiatedProtocol; np != "h2" {
		t.Fatalf("ALPN %q", np)
	}
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	fr.ReadMetaHeaders = hpack.NewDecoder(65536, nil)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	block := func(fields [][2]string) []byte {
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		for _, f := range fields {
			_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		return hb.Bytes()
	}
	noBody := len(req.data) == 0 && len(req.trailers) == 0
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(req.fields), EndStream: noBody, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	for i, d := range req.data {
		if err := fr.WriteData(1, i == len(req.data)-1 && len(req.trailers) == 0, []byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	if len(req.trailers) > 0 {
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(req.trailers), EndStream: true, EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
	}
	a := h2Answer{reset: -1}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading the answer: %v (so far %+v)", err, a)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		case *http2.MetaHeadersFrame:
			if a.status == 0 {
				a.status, _ = strconv.Atoi(f.PseudoValue("status"))
			}
			if f.StreamEnded() {
				return a
			}
		case *http2.DataFrame:
			a.body += string(f.Data())
			if len(f.Data()) > 0 {
				_ = fr.WriteWindowUpdate(0, uint32(len(f.Data())))
				_ = fr.WriteWindowUpdate(1, uint32(len(f.Data())))
			}
			if f.StreamEnded() {
				return a
			}
		case *http2.RSTStreamFrame:
			a.reset = int(f.ErrCode)
			return a
		case *http2.GoAwayFrame:
			a.reset = 1000 + int(f.ErrCode)
			return a
		}
	}
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// TestHTTP2EdgeSpellings: requests only HTTP/2 can spell, written frame
// by frame (h1 parsers refuse most of them before the proxy sees them):
// spaces in :path (the h1 request line to the node would split there),
// userinfo in :authority, a content-length the DATA frames disagree with or
// that comes with END_STREAM on HEADERS, a host header besides
// :authority, split cookies, declared trailers (content-type, x-opaque-id,
// authorization), two content-types or authorizations, absolute and
// double-slash :path, CONNECT with :protocol. Each is refused, or served
// exactly as its ordinary spelling; the forbidden index's canary never
// appears.
func TestHTTP2EdgeSpellings(t *testing.T) {
	os_ := openSearchURL(t)
	o, u := superuserOpts(t, os_)
	o.TLS = true
	o.Users += "reader:" + u.Password + "\n"
	o.UsersRoles += "e2e_reader:reader\n"
	o.Roles = "e2e_reader:\n  indices:\n    - names: [\"e2e-h2e-vis-*\"]\n      privileges: [read]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	n := time.Now().UnixNano()
	visible, secret := fmt.Sprintf("e2e-h2e-vis-%d", n), fmt.Sprintf("e2e-h2e-sec-%d", n)
	const canary = "CANARY-H2E-77aa"
	for _, doc := range []struct{ path, body string }{
		{"/" + secret + "/_doc/s1?refresh=true", `{"v":"` + canary + `"}`},
		{"/" + visible + "/_doc/v1?refresh=true", `{"v":"visible-doc"}`},
	} {
		if r := do(t, c, "PUT", p.URL+doc.path, u.Name, u.Password, strings.NewReader(doc.body), map[string]string{"Content-Type": "application/json"}); r.Status >= 300 {
			t.Fatalf("seeding %s: %d %s", doc.path, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+visible+","+secret, u.Name, u.Password, nil, nil) })
	uh, _ := url.Parse(p.URL)
	auth := basicAuth("reader", u.Password)
	base := func(method, path string, extra ...[2]string) [][2]string {
		return append([][2]string{{":method", method}, {":scheme", "https"}, {":authority", uh.Host}, {":path", path}, {"authorization", auth}}, extra...)
	}
	json := [2]string{"content-type", "application/json"}
	matchAll := `{"query":{"match_all":{}}}`
	const served, refused, reset = 200, 400, -2 // reset: RST_STREAM, no answer
	for _, tc := range []struct {
		name string
		req  h2Request
		want int
	}{
		{"space in path", h2Request{fields: base("GET", "/"+visible+"/_search x")}, refused},
		{"space in query", h2Request{fields: base("GET", "/"+visible+"/_search?q=x y")}, refused},
		{"space before another target", h2Request{fields: base("GET", "/"+visible+"/_search?x /"+secret+"/_search")}, refused},
		{"space before a version", h2Request{fields: base("GET", "/"+secret+"/_search HTTP/1.1")}, 0},
		{"absolute :path", h2Request{fields: base("GET", "https://x/"+secret+"/_search")}, refused},
		{"double-slash :path", h2Request{fields: base("GET", "//"+secret+"/_search")}, refused},
		{"userinfo in :authority", h2Request{fields: [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "reader@" + uh.Host}, {":path", "/" + secret + "/_search"}, {"authorization", auth}}}, reset},
		{"CONNECT with :protocol", h2Request{fields: [][2]string{{":method", "CONNECT"}, {":protocol", "websocket"}, {":scheme", "https"}, {":authority", uh.Host}, {":path", "/" + secret + "/_search"}, {"authorization", auth}}}, reset},
		{"content-length with END_STREAM on HEADERS", h2Request{fields: base("POST", "/"+visible+"/_search", [2]string{"content-length", "20"}, json)}, served},
		{"content-length longer than DATA", h2Request{fields: base("POST", "/"+visible+"/_search", [2]string{"content-length", "200"}, json), data: []string{matchAll}}, refused},
		{"content-length shorter than DATA", h2Request{fields: base("POST", "/"+visible+"/_search", [2]string{"content-length", "5"}, json), data: []string{matchAll}}, reset},
		{"content-type in a trailer", h2Request{fields: base("POST", "/"+visible+"/_search", [2]string{"trailer", "content-type"}), data: []string{matchAll}, trailers: [][2]string{{"content-type", "application/json"}}}, reset},
		{"authorization in a trailer", h2Request{fields: [][2]string{{":method", "POST"}, {":scheme", "https"}, {":authority", uh.Host}, {":path", "/" + secret + "/_search"}, {"trailer", "authorization"}, json}, data: []string{matchAll}, trailers: [][2]string{{"authorization", basicAuth(u.Name, u.Password)}}}, reset},
		{"x-opaque-id in a trailer", h2Request{fields: base("POST", "/"+visible+"/_search", [2]string{"trailer", "x-opaque-id"}, json), data: []string{matchAll}, trailers: [][2]string{{"x-opaque-id", "abc"}}}, served},
		{"two content-types", h2Request{fields: base("POST", "/"+visible+"/_search", json, [2]string{"content-type", "application/x-ndjson"}), data: []string{matchAll}}, refused},
		{"two authorizations", h2Request{fields: base("GET", "/"+secret+"/_search", [2]string{"authorization", basicAuth(u.Name, u.Password)})}, 401},
		{"host besides :authority", h2Request{fields: base("GET", "/"+visible+"/_search", [2]string{"host", "evil.example"})}, served},
		{"host without :authority", h2Request{fields: [][2]string{{":method", "GET"}, {":scheme", "https"}, {":path", "/" + visible + "/_search"}, {"host", "x.example"}, {"authorization", auth}}}, served},
		{"split cookies", h2Request{fields: base("GET", "/"+visible+"/_search", [2]string{"cookie", "a=1"}, [2]string{"cookie", "b=2"})}, served},
		{"te: trailers", h2Request{fields: base("GET", "/"+visible+"/_search", [2]string{"te", "trailers"})}, served},
		{"connection header", h2Request{fields: base("GET", "/"+visible+"/_search", [2]string{"connection", "close"})}, refused},
		{"transfer-encoding header", h2Request{fields: base("POST", "/"+visible+"/_search", [2]string{"transfer-encoding", "chunked"}, json), data: []string{"1a\r\n" + matchAll + "\r\n0\r\n\r\n"}}, refused},
		{"forbidden index, control", h2Request{fields: base("GET", "/"+secret+"/_search")}, 403},
	} {
		a := h2Send(t, p, tc.req)
		if strings.Contains(a.body, canary) {
			t.Errorf("%s: the forbidden document leaked: %d %.300s", tc.name, a.status, a.body)
		}
		got := a.status
		if a.reset >= 0 && a.status == 0 {
			got = reset
		}
		switch {
		case tc.want == 0: // any refusal
			if got == served {
				t.Errorf("%s: served: %.300s", tc.name, a.body)
			}
		case got != tc.want:
			t.Errorf("%s: %d (reset %d) %.300s, want %d", tc.name, a.status, a.reset, a.body, tc.want)
		case got == served && !strings.Contains(a.body, "visible-doc"):
			t.Errorf("%s: served without the visible document: %.300s", tc.name, a.body)
		}
	}
}
