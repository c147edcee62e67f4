package authn

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// introspectionServer answers RFC 7662 requests from a table of tokens.
func introspectionServer(t *testing.T, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	now := time.Now().Unix()
	answers := map[string]string{
		"good":     fmt.Sprintf(`{"active":true,"sub":"u1","iss":"https://idp","aud":"portcullis","exp":%d,"token_use":"access_token","ext":{"email":"alice@example.com","groups":["logs-readers"]}}`, now+600),
		"inactive": `{"active":false}`,
		"refresh":  fmt.Sprintf(`{"active":true,"sub":"u1","exp":%d,"token_type":"Bearer","token_use":"refresh_token","ext":{"email":"alice@example.com"}}`, now+600),
		"expired":  fmt.Sprintf(`{"active":true,"sub":"u1","exp":%d,"email":"alice@example.com"}`, now-10),
		"foreign":  fmt.Sprintf(`{"active":true,"sub":"u1","iss":"https://evil","exp":%d,"email":"alice@example.com"}`, now+600),
		"otheraud": fmt.Sprintf(`{"active":true,"sub":"u1","aud":["other"],"exp":%d,"email":"alice@example.com"}`, now+600),
		"nouser":   fmt.Sprintf(`{"active":true,"sub":"u1","exp":%d}`, now+600),
		// No aud: only the client the token was issued to tells whether
		// it was meant for the proxy.
		"noaud-otherclient": fmt.Sprintf(`{"active":true,"sub":"u1","client_id":"other-client","exp":%d,"email":"alice@example.com"}`, now+600),
		"noaud-noclient":    fmt.Sprintf(`{"active":true,"sub":"u1","exp":%d,"email":"alice@example.com"}`, now+600),
		"noaud-ourclient":   fmt.Sprintf(`{"active":true,"sub":"u1","client_id":"portcullis","exp":%d,"email":"bob@example.com"}`, now+600),
		"emptyaud":          fmt.Sprintf(`{"active":true,"sub":"u1","aud":[],"client_id":"other-client","exp":%d,"email":"alice@example.com"}`, now+600),
		// Members of "ext" never stand in for the answer's own security
		// fields: an audience, issuer or client there is not the token's.
		"ext-aud":        fmt.Sprintf(`{"active":true,"sub":"u1","client_id":"other-client","exp":%d,"email":"alice@example.com","ext":{"aud":"portcullis"}}`, now+600),
		"ext-client":     fmt.Sprintf(`{"active":true,"sub":"u1","exp":%d,"email":"alice@example.com","ext":{"client_id":"portcullis"}}`, now+600),
		"iss-not-string": fmt.Sprintf(`{"active":true,"sub":"u1","iss":["https://evil"],"aud":"portcullis","exp":%d,"email":"alice@example.com"}`, now+600),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if id, secret, ok := r.BasicAuth(); !ok || id != "portcullis" || secret != "s" || r.Method != http.MethodPost {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		tok := r.PostFormValue("token")
		if tok == "broken" {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		a, ok := answers[tok]
		if !ok {
			a = `{"active":false}`
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, a)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestIntrospection(t *testing.T) {
	var calls atomic.Int32
	srv := introspectionServer(t, &calls)
	claims, err := NewClaimMapping(ClaimOptions{RealmName: "oidc1", RealmType: "oidc", ClaimPrincipal: "email"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewIntrospectionAuthenticator(IntrospectionOptions{
		Endpoint: srv.URL, ClientID: "portcullis", ClientSecret: "s", Issuers: []string{"https://idp"}, Audiences: []string{"portcullis"},
		Claims: claims, RoleMapper: fixedRoles{"logs_reader"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, header string
		user         string
		wantErr      error // matched with errors.Is; nil with user "" means *AuthError
		calls        int32 // endpoint calls this request makes
	}{
		{"opaque token", "Bearer good", "alice@example.com", nil, 1},
		{"cached", "Bearer good", "alice@example.com", nil, 0},
		{"inactive", "Bearer inactive", "", nil, 1},
		{"inactive, cached", "Bearer inactive", "", nil, 0},
		{"refresh token refused", "Bearer refresh", "", nil, 1},
		{"expired", "Bearer expired", "", nil, 1},
		{"untrusted issuer", "Bearer foreign", "", nil, 1},
		{"other audience", "Bearer otheraud", "", nil, 1},
		{"no principal claim", "Bearer nouser", "", nil, 1},
		{"no audience, another client's token", "Bearer noaud-otherclient", "", nil, 1},
		{"no audience, no client", "Bearer noaud-noclient", "", nil, 1},
		{"no audience, the proxy's client", "Bearer noaud-ourclient", "bob@example.com", nil, 1},
		{"empty audience, another client's token", "Bearer emptyaud", "", nil, 1},
		{"audience only in ext", "Bearer ext-aud", "", nil, 1},
		{"client only in ext", "Bearer ext-client", "", nil, 1},
		{"issuer that is not a string", "Bearer iss-not-string", "", nil, 1},
		{"endpoint down", "Bearer broken", "", ErrUnavailable, 1},
		{"JWT left to the bearer authenticator", "Bearer a.b.c", "", ErrNoCredentials, 0},
		{"Basic left alone", "Basic YTpi", "", ErrNoCredentials, 0},
		{"no header", "", "", ErrNoCredentials, 0},
	}
	for _, tc := range tests {
		before := calls.Load()
		r := httptest.NewRequest("GET", "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		p, err := a.Authenticate(r)
		var ae *AuthError
		switch {
		case tc.user != "":
			if err != nil || p.Username != tc.user || len(p.Roles) != 1 || p.Realm != "oidc1" {
				t.Errorf("%s: %+v %v", tc.name, p, err)
			}
		case tc.wantErr != nil:
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("%s: err %v, want %v", tc.name, err, tc.wantErr)
			}
		case !errors.As(err, &ae):
			t.Errorf("%s: err %v, want an *AuthError", tc.name, err)
		}
		if got := calls.Load() - before; got != tc.calls {
			t.Errorf("%s: %d endpoint calls, want %d", tc.name, got, tc.calls)
		}
	}
}

type fixedRoles []string

func (f fixedRoles) Map(*Principal) []string { return append([]string(nil), f...) }
