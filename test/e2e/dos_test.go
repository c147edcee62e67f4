package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// peakRSS is the proxy process's peak resident set (VmHWM), in bytes.
func (p *proxy) peakRSS(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("reading the proxy's peak memory: %v", err) // Linux only, as the suite
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// TestFLSQueryStringExpansionBounded: a user with field-level security
// sends query_string text whose rewrite grows without bound. Every
// wildcard prefix is rewritten to an OR over the visible fields repeating
// its value, so "*:(*:(...(x)...))" grew exponentially with the nesting:
// 57 bytes took the proxy to 22 GB and the kernel's OOM killer (the
// cluster's only guard gone); deep plain nesting cost quadratic CPU (8 s
// for 200 KB). Both are refused (400) at once now, and the proxy stays up
// with a small footprint.
func TestFLSQueryStringExpansionBounded(t *testing.T) {
	f := startFLSLeakFixture(t, `{"mappings":{"properties":{"a":{"type":"keyword"},"b":{"type":"keyword"},"c":{"type":"keyword"},"d":{"type":"keyword"},"secret":{"type":"keyword"}}}}`,
		[]string{"secret"},
		`{"index":{"_id":"1"}}`, `{"a":"x","b":"x","c":"x","d":"x","secret":"CANARY-DOS-5151"}`)
	c := f.p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	qs := func(text string) string {
		return fmt.Sprintf(`{"query":{"query_string":{"query":%q}}}`, text)
	}
	probes := map[string]string{
		"nested wildcard prefixes": qs(strings.Repeat("*:(", 16) + "x" + strings.Repeat(")", 16)),
		"deeply nested prefixes":   qs(strings.Repeat("a:(", 100000) + "x" + strings.Repeat(")", 100000)),
	}
	for name, body := range probes {
		r := do(t, c, "POST", f.p.URL+"/"+f.index+"/_search", "flsuser", f.su.Password, strings.NewReader(body), hj)
		if r.Status != 400 || strings.Contains(r.Body, "CANARY-DOS-5151") {
			t.Errorf("%s: %d: %.300s", name, r.Status, r.Body)
		}
	}
	// A bounded nesting still works, hidden fields rewritten.
	r := do(t, c, "POST", f.p.URL+"/"+f.index+"/_search", "flsuser", f.su.Password,
		strings.NewReader(qs("*:(*:(x)) secret:CANARY-DOS-5151")), hj)
	if r.Status != 200 || !strings.Contains(r.Body, `"_id":"1"`) || strings.Contains(r.Body, "CANARY-DOS-5151") {
		t.Errorf("bounded query: %d %.400s", r.Status, r.Body)
	}
	if rss := f.p.peakRSS(t); rss > 1<<30 {
		t.Errorf("proxy peak RSS %d MiB", rss>>20)
	}
}
