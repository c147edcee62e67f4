package esbody

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// limitedBody reads a request body as sent and refuses (413) as soon as it
// exceeds max bytes, like readRaw does for a body read at once.
type limitedBody struct {
	r    io.Reader
	max  int64
	read int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > l.max+1-l.read {
		p = p[:l.max+1-l.read]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	if l.read > l.max {
		return 0, tooLarge("request body", l.max)
	}
	if err != nil && err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return n, tooLarge("request body", l.max)
		}
		e := newError(http.StatusBadRequest, TypeParseException, fmt.Sprintf("failed to read the request body: %v", err))
		e.Err = err
		return n, e
	}
	return n, err
}

// decodedBody is the streaming counterpart of decodeBody: it decompresses
// src as it is read, refuses (413) output beyond limit bytes, and refuses
// (400) corrupt streams and data after the end of the compressed stream.
type decodedBody struct {
	src   *bufio.Reader // the raw body; an io.ByteReader, so decoders do not read past their stream
	dec   io.Reader
	c     coding
	limit int64
	out   int64
}

// newDecodedBody starts decoding src with c. The decoder's header is read
// lazily, on the first Read, so an empty body stays empty.
func newDecodedBody(src io.Reader, c coding, limit int64) *decodedBody {
	return &decodedBody{src: bufio.NewReaderSize(src, 64<<10), c: c, limit: limit}
}

func (d *decodedBody) Read(p []byte) (int, error) {
	if d.dec == nil {
		if err := d.start(); err != nil {
			return 0, err
		}
	}
	if int64(len(p)) > d.limit+1-d.out {
		p = p[:d.limit+1-d.out]
	}
	n, err := d.dec.Read(p)
	d.out += int64(n)
	if d.out > d.limit {
		if d.c == codingIdentity {
			return 0, tooLarge("request body", d.limit)
		}
		return 0, tooLarge("decompressed request body", d.limit)
	}
	switch {
	case err == io.EOF && d.c != codingIdentity:
		if _, perr := d.src.Peek(1); perr == nil {
			return n, corrupt(codingName(d.c), errors.New("data after the end of the compressed stream"))
		} else if perr != io.EOF {
			return n, asBodyError(perr, d.c)
		}
	case err != nil && err != io.EOF:
		return n, asBodyError(err, d.c)
	}
	return n, err
}

// start reads the compressed stream's header. An empty body decodes to an
// empty body, as Netty does.
func (d *decodedBody) start() error {
	if d.c == codingIdentity {
		d.dec = d.src
		return nil
	}
	head, err := d.src.Peek(2)
	if len(head) == 0 && err == io.EOF {
		d.dec = eofReader{}
		return nil
	}
	switch d.c {
	case codingGzip:
		zr, err := gzip.NewReader(d.src)
		if err != nil {
			return asBodyError(err, d.c)
		}
		zr.Multistream(false) // Netty decodes one member; leftovers are refused in Read
		d.dec = zr
	case codingDeflate:
		if len(head) < 2 {
			return corrupt("deflate", errors.New("stream shorter than 2 bytes"))
		}
		if looksLikeZlib(head[0], head[1]) {
			zr, err := zlib.NewReader(d.src)
			if err != nil {
				return asBodyError(err, d.c)
			}
			d.dec = zr
		} else {
			d.dec = flate.NewReader(d.src)
		}
	}
	return nil
}

// asBodyError keeps the refusals of limitedBody and calls anything else a
// corrupt stream.
func asBodyError(err error, c coding) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if c == codingIdentity {
		return corrupt("identity", err)
	}
	return corrupt(codingName(c), err)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
