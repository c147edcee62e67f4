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
	for _, realm := range []string{ServiceAccountRealm, APIKeyRealm} {
		other := &Principal{Username: "elastic/kibana", Realm: realm, RealmType: realm, Roles: []string{"elastic/kibana"}}
		a.AddRoles(other)
		if !slices.Equal(other.Roles, []string{"elastic/kibana"}) {
			t.Errorf("AddRoles gave a %s principal the anonymous roles: %v", realm, other.Roles)
		}
	}
}
