package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// TestServiceTokensCreate: the printed token authenticates against the
// file the command wrote; a second token of the same name, an unknown
// account and a bad name are refused.
func TestServiceTokensCreate(t *testing.T) {
	file := filepath.Join(t.TempDir(), "service_tokens")
	var out, errs bytes.Buffer
	if code := run([]string{"service-tokens", "create", "--file", file, "elastic/fleet-server", "t1"}, nil, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	m := regexp.MustCompile(`^SERVICE_TOKEN elastic/fleet-server/t1 = (AAEAAW\S+)\n$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("output %q", out.String())
	}
	data, _ := os.ReadFile(file)
	if !strings.HasPrefix(string(data), "elastic/fleet-server/t1:$2") || strings.Contains(string(data), m[1]) {
		t.Fatalf("file %q", data)
	}
	tokens, err := newServiceTokens(file, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+m[1])
	if p, err := tokens.Authenticate(r); err != nil || p.Username != "elastic/fleet-server" {
		t.Fatalf("the printed token: %v %v", p, err)
	}
	for _, args := range [][]string{
		{"elastic/fleet-server", "t1"}, {"elastic/nobody", "t2"}, {"elastic/kibana", "_bad"}, {"elastic/kibana", "a/b"},
	} {
		errs.Reset()
		if code := run(append([]string{"service-tokens", "create", "--file", file}, args...), nil, &out, &errs); code == 0 {
			t.Errorf("%v accepted", args)
		}
	}
}
