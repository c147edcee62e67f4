package server

import (
	"net/http"
	"testing"
)

// The precomputed keys must be what net/http stores the headers under, or
// the override check would silently miss them.
func TestOverrideHeaderKeysAreCanonical(t *testing.T) {
	for _, h := range overrideHeaders {
		if got := http.CanonicalHeaderKey(h.name); got != h.key {
			t.Errorf("%s: key %q, canonical form is %q", h.name, h.key, got)
		}
	}
}
