package server

import (
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// Elasticsearch authorizes a document write twice: the request's action
// (indices:data/write/index), then each document by its operation type,
// as the items of a _bulk (AuthorizationService.authorizeBulkItems). The
// create_doc privilege grants only ":op_type/create", so a user holding it
// may add documents but not overwrite one: PUT /{index}/_doc/{id} needs
// ":op_type/index" (checklist 35).

// Item actions of document writes.
const (
	actionIndexCreate    = "indices:data/write/index:op_type/create"
	actionIndexOverwrite = "indices:data/write/index:op_type/index"
)

// singleDocAction is the item action of a single-document write: create
// for _create, for op_type=create, and for an auto-generated id (the
// cluster's default op_type then, since 7.5); index otherwise. Empty for
// other APIs.
func singleDocAction(c *esapi.Classification) string {
	switch c.API {
	case "create":
		return actionIndexCreate
	case "index":
	default:
		return ""
	}
	// The cluster reads op_type case-insensitively; a value it would
	// refuse is judged as the strictest, an overwrite.
	switch op := strings.ToLower(c.Params.Values["op_type"]); {
	case op == "create":
		return actionIndexCreate
	case op == "" && c.PathParams["id"] == "":
		return actionIndexCreate
	}
	return actionIndexOverwrite
}

// opTypeRefusal decides a single-document write's item action on the
// request's indices, or nil when allowed (or not such a write).
func opTypeRefusal(az Authorizer, base authz.Request, c *esapi.Classification) *itemRefusal {
	action := singleDocAction(c)
	if action == "" {
		return nil
	}
	req := base
	req.Action = action
	if d := az.Decide(req); !d.Allowed {
		return &itemRefusal{status: statusOr403(d.Status), reason: d.Reason}
	}
	return nil
}
