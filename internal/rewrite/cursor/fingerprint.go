package cursor

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// Fingerprint summarizes the document- and field-level security that
// applied to a request, per index. Equal restrictions give equal
// fingerprints whatever the order of roles, queries, field sets or
// patterns; any other difference gives another fingerprint.
type Fingerprint [sha256.Size]byte

// String returns the fingerprint in hexadecimal, for logs.
func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }

// Equal reports whether f and g are the same, in constant time.
func (f Fingerprint) Equal(g Fingerprint) bool {
	return subtle.ConstantTimeCompare(f[:], g[:]) == 1
}

// Tags that keep the fingerprint's input unambiguous.
const (
	tagIndex      = 'I'
	tagQuery      = 'Q'
	tagRawQuery   = 'R'
	tagAllFields  = 'A'
	tagFieldSet   = 'F'
	tagGrant      = 'G'
	tagExcept     = 'E'
	tagNull       = 'n'
	tagTrue       = 't'
	tagFalse      = 'f'
	tagNumber     = 'd'
	tagString     = 's'
	tagArray      = '['
	tagObject     = '{'
	tagEndOfValue = '.'
)

// FingerprintOf returns the fingerprint of the access a decision granted
// (authz.Decision.Access). Pass the queries as they are applied: when role
// queries are templates rendered per user, pass the rendered queries, so
// that a change of the user's attributes changes the fingerprint too.
//
// Indices without restriction are left out, so a nil Access (nothing
// restricted) and an Access whose entries are all unrestricted have the
// same fingerprint. Per index, the OR-ed queries are a set (order and
// repetition do not matter; each query is canonicalized: member order and
// whitespace do not matter, number literals are kept exactly), and the FLS
// definitions are a set of (grant set, except set) pairs.
func FingerprintOf(access []authz.IndexAccess) Fingerprint {
	entries := make([][]byte, 0, len(access))
	for _, a := range access {
		if !a.Filtered() {
			continue
		}
		entries = append(entries, indexEntry(a))
	}
	slices.SortFunc(entries, bytes.Compare)
	entries = slices.CompactFunc(entries, bytes.Equal)
	h := sha256.New()
	h.Write([]byte("portcullis cursor fingerprint v1\x00"))
	for _, e := range entries {
		h.Write(e)
	}
	var f Fingerprint
	h.Sum(f[:0])
	return f
}

// indexEntry encodes the restrictions of one index canonically.
func indexEntry(a authz.IndexAccess) []byte {
	b := appendTagged(nil, tagIndex, a.Index)
	queries := make([][]byte, 0, len(a.Queries))
	for _, q := range a.Queries {
		queries = append(queries, canonicalQuery(q))
	}
	b = appendSet(b, queries)
	if a.Fields == nil {
		return append(b, tagAllFields)
	}
	sets := make([][]byte, 0, len(a.Fields.Sets))
	for _, fs := range a.Fields.Sets {
		s := []byte{tagFieldSet}
		s = appendStringSet(s, tagGrant, fs.Grant)
		s = appendStringSet(s, tagExcept, fs.Except)
		sets = append(sets, s)
	}
	return appendSet(b, sets)
}

// canonicalQuery encodes a query with sorted member names. A query that is
// not valid JSON (which authz would not let through) is kept as raw bytes
// under its own tag, still deterministic.
func canonicalQuery(q []byte) []byte {
	v, err := esbody.ParseJSON(q)
	if err != nil {
		return appendTagged(nil, tagRawQuery, string(q))
	}
	return appendCanonical([]byte{tagQuery}, v)
}

// appendCanonical encodes a JSON value with length-prefixed strings and
// sorted object members.
func appendCanonical(b []byte, v esbody.Value) []byte {
	switch v := v.(type) {
	case esbody.Null:
		return append(b, tagNull)
	case esbody.Bool:
		if v {
			return append(b, tagTrue)
		}
		return append(b, tagFalse)
	case esbody.Number:
		return appendTagged(b, tagNumber, string(v))
	case esbody.String:
		return appendTagged(b, tagString, string(v))
	case esbody.Array:
		b = binary.AppendUvarint(append(b, tagArray), uint64(len(v)))
		for _, e := range v {
			b = appendCanonical(b, e)
		}
		return append(b, tagEndOfValue)
	case *esbody.Object:
		names := v.Names()
		slices.Sort(names)
		b = binary.AppendUvarint(append(b, tagObject), uint64(len(names)))
		for _, name := range names {
			member, _ := v.Get(name)
			b = appendCanonical(appendTagged(b, tagString, name), member)
		}
		return append(b, tagEndOfValue)
	}
	return append(b, tagEndOfValue)
}

// appendStringSet encodes strings as a sorted set.
func appendStringSet(b []byte, tag byte, ss []string) []byte {
	sorted := slices.Clone(ss)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	b = binary.AppendUvarint(append(b, tag), uint64(len(sorted)))
	for _, s := range sorted {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// appendSet appends already-encoded elements as a sorted set.
func appendSet(b []byte, elems [][]byte) []byte {
	slices.SortFunc(elems, bytes.Compare)
	elems = slices.CompactFunc(elems, bytes.Equal)
	b = binary.AppendUvarint(b, uint64(len(elems)))
	for _, e := range elems {
		b = binary.AppendUvarint(b, uint64(len(e)))
		b = append(b, e...)
	}
	return b
}

// appendTagged appends a tag and a length-prefixed string.
func appendTagged(b []byte, tag byte, s string) []byte {
	b = binary.AppendUvarint(append(b, tag), uint64(len(s)))
	return append(b, s...)
}
