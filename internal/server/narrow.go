package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// matchNothing is what Elasticsearch itself rewrites an empty authorized
// expansion to: a wildcard excluded entirely, so the cluster answers an
// empty result.
var matchNothing = []string{"*", "-*"}

// narrow replaces the request's index expressions with the authorized names
// of the decision, where the request carried them: in the path, in the
// `index` query parameter, or (for requests that name no index, meaning
// all) by moving to the same API's index-scoped path. The rewritten request
// is classified again and must come out as the same action on exactly the
// decided names; anything else is an error and the request is refused.
func narrow(r *http.Request, c *esapi.Classification, d authz.Decision) error {
	names := d.Indices
	if d.MatchNothing {
		names = matchNothing
	}
	if len(names) == 0 {
		return errors.New("no index to narrow to")
	}
	joined := joinIndices(names)
	if d.MatchNothing {
		joined = "*,-*" // literal: the cluster parses it as an exclusion of everything
	}
	path, query := r.URL.EscapedPath(), r.URL.RawQuery
	switch c.IndicesFrom {
	case esapi.IndicesPath:
		p, err := replacePathIndex(path, c.Endpoint, c.IndexParam, joined)
		if err != nil {
			return err
		}
		path = p
	case esapi.IndicesQuery:
		qjoined := joinQueryIndices(names)
		if d.MatchNothing {
			qjoined = joined
		}
		q, err := replaceQueryParam(query, "index", qjoined)
		if err != nil {
			return err
		}
		query = q
	case esapi.IndicesAllImplicit:
		// The index-scoped form of the same API: the indices lead the path
		// (/_search -> /a,b/_search) or, for the _cat and data stream
		// APIs, end it (/_cat/indices -> /_cat/indices/a,b).
		var err error
		if path, err = indexScopedPath(r.Method, path, query, c.Action, names, joined); err != nil {
			return err
		}
	default:
		return fmt.Errorf("indices come from %v and cannot be narrowed", c.IndicesFrom)
	}
	if err := sameRequestOn(r.Method, path, query, c.Action, names); err != nil {
		return err
	}
	u, err := url.Parse(path)
	if err != nil {
		return fmt.Errorf("narrowed path: %w", err)
	}
	r.URL.Path, r.URL.RawPath, r.URL.RawQuery = u.Path, u.RawPath, query
	r.RequestURI = r.URL.RequestURI()
	return nil
}

// indexScopedPath returns the first index-scoped form of path that the
// classifier reads as the same action on exactly names.
func indexScopedPath(method, path, query, action string, names []string, joined string) (string, error) {
	var firstErr error
	candidates := []string{"/" + joined + path, strings.TrimSuffix(path, "/") + "/" + joined}
	if i := strings.LastIndexByte(strings.TrimSuffix(path, "/"), '/'); i > 0 {
		// Before the last segment: /_data_stream/_stats -> /_data_stream/a,b/_stats.
		candidates = append(candidates, path[:i]+"/"+joined+path[i:])
	}
	for _, p := range candidates {
		err := sameRequestOn(method, p, query, action, names)
		if err == nil {
			return p, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return "", firstErr
}

// sameRequestOn checks that the rewritten request classifies as the same
// action on exactly names.
func sameRequestOn(method, path, query, action string, names []string) error {
	again, err := esapi.ClassifyURL(method, path, query)
	if err != nil {
		return fmt.Errorf("narrowed request does not classify: %w", err)
	}
	if again.Action != action || again.Denied != "" || !slices.Equal(again.Indices, names) {
		return fmt.Errorf("narrowed request classifies as %s on %v, not %s on %v", again.Action, again.Indices, action, names)
	}
	return nil
}

// joinIndices percent-encodes each name for a path segment and joins them
// with the literal comma the cluster splits on.
func joinIndices(names []string) string {
	esc := make([]string, len(names))
	for i, n := range names {
		esc[i] = url.PathEscape(n)
	}
	return strings.Join(esc, ",")
}

// joinQueryIndices is joinIndices for the query string, where the cluster
// decodes '+' as a space: each name is query-escaped ('+' as %2B), and the
// names are joined with a literal comma.
func joinQueryIndices(names []string) string {
	esc := make([]string, len(names))
	for i, n := range names {
		esc[i] = url.QueryEscape(n)
	}
	return strings.Join(esc, ",")
}

// replacePathIndex replaces the segment of an escaped path matched by
// endpoint that holds the index parameter param ("{index}" of
// "POST /{index}/_search"; "{name}" of "GET /_resolve/index/{name}").
func replacePathIndex(path, endpoint, param, joined string) (string, error) {
	_, pattern, ok := strings.Cut(endpoint, " ")
	if !ok {
		return "", fmt.Errorf("endpoint %q has no path", endpoint)
	}
	if param == "" {
		param = "index"
	}
	pat := strings.Split(strings.Trim(pattern, "/"), "/")
	pos := slices.Index(pat, "{"+param+"}")
	if pos < 0 {
		return "", fmt.Errorf("endpoint %q has no {%s} segment", endpoint, param)
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) != len(pat) {
		return "", fmt.Errorf("path %q does not have the shape of %q", path, pattern)
	}
	segs[pos] = joined
	return "/" + strings.Join(segs, "/"), nil
}

// replaceQueryParam replaces the value of one parameter in a raw query,
// leaving every other byte as the client sent it.
func replaceQueryParam(raw, name, value string) (string, error) {
	parts := strings.Split(raw, "&")
	found := 0
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if dk, err := url.QueryUnescape(k); err == nil && dk == name {
			parts[i] = name + "=" + value
			found++
		}
	}
	if found != 1 {
		return "", fmt.Errorf("query parameter %q appears %d times", name, found)
	}
	return strings.Join(parts, "&"), nil
}
