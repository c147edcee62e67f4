package dls

import (
	"fmt"
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// Elasticsearch error types used in refusals.
const (
	// TypeSecurity is what Elasticsearch answers for requests that DLS
	// does not allow ("Suggest isn't supported if document level security
	// is enabled" and the like).
	TypeSecurity = "security_exception"
	// TypeIllegalArgument is Elasticsearch's type for bad parameters.
	TypeIllegalArgument = "illegal_argument_exception"
	// TypeParsing is Elasticsearch's type for malformed query DSL.
	TypeParsing = "parsing_exception"
)

// Refusal is a request the proxy will not forward because document-level
// security cannot be enforced on it. It carries what the client is told:
// the HTTP status, an Elasticsearch error type and a reason. Err, if set,
// holds the internal cause for the logs; it is never sent to the client,
// because it may quote a role query.
type Refusal struct {
	Status int
	Type   string
	Reason string
	Err    error
}

// Error implements error.
func (r *Refusal) Error() string {
	if r.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", r.Status, r.Type, r.Reason, r.Err)
	}
	return fmt.Sprintf("%d %s: %s", r.Status, r.Type, r.Reason)
}

// Unwrap returns the internal cause.
func (r *Refusal) Unwrap() error { return r.Err }

// ESError converts r into the error the proxy sends to the client.
func (r *Refusal) ESError() *eserr.Error {
	return &eserr.Error{Status: r.Status, Type: r.Type, Reason: r.Reason}
}

// refuse builds a 400 security_exception, the status and type
// Elasticsearch uses when DLS forbids part of a request.
func refuse(format string, args ...any) *Refusal {
	return &Refusal{Status: http.StatusBadRequest, Type: TypeSecurity, Reason: fmt.Sprintf(format, args...)}
}

// malformed builds a 400 parsing_exception for a body the cluster would
// refuse anyway; refusing it here keeps the proxy from guessing how the
// cluster would read it.
func malformed(format string, args ...any) *Refusal {
	return &Refusal{Status: http.StatusBadRequest, Type: TypeParsing, Reason: fmt.Sprintf(format, args...)}
}

// badParameter builds a 400 illegal_argument_exception.
func badParameter(format string, args ...any) *Refusal {
	return &Refusal{Status: http.StatusBadRequest, Type: TypeIllegalArgument, Reason: fmt.Sprintf(format, args...)}
}

// RoleQueryRefusal is the refusal when a role query granting index cannot
// be used: a template that does not render, or a query that is not valid.
// The request is refused (403: the grant cannot be applied) and cause goes
// to Err only, because it may quote the role query or the user's metadata.
// Filter and Cache.Filter return it; callers of Cache.Query and
// Cache.Queries use it to turn their errors into a response.
func RoleQueryRefusal(index string, cause error) *Refusal {
	return &Refusal{
		Status: http.StatusForbidden,
		Type:   TypeSecurity,
		Reason: fmt.Sprintf("the document level security query of a role granting index [%s] cannot be applied", index),
		Err:    cause,
	}
}

// The refusals Elasticsearch itself makes under DLS, with its exact reasons
// (x-pack SearchRequestInterceptor, ValidateRequestInterceptor).
const (
	reasonSuggest  = "Suggest isn't supported if document level security is enabled"
	reasonProfile  = "A search request cannot be profiled if document level security is enabled"
	reasonRewrite  = "Validate with rewrite isn't supported if document level security is enabled"
	reasonTemplate = "search templates are not supported by the proxy if document level security is enabled"
	reasonStored   = "stored scripts are not supported by the proxy if document level security is enabled"
)

// RefuseSearchTemplate is the refusal for _search/template,
// _msearch/template and _render/template on indices under DLS: the proxy
// does not render search templates, so it cannot see the query they run.
func RefuseSearchTemplate() *Refusal { return refuse(reasonTemplate) }

// RefuseStoredScript is the refusal for any use of a stored script (by id)
// on indices under DLS.
func RefuseStoredScript() *Refusal { return refuse(reasonStored) }
