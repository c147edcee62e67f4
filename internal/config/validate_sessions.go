package config

import (
	"net"
	"net/url"
	"slices"
	"strings"
)

// CallbackPath is the path of the browser login's redirect_uri: the proxy
// serves its callback there (internal/authn/oidcweb).
const CallbackPath = "/_portcullis/oidc/callback"

// introspection checks security.oidc.introspection.
func (v *validator) introspection() {
	o := v.cfg.Security.OIDC
	in := o.Introspection
	if !in.Enabled {
		return
	}
	if !o.Enabled {
		v.errorf("security.oidc.introspection.enabled", "security.oidc.introspection needs security.oidc.enabled (its claims and role mappings name the users)")
	}
	if !isHTTPURL(in.Endpoint) {
		v.errorf("security.oidc.introspection.endpoint", "security.oidc.introspection.endpoint must be an absolute http(s) URL")
	}
	if in.ClientID == "" {
		v.errorf("security.oidc.introspection", "security.oidc.introspection.client_id is required")
	}
	switch {
	case in.Issuer != "" && !slices.Contains(o.Issuers, in.Issuer):
		v.errorf("security.oidc.introspection.issuer", "security.oidc.introspection.issuer %q is not one of security.oidc.issuers", in.Issuer)
	case in.Issuer == "" && len(o.Issuers) > 1:
		v.errorf("security.oidc.introspection.issuer", "security.oidc.introspection.issuer is required when security.oidc.issuers lists several: the endpoint is one provider's, and may not name the users of the others")
	}
}

// browserLogin checks security.oidc.login and security.sessions.
func (v *validator) browserLogin() {
	o := v.cfg.Security.OIDC
	l := o.Login
	if !l.Enabled {
		return
	}
	if !o.Enabled {
		v.errorf("security.oidc.login.enabled", "security.oidc.login needs security.oidc.enabled (its claims and role mappings name the users)")
	}
	if l.ClientID == "" {
		v.errorf("security.oidc.login", "security.oidc.login.client_id is required")
	}
	if u, err := url.Parse(l.Issuer); l.Issuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.errorf("security.oidc.login.issuer", "security.oidc.login.issuer: %q is not an http(s) URL", l.Issuer)
	}
	v.redirectURI(l.RedirectURI)
	if !slices.Contains(l.Scopes, "openid") {
		v.errorf("security.oidc.login.scopes", "security.oidc.login.scopes must include openid")
	}
	if l.PostLogoutRedirectURI != "" && !isHTTPURL(l.PostLogoutRedirectURI) {
		v.errorf("security.oidc.login.post_logout_redirect_uri", "security.oidc.login.post_logout_redirect_uri must be an absolute http(s) URL")
	}
	if m := l.EndSessionMethod; m != "" && m != "post" && m != "get" {
		v.errorf("security.oidc.login.end_session_method", "security.oidc.login.end_session_method must be post or get, not %q", m)
	}
	if l.EndSessionEndpoint != "" && !isHTTPURL(l.EndSessionEndpoint) {
		v.errorf("security.oidc.login.end_session_endpoint", "security.oidc.login.end_session_endpoint must be an absolute http(s) URL")
	}
	v.sessions()
}

func (v *validator) redirectURI(raw string) {
	const key = "security.oidc.login.redirect_uri"
	u, err := url.Parse(raw)
	if raw == "" || err != nil || !isHTTPURL(raw) {
		v.errorf(key, "%s: an absolute URL ending in %s is required", key, CallbackPath)
		return
	}
	if u.Path != CallbackPath || u.RawQuery != "" || u.Fragment != "" {
		v.errorf(key, "%s must be <proxy site>%s (the proxy serves its callback there), not %q", key, CallbackPath, raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		v.warnf(key, "%s is plain http: session cookies travel in clear text and are not Secure", key)
	}
}

func (v *validator) sessions() {
	s := v.cfg.Security.Sessions
	switch s.Store {
	case "memory":
	case "redis":
		if s.Redis.Address == "" {
			v.errorf("security.sessions.redis.address", "security.sessions.redis.address is required with store: redis")
		} else if _, _, err := net.SplitHostPort(s.Redis.Address); err != nil {
			v.errorf("security.sessions.redis.address", "security.sessions.redis.address: %v", err)
		}
		if s.EncryptionKeysFile == "" {
			v.errorf("security.sessions.encryption_keys_file", "security.sessions.encryption_keys_file is required with store: redis (every replica must seal sessions with the same keys)")
		}
	default:
		v.errorf("security.sessions.store", "security.sessions.store must be memory or redis, not %q", s.Store)
	}
	v.readable("security.sessions.encryption_keys_file", s.EncryptionKeysFile)
	v.readable("security.sessions.redis.ca_file", s.Redis.CAFile)
	switch strings.ToLower(s.SameSite) {
	case "lax", "strict":
	case "none":
		if !strings.HasPrefix(v.cfg.Security.OIDC.Login.RedirectURI, "https://") {
			v.errorf("security.sessions.same_site", "security.sessions.same_site: none needs an https redirect_uri (Secure cookies)")
		}
	default:
		v.errorf("security.sessions.same_site", "security.sessions.same_site must be lax, strict or none, not %q", s.SameSite)
	}
	if s.Lifespan <= 0 {
		v.errorf("security.sessions.lifespan", "security.sessions.lifespan must be positive (sessions must end)")
	}
	if s.MaxPerUser < 0 {
		v.errorf("security.sessions.max_per_user", "security.sessions.max_per_user must not be negative")
	}
	if s.CookieName == "" || strings.ContainsAny(s.CookieName, " ;=,\t\"") || strings.HasPrefix(s.CookieName, "__") {
		v.errorf("security.sessions.cookie_name", "security.sessions.cookie_name %q is not a plain cookie name (the __Host- prefix is added on https)", s.CookieName)
	}
	for _, o := range s.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || !isHTTPURL(o) || (u.Path != "" && u.Path != "/") {
			v.errorf("security.sessions.allowed_origins", "security.sessions.allowed_origins: %q is not an origin (scheme://host[:port])", o)
		}
	}
}

// authenticatorNames are the authenticators configuration can name.
var authenticatorNames = []string{"session", "bearer", "basic", "api_key", "pki", "service_token"}

// authentication checks security.authentication.
func (v *validator) authentication() {
	a := v.cfg.Security.Authentication
	v.authenticatorList("security.authentication.authenticators", a.Authenticators)
	for i, r := range a.Routes {
		if r.PathPrefix == "" || r.PathPrefix[0] != '/' {
			v.errorf("security.authentication.routes", "security.authentication.routes[%d].path_prefix must start with /", i)
		}
		if len(r.Authenticators) == 0 {
			v.errorf("security.authentication.routes", "security.authentication.routes[%d].authenticators: at least one is required", i)
		}
		// Route hosts match exactly (case and a trailing dot aside): a
		// wildcard, a port or a URL would never match, and the requests
		// meant for the route would get the default authenticators.
		if h := strings.TrimSuffix(strings.ToLower(r.Host), "."); r.Host != "" && (strings.HasPrefix(h, "*") || !validSiteHost(h)) {
			v.errorf("security.authentication.routes", "security.authentication.routes[%d].host: %q is not a host name (no wildcard, port, scheme or path: route hosts match the Host header exactly)", i, r.Host)
		}
		v.authenticatorList("security.authentication.routes", r.Authenticators)
	}
}

func (v *validator) authenticatorList(key string, names []string) {
	s := v.cfg.Security
	seen := map[string]bool{}
	for _, n := range names {
		switch {
		case !slices.Contains(authenticatorNames, n):
			v.errorf(key, "%s: unknown authenticator %q (session, bearer, basic, api_key, pki or service_token)", key, n)
		case seen[n]:
			v.errorf(key, "%s: %q is listed twice", key, n)
		case n == "session" && !s.OIDC.Login.Enabled:
			v.errorf(key, "%s: session needs security.oidc.login.enabled", key)
		case n == "bearer" && !s.OIDC.Enabled:
			v.errorf(key, "%s: bearer needs security.oidc.enabled", key)
		case n == "service_token" && s.ServiceTokens == "":
			v.errorf(key, "%s: service_token needs security.service_tokens", key)
		case n == "api_key" && s.APIKeys.File == "":
			v.errorf(key, "%s: api_key needs security.api_keys.file", key)
		case n == "pki" && !s.PKI.Enabled:
			v.errorf(key, "%s: pki needs security.pki.enabled", key)
		}
		seen[n] = true
	}
	if b, st := slices.Index(names, "bearer"), slices.Index(names, "service_token"); b >= 0 && st > b {
		v.errorf(key, "%s: service_token must come before bearer (the OIDC bearer authenticator refuses service account tokens)", key)
	}
	if pki := slices.Index(names, "pki"); pki >= 0 {
		configured := map[string]bool{"service_token": s.ServiceTokens != "", "api_key": s.APIKeys.File != ""}
		for _, tok := range []string{"service_token", "api_key"} {
			switch i := slices.Index(names, tok); {
			case i > pki:
				v.errorf(key, "%s: %s must come before pki (a client certificate would otherwise decide requests that carry a narrower %s, which Elasticsearch tries before any realm)", key, tok, tok)
			case i < 0 && configured[tok]:
				// A front end with a certificate that forwards its users'
				// narrower credentials would get its own privileges.
				v.errorf(key, "%s: with %s configured, a list naming pki must name %s before it (a client certificate would otherwise decide requests that carry one)", key, tok, tok)
			}
		}
	}
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
