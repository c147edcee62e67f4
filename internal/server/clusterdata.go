package server

import (
	"fmt"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// Some cluster-level APIs read, or make the cluster later read and write,
// the documents of indices their body or query names: OpenSearch SQL, PPL,
// asynchronous search, k-NN training, rollup and transform jobs, ML
// Commons predictions on input_index;
// Elasticsearch ML datafeeds and data frame analytics, transforms, rollup
// jobs, enrich policies, watches, ES|QL views, text structure. Their
// action is a cluster action, granted by a cluster privilege alone, and a
// secured cluster then authorizes each index they touch as the user (with
// its DLS and FLS). The cluster behind the proxy has no security: it would
// read every index with full rights, so a user with cluster:manage and DLS
// on logs-* could SELECT hr-payroll or the hidden logs documents. Only a
// user whom nothing in the cluster is hidden from may use them.

// clusterDataExempt are cluster actions whose bodies name indices that
// Elasticsearch's own model lets their cluster privilege reach whatever
// the index privileges (snapshots and restores).
var clusterDataExempt = []string{"cluster:admin/snapshot/", "cluster:admin/remotestore/restore"}

// clusterDataReadOnly are the cluster actions of that kind that only read.
var clusterDataReadOnly = map[string]bool{
	"cluster:admin/opensearch/sql":                        true,
	"cluster:admin/opensearch/ppl":                        true,
	"cluster:admin/opendistro/asynchronous_search/submit": true,
	"cluster:admin/opendistro/transform/preview":          true,
	"cluster:admin/transform/preview":                     true,
	"cluster:admin/xpack/ml/datafeeds/preview":            true,
	"cluster:admin/xpack/ml/data_frame/analytics/preview": true,
	"cluster:admin/xpack/ml/data_frame/analytics/explain": true,
	"cluster:monitor/xpack/ml/data_frame/evaluate":        true,
	"cluster:monitor/text_structure/find_field_structure": true,
	"cluster:admin/scripts/painless/execute":              true,
}

// clusterDataActions are cluster actions known to read the documents of
// indices their request names (SQL and PPL text, an asynchronous search's
// index parameter, previews, evaluations) and answer with them, or create
// jobs that do so later and write what they computed where their creator
// can read it (rollups, transforms, datafeeds, analytics, watches, enrich
// policies). The cluster privilege that allows them says nothing about
// those indices: the cluster runs them with full access, ignoring index
// privileges, document- and field-level security. (OpenSearch's security
// plugin and Elasticsearch authorize the indices too, as the user, and
// run jobs with their creator's roles.) They reach index data whether or
// not their route flags indices in the body.
var clusterDataActions = map[string]bool{
	"cluster:admin/opensearch/sql":                        true,
	"cluster:admin/opensearch/ppl":                        true,
	"cluster:admin/opensearch/ql/async_query":             true,
	"cluster:admin/opendistro/asynchronous_search/submit": true,
	"cluster:admin/opendistro/transform/preview":          true,
	"cluster:admin/opendistro/transform/index":            true,
	"cluster:admin/opendistro/rollup/index":               true,
	"cluster:admin/transform/preview":                     true,
	"cluster:admin/transform/put":                         true,
	"cluster:admin/transform/update":                      true,
	"cluster:admin/xpack/rollup/put":                      true,
	"cluster:admin/xpack/ml/datafeeds/preview":            true,
	"cluster:admin/xpack/ml/datafeeds/put":                true,
	"cluster:admin/xpack/ml/datafeeds/update":             true,
	"cluster:admin/xpack/ml/data_frame/analytics/preview": true,
	"cluster:admin/xpack/ml/data_frame/analytics/explain": true,
	"cluster:admin/xpack/ml/data_frame/analytics/put":     true,
	"cluster:admin/xpack/ml/data_frame/analytics/update":  true,
	"cluster:monitor/xpack/ml/data_frame/evaluate":        true,
	"cluster:monitor/text_structure/find_field_structure": true,
	"cluster:admin/xpack/watcher/watch/put":               true,
	"cluster:admin/xpack/watcher/watch/execute":           true,
	"cluster:admin/xpack/enrich/put":                      true,
}

// mlPredictAction is ML Commons' predict: a model given inline data, or,
// for the built-in algorithms, the documents input_query finds in
// input_index.
const mlPredictAction = "cluster:admin/opensearch/ml/predict"

// asyncSearchGetAction reads the stored result of an OpenSearch
// asynchronous search: documents of whatever indices its submitter (who
// had to reach every index, see above) searched. Its id is not bound to
// the submitter by the proxy.
const asyncSearchGetAction = "cluster:admin/opendistro/asynchronous_search/get"

// clusterDataAccess reports whether c is a cluster action that reaches the
// data of the indices its body or query names, and whether it only reads.
func clusterDataAccess(c *esapi.Classification, pb *parsedBody) (reaches, readOnly bool) {
	if c.Action == mlPredictAction {
		obj, isObj := bodyObject(pb)
		if pb != nil && pb.json != nil && (!isObj || obj.Has("input_index") || obj.Has("input_query")) {
			return true, true
		}
		return false, false
	}
	if c.Action == asyncSearchGetAction {
		return true, true
	}
	if clusterDataActions[c.Action] {
		return true, clusterDataReadOnly[c.Action]
	}
	if strings.HasPrefix(c.Action, "indices:") || !c.BodyIndices {
		return false, false
	}
	for _, p := range clusterDataExempt {
		if strings.HasPrefix(c.Action, p) {
			return false, false
		}
	}
	return true, clusterDataReadOnly[c.Action]
}

// clusterDataRefusal refuses a cluster action that reaches index data for
// a user who may not read (and, unless it only reads, write) every index,
// restricted ones included, without document- or field-level security.
func clusterDataRefusal(az Authorizer, req authz.Request, c *esapi.Classification, pb *parsedBody) *itemRefusal {
	reaches, readOnly := clusterDataAccess(c, pb)
	if !reaches {
		return nil
	}
	if readOnly && mayReadEverything(az, req) {
		return nil
	}
	if !readOnly && mayEverywhere(az, req, pipelineProbeActions...) {
		return nil
	}
	need := "read and write"
	if readOnly {
		need = "read"
	}
	return forbidden(req, fmt.Sprintf("it reads the indices its request names with the cluster's rights, "+
		"out of the security proxy's sight; only users who may %s every index without document or field level security may use it", need))
}
