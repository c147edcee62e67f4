package server

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// TestHTTP2SchemeHTTPOnTLS: an HTTP/2 request on a TLS connection whose
// :scheme says http still carries the connection's TLS state (net/http's
// h2 server leaves r.TLS nil for it; the ALPN handler fills it in), so the
// 421 of a Host whose certificate is not the connection's holds, and
// requests for the connection's own certificate are served.
func TestHTTP2SchemeHTTPOnTLS(t *testing.T) {
	def, a := certReloaderSerial(t, 1), certReloaderSerial(t, 2)
	reached := make(chan string, 8)
	site := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached <- r.Host
		_, _ = w.Write([]byte("a"))
	})
	au := &syncAuditor{}
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("default")) })
	s, err := New(Options{TLS: def, ReadHeaderTimeout: 5 * time.Second, Log: zap.NewNop(),
		Authenticator: fakeAuthn{p: &authn.Principal{Username: "u"}}, Authorizer: fakeAuthz{true}, Auditor: au,
		Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler(),
		Sites: []Site{{Name: "a", Hosts: []string{"a.example.com"}, Handler: site, TLS: a}}})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveInBackground(t, s, "127.0.0.1:0").Addr().String()

	do := func(serverName, url string) (int, string) {
		t.Helper()
		scheme, authority, _ := strings.Cut(url, "://")
		authority = strings.TrimSuffix(authority, "/")
		return h2Exchange(t, addr, serverName, [][2]string{
			{":method", "GET"}, {":scheme", scheme}, {":authority", authority}, {":path", "/"}})
	}

	for _, tc := range []struct {
		serverName, url string
		code            int
		site            string
	}{
		{"d.example.com", "https://a.example.com/", http.StatusMisdirectedRequest, ""},
		{"d.example.com", "http://a.example.com/", http.StatusMisdirectedRequest, ""},
		{"d.example.com", "http://A.example.com.:443/", http.StatusMisdirectedRequest, ""},
		{"a.example.com", "http://a.example.com/", http.StatusOK, "a"},
		{"d.example.com", "http://d.example.com/", http.StatusOK, "default"},
	} {
		before := len(au.all())
		code, body := do(tc.serverName, tc.url)
		if code != tc.code || tc.site != "" && body != tc.site {
			t.Errorf("SNI %s, %s: %d %s, want %d %s", tc.serverName, tc.url, code, body, tc.code, tc.site)
		}
		if tc.code == http.StatusMisdirectedRequest {
			if !waitFor(func() bool { return len(au.all()) > before }) {
				t.Errorf("SNI %s, %s: refusal not audited", tc.serverName, tc.url)
			} else if ev := au.all()[before]; ev.EventAction != audit.TamperedRequest {
				t.Errorf("SNI %s, %s: audited as %s", tc.serverName, tc.url, ev.EventAction)
			}
		}
	}
	if len(reached) != 1 {
		t.Fatalf("site a served %d requests, want 1", len(reached))
	}
}

// h2Exchange sends one bodiless request, its header fields as given (in
// that order, pseudo-headers included), on a new HTTP/2 connection made for
// serverName, and returns the answer's status and body.
func h2Exchange(t *testing.T, addr, serverName string, fields [][2]string) (int, string) {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: serverName, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN %q", p)
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range fields {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	status, body := 0, ""
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		case *http2.MetaHeadersFrame:
			status, _ = strconv.Atoi(f.PseudoValue("status"))
			if f.StreamEnded() {
				return status, body
			}
		case *http2.DataFrame:
			body += string(f.Data())
			if f.StreamEnded() {
				return status, body
			}
		case *http2.RSTStreamFrame:
			return -int(f.ErrCode), body
		case *http2.GoAwayFrame:
			return -1000, body
		}
	}
}

func (s *syncAuditor) all() []*audit.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*audit.Event(nil), s.events...)
}
