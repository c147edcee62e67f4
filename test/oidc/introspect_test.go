package oidc

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// TestIntrospectionAgainstDex asks Dex's introspection endpoint about its
// own tokens: the access token names the user (Dex puts email and groups
// under a non-standard "ext" object), the refresh token, which Dex also
// reports as active, is refused as a bearer credential, and junk is
// inactive.
func TestIntrospectionAgainstDex(t *testing.T) {
	e := env(t)
	cfg := oauth2.Config{
		ClientID: e.clientID, ClientSecret: e.clientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: e.issuer + "/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{"openid", "email", "profile", "groups", "offline_access"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	tok, err := cfg.PasswordCredentialsToken(ctx, e.user, e.password)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("password grant: %v (refresh token %v)", err, tok != nil && tok.RefreshToken != "")
	}
	claims, err := authn.NewClaimMapping(authn.ClaimOptions{RealmName: "oidc1", RealmType: "oidc", ClaimPrincipal: "email", ClaimMail: "email"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := authn.NewIntrospectionAuthenticator(authn.IntrospectionOptions{
		Endpoint: e.issuer + "/token/introspect", ClientID: e.clientID, ClientSecret: e.clientSecret,
		Issuers: []string{e.issuer}, Audiences: []string{e.clientID}, Claims: claims,
	})
	if err != nil {
		t.Fatal(err)
	}
	p, exp, err := a.Introspect(ctx, tok.AccessToken)
	if err != nil || p.Username != e.user || !slices.Contains(p.Metadata[authn.MetadataGroups].([]string), "logs-readers") || exp.Before(time.Now()) {
		t.Fatalf("access token: %+v %v %v", p, exp, err)
	}
	var ae *authn.AuthError
	if _, _, err := a.Introspect(ctx, tok.RefreshToken); !errors.As(err, &ae) || ae.Reason != "bearer token: a refresh token is not a bearer credential" {
		t.Fatalf("refresh token as a bearer credential: %v", err)
	}
	if _, _, err := a.Introspect(ctx, "junk-token"); !errors.As(err, &ae) || ae.Reason != "bearer token is not active" {
		t.Fatalf("junk token: %v", err)
	}
	// Through Authenticate, the opaque refresh token reaches the endpoint
	// (the JWT access token is left to the bearer authenticator).
	if _, err := authenticate(a, tok.RefreshToken); !errors.As(err, &ae) {
		t.Fatalf("refresh token through Authenticate: %v", err)
	}
	if _, err := authenticate(a, tok.AccessToken); !errors.Is(err, authn.ErrNoCredentials) {
		t.Fatalf("JWT through the introspection authenticator: %v", err)
	}
}
