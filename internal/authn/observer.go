package authn

// Reasons passed to Observer.LoginFailed. They are fixed strings so that a
// metrics label has a bounded set of values.
const (
	// ReasonInvalidCredentials covers both an unknown user and a wrong
	// password: they are deliberately not told apart.
	ReasonInvalidCredentials = "invalid_credentials"
	// ReasonMalformedCredentials is a Basic header that could not be parsed.
	ReasonMalformedCredentials = "malformed_credentials"
)

// Rate-limit dimensions passed to Observer.RateLimited.
const (
	// LimitByIP means the source address is locked out.
	LimitByIP = "ip"
	// LimitByUsername means the claimed username is locked out.
	LimitByUsername = "username"
)

// RealmBasic is the realm label used with LoginFailed for failures detected
// before any realm was consulted (a malformed Basic header).
const RealmBasic = "basic"

// Observer receives authentication events for metrics. Implementations must
// be safe for concurrent use and must not block.
type Observer interface {
	// CacheHit is called when a realm answered from its credential cache.
	CacheHit(realm string)
	// CacheMiss is called when a realm had to verify the stored hash.
	CacheMiss(realm string)
	// LoginFailed is called for refused credentials; reason is one of the
	// Reason* constants.
	LoginFailed(realm, reason string)
	// RateLimited is called when a login attempt is refused unchecked; by is
	// LimitByIP or LimitByUsername.
	RateLimited(by string)
}

// NopObserver ignores every event.
type NopObserver struct{}

// CacheHit implements Observer.
func (NopObserver) CacheHit(string) {}

// CacheMiss implements Observer.
func (NopObserver) CacheMiss(string) {}

// LoginFailed implements Observer.
func (NopObserver) LoginFailed(string, string) {}

// RateLimited implements Observer.
func (NopObserver) RateLimited(string) {}
