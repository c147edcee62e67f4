package authn

import (
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
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
// lower-case hex of its DER encoding.
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
			if badBMPString(ava.Value) {
				// Java refuses the subject (DerValue.validateBMPString), and
				// with it the certificate.
				return "", errors.New("parsing the certificate subject: a BMPString holds a surrogate")
			}
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
		// Java (17 and later) prints the hex in lower case.
		return "#" + hex.EncodeToString(v.FullBytes)
	}
	return quoteDNValue(s)
}

// dnString decodes the character-string types Java's DerValue.getAsString
// knows, with its charsets and their replacement of malformed input
// (U+FFFD): UTF8String as UTF-8, PrintableString, IA5String and
// GeneralString as US-ASCII (a byte above 0x7F is U+FFFD, never the UTF-8
// it may spell: "\xc3\xa9lise" in a PrintableString is not "élise"),
// T61String as ISO-8859-1, BMPString as UTF-16BE and UniversalString as
// UTF-32BE. ok is false for any other encoding (printed as hex).
func dnString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String:
		return string(javaDecodeUTF8(v.Bytes)), true
	case asn1.TagPrintableString, asn1.TagIA5String, 27: // 27: GeneralString
		r := make([]rune, len(v.Bytes))
		for i, c := range v.Bytes {
			r[i] = rune(c)
			if c >= utf8.RuneSelf {
				r[i] = utf8.RuneError
			}
		}
		return string(r), true
	case asn1.TagT61String:
		r := make([]rune, len(v.Bytes))
		for i, c := range v.Bytes {
			r[i] = rune(c)
		}
		return string(r), true
	case asn1.TagBMPString:
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(v.Bytes[2*i:])
		}
		s := string(utf16.Decode(u))
		if len(v.Bytes)%2 != 0 {
			s += "\uFFFD" // a trailing odd byte
		}
		return s, true
	case 28: // UniversalString
		var b strings.Builder
		start := 0
		if len(v.Bytes) >= 4 && binary.BigEndian.Uint32(v.Bytes) == 0xFEFF {
			start = 4 // Java's UTF-32BE decoder drops a leading byte-order mark
		}
		for i := start; i+4 <= len(v.Bytes); i += 4 {
			r := rune(binary.BigEndian.Uint32(v.Bytes[i:]))
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			b.WriteRune(r)
		}
		if len(v.Bytes)%4 != 0 {
			b.WriteRune(utf8.RuneError)
		}
		return b.String(), true
	}
	return "", false
}

// badBMPString reports a BMPString holding a UTF-16 surrogate, which Java
// refuses in a name (a BMPString is UCS-2).
func badBMPString(v asn1.RawValue) bool {
	if v.Class != asn1.ClassUniversal || v.IsCompound || v.Tag != asn1.TagBMPString {
		return false
	}
	for i := 0; i+2 <= len(v.Bytes); i += 2 {
		if u := binary.BigEndian.Uint16(v.Bytes[i:]); u >= 0xD800 && u <= 0xDFFF {
			return true
		}
	}
	return false
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
