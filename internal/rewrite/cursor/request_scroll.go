package cursor

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// Names the scroll APIs read, in the path, the query string and the body.
const (
	scrollIDParam = "scroll_id"
	scrollParam   = "scroll"
)

// ScrollRequest is where a scroll or clear-scroll request names its ids.
// The cluster reads scroll_id from the path parameter, from the query
// string (the same parameter map: the path wins) and from the body (the
// body wins over both).
type ScrollRequest struct {
	// PathID is the decoded {scroll_id} path parameter ("" when the path
	// has none). The rewritten value comes back in the target.
	PathID string
	// Query is the request's query string; its scroll_id is rewritten in
	// place. May be nil.
	Query url.Values
	// Body is the parsed JSON body, nil when the request has none; its
	// scroll_id is rewritten in place, member order kept.
	Body *esbody.Object
}

// ScrollTarget is what RewriteScroll found.
type ScrollTarget struct {
	// Cursor is the id the cluster will continue: the body's if it has
	// one, else the path's, else the query's.
	Cursor Cursor
	// Others are the ids in places the cluster ignores (a path id beside
	// a body id). They were checked like the effective one.
	Others []Cursor
	// PathID is the cluster id for the {scroll_id} path segment, "" when
	// the request had none.
	PathID string
	// KeepAlive is the "scroll" keep-alive of the request (body over
	// query), 0 when it gives none.
	KeepAlive time.Duration
}

// RewriteScroll checks and rewrites the ids of a scroll request (GET/POST
// _search/scroll[/{scroll_id}]). Every id present must be a scroll token of
// owner: ErrTampered, ErrNotOwner or ErrMalformed otherwise. The body may
// hold only scroll_id and scroll, both strings, as the cluster requires.
func (bd *Binder) RewriteScroll(owner Owner, r ScrollRequest) (ScrollTarget, error) {
	bodyID, keepAlive, err := scrollBody(r.Body)
	if err != nil {
		return ScrollTarget{}, err
	}
	urlID, inPath, err := scrollURLID(r)
	if err != nil {
		return ScrollTarget{}, err
	}
	if keepAlive == "" {
		if keepAlive, err = singleParam(r.Query, scrollParam); err != nil {
			return ScrollTarget{}, err
		}
	}
	var target ScrollTarget
	if keepAlive != "" {
		if target.KeepAlive, err = ParseKeepAlive(keepAlive); err != nil {
			return ScrollTarget{}, err
		}
	}
	// The effective id first: the body's, else the URL's.
	var tokens []string
	for _, t := range []string{bodyID, urlID} {
		if t != "" {
			tokens = append(tokens, t)
		}
	}
	if len(tokens) == 0 {
		return ScrollTarget{}, fmt.Errorf("%w: scroll request without scroll_id", ErrMalformed)
	}
	cursors, err := bd.resolveAll(owner, KindScroll, tokens)
	if err != nil {
		return ScrollTarget{}, err
	}
	target.Cursor, target.Others = cursors[0], cursors[1:]
	if bodyID != "" {
		r.Body.Set(scrollIDParam, esbody.String(cursors[0].UpstreamID))
		cursors = cursors[1:]
	}
	if urlID != "" {
		setURLIDs(r, &target.PathID, inPath, cursors[0].UpstreamID)
	}
	return target, nil
}

// scrollURLID returns the scroll_id the URL carries, from the path or the
// query string. Both at once is refused: the classifier refuses it, and
// the proxy must not guess which one the cluster reads. (The classifier's
// PathParams also holds a scroll_id taken from the query string; pass it
// as PathID only when the endpoint has a {scroll_id} path segment.)
func scrollURLID(r ScrollRequest) (id string, inPath bool, err error) {
	query, err := singleParam(r.Query, scrollIDParam)
	if err != nil {
		return "", false, err
	}
	if r.PathID != "" && query != "" {
		return "", false, fmt.Errorf("%w: scroll_id given in both path and query", ErrMalformed)
	}
	if r.PathID != "" {
		return r.PathID, true, nil
	}
	return query, false, nil
}

// setURLIDs puts the rewritten URL ids where the request had them.
func setURLIDs(r ScrollRequest, pathID *string, inPath bool, ids string) {
	if inPath {
		*pathID = ids
		return
	}
	r.Query.Set(scrollIDParam, ids)
}

// scrollBody reads a scroll body: scroll_id and scroll, strings only.
func scrollBody(body *esbody.Object) (id, keepAlive string, err error) {
	for name, v := range body.All() {
		s, isString := v.(esbody.String)
		switch {
		case name == scrollIDParam && isString:
			id = string(s)
		case name == scrollParam && isString:
			keepAlive = string(s)
		default:
			return "", "", unknownMember(name, v)
		}
	}
	if body.Has(scrollIDParam) && id == "" {
		return "", "", fmt.Errorf("%w: empty scroll_id", ErrMalformed)
	}
	return id, keepAlive, nil
}

// singleParam returns a query parameter that must appear at most once and
// not be empty when present.
func singleParam(q url.Values, name string) (string, error) {
	vs, ok := q[name]
	switch {
	case !ok:
		return "", nil
	case len(vs) != 1:
		return "", fmt.Errorf("%w: query parameter %s given %d times", ErrMalformed, name, len(vs))
	case vs[0] == "":
		return "", fmt.Errorf("%w: empty query parameter %s", ErrMalformed, name)
	}
	return vs[0], nil
}

// ClearScrollTarget is what RewriteClearScroll found.
type ClearScrollTarget struct {
	// All says the request clears every scroll ("_all"). It must not be
	// forwarded as it is: list the owner's scroll ids in the Registry and
	// send DELETE /_search/scroll with ClearScrollBody(ids), or answer
	// NoScrollsFreed when the owner holds none.
	All bool
	// Cursors are the ids the cluster will clear (the body's when the
	// request has a body, else the path's or query's), in order.
	Cursors []Cursor
	// Others are ids in places the cluster ignores, checked all the same.
	Others []Cursor
	// PathIDs is the rewritten {scroll_id} path parameter (cluster ids,
	// comma-separated), "" when the path had none. When All, it is "_all".
	PathIDs string
}

// RewriteClearScroll checks and rewrites the ids of DELETE
// _search/scroll[/{scroll_id}]. The path and the scroll_id query parameter
// hold comma-separated lists; the body's scroll_id is a string or an array
// of strings and replaces them (the cluster resets the list when it reads
// a body, so a body without scroll_id clears nothing and is refused).
// "_all" alone means every scroll; "_all" among ids, or "_all" in one place
// and ids in another, is refused (ErrMalformed) rather than guessed at.
func (bd *Binder) RewriteClearScroll(owner Owner, r ScrollRequest) (ClearScrollTarget, error) {
	urlList, inPath, err := scrollURLID(r)
	if err != nil {
		return ClearScrollTarget{}, err
	}
	var urlIDs, bodyIDs []string
	var bodyArray bool
	if urlList != "" {
		if urlIDs, err = splitIDList("scroll", urlList); err != nil {
			return ClearScrollTarget{}, err
		}
	}
	if r.Body != nil {
		if bodyIDs, bodyArray, err = clearScrollBody(r.Body); err != nil {
			return ClearScrollTarget{}, err
		}
	} else if urlIDs == nil {
		return ClearScrollTarget{}, fmt.Errorf("%w: no scroll ids specified", ErrMalformed)
	}
	if err := checkAllMarker(urlIDs, bodyIDs); err != nil {
		return ClearScrollTarget{}, err
	}
	effective, ignored := urlIDs, []string(nil)
	if r.Body != nil {
		effective, ignored = bodyIDs, urlIDs
	}
	if isAll(effective) {
		return ClearScrollTarget{All: true, PathIDs: allIfPresent(inPath)}, nil
	}
	cursors, err := bd.resolveAll(owner, KindScroll, append(slices.Clone(effective), ignored...))
	if err != nil {
		return ClearScrollTarget{}, err
	}
	target := ClearScrollTarget{Cursors: cursors[:len(effective)], Others: cursors[len(effective):]}
	urlCursors := target.Cursors
	if r.Body != nil {
		r.Body.Set(scrollIDParam, idsValue(upstreamIDs(target.Cursors), bodyArray))
		urlCursors = target.Others
	}
	if len(urlCursors) > 0 {
		setURLIDs(r, &target.PathIDs, inPath, strings.Join(upstreamIDs(urlCursors), ","))
	}
	return target, nil
}

// checkAllMarker refuses "_all" among other ids, and "_all" in one place
// with ids in the other: whichever place the cluster reads, the proxy
// would have to guess whether everything is cleared.
func checkAllMarker(urlIDs, bodyIDs []string) error {
	mixed := hasAll(urlIDs) || hasAll(bodyIDs) ||
		isAll(urlIDs) && len(bodyIDs) > 0 && !isAll(bodyIDs) ||
		isAll(bodyIDs) && len(urlIDs) > 0 && !isAll(urlIDs)
	if mixed {
		return fmt.Errorf("%w: _all mixed with scroll ids", ErrMalformed)
	}
	return nil
}

// allIfPresent returns "_all" for a path that named it.
func allIfPresent(inPath bool) string {
	if inPath {
		return allIDs
	}
	return ""
}

// clearScrollBody reads a clear_scroll body: only scroll_id, a string or
// an array of strings.
func clearScrollBody(body *esbody.Object) (ids []string, array bool, err error) {
	for name, v := range body.All() {
		if name != scrollIDParam {
			return nil, false, unknownMember(name, v)
		}
		if ids, array, err = stringOrArray(scrollIDParam, v); err != nil {
			return nil, false, err
		}
	}
	if len(ids) == 0 {
		return nil, false, fmt.Errorf("%w: no scroll ids specified", ErrMalformed)
	}
	for _, id := range ids {
		if id == "" {
			return nil, false, fmt.Errorf("%w: empty scroll id", ErrMalformed)
		}
	}
	return ids, array, nil
}

// ClearScrollBody returns the body that clears the given cluster scroll
// ids: {"scroll_id":[...]}.
func ClearScrollBody(upstreamIDs []string) *esbody.Object {
	o, _ := esbody.NewObject(esbody.Member{Name: scrollIDParam, Value: idsValue(upstreamIDs, true)})
	return o
}

// NoScrollsFreed is the cluster's answer to a clear_scroll that freed
// nothing: the answer to "_all" from an owner who holds no scroll.
const NoScrollsFreed = `{"succeeded":true,"num_freed":0}`
