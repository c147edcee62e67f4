package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditFileDeleted: once the active audit file is deleted while the
// proxy runs (the file, or its whole folder), its records would go to an
// inode no name reaches and be lost when it is closed, although every
// write and fsync still succeeds. Nothing may be forwarded or refused on
// such a record: the request gets the audit trail's 503. The trail then
// goes on in a new file at the same path (the chain shows the records the
// deleted file took with it); while the folder is missing too, every
// request gets 503, until it is back.
func TestAuditFileDeleted(t *testing.T) {
	for _, what := range []string{"file", "folder"} {
		t.Run(what, func(t *testing.T) {
			up := newEchoUpstream(t)
			o, u := superuserOpts(t, up.URL)
			dir := filepath.Join(t.TempDir(), "audit")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			o.AuditFile = filepath.Join(dir, "audit.json")
			p := startProxy(t, o)
			p.waitReady()
			c := p.client(nil)
			if r := do(t, c, "GET", p.URL+"/", u.Name, u.Password, nil, nil); r.Status != 200 {
				t.Fatalf("before the deletion: %d %s", r.Status, r.Body)
			}
			victim := o.AuditFile
			if what == "folder" {
				victim = dir
			}
			if err := os.RemoveAll(victim); err != nil {
				t.Fatal(err)
			}
			before := up.Count()
			// The first record after the deletion lands in the deleted
			// file: refused, nothing forwarded.
			if r := do(t, c, "GET", p.URL+"/_cluster/health", u.Name, u.Password, nil, nil); !isAuditUnavailable(r) {
				t.Errorf("first request after the audit %s was deleted: %d %s (want 503: its record would be lost)", what, r.Status, r.Body)
			}
			if n := up.Count() - before; n != 0 {
				t.Fatalf("%d requests reached the cluster on a record in the deleted file", n)
			}
			if what == "folder" {
				for i := 0; i < 2; i++ {
					if r := do(t, c, "GET", p.URL+"/", u.Name, u.Password, nil, nil); !isAuditUnavailable(r) {
						t.Errorf("request %d with the audit folder gone: %d %s (want 503)", i, r.Status, r.Body)
					}
				}
				if n := up.Count() - before; n != 0 {
					t.Fatalf("%d requests reached the cluster with the audit folder gone", n)
				}
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			// Then the trail goes on in a new file at the same path.
			if r := do(t, c, "GET", p.URL+"/", u.Name, u.Password, nil, nil); r.Status != 200 {
				t.Fatalf("after the audit %s was deleted (and is back): %d %s, want 200", what, r.Status, r.Body)
			}
			if r := do(t, c, "GET", p.URL+"/", "mallory", "guess", nil, nil); r.Status != 401 {
				t.Fatalf("a refusal after the deletion: %d %s, want 401", r.Status, r.Body)
			}
			data, err := os.ReadFile(o.AuditFile)
			if err != nil {
				t.Fatalf("no new audit file: %v", err)
			}
			if !strings.Contains(string(data), `"event.action":"access_granted"`) || !strings.Contains(string(data), `"user.name":"mallory"`) {
				t.Fatalf("the new audit file lacks the requests made after the deletion:\n%s", data)
			}
		})
	}
}
