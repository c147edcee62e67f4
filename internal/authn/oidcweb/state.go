package oidcweb

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// loginStateTTL is how long a started login may take at the provider.
const loginStateTTL = 10 * time.Minute

// loginStateAD binds sealed login states to their purpose.
var loginStateAD = []byte("portcullis login state v1")

// loginState is what the callback needs to finish a login. It travels in
// a sealed (encrypted and authenticated) cookie, so any replica can finish
// a login another one started, and no store is written before the user
// has authenticated.
type loginState struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"` // PKCE code verifier
	Return   string    `json:"r"`
	IssuedAt time.Time `json:"t"`
}

// newLoginState draws fresh random state and nonce and a PKCE verifier.
func newLoginState(ret string, now time.Time, verifier string) (*loginState, error) {
	st, err := randomString()
	if err != nil {
		return nil, err
	}
	nonce, err := randomString()
	if err != nil {
		return nil, err
	}
	return &loginState{State: st, Nonce: nonce, Verifier: verifier, Return: ret, IssuedAt: now}, nil
}

func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// setLoginState seals ls into the pre-login cookie (SameSite=Lax: it must
// come back on the provider's top-level redirect to the callback).
func (s *Service) setLoginState(w http.ResponseWriter, ls *loginState) error {
	plain, err := json.Marshal(ls)
	if err != nil {
		return fmt.Errorf("encoding login state: %w", err)
	}
	sealed, err := s.o.StateKeys.Seal(plain, loginStateAD)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.stateCookie, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/",
		MaxAge: int(loginStateTTL / time.Second), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// clearLoginState removes the pre-login cookie: a state is used once.
func (s *Service) clearLoginState(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.stateCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

var errNoLoginState = errors.New("no login in progress in this browser (or it took longer than 10 minutes)")

// loginStateOf opens the pre-login cookie of r.
func (s *Service) loginStateOf(r *http.Request) (*loginState, error) {
	c, err := r.Cookie(s.stateCookie)
	if err != nil || c.Value == "" {
		return nil, errNoLoginState
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil, errNoLoginState
	}
	plain, err := s.o.StateKeys.Open(sealed, loginStateAD)
	if err != nil {
		return nil, errNoLoginState
	}
	var ls loginState
	if err := json.Unmarshal(plain, &ls); err != nil {
		return nil, errNoLoginState
	}
	if age := s.o.Now().Sub(ls.IssuedAt); age > loginStateTTL || age < -s.o.ClockSkew {
		return nil, errNoLoginState
	}
	return &ls, nil
}
