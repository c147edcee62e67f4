package authn

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// BearerOptions configures a BearerAuthenticator: Elasticsearch's JWT realm
// (token_type id_token) and the token-checking half of its OIDC realm, for
// API clients that send `Authorization: Bearer <JWT>` issued by an OpenID
// provider.
type BearerOptions struct {
	// RealmName is Principal.Realm and the realm.name role-mapping field
	// (default "jwt1", or "oidc1" when RealmType is "oidc").
	RealmName string
	// RealmType is Principal.RealmType: "jwt" (default) or "oidc".
	RealmType string
	// Issuers are the trusted issuer URLs, each discovered through
	// <issuer>/.well-known/openid-configuration; iss must equal one exactly.
	Issuers []string
	// Audiences: the token's aud must contain at least one (exact match).
	// Required, as allowed_audiences in Elasticsearch.
	Audiences []string
	// AllowedAlgorithms (default RS256). "none" and HS* are refused: this
	// authenticator verifies with the issuers' public JWKS only.
	AllowedAlgorithms []string
	// ClockSkew allowed on exp, nbf and iat (default 60s; negative means 0).
	ClockSkew time.Duration

	// Claim names (Elasticsearch claims.*): principal (default "sub"),
	// groups (default "groups"), mail, name, dn (default: unset).
	ClaimPrincipal, ClaimGroups, ClaimMail, ClaimName, ClaimDN string
	// PrincipalPattern (claim_patterns.principal): a regexp applied to the
	// principal claim; its first group is the username. No match refuses
	// the token. Go RE2 syntax (close to Java's for ordinary patterns).
	PrincipalPattern string
	// ClientSharedSecret, when set, must also be sent by the client as
	// `ES-Client-Authentication: SharedSecret <secret>` (JWT realm
	// client_authentication.type shared_secret).
	ClientSharedSecret string

	// RoleMapper fills Principal.Roles (nil: no roles).
	RoleMapper PrincipalMapper
	// HTTPClient for discovery and JWKS (default: 10 s timeout).
	HTTPClient *http.Client
	// CacheSize bounds the validated-token cache (default 10000; negative
	// disables it). CacheTTL caps an entry's life (default 20m); an entry
	// never outlives the token's exp.
	CacheSize int
	CacheTTL  time.Duration
	// DiscoveryRetry is the minimum delay between discovery attempts for an
	// issuer whose discovery failed (default 10s).
	DiscoveryRetry time.Duration
	// JWKSRefreshInterval is the minimum delay between two fetches of the
	// same JWKS (or discovery) URL (default 5s; negative: no limit). go-oidc
	// refetches keys on every verification failure; this bounds the load a
	// flood of forged tokens puts on the provider. A token signed with a
	// just-rotated key may be refused for up to this long.
	JWKSRefreshInterval time.Duration
	// Now is the clock (default time.Now); tests use a fake clock.
	Now func() time.Time
}

// BearerAuthenticator authenticates `Authorization: Bearer <JWT>` requests
// against one or more OpenID Connect issuers. Signatures are verified by
// go-oidc (against the issuer's JWKS, which go-oidc caches and refetches
// when a token carries an unknown key id); this type checks audience,
// times with clock skew, maps claims to a Principal and roles, and caches
// validation results per token.
type BearerAuthenticator struct {
	opts      BearerOptions
	ctx       context.Context
	issuers   map[string]*bearerIssuer
	claims    *ClaimMapping
	cache     *tokenCache
	now       func() time.Time
	skew      time.Duration
	audiences []string
}

type bearerIssuer struct {
	url string

	mu        sync.Mutex
	verifier  *oidc.IDTokenVerifier
	lastTry   time.Time
	lastError error
}

var supportedBearerAlgs = map[string]bool{
	oidc.RS256: true, oidc.RS384: true, oidc.RS512: true,
	oidc.ES256: true, oidc.ES384: true, oidc.ES512: true,
	oidc.PS256: true, oidc.PS384: true, oidc.PS512: true,
	oidc.EdDSA: true,
}

// NewBearerAuthenticator validates opts and tries discovery for every
// issuer. An issuer that cannot be reached now is retried on use (tokens it
// issued are refused meanwhile), so the proxy can start while the OpenID
// provider is down. ctx must outlive the authenticator: go-oidc uses it
// for JWKS refreshes.
func NewBearerAuthenticator(ctx context.Context, opts BearerOptions) (*BearerAuthenticator, error) {
	if opts.RealmType == "" {
		opts.RealmType = "jwt"
	}
	if opts.RealmType != "jwt" && opts.RealmType != "oidc" {
		return nil, fmt.Errorf("bearer realm type must be jwt or oidc, not %q", opts.RealmType)
	}
	if opts.RealmName == "" {
		opts.RealmName = opts.RealmType + "1"
	}
	if len(opts.Issuers) == 0 {
		return nil, errors.New("bearer realm: at least one issuer is required")
	}
	if len(opts.Audiences) == 0 {
		return nil, errors.New("bearer realm: at least one audience is required")
	}
	if len(opts.AllowedAlgorithms) == 0 {
		opts.AllowedAlgorithms = []string{oidc.RS256}
	}
	for _, a := range opts.AllowedAlgorithms {
		if !supportedBearerAlgs[a] {
			return nil, fmt.Errorf("bearer realm: signature algorithm %q is not supported (asymmetric RS/ES/PS 256/384/512 or EdDSA only)", a)
		}
	}
	if opts.ClockSkew == 0 {
		opts.ClockSkew = 60 * time.Second
	} else if opts.ClockSkew < 0 {
		opts.ClockSkew = 0
	}
	if opts.ClaimPrincipal == "" {
		opts.ClaimPrincipal = "sub"
	}
	if opts.ClaimGroups == "" {
		opts.ClaimGroups = "groups"
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.JWKSRefreshInterval == 0 {
		opts.JWKSRefreshInterval = 5 * time.Second
	}
	if opts.JWKSRefreshInterval > 0 {
		c := *opts.HTTPClient
		c.Transport = newRefetchThrottle(c.Transport, opts.JWKSRefreshInterval)
		opts.HTTPClient = &c
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = 10000
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = 20 * time.Minute
	}
	if opts.DiscoveryRetry <= 0 {
		opts.DiscoveryRetry = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &BearerAuthenticator{
		opts: opts, ctx: oidc.ClientContext(ctx, opts.HTTPClient), issuers: map[string]*bearerIssuer{},
		now: opts.Now, skew: opts.ClockSkew, audiences: slices.Clone(opts.Audiences),
	}
	claims, err := NewClaimMapping(ClaimOptions{
		RealmName: opts.RealmName, RealmType: opts.RealmType, ClaimPrincipal: opts.ClaimPrincipal, ClaimGroups: opts.ClaimGroups,
		ClaimMail: opts.ClaimMail, ClaimName: opts.ClaimName, ClaimDN: opts.ClaimDN, PrincipalPattern: opts.PrincipalPattern,
		SeveralIssuers: len(opts.Issuers) > 1,
	})
	if err != nil {
		return nil, fmt.Errorf("bearer realm: %w", err)
	}
	a.claims = claims
	if opts.CacheSize > 0 {
		a.cache = newTokenCache(opts.CacheSize)
	}
	for _, iss := range opts.Issuers {
		if iss == "" {
			return nil, errors.New("bearer realm: empty issuer")
		}
		a.issuers[iss] = &bearerIssuer{url: iss}
	}
	for _, is := range a.issuers {
		_, _ = a.verifierFor(is) // eager; failures are retried on use
	}
	return a, nil
}

// DiscoveryErrors reports issuers whose discovery has not succeeded yet
// (issuer URL → last error), for startup logging.
func (a *BearerAuthenticator) DiscoveryErrors() map[string]error {
	out := map[string]error{}
	for u, is := range a.issuers {
		is.mu.Lock()
		if is.verifier == nil && is.lastError != nil {
			out[u] = is.lastError
		}
		is.mu.Unlock()
	}
	return out
}

func (a *BearerAuthenticator) verifierFor(is *bearerIssuer) (*oidc.IDTokenVerifier, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.verifier != nil {
		return is.verifier, nil
	}
	now := time.Now()
	if !is.lastTry.IsZero() && now.Sub(is.lastTry) < a.opts.DiscoveryRetry {
		return nil, is.lastError
	}
	is.lastTry = now
	p, err := oidc.NewProvider(a.ctx, is.url)
	if err != nil {
		is.lastError = err
		return nil, err
	}
	is.verifier = p.VerifierContext(a.ctx, &oidc.Config{
		SkipClientIDCheck:    true, // audience checked here against several values
		SkipExpiryCheck:      true, // exp/nbf/iat checked here with the configured skew
		SupportedSigningAlgs: a.opts.AllowedAlgorithms,
	})
	is.lastError = nil
	return is.verifier, nil
}

// Authenticate implements Authenticator.
func (a *BearerAuthenticator) Authenticate(r *http.Request) (p *Principal, err error) {
	defer func() {
		if rec := recover(); rec != nil { // a bad token must never take the proxy down
			p, err = nil, &AuthError{Reason: "invalid bearer token (internal error while validating)"}
		}
	}()
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return nil, ErrNoCredentials
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, ErrNoCredentials
	}
	token = strings.TrimSpace(token)
	if strings.Count(token, ".") != 2 {
		// Not a JWT (an Elasticsearch access token, say): another
		// authenticator in the chain may handle it.
		return nil, ErrNoCredentials
	}
	if len(values) > 1 {
		return nil, &AuthError{Reason: "more than one Authorization header"}
	}
	if a.opts.ClientSharedSecret != "" {
		if err := a.checkSharedSecret(r); err != nil {
			return nil, err
		}
	}
	key := sha256.Sum256([]byte(token))
	now := a.now()
	snapshot := a.mappingSnapshot()
	if a.cache != nil {
		if cp, ok := a.cache.get(key, now); ok {
			if roles, known := a.cache.roles(key, snapshot); known {
				cp.Roles = roles
				return cp, nil
			}
			a.mapRoles(cp, snapshot)
			a.cache.memoizeRoles(key, snapshot, cp.Roles)
			return cp, nil
		}
	}
	p, exp, err := a.validate(token, now)
	if err != nil {
		return nil, err
	}
	out := p.Clone()
	a.mapRoles(out, snapshot)
	if a.cache != nil {
		expires := exp
		if capAt := now.Add(a.opts.CacheTTL); capAt.Before(expires) {
			expires = capAt
		}
		a.cache.put(key, p, expires)
		a.cache.memoizeRoles(key, snapshot, out.Roles)
	}
	return out, nil
}

// snapshotMapper is a PrincipalMapper backed by an immutable *RoleMapper
// that reloads replace (RoleMapperStore, RoleMapper): roles mapped with a
// snapshot can be reused for the same principal while it is in force.
type snapshotMapper interface {
	PrincipalMapper
	Snapshot() *RoleMapper
}

// mappingSnapshot is the role mapping in force, or nil when the mapper
// cannot say (its results are then never memoized).
func (a *BearerAuthenticator) mappingSnapshot() *RoleMapper {
	if sm, ok := a.opts.RoleMapper.(snapshotMapper); ok {
		return sm.Snapshot()
	}
	return nil
}

// mapRoles fills p.Roles, with snapshot when there is one (so that the
// roles match the snapshot they are memoized under), else with the
// configured mapper.
func (a *BearerAuthenticator) mapRoles(p *Principal, snapshot *RoleMapper) {
	switch {
	case snapshot != nil:
		p.Roles = snapshot.Map(p)
	case a.opts.RoleMapper != nil:
		p.Roles = a.opts.RoleMapper.Map(p)
	default:
		p.Roles = []string{}
	}
}

func (a *BearerAuthenticator) checkSharedSecret(r *http.Request) error {
	h := r.Header.Get("ES-Client-Authentication")
	scheme, secret, _ := strings.Cut(strings.TrimSpace(h), " ")
	if h == "" || !strings.EqualFold(scheme, "SharedSecret") {
		return &AuthError{Reason: "missing ES-Client-Authentication shared secret"}
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(secret)), []byte(a.opts.ClientSharedSecret)) != 1 {
		return &AuthError{Reason: "wrong ES-Client-Authentication shared secret"}
	}
	return nil
}

// validate verifies token and builds its principal (without roles). It
// returns the token's expiry for the cache.
func (a *BearerAuthenticator) validate(token string, now time.Time) (*Principal, time.Time, error) {
	fail := func(format string, args ...any) (*Principal, time.Time, error) {
		return nil, time.Time{}, &AuthError{Reason: scrubToken(fmt.Sprintf(format, args...), token)}
	}
	// The unverified iss only selects which issuer's keys verify the
	// signature; go-oidc then checks iss against that issuer.
	iss, err := unverifiedIssuer(token)
	if err != nil {
		return fail("malformed bearer token: %v", err)
	}
	is, ok := a.issuers[iss]
	if !ok {
		return fail("bearer token from untrusted issuer %q", truncate(iss, 200))
	}
	v, err := a.verifierFor(is)
	if err != nil {
		return fail("issuer %q is unavailable (discovery failed: %v)", is.url, err)
	}
	idt, err := v.Verify(a.ctx, token)
	if err != nil {
		return fail("invalid bearer token: %v", err)
	}
	claims, err := DecodeClaims([]byte(rawClaims(idt)))
	if err != nil {
		return fail("invalid bearer token claims")
	}
	if err := CheckIDTokenShape(token, claims, IDOrAccessTokens); err != nil {
		// Before the subject is trusted: a "SUB" claim would be go-oidc's.
		return fail("invalid bearer token: %v", err)
	}
	// From here the signature is valid and the token an ID token: the
	// subject may be named in errors.
	subject := truncate(idt.Subject, 200)
	refuse := func(format string, args ...any) (*Principal, time.Time, error) {
		return nil, time.Time{}, &AuthError{Username: subject, Reason: scrubToken(fmt.Sprintf(format, args...), token)}
	}
	// aud as the claims map has it (the exact name; CheckIDTokenShape made
	// sure go-oidc read the same one).
	aud := claimStrings(claims["aud"])
	if !slices.ContainsFunc(aud, func(s string) bool { return slices.Contains(a.audiences, s) }) {
		return refuse("bearer token audience %q is not allowed", aud)
	}
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return refuse("bearer token has no valid exp claim")
	}
	if now.After(exp.Add(a.skew)) {
		return refuse("bearer token expired at %s", exp.UTC().Format(time.RFC3339))
	}
	iat, ok := numericDate(claims["iat"])
	if !ok {
		return refuse("bearer token has no valid iat claim")
	}
	if iat.After(now.Add(a.skew)) {
		return refuse("bearer token issued in the future (iat %s)", iat.UTC().Format(time.RFC3339))
	}
	if raw, present := claims["nbf"]; present {
		nbf, ok := numericDate(raw)
		if !ok {
			return refuse("bearer token has an invalid nbf claim")
		}
		if nbf.After(now.Add(a.skew)) {
			return refuse("bearer token not valid before %s", nbf.UTC().Format(time.RFC3339))
		}
	}

	p, err := a.claims.Principal(claims)
	if err != nil {
		return refuse("bearer token: %v", err)
	}
	p.Metadata["jwt_token_type"] = "id_token"
	return p, exp, nil
}

// rawClaims returns the verified payload of idt.
func rawClaims(idt *oidc.IDToken) string {
	var m json.RawMessage
	if err := idt.Claims(&m); err != nil {
		return ""
	}
	return string(m)
}

func unverifiedIssuer(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWS compact serialization")
	}
	if len(parts[1]) > 1<<20 {
		return "", errors.New("payload too large")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", errors.New("payload is not base64url")
	}
	var c struct {
		Iss any `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", errors.New("payload is not a JSON object")
	}
	iss, ok := c.Iss.(string)
	if !ok || iss == "" {
		return "", errors.New("no iss claim")
	}
	return iss, nil
}

// numericDate reads a JWT NumericDate (seconds since the epoch, possibly
// fractional).
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e12 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

func claimStrings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return []string{}
}

// metadataValue keeps what Elasticsearch maps from claims: strings,
// numbers, booleans and arrays of them. Numbers become int64 or float64.
func metadataValue(v any) (any, bool) {
	switch t := v.(type) {
	case string, bool:
		return t, true
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, true
		}
		if f, err := t.Float64(); err == nil {
			return f, true
		}
		return nil, false
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			ev, ok := metadataValue(e)
			if !ok {
				return nil, false
			}
			if _, nested := ev.([]any); nested {
				return nil, false
			}
			out = append(out, ev)
		}
		return out, true
	}
	return nil, false
}

// scrubToken removes the token and its segments from a message, in case a
// library error ever echoes them.
func scrubToken(msg, token string) string {
	if token == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, token, "<token>")
	for _, seg := range strings.Split(token, ".") {
		if len(seg) >= 8 {
			msg = strings.ReplaceAll(msg, seg, "<token>")
		}
	}
	return msg
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

var _ Authenticator = (*BearerAuthenticator)(nil)
