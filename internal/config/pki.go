package config

import (
	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// PKI is Elasticsearch's PKI realm (xpack.security.authc.realms.pki.*):
// users authenticate with the client certificate of their TLS connection,
// which the listener verifies (tls.client_authentication optional or
// required, tls.client_ca_file). Their roles come only from role mappings.
type PKI struct {
	Enabled bool `yaml:"enabled"`
	// RealmName is realm.name in role mappings, the audit and
	// _authenticate (default pki1).
	RealmName string `yaml:"realm_name"`
	// UsernamePattern is searched for in the subject DN (Java's form,
	// "CN=alice, OU=eng, O=Example"); its first group is the username
	// (default CN=(.*?)(?:,|$)).
	UsernamePattern string `yaml:"username_pattern"`
	// CertificateAuthorities is a PEM file of the only CAs the realm
	// trusts (default: every CA of tls.client_ca_file).
	CertificateAuthorities string `yaml:"certificate_authorities"`
	// RoleMapping is the realm's role-mapping file (Elasticsearch's
	// files.role_mapping; default security.role_mapping).
	RoleMapping string `yaml:"role_mapping"`
}

// applyPKIDefaults fills the PKI realm's defaults.
func (c *Config) applyPKIDefaults() {
	p := &c.Security.PKI
	setString(&p.RealmName, authn.DefaultPKIRealmName)
	setString(&p.UsernamePattern, authn.DefaultPKIUsernamePattern)
	setString(&p.RoleMapping, c.Security.RoleMapping)
}

// pki checks security.pki: the listener must verify client certificates,
// the pattern must compile with a group, and the files must be usable.
func (v *validator) pki() {
	p := v.cfg.Security.PKI
	if !p.Enabled {
		return
	}
	if v.cfg.InsecureHTTP || v.cfg.TLS.ClientAuthentication == "none" {
		v.errorf("security.pki.enabled", "security.pki needs TLS with tls.client_authentication optional or required (and tls.client_ca_file): the realm authenticates with the client certificate")
	}
	if _, err := authn.CompilePKIUsernamePattern(p.UsernamePattern); err != nil {
		v.errorf("security.pki.username_pattern", "security.pki.%v", err)
	}
	if p.CertificateAuthorities != "" {
		if _, err := authn.LoadCertificateAuthorities(p.CertificateAuthorities); err != nil {
			v.errorf("security.pki.certificate_authorities", "security.pki.certificate_authorities: %v", err)
		}
	}
	if p.RoleMapping == "" {
		v.errorf("security.pki", "security.pki: a role-mapping file is required (security.pki.role_mapping or security.role_mapping): PKI users get their roles only from role mappings")
	}
	v.readable("security.pki.role_mapping", p.RoleMapping)
}
