package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// esError is the shape of Elasticsearch's error bodies.
type esError struct {
	Error struct {
		RootCause []struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"root_cause"`
		Type   string              `json:"type"`
		Reason string              `json:"reason"`
		Header map[string][]string `json:"header"`
	} `json:"error"`
	Status int `json:"status"`
}

func parseESError(t *testing.T, body string) esError {
	t.Helper()
	var e esError
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("body is not an Elasticsearch error: %v\n%s", err, body)
	}
	return e
}

func usersFile(us []hashedUser) (users, roles string) {
	var names []string
	for _, u := range us {
		users += u.Line + "\n"
		names = append(names, u.Name)
	}
	return users, "superuser:" + strings.Join(names, ",") + "\n"
}

// TestFileRealmHashFormats logs in through the proxy to the real cluster with
// every hash format Elasticsearch's file realm accepts (checklist §19 H).
func TestFileRealmHashFormats(t *testing.T) {
	os := openSearchURL(t)
	us := allHashFormats(t)
	users, roles := usersFile(us)
	p := startProxy(t, proxyOpts{Upstreams: []string{os}, TLS: true, Users: users, UsersRoles: roles})
	p.waitReady()
	c := p.client(nil)
	for _, u := range us {
		t.Run(u.Name, func(t *testing.T) {
			r := do(t, c, "GET", p.URL+"/_cluster/health", u.Name, u.Password, nil, nil)
			if r.Status != 200 || !strings.Contains(r.Body, `"cluster_name"`) {
				t.Fatalf("right password: got %d %s", r.Status, r.Body)
			}
			r = do(t, c, "GET", p.URL+"/_cluster/health", u.Name, u.Password+"x", nil, nil)
			if r.Status != 401 {
				t.Fatalf("wrong password: got %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestErrorBodies checks the 401 and 403 responses byte for byte against
// Elasticsearch's (reference §16).
func TestErrorBodies(t *testing.T) {
	os := openSearchURL(t)
	us := allHashFormats(t)[:1]
	users := us[0].Line + "\nreader:" + us[0].Line[strings.Index(us[0].Line, ":")+1:] + "\n"
	p := startProxy(t, proxyOpts{
		Upstreams: []string{os}, TLS: true, Users: users,
		UsersRoles: "superuser:u_bcrypt_2a\nlogs_reader:reader\nmissing_role:reader\n",
		Roles:      "logs_reader:\n  indices:\n    - names: [\"logs-*\"]\n      privileges: [read]\n",
	})
	c := p.client(nil)

	r := do(t, c, "GET", p.URL+"/secret/_search?q=x", "", "", nil, nil)
	want := `{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials for REST request [/secret/_search?q=x]","header":{"WWW-Authenticate":["Basic realm=\"security\", charset=\"UTF-8\""]}}],"type":"security_exception","reason":"missing authentication credentials for REST request [/secret/_search?q=x]","header":{"WWW-Authenticate":["Basic realm=\"security\", charset=\"UTF-8\""]}},"status":401}`
	if r.Status != 401 || r.Body != want {
		t.Fatalf("missing credentials:\n got %d %s\nwant 401 %s", r.Status, r.Body, want)
	}
	if got := r.Header.Get("WWW-Authenticate"); got != `Basic realm="security", charset="UTF-8"` {
		t.Fatalf("WWW-Authenticate = %q", got)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Fatal("no X-Request-Id on the response")
	}

	r = do(t, c, "GET", p.URL+"/secret/_search", "u_bcrypt_2a", "nope", nil, nil)
	e := parseESError(t, r.Body)
	if r.Status != 401 || e.Error.Reason != "unable to authenticate user [u_bcrypt_2a] for REST request [/secret/_search]" {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	r = do(t, c, "GET", p.URL+"/secret/_search", "nobody", "nope", nil, nil)
	if e := parseESError(t, r.Body); r.Status != 401 || e.Error.Reason != "unable to authenticate user [nobody] for REST request [/secret/_search]" {
		t.Fatalf("unknown user must look like a wrong password: %d %s", r.Status, r.Body)
	}

	r = do(t, c, "GET", p.URL+"/secret/_search", "reader", us[0].Password, nil, nil)
	e = parseESError(t, r.Body)
	wantReason := "action [indices:data/read/search] is unauthorized for user [reader] with effective roles [logs_reader] (assigned roles [missing_role] were not found) on indices [secret], this action is granted by the index privileges [read,all]"
	if r.Status != 403 || e.Error.Type != "security_exception" || e.Error.Reason != wantReason || e.Status != 403 {
		t.Fatalf("403:\n got %d %s\nwant reason %s", r.Status, r.Body, wantReason)
	}
	r = do(t, c, "PUT", p.URL+"/_cluster/settings", "reader", us[0].Password, strings.NewReader(`{}`), map[string]string{"Content-Type": "application/json"})
	e = parseESError(t, r.Body)
	if r.Status != 403 || !strings.HasPrefix(e.Error.Reason, "action [cluster:admin/settings/update] is unauthorized for user [reader]") ||
		!strings.Contains(e.Error.Reason, "this action is granted by the cluster privileges [") {
		t.Fatalf("cluster 403: %d %s", r.Status, r.Body)
	}
}

// TestMalformedAuthorization sends broken Authorization headers: each must
// be a 401 with an Elastic body, never a 5xx or a crash.
func TestMalformedAuthorization(t *testing.T) {
	up := newEchoUpstream(t)
	us := allHashFormats(t)[:1]
	users, roles := usersFile(us)
	p := startProxy(t, proxyOpts{Upstreams: []string{up.URL}, Users: users, UsersRoles: roles})
	c := p.client(nil)
	for name, h := range map[string]string{
		"bad base64": "Basic !!!notbase64", "no colon": "Basic dXNlcg==", "empty": "Basic ",
		"huge": "Basic " + strings.Repeat("A", 16000), "scheme only": "Basic",
		"non-utf8": "Basic /w==", "unknown scheme": "Digest abc",
	} {
		r := do(t, c, "GET", p.URL+"/", "", "", nil, map[string]string{"Authorization": h})
		if r.Status != 401 {
			t.Errorf("%s: got %d %s", name, r.Status, r.Body)
			continue
		}
		parseESError(t, r.Body)
	}
	if up.Count() != 0 {
		t.Fatalf("an unauthenticated request reached the upstream (%d)", up.Count())
	}
	if p.cmd.ProcessState != nil {
		t.Fatal("proxy died")
	}
}

// TestUsersReload changes the users and roles files under a running proxy:
// the change applies within the reload interval, and on SIGHUP, despite the
// credential cache.
func TestUsersReload(t *testing.T) {
	up := newEchoUpstream(t)
	us := allHashFormats(t)
	plain := us[len(us)-1] // u_plain
	p := startProxy(t, proxyOpts{Upstreams: []string{up.URL}, Users: plain.Line + "\n", UsersRoles: "superuser:u_plain\n"})
	c := p.client(nil)
	get := func(u hashedUser) int { return do(t, c, "GET", p.URL+"/", u.Name, u.Password, nil, nil).Status }
	if s := get(plain); s != 200 {
		t.Fatalf("initial login: %d", s)
	}
	bc := us[0]
	// A new user appears by polling.
	writeFile(t, p.Dir+"/users", plain.Line+"\n"+bc.Line+"\n")
	writeFile(t, p.Dir+"/users_roles", "superuser:u_plain,u_bcrypt_2a\n")
	if !eventually(5*time.Second, func() bool { return get(bc) == 200 }) {
		t.Fatal("new user not accepted within 5s")
	}
	// A role removed takes effect although the credentials are cached.
	writeFile(t, p.Dir+"/users_roles", "superuser:u_bcrypt_2a\n")
	if !eventually(5*time.Second, func() bool { return get(plain) == 403 }) {
		t.Fatal("role removal not applied within 5s")
	}
	// A password change takes effect: the old password is refused.
	writeFile(t, p.Dir+"/users", plain.Line+"\n"+bc.Name+":"+plain.Password+"\n")
	p.signal(syscall.SIGHUP)
	if !eventually(2*time.Second, func() bool { return get(bc) == 401 }) {
		t.Fatal("changed password: old one still accepted")
	}
	if s := get(hashedUser{Name: bc.Name, Password: plain.Password}); s != 200 {
		t.Fatalf("changed password: new one refused (%d)", s)
	}
	// A removed user is refused despite the cache.
	writeFile(t, p.Dir+"/users", plain.Line+"\n")
	if !eventually(5*time.Second, func() bool { return get(hashedUser{Name: bc.Name, Password: plain.Password}) == 401 }) {
		t.Fatal("removed user still accepted")
	}
}

// TestLoginRateLimit: repeated failures from one address get 429 and the
// upstream sees nothing.
func TestLoginRateLimit(t *testing.T) {
	up := newEchoUpstream(t)
	us := allHashFormats(t)
	plain := us[len(us)-1]
	p := startProxy(t, proxyOpts{Upstreams: []string{up.URL}, Users: plain.Line + "\n", UsersRoles: "superuser:u_plain\n", MaxFailures: 5})
	c := p.client(nil)
	var last int
	for i := 0; i < 8; i++ {
		last = do(t, c, "GET", p.URL+"/", fmt.Sprintf("victim%d", i%2), "guess", nil, nil).Status
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("after 8 failures: %d, want 429", last)
	}
	if r := do(t, c, "GET", p.URL+"/", plain.Name, plain.Password, nil, nil); r.Status != 429 {
		t.Fatalf("a blocked address must stay blocked even with right credentials: %d", r.Status)
	}
	if up.Count() != 0 {
		t.Fatal("rate-limited requests reached the upstream")
	}
}
