package authn

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// rule is a role-mapping rule expression (Elasticsearch's RoleMapperExpression).
type rule interface {
	match(u *userModel) bool
}

type anyRule []rule
type allRule []rule
type exceptRule struct{ r rule }
type fieldRule struct {
	field  string
	values []fieldValue
}

func (r anyRule) match(u *userModel) bool {
	for _, s := range r {
		if s.match(u) {
			return true
		}
	}
	return false
}

func (r allRule) match(u *userModel) bool {
	for _, s := range r {
		if !s.match(u) {
			return false
		}
	}
	return true
}

func (r exceptRule) match(u *userModel) bool { return !r.r.match(u) }

// match: the user's value (or, for a multi-valued field, any of its values)
// matches any of the rule's values. As in Elasticsearch's ExpressionModel,
// an empty list matches nothing, not even null, and the dn and groups
// fields are tested as distinguished names (rolemapping_dn.go).
func (r fieldRule) match(u *userModel) bool {
	switch r.field {
	case "dn":
		if u.dn == "" {
			return r.matchOne(nil)
		}
		return r.matchDN(u.dnSubject())
	case "groups":
		for _, g := range u.groupSubjects() {
			if r.matchDN(g) {
				return true
			}
		}
		return false
	}
	v := u.field(r.field)
	if list, ok := v.([]any); ok {
		for _, e := range list {
			if r.matchOne(e) {
				return true
			}
		}
		return false
	}
	if list, ok := v.([]string); ok {
		for _, e := range list {
			if r.matchOne(e) {
				return true
			}
		}
		return false
	}
	return r.matchOne(v)
}

// matchDN tests one dn or group against the rule's values.
func (r fieldRule) matchDN(d dnSubject) bool {
	for _, fv := range r.values {
		if d.matches(fv) {
			return true
		}
	}
	return false
}

func (r fieldRule) matchOne(v any) bool {
	for _, fv := range r.values {
		if fv.match(v) {
			return true
		}
	}
	return false
}

// fieldValue is one value of a field rule.
type fieldValue struct {
	kind    byte // 's' exact string, 'p' pattern (wildcard or regexp), 'n' number, 'b' bool, 0 null
	str     string
	re      *regexp.Regexp
	num     *big.Rat
	boolean bool
}

func (fv fieldValue) match(v any) bool {
	switch fv.kind {
	case 0:
		return v == nil
	case 's':
		s, ok := v.(string)
		return ok && s == fv.str
	case 'p':
		s, ok := v.(string)
		return ok && fv.re.MatchString(s)
	case 'b':
		b, ok := v.(bool)
		return ok && b == fv.boolean
	case 'n':
		n := toRat(v)
		return n != nil && n.Cmp(fv.num) == 0
	}
	return false
}

func toRat(v any) *big.Rat {
	switch t := v.(type) {
	case int:
		return new(big.Rat).SetInt64(int64(t))
	case int64:
		return new(big.Rat).SetInt64(t)
	case int32:
		return new(big.Rat).SetInt64(int64(t))
	case uint64:
		return new(big.Rat).SetUint64(t)
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil
		}
		return new(big.Rat).SetFloat64(t)
	case float32:
		return toRat(float64(t))
	case interface{ String() string }: // json.Number
		if r, ok := new(big.Rat).SetString(t.String()); ok {
			return r
		}
	}
	return nil
}

type ruleError struct {
	line int
	msg  string
}

func ruleErrf(n *yaml.Node, format string, args ...any) *ruleError {
	return &ruleError{line: n.Line, msg: fmt.Sprintf(format, args...)}
}

// parseRule parses a rule object. except is only valid directly inside all
// (as in Elasticsearch).
func parseRule(n *yaml.Node, inAll bool) (rule, *ruleError) {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return nil, ruleErrf(n, "a rule must be an object with exactly one of any, all, field, except")
	}
	k, v := n.Content[0], resolveAlias(n.Content[1])
	switch k.Value {
	case "any", "all":
		if v.Kind != yaml.SequenceNode {
			return nil, ruleErrf(v, "%s must be a list of rules", k.Value)
		}
		var subs []rule
		for _, c := range v.Content {
			r, err := parseRule(c, k.Value == "all")
			if err != nil {
				return nil, err
			}
			subs = append(subs, r)
		}
		if k.Value == "any" {
			return anyRule(subs), nil
		}
		return allRule(subs), nil
	case "except":
		if !inAll {
			return nil, ruleErrf(k, "except is only allowed inside all")
		}
		r, err := parseRule(v, false)
		if err != nil {
			return nil, err
		}
		return exceptRule{r}, nil
	case "field":
		if v.Kind != yaml.MappingNode || len(v.Content) != 2 {
			return nil, ruleErrf(v, "field must be an object with exactly one field name")
		}
		name, val := v.Content[0].Value, resolveAlias(v.Content[1])
		if !knownRuleField(name) {
			return nil, ruleErrf(v.Content[0], "unknown field %q (expected username, dn, groups, realm.name or metadata.<key>)", name)
		}
		fr := fieldRule{field: name}
		vals := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			vals = val.Content
		}
		for _, e := range vals {
			fv, err := parseFieldValue(resolveAlias(e))
			if err != nil {
				return nil, err
			}
			fr.values = append(fr.values, fv)
		}
		return fr, nil
	}
	return nil, ruleErrf(k, "unknown rule type %q (expected any, all, field, except)", k.Value)
}

func knownRuleField(name string) bool {
	switch name {
	case "username", "dn", "groups", "realm.name":
		return true
	}
	return strings.HasPrefix(name, "metadata.") && len(name) > len("metadata.")
}

func parseFieldValue(n *yaml.Node) (fieldValue, *ruleError) {
	if n.Kind != yaml.ScalarNode {
		return fieldValue{}, ruleErrf(n, "field values must be strings, numbers, booleans, null or a list of them")
	}
	switch n.Tag {
	case "!!null":
		return fieldValue{}, nil
	case "!!bool":
		return fieldValue{kind: 'b', boolean: n.Value == "true"}, nil
	case "!!int", "!!float":
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return fieldValue{kind: 'n', num: new(big.Rat).SetInt64(i)}, nil
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return fieldValue{}, ruleErrf(n, "unsupported number %q", n.Value)
		}
		return fieldValue{kind: 'n', num: r}, nil
	}
	s := n.Value
	if len(s) >= 2 && s[0] == '/' && s[len(s)-1] == '/' {
		expr, err := luceneRegexpToGo(s[1 : len(s)-1])
		if err != nil {
			return fieldValue{}, ruleErrf(n, "regular expression %s: %v", s, err)
		}
		re, cerr := regexp.Compile(expr)
		if cerr != nil {
			return fieldValue{}, ruleErrf(n, "regular expression %s: %v", s, cerr)
		}
		return fieldValue{kind: 'p', str: s, re: re}, nil
	}
	// As Elasticsearch's FieldValue: a value is a wildcard pattern only
	// when it has a '*' (Regex.isSimpleMatchPattern); "alic?" is a plain
	// value, and '?' is a wildcard only in a pattern.
	if strings.Contains(s, "*") {
		if strings.HasPrefix(s, "/") {
			// Elasticsearch refuses it (Automatons.pattern): a pattern
			// starting with '/' is a regular expression and must end with one.
			return fieldValue{}, ruleErrf(n, "pattern %q starts with '/' but does not end with '/' (a regular expression must)", s)
		}
		re := regexp.MustCompile(wildcardToGo(s))
		return fieldValue{kind: 'p', str: s, re: re}, nil
	}
	return fieldValue{kind: 's', str: s}, nil
}

// wildcardToGo translates a Lucene wildcard (* any string, ? one character,
// \ escapes the next character) into an anchored Go regexp.
func wildcardToGo(s string) string {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteString(regexp.QuoteMeta(s[i : i+1]))
			} else {
				b.WriteString(`\\`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(s[i : i+1]))
		}
	}
	b.WriteString(`)$`)
	return b.String()
}

// luceneRegexpToGo translates the common subset of Lucene's RegExp syntax
// (what Elasticsearch role-mapping rules use between slashes; the whole
// value must match) into an anchored Go regexp:
//
//	supported: literals, . (any char), * + ? {n} {n,} {n,m}, | ( ),
//	           [abc] [a-z] [^...], \c (literal c), "quoted literal",
//	           @ (any string)
//	refused:   ~ (complement), & (intersection), <n-m> (numeric interval),
//	           # (empty language)
//
// Refused operators make the rule invalid at load time rather than
// silently matching differently from Elasticsearch.
func luceneRegexpToGo(s string) (string, error) {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case '~', '&', '<', '#':
			return "", fmt.Errorf("operator %q is not supported (only the common Lucene subset is)", c)
		case '@':
			b.WriteString(`.*`)
		case '.', '*', '+', '?', '|', '(', ')':
			b.WriteRune(c)
		case '{':
			j := i + 1
			for j < len(rs) && rs[j] != '}' {
				j++
			}
			if j >= len(rs) {
				return "", fmt.Errorf("unterminated {")
			}
			inner := string(rs[i+1 : j])
			if !regexp.MustCompile(`^\d+(,\d*)?$`).MatchString(inner) {
				return "", fmt.Errorf("invalid repeat {%s}", inner)
			}
			b.WriteString("{" + inner + "}")
			i = j
		case '\\':
			if i+1 >= len(rs) {
				return "", fmt.Errorf("trailing backslash")
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			if j >= len(rs) {
				return "", fmt.Errorf("unterminated \"")
			}
			b.WriteString(`(?:` + regexp.QuoteMeta(string(rs[i+1:j])) + `)`)
			i = j
		case '[':
			j := i + 1
			b.WriteByte('[')
			if j < len(rs) && rs[j] == '^' {
				b.WriteByte('^')
				j++
			}
			n := 0
			for ; j < len(rs) && rs[j] != ']'; j++ {
				switch rs[j] {
				case '\\':
					if j+1 >= len(rs) {
						return "", fmt.Errorf("trailing backslash")
					}
					j++
					b.WriteString(classLiteral(rs[j]))
				case '-':
					if n == 0 || j+1 >= len(rs) || rs[j+1] == ']' {
						b.WriteString(`\-`)
					} else {
						b.WriteByte('-')
					}
				default:
					b.WriteString(classLiteral(rs[j]))
				}
				n++
			}
			if j >= len(rs) {
				return "", fmt.Errorf("unterminated [")
			}
			if n == 0 {
				return "", fmt.Errorf("empty character class")
			}
			b.WriteByte(']')
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)$`)
	return b.String(), nil
}

// classLiteral writes r for use inside a Go character class: ASCII
// punctuation is backslash-escaped (always valid in RE2), the rest as is.
func classLiteral(r rune) string {
	if r < 0x80 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r) {
		return `\` + string(r)
	}
	return string(r)
}
