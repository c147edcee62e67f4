package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// restart starts the proxy again with the same folder and configuration
// (after it died), and waits until it is healthy.
func (p *proxy) restart() {
	p.t.Helper()
	p.cmd = exec.Command(proxyBin, "serve", "--config", filepath.Join(p.Dir, "config.yaml"))
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.done = make(chan error, 1)
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	p.waitHealthy()
}

// TestAuditCrash: under concurrent writes through the proxy, kill -9 the
// proxy mid-run and restart it. Every document that reached the cluster
// must have the access_granted record of its request in the audit log, and
// the surviving log's hash chain must verify (issue #5's crash test).
//
// It runs with the active file appended to (the default) and preallocated
// (audit.preallocate_bytes): then the killed proxy leaves a file that ends
// with NUL bytes, which the restart must trim.
func TestAuditCrash(t *testing.T) {
	for _, mode := range []struct{ name, audit string }{
		{"append", ""},
		{"preallocated", "  preallocate_bytes: 4194304\n"},
	} {
		t.Run(mode.name, func(t *testing.T) { auditCrash(t, mode.audit) })
	}
}

func auditCrash(t *testing.T, auditLines string) {
	os_ := openSearchURL(t)
	o, u := superuserOpts(t, os_)
	o.Audit += auditLines
	p := startProxy(t, o)
	p.waitReady()
	idx := fmt.Sprintf("e2e-crash-%d", time.Now().UnixNano())
	c := p.client(nil)
	t.Cleanup(func() {
		req, _ := http.NewRequest("DELETE", os_+"/"+idx, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	if r := do(t, c, "PUT", p.URL+"/"+idx, u.Name, u.Password, nil, nil); r.Status != 200 {
		t.Fatalf("creating %s: %d %s", idx, r.Status, r.Body)
	}
	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				req, _ := http.NewRequest("PUT", p.URL+"/"+idx+"/_doc/"+id, strings.NewReader(`{"n":1}`))
				req.Header.Set("Content-Type", "application/json")
				req.SetBasicAuth(u.Name, u.Password)
				resp, err := c.Do(req)
				if err != nil {
					return // the proxy died
				}
				resp.Body.Close()
				sent.Add(1)
			}
		}(w)
	}
	time.Sleep(3 * time.Second)
	p.signal(syscall.SIGKILL)
	<-p.done
	close(stop)
	wg.Wait()
	if sent.Load() < 20 {
		t.Fatalf("only %d writes before the kill: the load did not run", sent.Load())
	}

	log := filepath.Join(p.Dir, "audit.json")
	if auditLines != "" {
		// The mode really applied: the killed proxy's file ends with its
		// preallocated zeros, which the restart has to trim.
		if data, err := os.ReadFile(log); err != nil || len(data) == 0 || data[len(data)-1] != 0 {
			t.Fatalf("the preallocated audit file has no NUL tail after kill -9 (err %v)", err)
		}
	}
	p.restart()
	out, err := exec.Command(proxyBin, "audit", "verify", log).CombinedOutput()
	if err != nil {
		t.Fatalf("audit verify after kill -9: %v\n%s", err, out)
	}

	granted := map[string]bool{}
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev["event.action"] == "access_granted" {
			if path, _ := ev["url.path"].(string); strings.HasPrefix(path, "/"+idx+"/_doc/") {
				granted[strings.TrimPrefix(path, "/"+idx+"/_doc/")] = true
			}
		}
	}
	f.Close()

	// What reached the cluster, asked directly.
	resp, err := http.Post(os_+"/"+idx+"/_refresh", "application/json", nil)
	if err == nil {
		resp.Body.Close()
	}
	resp, err = http.Get(os_ + "/" + idx + "/_search?size=10000&_source=false")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Hits struct {
			Hits []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(res.Hits.Hits) == 0 {
		t.Fatal("no document reached the cluster")
	}
	for _, h := range res.Hits.Hits {
		if !granted[h.ID] {
			t.Errorf("document %s is in the cluster without an access_granted record", h.ID)
		}
	}
	t.Logf("crash test: %d writes acknowledged, %d documents in the cluster, %d access_granted records", sent.Load(), len(res.Hits.Hits), len(granted))
}
