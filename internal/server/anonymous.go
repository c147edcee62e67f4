package server

import (
	"fmt"
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// anonymousWriter answers the proxy's refusals of an anonymous request as
// Elasticsearch does with authz_exception: false: 401 "action [..]
// requires authentication" with the challenges, so that a client asks its
// user for credentials, instead of 403. With authz_exception: true (the
// default) refusals stay 403 and w is returned as it is. Only the proxy's
// own authorization refusals are turned (st.Decision "deny"), never an
// answer of the cluster.
func anonymousWriter(w http.ResponseWriter, st *requestState, anon *authn.Anonymous, challenges []string) http.ResponseWriter {
	if anon.AuthzException {
		return w
	}
	return &anonymousDenial{ResponseWriter: w, st: st, challenges: challenges}
}

type anonymousDenial struct {
	http.ResponseWriter
	st         *requestState
	challenges []string
	replaced   bool
}

func (a *anonymousDenial) WriteHeader(code int) {
	if code != http.StatusForbidden || a.st.Decision != "deny" || a.replaced {
		a.ResponseWriter.WriteHeader(code)
		return
	}
	a.replaced = true
	e := eserr.Security(http.StatusUnauthorized, fmt.Sprintf("action [%s] requires authentication", a.st.Action))
	e.Header = map[string][]string{"WWW-Authenticate": a.challenges}
	e.Write(a.ResponseWriter)
}

func (a *anonymousDenial) Write(p []byte) (int, error) {
	if a.replaced {
		return len(p), nil // the refusal's own body, replaced
	}
	return a.ResponseWriter.Write(p)
}

// Flush keeps streaming responses streaming.
func (a *anonymousDenial) Flush() {
	if f, ok := a.ResponseWriter.(http.Flusher); ok && !a.replaced {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (a *anonymousDenial) Unwrap() http.ResponseWriter { return a.ResponseWriter }
