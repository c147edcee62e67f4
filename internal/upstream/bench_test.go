package upstream

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"go.uber.org/zap"
)

const benchBody = `{"took":1,"timed_out":false,"hits":{"total":{"value":1,"relation":"eq"},"hits":[{"_index":"idx","_id":"1","_source":{"message":"hello"}}]}}`

// benchClient returns a client that keeps enough connections alive for
// parallel benchmarks.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}
}

// benchGet runs parallel GETs against target until b.N is reached.
func benchGet(b *testing.B, target string) {
	client := benchClient()
	b.Cleanup(client.CloseIdleConnections)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(target)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

func benchUpstream(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, benchBody)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkProxy measures a small JSON response through the proxy, client
// and upstream on loopback. Compare with BenchmarkUpstreamDirect.
func BenchmarkProxy(b *testing.B) {
	upstream := benchUpstream(b)
	p, err := New(Config{
		Nodes:               []*url.URL{mustParse(b, upstream.URL)},
		HealthCheckInterval: -1,
		Username:            "portcullis",
		Password:            "pw",
	}, zap.NewNop(), NopObserver{})
	if err != nil {
		b.Fatal(err)
	}
	front := httptest.NewServer(p)
	b.Cleanup(front.Close)
	benchGet(b, front.URL+"/idx/_search?q=hello")
}

// BenchmarkUpstreamDirect is BenchmarkProxy's baseline: the same requests
// straight to the upstream.
func BenchmarkUpstreamDirect(b *testing.B) {
	benchGet(b, benchUpstream(b).URL+"/idx/_search?q=hello")
}

// BenchmarkBareReverseProxy is the other baseline: net/http's own
// ReverseProxy and Transport (what bench/bareproxy runs), in the same
// harness, so BenchmarkProxy's cost can be read against it.
func BenchmarkBareReverseProxy(b *testing.B) {
	upstream := benchUpstream(b)
	rp := httputil.NewSingleHostReverseProxy(mustParse(b, upstream.URL))
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}
	front := httptest.NewServer(rp)
	b.Cleanup(front.Close)
	benchGet(b, front.URL+"/idx/_search?q=hello")
}
