package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditAmplification: every search of an _msearch gets its own event,
// and each event repeats the request's header-borne fields (X-Opaque-Id,
// X-Forwarded-For, url.path, url.query). A user without any privilege
// could make a 70 KB request with a 30 KB X-Opaque-Id write 150 MB of audit
// records, and a handful of them fill the audit disk, after which the proxy
// refuses everyone (503). Header-borne values are capped in events, and a
// request whose records would exceed the per-request budget is refused
// (413, one tampered_request event) before anything is forwarded.
func TestAuditAmplification(t *testing.T) {
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	o.Users += "nobody:" + u.Password + "\n"
	o.Roles = "nothing:\n  indices:\n    - names: ['public-*']\n      privileges: [read]\n"
	o.UsersRoles += "nothing:nobody\n"
	p := startProxy(t, o)
	c := p.client(nil)
	log := filepath.Join(p.Dir, "audit.json")
	size := func() int64 {
		st, err := os.Stat(log)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	nd := map[string]string{"Content-Type": "application/x-ndjson", "X-Opaque-Id": strings.Repeat("A", 30000)}

	// A few searches with a long X-Opaque-Id: allowed, the value capped.
	before := size()
	r := do(t, c, "POST", p.URL+"/idx/_msearch", u.Name, u.Password, strings.NewReader(strings.Repeat("{}\n{}\n", 3)), nd)
	if r.Status != 200 {
		t.Fatalf("small _msearch: %d %s", r.Status, r.Body)
	}
	if grew := size() - before; grew > 16<<10 {
		t.Fatalf("4 events with a 30 KB X-Opaque-Id took %d bytes: header values are not capped", grew)
	}

	names := make([]string, 300)
	for i := range names {
		names[i] = fmt.Sprintf("idx-%03d", i)
	}
	manyIndices := strings.Join(names, ",")
	for _, user := range []string{u.Name, "nobody"} {
		before, sent := size(), up.Count()
		body := strings.Repeat("{}\n{\"size\":0}\n", 20000)
		r := do(t, c, "POST", p.URL+"/"+manyIndices+"/_msearch", user, u.Password, strings.NewReader(body), nd)
		grew := size() - before
		if grew > 20<<20 {
			t.Fatalf("%s: a %d-byte _msearch wrote %d bytes of audit records (status %d)", user, len(body), grew, r.Status)
		}
		if r.Status != 413 || !strings.Contains(r.Body, "audit") {
			t.Fatalf("%s: status %d, want 413 (the records would exceed the budget): %.300s", user, r.Status, r.Body)
		}
		if n := up.Count() - sent; n != 0 {
			t.Fatalf("%s: %d requests forwarded", user, n)
		}
		data, _ := os.ReadFile(log)
		if id := r.Header.Get("X-Request-Id"); !strings.Contains(string(data), `"event.action":"tampered_request"`) || !strings.Contains(string(data), id) {
			t.Fatalf("%s: the refusal is not audited", user)
		}
	}
}
