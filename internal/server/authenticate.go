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

// apiKeyChallenge is offered when API keys are accepted.
const apiKeyChallenge = "ApiKey"

// withAuthentication resolves the caller to a Principal, or answers 401/429
// the way Elasticsearch does. Nothing unauthenticated gets past it, except
// a request without any credentials when anonymous access is on (anon not
// nil): it runs as the anonymous user (anonymous.go).
func withAuthentication(a authn.Authenticator, anon *authn.Anonymous, challenges []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		p, err := a.Authenticate(r)
		if err == nil && p == nil {
			err = authn.ErrNoCredentials // an authenticator that returns nothing has not authenticated
		}
		if err != nil && anon != nil && errors.Is(err, authn.ErrNoCredentials) && loginURL(a, r, err) == "" {
			st.Principal = anon.Principal()
			next.ServeHTTP(anonymousWriter(w, st, anon, challengesFor(a, r, challenges)), r)
			return
		}
		if err != nil {
			st.Decision = "unauthenticated"
			var ae *authn.AuthError
			var rl *authn.RateLimitError
			switch {
			case errors.As(err, &ae):
				st.AuthUser, st.authKeyID, st.credentialsRefused = ae.Username, ae.APIKeyID, true
			case errors.As(err, &rl): // credentials refused unchecked: still a failed authentication
				st.AuthUser, st.credentialsRefused = rl.Username, true
			}
			var ce *authn.CSRFError
			if errors.As(err, &ce) {
				refuseCSRF(w, st, ce)
				return
			}
			if login := loginURL(a, r, err); login != "" {
				st.Log().Info("no session: browser sent to log in", zap.String("remote", r.RemoteAddr))
				w.Header().Set("Cache-Control", "no-store")
				http.Redirect(w, r, login, http.StatusFound)
				return
			}
			authFailure(r, err, challengesFor(a, r, challenges)).Write(w)
			st.Log().Info("authentication failed", zap.String("reason", authFailureReason(err)), zap.String("remote", r.RemoteAddr))
			return
		}
		anon.AddRoles(p) // Elasticsearch gives the anonymous roles to everyone
		dropServiceAccountRoles(p)
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
	case errors.Is(err, authn.ErrUnavailable):
		var ue *authn.UnavailableError
		reason := "authentication is temporarily unavailable"
		if errors.As(err, &ue) {
			reason = ue.Reason
		}
		return eserr.Security(http.StatusServiceUnavailable, fmt.Sprintf("unable to authenticate for REST request [%s]: %s", r.URL.RequestURI(), reason))
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
	case errors.Is(err, authn.ErrUnavailable):
		return "unavailable: " + err.Error()
	case errors.Is(err, authn.ErrNoCredentials):
		return "missing_credentials"
	case errors.As(err, &ae):
		return ae.Reason
	}
	return "error"
}

// refuseCSRF answers a state-changing request that a session cookie
// authenticated but that may come from another site: 400 (as Kibana does
// for a missing kbn-xsrf), audited as a tampered request of the session's
// user.
func refuseCSRF(w http.ResponseWriter, st *requestState, ce *authn.CSRFError) {
	st.Decision, st.Principal = "rejected", ce.Principal
	st.Log().Warn("request refused: CSRF protection", zap.String("reason", ce.Reason))
	eserr.Security(http.StatusBadRequest, ce.Reason).Write(w)
}

// loginURL is where a browser without a valid session goes to log in, or
// "" when the request is not a page navigation or no interactive login
// applies to its route.
func loginURL(a authn.Authenticator, r *http.Request, err error) string {
	lr, ok := a.(authn.LoginRedirector)
	if !ok || !errors.Is(err, authn.ErrNoCredentials) || !wantsHTML(r) {
		return ""
	}
	return lr.LoginURL(r)
}

// challengesFor lists the WWW-Authenticate challenges of the schemes that
// apply to r (def when the authenticator cannot say). Sessions have no
// challenge.
func challengesFor(a authn.Authenticator, r *http.Request, def []string) []string {
	sl, ok := a.(authn.SchemeLister)
	if !ok {
		return def
	}
	var out []string
	for _, s := range sl.Schemes(r) {
		switch s {
		case authn.SchemeBasic:
			out = append(out, basicChallenge)
		case authn.SchemeBearer:
			out = append(out, bearerChallenge)
		case authn.SchemeAPIKey:
			out = append(out, apiKeyChallenge)
		}
	}
	return out
}
