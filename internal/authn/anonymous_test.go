package authn

import (
	"slices"
	"testing"
)

func TestAnonymous(t *testing.T) {
	if NewAnonymous("x", nil, true) != nil {
		t.Fatal("no roles must mean anonymous access is off")
	}
	var off *Anonymous
	p := &Principal{Username: "alice", Roles: []string{"b"}}
	off.AddRoles(p)
	if !slices.Equal(p.Roles, []string{"b"}) {
		t.Fatalf("off added roles: %v", p.Roles)
	}
	a := NewAnonymous("", []string{"public", "logs", "public"}, true)
	ap := a.Principal()
	if ap.Username != DefaultAnonymousUser || ap.Realm != AnonymousRealm || !IsAnonymous(ap) || !slices.Equal(ap.Roles, []string{"logs", "public"}) {
		t.Fatalf("anonymous principal %+v", ap)
	}
	ap.Roles[0] = "changed"
	if a.Principal().Roles[0] != "logs" {
		t.Fatal("principals share the anonymous roles")
	}
	a.AddRoles(p)
	if !slices.Equal(p.Roles, []string{"b", "logs", "public"}) || IsAnonymous(p) {
		t.Fatalf("AddRoles: %v", p.Roles)
	}
}
