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
//   - a flattened field (OpenSearch flat_object, Elasticsearch flattened)
//     and its keys are visible only when the roles grant every key: the
//     field indexes all its keys' values under its own name, and OpenSearch
//     answers a fields-API request for any key with the whole object
//     (_source still shows the granted keys one by one);
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
// (a hit whose _index comes after its _source, one index's mapping, a
// value copied whole), not by the response size, and never exceeds 256 MiB
// for one value. What is not filtered is copied verbatim (same members,
// same order, numbers and strings byte for byte); whitespace between tokens
// is dropped, whitespace inside values copied whole is kept. A response
// the filter cannot read makes it fail with an error; what it wrote until
// then is filtered output, and the caller must abort the response rather
// than complete it. Bodies of non-2xx responses pass unchanged (Apply).
//
// Choices, all failing closed:
//   - an index the Policy does not know is hidden (metadata only) and
//     reported through Filter.OnUnknownIndex; a hit without _index takes
//     the index of the enclosing hit (inner hits, _explain's get), or is
//     hidden;
//   - a hit member the filter does not know is dropped under FLS, and a
//     _source that is neither an object nor null is dropped;
//   - a hit that may be a nested document (inner hits, top_hits) is held
//     until its _nested is read, or to its end, since its _source is
//     relative to the nested path; a _nested after content already
//     filtered aborts;
//   - as in Elasticsearch, an object or array of _source that filtering
//     empties is dropped (one that was empty stays if its path is
//     visible), and _source itself stays, as {} when nothing is visible;
//   - each index's mappings are read whole and parsed, and judged against
//     that mapping, so that a field added since the Policy's mapping was
//     read is judged by its real definition;
//   - in _field_caps, a type entry that lists its indices keeps those where
//     the field is visible; one that does not (its indices are not named)
//     stays only if the field is visible in every index of the response;
//   - duplicate member names are not refused (Elasticsearch never writes
//     them, and each one is judged on its own name) except where they
//     would change the meaning: _index, _nested, field caps' indices.
//
// The JSON reader is the package's own (lexer.go, scan.go): a strict,
// allocation-free tokenizer that accepts exactly what jsontext accepts
// (fuzzed against it), written because jsontext's cost per token alone is
// above the filter's budget. Whole-subtree decisions (subtree.go) and runs
// of visible members copied at once keep the cost per byte near that of
// validating the input.
package fls
