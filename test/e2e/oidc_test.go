package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// dexToken gets a real ID token from Dex (scripts/dex.sh) by the password
// grant; the test is skipped without Dex unless OIDC_E2E_REQUIRED=1.
func dexToken(t *testing.T, user string) string {
	t.Helper()
	issuer := os.Getenv("DEX_ISSUER")
	if issuer == "" {
		if os.Getenv("OIDC_E2E_REQUIRED") == "1" {
			t.Fatal("DEX_ISSUER is not set but OIDC_E2E_REQUIRED=1: start Dex with scripts/dex.sh")
		}
		t.Skip("DEX_ISSUER not set (run scripts/e2e.sh)")
	}
	cfg := oauth2.Config{
		ClientID: os.Getenv("DEX_CLIENT_ID"), ClientSecret: os.Getenv("DEX_CLIENT_SECRET"),
		Endpoint: oauth2.Endpoint{TokenURL: issuer + "/token"}, Scopes: []string{"openid", "email", "groups", "profile"},
	}
	tok, err := cfg.PasswordCredentialsToken(context.Background(), user, "password")
	if err != nil {
		t.Fatalf("password grant for %s: %v", user, err)
	}
	id, _ := tok.Extra("id_token").(string)
	if id == "" {
		t.Fatal("no id_token from Dex")
	}
	return id
}

// TestOIDCBearerThroughProxy: tokens from a real OpenID provider
// authenticate API clients through the proxy; roles come from Elastic role
// mappings on the token's groups; bad tokens get 401 with a Bearer challenge.
func TestOIDCBearerThroughProxy(t *testing.T) {
	adminTok, aliceTok := dexToken(t, "admin@example.com"), dexToken(t, "alice@example.com")
	up := newEchoUpstream(t)
	o, _ := superuserOpts(t, up.URL)
	o.Roles = "logs_reader:\n  indices:\n    - names: [\"logs-*\"]\n      privileges: [read]\n"
	o.ExtraConfig = "" // security.oidc is appended below, inside the security section
	p := startProxyWith(t, o, func(dir string) string {
		writeFile(t, filepath.Join(dir, "role_mapping.yml"),
			"admins:\n  roles: [superuser]\n  enabled: true\n  rules: {field: {groups: admins}}\n"+
				"readers:\n  roles: [logs_reader]\n  enabled: true\n  rules: {all: [{field: {groups: logs-readers}}, {field: {realm.name: oidc1}}]}\n")
		return "  oidc:\n    enabled: true\n    realm_name: oidc1\n    realm_type: oidc\n    issuers: [\"" + os.Getenv("DEX_ISSUER") + "\"]\n" +
			"    audiences: [\"" + os.Getenv("DEX_CLIENT_ID") + "\"]\n    claims: {principal: email, groups: groups, mail: email}\n    role_mapping: role_mapping.yml\n"
	})
	c := p.client(nil)
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

	if r := do(t, c, "GET", p.URL+"/_cluster/health", "", "", nil, bearer(adminTok)); r.Status != 200 {
		t.Fatalf("admin token: %d %s", r.Status, r.Body)
	}
	r := do(t, c, "GET", p.URL+"/secret/_search", "", "", nil, bearer(aliceTok))
	if r.Status != 403 || !strings.Contains(r.Body, "for user [alice@example.com] with effective roles [logs_reader]") {
		t.Fatalf("alice on a forbidden index: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/logs-web/_search", "", "", nil, bearer(aliceTok)); r.Status != 200 {
		t.Fatalf("alice on logs-web: %d %s", r.Status, r.Body)
	}
	r = do(t, c, "GET", p.URL+"/_security/_authenticate", "", "", nil, bearer(aliceTok))
	if r.Status != 200 || !strings.Contains(r.Body, `"username":"alice@example.com"`) || !strings.Contains(r.Body, `"authentication_realm":{"name":"oidc1","type":"oidc"}`) {
		t.Fatalf("_authenticate: %d %s", r.Status, r.Body)
	}
	parts := strings.Split(aliceTok, ".")
	forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	r = do(t, c, "GET", p.URL+"/logs-web/_search", "", "", nil, bearer(forged))
	if r.Status != 401 || strings.Contains(r.Body, forged) {
		t.Fatalf("forged token: %d %s", r.Status, r.Body)
	}
	chall := strings.Join(r.Header.Values("WWW-Authenticate"), " | ")
	if !strings.Contains(chall, "Bearer") || !strings.Contains(chall, "Basic") {
		t.Fatalf("challenges: %q", chall)
	}
	if up.Last() != nil && up.Last().Header.Get("Authorization") != "" {
		t.Fatal("the bearer token reached the upstream")
	}
}
