// Package esbody reads request bodies the way Elasticsearch reads them, or
// refuses them.
//
// The cluster behind the proxy enforces no security: whatever body the proxy
// forwards is executed with full rights. If the proxy parses a body
// differently from the cluster (a duplicate key, a comment, a UTF-16 body, a
// gzip body, a blank NDJSON line), it authorizes one request and the
// cluster runs another. So every function here either reproduces the
// cluster's reading exactly or refuses with an Elasticsearch-style *Error.
// Where the cluster is lenient, version-dependent or surprising, the package
// refuses rather than mirrors, and says so in the function documentation.
//
// The flow is:
//
//	body, err := esbody.Read(r, maxBytes)          // encodings, types, charset, ?source=
//	doc, err := esbody.ParseJSON(body.Raw)         // or ParseBulk / ParseMsearch / ParseMget
//	... authorize, rewrite doc ...
//	body.Raw, err = esbody.Encode(doc)             // or EncodeBulk / EncodeMsearch / EncodeMget
//	body.Apply(outgoing)                           // identity-encoded, corrected Content-Length
//
// Because the forwarded bytes are the ones the proxy parsed (decoded, UTF-8,
// no byte order mark, or re-encoded canonical JSON), the cluster's decoder
// and charset detection never see anything the proxy did not.
//
// Elasticsearch behaviour this package relies on, checked against the
// Elasticsearch sources (8.x/9.x main unless noted):
//   - JSON: JsonXContentImpl configures Jackson with ALLOW_COMMENTS and
//     STRICT_DUPLICATE_DETECTION; XContentImplUtils only lifts the string
//     length limit, so Jackson's defaults (nesting 1000, number length 1000)
//     stand. Jackson detects UTF-16/32 from the first bytes and skips a UTF-8
//     BOM (ByteSourceJsonBootstrapper).
//   - Content types: XContentType maps application/json, application/x-ndjson
//     and application/* to JSON, application/vnd.elasticsearch+json and
//     +x-ndjson (compatible-with=<digits>) to vendor JSON; ParsedMediaType
//     ignores unknown parameters such as charset. RestController answers 406
//     "Content-Type header [x] is not supported" (or "... is missing") for a
//     body without a known type, and refuses text/plain,
//     application/x-www-form-urlencoded and multipart/form-data (CSRF). A
//     repeated or empty Content-Type is a 400 media_type_header_exception.
//   - ?source=: RestRequest.contentOrSourceParam uses the source parameter,
//     typed by source_content_type, only when the request has no content;
//     RestUtils.decodeQueryString splits on '&' and ';', stops at '#', and
//     decodes '+' and "%%".
//   - Compression: Netty4HttpServerTransport always installs Netty's
//     HttpContentDecompressor: gzip/x-gzip, deflate/x-deflate (ZLIB_OR_NONE,
//     JdkZlibDecoder.looksLikeZlib), br/zstd when available, snappy; other
//     codings pass through undecoded.
//   - _bulk: BulkRequestParser splits on '\n', requires a final '\n', skips
//     action lines without a token, gives delete no document line, refuses
//     unknown actions (9.x; 8.x only warned) and unknown metadata fields, and
//     trims a '\r' before '\n' from document lines.
//   - _msearch: MultiSearchRequest.readMultiLineFormat treats a zero-length
//     header line as "no options" (7.x: skips a leading one), accepts index
//     or indices as a comma string or array, and refuses unknown header keys.
//   - _mget: MultiGetRequest.add accepts docs and ids (both, appended) and
//     does not skip unknown object or array values inside a doc.
package esbody
