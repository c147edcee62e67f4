package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/explain"
)

// canary is seeded into the DLS query of a role the users under test do
// not have: no explanation for them may show it.
const canary = "CANARY-7f3a-never-shown"

// explainFixture writes a configuration, users, users_roles and roles:
// root (superuser), alice (logs-* with DLS and FLS), bob (no index
// privilege); the role "hr" (with the canary) belongs to nobody tested.
func explainFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const hash = "$2a$10$abcdefghijklmnopqrstuu5pYxC7nNZMY6rZPdNqTxyFY5GhH6E0W"
	write("users", "root:"+hash+"\nalice:"+hash+"\nbob:"+hash+"\ncarol:"+hash+"\n")
	write("users_roles", "superuser:root\nlogs_reader:alice\nmonitor_only:bob\nhr:carol\n")
	write("roles.yml", `logs_reader:
  indices:
    - names: ["logs-*"]
      privileges: [read, write]
      query: '{"template":{"source":"{\"term\":{\"owner\":\"{{_user.username}}\"}}"}}'
      field_security:
        grant: ["*"]
        except: ["secret"]
monitor_only:
  cluster: [monitor]
hr:
  indices:
    - names: ["hr-*"]
      privileges: [read]
      query: '{"term":{"tag":"`+canary+`"}}'
`)
	return write("config.yaml", "listen: 127.0.0.1:9243\ninsecure_http: true\nupstream:\n  nodes: [\"http://127.0.0.1:9200\"]\n"+
		"security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\naudit:\n  file: audit.json\n")
}

const bulkBody = `{"index":{"_index":"logs-1","_id":"1"}}
{"msg":"a"}
{"index":{"_index":"hr-payroll","_id":"2"}}
{"msg":"b"}
{"delete":{"_index":"logs-2","_id":"3"}}
`

// TestExplain runs `proxy explain` for each subject and request and checks
// the printed decision, the exact 403 body and the exit code.
func TestExplain(t *testing.T) {
	cfg := explainFixture(t)
	bodyFile := filepath.Join(filepath.Dir(cfg), "bulk.ndjson")
	if err := os.WriteFile(bodyFile, []byte(bulkBody), 0o600); err != nil {
		t.Fatal(err)
	}
	const bob403 = `HTTP 403 {"error":{"root_cause":[{"type":"security_exception","reason":"action [indices:data/read/search] is unauthorized for user [bob] with effective roles [monitor_only] on indices [logs-1], this action is granted by the index privileges [read,all]"}],"type":"security_exception","reason":"action [indices:data/read/search] is unauthorized for user [bob] with effective roles [monitor_only] on indices [logs-1], this action is granted by the index privileges [read,all]"},"status":403}`
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  []string
	}{
		{name: "superuser allowed", args: []string{"--user", "root", "GET", "/logs-1/_search"}, code: 0,
			want: []string{"user:       root", "roles:      superuser", "action:     indices:data/read/search", "decision:   ALLOW", "no password needed"}},
		{name: "DLS and FLS narrow, template rendered", args: []string{"--user", "alice", "GET", "/logs-1/_search"}, code: 0,
			want: []string{"decision:   NARROW", "index logs-1:", `rendered: {"term":{"owner":"alice"}}`, "FLS grant: * except: secret"}},
		{name: "no privilege: exact 403", args: []string{"--user", "bob", "GET", "/logs-1/_search"}, code: 1,
			want: []string{"decision:   DENY", bob403}},
		{name: "--roles without --user, flags after the request", args: []string{"GET", "/logs-1/_search", "--roles", "monitor_only"}, code: 1,
			want: []string{"roles:      monitor_only", "for user [explain] with effective roles [monitor_only]"}},
		{name: "wildcard without metadata", args: []string{"--user", "alice", "GET", "/logs-*/_search"}, code: 0,
			want: []string{"forwarded indices: *,-*", "wildcards are resolved against no indices"}},
		{name: "bulk per item", args: []string{"--user", "alice", "--body", bodyFile, "POST", "/_bulk"}, code: 0,
			want: []string{"decision:   NARROW",
				"item 0 (line 1): index indices:data/write/index:op_type/index id=1 on logs-1: NARROW",
				"item 1 (line 3): index indices:data/write/index:op_type/index id=2 on hr-payroll: DENY",
				"403 action [indices:data/write/index:op_type/index] is unauthorized for user [alice] with effective roles [logs_reader] on indices [hr-payroll]",
				"item 2 (line 5): delete indices:data/write/delete id=3 on logs-2: NARROW"}},
		{name: "bulk body on stdin, superuser", stdin: bulkBody, args: []string{"--user", "root", "--body", "-", "POST", "/_bulk"}, code: 0,
			want: []string{"decision:   ALLOW", "item 1 (line 3): index indices:data/write/index:op_type/index id=2 on hr-payroll: ALLOW"}},
		{name: "unknown endpoint refused", args: []string{"--user", "root", "GET", "/_no_such_api/x/y/z"}, code: 1,
			want: []string{"decision:   DENY", "is not an API the security proxy knows; refused"}},
		{name: "body on a body-less endpoint", stdin: "{}", args: []string{"--user", "root", "--body", "-", "GET", "/_cluster/health"}, code: 1,
			want: []string{"HTTP 400", "does not support having a body"}},
		{name: "mget per document", stdin: `{"docs":[{"_index":"logs-1","_id":"1"},{"_index":"hr-payroll","_id":"2"}]}`,
			args: []string{"--user", "alice", "--body", "-", "POST", "/_mget"}, code: 0,
			want: []string{"item 0: indices:data/read/mget[shard] id=1 on logs-1: NARROW",
				"item 1: indices:data/read/mget[shard] id=2 on hr-payroll: DENY",
				"403 action [indices:data/read/mget[shard]] is unauthorized for user [alice]"}},
		{name: "msearch per search", stdin: "{\"index\":\"logs-1\"}\n{}\n{\"index\":\"hr-payroll\"}\n{}\n",
			args: []string{"--user", "alice", "--body", "-", "POST", "/_msearch"}, code: 0,
			want: []string{"item 0 (line 1): indices:data/read/search on logs-1: NARROW",
				"item 1 (line 3): indices:data/read/search on hr-payroll: DENY"}},
		{name: "bulk with a pipeline parameter refused whole", stdin: bulkBody, args: []string{"--user", "alice", "--body", "-", "POST", "/_bulk?pipeline=p"}, code: 1,
			want: []string{`HTTP 403 {"error":{"root_cause":[{"type":"security_exception","reason":"action [indices:data/write/bulk] is unauthorized for user [alice]: requests naming an ingest pipeline are not supported by the security proxy for this user (a pipeline can write to and read from other indices)"}]`}},
		{name: "bulk item with a pipeline refused whole", stdin: "{\"index\":{\"_index\":\"logs-1\",\"pipeline\":\"p\"}}\n{}\n",
			args: []string{"--user", "alice", "--body", "-", "POST", "/_bulk"}, code: 1,
			want: []string{`"reason":"bulk items with an ingest pipeline are not supported by the security proxy (a pipeline can change the target index)"`}},
		{name: "endpoint refused by policy", args: []string{"--user", "root", "GET", "/_internal/desired_balance"}, code: 1,
			want: []string{"action:     cluster:admin/desired_balance/get_desired_balance", "is refused by the security proxy: internal/operator API"}},
		{name: "malformed body", stdin: `{"query":{"match_all":{}},"query":{}}`, args: []string{"--user", "root", "--body", "-", "POST", "/logs-1/_search"}, code: 1,
			want: []string{"HTTP 400", "Duplicate field"}},
		{name: "unknown user", args: []string{"--user", "mallory", "GET", "/"}, code: 2},
		{name: "no subject", args: []string{"GET", "/"}, code: 2},
		{name: "no request", args: []string{"--user", "root"}, code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(tt.stdin, append([]string{"explain", "--config", cfg}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out+errs, canary) {
				t.Errorf("the canary of a role the user does not have leaked:\n%s", out)
			}
		})
	}
}

// TestExplainJSON checks the machine-readable report of a _bulk.
func TestExplainJSON(t *testing.T) {
	cfg := explainFixture(t)
	code, out, errs := runCLI(bulkBody, "explain", "--config", cfg, "--user", "alice", "--json", "--body", "-", "POST", "/_bulk")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep explain.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Outcome != explain.Narrow || rep.Classification.Action != "indices:data/write/bulk" || len(rep.Items) != 3 {
		t.Fatalf("report: %+v", rep)
	}
	got := []explain.Outcome{rep.Items[0].Outcome, rep.Items[1].Outcome, rep.Items[2].Outcome}
	want := []explain.Outcome{explain.Narrow, explain.Deny, explain.Narrow}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("item %d: %s, want %s", i, got[i], want[i])
		}
	}
	if it := rep.Items[1]; it.Status != http.StatusForbidden || !strings.Contains(it.Reason, "on indices [hr-payroll]") {
		t.Errorf("refused item: %+v", it)
	}
	if a := rep.Items[0].Access; len(a) != 1 || len(a[0].DLS) != 1 || compact(t, a[0].DLS[0].Rendered) != `{"term":{"owner":"alice"}}` {
		t.Errorf("item 0 access: %+v", a)
	}
	if strings.Contains(out, canary) {
		t.Error("canary leaked")
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return b.String()
}

// fakeCluster answers the metadata reads of upstream.MetadataCache and
// records every request, so the test can assert nothing else was sent.
type fakeCluster struct {
	mu   sync.Mutex
	seen []string
}

func (f *fakeCluster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.seen = append(f.seen, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/_cluster/state/metadata":
		_, _ = w.Write([]byte(`{"metadata":{"indices":{
			"logs-1":{"state":"open","settings":{"index":{}},"aliases":[],"system":false},
			"logs-2":{"state":"open","settings":{"index":{}},"aliases":["logs-view"],"system":false},
			"hr-payroll":{"state":"open","settings":{"index":{}},"aliases":[],"system":false}}}}`))
	case r.Method == http.MethodGet && r.URL.Path == "/_alias":
		_, _ = w.Write([]byte(`{"logs-2":{"aliases":{"logs-view":{}}}}`))
	case r.Method == http.MethodGet && r.URL.Path == "/":
		_, _ = w.Write([]byte(`{"version":{"number":"2.19.0","distribution":"opensearch"}}`))
	default:
		w.WriteHeader(http.StatusTeapot)
	}
}

// TestExplainCluster resolves a wildcard against a fake cluster's
// metadata: logs-* narrows to the user's indices and never to hr-payroll,
// and only metadata reads reach the cluster.
func TestExplainCluster(t *testing.T) {
	cfg := explainFixture(t)
	fc := &fakeCluster{}
	srv := httptest.NewServer(fc)
	defer srv.Close()
	code, out, errs := runCLI("", "explain", "--config", cfg, "--user", "alice", "--cluster", srv.URL, "GET", "/logs-*,hr-*/_search?ignore_unavailable=true")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, w := range []string{"metadata:   cluster", "decision:   NARROW", "forwarded indices: logs-1,logs-2,logs-view\n", "index logs-1:", "index logs-2:"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "index hr-payroll") || strings.Contains(out, canary) {
		t.Errorf("output shows what alice may not read:\n%s", out)
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	for _, s := range fc.seen {
		if !strings.HasPrefix(s, "GET ") || (!strings.HasPrefix(s, "GET /_cluster/state/metadata") && s != "GET /_alias" && s != "GET /") {
			t.Errorf("explain sent %q to the cluster; only metadata reads are allowed", s)
		}
	}
	if len(fc.seen) == 0 {
		t.Error("the cluster's metadata was not read")
	}
}

// TestExplainSite: --site decides with the site's users and roles, not the
// default site's; an unknown site is a usage error.
func TestExplainSite(t *testing.T) {
	cfg := explainFixture(t)
	dir := filepath.Dir(cfg)
	const hash = "$2a$10$abcdefghijklmnopqrstuu5pYxC7nNZMY6rZPdNqTxyFY5GhH6E0W"
	for name, content := range map[string]string{
		"users_t": "alice:" + hash + "\n", "users_roles_t": "tenant_reader:alice\n",
		"roles_t.yml": "tenant_reader:\n  indices:\n    - names: [\"t-*\"]\n      privileges: [read]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(cfg)
	sites := "sites:\n  - name: tenant\n    hosts: [t.example.com]\n    upstream:\n      nodes: [\"http://127.0.0.1:9300\"]\n" +
		"    security:\n      users: users_t\n      users_roles: users_roles_t\n      roles: roles_t.yml\n    audit:\n      file: audit-t.json\n"
	if err := os.WriteFile(cfg, append(data, sites...), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--site", "tenant", "--user", "alice", "GET", "/t-1/_search"}, 0, "roles:      tenant_reader"},
		{[]string{"--site", "tenant", "--user", "alice", "GET", "/logs-1/_search"}, 1, "with effective roles [tenant_reader]"},
		{[]string{"--user", "alice", "GET", "/logs-1/_search"}, 0, "roles:      logs_reader"},
		{[]string{"--site", "tenant", "--user", "root", "GET", "/"}, 2, ""},
		{[]string{"--site", "nope", "--user", "alice", "GET", "/"}, 2, ""},
	} {
		code, out, errs := runCLI("", append([]string{"explain", "--config", cfg}, tc.args...)...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want %d; want %q in:\n%s%s", tc.args, code, tc.code, tc.want, out, errs)
		}
	}
}

// TestExplainNativeStores: explain decides as serve does with what the
// security APIs made: a native realm user's roles, the role API's roles
// and the role-mapping API's mappings. A disabled native user cannot log
// in, so it is not explained.
func TestExplainNativeStores(t *testing.T) {
	cfg := explainFixture(t)
	dir := filepath.Dir(cfg)
	const hash = "$2a$10$abcdefghijklmnopqrstuu5pYxC7nNZMY6rZPdNqTxyFY5GhH6E0W"
	for name, content := range map[string]string{
		"native_users.json": `{"users":{"nate":{"password_hash":"` + hash + `","roles":["api_reader"],"enabled":true},` +
			`"dora":{"password_hash":"` + hash + `","roles":["api_reader"],"enabled":false}}}`,
		"native_roles.json":    `{"roles":{"api_reader":{"indices":[{"names":["api-*"],"privileges":["read"]}]}}}`,
		"native_mappings.json": `{"role_mappings":{"m1":{"enabled":true,"roles":["api_reader"],"rules":{"field":{"username":"oscar"}}}}}`,
		"role_mapping.yml":     "",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(cfg)
	extra := strings.Replace(string(data), "  roles: roles.yml\n", "  roles: roles.yml\n  native_users: native_users.json\n"+
		"  native_roles: native_roles.json\n  native_role_mappings: native_mappings.json\n"+
		"  oidc:\n    enabled: true\n    issuers: [\"http://127.0.0.1:1/dex\"]\n    audiences: [portcullis]\n    role_mapping: role_mapping.yml\n", 1)
	if err := os.WriteFile(cfg, []byte(extra), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--user", "nate", "GET", "/api-1/_search"}, 0, "native realm"},
		{[]string{"--user", "nate", "GET", "/logs-1/_search"}, 1, "with effective roles [api_reader]"},
		{[]string{"--roles", "api_reader", "GET", "/api-1/_search"}, 0, "roles:      api_reader"},
		{[]string{"--user", "oscar", "GET", "/api-1/_search"}, 0, "OIDC role mappings"},
		{[]string{"--user", "dora", "GET", "/api-1/_search"}, 1, "with effective roles []"}, // not a native user: OIDC maps no role
		{[]string{"--user", "alice", "GET", "/logs-1/_search"}, 0, "users_roles"},
	} {
		code, out, errs := runCLI("", append([]string{"explain", "--config", cfg}, tc.args...)...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want %d; want %q in:\n%s%s", tc.args, code, tc.code, tc.want, out, errs)
		}
	}
}
