package server

import (
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// Elasticsearch's index lifecycle policies run their actions (delete,
// shrink, rollover, force merge, searchable snapshot…) on every index
// whose index.lifecycle.name names them, with the privileges of the user
// who last stored the policy; a move to a step runs the index's own
// policy from that step. The cluster behind the proxy runs them with full
// rights: a user with manage_ilm could rewrite the policy of indices they
// may not touch into a delete phase at 0 ms, or move such an index to its
// delete step.

// reasonLifecyclePolicy is why storing a lifecycle policy is refused.
const reasonLifecyclePolicy = "an index lifecycle policy runs its actions (delete, shrink, rollover…) on every index that uses it, " +
	"with the cluster's rights: storing one is not supported by the security proxy for this user"

const (
	ilmPutAction  = "cluster:admin/ilm/put"
	ilmMoveAction = "cluster:admin/ilm/_move/post"
	// ilmIndexAction stands for the index privilege manage_ilm
	// (indices:admin/ilm/*), which Elasticsearch asks of a move's index.
	ilmIndexAction = "indices:admin/ilm/move_to_step"
)

// lifecycleActions are what a lifecycle policy does to the indices using
// it: a user who may do them on every index gains nothing from one.
var lifecycleActions = []string{"indices:admin/delete", "indices:admin/settings/update", "indices:admin/ilm/move_to_step"}

// lifecycleRefusal refuses, for a user without full access, storing a
// lifecycle policy unless the user may do what a policy does on every
// index, and moving an index to a lifecycle step unless the user holds
// manage_ilm (or manage) on that index, named explicitly.
func lifecycleRefusal(az Authorizer, req authz.Request, c *esapi.Classification) *itemRefusal {
	switch c.Action {
	case ilmPutAction:
		if !mayEverywhere(az, req, lifecycleActions...) {
			return forbidden(req, reasonLifecyclePolicy)
		}
	case ilmMoveAction:
		return decideNames(az, req, ilmIndexAction, c.Indices)
	}
	return nil
}
