package server

import "net/http"

// A document read under DLS is pinned to the version the visibility check
// found (version=N). When the document changed since, the cluster answers
// 409 version_conflict_engine_exception with the current version number:
// that of a version the check never judged, which may be hidden. The
// caller gets the answer of a missing document instead, as Elasticsearch
// gives for a document its role query hides.

// conflictWriter replaces a 409 answer of the cluster with replace's
// answer and discards the cluster's body.
type conflictWriter struct {
	http.ResponseWriter
	r        *http.Request
	replace  func(http.ResponseWriter, *http.Request)
	replaced bool
	started  bool
}

// WriteHeader intercepts a 409.
func (c *conflictWriter) WriteHeader(code int) {
	if c.started {
		return
	}
	c.started = true
	if code == http.StatusConflict {
		c.replaced = true
		h := c.ResponseWriter.Header()
		for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Type", "Transfer-Encoding"} {
			h.Del(k)
		}
		c.replace(c.ResponseWriter, c.r)
		return
	}
	c.ResponseWriter.WriteHeader(code)
}

// Write discards the body of a replaced answer.
func (c *conflictWriter) Write(p []byte) (int, error) {
	if !c.started {
		c.WriteHeader(http.StatusOK)
	}
	if c.replaced {
		return len(p), nil
	}
	return c.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController the underlying writer.
func (c *conflictWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
