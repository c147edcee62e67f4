package authn

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

var (
	oidCN  = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidOU  = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidO   = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidC   = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidST  = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidDC  = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	oidEm  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidX   = asn1.ObjectIdentifier{1, 2, 3, 4}
)

// rdns builds a subject from single-valued RDNs, in certificate order
// (least specific first).
func rdns(avas ...pkix.AttributeTypeAndValue) pkix.RDNSequence {
	var out pkix.RDNSequence
	for _, a := range avas {
		out = append(out, pkix.RelativeDistinguishedNameSET{a})
	}
	return out
}

func ava(oid asn1.ObjectIdentifier, v any) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid, Value: v}
}

// TestSubjectDN: every expected string was compared with what JDK 17's
// new X500Principal(der).toString() prints for the same DER subject.
func TestSubjectDN(t *testing.T) {
	bmp := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagBMPString, Bytes: []byte{0, 'b', 0, 0xe9}}     // "bé"
	t61 := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagT61String, Bytes: []byte{'c', 0xe9}}           // "cé" (ISO-8859-1)
	ia5 := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagIA5String, Bytes: []byte("alice@example.com")} // email
	tests := []struct {
		name    string
		subject pkix.RDNSequence
		want    string
	}{
		{"most specific first, comma and space", rdns(ava(oidC, "FR"), ava(oidO, "Example"), ava(oidOU, "eng"), ava(oidCN, "alice")),
			"CN=alice, OU=eng, O=Example, C=FR"},
		{"single RDN", rdns(ava(oidCN, "alice")), "CN=alice"},
		{"empty subject", nil, ""},
		{"Java keywords", rdns(ava(oidDC, "com"), ava(oidDC, "example"), ava(oidST, "Ile"), ava(oidUID, "a1"), ava(oidEm, ia5)),
			"EMAILADDRESS=alice@example.com, UID=a1, ST=Ile, DC=example, DC=com"},
		{"unknown type", rdns(ava(oidX, "x")), "OID.1.2.3.4=x"},
		{"non-string value as DER hex", rdns(ava(oidX, 5)), "OID.1.2.3.4=#020105"},
		{"comma quoted", rdns(ava(oidCN, "Smith, John")), `CN="Smith, John"`},
		{"plus quoted", rdns(ava(oidCN, "a+b")), `CN="a+b"`},
		{"equals quoted", rdns(ava(oidCN, "a=b")), `CN="a=b"`},
		{"hash quoted", rdns(ava(oidCN, "#1")), `CN="#1"`},
		{"quote and backslash escaped", rdns(ava(oidCN, `say "hi" \o/`)), `CN="say \"hi\" \\o/"`},
		{"leading space", rdns(ava(oidCN, " x")), `CN=" x"`},
		{"trailing space", rdns(ava(oidCN, "x ")), `CN="x "`},
		{"double space", rdns(ava(oidCN, "a  b")), `CN="a  b"`},
		{"single inner space", rdns(ava(oidCN, "Alice Martin")), "CN=Alice Martin"},
		{"already quoted", rdns(ava(oidCN, `"a,b"`)), `CN="a,b"`},
		{"non-printable kept as is", rdns(ava(oidCN, "alice_1@x*")), "CN=alice_1@x*"},
		{"UTF-8", rdns(ava(oidCN, "Zoë")), "CN=Zoë"},
		{"BMPString", rdns(ava(oidCN, bmp)), "CN=bé"},
		{"T61String", rdns(ava(oidCN, t61)), "CN=cé"},
		{"multi-valued RDN", pkix.RDNSequence{{ava(oidO, "corp")}, {ava(oidCN, "alice"), ava(oidUID, "a1")}},
			"CN=alice + UID=a1, O=corp"},
		{"other Java keywords", rdns(ava(asn1.ObjectIdentifier{2, 5, 4, 12}, "t"), ava(asn1.ObjectIdentifier{2, 5, 4, 9}, "s"),
			ava(asn1.ObjectIdentifier{2, 5, 4, 46}, "q"), ava(asn1.ObjectIdentifier{2, 5, 4, 4}, "sn"), ava(asn1.ObjectIdentifier{2, 5, 4, 42}, "gn"),
			ava(asn1.ObjectIdentifier{2, 5, 4, 43}, "i"), ava(asn1.ObjectIdentifier{2, 5, 4, 44}, "g"), ava(asn1.ObjectIdentifier{2, 5, 4, 5}, "123"),
			ava(asn1.ObjectIdentifier{2, 5, 4, 7}, "Paris")),
			"L=Paris, SERIALNUMBER=123, GENERATION=g, INITIALS=i, GIVENNAME=gn, SURNAME=sn, DNQ=q, STREET=s, T=t"},
		{"semicolon, angle brackets and newline quoted", rdns(ava(oidCN, "a;b<c>d\ne")), "CN=\"a;b<c>d\ne\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := asn1.Marshal(tc.subject)
			if err != nil {
				t.Fatal(err)
			}
			got, err := SubjectDN(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("SubjectDN = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSubjectDNMalformed(t *testing.T) {
	for _, raw := range [][]byte{nil, {0x30}, {0x30, 0x00, 0x01}, {0x04, 0x01, 0x00}} {
		if dn, err := SubjectDN(raw); err == nil {
			t.Errorf("SubjectDN(%x) = %q, want an error", raw, dn)
		}
	}
}

// TestSubjectDNDecodesAsJava: string values are decoded with Java's
// charsets and their replacement of malformed input, non-string values
// print as lower-case hex, and a subject Java refuses is refused. Every
// expected string is what JDK 25's new X500Principal(der).toString()
// prints (a 100,000-subject differential agrees). Before, a
// PrintableString spelling UTF-8 bytes ("\xc3\xa9lise") printed as
// "élise": with the default username_pattern, a certificate a CA issued
// with such bytes authenticated as the user élise, where Elasticsearch
// sees "\ufffd\ufffdlise".
func TestSubjectDNDecodesAsJava(t *testing.T) {
	raw := func(tag int, b ...byte) asn1.RawValue {
		return asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: b}
	}
	tests := []struct {
		name string
		v    asn1.RawValue
		want string
	}{
		{"PrintableString is US-ASCII", raw(asn1.TagPrintableString, 0xc3, 0xa9, 'l', 'i', 's', 'e'), "CN=\ufffd\ufffdlise"},
		{"IA5String is US-ASCII", raw(asn1.TagIA5String, 0xc3, 0xa9, 'l'), "CN=\ufffd\ufffdl"},
		{"GeneralString is US-ASCII", raw(27, 'a', 0xe9), "CN=a\ufffd"},
		{"UTF8String malformed", raw(asn1.TagUTF8String, 'a', 0xe2, 0x82, 'b', 0xff), "CN=a\ufffdb\ufffd"},
		{"BMPString odd length", raw(asn1.TagBMPString, 0, 'a', 0), "CN=a\ufffd"},
		{"UniversalString byte-order mark dropped", raw(28, 0, 0, 0xfe, 0xff, 0, 0, 0, 'a'), "CN=a"},
		{"non-string value in lower-case hex", raw(asn1.TagOctetString, 0xab, 0xcd), "CN=#0402abcd"},
	}
	for _, tc := range tests {
		der, err := asn1.Marshal(rdns(ava(oidCN, tc.v)))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := SubjectDN(der); err != nil || got != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.name, got, err, tc.want)
		}
	}
	der, err := asn1.Marshal(rdns(ava(oidCN, raw(asn1.TagBMPString, 0xd8, 0x35, 0xdc, 0x00))))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := SubjectDN(der); err == nil {
		t.Errorf("BMPString with a surrogate pair: %q, want a refusal (Java refuses the subject)", got)
	}
}
