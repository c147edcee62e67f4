package server

import (
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// rolesAuthz allows everything and remembers the roles it was asked about.
type rolesAuthz struct {
	mu    sync.Mutex
	roles [][]string
}

func (a *rolesAuthz) Decide(req authz.Request) authz.Decision {
	a.mu.Lock()
	a.roles = append(a.roles, slices.Clone(req.Roles))
	a.mu.Unlock()
	return authz.Decision{Allowed: true, Unrestricted: true}
}

// TestServiceAccountRolesOnlyForServiceTokens: a user whose role list names
// a service account's built-in role (from users_roles, a role mapping, or a
// mapping template rendering an identity provider's group of that name)
// does not get it; the service account's own token keeps it.
func TestServiceAccountRolesOnlyForServiceTokens(t *testing.T) {
	tests := []struct {
		name string
		p    authn.Principal
		want []string
	}{
		{"file user naming fleet-server", authn.Principal{Username: "eve", Realm: "default_file", Roles: []string{"elastic/fleet-server", "viewer"}}, []string{"viewer"}},
		{"oidc user with a group called elastic/kibana", authn.Principal{Username: "eve", Realm: "oidc1", Roles: []string{"elastic/kibana"}}, []string{}},
		{"user called like the account", authn.Principal{Username: "elastic/fleet-server", Realm: "default_file", Roles: []string{"elastic/fleet-server"}}, []string{}},
		{"service token keeps its role", authn.Principal{Username: "elastic/fleet-server", Realm: authn.ServiceAccountRealm, Roles: []string{"elastic/fleet-server"}}, []string{"elastic/fleet-server"}},
		{"service token cannot carry another account's", authn.Principal{Username: "elastic/fleet-server", Realm: authn.ServiceAccountRealm, Roles: []string{"elastic/fleet-server", "elastic/kibana"}}, []string{"elastic/fleet-server"}},
		{"API key a service account created keeps the account's role", authn.Principal{Username: "elastic/fleet-server", Realm: authn.APIKeyRealm, RealmType: authn.APIKeyRealm, Roles: []string{"elastic/fleet-server"},
			APIKey: &authn.APIKeyRef{ID: "k1", OwnerRealmType: authn.ServiceAccountRealm}}, []string{"elastic/fleet-server"}},
		{"API key of a file user called like the account", authn.Principal{Username: "elastic/fleet-server", Realm: authn.APIKeyRealm, RealmType: authn.APIKeyRealm, Roles: []string{"elastic/fleet-server"},
			APIKey: &authn.APIKeyRef{ID: "k2", OwnerRealmType: "file"}}, []string{}},
		{"ordinary roles untouched", authn.Principal{Username: "ann", Realm: "default_file", Roles: []string{"a", "b"}}, []string{"a", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			az := &rolesAuthz{}
			p := tc.p
			s, _ := newTestServer(t, fakeAuthn{p: &p}, az, 100)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/_cluster/health", nil))
			if rec.Code != 200 || len(az.roles) == 0 {
				t.Fatalf("got %d %s, %d decisions", rec.Code, rec.Body.String(), len(az.roles))
			}
			if got := az.roles[0]; !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Fatalf("decided with roles %q, want %q", got, tc.want)
			}
		})
	}
}
