package authn

import (
	"slices"
	"testing"
)

// parseDN must accept exactly the DNs UnboundID 6.0.3 (Elasticsearch's
// LDAP SDK) accepts, with its normalized form: a DN that does not parse
// here is compared as text only, and one normalized otherwise compares
// equal to other DNs. The expected values were produced by UnboundID's
// DN(String).toNormalizedString().
func TestParseDNAsUnboundID(t *testing.T) {
	const refused = "<refused>"
	tests := []struct{ in, want string }{
		// '#' and the hex of a BER element: the element's value (Java
		// prints a non-string attribute of a certificate subject so).
		{`CN=mallory, OID.1.2.3.4=#0C0141, OU=contractors, O=corp`, `cn=mallory,oid.1.2.3.4=a,ou=contractors,o=corp`},
		{`OID.1.2.3.4=#0403616263`, `oid.1.2.3.4=abc`},
		{`cn=#0485000000000141`, `cn=a`}, // long-form length read into a Java int
		{`cn=#04820001`, refused},        // length mismatch
		{`cn=#04`, refused},
		{`cn=#0401`, refused},
		// Attribute names: anything but a space, '=', ',' and ';'.
		{`c@n=x, OU=contractors, O=corp`, `c@n=x,ou=contractors,o=corp`},
		{`a+b=c`, `a+b=c`},
		// A '"' other than around a whole value; a '\' before one hex digit.
		{`cn=x"y, ou=admins, o=corp`, refused},
		{`cn="x"y, o=corp`, refused},
		{`cn="a,b" x`, refused},
		{`cn=\bob,o=corp`, refused},
		{`cn=\2,o=corp`, refused},
		// A value of spaces is one space, not the empty value.
		{`cn=\ ,o=corp`, `cn=\ ,o=corp`},
		{`cn=\20\20,o=corp`, `cn=\ ,o=corp`},
		{`cn=" ",o=corp`, `cn=\ ,o=corp`},
		{`cn=,o=corp`, `cn=,o=corp`},
		// A multi-valued RDN is a set: sorted by name then value, once each.
		{`cn=a+CN=A,o=corp`, `cn=a,o=corp`},
		{`cn=a+sn=b+cn=b`, `cn=a+cn=b+sn=b`},
		// Values are lower-cased character by character (simple mapping,
		// only what Character.isUpperCase accepts), not as
		// String.toLowerCase would.
		{`CN=ΟΔΟΣ, O=corp`, `cn=\ce\bf\ce\b4\ce\bf\cf\83,o=corp`},
		{`cn=οδος,o=corp`, `cn=\ce\bf\ce\b4\ce\bf\cf\82,o=corp`},
		{`CN=ǆ, O=corp`, `cn=\c7\86,o=corp`},
		{`cn=ǅ,o=corp`, `cn=\c7\85,o=corp`},
		{`OU=Istanbul, O=corp`, `ou=istanbul,o=corp`},
		{`ou=İstanbul,o=corp`, `ou=istanbul,o=corp`},
		{`ou=Ⓐ`, `ou=\e2\93\90`},
		// Hex escapes are UTF-8 decoded as Java decodes it: U+FFFD for each
		// malformed sequence.
		{`cn=\c3,o=x`, `cn=\ef\bf\bd,o=x`},
		{`cn=\c4,o=x`, `cn=\ef\bf\bd,o=x`},
		{`cn=\ed\a0\80`, `cn=\ef\bf\bd`},
		{`cn=\e2\82x`, `cn=\ef\bf\bdx`},
		{`cn=a,`, refused},
		{`cn=a+`, refused},
		{`  `, ``},
	}
	for _, tc := range tests {
		got := refused
		if d, err := parseDN(tc.in); err == nil {
			got = d.normalized()
		}
		if got != tc.want {
			t.Errorf("parseDN(%q) = %q, want %q (UnboundID)", tc.in, got, tc.want)
		}
	}
}

// Role-mapping rules on dn and groups as Elasticsearch decides them once
// the DNs are parsed as UnboundID parses them. Before, an except rule on a
// sub-tree let through a certificate whose subject holds a non-string
// attribute (#hex) or a group DN with an unusual attribute name (the DN did
// not parse, so no sub-tree test), and a rule granted roles to DNs that
// Elasticsearch does not find equal (full case mapping, a stray quote).
func TestRoleMappingDNPredicateAsUnboundID(t *testing.T) {
	pki := func(dn string) *Principal { return principal("u", "pki1", dn, nil, nil) }
	grouped := func(groups ...string) *Principal { return principal("u", "oidc1", "", groups, nil) }
	exceptDN := `{all: [{field: {realm.name: pki1}}, {except: {field: {dn: "*,ou=contractors,o=corp"}}}]}`
	exceptGroup := `{all: [{field: {realm.name: oidc1}}, {except: {field: {groups: "*,ou=contractors,o=corp"}}}]}`
	tests := []struct {
		name  string
		rules string
		p     *Principal
		want  bool
	}{
		{"except sub-tree, subject with a BER value", exceptDN, pki("CN=mallory, OID.1.2.3.4=#0C0141, OU=contractors, O=corp"), false},
		{"except sub-tree, BER value of the leaf", exceptDN, pki("OID.1.2.3.4=#0403616263, OU=contractors, O=corp"), false},
		{"except sub-tree, group with an unusual attribute name", exceptGroup, grouped("c@n=x, OU=contractors, O=corp"), false},
		{"except exact DN, İ lower-cases to i", `{all: [{field: {realm.name: pki1}}, {except: {field: {dn: "cn=x,ou=İstanbul,o=corp"}}}]}`, pki("CN=x, OU=Istanbul, O=corp"), false},
		{"except keeps a DN outside the sub-tree", exceptDN, pki("CN=alice, OID.1.2.3.4=#0C0141, OU=eng, O=corp"), true},
		{"final sigma is not sigma", `{field: {dn: "cn=οδος,o=corp"}}`, pki("CN=ΟΔΟΣ, O=corp"), false},
		{"a title-case letter is not upper case", `{field: {dn: "cn=ǅ,o=corp"}}`, pki("CN=ǆ, O=corp"), false},
		{"a stray quote is no DN", `{field: {groups: "*,ou=admins,o=corp"}}`, grouped(`cn=x"y, ou=admins, o=corp`), false},
		{"spaces are not the empty value", `{field: {dn: "cn=,o=corp"}}`, pki(`CN=\ , O=corp`), false},
		{"a multi-valued RDN is a set", `{field: {dn: "cn=a,o=corp"}}`, pki("CN=A + CN=a, O=corp"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustMapper(t, "m:\n  enabled: true\n  roles: [hit]\n  rules: "+tc.rules+"\n")
			if got := slices.Contains(m.Map(tc.p), "hit"); got != tc.want {
				t.Fatalf("rules %s on %v: got %v, want %v", tc.rules, tc.p.Metadata, got, tc.want)
			}
		})
	}
}

// FuzzParseDN: no panic; a normalized DN parses to itself; equal DNs are
// descendants of the same parents.
func FuzzParseDN(f *testing.F) {
	for _, s := range []string{`CN=a, OU=b + UID=c; O=d`, `cn="a,b"`, `cn=\2C\c3\a9`, `cn=#0403616263`, `a+b=\ `, `cn=\ed\a0\80,o=x`, `cn=ΟΔΟΣ`, "cn=\xff"} {
		f.Add(s, `o=d`)
	}
	f.Fuzz(func(t *testing.T, s, parent string) {
		d, err := parseDN(s)
		if err != nil {
			return
		}
		n := d.normalized()
		again, err := parseDN(n)
		if err != nil {
			t.Fatalf("normalized %q of %q does not parse: %v", n, s, err)
		}
		if again.normalized() != n {
			t.Fatalf("normalization of %q not idempotent: %q then %q", s, n, again.normalized())
		}
		if p, err := parseDN(parent); err == nil && d.descendantOf(p) != again.descendantOf(p) {
			t.Fatalf("%q and its normalized form %q disagree on being below %q", s, n, parent)
		}
	})
}
