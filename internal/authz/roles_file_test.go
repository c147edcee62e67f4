package authz

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// fileRoleNames returns the names of the roles that came from the file.
func fileRoleNames(rs *RoleSet) []string {
	var out []string
	for _, name := range rs.Names() {
		if r, _ := rs.Get(name); !r.Reserved() {
			out = append(out, name)
		}
	}
	return out
}

func problemStrings(ps diag.Problems) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func mustGet(t *testing.T, rs *RoleSet, name string) *Role {
	t.Helper()
	r, ok := rs.Get(name)
	if !ok {
		t.Fatalf("role %q not loaded; have %v", name, rs.Names())
	}
	return r
}

func TestFixtureRolesParse(t *testing.T) {
	rs, probs := LoadRolesFile("testdata/fixture_roles.yml")
	if len(probs) != 0 {
		t.Fatalf("fixture roles.yml has problems:\n%s", strings.Join(problemStrings(probs), "\n"))
	}
	want := []string{"acme_admin", "acme_editor", "acme_reader", "alias_reader", "all_access", "globex_reader",
		"hr_fls", "kibana_like", "payroll_none", "writer_acme"}
	if got := fileRoleNames(rs); !slices.Equal(got, want) {
		t.Fatalf("file roles = %v, want %v", got, want)
	}
	reader := mustGet(t, rs, "acme_reader")
	g := reader.IndexGroups()[0]
	if string(g.Query) != `{"term": {"tenant": "acme"}}` {
		t.Errorf("acme_reader query = %s", g.Query)
	}
	if g.FieldSecurity == nil || !slices.Equal(g.FieldSecurity.Except, []string{"user.email"}) {
		t.Errorf("acme_reader field security = %+v", g.FieldSecurity)
	}
	if all := mustGet(t, rs, "all_access"); !all.IndexGroups()[0].AllowRestrictedIndices {
		t.Error("all_access must allow restricted indices")
	}
}

func TestRichRolesParse(t *testing.T) {
	rs, probs := LoadRolesFile("testdata/rich_roles.yml")
	if len(probs) != 0 {
		t.Fatalf("rich roles.yml has problems:\n%s", strings.Join(problemStrings(probs), "\n"))
	}
	if got, want := fileRoleNames(rs), []string{"cluster_only", "empty_lists", "full", "minimal"}; !slices.Equal(got, want) {
		t.Fatalf("file roles = %v, want %v", got, want)
	}
	r := mustGet(t, rs, "full")
	checkFullRole(t, r)
}

func checkFullRole(t *testing.T, r *Role) {
	t.Helper()
	if r.Line() != 3 || r.Description() != "Everything the schema offers" {
		t.Errorf("line %d description %q", r.Line(), r.Description())
	}
	wantCluster := []string{"monitor", "manage_index_templates", "cluster:admin/xpack/security/user/*", "indices:admin/template/get"}
	if !slices.Equal(r.ClusterPrivileges(), wantCluster) {
		t.Errorf("cluster = %v", r.ClusterPrivileges())
	}
	wantGlobal := GlobalPrivileges{
		ManageApplications:       []string{"app-*"},
		WriteProfileApplications: []string{"kibana*"},
		ManageRoles:              []ManageRolesIndices{{Names: []string{"team-*"}, Privileges: []string{"read"}}},
	}
	if !reflect.DeepEqual(r.Global(), wantGlobal) {
		t.Errorf("global = %+v", r.Global())
	}
	groups := r.IndexGroups()
	if len(groups) != 6 {
		t.Fatalf("%d index groups", len(groups))
	}
	checkGroup(t, groups[0], []string{"single-index"}, []string{"read"}, "", false)
	checkGroup(t, groups[1], []string{"logs-*", "/metrics-20[0-9]{2}.*/", "exact", "2015"},
		[]string{"read", "view_index_metadata", "indices:data/read/*"}, `{"term": {"dept": "x"}}`, false)
	if fs := groups[1].FieldSecurity; fs == nil || !slices.Equal(fs.Grant, []string{"@timestamp", "msg", "customer.*"}) ||
		!slices.Equal(fs.Except, []string{"customer.ssn"}) || groups[1].Line != 21 {
		t.Errorf("group 1 field security %+v line %d", fs, groups[1].Line)
	}
	checkGroup(t, groups[2], []string{"objects-*"}, []string{"read"},
		`{"bool":{"filter":[{"term":{"tenant":"acme"}},{"range":{"age":{"gte":18}}}]}}`, false)
	checkGroup(t, groups[3], []string{"templated-*"}, []string{"read"},
		`{"template":{"params":{},"source":"{\"term\":{\"owner\":\"{{_user.username}}\"}}"}}`, false)
	if fs := groups[4].FieldSecurity; fs == nil || fs.Grant == nil || len(fs.Grant) != 0 {
		t.Errorf("grant: [] must be kept as an empty grant: %+v", fs)
	}
	checkGroup(t, groups[5], []string{".kibana*"}, []string{"all"}, "", true)
	checkRemote(t, r)
	checkMisc(t, r)
}

func checkGroup(t *testing.T, g IndexGroup, names, privs []string, query string, restricted bool) {
	t.Helper()
	if !slices.Equal(g.Names, names) || !slices.Equal(g.Privileges, privs) || string(g.Query) != query ||
		g.AllowRestrictedIndices != restricted || len(g.Patterns) != len(names) {
		t.Errorf("group = names %v privileges %v query %s restricted %v", g.Names, g.Privileges, g.Query, g.AllowRestrictedIndices)
	}
	if query != "" && !json.Valid(g.Query) {
		t.Errorf("query is not JSON: %s", g.Query)
	}
}

func checkRemote(t *testing.T, r *Role) {
	t.Helper()
	ri := r.RemoteIndexGroups()
	if len(ri) != 1 || !slices.Equal(ri[0].Clusters, []string{"rc*"}) || !slices.Equal(ri[0].Names, []string{"remote-logs-*"}) ||
		string(ri[0].Query) != `{"match_all": {}}` {
		t.Errorf("remote_indices = %+v", ri)
	}
	rc := r.RemoteClusterGroups()
	if len(rc) != 1 || !slices.Equal(rc[0].Privileges, []string{"monitor_enrich", "monitor_stats"}) {
		t.Errorf("remote_cluster = %+v", rc)
	}
}

func checkMisc(t *testing.T, r *Role) {
	t.Helper()
	apps := r.Applications()
	if len(apps) != 1 || apps[0].Application != "kibana-.kibana" || !slices.Equal(apps[0].Resources, []string{"space:marketing"}) {
		t.Errorf("applications = %+v", apps)
	}
	if !slices.Equal(r.RunAs(), []string{"user_a", "user_b"}) {
		t.Errorf("run_as = %v", r.RunAs())
	}
	wantMeta := map[string]any{"version": 1, "tags": []any{"a", "b"}, "owner": map[string]any{"team": "sec"}}
	if !reflect.DeepEqual(r.Metadata(), wantMeta) {
		t.Errorf("metadata = %#v", r.Metadata())
	}
	if !reflect.DeepEqual(r.TransientMetadata(), map[string]any{"enabled": true}) {
		t.Errorf("transient_metadata = %#v", r.TransientMetadata())
	}
}

func TestRoleGrants(t *testing.T) {
	rs, probs := LoadRolesFile("testdata/rich_roles.yml")
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	full := mustGet(t, rs, "full")
	g := full.IndexGroups()[1]
	for _, tc := range []struct {
		what string
		got  bool
		want bool
	}{
		{"cluster monitor health", full.ClusterAllows("cluster:monitor/health"), true},
		{"cluster put index template", full.ClusterAllows("indices:admin/index_template/put"), true},
		{"cluster raw user pattern", full.ClusterAllows("cluster:admin/xpack/security/user/put"), true},
		{"cluster raw role pattern", full.ClusterAllows("cluster:admin/xpack/security/role/put"), false},
		{"cluster settings", full.ClusterAllows("cluster:admin/settings/update"), false},
		{"group search", g.Allows("indices:data/read/search"), true},
		{"group mapping", g.Allows("indices:admin/mappings/get"), true},
		{"group write", g.Allows("indices:data/write/index"), false},
		{"group logs-2024", g.MatchesIndex("logs-2024"), true},
		{"group regexp metrics-2024.01", g.MatchesIndex("metrics-2024.01"), true},
		{"group regexp metrics-abc", g.MatchesIndex("metrics-abc"), false},
		{"group numeric name", g.MatchesIndex("2015"), true},
		{"group other", g.MatchesIndex("secret"), false},
		{"kibana group restricted", full.IndexGroups()[5].MatchesIndex(".kibana_1"), true},
		{"cluster_only all", mustGet(t, rs, "cluster_only").ClusterAllows("cluster:admin/xpack/security/role/put"), true},
		{"minimal nothing", mustGet(t, rs, "minimal").ClusterAllows("cluster:monitor/main"), false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.what, tc.got, tc.want)
		}
	}
}

func TestLoadRolesFileMissingAndUnreadable(t *testing.T) {
	dir := t.TempDir()
	rs, probs := LoadRolesFile(filepath.Join(dir, "nope.yml"))
	if len(probs) != 1 || probs[0].Severity != diag.Warning || probs.HasErrors() {
		t.Fatalf("missing file: %v", probs)
	}
	if got := fileRoleNames(rs); len(got) != 0 {
		t.Fatalf("missing file: roles %v", got)
	}
	if _, ok := rs.Get("superuser"); !ok {
		t.Fatal("built-in roles must exist without roles.yml")
	}
	rs, probs = LoadRolesFile(dir) // a directory cannot be read as a file
	if !probs.HasErrors() || len(fileRoleNames(rs)) != 0 {
		t.Fatalf("unreadable file: %v", probs)
	}
}

func TestNilRoleSet(t *testing.T) {
	var rs *RoleSet
	if _, ok := rs.Get("superuser"); ok || rs.Names() != nil {
		t.Fatal("nil RoleSet must be empty")
	}
}

func TestRoleAccessorsReturnCopies(t *testing.T) {
	rs, _ := ParseRoles("roles.yml", []byte("r:\n  cluster: [monitor]\n  run_as: [a]\n  metadata: {k: v}\n"))
	r := mustGet(t, rs, "r")
	r.ClusterPrivileges()[0] = "all"
	r.RunAs()[0] = "b"
	r.Metadata()["k"] = "w"
	if r.ClusterPrivileges()[0] != "monitor" || r.RunAs()[0] != "a" || r.Metadata()["k"] != "v" {
		t.Fatal("accessors must not expose the role's own slices and maps")
	}
}

func TestWriteRolesFileRoundTrip(t *testing.T) {
	// LoadRolesFile reports problems with the path it was given.
	path := filepath.Join(t.TempDir(), "roles.yml")
	if err := os.WriteFile(path, []byte("r:\n  cluster: [bogus]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, probs := LoadRolesFile(path)
	if len(probs) != 1 || probs[0].File != path || probs[0].Line != 2 {
		t.Fatalf("problems = %v", probs)
	}
}
