// Package fls is the field-level security engine of the proxy: it decides
// which fields of an index a user may see, and filters upstream responses
// so that nothing of a hidden field reaches the client.
//
// The cluster behind the proxy has no security of its own, so Elasticsearch's
// Lucene-level field filtering (FieldSubsetReader) has to be rebuilt from
// outside: the request side (package flsquery) neutralises references to
// hidden fields, and this package filters every response that can carry
// field names or values.
//
// # Visibility
//
// A View combines a user's field predicate for one index (the union of the
// field_security definitions of the user's roles, *authz.FieldAccess) with
// the index's mapping (ParseMappings). Elasticsearch's rules, extended where
// Elasticsearch leaks:
//   - metadata fields (_id, _index, _routing, _source…) are always visible;
//     _field_names, _ignored, _tsid and _ignored_source, whose values are
//     field names or field values, are never visible as fields under FLS
//     (the hit member _ignored is filtered entry by entry instead);
//   - a field is visible when the predicate allows its full dotted path;
//   - a multi-field (title.keyword) follows its parent (title), closing the
//     .keyword leak OpenSearch suffered (GHSA-v3cg-7r9h-r2g6);
//   - a field alias is visible when its own name is allowed and its target
//     is visible;
//   - a copy_to target is visible only when it is allowed and every field
//     copying into it is visible, since it indexes their values;
//   - runtime fields (and OpenSearch derived fields) are never visible under
//     FLS: their scripts can read any field;
//   - an object is visible, as a container only, when a descendant is.
//
// Paths the mapping does not know are judged on their names, failing closed:
// under a mapped leaf they need the leaf to be visible too, elsewhere every
// unmapped dotted prefix must be allowed as well.
//
// # Filters
//
// A Filter rewrites a response body read from an io.Reader into an
// io.Writer, token by token, without building the response in memory: the
// memory used is bounded by the largest single value that has to be held
// (a hit whose _index comes after its _source, one index's mapping), not by
// the response size. What is not filtered is copied verbatim (same members,
// same order, numbers and strings byte for byte); whitespace between tokens
// is dropped. A response the filter cannot read makes it fail with an
// error; what it wrote until then is filtered output, and the caller must
// abort the response rather than complete it.
package fls
