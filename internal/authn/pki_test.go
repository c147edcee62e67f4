package authn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testCert is a certificate and its key, for minting test chains.
type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// mintCert issues a certificate for subject, signed by ca (self-signed
// when ca is nil).
func mintCert(t *testing.T, subject pkix.Name, ca *testCert, isCA bool) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		IsCA:        isCA, BasicConstraintsValid: true,
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: c, key: key}
}

func poolOf(cs ...*testCert) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c.cert)
	}
	return p
}

// tlsState is the connection state of a handshake that presented chain;
// verified says whether the listener verified it.
func tlsState(chain []*testCert, verified bool) *tls.ConnectionState {
	st := &tls.ConnectionState{}
	for _, c := range chain {
		st.PeerCertificates = append(st.PeerCertificates, c.cert)
	}
	if verified {
		st.VerifiedChains = [][]*x509.Certificate{st.PeerCertificates}
	}
	return st
}

func TestPKIAuthenticate(t *testing.T) {
	listenerCA := mintCert(t, pkix.Name{CommonName: "listener CA"}, nil, true)
	realmCA := mintCert(t, pkix.Name{CommonName: "realm CA"}, nil, true)
	alice := mintCert(t, pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"eng"}, Organization: []string{"corp"}}, realmCA, false)
	bob := mintCert(t, pkix.Name{CommonName: "bob", Organization: []string{"corp"}}, listenerCA, false)
	service := mintCert(t, pkix.Name{CommonName: "svc.example.com", Organization: []string{"corp"}}, realmCA, false)
	noCN := mintCert(t, pkix.Name{Organization: []string{"corp"}}, realmCA, false)
	mapper := mustMapper(t, `
pki_readers:
  enabled: true
  roles: [reader]
  rules: {all: [{field: {realm.name: pki1}}, {field: {dn: "CN=alice, OU=eng, O=corp"}}]}
corp:
  enabled: true
  roles: [corp_member]
  rules: {field: {dn: "*, O=corp"}}
by_metadata:
  enabled: true
  roles: [md]
  rules: {field: {metadata.pki_dn: "CN=bob, O=corp"}}
svc_admin: ["cn=svc.example.com,o=corp"]
`)
	tests := []struct {
		name      string
		opts      PKIOptions
		tls       *tls.ConnectionState
		wantUser  string
		wantRoles []string
		wantDN    string
		wantErr   string // "" success, "none" ErrNoCredentials, else a part of the *AuthError
	}{
		{name: "plain HTTP", tls: nil, wantErr: "none"},
		{name: "TLS without a client certificate", tls: &tls.ConnectionState{}, wantErr: "none"},
		{name: "default pattern, mapped by dn", tls: tlsState([]*testCert{alice}, true),
			wantUser: "alice", wantRoles: []string{"corp_member", "reader"}, wantDN: "CN=alice, OU=eng, O=corp"},
		{name: "mapped by metadata.pki_dn", tls: tlsState([]*testCert{bob}, true),
			wantUser: "bob", wantRoles: []string{"corp_member", "md"}, wantDN: "CN=bob, O=corp"},
		{name: "classic role_mapping.yml DN list", tls: tlsState([]*testCert{service}, true),
			wantUser: "svc.example.com", wantRoles: []string{"corp_member", "svc_admin"}, wantDN: "CN=svc.example.com, O=corp"},
		{name: "another realm name does not match realm.name rules", opts: PKIOptions{RealmName: "pki2"}, tls: tlsState([]*testCert{alice}, true),
			wantUser: "alice", wantRoles: []string{"corp_member"}, wantDN: "CN=alice, OU=eng, O=corp"},
		{name: "custom pattern", opts: PKIOptions{UsernamePattern: `OU=(\w+)`}, tls: tlsState([]*testCert{alice}, true),
			wantUser: "eng", wantRoles: []string{"corp_member", "reader"}, wantDN: "CN=alice, OU=eng, O=corp"},
		{name: "patterns are case-insensitive, as Elasticsearch's", opts: PKIOptions{UsernamePattern: `cn=(.*?)(?:,|$)`}, tls: tlsState([]*testCert{alice}, true),
			wantUser: "alice", wantRoles: []string{"corp_member", "reader"}, wantDN: "CN=alice, OU=eng, O=corp"},
		{name: "custom pattern does not match", opts: PKIOptions{UsernamePattern: `CN=(.+)\.example\.com`}, tls: tlsState([]*testCert{alice}, true),
			wantErr: "does not match username_pattern"},
		{name: "no CN", tls: tlsState([]*testCert{noCN}, true), wantErr: "does not match username_pattern"},
		{name: "unverified by the listener", tls: tlsState([]*testCert{alice}, false), wantErr: "not verified by the TLS listener"},
		{name: "trusted by the realm's CAs", opts: PKIOptions{CertificateAuthorities: poolOf(realmCA)}, tls: tlsState([]*testCert{alice}, true),
			wantUser: "alice", wantRoles: []string{"corp_member", "reader"}, wantDN: "CN=alice, OU=eng, O=corp"},
		{name: "not trusted by the realm's CAs", opts: PKIOptions{CertificateAuthorities: poolOf(realmCA)}, tls: tlsState([]*testCert{bob}, true),
			wantErr: "not trusted (by the realm's certificate_authorities"},
		{name: "expired for the realm's clock", opts: PKIOptions{CertificateAuthorities: poolOf(realmCA), Now: func() time.Time { return time.Now().Add(48 * time.Hour) }},
			tls: tlsState([]*testCert{alice}, true), wantErr: "not trusted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.RoleMapper = mapper
			a, err := NewPKIAuthenticator(opts)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.TLS = tc.tls
			p, err := a.Authenticate(r)
			switch tc.wantErr {
			case "":
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
			case "none":
				if !errors.Is(err, ErrNoCredentials) || p != nil {
					t.Fatalf("Authenticate = %v, %v; want ErrNoCredentials", p, err)
				}
				return
			default:
				var ae *AuthError
				if !errors.As(err, &ae) || !strings.Contains(ae.Reason, tc.wantErr) || p != nil {
					t.Fatalf("Authenticate = %v, %v; want an AuthError containing %q", p, err, tc.wantErr)
				}
				if ae.Username == "" {
					t.Fatalf("the refusal does not name the DN: %v", err)
				}
				return
			}
			realm := opts.RealmName
			if realm == "" {
				realm = "pki1"
			}
			if p.Username != tc.wantUser || p.Realm != realm || p.RealmType != "pki" || !slices.Equal(p.Roles, tc.wantRoles) {
				t.Fatalf("principal %+v, want user %q realm %q roles %v", p, tc.wantUser, realm, tc.wantRoles)
			}
			if p.Metadata[MetadataDN] != tc.wantDN || p.Metadata[MetadataPKIDN] != tc.wantDN {
				t.Fatalf("metadata %v, want dn %q", p.Metadata, tc.wantDN)
			}
		})
	}
}

// TestPKIWithoutMappingsHasNoRoles: the realm never grants roles by
// itself; an unmapped certificate authenticates with none.
func TestPKIWithoutMappingsHasNoRoles(t *testing.T) {
	ca := mintCert(t, pkix.Name{CommonName: "CA"}, nil, true)
	c := mintCert(t, pkix.Name{CommonName: "mallory"}, ca, false)
	for _, m := range []PrincipalMapper{nil, mustMapper(t, "r: {enabled: true, roles: [x], rules: {field: {username: alice}}}\n")} {
		a, err := NewPKIAuthenticator(PKIOptions{RoleMapper: m})
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = tlsState([]*testCert{c}, true)
		p, err := a.Authenticate(r)
		if err != nil || p.Username != "mallory" || p.Roles == nil || len(p.Roles) != 0 {
			t.Fatalf("Authenticate = %+v, %v; want mallory without roles", p, err)
		}
	}
}

// TestPKIRoleMappingReload: a RoleMapperStore's reload applies to the next
// request.
func TestPKIRoleMappingReload(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "role_mapping.yml", "r1: [\"CN=alice\"]\n")
	store, ps := NewRoleMapperStore(path)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	ca := mintCert(t, pkix.Name{CommonName: "CA"}, nil, true)
	c := mintCert(t, pkix.Name{CommonName: "alice"}, ca, false)
	a, err := NewPKIAuthenticator(PKIOptions{RoleMapper: store})
	if err != nil {
		t.Fatal(err)
	}
	roles := func() []string {
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = tlsState([]*testCert{c}, true)
		p, err := a.Authenticate(r)
		if err != nil {
			t.Fatal(err)
		}
		return p.Roles
	}
	if got := roles(); !slices.Equal(got, []string{"r1"}) {
		t.Fatalf("roles %v, want [r1]", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "role_mapping.yml"), []byte("r2: [\"CN=alice\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ps := store.Reload(); len(ps) > 0 {
		t.Fatal(ps)
	}
	if got := roles(); !slices.Equal(got, []string{"r2"}) {
		t.Fatalf("after reload roles %v, want [r2]", got)
	}
}

func TestCompilePKIUsernamePattern(t *testing.T) {
	tests := []struct {
		pattern, dn, want, wantErr string
	}{
		{"", "CN=alice, OU=eng, O=corp", "alice", ""},
		{"", "CN=alice", "alice", ""},
		{"", "OU=eng, CN=alice, O=corp", "alice", ""},
		{`EMAILADDRESS=([^@]+)@`, "EMAILADDRESS=bob@example.com, CN=Bob", "bob", ""},
		{"CN=.*", "", "", "capturing group"},
		{"CN=(", "", "", "username_pattern"},
	}
	for _, tc := range tests {
		re, err := CompilePKIUsernamePattern(tc.pattern)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("CompilePKIUsernamePattern(%q) error %v, want %q", tc.pattern, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if m := re.FindStringSubmatch(tc.dn); m == nil || m[1] != tc.want {
			t.Errorf("pattern %q on %q: %v, want %q", tc.pattern, tc.dn, m, tc.want)
		}
	}
}

func TestLoadCertificateAuthorities(t *testing.T) {
	dir := t.TempDir()
	ca := mintCert(t, pkix.Name{CommonName: "CA"}, nil, true)
	good := writeFile(t, dir, "ca.pem", string(pemCert(ca)))
	if _, err := LoadCertificateAuthorities(good); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"empty.pem":   "",
		"key.pem":     "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"broken.pem":  "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"garbage.pem": "not a PEM file",
	} {
		if _, err := LoadCertificateAuthorities(writeFile(t, dir, name, content)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := LoadCertificateAuthorities(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("a missing file was accepted")
	}
}

func pemCert(c *testCert) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})
}

// TestPKIListenerTrustFollowsReloads: a realm without its own
// certificate_authorities trusts what the listener's client CAs
// (tls.client_ca_file) trust now, not what they trusted when the
// connection was made: a CA removed from the file (reloaded) used to keep
// authenticating its certificates on every connection opened before, for
// as long as the client kept it busy, and so did a certificate that
// expired on an open connection.
func TestPKIListenerTrustFollowsReloads(t *testing.T) {
	ca := mintCert(t, pkix.Name{CommonName: "tenant CA"}, nil, true)
	other := mintCert(t, pkix.Name{CommonName: "other CA"}, nil, true)
	alice := mintCert(t, pkix.Name{CommonName: "alice"}, ca, false)
	current := poolOf(ca, other)
	now := time.Now()
	a, err := NewPKIAuthenticator(PKIOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	a.SetListenerTrust(func() *x509.CertPool { return current })
	auth := func() error {
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = tlsState([]*testCert{alice, ca}, true) // verified at the handshake
		_, err := a.Authenticate(r)
		return err
	}
	if err := auth(); err != nil {
		t.Fatalf("a certificate the listener trusts: %v", err)
	}
	current = poolOf(other) // the tenant's CA removed from tls.client_ca_file
	if err := auth(); err == nil {
		t.Fatal("a certificate of a CA removed from the listener's client CAs still authenticates on an open connection")
	}
	current = poolOf(ca, other)
	now = alice.cert.NotAfter.Add(time.Minute)
	if err := auth(); err == nil {
		t.Fatal("a certificate that expired on an open connection still authenticates")
	}
}

// TestPKIRealmCAsReload: the realm's own certificate_authorities file is
// read again on change (poll, SIGHUP): a CA removed from it stops
// authenticating its certificates, on open connections too; it used to be
// read once at startup, so removing a CA took a restart. A file that no
// longer parses trusts nothing (fail closed), until it is repaired.
func TestPKIRealmCAsReload(t *testing.T) {
	dir := t.TempDir()
	caA := mintCert(t, pkix.Name{CommonName: "CA A"}, nil, true)
	caB := mintCert(t, pkix.Name{CommonName: "CA B"}, nil, true)
	alice := mintCert(t, pkix.Name{CommonName: "alice"}, caA, false)
	pemOf := func(cs ...*testCert) string {
		var b strings.Builder
		for _, c := range cs {
			_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})
		}
		return b.String()
	}
	path := writeFile(t, dir, "realm-ca.pem", pemOf(caA, caB))
	roots, err := LoadCertificateAuthorities(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewPKIAuthenticator(PKIOptions{CertificateAuthorities: roots})
	if err != nil {
		t.Fatal(err)
	}
	auth := func() error {
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = tlsState([]*testCert{alice, caA}, true)
		_, err := a.Authenticate(r)
		return err
	}
	if err := auth(); err != nil {
		t.Fatalf("before: %v", err)
	}
	if changed, err := a.ReloadCertificateAuthorities(path); changed || err != nil {
		t.Fatalf("an unchanged file: changed=%v err=%v", changed, err)
	}
	writeFile(t, dir, "realm-ca.pem", pemOf(caB)) // CA A removed
	if changed, err := a.ReloadCertificateAuthorities(path); !changed || err != nil {
		t.Fatalf("CA A removed: changed=%v err=%v", changed, err)
	}
	if err := auth(); err == nil {
		t.Fatal("a certificate of a CA removed from the realm's certificate_authorities still authenticates")
	}
	writeFile(t, dir, "realm-ca.pem", "") // emptied
	if _, err := a.ReloadCertificateAuthorities(path); err == nil {
		t.Fatal("a broken file was not reported")
	}
	if err := auth(); err == nil {
		t.Fatal("a broken certificate_authorities file trusts something")
	}
	writeFile(t, dir, "realm-ca.pem", pemOf(caA))
	if _, err := a.ReloadCertificateAuthorities(path); err != nil {
		t.Fatal(err)
	}
	if err := auth(); err != nil {
		t.Fatalf("repaired: %v", err)
	}
}

// username_pattern folds case as Java's Pattern.CASE_INSENSITIVE: ASCII
// letters only. With Go's (?i), a subject spelling the pattern's literal
// text with the Kelvin sign or the long s (or É for é) matched, and named
// the user it captured, where Elasticsearch finds no match and refuses the
// certificate. Every expected value is what Java's Pattern prints.
func TestPKIUsernamePatternFoldsASCIIOnly(t *testing.T) {
	tests := []struct{ pattern, dn, want string }{
		{`CN=(.*?)\.users(?:,|$)`, "CN=admin.u\u017fers, OU=x", ""},
		{`CN=(.*?)\.users(?:,|$)`, "CN=admin.USERS, OU=x", "admin"},
		{`CN=(.*?)-ok(?:,|$)`, "CN=root-o\u212a, O=x", ""},
		{`CN=(.*?)é(?:,|$)`, "CN=renÉ, O=x", ""},
		{`cn=(.*?)(?:,|$)`, "CN=alice, O=x", "alice"},
		{`CN=([^,s]+)`, "CN=aSb, O=x", "a"},
		{`CN=([^,k]+)`, "CN=a\u212ab, O=x", "a\u212ab"},
		{`CN=([a-c]+)`, "CN=ABCD", "ABC"},
		{`CN=([^a-c,]+)`, "CN=xyzBq", "xyz"},
		{`OU=(\w+)`, "OU=Eng, CN=x", "Eng"},
	}
	for _, tc := range tests {
		re, err := CompilePKIUsernamePattern(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if m := re.FindStringSubmatch(tc.dn); m != nil {
			got = m[1]
		}
		if got != tc.want {
			t.Errorf("pattern %q on %q: %q, want %q (Java)", tc.pattern, tc.dn, got, tc.want)
		}
	}
}
