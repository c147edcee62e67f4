package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

type nopAuditor struct{}

func (nopAuditor) Record(context.Context, ...*audit.Event) error { return nil }
func (nopAuditor) EmitRequestBody() bool                         { return false }

// BenchmarkChainSuperuser measures the proxy's own work for one allowed
// request (real file realm with a warm cache, real evaluator, classifier,
// access log to a discarding logger), without the network and the audit
// fsync: the part of the per-request cost the proxy controls.
func BenchmarkChainSuperuser(b *testing.B) {
	dir := b.TempDir()
	hash, _ := authn.HashPassword("bench-password", 4)
	_ = os.WriteFile(filepath.Join(dir, "users"), []byte("bench:"+hash+"\n"), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "users_roles"), []byte("superuser:bench\n"), 0o600)
	realm, err := authn.NewFileRealm(authn.FileRealmOptions{UsersPath: filepath.Join(dir, "users"), UsersRolesPath: filepath.Join(dir, "users_roles"), Logger: zap.NewNop()})
	if err != nil {
		b.Fatal(err)
	}
	basic := authn.NewBasicAuthenticator(realm, authn.BasicOptions{Logger: zap.NewNop()})
	rs, _ := authz.ParseRoles("roles.yml", nil)
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"ok":true}`)) })
	s, err := New(Options{MaxBodyBytes: 1 << 20, Log: zap.NewNop(), Authenticator: basic, Authorizer: authz.NewEvaluator(rs),
		Auditor: nopAuditor{}, Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	req := httptest.NewRequest("GET", "/logs-*/_search?size=1", nil)
	req.SetBasicAuth("bench", "bench-password")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
