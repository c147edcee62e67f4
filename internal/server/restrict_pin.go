package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
)

// Document APIs under DLS (GET, _source, HEAD, _mget, _explain, DELETE, a
// _bulk delete) first ask the cluster, with a search, whether the document
// is visible. A search and a document read do not necessarily reach the
// same document:
//
//   - one _id can exist on several shards of an index, each copy written
//     with another routing: a search for the id finds every copy, a read
//     without routing reads the one its _id routes to;
//   - a read is real-time by default: it returns the latest version, which
//     a search does not see until the next refresh.
//
// So the check names the exact document (its _id and its routing, or the
// absence of one) and reports the version it found visible (docPin); the
// read is then pinned to that version (realtime=false and version=, or
// if_seq_no/if_primary_term for a delete, or a check of the _seq_no and
// _primary_term each _mget document comes back with).

// docRef names one document as a document API reaches it: its _id and the
// routing the request gives ("" when none: the _id routes it).
type docRef struct{ id, routing string }

// docPin is the version of a document the visibility check found visible,
// and its routing ("" when it has none).
type docPin struct {
	version, seqNo, primaryTerm int64
	routing                     string
}

// visibleDocs asks the cluster which of refs in index match the index's DLS
// filter, each as the very document a read of that _id with that routing
// reaches: a document with that routing (term on _routing), or without any
// when the ref has none. It returns the version of each visible one.
func (rr *restrictedRequest) visibleDocs(r *http.Request, index string, refs []docRef) (map[docRef]docPin, error) {
	filter, err := rr.dlsFilter([]string{index})
	if err != nil {
		return nil, err
	}
	seen := make(map[docRef]bool, len(refs))
	var clauses esbody.Array
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		clauses = append(clauses, refClause(ref))
	}
	if len(clauses) == 0 {
		return map[docRef]docPin{}, nil
	}
	anyRef := &esbody.Object{}
	anyRef.Set("should", clauses)
	anyRef.Set("minimum_should_match", esbody.Number("1"))
	boolQ := &esbody.Object{}
	boolQ.Set("filter", esbody.Array{single("bool", anyRef), filter})
	body := &esbody.Object{}
	body.Set("size", esbody.Number(strconv.Itoa(len(clauses))))
	body.Set("_source", esbody.Bool(false))
	body.Set("version", esbody.Bool(true))
	body.Set("seq_no_primary_term", esbody.Bool(true))
	body.Set("query", single("bool", boolQ))
	raw, err := esbody.Encode(body)
	if err != nil {
		return nil, err
	}
	q := url.Values{"filter_path": {"hits.hits._id,hits.hits._routing,hits.hits._version,hits.hits._seq_no,hits.hits._primary_term"}}
	resp, err := rr.rs.Cluster.Send(r.Context(), http.MethodPost, "/"+url.PathEscape(index)+"/_search?"+q.Encode(), raw)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotFound {
		return map[docRef]docPin{}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("visibility search answered %d: %.200s", resp.StatusCode, data)
	}
	var out struct {
		Hits struct {
			Hits []struct {
				ID          string  `json:"_id"`
				Routing     *string `json:"_routing"`
				Version     *int64  `json:"_version"`
				SeqNo       *int64  `json:"_seq_no"`
				PrimaryTerm *int64  `json:"_primary_term"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("visibility search: %w", err)
	}
	pins := make(map[docRef]docPin, len(out.Hits.Hits))
	for _, h := range out.Hits.Hits {
		if h.Version == nil || h.SeqNo == nil || h.PrimaryTerm == nil {
			return nil, fmt.Errorf("visibility search: hit [%s] lacks its version", h.ID)
		}
		ref := docRef{id: h.ID}
		if h.Routing != nil {
			ref.routing = *h.Routing
		}
		if seen[ref] {
			pins[ref] = docPin{version: *h.Version, seqNo: *h.SeqNo, primaryTerm: *h.PrimaryTerm, routing: ref.routing}
		}
	}
	return pins, nil
}

// latestDoc reads, in real time, the document an operation on ref's _id
// with ref's routing reaches: whether there is one, its own routing (which
// may differ from ref's: another routing can lead to the same shard), its
// version and its _source.
func (rr *restrictedRequest) latestDoc(r *http.Request, index string, ref docRef) (found bool, routing string, pin docPin, source *esbody.Object, err error) {
	q := url.Values{"realtime": {"true"}}
	if ref.routing != "" {
		q.Set("routing", ref.routing)
	}
	resp, err := rr.rs.Cluster.Send(r.Context(), http.MethodGet, "/"+url.PathEscape(index)+"/_doc/"+url.PathEscape(ref.id)+"?"+q.Encode(), nil)
	if err != nil {
		return false, "", docPin{}, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return false, "", docPin{}, nil, err
	}
	var doc struct {
		Found       bool            `json:"found"`
		Routing     *string         `json:"_routing"`
		Version     *int64          `json:"_version"`
		SeqNo       *int64          `json:"_seq_no"`
		PrimaryTerm *int64          `json:"_primary_term"`
		Source      json.RawMessage `json:"_source"`
	}
	var missing struct {
		Found *bool `json:"found"`
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	switch {
	case resp.StatusCode == http.StatusNotFound && json.Unmarshal(data, &missing) == nil &&
		(missing.Found != nil && !*missing.Found || missing.Error.Type == "index_not_found_exception"):
		return false, "", docPin{}, nil, nil // no such document, or no such index yet (a write may create it)
	case resp.StatusCode != http.StatusOK:
		return false, "", docPin{}, nil, fmt.Errorf("latest version check answered %d: %.200s", resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return false, "", docPin{}, nil, fmt.Errorf("latest version check: %w", err)
	}
	if !doc.Found || doc.Version == nil || doc.SeqNo == nil || doc.PrimaryTerm == nil {
		return false, "", docPin{}, nil, fmt.Errorf("latest version check: document [%s] found without its version", ref.id)
	}
	if doc.Routing != nil {
		routing = *doc.Routing
	}
	if len(doc.Source) > 0 {
		v, err := esbody.ParseJSON(doc.Source)
		if err != nil {
			return false, "", docPin{}, nil, fmt.Errorf("latest version check: _source: %w", err)
		}
		source, _ = v.(*esbody.Object)
	}
	return true, routing, docPin{version: *doc.Version, seqNo: *doc.SeqNo, primaryTerm: *doc.PrimaryTerm}, source, nil
}

// latestVisible tells whether there is a document where an operation on
// ref reaches (read in real time: the latest version, refreshed or not)
// and whether the caller may see it. The version must be the one the DLS
// filter finds visible; a version no refresh has published yet is judged
// by evaluating the role queries on its _source (write-side DLS's
// evaluator; a query it cannot evaluate counts as hidden).
func (rr *restrictedRequest) latestVisible(r *http.Request, index string, ref docRef) (exists, visible bool, pin docPin, err error) {
	found, routing, latest, source, err := rr.latestDoc(r, index, ref)
	if err != nil || !found {
		return false, false, docPin{}, err
	}
	own := docRef{id: ref.id, routing: routing}
	seen, err := rr.visibleDocs(r, index, []docRef{own})
	if err != nil {
		return true, false, docPin{}, err
	}
	if v, ok := seen[own]; ok && v.seqNo == latest.seqNo && v.primaryTerm == latest.primaryTerm {
		return true, true, latest, nil
	}
	if source == nil {
		return true, false, latest, nil
	}
	a := rr.access[index]
	queries, err := rr.rs.Queries.Queries(a.Queries, dlsUser(rr.st.Principal))
	if err != nil {
		return true, false, docPin{}, err
	}
	match, err := dls.MatchesAny(queries, ref.id, source)
	if err != nil {
		rr.st.Log().Info("an unrefreshed document version cannot be judged by the proxy; treated as hidden", zap.Error(err))
		return true, false, latest, nil
	}
	return true, match, latest, nil
}

// aliasIndexRouting returns the routing a document API that names index
// name (an alias of concrete) without a routing of its own gets from the
// alias: its index_routing ("" when the alias has none, or name is the
// index itself). A GET, DELETE or index operation through such an alias
// reaches the shard of that routing, not the one its _id routes to.
func (rr *restrictedRequest) aliasIndexRouting(r *http.Request, name, concrete string) (string, error) {
	if name == "" || name == concrete {
		return "", nil
	}
	resp, err := rr.rs.Cluster.Send(r.Context(), http.MethodGet, "/"+url.PathEscape(concrete)+"/_alias/"+url.PathEscape(name), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode == http.StatusNotFound {
		return "", nil // not an alias of concrete (a date math name, say)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("alias routing lookup answered %d: %.200s", resp.StatusCode, data)
	}
	var out map[string]struct {
		Aliases map[string]struct {
			IndexRouting string `json:"index_routing"`
		} `json:"aliases"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return "", fmt.Errorf("alias routing lookup: %w", err)
	}
	return out[concrete].Aliases[name].IndexRouting, nil
}

// docRefOf is the document a document API names: id, with the request's
// routing, or else the routing of the alias it goes through.
func (rr *restrictedRequest) docRefOf(r *http.Request, name, concrete, id, routing string) (docRef, error) {
	if routing == "" {
		ar, err := rr.aliasIndexRouting(r, name, concrete)
		if err != nil {
			return docRef{}, err
		}
		routing = ar
	}
	return docRef{id: id, routing: routing}, nil
}

// pathIndexName is the index expression a single-document API names in
// its path, as written (an index, or an alias of it).
func (rr *restrictedRequest) pathIndexName() string {
	if len(rr.st.Class.Indices) == 1 {
		return rr.st.Class.Indices[0]
	}
	return ""
}

// refClause matches the document ref names: its _id, and its routing (a
// document written with a routing stores it in _routing; one routed by
// its _id has none).
func refClause(ref docRef) esbody.Value {
	ids := single("ids", single("values", esbody.Array{esbody.String(ref.id)}))
	b := &esbody.Object{}
	if ref.routing != "" {
		b.Set("filter", esbody.Array{ids, single("term", single("_routing", esbody.String(ref.routing)))})
	} else {
		b.Set("filter", esbody.Array{ids})
		b.Set("must_not", esbody.Array{single("exists", single("field", esbody.String("_routing")))})
	}
	return single("bool", b)
}

// pinnedReadParams are the parameters of a document read that would let it
// read another version than the visibility check saw: the proxy sets
// realtime and version itself, and a refresh before the read would
// publish versions the check did not see.
var pinnedReadParams = []string{"version", "version_type", "refresh"}

// refusePinnedReadParams refuses, under DLS, the read parameters the proxy
// must set itself (pinnedReadParams); refresh=false is harmless.
func (rr *restrictedRequest) refusePinnedReadParams(names ...string) error {
	for _, n := range names {
		v, ok := rr.st.Class.Params.Values[n]
		if !ok || (n == "refresh" && v == "false") {
			continue
		}
		return &eserr.Error{Status: http.StatusBadRequest, Type: "security_exception",
			Reason: fmt.Sprintf("[%s] is not supported by the security proxy on document reads if document level security is enabled", n)}
	}
	return nil
}

// setRawParams sets query-string parameters of r (replacing any of the same
// name), leaving the others exactly as the client wrote them.
func setRawParams(r *http.Request, kv ...string) {
	names := map[string]bool{}
	for i := 0; i+1 < len(kv); i += 2 {
		names[kv[i]] = true
	}
	var parts []string
	for _, p := range strings.Split(r.URL.RawQuery, "&") {
		if p == "" {
			continue
		}
		n, _, _ := strings.Cut(p, "=")
		if dn, err := url.QueryUnescape(n); err == nil && names[dn] {
			continue
		}
		if names[n] {
			continue
		}
		parts = append(parts, p)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, url.QueryEscape(kv[i])+"="+url.QueryEscape(kv[i+1]))
	}
	r.URL.RawQuery = strings.Join(parts, "&")
	r.RequestURI = r.URL.RequestURI()
}

// single returns the object {name: v}.
func single(name string, v esbody.Value) *esbody.Object {
	o := &esbody.Object{}
	o.Set(name, v)
	return o
}
