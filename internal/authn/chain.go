package authn

import (
	"errors"
	"net/http"
)

// errNilPrincipal guards against an authenticator that reports success
// without a principal: that must never let a request through.
var errNilPrincipal = errors.New("authn: authenticator returned no principal and no error")

// Chain tries authenticators in order. The first one that does not return
// ErrNoCredentials decides: its principal or its error is the result. A
// refusal (*AuthError, ErrRateLimited…) is final and does not fall through to
// the next authenticator, as in Elasticsearch's realm chain for a token that
// a realm recognised.
type Chain []Authenticator

// Authenticate implements Authenticator.
func (c Chain) Authenticate(r *http.Request) (*Principal, error) {
	for _, a := range c {
		p, err := a.Authenticate(r)
		if errors.Is(err, ErrNoCredentials) {
			continue
		}
		if err == nil && p == nil {
			return nil, errNilPrincipal
		}
		return p, err
	}
	return nil, ErrNoCredentials
}
