package server

import (
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// OpenSearch's Index State Management runs a policy's actions (delete,
// rollover, shrink, alias, rollup, snapshot…) on every index it manages:
// those a request adds it to, and every index created later whose name
// matches the policy's ism_template. Its APIs are cluster actions, granted
// by the cluster privilege manage, and OpenSearch's security plugin asks,
// besides, for the privileges of what the policy does on the indices
// involved, and runs the job as its creator. The cluster behind the proxy
// runs it with full rights: a user with manage and access to logs-* only
// could add hr-payroll to a policy whose alias action points a logs-*
// alias at it (then read it through the alias), whose rollup action
// copies it into a logs-* index, or whose delete action removes it; or
// store a policy whose ism_template takes every new index.

// reasonISMPolicy is why storing an ISM policy is refused.
const reasonISMPolicy = "an index state management policy runs its actions (delete, alias, rollup, shrink…) on the indices it manages, " +
	"new indices matching its ism_template included, with the cluster's rights: storing one is not supported by the security proxy for this user"

const (
	ismPolicyWriteAction = "cluster:admin/opendistro/ism/policy/write"
	// ismManagedIndexAction is OpenSearch's index permission for putting
	// an index under a policy, changing its policy, removing it or
	// retrying a failed step (index privileges manage and all grant it).
	ismManagedIndexAction = "indices:admin/opensearch/ism/managedindex"
)

// ismManagedIndexActions are the ISM APIs that act on the indices in
// their path.
var ismManagedIndexActions = map[string]bool{
	"cluster:admin/opendistro/ism/managedindex/add":    true,
	"cluster:admin/opendistro/ism/managedindex/change": true,
	"cluster:admin/opendistro/ism/managedindex/remove": true,
	"cluster:admin/opendistro/ism/managedindex/retry":  true,
}

// ismPolicyActions are what a policy's actions do to the indices it
// manages and to the indices they create or fill (rollover and shrink
// targets, rollup and transform outputs, aliases): a user who may do them
// on every index gains nothing from one.
var ismPolicyActions = []string{"indices:admin/delete", "indices:admin/settings/update", "indices:admin/aliases",
	"indices:admin/create", "indices:data/read/search", "indices:data/write/index"}

// ismRefusal refuses storing an ISM policy unless the user may do what a
// policy does on every index, restricted ones included, and the managed
// index APIs unless the user holds the managed-index permission (manage or
// all) on each index of the path, named explicitly.
func ismRefusal(az Authorizer, req authz.Request, c *esapi.Classification) *itemRefusal {
	switch {
	case c.Action == ismPolicyWriteAction:
		if !mayEverywhere(az, req, ismPolicyActions...) {
			return forbidden(req, reasonISMPolicy)
		}
	case ismManagedIndexActions[c.Action]:
		return decideNames(az, req, ismManagedIndexAction, c.Indices)
	}
	return nil
}
