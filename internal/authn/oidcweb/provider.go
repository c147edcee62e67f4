package oidcweb

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// jwksRefetchInterval bounds how often the provider's keys are refetched:
// go-oidc refetches them on every signature failure, and the back-channel
// logout endpoint takes tokens from anyone.
const jwksRefetchInterval = 5 * time.Second

// tokenTimeout bounds one call to the token endpoint.
const tokenTimeout = 15 * time.Second

// provider discovers the OpenID provider on first use and again after a
// failure (at most every DiscoveryRetry), so the proxy starts while the
// provider is down and logins work once it is back.
type provider struct {
	o   *Options
	ctx context.Context

	mu      sync.Mutex
	cur     *discovered
	lastTry time.Time
	lastErr error
}

// discovered is what the provider's discovery document gave.
type discovered struct {
	oauth2     oauth2.Config
	verifier   *oidc.IDTokenVerifier
	endSession string
	// revocation is the RFC 7009 revocation endpoint ("" when the provider
	// has none).
	revocation string
}

func newProvider(ctx context.Context, o *Options) *provider {
	c := *o.HTTPClient
	c.Transport = authn.ThrottledTransport(c.Transport, jwksRefetchInterval)
	return &provider{o: o, ctx: oidc.ClientContext(ctx, &c)}
}

// get returns the discovered provider, discovering it if needed.
func (p *provider) get() (*discovered, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil {
		return p.cur, nil
	}
	now := time.Now()
	if !p.lastTry.IsZero() && now.Sub(p.lastTry) < p.o.DiscoveryRetry {
		return nil, p.lastErr
	}
	p.lastTry = now
	d, err := p.discover()
	if err != nil {
		p.lastErr = fmt.Errorf("discovery of %s: %w", p.o.Issuer, err)
		return nil, p.lastErr
	}
	p.cur, p.lastErr = d, nil
	return d, nil
}

func (p *provider) discover() (*discovered, error) {
	op, err := oidc.NewProvider(p.ctx, p.o.Issuer)
	if err != nil {
		return nil, err
	}
	var meta struct {
		EndSession string   `json:"end_session_endpoint"`
		Revocation string   `json:"revocation_endpoint"`
		AuthMethod []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := op.Claims(&meta); err != nil {
		return nil, fmt.Errorf("reading the discovery document: %w", err)
	}
	ep := op.Endpoint()
	ep.AuthStyle = authStyle(meta.AuthMethod)
	d := &discovered{
		oauth2: oauth2.Config{
			ClientID: p.o.ClientID, ClientSecret: p.o.ClientSecret, Endpoint: ep,
			RedirectURL: p.o.RedirectURL, Scopes: p.o.Scopes,
		},
		verifier: op.VerifierContext(p.ctx, &oidc.Config{
			ClientID:             p.o.ClientID,
			SupportedSigningAlgs: p.o.AllowedAlgorithms,
			SkipExpiryCheck:      true, // checked with the configured skew
			Now:                  p.o.Now,
		}),
		endSession: meta.EndSession,
		revocation: meta.Revocation,
	}
	if p.o.EndSessionEndpoint != "" {
		d.endSession = p.o.EndSessionEndpoint
	}
	return d, nil
}

// authStyle picks how the client secret is sent: in the Authorization
// header unless the provider only takes it in the body.
func authStyle(methods []string) oauth2.AuthStyle {
	if len(methods) == 0 {
		return oauth2.AuthStyleInHeader // client_secret_basic is the default method
	}
	for _, m := range methods {
		if m == "client_secret_basic" {
			return oauth2.AuthStyleInHeader
		}
	}
	for _, m := range methods {
		if m == "client_secret_post" {
			return oauth2.AuthStyleInParams
		}
	}
	return oauth2.AuthStyleInHeader
}

// tokenContext is the context for token endpoint calls: the provider's
// HTTP client, and a bound on the call.
func (p *provider) tokenContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.o.HTTPClient)
	return context.WithTimeout(ctx, tokenTimeout)
}
