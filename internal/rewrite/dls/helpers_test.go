package dls

import (
	"errors"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

func mustParse(t testing.TB, s string) esbody.Value {
	t.Helper()
	v, err := esbody.ParseJSON([]byte(s))
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return v
}

func mustObject(t testing.TB, s string) *esbody.Object {
	t.Helper()
	o, ok := mustParse(t, s).(*esbody.Object)
	if !ok {
		t.Fatalf("%s is not an object", s)
	}
	return o
}

func encode(t testing.TB, v esbody.Value) string {
	t.Helper()
	b, err := esbody.Encode(v)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return string(b)
}

// canonical re-encodes a JSON text compactly, so expectations can be
// written readably.
func canonical(t testing.TB, s string) string {
	t.Helper()
	return encode(t, mustParse(t, s))
}

// wantRefusal checks that err is a *Refusal with the given status and a
// reason containing want.
func wantRefusal(t testing.TB, err error, status int, want string) {
	t.Helper()
	var r *Refusal
	if !errors.As(err, &r) {
		t.Fatalf("error = %v, want a *Refusal", err)
	}
	if r.Status != status || !strings.Contains(r.Reason, want) {
		t.Fatalf("refusal = %d %q, want %d containing %q", r.Status, r.Reason, status, want)
	}
}
