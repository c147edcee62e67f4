package authn

import (
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// SubjectDN formats a certificate's raw subject (x509.Certificate.RawSubject)
// as Java's X500Principal.toString() does, which is the DN Elasticsearch's
// PKI realm matches username_pattern against and reports as pki_dn:
//
//	CN=alice, OU=eng, O=Example, C=FR
//
// Relative distinguished names are listed most specific first (the reverse
// of their order in the certificate, as in RFC 2253) and separated by ", ";
// the attributes of a multi-valued RDN are joined by " + ". Attribute names
// are Java's keywords (CN, C, L, ST, O, OU, T, STREET, DC, UID,
// EMAILADDRESS, SERIALNUMBER, SURNAME, GIVENNAME, INITIALS, GENERATION,
// DNQ, IP); other types print as OID.<dotted>. A value that contains one
// of , + = < > # ; \ " or a newline, or that has leading, trailing or
// repeated spaces, is put in double quotes, with " and \ escaped by a
// backslash. A value that is not a character string prints as # and the
// upper-case hex of its DER encoding.
//
// This differs from Go's pkix.Name.String() (RFC 2253: "CN=alice,OU=eng,
// O=Example", backslash escapes): role mappings written for Elasticsearch
// compare against the Java form.
func SubjectDN(rawSubject []byte) (string, error) {
	var rdns []dnRDNSET
	rest, err := asn1.Unmarshal(rawSubject, &rdns)
	if err != nil {
		return "", fmt.Errorf("parsing the certificate subject: %w", err)
	}
	if len(rest) > 0 {
		return "", errors.New("parsing the certificate subject: trailing data")
	}
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if i != len(rdns)-1 {
			b.WriteString(", ")
		}
		for j, ava := range rdns[i] {
			if j > 0 {
				b.WriteString(" + ")
			}
			b.WriteString(dnKeyword(ava.Type))
			b.WriteByte('=')
			b.WriteString(dnValue(ava.Value))
		}
	}
	return b.String(), nil
}

// dnRDNSET is one relative distinguished name; the SET suffix makes
// encoding/asn1 decode it as a SET OF.
type dnRDNSET []dnAVA

// dnAVA is one attribute type and value, the value kept raw so that its
// string type (or non-string encoding) is known.
type dnAVA struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// dnKeywords are the keywords Java's X500Name prints by default
// (sun.security.x509.AVAKeyword, the last registration of each OID).
var dnKeywords = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"1.3.6.1.4.1.42.2.11.2.1":    "IP",
	"2.5.4.9":                    "STREET",
	"0.9.2342.19200300.100.1.25": "DC",
	"2.5.4.46":                   "DNQ",
	"2.5.4.4":                    "SURNAME",
	"2.5.4.42":                   "GIVENNAME",
	"2.5.4.43":                   "INITIALS",
	"2.5.4.44":                   "GENERATION",
	"1.2.840.113549.1.9.1":       "EMAILADDRESS",
	"0.9.2342.19200300.100.1.1":  "UID",
	"2.5.4.5":                    "SERIALNUMBER",
}

func dnKeyword(oid asn1.ObjectIdentifier) string {
	s := oid.String()
	if k, ok := dnKeywords[s]; ok {
		return k
	}
	return "OID." + s
}

// dnValue prints one attribute value as Java's AVA.toString().
func dnValue(v asn1.RawValue) string {
	s, ok := dnString(v)
	if !ok {
		const hex = "0123456789ABCDEF"
		var b strings.Builder
		b.WriteByte('#')
		for _, c := range v.FullBytes {
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0x0f])
		}
		return b.String()
	}
	return quoteDNValue(s)
}

// dnString decodes the character-string types Java's DerValue.getAsString
// knows; ok is false for any other encoding.
func dnString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, 27: // 27: GeneralString
		return string(v.Bytes), true
	case asn1.TagT61String: // Java decodes it as ISO-8859-1
		r := make([]rune, len(v.Bytes))
		for i, c := range v.Bytes {
			r[i] = rune(c)
		}
		return string(r), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(v.Bytes[2*i:])
		}
		return string(utf16.Decode(u)), true
	case 28: // UniversalString (UTF-32BE)
		if len(v.Bytes)%4 != 0 {
			return "", false
		}
		r := make([]rune, len(v.Bytes)/4)
		for i := range r {
			r[i] = rune(binary.BigEndian.Uint32(v.Bytes[4*i:]))
		}
		return string(r), true
	}
	return "", false
}

// dnEscapees are the characters that make Java quote a value.
const dnEscapees = ",+=\n<>#;\\\""

// quoteDNValue applies Java's AVA.toKeywordValueString rules for a string
// value in the default format (see SubjectDN).
func quoteDNValue(s string) string {
	rs := []rune(s)
	alreadyQuoted := len(rs) > 1 && rs[0] == '"' && rs[len(rs)-1] == '"'
	var b strings.Builder
	quote, previousWhite := false, false
	for i, c := range rs {
		if alreadyQuoted && (i == 0 || i == len(rs)-1) {
			b.WriteRune(c)
			continue
		}
		if !isJavaPrintableStringChar(c) && !strings.ContainsRune(dnEscapees, c) {
			previousWhite = false
			b.WriteRune(c)
			continue
		}
		if (i == 0 && (c == ' ' || c == '\n')) || strings.ContainsRune(dnEscapees, c) {
			quote = true
		}
		if c == ' ' || c == '\n' {
			if previousWhite {
				quote = true
			}
			previousWhite = true
		} else {
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			previousWhite = false
		}
		b.WriteRune(c)
	}
	out := b.String()
	if n := len(out); n > 0 && (out[n-1] == ' ' || out[n-1] == '\n') {
		quote = true
	}
	if quote && !alreadyQuoted {
		return `"` + out + `"`
	}
	return out
}

// isJavaPrintableStringChar is DerValue.isPrintableStringChar: the
// PrintableString alphabet.
func isJavaPrintableStringChar(c rune) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.ContainsRune(" '()+,-./:=?", c)
}
