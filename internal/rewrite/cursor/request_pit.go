package cursor

import (
	"fmt"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// Names of the point-in-time members the cluster reads.
const (
	pitMember       = "pit"
	pitIDMember     = "id"
	pitKeepAlive    = "keep_alive"
	closePITMember  = "id"
	openSearchPITID = "pit_id"
)

// SearchPIT is the point in time a search body names.
type SearchPIT struct {
	// Cursor is the point in time, now holding the cluster id.
	Cursor Cursor
	// KeepAlive is pit.keep_alive, 0 when the body gives none.
	KeepAlive time.Duration
}

// RewriteSearchPIT checks and rewrites pit.id in a search body (_search,
// _async_search submit, one _msearch item; Elasticsearch and OpenSearch
// alike). It returns nil when the body has no "pit". The pit object may
// hold only id and keep_alive, both strings (the cluster's parser is
// strict too), and must hold id.
func (bd *Binder) RewriteSearchPIT(owner Owner, body *esbody.Object) (*SearchPIT, error) {
	v, ok := body.Get(pitMember)
	if !ok {
		return nil, nil
	}
	pit, ok := esbody.AsObject(v)
	if !ok {
		return nil, fmt.Errorf("%w: [pit] must be an object, found %s", ErrMalformed, v.Kind())
	}
	var token, keepAlive string
	for name, m := range pit.All() {
		s, isString := m.(esbody.String)
		switch {
		case name == pitIDMember && isString:
			token = string(s)
		case name == pitKeepAlive && isString:
			keepAlive = string(s)
		case name == pitIDMember || name == pitKeepAlive:
			return nil, fmt.Errorf("%w: [pit] %s doesn't support values of type: %s", ErrMalformed, name, tokenName(m))
		default:
			return nil, fmt.Errorf("%w: [pit] unknown field [%s]", ErrMalformed, name)
		}
	}
	if token == "" {
		return nil, fmt.Errorf("%w: [pit] requires an id", ErrMalformed)
	}
	out := &SearchPIT{}
	if keepAlive != "" {
		d, err := ParseKeepAlive(keepAlive)
		if err != nil {
			return nil, err
		}
		out.KeepAlive = d
	}
	c, err := bd.Resolve(owner, KindPIT, token)
	if err != nil {
		return nil, err
	}
	pit.Set(pitIDMember, esbody.String(c.UpstreamID))
	out.Cursor = c
	return out, nil
}

// RewriteClosePIT checks and rewrites the body of Elasticsearch's DELETE
// /_pit: {"id": "..."} and nothing else, as the cluster requires.
func (bd *Binder) RewriteClosePIT(owner Owner, body *esbody.Object) (Cursor, error) {
	if body == nil {
		return Cursor{}, fmt.Errorf("%w: closing a point in time requires a body with an id", ErrMalformed)
	}
	var token string
	for name, v := range body.All() {
		s, isString := v.(esbody.String)
		if name != closePITMember || !isString {
			return Cursor{}, unknownMember(name, v)
		}
		token = string(s)
	}
	if token == "" {
		return Cursor{}, fmt.Errorf("%w: search context id is not provided", ErrMalformed)
	}
	c, err := bd.Resolve(owner, KindPIT, token)
	if err != nil {
		return Cursor{}, err
	}
	body.Set(closePITMember, esbody.String(c.UpstreamID))
	return c, nil
}

// PITTarget is what RewriteDeletePIT found.
type PITTarget struct {
	// All says the body names "_all": every point in time. It must not be
	// forwarded as it is: list the owner's PIT ids in the Registry and
	// send the request with PITIDsBody(ids), or answer NoPITs when the
	// owner holds none.
	All bool
	// Cursors are the points in time named, in order.
	Cursors []Cursor
}

// RewriteDeletePIT checks and rewrites an OpenSearch body naming points in
// time by "pit_id" (a string or an array of strings): DELETE
// /_search/point_in_time, and GET /_cat/pit_segments. The body may hold
// nothing else. "_all" alone means every point in time (OpenSearch reads
// it so in the body too); "_all" among ids is refused.
func (bd *Binder) RewriteDeletePIT(owner Owner, body *esbody.Object) (PITTarget, error) {
	var ids []string
	var array bool
	for name, v := range body.All() {
		if name != openSearchPITID {
			return PITTarget{}, unknownMember(name, v)
		}
		var err error
		if ids, array, err = stringOrArray(openSearchPITID, v); err != nil {
			return PITTarget{}, err
		}
	}
	if len(ids) == 0 {
		return PITTarget{}, fmt.Errorf("%w: no pit ids specified", ErrMalformed)
	}
	if hasAll(ids) {
		return PITTarget{}, fmt.Errorf("%w: _all mixed with pit ids", ErrMalformed)
	}
	if isAll(ids) {
		return PITTarget{All: true}, nil
	}
	cursors, err := bd.resolveAll(owner, KindPIT, ids)
	if err != nil {
		return PITTarget{}, err
	}
	body.Set(openSearchPITID, idsValue(upstreamIDs(cursors), array))
	return PITTarget{Cursors: cursors}, nil
}

// PITIDsBody returns an OpenSearch body naming the given cluster PIT ids:
// {"pit_id":[...]}, for DELETE /_search/point_in_time in place of "_all".
func PITIDsBody(upstreamIDs []string) *esbody.Object {
	o, _ := esbody.NewObject(esbody.Member{Name: openSearchPITID, Value: idsValue(upstreamIDs, true)})
	return o
}

// NoPITs is OpenSearch's answer to a PIT deletion or listing that found
// none: the answer to "_all" from an owner who holds no point in time.
const NoPITs = `{"pits":[]}`
