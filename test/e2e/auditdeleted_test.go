package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAuditFileDeleted: once the active audit file is deleted while the
// proxy runs (the file, or its whole folder), its records would go to an
// inode no name reaches and be lost when it is closed, although every
// write and fsync still succeeds. Nothing may be forwarded or refused on
// such records: every request gets the audit trail's 503.
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
			for i, tc := range []struct{ method, path, user, pass string }{
				{"GET", "/", u.Name, u.Password},
				{"GET", "/_cluster/health", u.Name, u.Password},
				{"GET", "/", "mallory", "guess"},
				{"GET", "/", u.Name, u.Password},
			} {
				r := do(t, c, tc.method, p.URL+tc.path, tc.user, tc.pass, nil, nil)
				if !isAuditUnavailable(r) {
					t.Errorf("request %d after the audit %s was deleted: %d %s (want 503: its record would be lost)", i, what, r.Status, r.Body)
				}
			}
			if n := up.Count() - before; n != 0 {
				t.Fatalf("%d requests reached the cluster after the audit %s was deleted", n, what)
			}
		})
	}
}
