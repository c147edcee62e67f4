package oidc

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// The multi-issuer tests need a second, independent Dex (its own signing
// keys), rendered from the same dex.yaml.tmpl (same client and users):
//
//	DEX_PORT=5571 DEX_TELEMETRY_PORT=5572 scripts/dex.sh start
//	export DEX_ISSUER_2=http://127.0.0.1:5571/dex
//
// scripts/e2e.sh does this. Without DEX_ISSUER_2 they skip, or fail under
// OIDC_E2E_REQUIRED=1.

// secondEnv is the second provider: DEX_ISSUER_2, with the first one's
// client and users.
func secondEnv(t *testing.T, first dexEnv) dexEnv {
	t.Helper()
	issuer := os.Getenv("DEX_ISSUER_2")
	if issuer == "" {
		msg := "DEX_ISSUER_2 is not set (DEX_PORT=5571 DEX_TELEMETRY_PORT=5572 scripts/dex.sh start; export DEX_ISSUER_2=http://127.0.0.1:5571/dex)"
		if os.Getenv("OIDC_E2E_REQUIRED") == "1" {
			t.Fatal("OIDC_E2E_REQUIRED=1 but " + msg)
		}
		t.Skip(msg)
	}
	if issuer == first.issuer {
		t.Fatalf("DEX_ISSUER_2 must be another provider than DEX_ISSUER (%s)", issuer)
	}
	second := first
	second.issuer = issuer
	return second
}

// issuerRoleMappings gives each issuer's logs-readers their own role, so
// the roles of a principal show which provider's claims it was built from.
func issuerRoleMappings(issuer1, issuer2 string) string {
	return `
from-dex1:
  enabled: true
  roles: [dex1_reader]
  rules:
    all:
      - field: {groups: logs-readers}
      - field: {metadata.jwt_claim_iss: "` + issuer1 + `"}
from-dex2:
  enabled: true
  roles: [dex2_reader]
  rules:
    all:
      - field: {groups: logs-readers}
      - field: {metadata.oidc(iss): "` + issuer2 + `"}
`
}

const issuerRoles = `
dex1_reader:
  indices:
    - names: ["dex1-*"]
      privileges: [read]
dex2_reader:
  indices:
    - names: ["dex2-*"]
      privileges: [read]
`

// swapIssuer returns token with its iss claim replaced and the original
// signature kept.
func swapIssuer(t *testing.T, token, iss string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	c := claimsOf(t, token)
	c["iss"] = iss
	return parts[0] + "." + b64json(c) + "." + parts[2]
}

// keyIDs lists the kids of the provider's JWKS.
func keyIDs(t *testing.T, e dexEnv) []string {
	t.Helper()
	var disc struct {
		JWKS string `json:"jwks_uri"`
	}
	getJSON(t, e.issuer+"/.well-known/openid-configuration", &disc)
	var set jose.JSONWebKeySet
	getJSON(t, disc.JWKS, &set)
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	return kids
}

func TestMultiIssuerProvidersAreIndependent(t *testing.T) {
	e1 := env(t)
	e2 := secondEnv(t, e1)
	k1, k2 := keyIDs(t, e1), keyIDs(t, e2)
	if len(k1) == 0 || len(k2) == 0 {
		t.Fatalf("empty JWKS: %v / %v", k1, k2)
	}
	for _, k := range k1 {
		if slices.Contains(k2, k) {
			t.Fatalf("both providers publish key %q: the multi-issuer tests need independent signing keys", k)
		}
	}
	if iss := claimsOf(t, passwordToken(t, e2, e2.clientID, e2.clientSecret, e2.user))["iss"]; iss != e2.issuer {
		t.Fatalf("second provider's token has iss %v, want %s", iss, e2.issuer)
	}
}

// multiIssuerAuthenticator trusts issuers, with issuerRoleMappings.
func multiIssuerAuthenticator(t *testing.T, e1, e2 dexEnv, issuers ...string) *authn.BearerAuthenticator {
	t.Helper()
	path := filepath.Join(t.TempDir(), "role_mapping.yml")
	if err := os.WriteFile(path, []byte(issuerRoleMappings(e1.issuer, e2.issuer)), 0o600); err != nil {
		t.Fatal(err)
	}
	rm, ps := authn.LoadRoleMappings(path)
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	a := newAuthenticator(t, e1, &clock{}, func(o *authn.BearerOptions) {
		o.Issuers, o.RoleMapper = issuers, rm
	})
	if errs := a.DiscoveryErrors(); len(errs) > 0 {
		t.Fatalf("discovery: %v", errs)
	}
	return a
}

// TestMultiIssuerAuthenticator: one realm trusting two real providers
// accepts each one's tokens with that provider's claims, and refuses a
// token whose iss names the other provider (its signature does not verify
// with that provider's keys).
func TestMultiIssuerAuthenticator(t *testing.T) {
	e1 := env(t)
	e2 := secondEnv(t, e1)
	both := multiIssuerAuthenticator(t, e1, e2, e1.issuer, e2.issuer)
	tok1 := passwordToken(t, e1, e1.clientID, e1.clientSecret, e1.user)
	tok2 := passwordToken(t, e2, e2.clientID, e2.clientSecret, e2.user)

	for _, c := range []struct {
		name, token, issuer, role string
	}{
		{"first provider", tok1, e1.issuer, "dex1_reader"},
		{"second provider", tok2, e2.issuer, "dex2_reader"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := authenticate(both, c.token)
			if err != nil {
				t.Fatal(err)
			}
			if p.Username != "alice" || p.Email != "alice@example.com" || p.Realm != "oidc1" {
				t.Fatalf("principal %+v", p)
			}
			if p.Metadata["jwt_claim_iss"] != c.issuer || p.Metadata["oidc(iss)"] != c.issuer {
				t.Fatalf("iss metadata %v / %v, want %s", p.Metadata["jwt_claim_iss"], p.Metadata["oidc(iss)"], c.issuer)
			}
			if !slices.Equal(p.Roles, []string{c.role}) {
				t.Fatalf("roles %v, want [%s]", p.Roles, c.role)
			}
		})
	}

	t.Run("iss swapped to the other provider", func(t *testing.T) {
		mustRefuse(t, both, swapIssuer(t, tok2, e1.issuer), "invalid bearer token")
		mustRefuse(t, both, swapIssuer(t, tok1, e2.issuer), "invalid bearer token")
	})
	t.Run("realm trusting the first provider only", func(t *testing.T) {
		first := multiIssuerAuthenticator(t, e1, e2, e1.issuer)
		mustRefuse(t, first, tok2, "untrusted issuer")
		if _, err := authenticate(first, tok1); err != nil {
			t.Fatalf("first provider's token: %v", err)
		}
	})
}

// authenticateBody is the part of GET /_security/_authenticate checked here.
type authenticateBody struct {
	Username            string         `json:"username"`
	Roles               []string       `json:"roles"`
	Metadata            map[string]any `json:"metadata"`
	AuthenticationRealm struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"authentication_realm"`
}

// TestMultiIssuerThroughProxy: the proxy binary trusting two real
// providers authenticates each one's tokens with that provider's claims
// and authorizes them by the roles those claims map to; a proxy trusting
// only the first refuses the second's tokens with a Bearer challenge; a
// token whose iss is swapped to the other provider is refused.
func TestMultiIssuerThroughProxy(t *testing.T) {
	e1 := env(t)
	e2 := secondEnv(t, e1)
	bin := buildProxy(t, t.TempDir())
	up := newCountingUpstream(t)
	realm := func(issuers ...string) string {
		return "    realm_name: oidc1\n    realm_type: oidc\n    issuers: [\"" + strings.Join(issuers, `", "`) + "\"]\n" +
			"    audiences: [\"" + e1.clientID + "\"]\n    claims: {principal: email, groups: groups, mail: email}\n"
	}
	mappings := issuerRoleMappings(e1.issuer, e2.issuer)
	both := startProxy(t, bin, up.URL, proxyFiles{Roles: issuerRoles, RoleMapping: mappings, OIDC: realm(e1.issuer, e2.issuer)})
	firstOnly := startProxy(t, bin, up.URL, proxyFiles{Roles: issuerRoles, RoleMapping: mappings, OIDC: realm(e1.issuer)})
	// Tokens last 20 s at the second provider in scripts/e2e.sh: get
	// them once the proxies are up.
	tok1 := passwordToken(t, e1, e1.clientID, e1.clientSecret, e1.user)
	tok2 := passwordToken(t, e2, e2.clientID, e2.clientSecret, e2.user)

	for _, c := range []struct {
		name, token, issuer, role, allowed, denied string
	}{
		{"first provider", tok1, e1.issuer, "dex1_reader", "/dex1-logs/_search", "/dex2-logs/_search"},
		{"second provider", tok2, e2.issuer, "dex2_reader", "/dex2-logs/_search", "/dex1-logs/_search"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := both.get(t, "/_security/_authenticate", c.token)
			if r.Status != 200 {
				t.Fatalf("_authenticate: %d %s", r.Status, r.Body)
			}
			var who authenticateBody
			if err := json.Unmarshal([]byte(r.Body), &who); err != nil {
				t.Fatalf("_authenticate body %q: %v", r.Body, err)
			}
			if who.Username != "alice@example.com" || who.AuthenticationRealm.Name != "oidc1" || who.AuthenticationRealm.Type != "oidc" {
				t.Fatalf("_authenticate: %s", r.Body)
			}
			if who.Metadata["jwt_claim_iss"] != c.issuer || !slices.Equal(who.Roles, []string{c.role}) {
				t.Fatalf("principal from the wrong claims: iss %v roles %v, want %s [%s]", who.Metadata["jwt_claim_iss"], who.Roles, c.issuer, c.role)
			}
			before := up.forwarded.Load()
			if r := both.get(t, c.allowed, c.token); r.Status != 200 {
				t.Fatalf("GET %s: %d %s", c.allowed, r.Status, r.Body)
			}
			if r := both.get(t, c.denied, c.token); r.Status != 403 || !strings.Contains(r.Body, "with effective roles ["+c.role+"]") {
				t.Fatalf("GET %s: %d %s", c.denied, r.Status, r.Body)
			}
			if n := up.forwarded.Load() - before; n != 1 {
				t.Fatalf("%d requests reached the upstream, want 1 (the allowed one)", n)
			}
		})
	}

	refused := func(t *testing.T, p *runningProxy, token string) {
		t.Helper()
		before := up.forwarded.Load()
		r := p.get(t, "/dex1-logs/_search", token)
		if r.Status != 401 {
			t.Fatalf("status %d, want 401: %s", r.Status, r.Body)
		}
		if ch := strings.Join(r.Header.Values("WWW-Authenticate"), " | "); !strings.Contains(ch, "Bearer") {
			t.Fatalf("WWW-Authenticate %q has no Bearer challenge", ch)
		}
		for _, seg := range strings.Split(token, ".") {
			if len(seg) >= 8 && strings.Contains(r.Body, seg) {
				t.Fatal("the 401 body echoes the token")
			}
		}
		if up.forwarded.Load() != before {
			t.Fatal("a refused request reached the upstream")
		}
	}
	t.Run("proxy trusting the first provider only", func(t *testing.T) {
		refused(t, firstOnly, tok2)
		if r := firstOnly.get(t, "/dex1-logs/_search", tok1); r.Status != 200 {
			t.Fatalf("first provider's token: %d %s", r.Status, r.Body)
		}
	})
	t.Run("iss swapped to the other provider", func(t *testing.T) {
		refused(t, both, swapIssuer(t, tok2, e1.issuer))
		refused(t, both, swapIssuer(t, tok1, e2.issuer))
	})
}
