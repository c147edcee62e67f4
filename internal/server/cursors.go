package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/cursor"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/filterpath"
)

// Cursors binds the cluster's continuation ids (scroll, point in time,
// async search) to the principal and the restrictions that created them:
// clients only ever see tokens (cursor.Binder), and a token is honoured
// only for its owner while the owner's restrictions on its indices are
// unchanged. Without it (nil in Options), continuations are refused for
// everyone but users with unrestricted access.
type Cursors struct {
	Binder   *cursor.Binder
	Registry cursor.Registry
}

// cursorState is what the cursor stages learned about one request.
type cursorState struct {
	// decision authorizes a continuation: the action decided again on
	// the cursor's indices (nil for requests that create cursors).
	decision *authz.Decision
	// binding is the binding of ids in the response: the continued
	// cursor's, or a new one for requests that create cursors.
	binding cursor.Binding
	// fields are the response members holding ids to wrap.
	fields []cursor.Field
	// keepAlive is the requested keep-alive of the cursors (0: default).
	keepAlive time.Duration
	// answer, when set, answers instead of forwarding (an "_all" request
	// for a caller who holds no cursor).
	answer func(w http.ResponseWriter)
	// allPITs filters GET _search/point_in_time/_all to the caller's own.
	allPITs bool
	// after is the client's filter_path, applied by the proxy after
	// allPITs' filter (nil: none, or forwarded).
	after *filterpath.Filter
	// forget lists the ids the request deletes (removed from the registry
	// once the cluster answers 2xx).
	forget     []cursor.Cursor
	forgetKind cursor.Kind
	forgetIDs  []string
}

// cursorActions are the continuation requests: they name no index, the
// cursor carries them.
var cursorActions = map[string]bool{
	"indices:data/read/scroll":                true,
	"indices:data/read/scroll/clear":          true,
	"indices:data/read/point_in_time/delete":  true,
	"indices:data/read/point_in_time/readall": true,
	"indices:data/read/close_point_in_time":   true,
	"indices:data/read/async_search/get":      true,
	"indices:data/read/async_search/delete":   true,
	"cluster:monitor/async_search/status":     true,
}

// cursorOpeners are the requests that may open a cursor (or search one:
// a search body with "pit"), or that _msearch could smuggle one into, and
// those that read ids of the caller's cursors without continuing them
// (OpenSearch's _cat/pit_segments, authorized as usual).
var cursorOpeners = map[string]bool{
	"indices:data/read/search":               true,
	"indices:data/read/search/template":      true,
	"indices:data/read/msearch/template":     true,
	"indices:monitor/point_in_time/segments": true,
	"indices:data/read/async_search/submit":  true,
	"indices:data/read/point_in_time/create": true,
	"indices:data/read/open_point_in_time":   true,
	"indices:data/read/msearch":              true,
}

// withCursorResolution replaces the tokens of a continuation request with
// the cluster's ids, checks their owner, and decides the continuation
// again on the cursor's indices: the caller's current roles must still
// allow it, with the same document- and field-level security.
func withCursorResolution(cs *Cursors, az Authorizer, md MetadataSource, rs *Restrictions, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		if st.Principal == nil || st.Class == nil {
			next.ServeHTTP(w, r)
			return
		}
		if !cursorActions[st.Class.Action] && !cursorOpeners[st.Class.Action] {
			next.ServeHTTP(w, r)
			return
		}
		cr := &cursorRequest{cs: cs, az: az, md: md, rs: rs, st: st, r: r, owner: cursor.OwnerOf(st.Principal)}
		if err := cr.resolve(); err != nil {
			cr.refuse(w, err)
			return
		}
		if c := st.cursor; c != nil && (len(c.fields) > 0 || c.allPITs) {
			clientGzip(st, r)
			// The ids to wrap stay where they are in an answer the
			// cluster cut; the list of all PITs must keep each PIT's id,
			// by which the caller's own are kept: there the proxy
			// applies filter_path after.
			mode := filterPathForward
			if c.allPITs {
				mode = filterPathApply
			}
			after, reason := prepareRewrittenRequest(r, mode)
			if reason != "" {
				st.Decision = "deny"
				eserr.Security(http.StatusBadRequest, reason).Write(w)
				return
			}
			c.after = after
		}
		next.ServeHTTP(w, r)
	})
}

type cursorRequest struct {
	cs    *Cursors
	az    Authorizer
	md    MetadataSource
	rs    *Restrictions
	st    *requestState
	r     *http.Request
	owner cursor.Owner
}

func (cr *cursorRequest) resolve() error {
	c := cr.st.Class
	q := cr.r.URL.Query()
	switch {
	case c.Action == "indices:data/read/scroll":
		return cr.resolveScroll(q)
	case c.Action == "indices:data/read/scroll/clear":
		return cr.resolveClearScroll(q)
	case c.Action == "indices:data/read/point_in_time/delete":
		return cr.resolveDeletePIT()
	case c.Action == "indices:data/read/point_in_time/readall":
		cr.st.cursor = &cursorState{allPITs: true}
		return nil
	case c.Action == "indices:data/read/close_point_in_time":
		return cr.resolveClosePIT()
	case c.Action == "indices:data/read/async_search/get" || c.Action == "indices:data/read/async_search/delete" || c.Action == "cluster:monitor/async_search/status":
		return cr.resolveAsync()
	case c.Action == "indices:data/read/search" || c.Action == "indices:data/read/async_search/submit":
		return cr.resolveCreate(q)
	case c.Action == "indices:data/read/point_in_time/create":
		cr.st.cursor = &cursorState{fields: cursor.CreatePITFields(), keepAlive: keepAliveParam(q, "keep_alive")}
	case c.Action == "indices:data/read/open_point_in_time":
		cr.st.cursor = &cursorState{fields: cursor.OpenPITFields(), keepAlive: keepAliveParam(q, "keep_alive")}
	case c.Action == "indices:data/read/msearch":
		return cr.refusePITInMsearch() // no item can open a cursor then
	case c.Action == "indices:data/read/search/template":
		// A rendered template is a search: ?scroll opens a scroll, and a
		// "pit" in the template answers with its pit_id. The proxy cannot
		// read the rendered body, so only the answer's ids are wrapped.
		cr.st.cursor = &cursorState{fields: cursor.SearchFields(), keepAlive: keepAliveParam(q, "scroll")}
	case c.Action == "indices:data/read/msearch/template":
		cr.st.cursor = &cursorState{fields: cursor.MsearchFields()}
	case c.Action == "indices:monitor/point_in_time/segments":
		return cr.resolvePITSegments()
	}
	return nil
}

// resolvePITSegments replaces the tokens of OpenSearch's GET
// _cat/pit_segments body ({"pit_id": ...}) with the cluster's ids: only
// the caller's own points in time are accepted, like everywhere else. The
// request is authorized as usual (it needs monitor on every index); "_all"
// is left to the cluster, as GET _cat/pit_segments/_all is.
func (cr *cursorRequest) resolvePITSegments() error {
	if strings.HasSuffix(cr.r.URL.Path, "/_all") {
		return nil
	}
	body := cr.bodyObject()
	if body == nil {
		if cr.st.Body != nil && cr.st.Body.json != nil {
			return fmt.Errorf("%w: the body of _cat/pit_segments must be an object", cursor.ErrMalformed)
		}
		return nil // the cluster refuses a request without pit ids
	}
	t, err := cr.cs.Binder.RewriteDeletePIT(cr.owner, body)
	if err != nil {
		return err
	}
	if t.All {
		return nil
	}
	return cr.setBody(body)
}

// resolveCreate handles searches: one on a point in time continues it;
// one with ?scroll creates a scroll; an async search creates an id.
func (cr *cursorRequest) resolveCreate(q url.Values) error {
	cs := &cursorState{keepAlive: keepAliveParam(q, "scroll")}
	switch {
	case cr.st.Action == "indices:data/read/async_search/submit":
		cs.fields = cursor.AsyncSearchFields()
		cs.keepAlive = keepAliveParam(q, "keep_alive")
	case q.Has("scroll"):
		cs.fields = cursor.SearchFields()
	}
	body := cr.bodyObject()
	if body == nil {
		if cs.fields != nil {
			cr.st.cursor = cs
		}
		return nil
	}
	pit, err := cr.cs.Binder.RewriteSearchPIT(cr.owner, body)
	if err != nil {
		return err
	}
	if pit == nil {
		if cs.fields != nil {
			cr.st.cursor = cs
		}
		return nil
	}
	cs.fields = cursor.SearchFields()
	cr.st.cursor = cs
	if err := cr.continueOn(pit.Cursor, "indices:data/read/search"); err != nil {
		return err
	}
	if pit.KeepAlive > 0 {
		cs.keepAlive = pit.KeepAlive
	}
	return cr.setBody(body)
}

// pathScrollID is the scroll_id of the request's path: the classifier's
// PathParams also holds one taken from the query string (its family), which
// the cursor binder reads from the query itself, so it counts only when the
// endpoint has a {scroll_id} segment. Otherwise ?scroll_id= reads as given
// twice and the owner's request is refused.
func pathScrollID(c *esapi.Classification) string {
	if !strings.Contains(c.Endpoint, "{scroll_id}") {
		return ""
	}
	return c.PathParams["scroll_id"]
}

func (cr *cursorRequest) resolveScroll(q url.Values) error {
	body := cr.bodyObject()
	t, err := cr.cs.Binder.RewriteScroll(cr.owner, cursor.ScrollRequest{PathID: pathScrollID(cr.st.Class), Query: q, Body: body})
	if err != nil {
		return err
	}
	cr.st.cursor = &cursorState{fields: cursor.SearchFields(), keepAlive: t.KeepAlive}
	if err := cr.continueOn(t.Cursor, "indices:data/read/search"); err != nil {
		return err
	}
	cr.setURL("/_search/scroll", t.PathID, q)
	if body != nil {
		return cr.setBody(body)
	}
	return nil
}

func (cr *cursorRequest) resolveClearScroll(q url.Values) error {
	body := cr.bodyObject()
	t, err := cr.cs.Binder.RewriteClearScroll(cr.owner, cursor.ScrollRequest{PathID: pathScrollID(cr.st.Class), Query: q, Body: body})
	if err != nil {
		return err
	}
	cs := &cursorState{decision: ownCursorsDecision(), forgetKind: cursor.KindScroll}
	cr.st.cursor = cs
	if t.All {
		ids, err := cr.ownIDs(cursor.KindScroll)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			cs.answer = func(w http.ResponseWriter) { writeJSON(w, cursor.NoScrollsFreed) }
			return nil
		}
		cs.forgetIDs = ids
		q.Del("scroll_id")
		cr.setURL("/_search/scroll", "", q)
		return cr.setBody(cursor.ClearScrollBody(ids))
	}
	cs.forget = t.Cursors
	cr.setURL("/_search/scroll", t.PathIDs, q)
	if body != nil {
		return cr.setBody(body)
	}
	return nil
}

func (cr *cursorRequest) resolveDeletePIT() error {
	cs := &cursorState{decision: ownCursorsDecision(), fields: cursor.DeletePITFields(), forgetKind: cursor.KindPIT}
	cr.st.cursor = cs
	body := cr.bodyObject()
	all := strings.HasSuffix(cr.r.URL.Path, "/_all")
	var t cursor.PITTarget
	if !all {
		if body == nil {
			return &eserr.Error{Status: http.StatusBadRequest, Type: "action_request_validation_exception", Reason: "Validation Failed: 1: no pit ids specified;"}
		}
		var err error
		if t, err = cr.cs.Binder.RewriteDeletePIT(cr.owner, body); err != nil {
			return err
		}
		all = t.All
	}
	if !all {
		cs.forget = t.Cursors
		return cr.setBody(body)
	}
	ids, err := cr.ownIDs(cursor.KindPIT)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		cs.answer = func(w http.ResponseWriter) { writeJSON(w, cursor.NoPITs) }
		return nil
	}
	cs.forgetIDs = ids
	cr.setURL("/_search/point_in_time", "", cr.r.URL.Query())
	return cr.setBody(cursor.PITIDsBody(ids))
}

func (cr *cursorRequest) resolveClosePIT() error {
	body := cr.bodyObject()
	if body == nil {
		return &eserr.Error{Status: http.StatusBadRequest, Type: "action_request_validation_exception", Reason: "Validation Failed: 1: id is required;"}
	}
	c, err := cr.cs.Binder.RewriteClosePIT(cr.owner, body)
	if err != nil {
		return err
	}
	cr.st.cursor = &cursorState{decision: ownCursorsDecision(), forget: []cursor.Cursor{c}, forgetKind: cursor.KindPIT}
	return cr.setBody(body)
}

func (cr *cursorRequest) resolveAsync() error {
	id := cr.st.Class.PathParams["id"]
	c, err := cr.cs.Binder.RewriteAsyncID(cr.owner, id)
	if err != nil {
		return err
	}
	cs := &cursorState{fields: cursor.AsyncSearchFields()}
	cr.st.cursor = cs
	switch cr.st.Action {
	case "indices:data/read/async_search/get":
		if err := cr.continueOn(c, "indices:data/read/search"); err != nil {
			return err
		}
	default:
		cs.decision = ownCursorsDecision()
		cs.binding = c.Binding
		if cr.st.Action == "indices:data/read/async_search/delete" {
			cs.fields = nil
		}
	}
	prefix := "/_async_search/"
	if cr.st.Action == "cluster:monitor/async_search/status" {
		prefix = "/_async_search/status/"
	}
	cr.setURL(strings.TrimSuffix(prefix, "/"), c.UpstreamID, cr.r.URL.Query())
	return nil
}

// refusePITInMsearch refuses point-in-time searches inside _msearch: their
// ids would have to be resolved item by item.
func (cr *cursorRequest) refusePITInMsearch() error {
	if cr.st.Body == nil {
		return nil
	}
	for _, it := range cr.st.Body.msearch {
		if it.Body != nil && it.Body.Has("pit") {
			return eserr.Security(http.StatusBadRequest, "point-in-time searches inside _msearch are not supported by the security proxy; send them as _search requests")
		}
	}
	return nil
}

// continueOn decides the continuation of c again for the caller: action on
// the cursor's indices must be allowed without narrowing, and the
// document- and field-level security must be those the cursor was made
// with.
func (cr *cursorRequest) continueOn(c cursor.Cursor, action string) error {
	req := authz.Request{User: cr.st.Principal.Username, Roles: cr.st.Principal.Roles, Action: action, Indices: c.Binding.Indices, Limit: cr.st.limit}
	if cr.md != nil {
		req.Metadata = cr.md.Snapshot()
	}
	// Every index the cursor reads must still be allowed, as named. With
	// ignore_unavailable, or when the decision narrows the list, an index
	// the caller lost would be dropped from the decision while the cluster
	// goes on reading it, unfiltered (an index that was unrestricted adds
	// nothing to the fingerprint). A deleted index is still authorized by
	// its name.
	d := cr.az.Decide(req)
	if !d.Allowed || d.MatchNothing || d.ActionOnly || d.Rewritten {
		return eserr.Security(http.StatusForbidden, fmt.Sprintf("action [%s] is unauthorized for user [%s] on indices [%s]: the caller may no longer read what the cursor reads",
			action, cr.st.Principal.Username, strings.Join(c.Binding.Indices, ",")))
	}
	if err := c.Binding.Check(cr.owner, cursor.FingerprintOf(renderedAccess(cr.rs, cr.st.Principal, d.Access))); err != nil {
		return err
	}
	cr.st.cursor.decision = &d
	cr.st.cursor.binding = c.Binding
	cr.st.Indices = c.Binding.Indices
	return nil
}

// renderedAccess returns access with the DLS templates rendered for p, so
// that a change of the caller's attributes changes a cursor's fingerprint
// too. Unrenderable queries stay as written (the search that created the
// cursor could not have run then either).
func renderedAccess(rs *Restrictions, p *authn.Principal, access []authz.IndexAccess) []authz.IndexAccess {
	if rs == nil || len(access) == 0 {
		return access
	}
	rendered, err := rs.Queries.Render(dlsUser(p), dls.FromAccess(access))
	if err != nil || len(rendered) != len(access) {
		return access
	}
	out := make([]authz.IndexAccess, len(access))
	for i, a := range access {
		out[i] = a
		out[i].Queries = rendered[i].Queries
	}
	return out
}

// ownCursorsDecision allows a request that only touches the caller's own
// cursors (checked by the Binder): clearing or deleting them.
func ownCursorsDecision() *authz.Decision {
	return &authz.Decision{Allowed: true, Unrestricted: true}
}

func (cr *cursorRequest) ownIDs(kind cursor.Kind) ([]string, error) {
	entries, err := cr.cs.Registry.List(cr.r.Context(), cr.owner, kind)
	if err != nil {
		return nil, fmt.Errorf("listing the caller's cursors: %w", err)
	}
	return cursor.UpstreamIDs(entries), nil
}

func (cr *cursorRequest) bodyObject() *esbody.Object {
	if cr.st.Body == nil {
		return nil
	}
	obj, _ := cr.st.Body.json.(*esbody.Object)
	return obj
}

// setBody makes body the forwarded body.
func (cr *cursorRequest) setBody(body *esbody.Object) error {
	return setRequestBody(cr.st, cr.r, body)
}

// setURL sets the forwarded path to base (plus "/" and the escaped id when
// id is not empty) and the query string.
func (cr *cursorRequest) setURL(base, id string, q url.Values) {
	path := base
	if id != "" {
		path += "/" + url.PathEscape(id)
	}
	cr.r.URL.Path, cr.r.URL.RawPath = path, ""
	if esc := (&url.URL{Path: path}).EscapedPath(); esc != path {
		cr.r.URL.RawPath = esc
	}
	cr.r.URL.RawQuery = q.Encode()
}

// refuse answers a cursor error: a forged token is a tampered request
// (400), another owner's an unknown context (404), changed restrictions a
// 403.
func (cr *cursorRequest) refuse(w http.ResponseWriter, err error) {
	st := cr.st
	st.Decision = "deny"
	var e interface{ ESError() *eserr.Error }
	switch {
	case errors.As(err, &e):
		e.ESError().Write(w)
	case errors.Is(err, cursor.ErrTampered):
		st.Decision = "rejected" // audited as tampered_request
		st.Log().Warn("forged or altered cursor id", zap.Error(err))
		(&eserr.Error{Status: http.StatusBadRequest, Type: "illegal_argument_exception", Reason: "Cannot parse scroll id, point-in-time id or async search id"}).Write(w)
	case errors.Is(err, cursor.ErrNotOwner):
		st.Log().Info("cursor of another owner", zap.Error(err))
		(&eserr.Error{Status: http.StatusNotFound, Type: "search_context_missing_exception", Reason: "No search context found for id"}).Write(w)
	case errors.Is(err, cursor.ErrRestrictionsChanged):
		eserr.Security(http.StatusForbidden, "action ["+st.Action+"] is unauthorized for user ["+st.Principal.Username+"]: the document- or field-level security of the cursor's indices changed since it was created").Write(w)
	case errors.Is(err, cursor.ErrMalformed):
		(&eserr.Error{Status: http.StatusBadRequest, Type: "illegal_argument_exception", Reason: err.Error()}).Write(w)
	default:
		st.Log().Error("cursor resolution failed", zap.Error(err))
		eserr.Security(http.StatusForbidden, "the security proxy cannot resolve the request's cursor").Write(w)
	}
}

func keepAliveParam(q url.Values, name string) time.Duration {
	d, err := cursor.ParseKeepAlive(q.Get(name))
	if err != nil {
		return 0
	}
	return d
}

func writeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = io.WriteString(w, body)
}
