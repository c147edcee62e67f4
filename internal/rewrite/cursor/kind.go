package cursor

import "fmt"

// Kind is the family of a continuation id. A token of one kind is never
// accepted as another: the kind is part of the token's prefix and of the
// authenticated data.
type Kind uint8

// The kinds of continuation ids.
const (
	// KindScroll is a scroll id (_scroll_id in search responses; the
	// scroll and clear_scroll APIs).
	KindScroll Kind = iota + 1
	// KindPIT is a point-in-time id: Elasticsearch's _pit "id",
	// OpenSearch's "pit_id", and "pit.id" in search bodies.
	KindPIT
	// KindAsync is the id of an asynchronous search: _async_search, EQL,
	// SQL and ES|QL async ids. Elasticsearch stores them all as async
	// results (DELETE _async_search/{id} removes any of them), so they are
	// one kind.
	KindAsync
	// KindSQLCursor is an SQL cursor (Elasticsearch _sql, OpenSearch
	// _plugins/_sql and _opendistro/_sql).
	KindSQLCursor
)

// kindCodes are the characters that name each kind in a token prefix.
const kindCodes = "spac"

// String returns the lower-case name of the kind.
func (k Kind) String() string {
	switch k {
	case KindScroll:
		return "scroll"
	case KindPIT:
		return "pit"
	case KindAsync:
		return "async"
	case KindSQLCursor:
		return "sql_cursor"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// valid reports whether k is one of the declared kinds.
func (k Kind) valid() bool { return k >= KindScroll && k <= KindSQLCursor }

// code returns the prefix character of a valid kind.
func (k Kind) code() byte { return kindCodes[k-1] }
