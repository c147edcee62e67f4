package authn

import (
	"cmp"
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

// distinguishedName is a DN parsed as the UnboundID LDAP SDK 6.0.3 (which
// Elasticsearch uses) parses one without a schema: RDNs most specific
// first, each kept as its normalized string (UnboundID compares RDNs and
// DNs by their normalized strings).
type distinguishedName struct {
	rdns []string // each RDN's normalized form
	norm string
}

// normalized is UnboundID's DN.toNormalizedString: attribute names
// lower-cased, values normalized by caseIgnoreMatch (see
// normalizeDNValue) and escaped, the distinct pairs of a multi-valued RDN
// sorted, RDNs joined by ",".
func (d *distinguishedName) normalized() string { return d.norm }

// descendantOf is UnboundID's DN.isDescendantOf(parent, false): d is below
// parent (strictly) when parent's RDNs are d's last ones.
func (d *distinguishedName) descendantOf(parent *distinguishedName) bool {
	n := len(parent.rdns)
	return len(d.rdns) > n && slices.Equal(d.rdns[len(d.rdns)-n:], parent.rdns)
}

var errNotDN = errors.New("not a distinguished name")

// parseDN parses a DN string as UnboundID's DN(String) constructor does
// (no schema, lenient attribute names): RDNs separated by ',' or ';',
// pairs of a multi-valued RDN by '+', spaces allowed around separators and
// '=', values plain (with \c and \hh escapes), quoted, or '#' and the hex
// of a BER element. The empty string (or only spaces) is the root DN. Every
// string UnboundID refuses is refused, and every string it accepts gets
// its normalized form: a DN that does not parse here is compared as text
// only, so a difference either way makes a rule match other users than
// Elasticsearch's.
func parseDN(s string) (*distinguishedName, error) {
	p := dnParser{s: javaString(s)}
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
		if p.done() {
			break
		}
		p.i++ // ',' or ';' (rdn stops only there or at the end)
		p.skipSpaces()
		if p.done() {
			return nil, errNotDN // a DN ending with a separator
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

// dnPair is one attribute of an RDN: its lower-cased name and its value
// normalized (not yet escaped).
type dnPair struct{ name, value string }

// rdn parses one RDN, up to the ',' or ';' after it or the end, and
// returns its normalized form.
func (p *dnParser) rdn() (string, error) {
	var pairs []dnPair
	for {
		name, err := p.attributeName()
		if err != nil {
			return "", err
		}
		value, err := p.value()
		if err != nil {
			return "", err
		}
		pairs = append(pairs, dnPair{name: name, value: normalizeDNValue(value)})
		p.skipSpaces()
		if p.done() {
			break
		}
		c := p.s[p.i]
		if c == ',' || c == ';' {
			break
		}
		if c != '+' {
			return "", errNotDN
		}
		p.i++
		p.skipSpaces()
		if p.done() {
			return "", errNotDN // a DN ending with '+'
		}
	}
	if len(pairs) == 1 {
		return pairs[0].name + "=" + escapeNormalizedValue(pairs[0].value), nil
	}
	// A multi-valued RDN is a sorted set: by name (Java's String order),
	// then by normalized value (unsigned bytes); equal pairs count once.
	slices.SortStableFunc(pairs, compareDNPairs)
	pairs = slices.CompactFunc(pairs, func(a, b dnPair) bool { return compareDNPairs(a, b) == 0 })
	var b strings.Builder
	for i, pr := range pairs {
		if i > 0 {
			b.WriteByte('+')
		}
		b.WriteString(pr.name)
		b.WriteByte('=')
		b.WriteString(escapeNormalizedValue(pr.value))
	}
	return b.String(), nil
}

func compareDNPairs(a, b dnPair) int {
	if c := compareUTF16(a.name, b.name); c != 0 {
		return c
	}
	return strings.Compare(a.value, b.value)
}

// compareUTF16 is Java's String.compareTo: the order of UTF-16 code
// units, which differs from the order of UTF-8 bytes only between
// supplementary characters and U+E000..U+FFFF.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		r1, n1 := utf8.DecodeRuneInString(a)
		r2, n2 := utf8.DecodeRuneInString(b)
		a, b = a[n1:], b[n2:]
		if r1 == r2 {
			continue
		}
		u1, u2 := utf16Lead(r1), utf16Lead(r2)
		if u1 != u2 {
			return cmp.Compare(u1, u2)
		}
		return cmp.Compare(r1, r2) // same lead surrogate: the trail decides, in code point order
	}
	return cmp.Compare(len(a), len(b))
}

func utf16Lead(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}

// attributeName reads an attribute name and the "=" after it. UnboundID
// (without strict name checking) takes every character up to a space or
// '=' as the name, refusing only ',' and ';'; the name is lower-cased as
// Java's toLowerCase(Locale.ROOT).
func (p *dnParser) attributeName() (string, error) {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '=' || c == ' ' {
			break
		}
		if c == ',' || c == ';' {
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
	return javaLower(javaString(name)), nil
}

// value reads an attribute value: empty at the end, '#' and the hex of a
// BER element (the element's value bytes), or a string (readString).
func (p *dnParser) value() (string, error) {
	if p.done() {
		return "", nil
	}
	if p.s[p.i] == '#' {
		p.i++
		return p.berValue()
	}
	return p.stringValue()
}

// berValue reads the hex after '#' up to a space, '+', ',' or ';' (or the
// end) and decodes it as UnboundID's ASN1OctetString.decodeAsOctetString:
// one type byte, a length (short form, or long form read into a Java int),
// and exactly that many value bytes.
func (p *dnParser) berValue() (string, error) {
	var raw []byte
	for !p.done() {
		c := p.s[p.i]
		if c == ' ' || c == '+' || c == ',' || c == ';' {
			break
		}
		if !isHex(c) || p.i+1 >= len(p.s) || !isHex(p.s[p.i+1]) {
			return "", errNotDN
		}
		raw = append(raw, hexByte(p.s[p.i], p.s[p.i+1]))
		p.i += 2
	}
	if len(raw) < 2 {
		return "", errNotDN
	}
	start, length := 2, int32(raw[1]&0x7f)
	if raw[1]&0x80 != 0 {
		n := int(length)
		length = 0
		for range n {
			if start >= len(raw) {
				return "", errNotDN
			}
			length = int32(uint32(length)<<8 | uint32(raw[start]))
			start++
		}
	}
	if int64(len(raw)-start) != int64(length) {
		return "", errNotDN
	}
	return string(raw[start:]), nil
}

// stringValue reads a string value as UnboundID's RDN.readValueString: up
// to an unescaped ',', ';' or '+', or a "quoted" value (which may hold
// them) followed only by spaces; '\' escapes one character or starts a run
// of \hh bytes decoded as UTF-8 (Java's decoder: U+FFFD for bad bytes); a
// '"' anywhere else is an error. Outer spaces are left to the
// normalization, which trims them.
func (p *dnParser) stringValue() (string, error) {
	var b []byte
	quoted := false
	start := p.i
	for !p.done() {
		c := p.s[p.i]
		switch c {
		case '\\':
			if p.i+1 >= len(p.s) {
				return "", errNotDN
			}
			p.i++
			if isHex(p.s[p.i]) {
				var run []byte
				for {
					if p.i+1 >= len(p.s) || !isHex(p.s[p.i+1]) {
						return "", errNotDN
					}
					run = append(run, hexByte(p.s[p.i], p.s[p.i+1]))
					p.i += 2
					if p.i+1 < len(p.s) && p.s[p.i] == '\\' && isHex(p.s[p.i+1]) {
						p.i++
						continue
					}
					break
				}
				b = append(b, javaDecodeUTF8(run)...)
				continue
			}
			// One escaped character (a whole UTF-8 sequence).
			_, n := utf8.DecodeRuneInString(p.s[p.i:])
			b = append(b, p.s[p.i:p.i+n]...)
			p.i += n
			continue
		case '"':
			if quoted {
				p.i++
				p.skipSpaces()
				if !p.done() && !isDNSeparator(p.s[p.i]) {
					return "", errNotDN
				}
				return string(b), nil
			}
			if p.i != start {
				return "", errNotDN
			}
			quoted = true
		case ',', ';', '+':
			if !quoted {
				return string(b), nil
			}
			b = append(b, c)
		default:
			b = append(b, c)
		}
		p.i++
	}
	if quoted {
		return "", errNotDN
	}
	return string(b), nil
}

func isDNSeparator(c byte) bool { return c == ',' || c == ';' || c == '+' }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexByte(hi, lo byte) byte {
	n, _ := strconv.ParseUint(string([]byte{hi, lo}), 16, 8)
	return byte(n)
}

// normalizeDNValue is UnboundID's CaseIgnoreStringMatchingRule.normalize
// of a value's bytes: leading and trailing spaces removed, inner runs of
// spaces collapsed to one, a value of only spaces kept as one space (the
// empty value stays empty); ASCII-only values lower-case A-Z only, others
// (decoded as Java decodes UTF-8) lower-case each character Java's
// Character.isUpperCase accepts with its simple mapping
// (Character.toLowerCase), not String.toLowerCase's full one.
func normalizeDNValue(v string) string {
	if v == "" {
		return v
	}
	if isASCII(v) {
		return normalizeDNSpaces(strings.ToLower(v))
	}
	var b strings.Builder
	for _, r := range javaString(v) {
		if unicode.IsUpper(r) || unicode.Is(unicode.Other_Uppercase, r) {
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return normalizeDNSpaces(b.String())
}

// normalizeDNSpaces trims the spaces (U+0020 only) at both ends and
// collapses inner runs; a non-empty value of only spaces becomes " ".
func normalizeDNSpaces(v string) string {
	t := strings.Trim(v, " ")
	if t == "" {
		return " "
	}
	if !strings.Contains(t, "  ") {
		return t
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(t); i++ {
		if t[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(t[i])
	}
	return b.String()
}

// javaString is s as a Java String made from it would read: bytes that
// are not UTF-8 replaced as Java's decoder replaces them.
func javaString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string(javaDecodeUTF8([]byte(s)))
}

// javaDecodeUTF8 decodes b as Java's new String(b, UTF_8) does, then
// re-encodes it as UTF-8: each malformed sequence becomes one U+FFFD,
// where Java's decoder draws its bounds (a truncated sequence is one
// replacement, an encoded surrogate of three bytes is one, a byte that
// cannot start a sequence is one).
func javaDecodeUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	const repl = "\uFFFD"
	out := make([]byte, 0, len(b)+8)
	cont := func(c byte) bool { return c&0xc0 == 0x80 }
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			out = append(out, c)
			i++
		case c >= 0xc2 && c <= 0xdf:
			if i+1 < len(b) && cont(b[i+1]) {
				out = append(out, b[i:i+2]...)
				i += 2
			} else {
				out = append(out, repl...)
				i++
			}
		case c >= 0xe0 && c <= 0xef:
			if i+2 < len(b) {
				b2, b3 := b[i+1], b[i+2]
				if c == 0xe0 && b2&0xe0 == 0x80 || !cont(b2) || !cont(b3) {
					out = append(out, repl...)
					if c == 0xe0 && b2&0xe0 == 0x80 || !cont(b2) {
						i++
					} else {
						i += 2
					}
					continue
				}
				if r, _ := utf8.DecodeRune(b[i : i+3]); r == utf8.RuneError {
					out = append(out, repl...) // an encoded surrogate
				} else {
					out = append(out, b[i:i+3]...)
				}
				i += 3
				continue
			}
			if i+1 < len(b) && (c == 0xe0 && b[i+1]&0xe0 == 0x80 || !cont(b[i+1])) {
				out = append(out, repl...)
				i++
				continue
			}
			return append(out, repl...) // truncated at the end: one, and done
		case c >= 0xf0 && c <= 0xf7:
			if i+3 < len(b) {
				if r, n := utf8.DecodeRune(b[i : i+4]); n == 4 && r != utf8.RuneError {
					out = append(out, b[i:i+4]...)
					i += 4
					continue
				}
				out = append(out, repl...)
				i += javaMalformed4(b[i:])
				continue
			}
			if c > 0xf4 || i+1 < len(b) && javaMalformed4Second(c, b[i+1]) {
				out = append(out, repl...)
				i++
				continue
			}
			if i+2 < len(b) && !cont(b[i+2]) {
				out = append(out, repl...)
				i += 2
				continue
			}
			return append(out, repl...)
		default:
			out = append(out, repl...)
			i++
		}
	}
	return out
}

// javaMalformed4 is how many bytes Java's decoder replaces for a bad
// four-byte sequence (b has at least four).
func javaMalformed4(b []byte) int {
	if b[0] > 0xf4 || javaMalformed4Second(b[0], b[1]) {
		return 1
	}
	if b[2]&0xc0 != 0x80 {
		return 2
	}
	return 3
}

func javaMalformed4Second(b1, b2 byte) bool {
	return b1 == 0xf0 && (b2 < 0x90 || b2 > 0xbf) || b1 == 0xf4 && b2&0xf0 != 0x80 || b2&0xc0 != 0x80
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
