package esapi

import (
	"fmt"
	"strings"
	"unicode"
)

// IndexExpression is one element of a comma-separated index expression,
// with the parts that change what it resolves to made explicit. The
// resolver, not this package, turns it into concrete names.
type IndexExpression struct {
	// Raw is the element as the cluster receives it (decoded), e.g.
	// "-logs-old*", "remote:logs-*", "logs::failures", "<logs-{now/d}>".
	Raw string
	// Name is Raw without the exclusion prefix, the remote cluster prefix
	// and the selector suffix.
	Name string
	// Exclude is true for "-name" after an earlier wildcard element: the
	// cluster removes its matches from the expansion so far.
	Exclude bool
	// Remote is the cluster alias of "alias:name" (may contain wildcards);
	// empty for a local expression. Remote expressions are resolved and
	// authorized on the remote cluster: never treat them as local names.
	Remote string
	// Selector is the "::data" / "::failures" (or "::*") suffix of data
	// stream selectors; empty when absent.
	Selector string
	// DateMath is true for "<static{date-math}>" names; Name keeps the
	// expression, to be resolved against the clock like the cluster does.
	DateMath bool
	// Wildcard is true when Name contains '*'.
	Wildcard bool
	// All is true for "_all", which names every index.
	All bool
}

// invalidNameChars are the characters Elasticsearch forbids in index,
// alias and data stream names (Strings.INVALID_FILENAME_CHARS plus ':',
// which newer versions reserve for the remote cluster separator). '*' is
// left out: it is a wildcard in expressions.
const invalidNameChars = "\\/?\"<>| ,#:"

// SplitIndexList splits a decoded index parameter at commas as the cluster
// does, refusing empty elements: the cluster's split drops a trailing empty
// element and keeps inner ones, and neither is worth an argument.
func SplitIndexList(v string) ([]string, error) {
	if v == "" {
		return nil, fmt.Errorf("%w: empty index list", ErrBadIndex)
	}
	parts := strings.Split(v, ",")
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("%w: empty element in %q", ErrBadIndex, v)
		}
	}
	return parts, nil
}

// ParseIndexList splits and parses a decoded index expression list. An
// element "-x" is an exclusion only after an earlier wildcard element,
// exactly as the cluster's resolver reads it; otherwise it is a (never
// valid) name and the list is refused.
func ParseIndexList(v string) ([]string, []IndexExpression, error) {
	parts, err := SplitIndexList(v)
	if err != nil {
		return nil, nil, err
	}
	exprs := make([]IndexExpression, 0, len(parts))
	wildcardSeen := false
	for _, p := range parts {
		e, err := parseIndexExpression(p, wildcardSeen)
		if err != nil {
			return nil, nil, err
		}
		if e.All && len(parts) > 1 {
			// "_all" is "every index" only alone; in a list the cluster
			// treats it as a (missing) name. Refuse the ambiguity.
			return nil, nil, fmt.Errorf("%w: _all inside a list", ErrBadIndex)
		}
		if e.Wildcard || e.DateMath && strings.Contains(e.Name, "*") {
			wildcardSeen = true
		}
		exprs = append(exprs, e)
	}
	return parts, exprs, nil
}

// ParseIndexExpression parses one element of an index expression list as a
// first element (so a leading '-' is not an exclusion).
func ParseIndexExpression(s string) (IndexExpression, error) {
	return parseIndexExpression(s, false)
}

func parseIndexExpression(s string, wildcardSeen bool) (IndexExpression, error) {
	e := IndexExpression{Raw: s}
	rest := s
	if strings.HasPrefix(rest, "-") {
		if !wildcardSeen {
			return e, fmt.Errorf("%w: %q starts with '-' without an earlier wildcard", ErrBadIndex, s)
		}
		e.Exclude = true
		rest = rest[1:]
	}
	if strings.HasPrefix(rest, "+") {
		// The "+name" inclusion prefix is gone from current versions; old
		// ones still honour it.
		return e, fmt.Errorf("%w: %q: '+' prefix", ErrBadIndex, s)
	}
	// Selector suffix ("logs::failures"), never inside date math braces.
	if i := strings.LastIndex(rest, "::"); i >= 0 && !strings.ContainsAny(rest[i:], "{}>") {
		e.Selector = rest[i+2:]
		rest = rest[:i]
		switch e.Selector {
		case "data", "failures", "*":
		default:
			return e, fmt.Errorf("%w: %q: unknown selector", ErrBadIndex, s)
		}
	}
	// Remote prefix: the text before the first ':' unless that text is part
	// of a date-math expression (time zones contain ':').
	if i := strings.IndexByte(rest, ':'); i >= 0 && !strings.ContainsAny(rest[:i], "<{") {
		e.Remote = rest[:i]
		rest = rest[i+1:]
		if err := validateName(e.Remote, true); err != nil {
			return e, fmt.Errorf("%w: remote cluster of %q: %v", ErrBadIndex, s, err)
		}
		if strings.HasPrefix(rest, "-") {
			return e, fmt.Errorf("%w: %q: exclusion inside a remote expression", ErrBadIndex, s)
		}
	}
	e.Name = rest
	if rest == "" {
		return e, fmt.Errorf("%w: %q: empty name", ErrBadIndex, s)
	}
	if strings.HasPrefix(rest, "<") {
		if err := validateDateMath(rest); err != nil {
			return e, fmt.Errorf("%w: %q: %v", ErrBadIndex, s, err)
		}
		e.DateMath = true
		return e, nil
	}
	if rest == "_all" {
		if e.Exclude || e.Selector != "" {
			return e, fmt.Errorf("%w: %q", ErrBadIndex, s)
		}
		e.All = true
		return e, nil
	}
	if err := validateName(rest, true); err != nil {
		return e, fmt.Errorf("%w: %q: %v", ErrBadIndex, s, err)
	}
	e.Wildcard = strings.Contains(rest, "*")
	return e, nil
}

// validateName applies Elasticsearch's index/alias/data stream name rules
// to a name or wildcard pattern. Names the cluster would reject are refused
// here, so no decision depends on how the cluster reports them.
func validateName(n string, allowWildcard bool) error {
	if n == "" {
		return fmt.Errorf("empty name")
	}
	if len(n) > 255 {
		return fmt.Errorf("name longer than 255 bytes")
	}
	if n == "." || n == ".." {
		return fmt.Errorf("name is a dot segment")
	}
	switch n[0] {
	case '_':
		// Names starting with '_' are API names: "/_SEARCH" is not a
		// search, it is an index the cluster refuses.
		return fmt.Errorf("name starts with '_'")
	case '-', '+':
		return fmt.Errorf("name starts with %q", n[0])
	}
	if i := strings.IndexAny(n, invalidNameChars); i >= 0 {
		return fmt.Errorf("invalid character %q", n[i])
	}
	if !allowWildcard && strings.Contains(n, "*") {
		return fmt.Errorf("wildcard not allowed")
	}
	for _, r := range n {
		if unicode.IsUpper(r) {
			return fmt.Errorf("name must be lowercase")
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("whitespace or control character")
		}
	}
	return nil
}

// validateDateMath checks the outer shape of "<static{math{format|tz}}>".
// The braces must balance and '/' (rounding) may only appear inside them;
// the resolver evaluates the expression itself.
func validateDateMath(s string) error {
	if len(s) < 3 || s[0] != '<' || s[len(s)-1] != '>' {
		return fmt.Errorf("unterminated date math")
	}
	inner := s[1 : len(s)-1]
	if strings.ContainsAny(inner[:1], "_-+") {
		return fmt.Errorf("date math name starts with %q", inner[0])
	}
	depth := 0
	sawBrace := false
	for _, r := range inner {
		switch {
		case r == '{':
			depth++
			sawBrace = true
		case r == '}':
			depth--
			if depth < 0 {
				return fmt.Errorf("unbalanced braces in date math")
			}
		case r == '<' || r == '>' || r == ',' || r == '"' || r == '#' || r == '?' || unicode.IsControl(r):
			return fmt.Errorf("invalid character %q in date math", r)
		case depth == 0 && (r == '/' || r == '\\' || r == ':' || r == '|' || unicode.IsSpace(r) || unicode.IsUpper(r)):
			return fmt.Errorf("invalid character %q in date math name", r)
		}
	}
	if depth != 0 {
		return fmt.Errorf("unbalanced braces in date math")
	}
	if !sawBrace {
		// "<name>" with no math is just "name" to the cluster (corpus
		// AUTHZ-009): keep it as date math so the resolver strips the
		// brackets, but it must still be a valid name.
		return validateName(inner, false)
	}
	return nil
}
