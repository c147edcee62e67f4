package server

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/rewrite/filterpath"
)

// The cluster answers a document read of a missing document with a 404
// that is not an error ({"_index":…,"_id":…,"found":false}): it is built
// as any answer, and filter_path applies to it (error answers are built
// without filtering). Under DLS/FLS the proxy takes filter_path off the
// forwarded read (respfilter.go) and its filters see 2xx answers only, so
// it applies the client's filter_path to that 404 itself, whether the
// cluster or the proxy (a document hidden by DLS) wrote it.

// maxMissingDoc bounds the 404 answer held to be cut; a longer one passes
// unchanged (it is no missing-document answer).
const maxMissingDoc = 64 << 10

// missingDocCutter passes an answer on, holding a 404 to apply fp to it
// when it is a missing-document answer.
type missingDocCutter struct {
	http.ResponseWriter
	fp       *filterpath.Filter
	status   int
	buf      *bytes.Buffer
	overflow bool
}

// WriteHeader holds a 404's header until its body is known.
func (m *missingDocCutter) WriteHeader(status int) {
	if m.status != 0 || informational(status) {
		return
	}
	m.status = status
	if status != http.StatusNotFound {
		m.ResponseWriter.WriteHeader(status)
		return
	}
	m.buf = &bytes.Buffer{}
}

func (m *missingDocCutter) Write(p []byte) (int, error) {
	if m.status == 0 {
		m.WriteHeader(http.StatusOK)
	}
	if m.buf == nil {
		return m.ResponseWriter.Write(p)
	}
	if m.buf.Len()+len(p) > maxMissingDoc {
		m.overflow = true
	}
	return m.buf.Write(p)
}

// finish writes a held 404, cut when it is a missing-document answer.
func (m *missingDocCutter) finish() {
	if m.buf == nil {
		return
	}
	body := m.buf.Bytes()
	h := m.ResponseWriter.Header()
	if !m.overflow && h.Get("Content-Encoding") == "" && isJSONContentType(h.Get("Content-Type")) && isMissingDocAnswer(body) {
		var cut bytes.Buffer
		if err := m.fp.Apply(&cut, bytes.NewReader(body)); err == nil {
			body = cut.Bytes()
			h.Del("Content-Length")
		}
	}
	m.ResponseWriter.WriteHeader(m.status)
	_, _ = m.ResponseWriter.Write(body)
}

// isMissingDocAnswer reports whether a 404 body is the answer of a read
// of a missing document: an object with "found" and no "error".
func isMissingDocAnswer(body []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return false
	}
	_, found := top["found"]
	_, failed := top["error"]
	return found && !failed
}
