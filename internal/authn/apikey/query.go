package apikey

import "github.com/portcullis-proxy/portcullis/internal/secquery"

// QuerySchema is what POST /_security/_query/api_key lets a query, a sort
// or an aggregation name (Elasticsearch's ApiKeyFieldNameTranslators): the
// public information of a key, never its hash, owner roles or role
// descriptors; "id" only through an ids query.
func QuerySchema() *secquery.Schema {
	return &secquery.Schema{Noun: "API Key", Fields: map[string]secquery.Kind{
		"name": secquery.Keyword, "type": secquery.Keyword, "username": secquery.Keyword, "realm_name": secquery.Keyword,
		"creation": secquery.Date, "expiration": secquery.Date, "invalidated": secquery.Bool, "invalidation": secquery.Date,
	}, Flattened: []string{"metadata"}}
}

// QueryDoc is k as the query API key API sees it.
func (k *Key) QueryDoc() secquery.Doc {
	d := secquery.Doc{ID: k.ID, Values: map[string][]any{
		"name": {k.Name}, "type": {"rest"}, "username": {k.Username}, "realm_name": {k.Realm},
		"creation": {k.Creation}, "invalidated": {k.Invalidated},
	}}
	if k.Expiration != 0 {
		d.Values["expiration"] = []any{k.Expiration}
	}
	if k.Invalidated && k.Invalidation != 0 {
		d.Values["invalidation"] = []any{k.Invalidation}
	}
	d.AddFlattened("metadata", k.Metadata)
	return d
}
