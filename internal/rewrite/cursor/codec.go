package cursor

import (
	"encoding/binary"
	"errors"
	"time"
)

// The plaintext of a token is, in order: the creation time (varint
// seconds, uvarint nanoseconds), the four owner fields (the realm's
// followed by NUL and the issuer when the owner has one), the fingerprint,
// the number of indices and each index, then the cluster id. Strings are
// uvarint length prefixed. The format is versioned by the token prefix.

// errPayload is returned for a plaintext that does not decode; it can only
// come from a token made with the key, so it is reported as tampering.
var errPayload = errors.New("cursor payload does not decode")

// encodePayload returns the plaintext for upstreamID bound by b.
func encodePayload(upstreamID string, b Binding) []byte {
	size := 2*binary.MaxVarintLen64 + len(b.Fingerprint) + len(upstreamID) + 16
	for _, f := range [...]string{b.Owner.Username, b.Owner.RealmType, b.Owner.encodedRealm(), b.Owner.APIKeyID} {
		size += len(f) + binary.MaxVarintLen64
	}
	for _, idx := range b.Indices {
		size += len(idx) + binary.MaxVarintLen64
	}
	p := make([]byte, 0, size)
	p = binary.AppendVarint(p, b.Created.Unix())
	p = binary.AppendUvarint(p, uint64(b.Created.Nanosecond()))
	for _, f := range [...]string{b.Owner.Username, b.Owner.RealmType, b.Owner.encodedRealm(), b.Owner.APIKeyID} {
		p = appendString(p, f)
	}
	p = append(p, b.Fingerprint[:]...)
	p = binary.AppendUvarint(p, uint64(len(b.Indices)))
	for _, idx := range b.Indices {
		p = appendString(p, idx)
	}
	return appendString(p, upstreamID)
}

func appendString(p []byte, s string) []byte {
	p = binary.AppendUvarint(p, uint64(len(s)))
	return append(p, s...)
}

// payloadReader reads a plaintext, remembering the first error.
type payloadReader struct {
	p   []byte
	err error
}

func (r *payloadReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.p)
	if n <= 0 {
		r.err = errPayload
		return 0
	}
	r.p = r.p[n:]
	return v
}

func (r *payloadReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.p)
	if n <= 0 {
		r.err = errPayload
		return 0
	}
	r.p = r.p[n:]
	return v
}

func (r *payloadReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.p)) {
		r.err = errPayload
		return nil
	}
	b := r.p[:n]
	r.p = r.p[n:]
	return b
}

func (r *payloadReader) string() string { return string(r.bytes(r.uvarint())) }

// decodePayload is the inverse of encodePayload.
func decodePayload(p []byte) (string, Binding, error) {
	r := &payloadReader{p: p}
	var b Binding
	sec := r.varint()
	nsec := r.uvarint()
	if nsec >= uint64(time.Second) {
		return "", Binding{}, errPayload
	}
	b.Created = time.Unix(sec, int64(nsec)).UTC()
	b.Owner = Owner{Username: r.string(), RealmType: r.string()}
	b.Owner.Realm, b.Owner.Issuer = decodeRealm(r.string())
	b.Owner.APIKeyID = r.string()
	copy(b.Fingerprint[:], r.bytes(uint64(len(b.Fingerprint))))
	n := r.uvarint()
	// Every index takes at least its length byte: a count beyond the
	// remaining bytes is malformed (and would allocate without bound).
	if n > uint64(len(r.p)) {
		return "", Binding{}, errPayload
	}
	if n > 0 {
		b.Indices = make([]string, 0, n)
	}
	for range n {
		b.Indices = append(b.Indices, r.string())
	}
	upstream := r.string()
	if r.err != nil {
		return "", Binding{}, r.err
	}
	if len(r.p) != 0 || upstream == "" {
		return "", Binding{}, errPayload
	}
	return upstream, b, nil
}
