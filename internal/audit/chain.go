package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
)

// The hash chain. Every record ends with three fields the writer appends:
//
//	…,"chain.seq":42,"chain.prev":"<hex>","chain.hash":"<hex>"}
//
// chain.seq counts records from 1, across rotated files and restarts.
// chain.prev is the chain.hash of the record before (64 zeros before the
// first). chain.hash is hex(SHA-256(P)) — or hex(HMAC-SHA256(key, P)) when a
// key is configured — where P is the record's bytes from the opening brace
// up to, not including, `,"chain.hash":`. P contains chain.prev, so each
// hash covers the whole history. The hashed bytes are the bytes on disk:
// there is no re-canonicalisation, and verification needs no JSON model.
//
// Modifying a record breaks its own hash; deleting one breaks the seq and
// prev links of the next; swapping two breaks the seq order; a rotated file
// that goes missing leaves a gap between the last record of the file before
// and the first of the file after.

// GenesisHash is the chain.prev of the first record of a chain.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

const (
	seqKey    = `,"chain.seq":`
	prevKey   = `,"chain.prev":"`
	hashKey   = `,"chain.hash":"`
	hashHexSz = 64
	// suffixLen is len(`,"chain.hash":"<64 hex>"}`).
	suffixLen = len(hashKey) + hashHexSz + 2
)

// chainHead is the position of the chain: the last record's seq and hash.
type chainHead struct {
	seq  uint64
	hash string // hex
}

func genesis() chainHead { return chainHead{seq: 0, hash: GenesisHash} }

// hasher computes chain hashes; it is not safe for concurrent use.
type hasher struct {
	h   hash.Hash
	sum []byte
}

func newHasher(key []byte) *hasher {
	if len(key) > 0 {
		return &hasher{h: hmac.New(sha256.New, key)}
	}
	return &hasher{h: sha256.New()}
}

// hexSum returns the chain hash of the hashed prefix p, appended to dst.
func (h *hasher) hexSum(dst, p []byte) []byte {
	h.h.Reset()
	h.h.Write(p)
	h.sum = h.h.Sum(h.sum[:0])
	return hex.AppendEncode(dst, h.sum)
}

// appendSealed appends body (a record without its closing brace) followed
// by the chain fields for head's successor and a newline, and returns the
// new head.
func (h *hasher) appendSealed(dst, body []byte, head chainHead) ([]byte, chainHead) {
	start := len(dst)
	dst = append(dst, body...)
	dst = append(dst, seqKey...)
	dst = strconv.AppendUint(dst, head.seq+1, 10)
	dst = append(dst, prevKey...)
	dst = append(dst, head.hash...)
	dst = append(dst, '"')
	end := len(dst)
	dst = append(dst, hashKey...)
	hs := len(dst)
	dst = h.hexSum(dst, dst[start:end])
	next := chainHead{seq: head.seq + 1, hash: string(dst[hs:])}
	dst = append(dst, '"', '}', '\n')
	return dst, next
}

// sealedRecord is a record's chain fields, parsed from the end of its line.
type sealedRecord struct {
	seq    uint64
	prev   string
	hash   string
	hashed []byte // the bytes covered by hash
}

var errNoChain = errors.New("record has no chain fields")

// parseSealed reads the chain fields of one line (without its newline). It
// relies only on the fixed tail the writer appends.
func parseSealed(line []byte) (sealedRecord, error) {
	var r sealedRecord
	n := len(line)
	if n < suffixLen || line[n-1] != '}' || line[n-2] != '"' ||
		!bytes.Equal(line[n-suffixLen:n-suffixLen+len(hashKey)], []byte(hashKey)) {
		return r, errNoChain
	}
	r.hash = string(line[n-suffixLen+len(hashKey) : n-2])
	if !isLowerHex(r.hash) {
		return r, fmt.Errorf("chain.hash is not 64 hex digits")
	}
	r.hashed = line[:n-suffixLen]
	p := r.hashed
	// …,"chain.seq":N,"chain.prev":"<64 hex>"
	if len(p) < len(prevKey)+hashHexSz+1 || p[len(p)-1] != '"' {
		return r, errNoChain
	}
	r.prev = string(p[len(p)-1-hashHexSz : len(p)-1])
	rest := p[:len(p)-1-hashHexSz]
	if !bytes.HasSuffix(rest, []byte(prevKey)) || !isLowerHex(r.prev) {
		return r, fmt.Errorf("malformed chain.prev")
	}
	rest = rest[:len(rest)-len(prevKey)]
	i := bytes.LastIndex(rest, []byte(seqKey))
	if i < 0 {
		return r, fmt.Errorf("missing chain.seq")
	}
	seq, err := strconv.ParseUint(string(rest[i+len(seqKey):]), 10, 64)
	if err != nil || seq == 0 {
		return r, fmt.Errorf("malformed chain.seq")
	}
	r.seq = seq
	return r, nil
}

func isLowerHex(s string) bool {
	if len(s) != hashHexSz {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
