package esbody

import (
	"bytes"
	"fmt"
	"slices"
)

// MsearchItem is one header/body pair of a _msearch or _msearch/template
// body.
//
// Header and Body are the parsed lines; the other fields are a typed view of
// Header. EncodeMsearch writes Header and Body and checks that the typed
// view still matches Header; change targets with SetIndices, or edit Header
// and call Refresh.
type MsearchItem struct {
	// Line is the 1-based line of the header.
	Line int
	// BodyLine is the 1-based line of the body.
	BodyLine int
	// Header is the header object; empty (never nil) when the header line
	// was blank or {}.
	Header *Object
	// Body is the search (or search template) body.
	Body *Object

	// Indices are the targets named by "index" or "indices", split on commas
	// when given as a string. nil means the header names none and the URL's
	// indices apply (all indices when the URL has none). It is never an
	// empty non-nil slice: an empty list means "all indices" to the cluster
	// and is refused.
	Indices []string
	// ExpandWildcards is "expand_wildcards" split into its values (open,
	// closed, hidden, none, all); nil when absent.
	ExpandWildcards []string
	// IgnoreUnavailable, AllowNoIndices, IgnoreThrottled, RequestCache,
	// CCSMinimizeRoundtrips and AllowPartialSearchResults are the boolean
	// header options; nil when absent.
	IgnoreUnavailable         *bool
	AllowNoIndices            *bool
	IgnoreThrottled           *bool
	RequestCache              *bool
	CCSMinimizeRoundtrips     *bool
	AllowPartialSearchResults *bool
	// SearchType, Routing and Preference are the string header options; ""
	// when absent.
	SearchType string
	Routing    string
	Preference string
}

// msearchKey maps every header key Elasticsearch 8/9 accepts to its
// canonical snake_case name (the camelCase spellings are accepted too).
func msearchKey(name string) string {
	switch name {
	case "index", "indices":
		return "index"
	case "search_type", "searchType":
		return "search_type"
	case "ccs_minimize_roundtrips", "ccsMinimizeRoundtrips":
		return "ccs_minimize_roundtrips"
	case "request_cache", "requestCache":
		return "request_cache"
	case "expand_wildcards", "expandWildcards":
		return "expand_wildcards"
	case "ignore_unavailable", "ignoreUnavailable":
		return "ignore_unavailable"
	case "allow_no_indices", "allowNoIndices":
		return "allow_no_indices"
	case "ignore_throttled", "ignoreThrottled":
		return "ignore_throttled"
	case "preference", "routing", "allow_partial_search_results":
		return name
	}
	return ""
}

// ParseMsearch parses a _msearch or _msearch/template body as
// Elasticsearch's MultiSearchRequest.readMultiLineFormat would, or refuses
// it.
//
// Line rules mirrored from Elasticsearch 8/9:
//   - lines end at '\n' only and the body must end with '\n';
//   - lines come in pairs, header then body; an empty header line (zero
//     bytes) means "no header options", also in the middle of the body, so
//     it still takes its place in the pair (a parser that skips it shifts
//     every later header and body);
//   - a header line of only whitespace is also a header without options;
//   - header keys: index/indices (a comma-separated string or an array of
//     strings), search_type, preference, routing, request_cache,
//     ccs_minimize_roundtrips, allow_partial_search_results,
//     expand_wildcards, ignore_unavailable, allow_no_indices,
//     ignore_throttled, with camelCase aliases; any other key is an error.
//
// Refused where versions disagree or the cluster is lenient: an empty first
// line (Elasticsearch 7, and 8 with compatible-with=7, skip it; 8 treats it
// as an empty header); a header with no body line at the end of the body
// (silently dropped by the cluster); both spellings of one key in a header
// (the cluster reads the header into a HashMap, so which wins is unclear);
// "type"/"types" (7.x only); empty index lists and empty or
// comma-containing index names; non-object header or body lines; blank body
// lines; anything ParseJSON refuses.
func ParseMsearch(data []byte) ([]MsearchItem, error) {
	items, err := parseMsearch(data)
	if err != nil {
		return nil, err
	}
	return items, nil
}

func parseMsearch(data []byte) ([]MsearchItem, *Error) {
	lines, err := splitLines(data, "msearch")
	if err != nil {
		return nil, err
	}
	if len(lines) > 0 && len(lines[0].text) == 0 {
		e := newError(400, TypeIllegalArgument,
			"msearch body starts with an empty line: Elasticsearch 7 skips it while 8 reads it as an empty header, so it is refused")
		e.Line, e.Offset = 1, 0
		return nil, e
	}
	var items []MsearchItem
	p := &parser{cumulative: true} // every search is kept
	for i := 0; i < len(lines); i += 2 {
		h := lines[i]
		if i+1 >= len(lines) {
			e := newError(400, TypeIllegalArgument, fmt.Sprintf(
				"msearch header on line [%d] has no body line after it (the cluster would drop this search silently)", h.num))
			e.Line, e.Offset = h.num, int64(h.start)
			return nil, e
		}
		it := MsearchItem{Line: h.num, Header: &Object{}}
		if !isBlank(h.text) {
			o, err := parseLineObject(p, h)
			if err != nil {
				return nil, err
			}
			it.Header = o
		}
		if msg := it.readHeader(); msg != "" {
			e := newError(400, TypeIllegalArgument, fmt.Sprintf("line [%d]: %s", h.num, msg))
			e.Line, e.Offset = h.num, int64(h.start)
			return nil, e
		}
		b := lines[i+1]
		body, err := parseLineObject(p, b)
		if err != nil {
			return nil, err
		}
		it.Body, it.BodyLine = body, b.num
		items = append(items, it)
	}
	return items, nil
}

// readHeader fills the typed view from Header; it returns "" or the refusal.
func (it *MsearchItem) readHeader() string {
	*it = MsearchItem{Line: it.Line, BodyLine: it.BodyLine, Header: it.Header, Body: it.Body}
	seen := map[string]string{}
	for name, v := range it.Header.All() {
		key := msearchKey(name)
		if key == "" {
			return fmt.Sprintf("key [%s] is not supported in the metadata section", name)
		}
		if other, dup := seen[key]; dup {
			return fmt.Sprintf("header names both [%s] and [%s]; the cluster would pick one at random", other, name)
		}
		seen[key] = name
		bad := func() string {
			return fmt.Sprintf("unsupported value for [%s] in the metadata section: %s", name, jacksonToken(v))
		}
		switch key {
		case "index":
			names, ok := stringList(v)
			if !ok {
				return bad()
			}
			if s, isString := v.(String); isString {
				if names, ok = commaList(string(s)); !ok {
					return fmt.Sprintf("[%s] must name at least one index and no empty names, got [%s]", name, s)
				}
			}
			if len(names) == 0 {
				return fmt.Sprintf("[%s] is an empty list, which the cluster reads as all indices", name)
			}
			for _, n := range names {
				if _, ok := indexText(String(n)); !ok {
					return fmt.Sprintf("[%s] holds an empty index name or one with a comma: [%s]", name, n)
				}
			}
			it.Indices = names
		case "expand_wildcards":
			vals, ok := stringList(v)
			if !ok {
				return bad()
			}
			if s, isString := v.(String); isString {
				if vals, ok = commaList(string(s)); !ok {
					return fmt.Sprintf("No valid expand wildcard value [%s]", s)
				}
			}
			for _, w := range vals {
				switch w {
				case "open", "closed", "hidden", "none", "all":
				default:
					return fmt.Sprintf("No valid expand wildcard value [%s]", w)
				}
			}
			if vals == nil {
				vals = []string{}
			}
			it.ExpandWildcards = vals
		case "search_type", "preference", "routing":
			s, ok := v.(String)
			if !ok {
				return bad()
			}
			switch key {
			case "search_type":
				it.SearchType = string(s)
			case "preference":
				it.Preference = string(s)
			default:
				it.Routing = string(s)
			}
		default:
			b, ok := boolText(v)
			if !ok {
				return bad()
			}
			switch key {
			case "ignore_unavailable":
				it.IgnoreUnavailable = &b
			case "allow_no_indices":
				it.AllowNoIndices = &b
			case "ignore_throttled":
				it.IgnoreThrottled = &b
			case "request_cache":
				it.RequestCache = &b
			case "ccs_minimize_roundtrips":
				it.CCSMinimizeRoundtrips = &b
			case "allow_partial_search_results":
				it.AllowPartialSearchResults = &b
			}
		}
	}
	return ""
}

// SetIndices retargets the search: it writes "index" as an array in Header
// (removing an "indices" spelling) or, for nil, removes both so the URL's
// indices apply. An empty non-nil list is refused, as in ParseMsearch.
func (it *MsearchItem) SetIndices(names []string) error {
	if names != nil {
		if len(names) == 0 {
			return fmt.Errorf("esbody: an empty index list means all indices to the cluster")
		}
		for _, n := range names {
			if _, ok := indexText(String(n)); !ok {
				return fmt.Errorf("esbody: invalid index name %q", n)
			}
		}
	}
	if it.Header == nil {
		it.Header = &Object{}
	}
	it.Header.Delete("indices")
	if names == nil {
		it.Header.Delete("index")
	} else {
		arr := make(Array, len(names))
		for i, n := range names {
			arr[i] = String(n)
		}
		it.Header.Set("index", arr)
	}
	it.Indices = slices.Clone(names)
	return nil
}

// Refresh recomputes the typed fields after Header was edited by hand, and
// fails if Header is no longer a valid header.
func (it *MsearchItem) Refresh() error {
	if it.Header == nil {
		it.Header = &Object{}
	}
	if msg := it.readHeader(); msg != "" {
		return newError(400, TypeIllegalArgument, msg)
	}
	return nil
}

// EncodeMsearch serializes items as a _msearch (or _msearch/template) body:
// header line and body line per item, each ended by '\n'. An empty header is
// written as {} rather than a blank line, which every version reads the same
// way. The output parses back with ParseMsearch to the same items.
//
// It fails if an item's typed fields disagree with its Header, if a Body is
// missing, or if Encode fails.
func EncodeMsearch(items []MsearchItem) ([]byte, error) {
	var buf bytes.Buffer
	for i := range items {
		it := &items[i]
		header := it.Header
		if header == nil {
			header = &Object{}
		}
		check := MsearchItem{Header: header}
		if msg := check.readHeader(); msg != "" {
			return nil, fmt.Errorf("esbody: msearch item %d: %s", i, msg)
		}
		if !sameHeaderView(&check, it) {
			return nil, fmt.Errorf("esbody: msearch item %d: typed fields disagree with Header; use SetIndices or Refresh", i)
		}
		if it.Body == nil {
			return nil, fmt.Errorf("esbody: msearch item %d has no body", i)
		}
		for _, v := range []*Object{header, it.Body} {
			line, err := Encode(v)
			if err != nil {
				return nil, fmt.Errorf("esbody: msearch item %d: %w", i, err)
			}
			buf.Write(line)
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes(), nil
}

func sameHeaderView(a, b *MsearchItem) bool {
	eqBool := func(x, y *bool) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return slices.Equal(a.Indices, b.Indices) && (a.Indices == nil) == (b.Indices == nil) &&
		slices.Equal(a.ExpandWildcards, b.ExpandWildcards) && (a.ExpandWildcards == nil) == (b.ExpandWildcards == nil) &&
		eqBool(a.IgnoreUnavailable, b.IgnoreUnavailable) && eqBool(a.AllowNoIndices, b.AllowNoIndices) &&
		eqBool(a.IgnoreThrottled, b.IgnoreThrottled) && eqBool(a.RequestCache, b.RequestCache) &&
		eqBool(a.CCSMinimizeRoundtrips, b.CCSMinimizeRoundtrips) &&
		eqBool(a.AllowPartialSearchResults, b.AllowPartialSearchResults) &&
		a.SearchType == b.SearchType && a.Routing == b.Routing && a.Preference == b.Preference
}
