package apikey

import (
	"strings"
	"testing"
)

// FuzzDecode: the ApiKey credentials come from anyone. Decoding never
// panics, and what it accepts has a non-empty id and secret without the
// separator in the id.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{"", "aWQ6c2VjcmV0", "%%%", "aWQ6", "Ojo=", strings.Repeat("A", 600)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		id, secret, err := decode(encoded)
		if err != nil {
			return
		}
		if id == "" || secret == "" || strings.Contains(id, ":") {
			t.Fatalf("decode(%q) = %q, %q", encoded, id, secret)
		}
	})
}
