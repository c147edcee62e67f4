// Package authn authenticates callers and turns their credentials into a
// Principal: who they are, which realm vouched for them, and their roles.
package authn

import (
	"encoding/json"
	"maps"
)

// Principal is an authenticated caller.
type Principal struct {
	// Username is the caller's name as the realm knows it.
	Username string
	// Realm is the configured name of the realm that authenticated the caller
	// (for the file realm, "default_file" as in Elasticsearch).
	Realm string
	// Issuer is the OpenID provider (iss) that vouched for the caller when
	// the realm trusts several: Elasticsearch has one issuer per realm, and
	// OpenID Connect names a user by iss and sub together, so the same name
	// from two issuers is two users wherever the proxy compares owners.
	// Empty for every other principal.
	Issuer string
	// RealmType is the realm's type: "file", "oidc", "jwt", "pki", "api_key".
	RealmType string
	// Roles are the role names assigned to the caller, sorted, without duplicates.
	Roles []string
	// FullName and Email come from the realm where it knows them.
	FullName string
	Email    string
	// Metadata holds realm-specific attributes (claims, DN…), usable in role
	// mapping and DLS templates.
	Metadata map[string]any
	// APIKey is set when the caller authenticated with an API key: the
	// principal is then the key's owner, limited by the key.
	APIKey *APIKeyRef
	// ServiceToken is set when the caller is a service account that
	// authenticated with a service account token.
	ServiceToken *ServiceTokenRef
}

// APIKeyRealm is the realm name and type of API key principals, as in
// Elasticsearch's audit log and _authenticate answers.
const APIKeyRealm = "_es_api_key"

// APIKeyRef identifies the API key a request authenticated with. It is
// immutable once built.
type APIKeyRef struct {
	ID   string
	Name string
	// RoleDescriptors are the key's own role descriptors (a JSON object);
	// empty means the owner's privileges, no more.
	RoleDescriptors json.RawMessage
	// Metadata is the key's own metadata (shown by _authenticate; never
	// part of the user's metadata, which DLS templates read).
	Metadata map[string]any
	// OwnerRealmType is the realm type of the key's owner when the key was
	// made (ServiceAccountRealm for a key a service account created).
	OwnerRealmType string
}

// Clone returns a copy that shares nothing mutable at the top level with p:
// Roles is copied, and so is the Metadata map (its values are not deep
// copied). Caches hand out clones so callers cannot alter cached state.
func (p *Principal) Clone() *Principal {
	if p == nil {
		return nil
	}
	c := *p
	c.Roles = append([]string{}, p.Roles...)
	// maps.Clone copies the table wholesale, much cheaper than re-inserting
	// every key: cached bearer principals carry each claim twice
	// (oidc(…) and jwt_claim_…) and are cloned on every request.
	c.Metadata = maps.Clone(p.Metadata)
	return &c
}
