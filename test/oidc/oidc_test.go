// Package oidc is the end-to-end test of the bearer (OIDC/JWT) authenticator
// against a real OpenID provider (Dex). It starts no provider itself: run
//
//	scripts/dex.sh start && eval "$(scripts/dex.sh env)" && go test ./test/oidc/
//
// The multi-issuer tests (multiissuer_test.go) also need a second Dex,
// named by DEX_ISSUER_2, and run the proxy binary (built by the test, or
// $PORTCULLIS_BIN) on ports 18560-18599; scripts/e2e.sh sets all of it up.
// Without DEX_ISSUER, DEX_CLIENT_ID and DEX_CLIENT_SECRET the tests skip,
// unless OIDC_E2E_REQUIRED=1, which makes them fail instead (for CI).
// Static users come from test/oidc/dex.yaml.tmpl: alice@example.com (groups
// logs-readers, team-a) and admin@example.com (admins), password "password".
package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

type dexEnv struct {
	issuer, clientID, clientSecret, user, password, adminUser string
}

func env(t *testing.T) dexEnv {
	t.Helper()
	e := dexEnv{
		issuer: os.Getenv("DEX_ISSUER"), clientID: os.Getenv("DEX_CLIENT_ID"), clientSecret: os.Getenv("DEX_CLIENT_SECRET"),
		user: getenv("DEX_USERNAME", "alice@example.com"), password: getenv("DEX_PASSWORD", "password"),
		adminUser: getenv("DEX_ADMIN_USERNAME", "admin@example.com"),
	}
	if e.issuer == "" || e.clientID == "" || e.clientSecret == "" {
		msg := "DEX_ISSUER, DEX_CLIENT_ID and DEX_CLIENT_SECRET are not set (run scripts/dex.sh start; eval \"$(scripts/dex.sh env)\")"
		if os.Getenv("OIDC_E2E_REQUIRED") == "1" {
			t.Fatal("OIDC_E2E_REQUIRED=1 but " + msg)
		}
		t.Skip(msg)
	}
	return e
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// passwordToken gets a real ID token from Dex by the resource-owner
// password grant.
func passwordToken(t *testing.T, e dexEnv, clientID, clientSecret, user string) string {
	t.Helper()
	cfg := oauth2.Config{
		ClientID: clientID, ClientSecret: clientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: e.issuer + "/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{"openid", "email", "profile", "groups"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	tok, err := cfg.PasswordCredentialsToken(ctx, user, e.password)
	if err != nil {
		t.Fatalf("password grant for %s: %v", user, err)
	}
	id, _ := tok.Extra("id_token").(string)
	if id == "" {
		t.Fatal("no id_token in the token response")
	}
	return id
}

const roleMappings = `
logs-readers:
  enabled: true
  roles: [logs_reader]
  rules:
    all:
      - field: {realm.name: oidc1}
      - field: {groups: logs-readers}
admins:
  enabled: true
  roles: [superuser]
  rules: {field: {groups: admins}}
verified-mail:
  enabled: true
  role_templates:
    - template: {source: "mail_{{username}}"}
      format: string
  rules:
    all:
      - field: {metadata.oidc\(email_verified\): true}
      - field: {metadata.jwt_claim_email: "*@example.com"}
never:
  enabled: false
  roles: [disabled_role]
  rules: {field: {username: "*"}}
`

type clock struct {
	mu sync.Mutex
	at time.Time // zero: real time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now()
	}
	return c.at
}

func (c *clock) Set(t time.Time) { c.mu.Lock(); c.at = t; c.mu.Unlock() }

func newAuthenticator(t *testing.T, e dexEnv, c *clock, mod func(*authn.BearerOptions)) *authn.BearerAuthenticator {
	t.Helper()
	path := filepath.Join(t.TempDir(), "role_mapping.yml")
	if err := os.WriteFile(path, []byte(roleMappings), 0o600); err != nil {
		t.Fatal(err)
	}
	rm, ps := authn.LoadRoleMappings(path)
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	o := authn.BearerOptions{
		RealmName: "oidc1", RealmType: "oidc",
		Issuers: []string{e.issuer}, Audiences: []string{e.clientID},
		ClaimPrincipal: "email", PrincipalPattern: `^([^@]+)@example\.com$`,
		ClaimGroups: "groups", ClaimMail: "email", ClaimName: "name",
		RoleMapper: rm, Now: c.Now,
	}
	if mod != nil {
		mod(&o)
	}
	a, err := authn.NewBearerAuthenticator(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if errs := a.DiscoveryErrors(); len(errs) > 0 && mod == nil {
		t.Fatalf("discovery: %v", errs)
	}
	return a
}

func authenticate(a authn.Authenticator, token string) (*authn.Principal, error) {
	r := httptest.NewRequest(http.MethodGet, "/logs-*/_search", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return a.Authenticate(r)
}

func mustRefuse(t *testing.T, a authn.Authenticator, token, reason string) {
	t.Helper()
	p, err := authenticate(a, token)
	var ae *authn.AuthError
	if !errors.As(err, &ae) || p != nil {
		t.Fatalf("want *AuthError, got principal %+v, err %v", p, err)
	}
	if !strings.Contains(ae.Reason, reason) {
		t.Fatalf("reason %q does not mention %q", ae.Reason, reason)
	}
	for _, seg := range strings.Split(token, ".") {
		if len(seg) >= 8 && strings.Contains(err.Error(), seg) {
			t.Fatal("the error message leaks the token")
		}
	}
	t.Logf("refused: %s", ae.Reason)
}

func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func b64json(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestDexValidToken(t *testing.T) {
	e := env(t)
	a := newAuthenticator(t, e, &clock{}, nil)
	p, err := authenticate(a, passwordToken(t, e, e.clientID, e.clientSecret, e.user))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("principal: %s realm=%s/%s roles=%v email=%s name=%s", p.Username, p.Realm, p.RealmType, p.Roles, p.Email, p.FullName)
	if p.Username != "alice" || p.Realm != "oidc1" || p.RealmType != "oidc" || p.Email != "alice@example.com" {
		t.Fatalf("principal %+v", p)
	}
	if g, _ := p.Metadata[authn.MetadataGroups].([]string); !slices.Equal(g, []string{"logs-readers", "team-a"}) {
		t.Fatalf("groups %v", p.Metadata[authn.MetadataGroups])
	}
	if want := []string{"logs_reader", "mail_alice"}; !slices.Equal(p.Roles, want) {
		t.Fatalf("roles %v, want %v", p.Roles, want)
	}
	if p.Metadata["oidc(email)"] != "alice@example.com" || p.Metadata["jwt_claim_email"] != "alice@example.com" {
		t.Fatalf("claim metadata: %v", p.Metadata)
	}

	pa, err := authenticate(a, passwordToken(t, e, e.clientID, e.clientSecret, e.adminUser))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"mail_admin", "superuser"}; pa.Username != "admin" || !slices.Equal(pa.Roles, want) {
		t.Fatalf("admin: %s %v, want roles %v", pa.Username, pa.Roles, want)
	}
}

func TestDexTamperedSignature(t *testing.T) {
	e := env(t)
	a := newAuthenticator(t, e, &clock{}, nil)
	tok := passwordToken(t, e, e.clientID, e.clientSecret, e.user)
	parts := strings.Split(tok, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[len(sig)/2] ^= 0x01
	mustRefuse(t, a, parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(sig), "invalid bearer token")

	// Valid signature, edited claims (escalate to the admins group).
	c := claimsOf(t, tok)
	c["groups"] = []string{"admins"}
	mustRefuse(t, a, parts[0]+"."+b64json(c)+"."+parts[2], "invalid bearer token")
}

func TestDexExpired(t *testing.T) {
	e := env(t)
	c := &clock{}
	a := newAuthenticator(t, e, c, nil)
	tok := passwordToken(t, e, e.clientID, e.clientSecret, e.user)
	if _, err := authenticate(a, tok); err != nil { // valid now, and cached
		t.Fatal(err)
	}
	exp := time.Unix(int64(claimsOf(t, tok)["exp"].(float64)), 0)
	c.Set(exp.Add(30 * time.Second)) // within the 60 s skew
	if _, err := authenticate(a, tok); err != nil {
		t.Fatalf("within skew: %v", err)
	}
	c.Set(exp.Add(61 * time.Second)) // beyond exp + skew
	mustRefuse(t, a, tok, "expired")
}

func TestDexWrongAudience(t *testing.T) {
	e := env(t)
	// A token Dex issued to another client.
	other := passwordToken(t, e, getenv("DEX_OTHER_CLIENT_ID", "other-client"), getenv("DEX_OTHER_CLIENT_SECRET", "other-secret"), e.user)
	mustRefuse(t, newAuthenticator(t, e, &clock{}, nil), other, "audience")
	// Our token, but the realm expects another audience.
	tok := passwordToken(t, e, e.clientID, e.clientSecret, e.user)
	a := newAuthenticator(t, e, &clock{}, func(o *authn.BearerOptions) { o.Audiences = []string{"kibana"} })
	mustRefuse(t, a, tok, "audience")
}

func TestDexAlgNone(t *testing.T) {
	e := env(t)
	a := newAuthenticator(t, e, &clock{}, nil)
	c := claimsOf(t, passwordToken(t, e, e.clientID, e.clientSecret, e.user))
	c["groups"] = []string{"admins"}
	for _, alg := range []string{"none", "None", "NONE"} {
		tok := b64json(map[string]string{"alg": alg, "typ": "JWT"}) + "." + b64json(c) + "."
		mustRefuse(t, a, tok, "invalid bearer token")
	}
}

// Algorithm confusion: HS256 keyed with the provider's RSA public key.
func TestDexHMACWithPublicKey(t *testing.T) {
	e := env(t)
	a := newAuthenticator(t, e, &clock{}, nil)
	tok := passwordToken(t, e, e.clientID, e.clientSecret, e.user)
	var hdr struct {
		Kid string `json:"kid"`
	}
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	_ = json.Unmarshal(raw, &hdr)
	pub := dexPublicKey(t, e, hdr.Kid)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	c := claimsOf(t, tok)
	c["groups"] = []string{"admins"}
	for _, secret := range [][]byte{der, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})} {
		for _, alg := range []string{"HS256", "HS384"} {
			signing := b64json(map[string]string{"alg": alg, "typ": "JWT", "kid": hdr.Kid}) + "." + b64json(c)
			m := hmac.New(sha256.New, secret)
			m.Write([]byte(signing))
			mustRefuse(t, a, signing+"."+base64.RawURLEncoding.EncodeToString(m.Sum(nil)), "invalid bearer token")
		}
	}
}

func dexPublicKey(t *testing.T, e dexEnv, kid string) *rsa.PublicKey {
	t.Helper()
	var disc struct {
		JWKS string `json:"jwks_uri"`
	}
	getJSON(t, e.issuer+"/.well-known/openid-configuration", &disc)
	var set jose.JSONWebKeySet
	getJSON(t, disc.JWKS, &set)
	for _, k := range set.Key(kid) {
		if pub, ok := k.Key.(*rsa.PublicKey); ok {
			return pub
		}
	}
	t.Fatalf("no RSA key %q in Dex's JWKS", kid)
	return nil
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestDexUnknownIssuer(t *testing.T) {
	e := env(t)
	tok := passwordToken(t, e, e.clientID, e.clientSecret, e.user)
	// A realm that trusts some other issuer only.
	a := newAuthenticator(t, e, &clock{}, func(o *authn.BearerOptions) { o.Issuers = []string{"http://127.0.0.1:1/not-dex"} })
	mustRefuse(t, a, tok, "untrusted issuer")
	// Dex's token with iss rewritten to an issuer the realm does not trust.
	b := newAuthenticator(t, e, &clock{}, nil)
	parts := strings.Split(tok, ".")
	c := claimsOf(t, tok)
	c["iss"] = "https://evil.example.com/dex"
	mustRefuse(t, b, parts[0]+"."+b64json(c)+"."+parts[2], "untrusted issuer")
}

func TestDexOtherSchemesPassThrough(t *testing.T) {
	e := env(t)
	a := newAuthenticator(t, e, &clock{}, nil)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth("alice", "password")
	if _, err := a.Authenticate(r); !errors.Is(err, authn.ErrNoCredentials) {
		t.Fatalf("Basic must be left to other authenticators, got %v", err)
	}
}
