package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// siteYAML is a site "a" with its own files, indented under sites:.
func siteYAML(name, host, users, audit string) string {
	return "  - name: " + name + "\n    hosts: [\"" + host + "\"]\n" +
		"    upstream:\n      nodes: [\"http://127.0.0.1:9301\"]\n" +
		"    security:\n      users: " + users + "\n      users_roles: users_roles\n      roles: roles.yml\n" +
		"    audit:\n      file: " + audit + "\n"
}

func TestSites(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"users", "users_a", "users_roles", "roles.yml"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := "listen: 127.0.0.1:9443\ninsecure_http: true\nupstream:\n  nodes: [\"http://127.0.0.1:9201\"]\n" +
		"security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\n  api_keys: {file: keys.json}\naudit:\n  file: audit.log\n"
	tests := []struct {
		name, sites, want string
	}{
		{"two sites", "sites:\n" + siteYAML("a", "a.example.com", "users_a", "audit-a.log") + siteYAML("b", "*.b.example.com", "users_a", "audit-b.log"), ""},
		{"refuse unknown hosts", "unknown_hosts: refuse\nsites:\n" + siteYAML("a", "a.example.com", "users_a", "audit-a.log"), ""},
		{"bad unknown_hosts", "unknown_hosts: drop\nsites:\n" + siteYAML("a", "a.example.com", "users_a", "audit-a.log"), "unknown_hosts: \"drop\""},
		{"a site's empty users path, at its line", "sites:\n" + siteYAML("a", "a.example.com", "\"\"", "audit-a.log"), ":18: site a: security.users: a file path is required"},
		{"a site's unknown key, at its line", "sites:\n" + strings.Replace(siteYAML("a", "a.example.com", "users_a", "audit-a.log"), "      roles: roles.yml\n", "      roles: roles.yml\n      rolez: x\n", 1), ":21: unknown key \"sites.0.security.rolez\""},
		{"shared audit file", "sites:\n" + siteYAML("a", "a.example.com", "users_a", "audit.log"), "also the audit file of the default site"},
		{"two sites one audit file", "sites:\n" + siteYAML("a", "a.example.com", "users_a", "x.log") + siteYAML("b", "b.example.com", "users_a", "x.log"), "also the audit file of site a"},
		{"host listed twice", "sites:\n" + siteYAML("a", "a.example.com", "users_a", "audit-a.log") + siteYAML("b", "A.example.com", "users_a", "audit-b.log"), "also listed by site a"},
		{"host with port", "sites:\n" + siteYAML("a", "a.example.com:443", "users_a", "audit-a.log"), "is not a host name"},
		// Browsers send an internationalized name in its xn-- form: the
		// Unicode spelling would never match, and the tenant's requests
		// would go to the default site.
		{"unicode host", "sites:\n" + siteYAML("a", "bücher.example.com", "users_a", "audit-a.log"), "xn--"},
		{"punycode host", "sites:\n" + siteYAML("a", "xn--bcher-kva.example.com", "users_a", "audit-a.log"), ""},
		{"no hosts", "sites:\n" + strings.Replace(siteYAML("a", "x", "users_a", "audit-a.log"), "    hosts: [\"x\"]\n", "", 1), "at least one host name"},
		{"no name", "sites:\n" + strings.Replace(siteYAML("a", "a.example.com", "users_a", "audit-a.log"), "name: a", "name: \"\"", 1), "a name is required"},
		{"a site's ip_filter", "sites:\n" + strings.Replace(siteYAML("a", "a.example.com", "users_a", "audit-a.log"), "      roles: roles.yml\n", "      roles: roles.yml\n      ip_filter: {deny: [\"10.0.0.0/8\"]}\n", 1), "set it at the top level"},
		{"a site sharing the default's API key file", "sites:\n" + strings.Replace(siteYAML("a", "a.example.com", "users_a", "audit-a.log"), "      roles: roles.yml\n", "      roles: roles.yml\n      api_keys: {file: keys.json}\n", 1),
			"is also the security.api_keys.file of the default site"},
		{"two sites sharing an API roles file", "sites:\n" +
			strings.Replace(siteYAML("a", "a.example.com", "users_a", "audit-a.log"), "      roles: roles.yml\n", "      roles: roles.yml\n      native_roles: api_roles.json\n", 1) +
			strings.Replace(siteYAML("b", "b.example.com", "users_a", "audit-b.log"), "      roles: roles.yml\n", "      roles: roles.yml\n      native_roles: api_roles.json\n", 1),
			"is also the security.native_roles of site a"},
		{"a site's PKI realm without its own CAs", "sites:\n" + strings.Replace(siteYAML("a", "a.example.com", "users_a", "audit-a.log"), "      roles: roles.yml\n", "      roles: roles.yml\n      pki: {enabled: true, role_mapping: roles.yml}\n", 1),
			"certificate_authorities is required when several sites share the listener"},
		{"a site's bad node", "sites:\n" + strings.Replace(siteYAML("a", "a.example.com", "users_a", "audit-a.log"), "http://127.0.0.1:9301", "ftp://x", 1), "site a: upstream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(path, []byte(base+tc.sites), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, probs := Load(path, func(string) (string, bool) { return "", false })
			var all []string
			for _, p := range probs {
				all = append(all, p.String())
			}
			joined := strings.Join(all, "\n")
			if tc.want == "" {
				if probs.HasErrors() {
					t.Fatalf("problems:\n%s", joined)
				}
				s := cfg.Sites[0]
				if s.Security.Users != filepath.Join(dir, "users_a") || s.Audit.File != filepath.Join(dir, "audit-a.log") {
					t.Fatalf("site paths not resolved against the config's folder: %+v", s.Security)
				}
				if s.Upstream.Timeouts.ResponseHeader == 0 || s.Security.ReloadInterval == 0 {
					t.Fatal("site defaults not applied")
				}
				if sc := cfg.SiteConfig(0); sc.Security.Users != s.Security.Users || sc.Listen != cfg.Listen || sc.Audit.File != s.Audit.File {
					t.Fatalf("SiteConfig: %+v", sc)
				}
				return
			}
			if !strings.Contains(joined, tc.want) {
				t.Fatalf("problems:\n%s\ndo not contain %q", joined, tc.want)
			}
		})
	}
}

// TestSitesShareNoSessions: two sites whose browser sessions live under the
// same Redis address, db and key prefix, or are sealed with the same keys
// file, are refused (a session cookie of one would log in at the other).
func TestSitesShareNoSessions(t *testing.T) {
	login := func(prefix, keys string) Security {
		var s Security
		s.OIDC.Login.Enabled = true
		s.Sessions.Store = "redis"
		s.Sessions.Redis.Address, s.Sessions.Redis.KeyPrefix = "127.0.0.1:6379", prefix
		s.Sessions.EncryptionKeysFile = keys
		return s
	}
	for _, tc := range []struct {
		name string
		a, b Security
		want string
	}{
		{"same prefix", login("p:", "a.keys"), login("p:", "b.keys"), "share Redis address, db and key_prefix"},
		{"same keys file", login("a:", "k.keys"), login("b:", "k.keys"), "security.sessions.encryption_keys_file"},
	} {
		c := &Config{File: "c.yaml", lines: map[string]int{}, Sites: []Site{
			{Name: "a", Hosts: []string{"a.example.com"}, Security: tc.a, Audit: Audit{File: "a.log"}},
			{Name: "b", Hosts: []string{"b.example.com"}, Security: tc.b, Audit: Audit{File: "b.log"}},
		}}
		var msgs []string
		for _, p := range c.validateSites() {
			msgs = append(msgs, p.String())
		}
		if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
			t.Errorf("%s: problems do not say %q:\n%s", tc.name, tc.want, strings.Join(msgs, "\n"))
		}
	}
	if a, b := sessionStore(login("a:", "x")), sessionStore(login("b:", "x")); a == b || a == "" {
		t.Fatalf("distinct prefixes: %q %q", a, b)
	}
}

// TestSitesShareNoFileThroughALink: one file behind two names (a symbolic
// link), or serving two stores, is refused like a shared path.
func TestSitesShareNoFileThroughALink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "roles.json")
	if err := os.WriteFile(real, []byte(`{"roles":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "mappings.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	var def, site Security
	def.NativeRoles, site.NativeRoleMappings = real, link
	c := &Config{File: "c.yaml", lines: map[string]int{}, Security: def, Audit: Audit{File: filepath.Join(dir, "a.log")},
		Sites: []Site{{Name: "a", Hosts: []string{"a.example.com"}, Security: site, Audit: Audit{File: filepath.Join(dir, "b.log")}}}}
	var msgs []string
	for _, p := range c.validateSites() {
		msgs = append(msgs, p.String())
	}
	if !strings.Contains(strings.Join(msgs, "\n"), "is also the security.native_roles of the default site") {
		t.Fatalf("a linked file was not caught:\n%s", strings.Join(msgs, "\n"))
	}
}
