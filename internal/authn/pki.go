package authn

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/portcullis-proxy/portcullis/internal/reload"
)

// PKI realm names and defaults, as Elasticsearch spells them.
const (
	// SchemePKI names the PKI authenticator in authenticator lists.
	SchemePKI = "pki"
	// RealmTypePKI is Principal.RealmType of PKI users.
	RealmTypePKI = "pki"
	// DefaultPKIRealmName is the realm name when none is configured.
	DefaultPKIRealmName = "pki1"
	// DefaultPKIUsernamePattern is Elasticsearch's username_pattern default:
	// the first CN of the subject DN.
	DefaultPKIUsernamePattern = `CN=(.*?)(?:,|$)`
	// MetadataPKIDN is the user metadata key Elasticsearch gives the subject
	// DN of PKI users (shown by _authenticate, usable as metadata.pki_dn in
	// role-mapping rules).
	MetadataPKIDN = "pki_dn"
)

// PKIOptions configures a PKIAuthenticator.
type PKIOptions struct {
	// RealmName is Principal.Realm and the realm.name role-mapping field
	// (default DefaultPKIRealmName).
	RealmName string
	// UsernamePattern is a regexp (Go RE2 syntax) searched for in the
	// subject DN (as SubjectDN formats it); its first group is the username
	// (default DefaultPKIUsernamePattern).
	UsernamePattern string
	// CertificateAuthorities, when not nil, are the only CAs the realm
	// trusts: the client certificate must also chain to one of them. Nil
	// trusts the chains the TLS listener verified (tls.client_ca_file).
	CertificateAuthorities *x509.CertPool
	// RoleMapper fills Principal.Roles (nil: no roles). A RoleMapperStore
	// makes reloads take effect at once.
	RoleMapper PrincipalMapper
	// Now is the clock for certificate validity (default time.Now).
	Now func() time.Time
}

// PKIAuthenticator is Elasticsearch's PKI realm: it authenticates a
// request by the client certificate of its TLS connection. The TLS
// listener must verify client certificates (client_authentication optional
// or required, with client_ca_file); a certificate whose chain the
// listener did not verify is never trusted.
type PKIAuthenticator struct {
	realm   string
	pattern *regexp.Regexp
	// ownCAs says the realm has its own certificate authorities (roots);
	// else it trusts the listener's.
	ownCAs bool
	roots  atomic.Pointer[x509.CertPool]
	// caSum fingerprints the CA file last loaded (ReloadCertificateAuthorities).
	caMu   sync.Mutex
	caSum  [sha256.Size]byte
	mapper PrincipalMapper
	now    func() time.Time
	// listener gives the listener's client CAs in force (nil: none set;
	// see SetListenerTrust).
	listener func() *x509.CertPool
}

// SetListenerTrust gives a realm without its own certificate authorities
// the listener's client CAs in force (tls.client_ca_file, reloaded): every
// request's chain is verified again with them, at the current time. The
// handshake verified it once, with the CAs and the clock of that moment,
// and a connection can outlive both: a CA removed from the file, or a
// certificate expired since, must not keep authenticating on it. Call it
// before the realm is used.
func (a *PKIAuthenticator) SetListenerTrust(roots func() *x509.CertPool) { a.listener = roots }

// ReloadCertificateAuthorities reads the realm's certificate_authorities
// file again and, when its content changed, puts its CAs in force at once
// (open connections included): a CA removed from the file stops
// authenticating its certificates without a restart. A file that cannot
// be read or parsed any more trusts nothing until it is repaired (fail
// closed: the CA it was meant to drop must not stay trusted), and err says
// why. A realm that trusts the listener's CAs has nothing to reload.
func (a *PKIAuthenticator) ReloadCertificateAuthorities(path string) (changed bool, err error) {
	if !a.ownCAs || path == "" {
		return false, nil
	}
	a.caMu.Lock()
	defer a.caMu.Unlock()
	data, readErr := reload.ReadFile(path)
	sum := sha256.Sum256(append([]byte(fmt.Sprint(readErr)+"\x00"), data...))
	// The first call has no previous content to compare with: it loads the
	// file again (it may have changed since startup) and reports no change.
	first := a.caSum == [sha256.Size]byte{}
	if !first && sum == a.caSum {
		return false, nil
	}
	a.caSum = sum
	if readErr != nil {
		a.roots.Store(x509.NewCertPool())
		return !first, fmt.Errorf("pki realm: reading certificate authorities: %w; no certificate is trusted until it is repaired", readErr)
	}
	pool, err := parseCertificateAuthorities(path, data)
	if err != nil {
		a.roots.Store(x509.NewCertPool())
		return !first, fmt.Errorf("pki realm: %w; no certificate is trusted until it is repaired", err)
	}
	a.roots.Store(pool)
	return !first, nil
}

// CompilePKIUsernamePattern compiles a username_pattern ("" is the
// default) and checks that it has a capturing group. It is
// case-insensitive for ASCII letters only, as Elasticsearch compiles it
// (Pattern.CASE_INSENSITIVE, see asciiCaseInsensitive).
func CompilePKIUsernamePattern(pattern string) (*regexp.Regexp, error) {
	if pattern == "" {
		pattern = DefaultPKIUsernamePattern
	}
	re, err := asciiCaseInsensitive(pattern)
	if err != nil {
		return nil, fmt.Errorf("username_pattern: %w", err)
	}
	if re.NumSubexp() < 1 {
		return nil, errors.New("username_pattern needs a capturing group (its first group is the username)")
	}
	return re, nil
}

// LoadCertificateAuthorities reads a PEM file of CA certificates. Every
// PEM block must be a parsable certificate, and there must be at least one.
func LoadCertificateAuthorities(path string) (*x509.CertPool, error) {
	data, err := reload.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading certificate authorities: %w", err)
	}
	return parseCertificateAuthorities(path, data)
}

// parseCertificateAuthorities is LoadCertificateAuthorities on the file's
// content.
func parseCertificateAuthorities(path string, data []byte) (*x509.CertPool, error) {
	certs, err := parsePEMCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("certificate authorities %s: %w", path, err)
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// NewPKIAuthenticator applies defaults and compiles the username pattern.
func NewPKIAuthenticator(opts PKIOptions) (*PKIAuthenticator, error) {
	re, err := CompilePKIUsernamePattern(opts.UsernamePattern)
	if err != nil {
		return nil, fmt.Errorf("pki realm: %w", err)
	}
	a := &PKIAuthenticator{realm: opts.RealmName, pattern: re, ownCAs: opts.CertificateAuthorities != nil, mapper: opts.RoleMapper, now: opts.Now}
	a.roots.Store(opts.CertificateAuthorities)
	if a.realm == "" {
		a.realm = DefaultPKIRealmName
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

// Authenticate implements Authenticator. Without a client certificate it
// returns ErrNoCredentials, so that the next authenticator of a chain can
// try the request's other credentials. A certificate that the listener did
// not verify, that the realm's own CAs do not trust, or whose subject DN
// does not match the username pattern is refused with an *AuthError naming
// the DN (as Elasticsearch names the DN in the refusal and the audit).
func (a *PKIAuthenticator) Authenticate(r *http.Request) (*Principal, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, ErrNoCredentials
	}
	leaf := r.TLS.PeerCertificates[0]
	dn, err := SubjectDN(leaf.RawSubject)
	if err != nil {
		return nil, &AuthError{Reason: "pki: " + err.Error()}
	}
	if len(r.TLS.VerifiedChains) == 0 {
		// Only a listener that does not verify client certificates gets
		// here; fail closed rather than trust what the client claims.
		return nil, &AuthError{Username: dn, Reason: "pki: the client certificate was not verified by the TLS listener (tls.client_ca_file)"}
	}
	if err := a.trusted(r.TLS.PeerCertificates); err != nil {
		return nil, &AuthError{Username: dn, Reason: "pki: the client certificate is not trusted (by the realm's certificate_authorities, else by tls.client_ca_file as now loaded): " + err.Error()}
	}
	username, err := a.username(dn)
	if err != nil {
		return nil, &AuthError{Username: dn, Reason: "pki: " + err.Error()}
	}
	p := &Principal{Username: username, Realm: a.realm, RealmType: RealmTypePKI,
		Metadata: map[string]any{MetadataDN: dn, MetadataPKIDN: dn}}
	p.Roles = []string{}
	if a.mapper != nil {
		if roles := a.mapper.Map(p); roles != nil {
			p.Roles = roles
		}
	}
	return p, nil
}

// trusted verifies the presented chain against the realm's own CAs, when
// it has some, else against the listener's client CAs in force (the
// listener verified it against client_ca_file at the handshake).
func (a *PKIAuthenticator) trusted(chain []*x509.Certificate) error {
	var roots *x509.CertPool
	switch {
	case a.ownCAs:
		roots = a.roots.Load()
	case a.listener != nil:
		roots = a.listener()
	}
	if roots == nil {
		return nil
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: a.now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return err
}

// username applies the realm's username pattern to a subject DN: the first
// group of the first match. A DN that does not match, or whose group is
// empty or not a valid user name, names no user.
func (a *PKIAuthenticator) username(dn string) (string, error) {
	m := a.pattern.FindStringSubmatch(dn)
	if m == nil || m[1] == "" {
		return "", errors.New("the subject DN does not match username_pattern")
	}
	if !utf8.ValidString(m[1]) || len(m[1]) > MaxNameLength {
		return "", errors.New("the username taken from the subject DN is not a valid user name")
	}
	return m[1], nil
}

// parsePEMCertificates parses every CERTIFICATE block of data; any other
// block, or none at all, is an error.
func parsePEMCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("unexpected PEM block %q (only CERTIFICATE blocks are allowed)", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return out, nil
}

// RealmName is the realm's configured name.
func (a *PKIAuthenticator) RealmName() string { return a.realm }

var _ Authenticator = (*PKIAuthenticator)(nil)
