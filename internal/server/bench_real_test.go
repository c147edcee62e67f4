package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/metrics"
)

// BenchmarkChainAsServed is the request of bench/run.sh (a superuser's
// `GET /` with Basic credentials) through the chain as `serve` wires it:
// the production JSON logger (with caller annotations) writing to a
// discarding sink, real Prometheus collectors, the real file realm with a
// warm cache. Only the network, the upstream and the audit fsync are left
// out, so its ns/op and allocs/op are the proxy's own share of a request.
func BenchmarkChainAsServed(b *testing.B) {
	dir := b.TempDir()
	hash, _ := authn.HashPassword("bench-password", 4)
	_ = os.WriteFile(filepath.Join(dir, "users"), []byte("bench:"+hash+"\n"), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "users_roles"), []byte("superuser:bench\n"), 0o600)
	m := metrics.New()
	realm, err := authn.NewFileRealm(authn.FileRealmOptions{UsersPath: filepath.Join(dir, "users"), UsersRolesPath: filepath.Join(dir, "users_roles"), Logger: zap.NewNop(), Observer: m})
	if err != nil {
		b.Fatal(err)
	}
	basic := authn.NewBasicAuthenticator(realm, authn.BasicOptions{Logger: zap.NewNop()})
	rs, _ := authz.ParseRoles("roles.yml", nil)
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = w.Write([]byte(`{"name":"node-1","cluster_name":"bench","tagline":"You Know, for Search"}`))
	})
	enc := zap.NewProductionEncoderConfig()
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
	log := zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel))
	s, err := New(Options{MaxBodyBytes: 1 << 20, Log: log, Authenticator: basic, Authorizer: authz.NewEvaluator(rs),
		Auditor: nopAuditor{}, Upstream: up, Readiness: always(true), Observer: m, MetricsHandler: m.Handler()})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.SetBasicAuth("bench", "bench-password")
	req.Header.Set("User-Agent", "wrk")
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
