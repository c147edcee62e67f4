package server

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/cursor"
)

// withCursorResponses carries out the cursor stage after the audit
// record: it answers "_all" requests for callers holding no cursor, wraps
// every id in a successful answer into a token bound to the caller (and
// records it), and forgets the ids a successful deletion removed.
func withCursorResponses(cs *Cursors, rs *Restrictions, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		c := st.cursor
		if c == nil {
			next.ServeHTTP(w, r)
			return
		}
		if c.answer != nil {
			c.answer(w)
			return
		}
		owner := cursor.OwnerOf(st.Principal)
		var f bodyFilter
		switch {
		case c.allPITs:
			f = thenFilterPath(cs.ownPITsFilter(r, owner), c.after)
		case len(c.fields) > 0:
			replace := cs.wrapper(r, st, rs, owner)
			if len(c.forget) > 0 || len(c.forgetIDs) > 0 {
				replace = cs.knownTokens(r, owner, c)
			}
			fields := c.fields
			f = func(dst io.Writer, src io.Reader) error { return cursor.RewriteIDs(dst, src, fields, replace) }
		}
		fw := &filteringWriter{w: w, filter: f, log: st.Log(), gzipOK: clientGzip(st, r) && (st.plan == nil || st.plan.filter == nil), onSuccess: func() { cs.forget(r, owner, c) }}
		if f == nil {
			fw.filter = nil
		}
		defer fw.finish()
		next.ServeHTTP(fw, r)
	})
}

// wrapper returns the function that turns the cluster's new ids into
// tokens bound to the caller and records them.
func (cs *Cursors) wrapper(r *http.Request, st *requestState, rs *Restrictions, owner cursor.Owner) cursor.ReplaceFunc {
	c := st.cursor
	b := c.binding
	if b.Owner.IsZero() {
		b = cursor.NewBinding(owner, bindingIndices(st), renderedAccess(rs, st.Principal, decidedAccess(st)), time.Now())
	}
	return func(kind cursor.Kind, upstreamID string) (string, error) {
		token, err := cs.Binder.Wrap(kind, upstreamID, b)
		if err != nil {
			return "", err
		}
		if err := cs.Registry.Add(r.Context(), owner, cursor.Entry{Kind: kind, UpstreamID: upstreamID, Token: token, KeepAlive: c.keepAlive}); err != nil {
			st.Log().Warn("cannot record the cursor; \"_all\" requests will miss it", zap.Error(err))
		}
		return token, nil
	}
}

// knownTokens maps the ids in the answer of a deletion back to the tokens
// the caller holds.
func (cs *Cursors) knownTokens(r *http.Request, owner cursor.Owner, c *cursorState) cursor.ReplaceFunc {
	tokens := map[string]string{}
	for _, cur := range c.forget {
		tokens[cur.UpstreamID] = cur.Token
	}
	if entries, err := cs.Registry.List(r.Context(), owner, c.forgetKind); err == nil {
		for id, tok := range cursor.TokensByUpstreamID(entries) {
			tokens[id] = tok
		}
	}
	return func(_ cursor.Kind, upstreamID string) (string, error) {
		if tok, ok := tokens[upstreamID]; ok {
			return tok, nil
		}
		return "", fmt.Errorf("the cluster answered with an id the caller does not hold")
	}
}

// ownPITsFilter keeps, in GET _search/point_in_time/_all, only the
// caller's points in time, shown as their tokens.
func (cs *Cursors) ownPITsFilter(r *http.Request, owner cursor.Owner) bodyFilter {
	return func(dst io.Writer, src io.Reader) error {
		entries, err := cs.Registry.List(r.Context(), owner, cursor.KindPIT)
		if err != nil {
			return err
		}
		tokens := cursor.TokensByUpstreamID(entries)
		return cursor.FilterAllPITs(dst, src, func(id string) (string, bool) {
			tok, ok := tokens[id]
			return tok, ok
		})
	}
}

// forget removes from the registry the ids a successful request deleted.
func (cs *Cursors) forget(r *http.Request, owner cursor.Owner, c *cursorState) {
	ids := slices.Clone(c.forgetIDs)
	for _, cur := range c.forget {
		ids = append(ids, cur.UpstreamID)
	}
	if len(ids) > 0 {
		_ = cs.Registry.Remove(r.Context(), owner, c.forgetKind, ids...)
	}
}

// bindingIndices are the index expressions a new cursor is bound to: the
// concrete indices under DLS/FLS, else the authorized names, else the
// request's.
func bindingIndices(st *requestState) []string {
	if d := st.decided; d != nil {
		if len(d.Access) > 0 {
			out := make([]string, len(d.Access))
			for i, a := range d.Access {
				out[i] = a.Index
			}
			return out
		}
		if len(d.Indices) > 0 {
			return d.Indices
		}
	}
	if len(st.Class.Indices) > 0 {
		return st.Class.Indices
	}
	return []string{"*"}
}

func decidedAccess(st *requestState) []authz.IndexAccess {
	if st.decided == nil {
		return nil
	}
	return st.decided.Access
}
