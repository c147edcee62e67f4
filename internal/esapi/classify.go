// Package esapi classifies an Elasticsearch/OpenSearch REST request: which
// transport action it performs (Elastic's action names; OpenSearch's for
// OpenSearch-only APIs), which index expressions it names and where, what
// body it carries, and which query parameters change what it reads. It
// knows nothing of roles.
//
// The cluster behind the proxy has no security of its own, so the
// classifier reads every request exactly as the cluster's RestController
// does (raw-token route matching with the same precedence, per-segment
// percent-decoding, path and query parameters in one map) and refuses what
// it cannot read unambiguously. An error from ClassifyRequest always means
// "refuse".
package esapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ClassifyRequest classifies a request from its method, its escaped path
// (r.URL.EscapedPath(), or better the raw request target up to '?') and its
// query parameters. Use ParseRawQuery on the raw query string to decode it
// the way the cluster does; url.ParseQuery turns '+' into a space.
//
// It returns an error for unknown endpoints and for anything ambiguous;
// the caller refuses those. A Classification with a non-empty Denied must
// be refused too.
func ClassifyRequest(method, rawPath string, query url.Values) (*Classification, error) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch:
	default:
		// OPTIONS, TRACE, CONNECT and extension methods never reach data;
		// the cluster answers OPTIONS itself, nothing else is routed.
		return nil, fmt.Errorf("%w: method %q", ErrUnknownEndpoint, method)
	}
	segs, err := splitPath(rawPath)
	if err != nil {
		return nil, err
	}
	params, err := parseParams(query)
	if err != nil {
		return nil, err
	}
	t := routeTable()
	r := t.lookup(method, segs)
	// A denied namespace wins over everything except routes registered
	// literally inside it (explicitly modelled exceptions): a parameter
	// route such as /{index}/{type}/{id} must not swallow it.
	if d := t.deny(segs); d != nil && (r == nil || !r.under(d.segs)) {
		return &Classification{
			Action:   d.action,
			Route:    d.route,
			Endpoint: method + " /" + strings.Join(d.segs, "/") + "/*",
			Denied:   d.reason,
			Params:   params,
		}, nil
	}
	if r == nil {
		return nil, fmt.Errorf("%w: %s %s", ErrUnknownEndpoint, method, rawPath)
	}
	return bind(r, segs, params)
}

// ClassifyURL classifies a request from its method, escaped path and raw
// query string, decoding the query the way the cluster does.
func ClassifyURL(method, rawPath, rawQuery string) (*Classification, error) {
	q, err := ParseRawQuery(rawQuery)
	if err != nil {
		return nil, err
	}
	return ClassifyRequest(method, rawPath, q)
}

// bind fills a Classification from the matched route: path parameters,
// parameters of the same family taken from the query string, index
// expressions and targets.
func bind(r *route, segs []segment, params Params) (*Classification, error) {
	a := r.api
	c := &Classification{
		Action:   a.action,
		API:      a.name,
		Route:    a.route,
		Endpoint: r.endpoint,
		Body:     a.body,
		Denied:   a.denied,
		Params:   params,
	}
	bound := map[string]string{}
	for i, s := range r.segs {
		if isParam(s) {
			bound[paramName(s)] = segs[i].Dec
		}
	}
	// The cluster puts path parameters into the same map as query
	// parameters, path last: the path wins. A query parameter that the
	// path overrides is ambiguous to everyone but the cluster: refuse.
	for name := range bound {
		if _, ok := params.Values[name]; ok {
			return nil, fmt.Errorf("%w: %q given in both path and query", ErrBadParams, name)
		}
	}
	fromQuery := map[string]bool{}
	for _, name := range a.family {
		if _, ok := bound[name]; ok {
			continue
		}
		if v, ok := params.Values[name]; ok {
			if v == "" {
				// An empty value reads as "not given" in some handlers and
				// as "all" in others.
				return nil, fmt.Errorf("%w: empty %q parameter", ErrBadParams, name)
			}
			bound[name] = v
			fromQuery[name] = true
		}
	}
	idxName := a.indexParam()
	if v, ok := bound[idxName]; ok {
		names, exprs, err := ParseIndexList(v)
		if err != nil {
			return nil, err
		}
		c.Indices, c.Expressions = names, exprs
		c.IndicesFrom, c.IndexParam = IndicesPath, idxName
		if fromQuery[idxName] {
			c.IndicesFrom = IndicesQuery
		}
		delete(bound, idxName)
	} else {
		c.IndicesFrom = a.implicit
	}
	c.BodyIndices = a.bodyIdx
	for _, tp := range a.targets {
		v, ok := bound[tp]
		if !ok {
			continue
		}
		names, _, err := ParseIndexList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tp, err)
		}
		c.Targets = append(c.Targets, names...)
	}
	if len(bound) > 0 {
		c.PathParams = bound
	}
	return c, nil
}

// familyParams lists the path parameter names used by any pattern of a.
func familyParams(a *api) []string {
	seen := map[string]bool{}
	var out []string
	if a.queryIndex {
		seen["index"] = true
		out = append(out, "index")
	}
	for _, p := range a.patterns() {
		for _, s := range patternSegments(p) {
			if isParam(s) && !seen[paramName(s)] {
				seen[paramName(s)] = true
				out = append(out, paramName(s))
			}
		}
	}
	return out
}

// Classify is the coarse entry point the server used before
// ClassifyRequest existed: it sees no query string, so it cannot see
// "?index=" (use ClassifyRequest). Unknown, ambiguous and denied requests
// come back with an empty Action, which authorization refuses for everyone
// but superusers; the Route then says why ("unknown", "invalid", "denied").
func Classify(method, escapedPath string) Classification {
	c, err := ClassifyRequest(method, escapedPath, nil)
	if err != nil {
		if errors.Is(err, ErrUnknownEndpoint) {
			return Classification{Route: "unknown"}
		}
		return Classification{Route: "invalid"}
	}
	if c.Denied != "" {
		return Classification{Route: "denied", Denied: c.Denied, Endpoint: c.Endpoint}
	}
	return *c
}
