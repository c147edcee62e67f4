package authn

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// Role-mapping rules test the dn and groups fields as Elasticsearch's
// UserRoleMapper.DistinguishedNamePredicate does, not as plain strings: an
// exact value matches case-insensitively (Java's equalsIgnoreCase) or as
// an equal DN ("CN=Alice, OU=Eng" is "cn=alice,ou=eng"); a pattern matches
// the value as written, its normalized DN, or its lower- or upper-case
// form, and "*,<dn>" (no other wildcard) matches every DN below <dn>. A
// rule compared as plain text instead matched less than Elasticsearch: an
// except rule then failed to exclude the users it names.

// dnSubject is one value of a user's dn or groups field, parsed once.
type dnSubject struct {
	raw, lower, upper string
	// dn is the parsed DN; nil when raw is not one (a plain group name).
	dn *distinguishedName
}

func newDNSubject(s string) dnSubject {
	d := dnSubject{raw: s, lower: javaLower(s), upper: javaUpper(s)}
	if dn, err := parseDN(s); err == nil {
		d.dn = dn
	}
	return d
}

// matches is DistinguishedNamePredicate.test for one value of a rule.
func (d dnSubject) matches(fv fieldValue) bool {
	switch fv.kind {
	case 'p':
		if fv.re.MatchString(d.raw) ||
			d.dn != nil && fv.re.MatchString(d.dn.normalized()) ||
			fv.re.MatchString(d.lower) || fv.re.MatchString(d.upper) {
			return true
		}
		if d.dn == nil {
			return false
		}
		// "*,dc=example,dc=com" is a sub-tree match when the rest has no
		// wildcard.
		if suffix, ok := strings.CutPrefix(fv.str, "*,"); ok && !strings.Contains(suffix, "*") {
			if parent, err := parseDN(suffix); err == nil && d.dn.descendantOf(parent) {
				return true
			}
		}
		return false
	case 's':
		if javaEqualFold(fv.str, d.raw) {
			return true
		}
		if d.dn == nil {
			return false
		}
		if other, err := parseDN(fv.str); err == nil {
			return other.normalized() == d.dn.normalized()
		}
		return javaEqualFold(fv.str, d.dn.normalized())
	}
	return false // numbers, booleans and null never match a DN predicate
}

// javaEqualFold is Java's String.equalsIgnoreCase: each pair of characters
// equal, or equal upper-cased, or equal lower-cased after upper-casing.
func javaEqualFold(a, b string) bool {
	for a != "" && b != "" {
		c1, n1 := utf8.DecodeRuneInString(a)
		c2, n2 := utf8.DecodeRuneInString(b)
		a, b = a[n1:], b[n2:]
		if c1 == c2 {
			continue
		}
		u1, u2 := unicode.ToUpper(c1), unicode.ToUpper(c2)
		if u1 != u2 && unicode.ToLower(u1) != unicode.ToLower(u2) {
			return false
		}
	}
	return a == "" && b == ""
}

// javaLower and javaUpper are Java's toLowerCase/toUpperCase(Locale.ROOT):
// full case mappings ("ß" upper-cases to "SS"); ASCII needs no tables.
func javaLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return cases.Lower(language.Und).String(s)
}

func javaUpper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	return cases.Upper(language.Und).String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// distinguishedName is a DN parsed as the UnboundID LDAP SDK (which
// Elasticsearch uses) parses one without a schema: RDNs most specific
// first, each a sorted set of attribute-value pairs.
type distinguishedName struct {
	rdns []string // each RDN's normalized form
	norm string
}

// normalized is UnboundID's DN.toNormalizedString: attribute names
// lower-cased, values lower-cased with their outer spaces trimmed and inner
// runs of spaces collapsed (caseIgnoreMatch), special characters escaped,
// the pairs of a multi-valued RDN sorted, RDNs joined by ",".
func (d *distinguishedName) normalized() string { return d.norm }

// descendantOf is UnboundID's DN.isDescendantOf(parent, false): d is below
// parent (strictly) when parent's RDNs are d's last ones.
func (d *distinguishedName) descendantOf(parent *distinguishedName) bool {
	n := len(parent.rdns)
	return len(d.rdns) > n && slices.Equal(d.rdns[len(d.rdns)-n:], parent.rdns)
}

var errNotDN = errors.New("not a distinguished name")

// parseDN parses an LDAP DN string (RFC 4514, with the RFC 1779 forms
// UnboundID also accepts: ';' between RDNs, spaces around separators,
// quoted values). The empty string is the root DN (no RDNs).
func parseDN(s string) (*distinguishedName, error) {
	p := dnParser{s: s}
	d := &distinguishedName{}
	p.skipSpaces()
	if p.done() {
		return d, nil
	}
	for {
		rdn, err := p.rdn()
		if err != nil {
			return nil, err
		}
		d.rdns = append(d.rdns, rdn)
		p.skipSpaces()
		if p.done() {
			break
		}
		if c := p.s[p.i]; c != ',' && c != ';' {
			return nil, errNotDN
		}
		p.i++
		p.skipSpaces()
		if p.done() {
			return nil, errNotDN
		}
	}
	d.norm = strings.Join(d.rdns, ",")
	return d, nil
}

type dnParser struct {
	s string
	i int
}

func (p *dnParser) done() bool { return p.i >= len(p.s) }

func (p *dnParser) skipSpaces() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// rdn parses one RDN and returns its normalized form.
func (p *dnParser) rdn() (string, error) {
	var pairs []string
	for {
		name, err := p.attributeName()
		if err != nil {
			return "", err
		}
		value, err := p.value()
		if err != nil {
			return "", err
		}
		pairs = append(pairs, name+"="+escapeNormalizedValue(normalizeCaseIgnore(value)))
		p.skipSpaces()
		if p.done() || p.s[p.i] != '+' {
			break
		}
		p.i++
		p.skipSpaces()
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "+"), nil
}

// attributeName reads a name (a keyword or an OID) and the "=" after it.
func (p *dnParser) attributeName() (string, error) {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '=' || c == ' ' {
			break
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "", errNotDN
		}
		p.i++
	}
	name := p.s[start:p.i]
	p.skipSpaces()
	if name == "" || p.done() || p.s[p.i] != '=' {
		return "", errNotDN
	}
	p.i++
	p.skipSpaces()
	return strings.ToLower(name), nil
}

// value reads an attribute value up to the next unescaped separator. Hex
// (#...) values are not supported: such a DN does not parse, and is then
// compared as text only.
func (p *dnParser) value() (string, error) {
	if p.done() {
		return "", nil
	}
	switch p.s[p.i] {
	case '#':
		return "", errNotDN
	case '"':
		return p.quoted()
	}
	var b []byte
	trailing := 0 // unescaped spaces at the end of b, dropped
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case ',', ';', '+':
			return string(b[:len(b)-trailing]), nil
		case '\\':
			e, err := p.escape()
			if err != nil {
				return "", err
			}
			b, trailing = append(b, e...), 0
			continue
		case ' ':
			trailing++
		default:
			trailing = 0
		}
		b = append(b, c)
		p.i++
	}
	return string(b[:len(b)-trailing]), nil
}

// quoted reads a "quoted value" (backslash escapes allowed inside).
func (p *dnParser) quoted() (string, error) {
	p.i++ // opening quote
	var b []byte
	for p.i < len(p.s) {
		switch c := p.s[p.i]; c {
		case '"':
			p.i++
			return string(b), nil
		case '\\':
			e, err := p.escape()
			if err != nil {
				return "", err
			}
			b = append(b, e...)
		default:
			b = append(b, c)
			p.i++
		}
	}
	return "", errNotDN
}

// escape reads "\c" (a special character) or "\hh" (one byte in hex).
func (p *dnParser) escape() ([]byte, error) {
	p.i++ // backslash
	if p.done() {
		return nil, errNotDN
	}
	if p.i+1 < len(p.s) && isHex(p.s[p.i]) && isHex(p.s[p.i+1]) {
		n, _ := strconv.ParseUint(p.s[p.i:p.i+2], 16, 8)
		p.i += 2
		return []byte{byte(n)}, nil
	}
	c := p.s[p.i]
	p.i++
	return []byte{c}, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// normalizeCaseIgnore is caseIgnoreMatch's normalization: lower case,
// outer spaces trimmed, inner runs of spaces collapsed to one.
func normalizeCaseIgnore(v string) string {
	v = strings.Trim(javaLower(v), " ")
	for strings.Contains(v, "  ") {
		v = strings.ReplaceAll(v, "  ", " ")
	}
	return v
}

// escapeNormalizedValue escapes a normalized value as UnboundID's
// normalized strings do: the special characters with a backslash, a
// leading '#' and outer spaces too, other characters than printable ASCII
// as the hex of their UTF-8 bytes.
func escapeNormalizedValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case strings.IndexByte(`\="+,;<>`, c) >= 0,
			c == '#' && i == 0,
			c == ' ' && (i == 0 || i == len(v)-1):
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= ' ' && c <= '~':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\%02x`, c)
		}
	}
	return b.String()
}
