package audit

import (
	"slices"
	"testing"
)

// TestServiceTokensEntries: a service_tokens file is compared token by
// token (names only reach the audit), like the users file.
func TestServiceTokensEntries(t *testing.T) {
	before, ok := parseEntries("service_tokens", []byte("elastic/fleet-server/t1:{PBKDF2_STRETCH}aaa\nelastic/kibana/k1:{PBKDF2_STRETCH}bbb\n"))
	if !ok || !comparableKind("service_tokens") {
		t.Fatal("service_tokens not compared entry by entry")
	}
	after, _ := parseEntries("service_tokens", []byte("elastic/kibana/k1:{PBKDF2_STRETCH}ccc\nelastic/kibana/k2:{PBKDF2_STRETCH}ddd\n"))
	var names []string
	for n := range before {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"elastic/fleet-server/t1", "elastic/kibana/k1"}) {
		t.Fatalf("entries %v", names)
	}
	if before["elastic/kibana/k1"] == after["elastic/kibana/k1"] {
		t.Fatal("a changed hash is not a change")
	}
	if _, ok := after["elastic/fleet-server/t1"]; ok {
		t.Fatal("a removed token is still an entry")
	}
}
