// Package flsquery rewrites search-like request bodies so that fields hidden
// by field-level security (FLS) behave as if they did not exist.
//
// The cluster behind the proxy has no security of its own: a query, an
// aggregation, a sort or a suggester on a hidden field would read the
// field's values and let them shape the response (which documents match,
// bucket keys, ordering, scores, suggestions), even when the response filter
// later removes the field from _source. So before a body is forwarded, every
// place that names a field is found and, when the field is hidden, the name
// is replaced.
//
// # Whitelist walk
//
// The body is walked with a whitelist: every top-level member, query type,
// aggregation type, suggester and option the package knows is listed with
// the positions that hold field names (Elasticsearch 7/8/9 and OpenSearch
// 2.x). Anything else is refused while FLS applies, because an unknown
// construct may read any field. Constructs that read fields the package
// cannot see are refused too: scripts everywhere (script and script_score
// queries, function_score script_score, terms_set and intervals scripts,
// script_fields, runtime_mappings, OpenSearch derived fields, scripted
// metric, bucket_script, bucket_selector and moving_fn aggregations,
// script sorts, scripted heuristics, _update_by_query scripts; an empty
// script_fields or runtime_mappings object, which Kibana always sends, is
// kept), lookups of stored documents (terms lookup, more_like_this with
// documents, percolate by id, indexed shapes), parent-join queries and
// aggregations (the join field is not visible to the package),
// phrase-suggester collate templates, completion contexts,
// quote_field_suffix, retrievers, sub_searches, inline search pipelines,
// learning-to-rank rescorers and plugin extensions (ext).
//
// # The neutral field
//
// A hidden field is renamed to NeutralField, ".portcullis_hidden_field".
// No mapping can hold that name: a field name with an empty first path
// segment is refused by Elasticsearch and OpenSearch alike in explicit
// mappings ("name cannot be empty string"), in documents and dynamic
// mappings ("object field starting or ending with a [.] makes object
// resolution ambiguous"), as a copy_to target (the write fails), as a field
// alias and as an OpenSearch derived field. (Elasticsearch's mapping-level
// runtime fields are the one place that is not validated the same way; the
// mapping-aware fls package should treat such a field as a
// misconfiguration.) On OpenSearch 2.19, term, terms, match*, range,
// exists, prefix, wildcard, regexp, fuzzy, span, intervals, query_string,
// multi_match and simple_query_string on it match nothing without an error;
// aggregations return empty buckets or null values; stored, docvalue and
// fields-API requests return nothing. The remaining cases answer the way
// the cluster answers for any unmapped field: sorts get an unmapped_type
// (keyword, or long/date when numeric_type, a numeric mode or format
// demand it) so every document sorts as missing; geo queries and nested
// get ignore_unmapped, so they match nothing; collapse, suggesters, decay
// functions, random_score, terms_set's minimum_should_match_field,
// percolate and field_value_factor without missing fail with the
// cluster's own "no mapping found" error, as for any missing field.
//
// Multi-field lists (multi_match, query_string, simple_query_string,
// combined_fields, more_like_this) drop hidden fields; wildcard patterns,
// and the index default "*" when no fields are given, are expanded to the
// visible fields (an empty list becomes [NeutralField], which matches
// nothing). exists expands an object to its visible leaves, because the
// cluster would otherwise count documents that only hold hidden children.
//
// # Several indices with different views
//
// A request may reach indices whose visible fields differ. Query positions
// that only select documents (query, post_filter, rescore queries, the
// filters of filter/filters/adjacency_matrix aggregations, knn filters,
// significant_terms background filters, _terms_enum and _field_caps
// index_filter) are rewritten once per distinct view; when the rewrites
// differ, the query becomes a bool.should of copies, each limited to the
// indices of its view by a terms query on _index, so a field visible in
// index A still matches A's documents while B's documents never match on
// B's hidden field. Scores are unchanged: a document matches exactly one
// copy. Splitting is skipped (and the stricter rule below used) when the
// query carries inner_hits, whose names would collide, or when there are
// more than MaxSplitViews distinct views.
//
// Everything that cannot be split (aggregation fields, sort, collapse,
// highlight, suggesters, slice, knn fields, docvalue and stored fields) is
// rewritten against the intersection of the views: a field hidden in any
// reached index is neutralised for all of them, which is stricter than
// Elasticsearch.
//
// # query_string syntax
//
// query_string text (and the URL q parameter, see QueryFromURL) can name
// fields itself. The package tokenizes it like Lucene's classic query
// parser (the parser behind query_string in both clusters): every term
// followed by a colon is a field prefix, after Lucene's unescaping
// (including \uXXXX escapes). A hidden prefix is renamed to NeutralField,
// a wildcard prefix (book.\*:x, *:x) is expanded to a parenthesised OR of
// the visible fields, and _exists_:f is treated like an exists query.
// Text the tokenizer cannot read is refused while FLS applies.
//
// URL parameters that the cluster turns into body members (q and its
// companions, sort, suggest_field) are converted by QueryFromURL,
// SortFromURL and SuggestFromURL, so the integrator can move them into
// the body before rewriting. FieldVisible and VisibleFields answer for a
// single field (a _terms_enum field, _field_caps fields=).
//
// Bodies handled: _search, _async_search and _msearch items (API Search),
// _count, _explain, _validate/query, _delete_by_query, _update_by_query,
// _terms_enum, _knn_search and _field_caps. The package is pure: no I/O.
package flsquery
