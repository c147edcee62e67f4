package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditQuerySourceSecrets: a body sent in the `source` query parameter
// (a new user's password) never reaches the audit log, including the events
// of requests refused before their body was read (failed authentication,
// no credentials, an unknown endpoint), whose url.query is the client's.
func TestAuditQuerySourceSecrets(t *testing.T) {
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	p := startProxyWith(t, o, func(string) string { return "  native_users: native_users.json\n" })
	c := p.client(nil)
	const canary = "CANARY-QUERY-PASSWORD-6b1f"
	q := "source=" + url.QueryEscape(`{"password":"`+canary+`","roles":["superuser"]}`) + "&source_content_type=application/json"
	cases := []struct {
		name, method, path, user, pass string
		want                           int
	}{
		{"granted", "PUT", "/_security/user/bob", u.Name, u.Password, 200},
		{"wrong password", "PUT", "/_security/user/bob2", u.Name, "wrong", 401},
		{"no credentials", "PUT", "/_security/user/bob3", "", "", 401},
		{"unknown endpoint", "PUT", "/_security/user/bob4/_nonexistent", u.Name, u.Password, 400},
	}
	for _, tc := range cases {
		r := do(t, c, tc.method, p.URL+tc.path+"?"+q, tc.user, tc.pass, nil, nil)
		if r.Status != tc.want && !(tc.want == 400 && r.Status == 403) {
			t.Fatalf("%s: status %d, want %d: %s", tc.name, r.Status, tc.want, r.Body)
		}
	}
	audit, err := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(audit), canary) || strings.Contains(string(audit), url.QueryEscape(canary)) {
		t.Fatalf("the password sent in the source parameter is in the audit log:\n%s", audit)
	}
	if n := strings.Count(string(audit), `"url.query":"source=`); n < len(cases)-1 {
		t.Fatalf("%d events keep the (redacted) source parameter, want at least %d:\n%s", n, len(cases)-1, audit)
	}
	if strings.Contains(p.logs.String(), canary) {
		t.Fatal("the password sent in the source parameter is in the proxy's log")
	}
}

// TestAuditRefusedCredentials: credentials that are presented and refused
// are authentication_failed, as in Elasticsearch, even when no user name
// can be read from them (a malformed Basic header; an API key with a wrong
// secret, named by its id); only a request without credentials is
// anonymous_access_denied. No secret reaches the audit log.
func TestAuditRefusedCredentials(t *testing.T) {
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	p := startProxyWith(t, o, func(string) string { return "  api_keys:\n    file: api_keys.json\n" })
	c := p.client(nil)
	r := do(t, c, "POST", p.URL+"/_security/api_key", u.Name, u.Password, strings.NewReader(`{"name":"k1"}`),
		map[string]string{"Content-Type": "application/json"})
	var key struct {
		ID     string `json:"id"`
		APIKey string `json:"api_key"`
	}
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &key) != nil || key.ID == "" {
		t.Fatalf("creating an API key: %d %s", r.Status, r.Body)
	}
	wrong := base64.StdEncoding.EncodeToString([]byte(key.ID + ":WrongSecret-c4n4ry-77"))
	cases := []struct {
		name, auth, action, user string
	}{
		{"malformed basic", "Basic !!!not-base64", "authentication_failed", ""},
		{"basic without colon", "Basic " + base64.StdEncoding.EncodeToString([]byte("nocolon")), "authentication_failed", ""},
		{"wrong api key secret", "ApiKey " + wrong, "authentication_failed", key.ID},
		{"no credentials", "", "anonymous_access_denied", ""},
	}
	ids := map[string]int{}
	for i, tc := range cases {
		hdr := map[string]string{}
		if tc.auth != "" {
			hdr["Authorization"] = tc.auth
		}
		r := do(t, c, "GET", p.URL+"/idx/_search", "", "", nil, hdr)
		if r.Status != 401 {
			t.Fatalf("%s: status %d: %s", tc.name, r.Status, r.Body)
		}
		ids[r.Header.Get("X-Request-Id")] = i
	}
	data, err := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{key.APIKey, "WrongSecret-c4n4ry-77", wrong} {
		if strings.Contains(string(data), s) {
			t.Fatalf("a secret (%s) is in the audit log", s)
		}
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		i, ok := ids[fmt.Sprint(ev["request.id"])]
		if !ok {
			continue
		}
		seen++
		tc := cases[i]
		user, _ := ev["user.name"].(string)
		if ev["event.action"] != tc.action || user != tc.user {
			t.Errorf("%s: event %v %q, want %s %q", tc.name, ev["event.action"], user, tc.action, tc.user)
		}
		if tc.user != "" && ev["apikey.id"] != tc.user {
			t.Errorf("%s: apikey.id %v, want %s", tc.name, ev["apikey.id"], tc.user)
		}
	}
	if seen != len(cases) {
		t.Fatalf("%d events for %d refused requests", seen, len(cases))
	}
}

// TestAuditKeyManagementByKey: an API key may not manage API keys (403);
// the refusal is recorded as access_denied, and the request is not
// recorded as granted.
func TestAuditKeyManagementByKey(t *testing.T) {
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	p := startProxyWith(t, o, func(string) string { return "  api_keys:\n    file: api_keys.json\n" })
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	r := do(t, c, "POST", p.URL+"/_security/api_key", u.Name, u.Password, strings.NewReader(`{"name":"k1"}`), hj)
	var key struct {
		Encoded string `json:"encoded"`
	}
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &key) != nil || key.Encoded == "" {
		t.Fatalf("creating an API key: %d %s", r.Status, r.Body)
	}
	hj["Authorization"] = "ApiKey " + key.Encoded
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/_security/api_key", `{"name":"k2"}`},
		{"DELETE", "/_security/api_key", `{"name":"k1"}`},
		{"GET", "/_security/api_key", ""},
	} {
		var body *strings.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		var r result
		if body != nil {
			r = do(t, c, tc.method, p.URL+tc.path, "", "", body, hj)
		} else {
			r = do(t, c, tc.method, p.URL+tc.path, "", "", nil, hj)
		}
		if r.Status != 403 {
			t.Fatalf("%s %s by an API key: %d %s", tc.method, tc.path, r.Status, r.Body)
		}
		data, err := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatal(err)
			}
			if ev["request.id"] == r.Header.Get("X-Request-Id") {
				actions = append(actions, fmt.Sprint(ev["event.action"]))
			}
		}
		if strings.Join(actions, ",") != "access_denied" {
			t.Fatalf("%s %s by an API key refused with 403 but audited as %v", tc.method, tc.path, actions)
		}
	}
}
