package authn

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Authenticator authenticates one request.
type Authenticator interface {
	// Authenticate returns the principal, or ErrNoCredentials when the
	// request carries no credentials this authenticator handles, or an error
	// describing why the credentials were refused (*AuthError for bad
	// credentials, an error matching ErrRateLimited while the caller is
	// locked out).
	Authenticate(r *http.Request) (*Principal, error)
}

// ErrNoCredentials means the request carries no credentials that the
// authenticator handles; another authenticator in a Chain may handle them.
// On its own it maps to a 401 with a WWW-Authenticate challenge.
var ErrNoCredentials = errors.New("authn: missing authentication credentials")

// ErrRateLimited is matched (errors.Is) by the error returned while a source
// address or a username is locked out after too many failed logins. The
// concrete error is a *RateLimitError, which says for how long.
var ErrRateLimited = errors.New("authn: too many failed authentication attempts")

// AuthError reports refused credentials: unknown user, wrong password or a
// malformed Authorization header. The realm returns the same error for an
// unknown user and a wrong password so that callers cannot enumerate users.
type AuthError struct {
	// Username is the claimed username; "" when the credentials could not be
	// parsed.
	Username string
	// APIKeyID is the id of refused API key credentials ("" for other
	// credentials): the audit names it, as Elasticsearch names the key's
	// principal (its id) in authentication_failed.
	APIKeyID string
	// Reason is a message for logs. It never contains a password or a hash.
	Reason string
}

// Error implements error. The username is quoted so that control characters
// sent by a client cannot forge log lines.
func (e *AuthError) Error() string {
	if e.Username == "" {
		return "authn: authentication failed: " + e.Reason
	}
	return fmt.Sprintf("authn: authentication failed for user %q: %s", e.Username, e.Reason)
}

// RateLimitError is returned instead of checking credentials while the caller
// is locked out. It matches ErrRateLimited.
type RateLimitError struct {
	// By is "ip" or "username": which counter tripped.
	By string
	// RetryAfter is how long the lockout still lasts (for a Retry-After header).
	RetryAfter time.Duration
	// Username is the user name of the credentials refused unchecked, when
	// the header could be read ("" otherwise): the audit names it.
	Username string
}

// Error implements error.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s (by %s, retry after %s)", ErrRateLimited.Error(), e.By, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// Compile-time checks that the implementations satisfy the interfaces.
var (
	_ Authenticator = (*BasicAuthenticator)(nil)
	_ Authenticator = Chain(nil)
	_ PasswordRealm = (*FileRealm)(nil)
	_ Observer      = NopObserver{}
)
