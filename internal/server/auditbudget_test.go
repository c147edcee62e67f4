package server

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/portcullis-proxy/portcullis/internal/audit"
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
