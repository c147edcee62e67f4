package server

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// basicChallenge is Elasticsearch 8's Basic challenge, byte for byte.
const basicChallenge = `Basic realm="security", charset="UTF-8"`

// bearerChallenge is offered next to Basic when bearer tokens are accepted.
const bearerChallenge = `Bearer realm="security"`

// withAuthentication resolves the caller to a Principal, or answers 401/429
// the way Elasticsearch does. Nothing unauthenticated gets past it.
func withAuthentication(a authn.Authenticator, challenges []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		p, err := a.Authenticate(r)
		if err == nil && p == nil {
			err = authn.ErrNoCredentials // an authenticator that returns nothing has not authenticated
		}
		if err != nil {
			st.Decision = "unauthenticated"
			var ae *authn.AuthError
			if errors.As(err, &ae) {
				st.AuthUser = ae.Username
			}
			authFailure(r, err, challenges).Write(w)
			st.Log.Info("authentication failed", zap.String("reason", authFailureReason(err)), zap.String("remote", r.RemoteAddr))
			return
		}
		st.Principal = p
		next.ServeHTTP(w, r)
	})
}

// authFailure builds the response Elasticsearch sends for err.
func authFailure(r *http.Request, err error, challenges []string) *eserr.Error {
	challenge := map[string][]string{"WWW-Authenticate": challenges}
	var ae *authn.AuthError
	switch {
	case errors.Is(err, authn.ErrRateLimited):
		e := eserr.Security(http.StatusTooManyRequests, "too many failed authentication attempts; try again later")
		retry := 60
		var rl *authn.RateLimitError
		if errors.As(err, &rl) && rl.RetryAfter > 0 {
			retry = int(math.Ceil(rl.RetryAfter.Seconds()))
		}
		e.Header = map[string][]string{"Retry-After": {strconv.Itoa(retry)}}
		return e
	case errors.As(err, &ae) && ae.Username != "":
		e := eserr.Security(http.StatusUnauthorized, fmt.Sprintf("unable to authenticate user [%s] for REST request [%s]", ae.Username, r.URL.RequestURI()))
		e.Header = challenge
		return e
	case errors.Is(err, authn.ErrNoCredentials):
		e := eserr.Security(http.StatusUnauthorized, fmt.Sprintf("missing authentication credentials for REST request [%s]", r.URL.RequestURI()))
		e.Header = challenge
		return e
	default: // malformed credentials: no user name to report
		e := eserr.Security(http.StatusUnauthorized, fmt.Sprintf("unable to authenticate for REST request [%s]", r.URL.RequestURI()))
		e.Header = challenge
		return e
	}
}

// authFailureReason is a log-safe reason (never the credentials).
func authFailureReason(err error) string {
	var ae *authn.AuthError
	switch {
	case errors.Is(err, authn.ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, authn.ErrNoCredentials):
		return "missing_credentials"
	case errors.As(err, &ae):
		return ae.Reason
	}
	return "error"
}
