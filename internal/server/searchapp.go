package server

import (
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// Elasticsearch's search applications (8.8+) point an alias named after
// the application at the indices their body lists, and take it off every
// index when the application is deleted. The alias change is sent with the
// caller's client: a secured cluster authorizes indices:admin/aliases on
// the indices and the alias as the caller. The API itself is a cluster
// action (manage_search_application, or manage), and the cluster behind
// the proxy would add the alias for anyone allowed it: a user with manage
// and read on logs-* only could PUT /_application/search_application/logs-leak
// {"indices":["hr-payroll"]} and then read and write hr-payroll through
// logs-leak.

const (
	searchAppPutAction    = "cluster:admin/xpack/application/search_application/put"
	searchAppDeleteAction = "cluster:admin/xpack/application/search_application/delete"
)

// searchApplicationRefusal decides a search application's put and delete
// as the alias changes the cluster makes for them: indices:admin/aliases on
// the application's name, on the indices it lists and on those the alias
// is taken off, each named explicitly, and no alias granting more than its
// index (decideAliasNames), for users who may not change aliases on, read
// and write every index.
func searchApplicationRefusal(az Authorizer, req authz.Request, c *esapi.Classification, pb *parsedBody) *itemRefusal {
	if c.Action != searchAppPutAction && c.Action != searchAppDeleteAction {
		return nil
	}
	// Who may change aliases on, read and write every index gains nothing
	// (and may name wildcards, as the cluster allows).
	if mayEverywhere(az, req, append([]string{aliasesAction}, pipelineProbeActions...)...) {
		return nil
	}
	name := c.PathParams["name"]
	if name == "" {
		return badBody("a search application needs a name")
	}
	// The indices the alias points at now: a put moves it off those it no
	// longer lists, a delete off all of them.
	var current []string
	if a, ok := req.Metadata.Alias(name); ok {
		current = append(a.Indices, a.DataStreams...)
	}
	if c.Action == searchAppDeleteAction {
		return decideAliasNames(az, req, append(current, name), nil)
	}
	body, ok := bodyObject(pb)
	if !ok {
		return badBody("a search application requires a JSON object body")
	}
	indices, err := indexNames(body, "indices")
	if err != nil {
		return badBody(err.Error())
	}
	var adds [][2]string
	for _, ix := range indices {
		adds = append(adds, [2]string{name, ix})
	}
	names := append(slices.Clone(indices), current...)
	return decideAliasNames(az, req, append(names, name), adds)
}
