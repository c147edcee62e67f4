package authn

import (
	"net/http/httptest"
	"testing"
	"time"
)

// The per-request cost of bearer authentication (bench/RESULTS.md):
//
//	go test -run '^$' -bench Bearer -benchmem ./internal/authn/
//
// Cached is the steady state of an API client reusing its token: hash the
// token, hit the validated-token cache, map roles. Uncached verifies the
// RS256 signature and maps the claims on every request, which is what a
// proxy without a validation cache pays.

func benchBearer(b *testing.B, mod func(*BearerOptions)) (*BearerAuthenticator, string) {
	b.Helper()
	f := newFakeIssuer(b)
	now := time.Now()
	a := newTestBearer(b, f, newBearerClock(now), mod)
	tok := signRS256(b, f.key("k1"), "k1", baseClaims(f, now))
	p, err := authBearer(a, tok)
	if err != nil {
		b.Fatal(err)
	}
	if len(p.Roles) == 0 {
		b.Fatal("the benchmark token maps to no roles")
	}
	return a, tok
}

func BenchmarkBearerCached(b *testing.B) {
	a, tok := benchBearer(b, nil)
	r := httptest.NewRequest("GET", "/logs-web/_search", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBearerCachedParallel is the cached path under concurrent
// requests (the cache's lock is shared).
func BenchmarkBearerCachedParallel(b *testing.B) {
	a, tok := benchBearer(b, nil)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/logs-web/_search", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		for pb.Next() {
			if _, err := a.Authenticate(r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkBearerUncached(b *testing.B) {
	a, tok := benchBearer(b, func(o *BearerOptions) { o.CacheSize = -1 })
	r := httptest.NewRequest("GET", "/logs-web/_search", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}
