package esapi

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Params are the query-string parameters of a request, decoded and
// single-valued, with the ones that matter for security picked out.
type Params struct {
	// Values holds every parameter, decoded. The cluster keeps one value
	// per name, so a repeated name is refused before this is built.
	Values map[string]string
	// IndicesOptions are the index resolution options the request sets.
	IndicesOptions IndicesOptions
	// Shaping lists, sorted, the parameters present that change what the
	// request reads or how the response presents it (ReadShapingParams).
	// Body rewriting and response filtering must account for each one.
	Shaping []string
	// Format is the "format" parameter (json, yaml, cbor, smile, txt, csv,
	// ...): a non-JSON response defeats JSON response filtering.
	Format string
	// BodyInQuery is true when "source" carries the request body in the
	// query string (with "source_content_type").
	BodyInQuery bool
}

// Get returns the value of a parameter and whether it is present.
func (p Params) Get(name string) (string, bool) {
	v, ok := p.Values[name]
	return v, ok
}

// IndicesOptions are the request's index resolution options. A nil field
// means the endpoint's default applies.
type IndicesOptions struct {
	// ExpandWildcards is the validated "expand_wildcards" list (open,
	// closed, hidden, none, all).
	ExpandWildcards []string
	// IgnoreUnavailable is "ignore_unavailable".
	IgnoreUnavailable *bool
	// AllowNoIndices is "allow_no_indices".
	AllowNoIndices *bool
	// IgnoreThrottled is "ignore_throttled".
	IgnoreThrottled *bool
}

// readShapingParams are the query parameters that change which documents
// or fields a request reads, where it reads them, or how the response is
// encoded. The cluster applies URL parameters on top of the body, so a
// proxy that rewrites only the body misses them. Never modified.
var readShapingParams = map[string]bool{
	// query in the URL (replaces the body query)
	"q": true, "df": true, "analyzer": true, "analyze_wildcard": true,
	"default_operator": true, "lenient": true, "query": true,
	// fields returned
	"_source": true, "_source_includes": true, "_source_excludes": true,
	"_source_include": true, "_source_exclude": true, "stored_fields": true,
	"docvalue_fields": true, "fields": true, "filter_path": true,
	"sort": true, "explain": true, "version": true, "seq_no_primary_term": true,
	"track_scores": true, "track_total_hits": true, "rest_total_hits_as_int": true,
	"typed_keys": true, "include_named_queries_score": true,
	"suggest_field": true, "suggest_text": true, "suggest_mode": true, "suggest_size": true,
	"term_statistics": true, "field_statistics": true, "offsets": true, "positions": true,
	"payloads": true, "include_defaults": true,
	// where and how documents are read
	"routing": true, "preference": true, "realtime": true, "refresh": true,
	"search_type": true, "scroll": true, "pre_filter_shard_size": true,
	"ccs_minimize_roundtrips": true, "request_cache": true, "size": true, "from": true,
	"terminate_after": true, "allow_partial_search_results": true, "stats": true,
	"keep_alive": true, "keep_on_completion": true, "wait_for_completion_timeout": true,
	"min_compatible_shard_node": true, "search_pipeline": true, "pipeline": true,
	"require_alias": true, "op_type": true, "if_seq_no": true, "if_primary_term": true,
	// response encoding
	"format": true, "pretty": true, "human": true, "error_trace": true,
	"source": true, "source_content_type": true, "v": true, "h": true, "s": true,
	// index resolution
	"index": true, "expand_wildcards": true, "ignore_unavailable": true,
	"allow_no_indices": true, "ignore_throttled": true, "local": true,
}

// ReadShapingParams reports whether a query parameter name changes what a
// request reads or how its response is encoded.
func ReadShapingParams(name string) bool { return readShapingParams[name] }

// maxQueryParams is the most '&'-separated parts a query string may have:
// Go's url.ParseQuery, which net/http/httputil.ReverseProxy and the proxy's
// own rewrites use on the forwarded URL, gives up beyond 10000 and yields
// no parameter at all, so a longer query would reach the cluster emptied
// of the parameters the decision was made on (an "index" among them).
const maxQueryParams = 10000

// ParseRawQuery decodes a raw query string the way the cluster does: split
// at '&', name and value split at the first '=', percent-decoding with '+'
// as a space (RestUtils.decodeQueryString decodes the query with
// plusAsSpace; only path segments keep a '+', see decodeComponent), so
// "?routing=a+b" routes with "a b" on the cluster and must here too.
// Repeated names are an error: the cluster keeps only one.
//
// The cluster's RestUtils.decodeQueryString also splits at ';' and stops
// reading at the first '#', so "?pretty=true;index=x" carries an "index"
// and "?pretty#&index=x" does not; Go's ReverseProxy drops every pair with
// a ';'. A raw ';' or '#' is therefore refused (clients send them
// percent-encoded), and so are raw bytes outside printable ASCII and a
// query with more than 10000 parts.
func ParseRawQuery(raw string) (url.Values, error) {
	out := url.Values{}
	if raw == "" {
		return out, nil
	}
	if i := strings.IndexAny(raw, ";#"); i >= 0 {
		return nil, fmt.Errorf("%w: raw %q in the query string (the cluster reads it as a separator; percent-encode it)", ErrBadParams, raw[i])
	}
	for i := 0; i < len(raw); i++ {
		// Netty reads the request line as ISO-8859-1, byte by byte, and
		// splits it at whitespace (an HTTP/2 :path can carry a space): a
		// raw byte outside printable ASCII means something else there.
		if c := raw[i]; c <= 0x20 || c >= 0x7f {
			return nil, fmt.Errorf("%w: byte 0x%02x in the query string must be percent-encoded", ErrBadParams, c)
		}
	}
	if n := strings.Count(raw, "&") + 1; n > maxQueryParams {
		return nil, fmt.Errorf("%w: %d query string parts, more than %d", ErrBadParams, n, maxQueryParams)
	}
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		name, value, _ := strings.Cut(kv, "=")
		name, value = strings.ReplaceAll(name, "+", "%20"), strings.ReplaceAll(value, "+", "%20")
		n, err := decodeComponent(name)
		if err != nil {
			return nil, fmt.Errorf("%w: parameter name: %v", ErrBadParams, err)
		}
		v, err := decodeComponent(value)
		if err != nil {
			return nil, fmt.Errorf("%w: parameter %q: %v", ErrBadParams, n, err)
		}
		out[n] = append(out[n], v)
	}
	return out, nil
}

// parseParams validates the query and builds Params. Every parameter must
// appear once: for a repeated name the cluster keeps one value (which one
// has changed between versions), the proxy might look at the other.
func parseParams(q url.Values) (Params, error) {
	p := Params{Values: make(map[string]string, len(q))}
	for name, vs := range q {
		if name == "" {
			return p, fmt.Errorf("%w: empty parameter name", ErrBadParams)
		}
		if len(vs) != 1 {
			return p, fmt.Errorf("%w: parameter %q given %d times", ErrBadParams, name, len(vs))
		}
		if _, err := checkDecoded(vs[0]); err != nil {
			return p, fmt.Errorf("%w: parameter %q: %v", ErrBadParams, name, err)
		}
		p.Values[name] = vs[0]
		if readShapingParams[name] {
			p.Shaping = append(p.Shaping, name)
		}
	}
	sort.Strings(p.Shaping)
	var err error
	if v, ok := p.Values["expand_wildcards"]; ok {
		if p.IndicesOptions.ExpandWildcards, err = parseExpandWildcards(v); err != nil {
			return p, err
		}
	}
	for name, dst := range map[string]**bool{
		"ignore_unavailable": &p.IndicesOptions.IgnoreUnavailable,
		"allow_no_indices":   &p.IndicesOptions.AllowNoIndices,
		"ignore_throttled":   &p.IndicesOptions.IgnoreThrottled,
	} {
		if v, ok := p.Values[name]; ok {
			if *dst, err = parseBoolParam(name, v); err != nil {
				return p, err
			}
		}
	}
	p.Format = p.Values["format"]
	_, p.BodyInQuery = p.Values["source"]
	return p, nil
}

func parseExpandWildcards(v string) ([]string, error) {
	if v == "" {
		return nil, fmt.Errorf("%w: empty expand_wildcards", ErrBadParams)
	}
	parts := strings.Split(v, ",")
	for _, s := range parts {
		switch s {
		case "open", "closed", "hidden", "none", "all":
		default:
			return nil, fmt.Errorf("%w: expand_wildcards value %q", ErrBadParams, s)
		}
	}
	return parts, nil
}

// parseBoolParam reads a boolean the strict way current versions do; an
// empty value means the default, as in the cluster.
func parseBoolParam(name, v string) (*bool, error) {
	switch v {
	case "":
		return nil, nil
	case "true":
		t := true
		return &t, nil
	case "false":
		f := false
		return &f, nil
	}
	return nil, fmt.Errorf("%w: %s=%q is not a boolean", ErrBadParams, name, v)
}
