package authn

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// stubRealm accepts one username/password pair.
type stubRealm struct {
	user, pw string
	calls    int
}

func (s *stubRealm) Authenticate(_ context.Context, user, pw string) (*Principal, error) {
	s.calls++
	if user == s.user && pw == s.pw {
		return &Principal{Username: user, Realm: "stub", RealmType: "file", Roles: []string{}}, nil
	}
	return nil, &AuthError{Username: user, Reason: reasonBadCredentials}
}

func basicHeader(userPass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass))
}

func requestWith(remote string, headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/_search", nil)
	r.RemoteAddr = remote
	for _, h := range headers {
		r.Header.Add("Authorization", h)
	}
	return r
}

func TestBasicAuthenticator(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	cases := []struct {
		name    string
		headers []string
		user    string // expected principal
		err     string // "none", "nocreds", or the AuthError username + reason substring
		reason  string
	}{
		{"ok", []string{basicHeader("alice:pw:with:colons")}, "alice", "", ""},
		{"lowercase scheme", []string{"basic " + b64([]byte("alice:pw:with:colons"))}, "alice", "", ""},
		{"unpadded base64", []string{"Basic " + base64.RawStdEncoding.EncodeToString([]byte("alice:pw:with:colons"))}, "alice", "", ""},
		{"extra spaces", []string{"Basic    " + b64([]byte("alice:pw:with:colons")) + "  "}, "alice", "", ""},
		{"no header", nil, "", "nocreds", ""},
		{"bearer", []string{"Bearer abc.def"}, "", "nocreds", ""},
		{"apikey", []string{"ApiKey " + b64([]byte("id:key"))}, "", "nocreds", ""},
		{"scheme prefix only", []string{"Basically " + b64([]byte("a:b"))}, "", "nocreds", ""},
		{"wrong password", []string{basicHeader("alice:nope")}, "", "auth", "invalid username or password"},
		{"empty password", []string{basicHeader("alice:")}, "", "auth", "invalid username or password"},
		{"bad base64", []string{"Basic !!!notbase64"}, "", "auth", "not base64"},
		{"no colon", []string{basicHeader("alice")}, "", "auth", "missing ':'"},
		{"empty username", []string{basicHeader(":pw")}, "", "auth", "empty username"},
		{"empty token", []string{"Basic"}, "", "auth", "missing ':'"},
		{"empty token with space", []string{"Basic "}, "", "auth", "missing ':'"},
		{"non-UTF-8", []string{"Basic " + b64([]byte("al\xffice:pw"))}, "", "auth", "not UTF-8"},
		{"too large", []string{basicHeader("alice:" + strings.Repeat("x", MaxAuthorizationHeaderBytes))}, "", "auth", "too large"},
		{"two headers", []string{basicHeader("alice:pw:with:colons"), basicHeader("alice:pw:with:colons")}, "", "auth", "multiple Authorization"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			realm := &stubRealm{user: "alice", pw: "pw:with:colons"}
			obs := &recordingObserver{}
			a := NewBasicAuthenticator(realm, BasicOptions{Observer: obs})
			p, err := a.Authenticate(requestWith("192.0.2.1:5000", tc.headers...))
			switch tc.err {
			case "":
				if err != nil || p == nil || p.Username != tc.user {
					t.Fatalf("got %+v, %v", p, err)
				}
			case "nocreds":
				if !errors.Is(err, ErrNoCredentials) || p != nil || realm.calls != 0 {
					t.Fatalf("got %+v, %v, realm calls %d; want ErrNoCredentials", p, err, realm.calls)
				}
			default:
				var ae *AuthError
				if !errors.As(err, &ae) || p != nil || !strings.Contains(ae.Reason, tc.reason) {
					t.Fatalf("got %+v, %v; want *AuthError %q", p, err, tc.reason)
				}
				if strings.Contains(err.Error(), "nope") || strings.Contains(err.Error(), "pw:with") {
					t.Fatalf("error leaks the password: %v", err)
				}
			}
		})
	}
}

func TestBasicAuthenticatorReportsMalformed(t *testing.T) {
	obs := &recordingObserver{}
	a := NewBasicAuthenticator(&stubRealm{}, BasicOptions{Observer: obs})
	_, _ = a.Authenticate(requestWith("192.0.2.1:1", "Basic ###"))
	if len(obs.failed) != 1 || obs.failed[0] != RealmBasic+"/"+ReasonMalformedCredentials {
		t.Fatalf("observer: %v", obs.failed)
	}
}

// nilRealm misbehaves: no principal and no error.
type nilRealm struct{}

func (nilRealm) Authenticate(context.Context, string, string) (*Principal, error) { return nil, nil }

func TestBasicAuthenticatorFailsClosedOnNilPrincipal(t *testing.T) {
	a := NewBasicAuthenticator(nilRealm{}, BasicOptions{})
	if p, err := a.Authenticate(requestWith("192.0.2.1:1", basicHeader("a:b"))); err == nil || p != nil {
		t.Fatal("nil principal let through")
	}
}

// fixedAuth returns a fixed result.
type fixedAuth struct {
	p   *Principal
	err error
	n   *int
}

func (f fixedAuth) Authenticate(*http.Request) (*Principal, error) {
	*f.n++
	return f.p, f.err
}

func TestChain(t *testing.T) {
	alice := &Principal{Username: "alice"}
	refused := &AuthError{Username: "x", Reason: "no"}
	cases := []struct {
		name    string
		results []fixedAuth
		wantP   *Principal
		wantErr error
		calls   int
	}{
		{"empty", nil, nil, ErrNoCredentials, 0},
		{"all no creds", []fixedAuth{{err: ErrNoCredentials}, {err: ErrNoCredentials}}, nil, ErrNoCredentials, 2},
		{"second wins", []fixedAuth{{err: ErrNoCredentials}, {p: alice}, {err: refused}}, alice, nil, 2},
		{"refusal is final", []fixedAuth{{err: refused}, {p: alice}}, nil, refused, 1},
		{"rate limit is final", []fixedAuth{{err: &RateLimitError{By: LimitByIP}}, {p: alice}}, nil, ErrRateLimited, 1},
		{"nil principal fails closed", []fixedAuth{{}, {p: alice}}, nil, errNilPrincipal, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			var c Chain
			for _, r := range tc.results {
				r.n = &calls
				c = append(c, r)
			}
			p, err := c.Authenticate(requestWith("192.0.2.1:1"))
			if p != tc.wantP || !errors.Is(err, tc.wantErr) || calls != tc.calls {
				t.Fatalf("got %v, %v after %d calls", p, err, calls)
			}
		})
	}
}

func TestClientKey(t *testing.T) {
	cases := map[string]string{
		"192.0.2.7:443":              "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:1":   "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:80":      "192.0.2.7",
		"[fe80::1%eth0]:80":          "fe80::/64",
		"not-an-address":             "not-an-address",
		"":                           "",
		"@unix-socket":               "@unix-socket",
	}
	for in, want := range cases {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzBasicHeader: any Authorization header yields a principal, or
// ErrNoCredentials, or an *AuthError, or a rate-limit error; never a panic.
func FuzzBasicHeader(f *testing.F) {
	for _, seed := range []string{
		basicHeader("alice:secret"), basicHeader("alice"), basicHeader(":x"), "Basic", "Basic ", "basic ====",
		"Bearer x", "Basic " + base64.StdEncoding.EncodeToString([]byte("\xff:\xfe")), "Basic\t" + basicHeader("a:b")[6:],
		"", " ", "Basic " + strings.Repeat("A", 9000),
	} {
		f.Add(seed)
	}
	limiter := NewLoginLimiter(LoginLimiterOptions{MaxFailures: 1000})
	a := NewBasicAuthenticator(&stubRealm{user: "alice", pw: "secret"}, BasicOptions{Limiter: limiter})
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{header}
		p, err := a.Authenticate(r)
		var ae *AuthError
		switch {
		case err == nil:
			if p == nil || p.Username != "alice" {
				t.Fatalf("success without the right principal: %+v", p)
			}
		case errors.Is(err, ErrNoCredentials), errors.Is(err, ErrRateLimited), errors.As(err, &ae):
			if p != nil {
				t.Fatal("principal returned with an error")
			}
		default:
			t.Fatalf("undocumented error kind %T: %v", err, err)
		}
	})
}

// TestBasicAuthenticatorSharedAddress: behind Kibana every user's requests
// come from Kibana's address, each carrying the user's Basic credentials
// (Kibana's basic provider sends them on every request). Without an
// exemption, ten wrong passwords typed into Kibana's login form lock that
// address out, and with it every user of Kibana. An exempt address is
// never locked out (nor counted); each user name still is.
func TestBasicAuthenticatorSharedAddress(t *testing.T) {
	const kibana = "10.0.0.7:41234"
	for _, exempt := range []bool{false, true} {
		opts := BasicOptions{Limiter: NewLoginLimiter(LoginLimiterOptions{MaxFailures: 10})}
		if exempt {
			opts.ExemptAddresses = []netip.Prefix{netip.MustParsePrefix("10.0.0.7/32")}
		}
		a := NewBasicAuthenticator(&stubRealm{user: "alice", pw: "secret"}, opts)
		for i := 0; i < 10; i++ {
			_, _ = a.Authenticate(requestWith(kibana, basicHeader(fmt.Sprintf("guess%d:wrong", i))))
		}
		_, err := a.Authenticate(requestWith(kibana, basicHeader("alice:secret")))
		if exempt && err != nil {
			t.Fatalf("exempt address: alice refused after others' failures: %v", err)
		}
		if !exempt && !errors.Is(err, ErrRateLimited) {
			t.Fatalf("without the exemption the address should be locked out: %v", err)
		}
		if !exempt {
			continue
		}
		// The per-user limit still applies through the exempt address.
		for i := 0; i < 10; i++ {
			_, _ = a.Authenticate(requestWith(kibana, basicHeader("alice:wrong")))
		}
		if _, err := a.Authenticate(requestWith(kibana, basicHeader("alice:secret"))); !errors.Is(err, ErrRateLimited) {
			t.Fatalf("alice's own lockout through the exempt address: %v", err)
		}
		// Another address is still counted.
		for i := 0; i < 10; i++ {
			_, _ = a.Authenticate(requestWith("10.0.0.8:1", basicHeader(fmt.Sprintf("g%d:wrong", i))))
		}
		if _, err := a.Authenticate(requestWith("10.0.0.8:1", basicHeader("bob:x"))); !errors.Is(err, ErrRateLimited) {
			t.Fatalf("a non-exempt address is not limited: %v", err)
		}
	}
}
