package authn

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func knownAccount(a string) bool { return a == "elastic/fleet-server" || a == "elastic/kibana" }

func TestServiceTokenEncoding(t *testing.T) {
	bearer := EncodeServiceToken("elastic/fleet-server", "token1", "s3cr:et")
	if !strings.HasPrefix(bearer, "AAEAAW") || strings.HasSuffix(bearer, "=") {
		t.Fatalf("bearer %q: want Elasticsearch's AAEAAW… form without padding", bearer)
	}
	account, name, secret, ok := DecodeServiceToken(bearer)
	if !ok || account != "elastic/fleet-server" || name != "token1" || secret != "s3cr:et" {
		t.Fatalf("decode: %q %q %q %v", account, name, secret, ok)
	}
	enc := func(b string) string { return base64.StdEncoding.EncodeToString([]byte(b)) }
	for name, bearer := range map[string]string{
		"a JWT":           "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
		"wrong prefix":    enc("\x00\x01\x00\x02elastic/fleet-server/t:s"),
		"two name parts":  enc("\x00\x01\x00\x01elastic/fleet-server:s"),
		"no secret":       enc("\x00\x01\x00\x01elastic/fleet-server/t:"),
		"no colon":        enc("\x00\x01\x00\x01elastic/fleet-server/t"),
		"empty name part": enc("\x00\x01\x00\x01elastic//t:s"),
		"not base64":      "%%%",
		"huge":            strings.Repeat("A", 5000),
	} {
		if _, _, _, ok := DecodeServiceToken(bearer); ok {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, _, _, ok := DecodeServiceToken(enc("\x00\x01\x00\x01elastic/kibana/t:s")); !ok {
		t.Error("a padded token (standard base64) is refused; Elasticsearch's decoder accepts it")
	}
}

func TestParseServiceTokens(t *testing.T) {
	hash, err := HashPassword("secret-1", 4)
	if err != nil {
		t.Fatal(err)
	}
	data := "# comment\n" +
		"elastic/fleet-server/t1:" + hash + "\n" +
		"elastic/unknown/t1:" + hash + "\n" +
		"elastic/fleet-server:" + hash + "\n" +
		"elastic/kibana/t2:$2a$10$tooshort\n" +
		"no-colon\n"
	tokens, ps := ParseServiceTokens("service_tokens", []byte(data), knownAccount)
	if len(tokens) != 1 || tokens["elastic/fleet-server/t1"] == nil {
		t.Fatalf("tokens %v", tokens)
	}
	var lines []int
	for _, p := range ps {
		lines = append(lines, p.Line)
		if strings.Contains(p.String(), hash) {
			t.Fatal("a problem quotes a hash")
		}
	}
	// 2: a weak bcrypt cost (warning); 3: unknown account; 4: two-part
	// name; 5: malformed hash; 6: no colon.
	if !slices.Equal(lines, []int{2, 3, 4, 5, 6}) {
		t.Fatalf("problems on lines %v: %v", lines, ps)
	}
}

func TestServiceTokensAuthenticate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "service_tokens")
	hash, _ := HashPassword("secret-1", 4)
	if err := os.WriteFile(path, []byte("elastic/fleet-server/t1:"+hash+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewServiceTokens(path, knownAccount, func(a string) []string { return []string{a} }, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	auth := func(header string) (*Principal, error) {
		r := httptest.NewRequest("GET", "/", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		return s.Authenticate(r)
	}
	good := "Bearer " + EncodeServiceToken("elastic/fleet-server", "t1", "secret-1")
	for range 2 { // the second is served by the cache
		p, err := auth(good)
		if err != nil {
			t.Fatal(err)
		}
		if p.Username != "elastic/fleet-server" || p.Realm != ServiceAccountRealm || !slices.Equal(p.Roles, []string{"elastic/fleet-server"}) ||
			p.ServiceToken == nil || p.ServiceToken.Name != "t1" || p.ServiceToken.Source != ServiceTokenFileSource {
			t.Fatalf("principal %+v", p)
		}
	}
	for name, h := range map[string]string{
		"wrong secret":  "Bearer " + EncodeServiceToken("elastic/fleet-server", "t1", "secret-2"),
		"unknown token": "Bearer " + EncodeServiceToken("elastic/fleet-server", "t9", "secret-1"),
		"other account": "Bearer " + EncodeServiceToken("elastic/kibana", "t1", "secret-1"),
	} {
		var ae *AuthError
		if _, err := auth(h); !errors.As(err, &ae) || strings.Contains(err.Error(), "secret-") {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, h := range []string{"", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "Basic " + base64.StdEncoding.EncodeToString([]byte("u:p")), "ApiKey x"} {
		if _, err := auth(h); !errors.Is(err, ErrNoCredentials) {
			t.Errorf("%q: %v, want ErrNoCredentials (the next authenticator decides)", h, err)
		}
	}
	// A token removed from the file stops authenticating at the next reload,
	// cache or not.
	if err := os.WriteFile(path, []byte("# emptied\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.Reload(); !changed || err != nil {
		t.Fatalf("reload: %v %v", changed, err)
	}
	if _, err := auth(good); err == nil {
		t.Fatal("a removed token still authenticates")
	}
}
