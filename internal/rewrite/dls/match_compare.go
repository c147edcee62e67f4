package dls

import (
	"math/big"
	"strconv"
	"strings"
	"unicode"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// termCompare compares a document value with a term (not analysed).
func termCompare(doc, q esbody.Value) (truth, error) {
	if qs, ok := q.(esbody.String); ok {
		if ds, ok := doc.(esbody.String); ok {
			return termStrings(string(ds), string(qs)), nil
		}
	}
	return scalarCompare(doc, q)
}

// termStrings: equal strings match for a keyword field, and for a text
// field only if analysis leaves the term alone; unequal strings may still
// match a text field when the term is close to one of the value's words.
func termStrings(doc, q string) truth {
	if doc == q {
		if analysisStable(q) {
			return isTrue
		}
		return isUnknown
	}
	if strings.Contains(strings.ToLower(doc), strings.ToLower(q)) {
		return isUnknown
	}
	return sharesWord(doc, q)
}

// matchCompare compares a document value with a match query: analysis
// applies to both sides, so equal strings match under any mapping.
func matchCompare(doc, q esbody.Value) (truth, error) {
	qs, ok := q.(esbody.String)
	ds, dok := doc.(esbody.String)
	if !ok || !dok {
		return scalarCompare(doc, q)
	}
	if ds == qs && len(words(string(qs))) > 0 {
		return isTrue, nil
	}
	return sharesWord(string(ds), string(qs)), nil
}

// fuzzyCompare is matchCompare when options (fuzziness, zero_terms_query)
// make any inequality undecidable.
func fuzzyCompare(doc, q esbody.Value) (truth, error) {
	t, err := matchCompare(doc, q)
	if err != nil || t != isFalse {
		return t, err
	}
	if _, ok := q.(esbody.String); ok {
		return isUnknown, nil
	}
	return isFalse, nil
}

// sharesWord is "undecidable" when a word of q occurs in doc (case-folded)
// or shares a stem-like prefix with one of its words: a text field may
// match then (stemming makes "runs" and "running" equal); "no match"
// otherwise.
func sharesWord(doc, q string) truth {
	qws := words(q)
	if len(qws) == 0 {
		return isUnknown
	}
	ld := strings.ToLower(doc)
	dws := words(doc)
	for _, qw := range qws {
		if strings.Contains(ld, qw) {
			return isUnknown
		}
		for _, dw := range dws {
			if commonPrefix(qw, dw) >= stemPrefix {
				return isUnknown
			}
		}
	}
	return isFalse
}

// stemPrefix is the shortest common prefix taken as a possible common
// stem.
const stemPrefix = 3

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// words splits s into lower-cased runs of letters and digits, a simple
// approximation of the standard analyser used only to decide when a
// comparison is undecidable.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// analysisStable reports whether any analyser would keep s as one token
// unchanged: non-empty lower-case letters and digits only.
func analysisStable(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(unicode.IsDigit(r) || unicode.IsLetter(r) && unicode.IsLower(r)) {
			return false
		}
	}
	return true
}

// scalarCompare compares non-string-to-string pairs: numbers numerically
// (also against a string holding a number: equal text matches for sure,
// an equal value written differently depends on the mapping), booleans
// with booleans or "true"/"false".
func scalarCompare(doc, q esbody.Value) (truth, error) {
	switch q.(type) {
	case esbody.String, esbody.Number, esbody.Bool:
	default:
		return 0, unsupported("term value must be a string, a number or a boolean")
	}
	switch d := doc.(type) {
	case esbody.Number:
		return numberCompare(string(d), q), nil
	case esbody.String:
		if qn, ok := q.(esbody.Number); ok {
			return numberCompare(string(qn), d), nil
		}
		if qb, ok := q.(esbody.Bool); ok {
			return boolCompare(bool(qb), d), nil
		}
	case esbody.Bool:
		return boolCompare(bool(d), q), nil
	}
	return isFalse, nil
}

// numberCompare compares the number n with v (a number or a string).
func numberCompare(n string, v esbody.Value) truth {
	var text string
	switch v := v.(type) {
	case esbody.Number:
		text = string(v)
	case esbody.String:
		text = string(v)
	default:
		return isFalse
	}
	a, ok, hugeA := decimal(n)
	b, okB, hugeB := decimal(text)
	if hugeA || hugeB {
		return isUnknown
	}
	if !ok {
		return isFalse
	}
	if !okB {
		// Java parses more spellings ("042", "+1", " 1") than JSON; a
		// numeric field may read them as the number.
		if f, err := strconv.ParseFloat(strings.TrimSpace(text), 64); err == nil {
			if af, _ := a.Float64(); af == f {
				return isUnknown
			}
		}
		return isFalse
	}
	if a.Cmp(b) != 0 {
		return isFalse
	}
	if _, isNum := v.(esbody.Number); isNum || text == n {
		return isTrue
	}
	return isUnknown
}

// maxExponent bounds the decimal exponent of numbers compared exactly:
// big.Rat would build 10^exponent, and no long or double field holds such
// a number anyway.
const maxExponent = 400

// decimal parses text as a JSON number, exactly. huge is set for a JSON
// number whose exponent is out of bounds (ok is then false).
func decimal(text string) (r *big.Rat, ok, huge bool) {
	if !isJSONNumber(text) {
		return nil, false, false
	}
	if i := strings.IndexAny(text, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(text[i+1:], "+"))
		if err != nil || exp > maxExponent || exp < -maxExponent {
			return nil, false, true
		}
	}
	if len(text) > maxExponent {
		return nil, false, true
	}
	r, ok = new(big.Rat).SetString(text)
	return r, ok, false
}

// isJSONNumber reports whether text is a number in JSON's grammar.
func isJSONNumber(text string) bool {
	_, err := esbody.Encode(esbody.Number(text))
	return err == nil
}

func boolCompare(b bool, v esbody.Value) truth {
	switch v := v.(type) {
	case esbody.Bool:
		if bool(v) == b {
			return isTrue
		}
	case esbody.String:
		if (v == "true" && b) || (v == "false" && !b) {
			return isTrue
		}
	}
	return isFalse
}
