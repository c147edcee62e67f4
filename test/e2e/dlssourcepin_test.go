package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDLSSourceReadAcrossRefresh: a document read under DLS (_doc and
// _source) must answer the very version the visibility check found
// visible. A writer flips two documents between a visible and a hidden
// version while the index refreshes every few milliseconds: "d" with
// internal versions, "e" with the same external version each time
// (external_gte accepts it). No read through the proxy may return a
// hidden version, nor the cluster's version conflict (which names the
// current version's number). Before the fix, about 2% of the _source
// reads of "d" (the _source endpoint takes no version: pinned only with
// realtime=false, it read whatever a refresh had just published) and of
// the _doc reads of "e" (pinned by version number only) returned the
// hidden version, and about 1% of the _doc reads of "d" a conflict.
func TestDLSSourceReadAcrossRefresh(t *testing.T) {
	cluster := openSearchURL(t)
	o, su := superuserOpts(t, cluster)
	ix := fmt.Sprintf("e2e-srcpin-%d", time.Now().UnixNano())
	const secret = "CANARY-SRCPIN-83f1"
	o.Users += "srcpin:" + su.Password + "\n"
	o.UsersRoles += "r_srcpin:srcpin\n"
	o.Roles = "r_srcpin:\n  indices:\n    - names: [\"" + ix + "\"]\n      privileges: [read]\n      query: '{\"term\":{\"grp\":\"pub\"}}'\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	direct := func(method, path, body string) result {
		t.Helper()
		r := do(t, c, method, cluster+path, "", "", strings.NewReader(body), hj)
		if r.Status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
		return r
	}
	direct("PUT", "/"+ix, `{"settings":{"number_of_shards":1,"number_of_replicas":0,"refresh_interval":"5ms"},"mappings":{"properties":{"grp":{"type":"keyword"}}}}`)
	t.Cleanup(func() { dropIndices(t, c, cluster, ix) })
	direct("PUT", "/"+ix+"/_doc/d?refresh=true", `{"grp":"pub","m":"visible"}`)
	// "e" is written with external versions, always the same one
	// (external_gte accepts it): its versions differ only by _seq_no.
	direct("PUT", "/"+ix+"/_doc/e?refresh=true&version=5&version_type=external_gte", `{"grp":"pub","m":"visible"}`)
	// Control: the visible version is read through the proxy.
	if r := do(t, c, "GET", p.URL+"/"+ix+"/_source/d", "srcpin", su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, "visible") {
		t.Fatalf("control: GET _source/d: %d %s", r.Status, r.Body)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Not do(): t.Fatal may not be called from this goroutine; a
		// failed write only makes the race rarer.
		put := func(path, body string) {
			req, err := http.NewRequest("PUT", cluster+path, strings.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			if resp, err := c.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		for i := 0; !stop.Load(); i++ {
			body := `{"grp":"pub","m":"visible"}`
			if i%2 == 1 {
				body = `{"grp":"priv","m":"` + secret + `"}`
			}
			put("/"+ix+"/_doc/d", body)
			put("/"+ix+"/_doc/e?version=5&version_type=external_gte", body)
		}
	}()
	leaks := 0
	for i := 0; i < 400 && leaks < 3; i++ {
		for _, path := range []string{"/_source/d", "/_source/d?_source_includes=m", "/_doc/d", "/_source/e", "/_doc/e", "/_doc/e?_source_includes=m"} {
			r := do(t, c, "GET", p.URL+"/"+ix+path, "srcpin", su.Password, nil, nil)
			if strings.Contains(r.Body, secret) {
				leaks++
				t.Errorf("GET %s%s returned the hidden version: %d %s", ix, path, r.Status, r.Body)
			}
			if r.Status != 200 && r.Status != 404 || strings.Contains(r.Body, "conflict") {
				// A pinned read of a changed document is a missing one,
				// not a conflict naming the current (hidden) version.
				leaks++
				t.Errorf("GET %s%s: %d %s", ix, path, r.Status, r.Body)
			}
		}
	}
	// _mget checks each document's _seq_no and _primary_term.
	for i := 0; i < 150 && leaks < 3; i++ {
		r := do(t, c, "POST", p.URL+"/"+ix+"/_mget", "srcpin", su.Password, strings.NewReader(`{"ids":["d","e"]}`), hj)
		if strings.Contains(r.Body, secret) || r.Status != 200 {
			leaks++
			t.Errorf("_mget: %d %s", r.Status, r.Body)
		}
	}
	stop.Store(true)
	wg.Wait()
}
