package cursor

// The fields that carry ids in the responses of each API. Each function
// returns a new slice, which the caller may extend.

// SearchFields are the ids of a search or scroll response (_search,
// _search/scroll, _search/template, Elasticsearch and OpenSearch):
// _scroll_id and, for a search on a point in time, pit_id.
func SearchFields() []Field {
	return []Field{{Path: "_scroll_id", Kind: KindScroll}, {Path: "pit_id", Kind: KindPIT}}
}

// MsearchFields are the ids of an _msearch response: each item is a search
// response (an item may search a point in time).
func MsearchFields() []Field {
	return []Field{{Path: "responses[]._scroll_id", Kind: KindScroll}, {Path: "responses[].pit_id", Kind: KindPIT}}
}

// OpenPITFields is the id of Elasticsearch's POST /{index}/_pit response.
func OpenPITFields() []Field { return []Field{{Path: "id", Kind: KindPIT}} }

// CreatePITFields is the id of OpenSearch's POST
// /{index}/_search/point_in_time response.
func CreatePITFields() []Field { return []Field{{Path: "pit_id", Kind: KindPIT}} }

// DeletePITFields are the ids of OpenSearch's DELETE
// /_search/point_in_time[/_all] response: {"pits":[{"pit_id":…}]}. The
// replace function maps each cluster id back to the token the client sent
// (or the registry holds).
func DeletePITFields() []Field { return []Field{{Path: "pits[].pit_id", Kind: KindPIT}} }

// AsyncSearchFields are the ids of an _async_search submit, get or status
// response: the search's id, and the ids of the search response it wraps
// ("response"), which may search a point in time.
func AsyncSearchFields() []Field {
	return []Field{
		{Path: "id", Kind: KindAsync},
		{Path: "response._scroll_id", Kind: KindScroll},
		{Path: "response.pit_id", Kind: KindPIT},
	}
}

// AsyncFields is the id of an EQL or ES|QL response (submit, get, status):
// present when the search runs or is kept asynchronously.
func AsyncFields() []Field { return []Field{{Path: "id", Kind: KindAsync}} }

// SQLFields are the ids of an SQL response (Elasticsearch _sql and its
// async get, OpenSearch _plugins/_sql with the jdbc format): the async id
// and the cursor of the next page.
func SQLFields() []Field {
	return []Field{{Path: "id", Kind: KindAsync}, {Path: "cursor", Kind: KindSQLCursor}}
}
