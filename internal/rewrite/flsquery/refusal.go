package flsquery

import (
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// Refusal is a body the package will not forward while field-level security
// applies. The integrator answers it with an Elasticsearch-shaped error
// (see ESError); nothing of the request may be forwarded.
type Refusal struct {
	// Status is the HTTP status: 400, since the request, not the caller's
	// privileges, is what cannot be served.
	Status int
	// Type is the Elasticsearch error type ("security_exception").
	Type string
	// Reason says what was refused and where, e.g.
	// "[query.bool.must[0].script] ...". It only echoes the request.
	Reason string
}

// Error implements error.
func (r *Refusal) Error() string { return r.Type + ": " + r.Reason }

// ESError returns the refusal as an Elasticsearch-style error.
func (r *Refusal) ESError() *eserr.Error {
	return &eserr.Error{Status: r.Status, Type: r.Type, Reason: r.Reason}
}

// refuse builds the Refusal for the construct at path.
func refuse(path, what string) *Refusal {
	reason := what + " is not supported on indices with field level security"
	if path != "" {
		reason = "[" + path + "] " + reason
	}
	return &Refusal{Status: http.StatusBadRequest, Type: "security_exception", Reason: reason}
}

// malformed builds the Refusal for a body the package cannot read. The
// cluster would refuse most of these itself; refusing here keeps the
// package from guessing.
func malformed(path, what string) *Refusal {
	reason := what
	if path != "" {
		reason = "[" + path + "] " + what
	}
	return &Refusal{Status: http.StatusBadRequest, Type: "security_exception",
		Reason: reason + " (field level security applies, so the request must be fully understood)"}
}
