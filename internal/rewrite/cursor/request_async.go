package cursor

import (
	"fmt"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// sqlCursorMember is where SQL bodies carry a cursor.
const sqlCursorMember = "cursor"

// RewriteAsyncID checks the {id} path parameter of the async-result APIs
// and returns the cluster id to put in the path: GET/DELETE
// _async_search/{id}, GET _async_search/status/{id}, GET/DELETE
// _eql/search/{id}, GET _eql/search/status/{id}, GET _sql/async/{id},
// GET _sql/async/status/{id}, DELETE _sql/async/delete/{id}, GET/DELETE
// _query/async/{id}, POST _query/async/{id}/stop.
func (bd *Binder) RewriteAsyncID(owner Owner, pathID string) (Cursor, error) {
	if pathID == "" {
		return Cursor{}, fmt.Errorf("%w: empty async id", ErrMalformed)
	}
	return bd.Resolve(owner, KindAsync, pathID)
}

// RewriteSQLCursor checks and rewrites the "cursor" of an SQL query body
// (Elasticsearch _sql, OpenSearch _plugins/_sql and _opendistro/_sql). It
// returns nil when the body has no cursor or an empty one (the cluster
// then runs the query instead). A cursor that is not a string is refused.
func (bd *Binder) RewriteSQLCursor(owner Owner, body *esbody.Object) (*Cursor, error) {
	v, ok := body.Get(sqlCursorMember)
	if !ok {
		return nil, nil
	}
	s, ok := v.(esbody.String)
	if !ok {
		return nil, fmt.Errorf("%w: [cursor] must be a string, found %s", ErrMalformed, v.Kind())
	}
	if s == "" {
		return nil, nil
	}
	c, err := bd.Resolve(owner, KindSQLCursor, string(s))
	if err != nil {
		return nil, err
	}
	body.Set(sqlCursorMember, esbody.String(c.UpstreamID))
	return &c, nil
}

// RewriteSQLClose checks and rewrites the body of an SQL cursor close
// (_sql/close, _plugins/_sql/close, _opendistro/_sql/close), which must
// name a cursor.
func (bd *Binder) RewriteSQLClose(owner Owner, body *esbody.Object) (Cursor, error) {
	c, err := bd.RewriteSQLCursor(owner, body)
	if err != nil {
		return Cursor{}, err
	}
	if c == nil {
		return Cursor{}, fmt.Errorf("%w: closing an SQL cursor requires a cursor", ErrMalformed)
	}
	return *c, nil
}
