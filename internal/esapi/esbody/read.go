package esbody

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Body is a request body as the cluster will see it.
type Body struct {
	// Raw is the body the cluster must parse: decompressed, UTF-8, with no
	// byte order mark. It is empty when the request has no body.
	Raw []byte
	// ContentType is the Content-Type header value (or the
	// source_content_type parameter) the body came with, validated; "" when
	// there is no body. It is forwarded unchanged, because a vendor type
	// with compatible-with selects the cluster's REST API version.
	ContentType string
	// MediaType is the canonical type: MediaJSON or MediaNDJSON ("" when
	// there is no body). The route, not the type, decides whether the body
	// is read as JSON or NDJSON: the cluster accepts either spelling for
	// both.
	MediaType string
	// FromSourceParam is true when the body came from the source query
	// parameter of a request without content.
	FromSourceParam bool
	// Encoded is true when the request body was gzip or deflate compressed
	// and Raw is its decoded form.
	Encoded bool
}

// Read reads r's body the way Elasticsearch would, bounded by maxBytes, or
// refuses the request. It consumes r.Body but does not close it.
//
// In order:
//  1. Content-Type headers are syntax-checked like the cluster's RestRequest
//     does for every request (400 media_type_header_exception).
//  2. Content-Encoding gzip/x-gzip and deflate/x-deflate (zlib or raw, told
//     apart like Netty does) are decoded, because Netty's
//     HttpContentDecompressor decodes them in front of the cluster's REST
//     layer. identity is a no-op; every other or stacked coding is refused
//     (415). See contentCoding.
//  3. The compressed and the decompressed size are each bounded by maxBytes
//     (413); the decompressed bound is enforced while decoding, so a zip
//     bomb costs at most maxBytes of memory.
//  4. If the decoded body is empty and the URI has a source parameter, the
//     parameter is the body (RestRequest.contentOrSourceParam), typed by
//     source_content_type. A request with both a body and a source
//     parameter is refused as ambiguous, although the cluster would use
//     the body. Repeated parameters are refused.
//  5. A non-empty body needs a JSON Content-Type (application/json,
//     application/x-ndjson, application/*, application/vnd.elasticsearch+json
//     or +x-ndjson): a missing one is refused like the cluster does (406
//     "Content-Type header is missing"; Elasticsearch stopped sniffing
//     content in 6.0), text/plain and the other CORS-safelisted types too
//     (406, as since 8.0), and SMILE, CBOR and YAML, which the cluster would
//     parse, are refused because the proxy cannot inspect them (406). A
//     charset other than UTF-8 is refused (415).
//  6. The bytes must be UTF-8 as Jackson would detect it: UTF-16 and UTF-32,
//     with or without byte order mark, are refused (415), invalid UTF-8 is
//     refused (400), and a leading UTF-8 byte order mark is stripped, as
//     Jackson skips it.
//
// Read does not parse JSON; call ParseJSON, ParseBulk, ParseMsearch or
// ParseMget on Raw, depending on the route. Errors are *Error.
func Read(r *http.Request, maxBytes int64) (*Body, error) {
	b, err := read(r, maxBytes)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func read(r *http.Request, maxBytes int64) (*Body, *Error) {
	if maxBytes < 0 {
		maxBytes = 0
	}
	headerCT, err := headerContentType(r.Header)
	if err != nil {
		return nil, err
	}
	coding, err := contentCoding(r.Header)
	if err != nil {
		return nil, err
	}
	raw, err := readRaw(r, maxBytes)
	if err != nil {
		return nil, err
	}
	decoded, err := decodeBody(raw, coding, maxBytes)
	if err != nil {
		return nil, err
	}
	body := &Body{Encoded: coding != codingIdentity && len(raw) > 0}

	sp, err := findSourceParam(r)
	if err != nil {
		return nil, err
	}
	ct := headerCT
	switch {
	case sp.present && len(decoded) > 0:
		return nil, badRequest(TypeIllegalArgument,
			"request has both a body and a [source] parameter; send the body only once")
	case sp.present:
		if sp.contentType == "" {
			return nil, badRequest(TypeIllegalArgument, "source and source_content_type parameters are required")
		}
		if len(sp.body) == 0 {
			// Forwarded as content, an empty source would turn into "no
			// body", which some APIs read as match_all.
			return nil, badRequest(TypeIllegalArgument, "the [source] parameter is empty")
		}
		if int64(len(sp.body)) > maxBytes {
			return nil, tooLarge("[source] parameter", maxBytes)
		}
		decoded, ct, body.FromSourceParam = sp.body, sp.contentType, true
		body.Encoded = false
	case len(decoded) == 0:
		// No content: the cluster ignores the Content-Type of an empty
		// request (beyond the syntax check above).
		return body, nil
	}

	media, err := acceptContentType(ct)
	if err != nil {
		if ct == "" {
			if f := sniffFormat(decoded); f != "" {
				err.Reason += fmt.Sprintf(" (the body looks like %s)", f)
			}
		}
		return nil, err
	}
	text, err := checkCharset(decoded)
	if err != nil {
		return nil, err
	}
	body.Raw, body.ContentType, body.MediaType = text, ct, media
	return body, nil
}

// readRaw reads the body as sent, at most maxBytes of it.
func readRaw(r *http.Request, maxBytes int64) ([]byte, *Error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > maxBytes {
		return nil, tooLarge("request body", maxBytes)
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge("request body", maxBytes)
		}
		e := newError(http.StatusBadRequest, TypeParseException, fmt.Sprintf("failed to read the request body: %v", err))
		e.Err = err
		return nil, e
	}
	if int64(len(raw)) > maxBytes {
		return nil, tooLarge("request body", maxBytes)
	}
	return raw, nil
}

// Apply makes out carry b as its body, for forwarding to the cluster.
//
// The proxy forwards what it parsed, not what it received: the decoded,
// identity-encoded Raw bytes with a matching Content-Length, no
// Content-Encoding and no Transfer-Encoding, and Content-Type set to
// ContentType. The cluster therefore parses exactly the bytes the proxy
// checked, whatever its decompressor or charset detection would have made
// of the original. A body that came from the source parameter is moved into
// the content and the source and source_content_type parameters are
// removed from out.URL.RawQuery (the cluster prefers content over the
// parameter, so the meaning is the same). A caller that rewrote the body
// sets b.Raw (e.g. to the output of Encode or EncodeBulk) before Apply.
func (b *Body) Apply(out *http.Request) {
	out.Header.Del("Content-Encoding")
	out.Header.Del("Transfer-Encoding")
	out.Header.Del("Content-Length")
	out.TransferEncoding = nil
	if b.FromSourceParam && out.URL != nil {
		out.URL.RawQuery = stripSourceParams(out.URL.RawQuery)
		out.URL.ForceQuery = false
	}
	if len(b.Raw) == 0 {
		out.Body, out.ContentLength, out.GetBody = http.NoBody, 0, nil
		return
	}
	raw := b.Raw
	out.Body = io.NopCloser(bytes.NewReader(raw))
	out.ContentLength = int64(len(raw))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
	out.Header.Set("Content-Length", strconv.Itoa(len(raw)))
	if b.ContentType != "" {
		out.Header.Set("Content-Type", b.ContentType)
	}
}
