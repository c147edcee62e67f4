package oidcweb

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/session"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a Service on a test site, its provider and a browser-like client.
type env struct {
	t        *testing.T
	svc      *Service
	op       *fakeOP
	clock    *clock
	site     *httptest.Server
	sessions *session.Manager
	backend  session.Backend
	client   *http.Client
	// audit receives the endpoints' outcomes (installed on every request).
	audit *outcomes
	// opts are the Service's options (to start another replica).
	opts Options
}

type groupsMapper struct{}

// Map gives logs_reader to members of logs-readers.
func (groupsMapper) Map(p *authn.Principal) []string {
	for _, g := range p.Metadata[authn.MetadataGroups].([]string) {
		if g == "logs-readers" {
			return []string{"logs_reader"}
		}
	}
	return []string{}
}

// newEnv starts a provider and a site whose /_portcullis/ endpoints are
// the Service and whose other pages answer the authenticated user's name.
func newEnv(t *testing.T, modOP func(*fakeOP), modOpts func(*Options)) *env {
	t.Helper()
	c := &clock{t: time.Now().Truncate(time.Second)}
	e := &env{t: t, clock: c, op: newFakeOP(t, c.Now), audit: &outcomes{}}
	if modOP != nil {
		modOP(e.op)
	}
	e.site = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, PathPrefix) {
			e.svc.ServeHTTP(w, WithRecorder(r, e.audit.record))
			return
		}
		p, err := e.svc.Authenticate(r)
		if err != nil {
			if errors.Is(err, authn.ErrNoCredentials) && r.Method == http.MethodGet {
				http.Redirect(w, r, e.svc.LoginURL(r), http.StatusFound)
				return
			}
			http.Error(w, "refused: "+err.Error(), statusOf(err))
			return
		}
		io.WriteString(w, "hello "+p.Username+" "+strings.Join(p.Roles, ","))
	}))
	t.Cleanup(e.site.Close)
	e.backend = session.NewMemory(c.Now)
	keys, _ := session.NewKeyring([][]byte{bytes.Repeat([]byte{1}, 32)}, "session")
	stateKeys, _ := session.NewKeyring([][]byte{bytes.Repeat([]byte{1}, 32)}, "login-state")
	var err error
	e.sessions, err = session.NewManager(session.Options{Backend: e.backend, Keys: keys, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	claims, _ := authn.NewClaimMapping(authn.ClaimOptions{RealmName: "oidc1", RealmType: "oidc", ClaimPrincipal: "email", ClaimMail: "email"})
	o := Options{
		Issuer: e.op.issuer(), ClientID: "portcullis", ClientSecret: "s3cret", RedirectURL: e.site.URL + CallbackPath,
		Claims: claims, RoleMapper: groupsMapper{}, Sessions: e.sessions, StateKeys: stateKeys, Now: c.Now,
	}
	if modOpts != nil {
		modOpts(&o)
	}
	e.opts = o
	e.svc, err = New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	e.client = newBrowser(t)
	return e
}

func statusOf(err error) int {
	var ce *authn.CSRFError
	switch {
	case errors.As(err, &ce):
		return http.StatusBadRequest
	case errors.Is(err, authn.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusUnauthorized
}

// newBrowser is an HTTP client with a cookie jar that follows redirects.
func newBrowser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

type response struct {
	status int
	body   string
	header http.Header
	url    *url.URL
}

func (e *env) do(c *http.Client, method, path string, header map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.site.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b), header: resp.Header, url: resp.Request.URL}
}

// login runs the whole flow from a protected page and returns the session
// cookie's value.
func (e *env) login(c *http.Client, page string) string {
	e.t.Helper()
	r := e.do(c, "GET", page, nil)
	if r.status != 200 || !strings.HasPrefix(r.body, "hello alice") {
		e.t.Fatalf("login through %s: %d %q at %s", page, r.status, r.body, r.url)
	}
	return e.cookie(c, e.svc.CookieName())
}

func (e *env) cookie(c *http.Client, name string) string {
	u, _ := url.Parse(e.site.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// withCookie is a client without a jar that sends the given session token.
func (e *env) withCookie(token string) (*http.Client, map[string]string) {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		map[string]string{"Cookie": e.svc.CookieName() + "=" + token}
}

// noRedirect is a jar client that stops at the first redirect.
func noRedirect(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

func httptestRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
