package config

import (
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// realmNames checks the configurable realm names (security.oidc.realm_name,
// security.pki.realm_name) as Elasticsearch checks its realms' names: each
// a valid name, not starting with "_" (reserved for the internal realms:
// _es_api_key, _service_account, __anonymous…), and no two realms of a
// site sharing one, the file and native realms' default_file and
// default_native included.
//
// The realm name is half of who a user is: API keys belong to a user name
// in a realm, and role-mapping rules (realm.name) tell the realms apart,
// PKI and OIDC sharing security.role_mapping by default. An OIDC realm
// named default_file made the provider's "alice" the owner of the users
// file's alice's API keys (list, invalidate, update them to her roles),
// and a PKI realm named like the OIDC realm made rules written for
// certificates match bearer tokens.
func (v *validator) realmNames() {
	s := v.cfg.Security
	type realm struct{ key, name string }
	taken := []realm{
		{"the users file realm", authn.DefaultFileRealmName},
		{"the native realm", authn.DefaultNativeRealmName},
	}
	check := func(key, name string) {
		switch err := authn.ValidateName(name); {
		case err != nil:
			v.errorf(key, "%s: %v", key, err)
			return
		case strings.HasPrefix(name, "_"):
			v.errorf(key, "%s: %q starts with _, which is reserved for the internal realms (API keys, service accounts, anonymous)", key, name)
			return
		}
		for _, t := range taken {
			if t.name == name {
				v.errorf(key, "%s: %q is also the name of %s: realm names must be unique (API keys and role-mapping rules tell users apart by their realm)", key, name, t.key)
				return
			}
		}
		taken = append(taken, realm{key, name})
	}
	if o := s.OIDC; o.Enabled {
		if o.RealmName != "" {
			check("security.oidc.realm_name", o.RealmName)
		} else {
			// The defaults: the bearer realm is <realm_type>1, the
			// browser login's oidc1.
			typ := o.RealmType
			if typ == "" {
				typ = "jwt"
			}
			taken = append(taken, realm{"the OIDC realm (security.oidc.realm_name defaults to " + typ + "1)", typ + "1"})
			if typ != "oidc" && o.Login.Enabled {
				taken = append(taken, realm{"the OIDC browser login's realm (oidc1)", "oidc1"})
			}
		}
	}
	if p := s.PKI; p.Enabled {
		check("security.pki.realm_name", p.RealmName)
	}
}
