package upstream

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewRejectsInvalidConfig(t *testing.T) {
	node := &url.URL{Scheme: "http", Host: "127.0.0.1:9200"}
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
		secret  string // must not appear in the error
	}{
		{"no nodes", Config{}, "no upstream nodes", ""},
		{"nil node", Config{Nodes: []*url.URL{nil}}, "missing URL", ""},
		{"bad scheme", Config{Nodes: []*url.URL{{Scheme: "ftp", Host: "x"}}}, "scheme", ""},
		{"no host", Config{Nodes: []*url.URL{{Scheme: "http"}}}, "missing host", ""},
		{"credentials in URL", Config{Nodes: []*url.URL{{Scheme: "https", Host: "x", User: url.UserPassword("elastic", "s3cret")}}}, "credentials in the node URL", "s3cret"},
		{"query in URL", Config{Nodes: []*url.URL{{Scheme: "http", Host: "x", RawQuery: "a=b"}}}, "query", ""},
		{"duplicate", Config{Nodes: []*url.URL{node, node}}, "duplicate", ""},
		{"cert without key", Config{Nodes: []*url.URL{node}, ClientCertFile: "c.pem"}, "both certificate and key", ""},
		{"basic and api key", Config{Nodes: []*url.URL{node}, Username: "u", Password: "s3cret", APIKey: "k"}, "choose one", "s3cret"},
		{"api key and pass-through", Config{Nodes: []*url.URL{node}, APIKey: "k", PassAuthorization: true}, "choose one", ""},
		{"password without user", Config{Nodes: []*url.URL{node}, Password: "s3cret"}, "password set without username", "s3cret"},
		{"colon in user", Config{Nodes: []*url.URL{node}, Username: "a:b"}, "must not contain", ""},
		{"newline in api key", Config{Nodes: []*url.URL{node}, APIKey: "abc\r\nX-Evil: 1"}, "not allowed in a header", "X-Evil"},
		{"negative timeout", Config{Nodes: []*url.URL{node}, DialTimeout: -time.Second}, "dial timeout must not be negative", ""},
		{"relative health path", Config{Nodes: []*url.URL{node}, HealthCheckPath: "_cluster/health"}, "must start with /", ""},
		{"health path with host", Config{Nodes: []*url.URL{node}, HealthCheckPath: "//evil.example/"}, "must be a path", ""},
		{"missing CA file", Config{Nodes: []*url.URL{node}, CAFile: filepath.Join(t.TempDir(), "none.pem")}, "CA file", ""},
		{"CA file without certificates", Config{Nodes: []*url.URL{node}, CAFile: garbage}, "no PEM certificate", ""},
		{"bad client certificate", Config{Nodes: []*url.URL{node}, ClientCertFile: garbage, ClientKeyFile: garbage}, "client certificate", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, nil, nil)
			if err == nil {
				t.Fatal("New succeeded, want error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q leaks a secret", err)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := Config{Nodes: []*url.URL{{Scheme: "http", Host: "127.0.0.1:9200"}}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"DialTimeout", cfg.DialTimeout, DefaultDialTimeout},
		{"ResponseHeaderTimeout", cfg.ResponseHeaderTimeout, time.Duration(0)},
		{"IdleConnTimeout", cfg.IdleConnTimeout, DefaultIdleConnTimeout},
		{"MaxIdleConnsPerHost", cfg.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost},
		{"HealthCheckInterval", cfg.HealthCheckInterval, DefaultHealthCheckInterval},
		{"HealthCheckTimeout", cfg.HealthCheckTimeout, DefaultHealthCheckTimeout},
		{"HealthCheckPath", cfg.HealthCheckPath, "/"},
		{"EjectAfterFailures", cfg.EjectAfterFailures, DefaultEjectAfterFailures},
		{"EjectFor", cfg.EjectFor, DefaultEjectFor},
		{"FlushInterval", cfg.FlushInterval, time.Duration(0)},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
