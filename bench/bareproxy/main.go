// Command bareproxy is the baseline for bench/run.sh: a bare
// httputil.ReverseProxy with no auth, no logging and no rewriting. Its
// Transport keeps as many idle upstream connections per host as the load has
// concurrency; with Go's default of 2, every burst would dial new connections.
// It does not ask the upstream for gzip on the client's behalf (DisableCompression).
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9298", "address to listen on")
	upstream := flag.String("upstream", "http://127.0.0.1:9299", "upstream base URL")
	conns := flag.Int("conns", 16, "idle upstream connections kept per host (set to the load's concurrency)")
	flag.Parse()

	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatalf("bad -upstream: %v", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 0 // no global limit
	tr.MaxIdleConnsPerHost = *conns
	tr.IdleConnTimeout = 90 * time.Second
	// Pass the client's Accept-Encoding through untouched. Otherwise the
	// Transport adds "Accept-Encoding: gzip" to requests that have none,
	// OpenSearch gzips every response, and the proxy inflates it again:
	// about 2x the CPU per request against a real node.
	tr.DisableCompression = true

	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = tr
	srv := &http.Server{Addr: *listen, Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("bareproxy http://%s -> %s (MaxIdleConnsPerHost=%d)", *listen, target, *conns)
	log.Fatal(srv.ListenAndServe())
}
