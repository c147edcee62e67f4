package oidcweb

import (
	"net/http"
	"strings"
)

// setSessionCookie gives the browser its session token: HttpOnly, Path=/,
// Secure on https, SameSite as configured. It has no expiry: it lives as
// long as the browser session, and the server decides when the session
// ends.
func (s *Service) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName, Value: token, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: s.o.SameSite,
	})
}

// clearSessionCookie removes the session cookie.
func (s *Service) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: s.o.SameSite,
	})
}

// sessionToken is the session cookie's value ("" without one). If the
// browser sends several (a sibling site tossing cookies), the first, the
// most specific by the browser's ordering, is used.
func (s *Service) sessionToken(r *http.Request) string {
	c, err := r.Cookie(s.cookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// StripCookies removes the proxy's own cookies (session and pre-login)
// from r, so they never reach the upstream: a session token in a cluster's
// or Kibana's logs would be a usable credential.
func (s *Service) StripCookies(r *http.Request) {
	values := r.Header.Values("Cookie")
	if len(values) == 0 {
		return
	}
	var kept []string
	for _, line := range values {
		for _, part := range strings.Split(line, ";") {
			// Blanks around the name are trimmed, as net/http's cookie
			// parser (which finds the session) trims them.
			name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			name = strings.Trim(name, " \t")
			if name == s.cookieName || name == s.stateCookie || strings.TrimSpace(part) == "" {
				continue
			}
			kept = append(kept, strings.TrimSpace(part))
		}
	}
	r.Header.Del("Cookie")
	if len(kept) > 0 {
		r.Header.Set("Cookie", strings.Join(kept, "; "))
	}
}
