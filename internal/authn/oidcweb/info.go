package oidcweb

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// sessionInfo is GET /_portcullis/session: who the session is and when it
// ends. It never shows tokens.
type sessionInfo struct {
	Username        string     `json:"username"`
	Roles           []string   `json:"roles"`
	Realm           realmRef   `json:"authentication_realm"`
	CreatedAt       time.Time  `json:"created_at"`
	ExpiresAt       time.Time  `json:"expires_at"`
	IdleExpiresAt   *time.Time `json:"idle_expires_at,omitempty"`
	TokensExpireAt  time.Time  `json:"tokens_expire_at"`
	TokensIssuedAt  time.Time  `json:"tokens_issued_at"`
	Refreshes       int        `json:"refreshes"`
	RefreshPossible bool       `json:"refresh_possible"`
}

type realmRef struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// info answers GET /_portcullis/session for the caller's own session.
func (s *Service) info(w http.ResponseWriter, r *http.Request) {
	p, sess, err := s.authenticate(r)
	if err != nil {
		infoError(r, err).Write(w)
		return
	}
	out := sessionInfo{
		Username: p.Username, Roles: p.Roles, Realm: realmRef{p.Realm, p.RealmType},
		CreatedAt: sess.CreatedAt, ExpiresAt: sess.ExpiresAt, TokensExpireAt: sess.TokenExpiry,
		TokensIssuedAt: sess.TokensIssuedAt, Refreshes: sess.Refreshes, RefreshPossible: sess.RefreshToken != "",
	}
	if !sess.IdleExpiresAt.IsZero() {
		out.IdleExpiresAt = &sess.IdleExpiresAt
	}
	body, err := json.Marshal(out)
	if err != nil {
		eserr.Security(http.StatusInternalServerError, "cannot render the session").Write(w)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

func infoError(r *http.Request, err error) *eserr.Error {
	switch {
	case errors.Is(err, authn.ErrUnavailable):
		return eserr.Security(http.StatusServiceUnavailable, "unable to authenticate the session for REST request ["+r.URL.RequestURI()+"]: the session store is unavailable")
	case errors.Is(err, authn.ErrNoCredentials):
		return eserr.Security(http.StatusUnauthorized, "missing authentication credentials for REST request ["+r.URL.RequestURI()+"]")
	}
	return eserr.Security(http.StatusUnauthorized, "unable to authenticate for REST request ["+r.URL.RequestURI()+"]")
}
