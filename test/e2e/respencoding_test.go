package e2e

import (
	"strconv"
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
