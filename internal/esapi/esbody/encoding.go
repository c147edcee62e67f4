package esbody

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// coding is a Content-Encoding the proxy decodes.
type coding int

const (
	codingIdentity coding = iota
	codingGzip
	codingDeflate
)

// contentCoding reads the Content-Encoding header the way Netty's
// HttpContentDecompressor, which Elasticsearch always installs in front of
// its REST layer (since 6.x it does not depend on http.compression, which
// only governs responses), reads it: one value, trimmed, compared without
// case. gzip and x-gzip are gzip; deflate and x-deflate are zlib or raw
// deflate.
//
// Everything else is refused with 415, although Netty does not refuse it:
// br, zstd and snappy are decoded by Netty when their codecs are present (so
// whether the cluster decodes them depends on its classpath), and any other
// value, including a stacked list like "gzip, gzip", is passed to the cluster
// undecoded, which then parses the raw bytes. The proxy cannot know which of
// these the cluster does, so it accepts only what it can reproduce.
func contentCoding(h http.Header) (coding, *Error) {
	vals := h.Values("Content-Encoding")
	if len(vals) == 0 {
		return codingIdentity, nil
	}
	unsupported := func(v string) *Error {
		return newError(http.StatusUnsupportedMediaType, TypeIllegalArgument, fmt.Sprintf(
			"Content-Encoding [%s] is not supported: only one of gzip, x-gzip, deflate, x-deflate or identity is accepted", v))
	}
	if len(vals) > 1 {
		return 0, unsupported(strings.Join(vals, ", "))
	}
	v := strings.TrimSpace(vals[0])
	switch strings.ToLower(v) {
	case "", "identity":
		return codingIdentity, nil
	case "gzip", "x-gzip":
		return codingGzip, nil
	case "deflate", "x-deflate":
		return codingDeflate, nil
	}
	return 0, unsupported(v)
}

// decodeBody decompresses raw, refusing (413) as soon as the output would
// exceed limit, so a small compressed bomb never costs more than limit
// bytes of memory. Corrupt or truncated streams, and data after the end of
// the compressed stream, are refused (400): Netty would hand the cluster a
// partial body or silently ignore the trailing bytes, and the proxy should
// not guess which.
func decodeBody(raw []byte, c coding, limit int64) ([]byte, *Error) {
	if c == codingIdentity || len(raw) == 0 {
		// Netty decodes an empty body to an empty body.
		return raw, nil
	}
	src := bytes.NewReader(raw)
	var dec io.Reader
	var err error
	switch c {
	case codingGzip:
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(src); err == nil {
			// Netty decodes one gzip member and drops what follows; Go
			// would go on to the next member. Stop after one and refuse
			// leftovers below.
			zr.Multistream(false)
			dec = zr
		}
	case codingDeflate:
		if len(raw) < 2 {
			return nil, corrupt("deflate", errors.New("stream shorter than 2 bytes"))
		}
		if looksLikeZlib(raw[0], raw[1]) {
			dec, err = zlib.NewReader(src)
		} else {
			dec = flate.NewReader(src)
		}
	}
	if err != nil {
		return nil, corrupt(codingName(c), err)
	}
	out, err := io.ReadAll(io.LimitReader(dec, limit+1))
	if err != nil {
		return nil, corrupt(codingName(c), err)
	}
	if int64(len(out)) > limit {
		return nil, tooLarge("decompressed request body", limit)
	}
	// bytes.Reader is an io.ByteReader, so neither gzip nor flate buffered
	// past the end of the stream: what is left really follows it.
	if src.Len() > 0 {
		return nil, corrupt(codingName(c), fmt.Errorf("%d bytes after the end of the compressed stream", src.Len()))
	}
	return out, nil
}

// looksLikeZlib is Netty's JdkZlibDecoder test for ZLIB_OR_NONE: the first
// two bytes, as a signed big-endian short, must have CINFO=7 and the deflate
// bit, and be a multiple of 31. Java's % on a negative short keeps the
// sign, exactly like Go's % on int16, so the same streams are taken for
// zlib and the rest are decoded as raw deflate.
func looksLikeZlib(b0, b1 byte) bool {
	cmfFlg := int16(uint16(b0)<<8 | uint16(b1))
	return cmfFlg&0x7800 == 0x7800 && cmfFlg%31 == 0
}

func codingName(c coding) string {
	switch c {
	case codingGzip:
		return "gzip"
	case codingDeflate:
		return "deflate"
	}
	return "identity"
}

func corrupt(name string, err error) *Error {
	e := newError(http.StatusBadRequest, TypeParseException,
		fmt.Sprintf("failed to decode the %s request body: %v", name, err))
	e.Err = err
	return e
}
