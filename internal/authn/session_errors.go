package authn

import "errors"

// ErrUnavailable is matched (errors.Is) by errors meaning that
// authentication could not be decided because a component it needs (the
// session store, the OpenID provider during a refresh) did not answer.
// It is not a refusal of credentials: the answer is 503, and other
// authenticators are not tried (the request did carry credentials).
var ErrUnavailable = errors.New("authn: authentication is temporarily unavailable")

// UnavailableError says which component is unavailable. It matches
// ErrUnavailable.
type UnavailableError struct {
	// Reason is safe to show to the client ("the session store is unavailable").
	Reason string
	// Err is the underlying error, for logs.
	Err error
}

// Error implements error.
func (e *UnavailableError) Error() string {
	if e.Err == nil {
		return "authn: " + e.Reason
	}
	return "authn: " + e.Reason + ": " + e.Err.Error()
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Unwrap returns the underlying error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// CSRFError refuses a state-changing request authenticated by a session
// cookie that carries neither the anti-CSRF header nor an allowed Origin:
// a page of another site may have sent it with the user's cookie.
type CSRFError struct {
	// Principal is the session's user (for the audit record); the request
	// is refused all the same.
	Principal *Principal
	// Reason is safe to show to the client.
	Reason string
}

// Error implements error.
func (e *CSRFError) Error() string { return "authn: request refused (CSRF protection): " + e.Reason }
