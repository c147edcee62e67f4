// Package oidcweb is the browser login of Portcullis: OpenID Connect's
// authorization code flow with PKCE, state and nonce, server-side sessions
// (package session) behind a small opaque cookie, token refresh before
// expiry (one refresh per session across replicas), local, RP-initiated
// and back-channel logout, and CSRF protection for requests authenticated
// by the cookie.
//
// A Service is both an authn.Authenticator (the session cookie) and the
// http.Handler of the proxy's own endpoints, all under the reserved prefix
// /_portcullis/, which no Elasticsearch, OpenSearch or Kibana API uses:
//
//	GET      /_portcullis/login?return=/path     start a login (return: a path on this site)
//	GET      /_portcullis/oidc/callback          the provider's redirect back (redirect_uri)
//	GET/POST /_portcullis/logout                 end the session (and at the provider if it supports it)
//	POST     /_portcullis/oidc/backchannel_logout the provider's back-channel logout
//	GET      /_portcullis/session                the current session, as JSON
//	GET      /_portcullis/logged_out             the page shown after logout
package oidcweb

// Paths of the browser endpoints.
const (
	PathPrefix      = "/_portcullis/"
	LoginPath       = PathPrefix + "login"
	CallbackPath    = PathPrefix + "oidc/callback"
	LogoutPath      = PathPrefix + "logout"
	BackchannelPath = PathPrefix + "oidc/backchannel_logout"
	SessionPath     = PathPrefix + "session"
	LoggedOutPath   = PathPrefix + "logged_out"
)
