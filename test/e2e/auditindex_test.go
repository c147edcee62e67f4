package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// relay is a loopback TCP relay to the cluster that the test can cut: while
// it is down, connections are refused at once and open ones are closed, as
// a cluster that went away looks to its clients.
type relay struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func newRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go r.accept()
	t.Cleanup(func() {
		ln.Close()
		r.setDown(true)
	})
	return r
}

// URL is the relay's address as an http URL.
func (r *relay) URL() string { return "http://" + r.ln.Addr().String() }

func (r *relay) accept() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		down := r.down
		if !down {
			r.conns[c] = struct{}{}
		}
		r.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		go r.pipe(c)
	}
}

func (r *relay) pipe(c net.Conn) {
	defer r.forget(c)
	up, err := net.DialTimeout("tcp", r.target, 5*time.Second)
	if err != nil {
		return
	}
	r.mu.Lock()
	r.conns[up] = struct{}{}
	r.mu.Unlock()
	defer r.forget(up)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

func (r *relay) forget(c net.Conn) {
	c.Close()
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

// setDown cuts (true) or restores (false) the path to the cluster.
func (r *relay) setDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
	if down {
		for c := range r.conns {
			c.Close()
		}
	}
}

// shippedDoc is an audit record as the index shipper stored it.
type shippedDoc struct {
	ID     string `json:"_id"`
	Source struct {
		Action    string `json:"event.action"`
		RequestID string `json:"request.id"`
		Hash      string `json:"chain.hash"`
	} `json:"_source"`
}

// shippedDocs reads every document of the indices matching pattern.
func shippedDocs(t *testing.T, cluster, pattern string) []shippedDoc {
	t.Helper()
	if resp, err := http.Post(cluster+"/"+pattern+"/_refresh?ignore_unavailable=true&allow_no_indices=true", "application/json", nil); err == nil {
		resp.Body.Close()
	}
	var res struct {
		Hits struct {
			Hits []shippedDoc `json:"hits"`
		} `json:"hits"`
	}
	// A daily index the shipper has just created may not have its shard
	// started yet (503 no_shard_available): wait for it, boundedly.
	for attempt := 0; ; attempt++ {
		resp, err := http.Get(cluster + "/" + pattern + "/_search?size=10000&ignore_unavailable=true&allow_no_indices=true")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable && attempt < 50 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if resp.StatusCode != 200 || json.Unmarshal(b, &res) != nil {
			t.Fatalf("searching %s: %d %s", pattern, resp.StatusCode, b)
		}
		return res.Hits.Hits
	}
}

// fileHashes reads the chain.hash of every record of an audit file.
func fileHashes(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec struct {
			Hash string `json:"chain.hash"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Hash == "" {
			t.Fatalf("audit line without chain.hash: %q", sc.Text())
		}
		out = append(out, rec.Hash)
	}
	return out
}

// TestAuditIndexShipping: the index shipper copies every committed record
// into a real cluster index, and none is lost when the cluster goes away:
// records written during the outage (and across a restart of the proxy
// during it) wait in the durable file and are shipped once the cluster is
// back, each exactly once (document _id = chain.hash).
func TestAuditIndexShipping(t *testing.T) {
	cluster := openSearchURL(t)
	cu, err := url.Parse(cluster)
	if err != nil {
		t.Fatal(err)
	}
	rl := newRelay(t, cu.Host)
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	prefix := fmt.Sprintf("e2e-audit-%d-", time.Now().UnixNano())
	pattern := prefix + "*"
	o.Audit = fmt.Sprintf("  index:\n    url: %q\n    index_pattern: %q\n    flush_interval: 100ms\n    batch_size: 25\n", rl.URL(), prefix+"{yyyy.MM.dd}")
	t.Cleanup(func() {
		req, _ := http.NewRequest("DELETE", cluster+"/"+pattern, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	p := startProxy(t, o)
	c := p.client(nil)
	send := func(n int) []string {
		ids := make([]string, 0, n)
		for i := 0; i < n; i++ {
			r := do(t, c, "GET", p.URL+"/", u.Name, u.Password, nil, nil)
			if r.Status != 200 {
				t.Fatalf("request: %d %s", r.Status, r.Body)
			}
			ids = append(ids, r.Header.Get("X-Request-Id"))
		}
		return ids
	}
	indexed := func() map[string]int {
		n := map[string]int{}
		for _, d := range shippedDocs(t, cluster, pattern) {
			if d.Source.Action == "access_granted" {
				n[d.Source.RequestID]++
			}
		}
		return n
	}
	allIndexed := func(ids []string) bool {
		got := indexed()
		for _, id := range ids {
			if got[id] == 0 {
				return false
			}
		}
		return true
	}

	before := send(20)
	if !eventually(20*time.Second, func() bool { return allIndexed(before) }) {
		t.Fatalf("records not shipped while the cluster is up\n%s", p.logs.String())
	}

	rl.setDown(true)
	during := send(30)
	// The proxy restarts during the outage: the unshipped records wait in
	// the file, the persisted cursor says where shipping resumes.
	p.signal(syscall.SIGTERM)
	if code := p.wait(15 * time.Second); code != 0 {
		t.Fatalf("proxy exit code %d", code)
	}
	p.restart()
	during = append(during, send(10)...)
	time.Sleep(500 * time.Millisecond)
	got := indexed()
	for _, id := range during {
		if got[id] != 0 {
			t.Fatalf("record %s reached the index through a cut connection", id)
		}
	}

	rl.setDown(false)
	after := send(5)
	all := append(append(append([]string{}, before...), during...), after...)
	if !eventually(60*time.Second, func() bool { return allIndexed(all) }) {
		t.Fatalf("records written during the outage were not shipped after it\n%s", p.logs.String())
	}
	// Exactly once: the index holds every record of the file, once.
	hashes := fileHashes(t, filepath.Join(p.Dir, "audit.json"))
	var docs []shippedDoc
	if !eventually(20*time.Second, func() bool {
		docs = shippedDocs(t, cluster, pattern)
		return len(docs) >= len(hashes)
	}) {
		t.Fatalf("%d documents for %d records", len(docs), len(hashes))
	}
	ids := map[string]int{}
	for _, d := range docs {
		ids[d.ID]++
		if d.ID != d.Source.Hash {
			t.Fatalf("document _id %s is not its chain.hash %s", d.ID, d.Source.Hash)
		}
	}
	for _, h := range hashes {
		if ids[h] != 1 {
			t.Errorf("record %s is in the index %d times", h, ids[h])
		}
	}
	if len(docs) != len(hashes) {
		t.Errorf("%d documents for %d records", len(docs), len(hashes))
	}
	for id, n := range indexed() {
		if n != 1 {
			t.Errorf("request %s has %d access_granted documents", id, n)
		}
	}
	t.Logf("index shipping: %d records (%d written during the outage, across a proxy restart), all in %s exactly once", len(hashes), len(during), pattern)
}
