package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
)

// TestBulkRoleAPIs: POST /_security/role puts several roles and DELETE
// /_security/role deletes several, each checked as the single-role APIs
// check it (a bad one is reported, the others apply), each audited before
// any is stored, and nothing is stored when the audit cannot be written.
func TestBulkRoleAPIs(t *testing.T) {
	f := newUserAPIFixture(t)
	docs, err := jsonfile.OpenDocs(filepath.Join(t.TempDir(), "native_roles.json"), "roles", func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	f.opts.Roles = docs
	rolesFile := filepath.Join(t.TempDir(), "roles.yml")
	if err := os.WriteFile(rolesFile, []byte("file_role:\n  cluster: [monitor]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := authz.NewRoleStore(rolesFile, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	f.opts.Authorizer = store
	answer := func(method, body string) (int, map[string]any) {
		t.Helper()
		code, out := f.serve(userAdmin, method, "/_security/role", body)
		var a map[string]any
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatalf("%s %s: %v: %s", method, body, err, out)
		}
		return code, a
	}
	list := func(a map[string]any, key string) []string {
		var out []string
		for _, v := range a[key].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	changes := func() []string {
		var out []string
		for _, ev := range f.log.events {
			if ev.EventType == audit.TypeSecurityConfigChange {
				out = append(out, ev.EventAction)
			}
		}
		return out
	}

	code, a := answer("POST", `{"roles":{
		"logs_read":{"indices":[{"names":["logs-*"],"privileges":["read"]}]},
		"metrics_read":{"indices":[{"names":["metrics-*"],"privileges":["read"]}]},
		"bad_priv":{"cluster":["no_such_privilege"]},
		"superuser":{"cluster":["all"]},
		"file_role":{"cluster":["all"]}}}`)
	if code != 200 || !reflect.DeepEqual(list(a, "created"), []string{"logs_read", "metrics_read"}) {
		t.Fatalf("bulk put: %d %v", code, a)
	}
	details := a["errors"].(map[string]any)["details"].(map[string]any)
	if len(details) != 3 || details["bad_priv"] == nil || details["superuser"] == nil || details["file_role"] == nil {
		t.Fatalf("bulk put errors: %v", a["errors"])
	}
	if got := docs.Get(nil); len(got) != 2 {
		t.Fatalf("stored roles: %v", got)
	}
	if got := changes(); !reflect.DeepEqual(got, []string{"put_role", "put_role"}) {
		t.Fatalf("audited changes: %v", got)
	}

	code, a = answer("POST", `{"roles":{"logs_read":{"indices":[{"names":["logs-*"],"privileges":["read"]}]},"metrics_read":{"indices":[{"names":["metrics-*"],"privileges":["read","view_index_metadata"]}]}}}`)
	if code != 200 || !reflect.DeepEqual(list(a, "noop"), []string{"logs_read"}) || !reflect.DeepEqual(list(a, "updated"), []string{"metrics_read"}) || a["created"] != nil || a["errors"] != nil {
		t.Fatalf("bulk put again: %d %v", code, a)
	}

	f.log.broken.Store(true)
	if code, out := f.serve(userAdmin, "POST", "/_security/role", `{"roles":{"unaudited":{"cluster":["monitor"]}}}`); code != 503 {
		t.Fatalf("bulk put without audit: %d %s", code, out)
	}
	if code, out := f.serve(userAdmin, "DELETE", "/_security/role", `{"names":["logs_read"]}`); code != 503 {
		t.Fatalf("bulk delete without audit: %d %s", code, out)
	}
	f.log.broken.Store(false)
	if got := docs.Get([]string{"unaudited", "logs_read"}); len(got) != 1 || got["logs_read"] == nil {
		t.Fatalf("a change was made without its audit record: %v", got)
	}

	code, a = answer("DELETE", `{"names":["logs_read","nope","superuser","logs_read"]}`)
	if code != 200 || !reflect.DeepEqual(list(a, "deleted"), []string{"logs_read"}) || !reflect.DeepEqual(list(a, "not_found"), []string{"nope"}) ||
		a["errors"].(map[string]any)["details"].(map[string]any)["superuser"] == nil {
		t.Fatalf("bulk delete: %d %v", code, a)
	}
	if got := docs.Get(nil); len(got) != 1 || got["metrics_read"] == nil {
		t.Fatalf("roles after the bulk delete: %v", got)
	}
	for _, body := range []string{`{}`, `{"roles":[]}`, `{"roles":{},"x":1}`} {
		if code, out := f.serve(userAdmin, "POST", "/_security/role", body); code != 400 || !strings.Contains(out, "roles") {
			t.Errorf("bulk put %s: %d %s, want 400", body, code, out)
		}
	}
	if code, _ := f.serve(nativeDave, "POST", "/_security/role", `{"roles":{"x":{}}}`); code != 403 {
		t.Errorf("dave (monitor only) put roles: %d, want 403", code)
	}
	if n := f.forwarded.Load(); n != 0 {
		t.Fatalf("%d role API requests reached the cluster", n)
	}
}
