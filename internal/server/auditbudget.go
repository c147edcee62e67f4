package server

import (
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// One request can make many events (one per search of an _msearch, per
// index of a _bulk or _mget), and each repeats the request's own fields:
// url.path, url.query, X-Opaque-Id, X-Forwarded-For, the user's roles, the
// URL's indices. Unbounded, a few kilobytes of body and 60 KB of headers
// write hundreds of megabytes of records, and a handful of requests from a
// user without any privilege fill the audit disk, after which the proxy
// refuses everyone. So header values are capped in events, and a request
// whose records would exceed maxRequestAuditBytes is refused with 413 (one
// tampered_request event) before anything is forwarded, as Elasticsearch
// refuses a body too large for its audit log.

const (
	// maxAuditHeaderValue caps the header values events repeat verbatim
	// (opaque_id, x_forwarded_for); longer values are cut at a character
	// boundary and end with auditTruncated.
	maxAuditHeaderValue = 1024
	// maxRequestAuditBytes bounds the records of one request (about 20,000
	// per-item events of ordinary size).
	maxRequestAuditBytes = 16 << 20
	// auditEventOverhead is the size of an event's keys and fixed values.
	auditEventOverhead = 600
)

// auditTruncated ends a header value cut by capHeaderValue.
const auditTruncated = "...[truncated]"

// capHeaderValue returns v, or its first maxAuditHeaderValue bytes (at a
// character boundary) followed by auditTruncated.
func capHeaderValue(v string) string {
	if len(v) <= maxAuditHeaderValue {
		return v
	}
	n := maxAuditHeaderValue
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return v[:n] + auditTruncated
}

// auditBytes estimates the size of evs once written (escaping aside),
// without request.body: one event carries it, once, and the body limit
// bounds it (a large document must not be refused for its audit record).
func auditBytes(evs []*audit.Event) int {
	n := 0
	for _, ev := range evs {
		n += auditEventOverhead + len(ev.UserName) + len(ev.UserRunByName) + len(ev.UserRunAsName) +
			len(ev.URLPath) + len(ev.URLQuery) + len(ev.Action) + len(ev.OpaqueID) +
			len(ev.XForwardedFor) + len(ev.OriginAddress) + len(ev.APIKeyName) + len(ev.UserRealm)
		for _, s := range ev.Indices {
			n += len(s) + 3
		}
		for _, s := range ev.UserRoles {
			n += len(s) + 3
		}
	}
	return n
}

// auditTooLarge is the answer to a request whose records would exceed
// maxRequestAuditBytes.
func auditTooLarge(n int) *eserr.Error {
	return &eserr.Error{Status: http.StatusRequestEntityTooLarge, Type: "content_too_long_exception",
		Reason: fmt.Sprintf("the request's audit records would take about [%d] bytes; the maximum is [%d]: split the request", n, maxRequestAuditBytes)}
}
