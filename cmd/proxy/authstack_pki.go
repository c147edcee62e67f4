package main

import (
	"crypto/x509"
	"fmt"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/config"
	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/server"
)

// newPKI is the PKI realm (security.pki) and its role mappings.
func newPKI(cfg *config.Config, log *zap.Logger) (*authn.PKIAuthenticator, *authn.RoleMapperStore, error) {
	p := cfg.Security.PKI
	var roots *x509.CertPool
	if p.CertificateAuthorities != "" {
		var err error
		if roots, err = authn.LoadCertificateAuthorities(p.CertificateAuthorities); err != nil {
			return nil, nil, fmt.Errorf("configuring the PKI realm: security.pki.certificate_authorities: %w", err)
		}
	}
	mappings, probs := authn.NewRoleMapperStore(p.RoleMapping)
	logProblems(log, probs)
	a, err := authn.NewPKIAuthenticator(authn.PKIOptions{
		RealmName: p.RealmName, UsernamePattern: p.UsernamePattern, CertificateAuthorities: roots, RoleMapper: mappings,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("configuring the PKI realm: %w", err)
	}
	trust := "tls.client_ca_file"
	if roots != nil {
		trust = p.CertificateAuthorities
	}
	log.Info("PKI realm enabled", zap.String("realm", a.RealmName()), zap.String("username_pattern", p.UsernamePattern),
		zap.String("trust", trust), zap.String("role_mapping", p.RoleMapping), zap.Int("mappings", mappings.Snapshot().Len()))
	return a, mappings, nil
}

// trustListenerCAs makes a PKI realm without its own certificate
// authorities verify every request's chain with the listener's client CAs
// in force (see authn.PKIAuthenticator.SetListenerTrust).
func (st *authStack) trustListenerCAs(certs *server.CertReloader) {
	if st.pki != nil && certs != nil {
		st.pki.SetListenerTrust(certs.ClientCAs)
	}
}

// reloadPKICAs re-reads the PKI realm's own certificate_authorities file
// (polls and SIGHUP; nothing without PKI or without that file).
func (st *authStack) reloadPKICAs(path string, log *zap.Logger) {
	if st.pki == nil {
		return
	}
	changed, err := st.pki.ReloadCertificateAuthorities(path)
	switch {
	case err != nil:
		log.Error("PKI realm certificate authorities unusable", zap.String("file", path), zap.Error(err))
	case changed:
		log.Info("PKI realm certificate authorities reloaded", zap.String("file", path))
	}
}

// reloadPKIMappings re-reads the PKI realm's role mappings (on SIGHUP;
// nothing without PKI).
func (st *authStack) reloadPKIMappings(log *zap.Logger) {
	if st.pkiMappings != nil {
		logProblems(log, st.pkiMappings.Reload())
	}
}

// checkPKI reports the problems of the PKI realm's role-mapping file, for
// `proxy check` (config.Load has checked the realm's other settings).
func checkPKI(cfg *config.Config) diag.Problems {
	p := cfg.Security.PKI
	if !p.Enabled || p.RoleMapping == "" {
		return nil
	}
	_, probs := authn.LoadRoleMappings(p.RoleMapping)
	return probs
}
