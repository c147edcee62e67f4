package dls

import (
	"encoding/json"
	"sync"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// DefaultCacheEntries is the size NewCache uses for a non-positive bound.
const DefaultCacheEntries = 4096

// Cache keeps compiled role queries (keyed by their text) and validated
// renderings of templates (keyed by the rendered text, so no user
// fingerprint is needed: two users whose metadata render the same query
// share the entry). Rendering a template is cheap; parsing and validating
// the result is what the cache saves.
//
// Each map holds at most the configured number of entries in two
// generations: when the current one is full it becomes the previous one
// (still searched) and the older one is dropped. That bounds memory without
// bookkeeping on every hit; an entry dropped while still in use is simply
// built again.
//
// Values handed out are shared and must not be modified; Filter and
// Queries return copies. A Cache is safe for concurrent use; the caller
// owns it (there is no package-level cache).
type Cache struct {
	max       int
	mu        sync.Mutex
	compiled  generations[*compiledQuery]
	renderers generations[esbody.Value]
}

// NewCache returns a cache holding up to maxEntries entries of each kind
// (DefaultCacheEntries when maxEntries <= 0).
func NewCache(maxEntries int) *Cache {
	if maxEntries <= 0 {
		maxEntries = DefaultCacheEntries
	}
	return &Cache{max: maxEntries}
}

// compile returns the compiled form of a role query.
func (c *Cache) compile(raw json.RawMessage) *compiledQuery {
	c.mu.Lock()
	cq, ok := c.compiled.get(string(raw))
	c.mu.Unlock()
	if ok {
		return cq
	}
	cq = compileRoleQuery(raw)
	c.mu.Lock()
	c.compiled.put(string(raw), cq, c.max)
	c.mu.Unlock()
	return cq
}

func (c *Cache) rendered(text string) (esbody.Value, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.renderers.get(text)
}

func (c *Cache) storeRendered(text string, v esbody.Value) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.renderers.put(text, v, c.max)
}

// Query returns one role query ready for use for u: rendered if it is a
// template, parsed strictly and validated. The result is shared: do not
// modify it (esbody.Clone it first).
func (c *Cache) Query(raw json.RawMessage, u User) (esbody.Value, error) {
	return c.compile(raw).render(&userModel{user: u}, c)
}

// Queries returns the role queries of one index ready for use (for
// MatchesAny), each a copy the caller may modify.
func (c *Cache) Queries(raws []json.RawMessage, u User) ([]esbody.Value, error) {
	um := &userModel{user: u}
	out := make([]esbody.Value, len(raws))
	for i, raw := range raws {
		q, err := c.compile(raw).render(um, c)
		if err != nil {
			return nil, err
		}
		out[i] = esbody.Clone(q)
	}
	return out, nil
}

// Render returns indices with every template rendered for u and every
// query validated and re-encoded as compact JSON: what Filter accepts.
func (c *Cache) Render(u User, indices []IndexDLS) ([]IndexDLS, error) {
	um := &userModel{user: u}
	out := make([]IndexDLS, len(indices))
	for i, ix := range indices {
		out[i].Index = ix.Index
		for _, raw := range ix.Queries {
			q, err := c.compile(raw).render(um, c)
			if err != nil {
				return nil, RoleQueryRefusal(ix.Index, err)
			}
			b, err := esbody.Encode(q)
			if err != nil {
				return nil, RoleQueryRefusal(ix.Index, err)
			}
			out[i].Queries = append(out[i].Queries, b)
		}
	}
	return out, nil
}

// Filter is the package-level Filter for raw role queries, templates
// included: each is rendered for u, validated and cached.
func (c *Cache) Filter(u User, indices []IndexDLS) (esbody.Value, error) {
	um := &userModel{user: u}
	return buildFilter(indices, func(raw json.RawMessage) (esbody.Value, error) {
		return c.compile(raw).render(um, c)
	})
}

// generations is a two-generation bounded map.
type generations[V any] struct {
	cur, prev map[string]V
}

func (g *generations[V]) get(k string) (V, bool) {
	if v, ok := g.cur[k]; ok {
		return v, true
	}
	v, ok := g.prev[k]
	return v, ok
}

func (g *generations[V]) put(k string, v V, max int) {
	if g.cur == nil {
		g.cur = make(map[string]V)
	}
	if len(g.cur) >= (max+1)/2 {
		g.prev, g.cur = g.cur, make(map[string]V)
	}
	g.cur[k] = v
}
