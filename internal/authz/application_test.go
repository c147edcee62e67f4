package authz

import (
	"slices"
	"testing"
)

// mapRegistry is an AppPrivileges from a map of "app/name" to actions.
type mapRegistry map[string][]string

func (m mapRegistry) Actions(app, name string) ([]string, bool) {
	a, ok := m[app+"/"+name]
	return a, ok
}

const kibanaApp = "kibana-.kibana"

// kibanaRegistry is a small part of what Kibana registers at startup.
var kibanaRegistry = mapRegistry{
	kibanaApp + "/all":                   {"login:", "version:8.15.0", "api:*", "app:*", "ui:*", "saved_object:*"},
	kibanaApp + "/read":                  {"login:", "version:8.15.0", "ui:*/show", "saved_object:*/get", "saved_object:*/find"},
	kibanaApp + "/space_read":            {"login:", "version:8.15.0", "ui:*/show", "saved_object:*/get", "saved_object:*/find"},
	kibanaApp + "/feature_discover.read": {"login:", "version:8.15.0", "ui:discover/show", "saved_object:search/get", "saved_object:search/find", "app:discover"},
	kibanaApp + "/feature_discover.all":  {"login:", "version:8.15.0", "ui:discover/show", "ui:discover/save", "saved_object:search/*", "app:discover"},
}

const applicationRoles = `
marketing:
  applications:
    - application: kibana-.kibana
      privileges: [feature_discover.read]
      resources: ["space:marketing"]
space_reader:
  applications:
    - application: "kibana-*"
      privileges: [space_read]
      resources: ["space:x"]
everything:
  applications:
    - application: kibana-.kibana
      privileges: [all]
      resources: ["*"]
by_action:
  applications:
    - application: kibana-.kibana
      privileges: ["ui:discover/show", "login:"]
      resources: ["space:*"]
`

func TestApplicationPrivileges(t *testing.T) {
	rs, probs := ParseRoles("roles.yml", []byte(applicationRoles))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	e := NewEvaluator(rs)
	tests := []struct {
		role       string
		resource   string
		privileges []string
		reg        AppPrivileges
		want       bool
	}{
		// Checklist 98: feature_discover.read on space:marketing.
		{"marketing", "space:marketing", []string{"login:", "ui:discover/show", "saved_object:search/get"}, kibanaRegistry, true},
		{"marketing", "space:marketing", []string{"feature_discover.read"}, kibanaRegistry, true},
		{"marketing", "space:default", []string{"ui:discover/show"}, kibanaRegistry, false},
		{"marketing", "space:marketing", []string{"saved_object:search/create"}, kibanaRegistry, false}, // saving a search
		{"marketing", "space:marketing", []string{"feature_discover.all"}, kibanaRegistry, false},
		{"marketing", "*", []string{"login:"}, kibanaRegistry, false},              // every space is more than marketing
		{"marketing", "space:marketing", []string{"ui:discover/show"}, nil, false}, // names resolve to nothing without the registry
		{"marketing", "space:marketing", []string{"feature_nope.read"}, kibanaRegistry, false},
		// Checklist 99: all on * is every feature in every space;
		// space_read on space:x is read-only in x.
		{"everything", "space:any", []string{"ui:discover/save", "saved_object:search/create", "api:foo"}, kibanaRegistry, true},
		{"everything", "*", []string{"feature_discover.all"}, kibanaRegistry, true},
		{"space_reader", "space:x", []string{"ui:discover/show", "saved_object:search/get"}, kibanaRegistry, true},
		{"space_reader", "space:x", []string{"saved_object:search/create"}, kibanaRegistry, false},
		{"space_reader", "space:y", []string{"ui:discover/show"}, kibanaRegistry, false},
		// Privileges granted by action patterns need no registry.
		{"by_action", "space:marketing", []string{"ui:discover/show", "login:"}, nil, true},
		{"by_action", "space:marketing", []string{"ui:discover/save"}, nil, false},
		// Built-in: superuser has everything; kibana_admin all on *.
		{"superuser", "space:any", []string{"feature_discover.all", "ui:anything"}, kibanaRegistry, true},
		{"kibana_admin", "space:any", []string{"ui:discover/save"}, kibanaRegistry, true},
		{"viewer", "space:any", []string{"ui:discover/save"}, kibanaRegistry, false},
		{"viewer", "space:any", []string{"ui:discover/show"}, kibanaRegistry, true},
	}
	for _, tc := range tests {
		res, err := e.Subject("u", []string{tc.role}).HasPrivileges(PrivilegesCheck{
			Registered:  tc.reg,
			Application: []ApplicationPrivilegesCheck{{Application: kibanaApp, Resources: []string{tc.resource}, Privileges: tc.privileges}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.HasAllRequested != tc.want {
			t.Errorf("%s on %s %v: %v, want %v (%v)", tc.role, tc.resource, tc.privileges, res.HasAllRequested, tc.want, res.Application)
		}
		for _, p := range tc.privileges {
			if _, ok := res.Application[kibanaApp][tc.resource][p]; !ok {
				t.Errorf("%s: no answer for %s", tc.role, p)
			}
		}
	}
}

// TestManagesApplications: kibana_system may manage Kibana's application
// privileges (and no other application's); others may not.
func TestManagesApplications(t *testing.T) {
	e := NewEvaluator(nil)
	d := e.Decide(Request{User: "kibana_system", Roles: []string{"kibana_system"}, Action: "cluster:admin/xpack/security/privilege/put"})
	if !d.Allowed || !slices.Equal(d.ManagedApplications, []string{"kibana-*"}) {
		t.Fatalf("kibana_system putting privileges: %+v", d)
	}
	if d := e.Decide(Request{User: "su", Roles: []string{"superuser"}, Action: "cluster:admin/xpack/security/privilege/put"}); !d.Allowed || d.ManagedApplications != nil {
		t.Fatalf("superuser putting privileges: %+v", d)
	}
	if d := e.Decide(Request{User: "v", Roles: []string{"viewer"}, Action: "cluster:admin/xpack/security/privilege/put"}); d.Allowed {
		t.Fatal("viewer may put privileges")
	}
	cluster, index := BuiltinPrivileges()
	if !slices.Contains(cluster, "manage_own_api_key") || !slices.Contains(index, "read") || !slices.IsSorted(cluster) {
		t.Fatalf("builtin privileges %v %v", cluster, index)
	}
}

// TestApplicationEntriesDoNotPool: Elasticsearch grants a privilege when one
// role entry grants all its actions on the resource; read on * and write on
// * are not admin (read and write), nor is read on space:a plus write on *
// admin on space:a. Entries with the same privileges pool their resources.
func TestApplicationEntriesDoNotPool(t *testing.T) {
	rs, probs := ParseRoles("roles.yml", []byte(`
split:
  applications:
    - {application: myapp, privileges: [read], resources: ["*"]}
    - {application: myapp, privileges: [write], resources: ["*"]}
scoped:
  applications:
    - {application: myapp, privileges: [read], resources: ["space:a"]}
    - {application: myapp, privileges: [write], resources: ["*"]}
pooled:
  applications:
    - {application: myapp, privileges: [read], resources: ["space:a"]}
    - {application: myapp, privileges: [read], resources: ["space:b"]}
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	reg := mapRegistry{"myapp/read": {"data:read/*"}, "myapp/write": {"data:write/*"}, "myapp/admin": {"data:read/*", "data:write/*"}}
	e := NewEvaluator(rs)
	for _, tc := range []struct {
		role, resource, privilege string
		want                      bool
	}{
		{"split", "r1", "admin", false},
		{"split", "r1", "read", true},
		{"split", "r1", "data:write/x", true},
		{"scoped", "space:a", "admin", false},
		{"scoped", "space:a", "read", true},
		{"pooled", "space:*", "read", false}, // more than a and b
		{"pooled", "space:b", "read", true},
	} {
		res, err := e.Subject("u", []string{tc.role}).HasPrivileges(PrivilegesCheck{Registered: reg,
			Application: []ApplicationPrivilegesCheck{{Application: "myapp", Resources: []string{tc.resource}, Privileges: []string{tc.privilege}}}})
		if err != nil {
			t.Fatal(err)
		}
		if res.HasAllRequested != tc.want {
			t.Errorf("%s: %s on %s = %v, want %v", tc.role, tc.privilege, tc.resource, res.HasAllRequested, tc.want)
		}
	}
}

// TestWritesProfileData: kibana_system writes the profile data of Kibana's
// applications only (global profile.write), manage_user_profile of any,
// others none; an API key whose descriptors name other applications than
// its owner's is refused rather than approximated.
func TestWritesProfileData(t *testing.T) {
	rs, probs := ParseRoles("roles.yml", []byte("other_apps:\n  global:\n    profile:\n      write:\n        applications: [\"observability\"]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	e := NewEvaluator(rs)
	d := e.Decide(Request{User: "kibana_system", Roles: []string{"kibana_system"}, Action: ProfileDataAction})
	if !d.Allowed || !slices.Equal(d.ProfileApplications, []string{"kibana*"}) {
		t.Fatalf("kibana_system writing profile data: %+v", d)
	}
	if d := e.Decide(Request{User: "su", Roles: []string{"superuser"}, Action: ProfileDataAction}); !d.Allowed || d.ProfileApplications != nil {
		t.Fatalf("superuser writing profile data: %+v", d)
	}
	if d := e.Decide(Request{User: "v", Roles: []string{"viewer"}, Action: ProfileDataAction}); d.Allowed {
		t.Fatal("viewer may write profile data")
	}
	if d := e.Decide(Request{User: "kibana_system", Roles: []string{"kibana_system"}, Action: "cluster:admin/xpack/security/profile/set_enabled"}); d.Allowed {
		t.Fatal("profile.write allows more than profile data")
	}
	owner := Decision{Allowed: true, Unrestricted: true, ProfileApplications: []string{"kibana*"}}
	key := Decision{Allowed: true, Unrestricted: true, ProfileApplications: []string{"observability"}}
	if d := intersect(Request{Action: ProfileDataAction}, owner, key, apiKeySides); d.Allowed {
		t.Fatalf("owner and key with different profile applications: %+v", d)
	}
	if d := intersect(Request{Action: ProfileDataAction}, Decision{Allowed: true, Unrestricted: true}, key, apiKeySides); !d.Allowed || !slices.Equal(d.ProfileApplications, []string{"observability"}) {
		t.Fatalf("an unrestricted owner, a key limited to observability: %+v", d)
	}
}
