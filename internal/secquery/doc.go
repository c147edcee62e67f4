// Package secquery evaluates the query DSL of Elasticsearch's security
// query APIs (POST /_security/_query/api_key, /_query/role, /_query/user)
// over documents the proxy keeps itself: the cluster behind the proxy has
// no security index to run them on.
//
// It accepts what Elasticsearch accepts there (ApiKeyBoolQueryBuilder and
// its siblings): the query types bool, match_all, ids, term, terms, match,
// prefix, wildcard, exists, range (with date math) and
// simple_query_string, over the fields a Schema allows, with keyword
// semantics for string fields (exact, case-sensitive terms, as the
// security index maps them); from, size, sort and search_after; and the
// aggregations terms, filter, filters, missing, cardinality and
// value_count. Any other field, query type, option or aggregation is a
// *QueryError naming it, never a silently different answer.
package secquery
