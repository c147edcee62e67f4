package server

import (
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// The update API (_update) reads the document, builds the new one and
// writes it with a request of its own: TransportUpdateAction sends a
// one-item bulk request, which Elasticsearch authorizes with the caller's
// roles (indices:data/write/bulk[s] on the index, then the item's action:
// indices:data/write/index:op_type/index for the updated document). The
// named privileges that grant the update action (index, write, all) grant
// both; a role granting indices:data/write/update by its name alone does
// not, and Elasticsearch refuses its updates. A _bulk update item is
// authorized as an update only (the shard runs it), so this is for the
// update API alone. A script deleting the document is scriptdelete.go's.

// actionBulkShard is the action of the shard-level bulk requests that carry
// every document write (a _bulk's items, an update's write).
const actionBulkShard = "indices:data/write/bulk[s]"

// updateWriteActions are the actions of the write an update API request
// makes.
var updateWriteActions = []string{actionBulkShard, actionIndexOverwrite}

// updateWriteRefusal refuses an update API request when the user may not
// make the write it makes on the index, with that action's refusal.
func updateWriteRefusal(az Authorizer, base authz.Request, c *esapi.Classification) *itemRefusal {
	if c.Action != actionUpdate {
		return nil
	}
	for _, action := range updateWriteActions {
		probe := base
		probe.Action, probe.Options = action, authz.IndicesOptions{}
		if d := az.Decide(probe); !d.Allowed {
			return &itemRefusal{status: statusOr403(d.Status), reason: d.Reason}
		}
	}
	return nil
}
