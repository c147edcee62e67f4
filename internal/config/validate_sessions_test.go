package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBrowserLoginValidation(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"users", "users_roles", "roles.yml", "role_mapping.yml", "keys"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := "listen: 127.0.0.1:9443\ninsecure_http: true\nupstream:\n  nodes: [\"http://127.0.0.1:9201\"]\naudit:\n  file: audit.log\n" +
		"security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\n" +
		"  oidc:\n    enabled: true\n    issuers: [\"http://127.0.0.1:5556/dex\"]\n    audiences: [portcullis]\n    role_mapping: role_mapping.yml\n"
	login := "    login:\n      enabled: true\n      client_id: portcullis-web\n      redirect_uri: http://127.0.0.1:18401/_portcullis/oidc/callback\n"
	tests := []struct {
		name, extra, want string
	}{
		{"login ok, memory store", login, ""},
		{"login with redis", login + "  sessions:\n    store: redis\n    redis: {address: \"127.0.0.1:6391\"}\n    encryption_keys_file: keys\n", ""},
		{"redis without keys", login + "  sessions:\n    store: redis\n    redis: {address: \"127.0.0.1:6391\"}\n", "encryption_keys_file is required"},
		{"redis without address", login + "  sessions:\n    store: redis\n    encryption_keys_file: keys\n", "redis.address is required"},
		{"unknown store", login + "  sessions:\n    store: disk\n", "memory or redis"},
		{"missing key file", login + "  sessions:\n    encryption_keys_file: nope\n", "encryption_keys_file: open"},
		{"redirect path", strings.Replace(login, "/_portcullis/oidc/callback", "/callback", 1), "must be <proxy site>/_portcullis/oidc/callback"},
		{"redirect not absolute", strings.Replace(login, "http://127.0.0.1:18401", "", 1), "an absolute URL"},
		{"plain http off loopback", strings.Replace(login, "127.0.0.1:18401", "proxy.example.com", 1), "warning: security.oidc.login.redirect_uri is plain http"},
		{"no client id", strings.Replace(login, "      client_id: portcullis-web\n", "", 1), "client_id is required"},
		{"scopes without openid", login + "      scopes: [email]\n", "must include openid"},
		{"end session by post", login + "      end_session_method: post\n", ""},
		{"end session by get", login + "      end_session_method: get\n", ""},
		{"end session method typo", login + "      end_session_method: redirect\n", "end_session_method must be post or get"},
		{"same_site none on http", login + "  sessions:\n    same_site: none\n", "needs an https redirect_uri"},
		{"same_site typo", login + "  sessions:\n    same_site: relaxed\n", "lax, strict or none"},
		{"negative lifespan", login + "  sessions:\n    lifespan: -1h\n", "lifespan must be positive"},
		{"prefixed cookie name", login + "  sessions:\n    cookie_name: __Host-x\n", "not a plain cookie name"},
		{"bad origin", login + "  sessions:\n    allowed_origins: [\"https://kibana.example.com/app\"]\n", "is not an origin"},
		{"unknown key in sessions", login + "  sessions:\n    idle: 1h\n", "unknown key \"security.sessions.idle\""},
		{"authenticators ok", login + "  authentication:\n    authenticators: [session, bearer, basic]\n    routes:\n      - {path_prefix: /api/, authenticators: [bearer, basic]}\n", ""},
		{"unknown authenticator", "  authentication:\n    authenticators: [session, saml]\n", "unknown authenticator \"saml\""},
		{"api_key left out next to pki", "  api_keys: {file: keys.json}\n  pki: {enabled: true}\n  authentication:\n    authenticators: [pki, basic]\n", "must name api_key before it"},
		{"api_key after pki", "  api_keys: {file: keys.json}\n  pki: {enabled: true}\n  authentication:\n    authenticators: [pki, api_key]\n", "api_key must come before pki"},
		{"service_token after bearer", "  service_tokens: st\n  authentication:\n    authenticators: [bearer, service_token]\n", "service_token must come before bearer"},
		{"session without login", "  authentication:\n    authenticators: [session, basic]\n", "session needs security.oidc.login.enabled"},
		{"duplicate authenticator", "  authentication:\n    authenticators: [basic, basic]\n", "listed twice"},
		{"route without slash", "  authentication:\n    routes:\n      - {path_prefix: api, authenticators: [basic]}\n", "path_prefix must start with /"},
		{"route without authenticators", "  authentication:\n    routes:\n      - {path_prefix: /api/}\n", "at least one is required"},
		// A route host that can never equal a request's host would
		// silently leave its requests to the default list.
		{"route host with a wildcard", "  authentication:\n    routes:\n      - {host: \"*.kibana.example.com\", path_prefix: /, authenticators: [basic]}\n", "routes[0].host: \"*.kibana.example.com\" is not a host name"},
		{"route host with a port", "  authentication:\n    routes:\n      - {host: \"kibana.example.com:443\", path_prefix: /, authenticators: [basic]}\n", "is not a host name"},
		{"route host with a scheme", "  authentication:\n    routes:\n      - {host: \"https://kibana.example.com\", path_prefix: /, authenticators: [basic]}\n", "is not a host name"},
		{"route host ok", "  authentication:\n    routes:\n      - {host: Kibana.Example.com, path_prefix: /, authenticators: [basic]}\n", ""},
		{"introspection ok", "    introspection: {enabled: true, endpoint: \"http://127.0.0.1:5556/dex/token/introspect\", client_id: portcullis}\n", ""},
		{"introspection without endpoint", "    introspection: {enabled: true, client_id: portcullis}\n", "introspection.endpoint must be"},
		{"introspection without client", "    introspection: {enabled: true, endpoint: \"http://127.0.0.1:5556/x\"}\n", "introspection.client_id is required"},
		{"unknown key in a route", "  authentication:\n    routes:\n      - {path: /api/, authenticators: [basic]}\n", "unknown key \"security.authentication.routes.0.path\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(p, []byte(base+tc.extra), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, probs := Load(p, env(nil))
			var all []string
			for _, pr := range probs {
				all = append(all, pr.String())
			}
			got := strings.Join(all, "\n")
			if tc.want == "" {
				if len(probs) > 0 {
					t.Fatalf("unexpected problems:\n%s", got)
				}
				if tc.name == "login ok, memory store" && (cfg.Security.OIDC.Login.Issuer != "http://127.0.0.1:5556/dex" ||
					cfg.Security.Sessions.IdleTimeout != 72*time.Hour || cfg.Security.Sessions.Lifespan != 720*time.Hour ||
					cfg.Security.Sessions.XSRFHeader != "kbn-xsrf" || cfg.Security.Sessions.Store != "memory") {
					t.Fatalf("defaults: %+v %+v", cfg.Security.OIDC.Login, cfg.Security.Sessions)
				}
				return
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("problems:\n%s\ndo not contain %q", got, tc.want)
			}
		})
	}
}
