package oidcweb

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/session"
)

// Options configures a Service.
type Options struct {
	// Issuer is the OpenID provider, discovered through
	// <Issuer>/.well-known/openid-configuration.
	Issuer string
	// ClientID and ClientSecret identify the proxy at the provider
	// (client_secret_basic, or client_secret_post if the provider wants it).
	ClientID, ClientSecret string
	// RedirectURL is the callback's absolute URL as registered at the
	// provider; its path must be CallbackPath. An https URL makes the
	// cookies Secure and __Host- prefixed.
	RedirectURL string
	// Scopes requested (default: openid email profile offline_access;
	// offline_access asks for a refresh token, without which a session ends
	// when the ID token expires).
	Scopes []string
	// PostLogoutRedirectURL is where the provider sends the browser after
	// RP-initiated logout (default: LoggedOutPath on RedirectURL's site).
	PostLogoutRedirectURL string
	// EndSessionEndpoint overrides the provider's end_session_endpoint
	// (Elastic's op.endsession_endpoint); without either, logout is local.
	EndSessionEndpoint string
	// EndSessionByRedirect sends the browser to the end-session endpoint
	// with a redirect (GET, the ID token hint in the URL and so in the
	// browser's history) instead of a self-submitting form (POST, which
	// OpenID Connect RP-Initiated Logout 1.0 requires providers to accept).
	EndSessionByRedirect bool
	// AllowedAlgorithms for ID and logout tokens (default RS256).
	AllowedAlgorithms []string
	// ClockSkew allowed on token times (default 60s).
	ClockSkew time.Duration
	// RefreshBefore: tokens are refreshed when they expire within this
	// (default 60s, at most a third of the tokens' lifetime).
	RefreshBefore time.Duration
	// Claims builds principals from ID token claims (required); RoleMapper
	// gives them roles on every request (nil: no roles).
	Claims     *authn.ClaimMapping
	RoleMapper authn.PrincipalMapper
	// Sessions stores the sessions (required).
	Sessions *session.Manager
	// StateKeys seal the short-lived pre-login cookie (required).
	StateKeys *session.Keyring
	// CookieName of the session (default "portcullis_session"; "__Host-"
	// is prepended on https).
	CookieName string
	// SameSite of the session cookie (default Lax: Strict would drop the
	// cookie on the redirect back from the provider).
	SameSite http.SameSite
	// XSRFHeader must be present on state-changing requests authenticated
	// by the cookie, unless their Origin is allowed (default "kbn-xsrf",
	// Kibana's header).
	XSRFHeader string
	// AllowedOrigins are origins (scheme://host[:port]) allowed to send
	// state-changing requests, besides the site's own and RedirectURL's.
	AllowedOrigins []string
	// HTTPClient talks to the provider (default: 10s timeout).
	HTTPClient *http.Client
	// DiscoveryRetry is the least delay between discovery attempts after a
	// failure (default 10s).
	DiscoveryRetry time.Duration
	// Limiter (nil: none) counts a login callback whose code the provider
	// does not accept as a failed login of the client's address, and
	// refuses a locked-out address before the code exchange: anyone can
	// start logins (no provider call) and post junk codes to the callback,
	// each one a call to the token endpoint with the proxy's client
	// credentials. ExemptAddresses are not counted.
	Limiter         *authn.LoginLimiter
	ExemptAddresses []netip.Prefix
	// Logger (default: none).
	Logger *zap.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *Options) applyDefaults() error {
	if o.Issuer == "" || o.ClientID == "" || o.RedirectURL == "" {
		return errors.New("oidc login: issuer, client_id and redirect_uri are required")
	}
	if o.Claims == nil || o.Sessions == nil || o.StateKeys == nil {
		return errors.New("oidc login: claims, sessions and state keys are required")
	}
	u, err := url.Parse(o.RedirectURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("oidc login: redirect_uri %q is not an absolute http(s) URL", o.RedirectURL)
	}
	if u.Path != CallbackPath || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("oidc login: redirect_uri must be <site>%s, not %q", CallbackPath, o.RedirectURL)
	}
	if len(o.Scopes) == 0 {
		o.Scopes = []string{"openid", "email", "profile", "offline_access"}
	}
	if !containsFold(o.Scopes, "openid") {
		o.Scopes = append([]string{"openid"}, o.Scopes...)
	}
	if o.PostLogoutRedirectURL == "" {
		o.PostLogoutRedirectURL = u.Scheme + "://" + u.Host + LoggedOutPath
	}
	if len(o.AllowedAlgorithms) == 0 {
		o.AllowedAlgorithms = []string{"RS256"}
	}
	for _, a := range o.AllowedAlgorithms {
		if strings.HasPrefix(a, "HS") || strings.EqualFold(a, "none") {
			return fmt.Errorf("oidc login: signature algorithm %q is not allowed (asymmetric only)", a)
		}
	}
	if o.ClockSkew == 0 {
		o.ClockSkew = 60 * time.Second
	} else if o.ClockSkew < 0 {
		o.ClockSkew = 0
	}
	if o.RefreshBefore <= 0 {
		o.RefreshBefore = 60 * time.Second
	}
	if o.CookieName == "" {
		o.CookieName = "portcullis_session"
	}
	if o.SameSite == 0 {
		o.SameSite = http.SameSiteLaxMode
	}
	if o.SameSite == http.SameSiteNoneMode && u.Scheme != "https" {
		return errors.New("oidc login: SameSite=None cookies need an https redirect_uri")
	}
	if o.XSRFHeader == "" {
		o.XSRFHeader = "kbn-xsrf"
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.DiscoveryRetry <= 0 {
		o.DiscoveryRetry = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
