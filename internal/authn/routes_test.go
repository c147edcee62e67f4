package authn

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// routeAuth authenticates everyone as user, or declines.
type routeAuth struct {
	user  string
	login string
}

func (f routeAuth) Authenticate(*http.Request) (*Principal, error) {
	if f.user == "" {
		return nil, ErrNoCredentials
	}
	return &Principal{Username: f.user}, nil
}

func (f routeAuth) LoginURL(*http.Request) string { return f.login }

func TestRoutes(t *testing.T) {
	session := Named{SchemeSession, routeAuth{login: "/_portcullis/login"}}
	bearer := Named{SchemeBearer, routeAuth{}}
	basic := Named{SchemeBasic, routeAuth{user: "basic-user"}}
	rs := NewRoutes([]Named{session, bearer, basic}, []Route{
		{PathPrefix: "/api/", Authenticators: []Named{bearer, basic}},
		{PathPrefix: "/api/private/", Authenticators: []Named{bearer}},
		{Host: "kibana.example.com", PathPrefix: "/", Authenticators: []Named{session}},
		{Host: "kibana.example.com", PathPrefix: "/api/", Authenticators: []Named{session, bearer}},
	})
	tests := []struct {
		host, path string
		schemes    []string
		user       string
		login      string
	}{
		{"proxy", "/logs/_search", []string{"session", "bearer", "basic"}, "basic-user", "/_portcullis/login"},
		{"proxy", "/api/x", []string{"bearer", "basic"}, "basic-user", ""},
		{"proxy", "/api/private/x", []string{"bearer"}, "", ""},
		{"proxy:9243", "/apix", []string{"session", "bearer", "basic"}, "basic-user", "/_portcullis/login"},
		{"KIBANA.example.com:443", "/app/discover", []string{"session"}, "", "/_portcullis/login"},
		{"kibana.example.com", "/api/status", []string{"session", "bearer"}, "", "/_portcullis/login"},
		{"kibana.example.com", "/api/private/x", []string{"bearer"}, "", ""}, // longer prefix wins over the host
		// The host as the site router reads it: a trailing dot (the
		// same name, fully qualified) must not fall back to the
		// default list, which would accept Basic where only the
		// session may log in.
		{"kibana.example.com.", "/app/discover", []string{"session"}, "", "/_portcullis/login"},
		{"Kibana.Example.Com.:443", "/app/discover", []string{"session"}, "", "/_portcullis/login"},
		// The path as the cluster decodes it: percent-encoded letters
		// must not dodge a route's prefix.
		{"proxy", "/%61pi/private/x", []string{"bearer"}, "", ""},
		{"proxy", "/api/%70rivate/x", []string{"bearer"}, "", ""},
		{"kibana.example.com.", "/%61pi/private/x", []string{"bearer"}, "", ""},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", "http://"+tc.host+tc.path, nil)
		if got := rs.Schemes(r); !slices.Equal(got, tc.schemes) {
			t.Errorf("%s%s: schemes %v, want %v", tc.host, tc.path, got, tc.schemes)
		}
		p, err := rs.Authenticate(r)
		if tc.user == "" && err != ErrNoCredentials || tc.user != "" && (err != nil || p.Username != tc.user) {
			t.Errorf("%s%s: Authenticate = %v, %v", tc.host, tc.path, p, err)
		}
		if got := rs.LoginURL(r); got != tc.login {
			t.Errorf("%s%s: LoginURL %q, want %q", tc.host, tc.path, got, tc.login)
		}
	}
}
