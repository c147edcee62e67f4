// Package eserr renders errors in the JSON shape Elasticsearch uses, so that
// clients written for Elasticsearch understand refusals made by the proxy.
package eserr

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Error is one Elasticsearch-style error: a type such as "security_exception"
// and a human-readable reason. Header holds response headers that
// Elasticsearch also echoes inside the body (WWW-Authenticate for 401s).
type Error struct {
	Status int
	Type   string
	Reason string
	Header map[string][]string
}

type cause struct {
	Type   string              `json:"type"`
	Reason string              `json:"reason"`
	Header map[string][]string `json:"header,omitempty"`
}

type envelope struct {
	Error struct {
		RootCause []cause             `json:"root_cause"`
		Type      string              `json:"type"`
		Reason    string              `json:"reason"`
		Header    map[string][]string `json:"header,omitempty"`
	} `json:"error"`
	Status int `json:"status"`
}

// Error implements error, so stages can return an Elasticsearch error up
// to the one that writes it.
func (e *Error) Error() string { return e.Type + ": " + e.Reason }

// ESError returns e; it lets callers treat *Error like the rewrite
// packages' refusals, which convert to one.
func (e *Error) ESError() *Error { return e }

// Body returns the JSON body Elasticsearch would send for e.
func (e *Error) Body() []byte {
	var env envelope
	c := cause{Type: e.Type, Reason: e.Reason, Header: e.Header}
	env.Error.RootCause = []cause{c}
	env.Error.Type = e.Type
	env.Error.Reason = e.Reason
	env.Error.Header = e.Header
	env.Status = e.Status
	b, err := json.Marshal(env)
	if err != nil { // cannot happen: all fields are strings and ints
		return []byte(`{"error":{"type":"exception","reason":"internal error"},"status":500}`)
	}
	return b
}

// Write sends e as the whole response: status, headers and body.
func (e *Error) Write(w http.ResponseWriter) {
	body := e.Body()
	h := w.Header()
	for k, vs := range e.Header {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// Security returns a security_exception with the given status and reason.
func Security(status int, reason string) *Error {
	return &Error{Status: status, Type: "security_exception", Reason: reason}
}
