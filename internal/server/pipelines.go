package server

import (
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// reasonPipeline is why a request naming an ingest pipeline is refused to
// users who may not use one.
const reasonPipeline = "requests naming an ingest pipeline are not supported by the security proxy for this user (a pipeline can write to and read from other indices)"

// reasonIndexPipeline is why setting an index's default or final pipeline
// is refused to users who may not use pipelines.
const reasonIndexPipeline = "setting an index's default_pipeline or final_pipeline is not supported by the security proxy for this user (the pipeline would run on every document written to the index, out of the proxy's sight)"

// reasonBulkPipeline ends the refusal of a _bulk request, or of one of its
// items, that names an ingest pipeline.
const reasonBulkPipeline = "with an ingest pipeline are not supported by the security proxy (a pipeline can change the target index)"

// reasonPipelineDefinition is why storing an ingest pipeline is refused to
// users who may not use pipelines.
const reasonPipelineDefinition = "storing an ingest pipeline is not supported by the security proxy for this user " +
	"(it runs, out of the proxy's sight, on the writes of every index that has it as default or final pipeline " +
	"and of every client naming it, and can send their documents to another index or change them)"

// putPipelineAction stores (creates or replaces) an ingest pipeline.
const putPipelineAction = "cluster:admin/ingest/pipeline/put"

// putScriptAction stores (creates or replaces) a stored script.
const putScriptAction = "cluster:admin/script/put"

// reasonStoredScript is why storing a script other than a search template
// is refused to users who may not use pipelines.
const reasonStoredScript = "storing a script is not supported by the security proxy for this user " +
	"(the ingest pipelines, reindexes and updates that run it by id, on others' writes too, " +
	"would run the new one out of the proxy's sight; it can send their documents to another index)"

// pipelineRefusalReason is why the request may not go through for a user
// who may not use ingest pipelines, or "": it names one in its URL, its
// body sets an index's default or final pipeline, or it stores a pipeline
// (which runs on others' writes: an index's default or final pipeline, a
// client's ?pipeline=; Elasticsearch authorizes the index a pipeline sends
// a document to as the writer, the cluster behind the proxy does not) or a
// script a pipeline may run by id (a script processor's "id").
func pipelineRefusalReason(c *esapi.Classification, pb *parsedBody) string {
	switch {
	case namesPipeline(c):
		return reasonPipeline
	case setsIndexPipeline(c, pb):
		return reasonIndexPipeline
	case c.Action == putPipelineAction:
		return reasonPipelineDefinition
	case c.Action == putScriptAction && !isSearchTemplate(pb):
		return reasonStoredScript
	}
	return ""
}

// isSearchTemplate reports whether a stored-script body is a mustache
// search template ({"script":{"lang":"mustache",…}}), which only searches
// render (and only users with full access may run). Anything else, a
// painless script or a body the proxy cannot read, is a script that
// pipelines, reindexes and updates can run by id.
func isSearchTemplate(pb *parsedBody) bool {
	body, ok := bodyObject(pb)
	if !ok {
		return false
	}
	v, _ := body.Get("script")
	script, ok := v.(*esbody.Object)
	if !ok {
		return false
	}
	lang, _ := script.Get("lang")
	return lang == esbody.String("mustache")
}

// reachRefusal refuses a request whose body or parameters could make the
// cluster read or write beyond the indices it was authorized on: documents
// referenced by id and templates (unless the user may read everything),
// alias and resize targets granting more than their source (unless the
// user's access is unbounded, asked through unbounded: see
// unboundedAccessProbe), ingest pipelines (unless mayUsePipelines), and
// cluster actions that reach index data (clusterDataRefusal) unless the
// user may read (and write) everything.
func reachRefusal(az Authorizer, req authz.Request, c *esapi.Classification, pb *parsedBody, unbounded func() bool) *itemRefusal {
	if reason := readsBeyondItsIndices(c, pb); reason != "" && !mayReadBeyond(az, req) {
		return forbidden(req, reason)
	}
	// A percolator field reads any index: only a user who may already read
	// every index may define one (full() would ask about the template APIs'
	// cluster action, not about reading).
	if ref := indicesBoostRefusal(az, req, c, pb); ref != nil {
		return ref
	}
	if definesPercolator(c, pb) && !mayReadEverything(az, req) {
		return forbidden(req, reasonPercolatorMapping)
	}
	// A template's aliases reach the indices others create later: only a
	// user who may already read every index may define them.
	if definesTemplateAliases(c.Action, pb) && !mayReadEverything(az, req) {
		return forbidden(req, reasonTemplateAliases)
	}
	if ref := targetRefusal(az, req, c, pb); ref != nil && !unbounded() {
		return ref
	}
	if ref := opTypeRefusal(az, req, c); ref != nil {
		return ref
	}
	if reason := pipelineRefusalReason(c, pb); reason != "" && !mayUsePipelines(az, req) {
		return forbidden(req, reason)
	}
	if ref := taskDetailsRefusal(az, req, c); ref != nil {
		return ref
	}
	// full() would ask about the cluster action, not about the indices a
	// lifecycle policy acts on.
	if ref := lifecycleRefusal(az, req, c); ref != nil {
		return ref
	}
	if ref := ismRefusal(az, req, c); ref != nil {
		return ref
	}
	if ref := searchApplicationRefusal(az, req, c, pb); ref != nil {
		return ref
	}
	return clusterDataRefusal(az, req, c, pb)
}

// pipelineProbeActions are what a pipeline can do on indices the request
// does not name: write a document anywhere (a set or reroute processor
// changes _index) and read other indices (the enrich processor).
var pipelineProbeActions = []string{"indices:data/write/index", "indices:data/read/search"}

// mayUsePipelines reports whether the user of base may name ingest
// pipelines. Elasticsearch authorizes the index a pipeline finally writes
// to after the pipeline ran; the proxy never sees it. So only a user who
// may already read and write every index, restricted system indices
// included (which "*" does not reach), without document- or field-level
// security, may use one: the pipeline then gives them nothing new.
func mayUsePipelines(az Authorizer, base authz.Request) bool {
	return mayEverywhere(az, base, pipelineProbeActions...)
}

// mayReadEverything reports whether the user of base may search every
// index, restricted system indices included, without document- or
// field-level security: what a percolator field's queries, and cluster
// actions reading indices out of the proxy's sight, can read.
func mayReadEverything(az Authorizer, base authz.Request) bool {
	return mayEverywhere(az, base, "indices:data/read/search")
}

// mayEverywhere reports whether the user of base may perform each action
// on every index, restricted ones included, unrestricted.
func mayEverywhere(az Authorizer, base authz.Request, actions ...string) bool {
	restricted := restrictedSamples()
	for _, action := range actions {
		probe := base
		probe.Action = action
		if !fullAccess(az, probe) {
			return false
		}
		probe.Indices, probe.Options = restricted, authz.IndicesOptions{}
		if d := az.Decide(probe); !d.Allowed || !d.Unrestricted {
			return false
		}
	}
	return true
}

// restrictedSamples names one index under each restricted pattern (the
// pattern's literal prefix), so that a decision on them shows whether the
// roles reach restricted indices that do not exist yet.
func restrictedSamples() []string {
	patterns := authz.RestrictedIndexPatterns()
	out := make([]string, 0, len(patterns))
	for _, p := range patterns {
		name := strings.TrimRight(strings.TrimSuffix(p, "*"), "-_")
		if name != "" && name != "." {
			out = append(out, name)
		}
	}
	return out
}

// namesPipeline reports whether the request's URL names an ingest
// pipeline (the `pipeline` parameter of index, bulk, update-by-query,
// reindex…).
func namesPipeline(c *esapi.Classification) bool {
	_, ok := c.Params.Values["pipeline"]
	return ok
}

// settingsActions are the requests whose body can set index settings: the
// index (or the indices a template or rollover creates) then runs every
// document written to it through index.default_pipeline and
// index.final_pipeline, out of the proxy's sight.
var settingsActions = map[string]bool{
	"indices:admin/create":                 true,
	"indices:admin/settings/update":        true,
	"indices:admin/index_template/put":     true,
	"indices:admin/template/put":           true,
	"cluster:admin/component_template/put": true,
	"indices:admin/rollover":               true,
	"indices:admin/resize":                 true,
	// Elasticsearch: create_from's settings_override, a data stream's
	// settings (applied to its write index and later backing indices).
	"indices:admin/index/create_from_source":    true,
	"indices:admin/data_stream/settings/update": true,
	// A restored or mounted index gets the body's index_settings.
	"cluster:admin/snapshot/restore": true,
	"cluster:admin/snapshot/mount":   true,
}

// setsIndexPipeline reports whether a settings-carrying request's body sets
// an index's default or final pipeline. Every key path whose last segment
// is default_pipeline or final_pipeline counts, however the settings are
// nested or dotted ("settings.index.default_pipeline", "index.final_pipeline",
// "default_pipeline"); "_none" and null, which remove a pipeline, do not.
func setsIndexPipeline(c *esapi.Classification, pb *parsedBody) bool {
	if !settingsActions[c.Action] || pb == nil || pb.json == nil {
		return false
	}
	return namesIndexPipeline(pb.json)
}

func namesIndexPipeline(v esbody.Value) bool {
	switch v := v.(type) {
	case *esbody.Object:
		for name, child := range v.All() {
			last := name[strings.LastIndexByte(name, '.')+1:]
			if (last == "default_pipeline" || last == "final_pipeline") && !removesPipeline(child) {
				return true
			}
			if namesIndexPipeline(child) {
				return true
			}
		}
	case esbody.Array:
		for _, child := range v {
			if namesIndexPipeline(child) {
				return true
			}
		}
	}
	return false
}

// removesPipeline: the values that leave an index without a pipeline.
func removesPipeline(v esbody.Value) bool {
	if v == nil {
		return true
	}
	if s, ok := v.(esbody.String); ok {
		return string(s) == "_none"
	}
	_, isNull := v.(esbody.Null)
	return isNull
}

// mayReadBeyond reports whether the user may send a request that reads
// beyond its indices (readsBeyondItsIndices): the references read the
// documents of any index they name (restricted ones included), and a
// search template's rendered query can name any, with the cluster's
// rights, whatever privilege allowed the request itself. Full access for
// the request's own action is not enough: view_index_metadata on every
// index allows _validate/query, whose explanation of a terms lookup lists
// the looked-up document's values; manage on every index allows an alias
// whose filter looks documents up in the searches of everyone using it; a
// cluster privilege allows a stored search pipeline or a model search. So
// only a user who may read every index, restricted ones included, without
// document- or field-level security may send one.
func mayReadBeyond(az Authorizer, req authz.Request) bool {
	return mayReadEverything(az, req)
}
