package server

import (
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// TestCapHeaderValue: long header values are cut at a character boundary
// and marked; short ones are kept as sent.
func TestCapHeaderValue(t *testing.T) {
	for _, tc := range []struct {
		in      string
		cut     bool
		wantLen int
	}{
		{"task-42", false, 7},
		{strings.Repeat("a", maxAuditHeaderValue), false, maxAuditHeaderValue},
		{strings.Repeat("a", maxAuditHeaderValue+1), true, maxAuditHeaderValue + len(auditTruncated)},
		{"a" + strings.Repeat("é", maxAuditHeaderValue), true, maxAuditHeaderValue - 1 + len(auditTruncated)},
	} {
		got := capHeaderValue(tc.in)
		if len(got) != tc.wantLen || strings.HasSuffix(got, auditTruncated) != tc.cut || !utf8.ValidString(got) {
			t.Fatalf("capHeaderValue(%.20q…): %d bytes %.40q…, want %d (cut %v)", tc.in, len(got), got, tc.wantLen, tc.cut)
		}
	}
}

// TestAuditBytesIgnoresTheBody: a large body, recorded once with
// emit_request_body, does not count against the per-request budget.
func TestAuditBytesIgnoresTheBody(t *testing.T) {
	ev := &audit.Event{URLPath: "/idx/_doc/1", RequestBody: strings.Repeat("x", 2*maxRequestAuditBytes)}
	if n := auditBytes([]*audit.Event{ev}); n > maxRequestAuditBytes {
		t.Fatalf("a %d-byte body counts %d bytes against the budget", len(ev.RequestBody), n)
	}
}

// TestMsearchSearchesBoundedBeforeParsing: an _msearch of more searches
// than could ever be audited is refused with 413 and one tampered_request
// before any search is parsed or authorized (200,000 empty searches in
// 7.6 MB took 950 MB and 7.6 s to reach the same 413), while one at the
// bound is served.
func TestMsearchSearchesBoundedBeforeParsing(t *testing.T) {
	user := &authn.Principal{Username: "u", Roles: []string{"r"}}
	au := &fakeAuditor{}
	s, forwarded := newAuditedServer(t, fakeAuthn{p: user}, fakeAuthz{true}, 64<<20, au)
	send := func(n int) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/i/_msearch", strings.NewReader(strings.Repeat("{}\n{}\n", n)))
		req.Header.Set("Content-Type", "application/x-ndjson")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rec := send(200000)
	runtime.ReadMemStats(&after)
	if rec.Code != 413 || !strings.Contains(rec.Body.String(), "the request holds [200000] searches; the maximum is [27962]") || *forwarded != 0 {
		t.Fatalf("200000 searches: %d %s, forwarded %d", rec.Code, rec.Body, *forwarded)
	}
	// Refused before the searches are parsed: the body and little more
	// (parsing them all took 950 MB).
	if n := after.TotalAlloc - before.TotalAlloc; n > 128<<20 {
		t.Errorf("200000 searches: %d MiB allocated before the refusal", n>>20)
	}
	if len(au.events) != 1 || au.events[0].EventAction != audit.TamperedRequest {
		t.Errorf("events: %+v", au.events)
	}
	if rec := send(maxMsearchSearches); rec.Code == 413 && strings.Contains(rec.Body.String(), "searches; the maximum") {
		t.Errorf("%d searches refused: %s", maxMsearchSearches, rec.Body)
	}
}
