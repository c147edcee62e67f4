package server

import (
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// reasonPipeline is why a request naming an ingest pipeline is refused to
// users who may not use one.
const reasonPipeline = "requests naming an ingest pipeline are not supported by the security proxy for this user (a pipeline can write to and read from other indices)"

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
	restricted := restrictedSamples()
	for _, action := range pipelineProbeActions {
		probe := base
		probe.Action = action
		if !fullAccessProbe(az, probe)() {
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
