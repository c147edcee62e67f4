package server

import (
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// dropServiceAccountRoles removes the service accounts' built-in roles
// ("elastic/fleet-server", "elastic/kibana"…) from a principal that is not
// authenticated as that service account. Elasticsearch gives these roles
// to service tokens only and never resolves them as role names, so a
// users_roles line, a role mapping, or a mapping template rendering an
// identity provider's group called "elastic/fleet-server" must not grant
// them here either.
func dropServiceAccountRoles(p *authn.Principal) {
	if p == nil || !slices.ContainsFunc(p.Roles, authz.IsServiceAccount) {
		return
	}
	// The account's own token, or an API key the account created (Fleet
	// Server makes its agents' keys so): Elasticsearch limits such a key
	// by the account's role.
	serviceToken := p.Realm == authn.ServiceAccountRealm ||
		p.APIKey != nil && p.APIKey.OwnerRealmType == authn.ServiceAccountRealm
	p.Roles = slices.DeleteFunc(slices.Clone(p.Roles), func(role string) bool {
		return authz.IsServiceAccount(role) && !(serviceToken && role == p.Username)
	})
}
