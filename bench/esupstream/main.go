// Command esupstream is a minimal, fast stand-in for an Elasticsearch node used
// by bench/run.sh. It answers every request with the body of Elasticsearch's
// `GET /` cluster-info endpoint so that a benchmark through a proxy measures
// the proxy's overhead and not the upstream's work.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	"strconv"
	"time"
)

const body = `{"name":"bench-node-1","cluster_name":"bench","cluster_uuid":"q9H2rM1aSGq3c0mJtW2uVw",` +
	`"version":{"number":"8.15.0","build_flavor":"default","build_type":"tar",` +
	`"build_hash":"1a77947f34deddb41af25e6f0ddb8e830159c179","build_date":"2024-08-05T10:05:34.233336849Z",` +
	`"build_snapshot":false,"lucene_version":"9.11.1","minimum_wire_compatibility_version":"7.17.0",` +
	`"minimum_index_compatibility_version":"7.0.0"},"tagline":"You Know, for Search"}` + "\n"

func main() {
	listen := flag.String("listen", "127.0.0.1:9299", "address to listen on (keep it on loopback)")
	flag.Parse()

	payload := []byte(body)
	ctype := []string{"application/json; charset=UTF-8"}
	product := []string{"Elasticsearch"}
	clen := []string{strconv.Itoa(len(payload))}

	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Drain any request body so the connection can be reused.
		if r.Body != nil {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		hdr := w.Header()
		// Direct map assignment keeps Elasticsearch's exact header spelling.
		hdr["Content-Type"] = ctype
		hdr["X-elastic-product"] = product
		hdr["Content-Length"] = clen
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return
		}
		_, _ = w.Write(payload)
	})

	srv := &http.Server{
		Addr:              *listen,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log.Printf("esupstream listening on http://%s (%d-byte body)", *listen, len(payload))
	log.Fatal(srv.ListenAndServe())
}
