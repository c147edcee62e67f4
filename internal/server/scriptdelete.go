package server

import (
	"fmt"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/esapi/painless"
)

// An update script picks the operation the cluster runs on the document
// through ctx.op: "delete" deletes it. Elasticsearch runs that delete as a
// request of its own with the caller's roles (TransportUpdateAction sends a
// one-item bulk request; _update_by_query's bulk gets a delete item), so a
// user with the index privilege but not delete cannot delete documents
// through _update or _update_by_query. (A _bulk update item is authorized
// as an update only, and its script may delete: the proxy lets it, as
// Elasticsearch does.) The proxy cannot run the script: for a user who may
// not delete on the written indices, it lets through only scripts whose
// every assignment of ctx.op is a plain assignment of "noop", "none",
// "index" or "create" (painless.OpValues), and refuses the others, stored
// scripts (their source is not in the request) and languages other than
// Painless. Over-restriction, for such users only: a script the scan cannot
// follow although it never deletes (ctx.op set from a variable or a
// ternary, ctx passed to a function, a method of ctx called, a name or a
// string literal "ctx" or "op" elsewhere, a regular expression literal, a
// slash after a keyword) is refused as well.

const actionDelete = "indices:data/write/delete"

// scriptUpdateActions are the actions whose script's ctx.op can delete the
// documents they update.
var scriptUpdateActions = map[string]bool{
	"indices:data/write/update":         true,
	"indices:data/write/update/byquery": true,
}

// harmlessOps are the ctx.op values that do not delete.
var harmlessOps = map[string]bool{"noop": true, "none": true, "index": true, "create": true}

// scriptDeleteRefusal refuses an _update or _update_by_query whose script
// may delete the documents it updates (see above) when the user may not
// delete documents of every index the update reaches (d, its decision):
// with the refusal Elasticsearch puts on the delete, and why the script
// may delete (for the proxy's log). A wildcard the update's decision keeps
// as written is checked on each name it reaches (writtenNames), never
// narrowed to the indices where the user may delete.
func scriptDeleteRefusal(az Authorizer, base authz.Request, c *esapi.Classification, pb *parsedBody, d authz.Decision) (*itemRefusal, string) {
	if !scriptUpdateActions[c.Action] || pb == nil {
		return nil, ""
	}
	body, ok := pb.json.(*esbody.Object)
	if !ok || body == nil {
		return nil, ""
	}
	script, ok := body.Get("script")
	if !ok {
		return nil, ""
	}
	why := scriptMayDelete(script)
	if why == "" {
		return nil, ""
	}
	written := c.Indices
	if d.Rewritten {
		written = d.Indices
	}
	indices, expanded := writtenNames(base.Metadata, written, base.Options)
	if !expanded {
		indices = written
	}
	probe := base
	probe.Action, probe.Indices, probe.Options = actionDelete, indices, authz.IndicesOptions{}
	dd := az.Decide(probe)
	// Explicit names are refused, not dropped; an expression matching no
	// name the proxy knows must be allowed as written.
	if dd.Allowed && !dd.MatchNothing && (expanded || !dd.Rewritten) {
		return nil, ""
	}
	reason := dd.Reason
	if reason == "" {
		reason = fmt.Sprintf("action [%s] is unauthorized for user [%s] on indices %v", actionDelete, base.User, indices)
	}
	return &itemRefusal{status: statusOr403(dd.Status), reason: reason}, why
}

// scriptMayDelete says why a script (a string: its Painless source; or an
// object: source, lang, params, options) may set ctx.op to "delete", or ""
// when it can only keep it harmless.
func scriptMayDelete(v esbody.Value) string {
	var src string
	switch s := v.(type) {
	case esbody.String:
		src = string(s)
	case *esbody.Object:
		for name, m := range s.All() {
			switch name {
			case "source":
				str, ok := m.(esbody.String)
				if !ok {
					return "the script's source is not a string"
				}
				src = string(str)
			case "lang":
				if l, ok := m.(esbody.String); !ok || l != "painless" {
					return "the script is not in Painless"
				}
			case "params", "options":
			case "id":
				return "a stored script, whose source the security proxy does not see"
			default:
				return fmt.Sprintf("the script has a member [%s] the security proxy does not read", name)
			}
		}
	default:
		return "the script is neither a string nor an object"
	}
	values, err := painless.OpValues(src)
	if err != nil {
		return err.Error()
	}
	for _, op := range values {
		if !harmlessOps[op] {
			return fmt.Sprintf("the script sets ctx.op to [%s]", op)
		}
	}
	return ""
}
