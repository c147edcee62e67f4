package authn

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"
)

// MaxAuthorizationHeaderBytes bounds the Basic header we parse.
const MaxAuthorizationHeaderBytes = 8 << 10

// PasswordRealm verifies a username and password (FileRealm implements it).
type PasswordRealm interface {
	// Authenticate returns the principal or an error; bad credentials are an
	// *AuthError.
	Authenticate(ctx context.Context, username, password string) (*Principal, error)
}

// BasicOptions configures NewBasicAuthenticator.
type BasicOptions struct {
	// Limiter throttles failed logins; nil disables rate limiting.
	Limiter *LoginLimiter
	// Observer receives LoginFailed for malformed headers; nil means NopObserver.
	Observer Observer
	// Logger receives debug logs of refusals (never credentials); nil means none.
	Logger *zap.Logger
	// ExemptAddresses are client addresses whose failed logins are not
	// counted, nor locked out, by address (only by user name): a server
	// that relays many users' credentials, such as Kibana, whose users
	// would otherwise all be locked out by anyone typing wrong passwords
	// into its login form.
	ExemptAddresses []netip.Prefix
}

// BasicAuthenticator authenticates "Authorization: Basic" requests against a
// password realm.
//
// A request without an Authorization header, or whose scheme is not Basic
// (Bearer, ApiKey…), yields ErrNoCredentials so that another authenticator
// of a Chain may handle it. A Basic header that cannot be parsed (bad
// base64, no ':', empty username, not UTF-8, over 8 KiB), or several
// Authorization headers, yield an *AuthError. The source address used for
// rate limiting is r.RemoteAddr (IPv6 grouped by /64); whoever sets it from
// trusted forwarding headers must do so before this runs.
type BasicAuthenticator struct {
	realm   PasswordRealm
	limiter *LoginLimiter
	obs     Observer
	log     *zap.Logger
	// exempt are addresses the limiter does not count (ExemptAddresses).
	exempt []netip.Prefix
}

// NewBasicAuthenticator returns a Basic authenticator over realm.
func NewBasicAuthenticator(realm PasswordRealm, opts BasicOptions) *BasicAuthenticator {
	if opts.Observer == nil {
		opts.Observer = NopObserver{}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	return &BasicAuthenticator{realm: realm, limiter: opts.Limiter, obs: opts.Observer, log: opts.Logger, exempt: opts.ExemptAddresses}
}

// Authenticate implements Authenticator.
func (b *BasicAuthenticator) Authenticate(r *http.Request) (*Principal, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return nil, ErrNoCredentials
	}
	if len(values) > 1 {
		return nil, b.malformed(r, "multiple Authorization headers")
	}
	username, password, parseErr := parseBasic(values[0])
	if errors.Is(parseErr, ErrNoCredentials) {
		return nil, parseErr
	}
	ip := b.addressKey(r.RemoteAddr)
	if err := b.check(ip, username); err != nil {
		return nil, err
	}
	if parseErr != nil {
		return nil, b.malformedErr(ip, parseErr)
	}
	return b.login(r.Context(), ip, username, password)
}

// check consults the limiter; the address is checked even for malformed
// headers, the username only once parsed.
func (b *BasicAuthenticator) check(ip, username string) error {
	if b.limiter == nil {
		return nil
	}
	err := b.limiter.Check(ip, username)
	var rl *RateLimitError
	if errors.As(err, &rl) {
		rl.Username = username
	}
	return err
}

func (b *BasicAuthenticator) login(ctx context.Context, ip, username, password string) (*Principal, error) {
	p, err := b.realm.Authenticate(ctx, username, password)
	var authErr *AuthError
	switch {
	case errors.As(err, &authErr):
		if b.limiter != nil {
			b.limiter.Failure(ip, username)
		}
		return nil, err
	case err != nil:
		return nil, err
	case p == nil:
		return nil, errNilPrincipal
	}
	if b.limiter != nil {
		b.limiter.Success(ip, username)
	}
	return p, nil
}

func (b *BasicAuthenticator) malformed(r *http.Request, reason string) error {
	ip := b.addressKey(r.RemoteAddr)
	if err := b.check(ip, ""); err != nil {
		return err
	}
	return b.malformedErr(ip, &AuthError{Reason: reason})
}

// malformedErr counts a parse failure against the address and reports it.
func (b *BasicAuthenticator) malformedErr(ip string, err error) error {
	if b.limiter != nil {
		b.limiter.Failure(ip, "")
	}
	b.obs.LoginFailed(RealmBasic, ReasonMalformedCredentials)
	b.log.Debug("malformed basic credentials", zap.Error(err))
	return err
}

// parseBasic extracts the credentials. It returns ErrNoCredentials when the
// scheme is not Basic and an *AuthError when a Basic header is malformed.
func parseBasic(header string) (username, password string, err error) {
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", ErrNoCredentials
	}
	if len(header) > MaxAuthorizationHeaderBytes {
		return "", "", &AuthError{Reason: "Authorization header too large"}
	}
	raw, err := decodeBase64(strings.Trim(token, " \t"))
	switch {
	case err != nil:
		return "", "", &AuthError{Reason: "invalid basic authentication header: not base64"}
	case !utf8.Valid(raw):
		return "", "", &AuthError{Reason: "invalid basic authentication header: credentials are not UTF-8"}
	}
	username, password, found := strings.Cut(string(raw), ":")
	switch {
	case !found:
		return "", "", &AuthError{Reason: "invalid basic authentication header: missing ':'"}
	case username == "":
		return "", "", &AuthError{Reason: "invalid basic authentication header: empty username"}
	}
	return username, password, nil
}

// addressKey is the rate-limiting key of a client address, or "" for an
// exempt address (BasicOptions.ExemptAddresses), which the limiter does not
// count.
func (b *BasicAuthenticator) addressKey(remoteAddr string) string {
	return LimiterKey(remoteAddr, b.exempt)
}

// LimiterKey is the LoginLimiter key of a client address (the IP, an IPv6
// address's /64), or "" when the address is in exempt (not counted).
func LimiterKey(remoteAddr string, exempt []netip.Prefix) string {
	if len(exempt) > 0 {
		host, _, err := net.SplitHostPort(remoteAddr)
		if err != nil {
			host = remoteAddr
		}
		if addr, err := netip.ParseAddr(host); err == nil {
			addr = addr.Unmap().WithZone("")
			for _, p := range exempt {
				if p.Contains(addr) {
					return ""
				}
			}
		}
	}
	return clientKey(remoteAddr)
}

// clientKey is the rate-limiting key for a source address: the IP without
// port, IPv6 addresses reduced to their /64 since one host usually holds a
// whole /64.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || addr.Is4() {
		// netip accepts only the canonical dotted quad, so an IPv4 host
		// is already its own key (and formatting it again allocates).
		return host
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		if p, err := addr.Prefix(64); err == nil {
			return p.String()
		}
	}
	return addr.String()
}
