package browser

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// testOP is a small OpenID provider for what Dex does not do: RP-initiated
// logout (end_session_endpoint) and back-channel logout (logout tokens).
// It has a real login form for the browser, issues RS256 ID tokens with a
// sid per login, and sends logout tokens to the relying party.
type testOP struct {
	t   *testing.T
	srv *httptest.Server
	key *rsa.PrivateKey

	mu       sync.Mutex
	codes    map[string]grant
	idTokens []string // issued, in order
	lastHint string
	lastPost string
	// lastEndSession is the method and URL of the last end-session request.
	lastEndSession string
}

type grant struct {
	user, nonce, redirect, sid string
}

const testOPClient, testOPSecret = "portcullis-web", "test-op-secret"

func newTestOP(t *testing.T) *testOP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	op := &testOP{t: t, key: key, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("/keys", op.keys)
	mux.HandleFunc("/authorize", op.authorize)
	mux.HandleFunc("/token", op.token)
	mux.HandleFunc("/logout", op.endSession)
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

func (op *testOP) issuer() string { return op.srv.URL }

func (op *testOP) discovery(w http.ResponseWriter, _ *http.Request) {
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer": op.issuer(), "jwks_uri": op.issuer() + "/keys", "authorization_endpoint": op.issuer() + "/authorize",
		"token_endpoint": op.issuer() + "/token", "end_session_endpoint": op.issuer() + "/logout",
		"id_token_signing_alg_values_supported": []string{"RS256"}, "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"}, "backchannel_logout_supported": true, "backchannel_logout_session_supported": true,
	})
}

func (op *testOP) keys(w http.ResponseWriter, _ *http.Request) {
	_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: "op1", Algorithm: "RS256", Use: "sig"}}})
}

// authorize shows a login form (GET) and, on POST, redirects back with a code.
func (op *testOP) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!DOCTYPE html><html><body><form method="POST" action="/authorize?%s">
<input name="user" id="user"><button type="submit" id="go">Log in</button></form></body></html>`, html.EscapeString(r.URL.RawQuery))
		return
	}
	q := r.URL.Query()
	if q.Get("client_id") != testOPClient || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	code, sid := op.random(), op.random()
	op.mu.Lock()
	op.codes[code] = grant{user: r.PostFormValue("user"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri"), sid: sid}
	op.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (op *testOP) token(w http.ResponseWriter, r *http.Request) {
	if id, secret, ok := r.BasicAuth(); !ok || id != testOPClient || secret != testOPSecret {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	op.mu.Lock()
	g, ok := op.codes[r.PostFormValue("code")]
	delete(op.codes, r.PostFormValue("code"))
	op.mu.Unlock()
	if !ok || r.PostFormValue("grant_type") != "authorization_code" || r.PostFormValue("code_verifier") == "" {
		http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
		return
	}
	now := time.Now()
	id := op.sign(map[string]any{
		"iss": op.issuer(), "aud": testOPClient, "sub": "sub-" + g.user, "email": g.user + "@example.com", "groups": []string{"logs-readers"},
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": g.nonce, "sid": g.sid,
	}, "JWT")
	op.mu.Lock()
	op.idTokens = append(op.idTokens, id)
	op.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": op.random(), "token_type": "Bearer", "expires_in": 3600, "id_token": id})
}

// endSession records the id_token_hint and sends the browser on. It takes
// GET (query) and POST (form), as RP-Initiated Logout 1.0 requires.
func (op *testOP) endSession(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	op.mu.Lock()
	op.lastHint, op.lastPost = r.Form.Get("id_token_hint"), r.Form.Get("post_logout_redirect_uri")
	op.lastEndSession = r.Method + " " + r.URL.String()
	op.mu.Unlock()
	http.Redirect(w, r, r.Form.Get("post_logout_redirect_uri"), http.StatusFound)
}

// issued returns the ID tokens issued so far.
func (op *testOP) issued() []string {
	op.mu.Lock()
	defer op.mu.Unlock()
	return append([]string(nil), op.idTokens...)
}

// claimsOf decodes an issued token's payload (the OP's own tokens).
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	_ = json.Unmarshal(payload, &c)
	return c
}

// sendLogout posts a logout token (claims adjusted by mutate) to the RP.
func (op *testOP) sendLogout(rpURL string, mutate func(map[string]any)) (int, string) {
	op.t.Helper()
	now := time.Now()
	claims := map[string]any{
		"iss": op.issuer(), "aud": testOPClient, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "jti": op.random(),
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	}
	mutate(claims)
	resp, err := http.PostForm(rpURL+"/_portcullis/oidc/backchannel_logout", url.Values{"logout_token": {op.sign(claims, "logout+jwt")}})
	if err != nil {
		op.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (op *testOP) sign(claims map[string]any, typ string) string {
	op.t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: op.key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", "op1"))
	if err != nil {
		op.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		op.t.Fatal(err)
	}
	out, _ := obj.CompactSerialize()
	return out
}

func (op *testOP) random() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		op.t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
