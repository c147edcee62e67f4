package oidcweb

import (
	"context"
	"net/url"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// Service is the browser login: an authn.Authenticator for the session
// cookie and the http.Handler of the endpoints under PathPrefix.
type Service struct {
	o        Options
	provider *provider
	// secure: the site is served over https (from RedirectURL): cookies
	// are Secure and __Host- prefixed.
	secure      bool
	cookieName  string
	stateCookie string
	// siteOrigin is RedirectURL's origin; origins are the allowed Origin
	// values for state-changing requests (besides the request's own).
	siteOrigin string
	origins    map[string]bool
	// site identifies this login (client id and redirect URI) in the
	// sessions it makes (session.Data.Site).
	site string
}

// New checks o and returns the Service. The provider is discovered on
// first use, so the proxy can start while it is down. ctx must outlive the
// Service (the provider's keys are refreshed with it).
func New(ctx context.Context, o Options) (*Service, error) {
	if err := o.applyDefaults(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(o.RedirectURL) // checked by applyDefaults
	s := &Service{
		o: o, secure: u.Scheme == "https", siteOrigin: strings.ToLower(u.Scheme + "://" + u.Host),
		origins: map[string]bool{},
		site:    o.ClientID + " " + o.RedirectURL,
	}
	s.provider = newProvider(ctx, &s.o)
	s.cookieName, s.stateCookie = o.CookieName, "portcullis_login"
	if s.secure {
		s.cookieName, s.stateCookie = "__Host-"+s.cookieName, "__Host-"+s.stateCookie
	}
	s.origins[s.siteOrigin] = true
	for _, origin := range o.AllowedOrigins {
		s.origins[strings.ToLower(strings.TrimRight(origin, "/"))] = true
	}
	return s, nil
}

// CookieName is the session cookie's name (with its __Host- prefix on https).
func (s *Service) CookieName() string { return s.cookieName }

// Ready discovers the provider if needed and reports why it cannot be
// used, for startup logs.
func (s *Service) Ready() error {
	_, err := s.provider.get()
	return err
}

var (
	_ authn.Authenticator   = (*Service)(nil)
	_ authn.LoginRedirector = (*Service)(nil)
)
