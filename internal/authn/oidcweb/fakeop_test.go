package oidcweb

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// fakeOP is an in-process OpenID provider for unit tests: discovery, JWKS,
// an authorization endpoint that logs "alice" in at once, a token endpoint
// (authorization_code with PKCE S256, refresh_token with rotation) and an
// end-session endpoint. Misbehaviours are switched on per test.
type fakeOP struct {
	t   *testing.T
	srv *httptest.Server
	key *rsa.PrivateKey
	now func() time.Time

	// Settings (set before use).
	clientID, secret string
	subject, email   string
	sid              string
	lifetime         time.Duration
	endSession       bool
	revocation       bool                        // publish a revocation endpoint
	revocationStatus atomic.Int32                // its answer (0: 200)
	mutateIDToken    func(claims map[string]any) // after the normal claims
	idTokenType      string                      // the ID token's typ header ("" : JWT)
	noIDToken        bool
	refreshRejects   atomic.Bool
	refreshDown      atomic.Bool
	// refreshBusy, when set, is how the token endpoint answers refreshes
	// while it sheds load: "429 too_many_requests", "400 temporarily_unavailable".
	refreshBusy atomic.Value

	mu       sync.Mutex
	codes    map[string]codeGrant
	refresh  map[string]bool // valid refresh tokens
	lastHint string
	// lastEndSessionMethod is how the end-session endpoint was last called.
	lastEndSessionMethod string

	tokenCalls   atomic.Int32
	refreshCalls atomic.Int32
	revoked      []string // tokens revoked, under mu
}

type codeGrant struct {
	challenge, nonce, redirect string
}

func newFakeOP(t *testing.T, now func() time.Time) *fakeOP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024) // small: fast, and only ever a test key
	if err != nil {
		t.Fatal(err)
	}
	op := &fakeOP{
		t: t, key: key, now: now, clientID: "portcullis", secret: "s3cret", subject: "sub-alice", email: "alice@example.com",
		sid: "op-session-1", lifetime: time.Hour, codes: map[string]codeGrant{}, refresh: map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("/keys", op.keys)
	mux.HandleFunc("/auth", op.auth)
	mux.HandleFunc("/token", op.token)
	mux.HandleFunc("/end_session", op.endSessionHandler)
	mux.HandleFunc("/revoke", op.revoke)
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

func (op *fakeOP) issuer() string { return op.srv.URL }

func (op *fakeOP) discovery(w http.ResponseWriter, _ *http.Request) {
	doc := map[string]any{
		"issuer": op.issuer(), "jwks_uri": op.issuer() + "/keys",
		"authorization_endpoint": op.issuer() + "/auth", "token_endpoint": op.issuer() + "/token",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
		"backchannel_logout_supported":          true,
	}
	if op.endSession {
		doc["end_session_endpoint"] = op.issuer() + "/end_session"
	}
	if op.revocation {
		doc["revocation_endpoint"] = op.issuer() + "/revoke"
	}
	_ = json.NewEncoder(w).Encode(doc)
}

func (op *fakeOP) keys(w http.ResponseWriter, _ *http.Request) {
	_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

// auth logs the user in at once and redirects back with a code.
func (op *fakeOP) auth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != op.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := randomID(op.t)
	op.mu.Lock()
	op.codes[code] = codeGrant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
	op.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// revoke is RFC 7009's endpoint: client authentication, then the token is
// no longer valid (200 whether it was or not).
func (op *fakeOP) revoke(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if r.Method != http.MethodPost || !ok || id != op.clientID || secret != op.secret {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if st := op.revocationStatus.Load(); st != 0 {
		w.WriteHeader(int(st))
		return
	}
	_ = r.ParseForm()
	if r.PostForm.Get("token_type_hint") != "refresh_token" {
		http.Error(w, "expected a refresh token hint", http.StatusBadRequest)
		return
	}
	op.mu.Lock()
	op.revoked = append(op.revoked, r.PostForm.Get("token"))
	delete(op.refresh, r.PostForm.Get("token"))
	op.mu.Unlock()
}

// revokedTokens returns the tokens revoked so far.
func (op *fakeOP) revokedTokens() []string {
	op.mu.Lock()
	defer op.mu.Unlock()
	return append([]string(nil), op.revoked...)
}

// validRefreshTokens returns the refresh tokens the provider would accept.
func (op *fakeOP) validRefreshTokens() []string {
	op.mu.Lock()
	defer op.mu.Unlock()
	var out []string
	for tok, ok := range op.refresh {
		if ok {
			out = append(out, tok)
		}
	}
	return out
}

func (op *fakeOP) token(w http.ResponseWriter, r *http.Request) {
	op.tokenCalls.Add(1)
	id, secret, ok := r.BasicAuth()
	if !ok || id != op.clientID || secret != op.secret {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	_ = r.ParseForm()
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		op.codeGrant(w, r)
	case "refresh_token":
		op.refreshGrant(w, r)
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
	}
}

func (op *fakeOP) codeGrant(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	g, ok := op.codes[r.PostForm.Get("code")]
	delete(op.codes, r.PostForm.Get("code"))
	op.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || g.redirect != r.PostForm.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	op.issue(w, g.nonce)
}

func (op *fakeOP) refreshGrant(w http.ResponseWriter, r *http.Request) {
	op.refreshCalls.Add(1)
	if op.refreshDown.Load() {
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	if busy, _ := op.refreshBusy.Load().(string); busy != "" {
		var status int
		var code string
		fmt.Sscanf(busy, "%d %s", &status, &code)
		tokenError(w, status, code)
		return
	}
	rt := r.PostForm.Get("refresh_token")
	op.mu.Lock()
	valid := op.refresh[rt]
	delete(op.refresh, rt) // rotation: a refresh token is used once
	op.mu.Unlock()
	if !valid || op.refreshRejects.Load() {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	op.issue(w, "")
}

// issue answers a token request with fresh tokens.
func (op *fakeOP) issue(w http.ResponseWriter, nonce string) {
	now := op.now()
	access := randomID(op.t)
	rt := randomID(op.t)
	op.mu.Lock()
	op.refresh[rt] = true
	op.mu.Unlock()
	claims := map[string]any{
		"iss": op.issuer(), "sub": op.subject, "aud": op.clientID, "iat": now.Unix(), "exp": now.Add(op.lifetime).Unix(),
		"email": op.email, "groups": []string{"logs-readers"}, "sid": op.sid,
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if op.mutateIDToken != nil {
		op.mutateIDToken(claims)
	}
	// expires_in is relative: golang.org/x/oauth2 adds it to the real
	// clock, so it is computed to land on the test clock's expiry.
	expiresIn := int(now.Add(op.lifetime).Sub(time.Now()) / time.Second)
	resp := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": expiresIn, "refresh_token": rt}
	if !op.noIDToken {
		typ := op.idTokenType
		if typ == "" {
			typ = "JWT"
		}
		resp["id_token"] = op.sign(claims, typ)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// endSessionHandler takes RP-initiated logout by GET (query) or POST
// (form), as RP-Initiated Logout 1.0 requires of providers.
func (op *fakeOP) endSessionHandler(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm() // r.Form: the query, and the body of a POST
	op.mu.Lock()
	op.lastHint = r.Form.Get("id_token_hint")
	op.lastEndSessionMethod = r.Method
	op.mu.Unlock()
	http.Redirect(w, r, r.Form.Get("post_logout_redirect_uri"), http.StatusFound)
}

// sign makes a JWS with the provider's key.
func (op *fakeOP) sign(claims map[string]any, typ string) string {
	op.t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", "k1")
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: op.key}, opts)
	if err != nil {
		op.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		op.t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		op.t.Fatal(err)
	}
	return out
}

// logoutToken is a valid back-channel logout token; mutate adjusts it.
func (op *fakeOP) logoutToken(mutate func(map[string]any)) string {
	now := op.now()
	claims := map[string]any{
		"iss": op.issuer(), "aud": op.clientID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": randomID(op.t), "sid": op.sid, "sub": op.subject,
		"events": map[string]any{backchannelEvent: map[string]any{}},
	}
	if mutate != nil {
		mutate(claims)
	}
	return op.sign(claims, "logout+jwt")
}

func tokenError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q}`, code)
}

func randomID(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
