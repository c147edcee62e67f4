package e2e

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newClientCert issues a client certificate for subject, signed by ca.
func newClientCert(t *testing.T, subject pkix.Name, ca *certPair) tls.Certificate {
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
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestPKI: the PKI realm through the binary against the real cluster. The
// listener trusts two CAs (client_authentication: optional); the realm
// trusts only the first. alice's certificate (CN=alice, OU=eng, O=e2e) is
// mapped by its DN to a role that reads pki-pub-* only: the canary of
// pki-secret-* never shows, whatever she asks, even with a superuser's
// Basic header next to her certificate (the PKI realm comes first). A
// certificate the username pattern rejects, or from the CA only the
// listener trusts, is 401; an unmapped certificate authenticates with no
// roles; without a certificate Basic works as before.
func TestPKI(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	o.TLS, o.ClientAuth = true, "optional"
	n := time.Now().UnixNano()
	pub, secret := fmt.Sprintf("pki-pub-%d", n), fmt.Sprintf("pki-secret-%d", n)
	const canary = "CANARY-PKI-SECRET"
	o.Roles = "e2e_pki_reader:\n  indices:\n    - names: [\"pki-pub-*\"]\n      privileges: [read]\n" +
		"e2e_pki_secret:\n  indices:\n    - names: [\"pki-secret-*\"]\n      privileges: [read]\n"
	listenerOnlyCA := newCert(t, "listener-only CA", nil, true, 2)
	p := startProxyWith(t, o, func(dir string) string {
		// The listener's ca.pem holds the proxy's CA; the realm trusts only
		// that one, the listener also the second CA.
		ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "realm-ca.pem"), string(ca))
		writeFile(t, filepath.Join(dir, "ca.pem"), string(ca)+string(listenerOnlyCA.CertPEM))
		writeFile(t, filepath.Join(dir, "role_mapping.yml"), "pki_alice:\n  enabled: true\n  roles: [e2e_pki_reader]\n"+
			"  rules: {all: [{field: {realm.name: pki1}}, {field: {dn: \"CN=alice, OU=eng, O=e2e\"}}]}\n"+
			// Matched as Elasticsearch matches DNs: the sub-tree excludes
			// OU=Contractors whatever its case and spacing.
			"mallory_unless_contractor:\n  enabled: true\n  roles: [e2e_pki_secret]\n"+
			"  rules: {all: [{field: {realm.name: pki1}}, {field: {username: mallory}}, {except: {field: {dn: \"*,ou=contractors,o=e2e\"}}}]}\n")
		return "  pki:\n    enabled: true\n    username_pattern: \"CN=([a-z]+)(?:,|$)\"\n" +
			"    certificate_authorities: realm-ca.pem\n    role_mapping: role_mapping.yml\n"
	})
	p.waitReady()
	plain := p.client(nil)
	withCert := func(c tls.Certificate) *http.Client {
		return p.client(func(cfg *tls.Config) { cfg.Certificates = []tls.Certificate{c} })
	}
	alice := withCert(newClientCert(t, pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"eng"}, Organization: []string{"e2e"}}, p.CA))
	bob := withCert(newClientCert(t, pkix.Name{CommonName: "bob", Organization: []string{"e2e"}}, p.CA))
	badName := withCert(newClientCert(t, pkix.Name{CommonName: "Eve Smith", OrganizationalUnit: []string{"eng"}, Organization: []string{"e2e"}}, p.CA))
	listenerOnly := withCert(newClientCert(t, pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"eng"}, Organization: []string{"e2e"}}, listenerOnlyCA))

	hj := map[string]string{"Content-Type": "application/json"}
	for ix, v := range map[string]string{pub: "public", secret: canary} {
		if r := do(t, plain, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+v+`"}`), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, plain, "DELETE", p.URL+"/"+pub+","+secret, su.Name, su.Password, nil, nil) })
	noCanary := func(what string, r result) {
		t.Helper()
		if strings.Contains(r.Body, canary) {
			t.Fatalf("%s showed the canary: %d %s", what, r.Status, r.Body)
		}
	}

	// No certificate: Basic, as before (positive control: the canary is there).
	if r := do(t, plain, "GET", p.URL+"/"+secret+"/_search", su.Name, su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, canary) {
		t.Fatalf("Basic without a certificate: %d %s", r.Status, r.Body)
	}
	if r := do(t, plain, "GET", p.URL+"/"+pub+"/_search", "", "", nil, nil); r.Status != 401 {
		t.Fatalf("no certificate and no credentials: %d %s", r.Status, r.Body)
	}

	// alice reads her index and nothing else.
	if r := do(t, alice, "GET", p.URL+"/"+pub+"/_search", "", "", nil, nil); r.Status != 200 || !strings.Contains(r.Body, "public") {
		t.Fatalf("alice reads %s: %d %s", pub, r.Status, r.Body)
	}
	r := do(t, alice, "GET", p.URL+"/"+secret+"/_search", "", "", nil, nil)
	noCanary("alice, the secret index", r)
	if r.Status != 403 || !strings.Contains(r.Body, "[alice]") {
		t.Fatalf("alice reads %s: %d %s, want 403", secret, r.Status, r.Body)
	}
	for _, path := range []string{"/pki-*/_search", "/_search", "/" + secret + "/_doc/1", "/" + pub + "," + secret + "/_search?ignore_unavailable=true"} {
		noCanary("alice, "+path, do(t, alice, "GET", p.URL+path, "", "", nil, nil))
	}
	// The certificate decides even next to a superuser's Basic header.
	r = do(t, alice, "GET", p.URL+"/"+secret+"/_search", su.Name, su.Password, nil, nil)
	noCanary("alice's certificate with a superuser's Basic header", r)
	if r.Status != 403 {
		t.Fatalf("alice's certificate with a superuser's Basic header: %d %s, want 403", r.Status, r.Body)
	}

	// _authenticate names the PKI realm and the DN.
	r = do(t, alice, "GET", p.URL+"/_security/_authenticate", "", "", nil, nil)
	var who struct {
		Username string                      `json:"username"`
		Roles    []string                    `json:"roles"`
		Metadata map[string]any              `json:"metadata"`
		Realm    struct{ Name, Type string } `json:"authentication_realm"`
		Lookup   struct{ Name, Type string } `json:"lookup_realm"`
		AuthType string                      `json:"authentication_type"`
	}
	if err := json.Unmarshal([]byte(r.Body), &who); r.Status != 200 || err != nil {
		t.Fatalf("_authenticate: %d %s (%v)", r.Status, r.Body, err)
	}
	if who.Username != "alice" || who.Realm.Name != "pki1" || who.Realm.Type != "pki" || who.Lookup.Name != "pki1" ||
		who.Metadata["pki_dn"] != "CN=alice, OU=eng, O=e2e" || len(who.Roles) != 1 || who.Roles[0] != "e2e_pki_reader" || who.AuthType != "realm" {
		t.Fatalf("_authenticate: %s", r.Body)
	}

	// An unmapped certificate authenticates with no roles: nothing is readable.
	if r := do(t, bob, "GET", p.URL+"/_security/_authenticate", "", "", nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"username":"bob"`) || !strings.Contains(r.Body, `"roles":[]`) {
		t.Fatalf("bob's _authenticate: %d %s", r.Status, r.Body)
	}
	for _, ix := range []string{pub, secret} {
		r := do(t, bob, "GET", p.URL+"/"+ix+"/_search", "", "", nil, nil)
		noCanary("bob", r)
		if r.Status != 403 {
			t.Fatalf("bob, unmapped, reads %s: %d %s", ix, r.Status, r.Body)
		}
	}

	// An except rule on a DN sub-tree excludes every spelling of it
	// (DistinguishedNamePredicate): mallory of OU=Contractors gets no role,
	// mallory of OU=eng (positive control) does.
	contractor := withCert(newClientCert(t, pkix.Name{CommonName: "mallory", OrganizationalUnit: []string{"Contractors"}, Organization: []string{"e2e"}}, p.CA))
	r = do(t, contractor, "GET", p.URL+"/"+secret+"/_search", "", "", nil, nil)
	noCanary("mallory of OU=Contractors", r)
	if r.Status != 403 {
		t.Fatalf("mallory of OU=Contractors reads %s: %d %s, want 403", secret, r.Status, r.Body)
	}
	employee := withCert(newClientCert(t, pkix.Name{CommonName: "mallory", OrganizationalUnit: []string{"eng"}, Organization: []string{"e2e"}}, p.CA))
	if r := do(t, employee, "GET", p.URL+"/"+secret+"/_search", "", "", nil, nil); r.Status != 200 || !strings.Contains(r.Body, canary) {
		t.Fatalf("mallory of OU=eng reads %s: %d %s", secret, r.Status, r.Body)
	}

	// Refused certificates are 401, even with valid Basic credentials.
	for name, c := range map[string]*http.Client{"a CN the pattern rejects": badName, "a CA only the listener trusts": listenerOnly} {
		for _, user := range []string{"", su.Name} {
			r := do(t, c, "GET", p.URL+"/"+pub+"/_search", user, su.Password, nil, nil)
			noCanary(name, r)
			if r.Status != 401 || !strings.Contains(r.Body, "unable to authenticate user [CN=") {
				t.Fatalf("%s (basic user %q): %d %s, want 401", name, user, r.Status, r.Body)
			}
		}
	}

	// The audit names the PKI realm.
	var granted, failed bool
	if !eventually(5*time.Second, func() bool {
		data, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			switch ev["event.action"] {
			case "access_granted":
				granted = granted || ev["user.name"] == "alice" && ev["user.realm"] == "pki1" && ev["authentication.type"] == "REALM"
			case "authentication_failed":
				failed = failed || ev["user.name"] == "CN=Eve Smith, OU=eng, O=e2e"
			}
		}
		return granted && failed
	}) {
		t.Fatalf("audit: access_granted for alice in pki1 %v, authentication_failed naming the DN %v", granted, failed)
	}
}
