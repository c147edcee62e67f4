package oidcweb

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Revoking the refresh token at logout (RFC 7009). Deleting the session
// already keeps the proxy from using its tokens again; revoking the refresh
// token at the provider too means a copy of it (from a backup of the
// session store, say) is worthless, and the provider's own session for the
// proxy ends. Providers without a revocation_endpoint in their discovery
// document (Dex) are not asked.

// revokeTimeout bounds the revocation call: logout waits for it, so that
// a logged-out page means a revoked token, but not for long.
const revokeTimeout = 5 * time.Second

// revokeRefreshToken asks the provider to revoke token. It reports false,
// nil when the provider has no revocation endpoint.
func (p *provider) revokeRefreshToken(ctx context.Context, token string) (bool, error) {
	d, err := p.get()
	if err != nil {
		return false, err
	}
	if d.revocation == "" {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	form := url.Values{"token": {token}, "token_type_hint": {"refresh_token"}}
	if d.oauth2.Endpoint.AuthStyle == oauth2.AuthStyleInParams {
		form.Set("client_id", p.o.ClientID)
		form.Set("client_secret", p.o.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.revocation, strings.NewReader(form.Encode()))
	if err != nil {
		return true, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if d.oauth2.Endpoint.AuthStyle != oauth2.AuthStyleInParams {
		// RFC 6749 §2.3.1: both form-encoded before the Basic encoding.
		req.SetBasicAuth(url.QueryEscape(p.o.ClientID), url.QueryEscape(p.o.ClientSecret))
	}
	resp, err := p.o.HTTPClient.Do(req)
	if err != nil {
		return true, fmt.Errorf("revocation endpoint: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		// RFC 7009 §2.2: 200 whether or not the token was valid.
		return true, fmt.Errorf("revocation endpoint answered %s", resp.Status)
	}
	return true, nil
}
