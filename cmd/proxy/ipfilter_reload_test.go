package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/ipfilter"
)

// SIGHUP puts the configuration file's security.ip_filter in force; a file
// with errors keeps the rules in force (checklist 86: the filter is
// dynamic, as Elasticsearch's).
func TestReloadIPFilter(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"users", "users_roles", "roles.yml"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "config.yaml")
	write := func(ipFilter string) {
		y := "listen: 127.0.0.1:9243\ninsecure_http: true\nupstream:\n  nodes: [\"http://127.0.0.1:9200\"]\naudit:\n  file: audit.json\n" +
			"security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\n" + ipFilter
		if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	client := netip.MustParseAddr("192.168.1.5")
	f := ipfilter.New(nil)

	write("  ip_filter:\n    allow: [10.0.0.0/8]\n    deny: [_all]\n")
	reloadIPFilter(path, f, zap.NewNop())
	if ok, rule := f.Decide(client, netip.Addr{}); ok || rule != "deny _all" {
		t.Fatalf("after reloading a deny-all filter: %v %q", ok, rule)
	}
	write("  ip_filter:\n    deny: [not-an-address]\n")
	reloadIPFilter(path, f, zap.NewNop())
	if ok, _ := f.Decide(client, netip.Addr{}); ok {
		t.Fatal("a configuration with errors replaced the filter in force")
	}
	write("")
	reloadIPFilter(path, f, zap.NewNop())
	if ok, _ := f.Decide(client, netip.Addr{}); !ok {
		t.Fatal("removing the filter from the file did not open it")
	}
}
