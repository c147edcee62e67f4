package e2e

import (
	"strconv"
	"strings"
	"testing"
)

// TestFLSHeadLengthHidesHiddenFields: a HEAD of a document or of its
// source carries no body, but the cluster still sends the Content-Length
// of the unfiltered answer. Under field level security that length, with
// _source_includes naming one hidden field, is the exact length of that
// field's value (how many digits a salary has, how long an SSN is): the
// length must not depend on hidden fields.
func TestFLSHeadLengthHidesHiddenFields(t *testing.T) {
	f := startDLSFixture(t)
	doc := "/" + f.index + "/_doc/a1"
	src := "/" + f.index + "/_source/a1"
	for _, path := range []string{
		doc, doc + "?_source_includes=secret", doc + "?_source_includes=customer.ssn", doc + "?_source_includes=salary",
		src, src + "?_source_includes=secret", src + "?_source_includes=customer.ssn", src + "?_source_includes=salary",
	} {
		head := do(t, f.c, "HEAD", f.p.URL+path, "fls", f.pass, nil, nil)
		if head.Status != 200 {
			t.Fatalf("HEAD %s: %d", path, head.Status)
		}
		got := do(t, f.c, "GET", f.p.URL+path, "fls", f.pass, nil, nil)
		assertNoCanary(t, "fls GET "+path, got.Body, []string{canarySecretField, canarySSN})
		cl := head.Header.Get("Content-Length")
		if cl == "" {
			continue
		}
		if n, err := strconv.Atoi(cl); err != nil || n != len(got.Body) {
			t.Errorf("HEAD %s: Content-Length %s, but the filtered answer has %d bytes: the length reveals hidden fields", path, cl, len(got.Body))
		}
	}
	// Control: the unrestricted user's HEAD still answers (found, missing).
	if r := do(t, f.c, "HEAD", f.p.URL+doc, f.su, f.pass, nil, nil); r.Status != 200 {
		t.Errorf("superuser HEAD %s: %d", doc, r.Status)
	}
	if r := do(t, f.c, "HEAD", f.p.URL+"/"+f.index+"/_doc/nope", "fls", f.pass, nil, nil); r.Status != 404 {
		t.Errorf("fls HEAD of a missing document: %d", r.Status)
	}
}

// TestBodylessContentTypePicksNoFormat: without Accept or format, the
// cluster answers in the media type of the request's Content-Type, even on
// a GET without a body. A filtered answer must still come back as JSON,
// filtered (it was a 502, the cluster having answered YAML or SMILE).
func TestBodylessContentTypePicksNoFormat(t *testing.T) {
	f := startDLSFixture(t)
	for _, ct := range []string{"application/yaml", "application/smile", "application/cbor"} {
		for _, path := range []string{"/" + f.index + "/_source/a1", "/" + f.index + "/_doc/a1", "/" + f.index + "/_search"} {
			r := do(t, f.c, "GET", f.p.URL+path, "fls", f.pass, nil, map[string]string{"Content-Type": ct})
			assertNoCanary(t, "fls GET "+path+" as "+ct, r.Body, []string{canarySecretField, canarySSN})
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || !strings.Contains(r.Body, "hello acme one") {
				t.Errorf("fls GET %s with Content-Type %s: %d %s %q", path, ct, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		}
	}
}
