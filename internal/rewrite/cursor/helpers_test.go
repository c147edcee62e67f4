package cursor

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// Owners used across the tests.
var (
	alice        = Owner{Username: "alice", RealmType: "file", Realm: "default_file"}
	aliceOIDC    = Owner{Username: "alice", RealmType: "oidc", Realm: "corp"}
	aliceOtherFR = Owner{Username: "alice", RealmType: "file", Realm: "file2"}
	bob          = Owner{Username: "bob", RealmType: "file", Realm: "default_file"}
	aliceKey1    = Owner{Username: "alice", RealmType: "api_key", Realm: "_es_api_key", APIKeyID: "k1"}
	aliceKey2    = Owner{Username: "alice", RealmType: "api_key", Realm: "_es_api_key", APIKeyID: "k2"}
)

// testKey returns a fixed key derived from a label.
func testKey(label string) []byte {
	return bytes.Repeat([]byte(label+"-"), MinKeySize+8)[:MinKeySize+8]
}

// newTestBinder returns a binder with a fixed key and random salts.
func newTestBinder(t testing.TB, label string) *Binder {
	t.Helper()
	b, err := NewBinder(testKey(label))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newDeterministicBinder returns a binder whose salts come from a seeded
// generator, so the tokens it makes are the same in every run.
func newDeterministicBinder(t testing.TB, label string, seed uint64) *Binder {
	t.Helper()
	var s [32]byte
	s[0] = byte(seed)
	b, err := newBinder(testKey(label), rand.NewChaCha8(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bindingFor returns a binding of owner on indices, created at a fixed time.
func bindingFor(owner Owner, indices ...string) Binding {
	return Binding{Owner: owner, Indices: indices, Created: time.Unix(1_700_000_000, 123).UTC()}
}

// mustWrap wraps or fails the test.
func mustWrap(t testing.TB, b *Binder, kind Kind, upstream string, bd Binding) string {
	t.Helper()
	tok, err := b.Wrap(kind, upstream, bd)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// mustObject parses a JSON object or fails the test.
func mustObject(t testing.TB, s string) *esbody.Object {
	t.Helper()
	o, err := esbody.ParseObject([]byte(s))
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return o
}

// encode returns the JSON text of v.
func encode(t testing.TB, v esbody.Value) string {
	t.Helper()
	b, err := esbody.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fixture reads a file of testdata.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustObjectOrNil parses a JSON object, or returns nil for "".
func mustObjectOrNil(t testing.TB, s string) *esbody.Object {
	t.Helper()
	if s == "" {
		return nil
	}
	return mustObject(t, s)
}

// checkErr fails the test when err is not want (nil meaning success), and
// reports whether the case is over (an error was expected and came).
func checkErr(t testing.TB, err, want error) bool {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	return true
}

// newScrollRequest builds a ScrollRequest from its path id, query string
// and body text ("" for none).
func newScrollRequest(t testing.TB, pathID, query, body string) ScrollRequest {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	return ScrollRequest{PathID: pathID, Query: q, Body: mustObjectOrNil(t, body)}
}
