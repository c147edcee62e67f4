package audit

import (
	"strings"
	"testing"
)

func TestIgnorePolicies(t *testing.T) {
	granted := func(user string, roles, indices []string) *Event {
		return &Event{EventType: TypeTransport, EventAction: AccessGranted, UserName: user, UserRealm: "default_file",
			UserRoles: roles, Action: "indices:data/read/search", Indices: indices}
	}
	tests := []struct {
		name     string
		policies map[string]IgnoreFilter
		ev       *Event
		ignored  bool
	}{
		// Checklist G78: {users:[kibana_system], indices:[app-*]}.
		{"G78 all indices match", map[string]IgnoreFilter{"p": {Users: []string{"kibana_system"}, Indices: []string{"app-*"}}},
			granted("kibana_system", []string{"kibana_system"}, []string{"app-1", "app-2"}), true},
		{"G78 one index does not match", map[string]IgnoreFilter{"p": {Users: []string{"kibana_system"}, Indices: []string{"app-*"}}},
			granted("kibana_system", []string{"kibana_system"}, []string{"app-1", "other"}), false},
		{"G78 other user", map[string]IgnoreFilter{"p": {Users: []string{"kibana_system"}, Indices: []string{"app-*"}}},
			granted("alice", nil, []string{"app-1"}), false},
		{"G78 event without indices does not match an indices filter", map[string]IgnoreFilter{"p": {Users: []string{"kibana_system"}, Indices: []string{"app-*"}}},
			granted("kibana_system", nil, nil), false},
		// Checklist G79: every role must match.
		{"G79 every role matches", map[string]IgnoreFilter{"p": {Roles: []string{"monitoring", "beats_*"}}},
			granted("u", []string{"monitoring", "beats_writer"}, []string{"i"}), true},
		{"G79 one role does not match", map[string]IgnoreFilter{"p": {Roles: []string{"monitoring", "beats_*"}}},
			granted("u", []string{"monitoring", "superuser"}, []string{"i"}), false},
		{"G79 user without roles", map[string]IgnoreFilter{"p": {Roles: []string{"monitoring"}}},
			granted("u", nil, []string{"i"}), false},
		{"roles filter with empty string matches a user without roles", map[string]IgnoreFilter{"p": {Roles: []string{""}}},
			granted("u", []string{}, []string{"i"}), true},
		// A policy needs all its filters; any policy suffices.
		{"all filters must match", map[string]IgnoreFilter{"p": {Users: []string{"u"}, Realms: []string{"ldap"}}},
			granted("u", nil, nil), false},
		{"any policy suffices", map[string]IgnoreFilter{
			"a": {Users: []string{"nobody"}},
			"b": {Realms: []string{"default_*"}, Actions: []string{"indices:data/read/*"}},
		}, granted("u", nil, []string{"x"}), true},
		// Unset filters are "*": they match anything, including nothing.
		{"unset filters match missing attributes", map[string]IgnoreFilter{"p": {Users: []string{"u"}}},
			granted("u", nil, nil), true},
		{"'*' matches a missing attribute too", map[string]IgnoreFilter{"p": {Indices: []string{"*"}}},
			granted("u", nil, nil), true},
		{"empty string matches only the missing attribute", map[string]IgnoreFilter{"p": {Indices: []string{""}}},
			granted("u", nil, nil), true},
		{"empty string does not match a present attribute", map[string]IgnoreFilter{"p": {Indices: []string{""}}},
			granted("u", nil, []string{"x"}), false},
		{"empty list matches only the missing attribute", map[string]IgnoreFilter{"p": {Indices: []string{}}},
			granted("u", nil, []string{"x"}), false},
		{"empty list, attribute missing", map[string]IgnoreFilter{"p": {Indices: []string{}}},
			granted("u", nil, nil), true},
		{"users: ['', elastic] drops anonymous denials", map[string]IgnoreFilter{"p": {Users: []string{"", "elastic"}}},
			&Event{EventType: TypeRest, EventAction: AnonymousAccessDenied, URLPath: "/"}, true},
		// Patterns.
		{"wildcard ?", map[string]IgnoreFilter{"p": {Users: []string{"svc-?"}}}, granted("svc-1", nil, nil), true},
		{"wildcard ? is one char", map[string]IgnoreFilter{"p": {Users: []string{"svc-?"}}}, granted("svc-12", nil, nil), false},
		{"Lucene regexp", map[string]IgnoreFilter{"p": {Indices: []string{"/logs-20[0-9]{2}/"}}}, granted("u", nil, []string{"logs-2024"}), true},
		{"Lucene regexp is anchored", map[string]IgnoreFilter{"p": {Indices: []string{"/logs-20[0-9]{2}/"}}}, granted("u", nil, []string{"logs-2024x"}), false},
		// run_as events filter on the effective user (the target).
		{"run_as_granted uses the run_as target", map[string]IgnoreFilter{"p": {Users: []string{"bob"}, Realms: []string{"ldap"}}},
			&Event{EventType: TypeTransport, EventAction: RunAsGranted, UserName: "alice", UserRealm: "file", UserRunAsName: "bob", UserRunAsRealm: "ldap"}, true},
		{"run_as_granted: the impersonator does not match", map[string]IgnoreFilter{"p": {Users: []string{"alice"}}},
			&Event{EventType: TypeTransport, EventAction: RunAsGranted, UserName: "alice", UserRunAsName: "bob"}, false},
		{"realm_authentication_failed uses realm", map[string]IgnoreFilter{"p": {Realms: []string{"ldap1"}}},
			&Event{EventType: TypeRest, EventAction: RealmAuthenticationFailed, UserName: "x", Realm: "ldap1"}, true},
		// Checklist G80.
		{"security_config_change is never ignored", map[string]IgnoreFilter{"p": {Users: []string{"*"}}},
			PutUserEvent(UserChange{Name: "x"}), false},
		{"no policies", nil, granted("u", nil, nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := NewPolicies(tt.policies)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := ps.Ignored(tt.ev); got != tt.ignored {
				t.Fatalf("Ignored = %v, want %v", got, tt.ignored)
			}
		})
	}
}

func TestIgnorePolicyNamesMatch(t *testing.T) {
	ps, err := NewPolicies(map[string]IgnoreFilter{"z": {Users: []string{"u"}}, "a": {Users: []string{"u"}}})
	if err != nil {
		t.Fatal(err)
	}
	if ok, name := ps.Ignored(&Event{EventAction: AccessGranted, UserName: "u"}); !ok || name != "a" {
		t.Fatalf("Ignored = %v %q, want first policy by name", ok, name)
	}
	var nilPS *Policies
	if ok, _ := nilPS.Ignored(&Event{}); ok {
		t.Fatal("nil policies ignore nothing")
	}
}

func TestIgnorePolicyBadPattern(t *testing.T) {
	_, err := NewPolicies(map[string]IgnoreFilter{"bad": {Indices: []string{"/unclosed"}}})
	if err == nil || !strings.Contains(err.Error(), "ignore_filters.bad.indices") {
		t.Fatalf("err = %v", err)
	}
}
