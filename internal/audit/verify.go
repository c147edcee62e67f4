package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Break is the first place where a chain does not hold.
type Break struct {
	File   string // the file as given to Verify
	Line   int    // 1-based
	Reason string // what is wrong, for humans
}

// String renders the break as "file:line: reason".
func (b Break) String() string { return fmt.Sprintf("%s:%d: %s", b.File, b.Line, b.Reason) }

// Report is the outcome of Verify.
type Report struct {
	// Files counts the files checked (up to the break, if any).
	Files int
	// Records counts the records that verified.
	Records int
	// FirstSeq is the chain.seq of the first record checked; when it is not
	// 1 the chain is anchored there (earlier files were not given or were
	// deleted by retention) and what came before is not covered.
	FirstSeq uint64
	// LastSeq is the chain.seq of the last good record.
	LastSeq uint64
	// LastHash is the chain.hash of the last good record.
	LastHash string
	// Break is the first modified, missing, reordered or truncated record;
	// nil when the whole chain holds.
	Break *Break
}

// OK reports whether the chain holds.
func (r Report) OK() bool { return r.Break == nil }

// Verify checks the hash chain through files, given oldest first (rotated
// files, .gz or not, then the active file): every record's hash, and that
// each record follows the one before, across file boundaries. It stops at
// the first break. The error is for files that cannot be read at all.
func Verify(files ...string) (Report, error) {
	return VerifyWithKey(nil, files...)
}

// VerifyWithKey is Verify for logs written with an HMAC key.
func VerifyWithKey(key []byte, files ...string) (Report, error) {
	v := newVerifier(key)
	for _, name := range files {
		if err := v.verifyFile(name); err != nil {
			return v.rep, err
		}
		if v.rep.Break != nil {
			break
		}
	}
	return v.rep, nil
}

type verifier struct {
	h       *hasher
	keyed   bool
	rep     Report
	last    chainHead
	started bool
	prevEnd string // file whose last record is v.last
	sum     []byte
}

func newVerifier(key []byte) *verifier {
	return &verifier{h: newHasher(key), keyed: len(key) > 0}
}

func (v *verifier) verifyFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			if errors.Is(err, io.EOF) { // empty file
				v.rep.Files++
				return nil
			}
			v.brk(name, 1, fmt.Sprintf("not a valid gzip file: %v", err))
			return nil
		}
		defer zr.Close()
		r = zr
	}
	v.verifyStream(name, r)
	return nil
}

// verifyStream checks one file's records.
func (v *verifier) verifyStream(name string, r io.Reader) {
	v.rep.Files++
	br := bufio.NewReaderSize(r, 256<<10)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			v.brk(name, lineNo, fmt.Sprintf("file truncated or unreadable: %v", err))
			return
		}
		if err == io.EOF {
			// A trailing NUL run is a preallocated file's unused space.
			if len(line) > 0 && !isNULRun(line) {
				v.brk(name, lineNo, "incomplete record without newline: file truncated or write interrupted")
			}
			v.prevEnd = name
			return
		}
		if reason := v.check(line[:len(line)-1], lineNo == 1); reason != "" {
			v.brk(name, lineNo, reason)
			return
		}
	}
}

// check verifies one record against the chain so far; "" means it holds.
func (v *verifier) check(line []byte, firstOfFile bool) string {
	if len(line) == 0 {
		return "empty line"
	}
	if !bytes.HasPrefix(line, []byte(`{"type":"audit",`)) {
		return "not an audit record"
	}
	if !json.Valid(line) {
		return "record is not valid JSON"
	}
	rec, err := parseSealed(line)
	if err != nil {
		return err.Error()
	}
	v.sum = v.h.hexSum(v.sum[:0], rec.hashed)
	if string(v.sum) != rec.hash {
		if v.keyed {
			return "record modified: chain.hash does not match its content (or wrong HMAC key)"
		}
		return "record modified: chain.hash does not match its content (or the log is HMAC-keyed: pass the key)"
	}
	switch {
	case !v.started:
		if rec.seq == 1 && rec.prev != GenesisHash {
			return "first record of the chain (chain.seq 1) must have chain.prev " + GenesisHash
		}
		v.rep.FirstSeq = rec.seq
		v.started = true
	case rec.seq == v.last.seq+1:
		if rec.prev != v.last.hash {
			return "chain.prev does not match the chain.hash of the record before: that record was altered or replaced"
		}
	case rec.seq > v.last.seq+1:
		missing := fmt.Sprintf("records %d to %d", v.last.seq+1, rec.seq-1)
		if rec.seq == v.last.seq+2 {
			missing = fmt.Sprintf("record %d", v.last.seq+1)
		}
		if firstOfFile {
			return fmt.Sprintf("%s missing after %s: a rotated file is missing, out of order or truncated", missing, v.prevEnd)
		}
		return fmt.Sprintf("%s missing (chain.seq %d follows %d): deleted or reordered", missing, rec.seq, v.last.seq)
	default:
		if firstOfFile {
			return fmt.Sprintf("chain.seq %d follows %d in %s: files out of order, duplicated, or the chain restarted", rec.seq, v.last.seq, v.prevEnd)
		}
		return fmt.Sprintf("record out of order or duplicated: chain.seq %d follows %d", rec.seq, v.last.seq)
	}
	v.last = chainHead{seq: rec.seq, hash: rec.hash}
	v.rep.Records++
	v.rep.LastSeq, v.rep.LastHash = rec.seq, rec.hash
	return ""
}

func (v *verifier) brk(file string, line int, reason string) {
	v.rep.Break = &Break{File: file, Line: line, Reason: reason}
}
