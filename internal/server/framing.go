package server

import (
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// overrideHeaders change, in some stacks, the method or URL a request is
// treated as. The proxy would classify one request while the cluster (or a
// component in front of it) executes another, so they are refused.
// Each is listed as written in error messages and in its canonical form
// (the key net/http stores it under), so no request pays for
// canonicalizing them.
var overrideHeaders = []struct{ name, key string }{
	{"X-HTTP-Method-Override", "X-Http-Method-Override"},
	{"X-HTTP-Method", "X-Http-Method"},
	{"X-Method-Override", "X-Method-Override"},
	{"X-Original-URL", "X-Original-Url"},
	{"X-Rewrite-URL", "X-Rewrite-Url"},
	{"X-Original-Method", "X-Original-Method"},
}

// withFraming refuses requests whose framing the proxy does not model:
// protocol upgrades (h2c, websockets), method-override headers, and
// Transfer-Encoding combined with Content-Length (Go's server already rejects
// duplicate or conflicting Content-Length and unknown transfer codings).
func withFraming(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := framingProblem(r); reason != "" {
			st := stateOf(r)
			st.Decision = "rejected"
			st.Log().Warn("request refused: unsupported framing", zap.String("reason", reason))
			(&eserr.Error{Status: http.StatusBadRequest, Type: "illegal_argument_exception", Reason: reason}).Write(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func framingProblem(r *http.Request) string {
	if r.Header.Get("Upgrade") != "" || headerHasToken(r.Header, "Connection", "upgrade") {
		return "protocol upgrades are not supported by the proxy"
	}
	for _, h := range overrideHeaders {
		if _, ok := r.Header[h.key]; ok {
			return "header [" + h.name + "] is not allowed"
		}
	}
	if len(r.TransferEncoding) > 0 && r.Header.Get("Content-Length") != "" {
		return "Transfer-Encoding and Content-Length must not be combined"
	}
	if r.Method == http.MethodConnect || r.Method == "TRACE" {
		return "method [" + r.Method + "] is not allowed"
	}
	if r.URL.Path == "" || r.URL.Path[0] != '/' || r.URL.Host != "" && r.RequestURI != "" && !strings.HasPrefix(r.RequestURI, "/") {
		return "only origin-form request targets are allowed"
	}
	return ""
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
