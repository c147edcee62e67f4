package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) LookupEnv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // substring of the rendered problems; "" = no problems
	}{
		{"valid minimal", "listen: 127.0.0.1:1\ninsecure_http: true\n", ""},
		{"unknown top key", "listen: x\nlisten_addr: y\n", "c.yaml:2: unknown key \"listen_addr\""},
		{"unknown nested key", "upstream:\n  nodes: [http://a]\n  timeout:\n    dial: 1s\n", "c.yaml:3: unknown key \"upstream.timeout\""},
		{"typo suggestion", "security:\n  usersroles: x\n", "did you mean \"users_roles\""},
		{"bad duration", "upstream:\n  timeouts:\n    dial: soon\n", "c.yaml:3: cannot unmarshal"},
		{"duplicate key", "listen: a\nlisten: b\n", "c.yaml:2:"},
		{"missing env", "upstream:\n  password: ${NOPE}\n", "c.yaml:2: environment variable NOPE is not set"},
		{"not a mapping", "- a\n- b\n", "c.yaml:1: the configuration must be a mapping"},
		{"section not mapping", "tls: yes\n", "c.yaml:1: \"tls\" must be a mapping"},
		{"syntax error", "listen: [\n", "c.yaml:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := Parse("c.yaml", []byte(tc.yaml), env(nil))
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			all := strings.Join(got, "\n")
			if tc.want == "" && len(probs) > 0 {
				t.Fatalf("unexpected problems:\n%s", all)
			}
			if tc.want != "" && !strings.Contains(all, tc.want) {
				t.Fatalf("problems %q do not contain %q", all, tc.want)
			}
		})
	}
}

func TestEnvExpansion(t *testing.T) {
	y := "listen: 127.0.0.1:${PORT}\nupstream:\n  password: \"${PW}\"\n  username: lit$$eral\n  max_request_body_bytes: ${MAX}\n"
	cfg, probs := Parse("c.yaml", []byte(y), env(map[string]string{"PORT": "9443", "PW": "a: b\n- c", "MAX": "1024"}))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	if cfg.Listen != "127.0.0.1:9443" || cfg.Upstream.Password != "a: b\n- c" || cfg.Upstream.Username != "lit$eral" || cfg.Upstream.MaxRequestBodyBytes != 1024 {
		t.Fatalf("got %+v", cfg.Upstream)
	}
}

func TestDefaults(t *testing.T) {
	cfg, probs := Parse("c.yaml", []byte("listen: a:1\n"), env(nil))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if cfg.TLS.MinVersion != "1.2" || cfg.TLS.ClientAuthentication != "none" || cfg.Security.AuthCache.TTL != 20*time.Minute ||
		cfg.Upstream.MaxRequestBodyBytes != 100<<20 || cfg.Security.ReloadInterval != 5*time.Second {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
	if p := cfg.Audit.PreallocateBytes; p != 0 {
		t.Fatalf("audit.preallocate_bytes default = %v, want 0 (off)", p)
	}
	if f := cfg.Server.GCHeapFloorBytes; f != 32<<20 {
		t.Fatalf("server.gc_heap_floor_bytes default = %v, want 32 MiB", f)
	}
}

func TestLoadValidates(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"users", "users_roles", "roles.yml", "cert.pem", "key.pem"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const sec = "security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\n"
	base := "listen: 127.0.0.1:9443\nupstream:\n  nodes: [\"http://127.0.0.1:9201\"]\n" + sec + "audit:\n  file: audit.log\n"
	tests := []struct {
		name, extra, want string
	}{
		{"tls required", "", "tls.cert_file and tls.key_file are required"},
		{"insecure ok", "insecure_http: true\n", ""},
		{"tls ok", "tls:\n  cert_file: cert.pem\n  key_file: key.pem\n", ""},
		{"tls bad version", "tls:\n  cert_file: cert.pem\n  key_file: key.pem\n  min_version: \"1.1\"\n", ":13: tls.min_version must be"},
		{"client auth needs CA", "tls:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_authentication: required\n", ":13: tls.client_authentication \"required\" needs tls.client_ca_file"},
		{"missing cert file", "tls:\n  cert_file: nope.pem\n  key_file: key.pem\n", ":11: tls.cert_file: open"},
		{"bad node", "insecure_http: true\nupstream:\n  nodes: [\"ftp://x\"]\n", "scheme must be http or https"},
		{"credential in URL", "insecure_http: true\nupstream:\n  nodes: [\"http://u:p@x\"]\n", "must not carry credentials"},
		{"audit dir missing", "insecure_http: true\naudit:\n  file: nodir/audit.log\n", "audit.file: folder"},
		{"preallocation too small", "insecure_http: true\naudit:\n  file: audit.log\n  preallocate_bytes: 4096\n", "audit.preallocate_bytes: 4096: must be 0"},
		{"preallocation negative", "insecure_http: true\naudit:\n  file: audit.log\n  preallocate_bytes: -1\n", "audit.preallocate_bytes: -1: must be 0"},
		{"preallocation disabled", "insecure_http: true\naudit:\n  file: audit.log\n  preallocate_bytes: 0\n", ""},
		{"preallocation 64 KiB", "insecure_http: true\naudit:\n  file: audit.log\n  preallocate_bytes: 65536\n", ""},
		{"heap floor too small", "insecure_http: true\nserver:\n  gc_heap_floor_bytes: 1048576\n", "server.gc_heap_floor_bytes: 1048576: must be -1 (off) or at least 4194304"},
		{"heap floor negative", "insecure_http: true\nserver:\n  gc_heap_floor_bytes: -2\n", "server.gc_heap_floor_bytes: -2: must be -1"},
		{"heap floor off", "insecure_http: true\nserver:\n  gc_heap_floor_bytes: -1\n", ""},
		{"heap floor 64 MiB", "insecure_http: true\nserver:\n  gc_heap_floor_bytes: 67108864\n", ""},
		{"empty include records nothing", "insecure_http: true\naudit:\n  file: audit.log\n  include: []\n", "audit.include: an empty list records no event"},
		{"include omitted", "insecure_http: true\naudit:\n  file: audit.log\n  exclude: []\n", ""},
		{"include listed", "insecure_http: true\naudit:\n  file: audit.log\n  include: [access_denied]\n", ""},
		{"in-flight bodies below one body", "insecure_http: true\nserver:\n  max_in_flight_body_bytes: 1048576\n", ":12: server.max_in_flight_body_bytes (1048576) must be at least upstream.max_request_body_bytes (104857600)"},
		{"in-flight bodies unbounded", "insecure_http: true\nserver:\n  max_in_flight_body_bytes: -1\n", ""},
		{"in-flight bodies of two largest", "insecure_http: true\nserver:\n  max_in_flight_body_bytes: 209715200\n", ""},
		{"native users", "insecure_http: true\n" + sec + "  native_users: native_users.json\n", ""},
		{"native users folder missing", "insecure_http: true\n" + sec + "  native_users: nodir/native_users.json\n", "security.native_users: folder"},
		{"login limit exemption", "insecure_http: true\n" + sec + "  login_rate_limit:\n    exempt_addresses: [10.0.0.7, \"fd00::/64\", 192.168.0.0/16]\n", ""},
		{"login limit exemption hostname", "insecure_http: true\n" + sec + "  login_rate_limit:\n    exempt_addresses: [kibana.internal]\n", `security.login_rate_limit.exempt_addresses: "kibana.internal" is not an IP address or CIDR block`},
		{"ip filter", "insecure_http: true\n" + sec + "  ip_filter:\n    allow: [10.0.0.0/8, \"fd00::1\"]\n    deny: [_all]\n", ""},
		{"ip filter hostname", "insecure_http: true\n" + sec + "  ip_filter:\n    deny: [example.com]\n", `:12: security.ip_filter.deny: "example.com" is not an IP address`},
		{"ip filter bad block", "insecure_http: true\n" + sec + "  ip_filter:\n    allow: [10.0.0.0/40]\n", `security.ip_filter.allow: "10.0.0.0/40" is not a CIDR block`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// later keys override: merge by writing extra after base is not valid YAML for duplicates,
			// so replace sections present in extra.
			y := base + tc.extra
			if strings.Contains(tc.extra, "upstream:") {
				y = strings.Replace(base, "upstream:\n  nodes: [\"http://127.0.0.1:9201\"]\n", "", 1) + tc.extra
			}
			if strings.Contains(tc.extra, "security:") {
				y = strings.Replace(base, sec, "", 1) + tc.extra
			}
			if strings.Contains(tc.extra, "audit:") {
				y = strings.Replace(base, "audit:\n  file: audit.log\n", "", 1) + tc.extra
			}
			p := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, probs := Load(p, env(nil))
			all := ""
			for _, pr := range probs {
				all += pr.String() + "\n"
			}
			if tc.want == "" {
				if probs.HasErrors() {
					t.Fatalf("unexpected errors:\n%s", all)
				}
				if cfg.Security.Users != filepath.Join(dir, "users") {
					t.Fatalf("relative path not resolved: %s", cfg.Security.Users)
				}
				return
			}
			if !strings.Contains(all, tc.want) {
				t.Fatalf("problems:\n%s\ndo not contain %q", all, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("listen: a\nupstream:\n  nodes: [x]\n"))
	f.Add([]byte("tls: {cert_file: ${X}}\n"))
	f.Add([]byte("- [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, probs := Parse("f.yaml", data, env(map[string]string{"X": "y"}))
		if cfg == nil && !probs.HasErrors() {
			t.Fatalf("nil config without an error for %q", data)
		}
		for _, p := range probs {
			if !strings.HasPrefix(p.String(), "f.yaml") {
				t.Fatalf("problem not located in file: %s", p)
			}
		}
	})
}

// TestExampleConfigParses keeps config.example.yaml in step with the schema:
// every documented key must exist.
func TestExampleConfigParses(t *testing.T) {
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, probs := Parse("config.example.yaml", data, env(nil))
	if len(probs) > 0 || cfg == nil {
		t.Fatalf("config.example.yaml: %v", probs)
	}
	if cfg.Audit.OnFailure != "deny" || !cfg.Audit.Rotate.Compress || cfg.Listen == "" {
		t.Fatalf("example values not read: %+v", cfg.Audit)
	}
}
