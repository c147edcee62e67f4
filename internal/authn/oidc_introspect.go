package authn

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/flight"
)

// IntrospectionOptions configures an IntrospectionAuthenticator.
type IntrospectionOptions struct {
	// Endpoint is the provider's token introspection endpoint (RFC 7662).
	Endpoint string
	// ClientID and ClientSecret authenticate the proxy to it (Basic).
	ClientID, ClientSecret string
	// Issuers: when the answer names an issuer (iss), it must be one of
	// them. Audiences: when it names audiences (aud), one must be listed;
	// when it names none, its client_id must be listed.
	Issuers, Audiences []string
	// Issuer, when set, is the provider whose endpoint this is: an answer
	// may name only it (another issuer's user is not this endpoint's to
	// vouch for), and an answer naming no issuer is its user. A realm
	// trusting several issuers needs it: the issuer is half of a user's
	// name there.
	Issuer string
	// Claims builds the principal from the answer (required); RoleMapper
	// gives it roles (nil: none).
	Claims     *ClaimMapping
	RoleMapper PrincipalMapper
	// HTTPClient calls the endpoint (default: 5s timeout).
	HTTPClient *http.Client
	// CacheSize bounds the cache of answers (default 10000); CacheTTL caps
	// how long an active answer is trusted (default 2m: a revoked token
	// works at most this long); inactive answers are kept 10s.
	CacheSize int
	CacheTTL  time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Limiter (nil: none) counts every inactive or refused answer as a
	// failed login of the client's address, and refuses an address that is
	// locked out before asking the endpoint: the negative cache is per
	// token, so without it every distinct junk token a client sends is
	// one call to the provider with the proxy's client credentials (and a
	// provider that then rate-limits the proxy's client fails every
	// opaque-token user). ExemptAddresses are not counted (the Basic
	// realm's login_rate_limit.exempt_addresses: relays of many users).
	Limiter         *LoginLimiter
	ExemptAddresses []netip.Prefix
}

// IntrospectionAuthenticator authenticates opaque (non-JWT) bearer tokens
// by asking the provider's introspection endpoint, and caches the answers.
// JWTs are left to the BearerAuthenticator, which verifies them locally.
type IntrospectionAuthenticator struct {
	o     IntrospectionOptions
	cache *tokenCache
	// flights makes concurrent requests with one uncached token share one
	// call to the endpoint (see introspectShared).
	flights flight.Group[[sha256.Size]byte, introspection]
}

// introspection is one endpoint call's outcome, shared by the requests
// that waited for it. p has no roles and is never handed out itself.
type introspection struct {
	p   *Principal
	err error
}

// negativeTTL is how long an inactive answer is cached: a flood of junk
// tokens must not become a flood of introspection calls.
const negativeTTL = 10 * time.Second

// maxIntrospectionBody bounds the endpoint's answer.
const maxIntrospectionBody = 64 << 10

// NewIntrospectionAuthenticator checks o and applies defaults.
func NewIntrospectionAuthenticator(o IntrospectionOptions) (*IntrospectionAuthenticator, error) {
	if u, err := url.Parse(o.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("introspection: endpoint %q is not an http(s) URL", o.Endpoint)
	}
	if o.ClientID == "" || o.Claims == nil {
		return nil, errors.New("introspection: a client id and a claim mapping are required")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if o.CacheSize <= 0 {
		o.CacheSize = 10000
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = 2 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &IntrospectionAuthenticator{o: o, cache: newTokenCache(o.CacheSize)}, nil
}

// Authenticate implements Authenticator.
func (a *IntrospectionAuthenticator) Authenticate(r *http.Request) (*Principal, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return nil, ErrNoCredentials
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" || strings.Count(token, ".") == 2 {
		return nil, ErrNoCredentials // not a bearer token, or a JWT (verified locally)
	}
	if len(values) > 1 {
		return nil, &AuthError{Reason: "more than one Authorization header"}
	}
	if len(token) > MaxAuthorizationHeaderBytes {
		return nil, &AuthError{Reason: "bearer token too large"}
	}
	key := sha256.Sum256([]byte(token))
	now := a.o.Now()
	if p, ok := a.cache.get(key, now); ok {
		if p == nil {
			return nil, &AuthError{Reason: "bearer token is not active"}
		}
		return a.withRoles(p), nil
	}
	ip := LimiterKey(r.RemoteAddr, a.o.ExemptAddresses)
	if a.o.Limiter != nil {
		if err := a.o.Limiter.Check(ip, ""); err != nil {
			return nil, err
		}
	}
	res, err := a.introspectShared(r.Context(), key, token)
	if err != nil {
		return nil, &UnavailableError{Reason: "the token introspection endpoint is unavailable", Err: err}
	}
	if res.err != nil {
		var ae *AuthError
		if a.o.Limiter != nil && errors.As(res.err, &ae) {
			a.o.Limiter.Failure(ip, "")
		}
		return nil, res.err
	}
	return a.withRoles(res.p.Clone()), nil
}

// introspectShared asks the endpoint about token and caches the answer;
// concurrent requests with the same token wait for one call, as the file
// realm's logins wait for one password check: a client that opens 16
// connections with a fresh token must not send 16 calls to the provider.
// The call runs without its first caller's cancellation (bounded by the
// HTTP client's timeout), so one client hanging up does not fail the
// others; a waiter whose own context ends gets that error.
func (a *IntrospectionAuthenticator) introspectShared(ctx context.Context, key [sha256.Size]byte, token string) (introspection, error) {
	call := context.WithoutCancel(ctx)
	return a.flights.Do(ctx, key, func() introspection {
		now := a.o.Now()
		p, exp, err := a.Introspect(call, token)
		var ae *AuthError
		switch {
		case errors.As(err, &ae) && ae.Username == "":
			a.cache.put(key, nil, now.Add(negativeTTL))
			return introspection{err: err}
		case err != nil:
			return introspection{err: err}
		}
		expires := now.Add(a.o.CacheTTL)
		if !exp.IsZero() && exp.Before(expires) {
			expires = exp
		}
		a.cache.put(key, p, expires)
		return introspection{p: p}
	})
}

func (a *IntrospectionAuthenticator) withRoles(p *Principal) *Principal {
	if a.o.RoleMapper != nil {
		p.Roles = a.o.RoleMapper.Map(p)
	} else {
		p.Roles = []string{}
	}
	return p
}

// Introspect asks the endpoint about token and returns its principal
// (without roles) and expiry. An inactive, expired, foreign or refresh
// token is an *AuthError; an endpoint that does not answer properly is
// an *UnavailableError.
func (a *IntrospectionAuthenticator) Introspect(ctx context.Context, token string) (*Principal, time.Time, error) {
	claims, err := a.call(ctx, token)
	if err != nil {
		return nil, time.Time{}, &UnavailableError{Reason: "the token introspection endpoint is unavailable", Err: err}
	}
	if active, _ := claims["active"].(bool); !active {
		return nil, time.Time{}, &AuthError{Reason: "bearer token is not active"}
	}
	if err := a.check(claims); err != nil {
		return nil, time.Time{}, &AuthError{Reason: "bearer token: " + err.Error()}
	}
	exp, _ := numericDate(claims["exp"])
	p, err := a.o.Claims.Principal(claims)
	if err != nil {
		return nil, time.Time{}, &AuthError{Reason: "bearer token: " + err.Error()}
	}
	p.Metadata["jwt_token_type"] = "access_token"
	return p, exp, nil
}

// call POSTs the token to the endpoint and decodes the answer. Members of
// a non-standard "ext" object (where Dex puts email, groups and name) fill
// in claims the answer does not have at the top level, except the
// answer's own fields (introspectionField): "ext" holds extra claims
// (Ory Hydra's come from the consent session), never the token's
// audience, issuer, client or lifetime.
func (a *IntrospectionAuthenticator) call(ctx context.Context, token string) (map[string]any, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.o.Endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(a.o.ClientID), url.QueryEscape(a.o.ClientSecret))
	resp, err := a.o.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIntrospectionBody+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || len(body) > maxIntrospectionBody {
		return nil, fmt.Errorf("introspection answered HTTP %d (%d bytes)", resp.StatusCode, len(body))
	}
	claims, err := DecodeClaims(body)
	if err != nil {
		return nil, err
	}
	if ext, ok := claims["ext"].(map[string]any); ok {
		for k, v := range ext {
			if _, present := claims[k]; !present && !introspectionField(k) {
				claims[k] = v
			}
		}
	}
	return claims, nil
}

// introspectionField reports whether name is a member of an introspection
// answer (RFC 7662 section 2.2, and token_use) that says what the token is
// and whom it is for: such members count only at the answer's top level.
func introspectionField(name string) bool {
	switch name {
	case "active", "scope", "client_id", "username", "token_type", "token_use",
		"exp", "iat", "nbf", "sub", "aud", "iss", "jti", "azp":
		return true
	}
	return false
}

// check applies the answer's own limits: not a refresh token, not
// expired or not yet valid, from a trusted issuer, for a listed audience.
func (a *IntrospectionAuthenticator) check(claims map[string]any) error {
	for _, k := range []string{"token_type", "token_use"} {
		if v, _ := claims[k].(string); strings.EqualFold(v, "refresh_token") {
			return errors.New("a refresh token is not a bearer credential")
		}
	}
	now := a.o.Now()
	if raw, ok := claims["exp"]; ok {
		exp, ok := numericDate(raw)
		if !ok || !now.Before(exp) {
			return errors.New("expired")
		}
	}
	if raw, ok := claims["nbf"]; ok {
		if nbf, ok := numericDate(raw); !ok || nbf.After(now.Add(time.Minute)) {
			return errors.New("not valid yet")
		}
	}
	if a.o.Issuer != "" {
		raw, ok := claims["iss"]
		if !ok {
			claims["iss"] = a.o.Issuer
		} else if iss, _ := raw.(string); iss != a.o.Issuer {
			return errors.New("the answer names another issuer than the endpoint's provider")
		}
	}
	if raw, ok := claims["iss"]; ok && len(a.o.Issuers) > 0 {
		iss, isString := raw.(string)
		if !isString {
			return errors.New("the answer's issuer is not a string")
		}
		if !slices.Contains(a.o.Issuers, iss) {
			return fmt.Errorf("issuer %q is not trusted", truncate(iss, 200))
		}
	}
	if len(a.o.Audiences) > 0 {
		// The token must say it is meant for the proxy: an audience
		// listed, or, when the answer names no audience, the client it
		// was issued to. Without either, any token the provider issued
		// to any of its clients (another application the user logged
		// into) would log in here.
		listed := func(s string) bool { return slices.Contains(a.o.Audiences, s) }
		raw, hasAud := claims["aud"]
		switch clientID, _ := claims["client_id"].(string); {
		case hasAud && !slices.ContainsFunc(claimStrings(raw), listed):
			return errors.New("audience is not allowed")
		case !hasAud && !listed(clientID):
			return errors.New("the answer names no audience and no allowed client_id")
		}
	}
	return nil
}

var _ Authenticator = (*IntrospectionAuthenticator)(nil)
