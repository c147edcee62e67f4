package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
)

// A document with a field its index does not map makes the cluster add the
// field to the mapping (a dynamic mapping update). Elasticsearch authorizes
// that update as indices:admin/mapping/auto_put with the writer's roles:
// on a data stream's backing indices only write, auto_configure, manage and
// all grant it (7.9 and later; create, create_doc and index grant mapping
// updates on ordinary indices only, for backwards compatibility,
// IndicesPermission's PRIVILEGE_NAME_SET_BWC_ALLOW_MAPPING_UPDATE). The
// cluster behind the proxy updates any mapping: a create_doc writer of a
// shared data stream could fix the type of every field it names first
// (a keyword field mapped as a long rejects everyone else's documents
// after it) and grow the mapping up to its field limit. For a write to a
// data stream (or one of its backing indices) by a user without auto_put
// there, the proxy reads the write index's mapping (the cache FLS uses)
// and refuses, as Elasticsearch refuses the item, a document with a field
// the mapping lacks (fls.UnmappedFields, which errs towards listing), and
// refuses scripted writes there (the proxy does not see what they add), and
// writes through an ingest pipeline (the data stream's default or final
// pipeline, or one the request names: the cluster maps the pipeline's
// output, which the proxy does not see either; a json, kv or set processor
// makes fields of the document's values). A
// write to a name the cluster lacks, which creates a data stream when the
// composable template of highest priority matching it says so, is checked
// against the mapping that template gives (newDataStream).
// Not covered: ordinary indices written through raw action names (a role
// granting indices:data/write/index by name gets no backwards-compatible
// mapping updates in Elasticsearch), and a data stream rolled over in the
// last metadata refresh (5 s), whose new write index the proxy does not
// know yet.

const actionAutoPutMapping = "indices:admin/mapping/auto_put"

// autoPutRefusal refuses documents written to name (an index, alias or
// data stream, date math unresolved) that would add fields to a data
// stream's mapping, or a scripted write there, when the user may not
// update its mapping. docs are the documents written (an index or create
// body; an update's doc and upsert); unseen, when not empty, says why the
// documents the cluster maps are not those (a script, a pipeline the
// request names).
func autoPutRefusal(ctx context.Context, rs *Restrictions, az Authorizer, base authz.Request, name string, docs []*esbody.Object, unseen string) *itemRefusal {
	return newAutoPutCheck(ctx, rs, az, base, name).refusal(docs, unseen)
}

// reasonScriptedAutoPut and reasonCopiedAutoPut say why writes the proxy
// does not see are refused.
const (
	reasonScriptedAutoPut = "a scripted write to a data stream can add fields to its mapping, which the security proxy cannot see"
	reasonCopiedAutoPut   = "a reindex into a data stream copies documents the security proxy does not see, which can add fields to its mapping"
	reasonPipedAutoPut    = "an ingest pipeline runs on the documents written to the data stream, and its output, which the security proxy does not see, can add fields to the mapping"
)

// autoPutCheck is what autoPutRefusal needs to know about one written
// name, worked out once for the items of a _bulk writing there.
type autoPutCheck struct {
	// skip: no check (not a data stream, or the user may update its
	// mapping).
	skip bool
	// fail refuses every write there (the mapping cannot be read).
	fail *itemRefusal
	// refuse builds the refusal, given why.
	refuse func(why string) *itemRefusal
	// noMapping: the proxy has no mapping source to check documents with.
	noMapping bool
	mapping   *fls.Mapping
	// piped: the data stream's write index runs an ingest pipeline on
	// every document (index.default_pipeline, index.final_pipeline).
	piped bool
}

func newAutoPutCheck(ctx context.Context, rs *Restrictions, az Authorizer, base authz.Request, name string) *autoPutCheck {
	md := base.Metadata
	if md == nil {
		return &autoPutCheck{skip: true}
	}
	name, err := authz.ResolveDateMath(name, time.Now())
	if err != nil {
		return &autoPutCheck{fail: badBody(err.Error())}
	}
	idx, ok := md.WriteTarget(name)
	created := !ok && !md.Has(name) // the write creates name
	var piped bool
	switch {
	case created:
	case !ok:
		return &autoPutCheck{skip: true}
	default:
		ci, ok := md.Index(idx)
		if !ok || ci.DataStream == "" {
			return &autoPutCheck{skip: true}
		}
		piped = ci.IngestPipeline
	}
	probe := base
	probe.Action, probe.Indices, probe.Options = actionAutoPutMapping, []string{name}, authz.IndicesOptions{}
	d := az.Decide(probe)
	if d.Allowed && !d.MatchNothing {
		return &autoPutCheck{skip: true}
	}
	c := &autoPutCheck{piped: piped, refuse: func(why string) *itemRefusal {
		reason := d.Reason
		if reason == "" {
			reason = fmt.Sprintf("action [%s] is unauthorized for user [%s] on indices [%s]", actionAutoPutMapping, base.User, name)
		}
		return &itemRefusal{status: statusOr403(d.Status), reason: reason + ": " + why}
	}}
	if created {
		// A data stream the write creates gets its template's mapping.
		if rs == nil {
			c.noMapping = true
			return c
		}
		nd, err := newDataStream(ctx, rs.Cluster, name)
		switch {
		case err != nil:
			c.fail = &itemRefusal{status: http.StatusServiceUnavailable, reason: fmt.Sprintf("the security proxy cannot read the templates [%s] would be created from: %v", name, err)}
		case nd == nil:
			c.skip = true
		default:
			c.mapping, c.piped = nd.mapping, nd.piped
		}
		return c
	}
	if rs == nil || rs.Mappings == nil {
		c.noMapping = true
		return c
	}
	maps, err := rs.Mappings.Get(ctx, []string{idx}, time.Time{})
	if err != nil {
		c.fail = &itemRefusal{status: http.StatusServiceUnavailable, reason: fmt.Sprintf("the security proxy cannot read the mapping of [%s]: %v", idx, err)}
		return c
	}
	c.mapping = maps[idx]
	return c
}

// refusal refuses docs that the check does not let through; unseen, when
// not empty, says the write's documents are not seen by the proxy (a
// script, a reindex): refused for that reason.
func (c *autoPutCheck) refusal(docs []*esbody.Object, unseen string) *itemRefusal {
	switch {
	case c.skip:
		return nil
	case c.fail != nil:
		return c.fail
	case unseen != "":
		return c.refuse(unseen)
	case c.piped:
		return c.refuse(reasonPipedAutoPut)
	case c.noMapping:
		return c.refuse("the data stream's mapping is not available to tell whether the document adds fields to it")
	}
	for _, doc := range docs {
		if doc == nil {
			continue
		}
		if fields := fls.UnmappedFields(c.mapping, doc); len(fields) > 0 {
			return c.refuse(fmt.Sprintf("the document adds the fields [%s] to the mapping", strings.Join(fields, ", ")))
		}
	}
	return nil
}

// writtenDocs returns the documents a write body adds or merges, and
// whether a script writes: an index or create body is the document; an
// update body has doc and upsert (and its script, or doc_as_upsert).
func writtenDocs(update bool, body *esbody.Object) ([]*esbody.Object, bool) {
	if body == nil {
		return nil, false
	}
	if !update {
		return []*esbody.Object{body}, false
	}
	var docs []*esbody.Object
	for _, name := range []string{"doc", "upsert"} {
		if v, ok := body.Get(name); ok {
			if o, ok := v.(*esbody.Object); ok {
				docs = append(docs, o)
			}
		}
	}
	return docs, body.Has("script")
}

// bulkAutoPutRefusal is autoPutRefusal for an index, create or update item
// of a _bulk writing to idx; checks holds the check of each name.
func bulkAutoPutRefusal(r *http.Request, az Authorizer, base authz.Request, st *requestState, pos int, it esbody.BulkItem, idx string, checks map[string]*autoPutCheck) *itemRefusal {
	c, ok := checks[idx]
	if !ok {
		c = newAutoPutCheck(r.Context(), st.restrictions, az, base, idx)
		checks[idx] = c
	}
	if c.skip {
		return nil
	}
	switch {
	case it.Op == "update" && bulkItemHasScript(st.Body, pos, it):
		return c.refusal(nil, reasonScriptedAutoPut)
	case it.Pipeline != "" || namesPipeline(st.Class):
		return c.refusal(nil, reasonPipedAutoPut)
	}
	if it.Source == nil {
		var ref *itemRefusal
		if it, ref = spooledItem(st, pos, it); ref != nil {
			return ref
		}
	}
	docs, _ := writtenDocs(it.Op == "update", it.Source)
	return c.refusal(docs, "")
}

// docAutoPutRefusal is autoPutRefusal for a single-document write (index,
// create, update) and for a scripted _update_by_query, on the names the
// decision d allows (every name a wildcard it keeps as written reaches).
func docAutoPutRefusal(ctx context.Context, rs *Restrictions, az Authorizer, base authz.Request, c *esapi.Classification, d authz.Decision, pb *parsedBody) *itemRefusal {
	var body *esbody.Object
	if pb != nil {
		body, _ = pb.json.(*esbody.Object)
	}
	switch {
	case c.API == "index" || c.API == "create" || c.API == "update":
		ix := singleDocWriteIndex(c, d)
		if ix == "" {
			return nil
		}
		docs, scripted := writtenDocs(c.API == "update", body)
		var unseen string
		switch {
		case scripted:
			unseen = reasonScriptedAutoPut
		case namesPipeline(c):
			unseen = reasonPipedAutoPut
		}
		return autoPutRefusal(ctx, rs, az, base, ix, docs, unseen)
	case c.Action == "indices:data/write/update/byquery" && body != nil && body.Has("script") && !d.MatchNothing:
		names := c.Indices
		if d.Rewritten {
			names = d.Indices
		}
		// A wildcard kept as written is checked on each name it reaches
		// (writtenNames): decided again as auto_put it would narrow to the
		// data streams where the user may update the mapping, and as a
		// name it would be taken for one the write creates. One matching
		// no known name reaches nothing: a by-query write creates nothing.
		names, _ = writtenNames(base.Metadata, names, base.Options)
		for _, n := range names {
			for _, ix := range concreteOrSelf(base.Metadata, n) {
				if ref := autoPutRefusal(ctx, rs, az, base, ix, nil, reasonScriptedAutoPut); ref != nil {
					return ref
				}
			}
		}
	}
	return nil
}

// concreteOrSelf returns the concrete indices behind name, or name when
// the metadata does not know it.
func concreteOrSelf(md *authz.Metadata, name string) []string {
	if md != nil {
		if targets := md.ConcreteIndices(name); len(targets) > 0 {
			return targets
		}
	}
	return []string{name}
}

// createdDataStream is what a write creating a data stream gives it.
type createdDataStream struct {
	// mapping is its backing index's mapping.
	mapping *fls.Mapping
	// piped: its settings name a default or final ingest pipeline.
	piped bool
}

// newDataStream tells whether a write to name, which the cluster does not
// have, creates a data stream (the composable template of highest
// priority matching it has data_stream; nil when not), and then the
// mapping its backing index gets: the template's as the cluster simulates
// it, plus the timestamp field the cluster maps itself (@timestamp, or
// OpenSearch's data_stream.timestamp_field.name); and whether the
// simulated settings name an ingest pipeline.
func newDataStream(ctx context.Context, cl Cluster, name string) (*createdDataStream, error) {
	if cl == nil {
		return nil, errors.New("no cluster connection")
	}
	all, err := clusterJSON(ctx, cl, http.MethodGet, "/_index_template")
	if err != nil {
		return nil, err
	}
	best, bestPriority := (*esbody.Object)(nil), int64(-1)
	list, _ := esbody.Lookup(all, "index_templates")
	templates, _ := list.(esbody.Array)
	for _, t := range templates {
		tmpl, ok := esbody.Lookup(t, "index_template")
		o, isObj := tmpl.(*esbody.Object)
		if !ok || !isObj {
			return nil, errors.New("unexpected index templates answer")
		}
		patterns, _ := indexNames(o, "index_patterns")
		if !slices.ContainsFunc(patterns, func(p string) bool { return authz.SimpleMatch(p, name) }) {
			continue
		}
		var priority int64
		if v, ok := o.Get("priority"); ok {
			n, isNum := v.(esbody.Number)
			if !isNum {
				return nil, errors.New("unexpected template priority")
			}
			if priority, err = strconv.ParseInt(string(n), 10, 64); err != nil {
				return nil, fmt.Errorf("template priority: %w", err)
			}
		}
		if priority > bestPriority {
			best, bestPriority = o, priority
		}
	}
	if best == nil || !best.Has("data_stream") {
		return nil, nil
	}
	timestamp := "@timestamp"
	if v, ok := esbody.Lookup(best, "data_stream", "timestamp_field", "name"); ok {
		if s, ok := v.(esbody.String); ok {
			timestamp = string(s)
		}
	}
	sim, err := clusterJSON(ctx, cl, http.MethodPost, "/_index_template/_simulate_index/"+url.PathEscape(name))
	if err != nil {
		return nil, err
	}
	mappings, ok := esbody.Lookup(sim, "template", "mappings")
	if !ok {
		mappings = &esbody.Object{}
	}
	raw, err := esbody.Encode(mappings)
	if err != nil {
		return nil, err
	}
	maps, err := fls.ParseMappings([]byte(`{"new":{"mappings":` + string(raw) + `}}`))
	if err != nil {
		return nil, fmt.Errorf("the simulated mapping of [%s]: %w", name, err)
	}
	return &createdDataStream{mapping: maps["new"].WithField(timestamp, "date"), piped: simulatedPipeline(sim)}, nil
}

// simulatedPipeline reports whether a simulated index's settings
// (template.settings, nested or dotted) name a default or final ingest
// pipeline other than "_none".
func simulatedPipeline(sim esbody.Value) bool {
	for _, key := range []string{"default_pipeline", "final_pipeline"} {
		for _, path := range [][]string{{"template", "settings", "index", key}, {"template", "settings", "index." + key}} {
			if v, ok := esbody.Lookup(sim, path...); ok {
				if s, isStr := v.(esbody.String); !isStr || (s != "" && s != "_none") {
					return true
				}
			}
		}
	}
	return false
}
