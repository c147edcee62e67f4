package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

func runCLI(stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsersHash(t *testing.T) {
	code, out, errs := runCLI("s3cret-pass\n", "users", "hash")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	hash := strings.TrimSpace(out)
	if !strings.HasPrefix(hash, "$2a$10$") || !authn.VerifyPassword(hash, "s3cret-pass") || authn.VerifyPassword(hash, "other-pass") {
		t.Fatalf("bad hash %q", hash)
	}
	if code, _, _ := runCLI("", "users", "hash"); code == 0 {
		t.Fatal("empty password accepted")
	}
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := runCLI("", "version"); code != 0 || !strings.HasPrefix(out, "portcullis ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, _, _ := runCLI(""); code != 2 {
		t.Fatal("no command must exit 2")
	}
	if code, _, errs := runCLI("", "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatal("unknown command")
	}
}

// TestCheck validates a configuration and the security files it names,
// reporting each problem as file:line.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("users", "alice:$2a$10$abcdefghijklmnopqrstuu5pYxC7nNZMY6rZPdNqTxyFY5GhH6E0W\nbroken-line-without-colon\n")
	write("users_roles", "reader:alice\n")
	write("roles.yml", "reader:\n  indices:\n    - names: [\"logs-*\"]\n      privileges: [read, fly]\n")
	cfg := write("config.yaml", "listen: 127.0.0.1:9243\ninsecure_http: true\nupstream:\n  nodes: [\"http://127.0.0.1:9200\"]\n"+
		"security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\naudit:\n  file: audit.json\nbogus: 1\n")
	code, out, _ := runCLI("", "check", "--config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{
		cfg + ":11: unknown key \"bogus\"",
		filepath.Join(dir, "users") + ":2:",
		filepath.Join(dir, "roles.yml") + ":4:",
		"unknown index privilege [fly]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	// Fixed, it passes.
	write("users", "alice:$2a$10$abcdefghijklmnopqrstuu5pYxC7nNZMY6rZPdNqTxyFY5GhH6E0W\n")
	write("roles.yml", "reader:\n  indices:\n    - names: [\"logs-*\"]\n      privileges: [read]\n")
	write("config.yaml", "listen: 127.0.0.1:9243\ninsecure_http: true\nupstream:\n  nodes: [\"http://127.0.0.1:9200\"]\n"+
		"security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\naudit:\n  file: audit.json\n")
	if code, out, _ := runCLI("", "check", "--config", cfg); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("valid configuration: exit %d\n%s", code, out)
	}
}
