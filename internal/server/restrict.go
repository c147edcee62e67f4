package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/filterpath"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
)

// Cluster sends the proxy's own requests to the cluster (document
// visibility checks under DLS); *upstream.Proxy implements it.
type Cluster interface {
	Send(ctx context.Context, method, path string, body []byte) (*http.Response, error)
}

// MappingSource gives the mappings of concrete indices, fetched no earlier
// than notBefore when that is not zero; *upstream.MappingCache does.
type MappingSource interface {
	Get(ctx context.Context, indices []string, notBefore time.Time) (map[string]*fls.Mapping, error)
}

// Restrictions enforces document- and field-level security on requests
// the roles allow only in part: it rewrites what the cluster will run and
// filters what it answers. Without it (nil in Options), such requests are
// refused.
type Restrictions struct {
	Cluster  Cluster
	Mappings MappingSource
	// Queries renders and caches the roles' DLS queries.
	Queries *dls.Cache
	// WriteDLS makes documents written through a role with DLS match that
	// role's query (beyond Elasticsearch; on by default).
	WriteDLS bool
}

// restrictionPlan is what the restriction stage decided for one request,
// carried from before the audit record (rewriting, refusals) to after it
// (checks against the cluster, response filtering).
type restrictionPlan struct {
	// answer, when set, runs instead of forwarding (a hidden document
	// answered as missing, an empty terms_enum…); it may also decide to
	// forward by returning false.
	answer func(w http.ResponseWriter, r *http.Request) bool
	// filter, when set, filters a successful response.
	filter bodyFilter
	// gzip says the client accepts a gzip-compressed filtered response.
	gzip bool
	// redact holds the values of the role queries the cluster evaluates
	// for the request: the error answers quoting one are redacted.
	redact []string
	// missingCut is the client's filter_path, applied to the 404 answer
	// of a document read (restrict_missing.go).
	missingCut *filterpath.Filter
}

// restrictedRequest is one request under DLS/FLS, as the planners see it.
type restrictedRequest struct {
	rs     *Restrictions
	st     *requestState
	r      *http.Request
	d      *authz.Decision
	access map[string]authz.IndexAccess
	dls    bool // some reached index has DLS
	fls    bool // some reached index has FLS

	cachedViews fls.Views
}

func newRestrictedRequest(rs *Restrictions, st *requestState, r *http.Request) *restrictedRequest {
	rr := &restrictedRequest{rs: rs, st: st, r: r, d: st.Restricted, access: make(map[string]authz.IndexAccess, len(st.Restricted.Access))}
	for _, a := range st.Restricted.Access {
		rr.access[a.Index] = a
		rr.dls = rr.dls || len(a.Queries) > 0
		rr.fls = rr.fls || a.Fields != nil
	}
	return rr
}

// withRestrictionPlan plans requests allowed under DLS/FLS: it rewrites the
// request or refuses it before the audit record is written, so refusals
// are audited as denials.
func withRestrictionPlan(rs *Restrictions, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		if st.Restricted == nil {
			next.ServeHTTP(w, r)
			return
		}
		rr := newRestrictedRequest(rs, st, r)
		plan, err := rr.plan()
		if err != nil {
			refuseRestricted(w, st, err)
			return
		}
		filterPath := filterPathApply
		if st.Class.API == "get_source" || st.Class.API == "exists_source" {
			// The _source endpoint answers the raw source and ignores
			// filter_path (OpenSearch 2.19, Elasticsearch 7.17): so does
			// the proxy.
			filterPath = filterPathForward
		}
		if rr.dls {
			lits, err := rr.roleLiterals()
			if err != nil {
				refuseRestricted(w, st, dls.RoleQueryRefusal(strings.Join(filteredIndices(rr.d.Access), ","), err))
				return
			}
			if len(lits) > 0 {
				plan.redact = lits
				r.Header.Del("Accept-Encoding") // the error answers are read
				if redactedSuccessActions[st.Action] && st.Class.Route != "cat" {
					if plan.filter == nil {
						filterPath = filterPathForward // redaction reads strings only
					}
					plan.filter = redactFilter(lits, plan.filter)
				}
			}
		}
		if plan.filter != nil {
			plan.gzip = clientGzip(st, r)
			fp, reason := prepareRewrittenRequest(r, filterPath)
			if reason != "" {
				st.Decision = "deny"
				eserr.Security(http.StatusBadRequest, reason).Write(w)
				return
			}
			plan.filter = thenFilterPath(plan.filter, fp)
			if st.Class.API == "get" && r.Method != http.MethodHead {
				plan.missingCut = fp
			}
		}
		st.plan = plan
		next.ServeHTTP(w, r)
	})
}

// withRestrictionExec carries out the plan after the audit record.
func withRestrictionExec(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		p := st.plan
		if p == nil {
			next.ServeHTTP(w, r)
			return
		}
		if len(p.redact) > 0 {
			ew := &errorRedactingWriter{ResponseWriter: w, literals: p.redact}
			defer ew.finish()
			w = ew
		}
		if p.missingCut != nil {
			mc := &missingDocCutter{ResponseWriter: w, fp: p.missingCut}
			defer mc.finish()
			w = mc
		}
		if r.Method == http.MethodHead {
			// A HEAD answer has no body to filter, but the cluster sends
			// the Content-Length of the unfiltered one: under FLS, with
			// _source_includes naming a hidden field, the length of its
			// value. Nothing of the cluster's length is passed on.
			w = &headWriter{ResponseWriter: w}
		}
		if p.answer != nil && p.answer(&answerWriter{ResponseWriter: w, st: st}, r) {
			return
		}
		if p.filter != nil {
			serveFiltered(w, r, next, p.filter, st.Log(), p.gzip && !st.merged)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuseRestricted answers a planning error: a refusal with its own
// Elasticsearch error, or a 403 for anything else (fail closed).
func refuseRestricted(w http.ResponseWriter, st *requestState, err error) {
	st.Decision = "deny"
	if e, ok := err.(interface{ ESError() *eserr.Error }); ok {
		st.Log().Info("request refused under document/field level security", zap.Error(err))
		e.ESError().Write(w)
		return
	}
	st.Log().Warn("request cannot be made safe under document/field level security", zap.Error(err))
	eserr.Security(http.StatusForbidden, "action ["+st.Action+"] is unauthorized for user ["+st.Principal.Username+"]: document- or field-level security cannot be enforced on this request").Write(w)
}

// headWriter passes a HEAD answer on without the cluster's Content-Length,
// which is the length of the body the cluster would have sent: restricted
// content included.
type headWriter struct {
	http.ResponseWriter
}

// WriteHeader drops the Content-Length before the status is sent.
func (hw *headWriter) WriteHeader(status int) {
	hw.ResponseWriter.Header().Del("Content-Length")
	hw.ResponseWriter.WriteHeader(status)
}

// Write sends the status first, without the Content-Length, if it was not.
func (hw *headWriter) Write(p []byte) (int, error) {
	hw.ResponseWriter.Header().Del("Content-Length")
	return hw.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController the underlying writer.
func (hw *headWriter) Unwrap() http.ResponseWriter { return hw.ResponseWriter }

// answerWriter is what a plan's answer writes through. The answer runs
// after the request's access_granted record; when it refuses the request
// (403: a document hidden by DLS may not be deleted or replaced), the
// refusal gets its own access_denied record, written by the refusal writer
// before the answer, so that the trail does not show the request as only
// granted.
type answerWriter struct {
	http.ResponseWriter
	st   *requestState
	seen bool
}

func (a *answerWriter) WriteHeader(code int) {
	a.note(code)
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerWriter) Write(p []byte) (int, error) {
	a.note(http.StatusOK)
	return a.ResponseWriter.Write(p)
}

func (a *answerWriter) note(code int) {
	if a.seen {
		return
	}
	a.seen = true
	if code == http.StatusForbidden {
		a.st.Decision, a.st.auditDone = "deny", false
	}
}
