package server

import (
	"crypto/rand"
	"encoding/base64"
)

// RequestIDHeader carries the proxy's id of a request back to the client; the
// same id is on every log line (and, later, audit event) of the request.
const RequestIDHeader = "X-Request-Id"

// newRequestID returns 16 random bytes in URL-safe base64, the shape of
// Elasticsearch's request.id. Client-supplied ids are never trusted.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}
