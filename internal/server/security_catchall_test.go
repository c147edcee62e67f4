package server

import (
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// TestUnimplementedSecurityAPIsAreRefused: a security API the proxy does
// not implement is refused with 400, never forwarded, even to a superuser
// (a cluster with its own security would run it with the proxy's
// credentials, unaudited).
func TestUnimplementedSecurityAPIsAreRefused(t *testing.T) {
	trail, err := audit.NewWithLog(audit.Config{}, &memoryLog{}, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var forwarded atomic.Int32
	admin := &authn.Principal{Username: "admin", Realm: "default_file", Roles: []string{"superuser"}}
	s := chainServer(t, Options{Authenticator: fakeAuthn{p: admin}, Authorizer: authz.NewEvaluator(nil), Auditor: trail,
		Upstream: httpHandlerFunc(func() { forwarded.Add(1) })})
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/_security/oauth2/token", `{"grant_type":"password","username":"a","password":"b"}`},
		{"POST", "/_security/service/elastic/fleet-server/credential/token/t1", ""},
		{"POST", "/_security/delegate_pki", `{"x509_certificate_chain":[]}`},
		{"POST", "/_security/saml/prepare", `{"realm":"saml1"}`},
		{"POST", "/_security/oidc/prepare", `{"realm":"oidc1"}`},
		{"GET", "/_security/settings", ""},
	} {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "is not supported by the security proxy") {
			t.Errorf("%s %s: %d %s", c.method, c.path, rec.Code, rec.Body.String())
		}
	}
	if n := forwarded.Load(); n != 0 {
		t.Fatalf("%d security requests reached the cluster", n)
	}
}
