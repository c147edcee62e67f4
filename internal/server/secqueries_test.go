package server

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
)

// queryAnswer is the shape of the security query APIs' answers.
type queryAnswer struct {
	Total, Count int
	Roles        []map[string]any
	Users        []map[string]any
	Aggregations map[string]json.RawMessage
}

// TestRoleQuery: the query role API runs over the role API's roles (not
// the roles file's, nor the built-in ones), shows them as the get role API
// does, needs read_security, and refuses what Elasticsearch refuses.
func TestRoleQuery(t *testing.T) {
	f := newUserAPIFixture(t)
	docs, err := jsonfile.OpenDocs(filepath.Join(t.TempDir(), "native_roles.json"), "roles", func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	f.opts.Roles = docs
	rs, probs := authz.ParseRoles("roles.yml", []byte("reader:\n  cluster: [monitor]\nsecreader:\n  cluster: [read_security]\nfile_role:\n  cluster: [all]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	f.opts.Authorizer = authz.NewEvaluator(rs)
	for name, d := range map[string]string{
		"ops_kibana": `{"description":"Kibana for ops","applications":[{"application":"kibana-.kibana","privileges":["feature_discover.read"],"resources":["space:ops"]}],"metadata":{"team":"ops"}}`,
		"dev_kibana": `{"description":"Kibana for devs","applications":[{"application":"kibana-.kibana","privileges":["all"],"resources":["space:dev"]}],"metadata":{"team":"dev"}}`,
		"logs_read":  `{"indices":[{"names":["logs-*"],"privileges":["read"]}]}`,
	} {
		if code, body := f.serve(userAdmin, "PUT", "/_security/role/"+name, d); code != 200 {
			t.Fatalf("putting %s: %d %s", name, code, body)
		}
	}
	secReader := &authn.Principal{Username: "sam", Realm: "default_file", RealmType: "file", Roles: []string{"secreader"}}
	query := func(p *authn.Principal, body string) (int, string, queryAnswer) {
		t.Helper()
		code, out := f.serve(p, "POST", "/_security/_query/role", body)
		var a queryAnswer
		if code == 200 {
			if err := json.Unmarshal([]byte(out), &a); err != nil {
				t.Fatalf("%s: %v: %s", body, err, out)
			}
		}
		return code, out, a
	}
	names := func(a queryAnswer) []string {
		var out []string
		for _, r := range a.Roles {
			out = append(out, r["name"].(string))
		}
		return out
	}

	// Kibana's roles-of-a-space request.
	code, out, a := query(secReader, `{"query":{"bool":{"should":[{"term":{"applications.resources":"space:ops"}},{"term":{"metadata._reserved":true}},{"bool":{"must_not":{"exists":{"field":"metadata._reserved"}}}}],"minimum_should_match":1}},"sort":[{"name":{"order":"asc"}}],"size":1000}`)
	if code != 200 || !slices.Equal(names(a), []string{"dev_kibana", "logs_read", "ops_kibana"}) || a.Total != 3 {
		t.Fatalf("Kibana's space roles: %d %s", code, out)
	}
	if strings.Contains(out, `"file_role"`) || strings.Contains(out, `"superuser"`) {
		t.Errorf("the file's or built-in roles are listed: %s", out)
	}
	if r := a.Roles[2]; r["description"] != "Kibana for ops" || r["transient_metadata"] == nil || r["cluster"] == nil {
		t.Errorf("ops_kibana as shown: %v", r)
	}
	if _, _, a := query(secReader, `{"query":{"bool":{"must":[{"wildcard":{"name":{"value":"*KIBANA*","case_insensitive":true}}}],"must_not":{"term":{"metadata.team":"dev"}}}}}`); !slices.Equal(names(a), []string{"ops_kibana"}) {
		t.Errorf("case-insensitive wildcard on names: %v", names(a))
	}
	if _, out, a := query(secReader, `{"size":0,"aggs":{"apps":{"terms":{"field":"applications.privileges"}}}}`); a.Total != 3 || !strings.Contains(string(a.Aggregations["apps"]), `"key":"all"`) {
		t.Errorf("aggregation over privileges: %s", out)
	}
	if code, _, _ := query(&authn.Principal{Username: "r", Realm: "default_file", RealmType: "file", Roles: []string{"reader"}}, `{}`); code != 403 {
		t.Errorf("without read_security: %d, want 403", code)
	}
	for body, want := range map[string]string{
		`{"query":{"term":{"indices.names":"logs-*"}}}`: "Field [indices.names] is not allowed for querying or aggregation",
		`{"query":{"match_phrase":{"name":"x"}}}`:       "Query type [match_phrase] is not supported",
		`{"unknown":1}`: "[query_role_request] unknown field [unknown]",
	} {
		if code, out, _ := query(secReader, body); code != 400 || !strings.Contains(out, want) {
			t.Errorf("%s: %d %s, want 400 %q", body, code, out, want)
		}
	}
	if n := f.forwarded.Load(); n != 0 {
		t.Fatalf("%d role API requests reached the cluster", n)
	}
}

// TestUserQuery: the query user API runs over the native realm's users,
// shows them without any password hash, sorts and pages them, refuses
// sorting on full_name and email as Elasticsearch does, and needs
// read_security.
func TestUserQuery(t *testing.T) {
	f := newUserAPIFixture(t)
	const canaryPass = "CANARY-user-password"
	for name, d := range map[string]string{
		"dave":  `{"password":"` + canaryPass + `","roles":["reader","editor"],"full_name":"Dave D","email":"dave@example.com"}`,
		"erin":  `{"password":"` + canaryPass + `","roles":["reader"],"enabled":false}`,
		"frida": `{"password":"` + canaryPass + `","roles":["admin"],"full_name":"Frida F"}`,
	} {
		if code, body := f.serve(userAdmin, "PUT", "/_security/user/"+name, d); code != 200 {
			t.Fatalf("putting %s: %d %s", name, code, body)
		}
	}
	query := func(body string) (int, string, queryAnswer) {
		t.Helper()
		code, out := f.serve(userAdmin, "POST", "/_security/_query/user", body)
		var a queryAnswer
		if code == 200 {
			if err := json.Unmarshal([]byte(out), &a); err != nil {
				t.Fatalf("%s: %v: %s", body, err, out)
			}
		}
		return code, out, a
	}
	users := func(a queryAnswer) []string {
		var out []string
		for _, u := range a.Users {
			out = append(out, u["username"].(string))
		}
		return out
	}
	code, out, a := query(`{"query":{"bool":{"must":[{"term":{"roles":"reader"}}],"filter":{"term":{"enabled":true}}}}}`)
	if code != 200 || !slices.Equal(users(a), []string{"dave"}) || a.Users[0]["email"] != "dave@example.com" {
		t.Fatalf("enabled readers: %d %s", code, out)
	}
	code, out, a = query(`{"sort":[{"username":"desc"}],"from":1,"size":1}`)
	if code != 200 || !slices.Equal(users(a), []string{"erin"}) || a.Total != 3 || a.Count != 1 {
		t.Fatalf("second user by name descending: %d %s", code, out)
	}
	if _, out, a := query(`{"query":{"prefix":{"full_name":"Frida"}}}`); !slices.Equal(users(a), []string{"frida"}) || a.Users[0]["email"] != nil {
		t.Errorf("prefix on full_name: %s", out)
	}
	for body, want := range map[string]string{
		`{"sort":["email"]}`:                        "sorting is not supported for field [email]",
		`{"query":{"term":{"password":"x"}}}`:       "Field [password] is not allowed",
		`{"query":{"exists":{"field":"metadata"}}}`: "Field [metadata] is not allowed",
	} {
		if code, out, _ := query(body); code != 400 || !strings.Contains(out, want) {
			t.Errorf("%s: %d %s, want 400 %q", body, code, out, want)
		}
	}
	for _, body := range []string{`{}`, `{"size":100}`, `{"query":{"simple_query_string":{"query":"CANARY*"}}}`} {
		if _, out, _ := query(body); strings.Contains(out, canaryPass) || strings.Contains(out, "$2") || strings.Contains(out, "password") {
			t.Errorf("%s shows a password or hash: %s", body, out)
		}
	}
	if code, _ := f.serve(nativeDave, "POST", "/_security/_query/user", `{}`); code != 403 {
		t.Errorf("dave (monitor only) queried users: %d, want 403", code)
	}
	if n := f.forwarded.Load(); n != 0 {
		t.Fatalf("%d user API requests reached the cluster", n)
	}
}
