package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
)

// A percolator field parses the query of each document indexed into it,
// fetching what the query looks up (terms lookup, indexed shape) with the
// cluster's rights. Documents a user writes are checked for such
// references (readsBeyondItsIndices, bulkItemReadsDocuments), and only
// users who may read every index may define a percolator field
// (definesPercolator). A script that writes documents (_update,
// _update_by_query, a _bulk update) builds its document out of the
// proxy's sight: into an index with a percolator field, it is refused for
// users without full access.

// reasonPercolatorScript is why a scripted write into an index with a
// percolator field is refused.
const reasonPercolatorScript = "a script writing documents, or a partial document merged into a stored one, in an index with a percolator field " +
	"can store a query that looks up any document with the cluster's rights; scripted writes and updates into such an index are not supported by the security proxy for this user"

// scriptedWriteActions are the actions whose body may carry a script that
// builds the documents written.
var scriptedWriteActions = map[string]bool{
	"indices:data/write/update":         true,
	"indices:data/write/update/byquery": true,
}

// hasScript reports whether a request or update body has a script.
func hasScript(v esbody.Value) bool {
	o, ok := v.(*esbody.Object)
	return ok && o != nil && o.Has("script")
}

// percolatorScriptRefusal refuses a scripted _update or _update_by_query,
// or an _update merging a partial document, of a user without full access
// into an index with a percolator field. indices are the names the request
// writes (aliases resolve to their indices).
func percolatorScriptRefusal(ctx context.Context, rs *Restrictions, base authz.Request, c *esapi.Classification, pb *parsedBody, indices []string) *itemRefusal {
	if !scriptedWriteActions[c.Action] || pb == nil {
		return nil
	}
	if !hasScript(pb.json) && !(c.Action == updateAction && mergesDocument(pb.json)) {
		return nil
	}
	return percolatorIndicesRefusal(ctx, rs, base, indices)
}

// updateAction is _update's action.
const updateAction = "indices:data/write/update"

// mergesDocument reports whether an update body gives a partial document,
// which the cluster merges into the stored one: the merged document (an
// administrator's looking-up query re-aimed at another path, id or index)
// is never seen by the proxy.
func mergesDocument(v esbody.Value) bool {
	o, ok := v.(*esbody.Object)
	return ok && o != nil && o.Has("doc")
}

// reasonPercolatorReindex is why a reindex into an index with a percolator
// field is refused.
const reasonPercolatorReindex = "a reindex copies documents into an index with a percolator field out of the security proxy's sight " +
	"(a query stored in them, built by a script elsewhere, can look up any document with the cluster's rights); " +
	"reindexing into such an index is not supported by the security proxy for this user"

// reindexAction is _reindex's action.
const reindexAction = "indices:data/write/reindex"

// percolatorReindexRefusal refuses a _reindex of a user without full
// access into an index with a percolator field: the documents it copies
// were never checked for document references (a scripted write into an
// index without percolator field may store one). A body whose destination
// cannot be read is left to authorizeReindex, which refuses it.
func percolatorReindexRefusal(ctx context.Context, rs *Restrictions, base authz.Request, c *esapi.Classification, pb *parsedBody) *itemRefusal {
	if c.Action != reindexAction {
		return nil
	}
	body, ok := bodyObject(pb)
	if !ok {
		return nil
	}
	dest, _ := body.Get("dest")
	dst, ok := dest.(*esbody.Object)
	if !ok {
		return nil
	}
	names, err := indexNames(dst, "index")
	if err != nil || len(names) == 0 {
		return nil
	}
	return percolatorNamesRefusal(ctx, rs, base, names, reasonPercolatorReindex)
}

// percolatorIndicesRefusal refuses when one of the indices (or the
// indices an alias or data stream name reaches) has a percolator field,
// or when their mappings cannot be read (fail closed).
func percolatorIndicesRefusal(ctx context.Context, rs *Restrictions, base authz.Request, names []string) *itemRefusal {
	return percolatorNamesRefusal(ctx, rs, base, names, reasonPercolatorScript)
}

// percolatorNamesRefusal is percolatorIndicesRefusal with its reason.
func percolatorNamesRefusal(ctx context.Context, rs *Restrictions, base authz.Request, names []string, reason string) *itemRefusal {
	var concrete []string
	for _, n := range names {
		n, err := authz.ResolveDateMath(n, time.Now())
		if err != nil {
			return badBody(err.Error())
		}
		if base.Metadata != nil {
			if targets := base.Metadata.ConcreteIndices(n); len(targets) > 0 {
				concrete = append(concrete, targets...)
				continue
			}
		}
		concrete = append(concrete, n)
	}
	if len(concrete) == 0 {
		return nil
	}
	if rs == nil || rs.Mappings == nil {
		return forbidden(base, reason+" (the indices' mappings are not available)")
	}
	maps, err := rs.Mappings.Get(ctx, concrete, time.Time{})
	if err != nil {
		return &itemRefusal{status: http.StatusServiceUnavailable, reason: fmt.Sprintf("the security proxy cannot read the mappings of %v: %v", concrete, err)}
	}
	for _, m := range maps {
		if hasPercolatorField(m) {
			return forbidden(base, reason)
		}
	}
	// A name the cluster does not have is created by the write, with the
	// mappings of the templates matching it.
	for _, n := range concrete {
		if base.Metadata == nil || base.Metadata.Has(n) {
			continue
		}
		perc, err := newIndexHasPercolator(ctx, rs.Cluster, n)
		if err != nil {
			return forbidden(base, reason+fmt.Sprintf(" (the templates [%s] would be created from cannot be read: %v)", n, err))
		}
		if perc {
			return forbidden(base, reason)
		}
	}
	return nil
}

// newIndexHasPercolator reports whether an index created under name would
// get a percolator field from the cluster's templates: the composable
// template (with its component templates) the cluster's simulate API
// resolves for the name, or, when none matches, every legacy template
// whose patterns match it.
func newIndexHasPercolator(ctx context.Context, cl Cluster, name string) (bool, error) {
	if cl == nil {
		return false, errors.New("no cluster connection")
	}
	sim, err := clusterJSON(ctx, cl, http.MethodPost, "/_index_template/_simulate_index/"+url.PathEscape(name))
	if err != nil {
		return false, err
	}
	if o, ok := sim.(*esbody.Object); ok {
		if tmpl, ok := o.Get("template"); ok {
			return walkPercolator(tmpl), nil
		}
	}
	legacy, err := clusterJSON(ctx, cl, http.MethodGet, "/_template")
	if err != nil {
		return false, err
	}
	all, ok := legacy.(*esbody.Object)
	if !ok {
		return false, errors.New("unexpected legacy templates answer")
	}
	for _, t := range all.All() {
		tmpl, ok := t.(*esbody.Object)
		if !ok {
			return false, errors.New("unexpected legacy template")
		}
		if legacyTemplateMatches(tmpl, name) && walkPercolator(tmpl) {
			return true, nil
		}
	}
	return false, nil
}

// legacyTemplateMatches reports whether one of a legacy template's
// index_patterns (or its old "template" pattern) matches name.
func legacyTemplateMatches(tmpl *esbody.Object, name string) bool {
	patterns, _ := indexNames(tmpl, "index_patterns", "template")
	for _, p := range patterns {
		if authz.SimpleMatch(p, name) {
			return true
		}
	}
	return false
}

// clusterJSON sends one of the proxy's own requests and parses the JSON
// answer; any status other than 200 is an error.
func clusterJSON(ctx context.Context, cl Cluster, method, path string) (esbody.Value, error) {
	var body []byte
	if method != http.MethodGet {
		body = []byte{}
	}
	resp, err := cl.Send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxTemplatesAnswer+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	if len(raw) > maxTemplatesAnswer {
		return nil, fmt.Errorf("%s %s: answer larger than %d bytes", method, path, maxTemplatesAnswer)
	}
	return esbody.ParseJSON(raw)
}

// maxTemplatesAnswer bounds the template answers the proxy reads.
const maxTemplatesAnswer = 64 << 20

// hasPercolatorField reports whether a mapping defines a percolator field.
func hasPercolatorField(m *fls.Mapping) bool {
	if m == nil {
		return false
	}
	for _, p := range m.Paths() {
		if f, ok := m.Lookup(p); ok && f.Type == "percolator" {
			return true
		}
	}
	return false
}
