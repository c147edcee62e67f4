package browser

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var formAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)

// httpLogin logs in without a browser (Go client with a cookie jar driving
// Dex's form), for tests that need many sessions quickly; it returns the
// session token.
func httpLogin(t *testing.T, proxyURL, user string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	req, _ := http.NewRequest("GET", proxyURL+"/logs-web/_search", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formAction.FindStringSubmatch(string(page))
	if m == nil {
		t.Fatalf("no Dex login form at %s: %s", resp.Request.URL, page)
	}
	action, _ := resp.Request.URL.Parse(html.UnescapeString(m[1]))
	resp, err = c.PostForm(action.String(), url.Values{"login": {user}, "password": {dexPassword}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), marker) {
		t.Fatalf("login over HTTP ended at %s: %d %s", resp.Request.URL, resp.StatusCode, page)
	}
	u, _ := url.Parse(proxyURL)
	for _, ck := range jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "portcullis_session") {
			return ck.Value
		}
	}
	t.Fatal("no session cookie after login")
	return ""
}

// sessionInfo is GET /_portcullis/session with the token.
type sessionInfo struct {
	Username       string    `json:"username"`
	Refreshes      int       `json:"refreshes"`
	TokensExpireAt time.Time `json:"tokens_expire_at"`
	TokensIssuedAt time.Time `json:"tokens_issued_at"`
}

func getSession(t *testing.T, proxyURL, token string) (int, sessionInfo) {
	t.Helper()
	status, body, _ := get(t, noRedirects(), "GET", proxyURL+"/_portcullis/session", map[string]string{"Cookie": "portcullis_session=" + token})
	var si sessionInfo
	if status == 200 {
		if err := json.Unmarshal([]byte(body), &si); err != nil {
			t.Fatalf("session info %s: %v", body, err)
		}
	}
	return status, si
}

// passwordGrantToken is a real Dex ID token (resource-owner password grant)
// for bearer authentication.
func passwordGrantToken(t *testing.T, issuer, user string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	form := url.Values{"grant_type": {"password"}, "username": {user}, "password": {dexPassword}, "scope": {"openid email profile groups"}}
	req, _ := http.NewRequestWithContext(ctx, "POST", issuer+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, clientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.IDToken == "" {
		t.Fatalf("password grant: %v %s", err, tok.Error)
	}
	return tok.IDToken
}
