package server

import (
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// withClassification works out what the request does before anything else
// looks at it, so that logs and metrics of refused requests name it too. A
// request it cannot classify is refused later, after authentication, so an
// anonymous caller learns nothing about which endpoints exist.
func withClassification(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		c, err := esapi.ClassifyURL(r.Method, r.URL.EscapedPath(), r.URL.RawQuery)
		switch {
		case err != nil:
			st.Route, st.classifyErr = "unknown", err
		case c.Denied != "":
			st.Route, st.Action, st.classifyErr = "denied", c.Action, errDeniedEndpoint
			st.Class = c
		default:
			st.Route, st.Action, st.Indices, st.Class = c.Route, c.Action, c.Indices, c
		}
		next.ServeHTTP(w, r)
	})
}

var errDeniedEndpoint = errors.New("endpoint refused by policy")

// withClassifiedOnly refuses, for authenticated callers, every request the
// classifier could not place or that names an endpoint refused on purpose.
// Nothing it refuses is forwarded: the cluster trusts us completely.
func withClassifiedOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		if st.classifyErr == nil {
			next.ServeHTTP(w, r)
			return
		}
		st.Decision = "rejected"
		e := classificationError(r, st)
		st.Log().Info("request refused by the classifier", zap.String("reason", e.Reason), zap.Int("status", e.Status))
		e.Write(w)
	})
}

func classificationError(r *http.Request, st *requestState) *eserr.Error {
	target := r.Method + " " + r.URL.EscapedPath()
	switch {
	case errors.Is(st.classifyErr, errDeniedEndpoint):
		return eserr.Security(http.StatusForbidden, fmt.Sprintf("request [%s] is refused by the security proxy: %s", target, st.Class.Denied))
	case errors.Is(st.classifyErr, esapi.ErrUnknownEndpoint):
		return eserr.Security(http.StatusForbidden, fmt.Sprintf("request [%s] is not an API the security proxy knows; refused", target))
	default: // malformed or ambiguous path, index expression or parameters
		return &eserr.Error{Status: http.StatusBadRequest, Type: "illegal_argument_exception",
			Reason: fmt.Sprintf("request [%s] is ambiguous or malformed and was refused: %v", target, st.classifyErr)}
	}
}
